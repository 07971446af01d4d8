// smartcache tests - fault matrix: a store failing at random under concurrent load.
// SPDX-License-Identifier: MIT
//
// 4 threads of requests for 400 rounds of chaos: invalidations, wall-clock moves (entries go
// stale and refresh on the built-in pool) and a store failing with p = 0.1.
// Checked: every request answered (a value of its key or the compute's own
// exception), counts conserved, every injected failure counted exactly once in
// cache_errors, and an invalidation the store carried out never undone.
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

namespace {

using namespace smartcache_test;
using Inner = smartcache::MemoryStore<std::int64_t>;
using Store = RandomFaultStore<Inner>;
using Cache = smartcache::SmartCache<Store>;

constexpr int threads = 4;
constexpr unsigned chaos_rounds = 400;  // 400 x 4 min of wall time: 26 fresh-to-gone cycles
constexpr int keys = 64;
constexpr int matches = 8;

// Value of key k computed while match m was at version v.
std::int64_t encode(int k, std::uint64_t v) { return static_cast<std::int64_t>(v) * 1000 + k; }
int key_of(std::int64_t value) { return static_cast<int>(value % 1000); }
std::uint64_t version_of(std::int64_t value) { return static_cast<std::uint64_t>(value / 1000); }

struct World {
  smartcache::CacheMetrics metrics;
  FakeWallClock wall;
  std::shared_ptr<Store> store = std::make_shared<Store>();
  std::unique_ptr<Cache> cache;
  // The source of truth per match, and the version every request may rely on:
  // published only after the invalidation that followed the change returned.
  std::atomic<std::uint64_t> truth[matches] = {};
  std::atomic<std::uint64_t> published[matches] = {};
  Answered seen;
  std::atomic<std::uint64_t> stale_after_invalidation{0};

  World() {
    smartcache::Config cfg = pool_config(wall, 2, 64);
    cfg.refresh_retry_backoff = std::chrono::milliseconds(0);
    cache = std::make_unique<Cache>(store, cfg, metrics);
    cache->tag_manager().add_rule("goal", {"btts", "match_result"});
  }

  void request(int k) {
    const int m = k % matches;
    const std::uint64_t floor = published[m].load();
    smartcache::RequestContext ctx{{"match:" + std::to_string(m), k % 2 ? "btts" : "match_result"}, std::nullopt, {}};
    auto* world = this;
    const auto r = seen.answer([&] {
      return cache->get_or_compute(std::to_string(k), [world, k, m] {
        if (coin(0.02)) throw ComputeError{k};
        return encode(k, world->truth[m].load());
      }, ctx);
    });
    if (!r) return;
    if (key_of(r->value) != k) seen.wrong_key.fetch_add(1);
    const bool served = r->strategy == smartcache::Strategy::serve_fresh ||
                        r->strategy == smartcache::Strategy::serve_stale;
    if (served && version_of(r->value) < floor) stale_after_invalidation.fetch_add(1);
  }

  // Moves the wall clock 4 minutes a round (entries go stale after 15 rounds
  // in the standard zone) and every third round changes one match's data,
  // invalidates it, then publishes the new version.
  void chaos() {
    for (unsigned round = 0; round < chaos_rounds; ++round) {
      wall.advance(std::chrono::minutes(4));
      if (round % 3 == 0) {
        const unsigned m = (round / 3) % matches;
        const std::uint64_t v = truth[m].fetch_add(1) + 1;
        cache->invalidate_by_event({"goal", "match:" + std::to_string(m)});
        published[m].store(v);
      }
      std::this_thread::sleep_for(std::chrono::microseconds(200));
    }
  }

  // With the store failing at these rates: the chaos and the requests until
  // it ends; checks every answer and returns the final snapshot.
  smartcache::Stats run(double get_rate, double put_rate, double erase_rate) {
    LogCapture quiet;
    store->get_rate = get_rate;
    store->put_rate = put_rate;
    store->erase_rate = erase_rate;
    std::atomic<bool> stop{false};
    std::thread invalidator([&] {
      chaos();
      stop = true;
    });
    run_threads(threads, [&](int t) {
      for (int i = 0; !stop.load(); ++i) request((i * 7 + t * 13) % keys);
    });
    invalidator.join();
    cache.reset();  // joins the refresh pool: every count is final
    const auto s = metrics.get_stats();
    check_answered(seen, s);
    CHECK(s.cache_errors == store->injected);  // each injected failure is one error
    return s;
  }
};

}  // namespace

TEST_CASE("a store failing at random (p=0.1) on every operation: all answered, every failure counted",
          "[fault][store]") {
  World w;
  // Gets, puts, undo-erases, tag erasures, refresh puts: each failure is one error.
  const auto s = w.run(0.1, 0.1, 0.1);
  CHECK(w.seen.compute_errors > 0);
  CHECK(s.vix_normal == s.total_requests);
  CHECK(w.store->injected > 0);
  CHECK(s.cache_hit_fresh > 0);  // the store still helped
  CHECK(s.cache_hit_stale > 0);
}

TEST_CASE("reads and writes failing at random never bring back what an invalidation erased",
          "[fault][store][invalidation]") {
  World w;
  const auto s = w.run(0.1, 0.1, 0.0);
  CHECK(s.surgical_invalidation > 0);
  CHECK(s.strategy_serve_fresh > 0);
  CHECK(s.strategy_serve_stale > 0);
  CHECK(s.swr_background_success > 0);
  // Every value served from the store after an invalidation returned was
  // computed after the change that invalidation announced.
  CHECK(w.stale_after_invalidation == 0);
}
