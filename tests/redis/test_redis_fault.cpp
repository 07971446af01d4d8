// smartcache tests - fault matrix over a real Redis: killed and restarted under
// load with invalidations, and an invalidation racing another instance's compute.
// SPDX-License-Identifier: MIT
#include <atomic>
#include <chrono>
#include <future>
#include <memory>
#include <random>
#include <string>
#include <thread>

#include <smartcache/redis_store.hpp>
#include <smartcache/cache.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/fault_injection.hpp"
#include "support/log_capture.hpp"
#include "support/redis_server.hpp"

using namespace smartcache_test;
using namespace std::chrono_literals;

namespace {

using Store = smartcache::RedisStore<std::string>;
using Cache = smartcache::SmartCache<Store>;
constexpr int matches = 4;

// One cache instance over its own RedisStore on `port`, refreshing inline.
struct Instance {
  explicit Instance(int port)
      : store(std::make_shared<Store>(options(port))), cache(store, inline_config(), metrics) {}
  static smartcache::RedisOptions options(int port) {
    smartcache::RedisOptions o = redis_test_options(port, "fault:");
    o.pool_size = 6;
    return o;
  }
  smartcache::CacheMetrics metrics;
  std::shared_ptr<Store> store;
  Cache cache;
};

// "<key>@<version>"
std::string encode(const std::string& key, std::uint64_t v) { return key + "@" + std::to_string(v); }

}  // namespace

TEST_CASE("Redis killed and restarted under load with invalidations: all answered, counts conserved, "
          "nothing invalidated served again",
          "[fault][redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  LogCapture quiet;
  Instance one(redis->port());
  auto& cache = one.cache;
  cache.tag_manager().add_rule("goal", {"btts"});
  std::atomic<std::uint64_t> truth[matches] = {}, published[matches] = {};
  std::atomic<bool> stop{false};
  Answered seen;
  std::atomic<std::uint64_t> stale_after_invalidation{0};

  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&, t] {
      for (int i = 0; !stop.load(); ++i) {
        const int m = (i + t) % matches;
        const std::string key = "k" + std::to_string((i * 3 + t) % 16) + ":m" + std::to_string(m);
        const std::uint64_t floor = published[m].load();
        const smartcache::RequestContext ctx{{"match:" + std::to_string(m), "btts"}, std::nullopt, {}};
        auto* truth_m = &truth[m];
        const auto r = seen.answer([&] {
          return cache.get_or_compute(key, [key, truth_m] { return encode(key, truth_m->load()); }, ctx);
        });
        if (!r) continue;
        const auto at = r->value.rfind('@');
        if (r->value.substr(0, at) != key) seen.wrong_key.fetch_add(1);
        const bool served = r->strategy != smartcache::Strategy::compute && r->strategy != smartcache::Strategy::bypass;
        if (served && std::stoull(r->value.substr(at + 1)) < floor) stale_after_invalidation.fetch_add(1);
      }
    });

  // Invalidate a match every 2 ms; kill Redis after 100 rounds, restart it after 200.
  for (unsigned round = 0; round < 300; ++round) {
    const unsigned m = round % matches;
    const std::uint64_t v = truth[m].fetch_add(1) + 1;
    cache.invalidate_by_event({"goal", "match:" + std::to_string(m)});
    published[m].store(v);
    if (round == 100) redis->kill();
    if (round == 200) redis->start();
    std::this_thread::sleep_for(2ms);
  }
  stop = true;
  for (auto& w : workers) w.join();

  const auto s = one.metrics.get_stats();
  check_answered(seen, s);
  CHECK(seen.compute_errors == 0);  // no compute throws here: every request has a value
  CHECK(s.cache_errors > 0);      // the outage was seen and counted
  CHECK(s.cache_hit_fresh > 0);   // and caching worked around it
  CHECK(stale_after_invalidation == 0);
}

// The invalidation guard is per process: this needs the store's help
// (RedisStore refuses a put an invalidation by any instance overtook).
TEST_CASE("an invalidation by one instance keeps another instance's compute in flight from storing",
          "[fault][redis][invalidation]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  LogCapture quiet;
  Instance instance_a(redis->port()), instance_b(redis->port());
  auto& a = instance_a.cache;
  auto& b = instance_b.cache;
  a.tag_manager().add_rule("goal", {"btts"});
  b.tag_manager().add_rule("goal", {"btts"});
  const smartcache::RequestContext ctx{{"match:1", "btts"}, std::nullopt, {}};
  std::atomic<int> version{1};
  Hold hold;
  const auto old_read = hold.compute([&] { return "v" + std::to_string(version.load()); });
  auto in_b = std::async(std::launch::async,
                         [&] { return b.get_or_compute("odds", old_read, ctx).value; });
  REQUIRE(hold.wait_entered());
  version = 2;
  a.invalidate_by_event({"goal", "match:1"});
  hold.release();
  CHECK(in_b.get() == "v1");

  auto r = a.get_or_compute("odds", [&] { return "v" + std::to_string(version.load()); }, ctx);
  CHECK(r.value == "v2");
}

namespace {

// Writes random bytes under each of `n` keys (half behind a valid version byte,
// so the header parse goes deeper) and calls f(key) for each.
template <class F>
void with_garbage_keys(int port, Store& store, int n, F f) {
  auto raw = redis_raw_connection(port);
  std::mt19937 rng(7);
  for (int i = 0; i < n; ++i) {
    std::string garbage(rng() % 64, '\0');
    for (auto& c : garbage) c = static_cast<char>(rng() % 256);
    if (i % 2 == 0 && !garbage.empty()) garbage[0] = '\x01';
    const std::string key = "g" + std::to_string(i);
    REQUIRE(raw.command({"SET", store.entry_key(key), garbage}) != nullptr);
    f(key);
  }
}

}  // namespace

TEST_CASE("garbage under a key in Redis: computed, counted once, then repaired", "[fault][redis][codec]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  LogCapture quiet;
  Instance one(redis->port());
  with_garbage_keys(redis->port(), *one.store, 50, [&](const std::string& key) {
    const auto errors_before = one.metrics.get_stats().cache_errors;
    auto r = one.cache.get_or_compute(key, [key] { return "value-of-" + key; });
    CHECK(r.strategy == smartcache::Strategy::compute);
    CHECK(r.value == "value-of-" + key);
    CHECK(one.metrics.get_stats().cache_errors == errors_before + 1);
    // The computed value replaced the garbage: served from Redis, no new error.
    auto again = one.cache.get_or_compute(key, [] { return std::string("recomputed"); });
    CHECK(again.strategy == smartcache::Strategy::serve_fresh);
    CHECK(again.value == "value-of-" + key);
    CHECK(one.metrics.get_stats().cache_errors == errors_before + 1);
  });
}

TEST_CASE("a store that is down is not written after its failed lookup", "[fault][redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  LogCapture quiet;
  Instance one(redis->port());
  redis->stop();
  auto r = one.cache.get_or_compute("k", [] { return std::string("v"); });
  CHECK(r.value == "v");
  CHECK(one.metrics.get_stats().cache_errors == 1);  // the get only: no put attempted
}

