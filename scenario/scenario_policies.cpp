#include "scenario/scenario_loader.hpp"

#include <algorithm>
#include <filesystem>
#include <sstream>
#include <string>

#include "engine/policy_loader.hpp"
#include "sim/model_constants.hpp"

namespace selfheal::scenario::detail {

namespace fs = std::filesystem;

void Loader::oncall(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return;
  if (!r_.expect_map(n, "oncall")) return;
  note("oncall", n, "oncall");
  r_.check_keys(n, "oncall",
                {"response_time", "night_response_time", "business_hours_start",
                 "business_hours_end", "weekends_are_night", "fix_time", "direct_page_after"});
  auto& o = s_.cluster.oncall;
  dur(n["response_time"], "oncall.response_time", o.response_time);
  if (auto d = r_.duration(n["night_response_time"], "oncall.night_response_time"))
    o.night_response_time = *d;
  count(n["business_hours_start"], "oncall.business_hours_start", o.business_hours_start, 0);
  count(n["business_hours_end"], "oncall.business_hours_end", o.business_hours_end, 0);
  set(n["weekends_are_night"], "oncall.weekends_are_night", o.weekends_are_night,
      [&](const YAML::Node& p, const std::string& q) { return r_.boolean(p, q); });
  dur(n["fix_time"], "oncall.fix_time", o.fix_time);
  if (auto d = r_.duration(n["direct_page_after"], "oncall.direct_page_after"))
    o.direct_page_after = *d;
}

void Loader::policies(const YAML::Node& n, const std::string& text, const YAML::Node& root) {
  if (!n.IsDefined() || n.IsNull()) {
    r_.error_at(1, "policies",
                "missing: a policy file (relative to the scenario) or an inline policy");
    return;
  }
  engine::PolicyLoad load;
  int line_offset = 0;
  if (n.IsScalar()) {
    fs::path p = n.Scalar();
    if (p.is_relative()) p = fs::path(base_dir_) / p;
    std::error_code ec;
    if (!fs::is_regular_file(p, ec)) {
      const bool dir = fs::is_directory(p, ec);
      r_.error(n, "policies",
               "policy file \"" + n.Scalar() + "\" " +
                   (dir ? "is a directory, not a file" : "does not exist") + " (looked for " +
                   p.lexically_normal().string() + ")");
      return;
    }
    s_.policy_source = p.lexically_normal().string();
    load = engine::load_policy_file(s_.policy_source);
  } else if (n.IsMap()) {
    // Hand the loader the inline block's own text so its diagnostics carry the scenario's
    // line numbers: the block runs from the value's first line up to the next top-level key.
    const int first = n.Mark().line;  // 0-based
    const int column = n.Mark().column;
    int next = 1 << 30;
    for (const auto& kv : root)
      if (kv.first.Mark().line > first) next = std::min(next, kv.first.Mark().line);
    std::istringstream in(text);
    std::string line, block;
    for (int k = 0; std::getline(in, line) && k < next; ++k) {
      if (k < first) continue;
      if (k == first) {
        block += line.substr(std::min<std::size_t>(line.size(), column)) + "\n";
        continue;
      }
      std::size_t cut = 0;
      while (cut < line.size() && cut < static_cast<std::size_t>(column) && line[cut] == ' ')
        ++cut;
      block += line.substr(cut) + "\n";
    }
    line_offset = first;
    s_.policy_source = "inline";
    load = engine::load_policy_string(block, r_.file());
  } else {
    r_.error(n, "policies", "expected a policy file name or an inline policy mapping");
    return;
  }
  for (auto e : load.diagnostics.errors()) {
    if (line_offset && e.line > 0) e.line += line_offset;
    if (line_offset) e.field = "policies." + e.field;
    r_.diagnostics().add(e);
  }
  if (load.policies) s_.policies = *load.policies;
  s_.policy_notes = load.notes;
}

void Loader::engine_overrides(const YAML::Node& n) {
  // The same shape as a policy file's `engine:` block; what is given replaces the policy
  // file's setting, the rest stays.
  if (!n.IsDefined() || n.IsNull()) return;
  if (!r_.expect_map(n, "engine")) return;
  r_.check_keys(n, "engine",
                {"mode", "kill_switch", "allowed_namespaces", "limits", "flap_window"});
  auto& st = s_.policies.settings;
  dur(n["flap_window"], "engine.flap_window", st.flap_window);
  if (auto m = r_.str(n["mode"], "engine.mode")) {
    if (auto pm = engine::parse_mode(*m))
      st.mode = *pm;
    else
      r_.error(n["mode"], "engine.mode",
               "unknown mode \"" + *m + "\"; one of shadow, recommend, auto");
  }
  set(n["kill_switch"], "engine.kill_switch", st.kill_switch,
      [&](const YAML::Node& p, const std::string& q) { return r_.boolean(p, q); });
  // The policy file's check (config/names.hpp): a name that is no namespace is an error,
  // not a list that silently refuses every action.
  if (n["allowed_namespaces"].IsDefined())
    st.allowed_namespaces =
        r_.name_list(n["allowed_namespaces"], "engine.allowed_namespaces", "namespace");
  const YAML::Node l = n["limits"];
  if (!l.IsDefined() || l.IsNull() || !r_.expect_map(l, "engine.limits")) return;
  r_.check_keys(
      l, "engine.limits",
      {"max_concurrent_actions", "max_actions_per_window", "rate_window", "blast_radius"});
  count(l["max_concurrent_actions"], "engine.limits.max_concurrent_actions",
        st.limits.max_concurrent_actions, 0);
  count(l["max_actions_per_window"], "engine.limits.max_actions_per_window",
        st.limits.max_actions_per_window, 0);
  dur(l["rate_window"], "engine.limits.rate_window", st.limits.rate_window);
  num(l["blast_radius"], "engine.limits.blast_radius", st.limits.blast_radius, 0.0, 1.0);
}

void Loader::variation(const YAML::Node& n) {
  if (!n.IsDefined() || n.IsNull()) return;
  if (!r_.expect_map(n, "variation")) return;
  r_.check_keys(n, "variation",
                {"fault_start_jitter", "traffic_noise", "classifier_noise", "classifier_accuracy",
                 "responder_delay"});
  auto& v = s_.variation;
  v.fault_start_jitter = r_.duration(n["fault_start_jitter"], "variation.fault_start_jitter");
  if (n["traffic_noise"].IsDefined()) {
    double x = 0;
    num(n["traffic_noise"], "variation.traffic_noise", x, 0.0, sim::model::kMaxTrafficNoise);
    v.traffic_noise = x;
  }
  if (n["classifier_noise"].IsDefined()) {
    double x = 0;
    num(n["classifier_noise"], "variation.classifier_noise", x, 0.0, 1.0);
    v.classifier_noise = x;
  }
  if (n["classifier_accuracy"].IsDefined()) {
    double x = 1;
    num(n["classifier_accuracy"], "variation.classifier_accuracy", x, 0.0, 1.0);
    v.classifier_accuracy = x;
  }
  v.responder_delay = r_.duration(n["responder_delay"], "variation.responder_delay");
}

}  // namespace selfheal::scenario::detail
