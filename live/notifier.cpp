#include "live/notifier.hpp"

#include <iostream>
#include <thread>

#include <boost/asio/executor_work_guard.hpp>
#include <boost/asio/io_context.hpp>
#include <boost/asio/post.hpp>
#include <boost/asio/steady_timer.hpp>

#include "engine/audit_json.hpp"
#include "engine/engine.hpp"
#include "live/http_client.hpp"

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
  boost::asio::io_context io;
  boost::asio::executor_work_guard<boost::asio::io_context::executor_type> guard{io.get_executor()};
  std::thread thread;

  struct Job {
    const NotifierConfig* n;
    std::string body;
    std::string what;
    int attempt = 0;
  };

  void attempt(std::shared_ptr<Job> job) {
    ++job->attempt;
    auto r = http_request({"POST", job->n->url, {{"Content-Type", "application/json"}}, job->body},
                          job->n->timeout);
    std::string problem;
    bool retry = false;
    if (!r) {
      problem = r.error().message;
      retry = true;
    } else if (r->status >= 200 && r->status < 300) {
      if (on_result) on_result(job->n->name, true);
      return;
    } else {
      problem = "HTTP " + std::to_string(r->status) + ": " + r->body.substr(0, 200);
      retry = r->status == 429 || r->status >= 500;
    }
    if (retry && job->attempt < job->n->max_attempts) {
      auto delay = job->n->backoff * (1LL << std::min(job->attempt - 1, 20));
      auto timer = std::make_shared<boost::asio::steady_timer>(io, delay);
      timer->async_wait([this, job, timer](boost::system::error_code ec) {
        if (!ec) attempt(job);
      });
      return;
    }
    std::cerr << "selfheal: notifier " << job->n->name << ": giving up on " << job->what
              << " after " << job->attempt << " attempt(s): " << problem << "\n";
    if (on_result) on_result(job->n->name, false);
  }
};

HttpNotifier::HttpNotifier(std::vector<NotifierConfig> notifiers,
                           std::function<void(const std::string&, bool)> on_result)
    : impl_(std::make_unique<Impl>()) {
  impl_->notifiers = std::move(notifiers);
  impl_->on_result = std::move(on_result);
  impl_->thread = std::thread([this] { impl_->io.run(); });
}

HttpNotifier::~HttpNotifier() {
  stop();
}

void HttpNotifier::stop() {
  if (!impl_->thread.joinable()) return;
  impl_->guard.reset();
  impl_->io.stop();
  impl_->thread.join();
}

void HttpNotifier::escalate(const engine::Escalation& e) {
  for (const auto& n : impl_->notifiers) {
    if (!n.channels.empty() &&
        std::find(n.channels.begin(), n.channels.end(), e.channel) == n.channels.end())
      continue;
    auto job = std::make_shared<Impl::Job>();
    job->n = &n;
    job->what = "escalation for " + e.target.key() + " (" + e.incident + ")";
    job->body = n.type == NotifierConfig::Type::kPagerDuty
                    ? pagerduty_event(e, n.routing_key).dump()
                    : json(e).dump();
    boost::asio::post(impl_->io, [this, job] { impl_->attempt(job); });
  }
}

}  // namespace selfheal::live
