// SmartCache invalidation: by event through the TagManager, full, and the race guard.
#include <atomic>
#include <chrono>
#include <string>

#include <smartcache/cache.hpp>
#include <smartcache/stores/memory_store.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/faulty_store.hpp"
#include "support/log_capture.hpp"
#include "support/stats_check.hpp"

using namespace std::chrono_literals;
using smartcache::Event;
using smartcache::MemoryStore;
using smartcache::RequestContext;
using smartcache::Strategy;
using smartcache_test::check_stats;
using H = smartcache_test::Harness<>;
using Counting = smartcache_test::CountingCompute;

namespace {

RequestContext tagged(std::string match, std::string market) {
  return RequestContext{{std::move(match), std::move(market)}, std::nullopt, {}};
}

// match 1 and 2, markets btts / correct_score / corners: 6 keys.
template <class Cache>
void fill(Cache& cache, std::atomic<int>& calls) {
  for (const char* match : {"match:1", "match:2"})
    for (const char* market : {"btts", "correct_score", "corners"})
      (void)cache.get_or_compute(std::string(match) + "/" + market, Counting{&calls, 1}, tagged(match, market));
}

}  // namespace

TEST_CASE("invalidate_by_event erases the scope's keys of the affected markets only",
          "[smart_cache][invalidation]") {
  H h;
  auto& cache = h.make();
  cache.tag_manager().add_rule("goal", {"btts", "correct_score"});
  cache.tag_manager().add_rule("corner", {"corners"});
  std::atomic<int> calls{0};
  fill(cache, calls);

  const auto report = cache.invalidate_by_event(Event{"goal", "match:1"});
  CHECK_FALSE(report.full);
  CHECK(report.markets_affected == 2);
  CHECK(report.keys_deleted == 2);
  CHECK(report.markets_preserved == 1);
  CHECK(std::abs(report.cpu_saved_pct - 100.0 / 3.0) < 1e-9);
  CHECK(h.store->size() == 4);
  CHECK_FALSE(h.store->get("match:1/btts", h.wall.now()).has_value());
  CHECK(h.store->get("match:2/btts", h.wall.now()).has_value());
  CHECK(h.store->get("match:1/corners", h.wall.now()).has_value());

  const auto s = h.stats();
  check_stats(s, {{"surgical_invalidation", 1}, {"full_invalidation", 0},
                  {"markets_affected_logical", 2}, {"cache_keys_deleted_actual", 2},
                  {"markets_preserved", 1}});
  CHECK(std::abs(s.avg_cpu_saved_pct - 100.0 / 3.0) < 1e-6);

  SECTION("an empty scope erases the markets in every scope") {
    CHECK(cache.invalidate_by_event(Event{"goal", ""}).keys_deleted == 2);
    CHECK(h.store->size() == 2);
  }
  SECTION("a known type without markets erases nothing") {
    cache.tag_manager().add_rule("throw_in", {});
    CHECK(cache.invalidate_by_event(Event{"throw_in", "match:2"}).keys_deleted == 0);
    CHECK(h.store->size() == 4);
  }
}

TEST_CASE("an unknown event type invalidates everything, with a warning", "[smart_cache][invalidation]") {
  H h;
  auto& cache = h.make();
  cache.tag_manager().add_rule("goal", {"btts", "correct_score"});
  std::atomic<int> calls{0};
  fill(cache, calls);
  smartcache_test::LogCapture logs;
  const auto report = cache.invalidate_by_event(Event{"meteor", "match:1"});
  CHECK(report.full);
  CHECK(report.keys_deleted == 6);
  CHECK(report.markets_affected == 2);  // every known market
  CHECK(h.store->size() == 0);
  CHECK(logs.contains("unknown event type"));
  check_stats(h.stats(), {{"full_invalidation", 1}, {"surgical_invalidation", 0},
                          {"cache_keys_deleted_actual", 6}});
}

TEST_CASE("invalidate_all clears the store and counts a full invalidation", "[smart_cache][invalidation]") {
  H h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  fill(cache, calls);
  CHECK(cache.invalidate_all() == 6);
  CHECK(h.store->size() == 0);
  check_stats(h.stats(), {{"full_invalidation", 1}, {"cache_keys_deleted_actual", 6}});
  CHECK(cache.invalidate_all() == 0);
  CHECK(h.stats().full_invalidation == 2);
}

TEST_CASE("a compute overtaken by an invalidation returns its value but does not store it",
          "[smart_cache][invalidation][race]") {
  H h;
  auto& cache = h.make();
  cache.tag_manager().add_rule("goal", {"btts"});
  auto invalidate_during = [&](Event e) {
    return [&cache, e] {
      (void)cache.invalidate_by_event(e);
      return 5;
    };
  };
  SECTION("matching event") {
    auto r = cache.get_or_compute("k", invalidate_during({"goal", "match:1"}), tagged("match:1", "btts"));
    CHECK(r.value == 5);
    CHECK(r.strategy == Strategy::compute);
    CHECK(h.store->size() == 0);
  }
  SECTION("invalidate_all") {
    auto r = cache.get_or_compute(
        "k",
        [&cache] {
          (void)cache.invalidate_all();
          return 5;
        },
        tagged("match:1", "btts"));
    CHECK(r.value == 5);
    CHECK(h.store->size() == 0);
  }
  SECTION("an event of another scope does not stop the store") {
    (void)cache.get_or_compute("k", invalidate_during({"goal", "match:2"}), tagged("match:1", "btts"));
    CHECK(h.store->size() == 1);
  }
  SECTION("an event of another market does not stop the store") {
    cache.tag_manager().add_rule("corner", {"corners"});
    (void)cache.get_or_compute("k", invalidate_during({"corner", "match:1"}), tagged("match:1", "btts"));
    CHECK(h.store->size() == 1);
  }
}

TEST_CASE("a refresh overtaken by an invalidation does not resurrect the entry",
          "[smart_cache][invalidation][race][swr]") {
  H h;
  auto& cache = h.make();
  cache.tag_manager().add_rule("goal", {"btts"});
  std::atomic<int> calls{0};
  const auto ctx = smartcache_test::golden_context(h.wall, {"match:1", "btts"});
  (void)cache.get_or_compute("k", Counting{&calls, 1}, ctx);
  h.wall.advance(61s);

  SECTION("invalidated while queued: the refresh is skipped") {
    (void)cache.get_or_compute("k", Counting{&calls, 2}, ctx);  // queues the refresh
    (void)cache.invalidate_by_event({"goal", "match:1"});
    CHECK(h.exec.run_all() == 1);
    CHECK(calls == 1);
    CHECK(h.store->size() == 0);
    CHECK(cache.refreshes_pending() == 0);
  }
  SECTION("invalidated while computing: the result is dropped") {
    (void)cache.get_or_compute(
        "k",
        [&cache] {
          (void)cache.invalidate_by_event({"goal", "match:1"});
          return 2;
        },
        ctx);
    CHECK(h.exec.run_all() == 1);
    CHECK(h.store->size() == 0);
    CHECK(h.stats().swr_background_success == 1);
  }
  SECTION("an unrelated invalidation lets the refresh store") {
    (void)cache.get_or_compute("k", Counting{&calls, 2}, ctx);
    (void)cache.invalidate_by_event({"goal", "match:2"});
    CHECK(h.exec.run_all() == 1);
    CHECK(h.store->get("k", h.wall.now())->value == 2);
  }
  // Whatever happened, the next request after an invalidation computes.
  auto r = cache.get_or_compute("k", Counting{&calls, 9}, ctx);
  CHECK((r.value == 9 || r.value == 2));
}

TEST_CASE("a store failing to invalidate is counted and logged, never thrown",
          "[smart_cache][invalidation][faults]") {
  using Store = smartcache_test::FaultyStore<MemoryStore<int>>;
  smartcache_test::Harness<Store> h;
  auto& cache = h.make();
  cache.tag_manager().add_rule("goal", {"btts"});
  std::atomic<int> calls{0};
  fill(cache, calls);
  h.store->fail_erase_tagged = true;
  h.store->fail_clear = true;
  smartcache_test::LogCapture logs;
  smartcache::InvalidationReport report;
  CHECK_NOTHROW(report = cache.invalidate_by_event({"goal", "match:1"}));
  CHECK(report.keys_deleted == 0);
  CHECK_NOTHROW(cache.invalidate_all());
  check_stats(h.stats(), {{"cache_errors", 2}, {"surgical_invalidation", 1},
                          {"full_invalidation", 1}});
  CHECK(logs.contains("store failed to invalidate"));
}
