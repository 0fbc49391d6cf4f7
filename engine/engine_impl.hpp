// Private to engine/: the Engine's state and the declarations its implementation files
// share. Not part of the contract (include engine/engine.hpp).
//
// The implementation is split by concern, one file each:
//   engine.cpp        the public Engine calls (approve, resume, operator switches)
//   escalation.cpp    audit records, pages and episodes (emit, escalate, finish)
//   pipeline.cpp      the decision pipeline in order (decide and its steps)
//   flapping.cpp      a re-fire inside the flap window continues the incident that resolved
//   guardrails.cpp    the refusals: duplicates, scope, dependencies, attempts, global limits
//   execution.cpp     starting an action, its result, its timeout, resolved alerts
//   verification.cpp  the checks after the window, undo, the next rung or giving up
//   checks.cpp        the verification checks themselves (pure functions of signals)
//
// State lives in two places on purpose:
//  - the StateStore holds what must survive a restart (cooldowns, attempts, ladder step,
//    escalate-only, in-flight actions, the breaker, the kill switch);
//  - EngineState (Impl's base) holds what only matters while the process lives (open pages
//    per episode, the episode's history for pages, pending approvals and follow-ups, what
//    each pending timer and action result is for). Losing it on restart costs at worst one
//    repeated page, never a repeated action. It is plain data (no closure, no reference to
//    a port): the Engine's copy constructor copies it whole, and a field added to it is
//    copied without more ado.
#pragma once

#include <algorithm>
#include <deque>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#include "config/messages.hpp"
#include "core/number_format.hpp"
#include "engine/engine.hpp"

namespace selfheal::engine {

inline std::string fmt(double v) {
  return core::format_fixed(v, 2);
}
inline std::string fmt3(double v) {
  return core::format_fixed(v, 3);
}
// "a < b" with enough digits that the two sides differ whenever the values do: two decimals
// as a rule, the shortest exact form when two decimals would print the same text twice.
inline std::string fmt_compare(double a, const char* op, double b) {
  if (fmt(a) != fmt(b) || a == b) return fmt(a) + " " + op + " " + fmt(b);
  return config::exact_number(a) + " " + op + " " + config::exact_number(b);
}
inline bool contains(const std::vector<std::string>& v, const std::string& s) {
  return std::find(v.begin(), v.end(), s) != v.end();
}

/// The Engine's state as plain data: everything a copy of the engine copies (Engine's copy
/// constructor), the ports excepted. Engine::Impl adds the ports and the code.
struct EngineState {
  struct Episode {
    std::string page_severity;  ///< severity of the open page; empty = none open
    std::deque<AuditRecord> history;
    std::optional<Incident> incident;  ///< what follow-ups re-decide
    // Timer tokens (EngineState::timers); 0: none armed.
    std::uint64_t verify_timer = 0;  ///< verification, or the completion poll before it
    std::uint64_t timeout_timer = 0;
    std::uint64_t followup_timer = 0;
    std::string followup_fingerprint;
    std::uint64_t undo_id = 0;  ///< non-zero while an undo runs
    std::string undo_fingerprint;
    // Correlation (correlation.cpp): the open page, for updates, and the callers whose
    // alerts joined this incident.
    Escalation page;                   ///< the last page sent for this episode
    std::vector<ServiceRef> affected;  ///< callers that joined, in the order they joined
    /// Flapping (flapping.cpp): this episode continues one that resolved inside the flap
    /// window; a page of a higher severity goes out as an update of the open one.
    int flap_cycle = 0;
    /// Verification as an operator does it (completion.cpp): when the running action
    /// reported done (the wait for it to take effect counts from there). Its before-action
    /// state is persisted in InFlightAction::before.
    TimePoint done_at{};
  };

  /// What a resolved alert leaves for a re-fire inside the flap window (flapping.cpp).
  struct Flap {
    std::string fingerprint;
    std::optional<TimePoint> resolved_at;  ///< unset while the alert fires again
    int cycles = 1;                        ///< fire/resolve cycles of this incident so far
    int attempts = 0;
    std::size_t ladder_step = 0;
    bool escalate_only = false;
    std::string page_severity;  ///< the open page at the resolve; empty = none
    Escalation page;
  };

  /// A caller whose page joined its upstream's open incident (correlation.cpp).
  struct Joined {
    ServiceRef root;
    Incident incident;  ///< the caller's own alert, re-decided once the root is closed
    std::string fingerprint;
    std::uint64_t timer = 0;  ///< token of the next look at whether the root is still open
  };

  struct PendingApproval {
    Incident incident;
    std::string fingerprint;
    const Policy* policy = nullptr;
    Classification classification;
    ActionSpec action;
    double confidence = 0.0;
  };

  /// What a pending timer does when it fires (Callbacks::on_timer).
  enum class TimerKind {
    kVerify,            ///< verify(target, action_id)
    kCompletionPoll,    ///< await_completion(target, action_id, polled)
    kActionTimeout,     ///< on_timeout(target, action_id)
    kFollowUp,          ///< the next rung: re-decide the episode's incident
    kCorrelationCheck,  ///< recheck_joined(target)
  };
  struct TimerTask {
    TimerKind kind = TimerKind::kVerify;
    ServiceRef target;
    std::uint64_t action_id = 0;
    TimerId id = 0;  ///< the Scheduler's id, for cancel
  };

  /// What a pending action result is for (Callbacks::on_action_done).
  struct Undo {
    InFlightAction failed;  ///< the action being undone
    std::string why;        ///< why it failed
  };
  struct AwaitedResult {
    ServiceRef target;
    /// Set: the undo of a failed action (rollback_if_failed), not a first action. Optional,
    /// so an action's entry carries no InFlightAction to build, move and destroy.
    std::optional<Undo> undo;
  };

  struct StringHash {
    using is_transparent = void;
    std::size_t operator()(std::string_view s) const noexcept {
      return std::hash<std::string_view>{}(s);
    }
  };

  /// Immutable after construction: a copy of the engine shares them (no re-parse, no model
  /// copy), and `by_type` and PendingApproval::policy point into the one shared set.
  std::shared_ptr<const PolicySet> set;
  std::shared_ptr<const ClassifierModel> model;
  Mode mode;
  bool audit_text = true;  ///< Engine::set_audit_text
  std::unordered_map<std::string, const Policy*, StringHash, std::equal_to<>> by_type;
  std::uint64_t seq = 0;
  std::uint64_t next_action_id = 0;
  std::uint64_t next_approval_id = 0;
  std::unordered_map<ServiceRef, Episode, ServiceRefHash> episodes;
  /// Targets this engine instance acted on: their cooldowns are owned by our own
  /// verification and follow-ups. A cooldown we inherited (a state file, a restart) is not,
  /// so refusing inside it escalates, as the seed's cooldown exercise expects.
  std::unordered_map<ServiceRef, TimePoint, ServiceRefHash> own_actions;
  std::unordered_map<ServiceRef, std::uint64_t, ServiceRefHash> in_flight;  // target -> action
  std::unordered_map<std::string, int> in_flight_by_ns;
  std::map<std::uint64_t, PendingApproval> approvals;
  std::unordered_map<ServiceRef, Joined, ServiceRefHash> joined;  // caller -> its root
  std::unordered_map<ServiceRef, Flap, ServiceRefHash> flaps;     // target -> its last resolve
  /// dependency_failure's numbers: repeated on every re-delivery while an upstream is down.
  core::RepeatedNumber blame_rate, blame_bound;
  /// Every timer armed and not yet fired or cancelled: token -> what it means. Episode and
  /// Joined name their timers by token.
  std::map<std::uint64_t, TimerTask> timers;
  std::uint64_t next_token = 0;
  /// Every action whose result has not come back: request id -> what it means.
  std::map<std::uint64_t, AwaitedResult> awaited;
};

struct Engine::Impl final : Callbacks, EngineState {
  /// kUncorrelated: a caller's alert re-decided after the upstream incident it joined closed.
  enum class Pass { kDelivery, kFollowUp, kApproved, kUncorrelated };

  // Everything one pass through the pipeline knows; telemetry is fetched lazily so an
  // external classification with no pre-check never touches Telemetry.
  struct Run {
    const Incident& inc;
    Pass pass;
    std::string fp;
    Decision d;
    const Policy* policy = nullptr;
    TargetState st;
    std::optional<ActionSpec> action;
    std::optional<ServiceSignals> signals;
    std::optional<std::vector<DependencyHealth>> upstreams;
    const PendingApproval* approved = nullptr;  ///< set on the approved pass
    double confidence = 0.0;                    ///< what the threshold compares
    std::string event_note;                     ///< planned events' effect, for the reason
    TimePoint t{};                              ///< when the pass started
    std::string flap_note;                      ///< set when this firing continues a flap
  };

  enum class Notify {
    kDeduped,  ///< page unless one of the same or higher severity is open for the episode
    kSilent,   ///< escalate is set, but an earlier page already covers it (tripped breaker)
    kForced,   ///< page regardless of open pages (the breaker trip: once per trip)
  };

  struct Checked {
    bool ok = false;  ///< no check failed and at least one passed
    int failed = 0;
    std::string detail;  ///< "pass: ...; FAIL: ...; skipped: ..."
  };

  EngineContext ctx;

  Impl(EngineContext c, PolicySet p, ClassifierModel m);
  /// `other`'s state on `c` (a copy of other's ports).
  Impl(const Impl& other, EngineContext c);
  ~Impl() override;
  Impl(const Impl&) = delete;
  Impl& operator=(const Impl&) = delete;

  // Callbacks: the timers and action results this engine armed and started.
  void on_timer(std::uint64_t token) override;
  void on_action_done(std::uint64_t request_id, ActionResult r) override;
  /// Arms a timer for `task` and returns its token.
  std::uint64_t arm(Duration delay, TimerTask task);
  /// Cancels the timer of `token` if it is still pending (a fired or 0 token: nothing).
  void disarm(std::uint64_t token);
  /// Starts `req` on the actuator; its result comes back to on_action_done as `what`.
  void start(const ActionRequest& req, AwaitedResult what);

  TimePoint now() const { return ctx.clock.now(); }
  const Policy* lookup(std::string_view type) const {
    auto it = by_type.find(canonical_incident_type(type));
    return it == by_type.end() ? nullptr : it->second;
  }
  /// The policy's verification window, or the default when the policy is gone.
  static Duration verification_window(const Policy* p);

  static std::string fingerprint_of(const Incident& inc);
  /// `prefix` + fp + "@" + the firing's start in Unix ms (fp alone without a start).
  static std::string dedup_key(const Incident& inc, const std::string& fp,
                               std::string_view prefix = {});
  /// dedup_key's room for "@" and the milliseconds.
  static constexpr std::size_t kDedupKeyRoom = 24;

  // escalation.cpp
  AuditRecord record(AuditKind kind, const ServiceRef& target, const std::string& fp);
  void emit(AuditRecord r, bool keep_in_history = true);
  bool escalate(const ServiceRef& target, const std::string& fp, const Policy* policy, Outcome why,
                const std::string& severity, const std::string& summary,
                const std::optional<ActionSpec>& suggested, const std::vector<std::string>& argv,
                std::uint64_t approval_id = 0, std::optional<ServiceRef> upstream = std::nullopt,
                bool force = false);
  bool owned_cooldown(const ServiceRef& target, TimePoint last_action_at) const;
  void close_episode(const ServiceRef& target);
  Decision finish(Run& r, Outcome o, std::string guardrail, std::string reason, bool escalate_,
                  bool suggest = false, const std::string& severity = {},
                  std::uint64_t approval_id = 0, Notify notify = Notify::kDeduped);
  void operator_record(const ServiceRef& target, std::string reason);

  // correlation.cpp
  bool open_incident(const ServiceRef& service) const;
  /// open_incident for a service whose episode is `e` (no second lookup).
  bool open_incident(const ServiceRef& service, const Episode& e) const;
  /// The open incident `target`'s page would join, if any; `r` (optional) has the upstreams
  /// already read by the pass.
  std::optional<ServiceRef> correlated_root(const ServiceRef& target, Run* r);
  /// `what` + ": " + `why` is the joined page's reason, written only when the root's open
  /// page is updated (the caller's first join while it is open).
  void join(const Incident& inc, const std::string& fp, const ServiceRef& root,
            std::string_view what, std::string_view why);
  void recheck_joined(const ServiceRef& caller);
  void forget_joined(const ServiceRef& caller, const std::string& fp);

  // flapping.cpp
  /// A healthy resolve about to clear `st` and close the episode: remember both for a
  /// re-fire inside the flap window. Returns the text the resolve's reason gains.
  std::string remember_flap(const ServiceRef& target, const std::string& fp, const TargetState& st);
  /// A firing: when it re-fires inside the flap window, restore the attempt budget and the
  /// open page into `r` and the episode, and set r.flap_note.
  void continue_flap(Run& r);

  // pipeline.cpp
  const ServiceSignals& signals(Run& r);
  const std::vector<DependencyHealth>& upstreams(Run& r);
  std::vector<std::string> render(Run& r, const ActionSpec& a, std::uint64_t nonce,
                                  std::string* error);
  const ActionSpec* rung(const Policy& p, std::size_t step) const;
  Decision decide(const Incident& inc, Pass pass, const PendingApproval* approved = nullptr);
  std::optional<Decision> classify_and_find_policy(Run& r);
  std::optional<Decision> precheck_events_confidence(Run& r, const Policy& p);
  std::optional<Decision> planned_events(Run& r, const Policy& p);
  std::optional<Decision> cooldown(Run& r, const Policy& p);
  Decision mode_and_execute(Run& r, const Policy& p);

  // guardrails.cpp
  std::string duplicate_reason(Run& r);
  static std::string policy_scope(const Policy& p, const ServiceRef& target);
  const DependencyHealth* worst_upstream(Run& r, double bound);
  /// Breadth first from the target's upstreams, up to `depth` hops, each service once: the
  /// worst unhealthy service of the nearest hop that has one (its hop count and the chain
  /// "a -> b -> c" from the target in `via`), or nullopt.
  std::optional<DependencyHealth> nearest_unhealthy(Run& r, double bound, int depth, int* hops,
                                                    std::string* via);
  std::string frozen(Run& r);
  std::string dependency_failure(Run& r, const Policy& p);
  std::string exhausted(const Run& r, const Policy& p) const;
  std::string recurring(const Run& r, const Policy& p) const;
  void remember_verified(TargetState& st, const InFlightAction& fl);
  std::optional<Decision> global_limits(Run& r);

  // execution.cpp
  Decision execute(Run& r, const Policy& p, const ActionSpec& action);
  void track(const ServiceRef& target, std::uint64_t id);
  void untrack(const ServiceRef& target);
  Decision on_resolved(Run& r);
  void on_timeout(const ServiceRef& target, std::uint64_t id);
  void action_done(const ServiceRef& target, std::uint64_t id, ActionResult res);

  // completion.cpp
  /// The action reported done: wait (polling Actuator::deployment) until it has taken
  /// effect, then arm its verification one window later; fail it past completion_timeout.
  /// `polled`: called again after a poll found the rollout in progress (the first call
  /// comes straight from the action's result).
  void await_completion(const ServiceRef& target, std::uint64_t id, bool polled = false);
  static Duration completion_timeout(const Policy* p);

  // verification.cpp
  /// `before`: the signals when the action was taken (operator rules); nullptr judges by
  /// the checks' bounds alone (a held re-delivery).
  Checked check_objective(const ServiceRef& target, const Policy* p,
                          const ServiceSignals* before = nullptr, bool operator_rules = false);
  void verify(const ServiceRef& target, std::uint64_t id);
  void fail(const ServiceRef& target, const std::string& why);
  void after_failure(const ServiceRef& target, const InFlightAction& fl, const std::string& why);
  /// The undo started by fail() reported back.
  void undo_done(const ServiceRef& target, std::uint64_t uid, const InFlightAction& fl,
                 const std::string& why, const ActionResult& res);
  /// The follow-up timer: the next rung for the episode's incident.
  void follow_up(const ServiceRef& target);
};

/// "ns/a, ns/b": the services a page lists as affected (correlation.cpp).
std::string service_list(const std::vector<ServiceRef>& services);

}  // namespace selfheal::engine
