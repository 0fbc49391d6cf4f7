#include <catch2/catch.hpp>

#include <sstream>

#include "live/server_metrics.hpp"

using namespace selfheal;
using namespace selfheal::live;

namespace {

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos || text.starts_with(line + "\n");
}

}  // namespace

TEST_CASE("metrics render in the Prometheus text format", "[live][metrics]") {
  Metrics m;
  engine::AuditRecord d;
  d.kind = engine::AuditKind::kDecision;
  d.outcome = engine::Outcome::kExecuted;
  m.observe_audit(d);
  m.observe_audit(d);
  d.outcome = engine::Outcome::kCooldownActive;
  m.observe_audit(d);
  engine::AuditRecord a;
  a.kind = engine::AuditKind::kActionResult;
  a.action = engine::ActionSpec{};
  a.success = true;
  m.observe_audit(a);
  engine::AuditRecord v;
  v.kind = engine::AuditKind::kVerification;
  v.success = false;
  m.observe_audit(v);
  engine::AuditRecord e;
  e.kind = engine::AuditKind::kEscalation;
  m.observe_audit(e);
  m.observe_request("/api/v1/alerts", 202, 0.002);
  m.observe_request("/api/v1/alerts", 401, 0.0001);
  m.add_alerts(3, 1);
  m.set_gauge_source([] { return std::map<std::string, double>{{"selfheal_kill_switch", 1}}; });

  const auto t = m.render();
  INFO(t);
  CHECK(has_line(t, "# TYPE selfheal_decisions_total counter"));
  CHECK(has_line(t, "selfheal_decisions_total{outcome=\"executed\"} 2"));
  CHECK(has_line(t, "selfheal_decisions_total{outcome=\"cooldown-active\"} 1"));
  CHECK(has_line(t, "selfheal_actions_total{action=\"restart\",result=\"ok\"} 1"));
  CHECK(has_line(t, "selfheal_verifications_total{result=\"failed\"} 1"));
  CHECK(has_line(t, "selfheal_escalations_total 1"));
  CHECK(has_line(t, "selfheal_webhook_alerts_total{result=\"accepted\"} 3"));
  CHECK(has_line(t, "selfheal_http_requests_total{endpoint=\"/api/v1/alerts\",code=\"401\"} 1"));
  CHECK(has_line(t, "# TYPE selfheal_webhook_duration_seconds histogram"));
  // Cumulative buckets: 0.0001 s and 0.002 s both fall under 0.0025.
  CHECK(has_line(t, "selfheal_webhook_duration_seconds_bucket{le=\"0.0005\"} 1"));
  CHECK(has_line(t, "selfheal_webhook_duration_seconds_bucket{le=\"0.0025\"} 2"));
  CHECK(has_line(t, "selfheal_webhook_duration_seconds_bucket{le=\"+Inf\"} 2"));
  CHECK(has_line(t, "selfheal_webhook_duration_seconds_count 2"));
  CHECK(has_line(t, "selfheal_kill_switch 1"));
  CHECK(t.back() == '\n');
  // Every sample line is `name{labels} value` or `name value`.
  std::istringstream in(t);
  for (std::string line; std::getline(in, line);) {
    if (line.empty() || line[0] == '#') continue;
    CHECK(line.find(' ') != std::string::npos);
    CHECK(line.find(' ') == line.rfind(' '));
  }
}
