// The on-call person, a part of the simulated world that owns its own state: who is
// engaged on which incident and where approval answers go. It answers pages and approval
// requests after a response time (business hours, nights and weekends), judges suggested
// actions against the ground truth, and applies the scenario's human fix when automation
// did not. Everything it does happens in events it schedules on the kernel (`Simulation`);
// what it needs of the rest of the world it asks through `OnCall::Env`.
//
//   OnCall::Env env = ...;                // World::Impl wires it to faults and actuation
//   OnCall oncall{spec.oncall, spec.ns, sim, env};
//   oncall.page(svc, "alert HighErrorRate (direct page)");
//   sim.run_until(t);  // at now + response_time(now): acknowledged, the human fix started
//
// Indexes: `svc` is a service's index in the spec, `k` an incident's index in
// Timeline::incidents (faults first, then planned events). Not thread-safe.
#pragma once

#include <cstddef>
#include <cstdint>
#include <functional>
#include <map>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include "core/time.hpp"
#include "engine/ports.hpp"
#include "sim/cluster_spec.hpp"
#include "sim/simulation.hpp"
#include "sim/timeline.hpp"

namespace selfheal::sim {

/// The on-call's response time for a page or approval request arriving at `now` (UTC):
/// `oc.response_time` in business hours, else `oc.night_response_time` when set (weekends
/// count as night when `oc.weekends_are_night`).
core::Duration oncall_response_time(const OnCallSpec& oc, core::TimePoint now);

class OnCall final : public EventTarget {
 public:
  /// What the on-call person asks of the rest of the world (the faults for incidents and
  /// attribution, the pods for what a fix would repeat, the actuator for a fix by hand).
  class Env {
   public:
    virtual ~Env() = default;
    /// Ground-truth incidents in the run (every `k` is below this).
    virtual std::size_t incidents() const = 0;
    /// The incident the events of service `svc` are attributed to now, or -1.
    virtual std::ptrdiff_t attribute(std::size_t svc) const = 0;
    /// Whether incident k is active for service `svc` now.
    virtual bool active_for(std::size_t k, std::size_t svc) const = 0;
    /// Incident k's record: its ground truth, impact and recovery.
    virtual const IncidentRecord& record(std::size_t k) const = 0;
    /// Whether incident k's cause has stopped.
    virtual bool cause_ended(std::size_t k) const = 0;
    /// A service's index by name, or -1 when the world has no such service.
    virtual std::ptrdiff_t service_index(std::string_view name) const = 0;
    virtual const std::string& service_name(std::size_t svc) const = 0;
    /// What the root service of incident k looks like now, so a fix is not repeated.
    struct RootState {
      bool known = false;           ///< the incident has a root service
      bool release_bad = false;     ///< it serves a bad release
      bool cache_poisoned = false;  ///< its cache serves bad entries
    };
    virtual RootState root_state(std::size_t k) const = 0;
    /// false: a page's event carries no text (detail, story), as the world keeps none of
    /// the engine's (WorldOptions::record_audit).
    virtual bool page_text() const = 0;
    /// Appends an event to the timeline (attributed to the service's incident).
    virtual TimelineEvent& log(EventKind kind, std::string service, std::string name,
                               std::string detail) = 0;
    /// Starts an action by hand (not automated, no request id) on `target`.
    virtual void act(const engine::ServiceRef& target, const engine::ActionSpec& a) = 0;
    /// Stops the cause of incident k.
    virtual void end_incident(std::size_t k, const std::string& why) = 0;
  };

  /// `sim` and `env` must outlive the OnCall.
  OnCall(OnCallSpec spec, std::string ns, Simulation& sim, Env& env);
  /// A copy of `o`'s state (engaged incidents, answers and acknowledgements due) for another
  /// world: `sim` (a copy of o's, where this registers as the same target number) and
  /// `env`. The approval handler is the caller's: the copy has none until set.
  OnCall(const OnCall& o, Simulation& sim, Env& env);

  /// oncall_response_time of this person at `now`.
  core::Duration response_time(core::TimePoint now) const;
  /// The engine's Notifier: logs the page (or approval request, or page update); a page
  /// reaches the person, an approval request is answered after the response time (approve
  /// when the suggested action helps an incident active on the target, else deny and take
  /// over the incident).
  void escalate(const engine::Escalation& e);
  /// A page reaches the on-call: they acknowledge after the response time and take over
  /// the incident attributed to `svc` (once per incident; no incident: nothing to do).
  void page(std::size_t svc, const std::string& why);
  /// Where approval answers go: (approval id, approved).
  void set_approval_handler(std::function<void(std::uint64_t, bool)> handler) {
    approval_handler_ = std::move(handler);
  }
  /// Whether the on-call has taken incident k (a page or a denied approval reached them).
  bool engaged(std::size_t k) const { return k < engaged_.size() && engaged_[k] != 0; }

 private:
  void engage(std::size_t k);
  void answer_approval(std::uint64_t id, const std::optional<engine::ActionSpec>& suggested,
                       const std::string& target, std::size_t svc);
  void acknowledge(std::size_t k, std::size_t svc);
  /// Its events on the kernel (Event::kind; a = the key in answers_ or acks_, or the
  /// incident of a fix).
  enum class Due : std::uint32_t { kAnswer, kAck, kFix };
  void on_event(const Event& e) override;
  OnCall(const OnCall&) = default;  // the state; the public copy above rebinds the rest

  /// An approval request waiting for the person's answer.
  struct Answer {
    std::uint64_t id = 0;
    std::optional<engine::ActionSpec> suggested;
    std::string target;
    std::size_t svc = 0;
  };
  /// A page waiting for the person's acknowledgement (k < 0: no incident found).
  struct Ack {
    std::ptrdiff_t k = -1;
    std::size_t svc = 0;
    std::string why;
  };

  OnCallSpec spec_;
  std::string ns_;
  Simulation* sim_;
  Env* env_;
  TargetId target_;
  std::function<void(std::uint64_t, bool)> approval_handler_;
  std::vector<char> engaged_;                // [incident], grown on first use
  std::map<std::uint64_t, Answer> answers_;  // due, by key (the order they were asked)
  std::map<std::uint64_t, Ack> acks_;        // due, by key
  std::uint64_t next_key_ = 0;
};

}  // namespace selfheal::sim
