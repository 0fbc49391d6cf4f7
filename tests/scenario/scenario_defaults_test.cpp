// docs/scenario.md's table of service defaults is what the simulator does (issue 21: users
// of a tool do not read its headers, so the table must not drift from sim::service_defaults).
#include <catch2/catch.hpp>

#include <fstream>
#include <functional>
#include <map>
#include <sstream>
#include <string>
#include <vector>

#include "core/duration.hpp"
#include "sim/cluster_spec.hpp"

using namespace selfheal;

namespace {

std::string num(double v) {
  std::ostringstream o;
  o << v;
  return o.str();
}
std::string dur(core::Duration d) {
  return core::format_duration(d);
}
std::string int_or_percent(const sim::IntOrPercent& v) {
  return std::to_string(v.value) + (v.percent ? "%" : "");
}
std::string none_or(const std::vector<std::string>& v) {
  return v.empty() ? "none" : std::to_string(v.size());
}

using Getter = std::function<std::string(const sim::ServiceSpec&)>;
const std::map<std::string, Getter>& getters() {
  static const std::map<std::string, Getter> kGetters{
      {"replicas", [](const auto& s) { return std::to_string(s.replicas); }},
      {"capacity_rps_per_replica", [](const auto& s) { return num(s.capacity_rps_per_replica); }},
      {"base_latency_ms", [](const auto& s) { return num(s.base_latency_ms); }},
      {"base_error_rate", [](const auto& s) { return num(s.base_error_rate); }},
      {"traffic.rps", [](const auto& s) { return num(s.traffic.rps); }},
      {"traffic.daily_shape",
       [](const auto& s) { return std::string(s.traffic.daily_shape ? "true" : "false"); }},
      {"traffic.noise", [](const auto& s) { return num(s.traffic.noise); }},
      {"memory_per_pod_mb", [](const auto& s) { return num(s.memory_per_pod_mb); }},
      {"memory_limit_mb", [](const auto& s) { return num(s.memory_limit_mb); }},
      {"startup_delay", [](const auto& s) { return dur(s.startup_delay); }},
      {"warmup", [](const auto& s) { return dur(s.warmup); }},
      {"termination_grace", [](const auto& s) { return dur(s.termination_grace); }},
      {"max_surge", [](const auto& s) { return int_or_percent(s.max_surge); }},
      {"max_unavailable", [](const auto& s) { return int_or_percent(s.max_unavailable); }},
      {"slo.error_rate", [](const auto& s) { return num(s.slo.error_rate); }},
      {"slo.latency_p99_ms", [](const auto& s) { return num(s.slo.latency_p99_ms); }},
      {"slo.queue_lag", [](const auto& s) { return num(s.slo.queue_lag); }},
      {"critical", [](const auto& s) { return std::string(s.critical ? "true" : "false"); }},
      {"depends_on", [](const auto& s) { return none_or(s.depends_on); }},
      {"feature_flags", [](const auto& s) { return none_or(s.feature_flags); }},
      // An empty list is the one good release the world creates (sim/world.cpp).
      {"releases",
       [](const auto& s) { return s.releases.empty() ? std::string("one") : std::string("?"); }},
  };
  return kGetters;
}

std::vector<std::string> cells(const std::string& row) {
  std::vector<std::string> out;
  std::stringstream ss(row);
  std::string c;
  std::getline(ss, c, '|');  // before the first pipe
  while (std::getline(ss, c, '|')) {
    const auto b = c.find_first_not_of(' ');
    const auto e = c.find_last_not_of(' ');
    out.push_back(b == std::string::npos ? "" : c.substr(b, e - b + 1));
  }
  return out;
}

}  // namespace

TEST_CASE("docs/scenario.md lists every service default the simulator uses", "[scenario][docs]") {
  std::ifstream in("docs/scenario.md");
  REQUIRE(in);
  std::string line;
  bool in_section = false;
  std::map<std::string, std::vector<std::string>> rows;  // setting -> api, worker, db, cache
  while (std::getline(in, line)) {
    if (line.rfind("### ", 0) == 0 || line.rfind("## ", 0) == 0)
      in_section = line == "### Service defaults";
    if (!in_section || line.rfind("| `", 0) != 0) continue;
    const auto c = cells(line);
    REQUIRE(c.size() >= 5);
    rows[c[0].substr(1, c[0].size() - 2)] = {c[1], c[2], c[3], c[4]};
  }
  const std::vector<sim::ServiceKind> kinds{sim::ServiceKind::kApi, sim::ServiceKind::kWorker,
                                            sim::ServiceKind::kDatabase, sim::ServiceKind::kCache};
  for (const auto& [setting, get] : getters()) {
    INFO("setting " << setting);
    REQUIRE(rows.count(setting) == 1);
    for (std::size_t k = 0; k < kinds.size(); ++k) {
      INFO("kind " << sim::to_string(kinds[k]));
      CHECK(rows[setting][k] == get(sim::service_defaults(kinds[k])));
    }
  }
  CHECK(rows.size() == getters().size());  // no documented setting the test does not know
}
