// The simulated cluster as Prometheus series (docs/prometheus-series.md): the names a
// scenario may change, and the PromExport part (sim/prom_export.hpp): the catalogue, the
// per-tick accumulation of counters and histogram buckets, and reading samples back out of
// the rings. Part of the world's unity group (sim/CMakeLists.txt): accumulate runs in the
// scrape tick.
#include <algorithm>
#include <cmath>

#include "sim/prom_export.hpp"
#include "sim/world_impl.hpp"

namespace selfheal::sim {

using namespace model;

namespace {

constexpr double kBytesPerMb = 1024.0 * 1024.0;
// p99 of an exponential distribution is ln(100) times its mean: the histogram's latency
// distribution is the exponential one whose p99 is the model's p99.
const double kLn100 = std::log(100.0);
constexpr std::uint8_t kCodeOk = 0;
constexpr std::uint8_t kCodeError = 1;
constexpr std::uint8_t kInfBucket = static_cast<std::uint8_t>(kLatencyBuckets.size());

bool valid_metric_name(std::string_view n) {
  if (n.empty()) return false;
  for (std::size_t i = 0; i < n.size(); ++i) {
    const char c = n[i];
    const bool alpha = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '_' || c == ':';
    if (!alpha && !(i > 0 && c >= '0' && c <= '9')) return false;
  }
  return true;
}

// Go's strconv.FormatFloat(v, 'g', -1, 64), as the Prometheus Go client prints `le`.
std::string le_text(double v) {
  char buf[32];
  std::snprintf(buf, sizeof buf, "%g", v);
  return buf;
}

}  // namespace

std::vector<std::pair<std::string, std::string>> check_metric_names(const MetricNames& names) {
  std::vector<std::pair<std::string, std::string>> out;
  for (const auto& [from, to] : names) {
    if (std::find(kDefaultMetricNames.begin(), kDefaultMetricNames.end(), from) ==
        kDefaultMetricNames.end()) {
      out.emplace_back(from,
                       "unknown metric '" + from +
                           "' (the published metrics are listed in docs/prometheus-series.md)");
    } else if (!valid_metric_name(to)) {
      out.emplace_back(from, "'" + to + "' is not a valid Prometheus metric name");
    }
  }
  return out;
}

void PromExport::build(core::Duration retention) {
  cum_.assign(traffic_->size(), Counters{});
  ring_.reset(static_cast<std::size_t>(retention / scrape_) + 2, traffic_->size());
  auto name_of = [&](PromMetric m) {
    const std::string def(kDefaultMetricNames[static_cast<std::size_t>(m)]);
    auto it = spec_.metric_names.find(def);
    return it == spec_.metric_names.end() ? def : it->second;
  };
  auto catalogue = std::make_shared<std::vector<PromSeriesInfo>>();
  for (std::uint32_t i = 0; i < traffic_->size(); ++i) {
    const std::string& svc = spec_.services[i].name;
    const std::string pod = svc + "-pods";
    auto add = [&](PromMetric m, std::uint8_t variant, std::vector<PromLabel> labels) {
      labels.push_back({"__name__", name_of(m)});
      labels.push_back({"namespace", spec_.ns});
      labels.push_back({"service", svc});
      std::sort(labels.begin(), labels.end(),
                [](const PromLabel& a, const PromLabel& b) { return a.name < b.name; });
      catalogue->push_back({m, i, variant, std::move(labels)});
    };
    add(PromMetric::kReplicasAvailable, 0, {{"deployment", svc}});
    add(PromMetric::kSpecReplicas, 0, {{"deployment", svc}});
    add(PromMetric::kRestartsTotal, 0, {{"pod", pod}, {"container", svc}});
    add(PromMetric::kLastTerminated, 0,
        {{"pod", pod}, {"container", svc}, {"reason", "OOMKilled"}});
    add(PromMetric::kOomEventsTotal, 0, {{"pod", pod}, {"container", svc}});
    add(PromMetric::kMemoryWorkingSet, 0, {{"pod", pod}, {"container", svc}});
    add(PromMetric::kMemoryLimit, 0,
        {{"pod", pod}, {"container", svc}, {"resource", "memory"}, {"unit", "byte"}});
    add(PromMetric::kCpuRequests, 0,
        {{"pod", pod}, {"container", svc}, {"resource", "cpu"}, {"unit", "core"}});
    add(PromMetric::kCpuSecondsTotal, 0, {{"pod", pod}, {"container", svc}});
    add(PromMetric::kHttpRequests, kCodeOk, {{"code", "200"}});
    add(PromMetric::kHttpRequests, kCodeError, {{"code", "500"}});
    for (std::uint8_t b = 0; b < kInfBucket; ++b)
      add(PromMetric::kHttpDurationBucket, b, {{"le", le_text(kLatencyBuckets[b])}});
    add(PromMetric::kHttpDurationBucket, kInfBucket, {{"le", "+Inf"}});
    add(PromMetric::kHttpDurationSum, 0, {});
    add(PromMetric::kHttpDurationCount, 0, {});
  }
  catalogue_ = std::move(catalogue);
}

inline void PromExport::accumulate(std::size_t svc, const Sample& s, double dt_s) {
  Counters& c = cum_[svc];
  const Sample& prev = telemetry_->back(svc, 1);
  const double n = static_cast<double>(s.rps) * dt_s;  // requests this tick
  c.err += n * s.err;
  c.ok += n * (1.0 - s.err);
  c.cpu_s += static_cast<double>(s.cpu) * s.ready * kCpuRequestCores * dt_s;
  const double p99_s = static_cast<double>(s.p99) / 1000.0;
  if (p99_s > 0) {
    const double rate = kLn100 / p99_s;  // of the exponential distribution
    c.dur_sum += n / rate;
    for (std::size_t b = 0; b < kLatencyBuckets.size(); ++b)
      c.bucket[b] += n * (1.0 - std::exp(-rate * kLatencyBuckets[b]));
  } else {
    for (double& b : c.bucket)
      b += n;
  }
  if (s.cum_oom != prev.cum_oom) {
    c.oom_last = true;
  } else if (s.cum_restarts != prev.cum_restarts) {
    c.oom_last = false;
  }
  c.present = true;
  ring_.latest(svc) = c;
}

double PromExport::value(const PromSeriesInfo& info, const Sample& s, const Counters& c) const {
  const Svc& v = (*traffic_)[info.service];
  switch (info.metric) {
    case PromMetric::kReplicasAvailable:
      return s.ready;
    case PromMetric::kSpecReplicas:
      return s.desired;
    case PromMetric::kRestartsTotal:
      return s.cum_restarts;
    case PromMetric::kLastTerminated:
      return 1.0;
    case PromMetric::kOomEventsTotal:
      return s.cum_oom;
    case PromMetric::kMemoryWorkingSet:
      return s.mem * v.memory_limit_mb * kBytesPerMb;
    case PromMetric::kMemoryLimit:
      return v.memory_limit_mb * kBytesPerMb;
    case PromMetric::kCpuRequests:
      return s.ready * kCpuRequestCores;
    case PromMetric::kCpuSecondsTotal:
      return c.cpu_s;
    case PromMetric::kHttpRequests:
      return info.variant == kCodeOk ? c.ok : c.err;
    case PromMetric::kHttpDurationBucket:
      return info.variant == kInfBucket ? c.ok + c.err : c.bucket[info.variant];
    case PromMetric::kHttpDurationSum:
      return c.dur_sum;
    case PromMetric::kHttpDurationCount:
      return c.ok + c.err;
  }
  return 0.0;
}

void PromExport::samples(std::size_t index, TimePoint start, TimePoint end, TimePoint last_tick,
                         std::vector<PromPoint>& out) const {
  if (index >= catalogue_->size() || ring_.filled() == 0 || end < start) return;
  const PromSeriesInfo& info = (*catalogue_)[index];
  if (start > last_tick) return;
  // Ticks back from the latest: `hi` is the oldest wanted, `lo` the newest.
  const auto oldest = static_cast<std::int64_t>(ring_.filled()) - 1;
  const std::int64_t hi = std::min(oldest, (last_tick - start) / scrape_);
  const std::int64_t lo =
      end >= last_tick ? 0 : (last_tick - end + scrape_ - Duration{1}) / scrape_;
  for (std::int64_t b = hi; b >= lo; --b) {
    const auto back = static_cast<std::size_t>(b);
    const Counters& c = ring_.back(info.service, back);
    if (!c.present) continue;
    if (info.metric == PromMetric::kLastTerminated && !c.oom_last) continue;
    const Sample& s = telemetry_->back(info.service, back);
    out.push_back({last_tick - b * scrape_, value(info, s, c)});
  }
}

PromRow PromExport::row(std::span<const std::size_t> indices, TimePoint t, TimePoint last_tick,
                        double* out) const {
  if (ring_.filled() == 0 || t > last_tick) return PromRow::kNone;
  const auto back = static_cast<std::size_t>((last_tick - t) / scrape_);
  if (back >= ring_.filled()) return PromRow::kNone;
  std::size_t present = 0;
  for (std::size_t j = 0; j < indices.size(); ++j) {
    const PromSeriesInfo& info = (*catalogue_)[indices[j]];
    const Counters& c = ring_.back(info.service, back);
    if (!c.present || (info.metric == PromMetric::kLastTerminated && !c.oom_last)) continue;
    out[j] = value(info, telemetry_->back(info.service, back), c);
    ++present;
  }
  if (present == 0) return PromRow::kNone;
  return present == indices.size() ? PromRow::kFull : PromRow::kPartial;
}

std::optional<std::pair<TimePoint, TimePoint>> PromExport::kept(TimePoint last_tick) const {
  if (ring_.filled() == 0) return std::nullopt;
  const auto oldest = static_cast<std::int64_t>(ring_.filled()) - 1;
  return std::pair{last_tick - oldest * scrape_, last_tick};
}

const std::vector<PromSeriesInfo>& World::prom_series() const {
  return impl_->prom.catalogue();
}

void World::prom_samples(std::size_t index, TimePoint start, TimePoint end,
                         std::vector<PromPoint>& out) const {
  impl_->prom.samples(index, start, end, impl_->last_tick, out);
}

PromRow World::prom_row(std::span<const std::size_t> indices, TimePoint t, double* out) const {
  return impl_->prom.row(indices, t, impl_->last_tick, out);
}

std::optional<std::pair<TimePoint, TimePoint>> World::prom_kept() const {
  return impl_->prom.kept(impl_->last_tick);
}

}  // namespace selfheal::sim
