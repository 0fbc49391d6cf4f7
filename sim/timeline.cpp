#include "sim/timeline.hpp"

#include <algorithm>
#include <array>
#include <utility>

#include "sim/model_constants.hpp"

namespace selfheal::sim {
namespace {

constexpr std::array<std::pair<EventKind, std::string_view>, 22> kKinds{{
    {EventKind::kFaultStart, "fault-start"},
    {EventKind::kFaultEnd, "fault-end"},
    {EventKind::kPlannedStart, "planned-start"},
    {EventKind::kPlannedEnd, "planned-end"},
    {EventKind::kAlertFiring, "alert-firing"},
    {EventKind::kAlertResolved, "alert-resolved"},
    {EventKind::kIncidentDelivered, "incident-delivered"},
    {EventKind::kDecision, "decision"},
    {EventKind::kActionStarted, "action-started"},
    {EventKind::kActionFinished, "action-finished"},
    {EventKind::kVerification, "verification"},
    {EventKind::kRollback, "rollback"},
    {EventKind::kPage, "page"},
    {EventKind::kApprovalRequest, "approval-request"},
    {EventKind::kApprovalAnswer, "approval-answer"},
    {EventKind::kOnCallAck, "oncall-ack"},
    {EventKind::kOnCallFix, "oncall-fix"},
    {EventKind::kRecovered, "recovered"},
    {EventKind::kDeploy, "deploy"},
    {EventKind::kPodEvent, "pod-event"},
    {EventKind::kPageUpdate, "page-update"},
    {EventKind::kFaultPhase, "fault-phase"},
}};

}  // namespace

std::string_view to_string(EventKind k) {
  for (const auto& [kind, name] : kKinds) {
    if (kind == k) return name;
  }
  return "?";
}

const ServiceSeries* Timeline::series(std::string_view service) const {
  for (const auto& s : services) {
    if (s.service == service) return &s;
  }
  return nullptr;
}

const IncidentRecord* Timeline::incident(std::string_view id) const {
  for (const auto& i : incidents) {
    if (i.truth.id == id) return &i;
  }
  return nullptr;
}

Duration Timeline::outside_objectives(std::string_view service, TimePoint from,
                                      TimePoint to) const {
  const ServiceSeries* s = series(service);
  Duration total{0};
  if (s == nullptr || to <= from) return total;
  // Intervals are sorted and disjoint: skip those ending before `from`.
  auto it = std::lower_bound(s->outside_objectives.begin(), s->outside_objectives.end(), from,
                             [](const Interval& i, TimePoint t) { return i.end <= t; });
  for (; it != s->outside_objectives.end() && it->begin < to; ++it) {
    const TimePoint b = std::max(it->begin, from);
    const TimePoint e = std::min(it->end, to);
    if (e > b) total += e - b;
  }
  return total;
}

double Timeline::error_budget_minutes(std::string_view service, TimePoint from,
                                      TimePoint to) const {
  return model::count_as<model::Minutes>(outside_objectives(service, from, to));
}

bool Timeline::within_objectives(std::string_view service, TimePoint t) const {
  const ServiceSeries* s = series(service);
  if (s == nullptr) return true;
  auto it = std::upper_bound(s->outside_objectives.begin(), s->outside_objectives.end(), t,
                             [](TimePoint v, const Interval& i) { return v < i.end; });
  return !(it != s->outside_objectives.end() && it->begin <= t);
}

}  // namespace selfheal::sim
