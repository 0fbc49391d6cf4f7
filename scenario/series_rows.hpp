// Series of one metric side by side, one row per scrape tick (time-major, as the world's own
// rings): what WorldSeriesSource keeps of the world's samples to hand the evaluator strided
// views (promql::SampleGrid). Appending a tick writes one row and reading a window's ends
// reads two rows for every series of the metric, a few cache lines where a copy per series
// touched two lines per series (bench/README.md, "Rule evaluation carries label-set ids and
// reads rows").
//
//   SeriesRows rows{columns, 15s};
//   if (rows.update(start, first_kept, last_tick, read))        // read: World::prom_row
//     grid = rows.window(column, start, end, first_kept, last_drop);
//
// Ownership: owns its rows; a grid is valid until the next update. Single-threaded (window
// remembers its last rows in a mutable member).
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <vector>

#include "core/time.hpp"
#include "promql/promql.hpp"
#include "sim/prom_series.hpp"

namespace selfheal::scenario {

class SeriesRows {
 public:
  /// Writes every column's sample at tick `t` into row[column] and says whether every
  /// column, none or only some have one there (World::prom_row of the columns' series):
  /// one call per tick for all the columns.
  using Reader = std::function<sim::PromRow(core::TimePoint t, double* row)>;

  /// `columns` series sampled every `step` (> 0).
  SeriesRows(std::size_t columns, core::Duration step);

  /// Brings the rows up to the source's ticks [first, last] (every `step` back from `last`)
  /// for a window starting at `start`: appends the new ticks, or reads every column again
  /// from `start` when the window reaches further back than the rows kept. Rows are kept back
  /// to the longest window asked. False, for good, when a column misses a tick another has,
  /// or the columns miss a tick between two they have (then rows cannot hold them).
  bool update(core::TimePoint start, core::TimePoint first, core::TimePoint last,
              const Reader& read);

  /// Column `column`'s samples in [start, end], none before `first` (the source's oldest
  /// tick), as the Reader would give them; after an update for a window starting at or
  /// before `start`. `last_drop` as promql::SeriesView's: the index in the grid of the last
  /// sample below its predecessor, 0 when none is, SeriesView::kUnknown when one lies past
  /// the grid's end.
  promql::SampleGrid window(std::size_t column, core::TimePoint start, core::TimePoint end,
                            core::TimePoint first, std::size_t& last_drop) const;

  /// The rows of a window [start, end] (none before `first`), shared by every column: what
  /// window() derives once per window, for a caller visiting many columns (span() once,
  /// then column() per column gives what window() gives). Valid until the next update.
  struct Rows {
    std::size_t lo = 0, hi = 0;  ///< rows [lo, hi)
  };
  Rows span(core::TimePoint start, core::TimePoint end, core::TimePoint first) const;
  promql::SampleGrid column(std::size_t col, Rows rows, std::size_t& last_drop) const {
    last_drop = promql::SeriesView::kUnknown;
    if (rows.hi <= rows.lo) return {};
    const std::size_t d = drop_[col];
    if (d <= base_ + rows.lo) {
      last_drop = 0;  // none after the window's first sample
    } else if (d < base_ + rows.hi) {
      last_drop = d - base_ - rows.lo;
    }
    return {buf_.data() + rows.lo * width_ + col, static_cast<std::ptrdiff_t>(width_),
            t0_ + step_ * static_cast<std::int64_t>(rows.lo), step_, rows.hi - rows.lo};
  }

  /// Forgets the rows: the next update reads every column again (the source's past samples
  /// changed). A refusal (update's false) stays.
  void reset() { valid_ = false; }

  /// Rows held (dropped rows are compacted away lazily).
  std::size_t rows() const { return rows_; }

 private:
  /// Appends the rows of the ticks in [from, last] that are at or after `first`.
  bool append(core::TimePoint from, core::TimePoint first, core::TimePoint last,
              const Reader& read);
  /// Drops the rows before `keep` once they are more than half of those held.
  void compact(core::TimePoint keep);
  /// The number of rows before time `t` (clamped to [0, rows_]).
  std::size_t rows_before(core::TimePoint t) const;

  std::size_t width_;
  core::Duration step_;
  std::vector<double> buf_;        ///< row-major: row r, column c at buf_[r * width_ + c]
  std::size_t rows_ = 0;           ///< rows in buf_
  core::TimePoint t0_;             ///< row 0's tick
  std::size_t base_ = 0;           ///< row 0's number, counting rows since the last rebuild
  core::TimePoint from_;           ///< the earliest instant the rows answer for
  core::TimePoint upto_;           ///< the latest tick read
  core::Duration longest_{0};      ///< the longest window asked
  std::vector<std::size_t> drop_;  ///< per column: the number of its last row below the one before
  bool valid_ = false;
  bool broken_ = false;
  /// The rows of the last window asked, for the same window of the next column: its rows
  /// [lo, hi) follow from (start, end, first) and the rows held (t0_, rows_) alone.
  struct Span {
    core::TimePoint start, end, first, t0;
    std::size_t rows = static_cast<std::size_t>(-1), lo = 0, hi = 0;
  };
  mutable Span span_;
};

}  // namespace selfheal::scenario
