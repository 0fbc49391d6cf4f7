// The policy loader's internals, shared by its three files: policy_loader.cpp (the document
// and each policy), policy_actions.cpp (actions and their parameters) and policy_sections.cpp
// (the guardrail, verification and engine sections). Internal to engine/.
#pragma once

#include <yaml-cpp/yaml.h>

#include <cstdint>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include "config/messages.hpp"
#include "config/yaml_reader.hpp"
#include "core/result.hpp"
#include "engine/policy.hpp"
#include "engine/policy_loader.hpp"

namespace selfheal::engine::policy_reading {

// The reader's words, for the three files.
using core::Error;

using config::did_you_mean;
using config::Entry;
using config::Fields;
using config::kind_of;
using config::list_names;

/// Largest count a policy field takes (attempts, replicas, limits): a larger one is a typo,
/// and would not fit the int the policy keeps it in.
inline constexpr std::int64_t kMaxCount = 1'000'000'000;

/// The action names a policy may use, in the order messages list them.
extern const std::vector<std::string_view> kActionNames;

/// "scale by 2x, at most 10 replicas": an action as a note or a message names it.
std::string describe_action(const ActionSpec& a);

// The policy's own structure over config::YamlReader, the one tree-walker (its typed reads,
// fields() with merge keys, and the words of every message).
class Loader : config::YamlReader {
 public:
  explicit Loader(std::string file) : config::YamlReader(std::move(file), diags_) {}

  PolicyLoad load(const std::string& yaml);

 private:
  void note(const YAML::Node& at, const std::string& field, const std::string& text) {
    notes_.push_back(core::Error{text, file(), config::line_of(at), 0, field}.describe());
  }

  std::optional<ActionSpec> action(const YAML::Node& n, const std::string& field);
  void action_parameters(const Fields& f, const std::string& field, ActionSpec& a);
  void check_action(const ActionSpec& a, const YAML::Node& at, const std::string& field,
                    const Fields* params);
  void document(const YAML::Node& root, PolicySet& set);  // the top-level map's sections
  void duplicate_types();  // one policy per incident type: the engine looks them up by type
  Policy policy(const YAML::Node& n, const std::string& path);
  // The parts of one policy, each reading its own fields of `f` into `p`.
  void incident_type(const YAML::Node& n, const Fields& f, const std::string& path, Policy& p);
  void actions(const YAML::Node& n, const Fields& f, const std::string& path, Policy& p);
  void limits(const Fields& f, const std::string& path, Policy& p);      // gates and timings
  void escalation(const Fields& f, const std::string& path, Policy& p);  // channel and risk
  void scope(const YAML::Node& n, const std::string& path, Scope& out);
  void dependency_precheck(const YAML::Node& n, const std::string& path, DependencyPrecheck& out);
  void planned_events(const YAML::Node& n, const std::string& path, PlannedEventHandling& out);
  void recurrence(const YAML::Node& n, const std::string& path, Recurrence& out);
  void verification(const YAML::Node& n, const std::string& path,
                    std::vector<VerificationCheck>& out);
  std::optional<VerificationCheck> verification_check(
      const YAML::Node& c, const std::string& field,
      const std::vector<std::string_view>& signals);  // nullopt after an error
  void check_bounds(const Fields& f, const std::string& field, bool is_promql,
                    VerificationCheck& check);
  void engine_settings(const YAML::Node& n, const std::string& path, EngineSettings& out);
  void freeze(const YAML::Node& n, const std::string& path, Freeze& out);
  std::vector<std::string> service_refs(const YAML::Node& n, const std::string& field);

  // Per policy in load order: its field path and incident_type value (for duplicates).
  std::vector<std::pair<std::string, YAML::Node>> type_sites_;
  core::Diagnostics diags_;
  std::vector<std::string> notes_;
};

}  // namespace selfheal::engine::policy_reading
