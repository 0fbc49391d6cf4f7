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
//
// Durability (with an outbox store): each (escalation, notifier) is written to the store's
// outbox and committed BEFORE the first attempt, and marked delivered / failed after the
// last one. A page still in back-off when the process dies (kill -9) stays pending and
// redeliver_pending() sends it again at the next start. Re-delivery is idempotent for
// PagerDuty (same dedup_key: the open incident is updated, not duplicated); every request
// carries `Idempotency-Key: selfheal-outbox-<id>` so a webhook receiver can drop a repeat.
// The PagerDuty routing key is added at send time and never written to the database.
//
// Audit seq numbers in the history are mapped by the store's stored_seq(), so they match
// the records served by GET /api/v1/audit.
//
// A page is never lost to its own encoding: the PagerDuty summary is cut to 1,024 bytes on a
// UTF-8 character boundary and invalid bytes in it are replaced (U+FFFD). If building a
// notifier's body still fails (e.g. invalid UTF-8 elsewhere in the escalation), a minimal
// ASCII-safe page (target, incident, reason, sanitised summary, the build error) goes to
// that notifier AND to every other configured notifier whatever its channels (the fallback
// channel), and an escalation audit record saying so is stored (with an outbox store).
#pragma once

#include <functional>
#include <memory>
#include <string>
#include <string_view>
#include <vector>

#include <nlohmann/json.hpp>

#include "engine/ports.hpp"
#include "live/config.hpp"

namespace selfheal::live {

/// The PagerDuty Events v2 body for `e` (exposed for tests).
nlohmann::json pagerduty_event(const engine::Escalation& e, const std::string& routing_key);

/// `s` with every byte that is not part of a valid UTF-8 sequence replaced by U+FFFD.
std::string utf8_sanitize(std::string_view s);
/// The longest prefix of `s` of at most `max_bytes` bytes that ends on a UTF-8 character
/// boundary: utf8_truncate("ab\xC3\xA9", 3) == "ab".
std::string utf8_truncate(std::string_view s, std::size_t max_bytes);
/// PagerDuty's limit on payload.summary, in bytes.
inline constexpr std::size_t kPagerDutySummaryLimit = 1024;

class SqliteStore;

class HttpNotifier final : public engine::Notifier {
 public:
  /// `on_result(notifier_name, delivered)` is called on the notifier thread once per
  /// escalation and notifier, after the last attempt. `outbox` (may be null: nothing is
  /// persisted) must outlive the notifier.
  HttpNotifier(std::vector<NotifierConfig> notifiers,
               std::function<void(const std::string&, bool)> on_result = {},
               SqliteStore* outbox = nullptr);
  ~HttpNotifier() override;
  HttpNotifier(const HttpNotifier&) = delete;
  HttpNotifier& operator=(const HttpNotifier&) = delete;

  /// Persists (with an outbox) and queues the delivery; never waits for the network.
  void escalate(const engine::Escalation& e) override;
  /// Queues every pending outbox entry left by a previous process, with a fresh retry
  /// schedule. An entry whose notifier is no longer configured is marked failed (and
  /// logged). Returns how many were queued. Call once, at start-up.
  std::size_t redeliver_pending();
  /// Deliveries queued or in back-off, not yet delivered or given up.
  std::size_t undelivered() const;
  /// Stops the thread; undelivered escalations are reported on stderr (with an outbox they
  /// stay pending and are re-delivered by the next process).
  void stop();

 private:
  struct Impl;
  std::unique_ptr<Impl> impl_;
};

}  // namespace selfheal::live
