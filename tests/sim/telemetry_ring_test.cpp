// The telemetry ring alone: latest/back addressing across the wrap, the zero sample before
// the first tick kept, and services kept apart.
#include <catch2/catch.hpp>

#include "sim/telemetry_ring.hpp"

using selfheal::sim::model::Sample;
using selfheal::sim::model::TelemetryRing;

TEST_CASE("telemetry ring: back(n) is n ticks before the latest, zero before the first kept",
          "[sim][telemetry]") {
  TelemetryRing ring;
  ring.reset(/*slots=*/4, /*services=*/2);
  CHECK(ring.filled() == 0);
  for (int tick = 1; tick <= 6; ++tick) {
    ring.advance();
    ring.latest(0).rps = static_cast<float>(tick);
    ring.latest(1).rps = static_cast<float>(100 + tick);
  }
  CHECK(ring.filled() == 4);  // capped at the slots
  CHECK(ring.back(0, 0).rps == 6.0f);
  CHECK(ring.back(0, 1).rps == 5.0f);
  CHECK(ring.back(0, 3).rps == 3.0f);  // the oldest kept, across the wrap
  CHECK(ring.back(1, 2).rps == 104.0f);
  CHECK(ring.back(0, 4).rps == 0.0f);  // older than kept: the zero sample
  CHECK(ring.back(1, 9).cum_oom == 0u);
}

TEST_CASE("telemetry ring: before it is full, ticks before the first read as zero",
          "[sim][telemetry]") {
  TelemetryRing ring;
  ring.reset(8, 1);
  ring.advance();
  ring.latest(0).cum_restarts = 3;
  ring.advance();
  ring.latest(0).cum_restarts = 5;
  CHECK(ring.filled() == 2);
  CHECK(ring.back(0, 0).cum_restarts == 5u);
  CHECK(ring.back(0, 1).cum_restarts == 3u);
  CHECK(ring.back(0, 2).cum_restarts == 0u);
  ring.reset(8, 1);
  CHECK(ring.filled() == 0);
  CHECK(ring.back(0, 0).cum_restarts == 0u);
}
