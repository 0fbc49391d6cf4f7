// `import cluster --kubectl`: a fake `kubectl` first on PATH records its argv (one argument
// a line) and prints the fixture List, with a warning on stderr as real kubectl may.
#include <unistd.h>
#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>

#include "config/file_io.hpp"
#include "importer/kubectl_run.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace kubectl_run_test {

namespace fs = std::filesystem;
namespace im = selfheal::importer;
using selfheal::core::Diagnostics;

namespace {
const std::string kFixture = std::string(SELFHEAL_IMPORTER_TEST_DATA) + "/kubectl-list.json";

// A directory holding the fake kubectl, put first on PATH for the scope of this object.
class FakeKubectl {
 public:
  explicit FakeKubectl(int exit_code = 0)
      : dir_(fs::temp_directory_path() / ("selfheal-fake-kubectl-" + std::to_string(::getpid()))) {
    fs::create_directories(dir_);
    std::ofstream(dir_ / "kubectl")
        << "#!/bin/sh\n"
        << "for a in \"$@\"; do printf '%s\\n' \"$a\"; done > '" << argv_file().string() << "'\n"
        << "echo 'Warning: autoscaling/v2beta2 HorizontalPodAutoscaler is deprecated' >&2\n"
        << (exit_code == 0 ? "cat '" + kFixture + "'\n"
                           : "echo 'error: You must be logged in to the server' >&2\n")
        << "exit " << exit_code << "\n";
    fs::permissions(dir_ / "kubectl", fs::perms::owner_all);
    const char* path = std::getenv("PATH");
    saved_ = path != nullptr ? path : "";
    ::setenv("PATH", (dir_.string() + ":" + saved_).c_str(), 1);
  }
  ~FakeKubectl() {
    ::setenv("PATH", saved_.c_str(), 1);
    fs::remove_all(dir_);
  }
  FakeKubectl(const FakeKubectl&) = delete;
  FakeKubectl& operator=(const FakeKubectl&) = delete;
  fs::path argv_file() const { return dir_ / "argv"; }
  std::string argv() const {
    auto t = selfheal::config::read_file(argv_file().string());
    return t ? t.value() : std::string("(not run)");
  }

 private:
  fs::path dir_;
  std::string saved_;
};
}  // namespace

TEST_CASE("import cluster --kubectl runs kubectl from PATH with argv only", "[import][kubectl]") {
  FakeKubectl fake;
  Diagnostics d;
  auto c = im::import_cluster_kubectl({"kubectl", "prod", "staging-eu"}, d);
  INFO(d.describe());
  REQUIRE(c);
  CHECK(c->services.size() == 4);
  CHECK_THAT(c->source, Catch::Contains("kubectl get deployments,statefulsets,services,"
                                        "horizontalpodautoscalers -o json"));
  CHECK(fake.argv() ==
        "get\ndeployments,statefulsets,services,horizontalpodautoscalers\n-o\njson\n"
        "--request-timeout=60s\n-n\nprod\n--context=staging-eu\n");

  Diagnostics all;
  REQUIRE(im::import_cluster_kubectl({"kubectl", "", ""}, all));
  CHECK_THAT(fake.argv(), Catch::EndsWith("--request-timeout=60s\n-A\n"));
}

TEST_CASE("import cluster --kubectl: a bad name never reaches kubectl, and its failure is an error",
          "[import][kubectl]") {
  {
    FakeKubectl fake;
    for (const auto& [ns, ctx] : {std::pair<std::string, std::string>{"prod; rm -rf /", ""},
                                  {"prod", "--kubeconfig=/etc/x"},
                                  {"$(id)", ""}}) {
      Diagnostics d;
      CHECK_FALSE(im::import_cluster_kubectl({"kubectl", ns, ctx}, d));
      CHECK_THAT(d.describe(), Catch::Contains("not a DNS-1123 name"));
    }
    CHECK(fake.argv() == "(not run)");
  }
  {
    FakeKubectl failing(1);
    Diagnostics d;
    CHECK_FALSE(im::import_cluster_kubectl({"kubectl", "prod", ""}, d));
    CHECK_THAT(d.describe(), Catch::Contains("exited 1") &&
                                 Catch::Contains("You must be logged in to the server"));
  }
  Diagnostics missing;
  CHECK_FALSE(im::import_cluster_kubectl({"no-such-kubectl-here", "prod", ""}, missing));
  CHECK_THAT(missing.describe(), Catch::Contains("could not start no-such-kubectl-here"));
}

}  // namespace kubectl_run_test
