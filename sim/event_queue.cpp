// Why this shape: in a discrete-event simulation the queue is the inner loop. Keys are
// 24 bytes and trivially copyable, so a sift is a handful of compares and plain stores;
// with four children per node the tree is half as deep as a binary heap and the children of
// a node sit next to each other in memory. Callbacks never move during a sift.
#include "sim/event_queue.hpp"

#include <algorithm>
#include <limits>
#include <stdexcept>

namespace selfheal::sim {

namespace {
constexpr std::size_t kArity = 4;
// Compaction threshold: below this many dead keys lazy deletion is always cheaper.
constexpr std::size_t kMinDeadForCompaction = 64;
}  // namespace

std::uint32_t EventQueue::acquire_slot() {
  if (!free_.empty()) {
    const std::uint32_t slot = free_.back();
    free_.pop_back();
    return slot;
  }
  if (slot_count_ == std::numeric_limits<std::uint32_t>::max()) {
    throw std::length_error("EventQueue: more than 2^32-1 pending events");
  }
  if (slot_count_ % kChunkSize == 0) {
    // free_ must be able to hold every slot so that pop() and cancel() never allocate.
    free_.reserve(static_cast<std::size_t>(slot_count_) + kChunkSize);
    chunks_.reserve(chunks_.size() + 1);
    chunks_.push_back(std::make_unique<Slot[]>(kChunkSize));
  }
  return slot_count_++;
}

EventId EventQueue::push(core::TimePoint t, Callback cb) {
  const std::uint32_t slot = acquire_slot();
  Slot& s = slot_at(slot);
  // Moving a callable may run a destructor of user code, which may push or cancel: the slot
  // is neither free nor live yet, so nothing else can touch it.
  s.cb = std::move(cb);
  if (!hole_ && heap_.size() == heap_.capacity()) {
    try {
      heap_.reserve(std::max<std::size_t>(64, heap_.capacity() * 2));
    } catch (...) {
      s.cb = nullptr;
      free_.push_back(slot);
      throw;
    }
  }
  s.live = true;
  const Key k{t.time_since_epoch().count(), next_seq_++, slot, s.generation};
  ++live_;
  if (hole_) {
    hole_ = false;
    sift_down(0, k);
  } else {
    heap_.push_back(k);
    sift_up(heap_.size() - 1, k);
  }
  return (static_cast<EventId>(s.generation) << 32) | slot;
}

bool EventQueue::cancel(EventId id) {
  const auto slot = static_cast<std::uint32_t>(id & 0xffffffffu);
  const auto generation = static_cast<std::uint32_t>(id >> 32);
  if (slot >= slot_count_) return false;
  Slot& s = slot_at(slot);
  if (!s.live || s.generation != generation) return false;
  // Make the queue consistent first (the id is dead, its heap key stale), then destroy the
  // callback: destructors of captured objects may push or cancel. The slot joins the free
  // list only afterwards, so such a push cannot reuse it mid-destruction.
  s.live = false;
  if (++s.generation == 0) s.generation = 1;
  --live_;
  ++dead_;
  s.cb = nullptr;
  free_.push_back(slot);
  if (dead_ >= kMinDeadForCompaction && dead_ > live_) compact();
  return true;
}

core::TimePoint EventQueue::next_time() {
  if (live_ == 0) throw std::out_of_range("EventQueue::next_time on an empty queue");
  fill_hole();
  drop_dead_top();
  return core::TimePoint{core::Duration{heap_.front().time_ms}};
}

EventQueue::Callback EventQueue::pop(core::TimePoint* when) {
  if (live_ == 0) throw std::out_of_range("EventQueue::pop on an empty queue");
  fill_hole();
  drop_dead_top();
  const Key top = heap_.front();
  Slot& s = slot_at(top.slot);
  s.live = false;
  if (++s.generation == 0) s.generation = 1;
  --live_;
  hole_ = true;
  if (when != nullptr) *when = core::TimePoint{core::Duration{top.time_ms}};
  Callback cb = std::move(s.cb);  // may run user code; the queue is consistent
  free_.push_back(top.slot);
  return cb;
}

void EventQueue::reserve(std::size_t n) {
  heap_.reserve(n);
  chunks_.reserve((n + kChunkSize - 1) / kChunkSize);
  free_.reserve(((n + kChunkSize - 1) / kChunkSize) * kChunkSize);
}

void EventQueue::sift_up(std::size_t i, Key k) {
  Key* h = heap_.data();
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!before(k, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = k;
}

void EventQueue::sift_down(std::size_t i, Key k) {
  Key* h = heap_.data();
  const std::size_t n = heap_.size();
  for (;;) {
    const std::size_t first = kArity * i + 1;
    if (first >= n) break;
    std::size_t best = first;
    if (first + kArity <= n) {
      // All four children present: a fixed-shape tournament the compiler unrolls.
      const std::size_t b01 = before(h[first + 1], h[first]) ? first + 1 : first;
      const std::size_t b23 = before(h[first + 3], h[first + 2]) ? first + 3 : first + 2;
      best = before(h[b23], h[b01]) ? b23 : b01;
    } else {
      for (std::size_t c = first + 1; c < n; ++c) {
        if (before(h[c], h[best])) best = c;
      }
    }
    if (!before(h[best], k)) break;
    h[i] = h[best];
    i = best;
  }
  h[i] = k;
}

void EventQueue::fill_hole() {
  if (!hole_) return;
  hole_ = false;
  const Key last = heap_.back();
  heap_.pop_back();
  if (!heap_.empty()) sift_down(0, last);
}

void EventQueue::drop_dead_top() {
  while (!heap_.empty() && !is_live(heap_.front())) {
    const Key last = heap_.back();
    heap_.pop_back();
    --dead_;
    if (!heap_.empty()) sift_down(0, last);
  }
}

void EventQueue::compact() {
  fill_hole();
  std::erase_if(heap_, [this](const Key& k) { return !is_live(k); });
  dead_ = 0;
  // Floyd's bottom-up heap construction. The order is a strict total order on (time, seq),
  // so the rebuilt heap pops exactly the same sequence as before.
  if (heap_.size() > 1) {
    for (std::size_t i = (heap_.size() - 2) / kArity + 1; i-- > 0;)
      sift_down(i, heap_[i]);
  }
}

}  // namespace selfheal::sim
