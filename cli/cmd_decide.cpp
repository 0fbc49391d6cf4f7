// selfheal decide — the seed's remediate() as a command: one incident through the real
// engine pipeline with in-memory ports, the decision printed as JSON. Nothing is executed:
// the actuator only records (docs/pipeline.md#selfheal-decide).
#include <algorithm>
#include <chrono>

#include <boost/program_options.hpp>
#include <nlohmann/json.hpp>

#include "cli/command.hpp"
#include "config/json_reader.hpp"
#include "engine/audit_json.hpp"
#include "engine/classifier.hpp"
#include "engine/engine.hpp"
#include "engine/fixed_ports.hpp"
#include "engine/incident_input.hpp"
#include "engine/memory_state_store.hpp"
#include "engine/policy_loader.hpp"
#include "engine/state_file.hpp"

namespace po = boost::program_options;
using nlohmann::json;

namespace selfheal::cli {
namespace {

// The built-in classifier's reasoning for an incident without a type, for the person who
// reads the decision: the posterior over every type (most likely first) and every known
// feature with its bucket and contribution (ln P(bucket | chosen) - ln P(bucket | runner-up),
// largest first). Computed from the same evidence the engine's pipeline reads; the
// decision's own confidence can be lower (an active planned event's penalty).
json classifier_evidence(const engine::IncidentInput& in, const engine::ClassifierModel& model) {
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
  po::variables_map vm;
  if (int rc = parse_options(args, opts, "args", vm, io); rc >= 0) return rc;
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
  auto input = engine::read_incident_file(incident_file, diags);
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
    auto loaded = engine::read_state_file(state_file, diags);
    if (!loaded) {
      print_diagnostics(diags, io);
      return kExitBadInput;
    }
    state = std::move(*loaded);
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
  // The freeze reads each watched service's health; `decide` knows only the incident's
  // upstreams, so a watched service not among them counts as healthy: say so.
  if (const auto& f = load.policies->settings.freeze;
      f.enabled() && f.covers(input->incident.target)) {
    for (const auto& entry : f.unhealthy) {
      const auto s = engine::Freeze::resolve(entry, input->incident.target.ns);
      const bool given =
          std::any_of(input->upstreams.begin(), input->upstreams.end(),
                      [&](const engine::DependencyHealth& u) { return u.service == s; });
      if (!given)
        notes.push_back("freeze_when: " + s.key() +
                        " is not among the incident's upstreams: its health is unknown, "
                        "treated as healthy");
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
    if (auto saved = engine::write_state_file(state_file, state); !saved) {
      io.err << "error: --state: " << saved.error().describe() << "\n";
      return kExitBadInput;
    }
  }
  io.out << config::json_text(out) << "\n";
  return kExitOk;
}

}  // namespace selfheal::cli
