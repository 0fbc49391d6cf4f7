#include <algorithm>
#include <catch2/catch.hpp>
#include <cmath>
#include <cstdlib>
#include <string>

#include "engine/classifier.hpp"

using namespace selfheal::engine;
using namespace std::chrono_literals;

namespace {

// A healthy 5-replica web service at its usual traffic, last released three days ago, with
// one healthy upstream database.
ClassifierInput healthy() {
  ClassifierInput in;
  auto& s = in.signals;
  s.request_rate = 150;
  s.request_rate_baseline = 150;
  s.error_rate = 0.002;
  s.error_rate_baseline = 0.002;
  s.latency_p99_ms = 120;
  s.latency_p99_baseline_ms = 120;
  s.cpu_utilization = 0.40;
  s.memory_utilization = 0.55;
  s.memory_growth_per_hour = 0.0;
  s.ready_replicas = 5;
  s.desired_replicas = 5;
  s.dependency_errors = 0.001;
  s.since_last_deploy = 72h;
  s.current_revision = 12;
  in.upstreams.push_back(DependencyHealth{{"prod", "payments-db"}, true, 0.0, ""});
  return in;
}

const ClassifierModel& model() {
  return ClassifierModel::builtin();
}

std::string explain(const Classification& c) {
  std::string out = c.incident_type + " " + std::to_string(c.confidence) + "\n";
  for (const auto& e : c.evidence) {
    out += "  " + e.signal + "=" + std::to_string(e.value) + " [" + e.bucket + "] " +
           std::to_string(e.log_likelihood_ratio) + "\n";
  }
  return out;
}

const Evidence* evidence_for(const Classification& c, const std::string& signal) {
  for (const auto& e : c.evidence) {
    if (e.signal == signal) return &e;
  }
  return nullptr;
}

}  // namespace

TEST_CASE("the built-in model loads with every feature and type", "[classifier]") {
  const auto& m = model();
  CHECK(m.features.size() == classifier_features().size());
  for (const char* t : {"memory-leak", "cpu-spike", "bad-deployment", "dependency-failure",
                        "pod-loss", "traffic-spike", "consumer-stall", "unknown"}) {
    CHECK(std::find(m.types.begin(), m.types.end(), t) != m.types.end());
  }
  // The shipped file users copy is the model compiled in.
  const char* src = std::getenv("SELFHEAL_SOURCE_DIR");
  auto from_file = ClassifierModel::load_file(std::string(src != nullptr ? src : ".") +
                                              "/engine/classifier_model.yaml");
  REQUIRE(from_file.ok());
  CHECK(from_file->types == m.types);
  CHECK(from_file->priors == m.priors);
}

TEST_CASE("OOM kills 3 in 10 minutes with growing memory -> memory-leak, >0.9", "[classifier]") {
  auto in = healthy();
  in.signals.oom_kills = 3;
  in.signals.restarts = 3;
  in.signals.memory_utilization = 0.97;
  in.signals.memory_growth_per_hour = 0.30;
  in.signals.ready_replicas = 4;
  in.signals.error_rate = 0.02;
  in.signals.latency_p99_ms = 180;
  auto c = classify(model(), in);
  INFO(explain(c));
  CHECK(c.incident_type == "memory-leak");
  CHECK(c.confidence > 0.9);
  CHECK(c.source == "builtin");
  // The evidence that moved it most is about memory.
  REQUIRE_FALSE(c.evidence.empty());
  const std::string top = c.evidence[0].signal;
  CHECK((top == "oom_kills" || top == "memory_growth_per_hour" || top == "memory_utilization"));
  const Evidence* oom = evidence_for(c, "oom_kills");
  REQUIRE(oom != nullptr);
  CHECK(oom->bucket == "many");
  CHECK(oom->value == 3);
  CHECK(oom->log_likelihood_ratio > 0);
}

TEST_CASE("503s with a helm upgrade 8 minutes ago -> bad-deployment", "[classifier]") {
  auto in = healthy();
  in.signals.error_rate = 0.12;
  in.signals.latency_p99_ms = 160;
  in.signals.since_last_deploy = 8min;
  auto c = classify(model(), in);
  INFO(explain(c));
  CHECK(c.incident_type == "bad-deployment");
  CHECK(c.confidence > 0.8);
  const Evidence* deploy = evidence_for(c, "since_last_deploy");
  REQUIRE(deploy != nullptr);
  CHECK(deploy->bucket == "recent");
  CHECK(deploy->value == Approx(8.0));
}

TEST_CASE("ready 1 of 5 with no recent deploy -> pod-loss", "[classifier]") {
  auto in = healthy();
  in.signals.ready_replicas = 1;
  in.signals.cpu_utilization = 0.82;  // the survivor carries the load
  in.signals.error_rate = 0.03;
  in.signals.latency_p99_ms = 200;
  auto c = classify(model(), in);
  INFO(explain(c));
  CHECK(c.incident_type == "pod-loss");
  CHECK(c.confidence > 0.8);

  SECTION("also for a queue consumer whose lag grows because 4 of 5 consumers are gone") {
    auto worker = healthy();
    worker.signals.ready_replicas = 1;
    worker.signals.queue_lag = 40000;
    worker.signals.queue_lag_trend = 1500;
    worker.signals.request_rate_baseline = 0;  // a consumer serves no HTTP traffic
    worker.signals.latency_p99_baseline_ms = 0;
    auto w = classify(model(), worker);
    INFO(explain(w));
    CHECK(w.incident_type == "pod-loss");
  }
}

TEST_CASE("503s while the upstream database shows connection errors -> dependency-failure",
          "[classifier]") {
  auto in = healthy();
  in.signals.error_rate = 0.35;
  in.signals.latency_p99_ms = 900;
  in.signals.dependency_errors = 0.82;
  in.upstreams[0].healthy = false;
  in.upstreams[0].error_rate = 0.82;
  in.upstreams[0].reason = "db-connection-errors 0.82 > 0.05";
  auto c = classify(model(), in);
  INFO(explain(c));
  CHECK(c.incident_type == "dependency-failure");
  CHECK(c.confidence > 0.9);
  // Without the topology the same symptoms are far less clear-cut: the seed's restart loop.
  auto blind = in;
  blind.upstreams.clear();
  blind.signals.missing.push_back("dependency_errors");
  auto b = classify(model(), blind);
  INFO(explain(b));
  CHECK(b.confidence < c.confidence);
}

TEST_CASE(
    "high CPU with traffic 3x baseline -> traffic-spike, the classifier cannot see a "
    "campaign",
    "[classifier]") {
  auto in = healthy();
  in.signals.cpu_utilization = 0.93;
  in.signals.request_rate = 450;
  in.signals.latency_p99_ms = 260;
  in.signals.error_rate = 0.012;
  auto c = classify(model(), in);
  INFO(explain(c));
  CHECK((c.incident_type == "traffic-spike" || c.incident_type == "cpu-spike"));
  CHECK(c.incident_type == "traffic-spike");
  // A planned campaign is not evidence: the pipeline's planned-events step handles it.
  auto campaign = in;
  campaign.planned_events.push_back(
      PlannedEvent{"spring-campaign", "marketing-campaign", {}, {}, 3.0});
  auto with_event = classify(model(), campaign);
  CHECK(with_event.incident_type == c.incident_type);
  CHECK(with_event.confidence == c.confidence);

  SECTION("the same CPU at ordinary traffic is a CPU anomaly") {
    auto anomaly = healthy();
    anomaly.signals.cpu_utilization = 0.95;
    anomaly.signals.latency_p99_ms = 300;
    auto a = classify(model(), anomaly);
    INFO(explain(a));
    CHECK(a.incident_type == "cpu-spike");
  }
}

TEST_CASE("a growing queue with idle consumers -> consumer-stall", "[classifier]") {
  auto in = healthy();
  in.signals.queue_lag = 50000;
  in.signals.queue_lag_trend = 2000;
  in.signals.cpu_utilization = 0.05;
  auto c = classify(model(), in);
  INFO(explain(c));
  CHECK(c.incident_type == "consumer-stall");
}

TEST_CASE("nothing abnormal -> unknown", "[classifier]") {
  auto c = classify(model(), healthy());
  INFO(explain(c));
  CHECK(c.incident_type == "unknown");
}

TEST_CASE("evidence is sorted by |log-likelihood ratio| and missing signals are left out",
          "[classifier]") {
  auto in = healthy();
  in.signals.oom_kills = 2;
  in.signals.memory_utilization = 0.92;
  in.signals.missing = {"queue_lag_trend", "cpu_utilization"};
  auto c = classify(model(), in);
  INFO(explain(c));
  for (std::size_t i = 1; i < c.evidence.size(); ++i) {
    CHECK(std::abs(c.evidence[i - 1].log_likelihood_ratio) >=
          std::abs(c.evidence[i].log_likelihood_ratio));
  }
  CHECK(evidence_for(c, "queue_lag_trend") == nullptr);
  CHECK(evidence_for(c, "cpu_utilization") == nullptr);
  CHECK(evidence_for(c, "oom_kills") != nullptr);
  CHECK(c.evidence.size() == model().features.size() - 2);
  // Unknown ratios (no baseline) are left out too.
  auto no_base = healthy();
  no_base.signals.latency_p99_baseline_ms = 0;
  no_base.signals.since_last_deploy.reset();
  no_base.upstreams.clear();
  auto n = classify(model(), no_base);
  CHECK(evidence_for(n, "latency_ratio") == nullptr);
  CHECK(evidence_for(n, "since_last_deploy") == nullptr);
  CHECK(evidence_for(n, "upstream_error_rate") == nullptr);
}

TEST_CASE("classification is deterministic and the posterior is a probability", "[classifier]") {
  auto in = healthy();
  in.signals.error_rate = 0.2;
  in.signals.since_last_deploy = 5min;
  auto a = classify(model(), in);
  auto b = classify(model(), in);
  CHECK(a.incident_type == b.incident_type);
  CHECK(a.confidence == b.confidence);  // bit-identical
  REQUIRE(a.evidence.size() == b.evidence.size());
  for (std::size_t i = 0; i < a.evidence.size(); ++i) {
    CHECK(a.evidence[i].signal == b.evidence[i].signal);
    CHECK(a.evidence[i].log_likelihood_ratio == b.evidence[i].log_likelihood_ratio);
  }
  CHECK(a.confidence > 0.0);
  CHECK(a.confidence <= 1.0);
}

TEST_CASE("a hand-built model works without prepare(), ties go to the first type", "[classifier]") {
  ClassifierModel m;
  m.types = {"a", "b"};
  m.priors = {0.5, 0.5};
  m.features.push_back({"oom_kills", {1}, {"none", "some"}, {{0.5, 0.5}, {0.5, 0.5}}, {}});
  auto c = classify(m, healthy());
  CHECK(c.incident_type == "a");
  CHECK(c.confidence == Approx(0.5));
  m.features[0].likelihood = {{0.9, 0.1}, {0.1, 0.9}};
  auto in = healthy();
  in.signals.oom_kills = 4;
  auto d = classify(m, in);
  CHECK(d.incident_type == "b");
  CHECK(d.confidence == Approx(0.9));
  REQUIRE(d.evidence.size() == 1);
  CHECK(d.evidence[0].log_likelihood_ratio == Approx(std::log(9.0)));
}

namespace {

const char* const kSmallModel = R"(version: 1
types: [a, b]
priors: {a: 0.5, b: 0.5}
features:
  - name: oom_kills
    thresholds: [1, 3]
    buckets: [none, some, many]
    likelihood:
      a: [0.5, 0.3, 0.2]
      b: [0.2, 0.3, 0.5]
)";

std::string with(std::string text, const std::string& from, const std::string& to) {
  const auto pos = text.find(from);
  REQUIRE(pos != std::string::npos);
  text.replace(pos, from.size(), to);
  return text;
}

}  // namespace

TEST_CASE("model files are validated with file, line and field", "[classifier]") {
  auto ok = ClassifierModel::load_string(kSmallModel, "m.yaml");
  REQUIRE(ok.ok());
  CHECK(ok->log_priors.size() == 2);

  struct Case {
    std::string from, to;
    int line;
    std::string field, text;
  };
  const std::vector<Case> cases{
      {"[0.5, 0.3, 0.2]", "[0.5, 0.5, 0.0]", 9, "features[0].likelihood.a[2]", "(0, 1]"},
      {"[0.5, 0.3, 0.2]", "[1.5, 0.3, 0.2]", 9, "features[0].likelihood.a[0]", "(0, 1]"},
      {"[0.5, 0.3, 0.2]", "[0.5, 0.5]", 9, "features[0].likelihood.a", "3 probabilities"},
      {"[0.5, 0.3, 0.2]", "[0.5, 0.3, 0.3]", 9, "features[0].likelihood.a", "sum to 1"},
      {"[none, some, many]", "[none, many]", 7, "features[0].buckets", "2 thresholds make 3"},
      {"      b: [0.2, 0.3, 0.5]\n", "", 9, "features[0].likelihood", "no row for type `b`"},
      {"oom_kills", "oom_kils", 5, "features[0].name", "unknown feature \"oom_kils\""},
      {"[1, 3]", "[3, 1]", 6, "features[0].thresholds[1]", "strictly ascending"},
      {"{a: 0.5, b: 0.5}", "{a: 0.5, b: 0.6}", 3, "priors", "sum to 1"},
      {"{a: 0.5, b: 0.5}", "{a: 1}", 3, "priors", "no prior for type `b`"},
      {"a: [0.5", "c: [0.5", 9, "features[0].likelihood.c", "not listed in `types`"},
      {"[a, b]", "[a, b", 2, "", "YAML syntax error"},
  };
  for (const auto& c : cases) {
    INFO(c.from << " -> " << c.to);
    auto r = ClassifierModel::load_string(with(kSmallModel, c.from, c.to), "m.yaml");
    REQUIRE_FALSE(r.ok());
    INFO(r.error().describe());
    CHECK(r.error().file == "m.yaml");
    if (c.line > 0 && c.text != "YAML syntax error") CHECK(r.error().line == c.line);
    if (!c.field.empty()) CHECK(r.error().field == c.field);
    CHECK_THAT(r.error().message, Catch::Contains(c.text));
  }
  auto missing = ClassifierModel::load_file("/nonexistent/model.yaml");
  REQUIRE_FALSE(missing.ok());
  CHECK_THAT(missing.error().describe(),
             Catch::StartsWith("/nonexistent/model.yaml: no such file"));
}

TEST_CASE("posterior covers every type, sums to 1, and its maximum is classify's confidence",
          "[classifier]") {
  auto in = healthy();
  in.signals.oom_kills = 3;
  in.signals.memory_utilization = 0.97;
  in.signals.memory_growth_per_hour = 0.30;
  const auto c = classify(model(), in);
  const auto post = posterior(model(), in);
  REQUIRE(post.size() == model().types.size());
  double sum = 0;
  double best = 0;
  std::string best_type;
  for (std::size_t t = 0; t < post.size(); ++t) {
    CHECK(post[t].first == model().types[t]);
    sum += post[t].second;
    if (post[t].second > best) {
      best = post[t].second;
      best_type = post[t].first;
    }
  }
  CHECK(sum == Approx(1.0));
  CHECK(best_type == c.incident_type);
  CHECK(best == Approx(c.confidence));
  CHECK(posterior(ClassifierModel{}, in).empty());
}

TEST_CASE("the known incident types list the built-in model's types exactly as builtin",
          "[classifier][types]") {
  std::vector<std::string> builtin;
  std::vector<std::string> all;
  for (const auto& k : known_incident_types()) {
    all.emplace_back(k.name);
    if (k.builtin) builtin.emplace_back(k.name);
  }
  auto types = model().types;
  std::sort(types.begin(), types.end());
  std::sort(builtin.begin(), builtin.end());
  CHECK(builtin == types);
  // The external-only types the docs use and the engine has defaults for are known too.
  for (const char* t : {"application-crash", "bad-feature-flag", "poisoned-cache"})
    CHECK(std::find(all.begin(), all.end(), t) != all.end());
}
