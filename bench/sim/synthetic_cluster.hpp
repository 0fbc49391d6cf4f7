// The synthetic cluster of the bench/sim benchmarks: 200 services (databases and caches at
// the bottom, workers and backend APIs on them, edge APIs on the backends), ~30 faults a day
// of every kind, a campaign and five planned deploys every day. Deterministic in `seed`.
#pragma once

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <string>
#include <unordered_map>
#include <vector>

#include "sim/cluster_spec.hpp"
#include "sim/random.hpp"

namespace selfheal::bench {

using namespace selfheal::sim;
using namespace std::chrono_literals;

/// A deterministic synthetic cluster: databases and caches at the bottom, workers and
/// backend APIs on them, edge APIs on the backends. Replicas are sized for ~65% utilisation
/// at the daily peak.
inline ClusterSpec synthetic_cluster(int services, int days, std::uint64_t seed) {
  Rng rng = Rng::substream(seed, "bench/cluster");
  ClusterSpec c;
  c.ns = "prod";
  c.oncall.direct_page_after = 5min;
  c.oncall.night_response_time = 30min;
  const int n_db = services / 8;
  const int n_cache = services * 3 / 40;
  const int n_worker = services / 5;
  const int n_backend = services / 5;
  const int n_edge = services - n_db - n_cache - n_worker - n_backend;
  std::vector<double> ext;
  auto add = [&](ServiceKind kind, const std::string& name, double rps) {
    ServiceSpec s = service_defaults(kind);
    s.name = name;
    s.traffic.rps = rps;
    c.services.push_back(std::move(s));
    ext.push_back(rps);
  };
  for (int i = 0; i < n_db; ++i)
    add(ServiceKind::kDatabase, "db-" + std::to_string(i), 0);
  for (int i = 0; i < n_cache; ++i) {
    add(ServiceKind::kCache, "cache-" + std::to_string(i), 0);
    c.services.back().depends_on = {"db-" + std::to_string(rng.uniform_int(0, n_db - 1))};
  }
  auto pick_lower = [&](int k, int lo, int hi, std::vector<std::string>& deps) {
    for (int j = 0; j < k; ++j) {
      const auto& name = c.services[static_cast<std::size_t>(rng.uniform_int(lo, hi))].name;
      if (std::find(deps.begin(), deps.end(), name) == deps.end()) deps.push_back(name);
    }
  };
  for (int i = 0; i < n_worker; ++i) {
    add(ServiceKind::kWorker, "worker-" + std::to_string(i), rng.uniform_real(10, 60));
    pick_lower(static_cast<int>(rng.uniform_int(1, 2)), 0, n_db - 1, c.services.back().depends_on);
  }
  const int backend_lo = static_cast<int>(c.services.size());
  for (int i = 0; i < n_backend; ++i) {
    add(ServiceKind::kApi, "backend-" + std::to_string(i), rng.uniform_real(10, 50));
    pick_lower(static_cast<int>(rng.uniform_int(1, 2)), 0, n_db + n_cache - 1,
               c.services.back().depends_on);
  }
  const int backend_hi = static_cast<int>(c.services.size()) - 1;
  for (int i = 0; i < n_edge; ++i) {
    add(ServiceKind::kApi, "edge-" + std::to_string(i), rng.uniform_real(50, 300));
    pick_lower(static_cast<int>(rng.uniform_int(1, 3)), backend_lo, backend_hi,
               c.services.back().depends_on);
    c.services.back().critical = rng.bernoulli(0.3);
  }
  // Size replicas bottom-up from the peak demand (daily peak 1.45x, 10% noise headroom).
  std::vector<double> demand(ext);
  // Names are unique: one lookup per dependency (a scan of every service per dependency
  // made building a 20,000-service cluster take longer than running it for a day).
  std::unordered_map<std::string, std::size_t> index_of;
  for (std::size_t j = 0; j < c.services.size(); ++j)
    index_of.emplace(c.services[j].name, j);
  for (std::size_t i = c.services.size(); i-- > 0;) {
    for (const auto& d : c.services[i].depends_on) {
      demand[index_of.at(d)] += demand[i] * (c.services[i].kind == ServiceKind::kCache ? 0.1 : 1.0);
    }
  }
  for (std::size_t i = 0; i < c.services.size(); ++i) {
    auto& s = c.services[i];
    const double peak = demand[i] * 1.45 * 1.1;
    s.replicas =
        std::max(2, static_cast<int>(std::ceil(peak / (0.65 * s.capacity_rps_per_replica))));
  }

  // Faults: ~30 a day, every kind, at uniformly random times.
  const int n_faults = 30 * days;
  const auto span_ms = static_cast<std::int64_t>(days) * 86'400'000;
  auto target_of = [&](ServiceKind want) {
    for (;;) {
      const auto& s = c.services[static_cast<std::size_t>(
          rng.uniform_int(0, static_cast<std::int64_t>(c.services.size()) - 1))];
      if (s.kind == want) return s.name;
    }
  };
  auto any_app = [&] {
    return rng.bernoulli(0.7) ? target_of(ServiceKind::kApi) : target_of(ServiceKind::kWorker);
  };
  for (int i = 0; i < n_faults; ++i) {
    FaultSpec f;
    f.at = Duration{rng.uniform_int(0, span_ms - 1)};
    const double r = rng.uniform01();
    if (r < 0.15) {
      f.kind = FaultKind::kMemoryLeak;
      f.target = any_app();
      f.duration = Duration{rng.uniform_int(60, 360) * 60'000};  // until the fix ships
    } else if (r < 0.25) {
      f.kind = FaultKind::kCpuHog;
      f.target = target_of(ServiceKind::kApi);
      f.duration = Duration{rng.uniform_int(10, 60) * 60'000};
    } else if (r < 0.40) {
      f.kind = FaultKind::kBadDeploy;
      f.target = target_of(ServiceKind::kApi);
      f.params.crash_loop = rng.bernoulli(0.3);
    } else if (r < 0.48) {
      f.kind = FaultKind::kDependencyOutage;
      f.target = target_of(ServiceKind::kDatabase);
      f.duration = Duration{rng.uniform_int(5, 60) * 60'000};
    } else if (r < 0.58) {
      f.kind = FaultKind::kDependencyDegradation;
      f.target =
          rng.bernoulli(0.5) ? target_of(ServiceKind::kDatabase) : target_of(ServiceKind::kCache);
      f.duration = Duration{rng.uniform_int(10, 90) * 60'000};
    } else if (r < 0.70) {
      f.kind = FaultKind::kTrafficSpike;
      f.target = target_of(ServiceKind::kApi);
      f.params.multiplier = rng.uniform_real(1.5, 4.0);
      f.duration = Duration{rng.uniform_int(15, 90) * 60'000};
    } else if (r < 0.80) {
      f.kind = FaultKind::kPodLoss;
      f.target = any_app();
      f.params.pods = static_cast<int>(rng.uniform_int(1, 3));
    } else if (r < 0.88) {
      f.kind = FaultKind::kConsumerStall;
      f.target = target_of(ServiceKind::kWorker);
      f.duration = Duration{rng.uniform_int(30, 180) * 60'000};
    } else if (r < 0.94) {
      f.kind = FaultKind::kBadFeatureFlag;
      f.target = target_of(ServiceKind::kApi);
      f.duration = Duration{rng.uniform_int(30, 120) * 60'000};
    } else {
      f.kind = FaultKind::kPoisonedCache;
      f.target = target_of(ServiceKind::kCache);
      f.duration = Duration{rng.uniform_int(15, 120) * 60'000};  // entries expire
    }
    c.faults.push_back(std::move(f));
  }
  // Every day: a campaign on an edge API and five planned (good) deploys.
  for (int d = 0; d < days; ++d) {
    const Duration day = std::chrono::hours{24 * d};
    PlannedEventSpec p;
    p.name = "campaign-" + std::to_string(d);
    p.kind = PlannedKind::kMarketingCampaign;
    p.service = target_of(ServiceKind::kApi);
    p.start = day + 10h;
    p.end = day + 12h;
    p.traffic_multiplier = 1.5;
    c.planned.push_back(p);
    for (int k = 0; k < 5; ++k) {
      PlannedEventSpec dw;
      dw.name = "deploy-" + std::to_string(d) + "-" + std::to_string(k);
      dw.kind = PlannedKind::kDeployWindow;
      dw.service = target_of(ServiceKind::kApi);
      dw.start = day + 9h + std::chrono::hours{k};
      dw.end = dw.start + 30min;
      ReleaseSpec rel;
      rel.revision = 0;
      rel.version = "1." + std::to_string(d) + "." + std::to_string(k);
      dw.release = rel;
      c.planned.push_back(dw);
    }
  }
  return c;
}

}  // namespace selfheal::bench
