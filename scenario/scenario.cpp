#include "scenario/scenario.hpp"

#include <algorithm>
#include <cctype>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>

#include "config/file_io.hpp"
#include "core/duration.hpp"
#include "core/timestamp.hpp"
#include "engine/policy_loader.hpp"
#include "scenario/ics_calendar.hpp"
#include "scenario/prom_rules.hpp"
#include "scenario/yaml_util.hpp"

namespace selfheal::scenario {
namespace {

namespace fs = std::filesystem;
using sim::ClusterSpec;

/// intermittent.jitter as a share: at most this much of a phase (a phase never shrinks to 0).
constexpr double kMaxJitterShare = 0.9;

const std::vector<std::string> kTopKeys{"scenario", "description", "duration",   "seed",
                                        "start",    "cluster",     "policies",   "engine",
                                        "oncall",   "calendar",    "faults",     "alert_rules",
                                        "expect",   "variation",   "invariants", "metric_names"};

// Where each ClusterSpec field came from, so the model's own validation (which speaks in
// spec paths like `services[2].depends_on[0]`) can be reported at the user's line and in
// the user's terms (`cluster.services.payment-api.depends_on[0]`).
struct Origin {
  int line = 0;
  std::string field;
};

class Loader {
 public:
  Loader(std::string file, std::string base_dir, core::Diagnostics& d)
      : r_(std::move(file), d), base_dir_(std::move(base_dir)) {}

  std::optional<Scenario> load(const std::string& text);
  bool policy_document() const { return policy_document_; }

 private:
  void note(const std::string& spec_path, const YAML::Node& n, const std::string& field) {
    origins_[spec_path] = Origin{line_of(n), field};
  }
  // The closest noted ancestor of spec path `path`, with the rest of the path appended in
  // the user's terms: `faults[0].params.rate` -> `faults[0].rate` at that fault's line.
  Origin origin_of(const std::string& spec_path) const {
    std::string path = spec_path;
    while (!path.empty()) {
      auto it = origins_.find(path);
      if (it != origins_.end()) {
        return Origin{it->second.line, it->second.field + spec_path.substr(path.size())};
      }
      const auto cut = path.find_last_of(".[");
      if (cut == std::string::npos) break;
      path.resize(cut);
    }
    return Origin{0, spec_path};
  }
  void fill_missing_lines(const YAML::Node& root);
  bool policy_file(const YAML::Node& root);
  void check_unique_ids();

  void cluster(const YAML::Node& n);
  void service(const std::string& name, const YAML::Node& n, std::size_t index);
  std::optional<sim::ReleaseSpec> release(const YAML::Node& n, const std::string& field);
  std::optional<sim::IntOrPercent> int_or_percent(const YAML::Node& n, const std::string& field);
  void faults(const YAML::Node& n);
  void calendar(const YAML::Node& n);
  void intermittent(const YAML::Node& n, const std::string& f, sim::FaultSpec& fs);
  void classification(const YAML::Node& n, const std::string& field, const std::string& id,
                      const std::string& target);
  void alert_rules(const YAML::Node& n);
  void oncall(const YAML::Node& n);
  void policies(const YAML::Node& n, const std::string& text, const YAML::Node& root);
  void engine_overrides(const YAML::Node& n);
  void variation(const YAML::Node& n);
  void check_service(const YAML::Node& n, const std::string& field, const std::string& name);

  template <typename T, typename F>
  void set(const YAML::Node& n, const std::string& field, T& dst, F read) {
    if (auto v = read(n, field)) dst = static_cast<T>(*v);
  }
  void num(const YAML::Node& n, const std::string& field, double& dst, double lo, double hi) {
    auto v = r_.number(n, field);
    if (!v) return;
    if (*v < lo || *v > hi) {
      r_.error(n, field, "must be between " + trim(lo) + " and " + trim(hi));
      return;
    }
    dst = *v;
  }
  void count(const YAML::Node& n, const std::string& field, int& dst, int lo) {
    auto v = r_.integer(n, field);
    if (!v) return;
    if (*v < lo || *v > 1000000) {
      r_.error(n, field, "must be a whole number >= " + std::to_string(lo));
      return;
    }
    dst = static_cast<int>(*v);
  }
  void dur(const YAML::Node& n, const std::string& field, Duration& dst) {
    if (auto v = r_.duration(n, field)) dst = *v;
  }
  static std::string trim(double v) {
    std::ostringstream o;
    o << v;
    return o.str();
  }

  YamlReader r_;
  std::string base_dir_;
  Scenario s_;
  std::map<std::string, Origin> origins_;
  std::vector<std::string> service_names_;
  std::vector<std::pair<YAML::Node, std::string>> pending_service_refs_;  // (node, field)
  std::vector<int> fault_lines_, planned_lines_;  // line of each accepted fault / event
  bool policy_document_ = false;  ///< the text is a policy file (remediation_policies:)
};

void Loader::check_service(const YAML::Node& n, const std::string& field, const std::string& name) {
  if (std::find(service_names_.begin(), service_names_.end(), name) != service_names_.end()) return;
  const std::string hint = did_you_mean(name, service_names_);
  r_.error(n, field,
           "unknown service \"" + name + "\"" +
               (hint.empty() ? "; services are declared under cluster.services"
                             : "; did you mean \"" + hint + "\"?"));
}

std::optional<sim::IntOrPercent> Loader::int_or_percent(const YAML::Node& n,
                                                        const std::string& field) {
  if (!n.IsDefined() || n.IsNull()) return std::nullopt;
  if (n.IsScalar()) {
    std::string s = n.Scalar();
    const bool pct = !s.empty() && s.back() == '%';
    if (pct) s.pop_back();
    if (!s.empty() &&
        std::all_of(s.begin(), s.end(), [](char c) { return c >= '0' && c <= '9'; }) &&
        s.size() < 7) {
      return sim::IntOrPercent{std::stoi(s), pct};
    }
  }
  r_.error(n, field, "expected a count or a percentage such as 1 or 25%");
  return std::nullopt;
}

std::optional<sim::ReleaseSpec> Loader::release(const YAML::Node& n, const std::string& f) {
  if (!r_.expect_map(n, f)) return std::nullopt;
  r_.check_keys(
      n, f,
      {"revision", "version", "bad", "error_rate", "crash_loop", "crash_after", "deployed_ago"});
  sim::ReleaseSpec rel;
  rel.revision = 0;
  count(n["revision"], f + ".revision", rel.revision, 0);
  set(n["version"], f + ".version", rel.version,
      [&](const YAML::Node& x, const std::string& y) { return r_.str(x, y); });
  set(n["bad"], f + ".bad", rel.bad,
      [&](const YAML::Node& x, const std::string& y) { return r_.boolean(x, y); });
  num(n["error_rate"], f + ".error_rate", rel.error_rate, 0.0, 1.0);
  set(n["crash_loop"], f + ".crash_loop", rel.crash_loop,
      [&](const YAML::Node& x, const std::string& y) { return r_.boolean(x, y); });
  dur(n["crash_after"], f + ".crash_after", rel.crash_after);
  dur(n["deployed_ago"], f + ".deployed_ago", rel.deployed_ago);
  return rel;
}

void Loader::service(const std::string& name, const YAML::Node& n, std::size_t index) {
  const std::string f = "cluster.services." + name;
  const std::string sp = "services[" + std::to_string(index) + "]";
  note(sp, n, f);
  sim::ServiceKind kind = sim::ServiceKind::kApi;
  if (n.IsMap()) {
    if (auto k = r_.str(n["kind"], f + ".kind")) {
      if (auto pk = sim::parse_service_kind(*k)) {
        kind = *pk;
      } else {
        r_.error(n["kind"], f + ".kind",
                 "unknown kind \"" + *k + "\"; one of api, worker, database, cache");
      }
    }
  }
  sim::ServiceSpec svc = sim::service_defaults(kind);
  svc.name = name;
  if (n.IsNull()) {  // `payments-db:` with nothing: all defaults
    s_.cluster.services.push_back(std::move(svc));
    return;
  }
  if (!r_.expect_map(n, f)) return;
  r_.check_keys(n, f,
                {"kind", "replicas", "capacity_rps_per_replica", "base_latency_ms",
                 "base_error_rate", "traffic", "depends_on", "memory_per_pod_mb", "memory_limit_mb",
                 "startup_delay", "warmup", "termination_grace", "max_surge", "max_unavailable",
                 "releases", "feature_flags", "critical", "slo"});
  auto boolean = [&](const YAML::Node& x, const std::string& y) { return r_.boolean(x, y); };
  note(sp + ".replicas", n["replicas"], f + ".replicas");
  count(n["replicas"], f + ".replicas", svc.replicas, 1);
  num(n["capacity_rps_per_replica"], f + ".capacity_rps_per_replica", svc.capacity_rps_per_replica,
      0.001, 1e9);
  num(n["base_latency_ms"], f + ".base_latency_ms", svc.base_latency_ms, 0.0, 1e7);
  num(n["base_error_rate"], f + ".base_error_rate", svc.base_error_rate, 0.0, 1.0);
  if (const YAML::Node t = n["traffic"]; t.IsDefined() && r_.expect_map(t, f + ".traffic")) {
    note(sp + ".traffic", t, f + ".traffic");
    r_.check_keys(t, f + ".traffic", {"rps", "daily_shape", "noise"});
    num(t["rps"], f + ".traffic.rps", svc.traffic.rps, 0.0, 1e9);
    set(t["daily_shape"], f + ".traffic.daily_shape", svc.traffic.daily_shape, boolean);
    num(t["noise"], f + ".traffic.noise", svc.traffic.noise, 0.0, 10.0);
  }
  if (auto deps = r_.str_list(n["depends_on"], f + ".depends_on")) {
    svc.depends_on = *deps;
    const YAML::Node dn = n["depends_on"];
    for (std::size_t i = 0; i < deps->size(); ++i) {
      const YAML::Node item = dn.IsSequence() ? dn[i] : dn;
      const std::string df = YamlReader::index(f + ".depends_on", i);
      note(YamlReader::index(sp + ".depends_on", i), item, df);
      pending_service_refs_.emplace_back(item, df);
    }
  }
  num(n["memory_per_pod_mb"], f + ".memory_per_pod_mb", svc.memory_per_pod_mb, 1.0, 1e7);
  num(n["memory_limit_mb"], f + ".memory_limit_mb", svc.memory_limit_mb, 1.0, 1e7);
  dur(n["startup_delay"], f + ".startup_delay", svc.startup_delay);
  dur(n["warmup"], f + ".warmup", svc.warmup);
  dur(n["termination_grace"], f + ".termination_grace", svc.termination_grace);
  if (auto v = int_or_percent(n["max_surge"], f + ".max_surge")) svc.max_surge = *v;
  if (auto v = int_or_percent(n["max_unavailable"], f + ".max_unavailable"))
    svc.max_unavailable = *v;
  if (const YAML::Node rs = n["releases"]; rs.IsDefined() && r_.expect_seq(rs, f + ".releases")) {
    svc.releases.clear();
    for (std::size_t i = 0; i < rs.size(); ++i) {
      note(YamlReader::index(sp + ".releases", i), rs[i], YamlReader::index(f + ".releases", i));
      if (auto rel = release(rs[i], YamlReader::index(f + ".releases", i))) {
        if (rel->revision == 0) rel->revision = static_cast<int>(i) + 1;
        svc.releases.push_back(*rel);
      }
    }
  }
  if (auto flags = r_.str_list(n["feature_flags"], f + ".feature_flags"))
    svc.feature_flags = *flags;
  set(n["critical"], f + ".critical", svc.critical, boolean);
  if (const YAML::Node slo = n["slo"]; slo.IsDefined() && r_.expect_map(slo, f + ".slo")) {
    note(sp + ".slo", slo, f + ".slo");
    r_.check_keys(slo, f + ".slo", {"error_rate", "latency_p99_ms", "queue_lag"});
    num(slo["error_rate"], f + ".slo.error_rate", svc.slo.error_rate, 0.0, 1.0);
    num(slo["latency_p99_ms"], f + ".slo.latency_p99_ms", svc.slo.latency_p99_ms, 0.0, 1e7);
    num(slo["queue_lag"], f + ".slo.queue_lag", svc.slo.queue_lag, 0.0, 1e12);
  }
  s_.cluster.services.push_back(std::move(svc));
}

void Loader::cluster(const YAML::Node& n) {
  if (!n.IsDefined()) {
    r_.error_at(1, "cluster", "missing: describe the services under cluster.services");
    return;
  }
  if (!r_.expect_map(n, "cluster")) return;
  r_.check_keys(n, "cluster",
                {"namespace", "services", "scrape_interval", "capacity_pods", "routing"});
  note("namespace", n["namespace"], "cluster.namespace");
  set(n["namespace"], "cluster.namespace", s_.cluster.ns,
      [&](const YAML::Node& x, const std::string& y) { return r_.str(x, y); });
  note("scrape_interval", n["scrape_interval"], "cluster.scrape_interval");
  dur(n["scrape_interval"], "cluster.scrape_interval", s_.cluster.scrape_interval);
  if (n["capacity_pods"].IsDefined()) {
    int c = 0;
    count(n["capacity_pods"], "cluster.capacity_pods", c, 1);
    if (c > 0) s_.cluster.capacity_pods = c;
  }
  if (const YAML::Node rt = n["routing"]; rt.IsDefined() && r_.expect_map(rt, "cluster.routing")) {
    note("routing", rt, "cluster.routing");
    r_.check_keys(rt, "cluster.routing", {"group_wait", "group_interval", "repeat_interval"});
    dur(rt["group_wait"], "cluster.routing.group_wait", s_.cluster.routing.group_wait);
    dur(rt["group_interval"], "cluster.routing.group_interval", s_.cluster.routing.group_interval);
    dur(rt["repeat_interval"], "cluster.routing.repeat_interval",
        s_.cluster.routing.repeat_interval);
  }
  const YAML::Node svcs = n["services"];
  if (!svcs.IsDefined() || svcs.IsNull()) {
    r_.error(n, "cluster.services", "missing: declare at least one service");
    return;
  }
  if (!r_.expect_map(svcs, "cluster.services")) return;
  if (svcs.size() > kMaxScenarioServices) {
    r_.error(svcs, "cluster.services",
             std::to_string(svcs.size()) + " services is more than a scenario may hold (at most " +
                 std::to_string(kMaxScenarioServices) + "; docs/errors.md#limits)");
    return;
  }
  for (const auto& kv : svcs)
    service_names_.push_back(kv.first.Scalar());
  std::size_t i = 0;
  for (const auto& kv : svcs)
    service(kv.first.Scalar(), kv.second, i++);
}

void Loader::faults(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return;
  if (!r_.expect_seq(n, "faults")) return;
  std::map<std::string, int> used;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const YAML::Node x = n[i];
    const std::string f = YamlReader::index("faults", i);
    const std::string sp = YamlReader::index("faults", i);
    note(sp, x, f);
    if (!r_.expect_map(x, f)) continue;
    r_.check_keys(x, f,
                  {"name", "at", "kind", "target", "duration", "classification", "rate", "severity",
                   "multiplier", "pods", "capacity_loss", "replace_after", "flag", "latency_ms",
                   "crash_loop", "version", "intermittent"});
    sim::FaultSpec fs;
    const std::size_t before = r_.diagnostics().size();
    auto kind = r_.str(x["kind"], f + ".kind");
    if (!kind) {
      r_.error(x, f + ".kind", "missing: e.g. kind: dependency-outage");
    } else if (auto k = sim::parse_fault_kind(*kind)) {
      fs.kind = *k;
    } else {
      static const std::vector<std::string> kKinds{"memory-leak",
                                                   "cpu-hog",
                                                   "bad-deploy",
                                                   "dependency-outage",
                                                   "dependency-degradation",
                                                   "traffic-spike",
                                                   "pod-loss",
                                                   "consumer-stall",
                                                   "bad-feature-flag",
                                                   "poisoned-cache"};
      const std::string hint = did_you_mean(*kind, kKinds);
      r_.error(x["kind"], f + ".kind",
               "unknown fault kind \"" + *kind + "\"" +
                   (hint.empty() ? "; one of memory-leak, cpu-hog, bad-deploy, "
                                   "dependency-outage, dependency-degradation, traffic-spike, "
                                   "pod-loss, consumer-stall, bad-feature-flag, poisoned-cache"
                                 : "; did you mean \"" + hint + "\"?"));
    }
    auto target = r_.str(x["target"], f + ".target");
    note(sp + ".target", x["target"], f + ".target");
    if (!target) {
      r_.error(x, f + ".target", "missing: the service where the fault lives");
    } else {
      fs.target = *target;
      check_service(x["target"], f + ".target", *target);
    }
    if (!x["at"].IsDefined()) {
      r_.error(x, f + ".at", "missing: when the fault starts, e.g. at: 10m");
    } else if (auto at = r_.duration(x["at"], f + ".at")) {
      fs.at = *at;
      note(sp + ".at", x["at"], f + ".at");
      if (s_.duration.count() > 0 && *at >= s_.duration)
        r_.error(x["at"], f + ".at",
                 "the fault starts at " + core::format_duration(*at) +
                     ", at or after the end of the run (duration " +
                     core::format_duration(s_.duration) + ")");
    }
    if (auto d = r_.duration(x["duration"], f + ".duration")) {
      if (d->count() <= 0) r_.error(x["duration"], f + ".duration", "must be longer than 0s");
      fs.duration = *d;
    }
    note(sp + ".params", x, f);
    auto& p = fs.params;
    num(x["rate"], f + ".rate", p.rate, 0.0, 1e6);
    num(x["severity"], f + ".severity", p.severity, 0.0, 1.0);
    num(x["multiplier"], f + ".multiplier", p.multiplier, 0.001, 1e4);
    count(x["pods"], f + ".pods", p.pods, 1);
    count(x["capacity_loss"], f + ".capacity_loss", p.capacity_loss, 0);
    dur(x["replace_after"], f + ".replace_after", p.replace_after);
    set(x["flag"], f + ".flag", p.flag,
        [&](const YAML::Node& a, const std::string& b) { return r_.str(a, b); });
    num(x["latency_ms"], f + ".latency_ms", p.latency_ms, 0.0, 1e7);
    set(x["crash_loop"], f + ".crash_loop", p.crash_loop,
        [&](const YAML::Node& a, const std::string& b) { return r_.boolean(a, b); });
    set(x["version"], f + ".version", p.version,
        [&](const YAML::Node& a, const std::string& b) { return r_.str(a, b); });
    // The incident id: the given name, else "<kind>-<target>" (+ "-2", "-3" for repeats),
    // fixed here so expectations can name it.
    std::string base;
    if (auto nm = r_.str(x["name"], f + ".name"))
      base = *nm;
    else
      base = std::string(sim::to_string(fs.kind)) + "-" + fs.target;
    int& c = used[base];
    ++c;
    fs.name = c == 1 ? base : base + "-" + std::to_string(c);
    classification(x["classification"], f + ".classification", fs.name, fs.target);
    intermittent(x["intermittent"], f + ".intermittent", fs);
    if (r_.diagnostics().size() == before) {
      s_.cluster.faults.push_back(std::move(fs));
      fault_lines_.push_back(line_of(x));
    }
  }
}

// `intermittent: {on: 5m, off: 10m, jitter: 0.2}`: jitter is a share of each phase (a
// number) or a duration (with a unit).
void Loader::intermittent(const YAML::Node& n, const std::string& f, sim::FaultSpec& fs) {
  if (!n.IsDefined() || n.IsNull() || !r_.expect_map(n, f)) return;
  r_.check_keys(n, f, {"on", "off", "jitter"});
  sim::IntermittentSpec in;
  for (const char* key : {"on", "off"}) {
    const std::string field = f + "." + key;
    if (!n[key].IsDefined()) {
      r_.error(n, field,
               std::string("missing: how long the fault's effect stays ") + key + ", e.g. " + key +
                   ": 5m");
    } else if (auto d = r_.duration(n[key], field)) {
      if (d->count() <= 0) r_.error(n[key], field, "must be longer than 0s");
      (std::string_view(key) == "on" ? in.on : in.off) = *d;
    }
  }
  if (const YAML::Node j = n["jitter"]; j.IsDefined() && !j.IsNull()) {
    const std::string t = j.IsScalar() ? j.Scalar() : "";
    const bool share = !t.empty() && (std::isdigit(static_cast<unsigned char>(t.back())) != 0);
    if (share) {
      num(j, f + ".jitter", in.jitter_fraction, 0.0, kMaxJitterShare);
    } else if (auto d = r_.duration(j, f + ".jitter")) {
      if (*d >= std::min(in.on, in.off))
        r_.error(j, f + ".jitter",
                 "must be shorter than both phases (a share of each phase: jitter: 0.2)");
      in.jitter = *d;
    }
  }
  if (fs.kind != sim::FaultKind::kDependencyOutage &&
      fs.kind != sim::FaultKind::kDependencyDegradation)
    r_.error(n, f,
             "supported for dependency-outage and dependency-degradation only (a " +
                 std::string(sim::to_string(fs.kind)) + " does not switch off cleanly)");
  fs.intermittent = in;
}

void Loader::classification(const YAML::Node& cl, const std::string& f, const std::string& id,
                            const std::string& target) {
  if (!cl.IsDefined() || cl.IsNull() || !r_.expect_map(cl, f)) return;
  r_.check_keys(cl, f, {"incident_type", "confidence", "service"});
  InjectedClassification ic;
  ic.fault = id;
  ic.service = target;
  if (auto t = r_.str(cl["incident_type"], f + ".incident_type"))
    ic.classification.incident_type = *t;
  else
    r_.error(cl, f + ".incident_type", "missing: e.g. memory-leak");
  if (!cl["confidence"].IsDefined()) r_.error(cl, f + ".confidence", "missing: a number in [0, 1]");
  num(cl["confidence"], f + ".confidence", ic.classification.confidence, 0.0, 1.0);
  if (auto sv = r_.str(cl["service"], f + ".service")) {
    ic.service = *sv;
    check_service(cl["service"], f + ".service", *sv);
  }
  if (ic.service.empty())
    r_.error(cl, f + ".service", "name the service whose notifications carry it");
  s_.classifications.push_back(std::move(ic));
}

void Loader::calendar(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return;
  if (n.IsMap()) {  // calendar: {ics: FILE} (scenario/ics_calendar.hpp)
    for (auto& p : planned_from_ics(n, r_, base_dir_, s_.cluster.start, s_.duration, s_.cluster.ns,
                                    service_names_)) {
      s_.cluster.planned.push_back(std::move(p));
      planned_lines_.push_back(line_of(n));
    }
    return;
  }
  if (!r_.expect_seq(n, "calendar")) return;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const YAML::Node x = n[i];
    const std::string f = YamlReader::index("calendar", i);
    // The model's validation speaks of calendar[i] (sim::validate), so note that path.
    note(YamlReader::index("calendar", i), x, f);
    if (!r_.expect_map(x, f)) continue;
    r_.check_keys(x, f,
                  {"name", "kind", "start", "end", "duration", "service", "traffic_multiplier",
                   "release", "severity", "classification"});
    const std::size_t before = r_.diagnostics().size();
    sim::PlannedEventSpec p;
    if (auto nm = r_.str(x["name"], f + ".name"))
      p.name = *nm;
    else
      r_.error(x, f + ".name", "missing: name the event, e.g. spring-campaign");
    bool kind_known = false;
    if (auto k = r_.str(x["kind"], f + ".kind")) {
      if (auto pk = sim::parse_planned_kind(*k)) {
        p.kind = *pk;
        kind_known = true;
      } else
        r_.error(x["kind"], f + ".kind",
                 "unknown kind \"" + *k +
                     "\"; one of marketing-campaign, deploy-window, "
                     "maintenance");
    } else {
      r_.error(x, f + ".kind", "missing: e.g. kind: marketing-campaign");
    }
    if (!x["start"].IsDefined()) r_.error(x, f + ".start", "missing: e.g. start: 1h");
    dur(x["start"], f + ".start", p.start);
    if (x["end"].IsDefined() && x["duration"].IsDefined())
      r_.error(x["duration"], f + ".duration", "give end or duration, not both");
    if (x["end"].IsDefined()) {
      dur(x["end"], f + ".end", p.end);
    } else if (auto d = r_.duration(x["duration"], f + ".duration")) {
      p.end = p.start + *d;
    } else if (!x["duration"].IsDefined()) {
      r_.error(x, f + ".end", "missing: when the event ends, e.g. end: 3h");
    }
    if (p.end <= p.start && x["start"].IsDefined() && (x["end"].IsDefined()))
      r_.error(x["end"], f + ".end", "must be after start");
    if (s_.duration.count() > 0 && p.start >= s_.duration)
      r_.error(x["start"], f + ".start",
               "the event starts at " + core::format_duration(p.start) +
                   ", at or after the end of the run (duration " +
                   core::format_duration(s_.duration) + ")");
    if (x["service"].IsDefined())
      note(YamlReader::index("calendar", i) + ".service", x["service"], f + ".service");
    if (auto sv = r_.str(x["service"], f + ".service")) {
      p.service = *sv;
      check_service(x["service"], f + ".service", *sv);
    } else if (kind_known && !x["service"].IsDefined() &&
               p.kind != sim::PlannedKind::kMaintenance) {
      // Only maintenance may omit the service (it then applies to every service).
      r_.error(x, f + ".service",
               p.kind == sim::PlannedKind::kMarketingCampaign
                   ? "missing: a marketing campaign needs the service whose traffic it raises"
                   : "missing: a deploy window needs the service it rolls out to");
    }
    num(x["traffic_multiplier"], f + ".traffic_multiplier", p.traffic_multiplier, 0.0, 1e4);
    if (x["release"].IsDefined()) p.release = release(x["release"], f + ".release");
    num(x["severity"], f + ".severity", p.severity, 0.0, 1.0);
    classification(x["classification"], f + ".classification", p.name, p.service);
    if (r_.diagnostics().size() == before) {
      s_.cluster.planned.push_back(std::move(p));
      planned_lines_.push_back(line_of(x));
    }
  }
}

void Loader::alert_rules(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return;
  // Either a list of rules, or {defaults: false, rules: [...]}. `list` is bound once:
  // assigning a YAML::Node writes through to the node it refers to (it would overwrite
  // `n`, and throw YAML::InvalidNode when `rules` is absent).
  if (n.IsMap()) {
    r_.check_keys(n, "alert_rules", {"defaults", "rules", "prometheus_rules"});
    if (n["prometheus_rules"].IsDefined()) {
      s_.prometheus_rules = read_prometheus_rules_key(n, r_, base_dir_, s_.cluster);
      return;
    }
    if (auto d = r_.boolean(n["defaults"], "alert_rules.defaults")) s_.cluster.default_rules = *d;
  }
  const YAML::Node list = n.IsMap() ? n["rules"] : n;
  if (!list.IsDefined() || list.IsNull()) return;
  if (!r_.expect_seq(list, "alert_rules")) return;
  const auto defaults = sim::default_alert_rules();
  for (std::size_t i = 0; i < list.size(); ++i) {
    const YAML::Node x = list[i];
    const std::string f = YamlReader::index("alert_rules", i);
    note(YamlReader::index("alert_rules", i), x, f);
    if (!r_.expect_map(x, f)) continue;
    r_.check_keys(x, f,
                  {"name", "signal", "op", "threshold", "for", "keep_firing_for", "window",
                   "labels", "kinds", "enabled"});
    sim::AlertRuleSpec a;
    auto name = r_.str(x["name"], f + ".name");
    if (!name) {
      r_.error(x, f + ".name", "missing: the alertname, e.g. HighErrorRate");
      continue;
    }
    bool overriding = false;
    for (const auto& d : defaults)
      if (d.name == *name) {
        a = d;  // an override starts from the default rule of the same name
        overriding = true;
      }
    a.name = *name;
    if (auto sig = r_.str(x["signal"], f + ".signal")) {
      if (auto sn = engine::parse_signal_name(*sig))
        a.signal = *sn;
      else
        r_.error(x["signal"], f + ".signal",
                 "unknown signal \"" + *sig +
                     "\"; one of error_rate, latency_p99_ms, cpu_utilization, "
                     "memory_utilization, oom_kills, restarts, ready_ratio, queue_lag, "
                     "queue_lag_trend, request_rate, dependency_errors");
    } else if (!overriding) {
      r_.error(x, f + ".signal", "missing: the signal the rule watches");
    }
    if (auto op = r_.str(x["op"], f + ".op")) {
      if (auto o = sim::parse_compare_op(*op))
        a.op = *o;
      else
        r_.error(x["op"], f + ".op", "unknown comparison \"" + *op + "\"; one of > >= < <=");
    }
    if (auto t = r_.number(x["threshold"], f + ".threshold"))
      a.threshold = *t;
    else if (!overriding && !x["threshold"].IsDefined())
      r_.error(x, f + ".threshold", "missing: the value the signal is compared with");
    dur(x["for"], f + ".for", a.for_);
    dur(x["keep_firing_for"], f + ".keep_firing_for", a.keep_firing_for);
    dur(x["window"], f + ".window", a.window);
    if (const YAML::Node l = x["labels"]; l.IsDefined() && r_.expect_map(l, f + ".labels")) {
      for (const auto& kv : l)
        a.labels[kv.first.Scalar()] = kv.second.IsScalar() ? kv.second.Scalar() : "";
    }
    if (auto ks = r_.str_list(x["kinds"], f + ".kinds")) {
      a.kinds.clear();
      for (const auto& k : *ks) {
        if (auto sk = sim::parse_service_kind(k))
          a.kinds.push_back(*sk);
        else
          r_.error(x["kinds"], f + ".kinds",
                   "unknown service kind \"" + k + "\"; one of api, worker, database, cache");
      }
    }
    set(x["enabled"], f + ".enabled", a.enabled,
        [&](const YAML::Node& p, const std::string& q) { return r_.boolean(p, q); });
    s_.cluster.alert_rules.push_back(std::move(a));
  }
}

void Loader::oncall(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return;
  if (!r_.expect_map(n, "oncall")) return;
  note("oncall", n, "oncall");
  r_.check_keys(n, "oncall",
                {"response_time", "night_response_time", "business_hours_start",
                 "business_hours_end", "weekends_are_night", "fix_time", "direct_page_after"});
  auto& o = s_.cluster.oncall;
  dur(n["response_time"], "oncall.response_time", o.response_time);
  if (auto d = r_.duration(n["night_response_time"], "oncall.night_response_time"))
    o.night_response_time = *d;
  count(n["business_hours_start"], "oncall.business_hours_start", o.business_hours_start, 0);
  count(n["business_hours_end"], "oncall.business_hours_end", o.business_hours_end, 0);
  set(n["weekends_are_night"], "oncall.weekends_are_night", o.weekends_are_night,
      [&](const YAML::Node& p, const std::string& q) { return r_.boolean(p, q); });
  dur(n["fix_time"], "oncall.fix_time", o.fix_time);
  if (auto d = r_.duration(n["direct_page_after"], "oncall.direct_page_after"))
    o.direct_page_after = *d;
}

void Loader::policies(const YAML::Node& n, const std::string& text, const YAML::Node& root) {
  if (!n.IsDefined() || n.IsNull()) {
    r_.error_at(1, "policies",
                "missing: a policy file (relative to the scenario) or an inline policy");
    return;
  }
  engine::PolicyLoad load;
  int line_offset = 0;
  if (n.IsScalar()) {
    fs::path p = n.Scalar();
    if (p.is_relative()) p = fs::path(base_dir_) / p;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      r_.error(n, "policies",
               "policy file \"" + n.Scalar() + "\" does not exist (looked for " +
                   p.lexically_normal().string() + ")");
      return;
    }
    s_.policy_source = p.lexically_normal().string();
    load = engine::load_policy_file(s_.policy_source);
  } else if (n.IsMap()) {
    // Hand the loader the inline block's own text so its diagnostics carry the scenario's
    // line numbers: the block runs from the value's first line up to the next top-level key.
    const int first = n.Mark().line;  // 0-based
    const int column = n.Mark().column;
    int next = 1 << 30;
    for (const auto& kv : root)
      if (kv.first.Mark().line > first) next = std::min(next, kv.first.Mark().line);
    std::istringstream in(text);
    std::string line, block;
    for (int k = 0; std::getline(in, line) && k < next; ++k) {
      if (k < first) continue;
      if (k == first) {
        block += line.substr(std::min<std::size_t>(line.size(), column)) + "\n";
        continue;
      }
      std::size_t cut = 0;
      while (cut < line.size() && cut < static_cast<std::size_t>(column) && line[cut] == ' ')
        ++cut;
      block += line.substr(cut) + "\n";
    }
    line_offset = first;
    s_.policy_source = "inline";
    load = engine::load_policy_string(block, r_.file());
  } else {
    r_.error(n, "policies", "expected a policy file name or an inline policy mapping");
    return;
  }
  for (auto e : load.diagnostics.errors()) {
    if (line_offset && e.line > 0) e.line += line_offset;
    if (line_offset) e.field = "policies." + e.field;
    r_.diagnostics().add(e);
  }
  if (load.policies) s_.policies = *load.policies;
  s_.policy_notes = load.notes;
}

void Loader::engine_overrides(const YAML::Node& n) {
  // The same shape as a policy file's `engine:` block; what is given replaces the policy
  // file's setting, the rest stays.
  if (!n.IsDefined() || n.IsNull()) return;
  if (!r_.expect_map(n, "engine")) return;
  r_.check_keys(n, "engine",
                {"mode", "kill_switch", "allowed_namespaces", "limits", "flap_window"});
  auto& st = s_.policies.settings;
  dur(n["flap_window"], "engine.flap_window", st.flap_window);
  if (auto m = r_.str(n["mode"], "engine.mode")) {
    if (auto pm = engine::parse_mode(*m))
      st.mode = *pm;
    else
      r_.error(n["mode"], "engine.mode",
               "unknown mode \"" + *m + "\"; one of shadow, recommend, auto");
  }
  set(n["kill_switch"], "engine.kill_switch", st.kill_switch,
      [&](const YAML::Node& p, const std::string& q) { return r_.boolean(p, q); });
  if (auto ns = r_.str_list(n["allowed_namespaces"], "engine.allowed_namespaces"))
    st.allowed_namespaces = *ns;
  const YAML::Node l = n["limits"];
  if (!l.IsDefined() || l.IsNull() || !r_.expect_map(l, "engine.limits")) return;
  r_.check_keys(
      l, "engine.limits",
      {"max_concurrent_actions", "max_actions_per_window", "rate_window", "blast_radius"});
  count(l["max_concurrent_actions"], "engine.limits.max_concurrent_actions",
        st.limits.max_concurrent_actions, 0);
  count(l["max_actions_per_window"], "engine.limits.max_actions_per_window",
        st.limits.max_actions_per_window, 0);
  dur(l["rate_window"], "engine.limits.rate_window", st.limits.rate_window);
  num(l["blast_radius"], "engine.limits.blast_radius", st.limits.blast_radius, 0.0, 1.0);
}

void Loader::variation(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return;
  if (!r_.expect_map(n, "variation")) return;
  r_.check_keys(n, "variation",
                {"fault_start_jitter", "traffic_noise", "classifier_noise", "classifier_accuracy",
                 "responder_delay"});
  auto& v = s_.variation;
  v.fault_start_jitter = r_.duration(n["fault_start_jitter"], "variation.fault_start_jitter");
  if (n["traffic_noise"].IsDefined()) {
    double x = 0;
    num(n["traffic_noise"], "variation.traffic_noise", x, 0.0, 10.0);
    v.traffic_noise = x;
  }
  if (n["classifier_noise"].IsDefined()) {
    double x = 0;
    num(n["classifier_noise"], "variation.classifier_noise", x, 0.0, 1.0);
    v.classifier_noise = x;
  }
  if (n["classifier_accuracy"].IsDefined()) {
    double x = 1;
    num(n["classifier_accuracy"], "variation.classifier_accuracy", x, 0.0, 1.0);
    v.classifier_accuracy = x;
  }
  v.responder_delay = r_.duration(n["responder_delay"], "variation.responder_delay");
}

// "2026-01-05T09:00:00Z" or "2026-01-05T09:00Z" (UTC only), read by the strict
// core::parse_rfc3339 (the sscanf it replaces took "T-1:-1:-1Z" and "-999-01-01").
std::optional<core::TimePoint> parse_start(const std::string& s) {
  if (s.empty() || (s.back() != 'Z' && s.back() != 'z')) return std::nullopt;
  auto t = core::parse_rfc3339(s, {.optional_seconds = true});
  if (!t) return std::nullopt;
  return *t;
}

std::optional<Scenario> Loader::load(const std::string& text) {
  YAML::Node root;
  try {
    root = YAML::Load(text);
  } catch (const YAML::Exception& e) {
    r_.error_at(e.mark.line + 1, "", "not valid YAML: " + e.msg);
    return std::nullopt;
  }
  if (!root.IsMap()) {
    r_.error_at(1, "",
                "a scenario is a mapping with at least scenario, duration, cluster, "
                "policies");
    return std::nullopt;
  }
  s_.file = r_.file();
  if (policy_file(root)) return std::nullopt;
  r_.check_keys(root, "", kTopKeys);
  if (auto nm = r_.str(root["scenario"], "scenario"))
    s_.name = *nm;
  else
    r_.error_at(1, "scenario", "missing: name the scenario, e.g. scenario: db-outage");
  s_.description = r_.str(root["description"], "description").value_or("");
  if (auto d = r_.duration(root["duration"], "duration")) {
    if (d->count() <= 0)
      r_.error(root["duration"], "duration", "must be longer than 0s");
    else
      s_.duration = *d;
  } else if (!root["duration"].IsDefined()) {
    r_.error_at(1, "duration", "missing: how long the run lasts, e.g. duration: 2h");
  }
  if (auto seed = r_.integer(root["seed"], "seed")) {
    if (*seed < 0)
      r_.error(root["seed"], "seed", "must be >= 0");
    else
      s_.seed = static_cast<std::uint64_t>(*seed);
  }
  if (auto st = r_.str(root["start"], "start")) {
    if (auto tp = parse_start(*st))
      s_.cluster.start = *tp;
    else
      r_.error(root["start"], "start",
               "invalid start \"" + *st + "\"; write UTC like 2026-01-05T09:00:00Z");
  }
  cluster(root["cluster"]);
  read_metric_names(root["metric_names"], r_, s_.cluster);
  for (const auto& [node, field] : pending_service_refs_)
    if (node.IsScalar()) check_service(node, field, node.Scalar());
  policies(root["policies"], text, root);
  engine_overrides(root["engine"]);
  oncall(root["oncall"]);
  calendar(root["calendar"]);
  faults(root["faults"]);
  alert_rules(root["alert_rules"]);
  variation(root["variation"]);
  for (const auto& f : s_.cluster.faults)
    s_.incident_ids.push_back(f.name);
  for (const auto& p : s_.cluster.planned)
    s_.incident_ids.push_back(p.name);
  check_unique_ids();
  s_.expectations = parse_expectations(root["expect"], r_, service_names_, s_.incident_ids);
  s_.invariants = parse_invariants(root["invariants"], r_, service_names_);

  if (!r_.diagnostics().empty()) {
    fill_missing_lines(root);
    return std::nullopt;
  }
  // The model's own validation (dependency cycles, capacities, ...), reported at our lines.
  const core::Diagnostics model = sim::validate(s_.cluster);  // kept alive for the loop
  for (const auto& e : model.errors()) {
    const Origin o = origin_of(e.field);
    r_.error_at(o.line, o.field, e.message);
  }
  fill_missing_lines(root);
  if (!r_.diagnostics().empty()) return std::nullopt;
  return std::move(s_);
}

// A policy file next to the scenarios (check DIR reads every *.yaml): say what it is
// instead of a list of unknown keys. The seed's single-policy form counts too.
bool Loader::policy_file(const YAML::Node& root) {
  for (const char* key : {"remediation_policies", "remediation_policy"}) {
    if (!root[key].IsDefined() || root["scenario"].IsDefined()) continue;
    policy_document_ = true;
    // The key's own line (a value's mark can sit on the next line).
    int line = 1;
    for (const auto& kv : root)
      if (kv.first.Scalar() == key) line = kv.first.Mark().line + 1;
    r_.error_at(line, key, "this is a policy file; scenarios reference it with `policies:`");
    return true;
  }
  return false;
}

// Faults and calendar events share one namespace of incident ids; a repeat is reported at
// the line of the second one.
void Loader::check_unique_ids() {
  std::vector<int> lines = fault_lines_;
  lines.insert(lines.end(), planned_lines_.begin(), planned_lines_.end());
  std::set<std::string> seen;
  for (std::size_t i = 0; i < s_.incident_ids.size(); ++i)
    if (!seen.insert(s_.incident_ids[i]).second)
      r_.error_at(lines[i], i < fault_lines_.size() ? "faults" : "calendar",
                  "two faults or calendar events are named \"" + s_.incident_ids[i] +
                      "\": give each a unique name");
}

// Every message names a line. An error reported on an absent node (a missing key) or by a
// check that has no node of its own gets the line of the closest enclosing field the loader
// saw, else of its top-level key, else line 1 (the document).
void Loader::fill_missing_lines(const YAML::Node& root) {
  std::map<std::string, int> lines;
  for (const auto& kv : root)
    lines.emplace(kv.first.Scalar(), kv.first.Mark().line + 1);
  for (const auto& [spec_path, o] : origins_)
    if (o.line > 0) lines[o.field] = o.line;
  core::Diagnostics filled;
  for (auto e : r_.diagnostics().errors()) {
    if (e.file != r_.file()) {  // a policy file's own diagnostics carry their own lines
      filled.add(std::move(e));
      continue;
    }
    std::string path = e.field;
    while (e.line <= 0 && !path.empty()) {
      if (auto it = lines.find(path); it != lines.end()) e.line = it->second;
      const auto cut = path.find_last_of(".[");
      path.resize(cut == std::string::npos ? 0 : cut);
    }
    if (e.line <= 0) e.line = 1;
    filled.add(std::move(e));
  }
  r_.diagnostics() = std::move(filled);
}

}  // namespace

ScenarioLoad load_scenario_string(const std::string& yaml, const std::string& source_name,
                                  const std::string& base_dir) {
  ScenarioLoad out;
  Loader l{source_name, base_dir, out.diagnostics};
  auto s = l.load(yaml);
  out.policy_document = l.policy_document();
  if (out.diagnostics.empty()) out.scenario = std::move(s);
  return out;
}

ScenarioLoad load_scenario_file(const std::string& path) {
  auto text = config::read_file(path);
  if (!text) {
    ScenarioLoad out;
    out.diagnostics.add(text.error());
    return out;
  }
  const fs::path p(path);
  return load_scenario_string(*text, path, p.has_parent_path() ? p.parent_path().string() : ".");
}

std::vector<std::string> scenario_files(const std::string& path, core::Diagnostics& diags) {
  std::vector<std::string> out;
  std::error_code ec;
  if (fs::is_directory(path, ec)) {
    for (const auto& e : fs::directory_iterator(path, ec)) {
      if (!e.is_regular_file()) continue;
      const auto ext = e.path().extension().string();
      if (ext == ".yaml" || ext == ".yml") out.push_back(e.path().string());
    }
    std::sort(out.begin(), out.end());
    if (out.empty()) diags.add(core::Error{"no *.yaml scenario in this directory", path});
    return out;
  }
  if (fs::is_regular_file(path, ec)) {
    out.push_back(path);
    return out;
  }
  diags.add(core::Error{"no such scenario file or directory", path});
  return out;
}

}  // namespace selfheal::scenario
