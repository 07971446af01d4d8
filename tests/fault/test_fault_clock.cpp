// smartcache tests - fault matrix: latency clocks that throw or run backwards,
// wall clocks that jump or throw, all under concurrent load.
// SPDX-License-Identifier: MIT
#include <atomic>
#include <chrono>
#include <cmath>
#include <string>

#include <smartcache/stores/memory_store.hpp>
#include <smartcache/cache.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/exposition_checker.hpp"
#include "support/fault_injection.hpp"
#include "support/log_capture.hpp"

using namespace smartcache_test;
using namespace std::chrono_literals;

namespace {

using Cache = smartcache::SmartCache<smartcache::MemoryStore<int>>;
constexpr int threads = 4;
constexpr int per_thread = 2000;

// Requests from `threads` threads over 50 keys, kickoffs in every zone; checks
// each answer and returns what was seen.
void load(Cache& cache, Answered& seen, const std::function<smartcache::WallTime()>& now) {
  run_threads(threads, [&](int t) {
    for (int i = 0; i < per_thread; ++i) {
      const int k = (i * 11 + t) % 50;
      smartcache::RequestContext ctx;
      ctx.tags = {"match:" + std::to_string(k % 5)};
      ctx.kickoff = now() + std::chrono::minutes(k * 15 - 200);
      const auto r = seen.answer([&] {
        return cache.get_or_compute(std::to_string(k), [k] {
          if (coin(0.01)) throw ComputeError{k};
          return k;
        }, ctx);
      });
      if (r && r->value != k) seen.wrong_key.fetch_add(1);
      if (r && r->age < 0ms) seen.foreign.fetch_add(1);
    }
  });
}

// A cache on the fake wall clock with inline refreshes; a test replaces a
// clock in `cfg`, then run() puts the load through it (kickoffs from the
// undisturbed fake clock), checks every answer and returns the final snapshot.
struct ClockLoad {
  LogCapture quiet;
  smartcache::CacheMetrics metrics;
  FakeWallClock wall;
  smartcache::Config cfg = inline_config(wall);

  smartcache::Stats run() {
    Cache cache(cfg, metrics);
    Answered seen;
    load(cache, seen, wall.fn());
    const auto s = metrics.get_stats();
    CHECK(seen.made == static_cast<std::uint64_t>(threads * per_thread));
    check_answered(seen, s);
    s.for_each([](std::string_view name, double v) {
      INFO(name);
      CHECK(std::isfinite(v));
    });
    return s;
  }
};

}  // namespace

TEST_CASE("a latency clock that throws or runs backwards at random: served, counted, never observed",
          "[fault][clock]") {
  ClockLoad t;
  auto ticks = std::make_shared<std::atomic<std::int64_t>>(1'000'000'000);
  auto faults = std::make_shared<std::atomic<std::uint64_t>>(0);
  t.cfg.latency_clock = [ticks, faults] {
    if (coin(0.1)) {
      faults->fetch_add(1);
      throw std::runtime_error("latency clock failure");
    }
    // Mostly forward by 50 us; one read in ten jumps back 1 ms.
    const std::int64_t step = coin(0.1) ? -1'000'000 : 50'000;
    return std::chrono::steady_clock::time_point(std::chrono::nanoseconds(ticks->fetch_add(step)));
  };
  const auto s = t.run();
  CHECK(faults->load() > 0);
  CHECK(s.latency_unmeasured > 0);
  CHECK(s.latency_samples > 0);
  CHECK(s.latency_samples + s.latency_unmeasured <= s.total_requests);
  CHECK(s.latency_rejected == 0);  // a backwards clock is unmeasured, never a negative sample
  CHECK(s.min_latency_ms >= 0);
  CHECK(check_exposition(t.metrics.to_prometheus()) == std::nullopt);
}

TEST_CASE("a wall clock that jumps hours back and forth: served, zoned once per request, ages never negative",
          "[fault][clock]") {
  ClockLoad t;
  auto jumps = std::make_shared<std::atomic<std::int64_t>>(0);
  t.cfg.wall_clock = [base = t.wall.fn(), jumps] {
    // A random walk of whole hours around the base time (NTP steps, VM resumes).
    if (coin(0.05)) jumps->fetch_add(coin(0.5) ? 3 : -3);
    return base() + std::chrono::hours(jumps->load());
  };
  const auto s = t.run();
  CHECK(s.golden_hour_total == s.total_requests);  // every request zoned exactly once
  CHECK(s.vix_normal == s.total_requests);
  CHECK(s.cache_hit_fresh + s.cache_hit_stale + s.cache_miss == s.total_requests);
}

TEST_CASE("a wall clock that throws at random: served by computing, never cached on a failed read",
          "[fault][clock]") {
  ClockLoad t;
  auto failures = std::make_shared<std::atomic<std::uint64_t>>(0);
  t.cfg.wall_clock = [base = t.wall.fn(), failures] {
    if (coin(0.1)) {
      failures->fetch_add(1);
      throw std::runtime_error("wall clock failure");
    }
    return base();
  };
  const auto s = t.run();
  CHECK(failures->load() > 0);
  // A request whose clock read failed is computed without a zone or a lookup.
  CHECK(s.golden_hour_total < s.total_requests);
  CHECK(s.total_requests - s.golden_hour_total <= failures->load());
  CHECK(s.cache_hit_fresh + s.cache_hit_stale + s.cache_miss == s.golden_hour_total);
}
