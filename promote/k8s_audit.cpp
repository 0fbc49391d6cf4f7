// Why these rules: an audit log holds every request to the API server, almost all of them
// reads and controller writes. Only a person's completed write to a workload can be "a
// person did the action the engine recommended"; everything else is skipped without a
// word, because it is normal traffic, not bad input. A line that is not an audit Event at
// all is bad input: the user pointed at the wrong file.
#include "promote/k8s_audit.hpp"

#include <array>
#include <sstream>

#include "config/file_io.hpp"
#include "config/json_reader.hpp"
#include "core/timestamp.hpp"

namespace selfheal::promote {
namespace {

constexpr std::string_view kApiVersion = "audit.k8s.io/v1";
constexpr std::string_view kCompleteStage = "ResponseComplete";
constexpr std::string_view kSystemUserPrefix = "system:";
constexpr std::string_view kRestartAnnotation = "kubectl.kubernetes.io/restartedAt";
constexpr int kFirstErrorCode = 400;
/// Largest audit log file read: the API server rotates its log at --audit-log-maxsize
/// (100 MB is common); 1 GiB leaves room and still fits in memory.
constexpr std::size_t kMaxAuditLogBytes = std::size_t{1} << 30;
constexpr std::array<std::string_view, 4> kWriteVerbs{"create", "update", "patch", "delete"};
constexpr std::array<std::string_view, 3> kWorkloads{"deployments", "statefulsets", "daemonsets"};

template <std::size_t N>
bool one_of(const std::array<std::string_view, N>& set, std::string_view v) {
  for (auto s : set)
    if (s == v) return true;
  return false;
}

ChangeKind classify(const nlohmann::json& ref, const nlohmann::json& event) {
  if (ref.value("subresource", "") == "scale") return ChangeKind::kScale;
  const auto req = event.find("requestObject");
  if (req == event.end()) return ChangeKind::kOther;
  if (req->is_array()) {  // a JSON patch: kubectl rollout undo replaces the template
    for (const auto& op : *req)
      if (op.is_object() && op.value("op", "") == "replace" &&
          op.value("path", "") == "/spec/template")
        return ChangeKind::kRollback;
    return ChangeKind::kOther;
  }
  if (!req->is_object()) return ChangeKind::kOther;
  const auto ann = req->value("/spec/template/metadata/annotations"_json_pointer, nlohmann::json());
  if (ann.is_object() && ann.contains(std::string(kRestartAnnotation))) return ChangeKind::kRestart;
  const auto spec = req->value("spec", nlohmann::json());
  if (spec.is_object() && spec.size() == 1 && spec.contains("replicas")) return ChangeKind::kScale;
  return ChangeKind::kOther;
}

// One Event; nullopt when it is not a person's completed write to a workload.
std::optional<PersonAction> read_event(const config::JsonDocument& doc, config::JsonReader& r) {
  const auto& e = doc.root;
  const auto kind = r.str(e, "", "kind", config::kRequired);
  const auto api = r.str(e, "", "apiVersion", config::kRequired);
  if (!kind || !api) return std::nullopt;
  if (*kind != "Event" || *api != kApiVersion) {
    r.error("kind", "not a Kubernetes audit Event (kind \"" + *kind + "\", apiVersion \"" + *api +
                        "\"; expected Event, " + std::string(kApiVersion) + ")");
    return std::nullopt;
  }
  const auto stage = r.str(e, "", "stage", config::kRequired);
  const auto verb = r.str(e, "", "verb", config::kRequired);
  if (!stage || !verb || *stage != kCompleteStage || !one_of(kWriteVerbs, *verb))
    return std::nullopt;
  if (!r.is_object(e, "", "user") || !r.is_object(e, "", "objectRef")) return std::nullopt;
  const auto user = r.str(e["user"], "user", "username", config::kRequired);
  if (!user || user->starts_with(kSystemUserPrefix)) return std::nullopt;
  const auto& ref = e["objectRef"];
  const auto resource = r.str(ref, "objectRef", "resource", config::kRequired);
  if (!resource || !one_of(kWorkloads, *resource)) return std::nullopt;
  const auto ns = r.str(ref, "objectRef", "namespace", config::kRequired);
  const auto name = r.str(ref, "objectRef", "name", config::kRequired);
  const auto at = r.str(e, "", "stageTimestamp", config::kRequired);
  if (!ns || !name || !at) return std::nullopt;
  if (e.contains("responseStatus") && e["responseStatus"].is_object() &&
      e["responseStatus"].value("code", 0) >= kFirstErrorCode)
    return std::nullopt;
  auto t = core::parse_rfc3339(*at);
  if (!t) {
    r.error("stageTimestamp", t.error().message);
    return std::nullopt;
  }
  return PersonAction{t.value(), engine::ServiceRef{*ns, *name}, classify(ref, e), *user, {}};
}

}  // namespace

std::string_view to_string(ChangeKind k) {
  switch (k) {
    case ChangeKind::kRestart:
      return "restart";
    case ChangeKind::kScale:
      return "scale";
    case ChangeKind::kRollback:
      return "rollback";
    case ChangeKind::kOther:
      return "other";
  }
  return "other";
}

std::optional<ChangeKind> change_kind_of(engine::ActionKind a) {
  switch (a) {
    case engine::ActionKind::kRestart:
      return ChangeKind::kRestart;
    case engine::ActionKind::kScale:
      return ChangeKind::kScale;
    case engine::ActionKind::kRollback:
      return ChangeKind::kRollback;
    default:
      return std::nullopt;
  }
}

std::optional<std::vector<PersonAction>> parse_k8s_audit(std::string_view text,
                                                         const std::string& file,
                                                         core::Diagnostics& diags) {
  std::vector<PersonAction> out;
  const std::size_t errors_before = diags.size();
  std::istringstream lines{std::string(text)};
  std::string line;
  for (int n = 1; std::getline(lines, line); ++n) {
    if (line.find_first_not_of(" \t\r") == std::string::npos) continue;
    core::Diagnostics local;
    auto doc = config::parse_json(line, file, local);
    std::optional<PersonAction> act;
    if (doc && !doc->root.is_object()) {
      local.add(core::Error("an audit log line must be a JSON object (one Event per line)", file));
    } else if (doc) {
      config::JsonReader r(*doc, local);
      act = read_event(*doc, r);
    }
    for (auto err : local.errors()) {  // positions are within the line: make them the file's
      err.line = n;
      diags.add(std::move(err));
    }
    if (act && local.empty()) {
      act->where = file + ":" + std::to_string(n);
      out.push_back(std::move(*act));
    }
  }
  if (diags.size() != errors_before) return std::nullopt;
  return out;
}

std::optional<std::vector<PersonAction>> read_k8s_audit_file(const std::string& path,
                                                             core::Diagnostics& diags) {
  auto text = config::read_file(path, kMaxAuditLogBytes);
  if (!text) {
    diags.add(text.error());
    return std::nullopt;
  }
  return parse_k8s_audit(text.value(), path, diags);
}

}  // namespace selfheal::promote
