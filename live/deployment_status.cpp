#include "live/deployment_status.hpp"

#include <nlohmann/json.hpp>

#include "live/actuator.hpp"
#include "live/executor.hpp"
#include "live/names.hpp"

namespace selfheal::live {
namespace {

// A missing count is 0, as the API server leaves zero counts out of `status`.
std::int64_t count(const nlohmann::json& o, const char* key) {
  if (!o.is_object() || !o.contains(key)) return 0;
  const auto& v = o[key];
  return v.is_number_integer() ? v.get<std::int64_t>() : 0;
}

}  // namespace

engine::DeploymentStatus parse_deployment_status(const std::string& json) {
  engine::DeploymentStatus d;
  d.observed = true;
  const auto j = nlohmann::json::parse(json, nullptr, false);
  if (!j.is_object() || j.value("kind", std::string()) != "Deployment") {
    d.error = "not a Deployment document";
    return d;
  }
  const nlohmann::json empty = nlohmann::json::object();
  const auto& meta = j.contains("metadata") ? j["metadata"] : empty;
  const auto& spec = j.contains("spec") ? j["spec"] : empty;
  const auto& status = j.contains("status") ? j["status"] : empty;
  d.generation = count(meta, "generation");
  d.observed_generation = count(status, "observedGeneration");
  // spec.replicas defaults to 1 when left out (the API server's default).
  d.desired =
      spec.is_object() && spec.contains("replicas") ? static_cast<int>(count(spec, "replicas")) : 1;
  d.replicas = static_cast<int>(count(status, "replicas"));
  d.updated = static_cast<int>(count(status, "updatedReplicas"));
  d.available = static_cast<int>(count(status, "availableReplicas"));
  return d;
}

std::vector<std::string> DeploymentReader::argv(const engine::ServiceRef& target) const {
  if (!is_dns1123_label(target.ns) || !is_dns1123_label(target.name)) return {};
  return localize_argv(
      {"kubectl", "get", "deployment/" + target.name, "-n", target.ns, "-o", "json"}, kube_);
}

engine::DeploymentStatus DeploymentReader::read(const engine::ServiceRef& target) const {
  const auto cmd = argv(target);
  if (cmd.empty()) {
    engine::DeploymentStatus d;
    d.observed = true;
    d.error = "refused: " + target.key() + " is not a DNS-1123 name";
    return d;
  }
  return status_of(run_command(cmd, kube_.timeout));
}

engine::DeploymentStatus DeploymentReader::status_of(const CommandResult& r) {
  if (!r.ok()) {
    engine::DeploymentStatus d;
    d.observed = true;
    d.error = r.summary() + (r.output.empty() ? "" : ": " + r.output);
    return d;
  }
  return parse_deployment_status(r.output);
}

engine::DeploymentStatus DeploymentReader::status(const engine::ServiceRef& target) const {
  if (auto it = answers_.find(target); it != answers_.end()) return it->second;
  engine::DeploymentStatus d;
  d.observed = true;
  d.error = "not read yet";
  return d;
}

}  // namespace selfheal::live
