// Actions rendered as kubectl/helm argv: the exact commands of the seed, and refusal of
// anything that is not a safe name.
#include <catch2/catch.hpp>

#include "engine/engine.hpp"

// Own namespace: the ci presets compile this file together with others (unity build).
namespace render_test {

using namespace selfheal::engine;

namespace {

const ServiceRef kPayment{"prod", "payment-api"};

ActionSpec make(ActionKind k) {
  ActionSpec a;
  a.kind = k;
  return a;
}

std::string cmd(const ServiceRef& t, const ActionSpec& a, int current = 0) {
  return render_command(render_argv(t, a, current));
}

}  // namespace

TEST_CASE("restart renders as kubectl rollout restart", "[render]") {
  CHECK(render_argv(kPayment, make(ActionKind::kRestart)) ==
        std::vector<std::string>{"kubectl", "rollout", "restart", "deployment/payment-api", "-n",
                                 "prod"});
}

TEST_CASE("scale renders the seed's command, absolute or by a bounded factor", "[render]") {
  ActionSpec a = make(ActionKind::kScale);
  a.replicas = 6;
  CHECK(cmd(kPayment, a) == "kubectl scale deployment/payment-api -n prod --replicas=6");

  ActionSpec f = make(ActionKind::kScale);
  f.factor = 2.0;
  f.max_replicas = 10;
  CHECK(cmd(kPayment, f, 3) == "kubectl scale deployment/payment-api -n prod --replicas=6");
  CHECK(cmd(kPayment, f, 7) == "kubectl scale deployment/payment-api -n prod --replicas=10");
  // Unknown current count: refuse rather than guess.
  auto r = render_action(kPayment, f, 0);
  REQUIRE_FALSE(r.ok());
  CHECK(r.error().field == "factor");

  ActionSpec unbounded = make(ActionKind::kScale);
  unbounded.factor = 2.0;
  CHECK_FALSE(render_action(kPayment, unbounded, 3).ok());

  ActionSpec over = make(ActionKind::kScale);
  over.replicas = 30;
  over.max_replicas = 20;
  CHECK_FALSE(render_action(kPayment, over).ok());
}

TEST_CASE("rollback renders helm rollback to the previous release or a revision", "[render]") {
  CHECK(cmd({"prod", "checkout-api"}, make(ActionKind::kRollback)) ==
        "helm rollback checkout-api -n prod");
  ActionSpec r = make(ActionKind::kRollback);
  r.revision = 3;
  CHECK(cmd(kPayment, r) == "helm rollback payment-api 3 -n prod");
  r.revision = 0;
  CHECK_FALSE(render_action(kPayment, r).ok());
}

TEST_CASE("cache purge, flag disable and traffic shift render documented commands", "[render]") {
  CHECK(render_command(render_action(kPayment, make(ActionKind::kCachePurge), 0, 42).value()) ==
        "kubectl annotate deployment/payment-api -n prod --overwrite "
        "selfheal.io/cache-purge=action-42");

  ActionSpec flag = make(ActionKind::kFeatureFlagDisable);
  flag.flag = "new-checkout.v2";
  CHECK(cmd(kPayment, flag) ==
        "kubectl set env deployment/payment-api -n prod FEATURE_NEW_CHECKOUT_V2=false");
  flag.flag = "FEATURE_FAST_PATH";
  CHECK(cmd(kPayment, flag) ==
        "kubectl set env deployment/payment-api -n prod FEATURE_FAST_PATH=false");
  flag.flag = "x;rm -rf /";
  CHECK_FALSE(render_action(kPayment, flag).ok());
  flag.flag = "";
  CHECK_FALSE(render_action(kPayment, flag).ok());

  ActionSpec shift = make(ActionKind::kTrafficShift);
  shift.traffic_share = 0.5;
  shift.to = "eu-west";
  CHECK(cmd(kPayment, shift) ==
        "kubectl annotate service/payment-api -n prod --overwrite "
        "selfheal.io/traffic-shift=eu-west:50");
  shift.traffic_share = 1.5;
  CHECK_FALSE(render_action(kPayment, shift).ok());
}

TEST_CASE("names that are not DNS-1123 labels never reach a command", "[render]") {
  const ActionSpec restart = make(ActionKind::kRestart);
  for (const auto& bad :
       {std::string("Payment-API"), std::string("payment-api; rm -rf /"), std::string("-payment"),
        std::string("payment-"), std::string(""), std::string("payment_api"), std::string(64, 'a'),
        std::string("$(reboot)")}) {
    INFO(bad);
    auto r = render_action({"prod", bad}, restart);
    REQUIRE_FALSE(r.ok());
    CHECK(r.error().field == "service");
    CHECK(render_argv({"prod", bad}, restart).empty());
  }
  auto ns = render_action({"prod ns", "payment-api"}, restart);
  REQUIRE_FALSE(ns.ok());
  CHECK(ns.error().field == "namespace");
  // Helm release names are limited to 53 characters.
  CHECK(render_action({"prod", std::string(60, 'a')}, restart).ok());
  CHECK_FALSE(render_action({"prod", std::string(60, 'a')}, make(ActionKind::kRollback)).ok());
}

TEST_CASE("page is not a command", "[render]") {
  CHECK_FALSE(render_action(kPayment, make(ActionKind::kPage)).ok());
}

}  // namespace render_test
