// SmartCache over RedisStore: several cache instances sharing one real Redis.
#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/redis_server.hpp"
#include "support/stats_check.hpp"

#include <smartcache/redis_store.hpp>
#include <smartcache/cache.hpp>

#include <atomic>
#include <functional>
#include <future>
#include <memory>
#include <mutex>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using smartcache::CacheMetrics;
using smartcache::Config;
using smartcache::RedisOptions;
using smartcache::RedisStore;
using smartcache::RequestContext;
using smartcache::Strategy;
using smartcache_test::check_stats;
using smartcache_test::FakeWallClock;
using smartcache_test::inline_config;
using smartcache_test::redis_raw_connection;
using smartcache_test::redis_test_options;

namespace {

using Store = RedisStore<std::string>;
using Cache = smartcache::SmartCache<Store>;

// One service instance: its own connection pool, cache and metrics.
struct Instance {
  Instance(int port, Config cfg)
      : store(std::make_shared<Store>(redis_test_options(port, "svc:"))), cache(store, std::move(cfg), metrics) {}
  CacheMetrics metrics;
  std::shared_ptr<Store> store;
  Cache cache;
};

bool key_exists(int port, const std::string& key) {
  return redis_raw_connection(port).command({"EXISTS", key})->integer == 1;
}

auto constant(std::string v) {
  return [v] { return v; };
}

}  // namespace

TEST_CASE("two instances share entries through Redis", "[redis][cache]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  FakeWallClock wall;  // shared by every instance
  Instance a(redis->port(), inline_config(wall));
  Instance b(redis->port(), inline_config(wall));

  auto first = a.cache.get_or_compute("odds:1", constant("from-a"));
  CHECK(first.strategy == Strategy::compute);
  auto second = b.cache.get_or_compute("odds:1", constant("from-b"));
  CHECK(second.strategy == Strategy::serve_fresh);
  CHECK(second.value == "from-a");
  check_stats(b.metrics.get_stats(), {{"cache_hit_fresh", 1}, {"cache_errors", 0}});
}

TEST_CASE("a fresh hit costs one command on the server (one MGET)", "[redis][cache]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  FakeWallClock wall;
  Instance a(redis->port(), inline_config(wall));
  a.cache.get_or_compute("k", constant("v"), {{"match:1", "btts"}, std::nullopt, {}});
  auto raw = redis_raw_connection(redis->port());
  (void)raw.command({"CONFIG", "RESETSTAT"});
  CHECK(a.cache.get_or_compute("k", constant("unused")).strategy == Strategy::serve_fresh);
  // Sum the calls of every command since the reset, except our own CONFIG/INFO.
  auto info = raw.command({"INFO", "commandstats"});
  const std::string text(info->str, info->len);
  long long calls = 0, gets = 0;
  std::size_t pos = 0;
  while ((pos = text.find("cmdstat_", pos)) != std::string::npos) {
    const auto colon = text.find(':', pos);
    const std::string name = text.substr(pos + 8, colon - pos - 8);
    const auto n = std::stoll(text.substr(text.find("calls=", colon) + 6));
    if (name.rfind("config", 0) != 0 && name.rfind("info", 0) != 0) calls += n;
    if (name == "mget") gets = n;
    pos = colon;
  }
  CHECK(gets == 1);  // MGET of the entry and the invalidation sequence
  CHECK(calls == 1);
}

TEST_CASE("an invalidation by one instance is seen by the other", "[redis][cache]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  FakeWallClock wall;
  Instance a(redis->port(), inline_config(wall));
  Instance b(redis->port(), inline_config(wall));
  for (auto* i : {&a, &b}) i->cache.tag_manager().add_rule("goal", {"btts", "correct_score"});

  const RequestContext btts{{"match:1", "btts"}, std::nullopt, {}};
  const RequestContext corners{{"match:1", "corners"}, std::nullopt, {}};
  const RequestContext other_match{{"match:2", "btts"}, std::nullopt, {}};
  a.cache.get_or_compute("m1:btts", constant("v1"), btts);
  a.cache.get_or_compute("m1:corners", constant("v1"), corners);
  a.cache.get_or_compute("m2:btts", constant("v1"), other_match);

  const auto report = b.cache.invalidate_by_event({"goal", "match:1"});
  CHECK(report.keys_deleted == 1);
  CHECK(b.metrics.get_stats().cache_keys_deleted_actual == 1);

  CHECK(a.cache.get_or_compute("m1:btts", constant("v2"), btts).strategy == Strategy::compute);
  CHECK(a.cache.get_or_compute("m1:corners", constant("v2"), corners).strategy == Strategy::serve_fresh);
  CHECK(a.cache.get_or_compute("m2:btts", constant("v2"), other_match).strategy == Strategy::serve_fresh);

  SECTION("invalidate_all by one instance empties the shared prefix only") {
    auto raw = redis_raw_connection(redis->port());
    (void)raw.command({"SET", "foreign", "x"});
    CHECK(b.cache.invalidate_all() == 3);
    CHECK(a.cache.get_or_compute("m1:corners", constant("v3"), corners).strategy == Strategy::compute);
    CHECK(raw.command({"EXISTS", "foreign"})->integer == 1);
  }
}

TEST_CASE("a stale entry is served and refreshed through Redis", "[redis][cache]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  FakeWallClock wall;
  Instance a(redis->port(), inline_config(wall));
  Instance b(redis->port(), inline_config(wall));
  a.cache.get_or_compute("k", constant("old"));
  wall.advance(1h + 1s);  // standard zone: fresh 1 h, then stale
  auto r = b.cache.get_or_compute("k", constant("new"));
  CHECK(r.strategy == Strategy::serve_stale);
  CHECK(r.value == "old");
  CHECK(b.metrics.get_stats().swr_background_success == 1);  // inline refresh ran
  auto after = a.cache.get_or_compute("k", constant("unused"));
  CHECK(after.strategy == Strategy::serve_fresh);
  CHECK(after.value == "new");
}

TEST_CASE("the distributed refresh lock lets exactly one instance refresh", "[redis][cache]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  FakeWallClock wall;
  // Each instance queues its refresh so the test decides when it runs.
  std::vector<std::function<void()>> queued_a, queued_b;
  Config cfg_a = inline_config(wall), cfg_b = inline_config(wall);
  cfg_a.executor = [&](std::function<void()> t) { queued_a.push_back(std::move(t)); };
  cfg_b.executor = [&](std::function<void()> t) { queued_b.push_back(std::move(t)); };
  Instance a(redis->port(), cfg_a);
  Instance b(redis->port(), cfg_b);
  a.cache.get_or_compute("hot", constant("v0"));
  wall.advance(1h + 1s);

  std::atomic<int> computes{0};
  std::promise<void> a_inside, a_may_finish;
  auto a_inside_f = a_inside.get_future();
  auto release = a_may_finish.get_future().share();
  auto slow = [&, release] {
    computes.fetch_add(1);
    a_inside.set_value();
    release.wait();
    return std::string("v1");
  };
  auto fast = [&] {
    computes.fetch_add(1);
    return std::string("v1-b");
  };
  CHECK(a.cache.get_or_compute("hot", slow).strategy == Strategy::serve_stale);
  CHECK(b.cache.get_or_compute("hot", fast).strategy == Strategy::serve_stale);
  REQUIRE(queued_a.size() == 1);
  REQUIRE(queued_b.size() == 1);

  std::thread refresher_a(queued_a.front());  // takes the lock, blocks in compute
  REQUIRE(a_inside_f.wait_for(10s) == std::future_status::ready);
  queued_b.front()();  // B's refresh finds the lock taken: skipped
  CHECK(computes.load() == 1);
  CHECK(b.cache.get_or_compute("hot", fast).strategy == Strategy::serve_stale);  // B keeps serving stale
  a_may_finish.set_value();
  refresher_a.join();

  CHECK(computes.load() == 1);
  check_stats(a.metrics.get_stats(), {{"swr_background_success", 1}});
  check_stats(b.metrics.get_stats(), {{"swr_background_success", 0}, {"cache_errors", 0}});
  auto now_fresh = b.cache.get_or_compute("hot", fast);
  CHECK(now_fresh.strategy == Strategy::serve_fresh);
  CHECK(now_fresh.value == "v1");
  CHECK_FALSE(key_exists(redis->port(), a.store->lock_key("hot")));
}

TEST_CASE("entries with 1,000 and 2,000 tags are cached within the default command timeout",
          "[redis][cache][tags]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  FakeWallClock wall;
  RedisOptions o = redis_test_options(redis->port(), "svc:");
  o.command_timeout = RedisOptions{}.command_timeout;  // 50 ms
  CacheMetrics metrics;
  auto store = std::make_shared<Store>(o);
  Cache cache(store, inline_config(wall), metrics);
  auto context = [](std::size_t n) {
    RequestContext ctx;
    for (std::size_t i = 0; i < n; ++i) ctx.tags.push_back("tag:" + std::to_string(i));
    return ctx;
  };

  for (const std::size_t n : {std::size_t{1000}, std::size_t{2000}}) {
    const auto ctx = context(n);
    const std::string key = "wide" + std::to_string(n);
    CHECK(cache.get_or_compute(key, constant("v"), ctx).strategy == Strategy::compute);
    auto again = cache.get_or_compute(key, constant("unused"), ctx);
    CHECK(again.strategy == Strategy::serve_fresh);
    CHECK(again.value == "v");
  }
  CHECK(metrics.get_stats().cache_errors == 0);
  CHECK(store->healthy());

  SECTION("more than max_tags_per_entry: served, counted once, not cached, store still healthy") {
    const auto ctx = context(Store::max_tags_per_entry + 1);
    CHECK(cache.get_or_compute("too-wide", constant("v"), ctx).value == "v");
    CHECK(metrics.get_stats().cache_errors == 1);  // the refused put
    CHECK_FALSE(key_exists(redis->port(), store->entry_key("too-wide")));
    CHECK(store->healthy());
  }
}

TEST_CASE("a list under an entry key: the request is computed as a miss and the list replaced",
          "[redis][cache][foreign]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  FakeWallClock wall;
  Instance a(redis->port(), inline_config(wall));
  auto raw = redis_raw_connection(redis->port());
  auto type_of = [&](const std::string& key) {
    auto r = raw.command({"TYPE", key});
    return std::string(r->str, r->len);
  };
  struct Case {
    const char* key;
    RequestContext ctx;
  };
  const std::vector<Case> cases{{"g6", {}}, {"g7", {{"match:1", "btts"}, std::nullopt, {}}}};
  double misses = 0;
  for (const auto& c : cases) {
    CAPTURE(c.key);
    const std::string redis_key = a.store->entry_key(c.key);
    (void)raw.command({"RPUSH", redis_key, "a", "b"});
    auto r = a.cache.get_or_compute(c.key, constant("computed"), c.ctx);
    CHECK(r.strategy == Strategy::compute);
    CHECK(r.value == "computed");
    CHECK(type_of(redis_key) == "string");  // the put replaced the list
    ++misses;
    auto again = a.cache.get_or_compute(c.key, constant("unused"), c.ctx);
    CHECK(again.strategy == Strategy::serve_fresh);
    CHECK(again.value == "computed");
  }
  // A foreign type reads as absent: a plain miss, not a store error.
  check_stats(a.metrics.get_stats(),
              {{"cache_miss", misses}, {"cache_errors", 0}, {"cache_hit_fresh", misses}});
  CHECK(a.store->healthy());
}

TEST_CASE("a dead Redis: every request computed, errors counted, nothing thrown", "[redis][cache]") {
  FakeWallClock wall;
  Instance a(smartcache_test::pick_free_port(), inline_config(wall));  // nobody listens
  CHECK_FALSE(a.store->healthy());
  for (int i = 0; i < 20; ++i) {
    auto r = a.cache.get_or_compute("k" + std::to_string(i % 3), constant("computed"));
    CHECK(r.strategy == Strategy::compute);
    CHECK(r.value == "computed");
  }
  const auto s = a.metrics.get_stats();
  check_stats(s, {{"total_requests", 20}, {"cache_hit_fresh", 0}});
  CHECK(s.cache_errors >= 20);  // every get failed (and the puts that were tried)
  CHECK(a.cache.invalidate_all() == 0);  // counted, not thrown
}

TEST_CASE("killing Redis mid-load: all answered, errors counted; restart resumes caching",
          "[redis][cache][stress]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  FakeWallClock wall;
  Instance a(redis->port(), inline_config(wall));

  constexpr int threads = 4;
  std::atomic<bool> stop{false};
  std::atomic<int> requests{0}, wrong{0}, thrown{0};
  std::atomic<int> phase{0};  // 0 up, 1 killed, 2 restarted
  std::atomic<int> hits_after_restart{0};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t)
    workers.emplace_back([&, t] {
      int i = 0;
      while (!stop.load()) {
        const std::string key = "k" + std::to_string(t) + ":" + std::to_string(i++ % 8);
        try {
          auto r = a.cache.get_or_compute(key, [key] { return "value-of-" + key; });
          if (r.value != "value-of-" + key) wrong.fetch_add(1);
          if (phase.load() == 2 && r.strategy == Strategy::serve_fresh) hits_after_restart.fetch_add(1);
        } catch (...) {
          thrown.fetch_add(1);
        }
        requests.fetch_add(1);
      }
    });
  const auto wait_for = [](auto done) { return smartcache_test::wait_for(done, 10s, 1ms); };

  CHECK(wait_for([&] { return requests.load() >= 200; }));
  CHECK(a.metrics.get_stats().cache_hit_fresh > 0);
  redis->kill();
  phase = 1;
  const int at_kill = requests.load();
  CHECK(wait_for([&] { return requests.load() >= at_kill + 200; }));
  CHECK_FALSE(a.store->healthy());
  const auto errors_while_down = a.metrics.get_stats().cache_errors;
  CHECK(errors_while_down > 0);

  redis->start();  // same port, empty
  phase = 2;
  CHECK(wait_for([&] { return hits_after_restart.load() >= 20; }));
  stop = true;
  for (auto& w : workers) w.join();

  CHECK(thrown.load() == 0);
  CHECK(wrong.load() == 0);
  CHECK(a.store->healthy());
  const auto s = a.metrics.get_stats();
  CHECK(s.total_requests == static_cast<std::uint64_t>(requests.load()));
  CHECK(smartcache_test::strategy_sum(s) == s.total_requests);
}
