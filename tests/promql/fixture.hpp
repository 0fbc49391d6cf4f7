// Shared by the promql tests: a clock origin, series builders and a one-line rendering of a
// result so a case can assert on the whole answer at once.
#pragma once

#include <cmath>
#include <sstream>
#include <string>

#include "promql/promql.hpp"

namespace selfheal::promql::test {

using namespace std::chrono_literals;

/// The origin of every fixture's time axis (2023-11-14T22:13:20Z).
inline const core::TimePoint kT0 = core::from_unix_ms(1'700'000'000'000);

inline core::TimePoint at(core::Duration d) {
  return kT0 + d;
}

/// `name{k="v",...}` from alternating key/value strings.
inline Labels labels(std::string name,
                     std::initializer_list<std::pair<std::string, std::string>> kv) {
  Labels l;
  if (!name.empty()) l.push_back({"__name__", std::move(name)});
  for (const auto& [k, v] : kv)
    l.push_back({k, v});
  sort_labels(l);
  return l;
}

/// Samples every `step` from `start`, values from `values`.
inline std::vector<Sample> every(core::Duration start, core::Duration step,
                                 std::vector<double> values) {
  std::vector<Sample> out;
  for (std::size_t i = 0; i < values.size(); ++i)
    out.push_back({at(start + step * static_cast<std::int64_t>(i)), values[i]});
  return out;
}

inline std::string num(double v) {
  if (std::isnan(v)) return "NaN";
  if (std::isinf(v)) return v > 0 ? "+Inf" : "-Inf";
  std::ostringstream o;
  o.precision(12);
  o << v;
  return o.str();
}

/// "scalar 3" or "a{x=\"1\"} 2 | b 1" (vector elements in label order), or "error: ...".
inline std::string render(const core::Result<Value>& r) {
  if (!r) return "error: " + r.error().message;
  if (r->kind == Value::Kind::kScalar) return "scalar " + num(r->scalar);
  std::string out;
  for (const auto& s : r->vector) {
    if (!out.empty()) out += " | ";
    out += format_labels(s.labels) + " " + num(s.value);
  }
  return out;
}

/// Parses and evaluates `q` at `t` over `src`; a parse error renders as "parse error: ...".
inline std::string eval(const SeriesSource& src, std::string_view q, core::TimePoint t) {
  auto e = parse(q);
  if (!e) return "parse error: " + e.error().message;
  return render(evaluate(*e, src, t));
}

}  // namespace selfheal::promql::test
