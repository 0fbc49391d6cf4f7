// The alerting part alone (sim/alerting.hpp): a threshold rule pending for 'for', firing and
// resolving, keep_firing_for, a counter rule over its window, severities, notifications per
// service group (group_wait, repeat_interval, group_interval) and Alertmanager's direct page.
// Driven tick by tick on samples the test writes into a Telemetry, with the pods part for the
// counters' last change and a fake of the log and the on-call.
#include "sim/alerting.hpp"

#include <catch2/catch.hpp>
#include <cmath>
#include <deque>
#include <initializer_list>
#include <limits>
#include <string>
#include <utility>
#include <vector>

#include "cluster_fixtures.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace alerting_test {

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;

namespace {

constexpr Duration kScrape = 15s;
constexpr float kHighError = 0.2f, kLowError = 0.001f;

/// The log and the pages, with the service names of `spec`.
struct FakeEnv final : Alerting::Env, Pods::Env {
  const ClusterSpec& spec;
  std::deque<TimelineEvent> log;
  std::vector<std::pair<TimePoint, std::string>> pages;  // when, which service
  TimePoint now{};
  explicit FakeEnv(const ClusterSpec& s) : spec(s) {}
  TimelineEvent& log_at(EventKind kind, std::size_t svc, std::string name,
                        std::string detail) override {
    return append_event(log, now, kind, spec.services[svc].name, std::move(name),
                        std::move(detail));
  }
  void page(std::size_t svc, const std::string&) override {
    pages.emplace_back(now, spec.services[svc].name);
  }
  void good_release_rolled_out(std::size_t, const model::Release&) override {}
  /// Times of `kind` events of rule `name`.
  std::vector<TimePoint> times(EventKind kind, const std::string& name) const {
    std::vector<TimePoint> out;
    for (const auto& e : log)
      if (e.kind == kind && e.name == name) out.push_back(e.time);
    return out;
  }
};

AlertRuleSpec rule(std::string name, engine::SignalName signal, double threshold,
                   Duration for_ = 0s) {
  AlertRuleSpec r;
  r.name = std::move(name);
  r.signal = signal;
  r.threshold = threshold;
  r.for_ = for_;
  return r;
}

/// Services "api" and "pay" (critical) with only `rules`.
ClusterSpec cluster(std::vector<AlertRuleSpec> rules) {
  ClusterSpec c;
  ServiceSpec api = service_defaults(ServiceKind::kApi);
  api.name = "api";
  ServiceSpec pay = api;
  pay.name = "pay";
  pay.critical = true;
  c.services = {api, pay};
  c.default_rules = false;
  c.alert_rules = std::move(rules);
  return c;
}

/// Alerting over a Telemetry of 10 minutes and the spec's pods.
struct Rig {
  ClusterSpec spec;
  FakeEnv env{spec};
  Timeline tl;
  Telemetry telemetry{tl, kScrape, false};
  Pods pods{spec, env};
  Alerting alerting{spec, telemetry, pods, env};
  std::vector<engine::Incident> sent;
  explicit Rig(ClusterSpec s) : spec(std::move(s)) {
    pods.build(spec.start);
    telemetry.build(spec.services.size(), 10min, model::kMinSeriesPoints);
    alerting.build();
  }
  /// The tick at start + `at`: every service's sample from `fill(svc, sample)`, the rules,
  /// then the groups due; returns the notifications sent.
  template <class Fill>
  std::vector<engine::Incident> tick(Duration at, Fill&& fill) {
    const TimePoint now = spec.start + at;
    env.now = now;
    telemetry.advance();
    for (std::size_t i = 0; i < spec.services.size(); ++i) {
      model::Sample& s = telemetry.latest(i);
      s = model::Sample{};
      s.err = kLowError;
      fill(i, s);
      alerting.evaluate(i, now);
    }
    alerting.flush(now, true);
    return alerting.take_notifications();
  }
  /// Ticks every scrape in [from, to] with `err(t)` for every service.
  template <class Err>
  void run(Duration from, Duration to, Err&& err) {
    for (Duration at = from; at <= to; at += kScrape) {
      auto out = tick(at, [&](std::size_t, model::Sample& s) { s.err = err(at); });
      sent.insert(sent.end(), out.begin(), out.end());
    }
  }
};

}  // namespace

TEST_CASE("a threshold rule is pending for its duration, fires and resolves", "[sim][alerting]") {
  Rig r{cluster({rule("HighErrorRate", engine::SignalName::kErrorRate, 0.05, 1min)})};
  // High at 0-30 s (pending, reset at 45 s), high again from 60 s: fires a minute later.
  r.run(0s, 300s, [](Duration at) {
    return (at <= 30s || (at >= 60s && at < 180s)) ? kHighError : kLowError;
  });
  const TimePoint t0 = r.spec.start;
  CHECK(r.env.times(EventKind::kAlertFiring, "HighErrorRate") ==
        std::vector<TimePoint>{t0 + 120s, t0 + 120s});  // api and pay
  CHECK(r.env.times(EventKind::kAlertResolved, "HighErrorRate") ==
        std::vector<TimePoint>{t0 + 180s, t0 + 180s});
}

TEST_CASE("keep_firing_for holds an alert until the condition has been false that long",
          "[sim][alerting]") {
  AlertRuleSpec hr = rule("HighErrorRate", engine::SignalName::kErrorRate, 0.05);
  hr.keep_firing_for = 30s;
  Rig r{cluster({hr})};
  // High at 0 s, low at 15-30 s (held), high at 45 s, low from 60 s: resolved at 90 s.
  r.run(0s, 150s, [](Duration at) { return (at == 0s || at == 45s) ? kHighError : kLowError; });
  const TimePoint t0 = r.spec.start;
  CHECK(r.env.times(EventKind::kAlertFiring, "HighErrorRate") == std::vector<TimePoint>{t0, t0});
  CHECK(r.env.times(EventKind::kAlertResolved, "HighErrorRate") ==
        std::vector<TimePoint>{t0 + 90s, t0 + 90s});
}

TEST_CASE("a counter rule fires on an increase within its window", "[sim][alerting]") {
  AlertRuleSpec restarts = rule("PodCrashLooping", engine::SignalName::kRestarts, 0.0);
  restarts.window = 1min;  // 4 ticks
  ClusterSpec spec = cluster({restarts});
  ReleaseSpec crash;
  crash.bad = true;
  crash.crash_loop = true;
  crash.crash_after = 20s;
  spec.services[0].releases = {crash};
  Rig r{spec};
  // api's container dies at 20 s (the pods part, refreshed up to 30 s), once.
  for (Duration at = 0s; at <= 180s; at += kScrape) {
    if (at <= 30s) r.pods.refresh(0, r.spec.start + at, kScrape, 0.0);
    r.tick(at,
           [&](std::size_t svc, model::Sample& s) { s.cum_restarts = r.pods[svc].cum_restarts; });
  }
  REQUIRE(r.pods[0].last_restart == r.spec.start + 20s);
  const TimePoint t0 = r.spec.start;
  CHECK(r.env.times(EventKind::kAlertFiring, "PodCrashLooping") ==
        std::vector<TimePoint>{t0 + 30s});
  // The restart leaves the 1-minute window at 80 s: resolved on the next tick.
  CHECK(r.env.times(EventKind::kAlertResolved, "PodCrashLooping") ==
        std::vector<TimePoint>{t0 + 90s});
}

TEST_CASE("notifications go out per service group with their severities", "[sim][alerting]") {
  AlertRuleSpec err = rule("HighErrorRate", engine::SignalName::kErrorRate, 0.05);
  err.labels["severity"] = "warning";
  AlertRuleSpec lat = rule("HighLatency", engine::SignalName::kLatencyP99, 500);
  lat.labels["severity"] = "page";
  Rig r{cluster({err, lat})};
  const auto fill = [](Duration at) {
    return [at](std::size_t svc, model::Sample& s) {
      if (at < 165s) {
        s.err = kHighError;
        if (svc == 0) s.p99 = 900;  // api is slow too
      }
    };
  };
  for (Duration at = 0s; at < 30s; at += kScrape)
    CHECK(r.tick(at, fill(at)).empty());  // group_wait
  std::vector<engine::Incident> first = r.tick(30s, fill(30s));
  REQUIRE(first.size() == 3);
  CHECK(first[0].alertname == "HighErrorRate");
  CHECK(first[0].labels.at("severity") == "warning");
  CHECK(first[1].alertname == "HighLatency");
  CHECK(first[1].labels.at("severity") == "page");
  CHECK(first[0].group_key == first[1].group_key);
  CHECK(first[2].target.name == "pay");
  CHECK(first[2].labels.at("severity") == "critical");  // a critical service's alerts
  CHECK(first[2].group_key != first[0].group_key);
  CHECK(first[2].started_at == r.spec.start);
  CHECK_FALSE(first[2].resolved);
  std::vector<TimePoint> sent_at;
  std::vector<engine::Incident> last;
  for (Duration at = 45s; at <= 300s; at += kScrape) {
    auto out = r.tick(at, fill(at));
    if (!out.empty()) {
      sent_at.push_back(r.spec.start + at);
      last = out;
    }
  }
  // Repeated at 150 s (repeat_interval); resolved at 165 s, sent a group_interval after.
  CHECK(sent_at == std::vector<TimePoint>{r.spec.start + 150s, r.spec.start + 210s});
  REQUIRE(last.size() == 3);
  for (const auto& i : last)
    CHECK(i.resolved);
}

TEST_CASE("a critical alert pages directly once it has fired longer than direct_page_after",
          "[sim][alerting]") {
  ClusterSpec spec = cluster({rule("HighErrorRate", engine::SignalName::kErrorRate, 0.05)});
  spec.oncall.direct_page_after = 1min;
  Rig r{spec};
  r.run(0s, 300s, [](Duration) { return kHighError; });
  // Firing from 0 s, a scrape counted per tick: 75 s > 1 min at the 60 s tick; pay only.
  using Page = std::pair<TimePoint, std::string>;
  CHECK(r.env.pages == std::vector<Page>{{r.spec.start + 60s, "pay"}});
  CHECK(r.env.times(EventKind::kPage, "HighErrorRate") ==
        std::vector<TimePoint>{r.spec.start + 60s});

  Rig quiet{cluster({rule("HighErrorRate", engine::SignalName::kErrorRate, 0.05)})};
  quiet.run(0s, 300s, [](Duration) { return kHighError; });
  CHECK(quiet.env.pages.empty());  // direct pages off by default
}

TEST_CASE("a re-sent notification describes the alert's value at its sending", "[sim][alerting]") {
  Rig r{cluster({rule("HighErrorRate", engine::SignalName::kErrorRate, 0.05)})};
  constexpr float kHigher = 0.4f;
  std::vector<engine::Incident> api;  // api's notifications, in order
  for (Duration at = 0s; at <= 150s; at += kScrape) {
    const float err = at < 100s ? kHighError : kHigher;
    for (auto& i : r.tick(at, [err](std::size_t, model::Sample& s) { s.err = err; }))
      if (i.target.name == "api") api.push_back(i);
  }
  // Sent at 30 s (group_wait) and again at 150 s (repeat_interval), the value changed between.
  REQUIRE(api.size() == 2);
  const std::string first = model::fmt(kHighError), second = model::fmt(kHigher);
  CHECK(api[0].annotations.at("value") == model::fmt(kHighError, 6));
  CHECK(api[1].annotations.at("value") == model::fmt(kHigher, 6));
  CHECK(api[0].annotations.at("summary").find("error_rate " + first + " ") == 0);
  CHECK(api[1].annotations.at("summary").find("error_rate " + second + " ") == 0);
  CHECK(api[1].annotations.at("summary").find(" on ") != std::string::npos);
}

TEST_CASE("a rule fires exactly at its threshold for >= and <=, not for > and <",
          "[sim][alerting]") {
  // The quiet pre-check folds >= into > of the next double below the threshold: the value
  // at the threshold, one double either side of it, and a rule >= -inf (never quiet).
  constexpr float kAt = 0.25f;
  const double at = kAt;
  auto op_rule = [](std::string name, CompareOp op, double threshold) {
    AlertRuleSpec r = rule(std::move(name), engine::SignalName::kErrorRate, threshold);
    r.op = op;
    return r;
  };
  const float below = std::nextafter(kAt, 0.0f), above = std::nextafter(kAt, 1.0f);
  Rig r{cluster({op_rule("Gt", CompareOp::kGt, at), op_rule("Ge", CompareOp::kGe, at),
                 op_rule("Lt", CompareOp::kLt, at), op_rule("Le", CompareOp::kLe, at)})};
  // Alone: a rule >= -inf turns the quiet pre-check off for every rule.
  Rig inf{
      cluster({op_rule("GeMinusInf", CompareOp::kGe, -std::numeric_limits<double>::infinity())})};
  // 0 s: at the threshold; 15 s: just below; 30 s: just above.
  auto err = [&](Duration t) { return t == 0s ? kAt : t == 15s ? below : above; };
  r.run(0s, 30s, err);
  // -inf >= -inf holds (> of any double below -inf cannot say so).
  inf.run(0s, 0s, [](Duration) { return -std::numeric_limits<float>::infinity(); });
  const TimePoint t0 = r.spec.start;
  auto twice = [&](std::initializer_list<Duration> at) {  // api's and pay's events
    std::vector<TimePoint> out;
    for (const Duration d : at)
      out.insert(out.end(), 2, t0 + d);
    return out;
  };
  CHECK(r.env.times(EventKind::kAlertFiring, "Gt") == twice({30s}));
  CHECK(r.env.times(EventKind::kAlertFiring, "Ge") == twice({0s, 30s}));
  CHECK(r.env.times(EventKind::kAlertResolved, "Ge") == twice({15s}));
  CHECK(r.env.times(EventKind::kAlertFiring, "Lt") == twice({15s}));
  CHECK(r.env.times(EventKind::kAlertResolved, "Lt") == twice({30s}));
  CHECK(r.env.times(EventKind::kAlertFiring, "Le") == twice({0s}));
  CHECK(r.env.times(EventKind::kAlertResolved, "Le") == twice({30s}));
  CHECK(inf.env.times(EventKind::kAlertFiring, "GeMinusInf") == twice({0s}));
}

}  // namespace alerting_test
