// The Alertmanager webhook body POSTed to `selfheal serve` (/api/v1/alerts): what
// LiveService::alerts does with it, minus the queue: live::parse_webhook, then on error
// the 400 body `{"error": "<field>: <message>"}`, else live::to_incidents and the 202 body
// listing the rejected alerts. The HTTP server would turn an exception into a 500, which
// Alertmanager retries forever, so an exception here is a finding like a crash.
#include <nlohmann/json.hpp>

#include "fuzz/fuzz_support.hpp"
#include "live/alertmanager.hpp"

namespace {

using nlohmann::json;
using selfheal::live::LabelMapping;

void answer(std::string_view body, const LabelMapping& mapping) {
  auto msg = selfheal::live::parse_webhook(body);
  if (!msg) {
    const auto& e = msg.error();
    (void)json{{"error", (e.field.empty() ? "" : e.field + ": ") + e.message}}.dump();
    return;
  }
  auto batch = selfheal::live::to_incidents(*msg, mapping);
  json rejected = json::array();
  for (const auto& r : batch.rejected)
    rejected.push_back({{"fingerprint", r.fingerprint}, {"reason", r.reason}});
  (void)json{{"accepted", batch.incidents.size()}, {"rejected", rejected}}.dump();
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const LabelMapping any_namespace{};
  static const LabelMapping prod_only{.allowed_namespaces = {"prod"}};
  const auto body = selfheal::fuzz::text(data, size);
  answer(body, any_namespace);
  answer(body, prod_only);
  return 0;
}
