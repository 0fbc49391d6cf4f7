// Durations as a person reads them in text, Markdown and HTML (issue 21: "6m42s666ms").
#include <catch2/catch.hpp>

#include "reports/format.hpp"
#include "reports/markdown_writer.hpp"

using selfheal::core::Duration;
using selfheal::reports::human_duration;
using selfheal::reports::opt_duration;

TEST_CASE("human_duration rounds to the second below an hour", "[format]") {
  CHECK(human_duration(Duration{402666}) == "6m43s");  // the p50 of the issue
  CHECK(human_duration(Duration{402499}) == "6m42s");
  CHECK(human_duration(Duration{402500}) == "6m43s");  // half up
  CHECK(human_duration(Duration{45000}) == "45s");
  CHECK(human_duration(Duration{65000}) == "1m05s");
  CHECK(human_duration(Duration{720000}) == "12m");
  CHECK(human_duration(Duration{0}) == "0s");
  CHECK(human_duration(Duration{300}) == "<1s");
  CHECK(human_duration(Duration{59 * 60000 + 59600}) == "1h");  // rounds up into the hour
}

TEST_CASE("human_duration rounds to the minute from an hour on", "[format]") {
  CHECK(human_duration(Duration{67 * 60000 + 10000}) == "1h07m");
  CHECK(human_duration(Duration{67 * 60000 + 31000}) == "1h08m");
  CHECK(human_duration(Duration{2 * 3600000}) == "2h");
  CHECK(human_duration(Duration{26 * 3600000 + 5 * 60000}) == "26h05m");
  CHECK(human_duration(Duration{-65000}) == "-1m05s");
}

TEST_CASE("every writer's duration cell is human_duration", "[format]") {
  CHECK(opt_duration(Duration{402666}) == "6m43s");
  CHECK(opt_duration(std::nullopt) == "-");
}

TEST_CASE("md_cell keeps a table cell one cell: pipes escaped, newlines joined, empty shown -",
          "[reports][format]") {
  CHECK(selfheal::reports::md_cell("a|b") == "a\\|b");
  CHECK(selfheal::reports::md_cell("line one\nline two") == "line one line two");
  CHECK(selfheal::reports::md_cell("") == "-");
  CHECK(selfheal::reports::md_cell("ok") == "ok");
}

TEST_CASE("xml_escape is the one escape of every XML writer (JUnit, HTML, the backtest)",
          "[reports][format]") {
  CHECK(selfheal::core::xml_escape("a<b & \"c\" 'd'") == "a&lt;b &amp; &quot;c&quot; &#39;d&#39;");
  CHECK(selfheal::core::xml_escape(std::string("bell\x07tab\t")) == "bell tab\t");
}
