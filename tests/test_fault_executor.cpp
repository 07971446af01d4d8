// smartcache tests - fault matrix: a host executor that refuses, drops, delays
// or runs refreshes inline at random, under concurrent load.
// SPDX-License-Identifier: MIT
#include <atomic>
#include <chrono>
#include <string>

#include <smartcache/stores/memory_store.hpp>
#include <smartcache/cache.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/fault_injection.hpp"
#include "support/log_capture.hpp"

using namespace smartcache_test;
using namespace std::chrono_literals;

TEST_CASE("an executor that throws, drops, delays or runs inline: every request answered, "
          "every refresh accounted for exactly once",
          "[fault][executor]") {
  LogCapture quiet;
  smartcache::CacheMetrics metrics;
  FakeWallClock wall;
  HostPool later(2);
  auto calls = std::make_shared<std::atomic<std::uint64_t>>(0);
  smartcache::Config cfg;
  cfg.wall_clock = wall.fn();
  cfg.refresh_retry_backoff = 0ms;
  HostPool* pool = &later;
  cfg.executor = [calls, pool](std::function<void()> task) {
    // In turn: refuse, lose, run inline, run later on another thread.
    const std::uint64_t d = calls->fetch_add(1) % 4;
    if (d == 0) throw std::runtime_error("executor rejects work");  // refused
    if (d == 1) return;                                             // accepted, then lost unrun
    if (d == 2) {
      task();  // inline
      return;
    }
    pool->post(std::move(task));  // later, on another thread
  };
  auto cache = std::make_unique<smartcache::SmartCache<smartcache::MemoryStore<int>>>(cfg, metrics);
  Answered seen;
  for (int round = 0; round < 20; ++round) {
    wall.advance(70min);  // standard zone: everything stored last round is stale now
    run_threads(4, [&](int t) {
      for (int i = 0; i < 200; ++i) {
        const int k = (i + t * 5) % 40;
        seen.made.fetch_add(1);
        try {
          auto r = cache->get_or_compute(std::to_string(k), [k] {
            if (coin(0.05)) throw ComputeError{k};
            return k;
          });
          seen.values.fetch_add(1);
          if (r.value != k) seen.wrong_key.fetch_add(1);
          if (r.strategy == smartcache::Strategy::serve_stale) seen.stale.fetch_add(1);
        } catch (const ComputeError&) {  // fields not read: see fault_injection.hpp
          seen.compute_errors.fetch_add(1);
        } catch (...) {
          seen.foreign.fetch_add(1);
        }
      }
    });
  }
  later.drain();
  // Tasks taken by the pool may still be running: wait until all are settled.
  const auto deadline = std::chrono::steady_clock::now() + 10s;
  while (cache->refreshes_pending() > 0 && std::chrono::steady_clock::now() < deadline)
    std::this_thread::sleep_for(1ms);
  CHECK(cache->refreshes_pending() == 0);

  const auto s = metrics.get_stats();
  CHECK(seen.values + seen.compute_errors == seen.made);
  CHECK(seen.foreign == 0);
  CHECK(seen.wrong_key == 0);
  CHECK(s.total_requests == seen.made);
  CHECK(strategy_sum(s) == s.total_requests);
  CHECK(seen.stale > 0);
  CHECK(calls->load() > 0);
  // Each refresh handed to the executor ends exactly once: stored, failed, or dropped.
  CHECK(s.swr_background_success + s.swr_background_error + s.swr_background_dropped == calls->load());
  CHECK(s.swr_background_dropped > 0);
  CHECK(s.swr_background_success > 0);
  cache.reset();
}
