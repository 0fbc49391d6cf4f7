// Server metrics in the Prometheus text exposition format (version 0.0.4).
//
// Counted from the audit stream (MetricsAuditSink wraps the durable sink), so every
// decision, action, verification and escalation the engine records is counted exactly
// once, plus webhook request counts and a latency histogram measured by the HTTP server.
//
//   selfheal_decisions_total{outcome="executed"} 3
//   selfheal_webhook_duration_seconds_bucket{le="0.005"} 120
//
// Thread-safe.
#pragma once

#include <array>
#include <cstdint>
#include <functional>
#include <map>
#include <mutex>
#include <string>

#include "core/time.hpp"
#include "engine/ports.hpp"

namespace selfheal::live {

class Metrics {
 public:
  /// Upper bounds (seconds) of the webhook latency histogram buckets (+Inf implied).
  static constexpr std::array<double, 12> kLatencyBuckets{0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025,
                                                          0.05,   0.1,   0.25,   0.5,   1.0,  2.5};

  void observe_audit(const engine::AuditRecord& r);
  /// One HTTP request to `endpoint` answered with `status` after `seconds`.
  void observe_request(const std::string& endpoint, int status, double seconds);
  void add_alerts(std::uint64_t accepted, std::uint64_t rejected);
  void add_notification(const std::string& notifier, bool delivered);
  /// One state-safety event (docs/live.md#state-safety): "open_target_refused",
  /// "queued_action_not_started", "unfinished_action_escalated", "unreadable_target".
  /// Rendered as selfheal_safety_events_total{event="..."}.
  void add_safety_event(const std::string& event);
  /// Extra gauges sampled at scrape time (e.g. kill switch, state-store errors).
  void set_gauge_source(std::function<std::map<std::string, double>()> f);

  /// The whole exposition, ending with a newline.
  std::string render() const;

 private:
  mutable std::mutex mu_;
  std::map<std::string, std::uint64_t> decisions_;                        // outcome
  std::map<std::pair<std::string, std::string>, std::uint64_t> actions_;  // kind, result
  std::map<std::string, std::uint64_t> verifications_;                    // passed/failed
  std::uint64_t rollbacks_ = 0;
  std::uint64_t escalations_ = 0;
  std::map<std::pair<std::string, int>, std::uint64_t> requests_;  // endpoint, status
  std::array<std::uint64_t, kLatencyBuckets.size()> buckets_{};
  std::uint64_t latency_count_ = 0;
  double latency_sum_ = 0;
  std::uint64_t alerts_accepted_ = 0;
  std::uint64_t alerts_rejected_ = 0;
  std::map<std::pair<std::string, std::string>, std::uint64_t> notifications_;
  std::map<std::string, std::uint64_t> safety_events_;
  std::function<std::map<std::string, double>()> gauges_;
};

/// Forwards every record to `inner` and counts it in `metrics`.
class MetricsAuditSink final : public engine::AuditSink {
 public:
  MetricsAuditSink(engine::AuditSink& inner, Metrics& metrics) : inner_(inner), metrics_(metrics) {}
  void record(const engine::AuditRecord& r) override {
    inner_.record(r);
    metrics_.observe_audit(r);
  }

 private:
  engine::AuditSink& inner_;
  Metrics& metrics_;
};

}  // namespace selfheal::live
