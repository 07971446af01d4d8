// SmartCache deadlines over RedisStore: eager refresh deduplicated across instances sharing one Redis.
#include "support/cache_fixtures.hpp"
#include "support/fault_injection.hpp"
#include "support/catch.hpp"
#include "support/redis_server.hpp"
#include "support/stats_check.hpp"

#include <smartcache/redis_store.hpp>
#include <smartcache/cache.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using smartcache::CacheMetrics;
using smartcache::Config;
using smartcache::RedisStore;
using smartcache::Strategy;
using smartcache_test::check_stats;
using smartcache_test::FakeWallClock;
using smartcache_test::inline_config;
using smartcache_test::redis_test_options;

namespace {

using Store = RedisStore<std::string>;
using Cache = smartcache::SmartCache<Store>;

// One service instance with eager refresh at half the fresh TTL; its
// refreshes are queued so that the test decides when they run.
struct Instance {
  Instance(int port, const FakeWallClock& wall)
      : store(std::make_shared<Store>(redis_test_options(port, "svc:"))), cache(store, config(wall), metrics) {}
  Config config(const FakeWallClock& wall) {
    Config cfg = inline_config(wall);
    cfg.eager_refresh_threshold = 0.5;
    cfg.executor = [this](std::function<void()> t) { queued.push_back(std::move(t)); };
    return cfg;
  }
  std::vector<std::function<void()>> queued;
  CacheMetrics metrics;
  std::shared_ptr<Store> store;
  Cache cache;
};

}  // namespace

TEST_CASE("eager refresh on two instances sharing Redis: only one computes", "[redis][deadlines]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  FakeWallClock wall;
  Instance a(redis->port(), wall);
  Instance b(redis->port(), wall);
  const auto ctx = smartcache_test::golden_context(wall, {"match:1"});  // golden: 60 s fresh
  a.cache.get_or_compute("hot", [] { return std::string("v0"); }, ctx);
  wall.advance(40s);  // fresh, past half its TTL

  std::atomic<int> computes{0};
  std::promise<void> inside;
  auto inside_f = inside.get_future();
  std::promise<void> may_finish;
  auto release = may_finish.get_future().share();
  auto held = [&computes, &inside, release] {
    computes.fetch_add(1);
    inside.set_value();
    release.wait();
    return std::string("v1");
  };
  auto quick = [&computes] {
    computes.fetch_add(1);
    return std::string("v1");
  };
  auto ra = a.cache.get_or_compute("hot", held, ctx);
  auto rb = b.cache.get_or_compute("hot", quick, ctx);
  CHECK(ra.strategy == Strategy::serve_fresh);
  CHECK(rb.strategy == Strategy::serve_fresh);
  REQUIRE(a.queued.size() == 1);
  REQUIRE(b.queued.size() == 1);
  check_stats(a.metrics.get_stats(), {{"eager_refreshes", 1}});
  check_stats(b.metrics.get_stats(), {{"eager_refreshes", 1}});

  SECTION("at the same time: the other instance finds the refresh lock taken") {
    std::thread refresher(a.queued.front());
    REQUIRE(inside_f.wait_for(10s) == std::future_status::ready);
    b.queued.front()();
    CHECK(computes.load() == 1);
    may_finish.set_value();
    refresher.join();
  }
  SECTION("one after the other: the second finds the newer value in Redis and uses it") {
    may_finish.set_value();
    a.queued.front()();
    b.queued.front()();
  }
  CHECK(computes.load() == 1);
  check_stats(a.metrics.get_stats(), {{"swr_background_success", 1}, {"cache_errors", 0}});
  check_stats(b.metrics.get_stats(), {{"swr_background_error", 0}, {"cache_errors", 0}});
  auto after = b.cache.get_or_compute("hot", quick, ctx);
  CHECK(after.strategy == Strategy::serve_fresh);
  CHECK(after.value == "v1");
  CHECK(after.age == 0ms);
  CHECK(computes.load() == 1);
}

// An abandoned refresh looks at the store once more after its compute, to
// see whether something newer landed. RedisStore notes, with each get, the
// invalidation sequence that the thread's next put is checked against; that
// look was a get, so it replaced the note taken before the compute with one
// taken after it, and another instance's invalidation during the compute no
// longer refused the late value. It is a peek now.
TEST_CASE("an abandoned refresh's late value is refused when another instance invalidated meanwhile",
          "[redis][deadlines][swr]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  FakeWallClock wall;
  std::vector<std::function<void()>> queued;
  Config cfg = inline_config(wall);
  cfg.refresh_timeout = 30s;
  cfg.executor = [&queued](std::function<void()> t) { queued.push_back(std::move(t)); };
  CacheMetrics metrics;
  auto store = std::make_shared<Store>(redis_test_options(redis->port(), "svc:"));
  Store other_instance(redis_test_options(redis->port(), "svc:"));
  Cache cache(store, cfg, metrics);
  const auto ctx = smartcache_test::golden_context(wall, {"match:1"});  // golden: 60 s fresh, 60 s stale
  cache.get_or_compute("k", [] { return std::string("v0"); }, ctx);
  wall.advance(70s);

  // The refresh the stale hit schedules hangs in its compute, on `runner`.
  smartcache_test::Latch entered, gate;
  REQUIRE(cache.get_or_compute("k", [&] {
                 entered.open();
                 gate.wait();
                 return std::string("late");
               }, ctx).strategy == Strategy::serve_stale);
  REQUIRE(queued.size() == 1);
  std::function<void()> refresh = std::move(queued.front());
  queued.clear();
  std::thread runner(refresh);
  entered.wait();

  // The watchdog abandons it; its replacement is lost (never runs).
  wall.advance(31s);
  CHECK(cache.get_or_compute("k", [] { return std::string("replacement"); }, ctx).strategy ==
        Strategy::serve_stale);
  queued.clear();
  // Another instance invalidates match 1 while the late compute still runs.
  CHECK(other_instance.erase_tagged("match:1", {}) == 1);

  gate.open();
  runner.join();
  CHECK_FALSE(store->get("k", wall.now()).has_value());
  check_stats(metrics.get_stats(), {{"refreshes_abandoned", 1}, {"swr_background_dropped", 1}});
}
