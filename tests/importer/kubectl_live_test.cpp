// Runs the real kubectl client (client-side only, no cluster) through
// data/make-kubectl-fixture.sh and imports what it prints. Skipped (exit 77) when kubectl
// is not installed; under SELFHEAL_REQUIRE_E2E=1 (CI) that is a failure instead.
#include <catch2/catch.hpp>
#include <cstdio>
#include <cstdlib>
#include <filesystem>
#include <string>
#include <string_view>

#include "importer/cluster.hpp"

namespace {
constexpr int kSkipExitCode = 77;

std::string find_kubectl() {
  const char* path = std::getenv("PATH");
  std::string p = path ? path : "";
  std::size_t start = 0;
  while (start <= p.size()) {
    const std::size_t end = std::min(p.find(':', start), p.size());
    const auto cand = std::filesystem::path(p.substr(start, end - start)) / "kubectl";
    if (std::filesystem::exists(cand)) return cand.string();
    start = end + 1;
  }
  return {};
}
}  // namespace

TEST_CASE("import cluster reads what the real kubectl client prints", "[import][e2e]") {
  if (find_kubectl().empty()) {
    const char* require = std::getenv("SELFHEAL_REQUIRE_E2E");
    if (require != nullptr && std::string_view(require) == "1")
      FAIL("SELFHEAL_REQUIRE_E2E=1 and kubectl is not installed");
    std::fprintf(stderr, "SKIPPED: kubectl is not installed\n");
    std::exit(kSkipExitCode);
  }
  const std::string script = std::string(SELFHEAL_IMPORTER_TEST_DATA) + "/make-kubectl-fixture.sh";
  FILE* pipe = ::popen(script.c_str(), "r");
  REQUIRE(pipe != nullptr);
  std::string text;
  char buf[4096];
  for (std::size_t n; (n = std::fread(buf, 1, sizeof buf, pipe)) > 0;)
    text.append(buf, n);
  REQUIRE(::pclose(pipe) == 0);
  selfheal::core::Diagnostics d;
  auto c = selfheal::importer::import_cluster_text(text, "kubectl", d);
  INFO(d.describe());
  REQUIRE(c);
  CHECK(c->services.size() == 4);
  CHECK_THAT(selfheal::importer::to_cluster_yaml(*c),
             Catch::Contains("depends_on: [payments-db, session-cache]"));
}
