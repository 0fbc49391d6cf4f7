// Pending events ordered by (time, insertion sequence), with O(1) cancel.
//
// Layout: a 4-ary min-heap of 16-byte trivially copyable keys {time, seq|slot};
// the callbacks live apart in a slot table reused through a free list, so sifting moves only
// small keys. Cancel frees the slot at once (the callback and whatever it captured are
// destroyed) and bumps the slot's generation; the key left in the heap no longer matches and
// is skipped when it reaches the top (lazy deletion). When dead keys outnumber live ones the
// heap is compacted, so a workload that cancels most of what it schedules (timeouts) does not
// grow without bound.
//
//   sim::EventQueue q;
//   auto id = q.push(t0 + 5s, [&] { fired = true; });
//   q.cancel(id);                         // true: it was pending
//   q.cancel(id);                         // false: already cancelled
//
// Callbacks are `EventCallback`: a move-only `void()` callable with 40 bytes of inline
// storage. Any lambda, function pointer or std::function converts to it; a callable that is
// larger than the buffer (or whose move may throw) is kept on the heap instead.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <functional>
#include <memory>
#include <new>
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
    if constexpr (std::is_pointer_v<D>) {
      if (f == nullptr) return;
    } else if constexpr (detail::is_std_function<D>) {
      if (!f) return;
    }
    if constexpr (fits_inline<D>()) {
      ::new (static_cast<void*>(buf_)) D(std::forward<F>(f));
      ops_ = &kInlineOps<D>;
    } else {
      D* p = new D(std::forward<F>(f));
      std::memcpy(buf_, &p, sizeof p);
      ops_ = &kHeapOps<D>;
    }
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

  explicit operator bool() const noexcept { return ops_ != nullptr; }

  /// Calls the wrapped callable. Throws std::bad_function_call when empty.
  void operator()() const {
    if (ops_ == nullptr) throw std::bad_function_call();
    ops_->invoke(const_cast<unsigned char*>(buf_));
  }

 private:
  struct Ops {
    void (*invoke)(void* storage);
    /// Move-constructs into dst and destroys src; nullptr: a byte copy is enough.
    void (*relocate)(void* dst, void* src) noexcept;
    /// nullptr: nothing to destroy.
    void (*destroy)(void* storage) noexcept;
  };

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
  static constexpr Ops kInlineOps{
      [](void* s) { std::invoke(*inline_ptr<D>(s)); },
      std::is_trivially_copyable_v<D> ? nullptr
                                      : +[](void* dst, void* src) noexcept {
                                          D* from = inline_ptr<D>(src);
                                          ::new (dst) D(std::move(*from));
                                          from->~D();
                                        },
      std::is_trivially_destructible_v<D> ? nullptr
                                          : +[](void* s) noexcept { inline_ptr<D>(s)->~D(); }};
  template <class D>
  static constexpr Ops kHeapOps{[](void* s) { std::invoke(*heap_ptr<D>(s)); }, nullptr,
                                [](void* s) noexcept { delete heap_ptr<D>(s); }};

  void take(EventCallback& o) noexcept {
    ops_ = o.ops_;
    if (ops_ == nullptr) return;
    if (ops_->relocate == nullptr) {
      std::memcpy(buf_, o.buf_, kInlineSize);
    } else {
      ops_->relocate(buf_, o.buf_);
    }
    o.ops_ = nullptr;
  }
  void reset() noexcept {
    if (ops_ != nullptr && ops_->destroy != nullptr) ops_->destroy(buf_);
    ops_ = nullptr;
  }

  alignas(std::max_align_t) unsigned char buf_[kInlineSize];
  const Ops* ops_ = nullptr;
};

class EventQueue {
 public:
  /// Any `void()` callable: a lambda, a function pointer, a std::function<void()>.
  using Callback = EventCallback;

  /// Adds an event. Equal times pop in push order. Never returns 0. Throws
  /// std::length_error beyond 2^28 (268 million) events pending at once.
  EventId push(core::TimePoint t, Callback&& cb);
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
  /// Pre-allocates room for `n` pending events.
  void reserve(std::size_t n);

 private:
  friend struct EventQueueTestAccess;  // tests: drive the sequence counter to its limit

  // A heap key is 16 bytes: the time (sign bit flipped, so unsigned order is signed order)
  // and an `order` word holding the insertion sequence above the slot index. Read as one
  // 128-bit number, (time, order) compares like (time, seq) — seqs are unique, so the slot
  // bits never decide — and the comparison is branch-free (cmp + sbb). Four children are
  // exactly one 64-byte cache line, and the heap is laid out so that they share one.
  struct Key {
    std::uint64_t time;
    std::uint64_t order;
  };
  static constexpr unsigned kSlotBits = 28;
  static constexpr std::uint64_t kSlotMask = (std::uint64_t{1} << kSlotBits) - 1;
  /// When the sequence reaches this (after ~6.9e10 pushes) the pending keys are renumbered
  /// 0..n-1 in their current order, which leaves the pop order unchanged.
  static constexpr std::uint64_t kSeqLimit = std::uint64_t{1} << (64 - kSlotBits);
  static constexpr std::uint64_t kTimeBias = std::uint64_t{1} << 63;
  static constexpr std::uint64_t kNoKey = ~std::uint64_t{0};

  struct Slot {
    Callback cb;
    std::uint64_t order = kNoKey;  // the pending key's order word; kNoKey when not pending
    std::uint32_t generation = 1;  // bumped whenever the slot is freed; part of the EventId
  };

  __extension__ using Rank = unsigned __int128;
  static Rank rank(const Key& k) { return (static_cast<Rank>(k.time) << 64) | k.order; }
  static bool before(const Key& a, const Key& b) { return rank(a) < rank(b); }
  static std::uint32_t slot_of(const Key& k) {
    return static_cast<std::uint32_t>(k.order & kSlotMask);
  }

  // Slots live in fixed-size chunks that never move: a callback is never relocated when
  // the table grows, and a reference to a slot stays valid while user code runs (the
  // destructor of a captured object may push or cancel while its callback is moved).
  static constexpr unsigned kChunkBits = 8;
  static constexpr std::uint32_t kChunkSize = 1u << kChunkBits;
  Slot& slot_at(std::uint32_t i) const { return chunks_[i >> kChunkBits][i & (kChunkSize - 1)]; }
  bool is_live(const Key& k) const { return slot_at(slot_of(k)).order == k.order; }
  std::uint32_t acquire_slot();
  static void free_slot(Slot& s);

  // heap_ holds kPad unused keys in front of the root, so that the four children of node i
  // (4i+1 .. 4i+4) start at a multiple of four keys, i.e. on a cache-line boundary.
  static constexpr std::size_t kPad = 3;
  template <class T>
  struct CacheAligned {
    using value_type = T;
    CacheAligned() = default;
    template <class U>
    CacheAligned(const CacheAligned<U>&) noexcept {}  // NOLINT(google-explicit-constructor)
    T* allocate(std::size_t n) {
      return static_cast<T*>(::operator new (n * sizeof(T), std::align_val_t{64}));
    }
    void deallocate(T* p, std::size_t) noexcept { ::operator delete (p, std::align_val_t{64}); }
    friend bool operator==(const CacheAligned&, const CacheAligned&) { return true; }
  };
  Key* heap() { return heap_.data() + kPad; }
  std::size_t heap_size() const { return heap_.empty() ? 0 : heap_.size() - kPad; }
  void grow_heap();
  void heap_push(Key k);
  void heap_pop_back() { heap_.pop_back(); }
  void sift_up(std::size_t i, Key k);
  void sift_down(std::size_t i, Key k);
  void fill_hole();
  void drop_dead_top();
  void compact();
  void renumber();

  // When `hole_` is set, the root is a vacancy left by pop(): the next push drops its key
  // there and sifts it down (one sift instead of two — in a simulation most events schedule
  // a successor); anything else fills it from the back first.
  std::vector<Key, CacheAligned<Key>> heap_;
  std::vector<std::unique_ptr<Slot[]>> chunks_;
  std::uint32_t slot_count_ = 0;
  std::vector<std::uint32_t> free_;  // capacity always >= slot_count_: pushing never throws
  std::uint64_t next_seq_ = 0;
  std::size_t live_ = 0;
  std::size_t dead_ = 0;  // keys in the heap whose event was cancelled
  bool hole_ = false;
};

}  // namespace selfheal::sim
