// Policy files are written by hand and reviewed in pull requests, so the loader's job is as
// much to explain as to parse: it walks the whole document, records every problem with its
// location and field path, and only hands out a PolicySet when there were none.
#include "engine/policy_loader.hpp"

#include "engine/policy_reader.hpp"

#include <yaml-cpp/yaml.h>

#include <algorithm>
#include <cerrno>
#include <charconv>
#include <cmath>
#include <cstring>
#include <filesystem>
#include <map>
#include <sstream>

#include "config/file_io.hpp"
#include "config/messages.hpp"
#include "config/names.hpp"
#include "config/suggest.hpp"
#include "config/yaml_reader.hpp"
#include "core/duration.hpp"
#include "engine/classifier.hpp"

namespace selfheal::engine {
namespace policy_reading {
namespace {

int mark_line(const YAML::Mark& m) {
  return m.is_null() ? 0 : m.line + 1;
}
int mark_column(const YAML::Mark& m) {
  return m.is_null() ? 0 : m.column + 1;
}

// The known incident type named `t`, or nullptr (engine/classifier.hpp holds the list).
const KnownIncidentType* find_known_type(std::string_view t) {
  for (const auto& k : known_incident_types())
    if (k.name == t) return &k;
  return nullptr;
}

// "a-b-c" with its hyphen-separated words sorted, so word order does not count as typos.
std::string sorted_words(std::string_view s) {
  std::vector<std::string_view> words;
  for (std::size_t start = 0; start <= s.size();) {
    const std::size_t dash = std::min(s.find('-', start), s.size());
    words.push_back(s.substr(start, dash - start));
    start = dash + 1;
  }
  std::sort(words.begin(), words.end());
  std::string out;
  for (const auto w : words)
    out += (out.empty() ? "" : "-") + std::string(w);
  return out;
}

// did-you-mean for an unknown incident type: a typo of a known type, or its words in
// another order (`cache-poison` for `poisoned-cache`).
std::string type_suggestion(std::string_view t) {
  std::vector<std::string_view> names;
  for (const auto& k : known_incident_types())
    names.push_back(k.name);
  if (std::string hint = did_you_mean(t, names); !hint.empty()) return hint;
  std::vector<std::string> sorted;
  for (const auto n : names)
    sorted.push_back(sorted_words(n));
  const std::vector<std::string_view> sorted_views(sorted.begin(), sorted.end());
  const std::string c = config::closest(sorted_words(t), sorted_views);
  for (std::size_t i = 0; i < sorted.size() && !c.empty(); ++i)
    if (sorted[i] == c) return "; did you mean " + config::quoted(names[i]) + "?";
  return {};
}

// yaml-cpp's message for a tab in the indentation ("illegal map value") hides the cause:
// the words that name it, or "" when the line at `mark` has no tab in its indentation.
std::string tab_hint(const std::string& yaml, const YAML::Mark& mark) {
  if (mark.is_null()) return {};
  std::istringstream lines(yaml);
  std::string text;
  for (int i = 0; i <= mark.line && std::getline(lines, text); ++i) {
  }
  const auto indent_end = text.find_first_not_of(" \t");
  if (text.substr(0, indent_end).find('\t') == std::string::npos) return {};
  return " (this line is indented with a tab; YAML indentation must use spaces)";
}

}  // namespace

void Loader::incident_type(const YAML::Node& n, const Fields& f, const std::string& path,
                           Policy& p) {
  if (const Entry* e = f.find("incident_type")) {
    if (auto t = str(e->value, path + ".incident_type")) {
      if (t->empty()) {
        error(e->value, path + ".incident_type", "is empty");
      } else {
        const std::string_view canonical = canonical_incident_type(*t);
        p.incident_type = std::string(canonical);
        type_sites_.emplace_back(path, e->value);
        if (canonical != *t) {
          note(e->value, path + ".incident_type",
               "incident type `" + *t + "` is read as `" + p.incident_type + "`");
        } else if (const KnownIncidentType* k = find_known_type(*t); k == nullptr || !k->builtin) {
          // Documented external-only types (poisoned-cache) get the note too: a user should
          // know the built-in classifier never sends them; unknown ones get a did-you-mean.
          note(e->value, path + ".incident_type",
               "`" + *t +
                   "` is not a type the built-in classifier produces; only an external "
                   "classification naming it will match this policy" +
                   (k == nullptr ? type_suggestion(*t) : std::string{}));
        }
      }
    }
  } else {
    error(n, path + ".incident_type",
          "missing `incident_type` (e.g. memory-leak, cpu-spike, bad-deployment)");
  }
}

void Loader::actions(const YAML::Node& n, const Fields& f, const std::string& path, Policy& p) {
  const Entry* one = f.find("action");
  const Entry* ladder = f.find("actions");
  bool actions_ok = true;
  if (one != nullptr && ladder != nullptr) {
    error(ladder->key_node, path + ".actions",
          "give either `action` (one) or `actions` (an escalating ladder), not both");
    actions_ok = false;
  } else if (one != nullptr) {
    if (one->value.IsSequence()) {
      error(one->value, path + ".action",
            "`action` takes one action; write `actions:` for an escalating ladder");
      actions_ok = false;
    } else if (auto a = action(one->value, path + ".action")) {
      p.actions.push_back(*a);
    } else {
      actions_ok = false;
    }
  } else if (ladder != nullptr) {
    const std::string field = path + ".actions";
    if (!ladder->value.IsSequence() || ladder->value.size() == 0) {
      error(ladder->value, field,
            "expected a non-empty list of actions such as [restart, rollback, page], got " +
                kind_of(ladder->value));
      actions_ok = false;
    } else {
      for (std::size_t i = 0; i < ladder->value.size(); ++i) {
        const std::string fi = field + "[" + std::to_string(i) + "]";
        if (auto a = action(ladder->value[i], fi)) {
          if (a->kind == ActionKind::kPage && i + 1 < ladder->value.size()) {
            error(ladder->value[i], fi,
                  "`page` must be the last step: the steps after it would never run");
          }
          p.actions.push_back(*a);
        } else {
          actions_ok = false;
        }
      }
    }
  }
  if (p.actions.empty() && actions_ok && !p.incident_type.empty()) {
    if (auto d = default_action_for(p.incident_type)) {
      p.actions.push_back(*d);
      p.action_defaulted = true;
      note(n, path,
           "no action named; default for " + p.incident_type + " applied: " + describe_action(*d));
    } else if (p.incident_type == incident_types::kBadFeatureFlag) {
      error(n, path + ".action",
            "bad-feature-flag has no default action: name the flag, e.g. action: {kind: "
            "feature-flag-disable, flag: new-checkout}");
    } else {
      error(n, path + ".action",
            "no action named and `" + p.incident_type +
                "` has no default action; add e.g. `action: restart`");
    }
  }
}

void Loader::limits(const Fields& f, const std::string& path, Policy& p) {
  if (const Entry* e = f.find("auto_execute")) {
    if (auto b = boolean(e->value, path + ".auto_execute")) p.auto_execute = *b;
  }
  if (const Entry* e = f.find("confidence_threshold")) {
    if (auto v = share(e->value, path + ".confidence_threshold")) p.confidence_threshold = *v;
  }
  if (const Entry* e = f.find("max_attempts")) {
    if (auto v = integer(e->value, path + ".max_attempts", 1, kMaxCount)) {
      p.max_attempts = static_cast<int>(*v);
    }
  }
  const Entry* cooldown = f.find("cooldown_after_action");
  if (const Entry* alias = f.find("cooldown")) {
    if (cooldown != nullptr) {
      error(alias->key_node, path + ".cooldown",
            "`cooldown` is another name for `cooldown_after_action`; give only one");
    } else {
      cooldown = alias;
    }
  }
  if (cooldown != nullptr) {
    if (auto d = duration(cooldown->value, path + "." + cooldown->key, config::DurationMin::kZero))
      p.cooldown = *d;
  }
  if (const Entry* e = f.find("verification_window")) {
    if (auto d =
            duration(e->value, path + ".verification_window", config::DurationMin::kPositive)) {
      p.verification_window = *d;
    }
  }
  if (const Entry* e = f.find("completion_timeout")) {
    if (auto d = duration(e->value, path + ".completion_timeout", config::DurationMin::kPositive))
      p.completion_timeout = *d;
  }
  if (const Entry* e = f.find("improvement_margin")) {
    if (auto v = share(e->value, path + ".improvement_margin")) p.improvement_margin = *v;
  }
  if (const Entry* e = f.find("rollback_if_failed")) {
    if (auto b = boolean(e->value, path + ".rollback_if_failed")) p.rollback_if_failed = *b;
  }
  if (p.rollback_if_failed && !p.actions.empty()) {
    std::vector<std::string_view> final_steps;
    for (const auto& a : p.actions) {
      if (a.kind == ActionKind::kRestart || a.kind == ActionKind::kCachePurge) {
        if (std::find(final_steps.begin(), final_steps.end(), to_string(a.kind)) ==
            final_steps.end()) {
          final_steps.push_back(to_string(a.kind));
        }
      }
    }
    if (!final_steps.empty()) {
      note(f.find("rollback_if_failed")->value, path + ".rollback_if_failed",
           list_names(final_steps) +
               " cannot be undone; when its verification fails the engine escalates instead");
    }
  }
}

void Loader::escalation(const Fields& f, const std::string& path, Policy& p) {
  if (const Entry* e = f.find("escalation_channel")) {
    if (auto s = str(e->value, path + ".escalation_channel")) {
      if (s->empty()) {
        error(e->value, path + ".escalation_channel", "is empty");
      } else {
        p.escalation_channel = *s;
        p.escalation_channel_line = config::line_of(e->value);
      }
    }
  }
  if (const Entry* e = f.find("risk")) {
    if (auto s = str(e->value, path + ".risk")) {
      static const std::vector<std::string_view> kRisks{"low", "medium", "high"};
      if (*s == "low") {
        p.risk = RiskClass::kLow;
      } else if (*s == "medium") {
        p.risk = RiskClass::kMedium;
      } else if (*s == "high") {
        p.risk = RiskClass::kHigh;
      } else {
        error(e->value, path + ".risk",
              "unknown risk class " + config::quoted(*s) + did_you_mean(*s, kRisks) +
                  " (low, medium, high)");
      }
    }
  }
}

Policy Loader::policy(const YAML::Node& n, const std::string& path) {
  Policy p;
  p.source_line = config::line_of(n);
  Fields f = fields(n, path,
                    {"incident_type",
                     "detection_signal",
                     "action",
                     "actions",
                     "auto_execute",
                     "confidence_threshold",
                     "max_attempts",
                     "cooldown_after_action",
                     "cooldown",
                     "verification_window",
                     "rollback_if_failed",
                     "escalation_channel",
                     "risk",
                     "scope",
                     "dependency_precheck",
                     "recurrence",
                     "planned_events",
                     "verification",
                     "completion_timeout",
                     "improvement_margin"});

  incident_type(n, f, path, p);
  if (const Entry* e = f.find("detection_signal")) {
    if (auto s = str(e->value, path + ".detection_signal")) p.detection_signal = *s;
  }

  actions(n, f, path, p);
  limits(f, path, p);
  escalation(f, path, p);
  if (const Entry* e = f.find("scope")) scope(e->value, path + ".scope", p.scope);
  if (const Entry* e = f.find("dependency_precheck")) {
    dependency_precheck(e->value, path + ".dependency_precheck", p.dependency_precheck);
  }
  if (const Entry* e = f.find("recurrence")) {
    recurrence(e->value, path + ".recurrence", p.recurrence);
  }
  if (const Entry* e = f.find("planned_events")) {
    planned_events(e->value, path + ".planned_events", p.planned_events);
  }
  if (const Entry* e = f.find("verification")) {
    verification(e->value, path + ".verification", p.verification);
  }
  return p;
}

void Loader::document(const YAML::Node& root, PolicySet& set) {
  Fields top = fields(root, "", {"remediation_policy", "remediation_policies", "engine"});
  const Entry* single = top.find("remediation_policy");
  const Entry* list = top.find("remediation_policies");
  if (single == nullptr && list == nullptr) {
    error(root, "",
          "no policies: expected `remediation_policy:` (one policy) or "
          "`remediation_policies:` (a list)");
  }
  if (single != nullptr) {
    if (single->value.IsMap()) {
      set.policies.push_back(policy(single->value, "remediation_policy"));
    } else {
      error(single->value, "remediation_policy",
            "expected one policy (a map with incident_type, ...), got " + kind_of(single->value) +
                (single->value.IsSequence() ? "; for a list write `remediation_policies:`" : ""));
    }
  }
  if (list != nullptr) {
    const YAML::Node seq = list->value;
    if (!seq.IsSequence() || seq.size() == 0) {
      error(seq, "remediation_policies",
            "expected a non-empty list of policies, got " + kind_of(seq));
    } else {
      for (std::size_t i = 0; i < seq.size(); ++i) {
        const std::string path = "remediation_policies[" + std::to_string(i) + "]";
        if (!seq[i].IsMap()) {
          error(seq[i], path,
                "expected a policy (a map with incident_type, ...), got " + kind_of(seq[i]));
          continue;
        }
        set.policies.push_back(policy(seq[i], path));
      }
    }
  }
  if (const Entry* e = top.find("engine")) engine_settings(e->value, "engine", set.settings);
}

void Loader::duplicate_types() {
  // One policy per incident type: the engine looks policies up by type.
  std::map<std::string, std::size_t> seen;  // canonical type -> index in type_sites_
  for (std::size_t i = 0; i < type_sites_.size(); ++i) {
    const auto& [path, node] = type_sites_[i];
    const std::string type(canonical_incident_type(node.Scalar()));
    auto [it, inserted] = seen.emplace(type, i);
    if (!inserted) {
      const auto& [first_path, first_node] = type_sites_[it->second];
      error(node, path + ".incident_type",
            "duplicate incident type `" + type + "`: " + first_path + " at line " +
                std::to_string(config::line_of(first_node)) +
                " already covers it; one policy per incident type (use `actions:` for an "
                "escalating ladder)");
    }
  }
}

PolicyLoad Loader::load(const std::string& yaml) {
  PolicyLoad result;
  PolicySet set;
  set.source_file = file();
  try {
    const YAML::Node root = config::load_yaml(yaml);
    if (root.IsNull()) {
      diags_.add(
          Error{"the file is empty; expected `remediation_policy:` (one policy) or "
                "`remediation_policies:` (a list)",
                file(), 1, 1, ""});
    } else if (!root.IsMap()) {
      error(root, "",
            "expected a map with `remediation_policy:` or `remediation_policies:` at the top, "
            "got " +
                kind_of(root));
    } else {
      document(root, set);
      duplicate_types();
    }
  } catch (const YAML::ParserException& e) {
    diags_.add(Error{"YAML syntax error: " + e.msg + tab_hint(yaml, e.mark), file(),
                     mark_line(e.mark), mark_column(e.mark), ""});
  } catch (const YAML::Exception& e) {
    diags_.add(
        Error{"cannot read YAML: " + e.msg, file(), mark_line(e.mark), mark_column(e.mark), ""});
  }
  // Report in file order, however the sections were walked.
  std::vector<Error> errors = diags_.errors();
  std::stable_sort(errors.begin(), errors.end(), [](const Error& a, const Error& b) {
    return std::pair(a.line, a.column) < std::pair(b.line, b.column);
  });
  for (auto& e : errors)
    result.diagnostics.add(std::move(e));
  result.notes = notes_;
  if (diags_.empty()) result.policies = std::move(set);
  return result;
}

}  // namespace policy_reading

PolicyLoad load_policy_string(const std::string& yaml, const std::string& source_name) {
  return policy_reading::Loader(source_name).load(yaml);
}

PolicyLoad load_policy_file(const std::string& path) {
  auto text = config::read_file(path);
  if (!text) {
    PolicyLoad r;
    r.diagnostics.add(text.error());
    return r;
  }
  return load_policy_string(*text, path);
}

}  // namespace selfheal::engine
