// smartcache tests - fault matrix: caches destroyed mid-load, with refreshes
// queued on the built-in pool or running on a host pool that outlives them.
// SPDX-License-Identifier: MIT
#include <atomic>
#include <chrono>
#include <string>
#include <thread>

#include <smartcache/stores/memory_store.hpp>
#include <smartcache/cache.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/fault_injection.hpp"
#include "support/log_capture.hpp"

using namespace smartcache_test;
using namespace std::chrono_literals;

namespace {

using Cache = smartcache::SmartCache<smartcache::MemoryStore<int>>;

// Fills 30 keys, makes them stale, then hammers them from 4 threads for a
// moment with a slow refresh compute, so that refreshes are queued and running
// when the load stops. Returns the requests made.
std::uint64_t hammer_stale(Cache& cache, FakeWallClock& wall) {
  for (int k = 0; k < 30; ++k) cache.get_or_compute(std::to_string(k), [k] { return k; });
  wall.advance(90min);
  std::atomic<std::uint64_t> made{0};
  std::atomic<bool> stop{false};
  std::thread timer([&] {
    std::this_thread::sleep_for(20ms);
    stop = true;
  });
  run_threads(4, [&](int t) {
    for (int i = 0; !stop.load(); ++i) {
      const int k = (i + t) % 30;
      made.fetch_add(1);
      cache.get_or_compute(std::to_string(k), [k] {
        std::this_thread::sleep_for(200us);
        return k + 1;
      });
    }
  });
  timer.join();
  return made.load() + 30;
}

}  // namespace

TEST_CASE("a cache destroyed right after load, refreshes queued on its built-in pool", "[fault][lifetime]") {
  LogCapture quiet;
  for (int cycle = 0; cycle < 10; ++cycle) {
    smartcache::CacheMetrics metrics;
    FakeWallClock wall;
    auto cache = std::make_unique<Cache>(pool_config(wall, 1, 16), metrics);
    const std::uint64_t made = hammer_stale(*cache, wall);
    const auto t0 = std::chrono::steady_clock::now();
    cache.reset();  // queued refreshes discarded, the running one waited for
    CHECK(std::chrono::steady_clock::now() - t0 < 5s);
    const auto s = metrics.get_stats();
    CHECK(s.total_requests == made);
    CHECK(strategy_sum(s) == made);
    CHECK(s.swr_background_success + s.swr_background_error + s.swr_background_dropped > 0);
  }
}

TEST_CASE("a cache destroyed while a host pool still runs and holds its refreshes", "[fault][lifetime]") {
  LogCapture quiet;
  HostPool host(2);  // outlives every cache of this test
  for (int cycle = 0; cycle < 10; ++cycle) {
    smartcache::CacheMetrics metrics;
    FakeWallClock wall;
    smartcache::Config cfg;
    cfg.wall_clock = wall.fn();
    HostPool* pool = &host;
    cfg.executor = [pool](std::function<void()> task) { pool->post(std::move(task)); };
    auto cache = std::make_unique<Cache>(cfg, metrics);
    const std::uint64_t made = hammer_stale(*cache, wall);
    cache.reset();  // tasks still queued on the host pool must do nothing now
    host.drain();
    const auto s = metrics.get_stats();
    CHECK(s.total_requests == made);
    CHECK(strategy_sum(s) == made);
  }
  // Tasks that ran after their cache was gone touched nothing freed (ASan, TSan).
}
