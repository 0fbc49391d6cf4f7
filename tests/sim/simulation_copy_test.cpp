// Data events and the copy of a Simulation (sim/simulation.hpp): a copy pops the same
// events in the same order with the same ids, later pushes get the original's ids, and a
// pending closure refuses the copy.
#include <catch2/catch.hpp>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "sim/simulation.hpp"

using selfheal::sim::Event;
using selfheal::sim::EventId;
using selfheal::sim::EventTarget;
using selfheal::sim::Simulation;
using selfheal::sim::TargetId;
using namespace std::chrono_literals;

namespace {

/// Records what it receives; kind 1 schedules a successor (kind 1 again, a + 1) after `b`
/// minutes, so a copy's future depends on its own events too.
struct Recorder final : EventTarget {
  explicit Recorder(Simulation& s) : sim(s), id(s.add_target(*this)) {}
  void on_event(const Event& e) override {
    log.push_back(std::to_string(id) + ":" + std::to_string(e.kind) + ":" + std::to_string(e.a) +
                  "@" + std::to_string((sim.now() - sim.start()) / 1min) + "#" +
                  std::to_string(sim.dispatched()));
    if (e.kind == 1 && e.a < 20) {
      ids.push_back(sim.after(std::chrono::minutes(e.b), id, Event{1, e.a + 1, e.b}));
    }
  }
  Simulation& sim;
  TargetId id;
  std::vector<std::string> log;
  std::vector<EventId> ids;
};

/// Two targets, several chains and a cancelled event: a queue with holes and reused slots.
void seed_events(Simulation& s, const Recorder& r0, const Recorder& r1) {
  s.after(1min, r0.id, Event{1, 0, 3});
  s.after(1min, r1.id, Event{1, 0, 2});
  s.after(2min, r1.id, Event{2, 7, 0});
  const EventId gone = s.after(4min, r0.id, Event{2, 99, 0});
  s.after(4min, r0.id, Event{2, 8, 0});
  s.after(10min, r1.id, Event{2, 9, 0});
  s.cancel(gone);
}

}  // namespace

TEST_CASE("a data event reaches its target at its time", "[sim][simulation][copy]") {
  Simulation s{1};
  Recorder r0{s}, r1{s};
  CHECK(r0.id == 0);
  CHECK(r1.id == 1);
  CHECK(s.targets() == 2);
  s.after(5min, r1.id, Event{2, 42, 0});
  s.run();
  REQUIRE(r1.log.size() == 1);
  CHECK(r1.log[0] == "1:2:42@5#1");
  CHECK(r0.log.empty());
  s.at(s.now() + 1min, TargetId{9}, Event{});
  CHECK_THROWS_AS(s.run(), std::logic_error);
}

TEST_CASE("a copied simulation runs the same events, ids and order as the original",
          "[sim][simulation][copy]") {
  Simulation a{5};
  Recorder a0{a}, a1{a};
  seed_events(a, a0, a1);
  a.run_until(a.start() + 7min);
  const std::size_t ran0 = a0.log.size(), ran1 = a1.log.size();

  Simulation b{Simulation::NewOwner{}, a};
  Recorder b0{b}, b1{b};
  CHECK(b.now() == a.now());
  CHECK(b.start() == a.start());
  CHECK(b.seed() == a.seed());
  CHECK(b.dispatched() == a.dispatched());
  CHECK(b.pending() == a.pending());
  CHECK(b.stream("x").next_u64() == a.stream("x").next_u64());

  // An id the original holds cancels the same event in the copy.
  REQUIRE(!a1.ids.empty());
  const EventId held = a1.ids.back();
  CHECK(b.cancel(held));
  CHECK(a.cancel(held));
  // Pushed after the copy at the instant of a pending event: runs after it in both.
  a.at(a.start() + 10min, a1.id, Event{2, 10, 0});
  b.at(b.start() + 10min, b1.id, Event{2, 10, 0});

  a.run_until(a.start() + 40min);
  b.run_until(b.start() + 40min);
  CHECK(std::vector(a0.log.begin() + static_cast<std::ptrdiff_t>(ran0), a0.log.end()) == b0.log);
  CHECK(std::vector(a1.log.begin() + static_cast<std::ptrdiff_t>(ran1), a1.log.end()) == b1.log);
  CHECK(std::vector(a0.ids.end() - static_cast<std::ptrdiff_t>(b0.ids.size()), a0.ids.end()) ==
        b0.ids);
  CHECK(!b0.log.empty());
  CHECK(b1.log == std::vector<std::string>{"1:2:9@10#10", "1:2:10@10#12"});
  CHECK(b.dispatched() == a.dispatched());
  CHECK(b.now() == a.now());
}

TEST_CASE("a copy of a copy, and the original is not touched by running the copy",
          "[sim][simulation][copy]") {
  Simulation a{5};
  Recorder a0{a}, a1{a};
  seed_events(a, a0, a1);
  a.run_until(a.start() + 3min);
  Simulation b{Simulation::NewOwner{}, a};
  Recorder b0{b}, b1{b};
  b.run_until(b.start() + 5min);
  Simulation c{Simulation::NewOwner{}, b};
  Recorder c0{c}, c1{c};
  const auto a_before = a0.log;
  b.run_until(b.start() + 30min);
  c.run_until(c.start() + 30min);
  CHECK(a0.log == a_before);  // running b and c left a alone
  CHECK(a.now() == a.start() + 3min);
  a.run_until(a.start() + 30min);
  CHECK(std::vector(a0.log.end() - static_cast<std::ptrdiff_t>(c0.log.size()), a0.log.end()) ==
        c0.log);
  CHECK(std::vector(a1.log.end() - static_cast<std::ptrdiff_t>(c1.log.size()), a1.log.end()) ==
        c1.log);
  CHECK(!c1.log.empty());
}

TEST_CASE("a pending closure refuses the copy, and so does a call from inside an event",
          "[sim][simulation][copy]") {
  Simulation a{1};
  Recorder r{a};
  a.after(1min, r.id, Event{2, 1, 0});
  const EventId closure = a.after(2min, [] {});
  try {
    Simulation b{Simulation::NewOwner{}, a};
    FAIL("copied a closure event");
  } catch (const std::logic_error& e) {
    CHECK(std::string(e.what()).find("closure") != std::string::npos);
  }
  a.cancel(closure);
  CHECK_NOTHROW(Simulation{Simulation::NewOwner{}, a});
  a.after(3min, [&] {
    CHECK_THROWS_AS((Simulation{Simulation::NewOwner{}, a}), std::logic_error);
  });
  a.run();
  CHECK(a.dispatched() == 2);
}

TEST_CASE("run_until_dispatched stops exactly between two events", "[sim][simulation][copy]") {
  Simulation a{1};
  Recorder r{a};
  a.after(1min, r.id, Event{1, 0, 0});  // a chain of events all at +1 min
  a.after(2min, r.id, Event{2, 5, 0});
  a.run_until_dispatched(4);
  CHECK(a.dispatched() == 4);
  CHECK(r.log.size() == 4);
  CHECK(r.log.back() == "0:1:3@1#4");
  CHECK(a.now() == a.start() + 1min);
  a.run_until_dispatched(2);  // already past: nothing runs
  CHECK(a.dispatched() == 4);
  Simulation b{Simulation::NewOwner{}, a};
  Recorder rb{b};
  b.step();
  CHECK(rb.log.front() == "0:1:4@1#5");
  a.run_until_dispatched(1000);  // runs out of events
  CHECK(a.pending() == 0);
  CHECK(r.log.back() == "0:2:5@2#22");
}

TEST_CASE("a copy's target that registers out of the original's order is refused",
          "[sim][simulation][copy]") {
  Simulation original{1};
  Recorder first{original};
  Recorder second{original};
  Simulation copy{Simulation::NewOwner{}, original};
  Recorder again{copy};  // the copy's number 0, as `first` in the original
  // The next registration gets number 1: `second`'s, accepted; the one after gets 2.
  CHECK_NOTHROW(copy.add_target_as(again, second.id, "Second"));
  CHECK_THROWS_WITH(copy.add_target_as(again, first.id, "First"),
                    "First: the copy's simulation numbers its targets differently");
}
