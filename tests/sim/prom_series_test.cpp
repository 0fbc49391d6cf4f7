// The simulated cluster as Prometheus series (docs/prometheus-series.md): published only on
// request, without changing the run; each series carries the model quantity the table says;
// counters and histograms are accumulated per tick; metric_names renames.
#include <catch2/catch.hpp>
#include <cmath>
#include <cstring>
#include <map>
#include <string>
#include <vector>

#include "cluster_fixtures.hpp"
#include "sim/world.hpp"

using namespace selfheal;
using namespace selfheal::sim;
using namespace selfheal::sim::testing;

namespace {

std::string label(const PromSeriesInfo& s, const std::string& name) {
  for (const auto& l : s.labels)
    if (l.name == name) return l.value;
  return "";
}

// The series of `service` named `name` (with `extra` = value when given): its index.
std::size_t find(const World& w, const std::string& name, const std::string& service,
                 const std::string& extra = "", const std::string& value = "") {
  const auto& all = w.prom_series();
  for (std::size_t i = 0; i < all.size(); ++i) {
    if (label(all[i], "__name__") == name && label(all[i], "service") == service &&
        (extra.empty() || label(all[i], extra) == value))
      return i;
  }
  FAIL("no series " << name << " for " << service);
  return 0;
}

std::vector<PromPoint> samples(const World& w, std::size_t i, Duration back) {
  std::vector<PromPoint> out;
  w.prom_samples(i, w.now() - back, w.now(), out);
  return out;
}

}  // namespace

TEST_CASE("Prometheus series are published only when asked and do not change the run",
          "[sim][prometheus]") {
  const ClusterSpec spec = leaking_cluster();
  World plain{spec, 7};
  WorldOptions o;
  o.prometheus_series = true;
  World prom{spec, 7, o};
  plain.run_for(1h);
  prom.run_for(1h);
  CHECK(plain.prom_series().empty());
  REQUIRE(prom.prom_series().size() == spec.services.size() * 25);
  REQUIRE(plain.timeline().events.size() == prom.timeline().events.size());
  for (std::size_t i = 0; i < plain.timeline().events.size(); ++i) {
    CHECK(plain.timeline().events[i].detail == prom.timeline().events[i].detail);
  }
}

TEST_CASE("each Prometheus series carries the model quantity of its row", "[sim][prometheus]") {
  WorldOptions o;
  o.prometheus_series = true;
  World w{leaking_cluster(), 7, o};
  w.run_for(1h);
  const ServiceSnapshot snap = w.snapshot("payment-api");
  const auto last = [&](std::size_t i) {
    const auto s = samples(w, i, 0s);
    REQUIRE(s.size() == 1);
    return s.back().v;
  };
  CHECK(last(find(w, "kube_deployment_spec_replicas", "payment-api")) == snap.desired);
  CHECK(last(find(w, "kube_deployment_status_replicas_available", "payment-api")) == snap.ready);
  CHECK(last(find(w, "kube_pod_container_status_restarts_total", "payment-api")) == snap.restarts);
  CHECK(last(find(w, "container_oom_events_total", "payment-api")) == snap.oom_kills);
  REQUIRE(snap.oom_kills > 0);  // the leak has OOM-killed a container by now
  CHECK(label(w.prom_series()[find(w, "container_oom_events_total", "payment-api")], "pod") ==
        "payment-api-pods");

  // One tick's increase of the request counters is the tick's request rate x 15 s, split by
  // the error rate.
  const auto ok = samples(w, find(w, "http_requests_total", "payment-api", "code", "200"), 15s);
  const auto err = samples(w, find(w, "http_requests_total", "payment-api", "code", "500"), 15s);
  REQUIRE(ok.size() == 2);
  REQUIRE(err.size() == 2);
  const double requests = (ok[1].v - ok[0].v) + (err[1].v - err[0].v);
  CHECK(requests == Approx(snap.request_rate * 15).epsilon(1e-4));
  CHECK((err[1].v - err[0].v) / requests == Approx(snap.error_rate).epsilon(1e-4));

  // Histogram: cumulative buckets, +Inf is the count; the share under the p99 is ~0.99.
  const double count = last(find(w, "http_request_duration_seconds_count", "payment-api"));
  CHECK(last(find(w, "http_request_duration_seconds_bucket", "payment-api", "le", "+Inf")) ==
        count);
  double prev = 0;
  for (const char* le : {"0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1", "2.5", "5"}) {
    const double b = last(find(w, "http_request_duration_seconds_bucket", "payment-api", "le", le));
    CHECK(b >= prev);
    prev = b;
  }
  CHECK(prev <= count);
  const double mem = last(find(w, "container_memory_working_set_bytes", "payment-api"));
  const double limit = last(find(w, "kube_pod_container_resource_limits", "payment-api"));
  CHECK(mem / limit == Approx(snap.max_memory_mb * 1024 * 1024 / limit).epsilon(1e-3));
}

TEST_CASE("the OOMKilled reason series is present only after an OOM kill", "[sim][prometheus]") {
  WorldOptions o;
  o.prometheus_series = true;
  World w{leaking_cluster(), 7, o};
  w.run_for(10min);
  const std::size_t i = find(w, "kube_pod_container_status_last_terminated_reason", "payment-api");
  CHECK(samples(w, i, 10min).empty());
  w.run_for(50min);
  REQUIRE(w.snapshot("payment-api").oom_kills > 0);
  CHECK_FALSE(samples(w, i, 50min).empty());
}

TEST_CASE("metric_names renames a published series", "[sim][prometheus]") {
  ClusterSpec spec = payments_cluster();
  spec.metric_names["http_requests_total"] = "api_http_requests_total";
  WorldOptions o;
  o.prometheus_series = true;
  World w{spec, 7, o};
  w.run_for(5min);
  CHECK_FALSE(
      samples(w, find(w, "api_http_requests_total", "payment-api", "code", "200"), 5min).empty());
  for (const auto& s : w.prom_series())
    CHECK(label(s, "__name__") != "http_requests_total");
  const auto problems =
      check_metric_names({{"http_request_total", "x"}, {"http_requests_total", "9x"}});
  REQUIRE(problems.size() == 2);
  CHECK(problems[0].second.find("unknown metric") != std::string::npos);
  CHECK(problems[1].second.find("not a valid Prometheus metric name") != std::string::npos);
}

TEST_CASE("prom_row reads a tick of many series as prom_samples reads each", "[sim][prometheus]") {
  WorldOptions o;
  o.prometheus_series = true;
  o.telemetry_retention = 20min;  // the rings wrap within the run
  World w{leaking_cluster(), 7, o};
  w.run_for(1h);
  REQUIRE(w.snapshot("payment-api").oom_kills > 0);
  const auto& all = w.prom_series();
  // Rows of one metric (every service), of the whole catalogue, and of the OOMKilled
  // reason alone (present for a service only after its first OOM kill).
  std::map<PromMetric, std::vector<std::size_t>> by_metric;
  std::vector<std::size_t> everything;
  for (std::size_t i = 0; i < all.size(); ++i) {
    by_metric[all[i].metric].push_back(i);
    everything.push_back(i);
  }
  std::vector<std::vector<std::size_t>> groups{everything};
  for (const auto& [m, indices] : by_metric)
    groups.push_back(indices);
  groups.push_back({find(w, "kube_pod_container_status_last_terminated_reason", "payment-api")});
  for (const auto& svc : leaking_cluster().services)  // and of a service never OOM-killed
    if (w.snapshot(svc.name).oom_kills == 0)
      groups.push_back({find(w, "kube_pod_container_status_last_terminated_reason", svc.name)});
  const auto [first, last] = *w.prom_kept();
  std::map<PromRow, std::size_t> seen;
  for (const auto& indices : groups) {
    std::vector<std::vector<PromPoint>> want(indices.size());
    for (std::size_t j = 0; j < indices.size(); ++j)
      w.prom_samples(indices[j], first, last, want[j]);
    std::vector<std::size_t> next(indices.size(), 0);
    for (TimePoint t = first; t <= last; t += leaking_cluster().scrape_interval) {
      std::vector<double> row(indices.size(), -1.0);
      std::size_t present = 0;
      const PromRow got = w.prom_row(indices, t, row.data());
      for (std::size_t j = 0; j < indices.size(); ++j) {
        if (next[j] < want[j].size() && want[j][next[j]].t == t) {
          CHECK(std::memcmp(&row[j], &want[j][next[j]].v, sizeof(double)) == 0);
          ++next[j];
          ++present;
        } else {
          CHECK(row[j] == -1.0);  // not written
        }
      }
      CHECK(got == (present == 0                ? PromRow::kNone
                    : present == indices.size() ? PromRow::kFull
                                                : PromRow::kPartial));
      ++seen[got];
    }
    for (std::size_t j = 0; j < indices.size(); ++j)
      CHECK(next[j] == want[j].size());
  }
  CHECK(seen[PromRow::kFull] > 100);
  CHECK(seen[PromRow::kPartial] > 10);
  CHECK(seen[PromRow::kNone] > 0);
}
