#include "sim/simulation.hpp"

#include <catch2/catch.hpp>
#include <functional>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

using selfheal::sim::EventId;
using selfheal::sim::Rng;
using selfheal::sim::Simulation;
using selfheal::sim::TimePoint;
using namespace std::chrono_literals;

TEST_CASE("a simulation starts at its epoch with nothing pending", "[sim][simulation]") {
  Simulation s{7};
  CHECK(s.now() == s.start());
  CHECK(s.start() == selfheal::sim::kDefaultStart);
  CHECK(s.pending() == 0);
  CHECK(s.dispatched() == 0);
  CHECK(s.seed() == 7);
  const TimePoint custom = s.start() + 24h;
  Simulation later{7, custom};
  CHECK(later.now() == custom);
}

TEST_CASE("equal-time events run in the order they were scheduled", "[sim][simulation]") {
  Simulation s{1};
  std::string trace;
  s.after(5min, [&] {
    trace += 'a';
    // Scheduled for this same instant: runs after everything already due now.
    s.after(0min, [&] { trace += 'd'; });
  });
  s.after(5min, [&] { trace += 'b'; });
  s.after(1min, [&] { trace += '0'; });
  s.after(5min, [&] { trace += 'c'; });
  s.run();
  CHECK(trace == "0abcd");
  CHECK(s.now() == s.start() + 5min);
  CHECK(s.dispatched() == 5);
}

TEST_CASE("an event can cancel a sibling due at the same instant", "[sim][simulation]") {
  Simulation s{1};
  std::string trace;
  EventId b = 0;
  EventId a = 0;
  bool cancelled_sibling = false;
  bool cancelled_self = true;
  a = s.after(1h, [&] {
    trace += 'a';
    cancelled_sibling = s.cancel(b);
    cancelled_self = s.cancel(a);  // the running event already counts as run
  });
  b = s.after(1h, [&] { trace += 'b'; });
  s.after(1h, [&] { trace += 'c'; });
  s.run();
  CHECK(trace == "ac");
  CHECK(cancelled_sibling);
  CHECK_FALSE(cancelled_self);
  CHECK(s.dispatched() == 2);
  CHECK_FALSE(s.cancel(b));  // double cancel
  CHECK_FALSE(s.cancel(a));  // already ran
}

TEST_CASE("an event can cancel a later sibling it scheduled itself", "[sim][simulation]") {
  Simulation s{1};
  std::string trace;
  s.after(1min, [&] {
    const EventId timeout = s.after(10min, [&] { trace += "timeout"; });
    s.after(2min, [&, timeout] {
      trace += "done";
      CHECK(s.cancel(timeout));
    });
  });
  s.run();
  CHECK(trace == "done");
  CHECK(s.now() == s.start() + 3min);
}

TEST_CASE("run_until stops exactly at t and leaves later events queued", "[sim][simulation]") {
  Simulation s{1};
  std::vector<int> ran;
  for (int m : {1, 2, 3, 5})
    s.after(std::chrono::minutes{m}, [&ran, m] { ran.push_back(m); });
  // Scheduled from inside the window for an instant still inside it: runs too.
  s.after(2min, [&] { s.after(1min, [&] { ran.push_back(30); }); });

  s.run_until(s.start() + 3min);
  CHECK(ran == std::vector<int>{1, 2, 3, 30});
  CHECK(s.now() == s.start() + 3min);
  CHECK(s.pending() == 1);

  s.run_until(s.start() + 4min);  // nothing due: the clock still advances to t
  CHECK(s.now() == s.start() + 4min);
  CHECK(ran.size() == 4);

  s.run_until(s.start() + 1min);  // the clock never goes back
  CHECK(s.now() == s.start() + 4min);

  s.run_until(s.start() + 5min);
  CHECK(ran.back() == 5);
  CHECK(s.pending() == 0);
  CHECK(s.now() == s.start() + 5min);
}

TEST_CASE("run_until leaves an event due 1 ms after t queued", "[sim][simulation]") {
  Simulation s{1};
  bool ran = false;
  s.at(s.start() + 10s + 1ms, [&] { ran = true; });
  s.run_until(s.start() + 10s);
  CHECK_FALSE(ran);
  CHECK(s.pending() == 1);
  s.run_until(s.start() + 10s + 1ms);
  CHECK(ran);
}

TEST_CASE("at() clamps a time in the past to now", "[sim][simulation]") {
  Simulation s{1};
  std::string trace;
  s.run_until(s.start() + 10min);
  s.after(0s, [&] { trace += 'a'; });
  TimePoint ran_at{};
  s.at(s.start() + 1min, [&] {
    trace += 'b';
    ran_at = s.now();
  });
  s.run();
  CHECK(trace == "ab");  // after the event already due now
  CHECK(ran_at == s.start() + 10min);
}

TEST_CASE("stop() returns after the current event, leaving the rest", "[sim][simulation]") {
  Simulation s{1};
  std::vector<int> ran;
  s.after(1min, [&] { ran.push_back(1); });
  s.after(2min, [&] {
    ran.push_back(2);
    s.stop();
  });
  s.after(2min, [&] { ran.push_back(3); });
  s.after(9min, [&] { ran.push_back(9); });

  s.run_until(s.start() + 1h);
  CHECK(ran == std::vector<int>{1, 2});
  CHECK(s.now() == s.start() + 2min);  // not +1h: events before +1h are still pending
  CHECK(s.pending() == 2);

  s.run();  // a new run starts un-stopped
  CHECK(ran == std::vector<int>{1, 2, 3, 9});
  CHECK(s.now() == s.start() + 9min);
}

TEST_CASE("step runs one event at a time", "[sim][simulation]") {
  Simulation s{1};
  int count = 0;
  s.after(1s, [&] { ++count; });
  s.after(2s, [&] { ++count; });
  CHECK(s.step());
  CHECK(count == 1);
  CHECK(s.now() == s.start() + 1s);
  CHECK(s.step());
  CHECK_FALSE(s.step());
  CHECK(count == 2);
  CHECK(s.dispatched() == 2);
}

TEST_CASE("an exception from an event propagates and the simulation stays usable",
          "[sim][simulation]") {
  Simulation s{1};
  bool later_ran = false;
  s.after(1s, [] { throw std::runtime_error("boom"); });
  s.after(2s, [&] { later_ran = true; });
  CHECK_THROWS_WITH(s.run(), "boom");
  CHECK(s.now() == s.start() + 1s);
  CHECK(s.pending() == 1);
  s.run();
  CHECK(later_ran);
}

namespace {

// A small stochastic model: arrivals with random gaps, each served for a random time,
// some abandoned by a cancel. Returns a trace of everything that happened.
std::vector<std::int64_t> run_model(std::uint64_t seed) {
  Simulation s{seed};
  Rng arrivals = s.stream("arrivals");
  Rng service = s.stream("service");
  std::vector<std::int64_t> trace;
  std::function<void()> arrive = [&] {
    const auto served_in =
        std::chrono::milliseconds{static_cast<std::int64_t>(service.lognormal(8.0, 0.7))};
    const EventId done =
        s.after(served_in, [&] { trace.push_back(s.now().time_since_epoch().count()); });
    if (service.bernoulli(0.1)) s.cancel(done);
    trace.push_back(-served_in.count());
    s.after(std::chrono::milliseconds{1 + arrivals.poisson(2000.0)}, arrive);
  };
  s.after(0s, arrive);
  s.run_until(s.start() + 1h);
  trace.push_back(static_cast<std::int64_t>(s.dispatched()));
  return trace;
}

}  // namespace

TEST_CASE("the same seed gives the same run, another seed another run", "[sim][simulation]") {
  const auto first = run_model(42);
  const auto second = run_model(42);
  CHECK(first.size() > 1000);
  CHECK(first == second);
  CHECK(run_model(43) != first);
}

TEST_CASE("stream(name) is the substream of the simulation's seed", "[sim][simulation]") {
  Simulation s{1234};
  Rng a = s.stream("svc/payment-api");
  Rng b = Rng::substream(1234, "svc/payment-api");
  for (int i = 0; i < 16; ++i)
    CHECK(a.next_u64() == b.next_u64());
}

TEST_CASE("at() and after() take any callable: move-only, std::function, function pointer",
          "[sim][simulation]") {
  Simulation s{1};
  std::vector<int> order;
  auto owned = std::make_unique<int>(3);
  s.after(3s, [&order, p = std::move(owned)] { order.push_back(*p); });  // move-only capture
  const std::function<void()> copied = [&order] { order.push_back(2); };
  s.after(2s, copied);  // an lvalue: copied into the queue, the original stays usable
  static std::vector<int>* sink = nullptr;
  sink = &order;
  s.at(
      s.start() + 1s, +[] { sink->push_back(1); });
  void (*null_fn)() = nullptr;
  s.after(4s, null_fn);  // an empty callback: runs as a no-op, still counts as an event
  copied();
  s.run();
  CHECK(order == std::vector<int>{2, 1, 2, 3});
  CHECK(s.dispatched() == 4);
  CHECK(s.now() == s.start() + 4s);
}
