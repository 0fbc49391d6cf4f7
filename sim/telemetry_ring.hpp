// The telemetry ring: the last `slots` scrape ticks of every service at full resolution,
// what the Telemetry port and the alert rules read. One preallocated array
// [slot * services + service], so a tick writes one contiguous row; nothing allocates
// after reset(). Internal to sim/ (part of the world's telemetry, sim/telemetry.cpp).
//
//   TelemetryRing ring;
//   ring.reset(/*slots=*/482, /*services=*/200);
//   ring.advance();                       // a new tick
//   ring.latest(svc) = sample;            // this tick's values of service svc
//   const Sample& a = ring.back(svc, 4);  // four ticks earlier (zero before the start)
#pragma once

#include <cstddef>
#include <vector>

#include "sim/model_types.hpp"

namespace selfheal::sim::model {

/// A ring of `T` per service per tick (T is a plain value, zero-initialised). The
/// telemetry ring holds `Sample`s; the Prometheus counters (sim/prom_series.cpp) use the
/// same layout for their cumulative values.
template <class T>
class BasicRing {
 public:
  /// Empties the ring and sizes it for `slots` ticks (>= 1) of `services` services.
  void reset(std::size_t slots, std::size_t services) {
    len_ = slots;
    services_ = services;
    head_ = 0;
    filled_ = 0;
    samples_.assign(len_ * services_, T{});
  }

  /// Starts a new tick: the oldest slot becomes the latest (its old values are overwritten
  /// by the tick's writes to latest()).
  void advance() {
    head_ = (head_ + 1) % len_;
    if (filled_ < len_) ++filled_;
  }

  /// The latest tick's sample of `service`, to write.
  T& latest(std::size_t service) { return samples_[head_ * services_ + service]; }
  /// The same, to read: back(service, 0) (before the first advance() both are zero samples).
  const T& latest(std::size_t service) const { return samples_[head_ * services_ + service]; }

  /// The sample `back` ticks before the latest (0 = the latest); a zero sample for ticks
  /// before the first one kept.
  const T& back(std::size_t service, std::size_t back) const {
    static const T kZero{};
    if (back >= filled_) return kZero;
    const std::size_t slot = head_ >= back ? head_ - back : head_ + len_ - back;
    return samples_[slot * services_ + service];
  }

  /// Ticks kept so far (at most the slots given to reset()).
  std::size_t filled() const { return filled_; }

 private:
  std::size_t len_ = 0;
  std::size_t services_ = 0;
  std::size_t head_ = 0;  // slot of the latest tick
  std::size_t filled_ = 0;
  std::vector<T> samples_;
};

using TelemetryRing = BasicRing<Sample>;

}  // namespace selfheal::sim::model
