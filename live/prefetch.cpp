#include "live/prefetch.hpp"

#include <algorithm>
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

engine::TimerId PrefetchScheduler::after(engine::Duration delay, engine::Callbacks& to,
                                         std::uint64_t token) {
  const auto id = next_++;
  auto& e = entries_[id];
  e.tag = current_;
  e.to = &to;
  e.token = token;
  e.inner = inner_.after(delay, *this, id);
  return id;
}

bool PrefetchScheduler::cancel(engine::TimerId id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return false;
  if (it->second.inner != 0) inner_.cancel(it->second.inner);
  entries_.erase(it);  // a prefetch in progress finds no entry and drops its answers
  return true;
}

void PrefetchScheduler::prefetch(
    std::vector<std::string> plan,
    std::function<void(std::shared_ptr<const PrometheusTelemetry::Answers>)> done) {
  // The queries go out in parallel; the last answer posts `done` to the engine.
  struct Gather {
    std::mutex mu;
    PrometheusTelemetry::Answers answers;
    std::size_t remaining = 0;
    std::function<void(std::shared_ptr<const PrometheusTelemetry::Answers>)> done;
  };
  auto g = std::make_shared<Gather>();
  g->remaining = plan.size();
  g->done = std::move(done);
  std::weak_ptr<int> alive = alive_;
  for (auto& q : plan) {
    asio::post(pool_, [this, g, alive, q = std::move(q)] {
      auto answer = telemetry_.fetch(q);
      std::lock_guard lock(g->mu);
      g->answers[q] = std::move(answer);
      if (--g->remaining != 0) return;
      asio::post(engine_, [g, alive] {
        if (alive.expired()) return;
        g->done(std::make_shared<const PrometheusTelemetry::Answers>(std::move(g->answers)));
      });
    });
  }
}

void PrefetchScheduler::expired(engine::TimerId id) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;
  it->second.inner = 0;
  std::vector<engine::ServiceRef> reads;
  if (reader_ != nullptr && deployment_planner_) reads = deployment_planner_(it->second.tag);
  if (reads.empty()) return fetch_then_run(id, nullptr);
  // Each read is one kubectl process, bounded by kubernetes.timeout; they run one after
  // another on one worker (a verification waits on one or two targets at a time).
  std::weak_ptr<int> alive = alive_;
  asio::post(pool_, [this, id, alive, reads = std::move(reads)] {
    auto answers = std::make_shared<DeploymentReader::Answers>();
    for (const auto& t : reads)
      (*answers)[t] = reader_->read(t);
    asio::post(engine_, [this, id, alive, answers] {
      if (!alive.expired()) fetch_then_run(id, answers);
    });
  });
}

void PrefetchScheduler::fetch_then_run(engine::TimerId id,
                                       std::shared_ptr<DeploymentReader::Answers> deployments) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;  // cancelled while the reads were on their way
  std::vector<std::string> plan;
  if (telemetry_.enabled() && planner_) plan = planner_(it->second.tag);
  if (plan.empty()) return run(id, nullptr, std::move(deployments));
  prefetch(std::move(plan),
           [this, id, deployments](auto answers) { run(id, std::move(answers), deployments); });
}

void PrefetchScheduler::run(engine::TimerId id,
                            std::shared_ptr<const PrometheusTelemetry::Answers> answers,
                            std::shared_ptr<DeploymentReader::Answers> deployments) {
  auto it = entries_.find(id);
  if (it == entries_.end()) return;  // cancelled while its answers were on their way
  Entry e = std::move(it->second);
  entries_.erase(it);
  if (answers || deployments) ++prefetched_;
  telemetry_.set_prefetched(std::move(answers));
  if (deployments && reader_ != nullptr) reader_->install(std::move(*deployments));
  struct Clear {
    PrometheusTelemetry& t;
    DeploymentReader* r;
    ~Clear() {
      t.clear_prefetched();
      if (r != nullptr) r->clear();
    }
  } clear{telemetry_, reader_};
  CurrentTarget on(*this, e.tag);
  e.to->on_timer(e.token);
}

// ---- IncidentGate -------------------------------------------------------------------

IncidentGate::IncidentGate(PrefetchScheduler& scheduler, PrometheusTelemetry& telemetry,
                           Planner planner, Handler handler,
                           std::chrono::steady_clock::duration reuse)
    : scheduler_(scheduler),
      telemetry_(telemetry),
      planner_(std::move(planner)),
      handler_(std::move(handler)),
      reuse_(reuse) {}

std::size_t IncidentGate::waiting() const {
  std::size_t n = 0;
  for (const auto& [t, q] : waiting_)
    n += q.size();
  return n;
}

void IncidentGate::submit(engine::Incident incident) {
  if (auto it = waiting_.find(incident.target); it != waiting_.end()) {
    it->second.push_back(std::move(incident));  // behind a fetch for this target
    return;
  }
  if (!telemetry_.enabled() || !planner_) return handle(incident, nullptr);  // nothing to fetch
  const auto target = incident.target;
  waiting_[target].push_back(std::move(incident));
  drain(target);
}

bool IncidentGate::covered(const engine::ServiceRef& target,
                           const std::vector<std::string>& plan) const {
  auto it = cache_.find(target);
  if (it == cache_.end() || std::chrono::steady_clock::now() - it->second.at > reuse_) return false;
  for (const auto& q : plan)
    if (!it->second.answers->contains(q)) return false;
  return true;
}

void IncidentGate::handle(const engine::Incident& incident,
                          std::shared_ptr<const PrometheusTelemetry::Answers> answers) {
  telemetry_.set_prefetched(std::move(answers));
  struct Clear {
    PrometheusTelemetry& t;
    ~Clear() { t.clear_prefetched(); }
  } clear{telemetry_};
  handler_(incident);
}

void IncidentGate::drain(const engine::ServiceRef& target) {
  auto it = waiting_.find(target);
  while (it != waiting_.end() && !it->second.empty()) {
    const engine::Incident incident = it->second.front();
    std::vector<std::string> plan;
    if (telemetry_.enabled() && planner_) plan = planner_(incident);
    if (plan.empty()) {
      it->second.pop_front();
      handle(incident, nullptr);
    } else if (covered(target, plan)) {
      it->second.pop_front();
      handle(incident, cache_[target].answers);
    } else {
      // The front waits for its answers (and everything behind it, to keep the order).
      ++fetches_;
      scheduler_.prefetch(std::move(plan), [this, target](auto answers) {
        cache_[target] = {std::chrono::steady_clock::now(), std::move(answers)};
        drain(target);
      });
      return;
    }
    it = waiting_.find(target);  // the handler may have submitted more (it does not today)
  }
  if (it != waiting_.end()) waiting_.erase(it);
  // Old answers are dropped once nothing waits for their target.
  if (!cache_.empty()) {
    const auto now = std::chrono::steady_clock::now();
    std::erase_if(cache_, [&](const auto& kv) { return now - kv.second.at > reuse_; });
  }
}

namespace {

// A verification timer expires when verify_at is reached (steady vs system clock may
// differ by a little); anything due within this much is prefetched.
constexpr core::Duration kDueSlack{std::chrono::seconds{2}};

// The PromQL that answers the engine's named needs for `target`: the signal queries over
// each window, the upstreams' error-rate queries (what ConfigTopology::upstreams sends),
// and the policy's PromQL checks.
void add_plan(std::vector<std::string>& plan, const engine::DataNeeds& needs,
              const engine::ServiceRef& target, const PrometheusTelemetry& telemetry,
              const ConfigTopology& topology) {
  for (const auto window : needs.signal_windows) {
    const auto qs = telemetry.signal_queries(target, window);
    plan.insert(plan.end(), qs.begin(), qs.end());
  }
  if (needs.upstreams) {
    // Breadth first, each service once, as the engine's transitive pre-check walks.
    std::vector<engine::ServiceRef> level = topology.upstream_refs(target);
    std::set<engine::ServiceRef> seen{target};
    for (int hop = 1; hop <= needs.upstream_hops && !level.empty(); ++hop) {
      std::vector<engine::ServiceRef> next;
      for (const auto& up : level) {
        plan.push_back(telemetry.check_query(topology.error_template(), up));
        if (hop == needs.upstream_hops || !seen.insert(up).second) continue;
        for (auto& further : topology.upstream_refs(up))
          next.push_back(std::move(further));
      }
      level = std::move(next);
    }
  }
  for (const auto& s : needs.health)
    plan.push_back(telemetry.check_query(topology.error_template(), s));
  for (const auto& expr : needs.queries)
    plan.push_back(telemetry.check_query(expr, target));
}

std::vector<std::string> sorted_unique(std::vector<std::string> plan) {
  std::sort(plan.begin(), plan.end());
  plan.erase(std::unique(plan.begin(), plan.end()), plan.end());
  return plan;
}

}  // namespace

IncidentGate::Planner incident_planner(engine::StateStore& state, engine::Clock& clock,
                                       const engine::PolicySet& policies,
                                       const PrometheusTelemetry& telemetry,
                                       const ConfigTopology& topology) {
  return [&state, &clock, &policies, &telemetry, &topology](const engine::Incident& inc) {
    std::vector<std::string> plan;
    const auto needs = engine::decision_needs(policies, inc, state.load(inc.target), clock.now());
    add_plan(plan, needs, inc.target, telemetry, topology);
    return sorted_unique(std::move(plan));
  };
}

PrefetchScheduler::Planner verification_planner(engine::StateStore& state, engine::Clock& clock,
                                                const engine::PolicySet& policies,
                                                const PrometheusTelemetry& telemetry,
                                                const ConfigTopology& topology) {
  return [&state, &clock, &policies, &telemetry,
          &topology](const std::optional<engine::ServiceRef>& tag) {
    std::vector<std::string> plan;
    const auto due = clock.now() + kDueSlack;
    for (const auto& [target, st] : state.in_flight()) {
      const auto& fl = *st.in_flight;
      const bool tagged = tag && *tag == target;
      if (fl.executed && (tagged || fl.verify_at <= due)) {
        add_plan(plan, engine::verification_needs(policies, fl.policy), target, telemetry,
                 topology);
      }
    }
    // A tagged target with nothing in flight: a follow-up re-decides it.
    if (tag && !state.load(*tag).in_flight) {
      auto needs = engine::follow_up_needs();
      needs.merge(engine::gate_needs(policies, *tag));
      needs.merge(engine::action_needs(policies, {}));  // a follow-up may act
      add_plan(plan, needs, *tag, telemetry, topology);
    }
    return sorted_unique(std::move(plan));
  };
}

PrefetchScheduler::DeploymentPlanner deployment_planner(engine::StateStore& state,
                                                        engine::Clock& clock,
                                                        const engine::PolicySet& policies) {
  return [&state, &clock, &policies](const std::optional<engine::ServiceRef>& tag) {
    std::vector<engine::ServiceRef> reads;
    const auto due = clock.now() + kDueSlack;
    for (const auto& [target, st] : state.in_flight()) {
      const auto& fl = *st.in_flight;
      const bool tagged = tag && *tag == target;
      // A target waiting for its rollout polls before its verify_at; the tag names it.
      if (fl.executed && (tagged || fl.verify_at <= due) &&
          engine::verification_needs(policies, fl.policy).deployment) {
        reads.push_back(target);
      }
    }
    return reads;
  };
}

void TaggingActuator::execute(const engine::ActionRequest& request, engine::Callbacks& to) {
  waiting_.insert_or_assign(request.id, Waiting{&to, request.target});
  inner_.execute(request, *this);
}

void TaggingActuator::forget(engine::Callbacks& to) {
  std::erase_if(waiting_, [&](const auto& kv) { return kv.second.to == &to; });
}

void TaggingActuator::on_action_done(std::uint64_t request_id, engine::ActionResult r) {
  auto it = waiting_.find(request_id);
  if (it == waiting_.end()) return;  // its engine is gone (forget)
  const Waiting w = it->second;
  waiting_.erase(it);
  CurrentTarget on(scheduler_, w.target);
  w.to->on_action_done(request_id, std::move(r));
}

}  // namespace selfheal::live
