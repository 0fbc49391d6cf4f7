// Ground truth for a ClusterSpec's incidents: the declared table of which actions help and
// why the others do not. It mirrors the model's mechanics (sim/): an action is listed as
// helpful only when the model actually makes it help, so metrics and the on-call agree with
// what happens. (Counterfactual branches in scenario/ measure the same question; reports
// show where the two disagree.)
#include "core/enum_names.hpp"
#include "sim/cluster_spec.hpp"

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

/// Incident ids for faults then planned events: the given name, else "<kind>-<target>",
/// with "-2", "-3" ... appended to repeats.
std::vector<std::string> incident_ids(const ClusterSpec& spec) {
  std::vector<std::string> ids;
  std::map<std::string, int> used;
  auto take = [&](std::string base) {
    int& n = used[base];
    ++n;
    std::string id = n == 1 ? base : base + "-" + std::to_string(n);
    while (n > 1 && used.count(id) != 0)
      id += "x";
    if (n > 1) used[id] = 1;
    ids.push_back(std::move(id));
  };
  for (const auto& f : spec.faults) {
    take(!f.name.empty() ? f.name : std::string(to_string(f.kind)) + "-" + f.target);
  }
  for (const auto& p : spec.planned) {
    take(!p.name.empty()
             ? p.name
             : std::string(to_string(p.kind)) + (p.service.empty() ? "" : "-") + p.service);
  }
  return ids;
}

const ServiceSpec* find_service(const ClusterSpec& spec, std::string_view name) {
  for (const auto& s : spec.services) {
    if (s.name == name) return &s;
  }
  return nullptr;
}

/// `root` and every service that depends on it directly or transitively, in spec order.
std::vector<std::string> affected_by(const ClusterSpec& spec, const std::string& root) {
  std::set<std::string> hit{root};
  bool grew = true;
  while (grew) {
    grew = false;
    for (const auto& s : spec.services) {
      if (hit.count(s.name) != 0) continue;
      for (const auto& d : s.depends_on) {
        if (hit.count(d) != 0) {
          hit.insert(s.name);
          grew = true;
          break;
        }
      }
    }
  }
  std::vector<std::string> out;
  for (const auto& s : spec.services) {
    if (hit.count(s.name) != 0) out.push_back(s.name);
  }
  return out;
}

bool has_bad_current_release(const ServiceSpec& s) {
  return !s.releases.empty() && s.releases.back().bad;
}

engine::ActionSpec action(ActionKind k) {
  engine::ActionSpec a;
  a.kind = k;
  return a;
}

void add_upstream_wrongs(GroundTruth& t, const std::string& upstream, const char* what) {
  for (const auto& d : t.affected) {
    if (d == upstream) continue;
    t.wrong.push_back({{ActionKind::kRestart, d},
                       std::string("restart during an upstream ") + what + " (" + upstream +
                           ") does not help: new pods hit the same failing upstream, and "
                           "the rollout dips capacity"});
    t.wrong.push_back({{ActionKind::kScale, d},
                       std::string("scale-out during an upstream ") + what + " (" + upstream +
                           ") adds pods that fail the same way"});
    t.wrong.push_back({{ActionKind::kRollback, d},
                       "rollback with no bad release on " + d + ": the cause is " + upstream});
  }
}

// One incident's row of the table, written through the verbs the rows read with.
struct TruthRow {
  GroundTruth t;
  void helpful(ActionKind k, const std::string& svc) { t.helpful.push_back({k, svc}); }
  void wrong(ActionKind k, const std::string& svc, std::string why) {
    t.wrong.push_back({{k, svc}, std::move(why)});
  }
  // The on-call person's fix: `ends` = it ends the cause (not only the symptoms).
  void fix(ActionKind k, const std::string& svc, bool ends, std::string note) {
    t.human_fix = action(k);
    t.human_fix_service = svc;
    t.human_fix_ends_cause = ends;
    t.human_note = std::move(note);
  }
  // The on-call person waits instead of acting.
  void wait(bool ends, std::string note) {
    t.human_fix.reset();
    t.human_fix_service.clear();
    t.human_fix_ends_cause = ends;
    t.human_note = std::move(note);
  }
};

// (Over 80 lines: one case per fault kind, read as a table.)
void fault_row(TruthRow& b, const ClusterSpec& spec, std::size_t index,
               const std::vector<std::string>& ids) {
  const FaultSpec& f = spec.faults.at(index);
  const std::string& s = f.target;
  const ServiceSpec* svc = find_service(spec, s);
  b.t.id = ids.at(index);
  b.t.kind = std::string(to_string(f.kind));
  b.t.root_service = s;
  b.t.start = f.at;
  if (f.duration) b.t.end = f.at + *f.duration;
  b.t.affected = affected_by(spec, s);
  const bool bad_release = svc != nullptr && has_bad_current_release(*svc);
  auto no_bad_release = [&] {
    if (!bad_release) {
      b.wrong(ActionKind::kRollback, s, "rollback with no bad release on " + s);
    }
  };
  switch (f.kind) {
    case FaultKind::kMemoryLeak:
      b.t.incident_type = std::string(engine::incident_types::kMemoryLeak);
      b.helpful(ActionKind::kRestart, s);
      no_bad_release();
      b.wrong(ActionKind::kScale, s, "scale-out adds pods that leak the same way");
      b.fix(ActionKind::kRestart, s, true, "restart " + s + ", then ship the leak fix");
      break;
    case FaultKind::kCpuHog:
      b.t.incident_type = std::string(engine::incident_types::kCpuSpike);
      b.helpful(ActionKind::kRestart, s);
      b.helpful(ActionKind::kScale, s);
      no_bad_release();
      b.fix(ActionKind::kRestart, s, true, "restart " + s + " to kill the runaway threads");
      break;
    case FaultKind::kBadDeploy:
      b.t.end.reset();  // a bad release stays until it is rolled back
      b.t.incident_type = std::string(engine::incident_types::kBadDeployment);
      b.helpful(ActionKind::kRollback, s);
      b.wrong(ActionKind::kRestart, s, "restart re-creates pods from the same bad release");
      b.wrong(ActionKind::kScale, s, "scale-out adds pods running the bad release");
      b.fix(ActionKind::kRollback, s, false, "helm rollback " + s + " to the previous revision");
      break;
    case FaultKind::kDependencyOutage:
    case FaultKind::kDependencyDegradation: {
      const char* what = f.kind == FaultKind::kDependencyOutage ? "outage" : "degradation";
      b.t.incident_type = std::string(engine::incident_types::kDependencyFailure);
      add_upstream_wrongs(b.t, s, what);
      b.wrong(ActionKind::kRestart, s,
              "the " + std::string(what) + " of " + s + " is outside the cluster's control");
      if (f.duration) {
        b.wait(false, "wait for " + s + " to recover");
      } else {
        b.wait(true, "restore " + s + " (failover by its owners)");
      }
      break;
    }
    case FaultKind::kTrafficSpike:
      b.t.incident_type = std::string(engine::incident_types::kTrafficSpike);
      b.helpful(ActionKind::kScale, s);
      b.helpful(ActionKind::kTrafficShift, s);
      b.wrong(ActionKind::kRestart, s, "restart dips capacity under load");
      no_bad_release();
      b.fix(ActionKind::kScale, s, false, "scale " + s + " out");
      b.t.human_fix->factor = 2.0;
      b.t.human_fix->max_replicas = std::max(4, (svc != nullptr ? svc->replicas : 1) * 4);
      break;
    case FaultKind::kPodLoss:
      b.t.incident_type = std::string(engine::incident_types::kPodLoss);
      b.helpful(ActionKind::kScale, s);
      b.wrong(ActionKind::kRestart, s, "restart cycles the surviving pods");
      no_bad_release();
      b.wait(true, "wait for replacement pods; replace the failed node");
      break;
    case FaultKind::kConsumerStall:
      b.t.incident_type = std::string(engine::incident_types::kConsumerStall);
      b.helpful(ActionKind::kRestart, s);
      b.helpful(ActionKind::kScale, s);
      no_bad_release();
      b.fix(ActionKind::kRestart, s, false, "restart the stuck consumers of " + s);
      break;
    case FaultKind::kBadFeatureFlag:
      b.t.incident_type = std::string(engine::incident_types::kBadFeatureFlag);
      b.helpful(ActionKind::kFeatureFlagDisable, s);
      b.wrong(ActionKind::kRestart, s, "the flag stays on across restarts");
      b.wrong(ActionKind::kRollback, s, "the flag is not part of the release");
      b.fix(ActionKind::kFeatureFlagDisable, s, false, "disable the flag");
      b.t.human_fix->flag = f.params.flag.empty() ? "new-" + s + "-flow" : f.params.flag;
      break;
    case FaultKind::kPoisonedCache:
      b.t.incident_type = std::string(engine::incident_types::kPoisonedCache);
      b.helpful(ActionKind::kCachePurge, s);
      b.wrong(ActionKind::kRestart, s, "a restart does not purge the shared cache");
      no_bad_release();
      b.fix(ActionKind::kCachePurge, s, false, "purge the cache of " + s);
      break;
  }
}

void planned_row(TruthRow& b, const ClusterSpec& spec, std::size_t index,
                 const std::vector<std::string>& ids) {
  const PlannedEventSpec& p = spec.planned.at(index);
  b.t.id = ids.at(spec.faults.size() + index);
  b.t.kind = std::string(to_string(p.kind));
  b.t.root_service = p.service;
  b.t.start = p.start;
  b.t.end = p.end;
  if (!p.service.empty()) b.t.affected = affected_by(spec, p.service);
  const std::string& s = p.service;
  switch (p.kind) {
    case PlannedKind::kMarketingCampaign:
      b.t.incident_type = std::string(engine::incident_types::kTrafficSpike);
      b.wrong(ActionKind::kScale, s,
              "scale-out for a planned campaign: the load is expected and was provisioned for");
      b.wrong(ActionKind::kRestart, s, "restart during a planned campaign dips capacity");
      b.wrong(ActionKind::kRollback, s, "rollback with no bad release on " + s);
      b.wait(false, "planned campaign: no action");
      break;
    case PlannedKind::kDeployWindow:
      if (p.release && p.release->bad) {
        b.t.incident_type = std::string(engine::incident_types::kBadDeployment);
        b.helpful(ActionKind::kRollback, s);
        b.wrong(ActionKind::kRestart, s, "restart re-creates pods from the same bad release");
        b.fix(ActionKind::kRollback, s, false, "helm rollback " + s + " to the previous revision");
      } else {
        b.t.incident_type = "planned-deploy";
        b.wrong(ActionKind::kRollback, s, "rollback of a good planned release");
        b.wait(false, "planned deploy: no action");
      }
      break;
    case PlannedKind::kMaintenance:
      b.t.incident_type = "maintenance";
      if (!s.empty()) add_upstream_wrongs(b.t, s, "maintenance");
      b.wait(false, "planned maintenance: wait for the window to end");
      break;
  }
}

}  // namespace

GroundTruth ground_truth(const ClusterSpec& spec, std::size_t index, bool planned) {
  const std::vector<std::string> ids = incident_ids(spec);
  TruthRow row;
  row.t.planned = planned;
  if (planned) {
    planned_row(row, spec, index, ids);
  } else {
    fault_row(row, spec, index, ids);
  }
  return std::move(row.t);
}

std::vector<GroundTruth> ground_truths(const ClusterSpec& spec) {
  std::vector<GroundTruth> out;
  for (std::size_t i = 0; i < spec.faults.size(); ++i)
    out.push_back(ground_truth(spec, i, false));
  for (std::size_t i = 0; i < spec.planned.size(); ++i)
    out.push_back(ground_truth(spec, i, true));
  return out;
}

ActionVerdict judge(const GroundTruth& truth, engine::ActionKind kind, std::string_view service) {
  const std::string act(engine::to_string(kind));
  const std::string svc(service);
  if (kind == ActionKind::kPage) return {false, "a page is not an automated change"};
  for (const auto& h : truth.helpful) {
    if (h.kind == kind && h.service == service) {
      return {true,
              act + " on " + svc + " addresses the " + truth.kind + " of " + truth.root_service};
    }
  }
  for (const auto& [w, why] : truth.wrong) {
    if (w.kind == kind && w.service == service) return {false, why};
  }
  if (std::find(truth.affected.begin(), truth.affected.end(), svc) == truth.affected.end()) {
    return {false, act + " on " + svc + ", a service " + truth.id +
                       " does not affect (root cause: " + truth.root_service + ")"};
  }
  if (svc != truth.root_service) {
    return {false, "the root cause is " + truth.root_service + "; " + act + " on " + svc +
                       " does not help"};
  }
  if (truth.planned) {
    return {false, truth.kind + " is planned: " + act + " on " + svc + " is unnecessary"};
  }
  return {false, act + " does not address a " + truth.kind};
}

}  // namespace selfheal::sim
