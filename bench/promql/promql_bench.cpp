// One instant evaluation of a typical alert rule over 200 series held in a MemorySource,
// scraped every 15 s for an hour (the evaluation reads the last 5 minutes). Parsing is done
// once, outside the loop, as a rule evaluator does. One iteration = one evaluation.
#include <benchmark/benchmark.h>

#include <string>

#include "promql/promql.hpp"

namespace {

using namespace selfheal::promql;
using namespace std::chrono_literals;

constexpr int kSeries = 200;
constexpr int kScrapes = 240;  // one hour at 15 s
constexpr auto kScrape = 15s;
const selfheal::core::TimePoint kT0 = selfheal::core::from_unix_ms(1'700'000'000'000);
const selfheal::core::TimePoint kAt = kT0 + kScrape * (kScrapes - 1);

// `shape` names the fixture: "counter" = http_requests_total for 100 services x {200, 500};
// "gauge" = memory bytes of 200 pods; "histogram" = 20 services x 10 `le` buckets.
MemorySource fixture(const std::string& shape) {
  MemorySource src;
  for (int i = 0; i < kSeries; ++i) {
    Labels l;
    std::vector<Sample> s;
    for (int k = 0; k < kScrapes; ++k) {
      double v = shape == "gauge" ? 1e8 + (i * 7919 + k * 104729) % 100000 * 1e3
                                  : double(k * (1 + i % 13));
      s.push_back({kT0 + kScrape * k, v});
    }
    if (shape == "counter") {
      l = {{"__name__", "http_requests_total"},
           {"code", i % 2 ? "500" : "200"},
           {"service", "svc-" + std::to_string(i / 2)}};
    } else if (shape == "gauge") {
      l = {{"__name__", "container_memory_working_set_bytes"}, {"pod", "pod-" + std::to_string(i)}};
    } else {
      static const char* kLe[] = {"0.005", "0.01", "0.025", "0.05", "0.1",
                                  "0.25",  "0.5",  "1",     "2.5",  "+Inf"};
      l = {{"__name__", "http_request_duration_seconds_bucket"},
           {"le", kLe[i % 10]},
           {"service", "svc-" + std::to_string(i / 10)}};
    }
    src.add(std::move(l), s);
  }
  return src;
}

void run(benchmark::State& state, const std::string& shape, const std::string& rule) {
  const MemorySource src = fixture(shape);
  const Expr e = parse(rule).value();
  std::size_t out = 0;
  for (auto _ : state) {
    auto v = evaluate(e, src, kAt);
    out += v->vector.size();
    benchmark::DoNotOptimize(out);
  }
  state.counters["series"] = kSeries;
  state.counters["result"] = double(out) / double(state.iterations());
}

void BM_ErrorRatioRule(benchmark::State& state) {
  run(state, "counter",
      "sum by (service) (rate(http_requests_total{code=~\"5..\"}[5m])) / "
      "sum by (service) (rate(http_requests_total[5m])) > 0.05");
}
void BM_ThresholdRule(benchmark::State& state) {
  run(state, "gauge", "container_memory_working_set_bytes > 1.5e8");
}
void BM_AvgOverTimeRule(benchmark::State& state) {
  run(state, "gauge", "avg_over_time(container_memory_working_set_bytes[5m]) > 1.5e8");
}
void BM_HistogramQuantileRule(benchmark::State& state) {
  run(state, "histogram",
      "histogram_quantile(0.99, sum by (le, service) "
      "(rate(http_request_duration_seconds_bucket[5m]))) > 0.5");
}

BENCHMARK(BM_ErrorRatioRule);
BENCHMARK(BM_ThresholdRule);
BENCHMARK(BM_AvgOverTimeRule);
BENCHMARK(BM_HistogramQuantileRule);

}  // namespace

BENCHMARK_MAIN();
