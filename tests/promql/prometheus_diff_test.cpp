// Differential test against Debian's real Prometheus: the same seeded series are written as
// OpenMetrics, turned into TSDB blocks by `promtool tsdb create-blocks-from openmetrics`,
// served by a real `prometheus`, and every expression below is evaluated by both at several
// times through /api/v1/query; results must agree element for element (same label sets,
// values within 1e-9 relative, NaN equal to NaN), and errors must be errors in both.
// Skipped (exit 77) when prometheus or promtool is missing; a failure instead under
// SELFHEAL_REQUIRE_E2E=1 (CI). SELFHEAL_PROMQL_SEED=<n> replays other random series.
//
// generate() and the test case are longer than 80 lines on purpose: each is one linear
// script (a block per series family; set up, then compare), clearer read whole.
#include <unistd.h>

#include <utility>  // before asio: its awaitable.hpp uses std::exchange

#include <catch2/catch.hpp>
#include <charconv>
#include <cmath>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <map>
#include <nlohmann/json.hpp>
#include <random>

#include "live/http_client.hpp"
#include "promql/promql.hpp"
#include "tests/support/child_process.hpp"

namespace fs = std::filesystem;
using namespace std::chrono_literals;
using selfheal::core::TimePoint;
using namespace selfheal::promql;

namespace {

constexpr const char* kPrometheus = "/usr/bin/prometheus";
constexpr const char* kPromtool = "/usr/bin/promtool";
constexpr int kSkipExitCode = 77;
constexpr std::uint64_t kDefaultSeed = 20261201;
constexpr double kRelativeTolerance = 1e-9;
/// Below this both sides are "zero": rate() of a flat counter may differ in the last bit.
constexpr double kAbsoluteFloor = 1e-12;
constexpr std::int64_t kStartMs = 1'700'000'000'000;  // 2023-11-14T22:13:20Z
constexpr auto kScrape = 15s;
constexpr auto kSpan = 60min;
constexpr auto kJitterMs = 2000;
constexpr auto kQueryTimeout = std::chrono::milliseconds(10'000);

// Every expression is evaluated at each of these offsets from the start.
const std::vector<std::chrono::milliseconds> kTimes{
    12min + 3'000ms,  20min,        33min + 41'500ms, 45min + 7'500ms,
    51min + 13'000ms, 60min + 3min, 60min + 7min};

const std::vector<std::string> kExpressions{
    // selectors, matchers, offset
    "http_requests_total",
    "http_requests_total{code=~\"5..\"}",
    "http_requests_total{code!=\"200\", service=~\"api|web\"}",
    "{__name__=~\"memory_.*\", pod!~\"api-.*\"}",
    "memory_bytes offset 10m",
    "up{pod=\"gap-0\"}",
    // rate family
    "rate(http_requests_total[5m])",
    "irate(http_requests_total[5m])",
    "increase(http_requests_total[10m])",
    "rate(http_requests_total[1m] offset 5m)",
    "delta(memory_bytes[15m])",
    "idelta(memory_bytes[5m])",
    "rate(sparse_total[2m])",
    "increase(sparse_total[5m])",
    "delta(sparse_total[3m])",
    "irate(sparse_total[2m])",
    "increase(fresh_total[5m])",
    "changes(restarts_total[30m])",
    "resets(restarts_total[30m])",
    // *_over_time
    "avg_over_time(memory_bytes[10m])",
    "min_over_time(memory_bytes[10m])",
    "max_over_time(memory_bytes[10m])",
    "sum_over_time(memory_bytes[10m])",
    "count_over_time(up[7m])",
    "last_over_time(memory_bytes[10m])",
    // aggregations
    "sum by (service) (rate(http_requests_total[5m]))",
    "sum without (pod) (rate(http_requests_total{code=~\"5..\"}[5m]))",
    "avg by (service) (memory_bytes)",
    "max(memory_bytes) by (service)",
    "min without (pod) (memory_bytes)",
    "count by (service) (up == 1)",
    "topk(3, memory_bytes)",
    "bottomk by (service) (1, memory_bytes)",
    "quantile(0.9, memory_bytes)",
    "quantile by (service) (0.25, rate(http_requests_total[5m]))",
    "stddev(memory_bytes)",
    "stdvar by (service) (memory_bytes)",
    "group by (service) (memory_bytes)",
    // histogram_quantile
    "histogram_quantile(0.99, sum by (le, service) "
    "(rate(http_request_duration_seconds_bucket[5m])))",
    "histogram_quantile(0.5, rate(http_request_duration_seconds_bucket[5m]))",
    "histogram_quantile(0.9, http_request_duration_seconds_bucket)",
    // arithmetic, comparison, bool, precedence
    "-memory_bytes / 1e6 + 2 * 3 ^ 2",
    "memory_bytes > 5e8",
    "5e8 < memory_bytes",
    "memory_bytes > bool 5e8",
    "rate(http_requests_total[5m]) % 0.7",
    "2 ^ 3 ^ 2 - 1",
    "sum by (service) (rate(http_requests_total{code=~\"5..\"}[5m])) / sum by (service) "
    "(rate(http_requests_total[5m])) > 0.05",
    // vector matching
    "replicas_available < replicas_desired",
    "replicas_available / on(deployment, namespace) replicas_desired",
    "replicas_available == bool ignoring(kind) replicas_desired",
    "rate(http_requests_total[5m]) * on(service) group_left(team) service_info",
    "service_info * on(service) group_right(team) memory_bytes",
    "http_requests_total / ignoring(code) group_left sum without (code) (http_requests_total)",
    "memory_bytes and on(pod) (up == 1)",
    "memory_bytes unless on(pod) restarts_total > 2",
    "up == 0 or memory_bytes > 9e8",
    "sum(up) or vector(0)",
    "memory_bytes / on(service) memory_bytes",
    // functions
    "abs(delta(memory_bytes[5m]))",
    "ceil(memory_bytes / 1e7)",
    "floor(memory_bytes / 1e7)",
    "round(memory_bytes / 1e6, 0.5)",
    "sqrt(memory_bytes)",
    "exp(-memory_bytes / 1e9)",
    "ln(memory_bytes)",
    "clamp(memory_bytes, 3e8, 6e8)",
    "clamp_min(memory_bytes, 5e8)",
    "clamp_max(memory_bytes, 5e8)",
    "absent(nonexistent{job=\"x\", env=~\"p\"})",
    "absent(up{pod=\"gap-0\"})",
    "absent_over_time(up{pod=\"gap-0\"}[10m])",
    "time() - start_time_seconds",
    "scalar(sum(up)) * 2",
    "vector(time())",
    "label_replace(up, \"svc\", \"$1\", \"pod\", \"(.*)-[0-9]+\")",
    "NaN_gauge + 1",
    // more combinations
    "histogram_quantile(0.75, sum by (le) (increase(http_request_duration_seconds_bucket[2m])))",
    "count_over_time(sparse_total[3m])",
    "last_over_time(up[10m] offset 1m)",
    "memory_bytes offset -5m",
    "-rate(http_requests_total[5m])",
    "round(rate(http_requests_total[5m]))",
    "(memory_bytes > 5e8) * 2",
    "sum(rate(http_requests_total[5m])) by (service, code) > bool 1",
    "topk(3, NaN_gauge or memory_bytes)",
    "bottomk(3, NaN_gauge or memory_bytes)",
    "quantile(0.5, NaN_gauge or memory_bytes)",
    "max(NaN_gauge or memory_bytes)",
    "sum(NaN_gauge)",
};

std::string fmt_double(double v) {
  if (std::isnan(v)) return "NaN";
  char buf[64];
  auto [p, ec] = std::to_chars(buf, buf + sizeof buf, v);
  return std::string(buf, p);
}

struct SeriesData {
  std::string name;
  Labels labels;  // without __name__
  std::vector<Sample> samples;
};

// The fixture: counters with resets, gauges, histogram buckets, info series, a series that
// stops half way, a gauge with a NaN. Scrape times jitter by up to 2 s.
std::vector<SeriesData> generate(std::uint64_t seed) {
  std::mt19937_64 rng(seed);
  std::uniform_real_distribution<double> u(0, 1);
  std::vector<SeriesData> out;
  const std::vector<std::string> services{"api", "web", "db"};
  const std::vector<double> les{0.05, 0.1, 0.25, 0.5, 1, 2.5};
  auto times = [&](std::chrono::milliseconds until) {
    std::vector<TimePoint> ts;
    for (auto t = std::chrono::milliseconds(0); t <= until; t += kScrape)
      ts.push_back(selfheal::core::from_unix_ms(kStartMs + t.count() +
                                                static_cast<std::int64_t>(u(rng) * kJitterMs)));
    return ts;
  };
  auto add = [&](std::string name, Labels l, std::vector<Sample> s) {
    sort_labels(l);
    out.push_back({std::move(name), std::move(l), std::move(s)});
  };
  for (std::size_t si = 0; si < services.size(); ++si) {
    const auto& svc = services[si];
    add("service_info", {{"service", svc}, {"team", "team-" + std::to_string(si % 2)}}, {});
    for (const auto& t : times(kSpan))
      out.back().samples.push_back({t, 1});
    add("replicas_desired", {{"deployment", svc}, {"namespace", "prod"}, {"kind", "desired"}}, {});
    auto desired = out.size() - 1;
    add("replicas_available", {{"deployment", svc}, {"namespace", "prod"}, {"kind", "available"}},
        {});
    for (const auto& t : times(kSpan)) {
      out[desired].samples.push_back({t, 3});
      out.back().samples.push_back({t, static_cast<double>(1 + static_cast<int>(u(rng) * 3))});
    }
    for (int p = 0; p < 2; ++p) {
      std::string pod = svc + "-" + std::to_string(p);
      for (std::string code : {"200", "500", "503"}) {
        add("http_requests_total", {{"service", svc}, {"pod", pod}, {"code", code}}, {});
        double v = u(rng) * 100;
        double speed = code == "200" ? 20 : u(rng) * 2;
        for (const auto& t : times(kSpan)) {
          v = u(rng) < 0.01 ? u(rng) * 5 : v + u(rng) * speed;  // occasional reset
          out.back().samples.push_back({t, v});
        }
      }
      add("memory_bytes", {{"service", svc}, {"pod", pod}}, {});
      double m = 2e8 + u(rng) * 6e8;
      for (const auto& t : times(kSpan)) {
        m = std::max(1e6, m + (u(rng) - 0.5) * 4e7);
        out.back().samples.push_back({t, m});
      }
      add("memory_rss", {{"service", svc}, {"pod", pod}}, {});
      for (const auto& t : times(kSpan))
        out.back().samples.push_back({t, u(rng) * 1e9});
      add("up", {{"service", svc}, {"pod", pod}}, {});
      for (const auto& t : times(kSpan))
        out.back().samples.push_back({t, u(rng) < 0.8 ? 1.0 : 0.0});
      add("restarts_total", {{"service", svc}, {"pod", pod}}, {});
      double r = 0;
      for (const auto& t : times(kSpan)) {
        if (u(rng) < 0.05) r += 1;
        if (u(rng) < 0.01) r = 0;
        out.back().samples.push_back({t, r});
      }
      add("start_time_seconds", {{"service", svc}, {"pod", pod}}, {});
      for (const auto& t : times(kSpan))
        out.back().samples.push_back({t, kStartMs / 1000.0 - u(rng) * 1e4});
      // Cumulative buckets: observations spread by a per-pod latency scale.
      std::vector<double> counts(les.size() + 1, 0);
      std::vector<std::vector<Sample>> bucket_samples(les.size() + 1);
      double scale = 0.05 + u(rng) * 0.5;
      for (const auto& t : times(kSpan)) {
        int n = static_cast<int>(u(rng) * 20);
        for (int k = 0; k < n; ++k) {
          double obs = -std::log(1 - u(rng)) * scale;
          for (std::size_t b = 0; b < les.size(); ++b)
            if (obs <= les[b]) counts[b] += 1;
          counts.back() += 1;
        }
        for (std::size_t b = 0; b <= les.size(); ++b)
          bucket_samples[b].push_back({t, counts[b]});
      }
      for (std::size_t b = 0; b <= les.size(); ++b)
        add("http_request_duration_seconds_bucket",
            {{"service", svc}, {"pod", pod}, {"le", b < les.size() ? fmt_double(les[b]) : "+Inf"}},
            std::move(bucket_samples[b]));
    }
  }
  add("up", {{"service", "gap"}, {"pod", "gap-0"}}, {});
  for (const auto& t : times(30min))
    out.back().samples.push_back({t, 1});
  // Scraped at irregular intervals (10 s to 90 s): exercises the extrapolation threshold.
  for (int k = 0; k < 3; ++k) {
    add("sparse_total", {{"instance", std::to_string(k)}}, {});
    double v = u(rng) * 10;
    for (auto t = std::chrono::milliseconds(0); t <= kSpan;
         t += std::chrono::milliseconds(10'000 + static_cast<std::int64_t>(u(rng) * 80'000))) {
      v += u(rng) * 10;
      out.back().samples.push_back({selfheal::core::from_unix_ms(kStartMs + t.count()), v});
    }
  }
  // Counters that appear mid-run near zero: rate() must not extrapolate below zero.
  for (int k = 0; k < 3; ++k) {
    add("fresh_total", {{"instance", std::to_string(k)}}, {});
    double v = u(rng) * 3;
    for (const auto& t : times(kSpan)) {
      if (t < selfheal::core::from_unix_ms(kStartMs) + 10min + std::chrono::minutes(k * 10))
        continue;
      out.back().samples.push_back({t, v});
      v += u(rng) * 2;
    }
  }
  add("NaN_gauge", {{"pod", "n"}}, {});
  for (const auto& t : times(kSpan))
    out.back().samples.push_back({t, u(rng) < 0.5 ? NAN : 1.0});
  return out;
}

std::string openmetrics(const std::vector<SeriesData>& data) {
  std::string out;
  for (const auto& s : data) {
    std::string head = s.name + "{";
    for (std::size_t i = 0; i < s.labels.size(); ++i)
      head += (i ? "," : "") + s.labels[i].name + "=\"" + s.labels[i].value + "\"";
    head += "} ";
    for (const auto& p : s.samples) {
      auto ms = selfheal::core::to_unix_ms(p.t);
      char ts[32];
      std::snprintf(ts, sizeof ts, "%lld.%03lld", static_cast<long long>(ms / 1000),
                    static_cast<long long>(ms % 1000));
      out += head + fmt_double(p.v) + " " + ts + "\n";
    }
  }
  out += "# EOF\n";
  return out;
}

using Answer = std::map<std::string, double>;  // format_labels -> value; scalar under "scalar"

std::optional<Answer> from_prometheus(const std::string& body, std::string* error) {
  auto j = nlohmann::json::parse(body, nullptr, false);
  if (j.is_discarded()) {
    *error = "unparsable response: " + body;
    return std::nullopt;
  }
  if (j.value("status", "") != "success") {
    *error = j.value("error", body);
    return std::nullopt;
  }
  auto value_of = [](const nlohmann::json& v) {
    return std::strtod(v[1].get<std::string>().c_str(), nullptr);
  };
  Answer a;
  const auto& data = j["data"];
  if (data["resultType"] == "scalar") {
    a["scalar"] = value_of(data["result"]);
    return a;
  }
  for (const auto& e : data["result"]) {
    Labels l;
    for (const auto& [k, v] : e["metric"].items())
      l.push_back({k, v.get<std::string>()});
    sort_labels(l);
    a[format_labels(l)] = value_of(e["value"]);
  }
  return a;
}

Answer from_ours(const Value& v) {
  Answer a;
  if (v.kind == Value::Kind::kScalar) {
    a["scalar"] = v.scalar;
    return a;
  }
  for (const auto& s : v.vector)
    a[format_labels(s.labels)] = s.value;
  return a;
}

bool same(double a, double b) {
  if (std::isnan(a) || std::isnan(b)) return std::isnan(a) && std::isnan(b);
  if (std::isinf(a) || std::isinf(b)) return a == b;
  return std::abs(a - b) <=
         std::max(kAbsoluteFloor, kRelativeTolerance * std::max(std::abs(a), std::abs(b)));
}

bool same_answer(const Answer& a, const Answer& b) {
  return a.size() == b.size() && std::all_of(a.begin(), a.end(), [&](const auto& kv) {
           auto it = b.find(kv.first);
           return it != b.end() && same(kv.second, it->second);
         });
}

std::string show(const Answer& a) {
  std::string out;
  for (const auto& [k, v] : a)
    out += "  " + k + " " + fmt_double(v) + "\n";
  return out.empty() ? "  (empty)\n" : out;
}

bool skip_if_missing() {
  if (fs::exists(kPrometheus) && fs::exists(kPromtool)) return false;
  const char* require = std::getenv("SELFHEAL_REQUIRE_E2E");
  if (require != nullptr && std::string_view(require) == "1") return true;
  std::fprintf(stderr, "SKIPPED: /usr/bin/prometheus or /usr/bin/promtool is not installed\n");
  std::exit(kSkipExitCode);
}

}  // namespace

TEST_CASE("promql instant queries agree with a real Prometheus on the same series",
          "[promql][e2e]") {
  if (skip_if_missing()) FAIL("SELFHEAL_REQUIRE_E2E=1 and prometheus/promtool are not installed");
  std::uint64_t seed = kDefaultSeed;
  if (const char* s = std::getenv("SELFHEAL_PROMQL_SEED")) seed = std::strtoull(s, nullptr, 10);
  INFO("seed " << seed << " (SELFHEAL_PROMQL_SEED replays it)");
  const fs::path dir =
      fs::temp_directory_path() / ("selfheal-promql-diff-" + std::to_string(::getpid()));
  fs::remove_all(dir);
  fs::create_directories(dir);
  const auto data = generate(seed);
  MemorySource ours;
  for (const auto& s : data) {
    Labels l = s.labels;
    l.push_back({"__name__", s.name});
    ours.add(std::move(l), s.samples);
  }
  std::ofstream(dir / "series.om") << openmetrics(data);
  const std::string create = std::string(kPromtool) + " tsdb create-blocks-from openmetrics " +
                             (dir / "series.om").string() + " " + (dir / "data").string() + " > " +
                             (dir / "promtool.log").string() + " 2>&1";
  REQUIRE(std::system(create.c_str()) == 0);
  std::ofstream(dir / "prometheus.yml") << "global: {evaluation_interval: 1m}\n";

  const auto port = selfheal::test::free_port();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  selfheal::test::Child prom(
      {kPrometheus, "--config.file=" + (dir / "prometheus.yml").string(),
       "--storage.tsdb.path=" + (dir / "data").string(), "--storage.tsdb.retention.time=100y",
       "--web.listen-address=127.0.0.1:" + std::to_string(port)},
      dir / "prometheus.log");
  REQUIRE(prom.started());
  auto get = [&](const std::string& target) {
    selfheal::live::HttpRequest req;
    req.url = base + target;
    return selfheal::live::http_request(req, kQueryTimeout);
  };
  const bool ready = selfheal::test::eventually(
      [&] {
        auto r = get("/-/ready");
        return r && r->status == 200;
      },
      60s);
  {
    std::ifstream log(dir / "prometheus.log");
    INFO("prometheus log:\n" << std::string(std::istreambuf_iterator<char>(log), {}));
    REQUIRE(ready);
  }

  int compared = 0, non_empty = 0, both_error = 0;
  for (const auto& q : kExpressions) {
    auto expr = parse(q);
    INFO("expression: " << q);
    REQUIRE(expr);
    for (auto offset : kTimes) {
      const TimePoint t = selfheal::core::from_unix_ms(kStartMs + offset.count());
      const auto ms = selfheal::core::to_unix_ms(t);
      auto resp = get("/api/v1/query?query=" + selfheal::live::url_encode(q) + "&time=" +
                      std::to_string(ms / 1000) + "." + std::to_string(ms % 1000 + 1000).substr(1));
      REQUIRE(resp);
      std::string their_error;
      auto theirs = from_prometheus(resp->body, &their_error);
      auto mine = evaluate(*expr, ours, t);
      INFO("at start + " << offset.count() << " ms");
      if (!theirs) {
        INFO("Prometheus: " << their_error);
        CHECK_FALSE(mine);
        ++both_error;
        continue;
      }
      if (!mine)
        FAIL_CHECK("ours failed: " << mine.error().message << "\nPrometheus:\n" << show(*theirs));
      if (!mine) continue;
      Answer a = from_ours(*mine);
      INFO("ours:\n" << show(a) << "Prometheus:\n" << show(*theirs));
      CHECK(same_answer(a, *theirs));
      ++compared;
      if (!theirs->empty()) ++non_empty;
    }
  }
  // Not vacuous: most answers had elements, and the error case was seen as an error.
  CHECK(kExpressions.size() >= 30);
  CHECK(non_empty >= compared * 3 / 4);
  CHECK(both_error >= 1);
  fs::remove_all(dir);
}
