// `selfheal promote`: wiring only — serve's audit (live::SqliteStore), the Kubernetes audit
// log and the evidence table (promote/).
#include <filesystem>
#include <iostream>

#include "cli/command.hpp"
#include "core/duration.hpp"
#include "live/sqlite_state.hpp"
#include "promote/evidence.hpp"
#include "promote/write.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {
namespace {

/// The largest --min-observations accepted; a bigger one is a typo.
constexpr int kMaxMinObservations = 1'000'000;

}  // namespace

int cmd_promote(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal promote --state DB --k8s-audit FILE... [options]\n\n"
      "From selfheal serve's audit (its shadow and recommend decisions) and the Kubernetes\n"
      "API server's audit log (what people did), a table per incident type and service:\n"
      "how often the engine would have acted, how often a person then did the same action,\n"
      "something else, or nothing while the alert resolved on its own, and the time auto\n"
      "would have saved; a recommendation per row and, for promoted rows, the policy change\n"
      "as YAML (docs/promote.md). Nothing is written to the state database.\n"
      "Exit 0 ok, 2 bad input.\n\noptions");
  std::string format = "text";
  std::string window = "30m";
  int min_observations = 5;
  opts.add_options()("help,h", "show this help")("state", po::value<std::string>(),
                                                 "selfheal serve's state database (state.path)")(
      "k8s-audit", po::value<std::vector<std::string>>(),
      "Kubernetes API server audit log, JSON lines of audit.k8s.io/v1 Events (repeatable)")(
      "window", po::value(&window)->default_value(window),
      "a person's action counts within this long after the decision")(
      "min-observations", po::value(&min_observations)->default_value(min_observations),
      "no recommendation for a row with fewer observations")(
      "format", po::value(&format)->default_value(format), "text (table + YAML) or json");
  po::variables_map vm;
  if (int rc = parse_options(args, opts, {}, {}, vm, io); rc >= 0) return rc;
  if (vm.count("state") == 0U || vm.count("k8s-audit") == 0U) {
    io.err << "error: promote needs --state and at least one --k8s-audit\n";
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

  const auto db = vm["state"].as<std::string>();
  std::error_code ec;
  if (!std::filesystem::is_regular_file(db, ec)) {
    io.err << "error: --state: " << db << ": no such state database (serve's state.path)\n";
    return kExitBadInput;
  }
  auto store = live::SqliteStore::open(db);
  if (!store) {
    io.err << "error: --state: " << store.error().describe() << "\n";
    return kExitBadInput;
  }
  const auto observations = promote::observations_from_audit(store.value()->audit_log());

  core::Diagnostics diags;
  std::vector<promote::PersonAction> people;
  for (const auto& file : vm["k8s-audit"].as<std::vector<std::string>>()) {
    if (auto acts = promote::read_k8s_audit_file(file, diags))
      people.insert(people.end(), acts->begin(), acts->end());
  }
  if (!diags.empty()) {
    io.err << diags.describe();
    return kExitBadInput;
  }
  const auto table = promote::build_table(observations, people, options);
  if (format == "json") {
    auto j = promote::to_json(table);
    j["policy_snippet"] = promote::policy_snippet(table);
    io.out << j.dump(2) << '\n';
    return kExitOk;
  }
  promote::write_text(io.out, table);
  const auto snippet = promote::policy_snippet(table);
  io.out << '\n' << (snippet.empty() ? "# nothing to promote yet\n" : snippet);
  return kExitOk;
}

}  // namespace selfheal::cli
