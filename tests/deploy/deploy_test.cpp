// deploy/ checked offline (docs/deploy.md "How the manifests are tested"): every manifest
// parsed with yaml-cpp (kinds, apiVersions, the fields a working install needs), the serve
// configuration in the ConfigMap run through `selfheal serve --check-config`, the Role
// compared with the API requests of the commands live/'s actuator really starts for the
// policies in the ConfigMap, and the Alertmanager example's route. `kubectl kustomize` and
// `amtool` run in scripts/check-deploy.
#include <sys/stat.h>
#include <unistd.h>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <catch2/catch.hpp>
#include <chrono>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <set>
#include <sstream>
#include <string>
#include <tuple>
#include <vector>

#include <yaml-cpp/yaml.h>

#include "engine/fixed_ports.hpp"
#include "engine/policy_loader.hpp"
#include "engine/render.hpp"
#include "live/actuator.hpp"
#include "live/config.hpp"
#include "tests/support/cli_harness.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;

namespace {

constexpr int kCurrentReplicas = 2;  // what a scale by factor starts from
constexpr int kUndoRevision = 3;     // a Helm revision to roll back to, as an undo

fs::path deploy_dir() {
  const char* src = std::getenv("SELFHEAL_SOURCE_DIR");
  return fs::path(src != nullptr ? src : ".") / "deploy";
}

struct Manifest {
  std::string file;
  YAML::Node doc;
  std::string kind() const { return doc["kind"].as<std::string>(""); }
  std::string name() const { return doc["metadata"]["name"].as<std::string>(""); }
  std::string ns() const { return doc["metadata"]["namespace"].as<std::string>(""); }
};

/// Every document of every file the kustomization lists, in order.
std::vector<Manifest> load_manifests() {
  const auto k = YAML::LoadFile((deploy_dir() / "kustomization.yaml").string());
  std::vector<Manifest> out;
  for (const auto& r : k["resources"])
    for (const auto& doc : YAML::LoadAllFromFile((deploy_dir() / r.as<std::string>()).string()))
      out.push_back({r.as<std::string>(), doc});
  return out;
}

const Manifest& find(const std::vector<Manifest>& ms, const std::string& kind) {
  for (const auto& m : ms)
    if (m.kind() == kind) return m;
  FAIL("deploy/ has no " << kind);
  throw std::logic_error("unreachable");
}

YAML::Node container(const std::vector<Manifest>& ms) {
  return find(ms, "Deployment").doc["spec"]["template"]["spec"]["containers"][0];
}

/// The ConfigMap's files written to `dir` (serve.yaml beside policies.yaml, as mounted).
void write_config_files(const std::vector<Manifest>& ms, const fs::path& dir) {
  for (const auto& kv : find(ms, "ConfigMap").doc["data"])
    std::ofstream(dir / kv.first.as<std::string>()) << kv.second.as<std::string>();
}

bool has_mount_prefix(const YAML::Node& c, const std::string& path, bool writable) {
  for (const auto& m : c["volumeMounts"]) {
    const auto mp = m["mountPath"].as<std::string>() + "/";
    if (path.rfind(mp, 0) == 0 && (!writable || !m["readOnly"].as<bool>(false))) return true;
  }
  return false;
}

// An API request: (API group, resource, verb). The core group is "".
using Request = std::tuple<std::string, std::string, std::string>;

/// A command's key in tests/deploy/api_requests.txt: the program, then its words up to the
/// first one naming an object, cut after its '/' ("kubectl scale deployment/"); for a
/// command naming no object (helm), its sub-command ("helm rollback").
std::string command_key(const std::vector<std::string>& argv) {
  const std::string prog = fs::path(argv.at(0)).filename().string();
  std::vector<std::string> words;
  for (std::size_t i = 1; i < argv.size() && argv[i].rfind('-', 0) != 0; ++i)
    words.push_back(argv[i]);
  std::string key = prog;
  for (const auto& w : words) {
    const auto slash = w.find('/');
    key += " " + (slash == std::string::npos ? w : w.substr(0, slash + 1));
    if (slash != std::string::npos) return key;
  }
  return words.empty() ? prog : prog + " " + words.front();
}

/// tests/deploy/api_requests.txt: command key -> what the API server sees when it runs
/// (its kubectl lines are checked against the real kubectl by scripts/check-kubectl-requests).
std::map<std::string, std::set<Request>> api_request_table() {
  std::map<std::string, std::set<Request>> out;
  std::ifstream in(deploy_dir().parent_path() / "tests/deploy/api_requests.txt");
  REQUIRE(in);
  std::string line;
  while (std::getline(in, line)) {
    if (line.empty() || line[0] == '#') continue;
    const auto tab = line.find('\t');
    REQUIRE(tab != std::string::npos);
    std::istringstream cmd(line.substr(0, tab)), reqs(line.substr(tab + 1));
    std::vector<std::string> argv;
    for (std::string w; cmd >> w;)
      argv.push_back(w);
    auto& set = out[command_key(argv)];
    for (std::string r; reqs >> r;) {
      const auto colon = r.rfind(':');
      const auto slash = r.find('/');
      const std::string group = r.substr(0, slash);
      set.insert({group == "core" ? "" : group, r.substr(slash + 1, colon - slash - 1),
                  r.substr(colon + 1)});
    }
  }
  return out;
}

std::string show(const std::set<Request>& s) {
  std::string out;
  for (const auto& [g, r, v] : s)
    out += "  " + (g.empty() ? std::string("core") : g) + "/" + r + " " + v + "\n";
  return out.empty() ? "  (none)\n" : out;
}

/// Every command line live's actuator starts, with --execute, for each action (and undo) of
/// the policies; kubectl and helm are scripts in `dir` that exit 0.
std::vector<std::vector<std::string>> commands_started(const selfheal::engine::PolicySet& ps,
                                                       const fs::path& dir) {
  using namespace selfheal;
  for (const char* tool : {"kubectl", "helm"}) {
    std::ofstream(dir / tool) << "#!/bin/sh\nexit 0\n";
    ::chmod((dir / tool).c_str(), 0755);
  }
  boost::asio::io_context io;
  live::CommandExecutor exec(io.get_executor());
  live::KubeConfig k;
  k.kubectl = (dir / "kubectl").string();
  k.helm = (dir / "helm").string();
  live::KubeActuator act(k, /*dry_run=*/false, exec, io.get_executor());
  std::vector<engine::ActionSpec> specs;
  for (const auto& p : ps.policies)
    for (const auto& a : p.actions) {
      if (a.kind == engine::ActionKind::kPage) continue;
      specs.push_back(a);
      engine::ActionSpec undo;  // what rollback_if_failed runs: the same verbs, fixed values
      undo.kind = a.kind;
      if (a.kind == engine::ActionKind::kScale) undo.replicas = kCurrentReplicas;
      if (a.kind == engine::ActionKind::kRollback) undo.revision = kUndoRevision;
      if (p.rollback_if_failed && (undo.replicas || undo.revision)) specs.push_back(undo);
    }
  std::size_t done = 0;
  engine::FunctionCallbacks count{nullptr, [&](std::uint64_t, engine::ActionResult) { ++done; }};
  std::uint64_t id = 0;
  for (const auto& spec : specs) {
    engine::ActionRequest req;
    req.id = ++id;
    req.target = {"prod", "api"};
    req.action = spec;
    auto argv = engine::render_action(req.target, spec, kCurrentReplicas, req.id);
    REQUIRE(argv);
    req.argv = argv.value();
    act.execute(req, count);
  }
  auto guard = boost::asio::make_work_guard(io);
  const auto deadline = std::chrono::steady_clock::now() + 60s;
  while (done < specs.size() && std::chrono::steady_clock::now() < deadline)
    io.run_one_for(1s);
  REQUIRE(done == specs.size());
  return act.started();
}

}  // namespace

TEST_CASE("every manifest in deploy/ has a known kind, apiVersion, name and namespace",
          "[deploy]") {
  const std::set<std::pair<std::string, std::string>> known{
      {"v1", "ServiceAccount"},
      {"v1", "PersistentVolumeClaim"},
      {"v1", "ConfigMap"},
      {"v1", "Service"},
      {"apps/v1", "Deployment"},
      {"rbac.authorization.k8s.io/v1", "Role"},
      {"rbac.authorization.k8s.io/v1", "RoleBinding"}};
  const auto ms = load_manifests();
  std::set<std::string> kinds;
  for (const auto& m : ms) {
    INFO(m.file << ": " << m.kind() << " " << m.name());
    CHECK(known.count({m.doc["apiVersion"].as<std::string>(""), m.kind()}) == 1);
    CHECK_FALSE(m.name().empty());
    CHECK_FALSE(m.ns().empty());
    kinds.insert(m.kind());
  }
  CHECK(kinds.size() == known.size());
  // Every manifest file is in the kustomization (`kubectl apply -k deploy/` applies it).
  std::set<std::string> listed;
  for (const auto& m : ms)
    listed.insert(m.file);
  for (const auto& e : fs::directory_iterator(deploy_dir())) {
    const auto f = e.path().filename().string();
    if (e.is_regular_file() && e.path().extension() == ".yaml" && f != "kustomization.yaml") {
      INFO(f);
      CHECK(listed.count(f) == 1);
    }
  }
}

TEST_CASE(
    "the Deployment runs one replica with Recreate, state on the PVC, the token from a "
    "Secret, probes on /healthz, limits and a non-root securityContext",
    "[deploy]") {
  const auto ms = load_manifests();
  const auto d = find(ms, "Deployment").doc;
  CHECK(d["spec"]["replicas"].as<int>(0) == 1);
  CHECK(d["spec"]["strategy"]["type"].as<std::string>("") == "Recreate");
  const auto pod = d["spec"]["template"]["spec"];
  CHECK(pod["serviceAccountName"].as<std::string>("") == find(ms, "ServiceAccount").name());
  CHECK(pod["securityContext"]["runAsNonRoot"].as<bool>(false));
  CHECK(pod["securityContext"]["runAsUser"].as<int>(0) > 0);
  std::string claim;
  for (const auto& v : pod["volumes"])
    if (v["persistentVolumeClaim"])
      claim = v["persistentVolumeClaim"]["claimName"].as<std::string>();
  CHECK(claim == find(ms, "PersistentVolumeClaim").name());
  const auto c = container(ms);
  bool token_from_secret = false;
  for (const auto& e : c["env"])
    token_from_secret = token_from_secret || (e["name"].as<std::string>() == "SELFHEAL_TOKEN" &&
                                              e["valueFrom"]["secretKeyRef"]["name"]);
  CHECK(token_from_secret);
  for (const char* probe : {"livenessProbe", "readinessProbe", "startupProbe"}) {
    INFO(probe);
    CHECK(c[probe]["httpGet"]["path"].as<std::string>("") == "/healthz");
    CHECK(c[probe]["httpGet"]["port"].as<std::string>("") ==
          c["ports"][0]["name"].as<std::string>());
  }
  CHECK(c["resources"]["limits"]["memory"]);
  CHECK(c["resources"]["limits"]["cpu"]);
  CHECK_FALSE(c["securityContext"]["allowPrivilegeEscalation"].as<bool>(true));
  CHECK(c["securityContext"]["readOnlyRootFilesystem"].as<bool>(false));
  CHECK(c["securityContext"]["capabilities"]["drop"][0].as<std::string>("") == "ALL");
  // The Service reaches the pod's port.
  const auto svc = find(ms, "Service").doc;
  CHECK(svc["spec"]["selector"]["app.kubernetes.io/name"].as<std::string>("") ==
        d["spec"]["template"]["metadata"]["labels"]["app.kubernetes.io/name"].as<std::string>());
  CHECK(svc["spec"]["ports"][0]["targetPort"].as<std::string>("") ==
        c["ports"][0]["name"].as<std::string>());
}

TEST_CASE(
    "the ConfigMap's serve config passes serve --check-config in shadow mode and fits the "
    "Deployment",
    "[deploy]") {
  const auto ms = load_manifests();
  selfheal::test::TempDir dir("deploy");
  write_config_files(ms, dir.path);
  ::setenv("SELFHEAL_TOKEN", "a-test-token-of-enough-length", 1);
  const auto serve = (dir.path / "serve.yaml").string();
  const auto r = selfheal::test::call({"serve", "--config", serve, "--check-config"});
  INFO(r.err);
  REQUIRE(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("dry-run"));
  CHECK(r.err.empty());  // no start-up warning: every escalation has a notifier
  const auto loaded = selfheal::live::load_serve_config(serve);
  REQUIRE(loaded.config);
  const auto& cfg = *loaded.config;
  CHECK(cfg.engine.mode == selfheal::engine::Mode::kShadow);
  CHECK(cfg.dry_run);
  CHECK(cfg.kube.context.empty());         // in-cluster credentials have no context
  CHECK(cfg.listen_address == "0.0.0.0");  // the Service and the probes come from outside
  const auto c = container(ms);
  CHECK(static_cast<int>(cfg.port) == c["ports"][0]["containerPort"].as<int>());
  CHECK(has_mount_prefix(c, cfg.state_path, /*writable=*/true));
  CHECK(has_mount_prefix(c, cfg.kill_switch_file, /*writable=*/true));
  CHECK_FALSE(cfg.notifiers.empty());
  // One Role per allowed namespace, and no Role elsewhere.
  std::set<std::string> role_ns;
  for (const auto& m : ms)
    if (m.kind() == "Role") role_ns.insert(m.ns());
  const auto& allowed = cfg.labels.allowed_namespaces;
  CHECK(role_ns == std::set<std::string>(allowed.begin(), allowed.end()));
}

TEST_CASE(
    "the Role grants exactly the API requests of the commands live/ runs for the "
    "ConfigMap's policies",
    "[deploy]") {
  const auto ms = load_manifests();
  selfheal::test::TempDir dir("deploy-rbac");
  write_config_files(ms, dir.path);
  const auto ps = selfheal::engine::load_policy_file((dir.path / "policies.yaml").string());
  REQUIRE(ps.policies);
  const auto table = api_request_table();
  std::set<Request> needed;
  for (const auto& argv : commands_started(*ps.policies, dir.path)) {
    std::string line;
    for (const auto& a : argv)
      line += a + " ";
    INFO(
        "live/ ran a command tests/deploy/api_requests.txt does not know; add it there "
        "(and to deploy/rbac.yaml): "
        << line);
    const auto r = table.find(command_key(argv));
    REQUIRE(r != table.end());
    needed.insert(r->second.begin(), r->second.end());
  }
  for (const auto& m : ms) {
    if (m.kind() != "Role") continue;
    std::set<Request> granted;
    for (const auto& rule : m.doc["rules"])
      for (const auto& g : rule["apiGroups"])
        for (const auto& res : rule["resources"])
          for (const auto& v : rule["verbs"])
            granted.insert({g.as<std::string>(), res.as<std::string>(), v.as<std::string>()});
    INFO("Role " << m.ns() << "/" << m.name() << " grants:\n"
                 << show(granted) << "the policies' commands need:\n"
                 << show(needed));
    CHECK(granted == needed);
  }
  // The binding gives the Role to selfheal's ServiceAccount.
  const auto sa = find(ms, "ServiceAccount");
  const auto rb = find(ms, "RoleBinding").doc;
  CHECK(rb["roleRef"]["name"].as<std::string>("") == find(ms, "Role").name());
  CHECK(rb["subjects"][0]["name"].as<std::string>("") == sa.name());
  CHECK(rb["subjects"][0]["namespace"].as<std::string>("") == sa.ns());
}

TEST_CASE("the Alertmanager example sends to selfheal first with continue and keeps paging",
          "[deploy]") {
  const auto am = YAML::LoadFile((deploy_dir() / "alertmanager/alertmanager.yml").string());
  const auto routes = am["route"]["routes"];
  REQUIRE(routes.size() >= 2);
  CHECK(routes[0]["receiver"].as<std::string>("") == "selfheal");
  CHECK(routes[0]["continue"].as<bool>(false));
  // The root's receiver keeps its alerts through a catch-all child after selfheal's route.
  const auto last = routes[routes.size() - 1];
  CHECK(last["receiver"].as<std::string>("") == am["route"]["receiver"].as<std::string>());
  CHECK_FALSE(last["matchers"]);
  const auto ms = load_manifests();
  const auto svc = find(ms, "Service");
  for (const auto& r : am["receivers"]) {
    if (r["name"].as<std::string>() != "selfheal") continue;
    const auto w = r["webhook_configs"][0];
    CHECK(w["url"].as<std::string>("") ==
          "http://" + svc.name() + "." + svc.ns() + ".svc:" +
              std::to_string(svc.doc["spec"]["ports"][0]["port"].as<int>()) + "/api/v1/alerts");
    CHECK(w["send_resolved"].as<bool>(false));
    CHECK(w["http_config"]["authorization"]["type"].as<std::string>("") == "Bearer");
  }
}
