#include "live/notifier.hpp"

#include <atomic>
#include <iostream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "engine/audit_json.hpp"
#include "engine/engine.hpp"
#include "live/http_client.hpp"
#include "live/runtime.hpp"
#include "live/sqlite_state.hpp"

namespace selfheal::live {

using json = nlohmann::json;

json pagerduty_event(const engine::Escalation& e, const std::string& routing_key) {
  static const std::vector<std::string> kSeverities{"critical", "error", "warning", "info"};
  std::string severity = e.severity;
  if (std::find(kSeverities.begin(), kSeverities.end(), severity) == kSeverities.end())
    severity = "critical";  // PagerDuty rejects anything else; an unknown one errs loud
  std::string summary = e.summary.empty()
                            ? e.target.key() + ": " + std::string(engine::to_string(e.reason))
                            : e.summary;
  if (summary.size() > 1024) summary.resize(1024);  // the API's limit
  json history = json::array();
  for (const auto& r : e.history)
    history.push_back(json(r));
  json details = {{"channel", e.channel},
                  {"reason", engine::to_string(e.reason)},
                  {"incident", e.incident},
                  {"history", history}};
  if (e.suggested_action) details["suggested_action"] = json(*e.suggested_action);
  if (!e.suggested_argv.empty()) {
    details["suggested_argv"] = e.suggested_argv;
    details["suggested_command"] = engine::render_command(e.suggested_argv);
  }
  if (e.approval_id != 0) details["approval_id"] = e.approval_id;
  if (e.upstream) details["upstream"] = e.upstream->key();
  // dedup_key: one PagerDuty incident per target and alert, so retries and repeated
  // escalations for the same episode update it instead of paging again.
  return {{"routing_key", routing_key},
          {"event_action", "trigger"},
          {"dedup_key", "selfheal/" + e.target.key() + "/" + e.incident},
          {"client", "selfheal"},
          {"payload",
           {{"summary", summary},
            {"source", e.target.key()},
            {"severity", severity},
            {"component", e.target.name},
            {"group", e.target.ns},
            {"class", engine::to_string(e.reason)},
            {"custom_details", details}}}};
}

struct HttpNotifier::Impl {
  std::vector<NotifierConfig> notifiers;
  std::function<void(const std::string&, bool)> on_result;
  SqliteStore* outbox = nullptr;
  SystemClock clock;
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread;
  std::atomic<std::size_t> open_jobs{0};

  struct Job {
    const NotifierConfig* n;
    std::string body;  ///< without the PagerDuty routing key
    std::string what;
    std::int64_t outbox_id = 0;  ///< 0: not persisted
    int attempt = 0;
  };

  const NotifierConfig* find(const std::string& name) const {
    for (const auto& n : notifiers)
      if (n.name == name) return &n;
    return nullptr;
  }

  std::string wire_body(const Job& job) const {
    if (job.n->type != NotifierConfig::Type::kPagerDuty) return job.body;
    auto j = json::parse(job.body, nullptr, false);
    if (j.is_discarded() || !j.is_object()) return job.body;
    j["routing_key"] = job.n->routing_key;
    return j.dump();
  }

  void finish(const std::shared_ptr<Job>& job, bool delivered, const std::string& problem) {
    if (outbox != nullptr && job->outbox_id != 0) {
      if (delivered)
        outbox->outbox_delivered(job->outbox_id, clock.now());
      else
        outbox->outbox_failed(job->outbox_id, problem, clock.now());
    }
    --open_jobs;
    if (on_result) on_result(job->n->name, delivered);
  }

  void attempt(std::shared_ptr<Job> job) {
    ++job->attempt;
    HttpRequest req{"POST", job->n->url, {{"Content-Type", "application/json"}}, wire_body(*job)};
    if (job->outbox_id != 0)
      req.headers.emplace_back("Idempotency-Key",
                               "selfheal-outbox-" + std::to_string(job->outbox_id));
    auto r = http_request(req, job->n->timeout);
    std::string problem;
    bool retry = false;
    if (!r) {
      problem = r.error().message;
      retry = true;
    } else if (r->status >= 200 && r->status < 300) {
      return finish(job, true, {});
    } else {
      problem = "HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 200);
      retry = r->status == 429 || r->status >= 500;
    }
    if (retry && job->attempt < job->n->max_attempts) {
      if (outbox != nullptr && job->outbox_id != 0)
        outbox->outbox_attempted(job->outbox_id, problem);
      auto delay = job->n->backoff * (1LL << std::min(job->attempt - 1, 20));
      auto timer = std::make_shared<boost::asio::steady_timer>(io, delay);
      timer->async_wait([this, job, timer](boost::system::error_code ec) {
        if (!ec) attempt(job);
      });
      return;
    }
    std::cerr << "selfheal: notifier " << job->n->name << ": giving up on " << job->what
              << " after " << job->attempt << " attempt(s): " << problem << "\n";
    finish(job, false, problem);
  }

  void queue(std::shared_ptr<Job> job) {
    ++open_jobs;
    boost::asio::post(io, [this, job] { attempt(job); });
  }
};

HttpNotifier::HttpNotifier(std::vector<NotifierConfig> notifiers,
                           std::function<void(const std::string&, bool)> on_result,
                           SqliteStore* outbox)
    : impl_(std::make_unique<Impl>()) {
  impl_->notifiers = std::move(notifiers);
  impl_->on_result = std::move(on_result);
  impl_->outbox = outbox;
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

HttpNotifier::~HttpNotifier() {
  stop();
}

std::size_t HttpNotifier::undelivered() const {
  return impl_->open_jobs.load();
}

void HttpNotifier::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->guard.reset();
  impl_->io.stop();
  impl_->thread.join();
  if (const auto n = impl_->open_jobs.load(); n > 0)
    std::cerr << "selfheal: notifier stopped with " << n << " escalation deliver"
              << (n == 1 ? "y" : "ies") << " unfinished"
              << (impl_->outbox != nullptr ? " (kept in the outbox: re-sent at the next start)\n"
                                           : " (lost: no outbox)\n");
}

void HttpNotifier::escalate(const engine::Escalation& original) {
  engine::Escalation e = original;
  if (impl_->outbox != nullptr) {
    for (auto& r : e.history)
      r.seq += impl_->outbox->seq_offset();
  }
  for (const auto& n : impl_->notifiers) {
    if (!n.channels.empty() &&
        std::find(n.channels.begin(), n.channels.end(), e.channel) == n.channels.end())
      continue;
    auto job = std::make_shared<Impl::Job>();
    job->n = &n;
    job->what = "escalation for " + e.target.key() + " (" + e.incident + ")";
    if (n.type == NotifierConfig::Type::kPagerDuty) {
      auto body = pagerduty_event(e, n.routing_key);
      body.erase("routing_key");
      job->body = body.dump();
    } else {
      job->body = json(e).dump();
    }
    if (impl_->outbox != nullptr) {
      auto id = impl_->outbox->outbox_add(n.name, job->body, job->what, impl_->clock.now());
      if (id)
        job->outbox_id = *id;
      else
        std::cerr << "selfheal: notifier " << n.name << ": " << job->what
                  << " could not be persisted; delivering without a durable record\n";
    }
    impl_->queue(std::move(job));
  }
}

std::size_t HttpNotifier::redeliver_pending() {
  if (impl_->outbox == nullptr) return 0;
  std::size_t queued = 0;
  for (auto& entry : impl_->outbox->outbox_pending()) {
    const NotifierConfig* n = impl_->find(entry.notifier);
    if (n == nullptr) {
      const std::string why = "notifier \"" + entry.notifier + "\" is no longer configured";
      std::cerr << "selfheal: outbox: " << entry.what << ": " << why << "; not re-sent\n";
      impl_->outbox->outbox_failed(entry.id, why, impl_->clock.now());
      continue;
    }
    auto job = std::make_shared<Impl::Job>();
    job->n = n;
    job->body = std::move(entry.body);
    job->what = std::move(entry.what);
    job->outbox_id = entry.id;
    std::cerr << "selfheal: outbox: re-sending " << job->what << " to " << n->name << " ("
              << entry.attempts << " earlier attempt(s))\n";
    impl_->queue(std::move(job));
    ++queued;
  }
  return queued;
}

}  // namespace selfheal::live
