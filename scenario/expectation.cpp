#include "scenario/expectation.hpp"

#include <algorithm>
#include <cmath>

#include "core/duration.hpp"
#include "core/number_format.hpp"

namespace selfheal::scenario {
namespace {

const std::vector<std::string> kNone{};
const std::vector<std::string> kInc{"incident", "service"};
const std::vector<std::string> kSvcInc{"service", "incident"};
const std::vector<std::string> kSvcActInc{"service", "action", "incident"};
const std::vector<std::string> kDecision{"service", "action", "incident", "outcome"};

std::string display_number(MetricKind k, double v) {
  switch (k) {
    case MetricKind::kCount:
      return std::to_string(static_cast<long long>(std::llround(v)));
    case MetricKind::kDuration:
      return core::format_duration(Duration{static_cast<long long>(std::llround(v))});
    case MetricKind::kRatio:
      return core::format_decimals(v, 3);
    default:
      return core::format_decimals(v, 3);
  }
}

MetricValue none() {
  MetricValue v;
  v.display = "none (never happened)";
  return v;
}
MetricValue num(MetricKind k, double x) {
  MetricValue v;
  v.number = x;
  v.display = display_number(k, x);
  return v;
}
MetricValue dur(std::optional<Duration> d) {
  if (!d) return none();
  return num(MetricKind::kDuration, static_cast<double>(d->count()));
}
MetricValue flag(bool b) {
  MetricValue v;
  v.flag = b;
  v.display = b ? "true" : "false";
  return v;
}
MetricValue text(const std::string& s) {
  MetricValue v;
  v.text = s;
  v.display = s.empty() ? "\"\"" : s;
  return v;
}

bool match(const std::string& want, const std::string& have) {
  return want.empty() || want == have;
}

bool incident_matches(const IncidentMetrics& i, const Where& w) {
  if (!w.incident.empty() && w.incident != i.id) return false;
  if (!w.service.empty() && i.root_service != w.service &&
      std::find(i.affected.begin(), i.affected.end(), w.service) == i.affected.end())
    return false;
  return true;
}

std::vector<const IncidentMetrics*> incidents_for(const RunMetrics& m, const Where& w) {
  std::vector<const IncidentMetrics*> out;
  for (const auto& i : m.incidents)
    if (incident_matches(i, w)) out.push_back(&i);
  return out;
}

std::optional<Duration> incident_start(const RunMetrics& m, const std::string& id,
                                       const std::string& service) {
  for (const auto& i : m.incidents)
    if (i.id == id) return i.start;
  // Not attributed: the earliest incident that touched the service.
  for (const auto& i : m.incidents)
    if (incident_matches(i, Where{service, "", "", ""})) return i.start;
  return std::nullopt;
}

// Per-incident values without a filter aggregate to the worst case over the incidents
// selected: durations the longest (none if any is missing), booleans all-true, confidence
// the lowest, text the first.
MetricValue per_incident(const RunMetrics& m, const Where& w, const std::string& metric) {
  const auto sel = incidents_for(m, w);
  if (sel.empty()) return none();
  if (metric == "ttr" || metric == "detection_time") {
    Duration worst{0};
    for (const auto* i : sel) {
      const auto& d = metric == "ttr" ? i->ttr : i->detection;
      if (!d) return none();
      worst = std::max(worst, *d);
    }
    return dur(worst);
  }
  if (metric == "recovered" || metric == "classification_correct" || metric == "wrongly_acted" ||
      metric == "made_worse" || metric == "missed") {
    bool all = true;
    for (const auto* i : sel) {
      std::optional<bool> b;
      if (metric == "recovered") b = i->recovered;
      if (metric == "classification_correct") b = i->classification_correct;
      if (metric == "wrongly_acted") b = i->wrongly_acted;
      if (metric == "made_worse") b = i->made_worse;
      if (metric == "missed") b = i->missed;
      if (!b) return none();
      all = all && *b;
    }
    return flag(all);
  }
  if (metric == "classification_confidence") {
    std::optional<double> lo;
    for (const auto* i : sel) {
      if (!i->confidence) continue;
      lo = lo ? std::min(*lo, *i->confidence) : *i->confidence;
    }
    return lo ? num(MetricKind::kRatio, *lo) : none();
  }
  if (metric == "classified_as") {
    for (const auto* i : sel)
      if (!i->classified_as.empty()) return text(i->classified_as);
    return none();
  }
  if (metric == "error_budget_minutes" || metric == "error_budget_minutes_without_automation") {
    double sum = 0.0;
    for (const auto* i : sel) {
      if (metric == "error_budget_minutes") {
        sum += i->error_budget_minutes;
      } else {
        if (!i->twin_error_budget_minutes) return none();
        sum += *i->twin_error_budget_minutes;
      }
    }
    return num(MetricKind::kNumber, sum);
  }
  return none();
}

}  // namespace

const std::vector<MetricInfo>& metric_catalog() {
  using K = MetricKind;
  static const std::vector<MetricInfo> kCatalog{
      {"incidents", K::kCount, kNone, "incidents (faults or planned events that fired an alert)"},
      {"recovered_incidents", K::kCount, kNone, "incidents that recovered before the end"},
      {"unrecovered_incidents", K::kCount, kNone, "incidents still not recovered at the end"},
      {"mttr", K::kDuration, kNone, "mean time to recover over recovered incidents"},
      {"mttr_p50", K::kDuration, kNone, "median time to recover"},
      {"mttr_p90", K::kDuration, kNone, "90th percentile time to recover"},
      {"remediation_loops", K::kCount, kNone,
       ">=3 automated actions on one target within an hour, no verified recovery between"},
      {"max_actions_per_target_hour", K::kCount, kNone,
       "most automated actions on one target within any hour"},
      {"wrongly_acted_incidents", K::kCount, kNone,
       "incidents where an executed action does not help (measured when branches ran)"},
      {"made_worse_incidents", K::kCount, kNone,
       "incidents that burned more error budget than in the shadow-mode twin"},
      {"automated_recovery_rate", K::kRatio, kNone,
       "share of incidents recovered by a verified automated action without a page"},
      {"verification_pass_rate", K::kRatio, kNone, "share of verifications that passed"},
      {"pages_per_incident", K::kNumber, kNone, "pages (not approval requests) per incident"},
      {"error_budget_saved_minutes", K::kNumber, kNone,
       "error-budget minutes without automation (twin) minus with automation"},
      {"missed_incidents", K::kCount, kNone,
       "incidents where a held-back decision missed an action that would have helped "
       "(counterfactual branches)"},
      {"regret_minutes", K::kNumber, kNone,
       "error-budget minutes lost against the best branch, summed over incidents "
       "(counterfactual branches)"},
      {"harmful_decisions", K::kCount, kNone,
       "executed decisions measured worse than not acting (counterfactual branches)"},
      {"verification_false_failures", K::kCount, kNone,
       "verifications that failed although the action measurably helped"},
      {"verification_false_passes", K::kCount, kNone,
       "verifications that passed although the action measurably did not help"},
      {"actions", K::kCount, kSvcActInc, "automated actions executed"},
      {"helpful_actions", K::kCount, kSvcActInc,
       "executed actions that help (measured by branches when they ran, else declared)"},
      {"wrong_actions", K::kCount, kSvcActInc, "executed actions that do not help"},
      {"decisions", K::kCount, kDecision, "engine decisions (filter by outcome)"},
      {"pages", K::kCount, kSvcInc, "pages to a person"},
      {"approval_requests", K::kCount, kSvcInc, "approval requests to a person"},
      {"escalations", K::kCount, kSvcInc, "pages plus approval requests"},
      {"verifications", K::kCount, kSvcInc, "verifications after an action"},
      {"verifications_failed", K::kCount, kSvcInc, "verifications that failed"},
      {"time_to_escalate", K::kDuration, kSvcInc,
       "first page or approval request minus the incident's start"},
      {"ttr", K::kDuration, kInc, "time to recover of the incident(s)"},
      {"detection_time", K::kDuration, kInc, "first alert minus the incident's start"},
      {"recovered", K::kBool, kInc, "the incident(s) recovered"},
      {"wrongly_acted", K::kBool, kInc, "the incident was wrongly acted on"},
      {"made_worse", K::kBool, kInc, "automation made the incident worse (needs the twin)"},
      {"missed", K::kBool, kInc,
       "a held-back decision on the incident missed a helpful action (counterfactual branches)"},
      {"classified_as", K::kText, kInc, "incident type of the engine's first classification"},
      {"classification_confidence", K::kRatio, kInc, "confidence of that classification"},
      {"classification_correct", K::kBool, kInc, "classification matches the ground truth"},
      {"error_budget_minutes", K::kNumber, kInc, "error-budget minutes burned with automation"},
      {"error_budget_minutes_without_automation", K::kNumber, kInc,
       "error-budget minutes burned in the shadow-mode twin"},
  };
  return kCatalog;
}

const MetricInfo* find_metric(const std::string& name) {
  for (const auto& m : metric_catalog())
    if (m.name == name) return &m;
  return nullptr;
}

std::vector<Expectation> parse_expectations(const YAML::Node& node, YamlReader& r,
                                            const std::vector<std::string>& known_services,
                                            const std::vector<std::string>& known_incidents) {
  std::vector<Expectation> out;
  if (!node.IsDefined() || node.IsNull()) return out;
  if (!r.expect_seq(node, "expect")) return out;
  std::vector<std::string> names;
  for (const auto& m : metric_catalog())
    names.push_back(m.name);
  for (std::size_t i = 0; i < node.size(); ++i) {
    const YAML::Node e = node[i];
    const std::string f = YamlReader::index("expect", i);
    if (!r.expect_map(e, f)) continue;
    const std::size_t before = r.diagnostics().size();
    r.check_keys(e, f, {"metric", "where", "max", "min", "equals"});
    Expectation x;
    x.line = line_of(e);
    auto metric = r.str(e["metric"], f + ".metric");
    if (!metric) {
      r.error(e, f + ".metric", "missing: name the metric to check, e.g. metric: actions");
      continue;
    }
    const MetricInfo* info = find_metric(*metric);
    if (!info) {
      std::string msg = "unknown metric \"" + *metric + "\"";
      const std::string hint = did_you_mean(*metric, names);
      msg +=
          hint.empty() ? "; see docs/metrics.md for the list" : "; did you mean \"" + hint + "\"?";
      r.error(e["metric"], f + ".metric", msg);
      continue;
    }
    x.metric = *metric;
    const YAML::Node w = e["where"];
    if (w.IsDefined() && !w.IsNull() && r.expect_map(w, f + ".where")) {
      if (info->where.empty()) {
        r.error(w, f + ".where", "metric " + x.metric + " is run-wide and takes no where");
      } else {
        r.check_keys(w, f + ".where", info->where);
      }
      auto get = [&](const char* k) { return r.str(w[k], f + ".where." + k).value_or(""); };
      x.where.service = get("service");
      x.where.action = get("action");
      x.where.incident = get("incident");
      x.where.outcome = get("outcome");
      if (!x.where.service.empty() && std::find(known_services.begin(), known_services.end(),
                                                x.where.service) == known_services.end()) {
        const std::string hint = did_you_mean(x.where.service, known_services);
        r.error(w["service"], f + ".where.service",
                "unknown service \"" + x.where.service + "\"" +
                    (hint.empty() ? "" : "; did you mean \"" + hint + "\"?"));
      }
      if (!x.where.incident.empty() && std::find(known_incidents.begin(), known_incidents.end(),
                                                 x.where.incident) == known_incidents.end()) {
        const std::string hint = did_you_mean(x.where.incident, known_incidents);
        r.error(w["incident"], f + ".where.incident",
                "unknown incident \"" + x.where.incident + "\" (a fault or calendar name)" +
                    (hint.empty() ? "" : "; did you mean \"" + hint + "\"?"));
      }
      if (!x.where.action.empty() && !engine::parse_action_kind(x.where.action)) {
        r.error(w["action"], f + ".where.action",
                "unknown action \"" + x.where.action +
                    "\"; one of restart, scale, rollback, cache-purge, feature-flag-disable, "
                    "traffic-shift, page");
      }
      if (!x.where.outcome.empty()) {
        static const std::vector<std::string> kOutcomes{"executed",
                                                        "shadow",
                                                        "recommend",
                                                        "low-confidence",
                                                        "no-policy",
                                                        "cooldown-active",
                                                        "max-attempts-reached",
                                                        "dependency-failure",
                                                        "approval-required",
                                                        "kill-switch",
                                                        "rate-limited",
                                                        "out-of-scope",
                                                        "duplicate",
                                                        "resolved"};
        if (std::find(kOutcomes.begin(), kOutcomes.end(), x.where.outcome) == kOutcomes.end()) {
          const std::string hint = did_you_mean(x.where.outcome, kOutcomes);
          r.error(w["outcome"], f + ".where.outcome",
                  "unknown outcome \"" + x.where.outcome + "\"" +
                      (hint.empty() ? "" : "; did you mean \"" + hint + "\"?"));
        }
      }
    }
    auto bound = [&](const char* key) -> std::optional<Bound> {
      const YAML::Node b = e[key];
      if (!b.IsDefined() || b.IsNull()) return std::nullopt;
      const std::string bf = f + "." + key;
      Bound out;
      switch (info->kind) {
        case MetricKind::kDuration: {
          auto d = r.duration(b, bf);
          if (!d) return std::nullopt;
          out.number = static_cast<double>(d->count());
          return out;
        }
        case MetricKind::kBool: {
          if (std::string(key) != "equals") {
            r.error(b, bf, x.metric + " is true/false: use equals");
            return std::nullopt;
          }
          auto v = r.boolean(b, bf);
          if (!v) return std::nullopt;
          out.flag = *v;
          return out;
        }
        case MetricKind::kText: {
          if (std::string(key) != "equals") {
            r.error(b, bf, x.metric + " is a name: use equals");
            return std::nullopt;
          }
          auto v = r.str(b, bf);
          if (!v) return std::nullopt;
          out.text = *v;
          return out;
        }
        default: {
          auto v = r.number(b, bf);
          if (!v) return std::nullopt;
          if (info->kind == MetricKind::kRatio && (*v < 0.0 || *v > 1.0)) {
            r.error(b, bf, x.metric + " is a ratio in [0, 1]");
            return std::nullopt;
          }
          if (info->kind == MetricKind::kCount && (*v < 0.0 || *v != std::floor(*v))) {
            r.error(b, bf, x.metric + " is a count: write a whole number >= 0");
            return std::nullopt;
          }
          out.number = *v;
          return out;
        }
      }
    };
    x.max = bound("max");
    x.min = bound("min");
    x.equals = bound("equals");
    if (r.diagnostics().size() != before) continue;
    if (!x.max && !x.min && !x.equals) {
      r.error(e, f, "give a bound: max, min or equals");
      continue;
    }
    if (x.equals && (x.max || x.min)) {
      r.error(e, f, "equals cannot be combined with max or min");
      continue;
    }
    // Numbers and durations only reach here with min/max (true/false and names take equals).
    if (x.min && x.max && x.min->number > x.max->number) {
      r.error(e["min"], f + ".min",
              "min is greater than max: no value can pass (did you swap them?)");
      continue;
    }
    // A readable one-line form for tables and JUnit names.
    std::string d = x.metric;
    std::string filters;
    auto add = [&](const char* k, const std::string& v) {
      if (v.empty()) return;
      filters += (filters.empty() ? "" : ",") + std::string(k) + "=" + v;
    };
    add("service", x.where.service);
    add("action", x.where.action);
    add("incident", x.where.incident);
    add("outcome", x.where.outcome);
    if (!filters.empty()) d += "{" + filters + "}";
    x.describe = d;
    out.push_back(std::move(x));
  }
  return out;
}

MetricValue metric_value(const RunMetrics& m, const std::string& metric, const Where& w) {
  using K = MetricKind;
  const auto count = [](std::size_t n) { return num(K::kCount, static_cast<double>(n)); };
  if (metric == "incidents") return count(m.incidents.size());
  if (metric == "recovered_incidents") return count(static_cast<std::size_t>(m.recovered));
  if (metric == "unrecovered_incidents") return count(static_cast<std::size_t>(m.unrecovered));
  if (metric == "mttr") return dur(m.mttr_mean);
  if (metric == "mttr_p50") return dur(m.mttr_p50);
  if (metric == "mttr_p90") return dur(m.mttr_p90);
  if (metric == "remediation_loops") return count(static_cast<std::size_t>(m.remediation_loops));
  if (metric == "max_actions_per_target_hour")
    return count(static_cast<std::size_t>(m.max_actions_per_target_hour));
  if (metric == "wrongly_acted_incidents") return count(static_cast<std::size_t>(m.wrongly_acted));
  if (metric == "made_worse_incidents")
    return m.made_worse ? count(static_cast<std::size_t>(*m.made_worse)) : none();
  const auto opt_count = [&](const std::optional<int>& v) {
    return v ? count(static_cast<std::size_t>(*v)) : none();
  };
  if (metric == "missed_incidents") return opt_count(m.missed_incidents);
  if (metric == "harmful_decisions") return opt_count(m.harmful_decisions);
  if (metric == "verification_false_failures") return opt_count(m.verification_false_failures);
  if (metric == "verification_false_passes") return opt_count(m.verification_false_passes);
  if (metric == "regret_minutes")
    return m.regret_minutes ? num(K::kNumber, *m.regret_minutes) : none();
  if (metric == "automated_recovery_rate")
    return m.automated_recovery_rate ? num(K::kRatio, *m.automated_recovery_rate) : none();
  if (metric == "verification_pass_rate")
    return m.verification_pass_rate ? num(K::kRatio, *m.verification_pass_rate) : none();
  if (metric == "pages_per_incident")
    return m.pages_per_incident ? num(K::kNumber, *m.pages_per_incident) : none();
  if (metric == "error_budget_saved_minutes")
    return m.twin_error_budget_minutes
               ? num(K::kNumber, *m.twin_error_budget_minutes - m.error_budget_minutes)
               : none();
  if (metric == "actions" || metric == "helpful_actions" || metric == "wrong_actions") {
    std::size_t n = 0;
    for (const auto& a : m.actions) {
      if (!match(w.service, a.service) || !match(w.action, a.action) ||
          !match(w.incident, a.incident))
        continue;
      if (metric == "helpful_actions" && !a.helpful) continue;
      if (metric == "wrong_actions" && a.helpful) continue;
      ++n;
    }
    return count(n);
  }
  if (metric == "decisions") {
    std::size_t n = 0;
    for (const auto& d : m.decisions)
      if (match(w.service, d.service) && match(w.action, d.action) &&
          match(w.incident, d.incident) && match(w.outcome, d.outcome))
        ++n;
    return count(n);
  }
  if (metric == "pages" || metric == "approval_requests" || metric == "escalations") {
    std::size_t n = 0;
    for (const auto& e : m.escalations) {
      if (!match(w.service, e.service) || !match(w.incident, e.incident)) continue;
      if (metric == "pages" && e.approval) continue;
      if (metric == "approval_requests" && !e.approval) continue;
      ++n;
    }
    return count(n);
  }
  if (metric == "verifications" || metric == "verifications_failed") {
    std::size_t n = 0;
    for (const auto& v : m.verifications) {
      if (!match(w.service, v.service) || !match(w.incident, v.incident)) continue;
      if (metric == "verifications_failed" && v.passed) continue;
      ++n;
    }
    return count(n);
  }
  if (metric == "time_to_escalate") {
    if (w.empty()) return dur(m.time_to_escalate_mean);
    for (const auto& e : m.escalations) {  // sorted by time
      if (!match(w.service, e.service) || !match(w.incident, e.incident)) continue;
      auto start = incident_start(m, e.incident, e.service);
      if (!start) continue;
      return dur(e.at - *start);
    }
    return none();
  }
  return per_incident(m, w, metric);
}

ExpectationResult evaluate(const Expectation& e, const RunMetrics& m) {
  ExpectationResult r;
  r.expectation = e;
  const MetricInfo* info = find_metric(e.metric);
  const MetricKind k = info ? info->kind : MetricKind::kNumber;
  const MetricValue v = metric_value(m, e.metric, e.where);
  r.actual = v.display;
  std::string expected;
  bool ok = true;
  constexpr double kEps = 1e-9;
  if (e.equals) {
    if (k == MetricKind::kBool) {
      expected = e.equals->flag ? "true" : "false";
      ok = v.flag && *v.flag == e.equals->flag;
    } else if (k == MetricKind::kText) {
      expected = e.equals->text;
      ok = v.text && *v.text == e.equals->text;
    } else {
      expected = display_number(k, e.equals->number);
      ok = v.number && std::fabs(*v.number - e.equals->number) < kEps;
    }
    expected = "== " + expected;
  }
  if (e.min) {
    expected = ">= " + display_number(k, e.min->number);
    ok = ok && v.number && *v.number >= e.min->number - kEps;
  }
  if (e.max) {
    expected +=
        (expected.empty() ? "" : " and ") + std::string("<= ") + display_number(k, e.max->number);
    ok = ok && v.number && *v.number <= e.max->number + kEps;
  }
  r.expected = expected;
  r.passed = ok;
  return r;
}

std::vector<ExpectationResult> evaluate_all(const std::vector<Expectation>& es,
                                            const RunMetrics& m) {
  std::vector<ExpectationResult> out;
  out.reserve(es.size());
  for (const auto& e : es)
    out.push_back(evaluate(e, m));
  return out;
}

}  // namespace selfheal::scenario
