// `selfheal serve --config FILE`: live::load_serve_config_string. Relative paths resolve
// against the repository's examples/ folder, as for examples/serve.yaml.
#include "fuzz/fuzz_support.hpp"
#include "live/config.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  static const std::string base = selfheal::fuzz::source_dir() + "/examples";
  const std::string yaml(selfheal::fuzz::text(data, size));
  auto load = selfheal::live::load_serve_config_string(yaml, "fuzz.yaml", base);
  if (!load.config) (void)load.diagnostics.describe();
  return 0;
}
