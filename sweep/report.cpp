#include "sweep/report.hpp"

#include <algorithm>
#include <cmath>
#include <filesystem>
#include <fstream>
#include <limits>
#include <set>
#include <sstream>

#include "config/json_reader.hpp"
#include "core/duration.hpp"
#include "reports/format.hpp"
#include "sweep/html.hpp"

namespace selfheal::sweep {
namespace {

constexpr int kFormatVersion = 1;

std::string_view unit_name(Unit u) {
  switch (u) {
    case Unit::kCount:
      return "count";
    case Unit::kDuration:
      return "seconds";
    case Unit::kRatio:
      return "ratio";
    case Unit::kMinutes:
      return "minutes";
  }
  return "";
}

// JSON numbers print stably at a fixed number of decimals.
double j(double v) {
  return reports::round_to(v, 6);
}

std::string csv_field(const std::string& s) {
  if (s.find_first_of(",\"\n") == std::string::npos) return s;
  std::string q = "\"";
  for (char c : s)
    q += c == '"' ? std::string("\"\"") : std::string(1, c);
  return q + "\"";
}

std::string num(double v) {
  return reports::fixed(v, 6);
}

std::string show_duration_s(double seconds) {
  return core::format_duration(core::Duration{std::llround(seconds) * 1000});
}

core::Error bad(const std::string& file, const std::string& what) {
  return core::Error("not a selfheal sweep result: " + what, file);
}

}  // namespace

MetricSummary summarize(const Accumulator& a, Unit u) {
  MetricSummary s;
  s.n = a.count();
  if (s.n == 0) return s;
  const double k = step(u);
  s.mean = a.mean() * k;
  s.p50 = static_cast<double>(a.percentile(50)) * k;
  s.p90 = static_cast<double>(a.percentile(90)) * k;
  // A rate (a ratio in [0, 1]: pass rate, violation rate, recovery rate) gets the Wilson
  // score interval, which stays honest when every run is 0 or 1; other metrics the t one.
  const auto [lo, hi] = u == Unit::kRatio ? wilson_95(s.mean, s.n) : a.ci95();
  const double scale = u == Unit::kRatio ? 1.0 : k;
  s.ci_low = lo * scale;
  s.ci_high = hi * scale;
  s.min = static_cast<double>(a.min()) * k;
  s.max = static_cast<double>(a.max()) * k;
  return s;
}

std::vector<bool> pareto_front(const SweepResult& r) {
  return pareto_front(r, kParetoObjectives);
}

std::vector<bool> pareto_front(const SweepResult& r, std::span<const std::size_t> objectives) {
  const std::size_t n = r.combinations.size();
  std::vector<std::vector<double>> obj(n, std::vector<double>(objectives.size()));
  for (std::size_t c = 0; c < n; ++c)
    for (std::size_t k = 0; k < objectives.size(); ++k) {
      const Accumulator& a = r.combinations[c].metrics[objectives[k]];
      obj[c][k] = a.count() ? a.mean() : std::numeric_limits<double>::infinity();
    }
  std::vector<bool> front(n, true);
  for (std::size_t a = 0; a < n; ++a)
    for (std::size_t b = 0; b < n && front[a]; ++b) {
      if (a == b) continue;
      bool all_le = true, one_lt = false;
      for (std::size_t k = 0; k < obj[a].size(); ++k) {
        all_le = all_le && obj[b][k] <= obj[a][k];
        one_lt = one_lt || obj[b][k] < obj[a][k];
      }
      if (all_le && one_lt) front[a] = false;
    }
  return front;
}

std::vector<long> identical_to(const SweepResult& r) {
  std::vector<long> out(r.combinations.size(), -1);
  for (std::size_t a = 0; a < r.combinations.size(); ++a)
    for (std::size_t b = 0; b < r.combinations.size() && out[a] < 0; ++b)
      if (a != b && r.combinations[a].metrics == r.combinations[b].metrics)
        out[a] = static_cast<long>(b);
  return out;
}

std::vector<std::string> no_effect_notes(const SweepResult& r) {
  std::vector<std::string> notes;
  const std::size_t actions = *metric_index("actions");
  bool any_action = false;
  for (const auto& cr : r.combinations)
    any_action = any_action || cr.metrics[actions].max() > 0;
  for (std::size_t k = 0; k < r.axes.size(); ++k) {
    if (r.axes[k].values.size() < 2) continue;
    bool same = true;
    for (std::size_t a = 0; a < r.combinations.size() && same; ++a)
      for (std::size_t b = a + 1; b < r.combinations.size() && same; ++b) {
        const auto& pa = r.combinations[a].combination.params;
        const auto& pb = r.combinations[b].combination.params;
        bool others_equal = true;
        for (std::size_t q = 0; q < pa.size(); ++q)
          others_equal = others_equal && (q == k || pa[q].value == pb[q].value);
        if (others_equal) same = r.combinations[a].metrics == r.combinations[b].metrics;
      }
    if (!same) continue;
    notes.push_back(r.axes[k].path + " had no effect: its " +
                    std::to_string(r.axes[k].values.size()) +
                    " values gave identical metric distributions in every run" +
                    (any_action ? std::string("; the Pareto marks cannot rank them")
                                : "; no run executed an action (a recommend-only policy or a "
                                  "non-auto mode: its values cannot matter)"));
  }
  return notes;
}

nlohmann::ordered_json to_json(const SweepResult& r) {
  nlohmann::ordered_json d;
  d["format"] = "selfheal-sweep";
  d["version"] = kFormatVersion;
  d["scenario"] = r.scenario;
  d["scenario_file"] = r.scenario_file;
  d["digest"] = r.digest;
  d["base_seed"] = r.base_seed;
  d["seed_rule"] = "run i (0-based) uses seed splitmix64 output i+1 from base_seed";
  d["runs"] = r.runs;
  d["runs_done"] = r.runs_done();
  d["twin"] = r.twin;
  if (r.counterfactuals) d["counterfactuals"] = true;  // absent: off (older sweeps)
  d["axes"] = nlohmann::ordered_json::array();
  for (const auto& a : r.axes)
    d["axes"].push_back({{"path", a.path}, {"values", a.values}});
  d["shards"] = {{"count", r.shard_count}, {"covered", r.shards}};
  d["complete"] = r.complete();
  // Additive: present only when there is something to say.
  if (const auto notes = no_effect_notes(r); !notes.empty()) d["notes"] = notes;
  if (!r.baseline_warnings.empty()) d["baseline_warnings"] = r.baseline_warnings;
  if (r.trade_off != kDefaultTradeOff)
    d["trade_off"] = {kMetrics[r.trade_off[0]].name, kMetrics[r.trade_off[1]].name};
  const std::vector<bool> front = pareto_front(r);
  d["combinations"] = nlohmann::ordered_json::array();
  for (std::size_t c = 0; c < r.combinations.size(); ++c) {
    const auto& cr = r.combinations[c];
    nlohmann::ordered_json cj;
    cj["index"] = c;
    cj["label"] = cr.combination.label();
    cj["params"] = nlohmann::ordered_json::object();
    for (const auto& p : cr.combination.params)
      cj["params"][p.path] = p.value;
    cj["pareto"] = static_cast<bool>(front[c]);
    nlohmann::ordered_json ms = nlohmann::ordered_json::object();
    nlohmann::ordered_json st = nlohmann::ordered_json::object();
    for (std::size_t i = 0; i < kMetricCount; ++i) {
      const Accumulator& a = cr.metrics[i];
      const MetricDef& def = kMetrics[i];
      const MetricSummary s = summarize(a, def.unit);
      nlohmann::ordered_json m;
      m["unit"] = unit_name(def.unit);
      m["n"] = s.n;
      if (s.n) {
        m["mean"] = j(s.mean);
        m["p50"] = j(s.p50);
        m["p90"] = j(s.p90);
        m["ci95"] = {j(s.ci_low), j(s.ci_high)};
        m["min"] = j(s.min);
        m["max"] = j(s.max);
      }
      ms[std::string(def.name)] = std::move(m);
      nlohmann::ordered_json h = nlohmann::ordered_json::array();
      for (const auto& [k, cnt] : a.histogram())
        h.push_back({k, cnt});
      st[std::string(def.name)] = {{"n", a.count()},
                                   {"sum", to_string(a.sum())},
                                   {"sumsq", to_string(a.sum_squares())},
                                   {"min", a.min()},
                                   {"max", a.max()},
                                   {"bucketed", a.bucketed()},
                                   {"hist", std::move(h)}};
    }
    cj["metrics"] = std::move(ms);
    cj["state"] = std::move(st);
    d["combinations"].push_back(std::move(cj));
  }
  return d;
}

core::Result<SweepResult> from_json(const nlohmann::json& d, const std::string& file) {
  try {
    if (!d.is_object() || d.value("format", "") != "selfheal-sweep")
      return bad(file, "no \"format\": \"selfheal-sweep\"");
    if (d.at("version").get<int>() != kFormatVersion)
      return bad(file, "version " + d.at("version").dump() + "; this build reads version " +
                           std::to_string(kFormatVersion));
    SweepResult r;
    r.scenario = d.at("scenario").get<std::string>();
    r.scenario_file = d.at("scenario_file").get<std::string>();
    r.digest = d.at("digest").get<std::string>();
    r.base_seed = d.at("base_seed").get<std::uint64_t>();
    r.runs = d.at("runs").get<std::uint64_t>();
    r.twin = d.at("twin").get<bool>();
    if (d.contains("baseline_warnings"))
      r.baseline_warnings = d.at("baseline_warnings").get<std::vector<std::string>>();
    r.counterfactuals = d.value("counterfactuals", false);
    if (d.contains("trade_off")) {
      const auto names = d.at("trade_off").get<std::vector<std::string>>();
      if (names.size() != 2) return bad(file, "trade_off does not name two metrics");
      for (std::size_t k = 0; k < 2; ++k) {
        const auto i = metric_index(names[k]);
        if (!i) return bad(file, "trade_off: unknown metric \"" + names[k] + "\"");
        r.trade_off[k] = *i;
      }
    }
    for (const auto& a : d.at("axes"))
      r.axes.push_back(
          {a.at("path").get<std::string>(), a.at("values").get<std::vector<std::string>>()});
    r.shard_count = d.at("shards").at("count").get<std::uint64_t>();
    r.shards = d.at("shards").at("covered").get<std::vector<std::uint64_t>>();
    if (r.shard_count == 0) return bad(file, "shards.count is 0");
    for (auto s : r.shards)
      if (s >= r.shard_count) return bad(file, "shard " + std::to_string(s) + " out of range");
    const std::vector<Combination> grid = combinations(r.axes);
    const auto& cs = d.at("combinations");
    if (cs.size() != grid.size())
      return bad(file, std::to_string(cs.size()) + " combinations where the axes make " +
                           std::to_string(grid.size()));
    for (std::size_t c = 0; c < grid.size(); ++c) {
      CombinationResult cr{grid[c], {}};
      const auto& st = cs[c].at("state");
      for (std::size_t i = 0; i < kMetricCount; ++i) {
        const std::string name(kMetrics[i].name);
        const auto& a = st.at(name);
        Int128 sum = 0, sumsq = 0;
        if (!parse_int128(a.at("sum").get<std::string>(), sum) ||
            !parse_int128(a.at("sumsq").get<std::string>(), sumsq))
          return bad(file, "combinations[" + std::to_string(c) + "].state." + name +
                               ": sum is not an integer");
        std::map<std::int64_t, std::uint64_t> hist;
        for (const auto& kv : a.at("hist"))
          hist[kv.at(0).get<std::int64_t>()] += kv.at(1).get<std::uint64_t>();
        if (!Accumulator::restore(a.at("n").get<std::uint64_t>(), sum, sumsq,
                                  a.at("min").get<std::int64_t>(), a.at("max").get<std::int64_t>(),
                                  a.at("bucketed").get<bool>(), std::move(hist), cr.metrics[i]))
          return bad(file,
                     "combinations[" + std::to_string(c) + "].state." + name + " is inconsistent");
      }
      r.combinations.push_back(std::move(cr));
    }
    return r;
  } catch (const nlohmann::json::exception& e) {
    return bad(file, e.what());
  }
}

core::Result<SweepResult> merge(const std::vector<SweepResult>& parts) {
  if (parts.empty()) return core::Error("nothing to merge");
  SweepResult out = parts[0];
  std::set<std::uint64_t> covered(out.shards.begin(), out.shards.end());
  for (std::size_t k = 1; k < parts.size(); ++k) {
    const SweepResult& p = parts[k];
    auto differ = [&](const std::string& what) {
      return core::Error("input " + std::to_string(k + 1) + " is a different sweep: its " + what +
                         " differs from input 1's");
    };
    if (p.digest != out.digest) return differ("scenario or policy file (digest)");
    if (p.scenario != out.scenario) return differ("scenario");
    if (p.base_seed != out.base_seed) return differ("base seed");
    if (p.runs != out.runs) return differ("--runs");
    if (p.twin != out.twin) return differ("twin setting");
    if (p.counterfactuals != out.counterfactuals) return differ("counterfactuals setting");
    if (p.axes != out.axes) return differ("--set axes");
    if (p.trade_off != out.trade_off) return differ("--trade-off");
    if (p.shard_count != out.shard_count) return differ("shard count");
    for (auto s : p.shards)
      if (!covered.insert(s).second)
        return core::Error("shard " + std::to_string(s) + "/" + std::to_string(p.shard_count) +
                           " is given twice (input " + std::to_string(k + 1) + ")");
    for (std::size_t c = 0; c < out.combinations.size(); ++c)
      for (std::size_t i = 0; i < kMetricCount; ++i)
        out.combinations[c].metrics[i].merge(p.combinations[c].metrics[i]);
  }
  out.shards.assign(covered.begin(), covered.end());
  if (out.complete()) {
    // All N slices make the whole sweep: say so the way a sweep run in one piece does, so
    // the merged files are identical to it.
    out.shard_count = 1;
    out.shards = {0};
  }
  return out;
}

std::string summary_csv(const SweepResult& r) {
  std::ostringstream o;
  o << "combination";
  for (const auto& a : r.axes)
    o << "," << csv_field(a.path);
  o << ",metric,unit,n,mean,p50,p90,ci95_low,ci95_high,min,max,pareto\n";
  const std::vector<bool> front = pareto_front(r);
  for (std::size_t c = 0; c < r.combinations.size(); ++c) {
    const auto& cr = r.combinations[c];
    for (std::size_t i = 0; i < kMetricCount; ++i) {
      o << c;
      for (const auto& p : cr.combination.params)
        o << "," << csv_field(p.value);
      const MetricSummary s = summarize(cr.metrics[i], kMetrics[i].unit);
      o << "," << kMetrics[i].name << "," << unit_name(kMetrics[i].unit) << "," << s.n;
      if (s.n)
        o << "," << num(s.mean) << "," << num(s.p50) << "," << num(s.p90) << "," << num(s.ci_low)
          << "," << num(s.ci_high) << "," << num(s.min) << "," << num(s.max);
      else
        o << ",,,,,,,";
      o << "," << (front[c] ? "true" : "false") << "\n";
    }
  }
  for (const auto& n : no_effect_notes(r))
    o << "# note: " << n << "\n";
  return o.str();
}

std::string runs_csv_header() {
  std::string h = "combination,run,seed";
  for (const auto& m : kMetrics)
    h += "," + std::string(m.name);
  return h + "\n";
}

std::string runs_csv_row(const RunRow& row) {
  std::string s = std::to_string(row.combination) + "," + std::to_string(row.run) + "," +
                  std::to_string(row.seed);
  for (std::size_t i = 0; i < kMetricCount; ++i) {
    s += ",";
    if (row.values[i])
      s += kMetrics[i].unit == Unit::kCount
               ? std::to_string(*row.values[i])
               : num(static_cast<double>(*row.values[i]) * step(kMetrics[i].unit));
  }
  return s + "\n";
}

core::Status write_result(const SweepResult& r, const std::string& dir) {
  std::error_code ec;
  std::filesystem::create_directories(dir, ec);
  if (ec) return core::Error("cannot create directory: " + ec.message(), dir);
  const std::pair<const char*, std::string> files[] = {
      {"sweep.json", config::json_text(to_json(r)) + "\n"},
      {"summary.csv", summary_csv(r)},
      {"sweep.html", sweep_html(r)}};
  for (const auto& [name, text] : files) {
    const std::string path = dir + "/" + name;
    std::ofstream out(path, std::ios::binary | std::ios::trunc);
    out << text;
    if (!out.flush()) return core::Error("cannot write", path);
  }
  return core::Status(core::Ok{});
}

std::string table(const SweepResult& r) {
  std::ostringstream o;
  const std::uint64_t done = r.runs_done();
  o << "sweep " << r.scenario << ": " << r.combinations.size() << " combination"
    << (r.combinations.size() == 1 ? "" : "s") << " x " << done << " run" << (done == 1 ? "" : "s")
    << ", base seed " << r.base_seed << (r.twin ? "" : ", no twin")
    << (r.counterfactuals ? ", counterfactuals" : "");
  if (!r.complete()) o << ", shards " << r.shards.size() << " of " << r.shard_count << " (partial)";
  o << "\n";
  // Columns: the axes' values, then the headline metrics as mean [95% CI].
  std::vector<std::string> head{"#"};
  for (const auto& a : r.axes)
    head.push_back(a.path);
  // The invariants' column only for a scenario that states invariants.
  const std::size_t violated = *metric_index("invariant_violated");
  bool invariants = false;
  for (const auto& cr : r.combinations)
    invariants = invariants || cr.metrics[violated].count() > 0;
  for (const char* h : {"MTTR mean [95% CI]", "MTTR p90", "wrongly acted", "pages", "made worse",
                        "unrecovered", "passed"})
    head.push_back(h);
  if (invariants) head.push_back("invariant violated [95% CI]");
  head.push_back("pareto");
  if (r.counterfactuals)
    for (const char* h : {"missed", "regret min", "verif. false fail"})
      head.push_back(h);
  std::vector<std::vector<std::string>> rows;
  const std::vector<bool> front = pareto_front(r);
  const std::vector<long> same = identical_to(r);
  auto mean_ci = [](const MetricSummary& s, int decimals) {
    if (!s.n) return std::string("-");
    return reports::fixed(s.mean, decimals) + " [" + reports::fixed(s.ci_low, decimals) + ", " +
           reports::fixed(s.ci_high, decimals) + "]";
  };
  for (std::size_t c = 0; c < r.combinations.size(); ++c) {
    const auto& cr = r.combinations[c];
    auto sum = [&](std::string_view name) {
      const std::size_t i = *metric_index(name);
      return summarize(cr.metrics[i], kMetrics[i].unit);
    };
    std::vector<std::string> row{std::to_string(c)};
    for (const auto& p : cr.combination.params)
      row.push_back(p.value);
    const MetricSummary mttr = sum("mttr");
    row.push_back(mttr.n ? show_duration_s(mttr.mean) + " [" + show_duration_s(mttr.ci_low) + ", " +
                               show_duration_s(mttr.ci_high) + "]"
                         : std::string("-"));
    row.push_back(mttr.n ? show_duration_s(mttr.p90) : std::string("-"));
    row.push_back(mean_ci(sum("wrongly_acted"), 2));
    row.push_back(mean_ci(sum("pages"), 2));
    row.push_back(r.twin ? mean_ci(sum("made_worse"), 2) : std::string("-"));
    row.push_back(mean_ci(sum("unrecovered"), 2));
    const MetricSummary passed = sum("passed");
    row.push_back(passed.n ? reports::fixed(passed.mean * 100.0, 1) + "%" : std::string("-"));
    if (invariants) {
      const MetricSummary v = sum("invariant_violated");
      row.push_back(v.n ? reports::fixed(v.mean * 100.0, 1) + "% [" +
                              reports::fixed(std::max(0.0, v.ci_low) * 100.0, 1) + ", " +
                              reports::fixed(std::min(1.0, v.ci_high) * 100.0, 1) + "]"
                        : std::string("-"));
    }
    row.push_back(!front[c] ? "" : same[c] >= 0 ? "=" + std::to_string(same[c]) : "*");
    if (r.counterfactuals) {
      row.push_back(mean_ci(sum("missed"), 2));
      row.push_back(mean_ci(sum("regret_minutes"), 1));
      row.push_back(mean_ci(sum("verification_false_failures"), 2));
    }
    rows.push_back(std::move(row));
  }
  std::vector<std::size_t> width(head.size());
  for (std::size_t k = 0; k < head.size(); ++k) {
    width[k] = head[k].size();
    for (const auto& row : rows)
      width[k] = std::max(width[k], row[k].size());
  }
  auto line = [&](const std::vector<std::string>& cells) {
    std::string l;
    for (std::size_t k = 0; k < cells.size(); ++k) {
      l += cells[k];
      if (k + 1 < cells.size()) l += std::string(width[k] - cells[k].size() + 2, ' ');
    }
    while (!l.empty() && l.back() == ' ')
      l.pop_back();
    o << l << "\n";
  };
  line(head);
  for (const auto& row : rows)
    line(row);
  o << "pareto *: no other combination has lower or equal mean MTTR, wrongly-acted incidents "
       "and pages with one strictly lower\n";
  if (std::any_of(same.begin(), same.end(), [](long v) { return v >= 0; }))
    o << "pareto =k: on the front only because it is identical to combination k in every "
         "metric\n";
  for (const auto& n : no_effect_notes(r))
    o << "note: " << n << "\n";
  return o.str();
}

}  // namespace selfheal::sweep
