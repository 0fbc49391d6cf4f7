// The hot parts (pods, traffic, telemetry, alerting) compiled for the tests of each part
// alone. Their tick-path members (Pods::refresh_due, Traffic::begin_tick and serve,
// Telemetry::record and fold_into, Alerting's quiet() and rule checks) are `inline` and defined in
// the parts' .cpp files, which the library compiles as one unity translation unit with the tick
// (sim/CMakeLists.txt) so that the tick inlines them: an optimised library has no symbol
// for them, and emitting one there would change how the tick is compiled. So the parts are
// compiled once more here, and this object keeps out-of-line copies of those members.
// sim_parts_tests then takes these parts from this object: nothing else it links refers
// to the library's world_parts object, which is never pulled in (were it, the link would
// fail on duplicate symbols, not pick one silently). Compiled alone (not in a unity batch:
// it defines selfheal::sim, not a test namespace).
#include "sim/alerting.cpp"
#include "sim/pods.cpp"
#include "sim/telemetry.cpp"
#include "sim/traffic.cpp"

namespace selfheal::sim {

// Explicit instantiations name private members without access checks, and emit them.
template bool Alerting::check_rules<true>(std::size_t svc, core::TimePoint now);
template bool Alerting::check_rules<false>(std::size_t svc, core::TimePoint now);

namespace {
struct HotPartSymbols {
  decltype(&Pods::refresh) pods_refresh;
  decltype(&Traffic::begin_tick) traffic_begin_tick;
  decltype(&Traffic::serve) traffic_serve;
  decltype(&Telemetry::record) telemetry_record;
  decltype(&Telemetry::fold_into) telemetry_fold_into;
  decltype(&Alerting::quiet) alerting_quiet;
};
// Taking their addresses keeps an out-of-line copy of each.
[[gnu::used]] const HotPartSymbols kHotPartSymbols{&Pods::refresh,        &Traffic::begin_tick,
                                                   &Traffic::serve,       &Telemetry::record,
                                                   &Telemetry::fold_into, &Alerting::quiet};
}  // namespace

}  // namespace selfheal::sim
