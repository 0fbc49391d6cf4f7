#include <catch2/catch.hpp>

#include "importer/service_graph.hpp"
#include "scenario/scenario.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace service_graph_test {

namespace im = selfheal::importer;
using selfheal::core::Diagnostics;

namespace {
const std::string kFixture = std::string(SELFHEAL_IMPORTER_TEST_DATA) + "/kubectl-list.json";

// An instant-query answer with one series per {labels, rate}.
std::string answer(const std::vector<std::pair<std::string, std::string>>& series) {
  std::string r = R"({"status":"success","data":{"resultType":"vector","result":[)";
  for (std::size_t i = 0; i < series.size(); ++i)
    r += (i ? "," : "") + std::string(R"({"metric":{)") + series[i].first +
         R"(},"value":[1764700000.5,")" + series[i].second + "\"]}";
  return r + "]}}";
}

im::ImportedCluster fixture_cluster() {
  Diagnostics d;
  auto c = im::import_cluster_file(kFixture, d);
  REQUIRE(c);
  return *c;
}
}  // namespace

TEST_CASE("service graph: the PromQL asked of each source", "[import][graph]") {
  CHECK(im::service_graph_promql(im::kOtelServiceGraph, std::chrono::hours{1}, "prod") ==
        "sum by (client, server) (rate(traces_service_graph_request_total[3600s]))");
  CHECK(im::service_graph_promql(im::kIstioRequests, std::chrono::hours{24}, "prod") ==
        "sum by (source_workload, destination_workload, source_workload_namespace) "
        "(rate(istio_requests_total{reporter=\"destination\", "
        "destination_workload_namespace=\"prod\"}[86400s]))");
}

TEST_CASE("service graph: answers become edges, and a broken answer is an error at its path",
          "[import][graph]") {
  std::vector<im::GraphEdge> edges;
  REQUIRE(im::add_service_graph_response(
      answer({{R"("client":"user","server":"payment-api")", "120.25"},
              {R"("client":"payment-api","server":"idle")", "0"}}),
      im::kOtelServiceGraph, "prod", edges));
  REQUIRE(edges.size() == 1);  // an edge idle over the window is no edge
  CHECK(edges[0].client == "user");
  CHECK(edges[0].server == "payment-api");
  CHECK(edges[0].rps == Approx(120.25));
  CHECK(edges[0].metric == "traces_service_graph_request_total");

  edges.clear();
  REQUIRE(im::add_service_graph_response(
      answer({{R"("source_workload":"payment-api","source_workload_namespace":"staging",)"
               R"("destination_workload":"payments-db")",
               "3"}}),
      im::kIstioRequests, "prod", edges));
  REQUIRE(edges.size() == 1);
  CHECK_FALSE(edges[0].client_in_namespace);  // same name, other namespace: external

  auto err = im::add_service_graph_response(answer({{R"("client":"user")", "1"}}),
                                            im::kOtelServiceGraph, "prod", edges);
  REQUIRE_FALSE(err);
  CHECK_THAT(err.error().describe(),
             Catch::Contains("data.result[0].metric") && Catch::Contains("client and server"));
  err = im::add_service_graph_response(answer({{R"("client":"a","server":"b")", "NaN"}}),
                                       im::kOtelServiceGraph, "prod", edges);
  REQUIRE_FALSE(err);
  CHECK_THAT(err.error().describe(), Catch::Contains("data.result[0].value[1]"));
  err = im::add_service_graph_response(answer({{R"("client":"a","server":"b")", "fast"}}),
                                       im::kOtelServiceGraph, "prod", edges);
  CHECK_FALSE(err);
  err = im::add_service_graph_response(
      R"({"status":"error","errorType":"bad_data","error":"parse error"})", im::kOtelServiceGraph,
      "prod", edges);
  REQUIRE_FALSE(err);
  CHECK_THAT(err.error().describe(), Catch::Contains("bad_data: parse error"));
  err = im::add_service_graph_response(
      R"({"status":"success","data":{"resultType":"matrix","result":[]}})", im::kOtelServiceGraph,
      "prod", edges);
  CHECK_FALSE(err);
}

TEST_CASE("service graph: dependencies and external traffic, annotations first, no cycles",
          "[import][graph]") {
  auto c = fixture_cluster();
  const std::vector<im::GraphEdge> edges = {
      {"user", "payment-api", true, 120, "traces_service_graph_request_total"},
      {"payment-api", "session-cache", true, 40, "traces_service_graph_request_total"},
      {"payment-api", "stripe", true, 3, "traces_service_graph_request_total"},
      {"email-worker", "payments-db", true, 4.5, "traces_service_graph_request_total"},
      {"email-worker", "smtp-relay", true, 1, "istio_requests_total"},
      {"unknown", "email-worker", true, 6, "istio_requests_total"},
      {"payments-db", "payment-api", true, 0.5, "istio_requests_total"},
  };
  im::apply_service_graph(c, edges, "Prometheus http://prom:9090 (rate over 1d)");
  const std::string y = im::to_cluster_yaml(c);
  INFO(y);
  CHECK_THAT(y, Catch::Contains("# Dependencies and traffic marked `service graph` were read "
                                "from Prometheus http://prom:9090 (rate over 1d)"));
  // External traffic: clients that are not workloads here.
  CHECK_THAT(y, Catch::Contains("    payment-api:  # Deployment; HPA 3..12 replicas"));
  CHECK_THAT(y,
             Catch::Contains("      traffic: {rps: 120}  # service graph: requests/s from "
                             "outside the namespace: user (traces_service_graph_request_total)"));
  CHECK_THAT(y, Catch::Contains("      traffic: {rps: 6}  # service graph: requests/s from outside "
                                "the namespace: unknown (istio_requests_total)"));
  // Called only from inside: no external traffic (not the kind's default).
  CHECK_THAT(y, Catch::Contains("      traffic: {rps: 0}  # service graph: the service graph saw "
                                "it called only from inside the namespace"));
  // The annotation wins over the graph for payment-api; the graph adds email-worker's.
  CHECK_THAT(y, Catch::Contains("depends_on: [payments-db, session-cache]  # Deployment "
                                "annotation selfheal.io/depends-on"));
  CHECK_THAT(y, Catch::Contains("      depends_on: [payments-db]  # service graph: payments-db "
                                "4.5 req/s (traces_service_graph_request_total)\n"));
  CHECK_THAT(y, Catch::Contains("# service graph: traces_service_graph_request_total: calls stripe "
                                "(3 req/s), not a workload in namespace prod: not modelled"));
  CHECK_THAT(y, Catch::Contains("# service graph: istio_requests_total: calls smtp-relay"));
  CHECK_THAT(y, Catch::Contains("# service graph: istio_requests_total: calls payment-api (0.5 "
                                "req/s), left out: it would close a dependency cycle"));

  // What it wrote loads as a scenario's cluster.
  auto load = selfheal::scenario::load_scenario_string(
      "scenario: graph\nduration: 1h\npolicies: policies/examples/seed.yaml\n" + y, "graph.yaml",
      ".");
  INFO(load.diagnostics.describe());
  CHECK(load.diagnostics.empty());
}

TEST_CASE("service graph: an unreachable Prometheus is an error naming it", "[import][graph]") {
  Diagnostics d;
  CHECK_FALSE(im::query_service_graph({"http://127.0.0.1:1", std::chrono::hours{1}, "prod"}, d));
  CHECK_THAT(d.describe(), Catch::Contains("Prometheus at http://127.0.0.1:1 unreachable"));
}

}  // namespace service_graph_test
