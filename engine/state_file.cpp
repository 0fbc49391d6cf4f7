// The state file is ours, but it sits on disk where a person or a script may edit it: every
// field is checked for type (and each time parsed) with its location before
// MemoryStateStore::from_json sees it, so a mistake names the field, not just the target.
#include "engine/state_file.hpp"

#include <filesystem>
#include <limits>

#include "config/file_io.hpp"
#include "config/json_reader.hpp"
#include "config/messages.hpp"
#include "engine/audit_json.hpp"

namespace selfheal::engine {
namespace {

using config::JsonReader;
using config::kOptional;
using config::kRequired;
using nlohmann::json;

constexpr std::int64_t kStateVersion = 1;
constexpr std::int64_t kMaxCounter = 1'000'000'000;  // attempts, ladder steps
constexpr std::int64_t kMaxActionId = std::numeric_limits<std::int64_t>::max();

constexpr const char* kStateTimeExample = "an ISO-8601 UTC time such as 2026-11-27T18:00:00Z";

void check_time(JsonReader& r, const json& v, const std::string& field) {
  if (!v.is_string() || !parse_time(v.get<std::string>()))
    r.error(field, config::wrong_type(kStateTimeExample, JsonReader::kind_of(v)));
}

void check_time_member(JsonReader& r, const json& obj, const std::string& path, const char* key) {
  if (obj.contains(key)) check_time(r, obj.at(key), JsonReader::join(path, key));
}

void check_target(JsonReader& r, const json& t, const std::string& path) {
  if (!t.is_object()) {
    r.error(path, config::wrong_type("an object", JsonReader::kind_of(t)));
    return;
  }
  r.check_keys(t, path,
               {"namespace", "name", "last_action_at", "attempts", "ladder_step", "escalate_only",
                "in_flight", "recovered", "remediations"});
  (void)r.str(t, path, "namespace", kRequired);
  (void)r.str(t, path, "name", kRequired);
  check_time_member(r, t, path, "last_action_at");
  (void)r.integer(t, path, "attempts", kOptional, 0, kMaxCounter);
  (void)r.integer(t, path, "ladder_step", kOptional, 0, kMaxCounter);
  (void)r.boolean(t, path, "escalate_only");
  (void)r.is_object(t, path, "in_flight");
  if (r.is_object(t, path, "recovered")) {
    const std::string rp = JsonReader::join(path, "recovered");
    const json& rec = t.at("recovered");
    r.check_keys(rec, rp, {"firing", "policy", "until"});
    (void)r.str(rec, rp, "firing", kOptional, /*allow_empty=*/true);
    (void)r.str(rec, rp, "policy", kOptional, /*allow_empty=*/true);
    check_time_member(r, rec, rp, "until");
  }
  if (r.is_list(t, path, "remediations")) {
    const json& list = t.at("remediations");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string p = JsonReader::index(JsonReader::join(path, "remediations"), i);
      if (!list[i].is_object()) {
        r.error(p, config::wrong_type("an object {at, policy, action, action_id}",
                                      JsonReader::kind_of(list[i])));
        continue;
      }
      r.check_keys(list[i], p, {"at", "policy", "action", "action_id"});
      if (list[i].contains("at")) {
        check_time(r, list[i].at("at"), JsonReader::join(p, "at"));
      } else {
        r.error(JsonReader::join(p, "at"), config::missing_required(kStateTimeExample));
      }
      (void)r.str(list[i], p, "policy", kOptional, /*allow_empty=*/true);
      if (!list[i].contains("action")) {
        r.error(JsonReader::join(p, "action"), config::missing_required("an action object"));
      } else {
        (void)r.is_object(list[i], p, "action");
      }
      (void)r.integer(list[i], p, "action_id", kOptional, 0, kMaxActionId);
    }
  }
}

void check_state(JsonReader& r, const json& j) {
  r.check_keys(j, "", {"version", "kill_switch", "breaker", "targets", "seen"});
  if (auto v = r.integer(j, "", "version", kOptional, 0, kMaxCounter); v && *v != kStateVersion)
    r.error("version", "unsupported state version " + std::to_string(*v) +
                           " (this build reads version " + std::to_string(kStateVersion) + ")");
  (void)r.boolean(j, "", "kill_switch");
  if (r.is_object(j, "", "breaker")) {
    const json& b = j.at("breaker");
    r.check_keys(b, "breaker", {"tripped", "tripped_at", "recent_actions"});
    (void)r.boolean(b, "breaker", "tripped");
    check_time_member(r, b, "breaker", "tripped_at");
    if (r.is_list(b, "breaker", "recent_actions")) {
      const json& list = b.at("recent_actions");
      for (std::size_t i = 0; i < list.size(); ++i)
        check_time(r, list[i], JsonReader::index("breaker.recent_actions", i));
    }
  }
  if (r.is_list(j, "", "targets")) {
    const json& list = j.at("targets");
    for (std::size_t i = 0; i < list.size(); ++i)
      check_target(r, list[i], JsonReader::index("targets", i));
  }
  if (r.is_list(j, "", "seen")) {
    const json& list = j.at("seen");
    for (std::size_t i = 0; i < list.size(); ++i) {
      const std::string p = JsonReader::index("seen", i);
      if (!list[i].is_object()) {
        r.error(p, config::wrong_type("an object {key, at}", JsonReader::kind_of(list[i])));
        continue;
      }
      (void)r.str(list[i], p, "key", kRequired, /*allow_empty=*/true);
      if (list[i].contains("at")) {
        check_time(r, list[i].at("at"), JsonReader::join(p, "at"));
      } else {
        r.error(JsonReader::join(p, "at"), config::missing_required(kStateTimeExample));
      }
    }
  }
}

}  // namespace

std::optional<MemoryStateStore> read_state_string(const std::string& text, const std::string& file,
                                                  core::Diagnostics& diags) {
  auto doc = config::parse_json(text, file, diags);
  if (!doc) return std::nullopt;
  JsonReader r(*doc, diags);
  if (!doc->root.is_object()) {
    r.error("", config::wrong_type("a JSON object (the state)", JsonReader::kind_of(doc->root)));
    return std::nullopt;
  }
  const std::size_t before = diags.size();
  check_state(r, doc->root);
  if (diags.size() != before) return std::nullopt;
  auto loaded = MemoryStateStore::from_json(doc->root);
  if (!loaded) {
    r.error(loaded.error().field, loaded.error().message);
    return std::nullopt;
  }
  return std::move(loaded).value();
}

std::optional<MemoryStateStore> read_state_file(const std::string& path, core::Diagnostics& diags) {
  std::error_code ec;
  if (!std::filesystem::exists(path, ec) && !ec) return MemoryStateStore{};
  auto text = config::read_file(path);
  if (!text) {
    diags.add(text.error());
    return std::nullopt;
  }
  return read_state_string(*text, path, diags);
}

json persistent_state(const MemoryStateStore& store) {
  json j = store.to_json();
  for (auto& t : j["targets"])
    t.erase("in_flight");
  j["seen"] = json::array();
  return j;
}

core::Status write_state_file(const std::string& path, const MemoryStateStore& store) {
  return config::atomic_write(path, config::json_text(persistent_state(store)) + "\n");
}

}  // namespace selfheal::engine
