// `selfheal import cluster FILE`: the kubectl List JSON. importer::import_cluster_text must
// answer with a cluster or located errors, and the YAML it writes must never throw.
#include "fuzz/fuzz_support.hpp"
#include "importer/cluster.hpp"

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  selfheal::core::Diagnostics diags;
  auto c = selfheal::importer::import_cluster_text(std::string(selfheal::fuzz::text(data, size)),
                                                   "fuzz.json", diags);
  if (c) (void)selfheal::importer::to_cluster_yaml(*c);
  return 0;
}
