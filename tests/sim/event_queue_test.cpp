#include "sim/event_queue.hpp"

#include <algorithm>
#include <catch2/catch.hpp>
#include <functional>
#include <map>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "sim/random.hpp"

namespace selfheal::sim {
// Test access to the sequence counter, which otherwise takes ~7e10 pushes to exhaust.
struct EventQueueTestAccess {
  static void jump_to_sequence_limit(EventQueue& q, std::uint64_t pushes_left) {
    q.next_seq_ = EventQueue::kSeqLimit - pushes_left;
  }
  /// Leaves of the tournament tree: the capacity it currently walks.
  static std::size_t leaves(const EventQueue& q) { return q.leaves_; }
};
}  // namespace selfheal::sim

using selfheal::core::TimePoint;
using selfheal::sim::EventCallback;
using selfheal::sim::EventId;
using selfheal::sim::EventQueue;
using selfheal::sim::Rng;
using namespace std::chrono_literals;

namespace {

TimePoint at_ms(std::int64_t ms) {
  return TimePoint{std::chrono::milliseconds{ms}};
}

// Pops everything, running each callback; returns the times popped.
std::vector<std::int64_t> drain(EventQueue& q) {
  std::vector<std::int64_t> times;
  while (!q.empty()) {
    TimePoint t;
    auto cb = q.pop(&t);
    times.push_back(t.time_since_epoch().count());
    if (cb) cb();
  }
  return times;
}

}  // namespace

TEST_CASE("events pop by time, equal times in insertion order", "[sim][event_queue]") {
  EventQueue q;
  std::vector<int> order;
  // Many events on few distinct instants, pushed in a scrambled time order.
  Rng rng(1);
  std::vector<std::pair<std::int64_t, int>> pushed;
  for (int i = 0; i < 2000; ++i) {
    const std::int64_t t = rng.uniform_int(0, 9);
    pushed.emplace_back(t, i);
    q.push(at_ms(t), [&order, i] { order.push_back(i); });
  }
  CHECK(q.size() == 2000);
  const auto times = drain(q);
  std::stable_sort(pushed.begin(), pushed.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<int> expected;
  for (const auto& p : pushed)
    expected.push_back(p.second);
  CHECK(order == expected);
  CHECK(std::is_sorted(times.begin(), times.end()));
  CHECK(q.empty());
}

TEST_CASE("next_time reports the earliest live event", "[sim][event_queue]") {
  EventQueue q;
  const EventId early = q.push(at_ms(5), [] {});
  q.push(at_ms(9), [] {});
  q.push(at_ms(7), [] {});
  CHECK(q.next_time() == at_ms(5));
  REQUIRE(q.cancel(early));
  CHECK(q.next_time() == at_ms(7));
  CHECK(q.size() == 2);
}

TEST_CASE("cancel removes a pending event exactly once", "[sim][event_queue]") {
  EventQueue q;
  std::vector<char> ran;
  q.push(at_ms(1), [&] { ran.push_back('a'); });
  const EventId b = q.push(at_ms(2), [&] { ran.push_back('b'); });
  q.push(at_ms(3), [&] { ran.push_back('c'); });

  CHECK(b != 0);
  CHECK(q.cancel(b));
  CHECK_FALSE(q.cancel(b));  // double cancel
  CHECK(q.size() == 2);
  drain(q);
  CHECK(ran == std::vector<char>{'a', 'c'});
}

TEST_CASE("cancel of an event that already ran returns false", "[sim][event_queue]") {
  EventQueue q;
  const EventId id = q.push(at_ms(1), [] {});
  TimePoint t;
  auto cb = q.pop(&t);
  CHECK(t == at_ms(1));
  CHECK_FALSE(q.cancel(id));
  CHECK(q.empty());
}

TEST_CASE("unknown ids cancel nothing", "[sim][event_queue]") {
  EventQueue q;
  const EventId id = q.push(at_ms(1), [] {});
  CHECK_FALSE(q.cancel(0));
  CHECK_FALSE(q.cancel(id + 1));                   // a slot that does not exist
  CHECK_FALSE(q.cancel(id + (EventId{1} << 32)));  // right slot, wrong generation
  CHECK_FALSE(q.cancel(~EventId{0}));
  CHECK(q.size() == 1);
}

TEST_CASE("a reused slot does not let an old id cancel the new event", "[sim][event_queue]") {
  EventQueue q;
  SECTION("slot freed by cancel") {
    const EventId old_id = q.push(at_ms(1), [] {});
    REQUIRE(q.cancel(old_id));
    bool ran = false;
    const EventId new_id = q.push(at_ms(2), [&] { ran = true; });
    CHECK((new_id & 0xffffffffu) == (old_id & 0xffffffffu));  // same slot, reused
    CHECK(new_id != old_id);
    CHECK_FALSE(q.cancel(old_id));
    REQUIRE(q.size() == 1);
    drain(q);
    CHECK(ran);
  }
  SECTION("slot freed by pop") {
    const EventId old_id = q.push(at_ms(1), [] {});
    q.pop(nullptr);
    bool ran = false;
    const EventId new_id = q.push(at_ms(2), [&] { ran = true; });
    CHECK(new_id != old_id);
    CHECK_FALSE(q.cancel(old_id));
    drain(q);
    CHECK(ran);
  }
}

TEST_CASE("cancel destroys the callback and what it captured at once", "[sim][event_queue]") {
  EventQueue q;
  auto resource = std::make_shared<int>(42);
  const EventId id = q.push(at_ms(1), [resource] { (void)*resource; });
  CHECK(resource.use_count() == 2);
  REQUIRE(q.cancel(id));
  CHECK(resource.use_count() == 1);
}

TEST_CASE("matches a reference model under random push, cancel and pop", "[sim][event_queue]") {
  // Heavy cancelling empties leaves and shrinks and regrows the tree; the pop order must stay
  // exactly (time, insertion sequence).
  EventQueue q;
  std::map<std::pair<std::int64_t, std::uint64_t>, EventId> model;  // (time, seq) -> id
  std::vector<std::pair<EventId, std::pair<std::int64_t, std::uint64_t>>> pending;
  Rng rng(99);
  std::uint64_t seq = 0;
  std::uint64_t last_popped_seq = 0;
  std::int64_t now = 0;
  for (int step = 0; step < 200000; ++step) {
    // Alternate push-heavy and cancel-heavy phases so that dead keys pile up and the heap
    // gets compacted while events are pending.
    const bool cancel_phase = (step / 5000) % 2 == 1;
    const auto roll = rng.uniform_int(0, 9);
    const int op = cancel_phase ? (roll < 2   ? 0
                                   : roll < 9 ? 1
                                              : 2)  // push 20%, cancel 70%
                                : (roll < 6   ? 0
                                   : roll < 8 ? 1
                                              : 2);  // push 60%, cancel 20%
    if (op == 0 || model.empty()) {
      const std::int64_t t = now + rng.uniform_int(0, 50);
      const std::uint64_t my_seq = seq++;
      const EventId id = q.push(at_ms(t), [&last_popped_seq, my_seq] { last_popped_seq = my_seq; });
      model.emplace(std::make_pair(t, my_seq), id);
      pending.emplace_back(id, std::make_pair(t, my_seq));
    } else if (op == 1) {
      // Cancel a random remembered id (it may have run or been cancelled already).
      const auto i = static_cast<std::size_t>(
          rng.uniform_int(0, static_cast<std::int64_t>(pending.size()) - 1));
      const auto [id, key] = pending[i];
      const bool expected = model.erase(key) == 1;
      CHECK(q.cancel(id) == expected);
      pending[i] = pending.back();
      pending.pop_back();
    } else {
      TimePoint t;
      auto cb = q.pop(&t);
      cb();
      const auto first = model.begin();
      REQUIRE(t.time_since_epoch().count() == first->first.first);
      REQUIRE(last_popped_seq == first->first.second);
      now = first->first.first;
      model.erase(first);
    }
    REQUIRE(q.size() == model.size());
  }
  while (!q.empty()) {
    TimePoint t;
    q.pop (&t)();
    const auto first = model.begin();
    REQUIRE(last_popped_seq == first->first.second);
    model.erase(first);
  }
  CHECK(model.empty());
}

TEST_CASE("a queue that cancels almost everything stays small", "[sim][event_queue]") {
  // The timeout pattern: schedule, then cancel. Only live events may keep memory.
  EventQueue q;
  q.push(at_ms(1'000'000), [] {});
  for (int i = 0; i < 100000; ++i) {
    REQUIRE(q.cancel(q.push(at_ms(i), [] {})));
  }
  CHECK(q.size() == 1);
  CHECK(q.next_time() == at_ms(1'000'000));
}

TEST_CASE("the queue shrinks after a burst and keeps its order", "[sim][event_queue]") {
  // 20,000 events pending at once, then back down to a few: the tree must not keep walking
  // the burst's height, and the events that stay must still pop in (time, sequence) order
  // with their ids intact.
  using Access = selfheal::sim::EventQueueTestAccess;
  EventQueue q;
  std::vector<int> order;
  std::vector<EventId> ids;
  Rng rng(7);
  std::vector<std::pair<std::int64_t, int>> kept;
  for (int i = 0; i < 20000; ++i) {
    const std::int64_t t = rng.uniform_int(0, 999);
    ids.push_back(q.push(at_ms(t), [&order, i] { order.push_back(i); }));
    if (i % 1000 == 7) kept.emplace_back(t, i);
  }
  const std::size_t burst_leaves = Access::leaves(q);
  CHECK(burst_leaves >= 20000);
  for (int i = 0; i < 20000; ++i) {
    if (i % 1000 != 7) REQUIRE(q.cancel(ids[static_cast<std::size_t>(i)]));
  }
  CHECK(q.size() == kept.size());
  CHECK(Access::leaves(q) < burst_leaves / 16);
  // A kept event can still be cancelled by its id, and the rest pop in order.
  REQUIRE(q.cancel(ids[1007]));
  kept.erase(std::find(kept.begin(), kept.end(), std::make_pair(kept[1].first, 1007)));
  drain(q);
  std::stable_sort(kept.begin(), kept.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<int> want;
  for (const auto& e : kept)
    want.push_back(e.second);
  CHECK(order == want);
  // And it grows again.
  for (int i = 0; i < 5000; ++i)
    q.push(at_ms(i), [] {});
  CHECK(q.size() == 5000);
  CHECK(q.next_time() == at_ms(0));
  // Room reserved on purpose is kept.
  EventQueue r;
  r.reserve(10000);
  const std::size_t reserved_leaves = Access::leaves(r);
  CHECK(reserved_leaves >= 10000);
  r.cancel(r.push(at_ms(1), [] {}));
  r.push(at_ms(2), [] {});
  r.pop(nullptr);
  CHECK(r.empty());
  CHECK(Access::leaves(r) == reserved_leaves);
}

TEST_CASE("the earliest and latest representable times keep their order", "[sim][event_queue]") {
  // An empty leaf holds a key above every real one; events at the extremes of the clock,
  // equal times included, must still sort below it and in insertion order.
  EventQueue q;
  std::vector<int> order;
  const TimePoint latest = TimePoint::max();
  const TimePoint earliest = TimePoint::min();
  for (int i = 0; i < 100; ++i) {
    const TimePoint t = i % 3 == 0 ? latest : (i % 3 == 1 ? earliest : at_ms(i));
    q.push(t, [&order, i] { order.push_back(i); });
  }
  const auto times = drain(q);
  REQUIRE(order.size() == 100);
  std::vector<int> want;
  for (int i = 1; i < 100; i += 3)
    want.push_back(i);
  for (int i = 2; i < 100; i += 3)
    want.push_back(i);
  for (int i = 0; i < 100; i += 3)
    want.push_back(i);
  CHECK(order == want);
  CHECK(times.front() == earliest.time_since_epoch().count());
  CHECK(times.back() == latest.time_since_epoch().count());
}

TEST_CASE("pop and next_time on an empty queue throw", "[sim][event_queue]") {
  EventQueue q;
  CHECK_THROWS_AS(q.pop(nullptr), std::out_of_range);
  CHECK_THROWS_AS(q.next_time(), std::out_of_range);
  q.cancel(q.push(at_ms(1), [] {}));
  CHECK(q.empty());
  CHECK_THROWS_AS(q.pop(nullptr), std::out_of_range);
}

TEST_CASE("callbacks accept ordinary callables of any size", "[sim][event_queue]") {
  std::string log;
  SECTION("small trivially copyable lambda") {
    EventCallback cb = [&log] { log += "small"; };
    cb();
    CHECK(log == "small");
  }
  SECTION("lambda owning a string") {
    std::string text(100, 'x');
    EventCallback cb = [&log, text] { log += text; };
    EventCallback moved = std::move(cb);
    CHECK_FALSE(cb);  // NOLINT(bugprone-use-after-move): moved-from is empty
    moved();
    CHECK(log == std::string(100, 'x'));
  }
  SECTION("lambda larger than the inline buffer") {
    std::array<char, 200> big{};
    big[199] = 'z';
    EventCallback cb = [&log, big] { log += big[199]; };
    EventCallback moved = std::move(cb);
    moved();
    CHECK(log == "z");
  }
  SECTION("move-only capture") {
    auto owned = std::make_unique<int>(7);
    EventCallback cb = [&log, p = std::move(owned)] { log += std::to_string(*p); };
    cb();
    CHECK(log == "7");
  }
  SECTION("std::function and function pointers") {
    std::function<void()> f = [&log] { log += "f"; };
    EventCallback cb = f;
    cb();
    static int calls = 0;
    EventCallback fp = +[] { ++calls; };
    fp();
    CHECK(calls == 1);
    CHECK(log == "f");
  }
  SECTION("empty callables make empty callbacks, which throw when called") {
    EventCallback none;
    EventCallback from_empty_function = std::function<void()>{};
    void (*null_fn)() = nullptr;
    EventCallback from_null_pointer = null_fn;
    CHECK_FALSE(none);
    CHECK_FALSE(from_empty_function);
    CHECK_FALSE(from_null_pointer);
    CHECK_THROWS_AS(none(), std::bad_function_call);
  }
}

TEST_CASE("callbacks release what they own exactly once", "[sim][event_queue]") {
  auto token = std::make_shared<int>(0);
  {
    EventQueue q;
    std::array<char, 100> pad{};
    q.push(at_ms(3), [token, pad] { (void)pad; });  // heap-stored
    q.push(at_ms(1), [token] {});                   // inline, non-trivial
    const EventId c = q.push(at_ms(2), [token] {});
    CHECK(token.use_count() == 4);
    q.cancel(c);
    CHECK(token.use_count() == 3);
    auto cb = q.pop(nullptr);
    CHECK(token.use_count() == 3);  // moved out, not copied
    cb = nullptr;
    CHECK(token.use_count() == 2);
  }
  CHECK(token.use_count() == 1);  // the queue's destructor released the rest
}

TEST_CASE("a callback's destructor may use the queue during cancel", "[sim][event_queue]") {
  // Destroying a callback runs the destructors of what it captured; one of those may cancel
  // or schedule events. The queue must already be consistent at that point.
  EventQueue q;
  struct CancelOnDestroy {
    EventQueue* q;
    EventId victim;
    std::shared_ptr<bool> armed;
    ~CancelOnDestroy() {
      if (armed && *armed) {
        *armed = false;
        q->cancel(victim);
        q->push(TimePoint{7ms}, [] {});
      }
    }
  };
  const EventId victim = q.push(at_ms(5), [] {});
  auto armed = std::make_shared<bool>(false);
  const EventId id = q.push(at_ms(1), [guard = CancelOnDestroy{&q, victim, armed}] {});
  *armed = true;
  REQUIRE(q.cancel(id));
  CHECK(q.size() == 1);
  CHECK(q.next_time() == at_ms(7));
}

TEST_CASE("insertion order and ids survive the sequence counter running out",
          "[sim][event_queue]") {
  EventQueue q;
  std::vector<int> order;
  std::vector<std::pair<std::int64_t, int>> expected;
  std::vector<EventId> ids;
  const auto add = [&](int i) {
    const std::int64_t t = i % 5;
    ids.push_back(q.push(at_ms(t), [&order, i] { order.push_back(i); }));
    expected.emplace_back(t, i);
  };
  for (int i = 0; i < 100; ++i)
    add(i);
  selfheal::sim::EventQueueTestAccess::jump_to_sequence_limit(q, 10);
  for (int i = 100; i < 200; ++i)
    add(i);  // renumbers after 10 of these
  // Ids issued before and after the renumbering still cancel their own event.
  for (int i = 0; i < 200; i += 7) {
    REQUIRE(q.cancel(ids[static_cast<std::size_t>(i)]));
    expected.erase(
        std::find(expected.begin(), expected.end(), std::make_pair(std::int64_t{i % 5}, i)));
  }
  drain(q);
  std::stable_sort(expected.begin(), expected.end(),
                   [](const auto& a, const auto& b) { return a.first < b.first; });
  std::vector<int> want;
  for (const auto& e : expected)
    want.push_back(e.second);
  CHECK(order == want);
}

TEST_CASE("run_next dispatches in place like pop, in (time, sequence) order under churn",
          "[sim][event_queue]") {
  // Callbacks run where the queue stores them: while one runs it pushes children (some due
  // at the same instant), cancels random pending events and tries to cancel itself. The
  // order must stay exactly (time, insertion sequence), checked against a reference model.
  EventQueue q;
  std::map<std::pair<std::int64_t, std::uint64_t>, EventId> model;
  std::vector<std::pair<EventId, std::pair<std::int64_t, std::uint64_t>>> ids;
  Rng rng(7);
  std::uint64_t seq = 0;
  std::int64_t now = 0;
  std::vector<std::uint64_t> ran;
  std::function<void(std::int64_t)> add = [&](std::int64_t t) {
    const std::uint64_t my_seq = seq++;
    // Capture enough to be stored inline but not trivially copyable half the time.
    auto keep = (my_seq % 2 == 0) ? std::make_shared<int>(1) : nullptr;
    const EventId id = q.push(at_ms(t), [&, my_seq, keep] {
      ran.push_back(my_seq);
      const auto roll = rng.uniform_int(0, 9);
      // ~1.1 children per event, so the population grows until the cap.
      if (roll < 8 && seq < 60000) add(now + rng.uniform_int(0, 3));
      if (roll < 3 && seq < 60000) add(now);  // due now: runs after everything already due
      if (roll == 9 && !ids.empty()) {
        const auto i =
            static_cast<std::size_t>(rng.uniform_int(0, static_cast<std::int64_t>(ids.size()) - 1));
        const auto [victim, key] = ids[i];
        CHECK(q.cancel(victim) == (model.erase(key) == 1));
      }
    });
    model.emplace(std::make_pair(t, my_seq), id);
    ids.emplace_back(id, std::make_pair(t, my_seq));
  };
  for (int i = 0; i < 500; ++i)
    add(rng.uniform_int(0, 100));
  while (!q.empty()) {
    const auto first = model.begin();
    const auto [expected_time, expected_seq] = first->first;
    const EventId running = first->second;
    model.erase(first);
    std::int64_t when = -1;
    q.run_next([&](TimePoint t) {
      when = t.time_since_epoch().count();
      now = when;
      CHECK_FALSE(q.cancel(running));  // counts as run before its callback starts
    });
    REQUIRE(when == expected_time);
    REQUIRE(ran.back() == expected_seq);
    REQUIRE(q.size() == model.size());
  }
  CHECK(model.empty());
  CHECK(seq > 10000);
}

TEST_CASE("run_next releases the callback when it throws", "[sim][event_queue]") {
  EventQueue q;
  auto owned = std::make_shared<int>(5);
  q.push(at_ms(1), [owned] { throw std::runtime_error("boom"); });
  q.push(at_ms(2), [] {});
  CHECK(owned.use_count() == 2);
  CHECK_THROWS_WITH(q.run_next([](TimePoint) {}), "boom");
  CHECK(owned.use_count() == 1);  // destroyed with the event, not leaked
  CHECK(q.size() == 1);
  CHECK(q.next_time() == at_ms(2));
  // The released slot is reused and the queue keeps its order.
  q.push(at_ms(0), [] {});
  CHECK(q.next_time() == at_ms(0));
  CHECK(drain(q) == std::vector<std::int64_t>{0, 2});
}

TEST_CASE("a callback's destructor may push when run_next releases it", "[sim][event_queue]") {
  EventQueue q;
  struct PushOnDestroy {
    EventQueue* q = nullptr;
    int* pushed = nullptr;
    ~PushOnDestroy() {
      if (q != nullptr) {
        q->push(at_ms(50), [this_pushed = pushed] { ++*this_pushed; });
      }
    }
  };
  int pushed = 0;
  {
    auto guard = std::make_shared<PushOnDestroy>();
    guard->q = &q;
    guard->pushed = &pushed;
    q.push(at_ms(10), [guard] {});
  }
  q.run_next([](TimePoint) {});
  REQUIRE(q.size() == 1);  // pushed from the destructor, after the callback ran
  CHECK(q.next_time() == at_ms(50));
  q.run_next([](TimePoint) {});
  CHECK(pushed == 1);
  CHECK(q.empty());
}

TEST_CASE("push of a callable whose copy throws leaves the queue unchanged", "[sim][event_queue]") {
  struct Throws {
    bool armed = false;
    Throws() = default;
    Throws(const Throws& o) : armed(o.armed) {
      if (armed) throw std::runtime_error("copy failed");
    }
    void operator()() const {}
  };
  EventQueue q;
  q.push(at_ms(3), [] {});
  Throws bad;
  bad.armed = true;
  CHECK_THROWS_WITH(q.push(at_ms(1), bad), "copy failed");  // copied in place: throws there
  CHECK(q.size() == 1);
  CHECK(q.next_time() == at_ms(3));
  Throws fine;
  q.push(at_ms(2), fine);
  CHECK(drain(q) == std::vector<std::int64_t>{2, 3});
}

TEST_CASE("a moved queue keeps its events, ids and order", "[sim][event_queue]") {
  EventQueue a;
  std::vector<int> order;
  const EventId first = a.push(at_ms(5), [&] { order.push_back(5); });
  a.push(at_ms(1), [&] { order.push_back(1); });
  a.push(at_ms(9), [&] { order.push_back(9); });
  EventQueue b{std::move(a)};
  CHECK(b.size() == 3);
  REQUIRE(b.cancel(first));
  EventQueue c;
  c.push(at_ms(0), [&] { order.push_back(0); });
  c = std::move(b);  // c's own event is dropped with its old contents
  CHECK(c.size() == 2);
  drain(c);
  CHECK(order == std::vector<int>{1, 9});
}
