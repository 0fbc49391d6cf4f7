// The alert rules' quiet summary: one rule list's rules folded into one bound a side per
// gauge and one window a counter, so a tick decides "no rule's condition holds" for a
// service with a compare per gauge and two for the counters, whatever the number of rules
// (Alerting::quiet). Internal to sim/ (part of alerting).
//
//   QuietBounds b;
//   b.add(engine::SignalName::kErrorRate, 1.0, 0.05);      // each plain rule: sign * v > above
//   b.add_counter(engine::SignalName::kRestarts, 1.0, 2.0, 10min);  // each windowed rule
//   if (b.exact() && !b.hits(sample) && b.counters_quiet(now, last_oom, last_restart)) ...
//
// Why exact. A rule holds when sign * v > above (Alerting's QuietCheck: >= and <= folded
// into > of the next double). For sign +1 that is v > above, for -1 it is v < -above
// (negation is exact). Rules on one gauge and one side: v > a1 || v > a2 is v > min(a1, a2),
// and v < b1 || v < b2 is v < max(b1, b2) (a NaN v fails every one). Every gauge is a float
// of the sample (the ready ratio too: ready / desired in float) read as a double; for a
// float x, x > a (as doubles) holds iff x > the largest float <= a, and x < b iff x < the
// smallest float >= b (float_at_most, float_at_least), so the bounds are floats and the
// compares are of floats. A counter's value is 0 while its last change is older than the
// rule's window: while every counter is older than the longest window of its rules, every
// windowed value is 0, and a rule that held at 0 is checked one by one (check_windowed_).
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <limits>

#include "core/time.hpp"
#include "engine/types.hpp"
#include "sim/model_types.hpp"

namespace selfheal::sim::model {

class QuietBounds {
 public:
  /// The gauges, in the order hits() reads them: rps, error rate, p99, CPU, memory, ready
  /// ratio, queue lag, dependency errors (two runs of four).
  static constexpr std::size_t kGauges = 8;

  /// Adds plain rule "sign * v > above" on gauge `signal` (not a windowed signal).
  void add(engine::SignalName signal, double sign, double above);
  /// Adds windowed rule "sign * v > above" on counter or trend `signal`; its value is 0
  /// while the counter's last change is more than `span` ago (a trend's never is).
  void add_counter(engine::SignalName signal, double sign, double above, core::Duration span);

  /// False when some rule's bound is NaN: the bounds then say nothing (check the rules).
  bool exact() const { return exact_; }
  /// Whether some plain rule's condition holds on `s`: the answer of each rule's check.
  bool hits(const Sample& s) const {
    const float ready_ratio = s.desired > 0 ? s.ready / s.desired : 1.0f;
    const std::array<float, kGauges> x{s.rps, s.err,       s.p99,   s.cpu,
                                       s.mem, ready_ratio, s.queue, s.dep_err};
    unsigned hit = 0;
    for (std::size_t k = 0; k < kGauges; ++k)
      hit |= static_cast<unsigned>(x[k] > hi_[k]) | static_cast<unsigned>(x[k] < lo_[k]);
    return hit != 0;
  }
  /// Whether every windowed rule's value is 0 at `now` and none holds at 0, given the
  /// counters' last changes; false says nothing (check the windowed rules one by one).
  bool counters_quiet(core::TimePoint now, core::TimePoint last_oom,
                      core::TimePoint last_restart) const {
    return !check_windowed_ && now - last_oom > oom_span_ && now - last_restart > restart_span_;
  }

  /// The largest float <= d (d not NaN); the smallest float >= d.
  static float float_at_most(double d);
  static float float_at_least(double d) { return -float_at_most(-d); }

 private:
  static constexpr float kInf = std::numeric_limits<float>::infinity();
  /// Where gauge `signal` is in hits()' order.
  static std::size_t slot(engine::SignalName signal);

  std::array<float, kGauges> hi_ = filled(kInf);   // a rule holds when x > hi_
  std::array<float, kGauges> lo_ = filled(-kInf);  // or x < lo_
  static constexpr std::array<float, kGauges> filled(float v) {
    std::array<float, kGauges> a{};
    a.fill(v);
    return a;
  }
  /// The longest window of the list's OOM and restart rules (none: every change is older).
  core::Duration oom_span_ = core::Duration::min();
  core::Duration restart_span_ = core::Duration::min();
  /// Some windowed rule holds at 0, or is a trend (read every tick): check them one by one.
  bool check_windowed_ = false;
  bool exact_ = true;
};

}  // namespace selfheal::sim::model
