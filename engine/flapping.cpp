// Flapping: one alert on one target that fires, resolves and fires again inside the flap
// window (settings.flap_window, docs/pipeline.md#flapping) is one incident. A healthy
// resolve, or a verified fix, still clears the target's attempts and closes its episode,
// exactly as without the window; what it cleared is remembered here, and a re-fire of the
// same alert inside the window puts it back: the attempt budget (attempts, ladder step,
// escalate-only) and the open page. So an intermittent fault cannot earn a fresh budget every time
// it blinks off, and its later pages update the first one instead of paging again.
#include <algorithm>

#include "core/duration.hpp"
#include "engine/engine_impl.hpp"
#include "engine/time_text.hpp"

namespace selfheal::engine {

std::string Engine::Impl::remember_flap(const ServiceRef& target, const std::string& fp,
                                        const TargetState& st) {
  const Duration window = set->settings.flap_window;
  if (window <= Duration::zero()) return {};
  Flap& f = flaps[target];
  // The same incident still: a firing that continued a flap, or a second end of the same
  // firing (a verified fix, then the alert's resolve) inside the window.
  const bool same = f.fingerprint == fp && (!f.resolved_at || now() - *f.resolved_at <= window);
  if (!same) f = Flap{};
  f.fingerprint = fp;
  f.resolved_at = now();
  f.attempts = std::max(f.attempts, st.attempts);
  f.ladder_step = std::max(f.ladder_step, st.ladder_step);
  f.escalate_only = f.escalate_only || st.escalate_only;
  if (auto e = episodes.find(target); e != episodes.end() && !e->second.page_severity.empty()) {
    f.page_severity = e->second.page_severity;
    f.page = e->second.page;
  }
  return "; a re-fire before " + format_time(now() + window) + " (flap window " +
         core::format_duration(window) + ") continues this incident";
}

void Engine::Impl::continue_flap(Run& r) {
  auto it = flaps.find(r.inc.target);
  if (it == flaps.end() || !it->second.resolved_at) return;
  Flap& f = it->second;
  const Duration since = r.t - *f.resolved_at;
  if (f.fingerprint != r.fp || since > set->settings.flap_window) {
    flaps.erase(it);  // another alert, or too late: a new incident
    return;
  }
  f.resolved_at.reset();
  f.cycles += 1;
  // Share the budget: never less spent than before the resolve.
  r.st.attempts = std::max(r.st.attempts, f.attempts);
  r.st.ladder_step = std::max(r.st.ladder_step, f.ladder_step);
  r.st.escalate_only = r.st.escalate_only || f.escalate_only;
  ctx.state.save(r.inc.target, r.st);
  // Share the page: the one open at the resolve is open again.
  auto& ep = episodes[r.inc.target];
  ep.flap_cycle = f.cycles;
  if (ep.page_severity.empty() && !f.page_severity.empty()) {
    ep.page_severity = f.page_severity;
    ep.page = f.page;
  }
  r.flap_note = "flapping: fired again " + core::format_duration(since) +
                " after it resolved (cycle " + std::to_string(f.cycles) + " within the " +
                core::format_duration(set->settings.flap_window) +
                " flap window): one incident, sharing its attempt budget (" +
                std::to_string(r.st.attempts) + " spent) and its page";
}

}  // namespace selfheal::engine
