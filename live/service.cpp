#include "live/service.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <filesystem>
#include <iostream>
#include <mutex>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "engine/engine.hpp"
#include "live/actuator.hpp"
#include "live/alertmanager.hpp"
#include "live/executor.hpp"
#include "live/log_text.hpp"
#include "live/metrics.hpp"
#include "live/notifier.hpp"
#include "live/prefetch.hpp"
#include "live/prometheus.hpp"
#include "live/runtime.hpp"
#include "live/sqlite_state.hpp"

namespace selfheal::live {

namespace http = boost::beast::http;
namespace asio = boost::asio;
using json = nlohmann::json;

bool constant_time_equal(std::string_view a, std::string_view b) {
  // Compare over the longer length so the time depends on neither the content nor where
  // the first difference is; the length mismatch is folded into the result.
  const std::size_t n = std::max(a.size(), b.size());
  unsigned diff = a.size() == b.size() ? 0U : 1U;
  for (std::size_t i = 0; i < n; ++i) {
    const auto x = static_cast<unsigned char>(i < a.size() ? a[i] : 0);
    const auto y = static_cast<unsigned char>(i < b.size() ? b[i] : 0);
    diff |= static_cast<unsigned>(x ^ y);
  }
  return diff == 0;
}

constexpr std::int64_t kMaxQueued = 10000;

namespace {

// Tags the engine's work on an action's completion with its target, so the timers the
// engine arms there (verification) are known to be about it (live/prefetch.hpp).
class TaggingActuator final : public engine::Actuator {
 public:
  TaggingActuator(engine::Actuator& inner, PrefetchScheduler& scheduler)
      : inner_(inner), scheduler_(scheduler) {}
  void execute(const engine::ActionRequest& request,
               std::function<void(engine::ActionResult)> done) override {
    inner_.execute(request,
                   [this, target = request.target, done = std::move(done)](engine::ActionResult r) {
                     CurrentTarget on(scheduler_, target);
                     done(std::move(r));
                   });
  }

 private:
  engine::Actuator& inner_;
  PrefetchScheduler& scheduler_;
};

}  // namespace

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
  std::unique_ptr<PrefetchScheduler> scheduler;
  std::unique_ptr<IncidentGate> gate;  ///< webhook incidents whose decision queries Prometheus
  std::unique_ptr<CommandExecutor> executor;
  std::unique_ptr<KubeActuator> actuator;
  std::unique_ptr<TaggingActuator> tagging_actuator;
  std::unique_ptr<HttpNotifier> notifier;
  std::unique_ptr<engine::Engine> engine;
  std::unique_ptr<HttpServer> server;
  std::atomic<std::int64_t> queued{0};
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

  HttpServer::Response alerts(const HttpServer::Request& req) {
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
      asio::post(engine_io,
                 [this, inc = std::move(inc)]() mutable { gate->submit(std::move(inc)); });
    }
    if (msg->truncated_alerts > 0)
      std::cerr << "selfheal: Alertmanager truncated " << msg->truncated_alerts
                << " alert(s) in group " << log_escape(msg->group_key) << " (raise max_alerts)\n";
    return HttpServer::json(202, json{{"accepted", accepted}, {"rejected", rejected}}.dump());
  }

  HttpServer::Response audit_log(const HttpServer::Request& req) {
    std::size_t limit = 100;
    const std::string target(req.target());
    if (auto q = target.find("limit="); q != std::string::npos) {
      try {
        limit = std::stoul(target.substr(q + 6));
      } catch (const std::exception&) {
        return error(400, "limit must be a positive integer");
      }
    }
    limit = std::clamp<std::size_t>(limit, 1, 1000);
    // Serve only what a crash cannot take back (this connection also sees the open batch).
    store->flush();
    json out = json::array();
    for (auto& r : store->recent_audit(limit))
      out.push_back(std::move(r));
    return HttpServer::json(200, json{{"records", out}}.dump());
  }

  HttpServer::Response kill_switch(const HttpServer::Request& req) {
    if (req.method() == http::verb::post) {
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
  auto store = SqliteStore::open(config.state_path, config.kill_switch_file);
  if (!store) return store.error();
  i.store = std::move(*store);
  // Dedup keys only need to outlive Alertmanager's retries and repeat intervals.
  i.store->prune_seen(i.clock.now() - std::chrono::hours{24 * 7});
  auto calendar = FileCalendar::open(config.calendar_file);
  if (!calendar) return calendar.error();
  i.calendar = std::move(*calendar);
  i.audit = std::make_unique<MetricsAuditSink>(*i.store, i.metrics);
  i.telemetry = std::make_unique<PrometheusTelemetry>(config.prometheus);
  i.topology = std::make_unique<ConfigTopology>(config.topology, *i.telemetry, config.prometheus);
  if (!config.labels.allowed_namespaces.empty())
    policies.settings.allowed_namespaces = config.labels.allowed_namespaces;
  apply_overrides(config.engine, policies.settings);
  i.policies = policies;
  i.scheduler = std::make_unique<PrefetchScheduler>(
      i.engine_io.get_executor(), *i.telemetry,
      verification_planner(*i.store, i.clock, i.policies, *i.telemetry, *i.topology));
  i.gate = std::make_unique<IncidentGate>(
      *i.scheduler, *i.telemetry,
      incident_planner(*i.store, i.clock, i.policies, *i.telemetry, *i.topology),
      [&i](const engine::Incident& inc) { i.decide(inc); });
  i.executor = std::make_unique<CommandExecutor>(i.engine_io.get_executor(), 2);
  i.actuator =
      std::make_unique<KubeActuator>(config.kube, dry_run, *i.executor, i.engine_io.get_executor());
  // The in-flight record is committed before any command starts (no action twice after a
  // kill -9, whatever batch is open).
  i.actuator->set_durability_barrier([store = i.store.get()] { return store->flush(); });
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
        {"selfheal_prometheus_queries", static_cast<double>(i.telemetry->queries_sent())},
        {"selfheal_prometheus_query_errors", static_cast<double>(i.telemetry->query_errors())},
        {"selfheal_prometheus_blocking_queries",
         static_cast<double>(i.telemetry->blocking_queries())}};
  });
  HttpServer::Options opts;
  opts.address = config.listen_address;
  opts.port = config.port;
  opts.body_limit = config.body_limit;
  opts.threads = config.io_threads;
  opts.max_connections = config.max_connections;
  opts.request_timeout = config.request_timeout;
  i.server = std::make_unique<HttpServer>(
      opts, [svc = svc.get()](const HttpServer::Request& r) { return svc->handle(r); });
  return svc;
}

core::Result<std::uint16_t> LiveService::start() {
  auto& i = *impl_;
  i.started = true;
  // Pages a previous process persisted but did not deliver go out again first (before the
  // engine runs, so nothing it escalates now is picked up twice).
  if (const auto n = i.notifier->redeliver_pending(); n > 0)
    std::cerr << "selfheal: re-sending " << n << " undelivered escalation(s) from the outbox\n";
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
