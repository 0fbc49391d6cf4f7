#include <catch2/catch.hpp>

#include "engine/time_text.hpp"
#include "importer/prometheus_import.hpp"

namespace im = selfheal::importer;
using selfheal::engine::parse_time;

namespace {

// A /api/v1/query_range answer as Prometheus writes it: one firing alert sampled every
// minute from 18:00 to 18:03, a gap, then 18:10 to the range's end (18:12).
constexpr const char* kMatrix = R"({"status":"success","data":{"resultType":"matrix","result":[
 {"metric":{"__name__":"ALERTS","alertname":"OOMKilled","alertstate":"firing",
            "namespace":"prod","service":"payment-api"},
  "values":[[1796407200,"1"],[1796407260,"1"],[1796407320,"1"],[1796407380,"1"],
            [1796407800,"1"],[1796407860,"1"],[1796407920,"1"]]}]}})";

im::PrometheusRange range() {
  im::PrometheusRange r;
  r.url = "http://prom:9090";
  r.from = *parse_time("2026-12-04T18:00:00Z");
  r.until = *parse_time("2026-12-04T18:12:00Z");
  return r;
}

}  // namespace

TEST_CASE("prometheus: runs of ALERTS samples become firings, the last one still open",
          "[import][prometheus]") {
  REQUIRE(selfheal::engine::format_time(selfheal::core::from_unix_ms(1796407200000)) ==
          "2026-12-04T18:00:00.000Z");
  im::SeriesSamples s;
  REQUIRE(im::add_query_range_response(kMatrix, s));
  const auto h = im::history_from_samples(s, range());
  REQUIRE(h.alerts.size() == 1);
  const auto& a = h.alerts[0];
  CHECK(a.alertname == "OOMKilled");
  CHECK(a.service == "payment-api");
  CHECK(a.labels.count("alertstate") == 0);
  CHECK(a.labels.count("__name__") == 0);
  CHECK(a.fingerprint == "c138a830d085d170");
  REQUIRE(a.firings.size() == 2);
  CHECK(a.firings[0].start == *parse_time("2026-12-04T18:00:00Z"));
  CHECK(a.firings[0].end == *parse_time("2026-12-04T18:04:00Z"));
  CHECK(a.firings[1].start == *parse_time("2026-12-04T18:10:00Z"));
  CHECK_FALSE(a.firings[1].end);
}

TEST_CASE("prometheus: the fingerprint of no labels is FNV-1a's offset basis",
          "[import][prometheus]") {
  CHECK(im::label_fingerprint({}) == "cbf29ce484222325");
}

TEST_CASE("prometheus: an error answer, a vector or a bad sample is refused with the path",
          "[import][prometheus]") {
  im::SeriesSamples s;
  auto err = im::add_query_range_response(
      R"({"status":"error","errorType":"bad_data","error":"exceeded maximum resolution"})", s);
  REQUIRE_FALSE(err);
  CHECK_THAT(err.error().message, Catch::Contains("exceeded maximum resolution"));
  auto vec = im::add_query_range_response(
      R"({"status":"success","data":{"resultType":"vector","result":[]}})", s);
  REQUIRE_FALSE(vec);
  CHECK(vec.error().field == "data.resultType");
  auto bad = im::add_query_range_response(
      R"({"status":"success","data":{"resultType":"matrix","result":[{"metric":{},"values":[["x","1"]]}]}})",
      s);
  REQUIRE_FALSE(bad);
  CHECK(bad.error().field == "data.result[0].values[0]");
}

TEST_CASE("prometheus: an unreachable server is an error naming it", "[import][prometheus]") {
  auto r = range();
  r.url = "http://127.0.0.1:1";
  selfheal::core::Diagnostics d;
  CHECK_FALSE(im::import_prometheus(r, d));
  CHECK_THAT(d.describe(), Catch::Contains("http://127.0.0.1:1") && Catch::Contains("unreachable"));
}
