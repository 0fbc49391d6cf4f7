// Why this shape: in a discrete-event simulation the queue is the inner loop. Keys are
// 16 bytes and trivially copyable, so a sift is a handful of branch-free compares and plain
// stores; with four children per node the tree is half as deep as a binary heap and the
// children of a node share one cache line. Callbacks never move during a sift.
#include "sim/event_queue.hpp"

#include <algorithm>
#include <cstdint>
#include <stdexcept>
#include <utility>

namespace selfheal::sim {

namespace {
constexpr std::size_t kArity = 4;

// Below this many dead keys lazy deletion is always cheaper than compacting.
constexpr std::size_t kMinDeadForCompaction = 64;

#if defined(__x86_64__) && !defined(SELFHEAL_NO_ASM)
#define SELFHEAL_SIFT_ASM 1
#else
// a < b on (time, order) as one 128-bit number: cmp + sbb, no branch. The portable path;
// the asan preset builds it (SELFHEAL_NO_ASM) so CI tests both.
__extension__ using U128 = unsigned __int128;
inline bool less(std::uint64_t at, std::uint64_t ao, std::uint64_t bt, std::uint64_t bo) {
  return ((static_cast<U128>(at) << 64) | ao) < ((static_cast<U128>(bt) << 64) | bo);
}
#endif

// (t, o, q) = (t2, o2, q2) when (t2, o2) < (t, o): the smaller of two keys and its address.
template <class P>
inline void min_key(std::uint64_t& t, std::uint64_t& o, P*& q, std::uint64_t t2, std::uint64_t o2,
                    P* q2) {
#if defined(SELFHEAL_SIFT_ASM)
  std::uint64_t scratch;
  __asm__(
      "cmp %[o], %[o2]\n\t"
      "mov %[t2], %[scratch]\n\t"
      "sbb %[t], %[scratch]\n\t"
      "cmovb %[t2], %[t]\n\t"
      "cmovb %[o2], %[o]\n\t"
      "cmovb %[q2], %[q]"
      : [t] "+r"(t), [o] "+r"(o), [q] "+r"(q), [scratch] "=&r"(scratch)
      : [t2] "r"(t2), [o2] "r"(o2), [q2] "r"(q2)
      : "cc");
#else
  if (less(t2, o2, t, o)) {
    t = t2;
    o = o2;
    q = q2;
  }
#endif
}
}  // namespace

EventQueue::~EventQueue() {
  if (heap_ != nullptr) ::operator delete (heap_ - kPad, std::align_val_t{64});
}

EventQueue::EventQueue(EventQueue&& o) noexcept
    : heap_(std::exchange(o.heap_, nullptr)),
      n_(std::exchange(o.n_, 0)),
      cap_(std::exchange(o.cap_, 0)),
      chunks_(std::move(o.chunks_)),
      slot_count_(std::exchange(o.slot_count_, 0)),
      free_head_(std::exchange(o.free_head_, kNoSlot)),
      next_seq_(std::exchange(o.next_seq_, 0)),
      live_(std::exchange(o.live_, 0)),
      dead_(std::exchange(o.dead_, 0)),
      hole_(std::exchange(o.hole_, false)) {
  o.chunks_.clear();
}

EventQueue& EventQueue::operator=(EventQueue&& o) noexcept {
  EventQueue tmp(std::move(o));
  std::swap(heap_, tmp.heap_);
  std::swap(n_, tmp.n_);
  std::swap(cap_, tmp.cap_);
  std::swap(chunks_, tmp.chunks_);
  std::swap(slot_count_, tmp.slot_count_);
  std::swap(free_head_, tmp.free_head_);
  std::swap(next_seq_, tmp.next_seq_);
  std::swap(live_, tmp.live_);
  std::swap(dead_, tmp.dead_);
  std::swap(hole_, tmp.hole_);
  return *this;  // tmp takes the old contents with it
}

std::uint32_t EventQueue::new_slot() {
  if (slot_count_ > kSlotMask) {
    throw std::length_error("EventQueue: more than 2^28 events pending at once");
  }
  if (slot_count_ % kChunkSize == 0) {
    chunks_.reserve(chunks_.size() + 1);
    chunks_.push_back(std::make_unique<Slot[]>(kChunkSize));
  }
  return slot_count_++;
}

void EventQueue::grow_heap(std::size_t min_cap) {
  const std::size_t cap = std::max({std::size_t{64}, cap_ * 2, min_cap});
  auto* buf = static_cast<Key*>(::operator new ((cap + kPad) * sizeof(Key), std::align_val_t{64}));
  if (heap_ != nullptr) {
    std::copy(heap_, heap_ + n_, buf + kPad);
    ::operator delete (heap_ - kPad, std::align_val_t{64});
  }
  heap_ = buf + kPad;
  cap_ = cap;
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
  retire(s);
  --live_;
  ++dead_;
  s.cb = nullptr;
  release_slot(index, s);
  if (dead_ >= kMinDeadForCompaction && dead_ > live_) compact();
  return true;
}

void EventQueue::reserve(std::size_t n) {
  if (n > cap_) grow_heap(n);
  chunks_.reserve((n + kChunkSize - 1) / kChunkSize);
}

void EventQueue::sift_up(std::size_t i, Key k) {
  Key* h = heap_;
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
  Key* h = heap_;
  const std::size_t n = n_;
  const std::size_t top = i;
  // Levels where all four children exist: a tournament of three 128-bit compares. Which
  // child wins is a coin toss the branch predictor cannot learn, so the winner must be
  // picked with conditional moves — and GCC turns ternaries on these values into jumps
  // (a mispredicted jump per compare costs more than the whole level), so on x86-64 the
  // compare-and-pick is written out: cmp + sbb compare (time, order) as one 128-bit number,
  // cmovb keeps the smaller key and its address.
  //
  // The walk is done on addresses: with K = 16 - 3 * h (bytes), the first child of the
  // hole at address a is at 4 * a + K (node i at h + 16 i has its first child at
  // h + 16 (4 i + 1)), one lea per level, and the winner is picked as an address.
  if (n > kArity) {
    const std::uintptr_t base = reinterpret_cast<std::uintptr_t>(h);
    const std::uintptr_t k_off = sizeof(Key) - (kArity - 1) * base;
    const std::uintptr_t last = base + (n - kArity) * sizeof(Key);  // first child <= last
    Key* hole = h + i;
    std::uintptr_t first = kArity * reinterpret_cast<std::uintptr_t>(hole) + k_off;
    while (first <= last) {
      Key* p = reinterpret_cast<Key*>(first);
      std::uint64_t ta = p[0].time, oa = p[0].order, tb = p[2].time, ob = p[2].order;
      Key* qa = p;
      Key* qb = p + 2;
      min_key(ta, oa, qa, p[1].time, p[1].order, p + 1);
      min_key(tb, ob, qb, p[3].time, p[3].order, p + 3);
      min_key(ta, oa, qa, tb, ob, qb);
      hole->time = ta;
      hole->order = oa;
      hole = qa;
      first = kArity * reinterpret_cast<std::uintptr_t>(hole) + k_off;
    }
    i = static_cast<std::size_t>(hole - h);
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
  const Key last = heap_[--n_];
  if (n_ > 0) sift_down(0, last);
}

void EventQueue::drop_dead_top() {
  fill_hole();
  while (n_ > 0 && slot_at(slot_of(heap_[0])).order != heap_[0].order) {
    const Key last = heap_[--n_];
    --dead_;
    if (n_ > 0) sift_down(0, last);
  }
}

void EventQueue::compact() {
  fill_hole();
  if (n_ == 0) return;
  n_ = static_cast<std::size_t>(
      std::remove_if(heap_, heap_ + n_,
                     [this](const Key& k) { return slot_at(slot_of(k)).order != k.order; }) -
      heap_);
  dead_ = 0;
  // Floyd's bottom-up heap construction. The order is a strict total order on (time, seq),
  // so the rebuilt heap pops exactly the same sequence as before.
  const std::size_t n = n_;
  if (n > 1) {
    for (std::size_t i = (n - 2) / kArity + 1; i-- > 0;)
      sift_down(i, heap_[i]);
  }
}

void EventQueue::renumber() {
  // Dead keys go, the rest are sorted (a sorted array is a valid heap) and given the
  // sequence numbers 0..n-1 in the same relative order.
  compact();
  Key* h = heap_;
  const std::size_t n = n_;
  std::sort(h, h + n, before);
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint32_t index = slot_of(h[i]);
    h[i].order = (static_cast<std::uint64_t>(i) << kSlotBits) | index;
    slot_at(index).order = h[i].order;
  }
  next_seq_ = n;
}

}  // namespace selfheal::sim
