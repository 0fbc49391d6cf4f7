// Rows live in one vector, oldest first; dropped rows are erased in one move once they are
// half of it (amortised O(1) per row), so a window is always one strided run of memory.
// Counter resets are noted as rows are appended, against the row before (in cache).
#include "scenario/series_rows.hpp"

#include <algorithm>

namespace selfheal::scenario {

SeriesRows::SeriesRows(std::size_t columns, core::Duration step)
    : width_(columns), step_(step), drop_(columns, 0) {}

std::size_t SeriesRows::rows_before(core::TimePoint t) const {
  if (t <= t0_) return 0;
  const auto n = static_cast<std::size_t>((t - t0_ + step_ - core::Duration{1}) / step_);
  return std::min(n, rows_);
}

bool SeriesRows::append(core::TimePoint from, core::TimePoint first, core::TimePoint last,
                        const Reader& read) {
  const core::TimePoint lo = std::max(from, first);
  if (lo > last) return true;
  for (std::int64_t back = (last - lo) / step_; back >= 0; --back) {
    const core::TimePoint t = last - step_ * back;
    buf_.resize((rows_ + 1) * width_);
    double* row = buf_.data() + rows_ * width_;
    const sim::PromRow got = read(t, row);
    if (got == sim::PromRow::kPartial) return false;
    if (got == sim::PromRow::kNone) {
      buf_.resize(rows_ * width_);
      continue;
    }
    if (rows_ == 0) {
      t0_ = t;
    } else if (t != t0_ + step_ * static_cast<std::int64_t>(rows_)) {
      return false;  // the columns miss the ticks between
    }
    if (rows_ > 0) {
      const double* before = row - width_;
      for (std::size_t c = 0; c < width_; ++c)
        if (row[c] < before[c]) drop_[c] = base_ + rows_;
    }
    ++rows_;
  }
  return true;
}

void SeriesRows::compact(core::TimePoint keep) {
  const std::size_t n = rows_before(keep);
  if (n == 0 || n <= rows_ / 2) return;
  buf_.erase(buf_.begin(), buf_.begin() + static_cast<std::ptrdiff_t>(n * width_));
  rows_ -= n;
  base_ += n;
  t0_ += step_ * static_cast<std::int64_t>(n);
}

bool SeriesRows::update(core::TimePoint start, core::TimePoint first, core::TimePoint last,
                        const Reader& read) {
  if (broken_) return false;
  longest_ = std::max(longest_, last - start);
  if (!valid_ || start < from_) {
    // A window reaching further back than these rows: read them again from the source.
    from_ = start;
    valid_ = true;
    buf_.clear();
    rows_ = 0;
    base_ = 0;
    std::fill(drop_.begin(), drop_.end(), 0);
    broken_ = !append(start, first, last, read);
  } else if (upto_ < last) {
    broken_ = !append(upto_ + core::Duration{1}, first, last, read);
  }
  if (broken_) return false;
  upto_ = last;
  from_ = std::max(from_, last - longest_);
  compact(std::max(from_, first));
  return true;
}

SeriesRows::Rows SeriesRows::span(core::TimePoint start, core::TimePoint end,
                                  core::TimePoint first) const {
  Span& sp = span_;
  if (sp.rows != rows_ || sp.t0 != t0_ || sp.start != start || sp.end != end || sp.first != first) {
    sp = {start,
          end,
          first,
          t0_,
          rows_,
          rows_before(std::max(start, first)),
          end < t0_ ? 0 : rows_before(end + core::Duration{1})};
  }
  return {sp.lo, sp.hi};
}

promql::SampleGrid SeriesRows::window(std::size_t column, core::TimePoint start,
                                      core::TimePoint end, core::TimePoint first,
                                      std::size_t& last_drop) const {
  return this->column(column, span(start, end, first), last_drop);
}

}  // namespace selfheal::scenario
