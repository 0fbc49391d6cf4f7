// What evaluations reuse (bench/README.md, "Rule evaluation reuses what it derived"): a
// source's counter-reset positions (SeriesView::last_drop) let rate/increase skip their reset
// scan, and an EvalCache keeps an aggregation's group key per series id. Each must give the
// same bits as evaluating from scratch over a source that reports neither, whatever
// happens between evaluations: resets entering and leaving the window, offsets, series
// appearing.
#include <catch2/catch.hpp>

#include <cstring>

#include "tests/promql/fixture.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace eval_cache_test {

using namespace selfheal;
using namespace selfheal::promql;
using namespace selfheal::promql::test;

namespace {

// `inner` with neither ids nor reset positions: the evaluator's plain path.
class PlainSource final : public SeriesSource {
 public:
  explicit PlainSource(const MemorySource& inner) : inner_(inner) {}
  void select(
      std::span<const Matcher> matchers, core::TimePoint start, core::TimePoint end,
      const std::function<void(const Labels&, std::span<const Sample>)>& visit) const override {
    inner_.select(matchers, start, end, visit);
  }

 private:
  const MemorySource& inner_;
};

// Bit for bit, NaN included.
bool same(const core::Result<Value>& a, const core::Result<Value>& b) {
  if (!a || !b) return !a && !b && a.error().message == b.error().message;
  if (a->kind != b->kind || a->vector.size() != b->vector.size()) return false;
  if (std::memcmp(&a->scalar, &b->scalar, sizeof(double)) != 0) return false;
  for (std::size_t i = 0; i < a->vector.size(); ++i) {
    if (a->vector[i].labels != b->vector[i].labels ||
        std::memcmp(&a->vector[i].value, &b->vector[i].value, sizeof(double)) != 0)
      return false;
  }
  return true;
}

// A counter per pod with resets at irregular ticks (values not exactly representable, so
// a different summation would show in the bits).
// Pods are named `prefix` + number, their services `prefix` + a or b.
void add_counters(MemorySource& src, int pods, int from_tick, int ticks,
                  const std::string& prefix = "p") {
  for (int p = 0; p < pods; ++p) {
    std::vector<Sample> s;
    double v = 0.1 * (p + 1);
    for (int i = from_tick; i < from_tick + ticks; ++i) {
      v = (i % (7 + p) == 6) ? 0.3 : v + 1.7 + 0.01 * p;  // a reset every 7 + p ticks
      s.push_back({at(std::chrono::seconds(15 * i)), v});
    }
    src.add(labels("c", {{"pod", prefix + std::to_string(p)},
                         {"svc", prefix + (p % 2 == 0 ? "a" : "b")}}),
            s);
  }
}

// Evaluates `q` with `cache` and without, every 45 s over a source whose series grow, with
// new series (new ids, new label sets) appearing half-way: the results must agree.
void cached_equals_fresh_as_series_appear(const char* q, EvalCache& cache) {
  auto parsed = parse(q);
  REQUIRE(parsed);
  const Expr& e = *parsed;
  EvalOptions cached;
  cached.cache = &cache;
  MemorySource grown;
  add_counters(grown, 3, 0, 200);
  for (int s = 0; s < 200 * 15; s += 45) {
    if (s == 1500) add_counters(grown, 6, 100, 100, "q");
    INFO(q << " at +" << s << "s");
    REQUIRE(same(evaluate(e, grown, at(std::chrono::seconds(s)), cached),
                 evaluate(e, grown, at(std::chrono::seconds(s)))));
  }
}

}  // namespace

TEST_CASE("promql rate over a source's reset positions gives the scan's bits", "[promql][cache]") {
  MemorySource src;
  add_counters(src, 4, 0, 400);
  const PlainSource plain{src};
  const char* queries[] = {"rate(c[1m])",           "increase(c[5m])",
                           "rate(c[2m] offset 1m)", "increase(c[10m] offset 7m)",
                           "delta(c[5m])",          "sum by (svc) (rate(c[5m]))",
                           "sum(increase(c[1h]))",  "resets(c[5m])"};
  std::size_t compared = 0;
  for (const char* q : queries) {
    auto e = parse(q);
    REQUIRE(e);
    // Every 7 s: windows start and end on, between and next to the resets.
    for (int s = 0; s < 400 * 15; s += 7) {
      INFO(q << " at +" << s << "s");
      REQUIRE(same(evaluate(*e, src, at(std::chrono::seconds(s))),
                   evaluate(*e, plain, at(std::chrono::seconds(s)))));
      ++compared;
    }
  }
  CHECK(compared > 5000);
}

TEST_CASE("promql MemorySource reports the last reset of each window", "[promql][cache]") {
  MemorySource src;
  src.add(labels("c", {}), every(0s, 10s, {1, 2, 3, 1, 2, 3, 4, 0, 5}));  // resets at 3, 7
  auto last_drop = [&](core::Duration from, core::Duration to) {
    std::size_t out = 99;
    src.select_series({}, at(from), at(to), [&](const SeriesView& v) { out = v.last_drop; });
    return out;
  };
  CHECK(last_drop(0s, 80s) == 7);
  CHECK(last_drop(0s, 60s) == 3);
  CHECK(last_drop(30s, 60s) == 0);  // the reset at 30 s is the window's first sample
  CHECK(last_drop(20s, 60s) == 1);
  CHECK(last_drop(40s, 60s) == 0);
  CHECK(last_drop(70s, 80s) == 0);
  CHECK(last_drop(60s, 80s) == 1);
}

TEST_CASE("promql EvalCache gives the same results as none as series appear", "[promql][cache]") {
  MemorySource src;
  add_counters(src, 3, 0, 200);
  const char* queries[] = {"sum by (svc) (rate(c[5m]))", "max without (pod) (c)",
                           "count by (pod) (c) > 0", "sum(rate(c[1m]))"};
  for (const char* q : queries) {
    EvalCache cache;
    cached_equals_fresh_as_series_appear(q, cache);
    auto e = parse(q);
    REQUIRE(e);
    EvalOptions cached;
    cached.cache = &cache;
    // The same cache over another source (whose ids name other series) starts over.
    MemorySource other;
    add_counters(other, 4, 0, 50, "z");
    REQUIRE(same(evaluate(*e, other, at(600s), cached), evaluate(*e, other, at(600s))));
    auto another = parse("sum by (pod) (c)");  // and with another expression
    REQUIRE(another);
    REQUIRE(same(evaluate(*another, src, at(600s), cached), evaluate(*another, src, at(600s))));
  }
}

TEST_CASE("promql EvalCache: operators over remembered label sets give the same results",
          "[promql][cache]") {
  // Each operator remembers what it derives per label set id (signatures, result labels,
  // histogram groups): results must equal those of a fresh evaluation as series appear.
  const char* queries[] = {
      "c / on (pod) group_left (svc) max by (pod) (c)", "sum by (svc) (rate(c[5m])) > bool 0.1",
      "(c > 5) and on (svc) (sum by (svc) (c) > 10)", "c unless on (pod) (c > 100)",
      "sum by (svc) (c) or on (svc) c", "-c + on (pod, svc) abs(c - 3)",
      // One element split over two lines (parenthesised: clang warns on concatenation here).
      ("histogram_quantile(0.9, sum by (svc, le) (label_replace(rate(c[5m]), \"le\", \"$1\", "
       "\"pod\", \".*([0-9])\")))"),
      "c * on (pod) group_right (svc) max by (pod) (c)"};
  for (const char* q : queries) {
    EvalCache cache;
    cached_equals_fresh_as_series_appear(q, cache);
  }
}

TEST_CASE("promql EvalCache: histogram_quantile gives its groups in label order as they appear",
          "[promql][cache]") {
  // Each group's 0.5-quantile is half its one finite bound. Summed in label order (a, b, c)
  // 1e17 + 1 - 1e17 is 0; in order of appearance (a, c, b: b's series come later) it is 1.
  MemorySource src;
  auto group = [&](const char* svc, const char* le, std::initializer_list<Sample> samples) {
    src.add(labels("h_bucket", {{"le", le}, {"svc", svc}}), samples);
    src.add(labels("h_bucket", {{"le", "+Inf"}, {"svc", svc}}), samples);
  };
  group("a", "2e17", {{at(0s), 1}, {at(600s), 1}});
  group("c", "-1e17", {{at(0s), 1}, {at(600s), 1}});  // a bound <= 0 is itself the answer
  group("b", "2", {{at(600s), 1}});
  auto e = parse("sum(histogram_quantile(0.5, h_bucket))");
  REQUIRE(e);
  EvalCache cache;
  EvalOptions cached;
  cached.cache = &cache;
  auto sum_at = [&](core::Duration d, const EvalOptions& o) {
    const auto v = evaluate(*e, src, at(d), o);
    REQUIRE(v);
    REQUIRE(v->vector.size() == 1);
    return v->vector[0].value;
  };
  CHECK(sum_at(0s, cached) == 0.0);    // a and c only: ranked
  CHECK(sum_at(600s, cached) == 0.0);  // b, met later, ranked between them
  CHECK(sum_at(600s, cached) == 0.0);  // again, with the ranks remembered
  CHECK(sum_at(600s, {}) == 0.0);      // and without a cache
}

}  // namespace eval_cache_test
