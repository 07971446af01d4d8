// CycleClock, the default latency clock: it keeps steady_clock's time within 1 %.
#include <smartcache/detail/core/cycle_clock.hpp>

#include <chrono>
#include <cmath>
#include <thread>

#include "support/catch.hpp"

using smartcache::detail::CycleClock;
using std::chrono::steady_clock;

namespace {

// The two clocks read as close together as this thread can: the cycle clock
// around steady_clock, keeping the tightest of a few tries.
struct Pair {
  steady_clock::time_point steady;
  steady_clock::time_point cycle;
};
Pair read_both(const CycleClock& c) {
  Pair best{};
  auto width = steady_clock::duration::max();
  for (int i = 0; i < 5; ++i) {
    const auto a = c.now();
    const auto s = steady_clock::now();
    const auto b = c.now();
    if (b - a < width) {
      width = b - a;
      best = {s, a + (b - a) / 2};
    }
  }
  return best;
}

}  // namespace

TEST_CASE("the default latency clock is within 1 % of steady_clock over 1 ms .. 10 s", "[clock]") {
  const CycleClock& clock = CycleClock::instance();
  INFO("cycle counter in use: " << clock.uses_cycle_counter() << ", ns per tick " << clock.ns_per_tick());
  const Pair start = read_both(clock);
  for (const auto interval : {std::chrono::milliseconds(1), std::chrono::milliseconds(10),
                              std::chrono::milliseconds(100), std::chrono::milliseconds(1000),
                              std::chrono::milliseconds(10000)}) {
    std::this_thread::sleep_until(start.steady + interval);
    const Pair end = read_both(clock);
    const double steady_ns = std::chrono::duration<double, std::nano>(end.steady - start.steady).count();
    const double cycle_ns = std::chrono::duration<double, std::nano>(end.cycle - start.cycle).count();
    CAPTURE(interval.count(), steady_ns, cycle_ns);
    CHECK(std::fabs(cycle_ns - steady_ns) <= 0.01 * steady_ns);
  }
}

TEST_CASE("the cycle clock's readings are steady_clock time points", "[clock]") {
  const CycleClock& clock = CycleClock::instance();
  const auto s = steady_clock::now();
  const auto c = clock.now();
  // Same epoch: within a millisecond of each other, whichever clock is read.
  CHECK(std::chrono::abs(c - s) < std::chrono::milliseconds(1));
  // Successive readings on one thread never go backwards.
  auto previous = clock.now();
  for (int i = 0; i < 100000; ++i) {
    const auto next = clock.now();
    REQUIRE(next >= previous);
    previous = next;
  }
}
