// World::copy (sim/world.hpp): a copy made between two events has exactly the original's
// future. For library scenarios' clusters and the bench's 200-service fleet, no engine
// attached: a world run to T1 (faults active, pages and approvals waiting for the on-call,
// actions in flight), copied, and both run to T2 give the timeline of a world run straight
// to T2; so does a copy of a copy; running a copy leaves the original alone.
#include <algorithm>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

#include "bench/sim/synthetic_cluster.hpp"
#include "cluster_fixtures.hpp"
#include "scenario/scenario.hpp"
#include "sim/world.hpp"

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;
using engine::ActionKind;

namespace {

/// The first line where two dumps differ, with its number ("" when equal): a readable
/// failure instead of two whole timelines.
std::string first_difference(const std::string& a, const std::string& b) {
  std::size_t line = 1, i = 0;
  while (i < a.size() && i < b.size() && a[i] == b[i]) {
    if (a[i] == '\n') ++line;
    ++i;
  }
  if (i == a.size() && i == b.size()) return "";
  auto line_at = [&](const std::string& s) {
    const std::size_t from = s.rfind('\n', i == 0 ? 0 : i - 1);
    const std::size_t begin = from == std::string::npos || i == 0 ? 0 : from + 1;
    return s.substr(begin, s.find('\n', i) - begin);
  };
  return "line " + std::to_string(line) + ": '" + line_at(a) + "' vs '" + line_at(b) + "'";
}

/// Everything observable of a world: its timeline and every service's snapshot, and its
/// Prometheus samples when it publishes them.
std::string dump_world(World& w) {
  std::string out = dump_timeline(w.timeline());
  out += std::to_string(w.ticks()) + ' ' + std::to_string(w.simulation().dispatched()) + ' ' +
         std::to_string(w.simulation().pending()) + '\n';
  for (const auto& s : w.spec().services) {
    const ServiceSnapshot v = w.snapshot(s.name);
    out += v.name + ' ' + std::to_string(v.ready) + ' ' + std::to_string(v.pending) + ' ' +
           std::to_string(v.crashloop) + ' ' + std::to_string(v.restarts) + ' ' +
           std::to_string(v.revision) + ' ' + v.version + ' ' + std::to_string(v.request_rate) +
           ' ' + std::to_string(v.max_memory_mb) + '\n';
  }
  std::vector<PromPoint> points;
  for (std::size_t i = 0; i < w.prom_series().size(); ++i) {
    points.clear();
    w.prom_samples(i, w.start(), w.now(), points);
    for (const auto& p : points)
      out += std::to_string(core::to_unix_ms(p.t)) + ' ' + std::to_string(p.v) + ' ';
    out += '\n';
  }
  return out;
}

/// What a test does to a world at instants of its run (the same in every world compared).
struct Prod {
  Duration at;
  std::function<void(World&)> act;
};

/// Runs `w` to `until`, applying the prods due on the way (each at its instant).
void run_with(World& w, TimePoint until, const std::vector<Prod>& prods) {
  for (const auto& p : prods) {
    const TimePoint t = w.start() + p.at;
    if (t <= w.now() || t > until) continue;
    w.run_until(t);
    p.act(w);
  }
  w.run_until(until);
}

/// A world run to each of `copies_at`, copied there, and the copies (and a copy of each
/// copy) run to `end`: all give the timeline of the world run straight to `end`, and the
/// original is the same after the copies ran.
void check_copies(const ClusterSpec& spec, std::uint64_t seed, const WorldOptions& opts,
                  const std::vector<Duration>& copies_at, Duration end,
                  const std::vector<Prod>& prods = {}) {
  World straight{spec, seed, opts};
  run_with(straight, straight.start() + end, prods);
  const std::string expected = dump_world(straight);

  World w{spec, seed, opts};
  for (const Duration t1 : copies_at) {
    INFO("copied at +" << std::chrono::duration_cast<std::chrono::minutes>(t1).count() << " min");
    run_with(w, w.start() + t1, prods);
    const std::string before = dump_world(w);
    std::unique_ptr<World> copy = w.copy();
    CHECK(first_difference(dump_world(*copy), before).empty());
    std::unique_ptr<World> copy_of_copy = copy->copy();
    run_with(*copy, w.start() + end, prods);
    CHECK(first_difference(dump_world(*copy), expected).empty());
    CHECK(first_difference(dump_world(w), before).empty());  // the copy left it alone
    run_with(*copy_of_copy, w.start() + end, prods);
    CHECK(first_difference(dump_world(*copy_of_copy), expected).empty());
  }
  run_with(w, w.start() + end, prods);
  CHECK(first_difference(dump_world(w), expected).empty());
}

ClusterSpec library_cluster(const std::string& file) {
  auto l = scenario::load_scenario_file(file);
  REQUIRE(l.scenario);
  ClusterSpec c = l.scenario->cluster;
  // No engine: the on-call is paged by Alertmanager itself, so pages wait for an answer.
  c.oncall.direct_page_after = std::chrono::minutes{5};
  return c;
}

/// Every 23 minutes over `span`: instants inside faults, between a page and its answer,
/// during rollouts, on and off a tick.
std::vector<Duration> every_23_min(Duration span) {
  std::vector<Duration> out;
  for (Duration t = std::chrono::minutes{7}; t < span; t += std::chrono::minutes{23})
    out.push_back(t);
  return out;
}

/// Hears nothing: what the actions below report to (stateless, so shared by every copy).
struct Deaf final : engine::Callbacks {
  void on_timer(std::uint64_t) override {}
  void on_action_done(std::uint64_t, engine::ActionResult) override {}
};
Deaf deaf;

/// An action through the Actuator port: it waits on the model across copies.
Prod action_at(Duration at, std::string service, ActionKind kind, std::uint64_t id) {
  return {at, [service, kind, id](World& w) {
            engine::ActionRequest r;
            r.id = id;
            r.target = {w.spec().ns, service};
            r.action = action(kind);
            w.context().actuator.execute(r, deaf);
          }};
}

/// An approval request to the on-call (answered after the response time).
Prod approval_at(Duration at, std::string service, std::uint64_t id) {
  return {at, [service, id](World& w) {
            engine::Escalation e;
            e.incident = "approval-" + std::to_string(id);
            e.target = {w.spec().ns, service};
            e.channel = "pagerduty";
            e.summary = "may I?";
            e.suggested_action = action(ActionKind::kRollback);
            e.approval_id = id;
            w.context().notifier.escalate(e);
          }};
}

}  // namespace

TEST_CASE("a copied world has the original's future: library scenarios' clusters",
          "[sim][world][copy]") {
  struct Case {
    const char* file;
    std::string actions_on;  // a service to restart and ask approval for
  };
  for (const Case& c :
       {Case{"scenarios/mixed-day.yaml", "checkout-api"},
        Case{"scenarios/flapping-upstream.yaml", ""}, Case{"scenarios/db-outage-naive.yaml", ""},
        Case{"scenarios/fast-leak-recurring.yaml", ""},
        Case{"scenarios/campaign-underprovisioned.yaml", ""}}) {
    INFO(c.file);
    const ClusterSpec spec = library_cluster(c.file);
    const std::string target = c.actions_on.empty() ? spec.services.front().name : c.actions_on;
    // At copy instants (every_23_min: 7, 30, 53, 76, 99, ...), each in flight as the copy
    // is made: an approval waiting for its answer, a rollout waiting on the model, a failed
    // action's completion due, a duplicate request id.
    const std::vector<Prod> prods{
        approval_at(std::chrono::minutes{52}, target, 77),
        action_at(std::chrono::minutes{53}, target, ActionKind::kRestart, 901),
        action_at(std::chrono::minutes{76}, "no-such-service", ActionKind::kRestart, 902),
        action_at(std::chrono::minutes{100}, target, ActionKind::kRestart, 901)};
    check_copies(spec, 7, {}, every_23_min(std::chrono::hours{4}), std::chrono::hours{4}, prods);
  }
}

TEST_CASE("a copied world has the original's future: Prometheus series and tick threads",
          "[sim][world][copy]") {
  const ClusterSpec spec = library_cluster("scenarios/mixed-day.yaml");
  WorldOptions prom;
  prom.prometheus_series = true;
  prom.telemetry_retention = std::chrono::minutes{30};
  prom.series_max_points = 40;  // chart buckets of several ticks: one is open at each copy
  check_copies(spec, 3, prom, {std::chrono::minutes{40}, std::chrono::minutes{95}},
               std::chrono::hours{2});
  // Two tick threads in every world: the copy starts its own.
  WorldOptions two;
  two.threads = 2;
  check_copies(spec, 3, two, {std::chrono::minutes{40}}, std::chrono::hours{2});
  // One pod slot to spare in the cluster: restarts wait for slots across the copy.
  ClusterSpec tight = spec;
  int pods = 0;
  for (const auto& s : tight.services)
    pods += s.replicas;
  tight.capacity_pods = pods + 1;
  check_copies(tight, 3, {}, every_23_min(std::chrono::hours{2}), std::chrono::hours{2},
               {action_at(std::chrono::minutes{53}, "checkout-api", ActionKind::kRestart, 1),
                action_at(std::chrono::minutes{53}, "edge-gateway", ActionKind::kRestart, 2)});
}

TEST_CASE("a copied world has the original's future: the bench's 200-service fleet",
          "[sim][world][copy]") {
  const ClusterSpec spec = bench::synthetic_cluster(200, 1, 42);
  check_copies(spec, 42, {}, {std::chrono::minutes{150}, std::chrono::minutes{200}},
               std::chrono::hours{4});
}

TEST_CASE("a copy without chart series evolves as a world that never kept them",
          "[sim][world][copy]") {
  const ClusterSpec spec = library_cluster("scenarios/mixed-day.yaml");
  WorldOptions none;
  none.record_series = false;
  World straight{spec, 3, none};
  straight.run_until(straight.start() + std::chrono::hours{5});
  World w{spec, 3};
  w.run_until(w.start() + std::chrono::minutes{200});
  const std::string before = dump_world(w);
  std::unique_ptr<World> copy = w.copy(CopyOptions{.chart_series = false});
  for (const auto& s : copy->timeline().services)
    CHECK(s.points.empty());
  copy->run_until(copy->start() + std::chrono::hours{5});
  CHECK(first_difference(dump_world(*copy), dump_world(straight)).empty());
  CHECK(first_difference(dump_world(w), before).empty());
  CHECK(!w.timeline().services.front().points.empty());
}

TEST_CASE("a copy without the events long past evolves as the whole copy", "[sim][world][copy]") {
  const ClusterSpec spec = library_cluster("scenarios/mixed-day.yaml");
  WorldOptions none;
  none.record_series = false;
  const TimePoint end_at = World{spec, 3, none}.start() + std::chrono::hours{5};
  World straight{spec, 3, none};
  straight.run_until(end_at);
  // Copied during recovery holds (the recovery is then written back-dated, before the copy
  // instant) and at a few plain instants.
  std::vector<TimePoint> at;
  for (const auto& e : straight.timeline().events)
    if (e.kind == EventKind::kRecovered) at.push_back(e.time + std::chrono::minutes{1});
  REQUIRE_FALSE(at.empty());
  for (int m : {17, 95, 211})
    at.push_back(straight.start() + std::chrono::minutes{m});
  std::size_t dropped = 0;  // events the copies left out, in all
  for (const TimePoint t : at) {
    INFO("copied at +"
         << std::chrono::duration_cast<std::chrono::seconds>(t - straight.start()).count() << " s");
    World w{spec, 3, none};
    w.run_until(t);
    std::unique_ptr<World> copy = w.copy(CopyOptions{.chart_series = false, .past_events = false});
    copy->run_until(end_at);
    // The straight run's events, less what the copy leaves out.
    const TimePoint cutoff = t - none.recovery_hold - spec.scrape_interval;
    Timeline expected = straight.timeline();
    std::erase_if(expected.events, [&](const TimelineEvent& e) {
      return e.time < cutoff && e.kind != EventKind::kAlertFiring &&
             e.kind != EventKind::kAlertResolved;
    });
    dropped += straight.timeline().events.size() - expected.events.size();
    CHECK(first_difference(dump_timeline(copy->timeline()), dump_timeline(expected)).empty());
    for (const auto& s : spec.services) {
      CHECK(copy->snapshot(s.name).restarts == straight.snapshot(s.name).restarts);
      CHECK(copy->snapshot(s.name).request_rate == straight.snapshot(s.name).request_rate);
    }
  }
  CHECK(dropped > 0);
}

TEST_CASE("a copied on-call remembers the incidents it took over", "[sim][world][copy]") {
  ClusterSpec spec = leaking_cluster();
  spec.oncall.direct_page_after = std::chrono::minutes{5};
  World probe{spec, 1};
  probe.run_until(probe.start() + std::chrono::hours{3});
  const auto& events = probe.timeline().events;
  const auto ack = std::find_if(events.begin(), events.end(), [](const TimelineEvent& e) {
    return e.kind == EventKind::kOnCallAck;
  });
  REQUIRE(ack != events.end());
  // A page after the on-call took the incident over reaches nobody new (no second ack).
  const Duration after = ack->time - probe.start() + std::chrono::minutes{1};
  const Prod page{after + std::chrono::minutes{1}, [](World& w) {
                    engine::Escalation e;
                    e.incident = "again";
                    e.target = {w.spec().ns, "payment-api"};
                    e.channel = "pagerduty";
                    e.summary = "still leaking";
                    w.context().notifier.escalate(e);
                  }};
  check_copies(spec, 1, {}, {after}, std::chrono::hours{3}, {page});
}

TEST_CASE("a copy between two events: just before the n-th event", "[sim][world][copy]") {
  const ClusterSpec spec = library_cluster("scenarios/db-outage-naive.yaml");
  World straight{spec, 5};
  straight.run_until(straight.start() + std::chrono::hours{2});
  World w{spec, 5};
  w.run_until_dispatched(41);
  CHECK(w.simulation().dispatched() == 41);
  std::unique_ptr<World> copy = w.copy();
  copy->run_until(copy->start() + std::chrono::hours{2});
  CHECK(first_difference(dump_world(*copy), dump_world(straight)).empty());
}

namespace {
/// Records what an engine would hear: timer tokens and action results.
struct Ear final : engine::Callbacks {
  std::vector<std::uint64_t> timers;
  std::vector<std::pair<std::uint64_t, bool>> done;  // request id, ok
  void on_timer(std::uint64_t token) override { timers.push_back(token); }
  void on_action_done(std::uint64_t id, engine::ActionResult r) override {
    done.emplace_back(id, r.ok);
  }
};
}  // namespace

TEST_CASE(
    "a world copy keeps the engine's state store, timers and results owed, rebind "
    "addresses them to the copy's engine, closures refuse it",
    "[sim][world][copy]") {
  World w{payments_cluster(), 1};
  w.run_until(w.start() + std::chrono::minutes{3});
  w.context().state.set_kill_switch(true);
  CHECK(w.copy()->context().state.kill_switch());

  // An engine timer and an engine's action in flight are data: they copy.
  Ear original;
  w.context().scheduler.after(std::chrono::minutes{1}, original, 7);
  engine::ActionRequest r;
  r.id = 11;
  r.target = {w.spec().ns, "payment-api"};
  r.action = action(ActionKind::kRestart);
  w.context().actuator.execute(r, original);
  std::unique_ptr<World> copy = w.copy();
  Ear copied;
  copy->rebind(original, copied);
  copy->run_until(w.start() + std::chrono::minutes{30});
  CHECK(copied.timers == std::vector<std::uint64_t>{7});
  REQUIRE(copied.done.size() == 1);
  CHECK(copied.done[0].first == 11);
  CHECK(original.timers.empty());  // the copy owes the original's engine nothing
  CHECK(original.done.empty());
  w.run_until(w.start() + std::chrono::minutes{30});
  CHECK(original.timers == copied.timers);
  CHECK(original.done == copied.done);
  // A forgotten receiver is owed nothing, in the original as in a copy.
  w.context().actuator.execute(r, original);  // a duplicate id: logged, ignored
  r.id = 12;
  w.context().actuator.execute(r, original);
  w.context().actuator.forget(original);
  w.run_until(w.start() + std::chrono::minutes{60});
  CHECK(original.done.size() == 1);

  // A closure on the kernel may point into the model: the copy is refused until it ran.
  w.simulation().after(std::chrono::minutes{1}, [] {});
  CHECK_THROWS_AS(w.copy(), std::logic_error);
  w.run_until(w.start() + std::chrono::minutes{65});
  CHECK_NOTHROW(w.copy());
}
