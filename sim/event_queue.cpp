// Why this shape: in a discrete-event simulation the queue is the inner loop, and almost
// every event schedules a successor. A tournament tree turns that pop-then-push into one
// replay of a fixed path: the leaf the popped key sat in takes the new key, and each
// ancestor becomes the smallest of its children. The path is known from the leaf index
// alone, so every load on it can be issued at once, and the smallest of a node's three
// siblings does not depend on the new key either: the only dependency chain is one
// compare-and-pick per level (three cycles). A d-ary heap's sift instead decides where to go
// next by comparing what it just loaded, a load-compare-load chain level after level (the
// 4-ary heap this replaced: ~12 cycles a level, 250 of its 400 instructions per event).
// Four children a node halve the levels of a binary tree, so a replay touches half as many
// cache lines, which is what counts once the tree outgrows the caches.
#include "sim/event_queue.hpp"

#include <algorithm>
#include <cstdint>
#include <cstring>
#include <new>
#include <stdexcept>
#include <utility>

#if defined(__linux__)
#include <sys/mman.h>  // madvise
#endif

namespace selfheal::sim {

namespace {

// Below this many leaves the tree is not shrunk or grown in smaller steps.
constexpr std::uint32_t kMinLeaves = 64;

// A tree of this many bytes or more is aligned to, and asks Linux for, 2 MiB pages: a replay
// touches one line in each of log4(leaves) levels, and with 4 KiB pages a tree of a million
// leaves (22 MB) would miss the TLB on most of them (~10% of the time per event at 1e6).
constexpr std::size_t kHugePage = std::size_t{1} << 21;

std::align_val_t tree_alignment(std::size_t bytes) {
  return std::align_val_t{bytes >= kHugePage ? kHugePage : 64};
}

// a < b on (time, order) as one 128-bit number: cmp + sbb, no branch. (An x86-64 inline
// assembly replay with cmov picks was measured against this: 2% less CPU on the 200-service
// 7-day run, below the 5% that would pay for a second code path; bench/README.md.)
__extension__ using U128 = unsigned __int128;
inline bool less(std::uint64_t at, std::uint64_t ao, std::uint64_t bt, std::uint64_t bo) {
  return ((static_cast<U128>(at) << 64) | ao) < ((static_cast<U128>(bt) << 64) | bo);
}

}  // namespace

EventQueue::~EventQueue() {
  if (tree_ != nullptr) free_tree(tree_ - kPad, leaves_);
}

std::size_t EventQueue::tree_bytes(std::size_t leaves) {
  return (kPad + (leaves - 1) / 3 + leaves) * sizeof(Key);
}

EventQueue::Key* EventQueue::allocate_tree(std::size_t leaves) {
  const std::size_t bytes = tree_bytes(leaves);
  void* buf = ::operator new(bytes, tree_alignment(bytes));
#if defined(__linux__) && defined(MADV_HUGEPAGE)
  // Advice only: without transparent huge pages the call fails and nothing changes.
  if (bytes >= kHugePage) madvise(buf, bytes & ~(kHugePage - 1), MADV_HUGEPAGE);
#endif
  return static_cast<Key*>(buf);
}

void EventQueue::free_tree(Key* buf, std::size_t leaves) {
  ::operator delete(buf, tree_alignment(tree_bytes(leaves)));
}

EventQueue::EventQueue(EventQueue&& o) noexcept
    : tree_(std::exchange(o.tree_, nullptr)),
      leaves_(std::exchange(o.leaves_, 0)),
      first_leaf_(std::exchange(o.first_leaf_, 0)),
      hole_(std::exchange(o.hole_, kNoLeaf)),
      free_leaves_(std::move(o.free_leaves_)),
      chunks_(std::move(o.chunks_)),
      slot_count_(std::exchange(o.slot_count_, 0)),
      free_head_(std::exchange(o.free_head_, kNoSlot)),
      next_seq_(std::exchange(o.next_seq_, 0)),
      live_(std::exchange(o.live_, 0)),
      reserved_(std::exchange(o.reserved_, 0)) {
  o.free_leaves_.clear();
  o.chunks_.clear();
}

EventQueue& EventQueue::operator=(EventQueue&& o) noexcept {
  EventQueue tmp(std::move(o));
  std::swap(tree_, tmp.tree_);
  std::swap(leaves_, tmp.leaves_);
  std::swap(first_leaf_, tmp.first_leaf_);
  std::swap(hole_, tmp.hole_);
  std::swap(free_leaves_, tmp.free_leaves_);
  std::swap(chunks_, tmp.chunks_);
  std::swap(slot_count_, tmp.slot_count_);
  std::swap(free_head_, tmp.free_head_);
  std::swap(next_seq_, tmp.next_seq_);
  std::swap(live_, tmp.live_);
  std::swap(reserved_, tmp.reserved_);
  return *this;  // tmp takes the old contents with it
}

EventQueue::EventQueue(const EventQueue& o, const Cloner& clone)
    : leaves_(o.leaves_),
      first_leaf_(o.first_leaf_),
      hole_(o.hole_),
      slot_count_(o.slot_count_),
      free_head_(o.free_head_),
      next_seq_(o.next_seq_),
      live_(o.live_),
      reserved_(o.reserved_) {
  // A structural copy (the tree's keys, the slots' leaves, generations and free list as they
  // are), so that ids, the pop order and the ids of future pushes are the original's.
  std::size_t free_slots = 0;
  for (std::uint32_t i = o.free_head_; i != kNoSlot; i = o.slot_at(i).next_free)
    ++free_slots;
  if (free_slots + o.live_ != o.slot_count_) {
    throw std::logic_error("EventQueue: cannot copy a queue while one of its events is running");
  }
  free_leaves_.reserve(o.free_leaves_.capacity());
  free_leaves_.assign(o.free_leaves_.begin(), o.free_leaves_.end());
  chunks_.reserve(o.chunks_.capacity());
  for (std::size_t c = 0; c < o.chunks_.size(); ++c)
    chunks_.push_back(std::make_unique<Slot[]>(kChunkSize));
  for (std::uint32_t i = 0; i < slot_count_; ++i) {
    const Slot& from = o.slot_at(i);
    Slot& to = slot_at(i);
    to.leaf = from.leaf;
    to.generation = from.generation;
    to.next_free = from.next_free;
    if (from.leaf != kNoLeaf && from.cb) to.cb = clone(from.cb);
  }
  // Last: the tree is the one member without a destructor of its own (a throwing clone
  // above leaks nothing).
  if (o.tree_ != nullptr) {
    tree_ = allocate_tree(leaves_) + kPad;
    std::memcpy(tree_ - kPad, o.tree_ - kPad, tree_bytes(leaves_));
  }
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

void EventQueue::replay(std::uint32_t leaf, Key k) {
  // On addresses: a family of four is one aligned 64-byte line, so the siblings of the node
  // at address a are at a ^ 16, a ^ 32 and a ^ 48, and with K = 16 - 3 * tree_ (bytes) its
  // parent is at ((a - K) / 4) & ~15 (node i's first child is at 4 * (tree_ + 16 i) + K).
  // The walk takes log4(leaves_) steps from every leaf, so the loop's exit is predicted.
  const auto base = reinterpret_cast<std::uintptr_t>(tree_);
  std::uintptr_t a = base + (std::size_t{first_leaf_} + leaf) * sizeof(Key);
  std::memcpy(reinterpret_cast<void*>(a), &k, sizeof k);
  const std::uintptr_t k_off = sizeof(Key) - 3 * base;
  std::uint64_t kt = k.time;
  std::uint64_t ko = k.order;
  while (a != base) {
    for (std::uintptr_t mask = 16; mask <= 48; mask += 16) {
      Key sibling;
      std::memcpy(&sibling, reinterpret_cast<const void*>(a ^ mask), sizeof sibling);
      if (less(sibling.time, sibling.order, kt, ko)) {
        kt = sibling.time;
        ko = sibling.order;
      }
    }
    a = ((a - k_off) / 4) & ~std::uintptr_t{15};
    const Key node{kt, ko};
    std::memcpy(reinterpret_cast<void*>(a), &node, sizeof node);
  }
}

std::uint32_t EventQueue::take_leaf() {
  if (free_leaves_.empty()) grow_tree(std::size_t{leaves_} * 4);
  const std::uint32_t leaf = free_leaves_.back();
  free_leaves_.pop_back();
  return leaf;
}

void EventQueue::grow_tree(std::size_t min_leaves) {
  if (min_leaves > kSlotMask + 1) {
    throw std::length_error("EventQueue: more than 2^28 events pending at once");
  }
  std::size_t n = std::max<std::size_t>(kMinLeaves, leaves_);
  while (n < min_leaves)
    n *= 4;
  if (n == leaves_) return;
  const std::size_t first = (n - 1) / 3;
  Key* buf = allocate_tree(n);
  std::vector<std::uint32_t> free_leaves;
  try {
    free_leaves.reserve(n);
  } catch (...) {
    free_tree(buf, n);
    throw;
  }
  free_leaves.assign(free_leaves_.begin(), free_leaves_.end());
  // New leaves join the free list highest first, so the lowest is taken first.
  for (std::size_t j = n; j-- > leaves_;)
    free_leaves.push_back(static_cast<std::uint32_t>(j));
  Key* tree = buf + kPad;
  std::fill(buf, tree, kMaxKey);  // unused
  if (tree_ != nullptr) {
    std::copy(tree_ + first_leaf_, tree_ + first_leaf_ + leaves_, tree + first);
    free_tree(tree_ - kPad, leaves_);
  }
  std::fill(tree + first + leaves_, tree + first + n, kMaxKey);
  tree_ = tree;
  leaves_ = static_cast<std::uint32_t>(n);
  first_leaf_ = static_cast<std::uint32_t>(first);
  free_leaves_ = std::move(free_leaves);
  rebuild();
}

void EventQueue::rebuild() {
  Key* t = tree_;
  for (std::size_t i = first_leaf_; i-- > 0;) {
    const Key* c = t + 4 * i + 1;
    const Key& a = before(c[1], c[0]) ? c[1] : c[0];
    const Key& b = before(c[3], c[2]) ? c[3] : c[2];
    t[i] = before(b, a) ? b : a;
  }
}

void EventQueue::empty_hole() {
  free_leaf(std::exchange(hole_, kNoLeaf));
}

void EventQueue::free_leaf(std::uint32_t leaf) {
  replay(leaf, kMaxKey);
  free_leaves_.push_back(leaf);
  if (live_ < leaves_ / 16 && leaves_ > kMinLeaves) shrink();
}

void EventQueue::shrink() {
  // A replay walks log4(leaves_) levels however few events are pending, so after a burst
  // the tree is rebuilt small: the pending keys move to the lowest leaves (same keys, so the
  // same pop order) and their slots learn their new leaf. Shrinking to a quarter full
  // (growing happens when full) keeps a queue that hovers near a boundary from rebuilding
  // back and forth.
  std::size_t n = kMinLeaves;
  while (n < 4 * live_ || n < reserved_)
    n *= 4;
  if (n >= leaves_ || hole_ != kNoLeaf) return;
  try {
    shrink_to(n);
  } catch (const std::bad_alloc&) {
    // Shrinking only saves time and memory; without room for the copy, the big tree stays.
  }
}

void EventQueue::shrink_to(std::size_t n) {
  std::vector<Key> pending;
  pending.reserve(live_);
  for (std::size_t j = 0; j < leaves_; ++j) {
    const Key& k = tree_[first_leaf_ + j];
    if (k.order != kMaxKey.order) pending.push_back(k);
  }
  EventQueue smaller;
  smaller.grow_tree(n);
  for (std::size_t j = 0; j < pending.size(); ++j) {
    smaller.tree_[smaller.first_leaf_ + j] = pending[j];
    slot_at(slot_of(pending[j])).leaf = static_cast<std::uint32_t>(j);
  }
  smaller.free_leaves_.erase(
      smaller.free_leaves_.end() - static_cast<std::ptrdiff_t>(pending.size()),
      smaller.free_leaves_.end());
  smaller.rebuild();
  std::swap(tree_, smaller.tree_);
  std::swap(leaves_, smaller.leaves_);
  std::swap(first_leaf_, smaller.first_leaf_);
  std::swap(free_leaves_, smaller.free_leaves_);
}

bool EventQueue::cancel(EventId id) {
  const auto index = static_cast<std::uint32_t>(id & 0xffffffffu);
  const auto generation = static_cast<std::uint32_t>(id >> 32);
  if (index >= slot_count_) return false;
  Slot& s = slot_at(index);
  if (s.leaf == kNoLeaf || s.generation != generation) return false;
  // Make the queue consistent first (the id is dead, its leaf empty), then destroy the
  // callback: destructors of captured objects may push or cancel. The slot joins the free
  // list only afterwards, so such a push cannot reuse it mid-destruction. A pending hole may
  // still hold the last popped key; its own replay fixes every node that key reached.
  const std::uint32_t leaf = s.leaf;
  retire(s);
  --live_;
  free_leaf(leaf);
  s.cb = nullptr;
  release_slot(index, s);
  return true;
}

void EventQueue::reserve(std::size_t n) {
  if (n > leaves_) grow_tree(n);
  reserved_ = std::max(reserved_, n);
  chunks_.reserve((n + kChunkSize - 1) / kChunkSize);
}

void EventQueue::renumber() {
  // The pending keys are sorted and given the sequence numbers 0..n-1 in the same relative
  // order, in place in their leaves; then the inner nodes are rebuilt.
  if (hole_ != kNoLeaf) empty_hole();
  std::vector<std::pair<Key, std::uint32_t>> pending;  // (key, leaf)
  pending.reserve(live_);
  for (std::uint32_t j = 0; j < leaves_; ++j) {
    const Key& k = tree_[std::size_t{first_leaf_} + j];
    if (k.order != kMaxKey.order) pending.emplace_back(k, j);
  }
  std::sort(pending.begin(), pending.end(),
            [](const auto& a, const auto& b) { return before(a.first, b.first); });
  for (std::size_t i = 0; i < pending.size(); ++i) {
    Key& k = tree_[std::size_t{first_leaf_} + pending[i].second];
    k.order = (static_cast<std::uint64_t>(i) << kSlotBits) | slot_of(k);
  }
  next_seq_ = pending.size();
  rebuild();
}

}  // namespace selfheal::sim
