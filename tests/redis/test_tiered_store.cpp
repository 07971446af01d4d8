// TieredStore against a real Redis: tiers, coherence across instances for
// every kind of writer, the race guard, own writes, and notification loss.
#include "support/catch.hpp"
#include "support/redis_server.hpp"
#include "support/tiered.hpp"

#include <smartcache/cache.hpp>
#include <smartcache/tiered_store.hpp>

#include <atomic>
#include <chrono>
#include <memory>
#include <string>
#include <vector>

using namespace std::chrono_literals;
using smartcache::CacheMetrics;
using smartcache::Counter;
using smartcache::Entry;
using smartcache::Tier;
using smartcache::TieredOptions;
using smartcache::WallTime;
using smartcache_test::counter;
using smartcache_test::eventually;
using smartcache_test::redis_raw_connection;
using smartcache_test::tiered_test_options;

namespace {

using Store = smartcache::TieredStore<std::string>;

WallTime now() { return std::chrono::system_clock::now(); }

Entry<std::string> entry(std::string v, std::vector<std::string> tags = {}) {
  const auto t = now();
  return Entry<std::string>{std::move(v), t, t + 60s, t + 120s, std::move(tags)};
}

// One service instance: its metrics and its store.
struct Node {
  explicit Node(int port, std::string prefix = "tier:") : store(tiered_test_options(port, metrics, std::move(prefix))) {}
  Node(int port, const std::function<void(TieredOptions&)>& adjust) : store(adjusted(port, metrics, adjust)) {}
  static TieredOptions adjusted(int port, CacheMetrics& m, const std::function<void(TieredOptions&)>& adjust) {
    auto o = tiered_test_options(port, m);
    adjust(o);
    return o;
  }
  CacheMetrics metrics;
  Store store;

  std::optional<std::string> value(const std::string& k) {
    auto e = store.get(k, now());
    return e ? std::optional<std::string>(e->value) : std::nullopt;
  }
  Tier tier(const std::string& k) {
    auto e = store.get(k, now());
    return e ? e->tier : Tier::none;
  }
  std::uint64_t count(Counter c) const { return counter(metrics, c); }
  // Waits until this node's own writes are checked against Redis.
  bool settled() {
    return eventually([&] { return store.pending_verifications() == 0; });
  }
};

// Puts through `writer` and waits until `reader` got that write's notification
// (one write, one message), so that it cannot overtake `reader`'s next fill.
void put_seen(Node& writer, Node& reader, const std::string& k, Entry<std::string> e) {
  const auto seen = reader.count(Counter::tier_notifications);
  writer.store.put(k, std::move(e), now());
  REQUIRE(eventually([&] { return reader.count(Counter::tier_notifications) > seen; }));
}

}  // namespace

TEST_CASE("a get answers from Redis once, then from the memory tier", "[redis][tiered]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  Node a(redis->port()), b(redis->port());
  REQUIRE(a.store.coherent());
  REQUIRE(b.store.coherent());
  put_seen(a, b, "k", entry("v1"));
  CHECK(b.tier("k") == Tier::redis);
  CHECK(b.tier("k") == Tier::memory);
  CHECK(b.value("k") == "v1");
  CHECK(b.store.memory_size() == 1);
}

TEST_CASE("own writes stay in the memory tier after their notification comes back", "[redis][tiered]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  Node a(redis->port());
  const auto before = a.count(Counter::tier_notifications);
  a.store.put("k", entry("mine"), now());
  REQUIRE(eventually([&] { return a.count(Counter::tier_notifications) > before; }));  // the echo came
  REQUIRE(a.settled());
  CHECK(a.tier("k") == Tier::memory);
  CHECK(a.value("k") == "mine");
}

// MGET calls the server has run (INFO commandstats).
long mget_calls(int port) {
  auto reply = redis_raw_connection(port).command({"INFO", "commandstats"});
  const std::string info(reply->str, reply->len);
  const std::string field = "cmdstat_mget:calls=";
  const auto at = info.find(field);
  return at == std::string::npos ? 0 : std::stol(info.substr(at + field.size()));
}

TEST_CASE("own-write checks are batched: a burst of writes costs a few reads, not one each", "[redis][tiered]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  // One check at once (the first), then only full batches of 10: the
  // interval is too long to end during the test.
  Node a(redis->port(), [](TieredOptions& o) {
    o.own_write_check_interval = std::chrono::hours(1);
    o.own_write_check_batch = 10;
  });
  const long before = mget_calls(redis->port());
  for (int i = 0; i < 100; ++i) a.store.put("k" + std::to_string(i), entry("v"), now());
  REQUIRE(eventually([&] { return a.store.pending_verifications() < 10; }));
  const long checks = mget_calls(redis->port()) - before;
  CHECK(checks >= 1);
  // One at once, then batches of 10; a key whose slot moved during a check's
  // read (the echo of a later write) is checked again. One per write: 100.
  CHECK(checks <= 30);
  CHECK(a.store.memory_size() == 100);  // checked or waiting: every own write stays
  CHECK(a.tier("k99") == Tier::memory);
}

TEST_CASE("a write by another instance reaches every memory tier", "[redis][tiered]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  Node a(redis->port()), b(redis->port());
  put_seen(a, b, "k", entry("v1"));
  REQUIRE(b.value("k") == "v1");
  REQUIRE(b.tier("k") == Tier::memory);
  a.store.put("k", entry("v2"), now());
  CHECK(eventually([&] { return b.value("k") == "v2"; }));
  REQUIRE(a.settled());
  CHECK(a.value("k") == "v2");
}

TEST_CASE("writes by redis-cli, expiry and deletes reach the memory tier", "[redis][tiered]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  Node a(redis->port()), b(redis->port());
  auto raw = redis_raw_connection(redis->port());
  a.store.put("gone", entry("v"), now());
  a.store.put("short", entry("v"), now());
  REQUIRE(b.value("gone") == "v");
  REQUIRE(b.value("short") == "v");
  (void)raw.command({"DEL", "tier:k:gone"});
  (void)raw.command({"PEXPIRE", "tier:k:short", "1"});
  CHECK(eventually([&] { return !b.value("gone").has_value(); }));
  CHECK(eventually([&] { return !b.value("short").has_value(); }));
  CHECK(eventually([&] { return !a.value("gone").has_value(); }));
}

TEST_CASE("a tag invalidation on one instance empties every memory tier of those keys", "[redis][tiered]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  Node a(redis->port()), b(redis->port());
  put_seen(a, b, "m42:corners", entry("c", {"match:42", "corners"}));
  put_seen(a, b, "m42:cards", entry("d", {"match:42", "cards"}));
  REQUIRE(b.value("m42:corners") == "c");
  REQUIRE(b.value("m42:cards") == "d");
  REQUIRE(a.settled());
  CHECK(a.store.erase_tagged("match:42", {"corners"}) == 1);
  CHECK_FALSE(a.value("m42:corners").has_value());  // this instance: at once
  CHECK(eventually([&] { return !b.value("m42:corners").has_value(); }));
  CHECK(b.value("m42:cards") == "d");  // the other market stays
  CHECK(b.tier("m42:cards") == Tier::memory);
}

TEST_CASE("FLUSHDB clears every memory tier (counted as a flush)", "[redis][tiered]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  Node a(redis->port()), b(redis->port());
  a.store.put("k", entry("v"), now());
  REQUIRE(b.value("k") == "v");
  (void)redis_raw_connection(redis->port()).command({"FLUSHDB"});
  CHECK(eventually([&] { return b.count(Counter::tier_clears_flush) == 1; }));
  CHECK(b.store.memory_size() == 0);
  CHECK_FALSE(b.value("k").has_value());
}

TEST_CASE("a fill that a notification overtook does not stay in the memory tier", "[redis][tiered]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  Node a(redis->port());
  std::atomic<bool> armed{false};
  CacheMetrics* b_metrics = nullptr;
  // B's get reads v1 from Redis; before it fills, A writes v2 and B's
  // listener handles the notification. Only then does the fill run.
  Node b(redis->port(), [&](TieredOptions& o) {
    b_metrics = o.metrics;
    o.before_fill = [&](std::string_view key) {
      if (key != "k" || !armed.exchange(false)) return;
      const auto seen = counter(*b_metrics, Counter::tier_notifications);
      a.store.put("k", entry("v2"), now());
      REQUIRE(eventually([&] { return counter(*b_metrics, Counter::tier_notifications) > seen; }));
    };
  });
  put_seen(a, b, "k", entry("v1"));
  armed = true;
  CHECK(b.value("k") == "v1");  // read before the write: served, not kept
  CHECK(b.store.memory_size() == 0);
  CHECK(b.tier("k") == Tier::redis);
  CHECK(b.value("k") == "v2");
}

TEST_CASE("a put after a memory-tier lookup is refused when another instance's invalidation overtook it",
          "[redis][tiered]") {
  // Regression: a lookup answered by the memory tier noted no invalidation
  // sequence, so the put of the compute that followed it was written
  // unchecked, and an invalidation by another instance in between was undone.
  SMARTCACHE_REQUIRE_REDIS(redis);
  Node a(redis->port()), b(redis->port());
  a.store.put("m1:odds", entry("old", {"match:1", "odds"}), now());
  REQUIRE(a.settled());
  REQUIRE(a.tier("m1:odds") == Tier::memory);  // the lookup; a compute begins after it
  CHECK(b.store.erase_tagged("match:1", {"odds"}) == 1);
  a.store.put("m1:odds", entry("computed before the invalidation", {"match:1", "odds"}), now());
  CHECK_FALSE(b.store.redis().get("m1:odds", now()).has_value());
  // A lookup after the invalidation (from Redis, or a memory-tier hit after
  // it) lets the next compute's put through.
  REQUIRE(eventually([&] { return !a.value("m1:odds").has_value(); }));
  a.store.put("m1:odds", entry("new", {"match:1", "odds"}), now());
  CHECK(eventually([&] { return b.value("m1:odds") == "new"; }));
}

TEST_CASE("a dropped notification connection clears and bypasses the memory tier until it is back",
          "[redis][tiered][fault]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  Node a(redis->port());
  a.store.put("k", entry("v"), now());
  REQUIRE(a.settled());
  REQUIRE(a.tier("k") == Tier::memory);
  a.store.drop_notifications_for_testing();
  REQUIRE(eventually([&] { return a.count(Counter::tier_clears_disconnect) == 1; }));
  CHECK(a.store.memory_size() == 0);
  // Back after the reconnect backoff (10 ms), counted; the memory tier refills.
  // (The reconnect is counted after the tier is back in use: wait on the count.)
  REQUIRE(eventually([&] { return a.count(Counter::tier_reconnects) == 1; }));
  CHECK(a.store.coherent());
  CHECK(a.tier("k") == Tier::redis);
  CHECK(a.tier("k") == Tier::memory);
}

TEST_CASE("while notifications are down every get reads Redis", "[redis][tiered][fault]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  Node a(redis->port()), b(redis->port());
  a.store.put("k", entry("v1"), now());
  REQUIRE(b.value("k") == "v1");
  redis->kill();
  // The count is the last step of the listener's report (bypass, clear, count).
  REQUIRE(eventually([&] { return b.count(Counter::tier_clears_disconnect) == 1; }));
  CHECK_FALSE(b.store.coherent());
  CHECK(b.store.memory_size() == 0);
  redis->start();  // empty: persistence is off
  REQUIRE(eventually([&] { return b.count(Counter::tier_reconnects) == 1; }, 10s));
  CHECK(b.store.coherent());
  CHECK(eventually([&] {
    try {
      return !b.value("k").has_value();
    } catch (const smartcache::StoreError&) {
      return false;  // the data pool is still in its backoff
    }
  }));
}

TEST_CASE("an unanswered heartbeat clears the memory tier", "[redis][tiered][fault]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  Node a(redis->port());
  a.store.put("k", entry("v"), now());
  REQUIRE(a.settled());
  REQUIRE(a.store.memory_size() == 1);
  redis->pause();  // a hung server: connections stay open, nothing answers
  const bool cleared = eventually([&] { return a.count(Counter::tier_clears_heartbeat) == 1; });
  CHECK(a.store.memory_size() == 0);
  CHECK_FALSE(a.store.coherent());
  redis->resume();
  REQUIRE(cleared);
  CHECK(eventually([&] { return a.store.coherent(); }, 10s));
}

TEST_CASE("memory-tier entries never outlive memory_max_ttl", "[redis][tiered]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  Node a(redis->port(), [](TieredOptions& o) { o.memory_max_ttl = 1000ms; });
  a.store.put("k", entry("v"), now());
  REQUIRE(a.settled());
  const auto t = now();
  auto e = a.store.get("k", t);
  REQUIRE(e);
  CHECK(e->tier == Tier::memory);
  CHECK(e->stale_until <= t + 1000ms);
  auto later = a.store.get("k", t + 1500ms);  // past the memory bound: from Redis again
  REQUIRE(later);
  CHECK(later->tier == Tier::redis);
  CHECK(later->stale_until > t + 60s);  // Redis's horizons, not the memory tier's
}

TEST_CASE("SmartCache over TieredStore counts hits by tier", "[redis][tiered][cache]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  CacheMetrics metrics;
  auto store = std::make_shared<Store>(tiered_test_options(redis->port(), metrics));
  smartcache::SmartCache<Store> cache(store, smartcache::Config{}, metrics);
  {
    Node other(redis->port());
    other.store.put("odds:1", entry("1.85"), now());
  }
  // The write's notification has reached this store: it cannot overtake the fill below.
  REQUIRE(eventually([&] { return counter(metrics, Counter::tier_notifications) >= 1; }));
  CHECK(cache.get_or_compute("odds:1", [] { return std::string("computed"); }).value == "1.85");
  CHECK(cache.get_or_compute("odds:1", [] { return std::string("computed"); }).value == "1.85");
  const auto s = metrics.get_stats();
  CHECK(s.tier_redis_hits == 1);
  CHECK(s.tier_memory_hits == 1);
  CHECK(s.cache_hit_fresh == 2);
  const auto text = metrics.to_prometheus();
  CHECK(text.find("smartcache_tier_hits_total{tier=\"memory\"} 1") != std::string::npos);
  CHECK(text.find("smartcache_tier_hits_total{tier=\"redis\"} 1") != std::string::npos);
}
