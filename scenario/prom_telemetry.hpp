// PromQL in the simulator: the world's Prometheus series (sim/prom_series.hpp) as a
// `promql::SeriesSource`, and a Telemetry port that answers the policy's `promql:` checks by
// evaluating them at the simulation's clock (docs/prometheus-series.md).
//
//   sim::WorldOptions o;
//   o.prometheus_series = true;           // uses_promql(policies) says when
//   sim::World world{spec, seed, o};
//   WorldSeriesSource source{world};
//   PromqlTelemetry telemetry{world.context().telemetry, source, world};
//   // telemetry.query("sum(rate(http_requests_total{service=\"{service}\"}[{window}]))", svc)
//
// Ownership: both keep references; the world outlives them. Single-threaded, like the world
// (select caches its label matching in mutable members).
#pragma once

#include <map>
#include <optional>
#include <span>
#include <string>
#include <unordered_map>
#include <vector>

#include "engine/policy.hpp"
#include "engine/ports.hpp"
#include "engine/signal_queries.hpp"
#include "promql/promql.hpp"
#include "scenario/series_rows.hpp"
#include "sim/world.hpp"

namespace selfheal::scenario {

/// The `{window}` a `promql:` check's template gets in the simulator: live's default
/// `prometheus.window` (docs/live.md), so a check means the same in both.
inline constexpr core::Duration kPromqlCheckWindow = std::chrono::minutes(5);

/// Whether any policy has a `promql:` verification check (the world must then publish
/// its Prometheus series).
bool uses_promql(const engine::PolicySet& policies);

class WorldSeriesSource final : public promql::SeriesSource {
 public:
  explicit WorldSeriesSource(const sim::World& world);
  /// `o`'s matchings and kept samples, for `world`: a copy of o's world as it is now
  /// (WorldRunner::fork), whose rings hold what o's hold. It answers as `o` would, without
  /// copying the samples out of the rings again.
  WorldSeriesSource(const WorldSeriesSource& o, const sim::World& world);

  /// Matching is done once per distinct selector (the catalogue never changes during a
  /// run) and cached. Samples are copied out of the world's rings once: each metric's series
  /// are kept side by side, one row per tick (SeriesRows), back to the longest window asked
  /// of the metric (bounded by what the rings keep), new ticks are appended as the world
  /// runs, and `visit` gets a strided view of the rows (SeriesView::grid). A series whose
  /// ticks are irregular (the last-terminated reason, present only after an OOM kill) keeps a
  /// copy of its own instead (SeriesView::samples). The two memory series, whose old samples
  /// follow the service's current memory limit, are kept in rows too, read again whenever a
  /// limit differs from the one they were read with (check_limits).
  void select(std::span<const promql::Matcher> matchers, core::TimePoint start, core::TimePoint end,
              const std::function<void(const promql::Labels&, std::span<const promql::Sample>)>&
                  visit) const override;

  /// As select; last_drop is tracked as the copies grow. Ids are the catalogue's indices
  /// renumbered metric by metric (id(i)): a metric's series have consecutive ids in
  /// catalogue order, so what an evaluation keeps per id (an aggregation's group keys, label
  /// set ids) is read in order, not one cache line per series. `visit` gets a grid
  /// (SeriesView::grid) or a span, as said above.
  void select_series(std::span<const promql::Matcher> matchers, core::TimePoint start,
                     core::TimePoint end, const SeriesVisit& visit) const override;

  /// Every series' labels, in the world's catalogue order.
  const std::vector<promql::Labels>& labels() const { return labels_; }
  /// The id (SeriesView::id) of the world's series `index` (prom_series()[index]).
  std::size_t id(std::size_t index) const { return id_[index]; }

 private:
  /// One series a selector matches, with what select_series reads of it side by side (was:
  /// three lookups by catalogue index, a cache line each, series of a metric being 25 apart).
  struct Entry {
    std::size_t index;   ///< in the catalogue
    std::size_t id;      ///< id(index)
    std::size_t row;     ///< row_of_[index]: index in rows_, or kNoRows
    std::size_t column;  ///< and the column there
  };
  /// The series a selector matches, and the rows (indices in rows_) they are kept in.
  struct Selection {
    std::vector<Entry> series;
    std::vector<std::size_t> rows;
  };
  const Selection& matching(std::span<const promql::Matcher> matchers) const;

  /// Series `index`'s samples in [start, end] (see select), or an empty span; `last_drop`
  /// as SeriesView's.
  std::span<const promql::Sample> samples(std::size_t index, core::TimePoint start,
                                          core::TimePoint end, std::size_t& last_drop) const;

  /// A series' copied samples: every sample the rings keep at or after `from`, up to `upto`,
  /// ascending, in `s` from `head` on (the front is dropped lazily).
  struct Kept {
    std::vector<promql::Sample> s;
    std::size_t head = 0;
    core::TimePoint from, upto;
    core::Duration longest{0};  ///< the longest window asked: how far back `from` stays
    std::size_t base = 0;       ///< s[0]'s number, counting every sample kept since the last read
    std::size_t drop = 0;       ///< the number of the last sample below its predecessor, or 0
    std::size_t calls = 0;      ///< calls since the head last moved on (see samples)
    double last_v = 0;          ///< the value of the last sample copied
    bool valid = false;
  };

  /// How often the head moves on for windows shorter than the longest (see samples).
  static constexpr std::size_t kHeadEvery = 64;
  /// The first sample of `k` at or after `start` (k.s.end() when none).
  static std::vector<promql::Sample>::iterator window_start(Kept& k, core::TimePoint start);

  const sim::World& world_;
  std::vector<promql::Labels> labels_;
  std::vector<bool> volatile_;  ///< read from the rings on every call (see select)
  mutable std::vector<Kept> kept_;
  std::unordered_map<std::string, std::vector<std::size_t>> by_name_;
  mutable std::map<std::string, Selection> selections_;
  /// Per metric kept in rows, its rows and its series (catalogue indices, the columns).
  struct MetricRows {
    SeriesRows rows;
    std::vector<std::size_t> series;
    bool ok = true;  ///< false once the rows cannot hold the metric (copies are kept instead)
    /// A memory metric: its old samples follow the service's current memory limit, so its
    /// rows are read again when a limit changes (check_limits).
    bool follows_limit = false;
  };
  /// Before the memory metrics' rows are brought up to tick `last`: when a service's memory
  /// limit differs from the one the rows were read with, they are read again (reset); when
  /// the limits cannot be read in one full row, the memory series leave the rows for good
  /// (read from the rings on each call, as `samples` does for volatile series).
  void check_limits(core::TimePoint last) const;
  mutable std::vector<MetricRows> rows_;
  /// Per series: (index in rows_, column), or kNoRows for the series kept as copies.
  std::vector<std::pair<std::size_t, std::size_t>> row_of_;
  static constexpr std::size_t kNoRows = static_cast<std::size_t>(-1);
  std::size_t limit_row_ = kNoRows;         ///< the memory limit's index in rows_
  mutable std::vector<double> limits_;      ///< the limits the memory rows were read with
  mutable std::vector<double> limits_now_;  ///< check_limits' buffer
  std::vector<std::size_t> id_;             ///< per series: its id (see select_series)
  mutable std::vector<sim::PromPoint> points_;
  mutable std::vector<promql::Sample> samples_;
};

/// query() expands the check's template for the service (window kPromqlCheckWindow),
/// evaluates it at `world.now()` and answers as live does: a scalar, or the largest value of
/// a vector; nullopt for an empty vector or NaN. signals() forwards to `inner` (the model's
/// own values), unless `signal_queries` is given (a scenario's `signals: {serve_config:}`,
/// scenario/serve_signals.hpp): then each signal is its template, expanded for the service
/// and the engine's window and answered the same way, as `selfheal serve` builds them
/// (engine::signals_from_queries).
class PromqlTelemetry final : public engine::Telemetry {
 public:
  PromqlTelemetry(engine::Telemetry& inner, const promql::SeriesSource& source,
                  const sim::World& world, const engine::SignalQueries* signal_queries = nullptr)
      : inner_(inner), source_(source), world_(world), signal_queries_(signal_queries) {}
  /// `o`'s parsed queries, on other ports (a fork's: WorldRunner::fork).
  PromqlTelemetry(const PromqlTelemetry& o, engine::Telemetry& inner,
                  const promql::SeriesSource& source, const sim::World& world)
      : inner_(inner),
        source_(source),
        world_(world),
        signal_queries_(o.signal_queries_),
        parsed_(o.parsed_) {}

  engine::ServiceSignals signals(const engine::ServiceRef& service, core::Duration window) override;
  std::optional<double> query(const std::string& expr, const engine::ServiceRef& service) override;

 private:
  /// The expanded PromQL `text` evaluated now, reduced as live reduces an answer.
  std::optional<double> answer(const std::string& text);

  engine::Telemetry& inner_;
  const promql::SeriesSource& source_;
  const sim::World& world_;
  const engine::SignalQueries* signal_queries_;                // null: the model's values
  std::map<std::string, std::optional<promql::Expr>> parsed_;  // by expanded text
};

}  // namespace selfheal::scenario
