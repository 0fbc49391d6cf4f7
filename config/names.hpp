// The one check for names that may reach a kubectl/helm argv or a PromQL template.
//
// Kubernetes namespaces and the deployments/releases selfheal acts on must be DNS-1123
// labels: 1..63 characters of [a-z0-9-], starting and ending with an alphanumeric. We apply
// the label rule to service names as well (stricter than a deployment's DNS-1123
// subdomain, which may contain dots): a name with a dot, a space, a quote, `;` or anything
// else never reaches argv or a query. Helm release names are labels of at most 53.
//
//   is_dns1123_label("payment-api")   -> true
//   is_dns1123_label("Payment_API")   -> false
//   dns1123_problem("a;rm -rf /")     -> "contains ';' (only a-z, 0-9 and '-' are allowed)"
#pragma once

#include <cstddef>
#include <string>
#include <string_view>

namespace selfheal::config {

/// Longest DNS-1123 label (RFC 1123, Kubernetes namespaces and most object names).
inline constexpr std::size_t kDns1123LabelMax = 63;

/// Empty when `name` is a valid label of at most `max_len`; otherwise what is wrong.
std::string dns1123_problem(std::string_view name, std::size_t max_len = kDns1123LabelMax);
bool is_dns1123_label(std::string_view name, std::size_t max_len = kDns1123LabelMax);

/// The standard message for a bad name: `"x" is not a DNS-1123 name: <problem>`.
std::string dns1123_message(std::string_view name, const std::string& problem);

}  // namespace selfheal::config
