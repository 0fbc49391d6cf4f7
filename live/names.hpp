// Name validation for everything that may reach a kubectl/helm argv or a PromQL template.
//
// Kubernetes namespaces and the deployments/releases selfheal acts on must be DNS-1123
// labels: 1..63 characters of [a-z0-9-], starting and ending with an alphanumeric. We apply
// the label rule to service names as well (stricter than a deployment's DNS-1123
// subdomain, which may contain dots): a name with a dot, a space, a quote, `;` or anything
// else never reaches argv or a query.
//
//   is_dns1123_label("payment-api")   -> true
//   is_dns1123_label("Payment_API")   -> false
//   dns1123_problem("a;rm -rf /")     -> "contains ';' (only a-z, 0-9 and '-' are allowed)"
#pragma once

#include <string>
#include <string_view>

namespace selfheal::live {

bool is_dns1123_label(std::string_view name);
/// Empty when `name` is a valid label; otherwise what is wrong, for an error message.
std::string dns1123_problem(std::string_view name);

}  // namespace selfheal::live
