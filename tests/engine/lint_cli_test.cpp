#include <catch2/catch.hpp>
#include <cstdlib>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <vector>

#include "cli/command.hpp"

namespace cli = selfheal::cli;

namespace {

struct Run {
  int rc;
  std::string out;
  std::string err;
};

Run lint(std::vector<std::string> args) {
  std::vector<const char*> argv{"selfheal", "lint"};
  for (const auto& a : args)
    argv.push_back(a.c_str());
  std::ostringstream out, err;
  int rc = cli::dispatch(static_cast<int>(argv.size()), argv.data(), cli::Io{out, err});
  return {rc, out.str(), err.str()};
}

std::string example(const char* name) {
  const char* d = std::getenv("SELFHEAL_SOURCE_DIR");
  return std::string(d != nullptr ? d : ".") + "/policies/examples/" + name;
}

// A policy file in a fresh temporary directory, removed with the object.
class TempFile {
 public:
  explicit TempFile(const std::string& text) {
    dir_ = std::filesystem::temp_directory_path() /
           ("selfheal-lint-" + std::to_string(reinterpret_cast<std::uintptr_t>(this)));
    std::filesystem::create_directories(dir_);
    path_ = (dir_ / "policy.yaml").string();
    std::ofstream(path_) << text;
  }
  ~TempFile() {
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
  const std::string& path() const { return path_; }

 private:
  std::filesystem::path dir_;
  std::string path_;
};

}  // namespace

TEST_CASE("lint accepts the seed policy and says which default applied", "[lint]") {
  auto r = lint({example("seed.yaml")});
  CHECK(r.rc == 0);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Catch::Contains("seed.yaml:2: remediation_policy: no action named; default "
                                    "for memory-leak applied: restart"));
  CHECK_THAT(r.out, Catch::Contains("seed.yaml: OK: 1 policy (memory-leak)"));
}

TEST_CASE("lint prints every problem as file:line:col: field: message and exits 2", "[lint]") {
  TempFile bad(
      "remediation_policy:\n"
      "  incident_type: memory-leak\n"
      "  confidense_threshold: 0.9\n"
      "  max_attempts: 0\n");
  auto r = lint({example("seed.yaml"), bad.path()});
  CHECK(r.rc == 2);
  CHECK_THAT(r.err,
             Catch::Contains(bad.path() +
                             ":3:3: remediation_policy.confidense_threshold: unknown key "
                             "\"confidense_threshold\"; did you mean \"confidence_threshold\"?"));
  CHECK_THAT(r.err, Catch::Contains(bad.path() + ":4:17: remediation_policy.max_attempts: must "
                                                 "be at least 1, got 0"));
  CHECK_THAT(r.err, Catch::Contains(bad.path() + ": 2 problems"));
  // The valid file is still reported as valid.
  CHECK_THAT(r.out, Catch::Contains("seed.yaml: OK"));
}

TEST_CASE("lint on a missing file exits 2 naming the file", "[lint]") {
  auto r = lint({"/nonexistent/p.yaml"});
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::StartsWith("/nonexistent/p.yaml: no such file"));
}

TEST_CASE("lint without files is a usage error", "[lint]") {
  auto r = lint({});
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains("no policy files"));
}

TEST_CASE("lint --format json reports each file", "[lint]") {
  TempFile bad("remediation_policy:\n  incident_type: cpu-spike\n  action: scale\n");
  auto r = lint({"--format", "json", example("full.yaml"), bad.path()});
  CHECK(r.rc == 2);
  CHECK(r.err.empty());
  CHECK_THAT(r.out, Catch::Contains("\"valid\": false"));
  CHECK_THAT(r.out, Catch::Contains("scale without bounds"));
  CHECK_THAT(r.out, Catch::Contains("\"field\": \"remediation_policy.action\""));
  auto bad_format = lint({"--format", "xml", example("seed.yaml")});
  CHECK(bad_format.rc == 2);
}

TEST_CASE("lint --classifier-model validates a tuned model file", "[lint]") {
  const char* d = std::getenv("SELFHEAL_SOURCE_DIR");
  const std::string shipped = std::string(d != nullptr ? d : ".") + "/engine/classifier_model.yaml";
  auto ok = lint({"--classifier-model", shipped});
  CHECK(ok.rc == 0);
  CHECK_THAT(ok.out, Catch::Contains("OK: classifier model, 8 types, 12 features"));
  TempFile bad(
      "types: [a, b]\n"
      "priors: {a: 0.5, b: 0.5}\n"
      "features:\n"
      "  - name: oom_kills\n"
      "    thresholds: [1]\n"
      "    buckets: [none, some]\n"
      "    likelihood: {a: [0.5, 0.5], b: [1.5, 0.5]}\n");
  auto r = lint({"--classifier-model", bad.path(), example("seed.yaml")});
  CHECK(r.rc == 2);
  CHECK_THAT(r.err, Catch::Contains(bad.path() + ":7:37: features[0].likelihood.b[0]: a "
                                                 "probability must be in (0, 1], got 1.5"));
  CHECK_THAT(r.out, Catch::Contains("seed.yaml: OK"));
}

TEST_CASE("lint suggests the known type for a near-miss incident type", "[lint][types]") {
  TempFile words_swapped(
      "remediation_policies:\n"
      "  - incident_type: cache-poison\n"
      "    action: cache-purge\n");
  auto r = lint({words_swapped.path()});
  CHECK(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("policy.yaml:2: remediation_policies[0].incident_type: "
                                    "`cache-poison` is not a type the built-in classifier "
                                    "produces; only an external classification naming it will "
                                    "match this policy; did you mean \"poisoned-cache\"?"));
  TempFile typo(
      "remediation_policies:\n"
      "  - incident_type: memory-laek\n"
      "    action: restart\n");
  CHECK_THAT(lint({typo.path()}).out, Catch::Contains("did you mean \"memory-leak\"?"));
}

TEST_CASE("lint notes a type only external classifications send", "[lint][types]") {
  TempFile external(
      "remediation_policies:\n"
      "  - incident_type: poisoned-cache\n"
      "    action: cache-purge\n");
  auto r = lint({external.path()});
  CHECK(r.rc == 0);
  CHECK_THAT(r.out, Catch::Contains("`poisoned-cache` is not a type the built-in classifier "
                                    "produces; only an external classification naming it will "
                                    "match this policy\n"));
  TempFile builtin(
      "remediation_policies:\n"
      "  - incident_type: cpu-spike\n"
      "    action: {kind: scale, replicas: 6}\n");
  CHECK_THAT(lint({builtin.path()}).out,
             !Catch::Contains("not a type the built-in classifier produces"));
}
