// The envelope of a Prometheus HTTP API answer, read in one place for every importer:
//   {"status": "success", "data": {"resultType": "vector", "result": [...]}}
// An error answer ({"status": "error", "errorType": ..., "error": ...}) and every malformed
// part are refused with the JSON path named.
//
//   auto result = importer::answer_result(body, "vector", "an instant query's answer");
//   if (!result) return result.error();   // e.g. data.resultType: Prometheus answer: ...
//   for (const auto& s : *result) ...     // each {metric: {...}, value | values: ...}
#pragma once

#include <string>
#include <string_view>

#include <nlohmann/json.hpp>

#include "core/result.hpp"

namespace selfheal::importer {

/// "Prometheus answer: <message>" located at JSON path `path` (e.g. `data.result[2].value`).
core::Error answer_error(const std::string& path, const std::string& message);

/// The `data.result` list of a successful answer whose resultType is `result_type`
/// ("vector", "matrix"); `what` names that kind of answer in the error.
core::Result<nlohmann::json> answer_result(const std::string& body, std::string_view result_type,
                                           std::string_view what);

}  // namespace selfheal::importer
