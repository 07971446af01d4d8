// smartcache - splitmix64: the one bit mixer behind hashing, sampling and jitter.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>

namespace smartcache::detail {

inline constexpr std::uint64_t golden_gamma = 0x9E3779B97F4A7C15ull;

// splitmix64's finaliser: every input bit reaches every output bit, so a weak
// hash (std::hash is the identity for integers on some targets) spreads over
// both ends of the word.
[[nodiscard]] constexpr std::uint64_t mix64(std::uint64_t z) noexcept {
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return z ^ (z >> 31);
}

// A splitmix64 sequence on a thread-local state, seeded from the state's
// address and the steady clock: good enough statistics for sampling decisions
// and TTL jitter, a few ns a draw, and no contention between threads.
[[nodiscard]] inline std::uint64_t thread_random() noexcept {
  thread_local std::uint64_t state = [] {
    const auto here = reinterpret_cast<std::uintptr_t>(&state);
    const auto now =
        static_cast<std::uint64_t>(std::chrono::steady_clock::now().time_since_epoch().count());
    return static_cast<std::uint64_t>(here) ^ (now * golden_gamma);
  }();
  return mix64(state += golden_gamma);
}

}  // namespace smartcache::detail
