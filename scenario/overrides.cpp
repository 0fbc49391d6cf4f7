#include "scenario/overrides.hpp"

#include <filesystem>
#include <fstream>
#include <sstream>

#include <yaml-cpp/yaml.h>

#include "config/file_io.hpp"
#include "scenario/yaml_util.hpp"

namespace fs = std::filesystem;

namespace selfheal::scenario {
namespace {

std::vector<std::string> split_path(const std::string& path) {
  std::vector<std::string> out;
  std::string cur;
  for (char c : path) {
    if (c == '.') {
      out.push_back(cur);
      cur.clear();
    } else {
      cur += c;
    }
  }
  out.push_back(cur);
  return out;
}

std::string scalar_or_empty(const YAML::Node& n, const char* key) {
  const YAML::Node v = n[key];
  return v.IsDefined() && v.IsScalar() ? v.Scalar() : std::string{};
}

// The names a list element answers to: its name, its incident type, a fault's default id.
std::vector<std::string> element_names(const YAML::Node& e) {
  std::vector<std::string> names;
  if (!e.IsMap()) return names;
  for (const char* k : {"name", "incident_type", "id"})
    if (auto s = scalar_or_empty(e, k); !s.empty()) names.push_back(s);
  const std::string kind = scalar_or_empty(e, "kind");
  const std::string target = scalar_or_empty(e, "target");
  if (!kind.empty() && !target.empty()) names.push_back(kind + "-" + target);
  return names;
}

bool is_index(const std::string& s) {
  return !s.empty() && s.size() < 9 && s.find_first_not_of("0123456789") == std::string::npos;
}

// Follows `segs` from `node`, creating missing mappings, and sets the last one to `value`.
// Nodes are handles: changing `cur` changes the document.
core::Status set_path(YAML::Node node, const std::vector<std::string>& segs,
                      const YAML::Node& value, const std::string& field) {
  YAML::Node cur = node;
  std::string where;
  for (std::size_t i = 0; i < segs.size(); ++i) {
    const std::string& seg = segs[i];
    if (seg.empty())
      return core::Error("empty path segment; write e.g. oncall.response_time=30m", {}, 0, 0,
                         field);
    const bool last = i + 1 == segs.size();
    if (cur.IsNull() || !cur.IsDefined()) cur = YAML::Node(YAML::NodeType::Map);
    if (cur.IsSequence()) {
      std::vector<std::string> known;
      std::optional<std::size_t> hit;
      if (is_index(seg)) {
        const std::size_t k = std::stoul(seg);
        if (k < cur.size()) hit = k;
      }
      for (std::size_t k = 0; !hit && k < cur.size(); ++k)
        for (const auto& nm : element_names(cur[k])) {
          if (nm == seg) hit = k;
          known.push_back(nm);
        }
      if (!hit) {
        std::string msg = "no element \"" + seg + "\" in " + (where.empty() ? "the list" : where);
        if (auto s = did_you_mean(seg, known); !s.empty())
          msg += "; did you mean \"" + s + "\"?";
        else if (!known.empty()) {
          msg += " (it has";
          for (const auto& k : known)
            msg += " " + k;
          msg += ")";
        }
        return core::Error(msg, {}, 0, 0, field);
      }
      if (last)
        return core::Error("cannot replace a whole list element; name one of its fields", {}, 0, 0,
                           field);
      YAML::Node next = cur[*hit];
      cur.reset(next);
    } else if (cur.IsMap()) {
      if (last) {
        cur[seg] = value;
        return core::Status(core::Ok{});
      }
      YAML::Node next = cur[seg];
      if (!next.IsDefined() || next.IsNull()) {
        cur[seg] = YAML::Node(YAML::NodeType::Map);
        next = cur[seg];
      }
      cur.reset(next);
    } else {
      return core::Error((where.empty() ? std::string("the scenario") : where) +
                             " is a value, not a mapping or a list: cannot set \"" + seg +
                             "\" inside it",
                         {}, 0, 0, field);
    }
    where = where.empty() ? seg : where + "." + seg;
  }
  return core::Status(core::Ok{});
}

std::optional<std::string> read_file(const fs::path& p) {
  auto text = config::read_file(p.string());
  if (!text) return std::nullopt;
  return std::move(*text);
}

// A policy path `policies.<incident_type>.<field>` addresses the element of the policy list
// for that incident type; `policies.engine...` and the list keys themselves pass through.
std::vector<std::string> policy_segments(const YAML::Node& policies,
                                         const std::vector<std::string>& segs) {
  if (segs.size() < 2) return segs;
  const std::string& second = segs[1];
  if (second == "engine" || second == "remediation_policies" || second == "remediation_policy" ||
      second.rfind("x-", 0) == 0)
    return segs;
  std::vector<std::string> out{segs[0]};
  const YAML::Node single = policies["remediation_policy"];
  if (single.IsDefined() && single.IsMap() && scalar_or_empty(single, "incident_type") == second)
    out.push_back("remediation_policy");
  else
    out.insert(out.end(), {"remediation_policies", second});
  out.insert(out.end(), segs.begin() + 2, segs.end());
  return out;
}

}  // namespace

core::Result<Override> parse_override(std::string_view text) {
  const auto eq = text.find('=');
  if (eq == std::string_view::npos || eq == 0)
    return core::Error("expected PATH=VALUE, e.g. policies.memory-leak.max_attempts=3, got \"" +
                       std::string(text) + "\"");
  Override o{std::string(text.substr(0, eq)), std::string(text.substr(eq + 1))};
  if (o.value.empty())
    return core::Error("no value after '=' in \"" + std::string(text) +
                       "\"; write PATH=\"\" for an empty string");
  return o;
}

std::string to_string(const Override& o) {
  return o.path + "=" + o.value;
}

ScenarioLoad load_scenario_file(const std::string& path, const std::vector<Override>& overrides) {
  ScenarioLoad plain = load_scenario_file(path);
  if (overrides.empty() || !plain.scenario) return plain;

  ScenarioLoad out;
  const fs::path p{path};
  const std::string base_dir = p.has_parent_path() ? p.parent_path().string() : ".";
  const auto text = read_file(p);
  YAML::Node root;
  try {
    root = config::load_yaml(*text);
  } catch (const YAML::Exception&) {
    return plain;  // unreachable: the plain load parsed it
  }
  std::string policy_file;
  std::string applied;
  for (const auto& o : overrides) {
    const std::string field = "--set " + o.path;
    applied += " --set " + to_string(o);
    YAML::Node value;
    try {
      value = config::load_yaml(o.value);
    } catch (const YAML::Exception& e) {
      out.diagnostics.add(core::Error("the value \"" + o.value + "\" is not valid YAML: " + e.msg,
                                      {}, 0, 0, field));
      continue;
    }
    std::vector<std::string> segs = split_path(o.path);
    if (segs[0] == "policies") {
      YAML::Node pol = root["policies"];
      if (pol.IsScalar()) {
        // Inline the named file so it can be changed in memory.
        fs::path pf = pol.Scalar();
        if (pf.is_relative()) pf = fs::path(base_dir) / pf;
        policy_file = pf.lexically_normal().string();
        auto ptext = read_file(pf);
        try {
          root["policies"] = config::load_yaml(ptext.value_or(""));
        } catch (const YAML::Exception&) {
          return plain;  // unreachable: the plain load read it
        }
      }
      segs = policy_segments(root["policies"], segs);
    }
    if (auto st = set_path(root, segs, value, field); !st) out.diagnostics.add(st.error());
  }
  if (!out.diagnostics.empty()) return out;

  YAML::Emitter em;
  em << root;
  ScenarioLoad changed = load_scenario_string(em.c_str(), path, base_dir);
  if (!changed.scenario) {
    // Line numbers would point into the rewritten text, not the user's file: drop them and
    // say which overrides produced the scenario.
    for (auto e : changed.diagnostics.errors()) {
      e.file = path;
      e.line = 0;
      e.column = 0;
      e.message += " (after" + applied + ")";
      out.diagnostics.add(std::move(e));
    }
    return out;
  }
  if (!policy_file.empty()) changed.scenario->policy_source = policy_file + " (changed by --set)";
  changed.scenario->file = path;
  return changed;
}

}  // namespace selfheal::scenario
