#include "live/actuator.hpp"

#include <algorithm>

#include <boost/asio/post.hpp>
#include <nlohmann/json.hpp>

#include "engine/data_needs.hpp"
#include "engine/engine.hpp"
#include "live/names.hpp"

namespace selfheal::live {

std::vector<std::string> localize_argv(const std::vector<std::string>& argv,
                                       const KubeConfig& kube) {
  if (argv.empty()) return argv;
  std::vector<std::string> out;
  out.reserve(argv.size() + 2);
  if (argv[0] == "kubectl") {
    out.push_back(kube.kubectl);
    if (!kube.context.empty()) {
      out.push_back("--context");
      out.push_back(kube.context);
    }
  } else if (argv[0] == "helm") {
    out.push_back(kube.helm);
    if (!kube.context.empty()) {
      out.push_back("--kube-context");
      out.push_back(kube.context);
    }
  } else {
    out.push_back(argv[0]);
  }
  out.insert(out.end(), argv.begin() + 1, argv.end());
  return out;
}

KubeActuator::KubeActuator(KubeConfig kube, bool dry_run, CommandExecutor& executor,
                           boost::asio::any_io_executor engine_executor)
    : kube_(std::move(kube)),
      dry_run_(dry_run),
      exec_(executor),
      engine_ex_(std::move(engine_executor)) {}

engine::DeploymentStatus KubeActuator::deployment(const engine::ServiceRef& target) {
  if (dry_run_ || reader_ == nullptr) return {};
  return reader_->status(target);
}

void KubeActuator::post(std::function<void(engine::ActionResult)> done, engine::ActionResult r) {
  boost::asio::post(engine_ex_,
                    [done = std::move(done), r = std::move(r)]() mutable { done(std::move(r)); });
}

void KubeActuator::finish(std::uint64_t id, engine::ActionResult result) {
  auto& e = requests_[id];
  e.result = result;
  auto waiting = std::move(e.waiting);
  e.waiting.clear();
  for (auto& d : waiting)
    d(result);  // already on the engine executor
}

void KubeActuator::refuse(const engine::ActionRequest& request, const std::string& why,
                          const std::vector<std::string>& argv) {
  // started() lists what actually ran: the refused command did not.
  if (auto it = std::find(started_.rbegin(), started_.rend(), argv); it != started_.rend())
    started_.erase(std::next(it).base());
  engine::ActionResult r;
  r.ok = false;
  r.message = "not started: " + why + " (the action was decided before; nothing ran)";
  if (refused_) refused_(request, why);  // first: the in-flight record is still there
  finish(request.id, std::move(r));
}

void KubeActuator::execute(const engine::ActionRequest& request, engine::Callbacks& to) {
  auto done = completions_.bind(to, request.id);
  if (auto it = requests_.find(request.id); it != requests_.end()) {
    if (it->second.result)
      post(std::move(done), *it->second.result);
    else
      it->second.waiting.push_back(std::move(done));
    return;
  }
  auto& entry = requests_[request.id];
  entry.waiting.push_back(std::move(done));
  const auto id = request.id;
  auto fail_now = [&](std::string why) {
    engine::ActionResult r;
    r.ok = false;
    r.message = std::move(why);
    boost::asio::post(engine_ex_, [this, id, r] { finish(id, r); });
  };
  for (const auto* name : {&request.target.ns, &request.target.name}) {
    if (auto p = dns1123_problem(*name); !p.empty())
      return fail_now("refused: \"" + *name + "\" is not a DNS-1123 name: " + p);
  }
  if (request.argv.empty()) return fail_now("refused: the engine rendered no command");
  // Dry-run too: what the audit calls executed must not vanish in a crash either.
  if (barrier_ && !barrier_())
    return fail_now(
        "refused: the in-flight record could not be committed to the state "
        "database, so a restart could run the command again");
  const auto argv = localize_argv(request.argv, kube_);
  const auto shown = engine::render_command(argv);
  if (dry_run_) {
    engine::ActionResult r;
    r.ok = true;
    r.message = "dry-run: not executed: " + shown;
    boost::asio::post(engine_ex_, [this, id, r] { finish(id, r); });
    return;
  }

  switch (request.action.kind) {
    case engine::ActionKind::kScale:
      return scale_then_run(request, argv);
    case engine::ActionKind::kRollback:
      return rollback_then_run(request, argv);
    default:
      return run(request, argv, std::nullopt);
  }
}

void KubeActuator::run(const engine::ActionRequest& request, const std::vector<std::string>& argv,
                       std::optional<engine::ActionSpec> undo) {
  const auto id = request.id;
  started_.push_back(argv);
  exec_.run(argv, request.timeout, [this, id, undo, request, argv](CommandResult c) {
    if (c.refused) return refuse(request, c.output, argv);
    engine::ActionResult r;
    r.ok = c.ok();
    r.message = c.summary() + (c.output.empty() ? "" : ": " + c.output);
    if (r.ok) r.undo = undo;
    if (!r.ok || reader_ == nullptr || !engine::rolls_out(request.action.kind))
      return finish(id, std::move(r));
    // The engine's first look at the rollout comes with the result: read it now.
    auto get = reader_->argv(request.target);
    exec_.run(get, kube_.timeout, [this, id, r, target = request.target](CommandResult g) {
      reader_->install({{target, DeploymentReader::status_of(g)}});
      finish(id, r);
      reader_->clear();
    });
  });
}

void KubeActuator::scale_then_run(const engine::ActionRequest& request,
                                  const std::vector<std::string>& argv) {
  const auto& t = request.target;
  auto get = localize_argv(
      {"kubectl", "get", "deployment/" + t.name, "-n", t.ns, "-o", "jsonpath={.spec.replicas}"},
      kube_);
  started_.push_back(get);
  exec_.run(get, std::min(request.timeout, kube_.timeout),
            [this, request, argv, get](CommandResult c) {
              if (c.refused) return refuse(request, c.output, get);
              if (!c.ok()) {
                engine::ActionResult r;
                r.ok = false;
                r.message = "not scaled: cannot read the current replica count (" + c.summary() +
                            "): " + c.output;
                return finish(request.id, std::move(r));
              }
              std::optional<engine::ActionSpec> undo;
              try {
                engine::ActionSpec back;
                back.kind = engine::ActionKind::kScale;
                back.replicas = std::stoi(c.output);
                undo = back;
              } catch (const std::exception&) {
              }
              run(request, argv, undo);
            });
}

void KubeActuator::rollback_then_run(const engine::ActionRequest& request,
                                     const std::vector<std::string>& argv) {
  const auto& t = request.target;
  auto status = localize_argv({"helm", "status", t.name, "-n", t.ns, "-o", "json"}, kube_);
  started_.push_back(status);
  exec_.run(status, std::min(request.timeout, kube_.timeout),
            [this, request, argv, status](CommandResult c) {
              if (c.refused) return refuse(request, c.output, status);
              std::optional<engine::ActionSpec> undo;
              if (c.ok()) {
                auto j = nlohmann::json::parse(c.output, nullptr, false);
                if (j.is_object() && j.contains("version") && j["version"].is_number_integer()) {
                  engine::ActionSpec back;
                  back.kind = engine::ActionKind::kRollback;
                  back.revision = j["version"].get<int>();
                  undo = back;
                }
              }
              run(request, argv, undo);  // the rollback itself does not depend on knowing the undo
            });
}

}  // namespace selfheal::live
