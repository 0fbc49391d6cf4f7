#include "sim/cluster_spec.hpp"

#include <catch2/catch.hpp>
#include <string>

#include "cluster_fixtures.hpp"

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;
using engine::ActionKind;

namespace {

bool has_error(const core::Diagnostics& d, const std::string& field, const std::string& text) {
  for (const auto& e : d.errors()) {
    if (e.field == field && e.message.find(text) != std::string::npos) return true;
  }
  return false;
}

}  // namespace

TEST_CASE("a valid cluster spec has no diagnostics", "[sim][cluster-spec]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kDependencyOutage, "payments-db", 10min, 45min));
  CHECK(validate(c).empty());
}

TEST_CASE("validation names every bad field at once", "[sim][cluster-spec]") {
  ClusterSpec c = payments_cluster();
  c.services[0].depends_on = {"payments-db", "ledger"};
  c.services[1].memory_limit_mb = 100;
  c.faults.push_back(fault(FaultKind::kMemoryLeak, "nope", -1min));
  c.faults.push_back(fault(FaultKind::kConsumerStall, "payment-api", 1min));
  PlannedEventSpec p;
  p.kind = PlannedKind::kMarketingCampaign;
  p.service = "payment-api";
  p.start = 2h;
  p.end = 1h;
  c.planned.push_back(p);
  const core::Diagnostics d = validate(c);
  CHECK(has_error(d, "services[0].depends_on[1]", "unknown service \"ledger\""));
  CHECK(has_error(d, "services[1].memory_limit_mb", "greater than memory_per_pod_mb"));
  CHECK(has_error(d, "faults[0].target", "unknown service \"nope\""));
  CHECK(has_error(d, "faults[0].at", ">= 0"));
  CHECK(has_error(d, "faults[1].target", "needs a worker"));
  CHECK(has_error(d, "calendar[0].end", "after start"));
}

TEST_CASE("dependency cycles and duplicate names are rejected", "[sim][cluster-spec]") {
  ClusterSpec c = payments_cluster();
  c.services[1].depends_on = {"payment-api"};
  CHECK(has_error(validate(c), "services[1].depends_on", "dependency cycle through"));
  ClusterSpec d = payments_cluster();
  d.services[1].name = "payment-api";
  d.services[0].depends_on.clear();
  CHECK(has_error(validate(d), "services[1].name", "duplicate service"));
  ClusterSpec e = payments_cluster();
  e.services[0].name = "Payment_API";
  e.services[0].depends_on.clear();
  CHECK(has_error(validate(e), "services[0].name", "not a valid service name"));
}

TEST_CASE("default alert rules can be overridden, disabled and extended", "[sim][cluster-spec]") {
  ClusterSpec c = payments_cluster();
  const auto defaults = effective_alert_rules(c);
  std::vector<std::string> names;
  for (const auto& r : defaults)
    names.push_back(r.name);
  CHECK(names == std::vector<std::string>{"OOMKilled", "HighErrorRate", "HighCPU", "PodCountDrop",
                                          "HighLatency", "QueueLag", "PodCrashLooping"});
  AlertRuleSpec stricter = defaults[1];
  stricter.threshold = 0.01;
  AlertRuleSpec off;
  off.name = "HighLatency";
  off.enabled = false;
  AlertRuleSpec extra;
  extra.name = "DbErrors";
  extra.signal = engine::SignalName::kDependencyErrors;
  extra.threshold = 0.1;
  c.alert_rules = {stricter, off, extra};
  const auto rules = effective_alert_rules(c);
  REQUIRE(rules.size() == defaults.size());
  CHECK(rules[1].name == "HighErrorRate");
  CHECK(rules[1].threshold == 0.01);
  CHECK(std::none_of(rules.begin(), rules.end(),
                     [](const AlertRuleSpec& r) { return r.name == "HighLatency"; }));
  CHECK(rules.back().name == "DbErrors");
}

TEST_CASE("ground truth of a dependency outage: nothing on the dependents helps",
          "[sim][cluster-spec][ground-truth]") {
  ClusterSpec c = payments_cluster();
  c.faults.push_back(fault(FaultKind::kDependencyOutage, "payments-db", 10min, 45min));
  const GroundTruth t = ground_truth(c, 0, false);
  CHECK(t.id == "dependency-outage-payments-db");
  CHECK(t.root_service == "payments-db");
  CHECK(t.incident_type == "dependency-failure");
  CHECK(t.affected == std::vector<std::string>{"payment-api", "payments-db"});
  CHECK(t.helpful.empty());
  CHECK(t.end == 55min);
  CHECK_FALSE(t.human_fix);
  CHECK(t.human_note == "wait for payments-db to recover");
  const ActionVerdict restart = judge(t, ActionKind::kRestart, "payment-api");
  CHECK_FALSE(restart.helpful);
  CHECK(restart.reason.find("restart during an upstream outage (payments-db)") !=
        std::string::npos);
  CHECK(judge(t, ActionKind::kRollback, "payment-api").reason.find("no bad release") !=
        std::string::npos);
}

TEST_CASE("ground truth names the helpful action of each fault kind",
          "[sim][cluster-spec][ground-truth]") {
  ClusterSpec c = payments_cluster();
  c.faults = {fault(FaultKind::kMemoryLeak, "payment-api", 0s),
              fault(FaultKind::kBadDeploy, "payment-api", 0s),
              fault(FaultKind::kTrafficSpike, "payment-api", 0s),
              fault(FaultKind::kBadFeatureFlag, "payment-api", 0s),
              fault(FaultKind::kPoisonedCache, "payment-api", 0s),
              fault(FaultKind::kMemoryLeak, "payment-api", 1h)};
  const auto all = ground_truths(c);
  REQUIRE(all.size() == 6);
  CHECK(judge(all[0], ActionKind::kRestart, "payment-api").helpful);
  CHECK_FALSE(judge(all[0], ActionKind::kRestart, "payments-db").helpful);
  CHECK(judge(all[0], ActionKind::kRestart, "payments-db").reason.find("does not affect") !=
        std::string::npos);
  CHECK(judge(all[1], ActionKind::kRollback, "payment-api").helpful);
  CHECK_FALSE(judge(all[1], ActionKind::kRestart, "payment-api").helpful);
  CHECK(all[1].incident_type == "bad-deployment");
  CHECK_FALSE(all[1].end);
  CHECK(judge(all[2], ActionKind::kScale, "payment-api").helpful);
  CHECK(judge(all[3], ActionKind::kFeatureFlagDisable, "payment-api").helpful);
  CHECK(all[3].human_fix->flag == "new-payment-api-flow");
  CHECK(judge(all[4], ActionKind::kCachePurge, "payment-api").helpful);
  CHECK(all[5].id == "memory-leak-payment-api-2");  // repeated names get a suffix
}

TEST_CASE("ground truth of a planned campaign: scale-out is wrong",
          "[sim][cluster-spec][ground-truth]") {
  ClusterSpec c = payments_cluster();
  PlannedEventSpec p;
  p.name = "spring-campaign";
  p.kind = PlannedKind::kMarketingCampaign;
  p.service = "payment-api";
  p.start = 1h;
  p.end = 3h;
  p.traffic_multiplier = 3;
  c.planned.push_back(p);
  const GroundTruth t = ground_truth(c, 0, true);
  CHECK(t.planned);
  CHECK(t.id == "spring-campaign");
  CHECK(t.helpful.empty());
  const ActionVerdict v = judge(t, ActionKind::kScale, "payment-api");
  CHECK_FALSE(v.helpful);
  CHECK(v.reason.find("scale-out for a planned campaign") != std::string::npos);
}

TEST_CASE("IntOrPercent resolves like Kubernetes", "[sim][cluster-spec]") {
  CHECK(IntOrPercent{25, true}.resolve(3, true) == 1);
  CHECK(IntOrPercent{25, true}.resolve(3, false) == 0);
  CHECK(IntOrPercent{25, true}.resolve(8, false) == 2);
  CHECK(IntOrPercent{2, false}.resolve(8, true) == 2);
}
