// Private to scenario/: the scenario file reader's state and the declarations its
// implementation files share. Not part of the contract (include scenario/scenario.hpp).
//
// The reader is split by the scenario file's sections, one file each:
//   scenario.cpp            the document: top-level keys, the order sections are read in,
//                           incident ids, the lines every message names; the public calls
//   scenario_cluster.cpp    cluster: and its services (releases, traffic, SLOs)
//   scenario_incidents.cpp  faults: and calendar: (the incidents a run injects or plans)
//   scenario_alerts.cpp     alert_rules: (selfheal's own form, or a Prometheus rule file)
//   scenario_policies.cpp   policies:, engine:, oncall: and variation: (who responds, how)
#pragma once

#include <map>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "scenario/scenario.hpp"
#include "scenario/yaml_util.hpp"
#include "sim/cluster_spec.hpp"

namespace selfheal::scenario::detail {

/// intermittent.jitter as a share: at most this much of a phase (a phase never shrinks to 0).
inline constexpr double kMaxJitterShare = 0.9;

inline const std::vector<std::string> kTopKeys{
    "scenario", "description", "duration",   "seed",         "start",  "cluster",
    "policies", "engine",      "oncall",     "calendar",     "faults", "alert_rules",
    "expect",   "variation",   "invariants", "metric_names", "signals"};

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
  void service_traffic(const YAML::Node& n, const std::string& f, const std::string& sp,
                       sim::ServiceSpec& svc);
  void service_slo(const YAML::Node& n, const std::string& f, const std::string& sp,
                   sim::ServiceSpec& svc);
  std::optional<sim::ReleaseSpec> release(const YAML::Node& n, const std::string& field);
  std::optional<sim::IntOrPercent> int_or_percent(const YAML::Node& n, const std::string& field);
  void faults(const YAML::Node& n);
  void fault(const YAML::Node& x, const std::string& f, std::map<std::string, int>& used);
  void fault_kind(const YAML::Node& x, const std::string& f, sim::FaultSpec& fs);
  void fault_params(const YAML::Node& x, const std::string& f, sim::FaultSpec& fs);
  void calendar(const YAML::Node& n);
  void planned_event(const YAML::Node& x, const std::string& f);
  void intermittent(const YAML::Node& n, const std::string& f, sim::FaultSpec& fs);
  void classification(const YAML::Node& n, const std::string& field, const std::string& id,
                      const std::string& target);
  void alert_rules(const YAML::Node& n);
  void alert_rule(const YAML::Node& x, const std::string& f,
                  const std::vector<sim::AlertRuleSpec>& defaults);
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

}  // namespace selfheal::scenario::detail
