// Name validation for everything that may reach a kubectl/helm argv or a PromQL template:
// the one check lives in config/names.hpp (shared with the policy and serve-config readers
// and the engine's command renderer); live/ uses it under its own namespace.
//
//   is_dns1123_label("payment-api")   -> true
//   dns1123_problem("a;rm -rf /")     -> "contains ';' (only a-z, 0-9 and '-' are allowed)"
#pragma once

#include "config/names.hpp"

namespace selfheal::live {

using config::dns1123_problem;
using config::is_dns1123_label;

}  // namespace selfheal::live
