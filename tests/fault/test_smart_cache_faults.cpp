// SmartCache under failure: stores that throw, computes that throw, clocks that fail.
#include <atomic>
#include <chrono>
#include <stdexcept>
#include <string>

#include <smartcache/cache.hpp>
#include <smartcache/stores/memory_store.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/faulty_store.hpp"
#include "support/log_capture.hpp"
#include "support/stats_check.hpp"

using namespace std::chrono_literals;
using smartcache::MemoryStore;
using smartcache::RequestContext;
using smartcache::Strategy;
using smartcache::Zone;
using smartcache_test::check_stats;
using Faulty = smartcache_test::FaultyStore<MemoryStore<int>>;
using FH = smartcache_test::Harness<Faulty>;
using Counting = smartcache_test::CountingCompute;
using Throwing = smartcache_test::ThrowingCompute;

TEST_CASE("a store that throws on get: the request is computed, counted as an error and a miss",
          "[smart_cache][faults]") {
  const auto thrown = GENERATE(Faulty::Thrown::store_error, Faulty::Thrown::runtime_error,
                               Faulty::Thrown::non_exception);
  FH h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  (void)cache.get_or_compute("k", Counting{&calls, 1});
  h.store->thrown = thrown;
  h.store->fail_get = true;
  const auto puts_before = h.store->puts.load();
  smartcache::Result<int> r;
  REQUIRE_NOTHROW(r = cache.get_or_compute("k", Counting{&calls, 2}));
  CHECK(r.value == 2);
  CHECK(r.strategy == Strategy::compute);
  CHECK(h.store->puts == puts_before);  // an unhealthy store is not written to
  check_stats(h.stats(), {{"cache_errors", 1}, {"cache_miss", 2}, {"total_requests", 2}});
}

TEST_CASE("a corrupt entry is counted once and overwritten by the computed value",
          "[smart_cache][faults]") {
  FH h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  (void)cache.get_or_compute("k", Counting{&calls, 1});
  h.store->thrown = Faulty::Thrown::corrupt_entry;
  h.store->fail_get = true;  // both the lookup and the single-flight re-check meet it
  const auto puts_before = h.store->puts.load();
  smartcache::Result<int> r;
  REQUIRE_NOTHROW(r = cache.get_or_compute("k", Counting{&calls, 2}));
  CHECK(r.value == 2);
  CHECK(r.strategy == Strategy::compute);
  CHECK(h.store->puts == puts_before + 1);  // the store works: the entry is repaired
  CHECK(h.stats().cache_errors == 1);
  h.store->fail_get = false;
  r = cache.get_or_compute("k", Counting{&calls, 3});
  CHECK(r.strategy == Strategy::serve_fresh);
  CHECK(r.value == 2);
  CHECK(h.stats().cache_errors == 1);
}

TEST_CASE("a store that throws on put: the value is returned but not cached", "[smart_cache][faults]") {
  FH h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  h.store->fail_put = true;
  CHECK(cache.get_or_compute("k", Counting{&calls, 1}).value == 1);
  CHECK(cache.get_or_compute("k", Counting{&calls, 2}).value == 2);
  CHECK(calls == 2);
  CHECK(h.stats().cache_errors == 2);
  h.store->fail_put = false;
  (void)cache.get_or_compute("k", Counting{&calls, 3});
  CHECK(cache.get_or_compute("k", Counting{&calls, 4}).strategy == Strategy::serve_fresh);
}

TEST_CASE("a refresh whose put fails counts a background error and a store error", "[smart_cache][faults]") {
  FH h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  const auto golden = smartcache_test::golden_context(h.wall);
  (void)cache.get_or_compute("k", Counting{&calls, 1}, golden);
  h.wall.advance(61s);
  (void)cache.get_or_compute("k", Counting{&calls, 2}, golden);
  h.store->fail_put = true;
  h.exec.run_all();
  check_stats(h.stats(), {{"swr_background_error", 1}, {"swr_background_success", 0},
                          {"cache_errors", 1}});
}

TEST_CASE("a store failing at random never fails a request; every failure is counted",
          "[smart_cache][faults]") {
  FH h;
  auto& cache = h.make();
  h.store->failure_rate = 0.3;
  std::atomic<int> calls{0};
  for (int i = 0; i < 2000; ++i) {
    const int key = i % 50;
    smartcache::Result<int> r;
    REQUIRE_NOTHROW(r = cache.get_or_compute("k" + std::to_string(key), Counting{&calls, key}));
    REQUIRE(r.value == key);
    h.wall.advance(1s);
  }
  const auto s = h.stats();
  CHECK(s.total_requests == 2000);
  CHECK(s.cache_errors == h.store->failures.load());
  CHECK(s.cache_errors > 0);
  CHECK(s.strategy_serve_fresh > 0);
}

TEST_CASE("a compute that throws with no usable entry reaches the caller; nothing is stored",
          "[smart_cache][faults]") {
  FH h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  CHECK_THROWS_AS(cache.get_or_compute("k", Throwing{&calls}), std::runtime_error);
  CHECK(h.store->size() == 0);
  check_stats(h.stats(), {{"total_requests", 1}, {"strategy_compute", 1}, {"cache_miss", 1}});
  SECTION("also when bypassing") {
    CHECK_THROWS_AS(cache.get_or_compute("k", Throwing{&calls}, {{}, std::nullopt, {{"f", smartcache::VixStatus::panic}}}),
                    std::runtime_error);
    check_stats(h.stats(), {{"strategy_bypass", 1}, {"total_requests", 2}});
  }
}

TEST_CASE("stale-if-error serves a too-stale entry inside the grace, not after", "[smart_cache][faults]") {
  FH h;
  h.cfg.stale_if_error = 30s;
  h.cfg.zones.set_policy(Zone::standard, {60s, 0s});  // no stale window: fresh, then too stale
  auto& cache = h.make();
  std::atomic<int> calls{0};
  (void)cache.get_or_compute("k", Counting{&calls, 1});
  h.wall.advance(70s);

  auto r = cache.get_or_compute("k", Throwing{&calls});
  CHECK(r.value == 1);
  CHECK(r.strategy == Strategy::serve_stale);
  CHECK(r.age == 70s);
  check_stats(h.stats(), {{"swr_too_stale", 1}, {"strategy_serve_stale", 1}});
  CHECK(h.exec.size() == 0);  // no refresh: the compute just failed

  h.wall.advance(25s);  // 95 s: past 60 s + 0 s + 30 s
  CHECK_THROWS_AS(cache.get_or_compute("k", Throwing{&calls}), std::runtime_error);
  SECTION("a later successful compute replaces the entry") {
    CHECK(cache.get_or_compute("k", Counting{&calls, 2}).value == 2);
    CHECK(cache.get_or_compute("k", Counting{&calls, 3}).strategy == Strategy::serve_fresh);
  }
}

TEST_CASE("stale-if-error after entering a shorter zone", "[smart_cache][faults]") {
  FH h;
  auto& cache = h.make();
  std::atomic<int> calls{0};
  const RequestContext ctx{{}, h.wall.now() + 62min, {}};
  (void)cache.get_or_compute("k", Counting{&calls, 1}, ctx);  // prematch: 5 min + 5 min kept
  h.wall.advance(3min);  // golden: 60 s + 60 s, the entry is too stale but kept
  auto r = cache.get_or_compute("k", Throwing{&calls}, ctx);
  CHECK(r.strategy == Strategy::serve_stale);
  CHECK(r.zone == Zone::golden);
  CHECK(r.value == 1);
}

TEST_CASE("latency: read twice per sampled request, never for the others", "[smart_cache][latency]") {
  FH h;
  smartcache_test::FakeSteadyClock clock;
  clock.set_step(250us);
  h.cfg.latency_clock = clock.fn();
  auto& cache = h.make();
  std::atomic<int> calls{0};
  (void)cache.get_or_compute("k", Counting{&calls, 1});
  CHECK(clock.reads() == 2);
  auto s = h.stats();
  CHECK(s.latency_samples == 1);
  CHECK(std::abs(s.max_latency_ms - 0.25) < 0.01);
  h.metrics.set_latency_sampling(0.0);
  for (int i = 0; i < 10; ++i) (void)cache.get_or_compute("k", Counting{&calls, 1});
  CHECK(clock.reads() == 2);
  CHECK(h.stats().total_requests == 11);
}

TEST_CASE("a latency clock that throws or runs backwards never fails a request", "[smart_cache][latency]") {
  FH h;
  smartcache_test::FakeSteadyClock clock;
  h.cfg.latency_clock = clock.fn();
  auto& cache = h.make();
  std::atomic<int> calls{0};
  smartcache_test::LogCapture logs;
  SECTION("throws at the start") {
    clock.throw_on_next_read();
    CHECK(cache.get_or_compute("k", Counting{&calls, 1}).value == 1);
    CHECK(clock.reads() == 1);  // no end read without a start
  }
  SECTION("throws at the end") {
    (void)cache.get_or_compute("k", [&] {
      clock.throw_on_next_read();
      return 1;
    });
  }
  SECTION("goes backwards") {
    clock.set_step(-1ms);
    CHECK(cache.get_or_compute("k", Counting{&calls, 1}).value == 1);
  }
  check_stats(h.stats(), {{"latency_unmeasured", 1}, {"latency_samples", 0}, {"total_requests", 1},
                          {"strategy_compute", 1}});
}

TEST_CASE("a wall clock that throws: the request is computed and nothing is cached",
          "[smart_cache][faults]") {
  FH h;
  std::atomic<bool> broken{false};
  h.cfg.wall_clock = [&broken, w = h.wall.fn()] {
    if (broken) throw std::runtime_error("no time");
    return w();
  };
  auto& cache = h.make();
  std::atomic<int> calls{0};
  (void)cache.get_or_compute("k", Counting{&calls, 1});
  broken = true;
  auto r = cache.get_or_compute("k", Counting{&calls, 2});
  CHECK(r.value == 2);
  CHECK(r.strategy == Strategy::compute);
  CHECK_FALSE(r.zone.has_value());
  CHECK(h.stats().golden_hour_standard == 1);
  CHECK(h.store->size() == 1);
}
