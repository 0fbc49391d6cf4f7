// The live side of Actuator::deployment: a Deployment's rollout read with
// `kubectl get deployment/<svc> -n <ns> -o json` (argv, never a shell; the namespace and name
// pass the one DNS-1123 check first), parsed into engine::DeploymentStatus, on which the
// engine applies `kubectl rollout status`'s rule (engine/completion.cpp).
//
// The engine's ports are synchronous, so the read runs before the engine asks: when a
// verification timer of a target that waits for its rollout expires, PrefetchScheduler runs
// read() on a worker (engine::verification_needs names the read as `deployment`), install()s
// the answers on the engine thread, runs the callback, and clear()s them. A read the plan did
// not foresee is not sent blocking: status() answers "not read yet", the engine looks again
// one poll later (defaults::kCompletionPoll), prefetched that time. The first look, right
// when an action reports done, is answered by KubeActuator: it reads the Deployment after
// the action's command and installs that answer around the engine's done callback.
//
//   DeploymentReader reader(config.kube);
//   auto s = reader.read({"prod", "payment-api"});   // worker thread: runs kubectl
//   reader.install({{target, s}});                    // engine thread
//   engine::DeploymentStatus now = reader.status(target);
#pragma once

#include <map>
#include <string>

#include "engine/ports.hpp"
#include "live/config.hpp"
#include "live/executor.hpp"

namespace selfheal::live {

/// `kubectl get deployment -o json` output -> its status; a malformed document or one that
/// is not a Deployment gives `error` set (observed, so the engine keeps waiting).
engine::DeploymentStatus parse_deployment_status(const std::string& json);

class DeploymentReader {
 public:
  explicit DeploymentReader(KubeConfig kube) : kube_(std::move(kube)) {}
  /// The argv of the read, or empty when a name is not a DNS-1123 label.
  std::vector<std::string> argv(const engine::ServiceRef& target) const;
  /// Runs the read (blocking, bounded by kube.timeout). Any thread.
  engine::DeploymentStatus read(const engine::ServiceRef& target) const;
  /// The status a finished read reports (its output parsed, or its failure as `error`).
  static engine::DeploymentStatus status_of(const CommandResult& r);

  using Answers = std::map<engine::ServiceRef, engine::DeploymentStatus>;
  /// Engine thread: the answers the next engine call reads, until clear().
  void install(Answers answers) { answers_ = std::move(answers); }
  void clear() { answers_.clear(); }
  /// Engine thread: the installed answer for `target`, else observed with error "not read
  /// yet" (the engine waits one more poll).
  engine::DeploymentStatus status(const engine::ServiceRef& target) const;

 private:
  KubeConfig kube_;
  Answers answers_;
};

}  // namespace selfheal::live
