#include "scenario/scenario_loader.hpp"

#include <algorithm>
#include <string>

#include "engine/objective_bounds.hpp"
#include "sim/model_constants.hpp"

namespace selfheal::scenario::detail {

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

// `traffic:` and `slo:`, the two nested maps of a service (read where the service's keys
// put them, so messages keep their order).
void Loader::service_traffic(const YAML::Node& n, const std::string& f, const std::string& sp,
                             sim::ServiceSpec& svc) {
  if (const YAML::Node t = n["traffic"]; t.IsDefined() && r_.expect_map(t, f + ".traffic")) {
    note(sp + ".traffic", t, f + ".traffic");
    r_.check_keys(t, f + ".traffic", {"rps", "daily_shape", "noise"});
    num(t["rps"], f + ".traffic.rps", svc.traffic.rps, 0.0, 1e9);
    set(t["daily_shape"], f + ".traffic.daily_shape", svc.traffic.daily_shape,
        [&](const YAML::Node& x, const std::string& y) { return r_.boolean(x, y); });
    num(t["noise"], f + ".traffic.noise", svc.traffic.noise, 0.0, sim::model::kMaxTrafficNoise);
  }
}

void Loader::service_slo(const YAML::Node& n, const std::string& f, const std::string& sp,
                         sim::ServiceSpec& svc) {
  if (const YAML::Node slo = n["slo"]; slo.IsDefined() && r_.expect_map(slo, f + ".slo")) {
    note(sp + ".slo", slo, f + ".slo");
    r_.check_keys(slo, f + ".slo", {"error_rate", "latency_p99_ms", "queue_lag"});
    num(slo["error_rate"], f + ".slo.error_rate", svc.slo.error_rate, 0.0,
        engine::kMaxErrorRateObjective);
    num(slo["latency_p99_ms"], f + ".slo.latency_p99_ms", svc.slo.latency_p99_ms, 0.0,
        engine::kMaxLatencyObjectiveMs);
    num(slo["queue_lag"], f + ".slo.queue_lag", svc.slo.queue_lag, 0.0,
        engine::kMaxQueueLagObjective);
  }
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
  service_traffic(n, f, sp, svc);
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
  service_slo(n, f, sp, svc);
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

}  // namespace selfheal::scenario::detail
