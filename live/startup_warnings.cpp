// The warning names the mode because what goes missing depends on it: in recommend mode
// every recommendation is an approval request nobody will see, which makes the server
// useless rather than merely quiet.
#include "live/startup_warnings.hpp"

#include <unistd.h>

#include <filesystem>

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

// posix_spawnp's own lookup (executor.cpp): a name with a '/' is used as it is, otherwise
// each PATH entry in turn, "" meaning the working directory.
bool resolves(const std::string& name, const std::string& path) {
  const auto executable = [](const std::string& file) {
    std::error_code ec;
    return std::filesystem::is_regular_file(file, ec) && ::access(file.c_str(), X_OK) == 0;
  };
  if (name.find('/') != std::string::npos) return executable(name);
  std::size_t from = 0;
  while (true) {
    const std::size_t colon = path.find(':', from);
    const std::string dir = path.substr(from, colon - from);
    if (executable((dir.empty() ? std::string(".") : dir) + "/" + name)) return true;
    if (colon == std::string::npos) return false;
    from = colon + 1;
  }
}

}  // namespace

std::vector<std::string> binary_warnings(const ServeConfig& config, bool executing,
                                         const std::string& path) {
  std::vector<std::string> out;
  if (!executing) return out;
  const std::pair<const char*, const std::string*> binaries[] = {
      {"kubernetes.kubectl", &config.kube.kubectl}, {"kubernetes.helm", &config.kube.helm}};
  for (const auto& [field, name] : binaries) {
    if (name->empty() || resolves(*name, path)) continue;
    out.push_back(
        "WARNING: " + config.source_file + ": " + field + ": \"" + *name +
        "\" is not an executable file" +
        (name->find('/') != std::string::npos ? std::string() : " in any PATH directory") +
        ": every action that runs it will fail (audited and escalated). Install it "
        "or set " +
        field + " to its full path.");
  }
  return out;
}

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
