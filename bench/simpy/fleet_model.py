#!/usr/bin/python3
"""The bench's synthetic cluster as a SimPy model: the comparison point for selfheal's
simulator speed (bench/README.md "SimPy side by side").

    /usr/bin/python3 bench/simpy/fleet_model.py SERVICES DAYS     # Debian's python3-simpy 2.3

What it models, with selfheal's formulas and constants (sim/traffic.cpp serve/demand_of,
sim/model_constants.hpp), on the same cluster shape as bench/sim/synthetic_cluster.hpp:
  - a scrape tick every 15 s over every service: external demand (daily shape, AR(1)
    noise with triangular innovations), dependents' calls (caches pass on 10%), capacity
    from ready pods, overload errors, upstream errors above their background rate,
    queueing latency, timeouts, CPU, memory, a worker's backlog, the objectives;
  - the telemetry ring (2 h of samples per service) and a chart series (one point per
    tick, folded pairwise once it holds 2,048 points, as the C++ series is);
  - the seven default alert rules with `for` (pending -> firing -> resolved);
  - ~30 faults a day of every kind and the daily campaign as SimPy processes: traffic
    spikes, dependency outages and degradations, CPU hogs, bad feature flags, poisoned
    caches, consumer stalls, pod loss (pods come back after their startup delay), memory
    leaks (OOM kill and restart), bad deploys (a 30% error release until it is fixed).
What it leaves out, so it does LESS work per service-tick than selfheal's world: pods one
by one (Deployment/ReplicaSet controllers, back-off, rollouts, helm releases),
Alertmanager grouping, the on-call person, incident attribution and the timeline's event
texts. The random streams are Python's, seeded: the same kind of run, not the same run.
Prints CPU seconds of the run (construction excluded) and ns per service-tick.
"""
import math
import random
import sys
import time
from collections import deque

from SimPy.Simulation import Process, Simulation, hold

SCRAPE_S = 15.0
RING = 482  # 2 h at 15 s, + 2 (sim/telemetry_ring.hpp)
SERIES_MAX = 2048
PHI = math.exp(-SCRAPE_S * 1000.0 / 60000.0)
PHI_INNOV = math.sqrt(1.0 - PHI * PHI)
TRI = 2.449489742783178
IDLE_CPU, LOAD_CPU, WAIT_SAVING = 0.05, 0.95, 0.7
TIMEOUT_THRESHOLD, TIMEOUT_MS, MAX_LATENCY_MS = 0.01, 1000.0, 30000.0
API, WORKER, DB, CACHE = range(4)
# name, signal index in a sample, threshold, for (s), kinds (None = all)
RULES = [
    ("HighErrorRate", 1, 0.05, 60, None),
    ("HighCPU", 3, 0.85, 300, None),
    ("PodCountDrop", 5, 0.75, 120, None),  # ready ratio, "<"
    ("HighLatency", 2, 1000.0, 300, None),
    ("QueueLag", 6, 1000.0, 300, (WORKER,)),
    ("OOMKilled", 7, 0.0, 0, None),  # increase over 10 min
    ("PodCrashLooping", 8, 2.0, 0, None),  # increase over 10 min
]
WINDOW_TICKS = int(600 / SCRAPE_S)
# A fault's effect on its service while it lasts (the C++ model's default severities); the
# end of the fault sets each field back to 0 (False).
EFFECTS = {
    "cpu-hog": (("hog", 0.6),),
    "bad-deploy": (("rel_err", 0.3),),
    "dependency-outage": (("outage", 1.0),),
    "dependency-degradation": (("degrade_err", 0.2), ("degrade_lat", 400.0)),
    "consumer-stall": (("stall", True),),
    "bad-feature-flag": (("flag", 0.3),),
    "poisoned-cache": (("poison", 0.25),),
}


def daily_shape(t_s):
    h = (t_s % 86400.0) / 3600.0
    return 1.0 + 0.45 * math.sin(2.0 * math.pi * (h - 8.0) / 24.0)


def latency_factor(u):
    rho = min(max(u, 0.0), 0.98)
    return 1.0 + 0.5 * rho / (1.0 - rho)


class Service:
    __slots__ = ("name", "kind", "rps", "replicas", "cap_per", "base_lat", "base_err",
                 "mem_per", "mem_lim", "startup", "slo_err", "slo_p99", "slo_queue",
                 "dependents", "upstreams", "critical", "noise", "noise_sd", "ready", "rel_err",
                 "ext_mult", "outage", "degrade_err", "degrade_lat", "hog", "flag", "poison",
                 "stall", "leak_mb_s", "leaked", "oom", "restarts", "util", "err", "p99",
                 "calls", "cpu", "mem", "queue", "dep_err", "within", "ring", "series",
                 "weight", "fill", "alerts", "prev_err", "prev_p99", "prev_calls")

    def __init__(self, name, kind, rps):
        self.name, self.kind, self.rps = name, kind, rps
        self.replicas, self.cap_per, self.base_lat = 3, 100.0, 50.0
        self.base_err, self.mem_per, self.mem_lim, self.startup = 0.001, 256.0, 512.0, 30.0
        self.slo_err, self.slo_p99, self.slo_queue = 0.01, 0.0, 0.0
        if kind == WORKER:
            self.cap_per, self.base_lat, self.slo_queue = 40.0, 200.0, 5000.0
        elif kind == DB:
            self.replicas, self.cap_per, self.base_lat = 2, 2000.0, 5.0
            self.mem_per, self.mem_lim, self.startup = 2048.0, 4096.0, 60.0
        elif kind == CACHE:
            self.replicas, self.cap_per, self.base_lat = 2, 5000.0, 1.0
            self.mem_per, self.mem_lim = 1024.0, 2048.0
        self.dependents, self.upstreams, self.critical = [], [], False
        self.noise, self.noise_sd = 0.0, 0.0
        self.ext_mult, self.outage, self.degrade_err, self.degrade_lat = 1.0, 0.0, 0.0, 0.0
        self.hog, self.flag, self.poison, self.stall, self.rel_err = 0.0, 0.0, 0.0, False, 0.0
        self.leak_mb_s, self.leaked, self.oom, self.restarts = 0.0, 0.0, 0, 0
        self.util = self.err = self.p99 = self.calls = self.cpu = self.mem = 0.0
        self.queue = self.dep_err = 0.0
        self.prev_err = self.prev_p99 = self.prev_calls = 0.0
        self.within = True
        self.ring = deque(maxlen=RING)
        self.series, self.weight, self.fill = [], 1, 0
        self.alerts = [[-1.0, False] for _ in RULES]  # pending since, firing


def build_cluster(n, days, rng):
    n_db, n_cache = n // 8, n * 3 // 40
    n_worker, n_backend = n // 5, n // 5
    n_edge = n - n_db - n_cache - n_worker - n_backend
    svcs = []
    for i in range(n_db):
        svcs.append(Service("db-%d" % i, DB, 0.0))
    for i in range(n_cache):
        svcs.append(Service("cache-%d" % i, CACHE, 0.0))
        svcs[-1].upstreams.append(rng.randint(0, n_db - 1))

    def pick(s, k, lo, hi):
        for _ in range(k):
            u = rng.randint(lo, hi)
            if u not in s.upstreams:
                s.upstreams.append(u)

    for i in range(n_worker):
        svcs.append(Service("worker-%d" % i, WORKER, rng.uniform(10, 60)))
        pick(svcs[-1], rng.randint(1, 2), 0, n_db - 1)
    lo = len(svcs)
    for i in range(n_backend):
        svcs.append(Service("backend-%d" % i, API, rng.uniform(10, 50)))
        pick(svcs[-1], rng.randint(1, 2), 0, n_db + n_cache - 1)
    hi = len(svcs) - 1
    for i in range(n_edge):
        svcs.append(Service("edge-%d" % i, API, rng.uniform(50, 300)))
        pick(svcs[-1], rng.randint(1, 3), lo, hi)
        svcs[-1].critical = rng.random() < 0.3
    for i, s in enumerate(svcs):
        s.noise_sd = 0.05 if s.rps > 0 else 0.0
        for u in s.upstreams:
            svcs[u].dependents.append(i)
    demand = [s.rps for s in svcs]
    for i in range(len(svcs) - 1, -1, -1):
        for u in svcs[i].upstreams:
            demand[u] += demand[i] * (0.1 if svcs[i].kind == CACHE else 1.0)
    for i, s in enumerate(svcs):
        s.replicas = max(2, math.ceil(demand[i] * 1.45 * 1.1 / (0.65 * s.cap_per)))
        s.ready = s.replicas
    return svcs


class Scraper(Process):
    """The scrape tick: every service's physics, sample, series point and rules."""

    def __init__(self, sim, svcs, rng):
        Process.__init__(self, name="scraper", sim=sim)
        self.svcs, self.rng = svcs, rng
        self.ticks = 0

    def run(self):
        while True:
            self.tick(self.sim.now())
            yield hold, self, SCRAPE_S

    def tick(self, now):
        self.ticks += 1
        svcs = self.svcs
        for s in svcs:
            s.prev_err, s.prev_p99, s.prev_calls = s.err, s.p99, s.calls
        shape = daily_shape(now)
        rnd = self.rng.random
        for s in svcs:
            self.serve(s, shape, rnd, now)
            self.sample(s)
            self.rules(s, now)

    def serve(self, s, shape, rnd, now):
        if s.noise_sd > 0:
            tri = (rnd() + rnd() - 1.0) * TRI
            s.noise = PHI * s.noise + PHI_INNOV * s.noise_sd * tri
        demand = s.rps * shape * max(0.0, 1.0 + s.noise) * s.ext_mult
        svcs = self.svcs
        for d in s.dependents:
            o = svcs[d]
            demand += o.prev_calls * (0.1 if o.kind == CACHE else 1.0)
        dep_ok, up_lat = 1.0, 0.0
        for u in s.upstreams:
            o = svcs[u]
            dep_ok *= 1.0 - min(max((o.prev_err - o.base_err) / (1.0 - o.base_err), 0.0), 1.0)
            up_lat = max(up_lat, o.prev_p99)
        dep_err = 1.0 - dep_ok
        ready = s.ready
        cap = ready * s.cap_per
        unavail = s.outage
        own_ok = ((1.0 - s.base_err) * (1.0 - s.rel_err) * (1.0 - s.flag) * (1.0 - s.poison) *
                  (1.0 - s.degrade_err) * (1.0 - unavail))
        hog_cpu = s.hog if ready > 0 else 0.0
        if s.kind != WORKER:
            if demand <= 0:
                s.util = s.err = s.calls = 0.0
                s.cpu = IDLE_CPU + hog_cpu if ready > 0 else 0.0
                s.p99 = s.base_lat + up_lat
            elif cap <= 0:
                s.util, s.err, s.cpu, s.calls, s.p99 = 1.0, 1.0, 0.0, 0.0, s.base_lat
            else:
                u = demand / cap
                s.util = u
                overload = 1.0 - 1.0 / u if u > 1.0 else 0.0
                s.err = 1.0 - own_ok * (1.0 - overload) * (1.0 - dep_err)
                s.cpu = (IDLE_CPU + LOAD_CPU * min(u, 1.0) * (1.0 - WAIT_SAVING * dep_err) *
                         (1.0 - unavail) + hog_cpu)
                s.calls = demand * (1.0 - overload) * (1.0 - unavail)
                lat = s.base_lat * latency_factor(u) + s.degrade_lat + up_lat
                if dep_err > TIMEOUT_THRESHOLD or unavail > TIMEOUT_THRESHOLD:
                    lat = max(lat, TIMEOUT_MS)
                s.p99 = min(lat, MAX_LATENCY_MS)
        else:
            if s.stall:
                cap = 0.0
            processed = min(cap, demand + s.queue / SCRAPE_S)
            s.queue = max(0.0, s.queue + (demand - processed) * SCRAPE_S)
            s.util = processed / cap if cap > 0 else (1.0 if demand > 0 else 0.0)
            s.err = 1.0 - own_ok * (1.0 - dep_err) if processed > 0 else 0.0
            s.cpu = IDLE_CPU + LOAD_CPU * min(s.util, 1.0) + hog_cpu if ready > 0 else 0.0
            s.calls = processed * (1.0 - unavail)
            lat = s.base_lat * latency_factor(s.util) + s.degrade_lat + up_lat
            if dep_err > TIMEOUT_THRESHOLD:
                lat = max(lat, TIMEOUT_MS)
            s.p99 = min(lat, MAX_LATENCY_MS)
        s.dep_err = dep_err
        base_mem = s.mem_per * (0.85 + 0.15 * min(1.0, s.util))
        if s.leak_mb_s > 0:
            s.leaked += s.leak_mb_s * SCRAPE_S
            if base_mem + s.leaked > s.mem_lim:  # OOM kill: the container restarts
                s.oom += 1
                s.restarts += 1
                s.leaked = 0.0
                s.ready = max(0, s.ready - 1)
                ret = PodReturn(self.sim, s, 1)
                self.sim.activate(ret, ret.run())
        s.mem = (base_mem + s.leaked) / s.mem_lim
        s.within = not (s.err > s.slo_err or (s.slo_p99 > 0 and s.p99 > s.slo_p99) or
                        (s.slo_queue > 0 and s.queue > s.slo_queue))

    def sample(self, s):
        smp = (s.calls, s.err, s.p99, s.cpu, s.mem, s.ready / s.replicas, s.queue, s.oom,
               s.restarts, s.dep_err)
        s.ring.append(smp)
        # A point stands for `weight` samples: fill the last one (a running mean) until it
        # holds them, then start the next; a full series halves (pairwise means), as the C++
        # series does (sim/telemetry.cpp).
        pts = s.series
        if pts and s.fill < s.weight:
            last, w = pts[-1], s.fill
            for k in range(len(smp)):
                last[k] = (last[k] * w + smp[k]) / (w + 1)
            s.fill += 1
            return
        if len(pts) == SERIES_MAX:
            s.series = pts = [[(a + b) / 2 for a, b in zip(pts[i], pts[i + 1])]
                              for i in range(0, len(pts), 2)]
            s.weight *= 2
        pts.append(list(smp))
        s.fill = 1

    def rules(self, s, now):
        smp = s.ring[-1]
        for r, (name, sig, thr, for_s, kinds) in enumerate(RULES):
            if kinds is not None and s.kind not in kinds:
                continue
            if sig >= 7:  # counters: the increase over the window
                old = s.ring[-WINDOW_TICKS][sig] if len(s.ring) >= WINDOW_TICKS else 0
                cond = smp[sig] - old > thr
            elif sig == 5:
                cond = smp[sig] < thr
            else:
                cond = smp[sig] > thr
            st = s.alerts[r]
            if cond:
                if st[0] < 0:
                    st[0] = now
                if not st[1] and now - st[0] >= for_s:
                    st[1] = True
            elif st[0] >= 0:
                st[0], st[1] = -1.0, False


class PodReturn(Process):
    """Pods lost (node loss, OOM kill) come back after the service's startup delay."""

    def __init__(self, sim, s, pods):
        Process.__init__(self, name="pod", sim=sim)
        self.s, self.pods = s, pods

    def run(self):
        yield hold, self, self.s.startup
        self.s.ready = min(self.s.replicas, self.s.ready + self.pods)


class Fault(Process):
    """One fault: its effect from `at` for `duration` seconds (a bad deploy: 2 h, its fix)."""

    def __init__(self, sim, s, kind, at, duration, param):
        Process.__init__(self, name=kind, sim=sim)
        self.s, self.kind, self.at, self.duration, self.param = s, kind, at, duration, param

    def run(self):
        yield hold, self, self.at
        s, k = self.s, self.kind
        if k == "pod-loss":
            lost = min(self.param, s.ready)
            s.ready -= lost
            ret = PodReturn(self.sim, s, lost)
            self.sim.activate(ret, ret.run())
            return
        if k in ("traffic-spike", "campaign"):
            s.ext_mult *= self.param
        elif k == "memory-leak":  # fills the headroom in 20 minutes (the C++ default)
            s.leak_mb_s = (s.mem_lim - s.mem_per) / (20 * 60.0)
        else:
            for field, value in EFFECTS[k]:
                setattr(s, field, value)
        yield hold, self, self.duration
        if k in ("traffic-spike", "campaign"):
            s.ext_mult /= self.param
        elif k == "memory-leak":
            s.leak_mb_s, s.leaked = 0.0, 0.0
        else:
            for field, value in EFFECTS[k]:
                setattr(s, field, False if value is True else 0.0)


def schedule_faults(sim, svcs, days, rng):
    by_kind = {k: [s for s in svcs if s.kind == k] for k in (API, WORKER, DB, CACHE)}

    def app():
        return rng.choice(by_kind[API]) if rng.random() < 0.7 else rng.choice(by_kind[WORKER])

    span = days * 86400.0
    for _ in range(30 * days):
        at, r = rng.uniform(0, span), rng.random()
        if r < 0.15:
            f = (app(), "memory-leak", rng.randint(60, 360) * 60.0, 0)
        elif r < 0.25:
            f = (rng.choice(by_kind[API]), "cpu-hog", rng.randint(10, 60) * 60.0, 0)
        elif r < 0.40:
            f = (rng.choice(by_kind[API]), "bad-deploy", 7200.0, 0)
        elif r < 0.48:
            f = (rng.choice(by_kind[DB]), "dependency-outage", rng.randint(5, 60) * 60.0, 0)
        elif r < 0.58:
            f = (rng.choice(by_kind[DB] + by_kind[CACHE]), "dependency-degradation",
                 rng.randint(10, 90) * 60.0, 0)
        elif r < 0.70:
            f = (rng.choice(by_kind[API]), "traffic-spike", rng.randint(15, 90) * 60.0,
                 rng.uniform(1.5, 4.0))
        elif r < 0.80:
            f = (app(), "pod-loss", 0.0, rng.randint(1, 3))
        elif r < 0.88:
            f = (rng.choice(by_kind[WORKER]), "consumer-stall", rng.randint(30, 180) * 60.0, 0)
        elif r < 0.94:
            f = (rng.choice(by_kind[API]), "bad-feature-flag", rng.randint(30, 120) * 60.0, 0)
        else:
            f = (rng.choice(by_kind[CACHE]), "poisoned-cache", rng.randint(15, 120) * 60.0, 0)
        p = Fault(sim, f[0], f[1], at, f[2], f[3])
        sim.activate(p, p.run())
    for d in range(days):
        p = Fault(sim, rng.choice(by_kind[API]), "campaign", d * 86400.0 + 36000.0, 7200.0, 1.5)
        sim.activate(p, p.run())


def main():
    if len(sys.argv) not in (3, 4):
        sys.exit("usage: fleet_model.py SERVICES DAYS")
    n, days = int(sys.argv[1]), int(sys.argv[2])
    rng = random.Random(42)
    sim = Simulation()
    sim.initialize()
    svcs = build_cluster(n, days, rng)
    scraper = Scraper(sim, svcs, rng)
    sim.activate(scraper, scraper.run())
    schedule_faults(sim, svcs, days, rng)
    c0 = time.process_time()
    sim.simulate(until=days * 86400.0 - 1e-6)
    cpu = time.process_time() - c0
    firing = sum(1 for s in svcs for a in s.alerts if a[1])
    if "-v" in sys.argv:
        for s in svcs:
            for r, a in enumerate(s.alerts):
                if a[1]:
                    print(s.name, RULES[r][0], "util=%.2f p99=%.0f err=%.3f" % (s.util, s.p99, s.err))
    print("services=%d days=%d ticks=%d cpu_s=%.3f ns_per_service_tick=%.1f firing_at_end=%d"
          % (n, days, scraper.ticks, cpu, cpu * 1e9 / (scraper.ticks * n), firing))


if __name__ == "__main__":
    main()
