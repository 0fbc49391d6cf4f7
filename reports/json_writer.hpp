// report.json: the stable, versioned, machine-readable report (docs/report-schema.md).
// Field names never change within a schema_version; new fields may be added. Durations
// are integer milliseconds in fields ending `_ms` (null when the thing never happened),
// ratios and minutes are numbers rounded to 4 decimals, lists are in time order.
// Byte-identical for the same scenario, seed and build.
#pragma once

#include <string>

#include <nlohmann/json.hpp>

#include "scenario/run_result.hpp"

namespace selfheal::reports {

inline constexpr int kReportSchemaVersion = 2;

nlohmann::ordered_json report_json(const scenario::RunResult& r);
/// report_json(r) dumped with 2-space indentation and a trailing newline.
std::string report_json_text(const scenario::RunResult& r);

}  // namespace selfheal::reports
