#include "live/prefetch.hpp"

#include <mutex>
#include <set>

#include <boost/asio/post.hpp>

namespace selfheal::live {

namespace asio = boost::asio;

PrefetchScheduler::PrefetchScheduler(asio::any_io_executor engine, PrometheusTelemetry& telemetry,
                                     Planner planner, std::size_t workers)
    : engine_(engine),
      telemetry_(telemetry),
      planner_(std::move(planner)),
      inner_(engine),
      pool_(workers) {}

PrefetchScheduler::~PrefetchScheduler() {
  alive_.reset();
  pool_.stop();  // queued queries are dropped, running ones finish (bounded by their timeout)
  pool_.join();
}

engine::TimerId PrefetchScheduler::after(engine::Duration delay, std::function<void()> cb) {
  const auto id = next_++;
  auto& e = entries_[id];
  e.tag = current_;
  e.cb = std::move(cb);
  e.inner = inner_.after(delay, [this, id] { expired(id); });
  return id;
}

bool PrefetchScheduler::cancel(engine::TimerId id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  if (it->second.inner != 0) inner_.cancel(it->second.inner);
  entries_.erase(it);  // a prefetch in progress finds no entry and drops its answers
  return true;
}

void PrefetchScheduler::expired(engine::TimerId id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.inner = 0;
  std::vector<std::string> plan;
  if (telemetry_.enabled() && planner_) plan = planner_(it->second.tag);
  if (plan.empty()) return run(id, {});

  // The queries go out in parallel; the last answer posts the callback to the engine.
  struct Gather {
    std::mutex mu;
    PrometheusTelemetry::Answers answers;
    std::size_t remaining = 0;
  };
  auto g = std::make_shared<Gather>();
  g->remaining = plan.size();
  std::weak_ptr<int> alive = alive_;
  for (auto& q : plan) {
    asio::post(pool_, [this, g, alive, id, q = std::move(q)] {
      auto answer = telemetry_.fetch(q);
      std::lock_guard lock(g->mu);
      g->answers[q] = std::move(answer);
      if (--g->remaining != 0) return;
      asio::post(engine_, [this, g, alive, id] {
        if (alive.expired()) return;
        run(id, std::move(g->answers));
      });
    });
  }
}

void PrefetchScheduler::run(engine::TimerId id, PrometheusTelemetry::Answers answers) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;  // cancelled while its answers were on their way
  Entry e = std::move(it->second);
  entries_.erase(it);
  const bool prefetched = !answers.empty();
  if (prefetched) ++prefetched_;
  telemetry_.set_prefetched(std::move(answers));
  struct Clear {
    PrometheusTelemetry& t;
    ~Clear() { t.clear_prefetched(); }
  } clear{telemetry_};
  CurrentTarget on(*this, e.tag);
  e.cb();
}

namespace {

// engine.cpp's kClassificationWindow: the window the engine reads signals over when it
// (re)classifies. Should they ever differ, the follow-up's queries are merely sent blocking.
constexpr core::Duration kClassificationWindow{std::chrono::minutes{10}};
// A verification timer expires when verify_at is reached (steady vs system clock may
// differ by a little); anything due within this much is prefetched.
constexpr core::Duration kDueSlack{std::chrono::seconds{2}};

}  // namespace

PrefetchScheduler::Planner verification_planner(engine::StateStore& state, engine::Clock& clock,
                                                const engine::PolicySet& policies,
                                                const PrometheusTelemetry& telemetry,
                                                const ConfigTopology& topology) {
  return [&state, &clock, &policies, &telemetry,
          &topology](const std::optional<engine::ServiceRef>& tag) {
    std::set<std::string> qs;
    auto add = [&](const std::vector<std::string>& v) { qs.insert(v.begin(), v.end()); };
    auto verification = [&](const engine::ServiceRef& target, const engine::InFlightAction& fl) {
      const engine::Policy* p = policies.find(fl.policy);
      const auto window =
          p != nullptr ? p->verification_window : core::Duration{std::chrono::minutes{5}};
      add(telemetry.signal_queries(target, window));
      if (p == nullptr) return;
      for (const auto& c : p->verification)
        if (!c.promql.empty()) qs.insert(telemetry.check_query(c.promql, target));
    };
    const auto due = clock.now() + kDueSlack;
    for (const auto& [target, st] : state.in_flight()) {
      const auto& fl = *st.in_flight;
      const bool tagged = tag && *tag == target;
      if (fl.executed && (tagged || fl.verify_at <= due)) verification(target, fl);
    }
    if (tag) {
      const auto st = state.load(*tag);
      if (!st.in_flight) {
        add(telemetry.signal_queries(*tag, kClassificationWindow));
        for (const auto& up : topology.upstream_refs(*tag))
          qs.insert(telemetry.check_query(topology.error_template(), up));
      }
    }
    return std::vector<std::string>(qs.begin(), qs.end());
  };
}

}  // namespace selfheal::live
