// Running kubectl for `import cluster --kubectl`. Not live::run_command: that one mixes
// stdout and stderr (right for an action's log), and a kubectl deprecation warning on
// stderr would break the JSON. stdout and stderr go to two private temporary files; the
// wait is bounded by kubectl's own --request-timeout.
#include "importer/kubectl_run.hpp"

#include <fcntl.h>
#include <spawn.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <cstring>
#include <filesystem>

#include "config/file_io.hpp"
#include "config/names.hpp"

extern char** environ;

namespace selfheal::importer {
namespace {

constexpr const char* kObjects = "deployments,statefulsets,services,horizontalpodautoscalers";

// A private temporary file, removed when this goes out of scope.
struct TempFile {
  std::string path;
  int fd = -1;
  TempFile() {
    std::string tmpl =
        (std::filesystem::temp_directory_path() / "selfheal-kubectl-XXXXXX").string();
    fd = ::mkstemp(tmpl.data());
    if (fd >= 0) path = tmpl;
  }
  ~TempFile() {
    if (fd >= 0) ::close(fd);
    if (!path.empty()) ::unlink(path.c_str());
  }
  TempFile(const TempFile&) = delete;
  TempFile& operator=(const TempFile&) = delete;
};

struct Ran {
  int status = 0;
  std::string out, err;
};

core::Result<Ran> run(const std::vector<std::string>& argv) {
  TempFile out, err;
  if (out.fd < 0 || err.fd < 0)
    return core::Error(std::string("cannot create a temporary file: ") + std::strerror(errno));
  std::vector<char*> c;
  std::vector<std::string> args = argv;
  for (auto& a : args)
    c.push_back(a.data());
  c.push_back(nullptr);
  posix_spawn_file_actions_t fa;
  posix_spawn_file_actions_init(&fa);
  posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
  posix_spawn_file_actions_adddup2(&fa, out.fd, 1);
  posix_spawn_file_actions_adddup2(&fa, err.fd, 2);
  pid_t pid = -1;
  // posix_spawnp: argv[0] looked up in PATH unless it contains '/'; never a shell.
  const int rc = ::posix_spawnp(&pid, c[0], &fa, nullptr, c.data(), environ);
  posix_spawn_file_actions_destroy(&fa);
  if (rc != 0)
    return core::Error("could not start " + argv[0] + ": " + std::strerror(rc) +
                       " (is kubectl installed and in PATH?)");
  Ran r;
  while (::waitpid(pid, &r.status, 0) < 0 && errno == EINTR) {
  }
  auto o = config::read_file(out.path, kMaxKubectlOutput);
  if (!o)
    return core::Error(argv[0] + " printed more than " + std::to_string(kMaxKubectlOutput >> 20) +
                       " MiB: " + o.error().message);
  r.out = std::move(o.value());
  if (auto e = config::read_file(err.path, kMaxKubectlOutput)) r.err = std::move(e.value());
  return r;
}

std::string joined(const std::vector<std::string>& argv) {
  std::string s;
  for (const auto& a : argv)
    s += (s.empty() ? "" : " ") + a;
  return s;
}

}  // namespace

core::Result<std::vector<std::string>> kubectl_argv(const KubectlRun& r) {
  std::vector<std::string> argv{
      r.kubectl, "get",  kObjects,
      "-o",      "json", std::string("--request-timeout=") + kKubectlRequestTimeout};
  for (const auto& [what, name] : {std::pair{"--namespace", &r.ns}, {"--context", &r.context}}) {
    if (name->empty()) continue;
    if (const std::string p = config::dns1123_problem(*name); !p.empty())
      return core::Error(std::string(what) + ": " + config::dns1123_message(*name, p));
  }
  if (r.ns.empty())
    argv.push_back("-A");
  else
    argv.insert(argv.end(), {"-n", r.ns});
  if (!r.context.empty()) argv.push_back("--context=" + r.context);
  return argv;
}

std::optional<ImportedCluster> import_cluster_kubectl(const KubectlRun& r,
                                                      core::Diagnostics& diags) {
  auto argv = kubectl_argv(r);
  if (!argv) {
    diags.add(argv.error());
    return std::nullopt;
  }
  const std::string command = joined(*argv);
  auto ran = run(*argv);
  if (!ran) {
    diags.add(core::Error(ran.error().message + " (" + command + ")"));
    return std::nullopt;
  }
  if (!WIFEXITED(ran->status) || WEXITSTATUS(ran->status) != 0) {
    const std::string how = WIFEXITED(ran->status)
                                ? "exited " + std::to_string(WEXITSTATUS(ran->status))
                                : "was killed by signal " + std::to_string(WTERMSIG(ran->status));
    diags.add(core::Error(command + " " + how + ": " + ran->err.substr(0, kStderrQuote)));
    return std::nullopt;
  }
  return import_cluster_text(ran->out, "`" + command + "`", diags, r.ns);
}

}  // namespace selfheal::importer
