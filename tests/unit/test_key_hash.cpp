// The MemoryStore key hash: every byte counts, no collisions on cache-like
// keys, and both ends of the word spread (the top bits pick the shard, the
// bottom bits the index slot).
#include <smartcache/stores/memory_store.hpp>

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <unordered_set>

#include "support/catch.hpp"

using smartcache::detail::key_hash;

TEST_CASE("key_hash: changing any one byte of a key of any length changes the hash", "[memory][hash]") {
  for (std::size_t len = 1; len <= 40; ++len) {
    std::string key(len, 'k');
    const std::uint64_t base = key_hash(key);
    for (std::size_t i = 0; i < len; ++i) {
      std::string other = key;
      other[i] = 'K';
      CHECK(key_hash(other) != base);
    }
    CHECK(key_hash(key + 'k') != base);  // length counts too
  }
  CHECK(key_hash("") != key_hash(std::string(1, '\0')));
  CHECK(key_hash(std::string(8, '\0')) != key_hash(std::string(16, '\0')));
}

TEST_CASE("key_hash: no collision on 1M cache-like keys; top and bottom bits even", "[memory][hash]") {
  std::unordered_set<std::uint64_t> seen;
  seen.reserve(1 << 21);
  std::array<std::size_t, 16> top{};
  std::array<std::size_t, 16> bottom{};
  constexpr std::size_t n = 1'000'000;
  for (std::size_t i = 0; i < n; ++i) {
    const std::uint64_t h = key_hash("odds:match:" + std::to_string(i) + ":btts");
    seen.insert(h);
    ++top[h >> 60];
    ++bottom[h & 15];
  }
  CHECK(seen.size() == n);
  for (std::size_t b = 0; b < 16; ++b) {  // expected n / 16 = 62'500 each; +-2 % is > 10 sigma
    CHECK(top[b] > 61'250);
    CHECK(top[b] < 63'750);
    CHECK(bottom[b] > 61'250);
    CHECK(bottom[b] < 63'750);
  }
}
