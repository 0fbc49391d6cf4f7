#include "sweep/sweep.hpp"

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstdio>
#include <exception>
#include <fstream>
#include <map>
#include <mutex>
#include <set>
#include <sstream>
#include <thread>

#include "scenario/runner.hpp"
#include "scenario/variation.hpp"

namespace selfheal::sweep {

core::Result<Axis> parse_axis(std::string_view text) {
  auto o = scenario::parse_override(text);
  if (!o) return o.error();
  Axis a;
  a.path = o->path;
  std::string cur;
  auto push = [&]() -> std::optional<core::Error> {
    if (cur.empty())
      return core::Error("empty value in \"" + std::string(text) +
                         "\"; separate values with single commas: PATH=0.8,0.9");
    for (const auto& v : a.values)
      if (v == cur)
        return core::Error("value \"" + cur + "\" given twice in \"" + std::string(text) + "\"");
    a.values.push_back(cur);
    cur.clear();
    return std::nullopt;
  };
  for (char c : o->value) {
    if (c == ',') {
      if (auto e = push()) return *e;
    } else {
      cur += c;
    }
  }
  if (auto e = push()) return *e;
  return a;
}

core::Result<Shard> parse_shard(std::string_view text) {
  const auto bad = [&] {
    return core::Error("--shard wants I/N with 0 <= I < N (e.g. 3/8), not \"" + std::string(text) +
                       "\"");
  };
  const auto slash = text.find('/');
  if (slash == std::string_view::npos) return bad();
  auto num = [](std::string_view s, std::uint64_t& out) {
    if (s.empty() || s.size() > 9 || s.find_first_not_of("0123456789") != std::string_view::npos)
      return false;
    out = std::stoull(std::string(s));
    return true;
  };
  Shard s;
  if (!num(text.substr(0, slash), s.index) || !num(text.substr(slash + 1), s.count) ||
      s.count == 0 || s.index >= s.count)
    return bad();
  return s;
}

RunRange shard_range(std::uint64_t runs, Shard s) {
  return {runs * s.index / s.count, runs * (s.index + 1) / s.count};
}

std::string Combination::label() const {
  if (params.empty()) return "(scenario as written)";
  std::string l;
  for (const auto& p : params)
    l += (l.empty() ? "" : " ") + scenario::to_string(p);
  return l;
}

std::vector<Combination> combinations(const std::vector<Axis>& axes) {
  std::vector<Combination> out{Combination{}};
  for (const auto& axis : axes) {
    std::vector<Combination> next;
    next.reserve(out.size() * axis.values.size());
    for (const auto& c : out)
      for (const auto& v : axis.values) {
        Combination n = c;
        n.params.push_back({axis.path, v});
        next.push_back(std::move(n));
      }
    out = std::move(next);
  }
  return out;
}

std::uint64_t SweepResult::runs_done() const {
  std::uint64_t n = 0;
  for (auto i : shards) {
    const RunRange r = shard_range(runs, Shard{i, shard_count});
    n += r.end - r.begin;
  }
  return n;
}

std::string digest_files(const std::vector<std::string>& files) {
  std::uint64_t h = 0xcbf29ce484222325ULL;
  for (const auto& f : files) {
    std::ifstream in(f, std::ios::binary);
    std::ostringstream ss;
    if (in) ss << in.rdbuf();
    for (unsigned char c : ss.str()) {
      h ^= c;
      h *= 0x100000001b3ULL;
    }
    h ^= 0xff;  // a separator, so moving bytes between files changes the digest
    h *= 0x100000001b3ULL;
  }
  char buf[17];
  std::snprintf(buf, sizeof buf, "%016llx", static_cast<unsigned long long>(h));
  return buf;
}

PrepareLoad prepare(const SweepSpec& spec) {
  PrepareLoad out;
  if (spec.runs == 0) out.diagnostics.add(core::Error("must be at least 1", {}, 0, 0, "--runs"));
  if (spec.shard.count == 0 || spec.shard.index >= spec.shard.count)
    out.diagnostics.add(
        core::Error("shard index must be below the shard count", {}, 0, 0, "--shard"));
  {
    std::set<std::string> paths;
    for (const auto& a : spec.axes)
      if (!paths.insert(a.path).second)
        out.diagnostics.add(core::Error("set twice; give all its values in one --set PATH=V1,V2",
                                        {}, 0, 0, "--set " + a.path));
  }
  scenario::ScenarioLoad base = scenario::load_scenario_file(spec.scenario_path);
  if (!base.scenario) {
    out.diagnostics.append(base.diagnostics);
    return out;
  }
  if (!out.diagnostics.empty()) return out;

  Prepared p;
  p.spec = spec;
  SweepResult& r = p.result;
  r.scenario = base.scenario->name;
  r.scenario_file = spec.scenario_path;
  std::vector<std::string> files{spec.scenario_path};
  if (base.scenario->policy_source != "inline") files.push_back(base.scenario->policy_source);
  r.digest = digest_files(files);
  r.base_seed = spec.seed.value_or(base.scenario->seed);
  r.runs = spec.runs;
  r.twin = spec.twin;
  r.counterfactuals = spec.counterfactuals;
  r.trade_off = spec.trade_off;
  r.axes = spec.axes;
  r.shard_count = spec.shard.count;
  r.shards = {spec.shard.index};

  std::set<std::string> seen;  // the same bad value shows up in many combinations
  // Each value on its own first, so every bad path and every bad value is reported at once
  // (in a combination, one bad path would hide the other axes' problems).
  for (const auto& axis : spec.axes)
    for (const auto& v : axis.values) {
      scenario::ScenarioLoad l = scenario::load_scenario_file(spec.scenario_path, {{axis.path, v}});
      for (const auto& e : l.diagnostics.errors())
        if (seen.insert(e.describe()).second) out.diagnostics.add(e);
    }
  if (!out.diagnostics.empty()) return out;
  for (auto& c : combinations(spec.axes)) {
    scenario::ScenarioLoad l = scenario::load_scenario_file(spec.scenario_path, c.params);
    if (!l.scenario) {
      for (const auto& e : l.diagnostics.errors())
        if (seen.insert(e.describe()).second) out.diagnostics.add(e);
      continue;
    }
    p.scenarios.push_back(std::move(*l.scenario));
    r.combinations.push_back({std::move(c), {}});
  }
  if (out.diagnostics.empty()) out.prepared = std::move(p);
  return out;
}

SweepResult execute(const Prepared& p, const ExecuteOptions& o) {
  SweepResult result = p.result;
  const RunRange range = shard_range(p.spec.runs, p.spec.shard);
  const std::uint64_t per = range.end - range.begin;
  const std::uint64_t ncomb = p.scenarios.size();
  const std::uint64_t total = per * ncomb;
  const unsigned jobs = std::max(1U, o.jobs);

  using Accs = std::vector<std::array<Accumulator, kMetricCount>>;
  std::vector<Accs> local(jobs, Accs(p.scenarios.size()));
  std::atomic<std::uint64_t> next{0};
  std::atomic<std::uint64_t> done{0};
  std::atomic<bool> stop{false};

  std::mutex m;
  std::condition_variable cv;
  std::map<std::uint64_t, RunRow> pending;  // finished rows waiting for their turn
  std::exception_ptr failure;
  unsigned running = jobs;

  auto worker = [&](unsigned w) {
    try {
      for (std::uint64_t k; !stop && (k = next.fetch_add(1)) < total;) {
        // Run-major: every combination's run i before run i+1, so the rows of consecutive
        // shards concatenate into the rows of the whole sweep.
        const std::size_t c = static_cast<std::size_t>(k % ncomb);
        const std::uint64_t run = range.begin + k / ncomb;
        scenario::RunOptions ro;
        ro.seed = scenario::run_seed(result.base_seed, run);
        ro.twin = p.spec.twin;
        ro.counterfactuals = p.spec.counterfactuals;
        ro.vary = true;
        ro.detail = false;
        const RunValues v = extract(scenario::run_scenario(p.scenarios[c], ro));
        for (std::size_t i = 0; i < kMetricCount; ++i)
          if (v[i]) local[w][c][i].add(*v[i]);
        done.fetch_add(1);
        if (o.on_run) {
          std::lock_guard lk(m);
          pending.emplace(k, RunRow{c, run, *ro.seed, v});
          cv.notify_one();
        }
      }
    } catch (...) {
      std::lock_guard lk(m);
      if (!failure) failure = std::current_exception();
      stop = true;
    }
    std::lock_guard lk(m);
    --running;
    cv.notify_one();
  };

  std::vector<std::thread> threads;
  threads.reserve(jobs);
  for (unsigned w = 0; w < jobs; ++w)
    threads.emplace_back(worker, w);

  // The calling thread hands out rows in order and reports progress.
  std::uint64_t emitted = 0;
  auto last = std::chrono::steady_clock::now();
  {
    std::unique_lock lk(m);
    for (;;) {
      cv.wait_for(lk, std::chrono::milliseconds(o.progress_interval_ms),
                  [&] { return running == 0 || pending.count(emitted) > 0; });
      while (!pending.empty() && pending.begin()->first == emitted) {
        RunRow row = std::move(pending.begin()->second);
        pending.erase(pending.begin());
        ++emitted;
        lk.unlock();
        o.on_run(row);
        lk.lock();
      }
      const auto now = std::chrono::steady_clock::now();
      if (o.on_progress && now - last >= std::chrono::milliseconds(o.progress_interval_ms)) {
        last = now;
        lk.unlock();
        o.on_progress(done.load(), total);
        lk.lock();
      }
      if (running == 0 && (pending.empty() || failure)) break;
    }
  }
  for (auto& t : threads)
    t.join();
  if (failure) std::rethrow_exception(failure);
  if (o.on_progress) o.on_progress(done.load(), total);

  for (std::size_t c = 0; c < result.combinations.size(); ++c)
    for (unsigned w = 0; w < jobs; ++w)
      for (std::size_t i = 0; i < kMetricCount; ++i)
        result.combinations[c].metrics[i].merge(local[w][c][i]);
  return result;
}

}  // namespace selfheal::sweep
