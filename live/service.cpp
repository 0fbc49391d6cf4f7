#include "live/service.hpp"

#include <algorithm>
#include <atomic>
#include <charconv>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <map>
#include <mutex>
#include <optional>
#include <set>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "engine/defaults.hpp"
#include "engine/engine.hpp"
#include "live/actuator.hpp"
#include "live/alertmanager.hpp"
#include "live/executor.hpp"
#include "live/log_text.hpp"
#include "live/notifier.hpp"
#include "live/prefetch.hpp"
#include "live/prometheus.hpp"
#include "live/runtime.hpp"
#include "live/server_metrics.hpp"
#include "live/sqlite_state.hpp"

namespace selfheal::live {

namespace http = boost::beast::http;
namespace asio = boost::asio;
using json = nlohmann::json;

constexpr std::int64_t kMaxQueued = 10000;
/// A tracked open target whose alerts were last delivered this long ago may be dropped to
/// make room (Alertmanager re-sends firing alerts every repeat_interval, 4 h by default).
constexpr core::Duration kOpenTargetIdle = std::chrono::hours{24};
/// Firing fingerprints remembered per open target (more still refresh it).
constexpr std::size_t kMaxFiringPerTarget = 64;
/// Audit records between two retention prunes.
constexpr std::size_t kPruneEvery = 1000;
/// Dedup keys only need to outlive Alertmanager's retries and repeat intervals.
constexpr core::Duration kSeenMaxAge = std::chrono::hours{24 * 7};

struct LiveService::Impl {
  // Declaration order is destruction order reversed: whatever holds a reference is
  // declared after what it refers to.
  ServeConfig config;
  bool dry_run = true;
  Metrics metrics;
  std::unique_ptr<SqliteStore> store;
  std::unique_ptr<MetricsAuditSink> audit;
  asio::io_context engine_io;
  asio::executor_work_guard<asio::io_context::executor_type> guard{engine_io.get_executor()};
  std::thread engine_thread;
  SystemClock clock;
  std::unique_ptr<PrometheusTelemetry> telemetry;
  std::unique_ptr<ConfigTopology> topology;
  std::unique_ptr<FileCalendar> calendar;
  engine::PolicySet policies;  ///< the engine's copy, for the verification planner
  std::unique_ptr<DeploymentReader> deployments;  ///< rollouts verification waits for
  std::unique_ptr<PrefetchScheduler> scheduler;
  std::unique_ptr<IncidentGate> gate;  ///< webhook incidents whose decision queries Prometheus
  std::unique_ptr<CommandExecutor> executor;
  std::unique_ptr<KubeActuator> actuator;
  std::unique_ptr<TaggingActuator> tagging_actuator;
  std::unique_ptr<HttpNotifier> notifier;
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<HttpServer> server;
  std::atomic<std::int64_t> queued{0};
  // Open targets (engine thread only): target key -> its unresolved firing fingerprints.
  struct OpenTarget {
    std::set<std::string> firing;
    core::TimePoint last{};
  };
  std::map<std::string, OpenTarget> open_targets;
  std::atomic<std::size_t> open_target_count{0};
  bool cap_paged = false;  ///< the cap's page went out since a target was last admitted
  bool started = false;
  bool stopped = false;

  // Decisions made back to back share one SQLite transaction: opened by the first, committed
  // by a task queued behind the work already waiting (or every kMaxBatchWrites writes).
  // Effects outside the process flush it first (actuator barrier, outbox, kill switch).
  void ensure_batch() {
    if (store->batch_open()) return;
    store->begin_batch();
    asio::post(engine_io, [this] { store->commit_batch(); });
  }

  // The gate's handler: one webhook incident through the engine (on the engine thread).
  void decide(const engine::Incident& inc) {
    --queued;
    try {
      ensure_batch();
      CurrentTarget on(*scheduler, inc.target);
      engine->handle(inc);
    } catch (const std::exception& e) {
      std::cerr << "selfheal: engine error on " << inc.fingerprint << ": " << e.what() << "\n";
    }
  }

  // A record of the live layer (not the engine), stored and counted like the engine's.
  void note(engine::AuditRecord r) {
    r.time = clock.now();
    r.seq = store->record_note(r);
    metrics.observe_audit(r);
  }

  // Engine thread: may `inc` go to the engine? Past max_open_targets a firing alert for a
  // target not already open is refused: audited, paged once per episode at the cap, never
  // acted on (an invented name must not grow memory and state without bound).
  bool admit(const engine::Incident& inc) {
    if (config.max_open_targets == 0) return true;
    const std::string key = inc.target.key();
    const auto now = clock.now();
    auto it = open_targets.find(key);
    if (inc.resolved) {
      if (it != open_targets.end() && it->second.firing.erase(inc.fingerprint) != 0 &&
          it->second.firing.empty())
        open_targets.erase(it);
      open_target_count = open_targets.size();
      return true;  // never acts; lets the engine clear what it holds
    }
    if (it == open_targets.end() && open_targets.size() >= config.max_open_targets)
      std::erase_if(open_targets,
                    [&](const auto& kv) { return now - kv.second.last > kOpenTargetIdle; });
    if (it == open_targets.end() && open_targets.size() >= config.max_open_targets) {
      refuse_target(inc);
      return false;
    }
    if (it == open_targets.end()) {
      it = open_targets.emplace(key, OpenTarget{}).first;
      cap_paged = false;
    }
    if (it->second.firing.size() < kMaxFiringPerTarget) it->second.firing.insert(inc.fingerprint);
    it->second.last = now;
    open_target_count = open_targets.size();
    return true;
  }

  void refuse_target(const engine::Incident& inc) {
    metrics.add_safety_event("open_target_refused");
    engine::AuditRecord r;
    r.kind = engine::AuditKind::kDecision;
    r.incident = inc.fingerprint;
    r.target = inc.target;
    r.outcome = engine::Outcome::kRateLimited;
    r.guardrail = "open-target-cap";
    r.escalate = true;
    r.reason = std::to_string(open_targets.size()) +
               " targets already have unresolved alerts (state.max_open_targets " +
               std::to_string(config.max_open_targets) +
               "): a new target is not handed to the engine; nothing done";
    note(r);
    if (cap_paged) return;  // one page per stretch at the cap, not one per invented name
    cap_paged = true;
    std::cerr << "selfheal: open-target cap reached (" << config.max_open_targets
              << "): alerts for new targets are refused (audited, never acted on) until some "
                 "resolve\n";
    engine::Escalation e;
    e.incident = inc.fingerprint;
    e.target = inc.target;
    e.channel = std::string(engine::defaults::kDefaultChannel);
    e.severity = "critical";
    e.reason = engine::Outcome::kRateLimited;
    e.summary = "selfheal refuses alerts for new targets: " + r.reason +
                " (first refused: " + inc.target.key() + "; see the audit log)";
    notifier->escalate(e);
  }

  // Engine thread: a queued command of `req` was not started (kill switch engaged after the
  // decision). Pages at once: the engine's own follow-up waits for the cooldown.
  void not_started(const engine::ActionRequest& req, const std::string& why) {
    metrics.add_safety_event("queued_action_not_started");
    const engine::TargetState st = store->load(req.target);
    const bool ours = st.in_flight && st.in_flight->action_id == req.id;
    engine::Escalation e;
    e.incident = ours ? st.in_flight->incident : std::string();
    e.target = req.target;
    e.channel = std::string(engine::defaults::kDefaultChannel);
    if (const auto* p = ours ? find_policy(st.in_flight->policy) : nullptr)
      e.channel = p->escalation_channel;
    e.severity = "error";
    e.reason = engine::Outcome::kKillSwitch;
    e.summary = "action #" + std::to_string(req.id) + " (" +
                std::string(engine::to_string(req.action.kind)) + ") on " + req.target.key() +
                " was decided before the kill switch was engaged and was NOT started (" + why +
                "); the alert is unhandled";
    engine::AuditRecord r;
    r.kind = engine::AuditKind::kEscalation;
    r.incident = e.incident;
    r.target = req.target;
    r.action = req.action;
    r.argv = req.argv;
    r.success = false;
    r.escalate = true;
    r.guardrail = "kill-switch";
    r.reason = e.summary;
    note(r);
    notifier->escalate(e);
  }

  // Before the engine runs: an action decided but never reported (executed == false) when
  // the last process stopped may or may not have started. It is escalated at once, not
  // re-driven: running a restart, scale or rollback twice can do harm (a second rollback
  // goes back one more revision), and only a person can tell whether it ran.
  void escalate_unfinished() {
    for (auto& [target, st] : store->in_flight()) {
      if (st.in_flight->executed) continue;
      const engine::InFlightAction fl = *st.in_flight;
      st.in_flight.reset();
      st.escalate_only = true;
      store->save(target, st);
      metrics.add_safety_event("unfinished_action_escalated");
      engine::AuditRecord r;
      r.kind = engine::AuditKind::kEscalation;
      r.incident = fl.incident;
      r.target = target;
      r.policy = fl.policy;
      r.action = fl.action;
      r.success = false;
      r.escalate = true;
      r.guardrail = "restart";
      r.reason = "action #" + std::to_string(fl.action_id) + " (" +
                 std::string(engine::to_string(fl.action.kind)) + ") on " + target.key() +
                 " was decided but no result was recorded before the previous process "
                 "stopped: it may or may not have run. Not re-driven; the target is "
                 "escalate-only until it recovers or a person resets it";
      note(r);
      std::cerr << "selfheal: " << r.reason << "\n";
      engine::Escalation e;
      e.incident = fl.incident;
      e.target = target;
      e.channel = std::string(engine::defaults::kDefaultChannel);
      if (const auto* p = find_policy(fl.policy)) e.channel = p->escalation_channel;
      e.severity = "critical";
      e.reason = engine::Outcome::kMaxAttemptsReached;
      e.summary = r.reason;
      e.suggested_action = fl.action;
      notifier->escalate(e);
    }
    store->flush();
  }

  // Start-up: rows of target_state that cannot be read (each is escalate-only from now).
  void report_unreadable() {
    const auto bad = store->scan_unreadable();
    if (bad.empty()) return;
    for (std::size_t k = 0; k < bad.size(); ++k)
      metrics.add_safety_event("unreadable_target");
    std::string names;
    for (std::size_t k = 0; k < bad.size() && k < 10; ++k)
      names += (names.empty() ? "" : ", ") + bad[k].first.key();
    if (bad.size() > 10) names += ", ...";
    engine::Escalation e;
    e.incident = "unreadable-state";
    e.target = bad.front().first;
    e.channel = std::string(engine::defaults::kDefaultChannel);
    e.severity = "error";
    e.reason = engine::Outcome::kMaxAttemptsReached;
    e.summary = std::to_string(bad.size()) + " target state row(s) in " + config.state_path +
                " are unreadable (" + names +
                "): treated as escalate-only, no automated action on them until reset";
    std::cerr << "selfheal: " << e.summary << "\n";
    notifier->escalate(e);
  }

  const engine::Policy* find_policy(const std::string& incident_type) const {
    for (const auto& p : policies.policies)
      if (p.incident_type == incident_type) return &p;
    return nullptr;
  }

  bool authorized(const HttpServer::Request& req) const {
    const auto field = req[http::field::authorization];
    const std::string_view h(field.data(), field.size());
    constexpr std::string_view kBearer = "Bearer ";
    if (!h.starts_with(kBearer)) return false;
    const std::string_view got = h.substr(kBearer.size());
    return constant_time_equal(got, config.token);
  }

  static HttpServer::Response error(int status, const std::string& message) {
    // Invalid UTF-8 in a message is replaced, never a throw (that would turn a 400 into a 500).
    auto r = HttpServer::json(
        status, json{{"error", message}}.dump(-1, ' ', false, json::error_handler_t::replace));
    if (status == 401) r.set(http::field::www_authenticate, "Bearer realm=\"selfheal\"");
    return r;
  }

  // 415 for a body declared as something else (e.g. curl -d's form encoding): the sender
  // is misconfigured, and reading its bytes as JSON anyway would hide that.
  static std::optional<HttpServer::Response> refuse_non_json(const HttpServer::Request& req) {
    const auto field = req[http::field::content_type];
    const std::string_view type(field.data(), field.size());
    if (HttpServer::json_media_type(type)) return std::nullopt;
    return error(415, "Content-Type must be application/json, not \"" + std::string(type) + "\"");
  }

  HttpServer::Response alerts(const HttpServer::Request& req) {
    if (auto refused = refuse_non_json(req)) return std::move(*refused);
    auto msg = parse_webhook(req.body());
    if (!msg) {
      const auto& e = msg.error();
      return error(400, (e.field.empty() ? "" : e.field + ": ") + e.message);
    }
    // Back-pressure: when the engine is this far behind, refuse with 503 so Alertmanager
    // retries later, rather than queueing without bound.
    if (queued.load() >= kMaxQueued) {
      auto r = error(503, "engine queue full (" + std::to_string(kMaxQueued) +
                              " alerts waiting); retry later");
      r.set(http::field::retry_after, "5");
      return r;
    }
    auto batch = to_incidents(*msg, config.labels);
    json rejected = json::array();
    for (const auto& r : batch.rejected) {
      rejected.push_back({{"fingerprint", r.fingerprint}, {"reason", r.reason}});
      std::cerr << "selfheal: rejected alert " << r.fingerprint << ": " << r.reason << "\n";
    }
    metrics.add_alerts(batch.incidents.size(), batch.rejected.size());
    const auto accepted = batch.incidents.size();
    queued += static_cast<std::int64_t>(accepted);
    for (auto& inc : batch.incidents) {
      asio::post(engine_io, [this, inc = std::move(inc)]() mutable {
        if (admit(inc))
          gate->submit(std::move(inc));
        else
          --queued;
      });
    }
    if (msg->truncated_alerts > 0)
      std::cerr << "selfheal: Alertmanager truncated " << msg->truncated_alerts
                << " alert(s) in group " << log_escape(msg->group_key) << " (raise max_alerts)\n";
    return HttpServer::json(202, json{{"accepted", accepted}, {"rejected", rejected}}.dump());
  }

  HttpServer::Response audit_log(const HttpServer::Request& req) {
    std::size_t limit = 100;
    // Digits only: stoul read "-1" as 2^64 - 1 (then 1000 records) and "5abc" as 5.
    if (const auto v =
            HttpServer::query_param({req.target().data(), req.target().size()}, "limit")) {
      const auto [end, ec] = std::from_chars(v->data(), v->data() + v->size(), limit);
      if (ec != std::errc{} || end != v->data() + v->size() || limit == 0)
        return error(400, "limit must be a positive integer");
    }
    limit = std::min<std::size_t>(limit, 1000);
    // Serve only what a crash cannot take back (this connection also sees the open batch).
    store->flush();
    json out = json::array();
    for (auto& r : store->recent_audit(limit))
      out.push_back(std::move(r));
    return HttpServer::json(200, json{{"records", out}}.dump());
  }

  HttpServer::Response kill_switch(const HttpServer::Request& req) {
    if (req.method() == http::verb::post) {
      if (auto refused = refuse_non_json(req)) return std::move(*refused);
      auto j = json::parse(req.body(), nullptr, false);
      if (j.is_discarded() || !j.is_object() || !j.contains("engaged") ||
          !j["engaged"].is_boolean())
        return error(400, "body must be {\"engaged\": true|false}");
      const bool engaged = j["engaged"].get<bool>();
      store->set_kill_switch(engaged);  // durable now, whatever the engine queue holds
      asio::post(engine_io, [this, engaged] { engine->set_kill_switch(engaged); });
    }
    bool file = false;
    if (!config.kill_switch_file.empty()) {
      std::error_code ec;
      file = std::filesystem::exists(config.kill_switch_file, ec);
    }
    return HttpServer::json(200, json{{"engaged", store->kill_switch()}, {"file", file}}.dump());
  }

  HttpServer::Response route(const HttpServer::Request& req) {
    const std::string_view target(req.target().data(), req.target().size());
    const auto path = target.substr(0, target.find('?'));
    const auto m = req.method();
    if (path == "/healthz" && m == http::verb::get)
      return HttpServer::json(200, json{{"status", "ok"},
                                        {"dry_run", dry_run},
                                        {"kill_switch", store->kill_switch()},
                                        {"engine_queue", queued.load()},
                                        {"outbox_pending", store->outbox_count("pending")}}
                                       .dump());
    if (path == "/metrics" && m == http::verb::get)
      return HttpServer::text(200, metrics.render(), "text/plain; version=0.0.4; charset=utf-8");
    const bool known =
        path == "/api/v1/alerts" || path == "/api/v1/audit" || path == "/api/v1/kill-switch";
    if (!known) return error(404, "no such endpoint");
    if (!authorized(req)) return error(401, "missing or wrong bearer token");
    if (path == "/api/v1/alerts" && m == http::verb::post) return alerts(req);
    if (path == "/api/v1/audit" && m == http::verb::get) return audit_log(req);
    if (path == "/api/v1/kill-switch" && (m == http::verb::get || m == http::verb::post))
      return kill_switch(req);
    auto r = error(405, "method not allowed");
    return r;
  }
};

namespace {

HttpServer::Options server_options(const ServeConfig& config) {
  HttpServer::Options opts;
  opts.address = config.listen_address;
  opts.port = config.port;
  opts.body_limit = config.body_limit;
  opts.threads = config.io_threads;
  opts.max_connections = config.max_connections;
  opts.request_timeout = config.request_timeout;
  return opts;
}

}  // namespace

LiveService::LiveService() : impl_(std::make_unique<Impl>()) {}

LiveService::~LiveService() {
  stop();
}

core::Result<std::unique_ptr<LiveService>> LiveService::create(const ServeConfig& config,
                                                               engine::PolicySet policies,
                                                               bool dry_run) {
  std::unique_ptr<LiveService> svc(new LiveService());
  auto& i = *svc->impl_;
  i.config = config;
  i.dry_run = dry_run;
  auto store = SqliteStore::open(config.state_path, config.kill_switch_file, config.reset_state);
  if (!store) return store.error();
  i.store = std::move(*store);
  i.store->set_retention({config.audit_max_age, config.audit_max_rows, kSeenMaxAge, kPruneEvery});
  i.store->prune(i.clock.now());
  auto calendar = FileCalendar::open(config.calendar_file);
  if (!calendar) return calendar.error();
  i.calendar = std::move(*calendar);
  i.audit = std::make_unique<MetricsAuditSink>(*i.store, i.metrics);
  i.telemetry = std::make_unique<PrometheusTelemetry>(config.prometheus, config.objectives);
  i.topology = std::make_unique<ConfigTopology>(config.topology, *i.telemetry, config.prometheus);
  if (!config.labels.allowed_namespaces.empty())
    policies.settings.allowed_namespaces = config.labels.allowed_namespaces;
  apply_overrides(config.engine, policies.settings);
  i.policies = policies;
  i.scheduler = std::make_unique<PrefetchScheduler>(
      i.engine_io.get_executor(), *i.telemetry,
      verification_planner(*i.store, i.clock, i.policies, *i.telemetry, *i.topology));
  i.deployments = std::make_unique<DeploymentReader>(config.kube);
  if (!dry_run) {  // dry-run changes nothing: no rollout to wait for, nothing to read
    i.scheduler->set_deployment_reads(deployment_planner(*i.store, i.clock, i.policies),
                                      *i.deployments);
  }
  i.gate = std::make_unique<IncidentGate>(
      *i.scheduler, *i.telemetry,
      incident_planner(*i.store, i.clock, i.policies, *i.telemetry, *i.topology),
      [&i](const engine::Incident& inc) { i.decide(inc); });
  i.executor = std::make_unique<CommandExecutor>(i.engine_io.get_executor(), 2);
  // "Finish in-flight, start nothing new" holds for the queue too: a command waiting for a
  // worker is not started once the switch is on.
  i.executor->set_start_gate([store = i.store.get()] {
    return store->kill_switch() ? std::string("kill switch engaged") : std::string();
  });
  i.actuator =
      std::make_unique<KubeActuator>(config.kube, dry_run, *i.executor, i.engine_io.get_executor());
  i.actuator->set_deployment_reader(i.deployments.get());
  // The in-flight record is committed before any command starts (no action twice after a
  // kill -9, whatever batch is open).
  i.actuator->set_durability_barrier([store = i.store.get()] { return store->flush(); });
  i.actuator->set_refusal_hook(
      [&i](const engine::ActionRequest& req, const std::string& why) { i.not_started(req, why); });
  i.tagging_actuator = std::make_unique<TaggingActuator>(*i.actuator, *i.scheduler);
  i.notifier = std::make_unique<HttpNotifier>(
      config.notifiers,
      [m = &i.metrics](const std::string& n, bool ok) { m->add_notification(n, ok); },
      i.store.get());
  i.engine = std::make_unique<engine::Engine>(
      engine::EngineContext{i.clock, *i.scheduler, *i.telemetry, *i.topology, *i.calendar,
                            *i.tagging_actuator, *i.notifier, *i.store, *i.audit},
      std::move(policies), engine::ClassifierModel::builtin());
  i.metrics.set_gauge_source([&i] {
    return std::map<std::string, double>{
        {"selfheal_kill_switch", i.store->kill_switch() ? 1.0 : 0.0},
        {"selfheal_dry_run", i.dry_run ? 1.0 : 0.0},
        {"selfheal_state_errors", static_cast<double>(i.store->errors())},
        {"selfheal_engine_queue", static_cast<double>(i.queued.load())},
        {"selfheal_outbox_pending", static_cast<double>(i.store->outbox_count("pending"))},
        {"selfheal_outbox_failed", static_cast<double>(i.store->outbox_count("failed"))},
        {"selfheal_open_targets", static_cast<double>(i.open_target_count.load())},
        {"selfheal_open_targets_max", static_cast<double>(i.config.max_open_targets)},
        {"selfheal_state_unreadable_targets", static_cast<double>(i.store->unreadable_count())},
        {"selfheal_audit_pruned", static_cast<double>(i.store->audit_pruned())},
        {"selfheal_prometheus_queries", static_cast<double>(i.telemetry->queries_sent())},
        {"selfheal_prometheus_query_errors", static_cast<double>(i.telemetry->query_errors())},
        {"selfheal_prometheus_blocking_queries",
         static_cast<double>(i.telemetry->blocking_queries())}};
  });
  i.server = std::make_unique<HttpServer>(
      server_options(config),
      [svc = svc.get()](const HttpServer::Request& r) { return svc->handle(r); });
  return svc;
}

core::Result<std::uint16_t> LiveService::start() {
  auto& i = *impl_;
  i.started = true;
  // Pages a previous process persisted but did not deliver go out again first (before the
  // engine runs, so nothing it escalates now is picked up twice).
  if (const auto n = i.notifier->redeliver_pending(); n > 0)
    std::cerr << "selfheal: re-sending " << n << " undelivered escalation(s) from the outbox\n";
  // Then what the last process left unfinished or unreadable, before the engine resumes.
  i.report_unreadable();
  i.escalate_unfinished();
  i.engine_thread = std::thread([&i] { i.engine_io.run(); });
  // In-flight verifications from before a restart are re-armed before any new alert.
  asio::post(i.engine_io, [&i] { i.engine->resume(); });
  return i.server->start();
}

void LiveService::stop() {
  auto& i = *impl_;
  if (i.stopped) return;
  i.stopped = true;
  if (i.server) i.server->stop();
  if (i.started) {
    drain(std::chrono::seconds{30});
    // The engine is destroyed on its own thread (its destructor cancels its timers through
    // the scheduler). Pending verifications are abandoned here; their state is durable and
    // resume() re-arms them at the next start.
    asio::post(i.engine_io, [&i] {
      i.engine.reset();
      i.store->commit_batch();
    });
    drain(std::chrono::seconds{5});
    i.executor.reset();  // joins running commands (each bounded by its timeout)
    i.guard.reset();
    drain(std::chrono::seconds{5});
    i.engine_io.stop();
    i.engine_thread.join();
    i.scheduler.reset();  // joins the prefetch workers (each query bounded by its timeout)
  }
  if (i.notifier) i.notifier->stop();
  i.executor.reset();  // joins running commands (each bounded by its timeout)
}

bool LiveService::drain(std::chrono::milliseconds timeout) {
  auto& i = *impl_;
  if (!i.started || i.engine_io.stopped()) return true;
  struct Flag {
    std::mutex mu;
    std::condition_variable cv;
    bool done = false;
  };
  auto flag = std::make_shared<Flag>();
  // The marker re-posts itself once, so work that the queued handlers post in turn (an
  // actuator's immediate completion) has run too when drain returns.
  asio::post(i.engine_io, [flag, &io = i.engine_io] {
    asio::post(io, [flag] {
      std::lock_guard lock(flag->mu);
      flag->done = true;
      flag->cv.notify_all();
    });
  });
  std::unique_lock lock(flag->mu);
  return flag->cv.wait_for(lock, timeout, [&] { return flag->done; });
}

HttpServer::Response LiveService::handle(const HttpServer::Request& req) {
  const auto start = std::chrono::steady_clock::now();
  auto res = impl_->route(req);
  const std::string target(req.target());
  auto path = target.substr(0, target.find('?'));
  if (path != "/healthz" && path != "/metrics" && path != "/api/v1/alerts" &&
      path != "/api/v1/audit" && path != "/api/v1/kill-switch")
    path = "other";
  impl_->metrics.observe_request(
      path, static_cast<int>(res.result_int()),
      std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
  return res;
}

SqliteStore& LiveService::store() {
  return *impl_->store;
}
Metrics& LiveService::metrics() {
  return impl_->metrics;
}
bool LiveService::dry_run() const {
  return impl_->dry_run;
}

}  // namespace selfheal::live
