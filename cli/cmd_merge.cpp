// selfheal merge [--out DIR] SHARD... — combine the outputs of `selfheal sweep --shard I/N`
// into the result of the whole sweep. Parses options and calls sweep/merge_shards.hpp.
#include <boost/program_options.hpp>

#include "cli/command.hpp"
#include "sweep/merge_shards.hpp"
#include "sweep/report.hpp"

namespace po = boost::program_options;

namespace selfheal::cli {

int cmd_merge(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal merge [options] SHARD...\n\n"
      "Combine shard outputs of one sweep (each SHARD is a `selfheal sweep --shard I/N`\n"
      "output directory or its sweep.json) into the result of the whole sweep: the same\n"
      "sweep.json, summary.csv, sweep.html and runs.csv a single `selfheal sweep` would\n"
      "write. Refuses parts of different sweeps, a shard given twice, and — unless\n"
      "--partial — a missing shard. Exit 0 when merged, 2 on bad input.\n\noptions");
  opts.add_options()("help,h", "show this help")("out", po::value<std::string>(),
                                                 "output directory (default out/sweep/<scenario>)")(
      "partial", "merge even when shards are missing (the result says which)");
  po::variables_map vm;
  if (int rc = parse_options(args, opts, "inputs", vm, io); rc >= 0) return rc;
  if (vm.count("inputs") == 0U) {
    io.err << "error: no shard output given\n\n" << opts;
    return kExitBadInput;
  }

  core::Diagnostics unreadable;
  auto parts = sweep::read_shard_outputs(vm["inputs"].as<std::vector<std::string>>(), unreadable);
  if (!unreadable.empty()) {
    io.err << unreadable.describe();
    return kExitBadInput;
  }
  auto merged = sweep::merge_shards(parts, vm.count("partial") != 0U);
  if (!merged) {
    io.err << "error: " << merged.error().describe() << "\n";
    return kExitBadInput;
  }
  const std::string out =
      vm.count("out") ? vm["out"].as<std::string>() : "out/sweep/" + merged->scenario;
  if (auto st = sweep::write_result(*merged, out); !st) {
    io.err << "error: " << st.error().describe() << "\n";
    return kExitBadInput;
  }
  const bool all_rows = sweep::write_merged_runs_csv(parts, out);
  if (!all_rows)
    io.err << "note: a shard has no readable runs.csv next to its sweep.json; runs.csv not "
              "written\n";
  io.out << sweep::table(*merged) << "written: " << out << "/sweep.json, summary.csv, sweep.html"
         << (all_rows ? ", runs.csv" : "") << "\n";
  return kExitOk;
}

}  // namespace selfheal::cli
