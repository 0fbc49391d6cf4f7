// PromQL templates: the `{namespace}`, `{service}` and `{window}` placeholders a policy's
// `promql:` checks and the serve config's signal queries may carry, replaced for one
// service (docs/policy.md, docs/live.md). Both the live Prometheus client and the
// simulator's evaluator expand them here, so a template means the same in both.
//
//   expand_promql_template("sum(rate(x{service=\"{service}\"}[{window}]))", {"prod", "api"}, 5min)
//     == "sum(rate(x{service=\"api\"}[300s]))"
#pragma once

#include <optional>
#include <string>

#include "core/time.hpp"
#include "engine/types.hpp"

namespace selfheal::engine {

/// `tmpl` with {namespace}, {service} and {window} replaced; the window in whole seconds
/// (at least 1s), which Prometheus always accepts. Other braces are left as they are.
std::string expand_promql_template(const std::string& tmpl, const ServiceRef& s,
                                   core::Duration window);

/// Checks at load time that `tmpl`, expanded for a placeholder service, parses as the PromQL
/// subset the simulator evaluates (docs/promql.md): the parser's message, naming the
/// construct and its offset, when it does not; nullopt when it does.
std::optional<std::string> promql_template_error(const std::string& tmpl);

}  // namespace selfheal::engine
