// What a simulated run leaves behind for metrics and reports (reports/ reads it; the World
// writes it).
//
// Three parts:
//  - `events`: a time-ordered log of everything that happened (fault and planned-event
//    start/end, alert firing/resolved, incident notifications delivered to the engine,
//    engine decisions, actions started/finished, verifications, pages, approvals, on-call
//    acknowledgement and fix, recovery). Events at the same instant keep the order they
//    happened in. Each carries the service, the ground-truth incident it is attributed to
//    (when one is active on that service), the alert fingerprint and the engine action id,
//    so actions link to incidents.
//  - `incidents`: ground truth per fault / planned event, with what the run observed
//    (impact, recovery).
//  - `services`: per-service series sampled at scrape ticks for charts, and the EXACT
//    intervals during which the service was outside its objectives (for TTR and
//    error-budget minutes, independent of series downsampling).
//
// Bounded memory: a service's series holds at most `max_points` points. When full, adjacent
// pairs are merged and the step doubles (so a 2 h run keeps full 15 s resolution; a 7-day
// run at max_points 2048 keeps ~5 min buckets). A merged point keeps the WORST value of
// each signal over its bucket (max error rate, latency, cpu, memory, queue lag, dependency
// errors; min ready; max desired), the mean request rate, summed counters, and is
// `within_objectives` only if every tick in it was. The out-of-objectives intervals are
// never downsampled: their size is the number of SLO transitions. A large fleet shares one
// point budget (WorldOptions::series_point_budget): each service's `max_points` is its even
// share, capped at WorldOptions::series_max_points.
//
//   const sim::Timeline& t = world.timeline();
//   for (const auto& e : t.events) if (e.kind == sim::EventKind::kActionStarted) ...
//   double burn = t.error_budget_minutes("payment-api", t.start, t.end);
#pragma once

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "engine/audit.hpp"
#include "sim/cluster_spec.hpp"

namespace selfheal::sim {

enum class EventKind : std::uint8_t {
  kFaultStart,    ///< name = fault kind; incident = fault id
  kFaultEnd,      ///< the cause stopped (its duration ran out, or the on-call fixed it)
  kPlannedStart,  ///< name = planned kind; incident = event id
  kPlannedEnd,
  kAlertFiring,  ///< name = alertname; fingerprint = the alert's
  kAlertResolved,
  kIncidentDelivered,  ///< a notification handed to the incident sink; success = !resolved
  kDecision,           ///< name = engine outcome; audit_index -> Timeline::audit
  kActionStarted,      ///< name = action kind; action_id; automated = engine, else on-call
  kActionFinished,     ///< success = ActionResult::ok; detail = its message
  kVerification,       ///< success = verdict; audit_index
  kRollback,           ///< the engine undid an action (audit record of kind rollback)
  kPage,               ///< an escalation to a person (Notifier::escalate, approval_id == 0)
  kApprovalRequest,    ///< an escalation asking for approval; action_id = approval id
  kApprovalAnswer,     ///< the on-call's answer; success = approved
  kOnCallAck,          ///< the on-call acknowledged (response time after the first page)
  kOnCallFix,          ///< the on-call applied the ground-truth fix (or decided to wait)
  kRecovered,          ///< every affected service back within objectives and held
  kDeploy,             ///< a new ReplicaSet rollout began (release, restart, rollback)
  kPodEvent,           ///< OOMKilled, CrashLoopBackOff, pod lost, pod Pending (detail)
  kPageUpdate,  ///< an update of an open page (more services joined its incident): no new page
  kFaultPhase,  ///< an intermittent fault switched its effect off or on (detail says which)
};
std::string_view to_string(EventKind k);  ///< "fault-start", "alert-firing", ...

struct TimelineEvent {
  TimePoint time{};
  EventKind kind = EventKind::kFaultStart;
  std::string service;          ///< the service it concerns ("" when cluster-wide)
  std::string incident;         ///< attributed ground-truth incident id, "" when none
  std::string fingerprint;      ///< alert / engine incident fingerprint, "" when none
  std::uint64_t action_id = 0;  ///< engine action id (or approval id), 0 when none
  std::string name;             ///< alertname | action kind | outcome | fault kind ...
  std::string detail;           ///< human-readable specifics
  std::optional<bool> success;
  bool automated = false;  ///< action/page by the engine (true) or by the on-call (false)
  std::optional<std::size_t> audit_index;  ///< index into Timeline::audit
  std::string channel;  ///< pages and approval requests: the escalation's channel
  /// Pages and approval requests: the incident's story as the page carried it
  /// (engine::escalation_story), one line per decision, action, verification, next step.
  std::vector<std::string> story;
  /// Pages and page updates: the callers that joined the incident (correlation), "ns/name".
  std::vector<std::string> affected;
};

/// A ground-truth incident and what the run observed about it.
struct IncidentRecord {
  GroundTruth truth;
  TimePoint start{};                ///< absolute start of the cause
  std::optional<TimePoint> end;     ///< absolute end of the cause, once it ended
  std::optional<TimePoint> impact;  ///< first instant an affected service left its objectives
  /// First instant at which every affected service was back within objectives and then
  /// stayed there for WorldOptions::recovery_hold (only after `impact`).
  std::optional<TimePoint> recovered;
  std::vector<std::string> impacted;  ///< affected services that left their objectives
};

/// One scrape tick, or a merged bucket of ticks (see the header comment).
struct SeriesPoint {
  TimePoint time{};  ///< start of the bucket
  float request_rate = 0;
  float error_rate = 0;
  float latency_p99_ms = 0;
  float cpu = 0;
  float memory = 0;  ///< max share of the memory limit over pods
  float ready = 0;
  float desired = 0;
  float queue_lag = 0;
  float dependency_errors = 0;
  std::uint32_t oom_kills = 0;  ///< in the bucket
  std::uint32_t restarts = 0;   ///< in the bucket
  bool within_objectives = true;
};

struct Interval {
  TimePoint begin{};
  TimePoint end{};  ///< exclusive; a still-open interval ends at Timeline::end
};

struct ServiceSeries {
  std::string service;
  SloSpec slo;
  Duration step{0};  ///< current bucket width (scrape interval x 2^k)
  std::vector<SeriesPoint> points;
  /// Disjoint, in order. Each tick outside objectives counts as [tick, tick + scrape).
  std::vector<Interval> outside_objectives;
};

struct Timeline {
  TimePoint start{};
  TimePoint end{};  ///< now() of the world when it was last run
  Duration scrape_interval{15000};
  std::vector<TimelineEvent> events;
  std::vector<IncidentRecord> incidents;
  std::vector<ServiceSeries> services;     ///< spec order
  std::vector<engine::AuditRecord> audit;  ///< every record the engine sent, in order

  /// nullptr when unknown.
  const ServiceSeries* series(std::string_view service) const;
  const IncidentRecord* incident(std::string_view id) const;
  /// Time `service` spent outside its objectives within [from, to).
  Duration outside_objectives(std::string_view service, TimePoint from, TimePoint to) const;
  /// outside_objectives / 1 min: the error-budget minutes burned in [from, to).
  double error_budget_minutes(std::string_view service, TimePoint from, TimePoint to) const;
  /// Whether `service` was within objectives at `t` (true when unknown or before start).
  bool within_objectives(std::string_view service, TimePoint t) const;
};

}  // namespace selfheal::sim
