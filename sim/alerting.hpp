// Alerting, one part of the simulated world (sim/world_impl.hpp lists the parts):
// Prometheus-like rules evaluated on every tick (pending for 'for', firing, resolved; an
// episode ends after kEpisodeGap quiet; external rules from a rule file at their own
// interval) and the Alertmanager-like grouping per service (AlertGroups: group_wait,
// group_interval, repeat_interval) that turns them into the notifications the engine
// receives as Incidents. It owns the compiled rules and every alert's state; it reads the
// telemetry ring and the pods' OOM and restart times, and asks the rest of the world
// through `Alerting::Env` (the log, a direct page).
//
// The tick calls evaluate() (or would_change(), on a parallel tick) for every service:
// their definitions are in sim/alerting.cpp, compiled in the same unity translation unit
// as the tick so they inline (call the inline members only from the world's parts).
//
//   Alerting alerting{spec, telemetry, pods, env};
//   alerting.build();
//   alerting.evaluate(svc, now);           // every service, after its sample
//   alerting.flush(now, deliver);          // the groups due: notifications
//   for (auto& i : alerting.notifications()) sink(i);
//   alerting.clear_notifications();
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string>
#include <utility>
#include <vector>

#include "engine/ports.hpp"
#include "sim/alert_groups.hpp"
#include "sim/alert_quiet.hpp"
#include "sim/cluster_spec.hpp"
#include "sim/model_types.hpp"
#include "sim/pods.hpp"
#include "sim/telemetry.hpp"
#include "sim/timeline.hpp"
#include "sim/world.hpp"

namespace selfheal::sim {

class Alerting {
 public:
  /// What alerting asks of the rest of the world: the timeline's log and the on-call.
  class Env {
   public:
    virtual ~Env() = default;
    virtual TimelineEvent& log_at(EventKind kind, std::size_t svc, std::string name,
                                  std::string detail) = 0;
    /// Alertmanager pages the on-call directly (a critical alert past direct_page_after).
    virtual void page(std::size_t svc, const std::string& why) = 0;
    /// Whether a notification handed out is logged (kIncidentDelivered). Nothing in the
    /// world reads those events, only the reports (WorldOptions::record_audit).
    virtual bool log_deliveries() const { return true; }
  };

  /// `spec`, `telemetry`, `pods` and `env` must outlive the Alerting.
  Alerting(const ClusterSpec& spec, const Telemetry& telemetry, const Pods& pods, Env& env)
      : spec_(spec), telemetry_(&telemetry), pods_(&pods), env_(&env) {}
  /// A copy of `o`'s state (the compiled rules, every alert's state, the alert groups, the
  /// notifications not yet handed out) for another world's parts. The external evaluator
  /// is the caller's: the copy has none until set.
  Alerting(const Alerting& o, const Telemetry& telemetry, const Pods& pods, Env& env)
      : Alerting(o) {
    telemetry_ = &telemetry;
    pods_ = &pods;
    env_ = &env;
    external_eval = nullptr;
  }

  /// Compiles the spec's rules (effective_alert_rules) for the tick.
  void build();
  /// Answers the external rules (a rule file's alerts) when they are due.
  void set_external_evaluator(ExternalRuleEvaluator e) { external_eval = std::move(e); }

  // ---- the tick
  /// Service svc's rules on this tick's sample: the alert state machines, firing and
  /// resolving into the alert groups.
  void evaluate(std::size_t svc, core::TimePoint now) {
    if (!quiet(svc, now)) check_rules<true>(svc, now);
  }
  /// Changes nothing; whether evaluate() would change some alert's state of svc (the
  /// condition holds or the alert is busy): the parallel tick defers those.
  bool would_change(std::size_t svc, core::TimePoint now) const { return !quiet(svc, now); }
  /// Whether no rule's condition holds for svc now and none of its alerts is busy: then
  /// evaluate() changes nothing (most services, most ticks). Changes nothing itself; the
  /// same answer as the rule checks, from the service's count of busy alerts and its rule
  /// list's bounds (model::QuietBounds), the windowed rules one by one only when the
  /// bounds cannot decide.
  /// Out of line: inlined, the tick's loop ran ~20 more instructions a service (its
  /// registers spilled).
  [[gnu::noinline]] bool quiet(std::size_t svc, core::TimePoint now) const;
  bool has_external() const { return !external_rules.empty(); }
  /// The external rules due at `now`, for every service at once (after the tick's samples).
  void evaluate_external(core::TimePoint now);
  /// The alert groups due now (AlertGroups decides when): every alert of the group firing,
  /// or resolved and not yet sent, into notifications when `deliver` (an engine listens),
  /// else only logged as delivered.
  void flush(core::TimePoint now, bool deliver);
  /// The notifications of this tick's flushes, in order; valid until the next flush or
  /// clear_notifications() (call neither while reading them).
  std::span<engine::Incident> notifications() { return {outbox.data(), sent}; }
  /// Forgets the notifications. Their storage stays for the next flush's: a notification
  /// of an alert is assigned over an earlier one (its label and annotation nodes reused).
  void clear_notifications() { sent = 0; }
  /// notifications() copied out, then cleared (tests).
  std::vector<engine::Incident> take_notifications() {
    std::vector<engine::Incident> out(outbox.begin(),
                                      outbox.begin() + static_cast<std::ptrdiff_t>(sent));
    clear_notifications();
    return out;
  }

 private:
  using AlertState = model::AlertState;
  using Sample = model::Sample;

  double rule_value(std::size_t svc, std::size_t ri, core::TimePoint now) const;
  /// The tick's gauge of each engine::SignalName for svc (windowed signals: 0).
  using Gauges = std::array<double, 11>;
  Gauges gauges(std::size_t svc) const;
  /// A windowed rule's value for svc now (its counter, 0 unless it moved in the window).
  double windowed_value(std::size_t svc, std::uint8_t signal, std::uint16_t rule,
                        std::uint32_t window_ticks, core::TimePoint now) const;
  std::string severity_of(std::size_t svc, const AlertRuleSpec& r) const;
  /// The rule checks of evaluate(). kApply false: changes nothing and returns whether
  /// some alert's state would change (the condition holds or the alert is busy).
  template <bool kApply>
  bool check_rules(std::size_t svc, core::TimePoint now);
  /// The alert state machine of rule r on service svc, for a tick where the condition holds
  /// or the alert is pending, firing or in an episode; keeps busy_count.
  [[gnu::noinline]] void update_alert(std::size_t svc, std::size_t r, bool cond, double value,
                                      core::TimePoint now);
  /// update_alert without busy_count.
  void update_alert_state(std::size_t svc, std::size_t r, bool cond, double value,
                          core::TimePoint now);
  /// "error_rate 0.31 > 0.05 on ns/svc" (a rule file's: "expr = 0.31 on ns/svc").
  std::string describe(std::size_t svc, std::size_t r, double value);
  /// The alert's fingerprint: a pure function of (rule name, namespace, service), so it is
  /// computed once per alert and kept (every firing, resolution and notification logs it).
  const std::string& fingerprint(std::size_t svc, std::size_t r);
  void fire(std::size_t svc, std::size_t r, core::TimePoint now);
  void resolve(std::size_t svc, std::size_t r, core::TimePoint now);
  /// The notification of alert r of svc, into the next slot of the outbox.
  const engine::Incident& add_incident(std::size_t svc, std::size_t r, bool resolved,
                                       core::TimePoint started);
  /// One group's flush: every alert of svc firing, or resolved and not yet sent.
  void send_group(std::size_t svc, core::TimePoint now);

  Alerting(const Alerting&) = default;  // the state; the public copy rebinds the parts

  const ClusterSpec& spec_;
  const Telemetry* telemetry_;
  const Pods* pods_;
  Env* env_;
  bool deliver_ = false;  // the current flush builds notifications (an engine listens)

  std::vector<AlertRuleSpec> rules;
  std::vector<std::vector<char>> rule_applies;  // [rule][service]
  std::vector<std::size_t> rule_back;           // [rule] window in ticks
  /// The rules as the hot loop reads them: signal index, sign-folded comparison.
  struct FastRule {
    std::uint8_t signal = 0;  // engine::SignalName as an index into the tick's values
    bool windowed = false;    // a counter increase or a trend over the window
    bool strict = true;       // > or < (else >= or <=)
    double sign = 1.0;        // -1 for < and <=: compare sign*value against sign*threshold
    double threshold = 0.0;   // already multiplied by sign
    core::Duration for_{};
    core::Duration keep{};  // keep_firing_for
    core::Duration step{};  // time between evaluations: the scrape interval, or an external
                            // rule's group interval
  };
  std::vector<FastRule> fast_rules;
  // External rules (AlertRuleSpec::external): evaluated after the tick's services.
  std::vector<std::size_t> external_rules;
  ExternalRuleEvaluator external_eval;
  std::vector<ExternalAlert> external_found;  // one evaluation's answer
  std::vector<std::ptrdiff_t> external_hit;   // per service: index in external_found
  std::vector<ExternalAlert> external_last;   // [service * rules + rule], last answer
  /// The rules that apply to each service, in rule order, as the tick checks them: service
  /// i's are checks[checks_at[i] .. checks_at[i + 1]) (rules that do not apply are never
  /// read). One contiguous array.
  struct RuleCheck {
    double threshold = 0.0;          // FastRule::threshold (sign-folded)
    std::uint32_t window_ticks = 0;  // windowed rules: the counter moved within this many
    std::uint16_t rule = 0;
    std::uint8_t signal = 0;
    std::uint8_t flags = 0;  // kStrict | kWindowed | kNegate (FastRule::sign is -1)
  };
  static constexpr std::uint8_t kStrict = 1, kWindowed = 2, kNegate = 4;
  /// Services with the same rules (all of a kind, as a rule) share one list, so the lists
  /// stay in L1 while a tick walks every service.
  std::vector<RuleCheck> checks;
  std::vector<std::size_t> checks_at;   // [service] first check
  std::vector<std::size_t> checks_end;  // [service] one past its last
  /// What quiet() reads of a service's rule list (its order does not matter: it changes
  /// nothing): the list's rules folded into bounds (model::QuietBounds: a compare per gauge
  /// and per counter, whatever the rules), and its windowed rules one by one for the ticks
  /// the bounds cannot decide (a counter changed within a window, a trend, a rule that holds
  /// at 0). Service i's are quiet_bounds[quiet_at[i].bounds] and
  /// quiet_checks[quiet_at[i].windowed .. .end).
  struct QuietCheck {
    /// The condition is sign * value > above: RuleCheck::threshold (sign-folded) for > and
    /// <, the next double below it for >= and <= (x >= t is x > that double for every x;
    /// a NaN fails both). A rule >= -inf has no such double: quiet() is then never used.
    double above = 0.0;
    double sign = 1.0;               // -1 for < and <= (sign * value is exactly -value)
    std::uint32_t window_ticks = 0;  // RuleCheck::window_ticks
    std::uint16_t rule = 0;
    std::uint8_t signal = 0;
  };
  struct QuietRange {
    std::uint32_t bounds = 0, windowed = 0, end = 0;
  };
  /// quiet() when a counter changed within a window (or a rule is a trend, or holds at 0):
  /// no windowed rule of svc holds, each checked with the values and comparisons of
  /// check_rules.
  [[gnu::noinline]] bool windowed_quiet(std::size_t svc, core::TimePoint now) const;
  /// Appends one rule list's bounds and windowed checks.
  QuietRange add_quiet_list(const std::vector<std::uint16_t>& list);
  std::vector<model::QuietBounds> quiet_bounds;  // one per rule list
  std::vector<QuietCheck> quiet_checks;
  bool quiet_exact = true;           // false: some rule is >= -inf or <= +inf (QuietCheck::above)
  std::vector<QuietRange> quiet_at;  // [service]
  /// [service] how many of its alerts of the rules it checks (not the external ones) are
  /// busy: quiet() reads this instead of each rule's flag. update_alert keeps it.
  std::vector<std::uint16_t> busy_count;
  std::vector<std::uint8_t> alert_busy;   // [service * rules + rule] see AlertState
  std::vector<char> alert_critical;       // [service * rules + rule] severity=critical
  std::vector<AlertState> alerts;         // [service * rules + rule]
  std::vector<std::string> fingerprints;  // [service * rules + rule], filled on first use
  /// What every notification and description of one alert shares, built on its first use
  /// (the rule, the service and the namespace never change), and the texts of the last
  /// value it described (a value seen again is not formatted again).
  struct Notice {
    /// Fingerprint, group key, target, alertname, labels, and the annotations (summary,
    /// value) of the last value.
    engine::Incident base;
    std::string prefix;            // describe(): the text before the value ...
    std::string suffix;            // ... and after it
    std::uint64_t value_bits = 0;  // the last value described (its bits: -0.0 prints "-0")
    bool described = false;
  };
  Notice& notice(std::size_t svc, std::size_t r);
  std::vector<std::uint32_t> notice_of;  // [service * rules + rule] index + 1 into notices
  std::vector<Notice> notices;           // the alerts that were described, in first-use order
  AlertGroups alert_groups{spec_.routing, spec_.services.size()};  // when groups are sent
  /// "Direct pages off": no alert fires this long.
  static constexpr core::Duration kNoDirectPage = core::Duration::max();
  core::Duration direct_page_after = kNoDirectPage;  // OnCallSpec::direct_page_after
  /// This tick's notifications are [0, sent); the slots after them are earlier ticks'
  /// storage, reused.
  std::vector<engine::Incident> outbox;
  std::size_t sent = 0;
};

}  // namespace selfheal::sim
