// PromQL expressions (promql::parse: the `promql:` checks of a policy, a Prometheus rule
// file's `expr`), then promql::evaluate on a tiny fixture. Besides crashes and UB it checks
// the documented contract: an accepted expression evaluates to the kind Expr::type() says,
// and a vector result is sorted by labels with no label set twice.
#include <cstdlib>

#include "fuzz/fuzz_support.hpp"
#include "promql/promql.hpp"

namespace {

using namespace selfheal::promql;
using namespace std::chrono_literals;

const selfheal::core::TimePoint kT0 = selfheal::core::from_unix_ms(1'700'000'000'000);

const MemorySource& fixture() {
  static const MemorySource src = [] {
    MemorySource s;
    for (int i = 0; i < 3; ++i) {
      std::vector<Sample> samples;
      for (int k = 0; k < 20; ++k)
        samples.push_back({kT0 + std::chrono::seconds(15 * k), double(k * (i + 1) % 7)});
      std::string pod = "p-" + std::to_string(i);
      s.add({{"__name__", "m"}, {"pod", pod}, {"svc", i % 2 ? "a" : "b"}}, samples);
      s.add({{"__name__", "up"}, {"pod", pod}}, samples);
      for (const char* le : {"0.1", "1", "+Inf"})
        s.add({{"__name__", "h_bucket"}, {"le", le}, {"pod", pod}}, samples);
    }
    return s;
  }();
  return src;
}

}  // namespace

extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) {
  auto e = parse(selfheal::fuzz::text(data, size));
  if (!e) {
    if (e.error().message.empty()) std::abort();
    return 0;
  }
  for (auto at : {kT0 + 2min, kT0 + 10min}) {
    auto v = evaluate(*e, fixture(), at);
    if (!v) continue;
    bool scalar = v->kind == Value::Kind::kScalar;
    if (scalar != (e->type() == ValueType::kScalar)) std::abort();
    for (std::size_t i = 1; i < v->vector.size(); ++i) {
      if (!(v->vector[i - 1].labels < v->vector[i].labels)) std::abort();
    }
  }
  return 0;
}
