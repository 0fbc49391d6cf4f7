// Dependencies and traffic from the service-graph metrics in Prometheus
// (docs/import.md#from-the-service-graph), for `import cluster --prometheus URL`.
//
//   core::Diagnostics diags;
//   auto edges = importer::query_service_graph({"http://127.0.0.1:9090", 24h, "prod"}, diags);
//   if (edges) importer::apply_service_graph(cluster, *edges);
//
// Two de-facto sources, read in this order through /api/v1/query (an instant query):
// - the OpenTelemetry Collector's servicegraph connector:
//   `sum by (client, server) (rate(traces_service_graph_request_total[W]))`;
// - Istio: `sum by (source_workload, source_workload_namespace, destination_workload)
//   (rate(istio_requests_total{reporter="destination", destination_workload_namespace="NS"}[W]))`
//   (one reporter only: every request is reported by both proxies).
// An edge measured by both is taken from the first. A metric Prometheus does not have is
// simply no edges; an unreachable Prometheus or an API error is an error naming the URL.
//
// Applying edges to a cluster (all rates in requests/s, the mean over the window W):
// - a client that is a workload of the cluster calling a server that is one: the server is
//   added to the client's `depends_on`, unless the client has the annotation
//   `selfheal.io/depends-on` (annotations come first and win); an edge that would close a
//   dependency cycle is left out with a comment (the simulator refuses cycles);
// - a client that is not a workload of the namespace (Istio's `unknown`, the servicegraph's
//   `user`, an ingress gateway, another namespace) is external traffic: the server's
//   `traffic.rps` is the sum of those rates; a server the graph saw only called from inside
//   gets `traffic.rps: 0` (its load comes along `depends_on`, docs/scenario.md);
// - a server that is not a workload (a managed database, a third-party API) is not modelled:
//   a comment on the client names it and its rate.
#pragma once

#include <optional>
#include <string>
#include <vector>

#include "core/result.hpp"
#include "core/time.hpp"
#include "importer/cluster.hpp"

namespace selfheal::importer {

/// The default rate window: a day, because a scenario's `traffic.rps` is a mean over a day
/// (the daily shape is applied on top of it).
inline constexpr core::Duration kDefaultGraphWindow = std::chrono::hours{24};
inline constexpr auto kServiceGraphTimeout = std::chrono::seconds{30};

/// One service-graph metric: its name, the client and server labels, and extra matchers.
struct GraphSource {
  const char* metric;
  const char* client_label;
  const char* server_label;
  const char* client_ns_label;  ///< "" when the metric has none
  const char* server_ns_label;  ///< "" when the metric has none
};
inline constexpr GraphSource kOtelServiceGraph{"traces_service_graph_request_total", "client",
                                               "server", "", ""};
inline constexpr GraphSource kIstioRequests{"istio_requests_total", "source_workload",
                                            "destination_workload", "source_workload_namespace",
                                            "destination_workload_namespace"};
/// In the order they are read (an edge measured by both is taken from the first).
inline constexpr GraphSource kGraphSources[] = {kOtelServiceGraph, kIstioRequests};

struct GraphEdge {
  std::string client;
  std::string server;
  bool client_in_namespace = true;  ///< false: the client is in another namespace
  double rps = 0;                   ///< requests/s, mean over the window
  std::string metric;               ///< which GraphSource measured it
};

struct ServiceGraphQuery {
  std::string url;  ///< http://host:port
  core::Duration window = kDefaultGraphWindow;
  std::string ns;  ///< the cluster's namespace (Istio's edges are filtered to it)
};

/// The PromQL of `src` over `window` for namespace `ns`.
std::string service_graph_promql(const GraphSource& src, core::Duration window,
                                 const std::string& ns);

/// Edges from one /api/v1/query answer (a vector), appended to `out` (exposed for tests).
/// A series without its client or server label, or a value that is not a finite rate >= 0,
/// is an error naming its JSON path.
core::Status add_service_graph_response(const std::string& body, const GraphSource& src,
                                        const std::string& ns, std::vector<GraphEdge>& out);

/// Queries every source; edges sorted by (client, server), one per pair (the first
/// source's). nullopt with an error naming the URL when Prometheus cannot be asked.
std::optional<std::vector<GraphEdge>> query_service_graph(const ServiceGraphQuery& q,
                                                          core::Diagnostics& diags);

/// Applies the edges to `c` as described above; `source` is named in the comments
/// ("prometheus http://...:9090, rate over 86400s").
void apply_service_graph(ImportedCluster& c, const std::vector<GraphEdge>& edges,
                         const std::string& source);

}  // namespace selfheal::importer
