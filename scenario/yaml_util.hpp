// The scenario reader's YAML helpers are config/'s (one reader for every input format);
// these names stay so the scenario, overrides and expectation readers read unchanged.
#pragma once

#include "config/messages.hpp"
#include "config/suggest.hpp"
#include "config/yaml_reader.hpp"

namespace selfheal::scenario {

using config::edit_distance;
using config::line_of;
using config::YamlReader;

/// The closest candidate to `word` when it is plausibly a typo of it, else "".
inline std::string did_you_mean(std::string_view word, const std::vector<std::string>& candidates) {
  return config::closest(word, candidates);
}

}  // namespace selfheal::scenario
