#include "scenario/prom_telemetry.hpp"

#include <algorithm>
#include <cmath>
#include <cstring>

#include "engine/promql_template.hpp"

namespace selfheal::scenario {

bool uses_promql(const engine::PolicySet& policies) {
  for (const auto& p : policies.policies)
    for (const auto& c : p.verification)
      if (!c.promql.empty()) return true;
  return false;
}

WorldSeriesSource::WorldSeriesSource(const WorldSeriesSource& o, const sim::World& world)
    : world_(world),
      labels_(o.labels_),
      volatile_(o.volatile_),
      kept_(o.kept_),
      by_name_(o.by_name_),
      selections_(o.selections_),
      rows_(o.rows_),
      row_of_(o.row_of_),
      limit_row_(o.limit_row_),
      limits_(o.limits_),
      id_(o.id_) {}

WorldSeriesSource::WorldSeriesSource(const sim::World& world) : world_(world) {
  const auto& catalogue = world.prom_series();
  labels_.reserve(catalogue.size());
  for (std::size_t i = 0; i < catalogue.size(); ++i) {
    promql::Labels l;
    for (const auto& [name, value] : catalogue[i].labels) {
      l.push_back({name, value});
      if (name == "__name__") by_name_[value].push_back(i);
    }
    labels_.push_back(std::move(l));
    const sim::PromMetric m = catalogue[i].metric;
    volatile_.push_back(m == sim::PromMetric::kMemoryWorkingSet ||
                        m == sim::PromMetric::kMemoryLimit);
  }
  kept_.resize(catalogue.size());
  // Every metric but the one present only after an OOM kill is sampled at every tick: kept
  // in rows (the memory ones read again when a memory limit changes: check_limits).
  row_of_.assign(catalogue.size(), {kNoRows, 0});
  std::vector<std::size_t> metric_rows(sim::kPromMetricCount, kNoRows);
  for (std::size_t i = 0; i < catalogue.size(); ++i) {
    const sim::PromMetric m = catalogue[i].metric;
    if (m == sim::PromMetric::kLastTerminated) continue;
    std::size_t& r = metric_rows[static_cast<std::size_t>(m)];
    if (r == kNoRows) {
      r = rows_.size();
      rows_.push_back({SeriesRows{0, world.spec().scrape_interval}, {}, true, volatile_[i]});
      if (m == sim::PromMetric::kMemoryLimit) limit_row_ = r;
    }
    row_of_[i] = {r, rows_[r].series.size()};
    rows_[r].series.push_back(i);
  }
  for (auto& mr : rows_)
    mr.rows = SeriesRows{mr.series.size(), world.spec().scrape_interval};
  // Ids metric by metric: a metric's series (a row's columns) have consecutive ids.
  std::vector<std::size_t> order(catalogue.size());
  for (std::size_t i = 0; i < order.size(); ++i)
    order[i] = i;
  std::stable_sort(order.begin(), order.end(), [&](std::size_t a, std::size_t b) {
    return catalogue[a].metric < catalogue[b].metric;
  });
  id_.resize(catalogue.size());
  for (std::size_t k = 0; k < order.size(); ++k)
    id_[order[k]] = k;
}

const WorldSeriesSource::Selection& WorldSeriesSource::matching(
    std::span<const promql::Matcher> matchers) const {
  std::string key;
  const std::vector<std::size_t>* by_name = nullptr;
  bool named = false;
  for (const auto& m : matchers) {
    key += m.name + '\x1f' + std::to_string(static_cast<int>(m.op)) + '\x1f' + m.value + '\x1e';
    if (m.name == "__name__" && m.op == promql::Matcher::Op::kEq && !named) {
      named = true;
      auto it = by_name_.find(m.value);
      static const std::vector<std::size_t> kNone;
      by_name = it == by_name_.end() ? &kNone : &it->second;
    }
  }
  const auto emplaced = selections_.try_emplace(key);
  const auto it = emplaced.first;
  if (!emplaced.second) return it->second;
  auto consider = [&](std::size_t i) {
    for (const auto& m : matchers)
      if (!promql::matches(m, promql::label_value(labels_[i], m.name))) return;
    const std::size_t r = row_of_[i].first;
    it->second.series.push_back({i, id_[i], r, row_of_[i].second});
    auto& rows = it->second.rows;
    if (r != kNoRows && std::find(rows.begin(), rows.end(), r) == rows.end()) rows.push_back(r);
  };
  if (by_name != nullptr) {
    for (std::size_t i : *by_name)
      consider(i);
  } else {
    for (std::size_t i = 0; i < labels_.size(); ++i)
      consider(i);
  }
  return it->second;
}

std::vector<promql::Sample>::iterator WorldSeriesSource::window_start(Kept& k,
                                                                      core::TimePoint start) {
  const auto head = k.s.begin() + static_cast<std::ptrdiff_t>(k.head);
  if (head == k.s.end() || head->t >= start) return head;
  // Windows end at or near the end of the copy: gallop back from the end (the samples there
  // were just appended, in cache), then bisect the last step, rather than bisect the copy.
  auto hi = k.s.end();
  for (std::ptrdiff_t step = 1;; step *= 2) {
    if (step >= hi - head) break;
    const auto probe = k.s.end() - step;
    if (probe->t < start)
      return std::partition_point(probe + 1, hi,
                                  [&](const promql::Sample& x) { return x.t < start; });
    hi = probe;
  }
  return std::partition_point(head, hi, [&](const promql::Sample& x) { return x.t < start; });
}

std::span<const promql::Sample> WorldSeriesSource::samples(std::size_t index, core::TimePoint start,
                                                           core::TimePoint end,
                                                           std::size_t& last_drop) const {
  last_drop = promql::SeriesView::kUnknown;
  const auto kept = world_.prom_kept();
  if (!kept || end < start) return {};
  // Not a structured binding: clang 14 cannot capture one in the lambda below.
  const core::TimePoint first = kept->first;
  const core::TimePoint last = kept->second;
  auto copy = [&](core::TimePoint from, std::vector<promql::Sample>& out) {
    points_.clear();
    world_.prom_samples(index, from, last, points_);
    for (const auto& p : points_)
      out.push_back({p.t, p.v});
  };
  if (volatile_[index]) {
    samples_.clear();
    copy(start, samples_);
    auto hi = std::partition_point(samples_.begin(), samples_.end(),
                                   [&](const promql::Sample& x) { return x.t <= end; });
    return {samples_.begin(), hi};
  }
  Kept& k = kept_[index];
  k.longest = std::max(k.longest, last - start);
  // Appends what the rings hold from `from` on, noting the last sample below its
  // predecessor (k.drop, numbered from the first sample ever kept: k.base + position).
  auto append = [&](core::TimePoint from) {
    const std::size_t old = k.s.size();
    copy(from, k.s);
    // Against k.last_v, not k.s[old - 1]: the copy's old end is cold in cache.
    for (std::size_t i = old; i < k.s.size(); ++i) {
      if (i > 0 && k.s[i].v < k.last_v) k.drop = k.base + i;
      k.last_v = k.s[i].v;
    }
  };
  if (!k.valid || start < k.from) {
    // A window reaching further back than this copy: read it again from the rings.
    k.s.clear();
    k.head = 0;
    k.base = 0;
    k.drop = 0;
    k.from = start;
    append(start);
    k.valid = true;
  } else if (k.upto < last) {
    append(k.upto + core::Duration{1});
  }
  k.upto = last;
  k.from = std::max(k.from, last - k.longest);
  const core::TimePoint keep = std::max(k.from, first);
  // The head (cold in cache unless this window starts there) moves on when this window
  // starts at or before `keep` (samples before `keep` must then not be returned), and every
  // kHeadEvery calls otherwise, to bound the copy: a window starting after `keep` gets the
  // same samples either way.
  if (start <= keep || ++k.calls % kHeadEvery == 0) {
    while (k.head < k.s.size() && k.s[k.head].t < keep)
      ++k.head;
    if (k.head > k.s.size() / 2) {
      k.s.erase(k.s.begin(), k.s.begin() + static_cast<std::ptrdiff_t>(k.head));
      k.base += k.head;
      k.head = 0;
    }
  }
  auto lo = window_start(k, start);
  auto hi = k.s.end();
  if (lo != hi && std::prev(hi)->t > end)
    hi = std::partition_point(lo, hi, [&](const promql::Sample& x) { return x.t <= end; });
  const std::size_t first_abs = k.base + static_cast<std::size_t>(lo - k.s.begin());
  const std::size_t end_abs = k.base + static_cast<std::size_t>(hi - k.s.begin());
  if (k.drop <= first_abs) {
    last_drop = 0;  // none after the window's first sample
  } else if (k.drop < end_abs) {
    last_drop = k.drop - first_abs;
  }
  return {lo, hi};
}

void WorldSeriesSource::check_limits(core::TimePoint last) const {
  auto each = [&](auto f) {
    for (MetricRows& mr : rows_)
      if (mr.follows_limit) f(mr);
  };
  // Every service's memory limit as the limit series' latest row gives it (the same at every
  // tick the rings hold: PromExport::value reads the current limit).
  bool full = limit_row_ != kNoRows && rows_[limit_row_].ok;
  if (full) {
    const auto& series = rows_[limit_row_].series;
    limits_now_.assign(series.size(), 0.0);
    full = world_.prom_row(series, last, limits_now_.data()) == sim::PromRow::kFull;
  }
  if (!full) {  // no way to tell a change: read the memory series from the rings from now on
    each([](MetricRows& mr) { mr.ok = false; });
    return;
  }
  if (limits_.size() == limits_now_.size() &&
      std::memcmp(limits_.data(), limits_now_.data(), limits_.size() * sizeof(double)) == 0)
    return;
  each([](MetricRows& mr) { mr.rows.reset(); });
  limits_.swap(limits_now_);
}

void WorldSeriesSource::select(
    std::span<const promql::Matcher> matchers, core::TimePoint start, core::TimePoint end,
    const std::function<void(const promql::Labels&, std::span<const promql::Sample>)>& visit)
    const {
  std::vector<promql::Sample> copy;
  select_series(matchers, start, end, [&](const promql::SeriesView& v) {
    if (v.grid.empty()) return visit(v.labels, v.samples);
    copy.clear();
    for (const promql::Sample s : v.grid)
      copy.push_back(s);
    visit(v.labels, copy);
  });
}

void WorldSeriesSource::select_series(std::span<const promql::Matcher> matchers,
                                      core::TimePoint start, core::TimePoint end,
                                      const SeriesVisit& visit) const {
  const Selection& selection = matching(matchers);
  const auto kept = world_.prom_kept();
  const bool any = kept && end >= start;
  if (any) {
    bool checked = false;
    for (const std::size_t r : selection.rows) {
      MetricRows& mr = rows_[r];
      if (mr.follows_limit && mr.ok && !checked) {
        check_limits(kept->second);
        checked = true;
      }
      if (!mr.ok) continue;
      mr.ok = mr.rows.update(start, kept->first, kept->second, [&](core::TimePoint t, double* row) {
        return world_.prom_row(mr.series, t, row);
      });
    }
  }
  // A metric's window rows are derived once for its columns (a selection's series of one
  // metric are consecutive).
  std::size_t spanned = kNoRows;
  SeriesRows::Rows span;
  for (const Entry& e : selection.series) {
    std::size_t last_drop = 0;
    if (e.row != kNoRows && rows_[e.row].ok) {
      if (!any) continue;
      const SeriesRows& rows = rows_[e.row].rows;
      if (e.row != spanned) {
        span = rows.span(start, end, kept->first);
        spanned = e.row;
      }
      const auto grid = rows.column(e.column, span, last_drop);
      if (!grid.empty()) visit(promql::SeriesView{labels_[e.index], {}, e.id, last_drop, grid});
      continue;
    }
    const auto s = samples(e.index, start, end, last_drop);
    if (!s.empty()) visit(promql::SeriesView{labels_[e.index], s, e.id, last_drop});
  }
}

engine::ServiceSignals PromqlTelemetry::signals(const engine::ServiceRef& service,
                                                core::Duration window) {
  if (signal_queries_ == nullptr) return inner_.signals(service, window);
  return engine::signals_from_queries([&](const std::string& name) -> std::optional<double> {
    auto it = signal_queries_->find(name);
    if (it == signal_queries_->end() || it->second.empty()) return std::nullopt;
    return answer(engine::expand_promql_template(it->second, service, window));
  });
}

std::optional<double> PromqlTelemetry::query(const std::string& expr,
                                             const engine::ServiceRef& service) {
  return answer(engine::expand_promql_template(expr, service, kPromqlCheckWindow));
}

std::optional<double> PromqlTelemetry::answer(const std::string& text) {
  auto [it, fresh] = parsed_.try_emplace(text);
  if (fresh) {
    // The policy loader parsed the template already; an expansion that does not parse
    // (a label value breaking a regex) answers nothing, like a failed live query.
    auto e = promql::parse(text);
    if (e) it->second = *e;
  }
  if (!it->second) return std::nullopt;
  auto v = promql::evaluate(*it->second, source_, world_.now());
  if (!v) return std::nullopt;
  std::optional<double> best;
  if (v->kind == promql::Value::Kind::kScalar) {
    best = v->scalar;
  } else {
    for (const auto& s : v->vector)
      if (!std::isnan(s.value) && (!best || s.value > *best)) best = s.value;
  }
  if (best && std::isnan(*best)) return std::nullopt;
  return best;
}

}  // namespace selfheal::scenario
