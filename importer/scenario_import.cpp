// The incident-to-scenario importer. Everything it infers is a guess about a cause from a
// symptom, so every fault says in a comment which alert and which rule it came from, and
// every firing it does not replay says why: the user must be able to correct it.
#include "importer/scenario_import.hpp"

#include <algorithm>
#include <cctype>
#include <set>
#include <sstream>

#include "config/messages.hpp"
#include "config/names.hpp"
#include "config/yaml_reader.hpp"
#include "core/duration.hpp"
#include "engine/time_text.hpp"

namespace selfheal::importer {
namespace {

using std::chrono::minutes;

struct Member {
  const history::Alert* alert;
  const history::Firing* firing;
  core::TimePoint end;  ///< the firing's end, or the history's `until`
};

// The fault kind an external classification's incident type stands for (docs/import.md).
struct TypeKind {
  const char* incident_type;
  const char* kind;
};
constexpr TypeKind kTypeKinds[] = {
    {"memory-leak", "memory-leak"},
    {"cpu-spike", "cpu-hog"},
    {"bad-deployment", "bad-deploy"},
    {"dependency-failure", "dependency-outage"},
    {"pod-loss", "pod-loss"},
    {"traffic-spike", "traffic-spike"},
    {"consumer-stall", "consumer-stall"},
    {"bad-feature-flag", "bad-feature-flag"},
    {"poisoned-cache", "poisoned-cache"},
};

// Words in an alert's name, lowercase, and what they suggest, checked in this order.
// "errors", "latency" and "down" are symptoms that may come from an upstream.
struct NameHint {
  const char* word;
  const char* signal;
};
constexpr NameHint kNameHints[] = {
    {"oom", "memory-leak"},
    {"memory", "memory-leak"},
    {"crashloop", "crash-loop"},
    {"backoff", "crash-loop"},
    {"cpu", "cpu-hog"},
    {"throttl", "cpu-hog"},
    {"lag", "consumer-stall"},
    {"backlog", "consumer-stall"},
    {"consumer", "consumer-stall"},
    {"queue", "consumer-stall"},
    {"notready", "pod-loss"},
    {"replicasmismatch", "pod-loss"},
    {"podlost", "pod-loss"},
    {"evict", "pod-loss"},
    {"traffic", "traffic-spike"},
    {"requestrate", "traffic-spike"},
    {"error", "errors"},
    {"5xx", "errors"},
    {"fail", "errors"},
    {"burn", "errors"},
    {"latency", "latency"},
    {"slow", "latency"},
    {"p99", "latency"},
    {"down", "down"},
    {"unavailable", "down"},
    {"unreachable", "down"},
    {"absent", "down"},
};

std::string lower_alertname(std::string s) {
  std::transform(s.begin(), s.end(), s.begin(),
                 [](unsigned char ch) { return static_cast<char>(std::tolower(ch)); });
  return s;
}

std::string offset_text(core::TimePoint t, core::TimePoint start) {
  return core::format_duration(t - start);
}

// A classification's confidence: a number in [0, 1], written plainly.
std::optional<double> confidence(const std::string& text) {
  try {
    std::size_t used = 0;
    const double v = std::stod(text, &used);
    if (used == text.size() && v >= 0 && v <= 1) return v;
  } catch (const std::exception&) {
  }
  return std::nullopt;
}

// "2026-11-27T18:00:00Z": the scenario's `start` takes whole seconds.
std::string start_text(core::TimePoint t) {
  std::string s = engine::format_time(t);  // ...T18:00:00.000Z
  return s.substr(0, s.size() - 5) + "Z";
}

// An upstream of `service` (transitively, along depends_on) among the members whose firing
// started no later than `start`: the alert is then read as its symptom.
const Member* alerting_upstream(const ClusterView& c, const std::string& service,
                                core::TimePoint start, const std::vector<Member>& members) {
  std::set<std::string> seen;
  std::vector<std::string> stack;
  if (auto it = c.services.find(service); it != c.services.end()) stack = it->second.depends_on;
  while (!stack.empty()) {
    const std::string cur = stack.back();
    stack.pop_back();
    if (!seen.insert(cur).second) continue;
    for (const auto& m : members)
      if (m.alert->service == cur && m.firing->start <= start) return &m;
    if (auto it = c.services.find(cur); it != c.services.end())
      stack.insert(stack.end(), it->second.depends_on.begin(), it->second.depends_on.end());
  }
  return nullptr;
}

// The signal an alert carries: its incident_type annotation first (what `serve` saw), then
// words of its name. `why` is set to the reason.
std::string signal_of(const history::Alert& a, std::string& why) {
  if (auto it = a.annotations.find("incident_type"); it != a.annotations.end()) {
    for (const auto& tk : kTypeKinds)
      if (it->second == tk.incident_type) {
        why = "annotation incident_type=" + it->second;
        return std::string("type:") + tk.kind;
      }
  }
  const std::string name = lower_alertname(a.alertname);
  for (const auto& h : kNameHints)
    if (name.find(h.word) != std::string::npos) {
      why = "alert name " + a.alertname + " (\"" + h.word + "\")";
      return h.signal;
    }
  why = a.alertname.empty() ? "the alert has no name and no incident_type annotation"
                            : "nothing in the name " + a.alertname + " suggests a cause";
  return {};
}

FaultGuess infer(const Member& m, const ClusterView& c, const std::vector<Member>& members,
                 core::TimePoint start) {
  const history::Alert& a = *m.alert;
  FaultGuess g;
  g.target = a.service;
  std::string why;
  const std::string signal = signal_of(a, why);
  if (signal.empty()) {
    g.reason = why;
    return g;
  }
  const auto& self = c.services.at(a.service);
  if (signal == "type:dependency-outage") {
    const Member* up = alerting_upstream(c, a.service, m.end, members);
    g.kind = "dependency-outage";
    if (up != nullptr) {
      g.target = up->alert->service;
      g.reason = why + ", and upstream " + g.target + " alerted";
    } else if (!self.depends_on.empty()) {
      g.target = self.depends_on.front();
      g.reason = why + "; no upstream alerted: its first upstream " + g.target;
    } else {
      g.reason = why + "; it has no upstream: the outage is its own";
    }
    return g;
  }
  if (signal.rfind("type:", 0) == 0) {
    g.kind = signal.substr(5);
    g.reason = why;
    return g;
  }
  const bool symptom = signal == "errors" || signal == "latency" || signal == "down";
  if (symptom) {
    if (const Member* up = alerting_upstream(c, a.service, m.firing->start, members)) {
      g.reason = "a symptom: " + why + ", after upstream " + up->alert->service + "'s " +
                 (up->alert->alertname.empty() ? "alert" : up->alert->alertname) + " at +" +
                 offset_text(up->firing->start, start) + " (that alert's fault covers it)";
      return g;
    }
  }
  g.reason = why;
  const bool datastore = self.kind == "database" || self.kind == "cache";
  if (signal == "crash-loop") {
    g.kind = "bad-deploy";
    g.params.push_back("crash_loop: true");
  } else if (signal == "errors") {
    g.kind = datastore ? "dependency-outage" : "bad-deploy";
    g.reason += datastore ? ", on a " + self.kind + " with no upstream alerting"
                          : ", with no upstream alerting: a bad rollout is the usual cause "
                            "(if there was none just before, change the kind)";
  } else if (signal == "latency") {
    g.kind = "dependency-degradation";
    g.reason += ", with no upstream alerting: the service itself is slow";
  } else if (signal == "down") {
    g.kind = "dependency-outage";
    g.reason += ", with no upstream alerting";
  } else {
    g.kind = signal;
  }
  return g;
}

// The chosen firings, or nullopt with an error.
std::optional<std::vector<Member>> chosen(const history::History& h, const ScenarioImportOptions& o,
                                          core::Diagnostics& diags) {
  auto member = [&h](const history::Alert& a, const history::Firing& f) {
    return Member{&a, &f, f.end.value_or(h.until)};
  };
  std::vector<Member> out;
  if (!o.fingerprint.empty()) {
    auto it = std::find_if(h.alerts.begin(), h.alerts.end(),
                           [&](const auto& a) { return a.fingerprint == o.fingerprint; });
    if (it == h.alerts.end() || it->firings.empty()) {
      std::vector<std::string_view> all;
      for (const auto& a : h.alerts)
        all.push_back(a.fingerprint);
      diags.add(core::Error(config::unknown_name("alert fingerprint", o.fingerprint, all)));
      return std::nullopt;
    }
    for (const auto& f : it->firings)
      if (!o.at || (f.start <= *o.at && *o.at <= f.end.value_or(h.until)))
        out.push_back(member(*it, f));
    if (!o.at && out.size() > 1) out.resize(1);  // its first firing
  } else if (o.at) {
    for (const auto& a : h.alerts)
      for (const auto& f : a.firings)
        if (f.start <= *o.at && *o.at <= f.end.value_or(h.until)) out.push_back(member(a, f));
  } else {
    diags.add(core::Error("choose the incident: --incident FINGERPRINT and/or --at TIME"));
    return std::nullopt;
  }
  if (out.empty()) {
    diags.add(core::Error(
        "no firing " + (o.fingerprint.empty() ? std::string() : "of " + o.fingerprint + " ") +
        (o.at ? "active at " + engine::format_time(*o.at) : std::string()) + " in the history"));
    return std::nullopt;
  }
  return out;
}

// The faults: section, built one firing at a time.
struct FaultsText {
  std::ostringstream text;
  std::string first_target;  ///< the first fault's target (the scenario's default name)
  std::string skipped;       ///< every firing not replayed, for the error when none is
  int replayed = 0;
};

// One firing of the incident: a fault with its comments, or a `# not replayed:` line.
void write_member(const Member& m, const ClusterView& c, const std::vector<Member>& members,
                  core::TimePoint begin, FaultsText& out) {
  const history::Alert& a = *m.alert;
  const std::string what = (a.alertname.empty() ? std::string("alert") : a.alertname) + " on " +
                           (a.service.empty() ? std::string("(no service)") : a.service) +
                           " fired at +" + offset_text(m.firing->start, begin) + " (" +
                           engine::format_time(m.firing->start) + ", fingerprint " + a.fingerprint +
                           ")";
  if (a.service.empty() || c.services.count(a.service) == 0U || (!a.ns.empty() && a.ns != c.ns)) {
    const std::string why = a.service.empty()
                                ? std::string("it names no service")
                                : "not a service of the cluster (namespace " + c.ns + ")";
    out.text << "  # not replayed: " << what << ": " << why << "\n";
    out.skipped += "\n  " + what + ": " + why;
    return;
  }
  const FaultGuess g = infer(m, c, members, begin);
  if (g.kind.empty()) {
    out.text << "  # not replayed: " << what << ": " << g.reason << "\n";
    out.skipped += "\n  " + what + ": " + g.reason;
    return;
  }
  ++out.replayed;
  if (out.first_target.empty()) out.first_target = g.target;
  out.text << "  # " << what << "; "
           << (m.firing->end
                   ? "resolved after " + core::format_duration(*m.firing->end - m.firing->start) +
                         " (if it ended by itself rather than by a fix, add that "
                         "`duration:`)"
                   : std::string("still firing at the history's end"))
           << "\n  - at: " << offset_text(m.firing->start, begin)
           << "  # when it fired\n    kind: " << g.kind << "  # guess: " << g.reason
           << "\n    target: " << g.target << "\n";
  for (const auto& p : g.params)
    out.text << "    " << p << "  # guess: " << g.reason << "\n";
  const auto type = a.annotations.find("incident_type");
  const auto conf = a.annotations.find("confidence");
  if (type != a.annotations.end() && conf != a.annotations.end()) {
    const std::optional<double> p = confidence(conf->second);
    if (p && config::dns1123_problem(type->second).empty())
      out.text << "    classification: {incident_type: " << type->second
               << ", confidence: " << conf->second << ", service: " << a.service
               << "}  # the alert's annotations: what serve was told\n";
    else
      out.text << "    # classification not copied: annotations incident_type=\"" << type->second
               << "\", confidence=\"" << conf->second << "\" are not a type and a probability\n";
  }
}

}  // namespace

std::optional<ClusterView> read_cluster_yaml(const std::string& text, const std::string& file,
                                             core::Diagnostics& diags) {
  config::YamlReader r(file, diags);
  const std::size_t before = diags.size();
  YAML::Node root;
  try {
    root = config::load_yaml(text);
  } catch (const YAML::Exception& e) {
    r.error_at(e.mark.line + 1, "", "not valid YAML: " + e.msg);
    return std::nullopt;
  }
  if (!root.IsMap() || !root["cluster"].IsMap()) {
    r.error_at(1, "cluster",
               "expected a file holding `cluster:` (what `selfheal import cluster` writes)");
    return std::nullopt;
  }
  r.check_keys(root, "", {"cluster"});
  ClusterView c;
  c.file = file;
  c.text = text;
  const YAML::Node cl = root["cluster"];
  if (auto ns = r.str(cl["namespace"], "cluster.namespace")) c.ns = *ns;
  if (!r.expect_map(cl["services"], "cluster.services")) return std::nullopt;
  for (const auto& kv : cl["services"]) {
    const std::string name = kv.first.as<std::string>();
    const std::string f = "cluster.services." + name;
    ClusterView::Service s;
    if (kv.second.IsMap()) {
      if (auto k = r.str(kv.second["kind"], f + ".kind")) s.kind = *k;
      if (auto d = r.str_list(kv.second["depends_on"], f + ".depends_on")) s.depends_on = *d;
    }
    c.services[name] = std::move(s);
  }
  if (diags.size() != before) return std::nullopt;
  return c;
}

std::optional<std::string> import_scenario(const history::History& h, const ClusterView& c,
                                           const ScenarioImportOptions& o,
                                           core::Diagnostics& diags) {
  auto picked = chosen(h, o, diags);
  if (!picked) return std::nullopt;
  core::TimePoint first = picked->front().firing->start;
  core::TimePoint last = picked->front().end;
  for (const auto& m : *picked) {
    first = std::min(first, m.firing->start);
    last = std::max(last, m.end);
  }
  // The incident: every firing that starts from `related` before the chosen ones until
  // they end, in time order.
  std::vector<Member> members;
  for (const auto& a : h.alerts)
    for (const auto& f : a.firings)
      if (f.start >= first - o.related && f.start <= last)
        members.push_back({&a, &f, f.end.value_or(h.until)});
  std::stable_sort(members.begin(), members.end(), [](const Member& x, const Member& y) {
    return x.firing->start < y.firing->start;
  });
  core::TimePoint begin = members.front().firing->start;
  core::TimePoint end = members.front().end;
  for (const auto& m : members)
    end = std::max(end, m.end);
  begin = std::chrono::floor<minutes>(begin - o.lead);
  const core::Duration duration = std::chrono::ceil<minutes>(end + o.tail - begin);

  FaultsText faults;
  for (const auto& m : members)
    write_member(m, c, members, begin, faults);
  if (faults.replayed == 0) {
    diags.add(core::Error("no firing of the incident suggests a fault, nothing to replay:" +
                          faults.skipped));
    return std::nullopt;
  }
  std::string stamp = start_text(picked->front().firing->start);  // 2026-11-27T18:00:00Z
  stamp = stamp.substr(0, 4) + stamp.substr(5, 2) + stamp.substr(8, 2) + "-" + stamp.substr(11, 2) +
          stamp.substr(14, 2);
  const std::string name =
      o.name.empty() ? "incident-" + faults.first_target + "-" + stamp : o.name;
  std::ostringstream out;
  out << "# Imported by `selfheal import scenario` from " << o.history_source << " and " << c.file
      << ".\n"
      << "# Each fault was inferred from an alert (`guess:` says from what): correct them,\n"
      << "# then replay the incident closed loop with `selfheal run`.\n"
      << "scenario: " << name << "\n"
      << "description: \"The incident of " << engine::format_time(first)
      << " from the alert history, replayed against the policy (faults inferred: "
      << faults.replayed << ", from firings: " << members.size() << ").\"\n"
      << "start: " << start_text(begin) << "  # " << core::format_duration(o.lead)
      << " before the first firing\n"
      << "duration: " << core::format_duration(duration) << "  # until "
      << core::format_duration(o.tail) << " after the last firing ended\n"
      << "policies: " << o.policies << "\n"
      << "faults:\n"
      << faults.text.str() << c.text;
  if (!c.text.empty() && c.text.back() != '\n') out << "\n";
  return out.str();
}

}  // namespace selfheal::importer
