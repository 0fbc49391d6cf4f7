// Detection, notification, the on-call responder, the other ports, determinism and the
// timeline's bounded memory.
#include <catch2/catch.hpp>
#include <string>
#include <vector>

#include "cluster_fixtures.hpp"
#include "sim/world.hpp"

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;
using engine::ActionKind;

namespace {

ClusterSpec outage_cluster() {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kDependencyOutage, "payments-db", 10min, 45min));
  return c;
}

}  // namespace

TEST_CASE("alerts reach the incident sink grouped per service, repeated, resolved once",
          "[sim][world][detection]") {
  World w{outage_cluster(), 7};
  std::vector<std::pair<TimePoint, engine::Incident>> got;
  w.set_incident_sink([&](const engine::Incident& i) { got.emplace_back(w.now(), i); });
  w.run_until(w.start() + 70min);
  std::vector<std::pair<TimePoint, engine::Incident>> api;
  for (const auto& g : got) {
    if (g.second.target.name == "payment-api" && g.second.alertname == "HighErrorRate") {
      api.push_back(g);
    }
  }
  REQUIRE(api.size() >= 20);
  const engine::Incident& first = api.front().second;
  CHECK_FALSE(first.resolved);
  CHECK(first.target == engine::ServiceRef{"prod", "payment-api"});
  CHECK(first.group_key == "{}:{namespace=\"prod\", service=\"payment-api\"}");
  CHECK(first.labels.at("severity") == "critical");  // payment-api is critical
  CHECK(first.labels.at("alertname") == "HighErrorRate");
  CHECK(first.fingerprint.size() == 16);
  // Fires one scrape after the DB (it sees the DB's errors a tick later), after `for: 1m`;
  // delivered after group_wait.
  CHECK(first.started_at == w.start() + 11min + 15s);
  CHECK(api.front().first == w.start() + 11min + 45s);
  int resolved = 0;
  for (std::size_t k = 0; k < api.size(); ++k) {
    CHECK(api[k].second.fingerprint == first.fingerprint);
    if (api[k].second.resolved) {
      ++resolved;
      CHECK(k + 1 == api.size());  // nothing after the resolved notification
      CHECK(api[k].first >= w.start() + 55min);
    } else if (k > 0) {
      CHECK(api[k].first - api[k - 1].first <= 2min);  // repeat_interval
      CHECK(api[k].first - api[k - 1].first >= 1min);  // group_interval
      CHECK(api[k].second.started_at == first.started_at);
    }
  }
  CHECK(resolved == 1);
  CHECK(count_events(w.timeline(), EventKind::kIncidentDelivered) == static_cast<int>(got.size()));
}

TEST_CASE("the seed's restart loop arises from the mechanics of a DB outage",
          "[sim][world][detection][seed]") {
  // A naive policy with no dependency pre-check: restart payment-api on every HighErrorRate
  // notification, at most once per 3-minute cooldown.
  engine::FunctionCallbacks ignored;
  World w{outage_cluster(), 7};
  std::optional<TimePoint> last;
  std::uint64_t id = 0;
  w.set_incident_sink([&](const engine::Incident& i) {
    if (i.resolved || i.alertname != "HighErrorRate" || i.target.name != "payment-api") return;
    if (last && w.now() - *last < 3min) return;
    last = w.now();
    engine::ActionRequest r;
    r.id = ++id;
    r.target = i.target;
    r.action.kind = ActionKind::kRestart;
    w.context().actuator.execute(r, ignored);
  });
  w.run_until(w.start() + 90min);
  const int restarts = count_events(w.timeline(), EventKind::kActionStarted, "payment-api");
  CHECK(restarts >= 10);
  CHECK(restarts <= 13);
  // None of them helped: the incident recovered only when the database came back.
  const IncidentRecord* rec = w.timeline().incident("dependency-outage-payments-db");
  REQUIRE(rec->recovered);
  CHECK(*rec->recovered >= w.start() + 55min);
}

TEST_CASE("the on-call is paged directly, acknowledges after the response time, rolls back",
          "[sim][world][oncall]") {
  ClusterSpec c = payments_cluster();
  c.start += 10h;  // business hours
  c.oncall.direct_page_after = 0s;
  c.oncall.night_response_time = 30min;
  c.faults.push_back(fault(FaultKind::kBadDeploy, "payment-api", 10min));
  World w{c, 7};
  w.run_until(w.start() + 90min);
  const Timeline& t = w.timeline();
  const auto* page = first_event(t, EventKind::kPage, "payment-api");
  const auto* ack = first_event(t, EventKind::kOnCallAck);
  const auto* fix = first_event(t, EventKind::kOnCallFix);
  REQUIRE(page != nullptr);
  REQUIRE(ack != nullptr);
  REQUIRE(fix != nullptr);
  CHECK_FALSE(page->automated);
  CHECK(ack->time - page->time == 15min);
  CHECK(ack->incident == "bad-deploy-payment-api");
  CHECK(fix->name == "rollback");
  const auto* human = first_event(t, EventKind::kActionStarted, "payment-api", "rollback");
  REQUIRE(human != nullptr);
  CHECK_FALSE(human->automated);
  CHECK(w.snapshot("payment-api").revision == 3);
  const IncidentRecord* rec = t.incident("bad-deploy-payment-api");
  REQUIRE(rec->recovered);
  CHECK(*rec->recovered - rec->start > 15min);
  CHECK(*rec->recovered - rec->start < 25min);
}

TEST_CASE("the on-call answers slower at night", "[sim][world][oncall]") {
  ClusterSpec c = payments_cluster();
  c.start += 2h;  // 02:00 UTC on a Monday
  c.oncall.direct_page_after = 0s;
  c.oncall.night_response_time = 30min;
  c.faults.push_back(fault(FaultKind::kBadDeploy, "payment-api", 10min));
  World w{c, 7};
  w.run_until(w.start() + 2h);
  const auto* page = first_event(w.timeline(), EventKind::kPage, "payment-api");
  const auto* ack = first_event(w.timeline(), EventKind::kOnCallAck);
  REQUIRE(page != nullptr);
  REQUIRE(ack != nullptr);
  CHECK(ack->time - page->time == 30min);
}

TEST_CASE("paged about a DB outage, the on-call waits for the upstream", "[sim][world][oncall]") {
  World w{outage_cluster(), 7};
  w.run_until(w.start() + 15min);
  engine::Escalation e;
  e.incident = "abc";
  e.target = {"prod", "payment-api"};
  e.channel = "pagerduty-p1";
  e.reason = engine::Outcome::kDependencyFailure;
  e.summary = "payments-db unhealthy";
  w.context().notifier.escalate(e);
  w.run_until(w.start() + 45min);
  const auto* page = first_event(w.timeline(), EventKind::kPage, "payment-api");
  REQUIRE(page != nullptr);
  CHECK(page->automated);
  CHECK(page->name == "dependency-failure");
  CHECK(page->incident == "dependency-outage-payments-db");
  const auto* fix = first_event(w.timeline(), EventKind::kOnCallFix);
  REQUIRE(fix != nullptr);
  CHECK(fix->time == w.start() + 30min);
  CHECK(fix->name == "wait");
  CHECK(fix->detail == "wait for payments-db to recover");
  CHECK(count_events(w.timeline(), EventKind::kActionStarted) == 0);
}

TEST_CASE("the on-call answers approval requests from the ground truth", "[sim][world][oncall]") {
  ClusterSpec c = payments_cluster();
  PlannedEventSpec p;
  p.name = "spring-campaign";
  p.kind = PlannedKind::kMarketingCampaign;
  p.service = "payment-api";
  p.start = 10min;
  p.end = 3h;
  p.traffic_multiplier = 2;
  c.planned.push_back(p);
  c.faults.push_back(fault(FaultKind::kBadDeploy, "payments-db", 20min));
  World w{c, 7};
  std::vector<std::pair<std::uint64_t, bool>> answers;
  w.set_approval_handler([&](std::uint64_t id, bool ok) { answers.emplace_back(id, ok); });
  w.run_until(w.start() + 30min);
  engine::Escalation scale;
  scale.target = {"prod", "payment-api"};
  scale.reason = engine::Outcome::kApprovalRequired;
  scale.approval_id = 9;
  scale.suggested_action = action(ActionKind::kScale);
  w.context().notifier.escalate(scale);
  engine::Escalation rollback;
  rollback.target = {"prod", "payments-db"};
  rollback.reason = engine::Outcome::kApprovalRequired;
  rollback.approval_id = 10;
  rollback.suggested_action = action(ActionKind::kRollback);
  w.context().notifier.escalate(rollback);
  w.run_until(w.start() + 44min);
  CHECK(answers.empty());
  w.run_until(w.start() + 46min);
  REQUIRE(answers.size() == 2);
  CHECK(answers[0] == std::pair<std::uint64_t, bool>{9, false});
  CHECK(answers[1] == std::pair<std::uint64_t, bool>{10, true});
  const auto* denied = first_event(w.timeline(), EventKind::kApprovalAnswer, "payment-api");
  REQUIRE(denied != nullptr);
  CHECK(denied->detail.find("scale-out for a planned campaign") != std::string::npos);
}

TEST_CASE("audit records land in the timeline and link actions to incidents",
          "[sim][world][ports]") {
  World w{outage_cluster(), 7};
  w.run_until(w.start() + 20min);
  engine::AuditRecord r;
  r.kind = engine::AuditKind::kDecision;
  r.incident = "fp-1";
  r.target = {"prod", "payment-api"};
  r.outcome = engine::Outcome::kExecuted;
  r.reason = "restart";
  w.context().audit.record(r);
  const auto probe = act(w, "payment-api", action(ActionKind::kRestart), 5);  // lives on
  const Timeline& t = w.timeline();
  REQUIRE(t.audit.size() == 1);
  const auto* d = first_event(t, EventKind::kDecision);
  REQUIRE(d != nullptr);
  CHECK(d->name == "executed");
  CHECK(d->audit_index == 0u);
  CHECK(d->incident == "dependency-outage-payments-db");
  const auto* a = first_event(t, EventKind::kActionStarted);
  REQUIRE(a != nullptr);
  CHECK(a->fingerprint == "fp-1");
  CHECK(a->action_id == 5);
  CHECK(a->incident == "dependency-outage-payments-db");
}

TEST_CASE("clock, scheduler and state store ports", "[sim][world][ports]") {
  World w{payments_cluster(), 7};
  auto ctx = w.context();
  CHECK(ctx.clock.now() == w.start());
  int fired = 0;
  engine::FunctionCallbacks timers{[&](std::uint64_t token) { fired += static_cast<int>(token); }};
  ctx.scheduler.after(90s, timers, 1);
  const auto id = ctx.scheduler.after(2min, timers, 10);
  CHECK(id != 0);
  CHECK(ctx.scheduler.cancel(id));
  w.run_until(w.start() + 5min);
  CHECK(fired == 1);
  CHECK(ctx.clock.now() == w.start() + 5min);
  const engine::ServiceRef t{"prod", "payment-api"};
  engine::TargetState s;
  s.attempts = 2;
  s.in_flight = engine::InFlightAction{};
  ctx.state.save(t, s);
  CHECK(ctx.state.load(t).attempts == 2);
  CHECK(ctx.state.in_flight().size() == 1);
  CHECK_FALSE(ctx.state.seen("k"));
  ctx.state.mark_seen("k", w.now());
  CHECK(ctx.state.seen("k"));
  CHECK(ctx.topology.services_in_namespace("prod") == 2);
  CHECK(ctx.topology.services_in_namespace("staging") == 0);
}

TEST_CASE("same seed gives the same series, another seed other noise",
          "[sim][world][determinism]") {
  ClusterSpec c = outage_cluster();
  c.faults.push_back(fault(FaultKind::kMemoryLeak, "payment-api", 2h));
  World a{c, 7};
  World b{c, 7};
  World other{c, 8};
  a.run_until(a.start() + 6h);
  b.run_until(b.start() + 6h);
  other.run_until(other.start() + 6h);
  const Timeline& ta = a.timeline();
  const Timeline& tb = b.timeline();
  REQUIRE(ta.events.size() == tb.events.size());
  for (std::size_t k = 0; k < ta.events.size(); ++k) {
    CHECK(ta.events[k].time == tb.events[k].time);
    CHECK(ta.events[k].detail == tb.events[k].detail);
  }
  const auto& pa = ta.series("payment-api")->points;
  const auto& pb = tb.series("payment-api")->points;
  const auto& po = other.timeline().series("payment-api")->points;
  REQUIRE(pa.size() == pb.size());
  REQUIRE(pa.size() == po.size());
  int differ = 0;
  for (std::size_t k = 0; k < pa.size(); ++k) {
    CHECK(pa[k].request_rate == pb[k].request_rate);
    CHECK(pa[k].error_rate == pb[k].error_rate);
    CHECK(pa[k].memory == pb[k].memory);
    differ += pa[k].request_rate != po[k].request_rate;
  }
  CHECK(differ > static_cast<int>(pa.size()) / 2);
}

TEST_CASE("adding a service leaves another service's traffic unchanged",
          "[sim][world][determinism]") {
  ClusterSpec c = payments_cluster();
  ClusterSpec more = payments_cluster();
  ServiceSpec search = service_defaults(ServiceKind::kApi);
  search.name = "search-api";
  more.services.insert(more.services.begin(), search);
  World a{c, 7};
  World b{more, 7};
  a.run_until(a.start() + 3h);
  b.run_until(b.start() + 3h);
  const auto& pa = a.timeline().series("payment-api")->points;
  const auto& pb = b.timeline().series("payment-api")->points;
  REQUIRE(pa.size() == pb.size());
  for (std::size_t k = 0; k < pa.size(); ++k)
    CHECK(pa[k].request_rate == pb[k].request_rate);
}

TEST_CASE("series memory is bounded and objectives stay exact", "[sim][world][timeline]") {
  ClusterSpec c = outage_cluster();
  WorldOptions o;
  o.series_max_points = 64;
  World w{c, 7, o};
  w.run_until(w.start() + 72h);
  const Timeline& t = w.timeline();
  const ServiceSeries* s = t.series("payment-api");
  REQUIRE(s != nullptr);
  CHECK(s->points.size() <= 64);
  CHECK(s->points.size() >= 32);
  CHECK(s->step >= 72h / 64);
  CHECK(s->step < 72h / 16);
  for (std::size_t k = 1; k < s->points.size(); ++k) {
    CHECK(s->points[k].time - s->points[k - 1].time == s->step);
  }
  // The outage shows in the merged points as the worst value of its bucket...
  int bad = 0;
  for (const auto& p : s->points)
    bad += p.error_rate > 0.9 && !p.within_objectives;
  CHECK(bad >= 1);
  // ...and exactly in the objective intervals: 45 minutes, seen one scrape after the DB.
  CHECK(t.error_budget_minutes("payment-api", t.start, t.end) == Approx(45.0));
  CHECK(t.error_budget_minutes("payments-db", t.start, t.end) == Approx(45.0));
  CHECK_FALSE(t.within_objectives("payment-api", t.start + 30min));
  CHECK(t.within_objectives("payment-api", t.start + 2h));
  CHECK(t.error_budget_minutes("payment-api", t.start + 30min, t.start + 40min) == Approx(10.0));
}

TEST_CASE("the chart's last point includes the latest tick whenever the timeline is read",
          "[sim][world][timeline]") {
  // The bucket being filled is kept outside the series and written into its last point
  // when the timeline is read: a read in the middle of a bucket sees every tick so far, and
  // reading changes nothing that comes later.
  ClusterSpec c = outage_cluster();
  WorldOptions o;
  o.series_max_points = 8;  // buckets of 2, 4, 8, ... ticks within minutes
  World stepped{c, 7, o};
  World straight{c, 7, o};
  int reads = 0;
  while (stepped.now() < stepped.start() + 2h) {
    stepped.run_for(15s);
    const SeriesPoint& back = stepped.timeline().series("payment-api")->points.back();
    const engine::ServiceSignals latest = stepped.signals("payment-api", 15s);  // one tick
    // A bucket keeps the worst of its ticks: at least the latest one's.
    CHECK(back.latency_p99_ms >= static_cast<float>(latest.latency_p99_ms));
    CHECK(back.error_rate >= static_cast<float>(latest.error_rate));
    CHECK(back.ready <= static_cast<float>(latest.ready_replicas));
    ++reads;
  }
  CHECK(reads == 480);
  straight.run_until(straight.start() + 2h);
  for (const auto& name : {"payment-api", "payments-db"}) {
    const auto& ps = stepped.timeline().series(name)->points;
    const auto& pt = straight.timeline().series(name)->points;
    REQUIRE(ps.size() == pt.size());
    for (std::size_t k = 0; k < ps.size(); ++k) {
      CHECK(ps[k].time == pt[k].time);
      CHECK(ps[k].request_rate == pt[k].request_rate);
      CHECK(ps[k].latency_p99_ms == pt[k].latency_p99_ms);
      CHECK(ps[k].error_rate == pt[k].error_rate);
      CHECK(ps[k].restarts == pt[k].restarts);
    }
  }
}

TEST_CASE("a fleet's services share the series point budget", "[sim][world][timeline]") {
  ClusterSpec c = outage_cluster();
  const std::size_t n = c.services.size();
  constexpr std::size_t kShare = 40;
  WorldOptions tight;
  tight.series_point_budget = n * kShare + n - 1;  // rounds down to 40 a service
  World w{c, 7, tight};
  World full{c, 7};  // default budget: series_max_points (2048) each
  w.run_until(w.start() + 72h);
  full.run_until(full.start() + 72h);
  const Timeline& t = w.timeline();
  REQUIRE(t.services.size() == n);
  for (std::size_t i = 0; i < n; ++i) {
    const ServiceSeries& s = t.services[i];
    CHECK(s.points.size() <= kShare);
    CHECK(s.points.size() >= kShare / 2);
    CHECK(s.points.capacity() <= kShare);  // the memory, not only the count, is bounded
    CHECK(full.timeline().services[i].points.size() > kShare);
    // Downsampling never touches the exact objective intervals.
    CHECK(t.error_budget_minutes(s.service, t.start, t.end) ==
          full.timeline().error_budget_minutes(s.service, t.start, t.end));
  }
}

TEST_CASE("World::create reports an invalid spec instead of throwing", "[sim][world]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kMemoryLeak, "ledger", 1min));
  auto w = World::create(c, 7);
  REQUIRE_FALSE(w);
  CHECK(w.error().field == "faults[0].target");
  CHECK_THROWS_AS(World(c, 7), std::invalid_argument);
  auto ok = World::create(payments_cluster(), 7);
  REQUIRE(ok);
  CHECK((*ok)->snapshot("payment-api").ready == 3);
}
