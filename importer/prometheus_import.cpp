// The Prometheus importer: chunked query_range over ALERTS, then runs of samples into
// firings. Sample times are whole seconds in Prometheus's answer (it aligns them to the
// step from `start`), read as milliseconds.
#include "importer/prometheus_import.hpp"

#include <algorithm>
#include <cmath>

#include <nlohmann/json.hpp>

#include "importer/prometheus_answer.hpp"

#include "live/alertmanager.hpp"
#include "live/http_client.hpp"

namespace selfheal::importer {
namespace {

using nlohmann::json;

constexpr const char* kFiringAlertsQuery = "ALERTS{alertstate=\"firing\"}";
constexpr std::uint64_t kFnvOffset = 14695981039346656037ULL;
constexpr std::uint64_t kFnvPrime = 1099511628211ULL;
constexpr unsigned char kSeparator = 0xff;
constexpr double kMsPerSecond = 1000.0;

std::string seconds_text(core::TimePoint t) {
  const auto ms = core::to_unix_ms(t);
  return std::to_string(ms / 1000) + "." + std::to_string(1000 + ms % 1000).substr(1);
}

}  // namespace

std::string label_fingerprint(const std::map<std::string, std::string>& labels) {
  std::uint64_t h = kFnvOffset;
  auto add = [&h](unsigned char c) {
    h ^= c;
    h *= kFnvPrime;
  };
  for (const auto& [k, v] : labels) {  // std::map: sorted by name, as Prometheus sorts
    for (unsigned char c : k)
      add(c);
    add(kSeparator);
    for (unsigned char c : v)
      add(c);
    add(kSeparator);
  }
  static const char* kHex = "0123456789abcdef";
  std::string out(16, '0');
  for (int i = 15; i >= 0; --i, h >>= 4)
    out[static_cast<std::size_t>(i)] = kHex[h & 0xf];
  return out;
}

core::Status add_query_range_response(const std::string& body, SeriesSamples& acc) {
  auto answer = answer_result(body, "matrix", "a query_range answer");
  if (!answer) return answer.error();
  const json& result = *answer;
  for (std::size_t i = 0; i < result.size(); ++i) {
    const std::string at = "data.result[" + std::to_string(i) + "]";
    const json& s = result[i];
    if (!s.is_object() || !s.contains("metric") || !s["metric"].is_object() ||
        !s.contains("values") || !s["values"].is_array())
      return answer_error(at, "expected {metric: {...}, values: [...]}");
    std::map<std::string, std::string> labels;
    for (const auto& [k, v] : s["metric"].items()) {
      if (!v.is_string()) return answer_error(at + ".metric." + k, "expected a string");
      if (k != "__name__" && k != "alertstate") labels[k] = v.get<std::string>();
    }
    auto& times = acc[labels];
    const json& values = s["values"];
    for (std::size_t k = 0; k < values.size(); ++k) {
      const json& p = values[k];
      if (!p.is_array() || p.size() != 2 || !p[0].is_number())
        return answer_error(at + ".values[" + std::to_string(k) + "]",
                            "expected [unix seconds, \"value\"]");
      const double secs = p[0].get<double>();
      if (!std::isfinite(secs) || secs < 0 || secs > 1e11)
        return answer_error(at + ".values[" + std::to_string(k) + "]", "time out of range");
      times.push_back(static_cast<std::int64_t>(std::llround(secs * kMsPerSecond)));
    }
  }
  return core::Ok{};
}

history::History history_from_samples(const SeriesSamples& samples, const PrometheusRange& range) {
  history::History h;
  h.sources.push_back("prometheus:" + range.url);
  h.from = range.from;
  h.until = range.until;
  const std::int64_t step =
      std::chrono::duration_cast<std::chrono::milliseconds>(range.step).count();
  const std::int64_t until = core::to_unix_ms(range.until);
  const live::LabelMapping mapping;
  for (const auto& [labels, raw] : samples) {
    if (raw.empty()) continue;
    std::vector<std::int64_t> times = raw;
    std::sort(times.begin(), times.end());
    times.erase(std::unique(times.begin(), times.end()), times.end());
    history::Alert a;
    a.labels = labels;
    a.fingerprint = label_fingerprint(labels);
    // (a.labels, not the structured binding: clang before 16 cannot capture one.)
    auto get = [&a](const std::vector<std::string>& keys) {
      for (const auto& k : keys)
        if (auto it = a.labels.find(k); it != a.labels.end() && !it->second.empty())
          return it->second;
      return std::string();
    };
    a.alertname = get({"alertname"});
    a.service = get(mapping.service);
    a.ns = get(mapping.ns);
    std::size_t begin = 0;
    for (std::size_t i = 1; i <= times.size(); ++i) {
      if (i < times.size() && times[i] - times[i - 1] <= step) continue;
      const std::int64_t last = times[i - 1];
      history::Firing f;
      f.start = core::from_unix_ms(times[begin]);
      if (last + step <= until) f.end = core::from_unix_ms(last + step);
      a.firings.push_back(f);
      begin = i;
    }
    h.alerts.push_back(std::move(a));
  }
  history::normalise(h);
  return h;
}

std::optional<history::History> import_prometheus(const PrometheusRange& range,
                                                  core::Diagnostics& diags) {
  if (range.until <= range.from || range.step <= core::Duration{0}) {
    diags.add(core::Error("the range needs --from before --until and a positive --step"));
    return std::nullopt;
  }
  SeriesSamples samples;
  const core::Duration chunk = range.step * kMaxStepsPerQuery;
  for (core::TimePoint start = range.from; start <= range.until; start += chunk + range.step) {
    const core::TimePoint end = std::min(range.until, start + chunk);
    const std::string url = range.url +
                            "/api/v1/query_range?query=" + live::url_encode(kFiringAlertsQuery) +
                            "&start=" + seconds_text(start) + "&end=" + seconds_text(end) +
                            "&step=" + seconds_text(core::from_unix_ms(0) + range.step);
    auto r = live::http_request({"GET", url, {}, {}}, kPrometheusTimeout);
    if (!r) {
      diags.add(core::Error("Prometheus at " + range.url + " unreachable: " + r.error().message));
      return std::nullopt;
    }
    if (auto ok = add_query_range_response(r->body, samples); !ok) {
      core::Error e = ok.error();
      e.message += " (HTTP " + std::to_string(r->status) + ", " + url + ")";
      diags.add(std::move(e));
      return std::nullopt;
    }
  }
  auto h = history_from_samples(samples, range);
  if (h.alerts.empty()) {
    diags.add(core::Error("Prometheus at " + range.url +
                          " had no firing ALERTS in the range (an empty history is refused: "
                          "nothing would be backtested)"));
    return std::nullopt;
  }
  return h;
}

}  // namespace selfheal::importer
