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
        const auto r = seen.answer([&] {
          return cache->get_or_compute(std::to_string(k), [k] {
            if (coin(0.05)) throw ComputeError{k};
            return k;
          });
        });
        if (r && r->value != k) seen.wrong_key.fetch_add(1);
        if (r && r->strategy == smartcache::Strategy::serve_stale) seen.stale.fetch_add(1);
      }
    });
  }
  later.drain();
  // Tasks taken by the pool may still be running: wait until all are settled.
  // A refresh the watchdog abandoned (the wall clock jumps 70 min a round)
  // holds no slot but still counts its end when it finishes: wait for the
  // counts too, the last step of each refresh.
  CHECK(wait_for([&] { return cache->refreshes_pending() == 0; }, 10s, 1ms));
  const auto ended = [&] {
    const auto st = metrics.get_stats();
    return st.swr_background_success + st.swr_background_error + st.swr_background_dropped;
  };
  CHECK(wait_for([&] { return ended() >= calls->load(); }, 10s, 1ms));

  const auto s = metrics.get_stats();
  check_answered(seen, s);
  CHECK(seen.stale > 0);
  CHECK(calls->load() > 0);
  // Each refresh handed to the executor ends exactly once: stored, failed, or dropped.
  CHECK(s.swr_background_success + s.swr_background_error + s.swr_background_dropped == calls->load());
  CHECK(s.swr_background_dropped > 0);
  CHECK(s.swr_background_success > 0);
  cache.reset();
}
