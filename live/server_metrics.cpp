#include "live/server_metrics.hpp"

#include <cstdio>
#include <cstdlib>
#include <sstream>

namespace selfheal::live {
namespace {

std::string num(double v) {
  // The shortest text that reads back as the same double (0.0005, not 0.00050000000000000001).
  char buf[64];
  for (int precision = 1; precision <= 17; ++precision) {
    std::snprintf(buf, sizeof buf, "%.*g", precision, v);
    if (std::strtod(buf, nullptr) == v) break;
  }
  return buf;
}

std::string escape(const std::string& s) {
  std::string o;
  for (char c : s) {
    if (c == '\\' || c == '"') o += '\\';
    if (c == '\n') {
      o += "\\n";
      continue;
    }
    o += c;
  }
  return o;
}

void header(std::ostringstream& o, const char* name, const char* type, const char* help) {
  o << "# HELP " << name << ' ' << help << "\n# TYPE " << name << ' ' << type << '\n';
}

}  // namespace

void Metrics::observe_audit(const engine::AuditRecord& r) {
  std::lock_guard lock(mu_);
  switch (r.kind) {
    case engine::AuditKind::kDecision:
      if (r.outcome) ++decisions_[std::string(engine::to_string(*r.outcome))];
      break;
    case engine::AuditKind::kActionResult:
      ++actions_[{r.action ? std::string(engine::to_string(r.action->kind)) : "unknown",
                  r.success.value_or(false) ? "ok" : "failed"}];
      break;
    case engine::AuditKind::kVerification:
      ++verifications_[r.success.value_or(false) ? "passed" : "failed"];
      break;
    case engine::AuditKind::kRollback:
      ++rollbacks_;
      break;
    case engine::AuditKind::kEscalation:
      ++escalations_;
      break;
    case engine::AuditKind::kOperator:
      break;
  }
}

void Metrics::observe_request(const std::string& endpoint, int status, double seconds) {
  std::lock_guard lock(mu_);
  ++requests_[{endpoint, status}];
  if (endpoint == "/api/v1/alerts") {
    for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i)
      if (seconds <= kLatencyBuckets[i]) ++buckets_[i];
    ++latency_count_;
    latency_sum_ += seconds;
  }
}

void Metrics::add_alerts(std::uint64_t accepted, std::uint64_t rejected) {
  std::lock_guard lock(mu_);
  alerts_accepted_ += accepted;
  alerts_rejected_ += rejected;
}

void Metrics::add_notification(const std::string& notifier, bool delivered) {
  std::lock_guard lock(mu_);
  ++notifications_[{notifier, delivered ? "delivered" : "failed"}];
}

void Metrics::add_safety_event(const std::string& event) {
  std::lock_guard lock(mu_);
  ++safety_events_[event];
}

void Metrics::set_gauge_source(std::function<std::map<std::string, double>()> f) {
  std::lock_guard lock(mu_);
  gauges_ = std::move(f);
}

std::string Metrics::render() const {
  std::function<std::map<std::string, double>()> gauges;
  {
    std::lock_guard lock(mu_);
    gauges = gauges_;
  }
  std::map<std::string, double> g;
  if (gauges) g = gauges();  // outside the lock: it may query the store

  std::lock_guard lock(mu_);
  std::ostringstream o;
  header(o, "selfheal_decisions_total", "counter", "Engine decisions by outcome.");
  for (const auto& [k, v] : decisions_)
    o << "selfheal_decisions_total{outcome=\"" << escape(k) << "\"} " << v << '\n';
  header(o, "selfheal_actions_total", "counter",
         "Actions the actuator completed, by kind and result (dry-run counts as ok).");
  for (const auto& [k, v] : actions_)
    o << "selfheal_actions_total{action=\"" << escape(k.first) << "\",result=\"" << k.second
      << "\"} " << v << '\n';
  header(o, "selfheal_verifications_total", "counter", "Verifications after an action.");
  for (const auto& [k, v] : verifications_)
    o << "selfheal_verifications_total{result=\"" << k << "\"} " << v << '\n';
  header(o, "selfheal_rollbacks_total", "counter", "Rollbacks of failed actions.");
  o << "selfheal_rollbacks_total " << rollbacks_ << '\n';
  header(o, "selfheal_escalations_total", "counter", "Escalations (pages, approval requests).");
  o << "selfheal_escalations_total " << escalations_ << '\n';
  header(o, "selfheal_notifications_total", "counter",
         "Escalation deliveries by notifier and final result (after retries).");
  for (const auto& [k, v] : notifications_)
    o << "selfheal_notifications_total{notifier=\"" << escape(k.first) << "\",result=\"" << k.second
      << "\"} " << v << '\n';
  header(o, "selfheal_safety_events_total", "counter",
         "State-safety events: refused new targets at the cap, queued actions not started "
         "under the kill switch, unfinished actions escalated at start-up, unreadable state.");
  for (const auto& [k, v] : safety_events_)
    o << "selfheal_safety_events_total{event=\"" << escape(k) << "\"} " << v << '\n';
  header(o, "selfheal_webhook_alerts_total", "counter",
         "Alerts received in webhooks, accepted for the engine or rejected (bad names, "
         "namespace not allowed).");
  o << "selfheal_webhook_alerts_total{result=\"accepted\"} " << alerts_accepted_ << '\n';
  o << "selfheal_webhook_alerts_total{result=\"rejected\"} " << alerts_rejected_ << '\n';
  header(o, "selfheal_http_requests_total", "counter", "HTTP requests by endpoint and status.");
  for (const auto& [k, v] : requests_)
    o << "selfheal_http_requests_total{endpoint=\"" << escape(k.first) << "\",code=\"" << k.second
      << "\"} " << v << '\n';
  header(o, "selfheal_webhook_duration_seconds", "histogram",
         "Time to answer POST /api/v1/alerts (parse, validate, enqueue).");
  for (std::size_t i = 0; i < kLatencyBuckets.size(); ++i)
    o << "selfheal_webhook_duration_seconds_bucket{le=\"" << num(kLatencyBuckets[i]) << "\"} "
      << buckets_[i] << '\n';
  o << "selfheal_webhook_duration_seconds_bucket{le=\"+Inf\"} " << latency_count_ << '\n';
  o << "selfheal_webhook_duration_seconds_sum " << num(latency_sum_) << '\n';
  o << "selfheal_webhook_duration_seconds_count " << latency_count_ << '\n';
  for (const auto& [name, v] : g) {
    header(o, name.c_str(), "gauge", "See docs/live.md#metrics.");
    o << name << ' ' << num(v) << '\n';
  }
  return o.str();
}

}  // namespace selfheal::live
