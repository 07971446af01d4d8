// smartcache - lock-free Bernoulli sampling with a thread-local generator.
// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>

#include <smartcache/detail/util/mix.hpp>

namespace smartcache::detail {

// Holds a sampling rate in [0, 1] and answers "sample this one?" without locks.
class Sampler {
 public:
  explicit Sampler(double rate = 1.0) noexcept { set(rate); }

  // Clamps to [0, 1]; returns false (and changes nothing) for NaN.
  bool set(double rate) noexcept {
    if (std::isnan(rate)) return false;
    if (rate < 0) rate = 0;
    if (rate > 1) rate = 1;
    std::uint64_t threshold;
    if (rate >= 1) {
      threshold = always;
    } else {
      // 2^64 * rate, computed in long double to keep small rates non-zero.
      const long double t = static_cast<long double>(rate) * 18446744073709551616.0L;
      threshold = t >= 18446744073709551615.0L ? always - 1 : static_cast<std::uint64_t>(t);
      if (threshold == 0 && rate > 0) threshold = 1;
    }
    rate_.store(rate, std::memory_order_relaxed);
    threshold_.store(threshold, std::memory_order_relaxed);
    return true;
  }

  [[nodiscard]] double rate() const noexcept { return rate_.load(std::memory_order_relaxed); }

  [[nodiscard]] bool sample() const noexcept {
    const std::uint64_t t = threshold_.load(std::memory_order_relaxed);
    if (t == always) return true;
    if (t == 0) return false;
    return thread_random() < t;
  }

 private:
  static constexpr std::uint64_t always = std::numeric_limits<std::uint64_t>::max();
  std::atomic<double> rate_{1.0};
  std::atomic<std::uint64_t> threshold_{always};
};

}  // namespace smartcache::detail
