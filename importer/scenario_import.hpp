// One incident of an alert history, joined with an imported cluster, as a runnable scenario
// (docs/import.md#import-scenario): each firing becomes a fault of the kind its alert
// suggests, at the time it fired, every inference in a YAML comment.
//
//   core::Diagnostics diags;
//   auto cluster = importer::read_cluster_yaml(text, "cluster.yaml", diags);
//   ScenarioImportOptions o;
//   o.fingerprint = "c0ffee01";
//   o.policies = "policies/examples/seed.yaml";
//   auto yaml = importer::import_scenario(history, *cluster, o, diags);
//
// The incident: the chosen firing (of alert `fingerprint`, the one active at `at` or its
// first; or every firing active at `at`), plus every firing of any alert that starts from
// `related` before it until it ends. The scenario starts `lead` before the first of them
// (on a whole minute) and lasts until `tail` after the last one ends.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "history/history.hpp"

namespace selfheal::importer {

inline constexpr core::Duration kDefaultLead = std::chrono::minutes{10};
inline constexpr core::Duration kDefaultTail = std::chrono::minutes{30};
inline constexpr core::Duration kDefaultRelated = std::chrono::minutes{15};

/// What the importer needs of a `cluster:` YAML (as `import cluster` writes it): the
/// namespace, each service's kind and upstreams, and the text itself (copied verbatim into
/// the scenario, comments and all).
struct ClusterView {
  struct Service {
    std::string kind = "api";
    std::vector<std::string> depends_on;
  };
  std::string file;
  std::string text;
  std::string ns = "default";
  std::map<std::string, Service> services;
};

/// Reads a file holding only `cluster:` (namespace, services). Errors name file:line.
std::optional<ClusterView> read_cluster_yaml(const std::string& text, const std::string& file,
                                             core::Diagnostics& diags);

struct ScenarioImportOptions {
  std::string fingerprint;            ///< the alert; "" = every firing active at `at`
  std::optional<core::TimePoint> at;  ///< which firing; required without `fingerprint`
  std::string policies;               ///< written as the scenario's `policies:`
  std::string name;                   ///< the scenario's name; "" = incident-<target>-<time>
  std::string history_source;         ///< named in the header comment
  core::Duration lead = kDefaultLead;
  core::Duration tail = kDefaultTail;
  core::Duration related = kDefaultRelated;
};

/// What one firing suggests (exposed for tests): a fault kind and target, or none (a
/// symptom of an upstream's alert, or no hint), with the reason for the comment.
struct FaultGuess {
  std::string kind;  ///< a scenario fault kind; "" = not replayed
  std::string target;
  std::string reason;
  std::vector<std::string> params;  ///< extra `key: value` pairs (e.g. "crash_loop: true")
};

/// The scenario's YAML text; nullopt (with errors) when the incident cannot be found or no
/// firing of it becomes a fault.
std::optional<std::string> import_scenario(const history::History& h, const ClusterView& c,
                                           const ScenarioImportOptions& o,
                                           core::Diagnostics& diags);

}  // namespace selfheal::importer
