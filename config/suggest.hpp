// "Did you mean" for every reader: one distance, one threshold.
//
// The distance is optimal string alignment (Levenshtein plus adjacent transpositions, the
// typo a person makes most: `confidnece`). A candidate is suggested when it is within
// kSuggestMinEdits edits or a third of the word, whichever is larger (`restrat` finds
// `restart`, `foo` does not find `flag`), or, failing that, when the word is an abbreviation
// or an elaboration of exactly one candidate with at least kSuggestMinPrefix common leading
// characters (`rollbk` -> nothing by prefix, `automatic` -> `auto`).
//
//   closest("confidnece", {"confidence", "service"})  -> "confidence"
//   closest("owner", {"incident_type"})                -> ""
#pragma once

#include <cstddef>
#include <initializer_list>
#include <string>
#include <string_view>
#include <vector>

namespace selfheal::config {

/// At least this many edits are always tolerated (short words).
inline constexpr std::size_t kSuggestMinEdits = 2;
/// Beyond that, up to one edit per this many characters of the word.
inline constexpr std::size_t kSuggestCharsPerEdit = 3;
/// Shortest common prefix that counts as an abbreviation/elaboration.
inline constexpr std::size_t kSuggestMinPrefix = 3;

/// Optimal string alignment distance, byte-wise.
std::size_t edit_distance(std::string_view a, std::string_view b);

/// The candidate `word` most plausibly is a typo of, or "" (also "" on an exact match).
std::string closest(std::string_view word, const std::vector<std::string_view>& candidates);
std::string closest(std::string_view word, const std::vector<std::string>& candidates);
std::string closest(std::string_view word, std::initializer_list<std::string_view> candidates);

}  // namespace selfheal::config
