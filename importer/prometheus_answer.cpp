#include "importer/prometheus_answer.hpp"

namespace selfheal::importer {

using nlohmann::json;

core::Error answer_error(const std::string& path, const std::string& message) {
  return core::Error("Prometheus answer: " + message, "", 0, 0, path);
}

core::Result<json> answer_result(const std::string& body, std::string_view result_type,
                                 std::string_view what) {
  json j;
  try {
    j = json::parse(body);
  } catch (const json::exception& e) {
    return core::Error(std::string("Prometheus answered malformed JSON: ") + e.what());
  }
  if (!j.is_object() || j.value("status", "") != "success") {
    const bool obj = j.is_object();
    return core::Error("Prometheus query failed: " +
                       (obj ? j.value("errorType", std::string("?")) : std::string("?")) + ": " +
                       (obj ? j.value("error", std::string("?")) : std::string("not an object")));
  }
  const json data = j.value("data", json::object());
  if (data.value("resultType", "") != result_type)
    return answer_error("data.resultType", "expected \"" + std::string(result_type) + "\" (" +
                                               std::string(what) + ")");
  json result = data.value("result", json());
  if (!result.is_array()) return answer_error("data.result", "expected a list");
  return result;
}

}  // namespace selfheal::importer
