// Differential test against the real Prometheus rule engine: a simulated run (closed loop:
// the engine acts on the alerts) is written as a `promtool test rules` file — every series
// the world published as `input_series`, and at every rule evaluation the alerts our
// simulator had firing, with their labels and rendered annotations, as `alert_rule_test`
// expectations — and Debian's /usr/bin/promtool must pass it. Done for the library's rule
// file (scenarios/prometheus-rules-shop.yaml) and for seeded random rule files.
//
// Skips only when promtool is missing: the process exits 77, which CTest reports as
// "Skipped" (tests/scenario/CMakeLists.txt); with SELFHEAL_REQUIRE_E2E=1 it fails instead.
#include <catch2/catch.hpp>

#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <random>
#include <set>
#include <sstream>
#include <string>
#include <vector>

#include "engine/classifier.hpp"
#include "engine/engine.hpp"
#include "scenario/prom_rules.hpp"
#include "scenario/prom_telemetry.hpp"
#include "scenario/scenario.hpp"
#include "sim/world.hpp"

namespace fs = std::filesystem;
using namespace selfheal;
using namespace std::chrono_literals;

namespace {

constexpr const char* kPromtool = "/usr/bin/promtool";
constexpr int kSkipExitCode = 77;
// A run must fire at least this many alerts, or agreeing with promtool proves little.
constexpr std::size_t kMinAlertsFired = 3;

void skip_unless_promtool() {
  if (fs::exists(kPromtool)) return;
  const char* require = std::getenv("SELFHEAL_REQUIRE_E2E");
  if (require != nullptr && std::string_view(require) == "1") {
    FAIL("SELFHEAL_REQUIRE_E2E=1 and " << kPromtool << " is not installed");
  }
  std::fprintf(stderr, "SKIPPED: %s is not installed (apt-get install prometheus)\n", kPromtool);
  std::exit(kSkipExitCode);
}

fs::path source_dir() {
  const char* d = std::getenv("SELFHEAL_SOURCE_DIR");
  return d != nullptr ? fs::path(d) : fs::current_path();
}

// YAML single-quoted scalar.
std::string q(const std::string& s) {
  std::string out = "'";
  for (const char c : s) {
    if (c == '\'') out += '\'';
    out += c;
  }
  return out + "'";
}

std::string fmt_ms(std::int64_t ms) {
  return std::to_string(ms / 1000) + "s";
}

std::string series_text(const std::vector<sim::PromLabel>& labels) {
  std::string name, rest;
  for (const auto& l : labels) {
    if (l.name == "__name__") {
      name = l.value;
      continue;
    }
    rest += (rest.empty() ? "" : ",") + l.name + "=\"" + l.value + "\"";
  }
  return name + "{" + rest + "}";
}

// What the rule evaluator answered at each evaluation: (time, rule) -> the alerts, and the
// world's own first-per-service choice applied.
struct Recorded {
  std::int64_t t_ms;
  std::size_t rule;
  std::vector<sim::ExternalAlert> alerts;
};

struct Export {
  std::string yaml;
  std::size_t alerts_fired = 0;
  std::set<std::string> alertnames_fired;
};

// Every series the world published, one value per scrape tick ("_" where it has none).
void write_input_series(std::ostringstream& y, const sim::World& world, std::int64_t scrape_ms,
                        std::size_t ticks) {
  const std::int64_t start_ms = core::to_unix_ms(world.start());
  std::vector<sim::PromPoint> pts;
  for (std::size_t i = 0; i < world.prom_series().size(); ++i) {
    pts.clear();
    world.prom_samples(i, world.start(), world.now(), pts);
    std::vector<std::string> values(ticks, "_");
    for (const auto& p : pts) {
      char buf[40];
      std::snprintf(buf, sizeof buf, "%.17g", p.v);
      values[static_cast<std::size_t>((core::to_unix_ms(p.t) - start_ms) / scrape_ms)] = buf;
    }
    y << "      - series: " << q(series_text(world.prom_series()[i].labels)) << "\n";
    y << "        values: '";
    for (std::size_t k = 0; k < values.size(); ++k)
      y << (k ? " " : "") << values[k];
    y << "'\n";
  }
}

// At every evaluation, for every alertname of the file, the alerts the simulator had firing
// (from its timeline) with the labels and annotations of their last evaluation.
Export write_alert_tests(std::ostringstream& y, const scenario::Scenario& s,
                         const sim::World& world, const std::vector<Recorded>& recorded,
                         core::Duration interval, std::int64_t end_ms) {
  const std::int64_t start_ms = core::to_unix_ms(world.start());
  // Firing intervals from the timeline: (alertname, service) -> [fired, resolved).
  std::map<std::pair<std::string, std::string>, std::vector<std::pair<std::int64_t, std::int64_t>>>
      firing;
  for (const auto& e : world.timeline().events) {
    const std::int64_t t = core::to_unix_ms(e.time) - start_ms;
    if (e.kind == sim::EventKind::kAlertFiring)
      firing[{e.name, e.service}].push_back({t, INT64_MAX});
    if (e.kind == sim::EventKind::kAlertResolved) firing[{e.name, e.service}].back().second = t;
  }
  auto firing_at = [&](const std::string& alert, const std::string& svc, std::int64_t t) {
    auto it = firing.find({alert, svc});
    if (it == firing.end()) return false;
    for (const auto& [a, b] : it->second)
      if (a <= t && t < b) return true;
    return false;
  };

  Export out;
  for (const auto& [key, ivs] : firing) {
    out.alerts_fired += ivs.size();
    out.alertnames_fired.insert(key.first);
  }
  y << "    alert_rule_test:\n";
  // The labels and annotations of each (rule, service) as last evaluated while it held.
  std::map<std::pair<std::size_t, std::size_t>, sim::ExternalAlert> last;
  std::size_t k = 0;
  for (std::int64_t t = 0; t <= end_ms; t += interval.count()) {
    for (; k < recorded.size() && recorded[k].t_ms <= t; ++k)
      for (const auto& a : recorded[k].alerts)
        last[{recorded[k].rule, a.service}] = a;
    std::set<std::string> names;
    for (const auto& r : s.prometheus_rules)
      names.insert(r.alert);
    for (const auto& name : names) {
      y << "      - eval_time: " << fmt_ms(t) << "\n        alertname: " << q(name)
        << "\n        exp_alerts:";
      bool any = false;
      for (std::size_t r = 0; r < s.prometheus_rules.size(); ++r) {
        if (s.prometheus_rules[r].alert != name) continue;
        for (std::size_t svc = 0; svc < s.cluster.services.size(); ++svc) {
          if (!firing_at(name, s.cluster.services[svc].name, t)) continue;
          const sim::ExternalAlert& a = last.at({r, svc});
          y << "\n          - exp_labels:";
          for (const auto& [lk, lv] : a.labels)
            y << "\n              " << lk << ": " << q(lv);
          if (!a.annotations.empty()) {
            y << "\n            exp_annotations:";
            for (const auto& [ak, av] : a.annotations)
              y << "\n              " << ak << ": " << q(av);
          }
          any = true;
        }
      }
      y << (any ? "\n" : " []\n");
    }
  }
  return out;
}

// Runs the scenario closed loop (the engine on the world's ports, PromQL checks answered
// from the series) and writes the promtool test file for it.
Export run_and_export(const scenario::Scenario& s, const fs::path& rule_file) {
  REQUIRE_FALSE(s.prometheus_rules.empty());
  const auto interval = s.prometheus_rules.front().interval;
  for (const auto& r : s.prometheus_rules)
    REQUIRE(r.interval == interval);  // promtool evaluates every group at one interval
  sim::WorldOptions o;
  o.prometheus_series = true;
  o.telemetry_retention = s.duration + 1h;  // the whole run stays readable for the export
  sim::World world{s.cluster, s.seed, o};
  scenario::WorldSeriesSource source{world};
  const std::size_t first =
      sim::effective_alert_rules(s.cluster).size() - s.prometheus_rules.size();
  scenario::PromRuleEvaluator eval{s.prometheus_rules, first, source, s.cluster};
  std::vector<Recorded> recorded;
  const std::int64_t start_ms = core::to_unix_ms(world.start());
  world.set_external_rule_evaluator(
      [&](std::size_t rule, core::TimePoint now, std::vector<sim::ExternalAlert>& out) {
        eval(rule, now, out);
        Recorded r{core::to_unix_ms(now) - start_ms, rule - first, {}};
        std::set<std::size_t> seen;
        for (const auto& a : out)
          if (seen.insert(a.service).second) r.alerts.push_back(a);
        recorded.push_back(std::move(r));
      });
  engine::EngineContext base = world.context();
  scenario::PromqlTelemetry telemetry{base.telemetry, source, world};
  engine::EngineContext ctx{base.clock,    base.scheduler, telemetry,  base.topology, base.calendar,
                            base.actuator, base.notifier,  base.state, base.audit};
  engine::Engine eng{ctx, s.policies, engine::ClassifierModel::builtin()};
  world.set_incident_sink([&](const engine::Incident& i) { eng.handle(i); });
  world.set_approval_handler([&](std::uint64_t id, bool ok) { eng.approve(id, ok); });
  world.run_until(world.start() + s.duration);

  const std::int64_t scrape_ms = s.cluster.scrape_interval.count();
  const std::int64_t end_ms = core::to_unix_ms(world.now()) - start_ms;
  const auto ticks = static_cast<std::size_t>(end_ms / scrape_ms) + 1;
  std::ostringstream y;
  y << "rule_files: [" << q(rule_file.string()) << "]\n";
  y << "evaluation_interval: " << fmt_ms(interval.count()) << "\n";
  y << "tests:\n  - interval: " << fmt_ms(scrape_ms) << "\n    input_series:\n";
  write_input_series(y, world, scrape_ms, ticks);

  Export out = write_alert_tests(y, s, world, recorded, interval, end_ms);
  out.yaml = y.str();
  return out;
}

// Runs promtool on `test_file`; its output goes to `log`.
int promtool(const fs::path& test_file, const fs::path& log) {
  const std::string cmd = std::string(kPromtool) + " test rules '" + test_file.string() + "' > '" +
                          log.string() + "' 2>&1";
  return std::system(cmd.c_str());
}

std::string slurp(const fs::path& p) {
  std::ifstream in(p);
  std::stringstream ss;
  ss << in.rdbuf();
  return ss.str();
}

fs::path temp_dir(const std::string& name) {
  fs::path d = fs::temp_directory_path() /
               ("selfheal-promtool-" + name + "-" + std::to_string(static_cast<long>(::getpid())));
  fs::remove_all(d);
  fs::create_directories(d);
  return d;
}

void check_with_promtool(const scenario::Scenario& s, const fs::path& rule_file,
                         const fs::path& dir, std::size_t min_alertnames) {
  const Export e = run_and_export(s, fs::absolute(rule_file));
  INFO("alerts fired: " << e.alerts_fired);
  REQUIRE(e.alertnames_fired.size() >= min_alertnames);
  REQUIRE(e.alerts_fired >= kMinAlertsFired);
  const fs::path test_file = dir / "test.yaml";
  std::ofstream(test_file) << e.yaml;
  const int rc = promtool(test_file, dir / "promtool.log");
  INFO("promtool test rules " << test_file.string() << ":\n" << slurp(dir / "promtool.log"));
  REQUIRE(rc == 0);
  fs::remove_all(dir);
}

// A random rule over the published series: one of a few shapes common in real rule files,
// with random thresholds, `for`, `keep_firing_for` and aggregation.
std::string random_rule(std::mt19937_64& rng, int i) {
  auto pick = [&](int n) { return static_cast<int>(rng() % static_cast<std::uint64_t>(n)); };
  const char* windows[] = {"1m", "2m", "5m", "10m"};
  const char* fors[] = {"0s", "30s", "1m", "2m", "5m"};
  const std::string w = windows[pick(4)];
  std::string expr;
  switch (pick(7)) {
    case 0:
      expr = "sum by (namespace, service) (rate(http_requests_total{code=~\"5..\"}[" + w +
             "])) / sum by (namespace, service) (rate(http_requests_total[" + w + "])) > " +
             std::to_string(0.01 * (1 + pick(20)));
      break;
    case 1:
      expr = "increase(kube_pod_container_status_restarts_total[" + w + "]) > " +
             std::to_string(pick(3));
      break;
    case 2:
      expr = "kube_deployment_status_replicas_available / kube_deployment_spec_replicas < " +
             std::to_string(0.5 + 0.1 * pick(5));
      break;
    case 3:
      expr =
          "max by (service) (container_memory_working_set_bytes / on (namespace, pod, "
          "container) group_left kube_pod_container_resource_limits{resource=\"memory\"}) > " +
          std::to_string(0.5 + 0.05 * pick(9));
      break;
    case 4:
      expr = "histogram_quantile(0." + std::to_string(90 + pick(10)) +
             ", sum by (service, le) (rate(http_request_duration_seconds_bucket[" + w + "]))) > " +
             std::to_string(0.05 * (1 + pick(20)));
      break;
    case 5:
      expr = "sum without (pod, container) (rate(container_cpu_usage_seconds_total[" + w +
             "])) > " + std::to_string(0.5 + 0.5 * pick(8));
      break;
    default:
      expr = "delta(container_oom_events_total[" + w +
             "]) > 0 or on (service) "
             "(avg_over_time(kube_deployment_status_replicas_available[" +
             w + "]) < " + std::to_string(1 + pick(3)) + ")";
      break;
  }
  std::string r = "      - alert: Random" + std::to_string(i) + "\n        expr: " + q(expr) +
                  "\n        for: " + fors[pick(5)] + "\n";
  if (pick(3) == 0) r += "        keep_firing_for: " + std::string(fors[1 + pick(4)]) + "\n";
  r += "        labels: {severity: " + std::string(pick(2) ? "warning" : "critical") + "}\n";
  r += "        annotations: {summary: '{{ $labels.service }} at {{ $value }}'}\n";
  return r;
}

}  // namespace

TEST_CASE("promtool agrees with the simulator on the library's Prometheus rule file",
          "[promql][promtool][e2e]") {
  skip_unless_promtool();
  const fs::path file = source_dir() / "scenarios" / "prometheus-rules-shop.yaml";
  auto load = scenario::load_scenario_file(file.string());
  INFO(load.diagnostics.describe());
  REQUIRE(load.scenario);
  check_with_promtool(*load.scenario, source_dir() / "scenarios" / "rules" / "shop-alerts.yaml",
                      temp_dir("library"), 3);
}

TEST_CASE("promtool agrees with the simulator on random rule files over random faults",
          "[promql][promtool][e2e]") {
  skip_unless_promtool();
  const std::uint64_t seed = GENERATE(1, 2, 3);
  std::mt19937_64 rng(seed);
  const fs::path dir = temp_dir("random-" + std::to_string(seed));
  std::string rules = "groups:\n  - name: random\n    interval: 15s\n    rules:\n";
  for (int i = 0; i < 12; ++i)
    rules += random_rule(rng, i);
  std::ofstream(dir / "rules.yaml") << rules;
  const char* kinds[] = {"memory-leak", "bad-deploy", "cpu-hog", "pod-loss", "traffic-spike"};
  std::string faults;
  for (int i = 0; i < 3; ++i) {
    faults += "  - {at: " + std::to_string(10 + 25 * i + static_cast<int>(rng() % 10)) +
              "m, kind: " + kinds[rng() % 5] + ", target: " + (i % 2 ? "api" : "web") +
              ", duration: 20m}\n";
  }
  std::ofstream(dir / "s.yaml")
      << "scenario: random-rules\nduration: 1h30m\nseed: " << seed
      << "\nstart: 2026-01-05T10:00:00Z\ncluster:\n  namespace: rnd\n  services:\n"
         "    web: {replicas: 4, traffic: {rps: 150}, depends_on: [api]}\n"
         "    api: {replicas: 4, traffic: {rps: 100}}\n"
      << "policies: " << (source_dir() / "scenarios" / "policies" / "promql-verified.yaml").string()
      << "\nalert_rules: {prometheus_rules: rules.yaml}\nfaults:\n"
      << faults;
  INFO(rules);
  auto load = scenario::load_scenario_file((dir / "s.yaml").string());
  INFO(load.diagnostics.describe());
  REQUIRE(load.scenario);
  check_with_promtool(*load.scenario, dir / "rules.yaml", dir, 1);
}
