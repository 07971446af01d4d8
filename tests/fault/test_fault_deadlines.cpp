// smartcache tests - fault matrix: computes that hang past their deadlines,
// caches destroyed while such a compute still runs, and hangs under load.
// SPDX-License-Identifier: MIT
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <smartcache/stores/memory_store.hpp>
#include <smartcache/cache.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/fault_injection.hpp"
#include "support/log_capture.hpp"
#include "support/stats_check.hpp"

using namespace smartcache_test;
using namespace std::chrono_literals;

namespace {

using Store = smartcache::MemoryStore<int>;
using Cache = smartcache::SmartCache<Store>;

// A gate shared by every copy of a compute (the compute pool's included), so
// the test can release computes that outlive the cache which started them.
struct Gate {
  Latch latch;
  std::atomic<int> entered{0};
};

// A compute that waits at `gate` when `hangs`, then returns `value`.
struct MaybeHung {
  std::shared_ptr<Gate> gate;
  int value;
  bool hangs;
  int operator()() const {
    if (hangs) {
      gate->entered.fetch_add(1);
      gate->latch.wait();
    }
    return value;
  }
};

}  // namespace

TEST_CASE("destroying the cache while a timed-out compute still runs", "[fault][deadlines][lifetime]") {
  LogCapture quiet;
  FakeWallClock wall;
  auto store = std::make_shared<Store>();
  auto metrics = std::make_unique<smartcache::CacheMetrics>();
  auto gate = std::make_shared<Gate>();
  smartcache::Config cfg = inline_config(wall);
  cfg.compute_hard_timeout = 5ms;
  cfg.compute_threads = 1;
  cfg.compute_queue = 4;
  auto cache = std::make_unique<Cache>(store, cfg, *metrics);
  const auto ctx = golden_context(wall, {"match:1"});

  CHECK_THROWS_AS(cache->get_or_compute("running", MaybeHung{gate, 1, true}, ctx), smartcache::ComputeTimeout);
  REQUIRE(wait_for([&] { return gate->entered.load() == 1; }));
  // Queued behind it: destroyed unrun with the cache.
  CHECK_THROWS_AS(cache->get_or_compute("queued", MaybeHung{gate, 2, true}, ctx), smartcache::ComputeTimeout);
  CHECK(cache->computes_pending() == 2);

  // The destructor does not wait for the hung compute.
  std::atomic<bool> destroyed{false};
  std::thread destroyer([&] {
    cache.reset();
    destroyed = true;
  });
  const bool bounded = wait_for([&] { return destroyed.load(); }, 10s);
  if (!bounded) gate->latch.open();  // fail, but do not hang
  destroyer.join();
  REQUIRE(bounded);
  metrics.reset();  // what the cache recorded into is gone too

  gate->latch.open();  // the compute finishes after its cache and metrics died
  // The shared state it kept alive goes with it: only the test holds the store then.
  REQUIRE(wait_for([&] { return store.use_count() == 1; }, 10s, 1ms));
  CHECK_FALSE(store->get("running", wall.now()).has_value());  // nothing stored after destruction
  CHECK_FALSE(store->get("queued", wall.now()).has_value());
  CHECK(gate->entered.load() == 1);  // the queued one never ran
}

TEST_CASE("hangs under load with soft and hard timeouts and invalidations: all answered, conserved",
          "[fault][deadlines][stress]") {
  LogCapture quiet;
  FakeWallClock wall;
  smartcache::CacheMetrics metrics;
  smartcache::Config cfg = inline_config(wall);
  cfg.executor = nullptr;  // refreshes on the built-in pool: a hung one must not block a request
  cfg.compute_soft_timeout = 1ms;
  cfg.compute_hard_timeout = 3ms;
  cfg.compute_threads = 3;
  cfg.compute_queue = 4;
  cfg.eager_refresh_threshold = 0.5;
  cfg.refresh_timeout = 1s;
  auto gate = std::make_shared<Gate>();
  Cache cache(cfg, metrics);
  cache.tag_manager().add_rule("goal", {"btts"});

  constexpr int threads = 4;
  constexpr int per_thread = 300;
  std::atomic<std::uint64_t> values{0}, timeouts{0}, other{0};
  run_threads(threads, [&](int t) {
    for (int i = 0; i < per_thread; ++i) {
      const int k = (i * 7 + t) % 12;
      const auto ctx = golden_context(wall, {"match:" + std::to_string(k % 3), k % 2 ? "btts" : "total"});
      try {
        (void)cache.get_or_compute("k" + std::to_string(k), MaybeHung{gate, i, (i + t) % 9 == 0}, ctx);
        values.fetch_add(1);
      } catch (const smartcache::ComputeTimeout&) {
        timeouts.fetch_add(1);
      } catch (...) {
        other.fetch_add(1);
      }
      if (t == 0 && i % 25 == 0) wall.advance(40s);  // entries age: eager, stale, too stale
      if (t == 1 && i % 50 == 0) (void)cache.invalidate_by_event({"goal", "match:1"});
    }
  });
  gate->latch.open();
  REQUIRE(wait_for([&] { return cache.computes_pending() == 0; }, 10s, 1ms));

  const smartcache::Stats s = metrics.get_stats();
  const std::uint64_t made = threads * per_thread;
  CHECK(other.load() == 0);
  CHECK(values.load() + timeouts.load() == made);
  CHECK(s.total_requests == made);
  CHECK(strategy_sum(s) == made);
  // The hangs were felt, and answered in time (a joiner of a refused compute
  // gets its ComputeTimeout without a count of its own).
  CHECK(s.compute_soft_timeouts + s.compute_hard_timeouts > 0);
}
