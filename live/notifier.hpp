// Escalation delivery: PagerDuty Events API v2 and a generic JSON webhook, with retries and
// exponential back-off, on a notifier thread of their own (escalate() only enqueues, so the
// engine never waits on a pager).
//
// PagerDuty (POST <url>, normally https://events.pagerduty.com/v2/enqueue via a local TLS
// proxy — docs/live.md#tls):
//   {"routing_key":"...","event_action":"trigger","dedup_key":"selfheal/prod/payment-api/<fp>",
//    "client":"selfheal","payload":{"summary":"...","source":"prod/payment-api",
//    "severity":"critical","component":"payment-api","group":"prod","class":"max-attempts-reached",
//    "custom_details":{"channel":"pagerduty-p1","reason":"...","suggested_command":"...",
//                      "history":[<audit records>]}}}
// Delivered on 2xx; retried on transport errors, 429 and 5xx (up to max_attempts, the delay
// doubling from `backoff`); other 4xx are permanent failures (logged, counted).
//
// Webhook: POST <url> with the escalation as JSON (engine/audit_json.hpp's Escalation form).
//
// Routing: a notifier takes an escalation when its `channels` is empty or lists the
// escalation's channel.
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/ports.hpp"
#include "live/config.hpp"

namespace selfheal::live {

/// The PagerDuty Events v2 body for `e` (exposed for tests).
nlohmann::json pagerduty_event(const engine::Escalation& e, const std::string& routing_key);

class HttpNotifier final : public engine::Notifier {
 public:
  /// `on_result(notifier_name, delivered)` is called on the notifier thread once per
  /// escalation and notifier, after the last attempt.
  HttpNotifier(std::vector<NotifierConfig> notifiers,
               std::function<void(const std::string&, bool)> on_result = {});
  ~HttpNotifier() override;
  HttpNotifier(const HttpNotifier&) = delete;
  HttpNotifier& operator=(const HttpNotifier&) = delete;

  void escalate(const engine::Escalation& e) override;
  /// Stops the thread; undelivered escalations are reported on stderr.
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace selfheal::live
