// SmartCache deadlines: soft and hard compute timeouts, the compute pool, eager refresh, the refresh watchdog.
#include <atomic>
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <thread>

#include <smartcache/cache.hpp>
#include <smartcache/stores/memory_store.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/fault_injection.hpp"
#include "support/stats_check.hpp"

using namespace std::chrono_literals;
using smartcache::ComputeTimeout;
using smartcache::Strategy;
using smartcache_test::check_stats;
using smartcache_test::wait_for;
using H = smartcache_test::Harness<>;
using Counting = smartcache_test::CountingCompute;

namespace {

// A compute held until the test opens its gate: it counts its calls, then
// waits, then returns `value`. Shared state, so copies (the compute pool's)
// and the test see the same gate.
struct Held {
  struct State {
    smartcache_test::Latch gate;
    std::atomic<int> calls{0};
    std::atomic<int> finished{0};
    std::atomic<std::thread::id> thread{};
  };
  std::shared_ptr<State> st = std::make_shared<State>();
  int value = 2;

  int operator()() const {
    st->thread = std::this_thread::get_id();
    st->calls.fetch_add(1);
    st->gate.wait();
    st->finished.fetch_add(1);
    return value;
  }
  void release() const { st->gate.open(); }
  [[nodiscard]] bool entered() const {
    return wait_for([this] { return st->calls.load() > 0; });
  }
};

// Golden zone (60 s fresh, 60 s stale window, 5 min stale-if-error grace).
smartcache::RequestContext golden(const smartcache_test::FakeWallClock& wall) {
  return smartcache_test::golden_context(wall, {"match:1", "btts"});
}

// Stores "k" = 1 and lets it age `age`: 200 s is past the stale window and
// inside the stale-if-error grace (a foreground compute with a usable stale entry).
smartcache::RequestContext stored_k(H& h, std::chrono::seconds age) {
  const auto ctx = golden(h.wall);
  auto patient = ctx;  // however slow the machine, this compute is waited for
  patient.hard_timeout = 1h;
  std::atomic<int> calls{0};
  REQUIRE(h.cache->get_or_compute("k", Counting{&calls, 1}, patient).strategy == Strategy::compute);
  h.wall.advance(age);
  return ctx;
}

// Lets `model` finish and waits until no compute is left on the compute pool.
void release_and_drain(H& h, const Held& model) {
  model.release();
  REQUIRE(wait_for([&] { return h.cache->computes_pending() == 0; }));
}

std::optional<int> stored_value(H& h, const char* key) {
  auto e = h.cache->store().get(key, h.wall.now());
  if (!e) return std::nullopt;
  return e->value;
}

}  // namespace

TEST_CASE("soft timeout with a usable stale entry: served stale at once, the compute stores later",
          "[smart_cache][deadlines]") {
  H h;
  h.cfg.compute_soft_timeout = 20ms;
  auto& cache = h.make();
  const auto ctx = stored_k(h, 200s);
  Held model;

  auto r = cache.get_or_compute("k", model, ctx);  // returns while the compute is held
  CHECK(r.strategy == Strategy::serve_stale);
  CHECK(r.value == 1);
  CHECK(model.st->finished == 0);
  CHECK(cache.computes_pending() == 1);

  SECTION("callers meanwhile join the running compute: no second call") {
    auto again = cache.get_or_compute("k", model, ctx);
    CHECK(again.strategy == Strategy::serve_stale);
    CHECK(model.st->calls == 1);
    check_stats(h.stats(), {{"compute_soft_timeouts", 2}, {"compute_hard_timeouts", 0}});
  }
  SECTION("its value is stored when it finishes") {
    release_and_drain(h, model);
    CHECK(stored_value(h, "k") == 2);
    CHECK(cache.get_or_compute("k", model, ctx).strategy == Strategy::serve_fresh);
    check_stats(h.stats(), {{"compute_soft_timeouts", 1}, {"strategy_serve_stale", 1}});
  }
  release_and_drain(h, model);
}

TEST_CASE("soft timeout without a usable stale entry: the caller computes on its own thread",
          "[smart_cache][deadlines]") {
  H h;
  h.cfg.compute_soft_timeout = 1ms;
  auto& cache = h.make();
  const auto ctx = golden(h.wall);
  Held model;
  model.release();
  SECTION("no entry") {
    CHECK(cache.get_or_compute("k", model, ctx).strategy == Strategy::compute);
  }
  SECTION("an entry past the stale-if-error grace") {
    (void)stored_k(h, 600s);
    CHECK(cache.get_or_compute("k", model, ctx).strategy == Strategy::compute);
  }
  CHECK(model.st->thread.load() == std::this_thread::get_id());
  CHECK(cache.computes_pending() == 0);
  check_stats(h.stats(), {{"compute_soft_timeouts", 0}, {"compute_pool_rejections", 0}});
}

TEST_CASE("hard timeout for the computing caller: ComputeTimeout, the flight kept, the value stored later",
          "[smart_cache][deadlines]") {
  H h;
  h.cfg.compute_hard_timeout = 20ms;
  auto& cache = h.make();
  const auto ctx = golden(h.wall);
  Held model;

  try {
    (void)cache.get_or_compute("k", model, ctx);
    FAIL("no ComputeTimeout");
  } catch (const ComputeTimeout& e) {
    CHECK(e.key() == "k");
    CHECK(e.timeout() == 20ms);
    CHECK(std::string(e.what()).find("hard timeout") != std::string::npos);
  }
  CHECK(model.st->finished == 0);
  // A later caller waits on the same compute (bounded), it starts none.
  CHECK_THROWS_AS(cache.get_or_compute("k", model, ctx), ComputeTimeout);
  CHECK(model.st->calls == 1);
  check_stats(h.stats(), {{"compute_hard_timeouts", 2}, {"strategy_compute", 2}, {"total_requests", 2}});

  release_and_drain(h, model);
  CHECK(stored_value(h, "k") == 2);
  auto r = cache.get_or_compute("k", model, ctx);
  CHECK(r.strategy == Strategy::serve_fresh);
  CHECK(r.value == 2);
}

TEST_CASE("hard timeout with a usable stale entry: served stale, counted as a hard timeout",
          "[smart_cache][deadlines]") {
  H h;
  h.cfg.compute_hard_timeout = 10ms;
  h.cfg.compute_soft_timeout = 10min;  // the hard one comes first
  auto& cache = h.make();
  const auto ctx = stored_k(h, 200s);
  Held model;
  auto r = cache.get_or_compute("k", model, ctx);
  CHECK(r.strategy == Strategy::serve_stale);
  CHECK(r.value == 1);
  check_stats(h.stats(), {{"compute_hard_timeouts", 1}, {"compute_soft_timeouts", 0}});
  release_and_drain(h, model);
}

TEST_CASE("hard timeout for joiners: each waits its own deadline, the leader keeps waiting",
          "[smart_cache][deadlines]") {
  H h;
  auto& cache = h.make();
  auto patient = golden(h.wall);
  patient.hard_timeout = 1h;  // the leader: effectively no limit
  auto hasty = patient;
  hasty.hard_timeout = 10ms;
  Held model;

  std::optional<smartcache::Result<int>> led;
  std::thread leader([&] { led = cache.get_or_compute("k", model, patient); });
  REQUIRE(model.entered());
  CHECK_THROWS_AS(cache.get_or_compute("k", model, hasty), ComputeTimeout);
  CHECK_THROWS_AS(cache.get_or_compute("k", model, hasty), ComputeTimeout);
  CHECK(model.st->calls == 1);
  CHECK(model.st->finished == 0);
  model.release();
  leader.join();
  REQUIRE(led.has_value());
  CHECK(led->strategy == Strategy::compute);
  CHECK(led->value == 2);
  check_stats(h.stats(), {{"compute_hard_timeouts", 2}, {"strategy_compute", 3}});
}

TEST_CASE("a late compute overtaken by an invalidation stores nothing", "[smart_cache][deadlines]") {
  H h;
  h.cfg.compute_hard_timeout = 10ms;
  auto& cache = h.make();
  const auto ctx = golden(h.wall);  // tags match:1, btts
  Held model;
  CHECK_THROWS_AS(cache.get_or_compute("k", model, ctx), ComputeTimeout);
  SECTION("invalidate_all") { (void)cache.invalidate_all(); }
  SECTION("a matching event") {
    cache.tag_manager().add_rule("goal", {"btts"});
    (void)cache.invalidate_by_event({"goal", "match:1"});
  }
  // A request after the invalidation does not join the overtaken compute.
  Held fresh_model;
  fresh_model.value = 7;
  fresh_model.release();
  auto patient = ctx;
  patient.hard_timeout = 1h;
  auto r = cache.get_or_compute("k", fresh_model, patient);
  CHECK(r.strategy == Strategy::compute);
  CHECK(r.value == 7);
  release_and_drain(h, model);
  CHECK(stored_value(h, "k") == 7);  // the late 2 was refused
}

TEST_CASE("a full compute pool answers at once: stale when usable, else ComputeTimeout",
          "[smart_cache][deadlines]") {
  H h;
  h.cfg.compute_hard_timeout = 10ms;
  h.cfg.compute_threads = 1;
  h.cfg.compute_queue = 1;
  auto& cache = h.make();
  const auto ctx = stored_k(h, 0s);  // "k" = 1, fresh for now
  Held a, b, c;
  CHECK_THROWS_AS(cache.get_or_compute("a", a, ctx), ComputeTimeout);  // running, held
  REQUIRE(a.entered());
  CHECK_THROWS_AS(cache.get_or_compute("b", b, ctx), ComputeTimeout);  // queued
  REQUIRE(cache.computes_pending() == 2);
  c.release();
  CHECK_THROWS_AS(cache.get_or_compute("c", c, ctx), ComputeTimeout);  // refused
  CHECK(c.st->calls == 0);
  h.wall.advance(200s);  // "k" too stale, inside the stale-if-error grace
  auto r = cache.get_or_compute("k", c, ctx);
  CHECK(r.strategy == Strategy::serve_stale);
  CHECK(r.value == 1);
  CHECK(c.st->calls == 0);
  check_stats(h.stats(), {{"compute_pool_rejections", 2}, {"compute_hard_timeouts", 2}});

  a.release();
  release_and_drain(h, b);
  CHECK(b.st->finished == 1);
  // The refused keys are free again: the pool takes the next compute.
  auto patient = ctx;
  patient.hard_timeout = 1h;
  CHECK(cache.get_or_compute("c", c, patient).value == 2);
}

TEST_CASE("per-request deadlines replace the Config's", "[smart_cache][deadlines]") {
  H h;
  Held model;
  auto ctx = golden(h.wall);
  SECTION("a deadline for one request of a cache without any") {
    auto& cache = h.make();
    ctx.hard_timeout = 10ms;
    CHECK_THROWS_AS(cache.get_or_compute("k", model, ctx), ComputeTimeout);
    release_and_drain(h, model);
    CHECK(model.st->thread.load() != std::this_thread::get_id());
  }
  SECTION("none for one request of a cache with one: computed on the caller's thread") {
    h.cfg.compute_hard_timeout = 10ms;
    auto& cache = h.make();
    ctx.hard_timeout = 0ms;
    model.release();
    CHECK(cache.get_or_compute("k", model, ctx).strategy == Strategy::compute);
    CHECK(model.st->thread.load() == std::this_thread::get_id());
  }
  SECTION("aggregate initialisation of the first three members still works") {
    smartcache::RequestContext three{{"match:1"}, h.wall.now(), {}};
    CHECK_FALSE(three.soft_timeout.has_value());
    CHECK_FALSE(three.hard_timeout.has_value());
  }
}

TEST_CASE("eager refresh: a fresh hit past the threshold schedules the key's one refresh",
          "[smart_cache][deadlines][swr]") {
  H h;
  h.cfg.eager_refresh_threshold = 0.5;
  auto& cache = h.make();
  const auto ctx = stored_k(h, 20s);  // golden: 60 s fresh
  std::atomic<int> calls{0};
  CHECK(cache.get_or_compute("k", Counting{&calls, 3}, ctx).strategy == Strategy::serve_fresh);
  CHECK(h.exec.size() == 0);
  h.wall.advance(15s);  // 35 s of 60
  for (int i = 0; i < 5; ++i) CHECK(cache.get_or_compute("k", Counting{&calls, 3}, ctx).value == 1);
  CHECK(h.exec.size() == 1);
  check_stats(h.stats(), {{"eager_refreshes", 1}, {"strategy_serve_fresh", 6}, {"cache_hit_stale", 0}});
  CHECK(h.exec.run_all() == 1);
  CHECK(calls == 1);
  CHECK(stored_value(h, "k") == 3);
  CHECK(cache.get_or_compute("k", Counting{&calls, 3}, ctx).value == 3);
  CHECK(h.exec.size() == 0);  // the new entry is young
  check_stats(h.stats(), {{"swr_background_success", 1}, {"eager_refreshes", 1}});
}

TEST_CASE("eager refresh is off by default", "[smart_cache][deadlines][swr]") {
  H h;
  auto& cache = h.make();
  const auto ctx = stored_k(h, 59s);
  std::atomic<int> calls{0};
  CHECK(cache.get_or_compute("k", Counting{&calls, 3}, ctx).strategy == Strategy::serve_fresh);
  CHECK(h.exec.size() == 0);
  check_stats(h.stats(), {{"eager_refreshes", 0}});
}

TEST_CASE("a refresh that looks at the store first uses a newer value instead of computing",
          "[smart_cache][deadlines][swr]") {
  H h;
  auto& cache = h.make();
  const auto ctx = stored_k(h, 90s);  // stale
  std::atomic<int> calls{0};
  CHECK(cache.get_or_compute("k", Counting{&calls, 3}, ctx).strategy == Strategy::serve_stale);
  REQUIRE(h.exec.size() == 1);
  // Another instance sharing the store refreshed the key meanwhile.
  smartcache::SmartCache<smartcache::MemoryStore<int>> other(h.store, h.cfg, h.metrics);
  (void)other.invalidate_all();
  (void)other.get_or_compute("k", Counting{&calls, 4}, ctx);
  REQUIRE(calls == 1);
  CHECK(h.exec.run_all() == 1);
  CHECK(calls == 1);  // the refresh computed nothing
  CHECK(stored_value(h, "k") == 4);
  check_stats(h.stats(), {{"swr_background_success", 1}});
}

namespace {

// A cache with refresh_timeout 30 s whose "k" is stale (70 s old: 60 s fresh,
// 60 s window) and whose refresh hangs in `stuck`, on the thread `runner`.
struct StuckRefresh {
  H h;
  std::optional<smartcache::RequestContext> ctx;
  Held stuck;
  std::thread runner;

  StuckRefresh() {
    h.cfg.refresh_timeout = 30s;
    h.make();
    ctx = stored_k(h, 70s);
    CHECK(h.cache->get_or_compute("k", stuck, *ctx).strategy == Strategy::serve_stale);
    REQUIRE(h.exec.size() == 1);
    runner = std::thread([this] { h.exec.run_one(); });
    if (stuck.entered()) return;
    stuck.release();
    runner.join();
    FAIL("the refresh never started");
  }
  StuckRefresh(const StuckRefresh&) = delete;
  StuckRefresh& operator=(const StuckRefresh&) = delete;
  ~StuckRefresh() {
    stuck.release();
    if (runner.joinable()) runner.join();
  }
  void finish() {
    stuck.release();
    runner.join();
  }
};

}  // namespace

TEST_CASE("the refresh watchdog frees a stuck key; the late result never replaces a newer one",
          "[smart_cache][deadlines][swr]") {
  StuckRefresh s;
  H& h = s.h;
  auto& cache = *h.cache;
  const auto ctx = *s.ctx;

  h.wall.advance(20s);  // not yet: 20 s < 30 s
  std::atomic<int> calls{0};
  CHECK(cache.get_or_compute("k", Counting{&calls, 5}, ctx).strategy == Strategy::serve_stale);
  CHECK(h.exec.size() == 0);
  check_stats(h.stats(), {{"refreshes_abandoned", 0}});

  h.wall.advance(11s);  // 31 s: the watchdog gives the slot away
  CHECK(cache.get_or_compute("k", Counting{&calls, 5}, ctx).strategy == Strategy::serve_stale);
  check_stats(h.stats(), {{"refreshes_abandoned", 1}});
  REQUIRE(h.exec.size() == 1);
  CHECK(cache.refreshes_pending() == 1);
  CHECK(h.exec.run_all() == 1);
  CHECK(calls == 1);
  CHECK(stored_value(h, "k") == 5);
  CHECK(cache.refreshes_pending() == 0);

  s.finish();  // the late refresh finishes: 2 must not replace 5
  CHECK(stored_value(h, "k") == 5);
  check_stats(h.stats(), {{"swr_background_success", 2}, {"swr_background_error", 0}});
  CHECK(cache.refreshes_pending() == 0);
}

TEST_CASE("an abandoned refresh still stores its late value when nothing newer landed",
          "[smart_cache][deadlines][swr]") {
  StuckRefresh s;
  H& h = s.h;
  h.wall.advance(31s);
  std::atomic<int> calls{0};
  (void)h.cache->get_or_compute("k", Counting{&calls, 5}, *s.ctx);
  REQUIRE(h.exec.size() == 1);
  h.exec.discard_all();  // the replacement is lost (counted as dropped)
  s.finish();
  CHECK(stored_value(h, "k") == 2);
  check_stats(h.stats(), {{"refreshes_abandoned", 1}, {"swr_background_dropped", 1}});
}

TEST_CASE("deadline and eager-refresh settings are clamped", "[smart_cache][deadlines][config]") {
  using smartcache::Config;
  Config c;
  CHECK(smartcache::clamped(c).compute_soft_timeout == 0ms);
  CHECK(smartcache::clamped(c).compute_hard_timeout == 0ms);
  CHECK(smartcache::clamped(c).eager_refresh_threshold == 0.0);
  CHECK(smartcache::clamped(c).refresh_timeout == 60s);  // 2 x (15 s + 15 s), the active zone
  c.compute_soft_timeout = -5ms;
  c.compute_hard_timeout = -1ms;
  c.compute_threads = 0;
  c.compute_queue = 0;
  c.refresh_timeout = -3s;
  c.zones.set_policy(smartcache::Zone::active, {0s, 0s});  // never stale: ignored
  const Config k = smartcache::clamped(c);
  CHECK(k.compute_soft_timeout == 0ms);
  CHECK(k.compute_hard_timeout == 0ms);
  CHECK(k.compute_threads == 1);
  CHECK(k.compute_queue == 1);
  CHECK(k.refresh_timeout == 240s);  // golden: 2 x (60 s + 60 s)
  for (double bad : {1.0, 1.5, -0.1, 0.0, std::numeric_limits<double>::quiet_NaN(),
                     std::numeric_limits<double>::infinity()}) {
    c.eager_refresh_threshold = bad;
    CHECK(smartcache::clamped(c).eager_refresh_threshold == 0.0);
  }
  c.eager_refresh_threshold = 0.8;
  CHECK(smartcache::clamped(c).eager_refresh_threshold == 0.8);
  c.refresh_timeout = 5s;
  CHECK(smartcache::clamped(c).refresh_timeout == 5s);
  for (auto z : {smartcache::Zone::standard, smartcache::Zone::warmup, smartcache::Zone::prematch,
                 smartcache::Zone::golden})
    c.zones.set_policy(z, {0s, 0s});
  c.refresh_timeout = 0s;
  CHECK(smartcache::clamped(c).refresh_timeout == 60s);  // every zone zero
}
