#include <catch2/catch.hpp>

#include <sys/stat.h>

#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "engine/policy_loader.hpp"
#include "live/config.hpp"
#include "live/startup_warnings.hpp"

using namespace selfheal;
using namespace selfheal::live;

namespace {

ConfigLoad load(const std::string& yaml) {
  return load_serve_config_string(yaml, "serve.yaml", "/etc/selfheal");
}

bool has_error(const ConfigLoad& l, const std::string& field, int line) {
  for (const auto& e : l.diagnostics.errors())
    if (e.field == field && e.line == line && e.file == "serve.yaml") return true;
  return false;
}

}  // namespace

TEST_CASE("a full serve configuration loads", "[live][config]") {
  auto l = load(R"(
listen: {address: 0.0.0.0, port: 9095}
auth: {token: "0123456789abcdef0123"}
policies: policies.yaml
engine: {mode: shadow, max_concurrent_actions: 2, rate_window: 30m, blast_radius: 0.5}
dry_run: false
prometheus:
  url: http://127.0.0.1:9090
  timeout: 3s
  window: 10m
  queries: {error_rate: 'sum(rate(x{service="{service}"}[{window}]))'}
kubernetes: {kubectl: /usr/local/bin/kubectl, helm: helm3, context: prod-eu, timeout: 90s}
allowed_namespaces: [prod, staging]
labels: {service: [svc, app], namespace: kubernetes_namespace}
notifiers:
  - {name: pd, type: pagerduty, url: "http://127.0.0.1:8081/v2/enqueue", routing_key: R0UT1NG,
     channels: [pagerduty-p1], max_attempts: 3, backoff: 500ms}
  - {type: webhook, url: "http://127.0.0.1:8082/hook"}
state: {path: state/selfheal.db}
kill_switch_file: /run/selfheal/kill
body_limit: 65536
topology:
  services:
    payment-api: {namespace: prod, depends_on: [payments-db]}
calendar: events.yaml
)");
  INFO(l.diagnostics.describe());
  REQUIRE(l.config);
  const auto& c = *l.config;
  CHECK(c.listen_address == "0.0.0.0");
  CHECK(c.port == 9095);
  CHECK(c.token == "0123456789abcdef0123");
  CHECK(c.policies_file == "/etc/selfheal/policies.yaml");
  CHECK(c.engine.mode == engine::Mode::kShadow);
  CHECK(c.engine.max_concurrent_actions == 2);
  CHECK(c.engine.rate_window == std::chrono::minutes{30});
  CHECK_FALSE(c.dry_run);
  CHECK(c.prometheus.url == "http://127.0.0.1:9090");
  CHECK(c.prometheus.window == std::chrono::minutes{10});
  CHECK(c.prometheus.queries.count("error_rate") == 1);
  CHECK(c.kube.context == "prod-eu");
  CHECK(c.kube.timeout == std::chrono::seconds{90});
  CHECK(c.labels.allowed_namespaces == std::vector<std::string>{"prod", "staging"});
  CHECK(c.labels.service == std::vector<std::string>{"svc", "app"});
  CHECK(c.labels.ns == std::vector<std::string>{"kubernetes_namespace"});
  REQUIRE(c.notifiers.size() == 2);
  CHECK(c.notifiers[0].type == NotifierConfig::Type::kPagerDuty);
  CHECK(c.notifiers[0].routing_key == "R0UT1NG");
  CHECK(c.notifiers[0].backoff == std::chrono::milliseconds{500});
  CHECK(c.notifiers[1].name == "webhook-1");
  CHECK(c.state_path == "/etc/selfheal/state/selfheal.db");
  CHECK(c.body_limit == 65536);
  REQUIRE(c.topology.size() == 1);
  CHECK(c.topology[0].depends_on == std::vector<std::string>{"payments-db"});
  CHECK(c.calendar_file == "/etc/selfheal/events.yaml");
}

TEST_CASE("defaults: dry-run, loopback, service/app/deployment labels", "[live][config]") {
  auto l = load("auth: {token: 0123456789abcdef}\npolicies: p.yaml\n");
  REQUIRE(l.config);
  CHECK(l.config->dry_run);
  CHECK(l.config->listen_address == "127.0.0.1");
  CHECK(l.config->labels.service == std::vector<std::string>{"service", "app", "deployment"});
  CHECK(l.config->labels.ns == std::vector<std::string>{"namespace"});
}

TEST_CASE("every configuration error names file, line and field", "[live][config]") {
  auto l = load(R"(auth: {token: short}
policies: p.yaml
listen: {port: 70000, address: 300.1.1.1}
prometheus: {url: "https://prom.example.com", timeout: 5 seconds}
allowed_namespaces: [Prod]
notifiers:
  - {type: pagerduty, url: "http://x:1/"}
  - {type: carrier-pigeon, url: "http://x:1/"}
kubernetes: {context: "prod; rm -rf /"}
bodylimit: 10
)");
  REQUIRE_FALSE(l.config);
  INFO(l.diagnostics.describe());
  CHECK(has_error(l, "auth.token", 1));
  CHECK(has_error(l, "listen.port", 3));
  CHECK(has_error(l, "listen.address", 3));
  CHECK(has_error(l, "prometheus.url", 4));
  CHECK(has_error(l, "prometheus.timeout", 4));
  CHECK(has_error(l, "allowed_namespaces[0]", 5));
  CHECK(has_error(l, "notifiers[0].routing_key", 7));
  CHECK(has_error(l, "notifiers[1].type", 8));
  CHECK(has_error(l, "kubernetes.context", 9));
  CHECK(has_error(l, "bodylimit", 10));
}

TEST_CASE("auth is required and the token may come from the environment", "[live][config]") {
  auto missing = load("policies: p.yaml\n");
  REQUIRE_FALSE(missing.config);
  REQUIRE(missing.diagnostics.errors().size() == 1);
  CHECK(missing.diagnostics.errors()[0].field == "auth");
  CHECK_THAT(missing.diagnostics.errors()[0].message, Catch::Contains("required"));

  ::setenv("SELFHEAL_TEST_TOKEN", "from-the-environment-123", 1);
  auto env = load("auth: {token_env: SELFHEAL_TEST_TOKEN}\npolicies: p.yaml\n");
  ::unsetenv("SELFHEAL_TEST_TOKEN");
  REQUIRE(env.config);
  CHECK(env.config->token == "from-the-environment-123");
  CHECK(env.diagnostics.errors().empty());

  ::unsetenv("SELFHEAL_TEST_TOKEN_UNSET");
  auto unset = load("auth: {token_env: SELFHEAL_TEST_TOKEN_UNSET}\npolicies: p.yaml\n");
  REQUIRE_FALSE(unset.config);
  REQUIRE(unset.diagnostics.errors().size() == 1);
  CHECK(has_error(unset, "auth.token_env", 1));
  CHECK(unset.diagnostics.errors()[0].message ==
        "environment variable SELFHEAL_TEST_TOKEN_UNSET is not set");
}

TEST_CASE("invalid YAML is an error with its position", "[live][config]") {
  auto l = load("auth: {token: [unterminated\n");
  REQUIRE_FALSE(l.config);
  CHECK(l.diagnostics.errors()[0].line >= 1);
}

TEST_CASE("a token file is read with a bound, so /dev/zero is an error",
          "[live][config][hardening]") {
  auto l = load("auth: {token_file: /dev/zero}\npolicies: p.yaml\n");
  REQUIRE_FALSE(l.config);
  INFO(l.diagnostics.describe());
  CHECK(has_error(l, "auth.token_file", 1));
  CHECK(l.diagnostics.describe().find("larger than 64 KiB") != std::string::npos);
}

TEST_CASE("config mistakes use the shared wording", "[live][config]") {
  auto l = load("auth: {token: a-long-enough-token-123}\npolicies: p.yaml\nlisten: {prot: 1}\n");
  REQUIRE_FALSE(l.config);
  CHECK(l.diagnostics.describe().find(
            "serve.yaml:3:10: listen.prot: unknown key \"prot\"; did you mean \"port\"?") !=
        std::string::npos);
  auto dup = load("auth: {token: a-long-enough-token-123}\npolicies: p.yaml\npolicies: q.yaml\n");
  REQUIRE_FALSE(dup.config);
  CHECK(dup.diagnostics.describe().find(
            "serve.yaml:3:1: policies: duplicate key \"policies\" (first given at line 2)") !=
        std::string::npos);
}

namespace {

engine::PolicySet channel_policies() {
  auto p = engine::load_policy_string(R"(remediation_policies:
  - incident_type: memory-leak
    action: restart
    escalation_channel: pagerduty-p1
  - incident_type: bad-deployment
    action: rollback
    escalation_channel: pagerduty-p3
)",
                                      "policies.yaml");
  INFO(p.diagnostics.describe());
  REQUIRE(p.policies);
  return *p.policies;
}

ServeConfig with_notifiers(const std::string& notifiers) {
  auto l =
      load("auth: {token: \"0123456789abcdef0123\"}\npolicies: p.yaml\nnotifiers:\n" + notifiers);
  INFO(l.diagnostics.describe());
  REQUIRE(l.config);
  return *l.config;
}

}  // namespace

TEST_CASE("a policy channel no notifier lists is an error naming the policy file and line",
          "[live][config][channels]") {
  const auto policies = channel_policies();
  const auto c = with_notifiers(
      R"(  - {name: p1, type: pagerduty, url: "http://127.0.0.1:1/e", routing_key: K1,
     channels: [pagerduty-p1]}
  - {name: p2, type: pagerduty, url: "http://127.0.0.1:1/e", routing_key: K2,
     channels: [pagerduty-p2]}
  - {name: chat, type: webhook, url: "http://127.0.0.1:1/hook"}
)");
  REQUIRE(c.notifiers.size() == 3);
  CHECK(c.notifiers[1].channels == std::vector<std::string>{"pagerduty-p2"});
  const auto d = check_escalation_channels(c, policies, "policies.yaml");
  INFO(d.describe());
  REQUIRE(d.size() == 1);  // pagerduty-p1 is listed; "default" reaches the catch-all chat
  const auto& e = d.errors().front();
  CHECK(e.file == "policies.yaml");
  CHECK(e.line == 7);
  CHECK(e.field == "escalation_channel");
  CHECK(e.message.find("\"pagerduty-p3\"") != std::string::npos);
  CHECK(e.message.find("did you mean") != std::string::npos);
}

TEST_CASE("every notifier listing channels must leave pages without a policy somewhere to go",
          "[live][config][channels]") {
  const auto policies = channel_policies();
  const auto strict = with_notifiers(R"(  - {name: p1, type: webhook, url: "http://127.0.0.1:1/a",
     channels: [pagerduty-p1, pagerduty-p3]}
)");
  const auto d = check_escalation_channels(strict, policies, "policies.yaml");
  INFO(d.describe());
  REQUIRE(d.size() == 1);
  CHECK(d.errors().front().file == "serve.yaml");
  CHECK(d.errors().front().line == 4);
  CHECK(d.errors().front().message.find("\"default\"") != std::string::npos);
  const auto with_default =
      with_notifiers(R"(  - {name: p1, type: webhook, url: "http://127.0.0.1:1/a",
     channels: [pagerduty-p1, pagerduty-p3, default]}
)");
  CHECK(check_escalation_channels(with_default, policies, "policies.yaml").empty());
  // Without any channel lists every notifier takes every page: nothing is unknown.
  const auto no_routing =
      with_notifiers(R"(  - {name: hook, type: webhook, url: "http://127.0.0.1:1/a"}
)");
  CHECK(check_escalation_channels(no_routing, policies, "policies.yaml").empty());
}

TEST_CASE("no notifier at all is a loud start-up warning naming the mode and the channels",
          "[live][config][channels]") {
  const auto policies = channel_policies();
  const auto none = with_notifiers("  []\n");
  REQUIRE(none.notifiers.empty());
  CHECK(check_escalation_channels(none, policies, "policies.yaml").empty());  // not an error
  const auto w = escalation_warnings(none, policies);
  REQUIRE(w.size() == 1);
  CHECK_THAT(w[0], Catch::StartsWith("WARNING: serve.yaml: no notifiers are configured"));
  CHECK_THAT(w[0], Catch::Contains("\"pagerduty-p3\""));
  CHECK_THAT(w[0], Catch::Contains("reach NOBODY"));
  auto recommend = none;
  recommend.engine.mode = engine::Mode::kRecommend;
  CHECK_THAT(escalation_warnings(recommend, policies)[0],
             Catch::Contains("nothing is ever approved"));
  const auto hook = with_notifiers(R"(  - {name: hook, type: webhook, url: "http://127.0.0.1:1/a"}
)");
  CHECK(escalation_warnings(hook, policies).empty());
}

TEST_CASE("executing without a kubectl or helm that can be started is a loud warning",
          "[live][config]") {
  namespace fs = std::filesystem;
  const fs::path dir = fs::temp_directory_path() / "selfheal-binary-warnings";
  fs::remove_all(dir);
  fs::create_directories(dir / "bin");
  std::ofstream(dir / "bin" / "kubectl") << "#!/bin/sh\n";
  ::chmod((dir / "bin" / "kubectl").c_str(), 0755);
  std::ofstream(dir / "bin" / "helm") << "not executable\n";  // mode 0644
  ServeConfig c;
  c.source_file = "serve.yaml";
  const std::string path = "/nonexistent:" + (dir / "bin").string();
  const auto w = binary_warnings(c, true, path);
  REQUIRE(w.size() == 1);  // kubectl found in the second entry; helm is not executable
  CHECK(w[0] ==
        "WARNING: serve.yaml: kubernetes.helm: \"helm\" is not an executable file in "
        "any PATH directory: every action that runs it will fail (audited and "
        "escalated). Install it or set kubernetes.helm to its full path.");
  CHECK(binary_warnings(c, false, path).empty());    // dry-run starts nothing
  c.kube.helm = (dir / "bin" / "kubectl").string();  // a path is used as it is
  CHECK(binary_warnings(c, true, path).empty());
  c.kube.kubectl = "kubectl --all";
  const auto spaced = binary_warnings(c, true, path);
  REQUIRE(spaced.size() == 1);
  CHECK_THAT(spaced[0], Catch::Contains("kubernetes.kubectl: \"kubectl --all\""));
  fs::remove_all(dir);
}

TEST_CASE("a signal name prometheus.queries does not know is an error with did-you-mean",
          "[live][config]") {
  auto l = load(R"(auth: {token: 0123456789abcdef}
policies: p.yaml
prometheus:
  queries:
    error_rate: 'sum(rate(x[{window}]))'
    latency_p99: 'vector(1)'
)");
  REQUIRE_FALSE(l.config);
  INFO(l.diagnostics.describe());
  CHECK(has_error(l, "prometheus.queries.latency_p99", 6));
  CHECK(l.diagnostics.describe().find("latency_p99_ms") != std::string::npos);
}

TEST_CASE("the library's serve config, whose queries a scenario evaluates, loads for serve",
          "[live][config]") {
  // scenarios/serve/shop.yaml: prometheus-signals-shop's `signals: {serve_config:}`.
  ::setenv("SELFHEAL_TOKEN", "0123456789abcdef-library", 1);
  auto l = load_serve_config(std::string(SELFHEAL_LIBRARY_DIR) + "/serve/shop.yaml");
  ::unsetenv("SELFHEAL_TOKEN");
  INFO(l.diagnostics.describe());
  REQUIRE(l.config);
  CHECK(l.config->prometheus.queries.count("memory_growth_per_hour") == 1);
  auto p = engine::load_policy_file(l.config->policies_file);
  INFO(p.diagnostics.describe());
  CHECK(p.policies);
}

TEST_CASE("topology services state their objectives under slo:, as a scenario's services do",
          "[live][config][slo]") {
  auto l = load(R"(auth: {token: "0123456789abcdef0123"}
policies: p.yaml
topology:
  services:
    payment-api:
      namespace: prod
      depends_on: [payments-db]
      slo: {error_rate: 0.01, latency_p99_ms: 300}
    report-worker: {namespace: prod, slo: {queue_lag: 5000}}
    payments-db: {namespace: prod}
)");
  INFO(l.diagnostics.describe());
  REQUIRE(l.config);
  CHECK(l.config->topology.size() == 3);
  const auto& o = l.config->objectives;
  REQUIRE(o.size() == 2);  // payments-db states none
  const auto& api = o.at({"prod", "payment-api"});
  CHECK(api.error_rate == 0.01);
  CHECK(api.latency_p99_ms == 300);
  CHECK(api.queue_lag == 0);  // not stated: no objective
  const auto& worker = o.at({"prod", "report-worker"});
  CHECK(worker.queue_lag == 5000);
  CHECK(worker.error_rate == 0);
  CHECK(o.count({"prod", "payments-db"}) == 0);
}

TEST_CASE("a mistyped or out-of-range objective is an error naming file, line and field",
          "[live][config][slo]") {
  auto l = load(R"(auth: {token: "0123456789abcdef0123"}
policies: p.yaml
topology:
  services:
    payment-api:
      namespace: prod
      slo: {error_rat: 0.01}
    checkout-api:
      namespace: prod
      slo: {error_rate: 1.5, latency_p99_ms: -5, queue_lag: many}
    cart-api: {namespace: prod, slo: 0.01}
)");
  REQUIRE_FALSE(l.config);
  const auto text = l.diagnostics.describe();
  INFO(text);
  CHECK_THAT(text, Catch::Contains("serve.yaml:7:13: topology.services.payment-api.slo.error_rat: "
                                   "unknown key \"error_rat\"; did you mean \"error_rate\"?"));
  CHECK(has_error(l, "topology.services.checkout-api.slo.error_rate", 10));
  CHECK_THAT(text, Catch::Contains("must be between 0 and 1, got 1.5"));
  CHECK(has_error(l, "topology.services.checkout-api.slo.latency_p99_ms", 10));
  CHECK(has_error(l, "topology.services.checkout-api.slo.queue_lag", 10));
  CHECK(has_error(l, "topology.services.cart-api.slo", 11));
  CHECK(l.diagnostics.errors().size() == 5);
}

namespace config_test {

TEST_CASE("topology dependencies pass the name check and a service is given once",
          "[live][config]") {
  // Both were accepted: a dependency's name is substituted into the upstream's PromQL
  // health query, and the second payment-api silently replaced nothing or everything.
  auto l = load(R"(auth: {token: "0123456789abcdef0123"}
policies: p.yaml
topology:
  services:
    payment-api: {namespace: prod, depends_on: [payments-db, 'x"} or vector(1)', shop/cart-api]}
    checkout-api: {namespace: prod, depends_on: [Shop/cart-api]}
    payment-api: {namespace: prod}
)");
  REQUIRE_FALSE(l.config);
  const auto text = l.diagnostics.describe();
  INFO(text);
  CHECK(has_error(l, "topology.services.payment-api.depends_on[1]", 5));
  CHECK_THAT(text, Catch::Contains("is not a DNS-1123 name: contains '\"'"));
  CHECK(has_error(l, "topology.services.checkout-api.depends_on[0]", 6));
  CHECK_THAT(text, Catch::Contains("serve.yaml:7:5: topology.services.payment-api: service "
                                   "\"payment-api\" is given twice"));
  CHECK(l.diagnostics.errors().size() == 3);
}

}  // namespace config_test
