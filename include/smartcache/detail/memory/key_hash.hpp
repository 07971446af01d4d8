// smartcache - the 64-bit hash of a MemoryStore key (MemoryStore internals).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <functional>
#include <string_view>

#include <smartcache/detail/util/mix.hpp>

namespace smartcache::detail {

// std::hash quality varies (and is 32-bit on some targets): a 64-bit
// finaliser (splitmix64) spreads it over both ends. MemoryStore's top bits
// pick the shard; in a shard, the lower half picks the index slot and the
// upper half is the index's tag.
[[nodiscard]] inline std::uint64_t key_hash(std::string_view key) noexcept {
  return mix64(static_cast<std::uint64_t>(std::hash<std::string_view>{}(key)) + golden_gamma);
}

}  // namespace smartcache::detail
