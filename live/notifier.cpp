#include "live/notifier.hpp"

#include <atomic>
#include <iostream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "core/utf8.hpp"
#include "engine/audit_json.hpp"
#include "engine/engine.hpp"
#include "engine/story.hpp"
#include "live/http_client.hpp"
#include "live/runtime.hpp"
#include "live/sqlite_state.hpp"

namespace selfheal::live {

using json = nlohmann::json;

std::string utf8_sanitize(std::string_view s) {
  static constexpr std::string_view kReplacement = "\xEF\xBF\xBD";
  std::string out;
  out.reserve(s.size());
  std::size_t i = 0;
  while (i < s.size()) {
    if (const std::size_t len = core::utf8_sequence_length(s, i); len > 0) {
      out.append(s.substr(i, len));
      i += len;
    } else {
      out.append(kReplacement);
      ++i;
    }
  }
  return out;
}

std::string utf8_truncate(std::string_view s, std::size_t max_bytes) {
  if (s.size() <= max_bytes) return std::string(s);
  std::size_t cut = max_bytes;
  // Back off over continuation bytes (10xxxxxx): s[cut] then starts a character.
  while (cut > 0 && (static_cast<unsigned char>(s[cut]) & 0xC0) == 0x80)
    --cut;
  return std::string(s.substr(0, cut));
}

json pagerduty_event(const engine::Escalation& e, const std::string& routing_key) {
  static const std::vector<std::string> kSeverities{"critical", "error", "warning", "info"};
  std::string severity = e.severity;
  if (std::find(kSeverities.begin(), kSeverities.end(), severity) == kSeverities.end())
    severity = "critical";  // PagerDuty rejects anything else; an unknown one errs loud
  std::string summary = e.summary.empty()
                            ? e.target.key() + ": " + std::string(engine::to_string(e.reason))
                            : e.summary;
  // The API's limit, cut on a character boundary (a cut inside one made the JSON encoding
  // throw and the page was lost).
  summary = utf8_truncate(utf8_sanitize(summary), kPagerDutySummaryLimit);
  json history = json::array();
  for (const auto& r : e.history)
    history.push_back(json(r));
  json details = {{"channel", e.channel},
                  {"reason", engine::to_string(e.reason)},
                  {"incident", e.incident},
                  {"history", history},
                  {"story", engine::escalation_story(e)},
                  {"next_step", engine::next_step(e)}};
  if (e.suggested_action) details["suggested_action"] = json(*e.suggested_action);
  if (!e.suggested_argv.empty()) {
    details["suggested_argv"] = e.suggested_argv;
    details["suggested_command"] = engine::render_command(e.suggested_argv);
  }
  if (e.approval_id != 0) details["approval_id"] = e.approval_id;
  if (e.upstream) details["upstream"] = e.upstream->key();
  if (!e.affected.empty()) {
    // Correlation: the root service is `source`; every caller that joined is listed.
    json affected = json::array();
    for (const auto& a : e.affected)
      affected.push_back(a.key());
    details["affected"] = affected;
    details["root"] = e.target.key();
  }
  if (e.update) details["update"] = true;
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

  std::string build_body(const engine::Escalation& e, const NotifierConfig& n) const;
  void send(const NotifierConfig& n, std::string body, std::string what);
  void fallback(const engine::Escalation& e, const std::string& failed, const std::string& problem,
                const std::vector<const NotifierConfig*>& taken);

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

namespace {

// Printable ASCII only (anything else becomes '?'), at most `max` bytes: what a minimal
// page may carry whatever the escalation held.
std::string ascii_only(std::string_view s, std::size_t max) {
  std::string out;
  for (const char c : s.substr(0, std::min(s.size(), max)))
    out.push_back(c >= 0x20 && c < 0x7F ? c : '?');
  return out;
}

// The fallback page when an escalation's own body cannot be built: only fields that cannot
// fail to encode.
std::string minimal_body(const engine::Escalation& e, const NotifierConfig& n,
                         const std::string& problem) {
  constexpr std::size_t kField = 256;
  const std::string target = ascii_only(e.target.key(), kField);
  const std::string summary =
      ascii_only("selfheal: the page for " + target + " could not be built (" + problem +
                     "); see the audit log. " + e.summary,
                 kPagerDutySummaryLimit);
  json details = {{"reason", engine::to_string(e.reason)},
                  {"incident", ascii_only(e.incident, kField)},
                  {"channel", ascii_only(e.channel, kField)},
                  {"page_build_error", ascii_only(problem, kField)}};
  if (n.type != NotifierConfig::Type::kPagerDuty) {
    details["target"] = target;
    details["summary"] = summary;
    return details.dump();
  }
  return json{{"event_action", "trigger"},
              {"dedup_key", "selfheal/" + target + "/" + ascii_only(e.incident, kField)},
              {"client", "selfheal"},
              {"payload",
               {{"summary", summary},
                {"source", target},
                {"severity", "critical"},
                {"component", ascii_only(e.target.name, kField)},
                {"group", ascii_only(e.target.ns, kField)},
                {"class", engine::to_string(e.reason)},
                {"custom_details", details}}}}
      .dump();
}

}  // namespace

std::string HttpNotifier::Impl::build_body(const engine::Escalation& e,
                                           const NotifierConfig& n) const {
  if (n.type == NotifierConfig::Type::kPagerDuty) {
    auto body = pagerduty_event(e, n.routing_key);
    body.erase("routing_key");
    return body.dump();
  }
  return json(e).dump();
}

void HttpNotifier::Impl::send(const NotifierConfig& n, std::string body, std::string what) {
  auto job = std::make_shared<Job>();
  job->n = &n;
  job->what = std::move(what);
  job->body = std::move(body);
  if (outbox != nullptr) {
    auto id = outbox->outbox_add(n.name, job->body, job->what, clock.now());
    if (id)
      job->outbox_id = *id;
    else
      std::cerr << "selfheal: notifier " << n.name << ": " << job->what
                << " could not be persisted; delivering without a durable record\n";
  }
  queue(std::move(job));
}

// Building a page failed for `failed` (notifier names): a minimal page to every notifier
// that did not get the full one, and an audit record, so the escalation the engine decided
// still reaches a person.
void HttpNotifier::Impl::fallback(const engine::Escalation& e, const std::string& failed,
                                  const std::string& problem,
                                  const std::vector<const NotifierConfig*>& taken) {
  std::cerr << "selfheal: notifier " << failed << ": the page for "
            << ascii_only(e.target.key(), 256) << " could not be built (" << problem
            << "); sending a minimal page to every notifier\n";
  if (outbox != nullptr) {
    engine::AuditRecord r;
    r.time = clock.now();
    r.kind = engine::AuditKind::kEscalation;
    r.incident = utf8_sanitize(e.incident);
    r.target = e.target;
    r.escalate = true;
    r.success = false;
    r.guardrail = "page-build";
    r.reason = "the page for notifier " + failed + " could not be built (" +
               utf8_sanitize(problem) +
               "); a minimal page went to it and to every other notifier instead";
    outbox->record_note(std::move(r));
  }
  const std::string what = "minimal page for " + ascii_only(e.target.key(), 256) + " (" +
                           ascii_only(e.incident, 256) + ")";
  for (const auto& n : notifiers) {
    // A notifier whose full page already went out keeps it; the others get the minimal one.
    if (std::find(taken.begin(), taken.end(), &n) != taken.end()) continue;
    send(n, minimal_body(e, n, problem), what);
  }
}

void HttpNotifier::escalate(const engine::Escalation& original) {
  engine::Escalation e = original;
  if (impl_->outbox != nullptr) {
    for (auto& r : e.history)
      r.seq = impl_->outbox->stored_seq(r.seq);
  }
  std::vector<const NotifierConfig*> taken;  // sent the full page
  std::string failed, problem;
  for (const auto& n : impl_->notifiers) {
    if (!n.channels.empty() &&
        std::find(n.channels.begin(), n.channels.end(), e.channel) == n.channels.end())
      continue;
    std::string body;
    try {
      body = impl_->build_body(e, n);
    } catch (const std::exception& ex) {
      failed += (failed.empty() ? "" : ", ") + n.name;
      if (problem.empty()) problem = ex.what();
      continue;
    }
    taken.push_back(&n);
    impl_->send(n, std::move(body), "escalation for " + e.target.key() + " (" + e.incident + ")");
  }
  if (!failed.empty()) impl_->fallback(e, failed, problem, taken);
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
