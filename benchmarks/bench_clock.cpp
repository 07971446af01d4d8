// smartcache benchmark - the latency clock: two readings per sampled request.
//
// BM_SteadyClockPair is the floor the default clock replaced (two
// steady_clock::now()); BM_CycleClockPair is the default (CycleClock: the
// calibrated cycle counter where the CPU has an invariant TSC). Compare them
// as a ratio within one run.
#include <chrono>

#include <benchmark/benchmark.h>

#include <smartcache/detail/core/cycle_clock.hpp>

namespace {

void BM_SteadyClockPair(benchmark::State& state) {
  for (auto _ : state) {
    const auto a = std::chrono::steady_clock::now();
    const auto b = std::chrono::steady_clock::now();
    benchmark::DoNotOptimize(b - a);
  }
}
BENCHMARK(BM_SteadyClockPair);

void BM_CycleClockPair(benchmark::State& state) {
  const auto& clock = smartcache::detail::CycleClock::instance();
  state.SetLabel(clock.uses_cycle_counter() ? "cycle counter" : "steady_clock fallback");
  for (auto _ : state) {
    const auto a = clock.now();
    const auto b = clock.now();
    benchmark::DoNotOptimize(b - a);
  }
}
BENCHMARK(BM_CycleClockPair);

}  // namespace

BENCHMARK_MAIN();
