#include "config/suggest.hpp"

#include <algorithm>

namespace selfheal::config {

std::size_t edit_distance(std::string_view a, std::string_view b) {
  // Three rolling rows: the transposition looks two rows back.
  const std::size_t m = b.size();
  std::vector<std::size_t> two(m + 1), one(m + 1), cur(m + 1);
  for (std::size_t j = 0; j <= m; ++j)
    one[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    cur[0] = i;
    for (std::size_t j = 1; j <= m; ++j) {
      const std::size_t cost = a[i - 1] == b[j - 1] ? 0 : 1;
      cur[j] = std::min({one[j] + 1, cur[j - 1] + 1, one[j - 1] + cost});
      if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1])
        cur[j] = std::min(cur[j], two[j - 2] + 1);
    }
    std::swap(two, one);
    std::swap(one, cur);
  }
  return one[m];
}

std::string closest(std::string_view word, const std::vector<std::string_view>& candidates) {
  std::string_view best;
  std::size_t best_d = std::string_view::npos;
  for (auto c : candidates) {
    const std::size_t d = edit_distance(word, c);
    if (d < best_d) {
      best_d = d;
      best = c;
    }
  }
  if (best_d == 0) return {};
  const std::size_t limit = std::max(kSuggestMinEdits, word.size() / kSuggestCharsPerEdit);
  if (best_d <= limit) return std::string(best);
  // An abbreviation or an elaboration of exactly one candidate.
  std::string_view prefix_match;
  for (auto c : candidates) {
    const std::string_view shorter = c.size() < word.size() ? c : word;
    const std::string_view longer = c.size() < word.size() ? word : c;
    if (shorter.size() >= kSuggestMinPrefix && longer.substr(0, shorter.size()) == shorter) {
      if (!prefix_match.empty()) return {};
      prefix_match = c;
    }
  }
  return std::string(prefix_match);
}

std::string closest(std::string_view word, const std::vector<std::string>& candidates) {
  return closest(word, std::vector<std::string_view>(candidates.begin(), candidates.end()));
}

std::string closest(std::string_view word, std::initializer_list<std::string_view> candidates) {
  return closest(word, std::vector<std::string_view>(candidates));
}

}  // namespace selfheal::config
