#include "sweep/merge_shards.hpp"

#include <algorithm>
#include <filesystem>
#include <fstream>

#include <nlohmann/json.hpp>

#include "sweep/report.hpp"

namespace fs = std::filesystem;

namespace selfheal::sweep {

std::vector<ShardOutput> read_shard_outputs(const std::vector<std::string>& inputs,
                                            core::Diagnostics& unreadable) {
  std::vector<ShardOutput> parts;
  for (const auto& in : inputs) {
    std::error_code ec;
    const fs::path file = fs::is_directory(in, ec) ? fs::path(in) / "sweep.json" : fs::path(in);
    std::ifstream f(file, std::ios::binary);
    if (!f) {
      unreadable.add(core::Error("cannot read", file.string()));
      continue;
    }
    nlohmann::json j = nlohmann::json::parse(f, nullptr, false);
    if (j.is_discarded()) {
      unreadable.add(core::Error("not valid JSON", file.string()));
      continue;
    }
    auto r = from_json(j, file.string());
    if (!r) {
      unreadable.add(r.error());
      continue;
    }
    parts.push_back({std::move(*r), file.parent_path().string()});
  }
  return parts;
}

core::Result<SweepResult> merge_shards(std::vector<ShardOutput>& parts, bool partial) {
  std::sort(parts.begin(), parts.end(), [](const ShardOutput& a, const ShardOutput& b) {
    return a.result.shards.front() < b.result.shards.front();
  });
  std::vector<SweepResult> results;
  results.reserve(parts.size());
  for (const auto& p : parts)
    results.push_back(p.result);
  auto merged = merge(results);
  if (!merged || merged->complete() || partial) return merged;
  std::string missing;
  for (std::uint64_t s = 0; s < merged->shard_count; ++s)
    if (!std::binary_search(merged->shards.begin(), merged->shards.end(), s))
      missing += (missing.empty() ? "" : ", ") + std::to_string(s);
  return core::Error("shards missing: " + missing + " of " + std::to_string(merged->shard_count) +
                     " (pass --partial to merge what is there)");
}

bool write_merged_runs_csv(const std::vector<ShardOutput>& parts, const std::string& out) {
  const fs::path rows_tmp = fs::path(out) / "runs.csv.tmp";
  bool all_rows = true;
  {
    std::ofstream rows(rows_tmp, std::ios::binary | std::ios::trunc);
    rows << runs_csv_header();
    for (const auto& p : parts) {
      std::ifstream f(fs::path(p.dir) / "runs.csv", std::ios::binary);
      std::string header;
      if (!f || !std::getline(f, header) || header + "\n" != runs_csv_header()) {
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
  if (all_rows && !ec) return true;
  fs::remove(rows_tmp, ec);
  return false;
}

}  // namespace selfheal::sweep
