#include "live/config.hpp"

#include <cstdlib>
#include <filesystem>
#include <map>
#include <set>
#include <sstream>

#include <yaml-cpp/yaml.h>
#include <boost/asio/ip/address.hpp>

#include "config/file_io.hpp"
#include "config/messages.hpp"
#include "config/suggest.hpp"
#include "config/yaml_reader.hpp"
#include "core/duration.hpp"
#include "engine/defaults.hpp"
#include "engine/objective_bounds.hpp"
#include "engine/signal_queries.hpp"
#include "live/names.hpp"

namespace selfheal::live {
namespace {

namespace fs = std::filesystem;

// The serve config's structure over config::YamlReader, the one tree-walker (its typed reads
// and the words of every message), plus what only this file has: paths relative to the
// config's directory, and secrets given as a value, an environment variable or a file.
class Reader : public config::YamlReader {
 public:
  Reader(std::string file, std::string base_dir, core::Diagnostics& diag)
      : config::YamlReader(std::move(file), diag), base_(std::move(base_dir)) {}

  /// A map whose keys are among `known` (listed sorted in messages).
  bool expect_map(const YAML::Node& n, const std::string& field,
                  std::initializer_list<const char*> known) {
    if (!config::YamlReader::expect_map(n, field)) return false;
    const std::set<std::string> sorted(known.begin(), known.end());
    check_keys(n, field, std::vector<std::string>(sorted.begin(), sorted.end()));
    return true;
  }
  /// Durations here are positive unless `positive` is false.
  std::optional<core::Duration> duration(const YAML::Node& n, const std::string& field,
                                         bool positive = true) {
    return config::YamlReader::duration(
        n, field, positive ? config::DurationMin::kPositive : config::DurationMin::kZero);
  }
  std::string path(const std::string& p) const {
    if (p.empty() || fs::path(p).is_absolute()) return p;
    return (fs::path(base_) / p).lexically_normal().string();
  }
  // A secret given as value, *_env or *_file; exactly one.
  std::optional<std::string> secret(const YAML::Node& parent, const std::string& field,
                                    const std::string& key) {
    const auto v = parent[key], env = parent[key + "_env"], file = parent[key + "_file"];
    const int given = v.IsDefined() + env.IsDefined() + file.IsDefined();
    if (given == 0) return std::nullopt;
    if (given > 1) {
      error(parent, field, "give only one of " + key + ", " + key + "_env, " + key + "_file");
      return std::nullopt;
    }
    if (v.IsDefined()) return str(v, join(field, key));
    if (env.IsDefined()) {
      auto name = str(env, join(field, key + "_env"));
      if (!name) return std::nullopt;
      const char* val = std::getenv(name->c_str());
      if (val == nullptr || *val == '\0') {
        error(env, join(field, key + "_env"), "environment variable " + *name + " is not set");
        return std::nullopt;
      }
      return std::string(val);
    }
    auto p = str(file, join(field, key + "_file"));
    if (!p) return std::nullopt;
    // Bounded: a token_file of /dev/zero or a huge file is refused, not read into memory.
    auto text = config::read_file(path(*p), config::kMaxSecretBytes);
    if (!text) {
      error(file, join(field, key + "_file"), text.error().describe());
      return std::nullopt;
    }
    std::string s = std::move(*text);
    while (!s.empty() && (s.back() == '\n' || s.back() == '\r' || s.back() == ' '))
      s.pop_back();
    if (s.empty()) {
      error(file, join(field, key + "_file"), path(*p) + " is empty");
      return std::nullopt;
    }
    return s;
  }

 private:
  std::string base_;
};

void check_http_url(Reader& r, const YAML::Node& n, const std::string& field,
                    const std::string& url) {
  if (url.starts_with("https://")) {
    r.error(n, field,
            "https is not supported by this build (no TLS client); point it at a local "
            "TLS-terminating proxy over http:// (docs/live.md#tls)");
  } else if (!url.starts_with("http://") || url.size() <= 7) {
    r.error(n, field, "must be an http:// URL, got \"" + url + "\"");
  }
}

constexpr auto kMaxRequestTimeout = std::chrono::minutes{10};
constexpr std::size_t kMinTokenChars = 16;
constexpr std::int64_t kMaxActionLimit = 100'000;  ///< engine.max_* upper bound
constexpr std::int64_t kMaxDeliveryAttempts = 100;
constexpr std::int64_t kMaxAuditRows = 1'000'000'000;
constexpr std::int64_t kMaxOpenTargets = 10'000'000;
constexpr std::int64_t kMinBodyLimit = 1024;
constexpr std::int64_t kMaxBodyLimit = 256LL << 20;
constexpr std::int64_t kMaxConnections = 65536;
constexpr std::int64_t kMaxIoThreads = 64;

// One reader per top-level section, called by read_config in document-key order (the order
// their errors are reported in).

void read_listen(Reader& r, const YAML::Node& root, ServeConfig& c) {
  const auto n = root["listen"];
  if (!n.IsDefined() || !r.expect_map(n, "listen", {"address", "port"})) return;
  if (n["address"].IsDefined()) {
    if (auto s = r.str(n["address"], "listen.address")) {
      // What the server binds to (HttpServer::start): refused here, not after the state
      // store and the policies were opened, and not by --check-config's "ok".
      boost::system::error_code ec;
      boost::asio::ip::make_address(*s, ec);
      if (ec)
        r.error(n["address"], "listen.address",
                "\"" + *s + "\" is not an IP address to listen on (e.g. 127.0.0.1, 0.0.0.0, ::)");
      else
        c.listen_address = *s;
    }
  }
  if (n["port"].IsDefined())
    if (auto p = r.integer(n["port"], "listen.port", 0, 65535))
      c.port = static_cast<std::uint16_t>(*p);
}

void read_auth(Reader& r, const YAML::Node& root, ServeConfig& c) {
  const auto n = root["auth"];
  if (!n.IsDefined()) {
    r.error(root, "auth",
            "required: a bearer token for the webhook and operator endpoints "
            "(auth: {token_file: ...} | {token_env: NAME} | {token: ...})");
    return;
  }
  if (!r.expect_map(n, "auth", {"token", "token_env", "token_file"})) return;
  auto t = r.secret(n, "auth", "token");
  if (!t && !n["token"].IsDefined() && !n["token_env"].IsDefined() && !n["token_file"].IsDefined())
    r.error(n, "auth", "give one of token, token_env, token_file");
  if (t) {
    if (t->size() < kMinTokenChars)
      r.error(n, "auth.token", "token is too short (at least 16 characters)");
    else
      c.token = *t;
  }
}

void read_policies(Reader& r, const YAML::Node& root, ServeConfig& c) {
  if (auto n = root["policies"]; !n.IsDefined()) {
    r.error(root, "policies", "required: a policy file path or an inline policy mapping");
  } else if (n.IsScalar()) {
    c.policies_file = r.path(n.Scalar());
  } else if (n.IsMap()) {
    YAML::Emitter e;
    e << n;
    c.policies_yaml = e.c_str();
  } else {
    r.error(n, "policies", "must be a file path or a mapping");
  }
}

void read_engine(Reader& r, const YAML::Node& root, ServeConfig& c) {
  const auto n = root["engine"];
  if (!n.IsDefined() || !r.expect_map(n, "engine",
                                      {"mode", "max_concurrent_actions", "max_actions_per_window",
                                       "rate_window", "blast_radius"}))
    return;
  if (n["mode"].IsDefined()) {
    if (auto s = r.str(n["mode"], "engine.mode")) {
      if (auto m = engine::parse_mode(*s))
        c.engine.mode = *m;
      else
        r.error(n["mode"], "engine.mode", "must be shadow, recommend or auto");
    }
  }
  if (n["max_concurrent_actions"].IsDefined())
    if (auto v = r.integer(n["max_concurrent_actions"], "engine.max_concurrent_actions", 0,
                           kMaxActionLimit))
      c.engine.max_concurrent_actions = static_cast<int>(*v);
  if (n["max_actions_per_window"].IsDefined())
    if (auto v = r.integer(n["max_actions_per_window"], "engine.max_actions_per_window", 0,
                           kMaxActionLimit))
      c.engine.max_actions_per_window = static_cast<int>(*v);
  if (n["rate_window"].IsDefined())
    if (auto d = r.duration(n["rate_window"], "engine.rate_window")) c.engine.rate_window = *d;
  if (n["blast_radius"].IsDefined())
    if (auto v = r.number_in(n["blast_radius"], "engine.blast_radius", 0.0, 1.0))
      c.engine.blast_radius = *v;
}

void read_prometheus(Reader& r, const YAML::Node& root, ServeConfig& c) {
  const auto n = root["prometheus"];
  if (!n.IsDefined() ||
      !r.expect_map(n, "prometheus",
                    {"url", "timeout", "window", "unhealthy_error_rate", "queries"}))
    return;
  if (n["url"].IsDefined())
    if (auto s = r.str(n["url"], "prometheus.url")) {
      check_http_url(r, n["url"], "prometheus.url", *s);
      c.prometheus.url = *s;
    }
  if (n["timeout"].IsDefined())
    if (auto d = r.duration(n["timeout"], "prometheus.timeout")) c.prometheus.timeout = *d;
  if (n["window"].IsDefined())
    if (auto d = r.duration(n["window"], "prometheus.window")) c.prometheus.window = *d;
  if (n["unhealthy_error_rate"].IsDefined())
    if (auto v = r.number_in(n["unhealthy_error_rate"], "prometheus.unhealthy_error_rate", 0, 1))
      c.prometheus.unhealthy_error_rate = *v;
  c.prometheus.queries = engine::read_signal_queries(n["queries"], r, "prometheus.queries");
}

void read_kubernetes(Reader& r, const YAML::Node& root, ServeConfig& c) {
  const auto n = root["kubernetes"];
  if (!n.IsDefined() || !r.expect_map(n, "kubernetes", {"kubectl", "helm", "context", "timeout"}))
    return;
  if (n["kubectl"].IsDefined())
    if (auto s = r.str(n["kubectl"], "kubernetes.kubectl")) c.kube.kubectl = *s;
  if (n["helm"].IsDefined())
    if (auto s = r.str(n["helm"], "kubernetes.helm")) c.kube.helm = *s;
  if (n["context"].IsDefined())
    if (auto s = r.str(n["context"], "kubernetes.context")) {
      if (s->empty() || s->front() == '-' ||
          s->find_first_of(" \t\n;&|$`'\"\\") != std::string::npos)
        r.error(n["context"], "kubernetes.context",
                "\"" + *s + "\" is not a plausible kubeconfig context name");
      else
        c.kube.context = *s;
    }
  if (n["timeout"].IsDefined())
    if (auto d = r.duration(n["timeout"], "kubernetes.timeout")) c.kube.timeout = *d;
}

// allowed_namespaces and labels: both end up in LabelMapping.
void read_labels(Reader& r, const YAML::Node& root, ServeConfig& c) {
  if (auto n = root["allowed_namespaces"]; n.IsDefined()) {
    if (auto v = r.str_list(n, "allowed_namespaces", false)) {
      for (std::size_t i = 0; i < v->size(); ++i)
        if (auto p = dns1123_problem((*v)[i]); !p.empty())
          r.error(n[i], "allowed_namespaces[" + std::to_string(i) + "]",
                  config::dns1123_message((*v)[i], p));
      c.labels.allowed_namespaces = *v;
    }
  }
  const auto n = root["labels"];
  if (!n.IsDefined() || !r.expect_map(n, "labels", {"service", "namespace"})) return;
  auto one = [&](const char* key, std::vector<std::string>& out) {
    auto v = n[key];
    if (!v.IsDefined()) return;
    if (v.IsScalar()) {
      out = {v.Scalar()};
    } else if (auto l = r.str_list(v, std::string("labels.") + key, false)) {
      if (l->empty())
        r.error(v, std::string("labels.") + key, "must name at least one label");
      else
        out = *l;
    }
  };
  one("service", c.labels.service);
  one("namespace", c.labels.ns);
}

// notifiers[i]; `names` collects the names seen so far (duplicates are errors).
void read_notifier(Reader& r, const YAML::Node& e, std::size_t i, std::set<std::string>& names,
                   ServeConfig& c) {
  const auto f = "notifiers[" + std::to_string(i) + "]";
  if (!r.expect_map(e, f,
                    {"name", "type", "url", "routing_key", "routing_key_env", "routing_key_file",
                     "channels", "max_attempts", "backoff", "timeout"}))
    return;
  NotifierConfig nc;
  nc.source_line = e.Mark().line >= 0 ? e.Mark().line + 1 : 0;
  if (auto t = e["type"]; !t.IsDefined()) {
    r.error(e, f + ".type", "required: pagerduty or webhook");
  } else if (auto s = r.str(t, f + ".type")) {
    if (*s == "pagerduty")
      nc.type = NotifierConfig::Type::kPagerDuty;
    else if (*s == "webhook")
      nc.type = NotifierConfig::Type::kWebhook;
    else
      r.error(t, f + ".type", "must be pagerduty or webhook, got \"" + *s + "\"");
  }
  const bool pagerduty = nc.type == NotifierConfig::Type::kPagerDuty;
  if (e["name"].IsDefined()) {
    if (auto s = r.str(e["name"], f + ".name")) nc.name = *s;
  } else {
    nc.name = (pagerduty ? "pagerduty-" : "webhook-") + std::to_string(i);
  }
  if (!names.insert(nc.name).second)
    r.error(e["name"], f + ".name", "duplicate notifier name \"" + nc.name + "\"");
  if (auto u = e["url"]; !u.IsDefined()) {
    r.error(e, f + ".url",
            pagerduty ? "required (PagerDuty's is https://events.pagerduty.com/v2/enqueue, "
                        "reached through a local TLS proxy; see docs/live.md#tls)"
                      : "required");
  } else if (auto s = r.str(u, f + ".url")) {
    check_http_url(r, u, f + ".url", *s);
    nc.url = *s;
  }
  if (auto k = r.secret(e, f, "routing_key")) nc.routing_key = *k;
  if (pagerduty && nc.routing_key.empty() && !e["routing_key"].IsDefined() &&
      !e["routing_key_env"].IsDefined() && !e["routing_key_file"].IsDefined())
    r.error(e, f + ".routing_key", "required for type pagerduty");
  if (e["channels"].IsDefined())
    if (auto v = r.str_list(e["channels"], f + ".channels", false)) nc.channels = *v;
  if (e["max_attempts"].IsDefined())
    if (auto v = r.integer(e["max_attempts"], f + ".max_attempts", 1, kMaxDeliveryAttempts))
      nc.max_attempts = static_cast<int>(*v);
  if (e["backoff"].IsDefined())
    if (auto d = r.duration(e["backoff"], f + ".backoff")) nc.backoff = *d;
  if (e["timeout"].IsDefined())
    if (auto d = r.duration(e["timeout"], f + ".timeout")) nc.timeout = *d;
  c.notifiers.push_back(std::move(nc));
}

void read_notifiers(Reader& r, const YAML::Node& root, ServeConfig& c) {
  const auto n = root["notifiers"];
  if (!n.IsDefined()) return;
  if (!n.IsSequence()) {
    r.error(n, "notifiers", "must be a list");
    return;
  }
  std::set<std::string> names;
  for (std::size_t i = 0; i < n.size(); ++i)
    read_notifier(r, n[i], i, names, c);
}

void read_state(Reader& r, const YAML::Node& root, ServeConfig& c) {
  const auto n = root["state"];
  if (!n.IsDefined()) {
    c.state_path = r.path(c.state_path);
    return;
  }
  if (!r.expect_map(n, "state", {"path", "audit_max_age", "audit_max_rows", "max_open_targets"}))
    return;
  if (n["path"].IsDefined())
    if (auto s = r.str(n["path"], "state.path")) c.state_path = *s == ":memory:" ? *s : r.path(*s);
  // Retention and the open-target cap (0 disables each; docs/live.md#state-safety).
  if (n["audit_max_age"].IsDefined())
    if (auto d = r.duration(n["audit_max_age"], "state.audit_max_age", false)) {
      if (d->count() < 0)
        r.error(n["audit_max_age"], "state.audit_max_age", "must not be negative");
      else
        c.audit_max_age = *d;
    }
  if (n["audit_max_rows"].IsDefined())
    if (auto v = r.integer(n["audit_max_rows"], "state.audit_max_rows", 0, kMaxAuditRows))
      c.audit_max_rows = static_cast<std::size_t>(*v);
  if (n["max_open_targets"].IsDefined())
    if (auto v = r.integer(n["max_open_targets"], "state.max_open_targets", 0, kMaxOpenTargets))
      c.max_open_targets = static_cast<std::size_t>(*v);
}

// The server's own bounds and files: kill switch, body size, connections, threads.
void read_server_limits(Reader& r, const YAML::Node& root, ServeConfig& c) {
  if (auto n = root["kill_switch_file"]; n.IsDefined())
    if (auto s = r.str(n, "kill_switch_file")) c.kill_switch_file = r.path(*s);
  if (auto n = root["body_limit"]; n.IsDefined())
    if (auto v = r.integer(n, "body_limit", kMinBodyLimit, kMaxBodyLimit))
      c.body_limit = static_cast<std::size_t>(*v);
  if (auto n = root["max_connections"]; n.IsDefined())
    if (auto v = r.integer(n, "max_connections", 1, kMaxConnections))
      c.max_connections = static_cast<int>(*v);
  if (auto n = root["request_timeout"]; n.IsDefined())
    if (auto d = r.duration(n, "request_timeout")) {
      if (*d > kMaxRequestTimeout)
        r.error(n, "request_timeout", "must be at most 10m (a slow client holds a connection)");
      else
        c.request_timeout = *d;
    }
  if (auto n = root["io_threads"]; n.IsDefined())
    if (auto v = r.integer(n, "io_threads", 1, kMaxIoThreads)) c.io_threads = static_cast<int>(*v);
}

// topology.services.<name>.slo: the scenario format's keys and bounds (0 = no objective).
void read_slo(Reader& r, const YAML::Node& n, const std::string& f, ServiceObjectives& slo) {
  if (!r.expect_map(n, f, {"error_rate", "latency_p99_ms", "queue_lag"})) return;
  if (n["error_rate"].IsDefined())
    if (auto v =
            r.number_in(n["error_rate"], f + ".error_rate", 0.0, engine::kMaxErrorRateObjective))
      slo.error_rate = *v;
  if (n["latency_p99_ms"].IsDefined())
    if (auto v = r.number_in(n["latency_p99_ms"], f + ".latency_p99_ms", 0.0,
                             engine::kMaxLatencyObjectiveMs))
      slo.latency_p99_ms = *v;
  if (n["queue_lag"].IsDefined())
    if (auto v = r.number_in(n["queue_lag"], f + ".queue_lag", 0.0, engine::kMaxQueueLagObjective))
      slo.queue_lag = *v;
}

// Each dependency is `svc` or `ns/svc`; both parts reach the PromQL health query of the
// upstream (the error_rate template), so both pass the one name check.
void check_dependencies(Reader& r, const YAML::Node& d, const std::string& field,
                        const std::vector<std::string>& deps) {
  for (std::size_t i = 0; i < deps.size(); ++i) {
    const std::string& dep = deps[i];
    const auto slash = dep.find('/');
    for (const std::string& part :
         slash == std::string::npos
             ? std::vector<std::string>{dep}
             : std::vector<std::string>{dep.substr(0, slash), dep.substr(slash + 1)}) {
      if (auto p = dns1123_problem(part); !p.empty()) {
        r.error(d[i], field + "[" + std::to_string(i) + "]",
                config::dns1123_message(part, p) + " (write svc or namespace/svc)");
        break;
      }
    }
  }
}

void read_topology(Reader& r, const YAML::Node& root, ServeConfig& c) {
  const auto n = root["topology"];
  if (!n.IsDefined() || !r.expect_map(n, "topology", {"services"})) return;
  const auto s = n["services"];
  if (!s.IsDefined()) return;
  if (!s.IsMap()) {
    r.error(s, "topology.services", "must be a mapping of service name to settings");
    return;
  }
  for (const config::Entry& e : r.named_entries(s, "topology.services", "service")) {
    const std::string& name = e.key;
    const auto f = "topology.services." + name;
    if (auto p = dns1123_problem(name); !p.empty())
      r.error(e.key_node, f, config::dns1123_message(name, p));
    if (!r.expect_map(e.value, f, {"namespace", "depends_on", "slo"})) continue;
    TopologyService ts;
    ts.name = name;
    if (auto ns = e.value["namespace"]; !ns.IsDefined()) {
      r.error(e.value, f + ".namespace", "required");
    } else if (auto v = r.str(ns, f + ".namespace")) {
      if (auto p = dns1123_problem(*v); !p.empty())
        r.error(ns, f + ".namespace", config::dns1123_message(*v, p));
      ts.ns = *v;
    }
    if (auto d = e.value["depends_on"]; d.IsDefined())
      if (auto v = r.str_list(d, f + ".depends_on", false)) {
        ts.depends_on = *v;
        check_dependencies(r, d, f + ".depends_on", *v);
      }
    if (auto o = e.value["slo"]; o.IsDefined()) {
      ServiceObjectives slo;
      read_slo(r, o, f + ".slo", slo);
      if (slo.any()) c.objectives[engine::ServiceRef{ts.ns, ts.name}] = slo;
    }
    c.topology.push_back(std::move(ts));
  }
}

void read_config(Reader& r, const YAML::Node& root, ServeConfig& c) {
  if (!r.expect_map(
          root, "",
          {"listen", "auth", "policies", "engine", "dry_run", "prometheus", "kubernetes",
           "allowed_namespaces", "labels", "notifiers", "state", "kill_switch_file", "body_limit",
           "topology", "calendar", "io_threads", "max_connections", "request_timeout"}))
    return;
  read_listen(r, root, c);
  read_auth(r, root, c);
  read_policies(r, root, c);
  read_engine(r, root, c);
  if (auto n = root["dry_run"]; n.IsDefined())
    if (auto b = r.boolean(n, "dry_run")) c.dry_run = *b;
  read_prometheus(r, root, c);
  read_kubernetes(r, root, c);
  read_labels(r, root, c);
  read_notifiers(r, root, c);
  read_state(r, root, c);
  read_server_limits(r, root, c);
  read_topology(r, root, c);
  if (auto n = root["calendar"]; n.IsDefined())
    if (auto s = r.str(n, "calendar")) c.calendar_file = r.path(*s);
}

}  // namespace

ConfigLoad load_serve_config_string(const std::string& yaml, const std::string& source_name,
                                    const std::string& base_dir) {
  ConfigLoad out;
  YAML::Node root;
  try {
    root = config::load_yaml(yaml);
  } catch (const YAML::Exception& e) {
    out.diagnostics.add(
        core::Error("invalid YAML: " + e.msg, source_name, e.mark.line + 1, e.mark.column + 1));
    return out;
  }
  ServeConfig c;
  c.source_file = source_name;
  Reader r(source_name, base_dir, out.diagnostics);
  if (!root.IsDefined() || root.IsNull()) {
    out.diagnostics.add(core::Error("the configuration is empty", source_name));
    return out;
  }
  read_config(r, root, c);
  if (out.diagnostics.empty()) out.config = std::move(c);
  return out;
}

ConfigLoad load_serve_config(const std::string& path) {
  auto text = config::read_file(path);
  if (!text) {
    ConfigLoad out;
    out.diagnostics.add(text.error());
    return out;
  }
  auto base = fs::path(path).parent_path().string();
  if (base.empty()) base = ".";
  return load_serve_config_string(*text, path, base);
}

core::Diagnostics check_escalation_channels(const ServeConfig& config,
                                            const engine::PolicySet& policies,
                                            const std::string& policy_file) {
  core::Diagnostics d;
  std::set<std::string> listed;
  bool catch_all = false;
  for (const auto& n : config.notifiers) {
    listed.insert(n.channels.begin(), n.channels.end());
    catch_all = catch_all || n.channels.empty();
  }
  if (listed.empty()) return d;  // no routing by channel: every notifier takes every page
  const std::vector<std::string> known(listed.begin(), listed.end());
  std::string known_text;
  for (const auto& k : known)
    known_text += (known_text.empty() ? "" : ", ") + k;
  for (const auto& p : policies.policies) {
    if (listed.count(p.escalation_channel) != 0) continue;
    if (p.escalation_channel == engine::defaults::kDefaultChannel && catch_all) continue;
    std::string msg = "policy " + p.incident_type + " pages channel \"" + p.escalation_channel +
                      "\", which no notifier lists (notifiers list: " + known_text + ")";
    const std::string near = config::closest(p.escalation_channel, known);
    if (!near.empty()) msg += "; did you mean \"" + near + "\"?";
    d.add(core::Error(msg, policy_file,
                      p.escalation_channel_line != 0 ? p.escalation_channel_line : p.source_line, 0,
                      "escalation_channel"));
  }
  if (!catch_all && listed.count(std::string(engine::defaults::kDefaultChannel)) == 0) {
    d.add(core::Error("every notifier lists channels and none lists \"" +
                          std::string(engine::defaults::kDefaultChannel) +
                          "\": pages without a policy would reach nobody; add it to one "
                          "notifier's channels or leave one notifier's channels empty",
                      config.source_file, config.notifiers.front().source_line, 0,
                      "notifiers[0].channels"));
  }
  return d;
}

void apply_overrides(const EngineOverrides& o, engine::EngineSettings& s) {
  if (o.mode) s.mode = *o.mode;
  if (o.max_concurrent_actions) s.limits.max_concurrent_actions = *o.max_concurrent_actions;
  if (o.max_actions_per_window) s.limits.max_actions_per_window = *o.max_actions_per_window;
  if (o.rate_window) s.limits.rate_window = *o.rate_window;
  if (o.blast_radius) s.limits.blast_radius = *o.blast_radius;
}

}  // namespace selfheal::live
