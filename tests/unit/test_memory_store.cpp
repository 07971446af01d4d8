// smartcache tests - MemoryStore: Store concept, expiry, tags, capacity, S3-FIFO, threads.
// SPDX-License-Identifier: MIT
#include <smartcache/stores/memory_store.hpp>

#include <atomic>
#include <chrono>
#include <cstdint>
#include <map>
#include <random>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include "support/catch.hpp"

using namespace std::chrono;
using smartcache::Entry;
using smartcache::MemoryStore;
using smartcache::WallTime;
using Tags = std::vector<std::string>;

static_assert(std::is_same_v<MemoryStore<int>::value_type, int>);
static_assert(std::is_default_constructible_v<MemoryStore<std::string>>);
static_assert(noexcept(std::declval<const MemoryStore<int>&>().evictions()));
static_assert(noexcept(std::declval<const MemoryStore<int>&>().capacity()));
static_assert(std::is_same_v<decltype(std::declval<MemoryStore<int>&>().get("k", WallTime{})),
                             std::optional<smartcache::StoredValue<int>>>);  // no tags on a hit

namespace {
const WallTime t0 = WallTime(hours(24 * 365 * 50));

Entry<std::string> entry(std::string value, Tags tags = {}, seconds fresh = seconds(10),
                         seconds stale = seconds(20)) {
  return Entry<std::string>{std::move(value), t0, t0 + fresh, t0 + stale, std::move(tags)};
}

std::string key(int i) { return "key:" + std::to_string(i); }
}  // namespace

TEST_CASE("construction: capacity and shard count", "[memory_store]") {
  CHECK(MemoryStore<int>().capacity() == MemoryStore<int>::default_capacity);
  CHECK(MemoryStore<int>().shard_count() == 16);
  CHECK(MemoryStore<int>(8, 1).shard_count() == 1);
  CHECK(MemoryStore<int>(1000, 5).shard_count() == 8);     // rounded up to a power of two
  CHECK(MemoryStore<int>(3, 4).shard_count() == 2);        // never more shards than capacity
  // Automatic: shards of >= 256 entries, at most 16 (tests/unit/test_memory_store_shards.cpp).
  CHECK(MemoryStore<int>(3).shard_count() == 1);
  CHECK(MemoryStore<int>(511).shard_count() == 1);
  CHECK(MemoryStore<int>(512).shard_count() == 2);
  CHECK(MemoryStore<int>(763).shard_count() == 2);
  CHECK(MemoryStore<int>(4095).shard_count() == 8);
  CHECK(MemoryStore<int>(4096).shard_count() == 16);
  CHECK(MemoryStore<int>(10'000'000).shard_count() == 16);
  static_assert(MemoryStore<int>::auto_shards(1024) == 4);
  CHECK(MemoryStore<int>(100000, 1u << 20).shard_count() == MemoryStore<int>::max_shards);
  CHECK(MemoryStore<int>(0).capacity() == 1);
  CHECK(MemoryStore<int>(0).check_invariants());
  CHECK(MemoryStore<int>(1001, 16).check_invariants());  // shard capacities sum to 1001
}

TEST_CASE("round trip: get returns what put stored, with its metadata", "[memory_store]") {
  MemoryStore<std::string> s(100);
  CHECK_FALSE(s.get("absent", t0).has_value());
  CHECK(s.put("odds:42", entry("1.85", {"match:42", "btts"}), t0) == 0);
  CHECK(s.size() == 1);
  const auto e = s.get("odds:42", t0);
  REQUIRE(e.has_value());
  CHECK(e->value == "1.85");
  CHECK(e->stored_at == t0);
  CHECK(e->fresh_until == t0 + seconds(10));
  CHECK(e->stale_until == t0 + seconds(20));
  CHECK(s.tags_of("odds:42") == Tags{"match:42", "btts"});  // kept by the store, not copied by get
  CHECK_FALSE(s.tags_of("absent").has_value());
  SECTION("string_view keys need not be null-terminated and may hold NUL") {
    const std::string backing = "odds:42XYZ";
    CHECK(s.get(std::string_view(backing.data(), 7), t0).has_value());
    const std::string with_nul("a\0b", 3);
    s.put(with_nul, entry("nul"), t0);
    CHECK(s.get(with_nul, t0)->value == "nul");
    CHECK_FALSE(s.get("a", t0).has_value());
  }
  SECTION("keys longer than the inline key buffer round-trip too") {
    const std::string long_key(200, 'x');
    s.put(long_key, entry("long"), t0);
    CHECK(s.get(long_key, t0)->value == "long");
    CHECK_FALSE(s.get(std::string(199, 'x'), t0).has_value());
    CHECK(s.erase(long_key));
  }
  SECTION("erase removes one key") {
    CHECK(s.erase("odds:42"));
    CHECK_FALSE(s.erase("odds:42"));
    CHECK_FALSE(s.get("odds:42", t0).has_value());
    CHECK(s.size() == 0);
  }
  CHECK(s.check_invariants());
}

TEST_CASE("replace updates value and tag index, evicts nothing", "[memory_store][tags]") {
  MemoryStore<std::string> s(100);
  s.put("k", entry("v1", {"old", "shared"}), t0);
  CHECK(s.put("k", entry("v2", {"new", "shared"}), t0) == 0);
  CHECK(s.size() == 1);
  CHECK(s.get("k", t0)->value == "v2");
  CHECK(s.check_invariants());
  CHECK(s.erase_tagged("", {"old"}) == 0);
  SECTION("replacing with the same tags keeps the entry findable by tag") {
    CHECK(s.put("k", entry("v3", {"new", "shared"}), t0) == 0);
    CHECK(s.get("k", t0)->value == "v3");
    CHECK(s.check_invariants());
  }
  CHECK(s.erase_tagged("", {"new"}) == 1);
  CHECK(s.size() == 0);
  CHECK(s.check_invariants());
}

TEST_CASE("expiry: now >= stale_until is never returned and is purged", "[memory_store][expiry]") {
  MemoryStore<std::string> s(100, 1);
  s.put("k", entry("v", {"t"}, seconds(10), seconds(20)), t0);
  SECTION("stale but inside the window is still returned") {
    CHECK(s.get("k", t0 + seconds(15)).has_value());
    CHECK(s.get("k", t0 + seconds(20) - nanoseconds(1)).has_value());
  }
  SECTION("exactly at stale_until it is gone, and removed from size and tags") {
    CHECK_FALSE(s.get("k", t0 + seconds(20)).has_value());
    CHECK(s.size() == 0);
    CHECK(s.erase_tagged("t", {}) == 0);
    CHECK(s.check_invariants());
  }
  SECTION("putting an already expired entry stores nothing and drops the old value") {
    CHECK(s.put("k", entry("dead", {}, seconds(0), seconds(0)), t0) == 0);
    CHECK(s.size() == 0);
    CHECK(s.put("other", entry("dead", {}, seconds(0), seconds(0)), t0) == 0);
    CHECK(s.size() == 0);
    CHECK(s.check_invariants());
  }
}

TEST_CASE("put sweeps expired entries in bounded steps, without counting evictions",
          "[memory_store][expiry]") {
  MemoryStore<std::string> s(100, 1);
  for (int i = 0; i < 50; ++i) s.put(key(i), entry("old", {"t"}, seconds(1), seconds(1)), t0);
  REQUIRE(s.size() == 50);
  const WallTime later = t0 + seconds(5);
  // Each put checks 4 slots: 13 puts cover the 50 expired ones.
  for (int i = 0; i < 13; ++i)
    s.put("fresh" + std::to_string(i), Entry<std::string>{"new", later, later + seconds(1),
                                                          later + seconds(2), {}},
          later);
  CHECK(s.size() == 13);
  CHECK(s.evictions() == 0);
  CHECK(s.check_invariants());
}

TEST_CASE("erase_tagged: scope AND any of the markets", "[memory_store][tags]") {
  MemoryStore<std::string> s(1000);  // several shards
  s.put("k1", entry("1", {"match:1", "btts"}), t0);
  s.put("k2", entry("2", {"match:1", "next_goal"}), t0);
  s.put("k3", entry("3", {"match:2", "btts"}), t0);
  s.put("k4", entry("4", {"btts"}), t0);
  s.put("k5", entry("5", {"match:1", "btts", "btts"}), t0);  // duplicate tag counts once
  s.put("k6", entry("6", {}), t0);
  REQUIRE(s.check_invariants());

  SECTION("scope and markets") {
    CHECK(s.erase_tagged("match:1", {"btts"}) == 2);
    CHECK_FALSE(s.get("k1", t0));
    CHECK_FALSE(s.get("k5", t0));
    CHECK(s.get("k2", t0));
    CHECK(s.get("k3", t0));
    CHECK(s.get("k4", t0));
  }
  SECTION("scope with several markets") {
    CHECK(s.erase_tagged("match:1", {"btts", "next_goal", "unknown"}) == 3);
    CHECK(s.size() == 3);
  }
  SECTION("empty markets: the whole scope") {
    CHECK(s.erase_tagged("match:1", {}) == 3);
    CHECK(s.get("k3", t0));
  }
  SECTION("empty scope: any market, everywhere") {
    CHECK(s.erase_tagged("", {"btts"}) == 4);
    CHECK(s.get("k2", t0));
    CHECK(s.get("k6", t0));
  }
  SECTION("both empty erases nothing") {
    CHECK(s.erase_tagged("", {}) == 0);
    CHECK(s.size() == 6);
  }
  SECTION("unknown scope or market erases nothing") {
    CHECK(s.erase_tagged("match:9", {"btts"}) == 0);
    CHECK(s.erase_tagged("match:1", {"total_corners"}) == 0);
    CHECK(s.erase_tagged("", {"total_corners"}) == 0);
    CHECK(s.size() == 6);
  }
  CHECK(s.check_invariants());
}

TEST_CASE("clear erases everything and the store stays usable", "[memory_store]") {
  MemoryStore<std::string> s(1000);
  for (int i = 0; i < 300; ++i) s.put(key(i), entry("v", {"t"}), t0);
  CHECK(s.clear() == 300);
  CHECK(s.size() == 0);
  CHECK(s.erase_tagged("t", {}) == 0);
  CHECK(s.clear() == 0);
  CHECK(s.check_invariants());
  s.put("again", entry("v", {"t"}), t0);
  CHECK(s.get("again", t0)->value == "v");
  CHECK(s.check_invariants());
}

TEST_CASE("capacity is never exceeded and evictions are counted", "[memory_store][eviction]") {
  const std::size_t shards = GENERATE(std::size_t{1}, std::size_t{4}, std::size_t{0});
  CAPTURE(shards);
  MemoryStore<std::string> s(100, shards);
  std::size_t returned = 0;
  for (int i = 0; i < 1000; ++i) {
    returned += s.put(key(i), entry("v", {"t" + std::to_string(i % 7)}), t0);
    REQUIRE(s.size() <= 100);
    if (i % 10 == 0) (void)s.get(key(i / 2), t0);
  }
  CHECK(returned == s.evictions());
  CHECK(s.evictions() == 1000 - s.size());
  if (shards == 1) CHECK(s.size() == 100);
  CHECK(s.check_invariants());
}

TEST_CASE("S3-FIFO keeps a hot set over a scan of one-time keys", "[memory_store][eviction]") {
  MemoryStore<std::string> s(100, 1);
  for (int h = 0; h < 20; ++h) s.put("hot" + std::to_string(h), entry("h"), t0);
  for (int h = 0; h < 20; ++h) REQUIRE(s.get("hot" + std::to_string(h), t0));
  // A scan of 1000 keys never read again; LRU or FIFO would evict every hot key.
  for (int i = 0; i < 1000; ++i) s.put(key(i), entry("cold"), t0);
  for (int h = 0; h < 20; ++h) {
    CAPTURE(h);
    CHECK(s.get("hot" + std::to_string(h), t0).has_value());
  }
  CHECK(s.size() == 100);
  CHECK(s.check_invariants());
}

TEST_CASE("a key evicted unread and soon re-inserted is kept (ghost)", "[memory_store][eviction]") {
  MemoryStore<std::string> s(100, 1);
  s.put("again", entry("v"), t0);
  // 100 one-time keys: the 100th insert evicts "again" from the small FIFO.
  for (int i = 0; i < 100; ++i) s.put(key(i), entry("cold"), t0);
  s.put("again", entry("v"), t0);  // remembered: goes to the main queue
  for (int i = 100; i < 600; ++i) s.put(key(i), entry("cold"), t0);
  CHECK(s.get("again", t0).has_value());
  SECTION("control: a key never seen before is scanned out") {
    s.put("new", entry("v"), t0);
    for (int i = 600; i < 1100; ++i) s.put(key(i), entry("cold"), t0);
    CHECK_FALSE(s.get("new", t0).has_value());
  }
}

TEST_CASE("matches a reference map under random operations", "[memory_store]") {
  // Large capacity: no eviction, so the store must behave exactly like a map
  // (this drives the open-addressing index through growth and deletions).
  MemoryStore<std::string> s(100'000, 2);
  std::map<std::string, std::string> model;
  std::mt19937 rng(7);
  for (int step = 0; step < 60'000; ++step) {
    const int id = static_cast<int>(rng() % 3000);
    // Every third key is longer than the inline key buffer.
    const std::string k = id % 3 == 0 ? std::string(60, 'L') + key(id) : key(id);
    switch (rng() % 4) {
      case 0:
      case 1: {
        const std::string v = std::to_string(step);
        s.put(k, entry(v, {"t" + std::to_string(rng() % 5)}), t0);
        model[k] = v;
        break;
      }
      case 2:
        REQUIRE(s.erase(k) == (model.erase(k) == 1));
        break;
      default: {
        const auto got = s.get(k, t0);
        const auto it = model.find(k);
        REQUIRE(got.has_value() == (it != model.end()));
        if (got) REQUIRE(got->value == it->second);
      }
    }
  }
  CHECK(s.size() == model.size());
  CHECK(s.check_invariants());
}

TEST_CASE("key index: clustered hashes wrapping the table end survive deletions",
          "[memory_store][index]") {
  // Hashes chosen so that every key's home slot is one of the last two slots
  // of a 64-slot table: probe runs wrap around, the case backward-shift
  // deletion gets wrong most easily.
  smartcache::detail::KeyIndex index;
  std::vector<std::string> keys;
  std::vector<std::uint64_t> hashes;
  for (std::uint32_t i = 0; i < 30; ++i) {
    keys.push_back("k" + std::to_string(i));
    hashes.push_back((std::uint64_t{i} << 32) | (62 + (i % 2)));
  }
  const auto key_of = [&](std::uint32_t id) -> const std::string& { return keys[id]; };
  const auto hash_of = [&](std::uint32_t id) { return hashes[id]; };
  for (std::uint32_t i = 0; i < 30; ++i) index.insert(hashes[i], i, hash_of);
  std::vector<bool> present(30, true);
  std::mt19937 rng(3);
  for (int round = 0; round < 200; ++round) {
    const auto id = static_cast<std::uint32_t>(rng() % 30);
    if (present[id]) {
      REQUIRE(index.erase(hashes[id], id, hash_of));
    } else {
      index.insert(hashes[id], id, hash_of);
    }
    present[id] = !present[id];
    for (std::uint32_t j = 0; j < 30; ++j) {
      CAPTURE(round, j);
      REQUIRE((index.find(hashes[j], keys[j], key_of) == j) == present[j]);
    }
  }
}

TEST_CASE("four threads mixing get, put, erase_tagged and clear keep every invariant",
          "[memory_store][concurrency]") {
  MemoryStore<std::string> s(256, 4);
  std::atomic<std::uint64_t> evicted_by_puts{0};
  std::atomic<int> wrong_values{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t) {
    threads.emplace_back([&, t] {
      std::mt19937 rng(static_cast<unsigned>(t) + 1);
      for (int i = 0; i < 20'000; ++i) {
        const std::string k = key(static_cast<int>(rng() % 1000));
        const auto op = rng() % 100;
        if (op < 55) {
          if (auto e = s.get(k, t0)) {
            // Values encode their key: a mismatch would mean crossed entries.
            if (e->value.compare(0, k.size(), k) != 0) ++wrong_values;
          }
        } else if (op < 93) {
          const std::string scope = "match:" + std::to_string(rng() % 8);
          evicted_by_puts += s.put(k, entry(k + "#" + std::to_string(i), {scope, "m" + std::to_string(rng() % 4)}), t0);
        } else if (op < 97) {
          s.erase(k);
        } else if (op < 99) {
          s.erase_tagged("match:" + std::to_string(rng() % 8), {"m" + std::to_string(rng() % 4)});
        } else if (i % 500 == 0) {
          s.clear();
        }
      }
    });
  }
  for (auto& th : threads) th.join();
  CHECK(wrong_values.load() == 0);
  CHECK(s.size() <= s.capacity());
  CHECK(evicted_by_puts.load() == s.evictions());
  CHECK(s.check_invariants());
}
