#include "scenario/baseline.hpp"

#include <algorithm>
#include <fstream>
#include <optional>
#include <sstream>

#include <nlohmann/json.hpp>

#include "config/json_reader.hpp"
#include "core/duration.hpp"

namespace selfheal::scenario {

BaselineEntry baseline_entry(const RunResult& r) {
  const RunMetrics& m = r.metrics;
  BaselineEntry e;
  if (m.mttr_mean) e.mttr_mean_ms = m.mttr_mean->count();
  e.unrecovered = m.unrecovered;
  e.loops = m.remediation_loops;
  e.wrongly_acted = m.wrongly_acted;
  e.made_worse = m.made_worse;
  return e;
}

std::string baseline_json(const std::vector<RunResult>& runs) {
  nlohmann::ordered_json j;
  j["schema_version"] = 1;
  nlohmann::ordered_json s = nlohmann::ordered_json::object();
  std::map<std::string, BaselineEntry> sorted;
  for (const auto& r : runs)
    sorted[r.scenario] = baseline_entry(r);
  for (const auto& [name, e] : sorted) {
    nlohmann::ordered_json o;
    o["mttr_mean_ms"] = e.mttr_mean_ms ? nlohmann::ordered_json(*e.mttr_mean_ms) : nullptr;
    o["unrecovered_incidents"] = e.unrecovered;
    o["remediation_loops"] = e.loops;
    o["wrongly_acted_incidents"] = e.wrongly_acted;
    o["made_worse_incidents"] = e.made_worse ? nlohmann::ordered_json(*e.made_worse) : nullptr;
    s[name] = o;
  }
  j["scenarios"] = s;
  return config::json_text(j) + "\n";
}

core::Result<Baseline> load_baseline(const std::string& path) {
  core::Diagnostics diags;
  auto doc = config::read_json_file(path, diags);
  if (!doc) return diags.errors().front();
  nlohmann::json& j = doc->root;
  if (!j.is_object() || !j.contains("schema_version") || j["schema_version"] != 1 ||
      !j.contains("scenarios") || !j["scenarios"].is_object())
    return core::Error{
        "not a selfheal baseline (schema_version 1 with scenarios); write one "
        "with selfheal check --update-baseline FILE",
        path, 0, 0, "schema_version"};
  Baseline b;
  for (const auto& [name, o] : j["scenarios"].items()) {
    if (!o.is_object()) return core::Error{"expected an object", path, 0, 0, "scenarios." + name};
    BaselineEntry e;
    try {
      if (o.contains("mttr_mean_ms") && !o["mttr_mean_ms"].is_null())
        e.mttr_mean_ms = o["mttr_mean_ms"].get<long long>();
      e.unrecovered = o.value("unrecovered_incidents", 0);
      e.loops = o.value("remediation_loops", 0);
      e.wrongly_acted = o.value("wrongly_acted_incidents", 0);
      if (o.contains("made_worse_incidents") && !o["made_worse_incidents"].is_null())
        e.made_worse = o["made_worse_incidents"].get<int>();
    } catch (const nlohmann::json::exception& ex) {
      return core::Error{std::string("bad value: ") + ex.what(), path, 0, 0, "scenarios." + name};
    }
    b[name] = e;
  }
  return b;
}

std::string_view to_string(BaselineVerdict v) {
  switch (v) {
    case BaselineVerdict::kRegression:
      return "REGRESSION";
    case BaselineVerdict::kWithinTolerance:
      return "within tolerance";
    case BaselineVerdict::kImproved:
      return "improved";
  }
  return "";
}

namespace {

// The MTTR tolerance: 10% of the baseline's MTTR or a minute, whichever is larger.
constexpr long long kMttrToleranceMinMs = 60000;
constexpr long long kMttrToleranceDivisor = 10;

std::string fmt_ms(long long ms) {
  return core::format_duration(Duration{ms});
}

std::string signed_ms(long long ms) {
  return (ms < 0 ? "-" : "+") + fmt_ms(ms < 0 ? -ms : ms);
}

// The MTTR row of one scenario, if its MTTR changed.
std::optional<BaselineChange> mttr_change(const std::string& scenario,
                                          const std::optional<long long>& was,
                                          const std::optional<long long>& is) {
  if (was == is) return std::nullopt;
  BaselineChange c{scenario,
                   "MTTR mean",
                   was ? fmt_ms(*was) : "none",
                   is ? fmt_ms(*is) : "none",
                   "n/a",
                   BaselineVerdict::kImproved,
                   ""};
  if (!was) return c;  // it recovers now where nothing did
  if (!is) {
    c.verdict = BaselineVerdict::kRegression;
    c.what = "MTTR " + fmt_ms(*was) + " -> none (no incident recovered)";
    return c;
  }
  c.delta = signed_ms(*is - *was);
  const long long allowed = *was + std::max(kMttrToleranceMinMs, *was / kMttrToleranceDivisor);
  if (*is > allowed) {
    c.verdict = BaselineVerdict::kRegression;
    c.what = "MTTR " + fmt_ms(*was) + " -> " + fmt_ms(*is) +
             " (tolerance: 10% or 1m, whichever is larger)";
  } else if (*is > *was) {
    c.verdict = BaselineVerdict::kWithinTolerance;
  }
  return c;
}

}  // namespace

std::vector<BaselineChange> baseline_changes(const std::vector<RunResult>& runs,
                                             const Baseline& base) {
  std::vector<BaselineChange> out;
  for (const auto& r : runs) {
    auto it = base.find(r.scenario);
    if (it == base.end()) continue;
    const BaselineEntry& b = it->second;
    const BaselineEntry now = baseline_entry(r);
    if (auto c = mttr_change(r.scenario, b.mttr_mean_ms, now.mttr_mean_ms)) out.push_back(*c);
    // A count: more is a regression, fewer an improvement.
    auto count = [&](const char* what, int was, int is) {
      if (was == is) return;
      out.push_back({r.scenario, what, std::to_string(was), std::to_string(is),
                     (is > was ? "+" : "") + std::to_string(is - was),
                     is > was ? BaselineVerdict::kRegression : BaselineVerdict::kImproved,
                     std::string(what) + " " + std::to_string(was) + " -> " + std::to_string(is)});
    };
    count("unrecovered incidents", b.unrecovered, now.unrecovered);
    count("remediation loops", b.loops, now.loops);
    count("wrongly-acted incidents", b.wrongly_acted, now.wrongly_acted);
    if (b.made_worse && now.made_worse)
      count("made-worse incidents", *b.made_worse, *now.made_worse);
  }
  return out;
}

std::vector<Regression> compare_to_baseline(const std::vector<RunResult>& runs,
                                            const Baseline& base, std::vector<std::string>* notes) {
  if (notes)
    for (const auto& r : runs)
      if (base.find(r.scenario) == base.end())
        notes->push_back(r.scenario + ": not in the baseline (new scenario)");
  std::vector<Regression> out;
  for (const auto& c : baseline_changes(runs, base))
    if (c.verdict == BaselineVerdict::kRegression) out.push_back({c.scenario, c.what});
  return out;
}

}  // namespace selfheal::scenario
