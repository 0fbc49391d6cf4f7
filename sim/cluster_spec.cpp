// Validation and default rules for a ClusterSpec (its ground truth is in ground_truth.cpp).
#include "sim/cluster_spec.hpp"
#include "config/names.hpp"
#include "core/enum_names.hpp"
#include "sim/model_constants.hpp"

#include <algorithm>
#include <array>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>
#include <utility>

namespace selfheal::sim {
namespace {

using engine::ActionKind;

using core::enum_from_name;
using core::enum_name;

constexpr std::array<std::pair<ServiceKind, std::string_view>, 4> kServiceKinds{{
    {ServiceKind::kApi, "api"},
    {ServiceKind::kWorker, "worker"},
    {ServiceKind::kDatabase, "database"},
    {ServiceKind::kCache, "cache"},
}};

constexpr std::array<std::pair<FaultKind, std::string_view>, 10> kFaultKinds{{
    {FaultKind::kMemoryLeak, "memory-leak"},
    {FaultKind::kCpuHog, "cpu-hog"},
    {FaultKind::kBadDeploy, "bad-deploy"},
    {FaultKind::kDependencyOutage, "dependency-outage"},
    {FaultKind::kDependencyDegradation, "dependency-degradation"},
    {FaultKind::kTrafficSpike, "traffic-spike"},
    {FaultKind::kPodLoss, "pod-loss"},
    {FaultKind::kConsumerStall, "consumer-stall"},
    {FaultKind::kBadFeatureFlag, "bad-feature-flag"},
    {FaultKind::kPoisonedCache, "poisoned-cache"},
}};

constexpr std::array<std::pair<PlannedKind, std::string_view>, 3> kPlannedKinds{{
    {PlannedKind::kMarketingCampaign, "marketing-campaign"},
    {PlannedKind::kDeployWindow, "deploy-window"},
    {PlannedKind::kMaintenance, "maintenance"},
}};

constexpr std::array<std::pair<CompareOp, std::string_view>, 4> kOps{{
    {CompareOp::kGt, ">"},
    {CompareOp::kGe, ">="},
    {CompareOp::kLt, "<"},
    {CompareOp::kLe, "<="},
}};

bool finite(double v) {
  return std::isfinite(v);
}

std::string fmt_share(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::string_view to_string(ServiceKind k) {
  return enum_name(kServiceKinds, k);
}
std::optional<ServiceKind> parse_service_kind(std::string_view s) {
  return enum_from_name(kServiceKinds, s);
}
std::string_view to_string(FaultKind k) {
  return enum_name(kFaultKinds, k);
}
std::optional<FaultKind> parse_fault_kind(std::string_view s) {
  return enum_from_name(kFaultKinds, s);
}
std::string_view to_string(PlannedKind k) {
  return enum_name(kPlannedKinds, k);
}
std::optional<PlannedKind> parse_planned_kind(std::string_view s) {
  return enum_from_name(kPlannedKinds, s);
}
std::string_view to_string(CompareOp op) {
  return enum_name(kOps, op);
}
std::optional<CompareOp> parse_compare_op(std::string_view s) {
  return enum_from_name(kOps, s);
}

ServiceSpec service_defaults(ServiceKind kind) {
  ServiceSpec s;
  s.kind = kind;
  switch (kind) {
    case ServiceKind::kApi:
      break;
    case ServiceKind::kWorker:
      s.capacity_rps_per_replica = 40.0;
      s.traffic.rps = 50.0;
      s.base_latency_ms = 200.0;
      s.slo.queue_lag = 5000.0;
      break;
    case ServiceKind::kDatabase:
      s.replicas = 2;
      s.capacity_rps_per_replica = 2000.0;
      s.base_latency_ms = 5.0;
      s.memory_per_pod_mb = 2048.0;
      s.memory_limit_mb = 4096.0;
      s.traffic.rps = 0.0;
      s.startup_delay = 60s;
      break;
    case ServiceKind::kCache:
      s.replicas = 2;
      s.capacity_rps_per_replica = 5000.0;
      s.base_latency_ms = 1.0;
      s.memory_per_pod_mb = 1024.0;
      s.memory_limit_mb = 2048.0;
      s.traffic.rps = 0.0;
      break;
  }
  return s;
}

std::vector<AlertRuleSpec> default_alert_rules() {
  using engine::SignalName;
  std::vector<AlertRuleSpec> r;
  auto add = [&](std::string name, SignalName sig, CompareOp op, double thr, Duration for_,
                 Duration window, std::string severity, std::vector<ServiceKind> kinds = {}) {
    AlertRuleSpec a;
    a.name = std::move(name);
    a.signal = sig;
    a.op = op;
    a.threshold = thr;
    a.for_ = for_;
    a.window = window;
    a.labels["severity"] = std::move(severity);
    a.kinds = std::move(kinds);
    r.push_back(std::move(a));
  };
  add("OOMKilled", SignalName::kOomKills, CompareOp::kGt, 0.0, 0s, 10min, "warning");
  add("HighErrorRate", SignalName::kErrorRate, CompareOp::kGt, 0.05, 1min, 1min, "critical");
  add("HighCPU", SignalName::kCpu, CompareOp::kGt, 0.85, 5min, 5min, "warning");
  add("PodCountDrop", SignalName::kReadyRatio, CompareOp::kLt, 0.75, 2min, 2min, "warning");
  add("HighLatency", SignalName::kLatencyP99, CompareOp::kGt, 1000.0, 5min, 5min, "warning");
  add("QueueLag", SignalName::kQueueLag, CompareOp::kGt, 1000.0, 5min, 5min, "warning",
      {ServiceKind::kWorker});
  add("PodCrashLooping", SignalName::kRestarts, CompareOp::kGt, 2.0, 0s, 10min, "warning");
  return r;
}

std::vector<AlertRuleSpec> effective_alert_rules(const ClusterSpec& spec) {
  std::vector<AlertRuleSpec> rules;
  if (spec.default_rules) rules = default_alert_rules();
  for (const auto& o : spec.alert_rules) {
    // An external rule (a Prometheus rule file's alert) never overrides: a rule file may
    // repeat an alert name (a warning and a critical threshold).
    auto it = o.external() ? rules.end()
                           : std::find_if(rules.begin(), rules.end(),
                                          [&](const AlertRuleSpec& r) { return r.name == o.name; });
    if (it != rules.end()) {
      *it = o;
    } else {
      rules.push_back(o);
    }
  }
  rules.erase(
      std::remove_if(rules.begin(), rules.end(), [](const AlertRuleSpec& r) { return !r.enabled; }),
      rules.end());
  return rules;
}

namespace {

// The checks of validate(), one method per section of the spec, in the order the errors
// are reported; each adds its findings to `d_` with the field path they concern.
class SpecChecker {
 public:
  explicit SpecChecker(const ClusterSpec& spec) : spec_(spec) {}

  core::Diagnostics run() {
    cluster();
    service_names();
    for (std::size_t i = 0; i < spec_.services.size(); ++i) {
      const ServiceSpec& s = spec_.services[i];
      const std::string f = "services[" + std::to_string(i) + "]";
      service(s, f);
      dependencies(s, f);
      releases_and_slo(s, f);
    }
    dependency_cycles();
    faults();
    planned();
    alert_rules();
    routing_and_oncall();
    return std::move(d_);
  }

 private:
  void err(std::string field, std::string msg) {
    d_.add(core::Error(std::move(msg), {}, 0, 0, std::move(field)));
  }
  void check_share(const std::string& field, double v) {
    if (!finite(v) || v < 0.0 || v > 1.0) {
      err(field, "must be a share between 0 and 1, got " + fmt_share(v));
    }
  }

  void cluster() {
    if (!config::is_dns1123_label(spec_.ns)) {
      err("namespace", "\"" + spec_.ns +
                           "\" is not a valid namespace: use lowercase letters, digits and '-', "
                           "at most 63 characters");
    }
    if (spec_.scrape_interval < 1s) err("scrape_interval", "must be at least 1s");
    if (spec_.capacity_pods && *spec_.capacity_pods < 1) {
      err("capacity_pods", "must be at least 1 when set");
    }
    if (spec_.services.empty()) err("services", "a cluster needs at least one service");
  }

  // Names first: the other checks look services up by name.
  void service_names() {
    for (std::size_t i = 0; i < spec_.services.size(); ++i) {
      const auto& s = spec_.services[i];
      const std::string f = "services[" + std::to_string(i) + "]";
      if (!config::is_dns1123_label(s.name)) {
        err(f + ".name", "\"" + s.name +
                             "\" is not a valid service name: use lowercase letters, digits and "
                             "'-', at most 63 characters");
      } else if (!index_.emplace(s.name, i).second) {
        err(f + ".name", "duplicate service \"" + s.name + "\"");
      }
    }
  }

  void service(const ServiceSpec& s, const std::string& f) {
    if (s.replicas < 0 || s.replicas > model::kMaxReplicas)
      err(f + ".replicas", "must be in [0, " + std::to_string(model::kMaxReplicas) + "]");
    if (!finite(s.capacity_rps_per_replica) || s.capacity_rps_per_replica <= 0) {
      err(f + ".capacity_rps_per_replica", "must be > 0");
    }
    if (!finite(s.base_latency_ms) || s.base_latency_ms <= 0) {
      err(f + ".base_latency_ms", "must be > 0");
    }
    check_share(f + ".base_error_rate", s.base_error_rate);
    if (!finite(s.traffic.rps) || s.traffic.rps < 0) err(f + ".traffic.rps", "must be >= 0");
    if (!finite(s.traffic.noise) || s.traffic.noise < 0 ||
        s.traffic.noise > model::kMaxTrafficNoise) {
      err(f + ".traffic.noise", "must be a relative std-dev in [0, 1]");
    }
    if (!finite(s.memory_per_pod_mb) || s.memory_per_pod_mb <= 0) {
      err(f + ".memory_per_pod_mb", "must be > 0");
    }
    if (!finite(s.memory_limit_mb) || s.memory_limit_mb <= s.memory_per_pod_mb) {
      err(f + ".memory_limit_mb", "must be greater than memory_per_pod_mb");
    }
    if (s.startup_delay < 0s) err(f + ".startup_delay", "must be >= 0");
    if (s.warmup < 0s) err(f + ".warmup", "must be >= 0");
    if (s.termination_grace < 0s) err(f + ".termination_grace", "must be >= 0");
    if (s.max_surge.value < 0) err(f + ".max_surge", "must be >= 0");
    if (s.max_unavailable.value < 0) err(f + ".max_unavailable", "must be >= 0");
    if (!s.max_surge.percent && !s.max_unavailable.percent && s.max_surge.value == 0 &&
        s.max_unavailable.value == 0) {
      err(f + ".max_surge", "max_surge and max_unavailable cannot both be 0");
    }
  }

  void dependencies(const ServiceSpec& s, const std::string& f) {
    std::set<std::string> deps;
    for (std::size_t j = 0; j < s.depends_on.size(); ++j) {
      const auto& dep = s.depends_on[j];
      const std::string df = f + ".depends_on[" + std::to_string(j) + "]";
      if (dep == s.name) {
        err(df, "a service cannot depend on itself");
      } else if (index_.count(dep) == 0) {
        err(df, "unknown service \"" + dep + "\"");
      } else if (!deps.insert(dep).second) {
        err(df, "duplicate dependency \"" + dep + "\"");
      }
    }
  }

  void releases_and_slo(const ServiceSpec& s, const std::string& f) {
    int prev = 0;
    for (std::size_t j = 0; j < s.releases.size(); ++j) {
      const auto& r = s.releases[j];
      const std::string rf = f + ".releases[" + std::to_string(j) + "]";
      if (r.revision <= prev) {
        err(rf + ".revision", "revisions must increase, oldest first, starting at 1");
      }
      prev = r.revision;
      check_share(rf + ".error_rate", r.error_rate);
      if (r.crash_after < 0s) err(rf + ".crash_after", "must be >= 0");
    }
    check_share(f + ".slo.error_rate", s.slo.error_rate);
    if (!finite(s.slo.latency_p99_ms) || s.slo.latency_p99_ms < 0) {
      err(f + ".slo.latency_p99_ms", "must be >= 0 (0 = no latency objective)");
    }
    if (!finite(s.slo.queue_lag) || s.slo.queue_lag < 0) {
      err(f + ".slo.queue_lag", "must be >= 0 (0 = no queue-lag objective)");
    }
  }

  void dependency_cycles() {
    // Dependency cycles (colour DFS over indices; only report each cycle once).
    if (d_.empty()) {
      std::vector<int> colour(spec_.services.size(), 0);
      std::function<bool(std::size_t)> visit = [&](std::size_t i) -> bool {
        colour[i] = 1;
        for (const auto& dep : spec_.services[i].depends_on) {
          const std::size_t j = index_.at(dep);
          if (colour[j] == 1) {
            err("services[" + std::to_string(i) + "].depends_on",
                "dependency cycle through \"" + spec_.services[i].name + "\" and \"" + dep + "\"");
            return true;
          }
          if (colour[j] == 0 && visit(j)) return true;
        }
        colour[i] = 2;
        return false;
      };
      for (std::size_t i = 0; i < spec_.services.size(); ++i) {
        if (colour[i] == 0 && visit(i)) break;
      }
    }
  }

  void faults() {
    for (std::size_t i = 0; i < spec_.faults.size(); ++i) {
      const auto& fs = spec_.faults[i];
      const std::string f = "faults[" + std::to_string(i) + "]";
      if (!fs.name.empty() && !incident_names_.insert(fs.name).second) {
        err(f + ".name", "duplicate incident name \"" + fs.name + "\"");
      }
      if (fs.at < 0s) err(f + ".at", "must be >= 0 (an offset from the scenario start)");
      if (fs.duration && *fs.duration <= 0s) err(f + ".duration", "must be > 0 when set");
      const auto it = index_.find(fs.target);
      if (it == index_.end()) {
        err(f + ".target", "unknown service \"" + fs.target + "\"");
      } else if (fs.kind == FaultKind::kConsumerStall &&
                 spec_.services[it->second].kind != ServiceKind::kWorker) {
        err(f + ".target", "consumer-stall needs a worker service; \"" + fs.target +
                               "\" is of kind " +
                               std::string(to_string(spec_.services[it->second].kind)));
      }
      const auto& p = fs.params;
      if (!finite(p.rate) || p.rate < 0) err(f + ".params.rate", "must be >= 0 (MB/min)");
      check_share(f + ".params.severity", p.severity);
      if (!finite(p.multiplier) || p.multiplier <= 0) {
        err(f + ".params.multiplier", "must be > 0");
      }
      if (p.pods < 1) err(f + ".params.pods", "must be >= 1");
      if (p.capacity_loss < 0) err(f + ".params.capacity_loss", "must be >= 0");
      if (p.replace_after < 0s) err(f + ".params.replace_after", "must be >= 0");
      if (!finite(p.latency_ms) || p.latency_ms < 0) {
        err(f + ".params.latency_ms", "must be >= 0");
      }
    }
  }

  void planned() {
    for (std::size_t i = 0; i < spec_.planned.size(); ++i) {
      const auto& ps = spec_.planned[i];
      const std::string f = "calendar[" + std::to_string(i) + "]";
      if (!ps.name.empty() && !incident_names_.insert(ps.name).second) {
        err(f + ".name", "duplicate incident name \"" + ps.name + "\"");
      }
      if (ps.start < 0s) err(f + ".start", "must be >= 0 (an offset from the scenario start)");
      if (ps.end <= ps.start) err(f + ".end", "must be after start");
      if (ps.service.empty()) {
        if (ps.kind != PlannedKind::kMaintenance && ps.kind != PlannedKind::kMarketingCampaign) {
          err(f + ".service", "a deploy window needs a service");
        }
        if (ps.kind == PlannedKind::kMarketingCampaign) {
          err(f + ".service", "a marketing campaign needs the service whose traffic it raises");
        }
      } else if (index_.count(ps.service) == 0) {
        err(f + ".service", "unknown service \"" + ps.service + "\"");
      }
      if (!finite(ps.traffic_multiplier) || ps.traffic_multiplier <= 0) {
        err(f + ".traffic_multiplier", "must be > 0");
      }
      if (ps.kind == PlannedKind::kDeployWindow && !ps.release) {
        err(f + ".release", "a deploy window needs the release it rolls out");
      }
      if (ps.release) check_share(f + ".release.error_rate", ps.release->error_rate);
      check_share(f + ".severity", ps.severity);
    }
  }

  void alert_rules() {
    for (std::size_t i = 0; i < spec_.alert_rules.size(); ++i) {
      const auto& r = spec_.alert_rules[i];
      const std::string f = "alert_rules[" + std::to_string(i) + "]";
      if (r.name.empty()) err(f + ".name", "an alert rule needs a name");
      if (!finite(r.threshold)) err(f + ".threshold", "must be a finite number");
      if (r.for_ < 0s) err(f + ".for", "must be >= 0");
      if (r.keep_firing_for < 0s) err(f + ".keep_firing_for", "must be >= 0");
      if (r.window <= 0s) err(f + ".window", "must be > 0");
      if (r.external() && (r.interval <= 0s || r.interval % spec_.scrape_interval != 0s)) {
        err(f + ".interval", "must be a positive multiple of the scrape interval");
      }
    }
  }

  void routing_and_oncall() {
    if (spec_.routing.group_wait < 0s) err("routing.group_wait", "must be >= 0");
    if (spec_.routing.group_interval <= 0s) err("routing.group_interval", "must be > 0");
    if (spec_.routing.repeat_interval <= 0s) err("routing.repeat_interval", "must be > 0");
    const auto& oc = spec_.oncall;
    if (oc.response_time < 0s) err("oncall.response_time", "must be >= 0");
    if (oc.night_response_time && *oc.night_response_time < 0s) {
      err("oncall.night_response_time", "must be >= 0");
    }
    if (oc.business_hours_start < 0 || oc.business_hours_start > 23 ||
        oc.business_hours_end <= oc.business_hours_start || oc.business_hours_end > 24) {
      err("oncall.business_hours", "need 0 <= start < end <= 24 (hours of day, UTC)");
    }
    if (oc.fix_time < 0s) err("oncall.fix_time", "must be >= 0");
    if (oc.direct_page_after && *oc.direct_page_after < 0s) {
      err("oncall.direct_page_after", "must be >= 0");
    }
  }

  const ClusterSpec& spec_;
  core::Diagnostics d_;
  std::map<std::string, std::size_t> index_;  // service name -> index in spec_.services
  std::set<std::string> incident_names_;      // fault and planned-event names, for duplicates
};

}  // namespace

core::Diagnostics validate(const ClusterSpec& spec) {
  return SpecChecker(spec).run();
}

}  // namespace selfheal::sim
