// RedisStore against a real redis-server started by the test harness.
#include "support/catch.hpp"
#include "support/log_capture.hpp"
#include "support/redis_server.hpp"

#include <smartcache/redis_store.hpp>

#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <memory>
#include <random>
#include <stdexcept>
#include <set>
#include <string>
#include <thread>
#include <vector>

using namespace std::chrono_literals;
using smartcache::Entry;
using smartcache::RedisOptions;
using smartcache::RedisStore;
using smartcache::StoreError;
using smartcache::WallTime;
using smartcache::detail::RedisConnection;
using smartcache::detail::ReplyPtr;
using smartcache_test::redis_test_options;

namespace {

const WallTime t0 = WallTime(std::chrono::seconds(1'700'000'000));


// An entry whose horizons are relative to `now`.
template <class V = std::string>
Entry<V> entry(V value, std::vector<std::string> tags = {}, WallTime now = t0,
               std::chrono::milliseconds fresh = 60s, std::chrono::milliseconds stale = 120s) {
  Entry<V> e;
  e.value = std::move(value);
  e.stored_at = now;
  e.fresh_until = now + fresh;
  e.stale_until = now + stale;
  e.tags = std::move(tags);
  return e;
}

// A plain connection for checking what the store wrote.
struct Raw {
  explicit Raw(int port, const std::string& password = "")
      : conn(smartcache_test::redis_raw_connection(port, password)) {}
  ReplyPtr operator()(const smartcache::detail::Command& c) { return conn.command(c); }
  long long integer(const smartcache::detail::Command& c) {
    auto r = conn.command(c);
    REQUIRE(r->type == REDIS_REPLY_INTEGER);
    return r->integer;
  }
  std::set<std::string> members(const std::string& set_key) {
    auto r = conn.command({"SMEMBERS", set_key});
    REQUIRE(r->type == REDIS_REPLY_ARRAY);
    std::set<std::string> out;
    for (std::size_t i = 0; i < r->elements; ++i)
      out.emplace(r->element[i]->str, r->element[i]->len);
    return out;
  }
  bool exists(const std::string& key) { return integer({"EXISTS", key}) == 1; }
  std::string text(const smartcache::detail::Command& c) {
    auto r = conn.command(c);
    REQUIRE((r->type == REDIS_REPLY_STRING || r->type == REDIS_REPLY_STATUS));
    return std::string(r->str, r->len);
  }
  // Connections the server accepted so far (INFO stats), this one included.
  long long connections_received() {
    const std::string info = text({"INFO", "stats"});
    const std::string field = "total_connections_received:";
    const auto at = info.find(field);
    REQUIRE(at != std::string::npos);
    return std::stoll(info.substr(at + field.size()));
  }
  // The tags stored with `key` (the frame as written; a lookup does not return them).
  std::vector<std::string> stored_tags(const std::string& entry_key) {
    return smartcache::detail::decode_entry<std::string, smartcache::DefaultCodec<std::string>>(
               text({"GET", entry_key}))
        .tags;
  }
  RedisConnection conn;
};

// Puts `value` under "k" until the store accepts it (once it reconnected),
// pausing between tries; false when it still refuses after `patience`.
bool put_until_accepted(RedisStore<std::string>& store, const std::string& value,
                        std::chrono::seconds patience, std::chrono::milliseconds pause) {
  const auto deadline = std::chrono::steady_clock::now() + patience;
  while (std::chrono::steady_clock::now() < deadline) {
    try {
      store.put("k", entry<std::string>(value), t0);
      return true;
    } catch (const StoreError&) {
      std::this_thread::sleep_for(pause);
    }
  }
  return false;
}

// The warnings captured, and whether one of them has `needle` in a field.
std::vector<smartcache::LogRecord> warnings(const smartcache_test::LogCapture& logs) {
  std::vector<smartcache::LogRecord> out;
  for (auto& r : logs.records())
    if (r.level == smartcache::LogLevel::warning) out.push_back(r);
  return out;
}
bool has_field_containing(const smartcache::LogRecord& r, const std::string& needle) {
  for (const auto& f : r.fields)
    if (f.second.find(needle) != std::string::npos) return true;
  return false;
}

}  // namespace

TEST_CASE("RedisStore round-trips every operation", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> store(redis_test_options(redis->port()));
  CHECK(store.healthy());

  CHECK_FALSE(store.get("a", t0).has_value());
  CHECK(store.put("a", entry<std::string>("alpha", {"m1"}), t0) == 0);
  CHECK(store.put("b", entry<std::string>("beta"), t0) == 0);
  auto a = store.get("a", t0);
  REQUIRE(a.has_value());
  CHECK(a->value == "alpha");
  CHECK(a->stored_at == t0);
  CHECK(a->fresh_until == t0 + 60s);
  CHECK(a->stale_until == t0 + 120s);
  CHECK(Raw(redis->port()).stored_tags(store.entry_key("a")) == std::vector<std::string>{"m1"});
  CHECK(store.size() == 2);

  store.put("a", entry<std::string>("alpha2"), t0);  // replace
  CHECK(store.get("a", t0)->value == "alpha2");

  CHECK(store.erase("a"));
  CHECK_FALSE(store.erase("a"));
  CHECK_FALSE(store.get("a", t0).has_value());
  CHECK(store.size() == 1);
  CHECK(store.clear() == 1);
  CHECK(store.size() == 0);
}

TEST_CASE("RedisStore keeps binary keys and values intact", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> store(redis_test_options(redis->port()));
  const std::string key("k\0\xff y*", 6);
  std::string value;
  for (int i = 0; i < 256; ++i) value.push_back(static_cast<char>(i));
  value += std::string(100000, '\0');
  store.put(key, entry(value, {std::string("t\0g", 3)}), t0);
  auto got = store.get(key, t0);
  REQUIRE(got.has_value());
  CHECK(got->value == value);
  CHECK(Raw(redis->port()).stored_tags(store.entry_key(key)) ==
        std::vector<std::string>{std::string("t\0g", 3)});
  CHECK(store.erase_tagged(std::string("t\0g", 3), {}) == 1);

  RedisStore<double> numbers(redis_test_options(redis->port(), "num:"));
  numbers.put("pi", entry<double>(3.14159), t0);
  CHECK(numbers.get("pi", t0)->value == 3.14159);
}

TEST_CASE("RedisStore sets the Redis expiry at stale_until", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> store(redis_test_options(redis->port()));
  Raw raw(redis->port());

  store.put("k", entry<std::string>("v", {"tag"}, t0, 10s, 30s), t0);
  const long long pttl = raw.integer({"PTTL", store.entry_key("k")});
  CHECK(pttl > 25'000);
  CHECK(pttl <= 30'000);
  // The tag set outlives the entry by the slack (1 min by default).
  const long long tag_pttl = raw.integer({"PTTL", store.tag_key("tag")});
  CHECK(tag_pttl > 85'000);
  CHECK(tag_pttl <= 90'000);

  SECTION("a shorter-lived entry never shortens a tag set") {
    store.put("short", entry<std::string>("v", {"tag"}, t0, 1s, 2s), t0);
    CHECK(raw.integer({"PTTL", store.tag_key("tag")}) > 85'000);
  }
  SECTION("a longer-lived entry extends it") {
    store.put("long", entry<std::string>("v", {"tag"}, t0, 1s, 600s), t0);
    CHECK(raw.integer({"PTTL", store.tag_key("tag")}) > 655'000);
  }
  SECTION("get treats an entry past stale_until as absent") {
    CHECK(store.get("k", t0 + 29s).has_value());
    CHECK_FALSE(store.get("k", t0 + 30s).has_value());
  }
  SECTION("an entry already past stale_until is not written") {
    store.put("old", entry<std::string>("v", {}, t0, 1s, 2s), t0 + 2s);
    CHECK_FALSE(raw.exists(store.entry_key("old")));
  }
}

TEST_CASE("RedisStore keeps its keys under its prefix", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> store(redis_test_options(redis->port(), "app:"));
  Raw raw(redis->port());
  store.put("x", entry<std::string>("v", {"m"}), t0);
  auto lock = store.try_lock_refresh("x", 10s);
  REQUIRE(lock.has_value());
  CHECK(raw.exists("app:k:x"));
  CHECK(raw.members("app:t:m") == std::set<std::string>{"app:k:x"});
  CHECK(raw.exists("app:l:x"));
  CHECK(raw.integer({"DBSIZE"}) == 3);
}

TEST_CASE("clear and size touch only this store's prefix", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  // A glob metacharacter in the prefix must match literally.
  RedisStore<std::string> store(redis_test_options(redis->port(), "t*st:"));
  RedisStore<std::string> neighbour(redis_test_options(redis->port(), "tXst:"));
  Raw raw(redis->port());
  for (int i = 0; i < 2500; ++i) store.put("k" + std::to_string(i), entry<std::string>("v", {"m"}), t0);
  neighbour.put("k1", entry<std::string>("n", {"m"}), t0);
  raw({"SET", "foreign", "survives"});
  raw({"SET", "t*st:unrelated-but-prefixed", "survives"});  // not a key this store writes
  auto lock = store.try_lock_refresh("k1", 10s);

  CHECK(store.size() == 2500);
  CHECK(neighbour.size() == 1);
  CHECK(store.clear() == 2500);
  CHECK(store.size() == 0);
  // The tag set stays (a put during the clear may have joined it) and expires
  // by itself; the next erase_tagged of the tag drops the erased members.
  CHECK(raw.integer({"PTTL", store.tag_key("m")}) > 0);
  CHECK(store.erase_tagged("", {"m"}) == 0);
  CHECK_FALSE(raw.exists(store.tag_key("m")));
  CHECK(raw.exists("t*st:unrelated-but-prefixed"));
  CHECK(raw.exists(store.lock_key("k1")));  // an in-flight refresh keeps its lock
  CHECK(raw.exists("foreign"));
  CHECK(neighbour.get("k1", t0)->value == "n");
  CHECK(raw.exists(neighbour.tag_key("m")));
}

// Up to 0.2 clear() also unlinked the tag sets, after the entries: an entry
// put while a clear ran (rightly: its compute began after the clear) joined a
// tag set that the clear then took away, and no erase_tagged of its tags could
// reach it again. The soak's coherence check found the resurrected reads.
TEST_CASE("an entry put while another instance clears stays reachable by erase_tagged", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> clearing(redis_test_options(redis->port(), "race:"));
  RedisStore<std::string> writing(redis_test_options(redis->port(), "race:"));
  std::atomic<bool> stop{false};
  std::atomic<int> clears{0};
  std::thread clearer([&] {
    while (!stop.load()) {
      (void)clearing.clear();
      clears.fetch_add(1);
    }
  });
  while (clears.load() == 0) std::this_thread::yield();
  int survivors = 0, rounds = 0;
  // Each round: a put (unchecked: no lookup came first), then an
  // invalidation of its one tag; the entry must be gone after it, whether
  // the clear or the invalidation took it. Rounds go on until the clearer
  // has run 200 clears, so that clears overlap many put/erase pairs.
  for (; rounds < 20'000 && (clears.load() < 200 || rounds < 200); ++rounds) {
    const std::string key = "k" + std::to_string(rounds), tag = "tag" + std::to_string(rounds);
    writing.put(key, entry<std::string>("v", {tag}), t0);
    (void)writing.erase_tagged("", {tag});
    if (writing.get(key, t0)) ++survivors;
  }
  stop = true;
  clearer.join();
  CAPTURE(rounds, clears.load());
  CHECK(survivors == 0);
}

TEST_CASE("clear leaves stores whose prefix nests in, extends or globs like its own alone",
          "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  Raw raw(redis->port());
  // Nested (svc: / svc:eu:), siblings sharing a stem (odds / odds2), glob
  // metacharacters and a backslash, all in one database.
  const std::vector<std::string> prefixes{"svc:", "svc:eu:", "odds", "odds2", "a*[b]?:", "a", "x\\y:"};
  std::vector<std::unique_ptr<RedisStore<std::string>>> stores;
  for (const auto& p : prefixes) stores.push_back(std::make_unique<RedisStore<std::string>>(redis_test_options(redis->port(), p)));
  // Keys no store wrote, some of them under a store's prefix but outside its layout.
  const std::vector<std::string> foreign{"foreign", "svc:other", "svc:eu", "odds-feed", "odds2:meta",
                                         "a*[b]?:zz", "ab", "x\\y:cfg"};
  const std::vector<std::string> keys{"e1", "e2", "e3"};

  for (std::size_t cleared = 0; cleared < stores.size(); ++cleared) {
    DYNAMIC_SECTION("clear() of the store prefixed " << prefixes[cleared]) {
      raw({"FLUSHALL"});
      for (auto& s : stores)
        for (const auto& k : keys) s->put(k, entry<std::string>(s->options().key_prefix + k, {"scope", "m-" + k}), t0);
      for (const auto& f : foreign) raw({"SET", f, "mine"});
      for (auto& s : stores) REQUIRE(s->size() == keys.size());

      CHECK(stores[cleared]->clear() == keys.size());

      CHECK(stores[cleared]->size() == 0);
      for (std::size_t other = 0; other < stores.size(); ++other) {
        if (other == cleared) continue;
        auto& s = *stores[other];
        CAPTURE(s.options().key_prefix);
        CHECK(s.size() == keys.size());
        for (const auto& k : keys) {
          auto e = s.get(k, t0);
          REQUIRE(e.has_value());
          CHECK(e->value == s.options().key_prefix + k);
          CHECK(raw.members(s.tag_key("m-" + k)) == std::set<std::string>{s.entry_key(k)});
        }
        CHECK(raw.members(s.tag_key("scope")).size() == keys.size());
      }
      for (const auto& f : foreign) {
        CAPTURE(f);
        CHECK(raw.exists(f));
      }
    }
  }
}

TEST_CASE("an empty key_prefix is refused at construction", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisOptions o = redis_test_options(redis->port(), "");
  CHECK_THROWS_AS(RedisStore<std::string>(o), std::invalid_argument);
  try {
    RedisStore<std::string> store(o);
  } catch (const std::invalid_argument& e) {
    CHECK(std::string(e.what()).find("key_prefix") != std::string::npos);
  }
}

TEST_CASE("erase_tagged erases scope AND any-of, nothing else", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> store(redis_test_options(redis->port()));
  Raw raw(redis->port());
  // Three matches, three markets.
  store.put("m1:goals", entry<std::string>("v", {"match:1", "goals"}), t0);
  store.put("m1:cards", entry<std::string>("v", {"match:1", "cards"}), t0);
  store.put("m1:both", entry<std::string>("v", {"match:1", "goals", "cards"}), t0);
  store.put("m2:goals", entry<std::string>("v", {"match:2", "goals"}), t0);
  store.put("m2:corners", entry<std::string>("v", {"match:2", "corners"}), t0);
  store.put("untagged", entry<std::string>("v"), t0);

  auto present = [&] {
    std::set<std::string> out;
    for (const char* k : {"m1:goals", "m1:cards", "m1:both", "m2:goals", "m2:corners", "untagged"})
      if (store.get(k, t0)) out.emplace(k);
    return out;
  };

  SECTION("scope and any-of") {
    CHECK(store.erase_tagged("match:1", {"goals", "corners"}) == 2);
    CHECK(present() == std::set<std::string>{"m1:cards", "m2:goals", "m2:corners", "untagged"});
    // Erased keys left the sets passed to the script.
    CHECK(raw.members(store.tag_key("match:1")) == std::set<std::string>{store.entry_key("m1:cards")});
    CHECK(raw.members(store.tag_key("goals")) == std::set<std::string>{store.entry_key("m2:goals")});
  }
  SECTION("scope only") {
    CHECK(store.erase_tagged("match:2", {}) == 2);
    CHECK(present() == std::set<std::string>{"m1:goals", "m1:cards", "m1:both", "untagged"});
  }
  SECTION("any-of only") {
    CHECK(store.erase_tagged("", {"cards", "corners"}) == 3);
    CHECK(present() == std::set<std::string>{"m1:goals", "m2:goals", "untagged"});
  }
  SECTION("both empty erases nothing") {
    CHECK(store.erase_tagged("", {}) == 0);
    CHECK(present().size() == 6);
  }
  SECTION("unknown tags erase nothing") {
    CHECK(store.erase_tagged("match:9", {"goals"}) == 0);
    CHECK(store.erase_tagged("match:1", {"offsides"}) == 0);
    CHECK(present().size() == 6);
  }
  SECTION("a large scope with a small any-of set, and the reverse") {
    for (int i = 0; i < 300; ++i)
      store.put("bulk" + std::to_string(i), entry<std::string>("v", {"match:1", i % 3 == 0 ? "x" : "y"}), t0);
    CHECK(store.erase_tagged("match:1", {"x"}) == 100);
    CHECK(store.erase_tagged("", {"y"}) == 200);
  }
  SECTION("a key rewritten with other tags is judged by its tags now") {
    store.put("m1:goals", entry<std::string>("v2", {"match:3"}), t0);  // still listed in match:1/goals
    CHECK(store.erase_tagged("match:1", {"goals"}) == 1);             // m1:both only
    CHECK(store.get("m1:goals", t0)->value == "v2");
    CHECK(raw.members(store.tag_key("goals")) == std::set<std::string>{store.entry_key("m2:goals")});
  }
  SECTION("keys that expired or were erased are only pruned from the sets") {
    CHECK(store.erase("m1:goals"));
    CHECK(store.erase_tagged("match:1", {"goals"}) == 1);
    CHECK_FALSE(raw.members(store.tag_key("goals")).count(store.entry_key("m1:goals")));
  }
  SECTION("works after the server forgot the script (NOSCRIPT -> EVAL)") {
    raw({"SCRIPT", "FLUSH"});
    CHECK(store.erase_tagged("match:2", {"corners"}) == 1);
  }
}

TEST_CASE("erase_tagged is atomic for other clients", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> store(redis_test_options(redis->port()));
  constexpr int n = 400;
  smartcache::detail::Command mget{"MGET"};
  std::vector<std::string> keys;
  for (int i = 0; i < n; ++i) {
    store.put("k" + std::to_string(i), entry<std::string>("v", {"scope", "market"}), t0);
    keys.push_back(store.entry_key("k" + std::to_string(i)));
  }
  for (const auto& k : keys) mget.push_back(k);

  // A reader takes atomic snapshots (MGET) while the invalidation runs: each
  // snapshot must see all entries or none, never a half-erased scope.
  std::atomic<bool> done{false};
  std::atomic<int> partial{0}, snapshots{0};
  std::thread reader([&] {
    Raw raw(redis->port());
    while (!done.load()) {
      auto r = raw(mget);
      int present = 0;
      for (std::size_t i = 0; i < r->elements; ++i) present += r->element[i]->type == REDIS_REPLY_STRING;
      if (present != 0 && present != n) partial.fetch_add(1);
      snapshots.fetch_add(1);
    }
  });
  while (snapshots.load() < 5) std::this_thread::yield();
  CHECK(store.erase_tagged("scope", {"market"}) == static_cast<std::size_t>(n));
  const int before = snapshots.load();
  while (snapshots.load() < before + 5) std::this_thread::yield();
  done = true;
  reader.join();
  CHECK(partial.load() == 0);
  CHECK(store.size() == 0);
}

TEST_CASE("a value computed before another instance's invalidation is not stored", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> a(redis_test_options(redis->port()));
  RedisStore<std::string> b(redis_test_options(redis->port()));
  const std::vector<std::string> tags{"match:1", "btts"};
  Raw raw(redis->port());

  SECTION("scope AND market invalidation overtakes the compute") {
    CHECK_FALSE(a.get("k", t0).has_value());  // a looks up, then computes...
    CHECK(b.erase_tagged("match:1", {"btts", "cards"}) == 0);  // ...b invalidates meanwhile
    a.put("k", entry<std::string>("computed-before", tags), t0);
    CHECK_FALSE(raw.exists(a.entry_key("k")));
    // The next lookup starts after the invalidation: its value is stored.
    CHECK_FALSE(a.get("k", t0).has_value());
    a.put("k", entry<std::string>("computed-after", tags), t0);
    CHECK(a.get("k", t0)->value == "computed-after");
  }
  SECTION("a scope-only invalidation overtakes it too") {
    (void)a.get("k", t0);
    (void)b.erase_tagged("match:1", {});
    a.put("k", entry<std::string>("v", tags), t0);
    CHECK_FALSE(raw.exists(a.entry_key("k")));
  }
  SECTION("a market-only invalidation overtakes it too") {
    (void)a.get("k", t0);
    (void)b.erase_tagged("", {"btts"});
    a.put("k", entry<std::string>("v", tags), t0);
    CHECK_FALSE(raw.exists(a.entry_key("k")));
  }
  SECTION("a clear overtakes every compute, tagged or not") {
    (void)a.get("k", t0);
    (void)a.get("u", t0);
    (void)b.clear();
    a.put("k", entry<std::string>("v", tags), t0);
    a.put("u", entry<std::string>("v"), t0);
    CHECK_FALSE(raw.exists(a.entry_key("k")));
    CHECK_FALSE(raw.exists(a.entry_key("u")));
  }
  SECTION("invalidations of other tags do not refuse it") {
    (void)a.get("k", t0);
    (void)a.get("u", t0);
    (void)b.erase_tagged("match:2", {"btts"});
    (void)b.erase_tagged("match:1", {"corners"});
    (void)b.erase_tagged("", {"cards"});
    a.put("k", entry<std::string>("v", tags), t0);
    a.put("u", entry<std::string>("v"), t0);
    CHECK(raw.exists(a.entry_key("k")));
    CHECK(raw.exists(a.entry_key("u")));
  }
  SECTION("a refresh that took its lock before the invalidation is refused") {
    auto token = a.try_lock_refresh("k", 5s);
    REQUIRE(token.has_value());
    (void)b.erase_tagged("match:1", {"btts"});
    a.put("k", entry<std::string>("v", tags), t0);
    a.unlock_refresh("k", *token);
    CHECK_FALSE(raw.exists(a.entry_key("k")));
  }
  SECTION("markers are remembered for invalidation_window, then expire") {
    (void)b.erase_tagged("match:1", {"btts"});
    const long long pttl = raw.integer({"PTTL", b.scope_marker_key("match:1")});
    CHECK(pttl > 290'000);
    CHECK(pttl <= 300'000);
    // The sequence expires too: nothing of the store is left behind for good.
    const long long seq_pttl = raw.integer({"PTTL", b.seq_key()});
    CHECK(seq_pttl > 290'000);
    CHECK(seq_pttl <= 300'000);
  }
  SECTION("the sequence never goes backwards, even after its key is gone") {
    (void)a.get("k", t0);  // notes the sequence (none yet: "0")
    (void)b.erase_tagged("match:9", {"x"});
    auto seq = raw({"GET", b.seq_key()});
    REQUIRE(seq->type == REDIS_REPLY_STRING);
    const long long first = std::stoll(std::string(seq->str, seq->len));
    CHECK(first > 1'600'000'000'000'000LL);  // server time in µs, not a small counter
    (void)a.get("k", t0);                    // notes `first`
    raw({"DEL", b.seq_key()});               // as if it expired, or Redis restarted
    (void)b.erase_tagged("match:1", {"btts"});
    a.put("k", entry<std::string>("v", tags), t0);
    CHECK_FALSE(raw.exists(a.entry_key("k")));  // still refused: the new sequence is higher
  }
}

TEST_CASE("the put refuses exactly the values an invalidation overtook, however the markers are read",
          "[redis][invalidation]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> a(redis_test_options(redis->port()));
  RedisStore<std::string> b(redis_test_options(redis->port()));
  Raw raw(redis->port());
  // `n` markets no entry carries: enough of them make a marker hash larger
  // than the entry's tag list, so the script asks it field by field.
  auto others = [](int n) {
    std::vector<std::string> out;
    for (int i = 0; i < n; ++i) out.push_back("other:" + std::to_string(i));
    return out;
  };
  const std::vector<std::string> tags{"match:1", "btts"};
  int round = 0;
  // Looks up a fresh key, lets `between` run, puts: true when the put was stored.
  auto stored_after = [&](const std::vector<std::string>& entry_tags, auto between) {
    const std::string key = "k" + std::to_string(++round);
    (void)a.get(key, t0);
    between();
    a.put(key, entry<std::string>("v", entry_tags), t0);
    return raw.exists(a.entry_key(key));
  };

  SECTION("a large scope hash: other markets pass, the entry's market or '*' refuses") {
    (void)b.erase_tagged("match:1", others(10));
    CHECK(stored_after(tags, [] {}));
    CHECK(stored_after(tags, [&] { (void)b.erase_tagged("match:1", others(12)); }));
    CHECK_FALSE(stored_after(tags, [&] { (void)b.erase_tagged("match:1", {"btts"}); }));
    CHECK_FALSE(stored_after(tags, [&] { (void)b.erase_tagged("match:1", {}); }));
  }
  SECTION("a large any-of hash: other markets pass, the entry's market refuses") {
    (void)b.erase_tagged("", others(10));
    CHECK(stored_after(tags, [] {}));
    CHECK(stored_after(tags, [&] { (void)b.erase_tagged("", others(12)); }));
    CHECK_FALSE(stored_after(tags, [&] { (void)b.erase_tagged("", {"btts"}); }));
  }
  SECTION("1,200 tags, a scope hash of 1,300 markets: chunked reads find the one that matters") {
    std::vector<std::string> many;
    for (int i = 0; i < 1200; ++i) many.push_back("tag:" + std::to_string(i));
    (void)b.erase_tagged("tag:1100", others(1300));
    CHECK(stored_after(many, [] {}));
    CHECK(stored_after(many, [&] { (void)b.erase_tagged("tag:1100", others(1301)); }));
    CHECK(stored_after(many, [&] { (void)b.erase_tagged("nobody", {"tag:1150"}); }));
    CHECK_FALSE(stored_after(many, [&] { (void)b.erase_tagged("tag:1100", {"tag:1150"}); }));
    CHECK_FALSE(stored_after(many, [&] { (void)b.erase_tagged("tag:3", {"tag:1199"}); }));
    CHECK_FALSE(stored_after(many, [&] { (void)b.erase_tagged("", {"other:7", "tag:1199"}); }));
  }
  SECTION("random tag sets and invalidations agree with the rule") {
    // The rule: an invalidation (scope s, markets M) made after the lookup
    // refuses an entry tagged T when s is empty and M meets T; when M is
    // empty and s is in T; or when s is in T and M meets T minus s. A market
    // literally named "*" is the scope-only marker's field: with a scope it
    // refuses like M empty (more refusals than needed, never fewer).
    std::mt19937 rng(12345);
    const std::vector<std::string> universe{"s1", "s2", "s3", "m1", "m2", "m3", "m4", "*"};
    auto subset = [&](std::size_t max) {
      std::vector<std::string> out;
      for (const auto& t : universe)
        if (out.size() < max && rng() % 3 == 0) out.push_back(t);
      return out;
    };
    auto meets = [](const std::vector<std::string>& m, const std::vector<std::string>& t,
                    const std::string& except) {
      for (const auto& x : m)
        if (x != except && std::find(t.begin(), t.end(), x) != t.end()) return true;
      return false;
    };
    for (int trial = 0; trial < 300; ++trial) {
      std::vector<std::string> entry_tags = subset(5);
      if (entry_tags.empty()) entry_tags.push_back(universe[rng() % universe.size()]);
      // Earlier invalidations, some with many markets, only make the hashes larger.
      for (int i = 0; i < 2; ++i) {
        const std::string s = rng() % 2 ? universe[rng() % universe.size()] : "";
        auto m = rng() % 2 ? others(static_cast<int>(rng() % 12)) : subset(3);
        if (!s.empty() || !m.empty()) (void)b.erase_tagged(s, m);
      }
      bool expect_refused = false;
      CAPTURE(trial, entry_tags);
      const bool stored = stored_after(entry_tags, [&] {
        const int count = static_cast<int>(rng() % 3);
        for (int i = 0; i < count; ++i) {
          const std::string s = rng() % 3 ? universe[rng() % universe.size()] : "";
          const std::vector<std::string> m = subset(3);
          if (s.empty() && m.empty()) continue;
          (void)b.erase_tagged(s, m);
          const bool has_s = !s.empty() && std::find(entry_tags.begin(), entry_tags.end(), s) != entry_tags.end();
          if (s.empty()) expect_refused |= meets(m, entry_tags, "");
          else
            expect_refused |= has_s && (m.empty() || std::find(m.begin(), m.end(), "*") != m.end() ||
                                        meets(m, entry_tags, s));
        }
      });
      CHECK(stored == !expect_refused);
    }
  }
}

TEST_CASE("a put with 1,000 or 2,000 tags succeeds within the default command timeout",
          "[redis][tags]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisOptions o = redis_test_options(redis->port());
  o.command_timeout = RedisOptions{}.command_timeout;  // 50 ms
  REQUIRE(o.command_timeout == 50ms);
  RedisStore<std::string> store(o);
  RedisStore<std::string> other(redis_test_options(redis->port()));
  Raw raw(redis->port());
  for (const int n : {1000, 2000}) {
    std::vector<std::string> tags;
    for (int i = 0; i < n; ++i) tags.push_back("tag:" + std::to_string(i));
    const std::string key = "wide" + std::to_string(n);
    DYNAMIC_SECTION(n << " tags, none invalidated") {
      (void)store.get(key, t0);  // as SmartCache does: the put then checks the markers
      REQUIRE_NOTHROW(store.put(key, entry<std::string>("v", tags), t0));
      CHECK(store.healthy());
      auto e = store.get(key, t0);
      REQUIRE(e.has_value());
      CHECK(raw.stored_tags(store.entry_key(key)).size() == tags.size());
      CHECK(raw.members(store.tag_key("tag:" + std::to_string(n - 1))) ==
            std::set<std::string>{store.entry_key(key)});
    }
    DYNAMIC_SECTION(n << " tags, every one of them invalidated as a scope before the lookup") {
      for (const auto& t : tags) (void)other.erase_tagged(t, {"elsewhere"});
      (void)other.erase_tagged("", {"elsewhere"});
      (void)store.get(key, t0);
      REQUIRE_NOTHROW(store.put(key, entry<std::string>("v", tags), t0));
      CHECK(store.healthy());
      auto e = store.get(key, t0);
      REQUIRE(e.has_value());
      CHECK(raw.stored_tags(store.entry_key(key)).size() == tags.size());
    }
  }
}

TEST_CASE("a put with more tags than max_tags_per_entry is refused before reaching Redis",
          "[redis][tags]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> store(redis_test_options(redis->port()));
  Raw raw(redis->port());
  constexpr std::size_t limit = RedisStore<std::string>::max_tags_per_entry;
  std::vector<std::string> tags;
  for (std::size_t i = 0; i <= limit; ++i) tags.push_back("tag:" + std::to_string(i));
  (void)store.get("too-wide", t0);
  const long long connections = raw.connections_received();
  try {
    store.put("too-wide", entry<std::string>("v", tags), t0);
    FAIL("the put was accepted");
  } catch (const StoreError& e) {
    CHECK(std::string(e.what()).find("limit") != std::string::npos);
  }
  CHECK_FALSE(raw.exists(store.entry_key("too-wide")));
  CHECK_FALSE(raw.exists(store.tag_key("tag:0")));
  CHECK(raw.connections_received() == connections);
  CHECK(store.healthy());  // a refused put says nothing about Redis

  tags.pop_back();  // exactly the limit is accepted
  (void)store.get("widest", t0);
  store.put("widest", entry<std::string>("v", tags), t0);
  CHECK(raw.exists(store.entry_key("widest")));
  CHECK(store.healthy());
}

TEST_CASE("refresh lock: one owner, released only by its token", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> store(redis_test_options(redis->port()));
  RedisStore<std::string> other_instance(redis_test_options(redis->port()));
  Raw raw(redis->port());

  auto token = store.try_lock_refresh("k", 5s);
  REQUIRE(token.has_value());
  CHECK_FALSE(other_instance.try_lock_refresh("k", 5s).has_value());
  CHECK_FALSE(store.try_lock_refresh("k", 5s).has_value());
  const long long pttl = raw.integer({"PTTL", store.lock_key("k")});
  CHECK(pttl > 0);
  CHECK(pttl <= 5000);

  other_instance.unlock_refresh("k", "not-the-token");
  CHECK(raw.exists(store.lock_key("k")));
  CHECK_FALSE(other_instance.try_lock_refresh("k", 5s).has_value());

  store.unlock_refresh("k", *token);
  CHECK_FALSE(raw.exists(store.lock_key("k")));
  auto second = other_instance.try_lock_refresh("k", 5s);
  REQUIRE(second.has_value());
  CHECK(*second != *token);
  store.unlock_refresh("k", *token);  // a stale owner cannot release the new lock
  CHECK(raw.exists(store.lock_key("k")));
}

TEST_CASE("refresh lock lets exactly one of many concurrent callers through", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> a(redis_test_options(redis->port()));
  RedisStore<std::string> b(redis_test_options(redis->port()));
  std::atomic<int> winners{0};
  std::vector<std::thread> threads;
  for (int i = 0; i < 8; ++i)
    threads.emplace_back([&, i] {
      auto& s = i % 2 ? a : b;
      if (s.try_lock_refresh("hot", 10s)) winners.fetch_add(1);
    });
  for (auto& t : threads) t.join();
  CHECK(winners.load() == 1);
}

TEST_CASE("RedisStore reports Redis errors and corrupt values as StoreError", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> store(redis_test_options(redis->port()));
  Raw raw(redis->port());
  raw({"SET", store.entry_key("corrupt"), "\x07garbage"});
  CHECK_THROWS_AS(store.get("corrupt", t0), StoreError);
  // A tag key of another type makes the put script fail (WRONGTYPE).
  raw({"SET", store.tag_key("not-a-set"), "x"});
  CHECK_THROWS_AS(store.put("k", entry<std::string>("v", {"not-a-set"}), t0), StoreError);
  // A foreign type under an entry key reads as absent; the next put replaces it.
  raw({"RPUSH", store.entry_key("list"), "x"});
  CHECK_FALSE(store.get("list", t0).has_value());
  store.put("list", entry<std::string>("v"), t0);
  CHECK(store.get("list", t0)->value == "v");
  // Error replies leave the connection usable and the store healthy.
  CHECK(store.healthy());
  store.put("ok", entry<std::string>("v"), t0);
  CHECK(store.get("ok", t0)->value == "v");
}

TEST_CASE("a key of another Redis type under an entry's name: a miss, replaced by the put, one warning",
          "[redis][foreign]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  smartcache_test::LogCapture logs;
  RedisStore<std::string> store(redis_test_options(redis->port()));
  Raw raw(redis->port());
  raw({"RPUSH", store.entry_key("g6"), "a", "b"});
  raw({"HSET", store.entry_key("h"), "f", "v"});
  raw({"SADD", store.entry_key("s"), "m"});

  CHECK_FALSE(store.get("g6", t0).has_value());  // MGET answers nil for a list
  store.put("g6", entry<std::string>("v", {"m"}), t0);
  CHECK(raw.text({"TYPE", store.entry_key("g6")}) == "string");
  CHECK(store.get("g6", t0)->value == "v");
  auto w = warnings(logs);
  REQUIRE(w.size() == 1);
  CHECK(has_field_containing(w[0], "list"));
  CHECK(has_field_containing(w[0], store.entry_key("g6")));

  // Untagged after a lookup (the script too), and other types: replaced,
  // and the warnings throttled.
  CHECK_FALSE(store.get("h", t0).has_value());
  store.put("h", entry<std::string>("v"), t0);
  CHECK_FALSE(store.get("s", t0).has_value());
  store.put("s", entry<std::string>("v"), t0);
  CHECK(store.get("h", t0)->value == "v");
  CHECK(store.get("s", t0)->value == "v");
  CHECK(warnings(logs).size() == 1);
  CHECK(store.healthy());

  // Replacing our own entry is not worth a word.
  (void)store.get("g6", t0);
  store.put("g6", entry<std::string>("v2", {"m"}), t0);
  CHECK(warnings(logs).size() == 1);
}

TEST_CASE("RedisStore authenticates and selects its database", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  Raw raw(redis->port());
  auto o = redis_test_options(redis->port());
  o.db = 3;
  {
    RedisStore<std::string> store(o);
    store.put("k", entry<std::string>("v"), t0);
    CHECK(raw.integer({"DBSIZE"}) == 0);  // raw is on db 0
    raw({"SELECT", "3"});
    CHECK(raw.exists(store.entry_key("k")));
  }
  raw({"CONFIG", "SET", "requirepass", "s3cret"});
  o.password = "s3cret";
  RedisStore<std::string> authed(o);
  CHECK(authed.healthy());
  CHECK(authed.get("k", t0)->value == "v");
  o.password = "wrong";
  RedisStore<std::string> refused(o);
  CHECK_FALSE(refused.healthy());
  CHECK_THROWS_AS(refused.get("k", t0), StoreError);
}

TEST_CASE("a server that wants a password the store lacks: unhealthy, one warning, backoff",
          "[redis][health]") {
  SMARTCACHE_REQUIRE_REDIS_WITH(redis, "--requirepass", "s3cret");
  smartcache_test::LogCapture logs;
  Raw raw(redis->port(), "s3cret");
  RedisOptions o = redis_test_options(redis->port());  // no password

  SECTION("NOAUTH is a connection failure: unhealthy from the start, then fail fast") {
    o.reconnect_backoff_min = 60s;  // the whole section runs inside the first backoff
    o.reconnect_backoff_max = 60s;
    RedisStore<std::string> store(o);
    CHECK_FALSE(store.healthy());
    const long long connections = raw.connections_received();
    for (int i = 0; i < 20; ++i) CHECK_THROWS_AS(store.get("k", t0), StoreError);
    CHECK_FALSE(store.healthy());
    CHECK(raw.connections_received() == connections);  // in backoff: no connection attempted
    const auto w = warnings(logs);
    REQUIRE(w.size() == 1);
    CHECK(has_field_containing(w[0], "NOAUTH"));
  }
  SECTION("every probe refused again: still one warning, still unhealthy") {
    o.reconnect_backoff_min = 1ms;
    o.reconnect_backoff_max = 1ms;
    RedisStore<std::string> store(o);
    const long long first = raw.connections_received();
    // Pace the requests until 20 of them probed the server (each probe is a
    // new connection, refused with NOAUTH), bounded in case it never does.
    const auto deadline = std::chrono::steady_clock::now() + 10s;
    int requests = 0;
    while (raw.connections_received() < first + 20 && std::chrono::steady_clock::now() < deadline) {
      CHECK_THROWS_AS(store.get("k", t0), StoreError);
      ++requests;
      std::this_thread::sleep_for(1ms);
    }
    CAPTURE(requests);
    CHECK(raw.connections_received() >= first + 20);
    CHECK_FALSE(store.healthy());
    const auto w = warnings(logs);
    CHECK(w.size() == 1);  // throttled: the same reason is not repeated per request
  }
  SECTION("healthy again once the server accepts it") {
    o.reconnect_backoff_min = 1ms;
    o.reconnect_backoff_max = 5ms;
    RedisStore<std::string> store(o);
    REQUIRE_FALSE(store.healthy());
    raw({"CONFIG", "SET", "requirepass", ""});
    REQUIRE(put_until_accepted(store, "v", 10s, 1ms));
    CHECK(store.healthy());
    CHECK(logs.contains("redis connection restored"));
  }
}

TEST_CASE("RedisStore authenticates as a Redis 6 ACL user", "[redis][health]") {
  SMARTCACHE_REQUIRE_REDIS_WITH(redis, "--requirepass", "s3cret");
  smartcache_test::LogCapture quiet;
  Raw raw(redis->port(), "s3cret");
  raw({"ACL", "SETUSER", "app", "on", ">pw", "~*", "+@all"});
  raw({"ACL", "SETUSER", "guest", "on", "nopass", "~*", "+@all"});
  raw({"ACL", "SETUSER", "outsider", "on", ">pw", "~elsewhere:*", "+@all"});
  RedisOptions o = redis_test_options(redis->port());
  o.reconnect_backoff_min = 60s;
  o.reconnect_backoff_max = 60s;
  // A store with `o`: healthy from the start, stores an entry and reads it back.
  const auto check_serves = [&] {
    RedisStore<std::string> store(o);
    CHECK(store.healthy());
    store.put("k", entry<std::string>("v"), t0);
    CHECK(store.get("k", t0)->value == "v");
  };

  SECTION("username and password") {
    o.username = "app";
    o.password = "pw";
    RedisStore<std::string> store(o);
    CHECK(store.healthy());
    store.put("k", entry<std::string>("v", {"m"}), t0);
    CHECK(store.get("k", t0)->value == "v");
    CHECK(raw.text({"CLIENT", "LIST"}).find("user=app") != std::string::npos);
    CHECK(store.healthy());
  }
  SECTION("a nopass user needs only its name") {
    o.username = "guest";
    check_serves();
  }
  SECTION("the password alone authenticates the default user") {
    o.password = "s3cret";
    check_serves();
  }
  SECTION("a wrong password: unhealthy, StoreError") {
    o.username = "app";
    o.password = "nope";
    RedisStore<std::string> store(o);
    CHECK_FALSE(store.healthy());
    CHECK_THROWS_AS(store.get("k", t0), StoreError);
    CHECK_FALSE(store.healthy());
  }
  SECTION("a user without access to the store's keys: NOPERM is a connection failure") {
    o.username = "outsider";
    o.password = "pw";
    RedisStore<std::string> store(o);
    CHECK(store.healthy());  // PING touches no key
    CHECK_THROWS_AS(store.get("k", t0), StoreError);
    CHECK_FALSE(store.healthy());
    CHECK_THROWS_AS(store.get("k", t0), StoreError);  // in backoff now
    const auto w = warnings(quiet);
    REQUIRE(w.size() == 1);
    CHECK(has_field_containing(w[0], "NOPERM"));
  }
}

TEST_CASE("RedisStore on a dead port: constructs, unhealthy, throws StoreError", "[redis]") {
  const int port = smartcache_test::pick_free_port();  // nothing listens there
  RedisOptions o = redis_test_options(port);
  std::optional<RedisStore<std::string>> store;
  REQUIRE_NOTHROW(store.emplace(o));
  CHECK_FALSE(store->healthy());
  CHECK_THROWS_AS(store->get("k", t0), StoreError);
  CHECK_THROWS_AS(store->put("k", entry<std::string>("v", {"t"}), t0), StoreError);
  CHECK_THROWS_AS(store->erase("k"), StoreError);
  CHECK_THROWS_AS(store->erase_tagged("s", {"m"}), StoreError);
  CHECK_THROWS_AS(store->clear(), StoreError);
  CHECK_THROWS_AS(store->size(), StoreError);
  CHECK_THROWS_AS(store->try_lock_refresh("k", 1s), StoreError);
  CHECK_THROWS_AS(store->unlock_refresh("k", "t"), StoreError);
  CHECK_FALSE(store->healthy());
}

namespace {

// A listening socket nobody accepts from: connects succeed (the kernel
// completes the handshake), commands time out. Counts the connections made.
struct SilentServer {
  SilentServer() {
    fd = ::socket(AF_INET, SOCK_STREAM, 0);
    REQUIRE(fd >= 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t len = sizeof(addr);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) == 0);
    REQUIRE(::listen(fd, 128) == 0);
    REQUIRE(::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) == 0);
    REQUIRE(::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK) == 0);
    port = ntohs(addr.sin_port);
  }
  ~SilentServer() { ::close(fd); }
  int connections_made() {
    int accepted = 0;
    for (int c; (c = ::accept(fd, nullptr, nullptr)) >= 0; ++accepted) ::close(c);
    return accepted;
  }
  int fd = -1;
  int port = 0;
};

}  // namespace

TEST_CASE("a server that accepts but never answers: one timeout, then fail fast", "[redis]") {
  SilentServer silent;
  RedisOptions o = redis_test_options(silent.port);
  o.command_timeout = 50ms;
  o.reconnect_backoff_min = 60s;  // the whole test runs inside the first backoff
  o.reconnect_backoff_max = 60s;

  // The constructor's PING is the one command that waits for the timeout.
  const auto first_start = std::chrono::steady_clock::now();
  RedisStore<std::string> store(o);
  const auto first = std::chrono::steady_clock::now() - first_start;
  CHECK(first >= 45ms);  // it did wait for the command timeout
  CHECK_FALSE(store.healthy());  // a TCP connect alone is not health

  const auto rest_start = std::chrono::steady_clock::now();
  for (int i = 0; i < 50; ++i) CHECK_THROWS_AS(store.get("k", t0), StoreError);
  // 50 calls that touched the network would take 50 timeouts (2.5 s).
  CHECK(std::chrono::steady_clock::now() - rest_start < 500ms);
  // Exactly one connection was ever opened: none during the backoff.
  CHECK(silent.connections_made() == 1);
}

TEST_CASE("the backoff grows while probes connect but time out", "[redis]") {
  // A probe whose TCP connect succeeds is not a recovery: only an answered
  // command is. Backoff 20, 40, 80, 160, 320 ms (+ a 50 ms timeout each) fits
  // about 5 probes in 700 ms; resetting it after each connect would allow ~10.
  SilentServer silent;
  RedisOptions o = redis_test_options(silent.port);
  o.command_timeout = 50ms;
  o.reconnect_backoff_min = 20ms;
  o.reconnect_backoff_max = 10s;
  RedisStore<std::string> store(o);
  const auto end = std::chrono::steady_clock::now() + 700ms;
  int calls = 0;
  while (std::chrono::steady_clock::now() < end) {
    CHECK_THROWS_AS(store.get("k", t0), StoreError);
    ++calls;
    std::this_thread::sleep_for(1ms);
  }
  const int connections = silent.connections_made();
  CAPTURE(calls, connections);
  CHECK(connections >= 2);  // it did probe again after backoffs
  CHECK(connections <= 7);
}

TEST_CASE("RedisStore reconnects after a restart on the same port", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  RedisStore<std::string> store(redis_test_options(redis->port()));
  store.put("k", entry<std::string>("v"), t0);
  REQUIRE(store.get("k", t0).has_value());

  redis->stop();
  CHECK_THROWS_AS(store.get("k", t0), StoreError);
  CHECK_FALSE(store.healthy());

  redis->start();
  // Bounded wait for the backoff (max 50 ms here) to let a probe through.
  REQUIRE(put_until_accepted(store, "v2", 5s, 5ms));
  CHECK(store.healthy());
  CHECK(store.get("k", t0)->value == "v2");
}

TEST_CASE("writing to a dead Redis does not kill the process with SIGPIPE", "[redis]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  // The default disposition (terminate) is what a host that never thought
  // about SIGPIPE has; restore whatever was there afterwards.
  struct Restore {
    struct sigaction old {};
    Restore() {
      struct sigaction dfl {};
      dfl.sa_handler = SIG_DFL;
      sigemptyset(&dfl.sa_mask);
      ::sigaction(SIGPIPE, &dfl, &old);
    }
    ~Restore() { ::sigaction(SIGPIPE, &old, nullptr); }
  } restore;
  auto o = redis_test_options(redis->port());
  o.pool_size = 1;
  RedisStore<std::string> store(o);
  store.put("warm", entry<std::string>("v"), t0);  // one idle connection now
  redis->kill();
  // A large value needs several write(2)s: after the peer's reset they raise SIGPIPE.
  const std::string big(4 << 20, 'x');
  CHECK_THROWS_AS(store.put("big", entry(big), t0), StoreError);
  CHECK_FALSE(store.healthy());
  sigset_t pending;
  sigemptyset(&pending);
  ::sigpending(&pending);
  CHECK(sigismember(&pending, SIGPIPE) == 0);  // none left behind for the thread
}

TEST_CASE("RedisStore under concurrent use from many threads", "[redis][stress]") {
  SMARTCACHE_REQUIRE_REDIS(redis);
  auto o = redis_test_options(redis->port());
  o.pool_size = 3;  // fewer connections than threads: the pool must share them
  RedisStore<std::string> store(o);
  std::atomic<int> failures{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 6; ++t)
    threads.emplace_back([&, t] {
      try {
        for (int i = 0; i < 150; ++i) {
          const std::string key = "k" + std::to_string(t) + ":" + std::to_string(i % 20);
          store.put(key, entry<std::string>(key, {"thread" + std::to_string(t), "all"}), t0);
          auto e = store.get(key, t0);
          if (!e || e->value != key) failures.fetch_add(1);
          if (i % 50 == 49) (void)store.erase_tagged("thread" + std::to_string(t), {"all"});
        }
      } catch (const std::exception&) {
        failures.fetch_add(1000);
      }
    });
  for (auto& th : threads) th.join();
  CHECK(failures.load() == 0);
  CHECK(store.healthy());
}
