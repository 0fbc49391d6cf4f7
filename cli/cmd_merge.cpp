// selfheal merge [--out DIR] SHARD... — combine the outputs of `selfheal sweep --shard I/N`
// into the result of the whole sweep. Wiring only: the work is in sweep/report.
#include <algorithm>
#include <boost/program_options.hpp>
#include <filesystem>
#include <fstream>

#include "cli/command.hpp"
#include "sweep/report.hpp"

namespace po = boost::program_options;
namespace fs = std::filesystem;

namespace selfheal::cli {

int cmd_merge(const Args& args, Io io) {
  po::options_description opts(
      "usage: selfheal merge [options] SHARD...\n\n"
      "Combine shard outputs of one sweep (each SHARD is a `selfheal sweep --shard I/N`\n"
      "output directory or its sweep.json) into the result of the whole sweep: the same\n"
      "sweep.json, summary.csv and runs.csv a single `selfheal sweep` would write. Refuses\n"
      "parts of different sweeps, a shard given twice, and — unless --partial — a missing\n"
      "shard. Exit 0 when merged, 2 on bad input.\n\noptions");
  opts.add_options()("help,h", "show this help")("out", po::value<std::string>(),
                                                 "output directory (default out/sweep/<scenario>)")(
      "partial", "merge even when shards are missing (the result says which)");
  po::options_description hidden;
  hidden.add_options()("inputs", po::value<std::vector<std::string>>());
  po::positional_options_description pos;
  pos.add("inputs", -1);
  po::variables_map vm;
  if (int rc = parse_options(args, opts, hidden, pos, vm, io); rc >= 0) return rc;
  if (vm.count("inputs") == 0U) {
    io.err << "error: no shard output given\n\n" << opts;
    return kExitBadInput;
  }

  struct Part {
    sweep::SweepResult result;
    std::string dir;
  };
  std::vector<Part> parts;
  bool bad = false;
  for (const auto& in : vm["inputs"].as<std::vector<std::string>>()) {
    std::error_code ec;
    const fs::path file = fs::is_directory(in, ec) ? fs::path(in) / "sweep.json" : fs::path(in);
    std::ifstream f(file, std::ios::binary);
    if (!f) {
      io.err << file.string() << ": cannot read\n";
      bad = true;
      continue;
    }
    nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
    if (j.is_discarded()) {
      io.err << file.string() << ": not valid JSON\n";
      bad = true;
      continue;
    }
    auto r = sweep::from_json(j, file.string());
    if (!r) {
      io.err << r.error().describe() << "\n";
      bad = true;
      continue;
    }
    parts.push_back({std::move(*r), file.parent_path().string()});
  }
  if (bad) return kExitBadInput;
  std::sort(parts.begin(), parts.end(), [](const Part& a, const Part& b) {
    return a.result.shards.front() < b.result.shards.front();
  });
  std::vector<sweep::SweepResult> results;
  for (const auto& p : parts)
    results.push_back(p.result);
  auto merged = sweep::merge(results);
  if (!merged) {
    io.err << "error: " << merged.error().describe() << "\n";
    return kExitBadInput;
  }
  if (!merged->complete() && vm.count("partial") == 0U) {
    std::string missing;
    for (std::uint64_t s = 0; s < merged->shard_count; ++s)
      if (!std::binary_search(merged->shards.begin(), merged->shards.end(), s))
        missing += (missing.empty() ? "" : ", ") + std::to_string(s);
    io.err << "error: shards missing: " << missing << " of " << merged->shard_count
           << " (pass --partial to merge what is there)\n";
    return kExitBadInput;
  }
  const std::string out =
      vm.count("out") ? vm["out"].as<std::string>() : "out/sweep/" + merged->scenario;
  if (auto st = sweep::write_result(*merged, out); !st) {
    io.err << "error: " << st.error().describe() << "\n";
    return kExitBadInput;
  }
  // Shards cover consecutive runs and write rows run-major, so their runs.csv files in shard
  // order are the whole sweep's rows: stream them into a temporary file (--out may be one of
  // the inputs), then move it into place.
  const fs::path rows_tmp = fs::path(out) / "runs.csv.tmp";
  bool all_rows = true;
  {
    std::ofstream rows(rows_tmp, std::ios::binary | std::ios::trunc);
    rows << sweep::runs_csv_header();
    for (const auto& p : parts) {
      std::ifstream f(fs::path(p.dir) / "runs.csv", std::ios::binary);
      std::string header;
      if (!f || !std::getline(f, header) || header + "\n" != sweep::runs_csv_header()) {
        all_rows = false;
        break;
      }
      // (Streaming an empty buffer would set failbit on `rows`.)
      if (f.peek() != std::char_traits<char>::eof()) rows << f.rdbuf();
    }
    all_rows = all_rows && static_cast<bool>(rows.flush());
  }
  std::error_code ec;
  if (all_rows) fs::rename(rows_tmp, fs::path(out) / "runs.csv", ec);
  if (!all_rows || ec) {
    fs::remove(rows_tmp, ec);
    io.err << "note: a shard has no readable runs.csv next to its sweep.json; runs.csv not "
              "written\n";
    all_rows = false;
  }
  io.out << sweep::table(*merged) << "written: " << out << "/sweep.json, summary.csv"
         << (all_rows ? ", runs.csv" : "") << "\n";
  return kExitOk;
}

}  // namespace selfheal::cli
