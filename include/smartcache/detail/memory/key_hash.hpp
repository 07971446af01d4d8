// smartcache - the 64-bit hash of a MemoryStore key (MemoryStore internals).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>

#include <smartcache/detail/util/mix.hpp>

namespace smartcache::detail {

// Reads 4 bytes at `p` as an integer (native order: the hash stays in the process).
[[nodiscard]] inline std::uint64_t load32(const char* p) noexcept {
  std::uint32_t v = 0;
  std::memcpy(&v, p, sizeof v);
  return v;
}

// The hash of a key, inlined where the store is (std::hash<string_view> is an
// out-of-line call that cost a tenth of a fresh hit): 8 bytes at a time, each
// word multiplied in, the last 1-7 bytes read as two overlapping loads (or
// three single bytes), then splitmix64's finaliser, so every input bit
// reaches both ends of the result. MemoryStore's top bits pick the shard; in
// a shard the lower half picks the index slot and the upper half is the
// index's tag.
[[nodiscard]] inline std::uint64_t key_hash(std::string_view key) noexcept {
  constexpr std::uint64_t k = 0xBF58476D1CE4E5B9ull;
  const char* p = key.data();
  std::size_t n = key.size();
  std::uint64_t h = golden_gamma ^ (static_cast<std::uint64_t>(n) * 0xFF51AFD7ED558CCDull);
  for (; n >= 8; p += 8, n -= 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, p, sizeof w);
    h = (h ^ w) * k;
    h ^= h >> 29;
  }
  if (n > 0) {
    std::uint64_t w = 0;
    if (n >= 4) {
      w = load32(p) | (load32(p + n - 4) << 32);
    } else {
      w = static_cast<std::uint64_t>(static_cast<unsigned char>(p[0])) |
          static_cast<std::uint64_t>(static_cast<unsigned char>(p[n / 2])) << 8 |
          static_cast<std::uint64_t>(static_cast<unsigned char>(p[n - 1])) << 16;
    }
    h = (h ^ w) * k;
    h ^= h >> 29;
  }
  return mix64(h);
}

}  // namespace smartcache::detail
