#include "scenario/metric_rules.hpp"

#include <algorithm>

namespace selfheal::scenario {

Duration percentile(std::vector<Duration> v, int p) {
  std::sort(v.begin(), v.end());
  // Nearest rank: the smallest value with at least p% of the values at or below it.
  const std::size_t n = v.size();
  std::size_t rank = (static_cast<std::size_t>(p) * n + 99) / 100;
  rank = std::clamp<std::size_t>(rank, 1, n);
  return v[rank - 1];
}

std::vector<LoopFact> find_loops(const std::string& service, std::vector<TargetAction> actions,
                                 Duration window, int min_actions) {
  std::sort(actions.begin(), actions.end(),
            [](const TargetAction& a, const TargetAction& b) { return a.at < b.at; });
  std::vector<LoopFact> loops;
  std::size_t begin = 0;
  while (begin < actions.size()) {
    // An episode ends with (and includes) the first action whose verification passed.
    std::size_t end = begin;
    while (end < actions.size() && !actions[end].verified_recovery)
      ++end;
    const std::size_t last = std::min(end, actions.size() - 1);
    bool loop = false;
    for (std::size_t i = begin; i + static_cast<std::size_t>(min_actions) - 1 <= last; ++i) {
      if (actions[i + static_cast<std::size_t>(min_actions) - 1].at - actions[i].at < window) {
        loop = true;
        break;
      }
    }
    if (loop) {
      loops.push_back(LoopFact{service, actions[begin].at, actions[last].at,
                               static_cast<int>(last - begin + 1)});
    }
    begin = last + 1;
  }
  return loops;
}

int max_in_window(std::vector<Duration> times, Duration window) {
  std::sort(times.begin(), times.end());
  int best = 0;
  std::size_t lo = 0;
  for (std::size_t hi = 0; hi < times.size(); ++hi) {
    while (times[hi] - times[lo] >= window)
      ++lo;
    best = std::max(best, static_cast<int>(hi - lo + 1));
  }
  return best;
}

}  // namespace selfheal::scenario
