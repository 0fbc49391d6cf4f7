// Deterministic text formatting shared by every report writer: fixed decimals (never the
// locale, never shortest-round-trip guesses), durations, and escaping for XML/HTML.
//
//   fixed(0.8766, 3)         -> "0.877"
//   minutes(Duration{90000}) -> "1.500"
//   human_duration(Duration{402666}) -> "6m43s"
//   xml_escape("a<b & \"c\"")  -> "a&lt;b &amp; &quot;c&quot;"
#pragma once

#include <string>
#include <string_view>

#include "core/time.hpp"
#include "core/xml.hpp"

namespace selfheal::reports {

/// `v` with exactly `decimals` digits after the point; "-0.000" is printed "0.000".
std::string fixed(double v, int decimals);
/// `v` rounded to `decimals` places, as a double (for JSON numbers that print stably).
double round_to(double v, int decimals);
/// A duration in minutes with 3 decimals.
std::string minutes(core::Duration d);
/// A measured duration as a person reads it (text, Markdown and HTML; JSON keeps exact
/// milliseconds): to the second below an hour, to the minute from an hour on, the smaller
/// unit two digits wide and left out when zero. 402666ms -> "6m43s", 45000ms -> "45s",
/// 4020000ms -> "1h07m", 2h -> "2h", 0 -> "0s", 300ms -> "<1s".
std::string human_duration(core::Duration d);
/// Offset from the scenario start as "+1h05m" (core::format_duration with a sign).
std::string offset(core::Duration d);
/// Escapes & < > " ' for XML and HTML (core/xml.hpp: one escape for every XML writer).
using core::xml_escape;
/// A Markdown table cell: a pipe is escaped (it would split the cell), a newline becomes a
/// space (it would end the row), and an empty cell shows "-".
std::string md_cell(std::string_view s);

}  // namespace selfheal::reports
