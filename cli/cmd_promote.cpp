// `selfheal promote`: wiring only — the two sources of evidence (serve's audit through
// live::SqliteStore with the Kubernetes audit log; a scenario's shadow twin through
// scenario::run_shadow_twin), one table builder and its writers (promote/).
#include <filesystem>
#include <iostream>

#include "cli/command.hpp"
#include "config/json_reader.hpp"
#include "core/duration.hpp"
#include "live/sqlite_state.hpp"
#include "promote/evidence.hpp"
#include "promote/sim_source.hpp"
#include "promote/write.hpp"
#include "scenario/runner.hpp"
#include "scenario/variation.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {
namespace {

/// The largest --min-observations accepted; a bigger one is a typo.
constexpr int kMaxMinObservations = 1'000'000;
/// The most simulated runs per scenario; more is a typo (each run is a whole world run).
constexpr std::uint64_t kMaxRuns = 100'000;
/// Gap between simulated runs laid end to end, on top of the run length and the window.
constexpr core::Duration kRunGap = std::chrono::hours{1};

/// Production: serve's state database and the Kubernetes audit logs. nullopt: `io.err` says.
std::optional<promote::Evidence> production(const po::variables_map& vm, Io io) {
  const auto db = vm["state"].as<std::string>();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(db, ec)) {
    io.err << "error: --state: " << db << ": no such state database (serve's state.path)\n";
    return std::nullopt;
  }
  auto store = live::SqliteStore::open(db);
  if (!store) {
    io.err << "error: --state: " << store.error().describe() << "\n";
    return std::nullopt;
  }
  promote::Evidence ev;
  ev.observations = promote::observations_from_audit(store.value()->audit_log());
  core::Diagnostics diags;
  for (const auto& file : vm["k8s-audit"].as<std::vector<std::string>>()) {
    if (auto acts = promote::read_k8s_audit_file(file, diags))
      ev.person_actions.insert(ev.person_actions.end(), acts->begin(), acts->end());
  }
  if (!diags.empty()) {
    io.err << diags.describe();
    return std::nullopt;
  }
  return ev;
}

/// Simulation: each scenario's shadow twin, `runs` times (run i: seed run_seed(base, i)
/// with the scenario's variation drawn; one run: the scenario's own seed, as `run` does).
/// Runs are laid end to end on one time axis, further apart than a run plus the window, so
/// a person's action in one run never matches a decision of another.
std::optional<promote::Evidence> simulation(const po::variables_map& vm, std::uint64_t runs,
                                            core::Duration window, Io io) {
  promote::Evidence ev;
  core::Duration offset{0};
  for (const auto& file : vm["scenario"].as<std::vector<std::string>>()) {
    auto loaded = scenario::load_scenario_file(file);
    if (!loaded.scenario) {
      io.err << loaded.diagnostics.describe();
      return std::nullopt;
    }
    const scenario::Scenario& s = *loaded.scenario;
    const std::uint64_t base = vm.count("seed") ? vm["seed"].as<std::uint64_t>() : s.seed;
    for (std::uint64_t i = 0; i < runs; ++i) {
      const std::uint64_t seed = runs == 1 ? base : scenario::run_seed(base, i);
      const auto twin = scenario::run_shadow_twin(runs == 1 ? s : scenario::vary(s, seed), seed);
      promote::add_shadow_twin(twin, s.cluster.ns, offset, file + " seed " + std::to_string(seed),
                               ev);
      offset += s.duration + window + kRunGap;
    }
  }
  return ev;
}

void write(const promote::Table& t, const std::string& title, bool both, Io io) {
  if (both) io.out << "## " << title << "\n\n";
  promote::write_text(io.out, t);
  if (both) io.out << '\n';
}

}  // namespace

int cmd_promote(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal promote (--state DB --k8s-audit FILE... | --scenario FILE...) "
      "[options]\n\n"
      "From selfheal serve's audit (its shadow and recommend decisions) and the Kubernetes\n"
      "API server's audit log (what people did), a table per incident type and service:\n"
      "how often the engine would have acted, how often a person then did the same action,\n"
      "something else, or nothing while the alert resolved on its own, and the time auto\n"
      "would have saved; a recommendation per row and, for promoted rows, the policy change\n"
      "as YAML (docs/promote.md). With --scenario the same table comes from simulated runs'\n"
      "shadow twins, the simulated on-call playing the people; with both sources, both\n"
      "tables, production first. Nothing is written to the state database.\n"
      "Exit 0 ok, 2 bad input.\n\noptions");
  std::string format = "text";
  std::string window = "30m";
  int min_observations = 5;
  opts.add_options()("help,h", "show this help")("state", po::value<std::string>(),
                                                 "selfheal serve's state database (state.path)")(
      "k8s-audit", po::value<std::vector<std::string>>(),
      "Kubernetes API server audit log, JSON lines of audit.k8s.io/v1 Events (repeatable)")(
      "scenario", po::value<std::vector<std::string>>(),
      "a scenario whose shadow twin is the evidence (repeatable)")(
      "runs", po::value<std::uint64_t>()->default_value(1),
      "simulated runs per scenario (more than 1: seeds and variation as in sweep)")(
      "seed", po::value<std::uint64_t>(),
      "base seed of the simulated runs (default: the scenario's)")(
      "window", po::value(&window)->default_value(window),
      "a person's action counts within this long after the decision")(
      "min-observations", po::value(&min_observations)->default_value(min_observations),
      "no recommendation for a row with fewer observations")(
      "format", po::value(&format)->default_value(format), "text (table + YAML) or json");
  po::variables_map vm;
  if (int rc = parse_options(args, opts, {}, {}, vm, io); rc >= 0) return rc;
  const bool prod = vm.count("state") != 0U || vm.count("k8s-audit") != 0U;
  const bool sim = vm.count("scenario") != 0U;
  if ((prod && (vm.count("state") == 0U || vm.count("k8s-audit") == 0U)) || (!prod && !sim)) {
    io.err << "error: promote needs --state and at least one --k8s-audit, or --scenario\n";
    return kExitBadInput;
  }
  if (format != "text" && format != "json") {
    io.err << "error: --format: \"" << format << "\" is not text or json\n";
    return kExitBadInput;
  }
  promote::Options options;
  const auto w = core::parse_duration(window);
  if (!w || w.value() <= core::Duration::zero()) {
    io.err << "error: --window: " << (w ? "must be positive" : w.error().describe()) << "\n";
    return kExitBadInput;
  }
  options.match_window = w.value();
  if (min_observations < 1 || min_observations > kMaxMinObservations) {
    io.err << "error: --min-observations: must be between 1 and " << kMaxMinObservations << "\n";
    return kExitBadInput;
  }
  options.min_observations = static_cast<std::size_t>(min_observations);
  const auto runs = vm["runs"].as<std::uint64_t>();
  if (runs < 1 || runs > kMaxRuns) {
    io.err << "error: --runs: must be between 1 and " << kMaxRuns << "\n";
    return kExitBadInput;
  }

  std::optional<promote::Table> prod_table, sim_table;
  if (prod) {
    const auto ev = production(vm, io);
    if (!ev) return kExitBadInput;
    prod_table = promote::build_table(ev->observations, ev->person_actions, options);
  }
  if (sim) {
    const auto ev = simulation(vm, runs, options.match_window, io);
    if (!ev) return kExitBadInput;
    sim_table = promote::build_table(ev->observations, ev->person_actions, options);
  }
  // The policy change comes from production's evidence when there is some.
  const promote::Table& main = prod_table ? *prod_table : *sim_table;
  const auto snippet = promote::policy_snippet(main);
  if (format == "json") {
    nlohmann::json j;
    if (prod_table) j["production"] = promote::to_json(*prod_table);
    if (sim_table) j["simulation"] = promote::to_json(*sim_table);
    if (!(prod_table && sim_table)) j = j.begin().value();  // one source: its table alone
    j["source"] = prod_table && sim_table ? "both" : prod_table ? "production" : "simulation";
    j["policy_snippet"] = snippet;
    io.out << config::json_text(j) << '\n';
    return kExitOk;
  }
  const bool both = prod_table && sim_table;
  if (prod_table) write(*prod_table, "production (serve's audit + Kubernetes audit log)", both, io);
  if (sim_table) write(*sim_table, "simulation (shadow twin + simulated on-call)", both, io);
  io.out << '\n' << (snippet.empty() ? "# nothing to promote yet\n" : snippet);
  return kExitOk;
}

}  // namespace selfheal::cli
