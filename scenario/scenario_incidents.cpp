#include "scenario/scenario_loader.hpp"

#include <algorithm>
#include <cctype>
#include <map>
#include <string>
#include <string_view>

#include "core/duration.hpp"
#include "scenario/ics_calendar.hpp"

namespace selfheal::scenario::detail {

void Loader::faults(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return;
  if (!r_.expect_seq(n, "faults")) return;
  std::map<std::string, int> used;  // incident id base -> how many faults use it so far
  for (std::size_t i = 0; i < n.size(); ++i)
    fault(n[i], YamlReader::index("faults", i), used);
}

void Loader::fault(const YAML::Node& x, const std::string& f, std::map<std::string, int>& used) {
  const std::string& sp = f;  // the model's validation names faults[i] as we do
  note(sp, x, f);
  if (!r_.expect_map(x, f)) return;
  r_.check_keys(x, f,
                {"name", "at", "kind", "target", "duration", "classification", "rate", "severity",
                 "multiplier", "pods", "capacity_loss", "replace_after", "flag", "latency_ms",
                 "crash_loop", "version", "intermittent"});
  sim::FaultSpec fs;
  const std::size_t before = r_.diagnostics().size();
  fault_kind(x, f, fs);
  auto target = r_.str(x["target"], f + ".target");
  note(sp + ".target", x["target"], f + ".target");
  if (!target) {
    r_.error(x, f + ".target", "missing: the service where the fault lives");
  } else {
    fs.target = *target;
    check_service(x["target"], f + ".target", *target);
  }
  if (!x["at"].IsDefined()) {
    r_.error(x, f + ".at", "missing: when the fault starts, e.g. at: 10m");
  } else if (auto at = r_.duration(x["at"], f + ".at")) {
    fs.at = *at;
    note(sp + ".at", x["at"], f + ".at");
    if (s_.duration.count() > 0 && *at >= s_.duration)
      r_.error(x["at"], f + ".at",
               "the fault starts at " + core::format_duration(*at) +
                   ", at or after the end of the run (duration " +
                   core::format_duration(s_.duration) + ")");
  }
  if (auto d = r_.duration(x["duration"], f + ".duration")) {
    if (d->count() <= 0) r_.error(x["duration"], f + ".duration", "must be longer than 0s");
    fs.duration = *d;
  }
  note(sp + ".params", x, f);
  fault_params(x, f, fs);
  // The incident id: the given name, else "<kind>-<target>" (+ "-2", "-3" for repeats),
  // fixed here so expectations can name it.
  std::string base;
  if (auto nm = r_.str(x["name"], f + ".name"))
    base = *nm;
  else
    base = std::string(sim::to_string(fs.kind)) + "-" + fs.target;
  int& c = used[base];
  ++c;
  fs.name = c == 1 ? base : base + "-" + std::to_string(c);
  classification(x["classification"], f + ".classification", fs.name, fs.target);
  intermittent(x["intermittent"], f + ".intermittent", fs);
  if (r_.diagnostics().size() == before) {
    s_.cluster.faults.push_back(std::move(fs));
    fault_lines_.push_back(line_of(x));
  }
}

void Loader::fault_kind(const YAML::Node& x, const std::string& f, sim::FaultSpec& fs) {
  auto kind = r_.str(x["kind"], f + ".kind");
  if (!kind) {
    r_.error(x, f + ".kind", "missing: e.g. kind: dependency-outage");
  } else if (auto k = sim::parse_fault_kind(*kind)) {
    fs.kind = *k;
  } else {
    static const std::vector<std::string> kKinds{"memory-leak",
                                                 "cpu-hog",
                                                 "bad-deploy",
                                                 "dependency-outage",
                                                 "dependency-degradation",
                                                 "traffic-spike",
                                                 "pod-loss",
                                                 "consumer-stall",
                                                 "bad-feature-flag",
                                                 "poisoned-cache"};
    const std::string hint = did_you_mean(*kind, kKinds);
    r_.error(x["kind"], f + ".kind",
             "unknown fault kind \"" + *kind + "\"" +
                 (hint.empty() ? "; one of memory-leak, cpu-hog, bad-deploy, "
                                 "dependency-outage, dependency-degradation, traffic-spike, "
                                 "pod-loss, consumer-stall, bad-feature-flag, poisoned-cache"
                               : "; did you mean \"" + hint + "\"?"));
  }
}

void Loader::fault_params(const YAML::Node& x, const std::string& f, sim::FaultSpec& fs) {
  auto& p = fs.params;
  num(x["rate"], f + ".rate", p.rate, 0.0, 1e6);
  num(x["severity"], f + ".severity", p.severity, 0.0, 1.0);
  num(x["multiplier"], f + ".multiplier", p.multiplier, 0.001, 1e4);
  count(x["pods"], f + ".pods", p.pods, 1);
  count(x["capacity_loss"], f + ".capacity_loss", p.capacity_loss, 0);
  dur(x["replace_after"], f + ".replace_after", p.replace_after);
  set(x["flag"], f + ".flag", p.flag,
      [&](const YAML::Node& a, const std::string& b) { return r_.str(a, b); });
  num(x["latency_ms"], f + ".latency_ms", p.latency_ms, 0.0, 1e7);
  set(x["crash_loop"], f + ".crash_loop", p.crash_loop,
      [&](const YAML::Node& a, const std::string& b) { return r_.boolean(a, b); });
  set(x["version"], f + ".version", p.version,
      [&](const YAML::Node& a, const std::string& b) { return r_.str(a, b); });
}

// `intermittent: {on: 5m, off: 10m, jitter: 0.2}`: jitter is a share of each phase (a
// number) or a duration (with a unit).
void Loader::intermittent(const YAML::Node& n, const std::string& f, sim::FaultSpec& fs) {
  if (!n.IsDefined() || n.IsNull() || !r_.expect_map(n, f)) return;
  r_.check_keys(n, f, {"on", "off", "jitter"});
  sim::IntermittentSpec in;
  for (const char* key : {"on", "off"}) {
    const std::string field = f + "." + key;
    if (!n[key].IsDefined()) {
      r_.error(n, field,
               std::string("missing: how long the fault's effect stays ") + key + ", e.g. " + key +
                   ": 5m");
    } else if (auto d = r_.duration(n[key], field)) {
      if (d->count() <= 0) r_.error(n[key], field, "must be longer than 0s");
      (std::string_view(key) == "on" ? in.on : in.off) = *d;
    }
  }
  if (const YAML::Node j = n["jitter"]; j.IsDefined() && !j.IsNull()) {
    const std::string t = j.IsScalar() ? j.Scalar() : "";
    const bool share = !t.empty() && (std::isdigit(static_cast<unsigned char>(t.back())) != 0);
    if (share) {
      num(j, f + ".jitter", in.jitter_fraction, 0.0, kMaxJitterShare);
    } else if (auto d = r_.duration(j, f + ".jitter")) {
      if (*d >= std::min(in.on, in.off))
        r_.error(j, f + ".jitter",
                 "must be shorter than both phases (a share of each phase: jitter: 0.2)");
      in.jitter = *d;
    }
  }
  if (fs.kind != sim::FaultKind::kDependencyOutage &&
      fs.kind != sim::FaultKind::kDependencyDegradation)
    r_.error(n, f,
             "supported for dependency-outage and dependency-degradation only (a " +
                 std::string(sim::to_string(fs.kind)) + " does not switch off cleanly)");
  fs.intermittent = in;
}

void Loader::classification(const YAML::Node& cl, const std::string& f, const std::string& id,
                            const std::string& target) {
  if (!cl.IsDefined() || cl.IsNull() || !r_.expect_map(cl, f)) return;
  r_.check_keys(cl, f, {"incident_type", "confidence", "service"});
  InjectedClassification ic;
  ic.fault = id;
  ic.service = target;
  if (auto t = r_.str(cl["incident_type"], f + ".incident_type"))
    ic.classification.incident_type = *t;
  else
    r_.error(cl, f + ".incident_type", "missing: e.g. memory-leak");
  if (!cl["confidence"].IsDefined()) r_.error(cl, f + ".confidence", "missing: a number in [0, 1]");
  num(cl["confidence"], f + ".confidence", ic.classification.confidence, 0.0, 1.0);
  if (auto sv = r_.str(cl["service"], f + ".service")) {
    ic.service = *sv;
    check_service(cl["service"], f + ".service", *sv);
  }
  if (ic.service.empty())
    r_.error(cl, f + ".service", "name the service whose notifications carry it");
  s_.classifications.push_back(std::move(ic));
}

void Loader::calendar(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return;
  if (n.IsMap()) {  // calendar: {ics: FILE} (scenario/ics_calendar.hpp)
    for (auto& p : planned_from_ics(n, r_, base_dir_, s_.cluster.start, s_.duration, s_.cluster.ns,
                                    service_names_)) {
      s_.cluster.planned.push_back(std::move(p));
      planned_lines_.push_back(line_of(n));
    }
    return;
  }
  if (!r_.expect_seq(n, "calendar")) return;
  for (std::size_t i = 0; i < n.size(); ++i)
    planned_event(n[i], YamlReader::index("calendar", i));
}

void Loader::planned_event(const YAML::Node& x, const std::string& f) {
  // The model's validation speaks of calendar[i] (sim::validate), so note that path.
  note(f, x, f);
  if (!r_.expect_map(x, f)) return;
  r_.check_keys(x, f,
                {"name", "kind", "start", "end", "duration", "service", "traffic_multiplier",
                 "release", "severity", "classification"});
  const std::size_t before = r_.diagnostics().size();
  sim::PlannedEventSpec p;
  if (auto nm = r_.str(x["name"], f + ".name"))
    p.name = *nm;
  else
    r_.error(x, f + ".name", "missing: name the event, e.g. spring-campaign");
  bool kind_known = false;
  if (auto k = r_.str(x["kind"], f + ".kind")) {
    if (auto pk = sim::parse_planned_kind(*k)) {
      p.kind = *pk;
      kind_known = true;
    } else
      r_.error(x["kind"], f + ".kind",
               "unknown kind \"" + *k +
                   "\"; one of marketing-campaign, deploy-window, "
                   "maintenance");
  } else {
    r_.error(x, f + ".kind", "missing: e.g. kind: marketing-campaign");
  }
  if (!x["start"].IsDefined()) r_.error(x, f + ".start", "missing: e.g. start: 1h");
  dur(x["start"], f + ".start", p.start);
  if (x["end"].IsDefined() && x["duration"].IsDefined())
    r_.error(x["duration"], f + ".duration", "give end or duration, not both");
  if (x["end"].IsDefined()) {
    dur(x["end"], f + ".end", p.end);
  } else if (auto d = r_.duration(x["duration"], f + ".duration")) {
    p.end = p.start + *d;
  } else if (!x["duration"].IsDefined()) {
    r_.error(x, f + ".end", "missing: when the event ends, e.g. end: 3h");
  }
  if (p.end <= p.start && x["start"].IsDefined() && (x["end"].IsDefined()))
    r_.error(x["end"], f + ".end", "must be after start");
  if (s_.duration.count() > 0 && p.start >= s_.duration)
    r_.error(x["start"], f + ".start",
             "the event starts at " + core::format_duration(p.start) +
                 ", at or after the end of the run (duration " +
                 core::format_duration(s_.duration) + ")");
  if (x["service"].IsDefined()) note(f + ".service", x["service"], f + ".service");
  if (auto sv = r_.str(x["service"], f + ".service")) {
    p.service = *sv;
    check_service(x["service"], f + ".service", *sv);
  } else if (kind_known && !x["service"].IsDefined() && p.kind != sim::PlannedKind::kMaintenance) {
    // Only maintenance may omit the service (it then applies to every service).
    r_.error(x, f + ".service",
             p.kind == sim::PlannedKind::kMarketingCampaign
                 ? "missing: a marketing campaign needs the service whose traffic it raises"
                 : "missing: a deploy window needs the service it rolls out to");
  }
  num(x["traffic_multiplier"], f + ".traffic_multiplier", p.traffic_multiplier, 0.0, 1e4);
  if (x["release"].IsDefined()) p.release = release(x["release"], f + ".release");
  num(x["severity"], f + ".severity", p.severity, 0.0, 1.0);
  classification(x["classification"], f + ".classification", p.name, p.service);
  if (r_.diagnostics().size() == before) {
    s_.cluster.planned.push_back(std::move(p));
    planned_lines_.push_back(line_of(x));
  }
}

}  // namespace selfheal::scenario::detail
