// Pending events ordered by (time, insertion sequence), with cancel.
//
// Layout: a tournament tree with four children a node over 16-byte trivially copyable keys
// {time, seq|slot}: each leaf holds one pending event's key (or nothing), each inner node
// the smallest key below it, so the root is the next event. The callbacks live apart in a
// slot table reused through a free list, so the tree moves only small keys. Popping leaves
// the event's leaf as a hole; a push fills it and replays the path to the root once — in a
// simulation almost every event schedules a successor, so that is one replay per event.
// Cancel empties the event's leaf at once (one replay), destroys the callback and whatever
// it captured, and bumps the slot's generation so the old id no longer matches. The tree
// grows fourfold when full and is rebuilt a quarter full when fewer than 1/16 of its leaves
// are in use, so the cost tracks the events pending now, not the largest burst.
//
//   sim::EventQueue q;
//   auto id = q.push(t0 + 5s, [&] { fired = true; });
//   q.cancel(id);                         // true: it was pending
//   q.cancel(id);                         // false: already cancelled
//
// Callbacks are `EventCallback`: a move-only `void()` callable with 40 bytes of inline
// storage. Any lambda, function pointer or std::function converts to it; a callable that is
// larger than the buffer (or whose move may throw) is kept on the heap instead.
// `push(t, lambda)` constructs the callable directly in its slot, and `run_next` runs it
// there: in a simulation's pop-run-push cycle a callback is never moved.
//
// Cost (bench/README.md): ~330 instructions and ~36 ns per event with 1e3 pending (pop,
// callback, exponential draw and push included), log4(pending) levels of ~35 instructions.
// push, pop and cancel are O(log pending); the pop order never depends on the layout.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
#include <stdexcept>
#include <type_traits>
#include <utility>
#include <vector>

#include "core/time.hpp"

namespace selfheal::sim {

/// Identifies a scheduled event: (generation << 32 | slot); 0 is never a valid id.
/// An id stays unique until its slot has been reused 2^32 times.
using EventId = std::uint64_t;

namespace detail {
template <class T>
inline constexpr bool is_std_function = false;
template <class R, class... Args>
inline constexpr bool is_std_function<std::function<R(Args...)>> = true;
}  // namespace detail

/// A move-only `void()` callable, like std::move_only_function<void()> (C++23), with a
/// 40-byte small buffer (a slot with its bookkeeping is one 64-byte cache line). Trivially copyable
/// callables (a lambda capturing pointers, references and numbers) are moved with a plain copy and
/// need no destructor call, which is what makes scheduling cheap. Calling an empty callback throws
/// std::bad_function_call.
class EventCallback {
 public:
  /// Bytes of inline storage; larger callables are heap-allocated.
  static constexpr std::size_t kInlineSize = 40;

  EventCallback() noexcept = default;
  EventCallback(std::nullptr_t) noexcept {}  // NOLINT(google-explicit-constructor)

  /// Wraps any callable invocable with no arguments (its result is discarded). A null
  /// function pointer or an empty std::function gives an empty callback.
  template <class F, class D = std::decay_t<F>>
  requires(!std::is_same_v<D, EventCallback> && std::is_invocable_v<D&>)
      EventCallback(F&& f) {  // NOLINT(google-explicit-constructor)
    construct<F, D>(std::forward<F>(f));
  }

  /// Replaces the content with `f`, constructed in place (what `*this = EventCallback(f)`
  /// does, minus a move of the buffer).
  template <class F, class D = std::decay_t<F>>
  requires(!std::is_same_v<D, EventCallback> && std::is_invocable_v<D&>) void emplace(F&& f) {
    reset();
    construct<F, D>(std::forward<F>(f));
  }

  /// Whether constructing from F may throw (copying captures, or a heap allocation).
  template <class F, class D = std::decay_t<F>>
  static constexpr bool nothrow_from() {
    return fits_inline<D>() && std::is_nothrow_constructible_v<D, F>;
  }

  EventCallback(EventCallback&& o) noexcept { take(o); }
  EventCallback& operator=(EventCallback&& o) noexcept {
    if (this != &o) {
      reset();
      take(o);
    }
    return *this;
  }
  EventCallback& operator=(std::nullptr_t) noexcept {
    reset();
    return *this;
  }
  EventCallback(const EventCallback&) = delete;
  EventCallback& operator=(const EventCallback&) = delete;
  ~EventCallback() { reset(); }

  explicit operator bool() const noexcept { return ops_ != 0; }

  /// The wrapped callable when it is a `D` (exactly), else nullptr; like
  /// std::function::target. EventQueue's copy uses it to tell data events from closures.
  template <class D>
  const D* target() const noexcept {
    if constexpr (fits_inline<D>()) {
      if (ops() != &kInlineOps<D>) return nullptr;
      return inline_ptr<D>(const_cast<unsigned char*>(buf_));
    } else {
      if (ops() != &kHeapOps<D>) return nullptr;
      return heap_ptr<D>(const_cast<unsigned char*>(buf_));
    }
  }

  /// Calls the wrapped callable. Throws std::bad_function_call when empty.
  void operator()() const {
    if (ops_ == 0) throw std::bad_function_call();
    ops()->invoke(const_cast<unsigned char*>(buf_));
  }

 private:
  template <class F, class D>
  void construct(F&& f) {
    if constexpr (std::is_pointer_v<D>) {
      if (f == nullptr) return;
    } else if constexpr (detail::is_std_function<D>) {
      if (!f) return;
    }
    if constexpr (fits_inline<D>()) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      ops_ = tag(&kInlineOps<D>, !std::is_trivially_copyable_v<D>,
                 !std::is_trivially_destructible_v<D>);
    } else {
      D* p = new D(std::forward<F>(f));
      std::memcpy(buf_, &p, sizeof p);
      ops_ = tag(&kHeapOps<D>, false, true);
    }
  }

  struct Ops {
    void (*invoke)(void* storage);
    /// Move-constructs into dst and destroys src (only called when kRelocate is tagged).
    void (*relocate)(void* dst, void* src) noexcept;
    /// Destroys (only called when kDestroy is tagged).
    void (*destroy)(void* storage) noexcept;
  };
  // ops_ is the Ops address with two flags in its low bits (Ops is pointer-aligned), so a
  // move or a reset of a trivially copyable callable reads no Ops at all.
  static constexpr std::uintptr_t kRelocate = 1;  // a byte copy is not enough
  static constexpr std::uintptr_t kDestroy = 2;   // has a destructor to run
  static constexpr std::uintptr_t kFlags = kRelocate | kDestroy;
  static_assert(alignof(Ops) > kFlags);
  static std::uintptr_t tag(const Ops* o, bool relocate, bool destroy) noexcept {
    return reinterpret_cast<std::uintptr_t>(o) | (relocate ? kRelocate : 0) |
           (destroy ? kDestroy : 0);
  }
  const Ops* ops() const noexcept { return reinterpret_cast<const Ops*>(ops_ & ~kFlags); }

  template <class D>
  static constexpr bool fits_inline() {
    return sizeof(D) <= kInlineSize && alignof(D) <= alignof(std::max_align_t) &&
           std::is_nothrow_move_constructible_v<D>;
  }
  template <class D>
  static D* inline_ptr(void* s) {
    return std::launder(static_cast<D*>(s));
  }
  template <class D>
  static D* heap_ptr(void* s) {
    D* p;
    std::memcpy(&p, s, sizeof p);
    return p;
  }

  template <class D>
  static constexpr Ops kInlineOps{[](void* s) { std::invoke(*inline_ptr<D>(s)); },
                                  [](void* dst, void* src) noexcept {
                                    D* from = inline_ptr<D>(src);
                                    ::new (dst) D(std::move(*from));
                                    from->~D();
                                  },
                                  [](void* s) noexcept { inline_ptr<D>(s)->~D(); }};
  template <class D>
  static constexpr Ops kHeapOps{[](void* s) { std::invoke(*heap_ptr<D>(s)); }, nullptr,
                                [](void* s) noexcept { delete heap_ptr<D>(s); }};

  void take(EventCallback& o) noexcept {
    ops_ = o.ops_;
    if (ops_ & kRelocate) {
      ops()->relocate(buf_, o.buf_);
    } else {
      std::memcpy(buf_, o.buf_, kInlineSize);
    }
    o.ops_ = 0;
  }
  void reset() noexcept {
    const std::uintptr_t o = ops_;
    ops_ = 0;
    if (o & kDestroy) reinterpret_cast<const Ops*>(o & ~kFlags)->destroy(buf_);
  }

  alignas(std::max_align_t) unsigned char buf_[kInlineSize];
  std::uintptr_t ops_ = 0;  // tagged Ops address; 0 when empty
};

class EventQueue {
 public:
  /// Any `void()` callable: a lambda, a function pointer, a std::function<void()>.
  using Callback = EventCallback;

  EventQueue() = default;
  EventQueue(EventQueue&& o) noexcept;
  EventQueue& operator=(EventQueue&& o) noexcept;
  EventQueue(const EventQueue&) = delete;
  EventQueue& operator=(const EventQueue&) = delete;
  ~EventQueue();

  /// Makes each pending event's callback in a copy of the queue (EventQueue's copy
  /// constructor below); throws to refuse the copy.
  using Cloner = std::function<Callback(const Callback&)>;
  /// A copy of `o`: every pending event with the same id, time and (time, seq) order, and
  /// the same free slots and leaves, so the copy's future pushes get the same ids as the
  /// original's would. Each pending callback is `clone(it)`. Throws std::logic_error when
  /// an event is running (the copy must be made between two events), or whatever `clone`
  /// throws. O(pending + slots).
  EventQueue(const EventQueue& o, const Cloner& clone);

  /// Adds an event. Equal times pop in push order. Never returns 0. Throws
  /// std::length_error beyond 2^28 (268 million) events pending at once (the tree would
  /// need more leaves than a slot index can name).
  EventId push(core::TimePoint t, Callback&& cb);
  /// The same for any callable, constructed directly in the queue's storage.
  template <class F>
  requires(!std::is_same_v<std::decay_t<F>, Callback> &&
           std::is_invocable_v<std::decay_t<F>&>) EventId push(core::TimePoint t, F&& f);
  /// Cancels a pending event and destroys its callback. False when it already ran (or is
  /// running), was cancelled, or never existed.
  bool cancel(EventId id);
  /// True when no live event is pending.
  bool empty() const { return live_ == 0; }
  /// Number of live (not cancelled) pending events.
  std::size_t size() const { return live_; }
  /// Time of the earliest live event. Throws std::out_of_range when empty().
  core::TimePoint next_time();
  /// Removes the earliest live event and returns its callback; its time goes to `*when`
  /// (when non-null). The event counts as run: cancel(its id) now returns false.
  /// Throws std::out_of_range when empty().
  Callback pop(core::TimePoint* when);
  /// Removes the earliest live event, calls `on_time(its time)`, then runs its callback
  /// where it is stored (no move) and destroys it afterwards. The same as
  /// `auto cb = pop(&t); on_time(t); if (cb) cb();` — the event counts as run before
  /// on_time is called, the callback may push and cancel anything — minus two moves of the
  /// callback. Throws std::out_of_range when empty(); an exception from the callback
  /// propagates after the callback is destroyed.
  template <class OnTime>
  void run_next(OnTime&& on_time);
  /// Pre-allocates room for `n` pending events (kept: the queue never shrinks below it).
  void reserve(std::size_t n);

 private:
  friend struct EventQueueTestAccess;  // tests: drive the sequence counter to its limit

  // A key is 16 bytes: the time (sign bit flipped, so unsigned order is signed order) and
  // an `order` word holding the insertion sequence above the slot index. Read as one
  // 128-bit number, (time, order) compares like (time, seq) — seqs are unique, so the slot
  // bits never decide — and the comparison is branch-free (cmp + sbb).
  struct Key {
    std::uint64_t time;
    std::uint64_t order;
  };
  static constexpr unsigned kSlotBits = 28;
  static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
  /// When the sequence reaches this (after ~6.9e10 pushes) the pending keys are renumbered
  /// 0..n-1 in their current order, which leaves the pop order unchanged. One short of
  /// 2^36, so that no key's order word is all ones and kMaxKey stays above every key.
  static constexpr std::uint64_t kSeqLimit = (std::uint64_t{1} << (64 - kSlotBits)) - 1;
  static constexpr std::uint64_t kTimeBias = std::uint64_t{1} << 63;
  /// What an empty leaf holds: compares above every real key.
  static constexpr Key kMaxKey{~std::uint64_t{0}, ~std::uint64_t{0}};
  static constexpr std::uint32_t kNoSlot = ~std::uint32_t{0};
  static constexpr std::uint32_t kNoLeaf = ~std::uint32_t{0};

  // One cache line. A slot is free (on the free list through next_free), pending (leaf is
  // the tree leaf holding its key), or neither: running, or being filled by push().
  struct alignas(64) Slot {
    Callback cb;
    std::uint32_t leaf = kNoLeaf;  // kNoLeaf when not pending
    std::uint32_t generation = 1;  // bumped whenever the slot stops pending; part of the id
    std::uint32_t next_free = kNoSlot;
  };

  __extension__ using Rank = unsigned __int128;
  static Rank rank(const Key& k) { return (static_cast<Rank>(k.time) << 64) | k.order; }
  static bool before(const Key& a, const Key& b) { return rank(a) < rank(b); }
  static std::uint32_t slot_of(const Key& k) {
    return static_cast<std::uint32_t>(k.order & kSlotMask);
  }
  static core::TimePoint time_of(const Key& k) {
    return core::TimePoint{core::Duration{static_cast<std::int64_t>(k.time ^ kTimeBias)}};
  }

  // Slots live in fixed-size chunks that never move: a callback is never relocated when
  // the table grows, and a reference to a slot stays valid while user code runs (a running
  // callback, or the destructor of a captured object, may push or cancel).
  static constexpr unsigned kChunkBits = 8;
  static constexpr std::uint32_t kChunkSize = 1u << kChunkBits;
  Slot& slot_at(std::uint32_t i) const { return chunks_[i >> kChunkBits][i & (kChunkSize - 1)]; }
  std::uint32_t acquire_slot() {
    const std::uint32_t i = free_head_;
    if (i == kNoSlot) return new_slot();
    free_head_ = slot_at(i).next_free;
    return i;
  }
  std::uint32_t new_slot();
  void release_slot(std::uint32_t i, Slot& s) {
    s.next_free = free_head_;
    free_head_ = i;
  }
  static void retire(Slot& s) {
    s.leaf = kNoLeaf;
    // Invalidates the old id; generation 0 is skipped so that no id is ever 0.
    if (++s.generation == 0) s.generation = 1;
  }
  /// Puts the filled slot `index` into the tree at `t`; returns its id.
  EventId link(core::TimePoint t, std::uint32_t index, Slot& s);
  /// The slot of the earliest pending key, after emptying the hole.
  std::uint32_t top_slot();

  // The tournament tree, four children a node: tree_[0] is the root, node i has children
  // 4i + 1 .. 4i + 4, and leaf j is node first_leaf_ + j (leaves_ is a power of four,
  // first_leaf_ = (leaves_ - 1) / 3). Every inner node holds the smallest of its children's
  // keys, so tree_[0] is the earliest event. A leaf holds one pending key or kMaxKey.
  // kPad unused keys sit in front of the root, so that each family of four starts on a
  // 64-byte boundary of the buffer: one cache line.
  static constexpr std::size_t kPad = 3;
  /// Sets leaf `leaf` to `k` and recomputes its ancestors, leaf to root.
  void replay(std::uint32_t leaf, Key k);
  /// A free leaf, growing the tree when there is none.
  std::uint32_t take_leaf();
  /// Grows the tree fourfold (at least to `min_leaves`), keeping every leaf's index.
  void grow_tree(std::size_t min_leaves);
  /// The tree's buffer for `leaves` leaves (kPad + inner nodes + leaves, 64-byte aligned,
  /// 2 MiB aligned from 2 MiB up); free_tree releases it.
  static std::size_t tree_bytes(std::size_t leaves);
  static Key* allocate_tree(std::size_t leaves);
  static void free_tree(Key* buf, std::size_t leaves);
  /// Rebuilds every inner node from the leaves.
  void rebuild();
  /// Moves the pending keys into a tree a quarter full, when that is smaller.
  void shrink();
  void shrink_to(std::size_t leaves);
  void empty_hole();
  /// Empties `leaf` (one replay) and returns it to the free list; shrinks when due.
  void free_leaf(std::uint32_t leaf);
  void renumber();

  // When `hole_` is a leaf, it holds the key of the event pop() just removed: the next push
  // takes that leaf and replays its path once (in a simulation most events schedule a
  // successor); anything else empties it first.
  Key* tree_ = nullptr;
  std::uint32_t leaves_ = 0;
  std::uint32_t first_leaf_ = 0;
  std::uint32_t hole_ = kNoLeaf;
  std::vector<std::uint32_t> free_leaves_;  // capacity leaves_: push_back never allocates
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  std::uint32_t slot_count_ = 0;
  std::uint32_t free_head_ = kNoSlot;  // intrusive free list through Slot::next_free
  std::uint64_t next_seq_ = 0;
  std::size_t live_ = 0;
  std::size_t reserved_ = 0;  // reserve()'s largest n: the tree never shrinks below it
};

// ---- hot paths, inline: a simulation pushes and pops once per event ----------------------

inline EventId EventQueue::push(core::TimePoint t, Callback&& cb) {
  if (next_seq_ == kSeqLimit) renumber();
  const std::uint32_t index = acquire_slot();
  Slot& s = slot_at(index);
  // Moving a callable may run a destructor of user code, which may push or cancel: the slot
  // is neither free nor pending yet, so nothing else can touch it. Only then is a leaf
  // taken (in link).
  s.cb = std::move(cb);
  return link(t, index, s);
}

template <class F>
requires(!std::is_same_v<std::decay_t<F>, EventQueue::Callback> &&
         std::is_invocable_v<std::decay_t<F>&>) inline EventId EventQueue::push(core::TimePoint t,
                                                                                F&& f) {
  if (next_seq_ == kSeqLimit) renumber();
  const std::uint32_t index = acquire_slot();
  Slot& s = slot_at(index);
  if constexpr (Callback::nothrow_from<F>()) {
    s.cb.emplace(std::forward<F>(f));
  } else {
    try {
      s.cb.emplace(std::forward<F>(f));
    } catch (...) {
      s.cb = nullptr;
      release_slot(index, s);
      throw;
    }
  }
  return link(t, index, s);
}

inline EventId EventQueue::link(core::TimePoint t, std::uint32_t index, Slot& s) {
  std::uint32_t leaf = hole_;
  if (leaf != kNoLeaf) {
    hole_ = kNoLeaf;
  } else {
    try {
      leaf = take_leaf();
    } catch (...) {
      s.cb = nullptr;
      release_slot(index, s);
      throw;
    }
  }
  s.leaf = leaf;
  ++live_;
  replay(leaf, Key{static_cast<std::uint64_t>(t.time_since_epoch().count()) ^ kTimeBias,
                   (next_seq_++ << kSlotBits) | index});
  return (static_cast<EventId>(s.generation) << 32) | index;
}

inline std::uint32_t EventQueue::top_slot() {
  if (live_ == 0) throw std::out_of_range("EventQueue: the queue is empty");
  if (hole_ != kNoLeaf) empty_hole();
  return slot_of(tree_[0]);
}

inline core::TimePoint EventQueue::next_time() {
  top_slot();
  return time_of(tree_[0]);
}

inline EventQueue::Callback EventQueue::pop(core::TimePoint* when) {
  const std::uint32_t index = top_slot();
  Slot& s = slot_at(index);
  if (when != nullptr) *when = time_of(tree_[0]);
  hole_ = s.leaf;
  retire(s);
  --live_;
  Callback cb = std::move(s.cb);  // may run user code; the queue is consistent
  release_slot(index, s);
  return cb;
}

template <class OnTime>
void EventQueue::run_next(OnTime&& on_time) {
  const std::uint32_t index = top_slot();
  Slot& s = slot_at(index);
  const core::TimePoint when = time_of(tree_[0]);
  hole_ = s.leaf;
  retire(s);
  --live_;
  // The slot stays off the free list until the callback is destroyed: a push from inside
  // the callback takes another slot, and chunks never move, so `s` stays valid throughout.
  struct Release {
    EventQueue& q;
    std::uint32_t index;
    Slot& s;
    ~Release() {
      s.cb = nullptr;  // may run user code (captured objects' destructors)
      q.release_slot(index, s);
    }
  } release{*this, index, s};
  on_time(when);
  if (s.cb) s.cb();
}

}  // namespace selfheal::sim
