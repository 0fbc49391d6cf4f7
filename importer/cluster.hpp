// Kubernetes objects in: the `cluster:` part of a scenario (docs/import.md#import-cluster)
// from what `kubectl get deployments,statefulsets,services,horizontalpodautoscalers -A -o
// json` prints (a List).
//
//   core::Diagnostics diags;
//   auto c = importer::import_cluster_file("objects.json", diags, "prod");
//   if (c) std::cout << importer::to_cluster_yaml(*c);
//
// What is read: each Deployment and StatefulSet is a service (its name); `spec.replicas`
// (Kubernetes' default 1 when absent); the memory limit, the sum over the pod template's
// containers (none written when a container has no limit); its kind guessed from labels
// and images (database, cache, worker, else api) with the reason; `depends_on` from the
// annotation `selfheal.io/depends-on` ("a,b", on the workload or on its Service). A
// HorizontalPodAutoscaler's bounds are written as a comment on its target. Services are
// read only for their annotation. Everything inferred carries a `# guess:` comment.
#pragma once

#include <map>
#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"

namespace selfheal::importer {

/// The annotation that names a workload's upstreams, comma-separated service names.
inline constexpr const char* kDependsOnAnnotation = "selfheal.io/depends-on";

/// The replicas written for a workload scaled to 0 (a scenario's services start running).
inline constexpr int kScaledToZeroReplicas = 1;

struct ImportedService {
  std::string name;
  std::string workload;  ///< "Deployment" | "StatefulSet"
  int replicas = 1;
  bool scaled_to_zero = false;  ///< replicas 0 in the cluster, written as kScaledToZeroReplicas
  std::optional<long long> memory_limit_mb;  ///< MB = 2^20 bytes (Kubernetes "Mi")
  std::string memory_note;                   ///< why none, when absent
  std::string kind;                          ///< api | worker | database | cache
  std::string kind_reason;                   ///< the guess, for the comment
  std::vector<std::string> depends_on;
  std::string depends_on_source;         ///< where the annotation was, or the graph's edges
  std::string depends_on_path;           ///< the annotation's JSON path in the input, for errors
  bool depends_on_from_graph = false;    ///< from the service graph (service_graph.hpp)
  std::string hpa;                       ///< "HPA 3..12 replicas", or ""
  std::optional<double> traffic_rps;     ///< external requests/s, from the service graph
  std::string traffic_source;            ///< what it was measured from, for the comment
  std::vector<std::string> graph_notes;  ///< edges not modelled, as comments
};

struct ImportedCluster {
  std::string source;
  std::string ns;
  std::vector<ImportedService> services;  ///< by name
  std::string graph_source;               ///< where the service graph came from; "" = not asked
};

/// Whether `to` is reachable from `from` along `deps` (service -> what it depends on),
/// `from` itself included: adding the edge to -> from would close a cycle.
bool reaches(const std::map<std::string, std::vector<std::string>>& deps, const std::string& from,
             const std::string& to);

/// Parses and checks a kubectl List. `ns` selects the namespace; empty = the only one
/// (several namespaces without `ns` is an error listing them). Errors name the item path
/// (`items[3].spec.replicas`) at its line.
std::optional<ImportedCluster> import_cluster_text(const std::string& text, const std::string& file,
                                                   core::Diagnostics& diags,
                                                   const std::string& ns = {});
std::optional<ImportedCluster> import_cluster_file(const std::string& path,
                                                   core::Diagnostics& diags,
                                                   const std::string& ns = {});

/// The YAML text: a header comment, then `cluster:` with namespace and services.
std::string to_cluster_yaml(const ImportedCluster& c);

/// A rate (requests/s) as written in the YAML: up to 3 decimals, no trailing zeros
/// ("12.5", "0", "0.333"); the same rate always gives the same text.
std::string rate_text(double rps);

/// Kubernetes memory quantity ("512Mi", "4Gi", "1G", "1048576") in MB (2^20 bytes),
/// rounded up; nullopt when malformed.
std::optional<long long> memory_mb(const std::string& quantity);

}  // namespace selfheal::importer
