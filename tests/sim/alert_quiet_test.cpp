// The alert rules' quiet summary alone (sim/alert_quiet.hpp): its answer against each rule's
// own check, "sign * v > above" in doubles, for thresholds that are not floats, at the floats
// either side of them, at the ends of the float range and for NaN; the counters' windows.
#include "sim/alert_quiet.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <limits>
#include <vector>

// Own namespace: the ci presets compile this file together with others (unity build).
namespace alert_quiet_test {

using namespace selfheal;
using namespace std::chrono_literals;
using engine::SignalName;
using selfheal::sim::model::QuietBounds;
using selfheal::sim::model::Sample;

namespace {

constexpr double kInf = std::numeric_limits<double>::infinity();
constexpr float kInfF = std::numeric_limits<float>::infinity();

/// A rule as Alerting folds it: sign * v > above.
struct Rule {
  SignalName signal;
  double sign;
  double above;
};

/// The gauge `signal` of `s` as the rule checks read it (Alerting::gauges).
double gauge(const Sample& s, SignalName signal) {
  switch (signal) {
    case SignalName::kRequestRate:
      return s.rps;
    case SignalName::kErrorRate:
      return s.err;
    case SignalName::kLatencyP99:
      return s.p99;
    case SignalName::kCpu:
      return s.cpu;
    case SignalName::kMemory:
      return s.mem;
    case SignalName::kReadyRatio:
      return s.desired > 0 ? s.ready / s.desired : 1.0;
    case SignalName::kQueueLag:
      return s.queue;
    case SignalName::kDependencyErrors:
      return s.dep_err;
    default:
      return 0.0;
  }
}

/// Whether some rule holds on `s`, one rule at a time.
bool any_holds(const std::vector<Rule>& rules, const Sample& s) {
  bool hit = false;
  for (const Rule& r : rules)
    hit = hit || r.sign * gauge(s, r.signal) > r.above;
  return hit;
}

/// Sample `s` with gauge `signal` set to `x` (the ready ratio: x ready of 1 desired).
Sample with(SignalName signal, float x) {
  Sample s;
  s.desired = 1;
  s.ready = 1;
  switch (signal) {
    case SignalName::kRequestRate:
      s.rps = x;
      break;
    case SignalName::kErrorRate:
      s.err = x;
      break;
    case SignalName::kLatencyP99:
      s.p99 = x;
      break;
    case SignalName::kCpu:
      s.cpu = x;
      break;
    case SignalName::kMemory:
      s.mem = x;
      break;
    case SignalName::kReadyRatio:
      s.ready = x;
      break;
    case SignalName::kQueueLag:
      s.queue = x;
      break;
    case SignalName::kDependencyErrors:
      s.dep_err = x;
      break;
    default:
      break;
  }
  return s;
}

/// Floats at and either side of `d` (two steps each way), and the ends of the range.
std::vector<float> floats_near(double d) {
  std::vector<float> out{0.0f,
                         -0.0f,
                         kInfF,
                         -kInfF,
                         std::numeric_limits<float>::max(),
                         -std::numeric_limits<float>::max(),
                         std::nanf("")};
  if (std::fabs(d) <= std::numeric_limits<float>::max()) {
    const auto f = static_cast<float>(d);
    out.push_back(f);
    for (const float dir : {kInfF, -kInfF}) {
      const float one = std::nextafter(f, dir);
      out.push_back(one);
      out.push_back(std::nextafter(one, dir));
    }
  }
  return out;
}

}  // namespace

TEST_CASE("the quiet bounds answer as the rules do, at the floats around each threshold",
          "[sim][alerting]") {
  // Thresholds that are not floats (0.05, 0.1, 1/3), floats (0.75, 1000), zeros, a float
  // denormal's neighbourhood, beyond the float range, the infinities.
  const std::vector<double> thresholds{0.05,  0.1,   1.0 / 3.0, 0.75,  1000.0, 0.0,
                                       -0.0,  1e-40, -1e-40,    1e-50, 3.5e38, -3.5e38,
                                       1e300, kInf,  -kInf,     -0.05};
  const std::vector<SignalName> gauges{SignalName::kRequestRate, SignalName::kErrorRate,
                                       SignalName::kLatencyP99,  SignalName::kCpu,
                                       SignalName::kMemory,      SignalName::kReadyRatio,
                                       SignalName::kQueueLag,    SignalName::kDependencyErrors};
  int checked = 0;
  for (const SignalName g : gauges) {
    for (const double t : thresholds) {
      for (const double sign : {1.0, -1.0}) {
        // > t and >= t as Alerting folds them (>= is > of the next double below).
        for (const double above : {sign * t, std::nextafter(sign * t, -kInf)}) {
          const std::vector<Rule> rules{{g, sign, above}};
          QuietBounds b;
          b.add(g, sign, above);
          REQUIRE(b.exact());
          for (const float x : floats_near(t)) {
            const Sample s = with(g, x);
            INFO("signal " << static_cast<int>(g) << " sign " << sign << " above " << above << " x "
                           << x);
            CHECK(b.hits(s) == any_holds(rules, s));
            ++checked;
          }
        }
      }
    }
  }
  CHECK(checked > 2000);
}

TEST_CASE("the quiet bounds of several rules on one gauge hold where any rule holds",
          "[sim][alerting]") {
  // Two upper and two lower rules on the error rate, plus one on the CPU.
  const std::vector<Rule> rules{{SignalName::kErrorRate, 1.0, 0.1},
                                {SignalName::kErrorRate, 1.0, 0.05},
                                {SignalName::kErrorRate, -1.0, -0.001},
                                {SignalName::kErrorRate, -1.0, -0.002},
                                {SignalName::kCpu, 1.0, 0.85}};
  QuietBounds b;
  for (const Rule& r : rules)
    b.add(r.signal, r.sign, r.above);
  for (const double t : {0.1, 0.05, 0.001, 0.002, 0.85}) {
    for (const float x : floats_near(t)) {
      for (const SignalName g : {SignalName::kErrorRate, SignalName::kCpu}) {
        Sample s = with(g, x);
        if (g == SignalName::kCpu) s.err = 0.01f;  // between the error rate's bounds
        INFO("x " << x);
        CHECK(b.hits(s) == any_holds(rules, s));
      }
    }
  }
  QuietBounds nan;
  nan.add(SignalName::kErrorRate, 1.0, std::nan(""));
  CHECK_FALSE(nan.exact());
}

TEST_CASE("the quiet bounds' counters are quiet only past every window of their rules",
          "[sim][alerting]") {
  const core::TimePoint now = core::TimePoint{} + 24h;
  QuietBounds b;
  b.add_counter(SignalName::kOomKills, 1.0, 0.0, 1min);
  b.add_counter(SignalName::kOomKills, 1.0, 2.0, 10min);  // the longer window counts
  b.add_counter(SignalName::kRestarts, 1.0, 2.0, 5min);
  const core::TimePoint long_ago = now - 1h;
  CHECK(b.counters_quiet(now, long_ago, long_ago));
  CHECK_FALSE(b.counters_quiet(now, now - 2min, long_ago));  // within the 10-minute window
  CHECK(b.counters_quiet(now, now - 10min - 1ms, long_ago));
  CHECK_FALSE(b.counters_quiet(now, now - 10min, long_ago));  // value read when not > span
  CHECK_FALSE(b.counters_quiet(now, long_ago, now - 5min));
  CHECK(b.counters_quiet(now, long_ago, now - 5min - 1ms));

  QuietBounds none;  // no windowed rule: every change is older
  CHECK(none.counters_quiet(now, now, now));
  QuietBounds at_zero;  // a rule that holds at 0 (restarts < 1) is checked every tick
  at_zero.add_counter(SignalName::kRestarts, -1.0, -1.0, 5min);
  CHECK_FALSE(at_zero.counters_quiet(now, long_ago, long_ago));
  QuietBounds trend;  // a trend's value is read every tick
  trend.add_counter(SignalName::kQueueLagTrend, 1.0, 10.0, 5min);
  CHECK_FALSE(trend.counters_quiet(now, long_ago, long_ago));
}

}  // namespace alert_quiet_test
