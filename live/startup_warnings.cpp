// The warning names the mode because what goes missing depends on it: in recommend mode
// every recommendation is an approval request nobody will see, which makes the server
// useless rather than merely quiet.
#include "live/startup_warnings.hpp"

namespace selfheal::live {
namespace {

std::string what_is_lost(engine::Mode mode) {
  switch (mode) {
    case engine::Mode::kShadow:
      return "shadow mode still pages what it would not act on (no policy, out of scope, low "
             "confidence, a failed dependency check)";
    case engine::Mode::kRecommend:
      return "recommend mode asks a person to approve EVERY action: no request will arrive, "
             "so nothing is ever approved";
    case engine::Mode::kAuto:
      return "auto mode pages when an action fails verification, gives up or needs approval";
  }
  return "";
}

}  // namespace

std::vector<std::string> escalation_warnings(const ServeConfig& config,
                                             const engine::PolicySet& policies) {
  std::vector<std::string> out;
  if (!config.notifiers.empty()) return out;
  const engine::Mode mode = config.engine.mode.value_or(policies.settings.mode);
  std::string channels;
  for (const auto& p : policies.policies)
    if (channels.find("\"" + p.escalation_channel + "\"") == std::string::npos)
      channels += (channels.empty() ? "\"" : ", \"") + p.escalation_channel + "\"";
  out.push_back(
      "WARNING: " + config.source_file +
      ": no notifiers are configured: escalations have nowhere to go. They are audited and "
      "reach NOBODY: the policies' pages (channel" +
      (channels.find(',') == std::string::npos ? " " : "s ") +
      (channels.empty() ? std::string("\"default\"") : channels) +
      "), approval requests, and serve's own safety pages (kill switch, unfinished actions "
      "after a crash, open-target cap). " +
      what_is_lost(mode) +
      ". Add a `notifiers:` entry (PagerDuty or a webhook; docs/live.md#escalation).");
  return out;
}

}  // namespace selfheal::live
