#include "engine/promql_template.hpp"

#include <algorithm>
#include <array>
#include <chrono>
#include <utility>

#include "promql/promql.hpp"

namespace selfheal::engine {

std::string expand_promql_template(const std::string& tmpl, const ServiceRef& s,
                                   core::Duration window) {
  const auto secs =
      std::max<long long>(1, std::chrono::duration_cast<std::chrono::seconds>(window).count());
  const std::array<std::pair<std::string, std::string>, 3> vars{
      {{"{namespace}", s.ns}, {"{service}", s.name}, {"{window}", std::to_string(secs) + "s"}}};
  std::string out;
  for (std::size_t i = 0; i < tmpl.size();) {
    bool replaced = false;
    if (tmpl[i] == '{') {
      for (const auto& [k, v] : vars) {
        if (tmpl.compare(i, k.size(), k) == 0) {
          out += v;
          i += k.size();
          replaced = true;
          break;
        }
      }
    }
    if (!replaced) out += tmpl[i++];
  }
  return out;
}

std::optional<std::string> promql_template_error(const std::string& tmpl) {
  // Any service and window: the placeholders only ever stand for a label value or a range.
  const std::string text = expand_promql_template(tmpl, {"ns", "service"}, std::chrono::minutes(5));
  auto e = promql::parse(text);
  if (!e) return e.error().message;
  return std::nullopt;
}

}  // namespace selfheal::engine
