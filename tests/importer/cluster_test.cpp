#include <catch2/catch.hpp>

#include "config/file_io.hpp"
#include "importer/cluster.hpp"
#include "scenario/scenario.hpp"

namespace im = selfheal::importer;
using selfheal::core::Diagnostics;

namespace {
const std::string kFixture = std::string(SELFHEAL_IMPORTER_TEST_DATA) + "/kubectl-list.json";

std::string fixture() {
  return selfheal::config::read_file(kFixture).value();
}
}  // namespace

TEST_CASE("import cluster: the kubectl List becomes services with every guess marked",
          "[import][cluster]") {
  Diagnostics d;
  auto c = im::import_cluster_file(kFixture, d);
  INFO(d.describe());
  REQUIRE(c);
  CHECK(c->ns == "prod");
  REQUIRE(c->services.size() == 4);
  const std::string y = im::to_cluster_yaml(*c);
  CHECK_THAT(y, Catch::Contains("  namespace: prod\n"));
  CHECK_THAT(y, Catch::Contains("    payment-api:  # Deployment; HPA 3..12 replicas"));
  CHECK_THAT(y, Catch::Contains("      replicas: 3\n      memory_limit_mb: 512\n      "
                                "memory_per_pod_mb: 256  # guess: half the limit"));
  CHECK_THAT(y, Catch::Contains("depends_on: [payments-db, session-cache]  # Deployment "
                                "annotation selfheal.io/depends-on"));
  CHECK_THAT(y, Catch::Contains("    payments-db:  # StatefulSet\n      kind: database  # "
                                "guess: label app.kubernetes.io/name=postgresql\n"
                                "      replicas: 2\n      memory_limit_mb: 4160\n"
                                "      memory_per_pod_mb: 2080"));
  CHECK_THAT(y, Catch::Contains("kind: cache  # guess: image redis:7.2"));
  CHECK_THAT(y, Catch::Contains("    email-worker:  # Deployment\n      kind: worker  # guess: "
                                "label app=email-worker"));
  CHECK_THAT(y, Catch::Contains("kind: api  # guess: no database, cache or worker hint"));
  CHECK_THAT(y, Catch::Contains("# memory_limit_mb not set: container mailer has no memory limit"));
}

TEST_CASE("import cluster: not a List, a bad quantity, an unknown dependency are errors",
          "[import][cluster]") {
  Diagnostics d;
  CHECK_FALSE(im::import_cluster_text(R"({"kind": "Deployment", "items": []})", "k.json", d));
  CHECK_THAT(d.describe(), Catch::Contains("k.json:1:") && Catch::Contains("not a kubectl List"));

  std::string text = fixture();
  text.replace(text.find("\"512Mi\""), 7, "\"512Mb\"");
  Diagnostics q;
  CHECK_FALSE(im::import_cluster_text(text, "k.json", q));
  CHECK_THAT(q.describe(),
             Catch::Contains("items[0].spec.template.spec.containers[0].resources.limits.memory") &&
                 Catch::Contains("512Mb"));

  text = fixture();
  text.replace(text.find("payments-db,session-cache"), 25, "payments-db,sessions");
  Diagnostics dep;
  CHECK_FALSE(im::import_cluster_text(text, "k.json", dep));
  CHECK_THAT(dep.describe(), Catch::Contains("\"sessions\""));
  CHECK_THAT(dep.describe(),
             Catch::Matches("k\\.json:[0-9]+:[0-9]+: items\\[[0-9]+\\]\\.metadata\\."
                            "annotations\\.selfheal\\.io/depends-on: depends on "
                            "\"sessions\".*\n"));
}

TEST_CASE("import cluster: an annotation naming itself or closing a cycle is an error at its line",
          "[import][cluster]") {
  // The model runs no cycle, so such a cluster.yaml would only be refused by `selfheal run`.
  const auto list = [](const std::string& a, const std::string& b) {
    return R"({"kind": "List", "items": [
  {"kind": "Deployment", "metadata": {"name": "a", "namespace": "prod",
   "annotations": {"selfheal.io/depends-on": ")" +
           a + R"("}}, "spec": {"replicas": 1}},
  {"kind": "Deployment", "metadata": {"name": "b", "namespace": "prod",
   "annotations": {"selfheal.io/depends-on": ")" +
           b + R"("}}, "spec": {"replicas": 1}}]})";
  };
  Diagnostics self;
  CHECK_FALSE(im::import_cluster_text(list("a", "a"), "k.json", self));
  CHECK(self.describe() ==
        "k.json:3:20: items[0].metadata.annotations.selfheal.io/depends-on: a service cannot "
        "depend on itself\n");
  Diagnostics cycle;
  CHECK_FALSE(im::import_cluster_text(list("b", "a"), "k.json", cycle));
  CHECK(cycle.describe() ==
        "k.json:5:20: items[1].metadata.annotations.selfheal.io/depends-on: depends on \"a\", "
        "which depends back on \"b\": a dependency cycle (the model runs none)\n");
  Diagnostics ok;
  CHECK(im::import_cluster_text(list("b", ""), "k.json", ok));
  CHECK(ok.empty());
}

TEST_CASE("import cluster: a workload scaled to zero is written running, and the result loads",
          "[import][cluster]") {
  // replicas: 0 was written as it was, and the scenario loader refuses a service that is down
  // before its first fault: the import's own output did not load.
  const auto list = [](int replicas) {
    return R"({"kind": "List", "items": [
  {"kind": "Deployment", "metadata": {"name": "idle", "namespace": "prod"},
   "spec": {"replicas": )" +
           std::to_string(replicas) + R"(}}]})";
  };
  Diagnostics d;
  const auto c = im::import_cluster_text(list(0), "k.json", d);
  REQUIRE(c);
  const std::string y = im::to_cluster_yaml(*c);
  CHECK_THAT(y, Catch::Contains("      replicas: 1  # guess: scaled to 0 in the cluster"));
  auto load = selfheal::scenario::load_scenario_string(
      "scenario: idle\nduration: 1h\npolicies: policies/examples/seed.yaml\n" + y, "idle.yaml",
      ".");
  INFO(load.diagnostics.describe());
  CHECK(load.diagnostics.empty());
  // More replicas than the model takes is refused at the field, not written.
  Diagnostics many;
  CHECK_FALSE(im::import_cluster_text(list(20000), "k.json", many));
  CHECK(many.describe() ==
        "k.json:3:13: items[0].spec.replicas: must be between 0 and 10000, got 20000\n");
}

TEST_CASE("import cluster: several namespaces need --namespace", "[import][cluster]") {
  std::string text = fixture();
  const auto worker = text.find("\"name\": \"email-worker\"");
  text.replace(text.find("\"namespace\": \"prod\"", worker), 19, "\"namespace\": \"dev\"");
  Diagnostics d;
  CHECK_FALSE(im::import_cluster_text(text, "k.json", d));
  CHECK_THAT(d.describe(), Catch::Contains("dev, prod"));
  Diagnostics ok;
  auto c = im::import_cluster_text(text, "k.json", ok, "dev");
  REQUIRE(c);
  CHECK(c->services.size() == 1);
}

TEST_CASE("memory quantities in MB (2^20 bytes), rounded up", "[import][cluster]") {
  CHECK(im::memory_mb("512Mi") == 512);
  CHECK(im::memory_mb("4Gi") == 4096);
  CHECK(im::memory_mb("1G") == 954);
  CHECK(im::memory_mb("1048576") == 1);
  CHECK_FALSE(im::memory_mb("lots"));
  CHECK_FALSE(im::memory_mb("-1Mi"));
}

TEST_CASE("import cluster: fields of the wrong kind never throw", "[import][cluster]") {
  for (const char* text :
       {R"({"kind":"List","items":[{"kind":"Deployment","metadata":{"name":"a"},"spec":5}]})",
        R"({"kind":"List","items":[{"kind":"Deployment","metadata":{"name":"a","labels":[]},)"
        R"("spec":{"template":{"spec":{"containers":{"x":1}}}}}]})",
        R"({"kind":"List","items":[{"kind":"HorizontalPodAutoscaler","spec":"x"},)"
        R"({"kind":"StatefulSet","metadata":{"name":"b"},"spec":{"replicas":"3"}}]})",
        R"({"kind":"List","items":[7, {"kind":"Deployment","metadata":5}]})"}) {
    INFO(text);
    Diagnostics d;
    CHECK_NOTHROW(im::import_cluster_text(text, "k.json", d));
  }
}
