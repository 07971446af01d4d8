// SmartCache destruction with refreshes queued or running: no use after free, no hang.
#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <thread>

#include <smartcache/cache.hpp>
#include <smartcache/stores/memory_store.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/fault_injection.hpp"

using namespace std::chrono_literals;
using smartcache::CacheMetrics;
using smartcache::MemoryStore;
using smartcache::SmartCache;

namespace {

using Cache = SmartCache<MemoryStore<int>>;
using Counting = smartcache_test::CountingCompute;

using smartcache_test::wait_for;

}  // namespace

TEST_CASE("refreshes queued on a host executor do nothing after the cache is gone",
          "[smart_cache][lifetime]") {
  CacheMetrics metrics;
  smartcache_test::FakeWallClock wall;
  smartcache_test::ManualExecutor exec;
  auto store = std::make_shared<MemoryStore<int>>();
  std::atomic<int> calls{0};
  {
    Cache cache(store, smartcache_test::test_config(wall, exec), metrics);
    const auto golden = smartcache_test::golden_context(wall);
    for (int i = 0; i < 5; ++i) (void)cache.get_or_compute("k" + std::to_string(i), Counting{&calls, 1}, golden);
    wall.advance(61s);
    for (int i = 0; i < 5; ++i) (void)cache.get_or_compute("k" + std::to_string(i), Counting{&calls, 2}, golden);
    CHECK(exec.size() == 5);
  }
  const auto before = metrics.get_stats();
  SECTION("run later") { CHECK(exec.run_all() == 5); }
  SECTION("discarded later") { exec.discard_all(); }
  CHECK(calls == 5);  // no refresh computed
  const auto after = metrics.get_stats();
  CHECK(after.swr_background_success == before.swr_background_success);
  CHECK(after.swr_background_dropped == before.swr_background_dropped);
  CHECK(store->get("k0", wall.now())->value == 1);
}

TEST_CASE("destroying the cache waits for the running refresh and discards the queued ones",
          "[smart_cache][lifetime][pool]") {
  CacheMetrics metrics;
  smartcache_test::FakeWallClock wall;
  auto store = std::make_shared<MemoryStore<int>>();
  std::atomic<int> calls{0};

  smartcache_test::Latch release;
  std::atomic<bool> running{false};
  std::atomic<bool> finished{false};
  auto blocking = [&] {
    running = true;
    release.wait();
    finished = true;
    return 10;
  };

  auto cache = std::make_unique<Cache>(store, smartcache_test::pool_config(wall, 1, 8), metrics);
  const auto golden = smartcache_test::golden_context(wall);
  for (int i = 0; i < 4; ++i) (void)cache->get_or_compute("k" + std::to_string(i), Counting{&calls, 1}, golden);
  wall.advance(61s);
  (void)cache->get_or_compute("k0", blocking, golden);
  REQUIRE(wait_for([&] { return running.load(); }));
  for (int i = 1; i < 4; ++i) (void)cache->get_or_compute("k" + std::to_string(i), Counting{&calls, 2}, golden);

  std::atomic<bool> destroyed{false};
  std::thread destroyer([&] {
    cache.reset();
    destroyed = true;
  });
  std::this_thread::sleep_for(50ms);  // not for correctness: only gives a premature return a chance to show
  CHECK_FALSE(destroyed);
  release.open();
  destroyer.join();
  CHECK(finished);
  CHECK(calls == 4);  // the three queued refreshes never ran
  CHECK(store->get("k0", wall.now())->value == 10);  // the running one completed
  CHECK(store->get("k1", wall.now())->value == 1);
}

TEST_CASE("a cache destroyed with an idle built-in pool joins at once", "[smart_cache][lifetime][pool]") {
  CacheMetrics metrics;
  for (int i = 0; i < 20; ++i) {
    Cache cache(smartcache::Config{}, metrics);
    std::atomic<int> calls{0};
    (void)cache.get_or_compute("k", Counting{&calls, 1});
  }
  CHECK(metrics.get_stats().total_requests == 20);
}
