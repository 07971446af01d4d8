// SmartCache request flow: every branch of docs/design.md's flow and the counters it touches.
#include <chrono>
#include <memory>
#include <set>
#include <type_traits>
#include <utility>
#include <string>

#include <smartcache/cache.hpp>
#include <smartcache/stores/memory_store.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/stats_check.hpp"

using namespace std::chrono_literals;
using smartcache::CacheMetrics;
using smartcache::Lookup;
using smartcache::MemoryStore;
using smartcache::RequestContext;
using smartcache::SmartCache;
using smartcache::Strategy;
using smartcache::VixStatus;
using smartcache::Zone;
using smartcache_test::check_stats;

namespace {

using H = smartcache_test::Harness<>;
using Counting = smartcache_test::CountingCompute;

RequestContext with_vix(VixStatus s) { return RequestContext{{}, std::nullopt, {{"feed", s}}}; }

}  // namespace

TEST_CASE("a miss computes and stores, the next request is a fresh hit", "[smart_cache][flow]") {
  H h;
  auto& cache = h.make();
  std::atomic<int> calls{0};

  auto first = cache.get_or_compute("k", Counting{&calls, 7});
  CHECK(first.value == 7);
  CHECK(first.strategy == Strategy::compute);
  CHECK(first.zone == Zone::standard);
  CHECK(first.vix == VixStatus::normal);
  CHECK(first.age == 0ms);
  CHECK(calls == 1);
  CHECK(cache.store().size() == 1);

  h.wall.advance(10s);
  auto second = cache.get_or_compute("k", Counting{&calls, 8});
  CHECK(second.value == 7);
  CHECK(second.strategy == Strategy::serve_fresh);
  CHECK(second.age == 10s);
  CHECK(calls == 1);

  check_stats(h.stats(), {{"total_requests", 2}, {"cache_miss", 1}, {"cache_hit_fresh", 1},
                          {"swr_served_fresh", 1}, {"swr_too_stale", 0}, {"strategy_compute", 1},
                          {"strategy_serve_fresh", 1}, {"vix_normal", 2},
                          {"golden_hour_standard", 2}, {"cache_errors", 0}});
  CHECK(h.exec.size() == 0);
}

TEST_CASE("a disabled cache computes every time and evaluates nothing", "[smart_cache][flow]") {
  H h;
  h.cfg.enabled = false;
  int wall_reads = 0;
  h.cfg.wall_clock = [&wall_reads, w = h.wall.fn()] {
    ++wall_reads;
    return w();
  };
  auto& cache = h.make();
  std::atomic<int> calls{0};
  for (int i = 0; i < 3; ++i) {
    auto r = cache.get_or_compute("k", Counting{&calls, i}, with_vix(VixStatus::panic));
    CHECK(r.value == i);
    CHECK(r.strategy == Strategy::compute);
    CHECK_FALSE(r.zone.has_value());
  }
  CHECK(calls == 3);
  CHECK(wall_reads == 0);
  CHECK(cache.store().size() == 0);
  check_stats(h.stats(), {{"total_requests", 3}, {"strategy_compute", 3}, {"vix_panic_detected", 0},
                          {"vix_warning_detected", 0}, {"vix_normal", 0}, {"cache_bypass_vix", 0},
                          {"cache_miss", 0}, {"cache_hit_fresh", 0}, {"cache_hit_stale", 0},
                          {"golden_hour_standard", 0}});
}

TEST_CASE("VIX panic bypasses the cache: computes, stores nothing, even over a fresh entry",
          "[smart_cache][flow][vix]") {
  H h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  (void)cache.get_or_compute("k", Counting{&calls, 1});  // fresh entry 1
  RequestContext panic{{}, std::nullopt, {{"epl", VixStatus::normal}, {"ucl", VixStatus::panic}}};

  auto r = cache.get_or_compute("k", Counting{&calls, 2}, panic);
  CHECK(r.value == 2);
  CHECK(r.strategy == Strategy::bypass);
  CHECK(r.vix == VixStatus::panic);
  CHECK_FALSE(r.zone.has_value());
  CHECK(calls == 2);
  // The bypass did not overwrite the stored value.
  CHECK(cache.get_or_compute("k", Counting{&calls, 3}).value == 1);
  CHECK(cache.get_or_compute("new", Counting{&calls, 4}, panic).value == 4);
  CHECK(cache.store().size() == 1);

  check_stats(h.stats(), {{"total_requests", 4}, {"strategy_bypass", 2}, {"cache_bypass_vix", 2},
                          {"vix_panic_detected", 2}, {"vix_normal", 2},
                          {"golden_hour_standard", 2},  // panics never reach zone evaluation
                          {"cache_miss", 1}});          // ... nor the store
}

TEST_CASE("VIX warning scales the fresh TTL and stale window", "[smart_cache][flow][vix]") {
  H h;
  h.cfg.vix_warning_factor = 0.25;  // standard zone: 1 h + 1 h -> 15 min + 15 min
  auto& cache = h.make();
  std::atomic<int> calls{0};
  const auto warning = with_vix(VixStatus::warning);

  SECTION("entry stored under a warning") {
    (void)cache.get_or_compute("k", Counting{&calls, 1}, warning);
    const auto e = cache.store().get("k", h.wall.now());
    REQUIRE(e.has_value());
    CHECK(e->fresh_until - e->stored_at == 15min);
    CHECK(e->stale_until - e->fresh_until == 15min + h.cfg.stale_if_error);
    h.wall.advance(15min - 1ms);
    CHECK(cache.get_or_compute("k", Counting{&calls, 2}, warning).strategy == Strategy::serve_fresh);
    h.wall.advance(1ms);
    CHECK(cache.get_or_compute("k", Counting{&calls, 2}, warning).strategy == Strategy::serve_stale);
    h.wall.advance(15min);
    auto r = cache.get_or_compute("k", Counting{&calls, 3}, warning);
    CHECK(r.strategy == Strategy::compute);
    CHECK(r.value == 3);
    CHECK(h.stats().swr_too_stale == 1);
  }
  SECTION("a warning shortens the life of an entry stored before it") {
    (void)cache.get_or_compute("k", Counting{&calls, 1});  // normal: 1 h fresh
    h.wall.advance(20min);
    CHECK(cache.get_or_compute("k", Counting{&calls, 2}).strategy == Strategy::serve_fresh);
    CHECK(cache.get_or_compute("k", Counting{&calls, 2}, warning).strategy == Strategy::serve_stale);
  }
  CHECK(h.stats().vix_warning_detected >= 1);
}

TEST_CASE("zones pick the policy from the wall clock and the kickoff", "[smart_cache][flow][zone]") {
  struct Row {
    std::chrono::minutes to_kickoff;
    Zone zone;
  };
  const Row row = GENERATE(Row{std::chrono::minutes(-24 * 60), Zone::standard},
                           Row{std::chrono::minutes(23 * 60), Zone::warmup},
                           Row{std::chrono::minutes(3 * 60), Zone::prematch},
                           Row{std::chrono::minutes(30), Zone::golden},
                           Row{std::chrono::minutes(-30), Zone::active},
                           Row{std::chrono::minutes(-3 * 60), Zone::standard});
  CAPTURE(row.to_kickoff.count());
  H h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  const RequestContext ctx{{}, h.wall.now() + row.to_kickoff, {}};
  auto r = cache.get_or_compute("k", Counting{&calls, 1}, ctx);
  CHECK(r.zone == row.zone);
  const auto ttl = smartcache::ZoneTable::defaults().policy(row.zone).fresh_ttl;
  const auto e = cache.store().get("k", h.wall.now());
  REQUIRE(e.has_value());
  CHECK(e->fresh_until - e->stored_at == ttl);

  const auto one_if = [&](Zone z) { return row.zone == z ? 1.0 : 0.0; };
  check_stats(h.stats(), {{"golden_hour_standard", one_if(Zone::standard)},
                          {"golden_hour_warmup", one_if(Zone::warmup)},
                          {"golden_hour_prematch", one_if(Zone::prematch)},
                          {"golden_hour_golden", one_if(Zone::golden)},
                          {"golden_hour_active", one_if(Zone::active)}});
}

TEST_CASE("fresh, stale inside the window, too stale: each with its counters", "[smart_cache][flow][swr]") {
  H h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  const auto golden = smartcache_test::golden_context(h.wall, {"match:1"});  // 60 s + 60 s

  (void)cache.get_or_compute("k", Counting{&calls, 1}, golden);
  h.wall.advance(59s);
  auto fresh = cache.get_or_compute("k", Counting{&calls, 2}, golden);
  CHECK(fresh.strategy == Strategy::serve_fresh);
  CHECK(fresh.age == 59s);
  h.wall.advance(2s);
  auto stale = cache.get_or_compute("k", Counting{&calls, 2}, golden);
  CHECK(stale.strategy == Strategy::serve_stale);
  CHECK(stale.value == 1);
  CHECK(stale.age == 61s);
  CHECK(h.exec.size() == 1);  // one refresh queued
  h.exec.discard_all();       // (never run here: the refresh is the SWR tests' business)
  h.wall.advance(60s);        // 121 s: past the stale window
  auto too_stale = cache.get_or_compute("k", Counting{&calls, 3}, golden);
  CHECK(too_stale.strategy == Strategy::compute);
  CHECK(too_stale.value == 3);
  CHECK(calls == 2);

  check_stats(h.stats(), {{"total_requests", 4},
                          {"cache_miss", 2},  // the first miss and the too-stale entry
                          {"swr_too_stale", 1}, {"cache_hit_fresh", 1}, {"swr_served_fresh", 1},
                          {"cache_hit_stale", 1}, {"swr_served_stale", 1}, {"strategy_compute", 2},
                          {"strategy_serve_fresh", 1}, {"strategy_serve_stale", 1},
                          {"golden_hour_golden", 4}});
}

TEST_CASE("entering a shorter zone shortens entries stored in a longer one", "[smart_cache][flow][zone]") {
  H h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  const auto kickoff = h.wall.now() + 61min;
  const RequestContext ctx{{}, kickoff, {}};
  auto first = cache.get_or_compute("k", Counting{&calls, 1}, ctx);  // prematch: 5 min fresh
  CHECK(first.zone == Zone::prematch);
  h.wall.advance(2min);  // golden now: 60 s fresh + 60 s stale
  auto r = cache.get_or_compute("k", Counting{&calls, 2}, ctx);
  CHECK(r.zone == Zone::golden);
  CHECK(r.strategy == Strategy::compute);  // 2 min old > 60 s + 60 s
  CHECK(h.stats().swr_too_stale == 1);
}

TEST_CASE("TTL jitter spreads expiries within the configured fraction", "[smart_cache][flow]") {
  H h;
  h.cfg.ttl_jitter = 0.2;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  std::set<std::chrono::system_clock::duration> ttls;
  for (int i = 0; i < 200; ++i) {
    const auto key = "k" + std::to_string(i);
    (void)cache.get_or_compute(key, Counting{&calls, i});
    const auto e = cache.store().get(key, h.wall.now());
    REQUIRE(e.has_value());
    const auto ttl = e->fresh_until - e->stored_at;
    CHECK(ttl >= 48min);
    CHECK(ttl <= 72min);
    ttls.insert(ttl);
  }
  CHECK(ttls.size() > 100);
  // An entry jittered upwards is honoured: some are still fresh past the nominal TTL.
  h.wall.advance(66min);
  int fresh = 0;
  for (int i = 0; i < 200; ++i)
    fresh += cache.get_or_compute("k" + std::to_string(i), Counting{&calls, -1}).strategy == Strategy::serve_fresh;
  CHECK(fresh > 0);
  CHECK(fresh < 200);
}

TEST_CASE("an entry carries the request's tags and the stale-if-error grace", "[smart_cache][flow]") {
  H h;
  h.cfg.stale_if_error = 7s;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  (void)cache.get_or_compute("k", Counting{&calls, 1}, {{"match:1", "btts"}, std::nullopt, {}});
  const auto e = cache.store().get("k", h.wall.now());
  REQUIRE(e.has_value());
  CHECK(cache.store().tags_of("k") == std::vector<std::string>{"match:1", "btts"});
  CHECK(e->stored_at == h.wall.now());
  CHECK(e->fresh_until == h.wall.now() + 1h);
  CHECK(e->stale_until == h.wall.now() + 2h + 7s);
}

TEST_CASE("invariants hold over mixed traffic: one strategy and one VIX status per request",
          "[smart_cache][flow][invariants]") {
  H h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  const VixStatus statuses[] = {VixStatus::normal, VixStatus::normal, VixStatus::warning, VixStatus::panic};
  const std::chrono::minutes offsets[] = {30min, -30min, 5h, 20h, 48h};
  std::uint64_t requests = 0;
  for (int i = 0; i < 600; ++i) {
    const RequestContext ctx{{"match:" + std::to_string(i % 7)},
                             h.wall.now() + offsets[i % 5],
                             {{"f", statuses[(i / 3) % 4]}}};
    (void)cache.get_or_compute("k" + std::to_string(i % 13), Counting{&calls, i}, ctx);
    ++requests;
    h.wall.advance(std::chrono::seconds(7 + i % 11));
    if (i % 17 == 0) h.exec.run_all();
    if (i % 50 == 0) (void)cache.invalidate_all();
  }
  h.exec.run_all();
  const auto s = h.stats();
  CHECK(s.total_requests == requests);
  CHECK(smartcache_test::strategy_sum(s) == requests);
  CHECK(s.vix_panic_detected + s.vix_warning_detected + s.vix_normal == requests);
  CHECK(s.cache_bypass_vix == s.vix_panic_detected);
  CHECK(s.golden_hour_standard + s.golden_hour_warmup + s.golden_hour_prematch + s.golden_hour_golden +
            s.golden_hour_active ==
        requests - s.vix_panic_detected);
  CHECK(s.cache_hit_fresh + s.cache_hit_stale + s.cache_miss == requests - s.vix_panic_detected);
  CHECK(s.strategy_serve_fresh == s.cache_hit_fresh);
  CHECK(s.strategy_serve_stale == s.cache_hit_stale);
  CHECK(s.swr_background_success + s.swr_background_dropped <= s.swr_served_stale);
  CHECK(s.strategy_serve_fresh > 0);
  CHECK(s.strategy_serve_stale > 0);
  CHECK(s.swr_too_stale > 0);
}

TEST_CASE("evictions of a bounded store are counted with the request that caused them",
          "[smart_cache][flow][eviction]") {
  smartcache_test::Harness<> h;
  h.store = std::make_shared<MemoryStore<int>>(4, 1);  // one shard of 4 entries
  auto& cache = h.make();
  std::atomic<int> calls{0};
  for (int i = 0; i < 10; ++i) (void)cache.get_or_compute("k" + std::to_string(i), Counting{&calls, i});
  CHECK(h.store->size() == 4);
  const auto s = h.stats();
  check_stats(s, {{"cache_evictions", 6}, {"cache_miss", 10}});
  CHECK(s.cache_evictions == h.store->evictions());
}

// Compile-time contract of the public API (docs/design.md, "Contract").
namespace {
using ContractCache = SmartCache<MemoryStore<int>>;
static_assert(!std::is_copy_constructible_v<ContractCache>);
static_assert(std::is_same_v<ContractCache::value_type, int>);
static_assert(std::is_default_constructible_v<ContractCache>);
static_assert(std::is_constructible_v<ContractCache, std::shared_ptr<MemoryStore<int>>, smartcache::Config,
                                      CacheMetrics&>);
static_assert(std::is_same_v<decltype(std::declval<ContractCache&>().get_or_compute("k", std::declval<Counting>())),
                             smartcache::Result<int>>);
static_assert(std::is_same_v<decltype(std::declval<ContractCache&>().invalidate_by_event(smartcache::Event{})),
                             smartcache::InvalidationReport>);
static_assert(std::is_same_v<decltype(std::declval<ContractCache&>().invalidate_all()), std::size_t>);
static_assert(std::is_same_v<decltype(std::declval<ContractCache&>().tag_manager()), smartcache::TagManager&>);
static_assert(noexcept(std::declval<ContractCache&>().tag_manager()));
static_assert(noexcept(std::declval<ContractCache&>().store()));
static_assert(noexcept(std::declval<ContractCache&>().metrics()));
}  // namespace
