// The service-graph reader: instant queries, one edge per (client, server), then the edges
// turned into `depends_on` and external `traffic.rps`. Everything it adds carries a comment
// naming the metric it came from: the user must be able to tell read values from guesses.
#include "importer/service_graph.hpp"

#include <algorithm>
#include <cmath>
#include <cstdio>
#include <functional>
#include <map>
#include <set>

#include <nlohmann/json.hpp>

#include "importer/prometheus_answer.hpp"

#include "live/http_client.hpp"

namespace selfheal::importer {
namespace {

using nlohmann::json;

constexpr double kMaxRate = 1e9;  // requests/s; anything above is a broken answer
constexpr int kRateDecimals = 3;

std::string label_value(const json& metric, const char* label) {
  if (*label == '\0' || !metric.contains(label) || !metric.at(label).is_string()) return {};
  return metric.at(label).get<std::string>();
}

// Whether `to` is reachable from `from` along `deps` (a depth-first walk).
}  // namespace

std::string rate_text(double rps) {
  char buf[64];
  std::snprintf(buf, sizeof buf, "%.*f", kRateDecimals, rps);
  std::string s = buf;
  s.erase(s.find_last_not_of('0') + 1);
  if (s.back() == '.') s.pop_back();
  return s;
}

std::string service_graph_promql(const GraphSource& src, core::Duration window,
                                 const std::string& ns) {
  const auto secs = std::chrono::duration_cast<std::chrono::seconds>(window).count();
  std::string by = std::string(src.client_label) + ", " + src.server_label;
  std::string matchers;
  if (*src.client_ns_label != '\0') by += std::string(", ") + src.client_ns_label;
  if (*src.server_ns_label != '\0')
    matchers =
        std::string("{reporter=\"destination\", ") + src.server_ns_label + "=\"" + ns + "\"}";
  return "sum by (" + by + ") (rate(" + src.metric + matchers + "[" + std::to_string(secs) + "s]))";
}

core::Status add_service_graph_response(const std::string& body, const GraphSource& src,
                                        const std::string& ns, std::vector<GraphEdge>& out) {
  auto answer = answer_result(body, "vector", "an instant query's answer");
  if (!answer) return answer.error();
  const json& result = *answer;
  for (std::size_t i = 0; i < result.size(); ++i) {
    const std::string at = "data.result[" + std::to_string(i) + "]";
    const json& s = result[i];
    if (!s.is_object() || !s.contains("metric") || !s["metric"].is_object() ||
        !s.contains("value") || !s["value"].is_array() || s["value"].size() != 2 ||
        !s["value"][1].is_string())
      return answer_error(at, "expected {metric: {...}, value: [time, \"rate\"]}");
    GraphEdge e;
    e.metric = src.metric;
    e.client = label_value(s["metric"], src.client_label);
    e.server = label_value(s["metric"], src.server_label);
    if (e.client.empty() || e.server.empty())
      return answer_error(at + ".metric", std::string("needs both labels ") + src.client_label +
                                              " and " + src.server_label);
    const std::string client_ns = label_value(s["metric"], src.client_ns_label);
    e.client_in_namespace = client_ns.empty() || client_ns == ns;
    const std::string v = s["value"][1].get<std::string>();
    try {
      std::size_t used = 0;
      e.rps = std::stod(v, &used);
      if (used != v.size()) throw std::invalid_argument(v);
    } catch (const std::exception&) {
      return answer_error(at + ".value[1]", "\"" + v + "\" is not a number");
    }
    if (!std::isfinite(e.rps) || e.rps < 0 || e.rps > kMaxRate)
      return answer_error(at + ".value[1]", "\"" + v + "\" is not a rate (requests/s >= 0)");
    if (e.rps > 0) out.push_back(std::move(e));  // an edge idle over the window is no edge
  }
  return core::Ok{};
}

std::optional<std::vector<GraphEdge>> query_service_graph(const ServiceGraphQuery& q,
                                                          core::Diagnostics& diags) {
  std::map<std::pair<std::string, std::string>, GraphEdge> by_pair;
  for (const GraphSource& src : kGraphSources) {
    const std::string url = q.url + "/api/v1/query?query=" +
                            live::url_encode(service_graph_promql(src, q.window, q.ns));
    auto r = live::http_request({"GET", url, {}, {}}, kServiceGraphTimeout);
    if (!r) {
      diags.add(core::Error("Prometheus at " + q.url + " unreachable: " + r.error().message));
      return std::nullopt;
    }
    std::vector<GraphEdge> edges;
    if (auto ok = add_service_graph_response(r->body, src, q.ns, edges); !ok) {
      core::Error e = ok.error();
      e.message += " (HTTP " + std::to_string(r->status) + ", " + url + ")";
      diags.add(std::move(e));
      return std::nullopt;
    }
    for (auto& e : edges) {
      // A client outside the namespace is keyed apart: it may share a name with a workload here.
      const std::string client = e.client_in_namespace ? e.client : "\n" + e.client;
      by_pair.emplace(std::make_pair(client, e.server), std::move(e));
    }
  }
  std::vector<GraphEdge> out;
  for (auto& [k, e] : by_pair)
    out.push_back(std::move(e));
  return out;
}

void apply_service_graph(ImportedCluster& c, const std::vector<GraphEdge>& edges,
                         const std::string& source) {
  c.graph_source = source;
  std::map<std::string, ImportedService*> by_name;
  std::map<std::string, std::vector<std::string>> deps;
  for (auto& s : c.services) {
    by_name[s.name] = &s;
    deps[s.name] = s.depends_on;
  }
  std::map<std::string, double> external;
  std::map<std::string, std::set<std::string>> external_from;  // server -> "client (metric)"
  std::set<std::string> seen_as_server;
  for (const auto& e : edges) {
    const auto client = e.client_in_namespace ? by_name.find(e.client) : by_name.end();
    const auto server = by_name.find(e.server);
    if (server != by_name.end()) seen_as_server.insert(e.server);
    if (client == by_name.end()) {
      if (server != by_name.end()) {
        external[e.server] += e.rps;
        external_from[e.server].insert(e.client + " (" + e.metric + ")");
      }
      continue;
    }
    ImportedService& from = *client->second;
    if (server == by_name.end()) {
      from.graph_notes.push_back(e.metric + ": calls " + e.server + " (" + rate_text(e.rps) +
                                 " req/s), not a workload in namespace " + c.ns + ": not modelled");
      continue;
    }
    if (e.client == e.server) continue;
    if (!from.depends_on.empty() && !from.depends_on_from_graph) {
      if (std::find(from.depends_on.begin(), from.depends_on.end(), e.server) ==
          from.depends_on.end())
        from.graph_notes.push_back(e.metric + ": also calls " + e.server + " (" + rate_text(e.rps) +
                                   " req/s); the annotation " + kDependsOnAnnotation + " wins");
      continue;
    }
    if (reaches(deps, e.server, e.client)) {
      from.graph_notes.push_back(e.metric + ": calls " + e.server + " (" + rate_text(e.rps) +
                                 " req/s), left out: it would close a dependency cycle");
      continue;
    }
    deps[e.client].push_back(e.server);
    from.depends_on.push_back(e.server);
    from.depends_on_from_graph = true;
    from.depends_on_source += (from.depends_on_source.empty() ? "" : ", ") + e.server + " " +
                              rate_text(e.rps) + " req/s (" + e.metric + ")";
  }
  for (const auto& name : seen_as_server) {
    ImportedService& s = *by_name.at(name);
    const double rps = external.count(name) != 0U ? external.at(name) : 0.0;
    s.traffic_rps = rps;
    std::string from;
    for (const auto& f : external_from[name])
      from += (from.empty() ? "" : ", ") + f;
    s.traffic_source = rps > 0 ? "requests/s from outside the namespace: " + from
                               : "the service graph saw it called only from inside the namespace";
  }
}

}  // namespace selfheal::importer
