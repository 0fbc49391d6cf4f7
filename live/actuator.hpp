// The live Actuator: runs the engine's kubectl/helm argv through CommandExecutor.
//
// - argv[0] "kubectl" / "helm" is replaced by the configured binaries, and the configured
//   context is added (`--context <ctx>` for kubectl, `--kube-context <ctx>` for helm).
// - The target's namespace and name are re-checked as DNS-1123 labels (defence in depth);
//   anything else is refused without running.
// - Dry-run (the default): nothing runs; the result is ok with the exact command in the
//   message, so the decision, the command and the (failing) verification are all audited.
// - Executing: before a scale, `kubectl get deployment/<svc> -n <ns> -o
//   jsonpath={.spec.replicas}` reads the current count, which becomes the undo (scale back);
//   before a Helm rollback, `helm status <svc> -n <ns> -o json` reads the current revision
//   (undo: roll back to it). Restart and the annotation-based actions have no undo.
// - With a DeploymentReader (set_deployment_reader), an action a rollout follows (restart,
//   rollback, scale, feature-flag-disable) reads the Deployment once its command succeeded
//   (`kubectl get deployment/<svc> -n <ns> -o json`) and reports done with that answer
//   installed, so the engine's first look at the rollout is fresh; later looks are prefetched
//   (live/prefetch.hpp). deployment() is not observed in dry-run.
// - Idempotent per request id: a repeated execute of the same id never runs the command
//   again; it gets the first run's result.
// - The result (Callbacks::on_action_done) is always posted to the engine executor, never
//   called re-entrantly; after forget(to) a result owed to `to` is dropped.
// - Durability barrier (set_durability_barrier): called on the engine thread before the
//   first command of an action starts (and before a dry-run result); live mode passes
//   SqliteStore::flush, so the in-flight record the engine saved just before execute() is
//   committed before kubectl runs (a kill -9 at any point then never runs it twice). A
//   barrier that returns false refuses the action (reported as failed, nothing runs).
// - Start gate (CommandExecutor::set_start_gate): a command still queued when the kill
//   switch is engaged is not started. The action is reported failed ("not started: ...",
//   the engine audits it) and the refusal hook (set_refusal_hook; serve pages with it) is
//   called on the engine executor with the request and the reason.
#pragma once

#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <string>
#include <vector>

#include <boost/asio/any_io_executor.hpp>

#include "engine/ports.hpp"
#include "live/config.hpp"
#include "live/deployment_status.hpp"
#include "live/executor.hpp"

namespace selfheal::live {

/// `argv` as it will run: binaries from config, context inserted after the program name.
std::vector<std::string> localize_argv(const std::vector<std::string>& argv,
                                       const KubeConfig& kube);

/// KubeActuator's results owed, as closures posted to the engine executor:
/// `bind(to, id)` is a closure that calls `to.on_action_done(id, result)` unless
/// `forget(to)` ran since. Liveness is per bind-time `to`, not per address: after forget,
/// a new Callbacks at the same address gets fresh closures and the old ones stay dropped.
///
///   Done done = completions.bind(to, request.id);   // in execute()
///   completions.forget(to);                         // in forget()
class Completions {
 public:
  using Done = std::function<void(engine::ActionResult)>;
  Done bind(engine::Callbacks& to, std::uint64_t request_id) {
    auto& alive = live_[&to];
    if (!alive) alive = std::make_shared<char>(0);
    return [&to, request_id, w = std::weak_ptr<char>(alive)](engine::ActionResult r) {
      if (!w.expired()) to.on_action_done(request_id, std::move(r));
    };
  }
  void forget(const engine::Callbacks& to) { live_.erase(&to); }

 private:
  std::map<const engine::Callbacks*, std::shared_ptr<char>> live_;
};

class KubeActuator final : public engine::Actuator {
 public:
  KubeActuator(KubeConfig kube, bool dry_run, CommandExecutor& executor,
               boost::asio::any_io_executor engine_executor);
  void execute(const engine::ActionRequest& request, engine::Callbacks& to) override;
  /// Results still owed to `to` are dropped (the commands run on).
  void forget(engine::Callbacks& to) override { completions_.forget(to); }
  /// The prefetched rollout of `target` (DeploymentReader::status); not observed in dry-run
  /// (nothing changed, nothing to wait for) or without a reader.
  engine::DeploymentStatus deployment(const engine::ServiceRef& target) override;
  void set_deployment_reader(DeploymentReader* reader) { reader_ = reader; }
  bool dry_run() const { return dry_run_; }
  void set_durability_barrier(std::function<bool()> barrier) { barrier_ = std::move(barrier); }
  using RefusalHook = std::function<void(const engine::ActionRequest&, const std::string& why)>;
  void set_refusal_hook(RefusalHook hook) { refused_ = std::move(hook); }
  /// Every command line actually started (not in dry-run), for tests and logs.
  const std::vector<std::vector<std::string>>& started() const { return started_; }

 private:
  void finish(std::uint64_t id, engine::ActionResult result);
  // Runs the action's command; `undo` is what the result offers to roll it back.
  void run(const engine::ActionRequest& request, const std::vector<std::string>& argv,
           std::optional<engine::ActionSpec> undo);
  // Read what the undo needs (the replica count; the helm revision), then run().
  void scale_then_run(const engine::ActionRequest& request, const std::vector<std::string>& argv);
  void rollback_then_run(const engine::ActionRequest& request,
                         const std::vector<std::string>& argv);
  void post(std::function<void(engine::ActionResult)> done, engine::ActionResult r);
  /// The start gate refused a command of `request`: reports it failed, calls the hook.
  void refuse(const engine::ActionRequest& request, const std::string& why,
              const std::vector<std::string>& argv);

  KubeConfig kube_;
  bool dry_run_;
  CommandExecutor& exec_;
  boost::asio::any_io_executor engine_ex_;
  std::function<bool()> barrier_;
  RefusalHook refused_;
  DeploymentReader* reader_ = nullptr;
  struct Entry {
    std::optional<engine::ActionResult> result;
    std::vector<std::function<void(engine::ActionResult)>> waiting;
  };
  std::map<std::uint64_t, Entry> requests_;
  Completions completions_;
  std::vector<std::vector<std::string>> started_;
};

}  // namespace selfheal::live
