// Why this shape: in a discrete-event simulation the queue is the inner loop. Keys are
// 16 bytes and trivially copyable, so a sift is a handful of branch-free compares and plain
// stores; with four children per node the tree is half as deep as a binary heap and the
// children of a node share one cache line. Callbacks never move during a sift.
#include "sim/event_queue.hpp"

#include <algorithm>
#include <stdexcept>

namespace selfheal::sim {

namespace {
constexpr std::size_t kArity = 4;

// cond ? a : b without a branch (compilers turn a ternary on 128-bit values into jumps).
template <class K>
K select(bool cond, const K& a, const K& b) {
  const std::uint64_t mask = 0 - static_cast<std::uint64_t>(cond);
  return K{b.time ^ ((a.time ^ b.time) & mask), b.order ^ ((a.order ^ b.order) & mask)};
}

// Below this many dead keys lazy deletion is always cheaper than compacting.
constexpr std::size_t kMinDeadForCompaction = 64;
}  // namespace

std::uint32_t EventQueue::acquire_slot() {
  if (!free_.empty()) {
    const std::uint32_t slot = free_.back();
    free_.pop_back();
    return slot;
  }
  if (slot_count_ > kSlotMask) {
    throw std::length_error("EventQueue: more than 2^28 events pending at once");
  }
  if (slot_count_ % kChunkSize == 0) {
    // free_ must be able to hold every slot so that pop() and cancel() never allocate.
    free_.reserve(static_cast<std::size_t>(slot_count_) + kChunkSize);
    chunks_.reserve(chunks_.size() + 1);
    chunks_.push_back(std::make_unique<Slot[]>(kChunkSize));
  }
  return slot_count_++;
}

void EventQueue::free_slot(Slot& s) {
  s.order = kNoKey;
  // Invalidates the old id; generation 0 is skipped so that no id is ever 0.
  if (++s.generation == 0) s.generation = 1;
}

void EventQueue::grow_heap() {
  const std::size_t cap = heap_.capacity();
  heap_.reserve(std::max<std::size_t>(64, cap * 2));
  if (heap_.empty()) heap_.resize(kPad);
}

EventId EventQueue::push(core::TimePoint t, Callback&& cb) {
  if (next_seq_ == kSeqLimit) renumber();
  const std::uint32_t index = acquire_slot();
  Slot& s = slot_at(index);
  // Moving a callable may run a destructor of user code, which may push or cancel: the slot
  // is neither free nor pending yet, so nothing else can touch it.
  s.cb = std::move(cb);
  if (!hole_ && heap_.size() == heap_.capacity()) {
    try {
      grow_heap();
    } catch (...) {
      s.cb = nullptr;
      free_.push_back(index);
      throw;
    }
  }
  const Key k{static_cast<std::uint64_t>(t.time_since_epoch().count()) ^ kTimeBias,
              (next_seq_++ << kSlotBits) | index};
  s.order = k.order;
  ++live_;
  if (hole_) {
    hole_ = false;
    sift_down(0, k);
  } else {
    heap_.push_back(k);
    sift_up(heap_size() - 1, k);
  }
  return (static_cast<EventId>(s.generation) << 32) | index;
}

bool EventQueue::cancel(EventId id) {
  const auto index = static_cast<std::uint32_t>(id & 0xffffffffu);
  const auto generation = static_cast<std::uint32_t>(id >> 32);
  if (index >= slot_count_) return false;
  Slot& s = slot_at(index);
  if (s.order == kNoKey || s.generation != generation) return false;
  // Make the queue consistent first (the id is dead, its heap key stale), then destroy the
  // callback: destructors of captured objects may push or cancel. The slot joins the free
  // list only afterwards, so such a push cannot reuse it mid-destruction.
  free_slot(s);
  --live_;
  ++dead_;
  s.cb = nullptr;
  free_.push_back(index);
  if (dead_ >= kMinDeadForCompaction && dead_ > live_) compact();
  return true;
}

core::TimePoint EventQueue::next_time() {
  if (live_ == 0) throw std::out_of_range("EventQueue::next_time on an empty queue");
  fill_hole();
  drop_dead_top();
  return core::TimePoint{core::Duration{static_cast<std::int64_t>(heap()[0].time ^ kTimeBias)}};
}

EventQueue::Callback EventQueue::pop(core::TimePoint* when) {
  if (live_ == 0) throw std::out_of_range("EventQueue::pop on an empty queue");
  fill_hole();
  drop_dead_top();
  const Key top = heap()[0];
  const std::uint32_t index = slot_of(top);
  Slot& s = slot_at(index);
  free_slot(s);
  --live_;
  hole_ = true;
  if (when != nullptr) {
    *when = core::TimePoint{core::Duration{static_cast<std::int64_t>(top.time ^ kTimeBias)}};
  }
  Callback cb = std::move(s.cb);  // may run user code; the queue is consistent
  free_.push_back(index);
  return cb;
}

void EventQueue::reserve(std::size_t n) {
  if (heap_.empty()) heap_.resize(kPad);
  heap_.reserve(n + kPad);
  chunks_.reserve((n + kChunkSize - 1) / kChunkSize);
  free_.reserve(((n + kChunkSize - 1) / kChunkSize) * kChunkSize);
}

void EventQueue::sift_up(std::size_t i, Key k) {
  Key* h = heap();
  while (i > 0) {
    const std::size_t parent = (i - 1) / kArity;
    if (!before(k, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = k;
}

void EventQueue::sift_down(std::size_t i, Key k) {
  // Bottom-up (Wegener): walk the hole down along the smallest children to a leaf without
  // comparing against k, then sift k up from there. A key placed at the root usually
  // belongs near the bottom (most of a heap is its last levels), so this saves a compare
  // per level and the unpredictable "stop here?" branch on the way down.
  Key* h = heap();
  const std::size_t n = heap_size();
  const std::size_t top = i;
  // Levels where all four children exist: load the four ranks at once and pick the
  // smallest with conditional moves on the values themselves (not on indices followed by
  // a reload), which keeps the load -> compare -> next address chain short. Which child
  // wins is a coin toss the branch predictor cannot learn, so there are no branches.
  while (kArity * i + kArity < n) {
    const Key* c = h + kArity * i + 1;
    const bool lt01 = before(c[1], c[0]);
    const bool lt23 = before(c[3], c[2]);
    const Key m01 = select(lt01, c[1], c[0]);
    const Key m23 = select(lt23, c[3], c[2]);
    const std::size_t j01 = lt01;
    const std::size_t j23 = 2 + static_cast<std::size_t>(lt23);
    const bool lt = before(m23, m01);
    const std::size_t j = j01 ^ ((j01 ^ j23) & (0 - static_cast<std::size_t>(lt)));
    h[i] = select(lt, m23, m01);
    i = kArity * i + 1 + j;
  }
  // The last, partial family (fewer than four children), if any.
  if (const std::size_t first = kArity * i + 1; first < n) {
    std::size_t best = first;
    for (std::size_t c = first + 1; c < n; ++c) {
      if (before(h[c], h[best])) best = c;
    }
    h[i] = h[best];
    i = best;
  }
  while (i > top) {
    const std::size_t parent = (i - 1) / kArity;
    if (!before(k, h[parent])) break;
    h[i] = h[parent];
    i = parent;
  }
  h[i] = k;
}

void EventQueue::fill_hole() {
  if (!hole_) return;
  hole_ = false;
  const Key last = heap_.back();
  heap_pop_back();
  if (heap_size() > 0) sift_down(0, last);
}

void EventQueue::drop_dead_top() {
  while (heap_size() > 0 && !is_live(heap()[0])) {
    const Key last = heap_.back();
    heap_pop_back();
    --dead_;
    if (heap_size() > 0) sift_down(0, last);
  }
}

void EventQueue::compact() {
  fill_hole();
  if (heap_size() == 0) return;
  heap_.erase(std::remove_if(heap_.begin() + kPad, heap_.end(),
                             [this](const Key& k) { return !is_live(k); }),
              heap_.end());
  dead_ = 0;
  // Floyd's bottom-up heap construction. The order is a strict total order on (time, seq),
  // so the rebuilt heap pops exactly the same sequence as before.
  const std::size_t n = heap_size();
  if (n > 1) {
    for (std::size_t i = (n - 2) / kArity + 1; i-- > 0;)
      sift_down(i, heap()[i]);
  }
}

void EventQueue::renumber() {
  // Dead keys go, the rest are sorted (a sorted array is a valid heap) and given the
  // sequence numbers 0..n-1 in the same relative order.
  compact();
  Key* h = heap();
  const std::size_t n = heap_size();
  std::sort(h, h + n, before);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t index = slot_of(h[i]);
    h[i].order = (static_cast<std::uint64_t>(i) << kSlotBits) | index;
    slot_at(index).order = h[i].order;
  }
  next_seq_ = n;
}

}  // namespace selfheal::sim
