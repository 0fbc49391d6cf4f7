// `selfheal import alerts --webhook-log FILE`: the bytes are the log (one webhook payload a
// line). importer::import_webhook_stream must answer with a history or located errors; a
// history it returns must survive the history file's own reader (what backtest reads).
#include <sstream>

#include "fuzz/fuzz_support.hpp"
#include "history/history.hpp"
#include "importer/alerts.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  std::istringstream in{std::string(selfheal::fuzz::text(data, size))};
  selfheal::core::Diagnostics diags;
  std::vector<std::string> notes;
  auto h = selfheal::importer::import_webhook_stream(in, "fuzz.log", diags, notes);
  if (!h) return 0;
  const std::string text = selfheal::history::to_json_text(*h);
  selfheal::core::Diagnostics again;
  if (!selfheal::history::parse_history(text, "fuzz.json", again)) __builtin_trap();
  return 0;
}
