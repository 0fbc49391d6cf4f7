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

bool SeriesRows::rebuild(core::TimePoint start, core::TimePoint last, const Reader& read) {
  buf_.clear();
  rows_ = 0;
  base_ = 0;
  std::fill(drop_.begin(), drop_.end(), 0);
  for (std::size_t c = 0; c < width_; ++c) {
    points_.clear();
    read(c, start, last, points_);
    if (c == 0) {
      rows_ = points_.size();
      buf_.resize(rows_ * width_);
      if (rows_ > 0) t0_ = points_.front().t;
    }
    if (points_.size() != rows_) return false;
    for (std::size_t r = 0; r < rows_; ++r) {
      if (points_[r].t != t0_ + step_ * static_cast<std::int64_t>(r)) return false;
      buf_[r * width_ + c] = points_[r].v;
      if (r > 0 && points_[r].v < points_[r - 1].v) drop_[c] = r;
    }
  }
  return true;
}

bool SeriesRows::append(core::TimePoint last, const Reader& read) {
  const std::size_t old = rows_;
  std::size_t added = 0;
  for (std::size_t c = 0; c < width_; ++c) {
    points_.clear();
    read(c, upto_ + core::Duration{1}, last, points_);
    if (c == 0) {
      added = points_.size();
      if (old == 0 && added > 0) t0_ = points_.front().t;
      buf_.resize((old + added) * width_);
      rows_ = old + added;
    }
    if (points_.size() != added) return false;
    for (std::size_t i = 0; i < added; ++i) {
      const std::size_t r = old + i;
      if (points_[i].t != t0_ + step_ * static_cast<std::int64_t>(r)) return false;
      const double v = points_[i].v;
      buf_[r * width_ + c] = v;
      if (r > 0 && v < buf_[(r - 1) * width_ + c]) drop_[c] = base_ + r;
    }
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
    broken_ = !rebuild(start, last, read);
  } else if (upto_ < last) {
    broken_ = !append(last, read);
  }
  if (broken_) return false;
  upto_ = last;
  from_ = std::max(from_, last - longest_);
  compact(std::max(from_, first));
  return true;
}

promql::SampleGrid SeriesRows::window(std::size_t column, core::TimePoint start,
                                      core::TimePoint end, core::TimePoint first,
                                      std::size_t& last_drop) const {
  last_drop = promql::SeriesView::kUnknown;
  const std::size_t lo = rows_before(std::max(start, first));
  const std::size_t hi = end < t0_ ? 0 : rows_before(end + core::Duration{1});
  if (hi <= lo) return {};
  const std::size_t d = drop_[column];
  if (d <= base_ + lo) {
    last_drop = 0;  // none after the window's first sample
  } else if (d < base_ + hi) {
    last_drop = d - base_ - lo;
  }
  return {buf_.data() + lo * width_ + column, static_cast<std::ptrdiff_t>(width_),
          t0_ + step_ * static_cast<std::int64_t>(lo), step_, hi - lo};
}

}  // namespace selfheal::scenario
