// SmartCache stale-while-revalidate: one refresh per key, its outcomes, backoff, executors.
#include <atomic>
#include <chrono>
#include <optional>
#include <string>

#include <smartcache/cache.hpp>
#include <smartcache/stores/memory_store.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/fault_injection.hpp"
#include "support/stats_check.hpp"

using namespace std::chrono_literals;
using smartcache::MemoryStore;
using smartcache::Strategy;
using smartcache_test::check_stats;
using H = smartcache_test::Harness<>;
using Counting = smartcache_test::CountingCompute;
using Throwing = smartcache_test::ThrowingCompute;

namespace {

// Golden zone: 60 s fresh, 60 s stale window.
smartcache::RequestContext golden(const smartcache_test::FakeWallClock& wall) {
  return smartcache_test::golden_context(wall, {"match:1", "btts"});
}

// Stores "k" = 1 in the golden zone (one call of `calls`), then lets it age
// `age` (stale from 60 s); returns the request context.
template <class Fixture>
smartcache::RequestContext stale_k(Fixture& h, std::atomic<int>& calls, std::chrono::seconds age) {
  const auto ctx = golden(h.wall);
  (void)h.cache->get_or_compute("k", Counting{&calls, 1}, ctx);
  h.wall.advance(age);
  return ctx;
}

}  // namespace

TEST_CASE("many stale hits queue one refresh; it stores a fresh value", "[smart_cache][swr]") {
  H h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  const auto ctx = stale_k(h, calls, 90s);
  for (int i = 0; i < 50; ++i) {
    auto r = cache.get_or_compute("k", Counting{&calls, 2}, ctx);
    CHECK(r.strategy == Strategy::serve_stale);
    CHECK(r.value == 1);
  }
  CHECK(h.exec.size() == 1);
  CHECK(cache.refreshes_pending() == 1);
  CHECK(calls == 1);

  h.wall.advance(5s);
  CHECK(h.exec.run_all() == 1);
  CHECK(calls == 2);
  CHECK(cache.refreshes_pending() == 0);
  const auto e = cache.store().get("k", h.wall.now());
  REQUIRE(e.has_value());
  CHECK(e->value == 2);
  CHECK(e->stored_at == h.wall.now());  // the refresh reads the wall clock when it runs
  CHECK(cache.store().tags_of("k") == ctx.tags);

  auto r = cache.get_or_compute("k", Counting{&calls, 3}, ctx);
  CHECK(r.strategy == Strategy::serve_fresh);
  CHECK(r.value == 2);
  check_stats(h.stats(), {{"swr_background_success", 1}, {"swr_background_error", 0},
                          {"swr_background_dropped", 0}, {"swr_served_stale", 50},
                          {"total_requests", 52}});  // the refresh is not a request
}

TEST_CASE("a failed refresh keeps the stale entry and backs off", "[smart_cache][swr]") {
  H h;
  h.cfg.refresh_retry_backoff = 20s;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  const auto ctx = stale_k(h, calls, 61s);
  (void)cache.get_or_compute("k", Throwing{&calls}, ctx);
  CHECK(h.exec.run_all() == 1);
  CHECK(h.stats().swr_background_error == 1);

  // Still served stale, and no refresh before the backoff elapses.
  h.wall.advance(19s);
  auto r = cache.get_or_compute("k", Throwing{&calls}, ctx);
  CHECK(r.strategy == Strategy::serve_stale);
  CHECK(r.value == 1);
  CHECK(h.exec.size() == 0);
  h.wall.advance(1s);
  (void)cache.get_or_compute("k", Counting{&calls, 5}, ctx);
  CHECK(h.exec.size() == 1);
  h.exec.run_all();
  CHECK(cache.get_or_compute("k", Counting{&calls, 6}, ctx).value == 5);
  check_stats(h.stats(), {{"swr_background_error", 1}, {"swr_background_success", 1}});
}

TEST_CASE("a refused or lost refresh is counted as dropped and the request is unaffected",
          "[smart_cache][swr]") {
  H h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  const auto ctx = stale_k(h, calls, 61s);

  SECTION("an executor that throws") {
    h.exec.refuse(true);
    auto r = cache.get_or_compute("k", Counting{&calls, 2}, ctx);
    CHECK(r.strategy == Strategy::serve_stale);
    CHECK(r.value == 1);
    CHECK(h.stats().swr_background_dropped == 1);
    h.exec.refuse(false);
  }
  SECTION("an executor that destroys the task unrun") {
    (void)cache.get_or_compute("k", Counting{&calls, 2}, ctx);
    CHECK(h.exec.size() == 1);
    h.exec.discard_all();
    CHECK(h.stats().swr_background_dropped == 1);
  }
  // The key is not stuck: the next stale hit queues a refresh again.
  CHECK(cache.refreshes_pending() == 0);
  (void)cache.get_or_compute("k", Counting{&calls, 3}, ctx);
  CHECK(h.exec.run_all() == 1);
  CHECK(cache.get_or_compute("k", Counting{&calls, 4}, ctx).value == 3);
  CHECK(calls == 2);
  CHECK(h.stats().swr_background_dropped == 1);
}

TEST_CASE("an inline executor refreshes before the request returns", "[smart_cache][swr]") {
  H h;
  h.cfg.executor = smartcache_test::inline_executor();
  auto& cache = h.make();
  std::atomic<int> calls{0};
  const auto ctx = stale_k(h, calls, 61s);
  auto r = cache.get_or_compute("k", Counting{&calls, 2}, ctx);
  CHECK(r.strategy == Strategy::serve_stale);
  CHECK(r.value == 1);
  CHECK(calls == 2);
  CHECK(cache.get_or_compute("k", Counting{&calls, 3}, ctx).value == 2);
  CHECK(h.stats().swr_background_success == 1);
}

TEST_CASE("the built-in pool drops refreshes when its queue is full", "[smart_cache][swr][pool]") {
  H h;
  h.cfg = smartcache_test::pool_config(h.wall, 1, 1);  // the built-in pool
  auto& cache = h.make();
  std::atomic<int> calls{0};
  const auto ctx = golden(h.wall);

  smartcache_test::Latch release;
  std::atomic<bool> blocked{false};
  auto blocking = [&] {
    blocked = true;
    release.wait();
    return 10;
  };
  for (int i = 0; i < 4; ++i) (void)cache.get_or_compute("k" + std::to_string(i), Counting{&calls, i}, ctx);
  h.wall.advance(61s);
  (void)cache.get_or_compute("k0", blocking, ctx);  // occupies the only worker
  REQUIRE(smartcache_test::wait_for([&] { return blocked.load(); }));
  (void)cache.get_or_compute("k1", Counting{&calls, 11}, ctx);  // fills the queue
  auto r = cache.get_or_compute("k2", Counting{&calls, 12}, ctx);  // dropped
  CHECK(r.strategy == Strategy::serve_stale);
  CHECK(h.stats().swr_background_dropped == 1);
  CHECK(cache.refreshes_pending() == 2);
  release.open();
  CHECK(smartcache_test::wait_for([&] { return cache.refreshes_pending() == 0; }));
  CHECK(h.stats().swr_background_success == 2);
  CHECK(cache.get_or_compute("k1", Counting{&calls, 0}, ctx).value == 11);
}

namespace {

// A MemoryStore with the optional distributed refresh lock of store.hpp.
struct LockingStore : MemoryStore<int> {
  std::atomic<bool> held{false};
  std::atomic<int> unlocks{0};
  std::optional<std::string> try_lock_refresh(std::string_view, std::chrono::milliseconds) {
    bool expected = false;
    if (!held.compare_exchange_strong(expected, true)) return std::nullopt;
    return std::string("token");
  }
  void unlock_refresh(std::string_view, const std::string& token) {
    if (token == "token") ++unlocks;
    held = false;
  }
};
static_assert(smartcache::detail::has_refresh_lock_v<LockingStore>);
static_assert(!smartcache::detail::has_refresh_lock_v<MemoryStore<int>>);

}  // namespace

TEST_CASE("a store's refresh lock makes a refresh skip while another instance holds it",
          "[smart_cache][swr]") {
  smartcache_test::Harness<LockingStore> h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  const auto ctx = stale_k(h, calls, 61s);

  h.store->held = true;  // another instance refreshes this key
  (void)cache.get_or_compute("k", Counting{&calls, 2}, ctx);
  CHECK(h.exec.run_all() == 1);
  CHECK(calls == 1);
  CHECK(cache.get_or_compute("k", Counting{&calls, 2}, ctx).strategy == Strategy::serve_stale);
  const auto s = h.stats();
  CHECK(s.swr_background_success + s.swr_background_error + s.swr_background_dropped == 0);

  h.store->held = false;
  CHECK(h.exec.run_all() == 1);  // the refresh queued by the last request
  CHECK(calls == 2);
  CHECK(h.store->unlocks == 1);
  CHECK_FALSE(h.store->held);
  CHECK(cache.get_or_compute("k", Counting{&calls, 3}, ctx).value == 2);
}
