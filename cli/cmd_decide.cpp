// selfheal decide — the seed's remediate() as a command: one incident through the real
// engine pipeline with in-memory ports, the decision printed as JSON. Nothing is executed:
// the actuator only records (docs/pipeline.md#selfheal-decide).
#include <algorithm>
#include <chrono>
#include <filesystem>
#include <fstream>
#include <sstream>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "core/duration.hpp"
#include "engine/audit_json.hpp"
#include "engine/classifier.hpp"
#include "engine/engine.hpp"
#include "engine/fixed_ports.hpp"
#include "engine/memory_state_store.hpp"
#include "engine/policy_loader.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace selfheal::cli {
namespace {

using engine::ServiceRef;

// Edit distance, for "did you mean" on unknown keys.
std::size_t distance(const std::string& a, const std::string& b) {
  std::vector<std::size_t> row(b.size() + 1);
  for (std::size_t j = 0; j <= b.size(); ++j)
    row[j] = j;
  for (std::size_t i = 1; i <= a.size(); ++i) {
    std::size_t prev = row[0];
    row[0] = i;
    for (std::size_t j = 1; j <= b.size(); ++j) {
      const std::size_t cur = row[j];
      row[j] = std::min({row[j] + 1, row[j - 1] + 1, prev + (a[i - 1] == b[j - 1] ? 0 : 1)});
      prev = cur;
    }
  }
  return row[b.size()];
}

std::string suggest(const std::string& key, const std::vector<std::string>& known) {
  std::string best;
  std::size_t best_d = 3;  // at most 2 edits away
  for (const auto& k : known) {
    const std::size_t d = distance(key, k);
    if (d < best_d) {
      best_d = d;
      best = k;
    }
  }
  return best.empty() ? "" : " (did you mean \"" + best + "\"?)";
}

// Reads and validates the incident document, collecting every problem.
class IncidentReader {
 public:
  IncidentReader(std::string file, core::Diagnostics& diags)
      : file_(std::move(file)), diags_(diags) {}

  void error(const std::string& field, const std::string& message) {
    diags_.add(core::Error(message, file_, 0, 0, field));
  }

  void check_keys(const json& obj, const std::string& path, const std::vector<std::string>& known) {
    for (const auto& [key, value] : obj.items()) {
      if (std::find(known.begin(), known.end(), key) == known.end()) {
        error(path + key, "unknown field" + suggest(key, known));
      }
    }
  }

  std::optional<std::string> str(const json& obj, const std::string& path, const char* key,
                                 bool required) {
    if (!obj.contains(key)) {
      if (required) error(path + key, "missing (a string is required)");
      return std::nullopt;
    }
    if (!obj.at(key).is_string() || obj.at(key).get<std::string>().empty()) {
      error(path + key, "must be a non-empty string");
      return std::nullopt;
    }
    return obj.at(key).get<std::string>();
  }

  std::optional<double> num(const json& obj, const std::string& path, const char* key,
                            bool required, double lo, double hi) {
    if (!obj.contains(key)) {
      if (required) error(path + key, "missing (a number is required)");
      return std::nullopt;
    }
    if (!obj.at(key).is_number()) {
      error(path + key, "must be a number");
      return std::nullopt;
    }
    const double v = obj.at(key).get<double>();
    if (!(v >= lo && v <= hi)) {
      std::ostringstream os;
      os << "must be in [" << lo << ", " << hi << "], not " << v;
      error(path + key, os.str());
      return std::nullopt;
    }
    return v;
  }

  std::optional<engine::TimePoint> time(const json& obj, const std::string& path, const char* key) {
    if (!obj.contains(key)) return std::nullopt;
    if (!obj.at(key).is_string()) {
      error(path + key, "must be an ISO-8601 time string, e.g. 2026-11-27T18:00:00Z");
      return std::nullopt;
    }
    auto t = engine::parse_time(obj.at(key).get<std::string>());
    if (!t) {
      error(path + key, "\"" + obj.at(key).get<std::string>() +
                            "\" is not an ISO-8601 UTC time (e.g. 2026-11-27T18:00:00Z)");
    }
    return t;
  }

  engine::ServiceSignals signals(const json& s) {
    engine::ServiceSignals out;
    if (!s.is_object()) {
      error("signals", "must be an object of signal values");
      return out;
    }
    struct Field {
      const char* name;
      double engine::ServiceSignals::*member;
      double hi;
    };
    static const std::vector<Field> kFields{
        {"request_rate", &engine::ServiceSignals::request_rate, 1e12},
        {"request_rate_baseline", &engine::ServiceSignals::request_rate_baseline, 1e12},
        {"error_rate", &engine::ServiceSignals::error_rate, 1},
        {"error_rate_baseline", &engine::ServiceSignals::error_rate_baseline, 1},
        {"latency_p99_ms", &engine::ServiceSignals::latency_p99_ms, 1e12},
        {"latency_p99_baseline_ms", &engine::ServiceSignals::latency_p99_baseline_ms, 1e12},
        {"cpu_utilization", &engine::ServiceSignals::cpu_utilization, 1e6},
        {"memory_utilization", &engine::ServiceSignals::memory_utilization, 1e6},
        {"memory_growth_per_hour", &engine::ServiceSignals::memory_growth_per_hour, 1e6},
        {"oom_kills", &engine::ServiceSignals::oom_kills, 1e12},
        {"restarts", &engine::ServiceSignals::restarts, 1e12},
        {"ready_replicas", &engine::ServiceSignals::ready_replicas, 1e6},
        {"desired_replicas", &engine::ServiceSignals::desired_replicas, 1e6},
        {"queue_lag", &engine::ServiceSignals::queue_lag, 1e15},
        {"dependency_errors", &engine::ServiceSignals::dependency_errors, 1},
    };
    std::vector<std::string> known{"queue_lag_trend", "since_last_deploy", "current_revision",
                                   "missing"};
    for (const auto& f : kFields)
      known.emplace_back(f.name);
    check_keys(s, "signals.", known);
    for (const auto& f : kFields) {
      if (auto v = num(s, "signals.", f.name, false, 0.0, f.hi)) out.*f.member = *v;
    }
    if (auto v = num(s, "signals.", "queue_lag_trend", false, -1e15, 1e15))
      out.queue_lag_trend = *v;
    if (auto v = num(s, "signals.", "current_revision", false, 0, 1e9)) {
      out.current_revision = static_cast<int>(*v);
    }
    if (s.contains("since_last_deploy")) {
      const auto& d = s.at("since_last_deploy");
      if (!d.is_string()) {
        error("signals.since_last_deploy", "must be a duration string, e.g. \"8m\"");
      } else if (auto parsed = core::parse_duration(d.get<std::string>())) {
        out.since_last_deploy = *parsed;
      } else {
        error("signals.since_last_deploy", parsed.error().message);
      }
    }
    if (s.contains("missing")) {
      if (!s.at("missing").is_array()) {
        error("signals.missing", "must be a list of signal names");
      } else {
        for (const auto& m : s.at("missing")) {
          if (m.is_string()) out.missing.push_back(m.get<std::string>());
        }
      }
    }
    return out;
  }

  std::vector<engine::PlannedEvent> events(const json& list) {
    std::vector<engine::PlannedEvent> out;
    if (!list.is_array()) {
      error("active_events", "must be a list of {name, kind, start, end}");
      return out;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = "active_events[" + std::to_string(i) + "].";
      const auto& e = list[i];
      if (!e.is_object()) {
        error(path.substr(0, path.size() - 1), "must be an object");
        continue;
      }
      check_keys(e, path, {"name", "kind", "start", "end", "traffic_multiplier"});
      engine::PlannedEvent ev;
      ev.name = str(e, path, "name", true).value_or("");
      ev.kind = str(e, path, "kind", true).value_or("");
      // Without bounds an event listed here is active now.
      ev.start = time(e, path, "start").value_or(engine::TimePoint::min());
      ev.end = time(e, path, "end").value_or(engine::TimePoint::max());
      ev.traffic_multiplier = num(e, path, "traffic_multiplier", false, 0, 1e6).value_or(1.0);
      out.push_back(std::move(ev));
    }
    return out;
  }

  std::vector<engine::DependencyHealth> upstreams(const json& list, const std::string& ns) {
    std::vector<engine::DependencyHealth> out;
    if (!list.is_array()) {
      error("upstreams", "must be a list of {service, healthy, error_rate}");
      return out;
    }
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string path = "upstreams[" + std::to_string(i) + "].";
      const auto& u = list[i];
      if (!u.is_object()) {
        error(path.substr(0, path.size() - 1), "must be an object");
        continue;
      }
      check_keys(u, path, {"service", "namespace", "healthy", "error_rate", "reason"});
      engine::DependencyHealth d;
      d.service = {str(u, path, "namespace", false).value_or(ns),
                   str(u, path, "service", true).value_or("")};
      if (u.contains("healthy")) {
        if (u.at("healthy").is_boolean()) {
          d.healthy = u.at("healthy").get<bool>();
        } else {
          error(path + "healthy", "must be true or false");
        }
      }
      d.error_rate = num(u, path, "error_rate", false, 0, 1).value_or(0.0);
      d.reason = str(u, path, "reason", false).value_or("");
      out.push_back(std::move(d));
    }
    return out;
  }

 private:
  std::string file_;
  core::Diagnostics& diags_;
};

struct Input {
  engine::Incident incident;
  std::optional<engine::ServiceSignals> signals;
  std::vector<engine::PlannedEvent> events;
  std::vector<engine::DependencyHealth> upstreams;
  std::optional<engine::TimePoint> time;
  std::optional<std::size_t> services_in_namespace;
};

// Reads a JSON file; a parse error names file, line and column.
std::optional<json> read_json(const std::string& file, core::Diagnostics& diags) {
  std::ifstream in(file, std::ios::binary);
  if (!in) {
    diags.add(core::Error("cannot read the file", file));
    return std::nullopt;
  }
  std::stringstream buf;
  buf << in.rdbuf();
  const std::string text = buf.str();
  try {
    return json::parse(text);
  } catch (const json::parse_error& e) {
    int line = 1, col = 1;
    const std::size_t upto = std::min<std::size_t>(e.byte == 0 ? 0 : e.byte - 1, text.size());
    for (std::size_t i = 0; i < upto; ++i) {
      if (text[i] == '\n') {
        ++line;
        col = 1;
      } else {
        ++col;
      }
    }
    std::string msg = e.what();
    if (auto p = msg.find("syntax error"); p != std::string::npos) msg = msg.substr(p);
    diags.add(core::Error("malformed JSON: " + msg, file, line, col));
    return std::nullopt;
  }
}

std::optional<Input> read_incident(const std::string& file, core::Diagnostics& diags) {
  auto doc = read_json(file, diags);
  if (!doc) return std::nullopt;
  IncidentReader r(file, diags);
  if (!doc->is_object()) {
    r.error("", "the incident must be a JSON object");
    return std::nullopt;
  }
  const json& j = *doc;
  r.check_keys(
      j, "",
      {"incident_type", "service", "namespace", "confidence", "fingerprint", "alertname",
       "resolved", "signals", "active_events", "upstreams", "time", "services_in_namespace"});
  Input in;
  // Neither incident_type nor confidence: the built-in classifier decides from the signals.
  const bool classify = !j.contains("incident_type") && !j.contains("confidence");
  if (classify && !j.contains("signals")) {
    r.error("incident_type",
            "missing: give incident_type and confidence (an external classification), or "
            "signals for the built-in classifier");
  }
  const auto type = r.str(j, "", "incident_type", !classify);
  const auto service = r.str(j, "", "service", true);
  const auto ns = r.str(j, "", "namespace", true);
  const auto confidence = r.num(j, "", "confidence", !classify, 0.0, 1.0);
  in.incident.target = {ns.value_or(""), service.value_or("")};
  in.incident.alertname = r.str(j, "", "alertname", false).value_or("");
  in.incident.fingerprint =
      r.str(j, "", "fingerprint", false)
          .value_or("decide:" + in.incident.target.key() + "/" + type.value_or("builtin"));
  if (j.contains("resolved")) {
    if (j.at("resolved").is_boolean()) {
      in.incident.resolved = j.at("resolved").get<bool>();
    } else {
      r.error("resolved", "must be true or false");
    }
  }
  if (!classify) {
    in.incident.classification =
        engine::ExternalClassification{type.value_or(""), confidence.value_or(0.0)};
  }
  if (j.contains("signals")) in.signals = r.signals(j.at("signals"));
  if (j.contains("active_events")) in.events = r.events(j.at("active_events"));
  if (j.contains("upstreams")) in.upstreams = r.upstreams(j.at("upstreams"), ns.value_or(""));
  in.time = r.time(j, "", "time");
  if (auto n = r.num(j, "", "services_in_namespace", false, 1, 1e9)) {
    in.services_in_namespace = static_cast<std::size_t>(*n);
  }
  if (!diags.empty()) return std::nullopt;
  return in;
}

// decide executes nothing, so nothing stays in flight between calls; what carries over is
// cooldowns, attempts, ladder step, escalate-only, the breaker and the kill switch.
json persistent_state(const engine::MemoryStateStore& store) {
  json j = store.to_json();
  for (auto& t : j["targets"])
    t.erase("in_flight");
  j["seen"] = json::array();
  return j;
}

bool write_atomically(const std::string& file, const std::string& text, std::string& error) {
  const std::filesystem::path target(file);
  const std::filesystem::path tmp = target.string() + ".tmp";
  {
    std::ofstream out(tmp, std::ios::binary | std::ios::trunc);
    if (!out) {
      error = "cannot write " + tmp.string();
      return false;
    }
    out << text;
    out.flush();
    if (!out) {
      error = "cannot write " + tmp.string();
      return false;
    }
  }
  std::error_code ec;
  std::filesystem::rename(tmp, target, ec);  // atomic on POSIX: readers see old or new
  if (ec) {
    error = "cannot replace " + file + ": " + ec.message();
    std::filesystem::remove(tmp, ec);
    return false;
  }
  return true;
}

// The built-in classifier's reasoning for an incident without a type, for the person who
// reads the decision: the posterior over every type (most likely first) and every known
// feature with its bucket and contribution (ln P(bucket | chosen) - ln P(bucket | runner-up),
// largest first). Computed from the same evidence the engine's pipeline reads; the
// decision's own confidence can be lower (an active planned event's penalty).
json classifier_evidence(const Input& in, const engine::ClassifierModel& model) {
  engine::ClassifierInput ci;
  if (in.signals) ci.signals = *in.signals;
  ci.upstreams = in.upstreams;
  ci.planned_events = in.events;
  const engine::Classification c = engine::classify(model, ci);
  auto post = engine::posterior(model, ci);
  std::stable_sort(post.begin(), post.end(),
                   [](const auto& a, const auto& b) { return a.second > b.second; });
  json posterior = json::array();
  for (const auto& [type, p] : post)
    posterior.push_back({{"incident_type", type}, {"probability", p}});
  json evidence = json::array();
  for (const auto& e : c.evidence)
    evidence.push_back({{"feature", e.signal},
                        {"value", e.value},
                        {"bucket", e.bucket},
                        {"contribution", e.log_likelihood_ratio}});
  return {{"incident_type", c.incident_type},
          {"confidence", c.confidence},
          {"posterior", std::move(posterior)},
          {"evidence", std::move(evidence)}};
}

void print_diagnostics(const core::Diagnostics& d, Io io) {
  for (const auto& e : d.errors())
    io.err << e.describe() << "\n";
}

}  // namespace

int cmd_decide(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal decide --policy FILE --incident FILE.json [--state FILE] [--now TIME]\n\n"
      "Decide one incident with the real engine pipeline and print the decision as JSON:\n"
      "status (the outcome), escalate, action or suggested_action (the exact kubectl/helm\n"
      "command) and argv, guardrail, reason, classification. Nothing is executed: decide\n"
      "prints what the engine would do.\n\n"
      "The incident JSON needs service, namespace and either incident_type with confidence\n"
      "(an external classification) or signals {error_rate, oom_kills, ...}: without a type\n"
      "the built-in classifier decides, and `classifier` in the output shows its posterior\n"
      "per type and each feature's contribution (docs/classifier.md). Optional:\n"
      "fingerprint, alertname, resolved, signals,\n"
      "active_events [{name, kind, start, end}], upstreams [{service, healthy, error_rate}],\n"
      "services_in_namespace, time (ISO-8601).\n"
      "Exit 0 with a decision, 2 on bad input.\n\noptions");
  opts.add_options()("help,h", "show this help")("policy", po::value<std::string>(),
                                                 "policy file (YAML)")(
      "incident", po::value<std::string>(), "incident file (JSON)")(
      "state", po::value<std::string>(),
      "JSON state file: read if present, rewritten atomically (cooldowns, attempts, "
      "escalate-only carry across calls)")(
      "now", po::value<std::string>(),
      "decision time, ISO-8601 (default: the incident's time, else the system clock)");
  po::options_description hidden;
  hidden.add_options()("args", po::value<std::vector<std::string>>());
  po::positional_options_description pos;
  pos.add("args", -1);
  po::variables_map vm;
  if (int rc = parse_options(args, opts, hidden, pos, vm, io); rc >= 0) return rc;
  if (vm.count("args") != 0U) {
    io.err << "error: unexpected argument '" << vm["args"].as<std::vector<std::string>>().front()
           << "'\n\n"
           << opts;
    return kExitBadInput;
  }
  if (vm.count("policy") == 0U || vm.count("incident") == 0U) {
    io.err << "error: --policy and --incident are required\n\n" << opts;
    return kExitBadInput;
  }

  engine::PolicyLoad load = engine::load_policy_file(vm["policy"].as<std::string>());
  if (!load.policies) {
    print_diagnostics(load.diagnostics, io);
    return kExitBadInput;
  }

  core::Diagnostics diags;
  const std::string incident_file = vm["incident"].as<std::string>();
  auto input = read_incident(incident_file, diags);
  if (!input) {
    print_diagnostics(diags, io);
    return kExitBadInput;
  }

  engine::TimePoint now;
  if (vm.count("now") != 0U) {
    auto t = engine::parse_time(vm["now"].as<std::string>());
    if (!t) {
      io.err << "error: --now: \"" << vm["now"].as<std::string>()
             << "\" is not an ISO-8601 UTC time (e.g. 2026-11-27T18:00:00Z)\n";
      return kExitBadInput;
    }
    now = *t;
  } else if (input->time) {
    now = *input->time;
  } else {
    now = std::chrono::floor<engine::Duration>(std::chrono::system_clock::now());
  }

  engine::MemoryStateStore state;
  std::string state_file;
  if (vm.count("state") != 0U) {
    state_file = vm["state"].as<std::string>();
    if (std::filesystem::exists(state_file)) {
      auto doc = read_json(state_file, diags);
      if (!doc) {
        print_diagnostics(diags, io);
        return kExitBadInput;
      }
      auto loaded = engine::MemoryStateStore::from_json(*doc);
      if (!loaded) {
        core::Error e = loaded.error();
        e.file = state_file;
        io.err << e.describe() << "\n";
        return kExitBadInput;
      }
      state = std::move(loaded).value();
    }
  }

  engine::ManualClock clock{now};
  engine::ManualScheduler scheduler{clock};
  engine::StaticTelemetry telemetry;
  if (input->signals) telemetry.set(input->incident.target, *input->signals);
  engine::StaticTopology topology;
  topology.set_upstreams(input->incident.target, input->upstreams);
  std::vector<std::string> notes;
  if (input->services_in_namespace) {
    topology.set_services_in_namespace(input->incident.target.ns, *input->services_in_namespace);
  } else {
    // Without a count the blast radius cannot be judged; treat the namespace as large.
    topology.default_services_per_namespace = 1000000;
    if (load.policies->settings.limits.blast_radius < 1.0) {
      notes.emplace_back("services_in_namespace not given: blast radius not evaluated");
    }
  }
  engine::StaticCalendar calendar;
  for (const auto& e : input->events)
    calendar.add(e, input->incident.target);
  engine::RecordingActuator actuator;  // records; never runs anything
  engine::RecordingNotifier notifier;
  engine::VectorAuditSink audit;
  engine::Engine eng(
      {clock, scheduler, telemetry, topology, calendar, actuator, notifier, state, audit},
      *load.policies, engine::ClassifierModel::builtin());
  const engine::Decision d = eng.handle(input->incident);

  json out = d;
  if (!input->incident.classification)
    out["classifier"] = classifier_evidence(*input, engine::ClassifierModel::builtin());
  out["dry_run"] = true;
  out["time"] = engine::format_time(now);
  out["target"] = input->incident.target;
  auto escalations = json::array();
  for (const auto& e : notifier.escalations()) {
    json x{{"channel", e.channel}, {"severity", e.severity}, {"summary", e.summary}};
    if (e.approval_id != 0) x["approval_id"] = e.approval_id;
    if (e.upstream) x["upstream"] = *e.upstream;
    escalations.push_back(std::move(x));
  }
  out["escalations"] = std::move(escalations);
  for (const auto& n : load.notes)
    notes.push_back(n);
  out["notes"] = notes;

  if (!state_file.empty()) {
    std::string error;
    if (!write_atomically(state_file, persistent_state(state).dump(2) + "\n", error)) {
      io.err << "error: --state: " << error << "\n";
      return kExitBadInput;
    }
  }
  io.out << out.dump(2) << "\n";
  return kExitOk;
}

}  // namespace selfheal::cli
