// smartcache - CycleClock: the default latency clock, a calibrated cycle counter.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstdint>
#include <thread>

#if (defined(__x86_64__) || defined(__i386__)) && (defined(__GNUC__) || defined(__clang__))
#include <cpuid.h>
#include <x86intrin.h>
#define SMARTCACHE_HAVE_RDTSC 1
#else
#define SMARTCACHE_HAVE_RDTSC 0
#endif

namespace smartcache::detail {

// Reads time as steady_clock does, at a fraction of the cost: where the CPU
// has an invariant TSC (CPUID 0x80000007, EDX bit 8: constant rate, counting
// in every power state, synchronised across cores), one RDTSC and a multiply;
// elsewhere, steady_clock::now() itself. The counter is calibrated once per
// process against steady_clock over `calibration` (10 ms), reading both
// clocks back to back at each end, so its rate error is ~1e-5 (tested: within
// 1 % of steady_clock over 1 ms .. 10 s). Its time points are steady_clock's
// (same epoch at calibration), so they mix with injected clocks' readings.
//
// Thread-safe: instance() is a function-local static; now() reads only
// constants. A reading may lag another core's by a few ns; RequestScope
// treats an end before its start as unmeasured, never as a negative latency.
class CycleClock {
 public:
  using time_point = std::chrono::steady_clock::time_point;
  static constexpr std::chrono::milliseconds calibration{10};

  // The process-wide clock, calibrated on first use (SmartCache's constructor
  // makes that first use, so no request pays for it).
  [[nodiscard]] static const CycleClock& instance() {
    static const CycleClock clock;
    return clock;
  }

  [[nodiscard]] time_point now() const noexcept {
#if SMARTCACHE_HAVE_RDTSC
    if (ns_per_tick_ > 0) {
      const auto ticks = static_cast<std::int64_t>(__rdtsc() - base_ticks_);
      return base_ + std::chrono::nanoseconds(static_cast<std::int64_t>(static_cast<double>(ticks) * ns_per_tick_));
    }
#endif
    return std::chrono::steady_clock::now();
  }

  // True when readings come from the cycle counter.
  [[nodiscard]] bool uses_cycle_counter() const noexcept { return ns_per_tick_ > 0; }
  [[nodiscard]] double ns_per_tick() const noexcept { return ns_per_tick_; }

 private:
  CycleClock() {
#if SMARTCACHE_HAVE_RDTSC
    if (!invariant_tsc()) return;
    std::uint64_t t0 = 0, t1 = 0;
    time_point s0, s1;
    sample(t0, s0);
    std::this_thread::sleep_for(calibration);
    sample(t1, s1);
    const double ns = static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(s1 - s0).count());
    const double ticks = static_cast<double>(t1 - t0);
    // A rate outside 0.1 .. 100 GHz means the counter cannot be trusted.
    if (!(ticks > 0) || !(ns > 0)) return;
    const double per_tick = ns / ticks;
    if (per_tick < 0.01 || per_tick > 10.0) return;
    base_ticks_ = t1;
    base_ = s1;
    ns_per_tick_ = per_tick;
#endif
  }

#if SMARTCACHE_HAVE_RDTSC
  static bool invariant_tsc() noexcept {
    unsigned eax = 0, ebx = 0, ecx = 0, edx = 0;
    if (__get_cpuid(0x80000000u, &eax, &ebx, &ecx, &edx) == 0 || eax < 0x80000007u) return false;
    if (__get_cpuid(0x80000007u, &eax, &ebx, &ecx, &edx) == 0) return false;
    return (edx & (1u << 8)) != 0;
  }

  // A counter reading and the steady_clock instant it corresponds to: the
  // midpoint of two counter reads around the clock read, from the tightest
  // of a few tries (a preemption in between widens the pair; it is skipped).
  static void sample(std::uint64_t& ticks, time_point& at) noexcept {
    std::uint64_t best_width = ~std::uint64_t{0};
    for (int i = 0; i < 5; ++i) {
      const std::uint64_t a = __rdtsc();
      const time_point s = std::chrono::steady_clock::now();
      const std::uint64_t b = __rdtsc();
      if (b - a < best_width) {
        best_width = b - a;
        ticks = a + (b - a) / 2;
        at = s;
      }
    }
  }
#endif

  std::uint64_t base_ticks_ = 0;
  time_point base_{};
  double ns_per_tick_ = 0;  // 0: not calibrated, steady_clock is read instead
};

}  // namespace smartcache::detail
