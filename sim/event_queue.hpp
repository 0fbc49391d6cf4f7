// Pending events ordered by (time, insertion sequence), with O(1) cancel.
//
// Layout: a 4-ary min-heap of 24-byte trivially copyable keys {time, seq, slot}; the
// callbacks live apart in a slot table reused through a free list, so sifting moves only
// small keys. Cancel marks the slot dead (lazy deletion); dead keys are skipped on pop.
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "core/time.hpp"

namespace selfheal::sim {

/// Identifies a scheduled event: (generation << 32 | slot); 0 is never a valid id.
using EventId = std::uint64_t;

class EventQueue {
 public:
  using Callback = std::function<void()>;

  /// Adds an event. Equal times pop in push order.
  EventId push(core::TimePoint t, Callback cb);
  /// Cancels a pending event. False when it already ran, was cancelled, or never existed.
  bool cancel(EventId id);
  /// True when no live event is pending.
  bool empty() const { return live_ == 0; }
  /// Number of live (not cancelled) pending events.
  std::size_t size() const { return live_; }
  /// Time of the earliest live event. Precondition: !empty().
  core::TimePoint next_time();
  /// Removes the earliest live event and returns its callback and time.
  /// Precondition: !empty().
  Callback pop(core::TimePoint* when);

 private:
  struct Key {
    std::int64_t time_ms;
    std::uint64_t seq;
    std::uint32_t slot;
    std::uint32_t generation;
  };
  struct Slot {
    Callback cb;
    std::uint32_t generation = 1;
    bool live = false;
  };

  static bool before(const Key& a, const Key& b) {
    return a.time_ms < b.time_ms || (a.time_ms == b.time_ms && a.seq < b.seq);
  }
  void sift_up(std::size_t i);
  void sift_down(std::size_t i);
  void pop_key();
  void drop_dead_top();

  std::vector<Key> heap_;
  std::vector<Slot> slots_;
  std::vector<std::uint32_t> free_;
  std::uint64_t next_seq_ = 0;
  std::size_t live_ = 0;
};

}  // namespace selfheal::sim
