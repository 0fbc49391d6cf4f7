// The live server for the webhook benchmark: loads a serve config (dry-run forced), listens
// on a free port, prints "listening on 127.0.0.1:<port>", runs until SIGINT/SIGTERM.
#include <signal.h>

#include <iostream>

#include "engine/policy_loader.hpp"
#include "live/config.hpp"
#include "live/service.hpp"

int main(int argc, char** argv) {
  using namespace selfheal;
  if (argc != 2) {
    std::cerr << "usage: bench_live_server SERVE_CONFIG\n";
    return 2;
  }
  auto loaded = live::load_serve_config(argv[1]);
  if (!loaded.config) {
    std::cerr << loaded.diagnostics.describe();
    return 2;
  }
  auto& config = *loaded.config;
  config.port = 0;
  auto policies = engine::load_policy_file(config.policies_file);
  if (!policies.policies) {
    std::cerr << policies.diagnostics.describe();
    return 2;
  }
  sigset_t stop;
  sigemptyset(&stop);
  sigaddset(&stop, SIGINT);
  sigaddset(&stop, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop, nullptr);
  auto svc = live::LiveService::create(config, std::move(*policies.policies), /*dry_run=*/true);
  if (!svc) {
    std::cerr << svc.error().describe() << "\n";
    return 2;
  }
  auto port = (*svc)->start();
  if (!port) {
    std::cerr << port.error().describe() << "\n";
    return 2;
  }
  std::cout << "bench_live_server: listening on 127.0.0.1:" << *port << std::endl;
  int sig = 0;
  sigwait(&stop, &sig);
  (*svc)->stop();
  return 0;
}
