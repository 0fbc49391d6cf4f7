// The history file `selfheal backtest` reads: history::parse_history; a history it accepts
// must write back to text that reads back to the same text.
#include "fuzz/fuzz_support.hpp"
#include "history/history.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  selfheal::core::Diagnostics diags;
  auto h = selfheal::history::parse_history(std::string(selfheal::fuzz::text(data, size)),
                                            "fuzz.json", diags);
  if (!h) return 0;
  const std::string text = selfheal::history::to_json_text(*h);
  selfheal::core::Diagnostics again;
  auto back = selfheal::history::parse_history(text, "fuzz.json", again);
  if (!back || selfheal::history::to_json_text(*back) != text) __builtin_trap();
  return 0;
}
