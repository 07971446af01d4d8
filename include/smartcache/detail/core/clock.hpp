// smartcache - reading the injected clocks, and the cheap randomness of TTL jitter.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <ctime>
#include <functional>
#include <thread>

#include <smartcache/detail/core/cycle_clock.hpp>
#include <smartcache/detail/util/mix.hpp>

namespace smartcache::detail {

using SteadyClockFn = std::function<std::chrono::steady_clock::time_point()>;
using WallClockFn = std::function<std::chrono::system_clock::time_point()>;

// An empty function means the default latency clock, CycleClock (steady_clock
// time from the cycle counter). May throw whatever an injected clock throws;
// callers decide what a failed reading means.
inline std::chrono::steady_clock::time_point read_clock(const SteadyClockFn& clock) {
  return clock ? clock() : CycleClock::instance().now();
}

// The default wall clock. Where Linux offers it, CLOCK_REALTIME_COARSE: the
// kernel's last tick (resolution 1-4 ms) read in ~5 ns instead of ~24 ns for a
// precise read here; wall time only decides freshness against TTLs of seconds,
// so a few milliseconds of resolution change nothing a request can see.
inline std::chrono::system_clock::time_point coarse_wall_now() noexcept {
#if defined(__linux__) && defined(CLOCK_REALTIME_COARSE)
  timespec ts{};
  if (clock_gettime(CLOCK_REALTIME_COARSE, &ts) == 0) {
    const auto since_epoch = std::chrono::seconds(ts.tv_sec) + std::chrono::nanoseconds(ts.tv_nsec);
    return std::chrono::system_clock::time_point(
        std::chrono::duration_cast<std::chrono::system_clock::duration>(since_epoch));
  }
#endif
  return std::chrono::system_clock::now();
}

inline std::chrono::system_clock::time_point read_clock(const WallClockFn& clock) {
  return clock ? clock() : coarse_wall_now();
}

// TTL jitter needs spread, not quality, and must not contend between threads
// or read a clock per draw.
inline std::uint64_t jitter_bits() noexcept { return thread_random(); }

}  // namespace smartcache::detail
