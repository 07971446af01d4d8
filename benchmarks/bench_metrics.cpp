// CacheMetrics recording and exposition, each next to the floor it is judged by:
// the bare std::mutex (or atomics) doing the same arithmetic in the same binary.
// Targets (ratios, see README "Benchmarks"):
//   increment                  <= 1.5 x  floor_mutex_increment
//   record_latency (rate 1)    <= 2   x  floor_mutex_latency
//   record_latency (rate 0.01) <= 0.5 x  record_latency (rate 1)
//     (and record_request_timed: the same ratio for a whole timed request)
//   record_request             <= 1.5 x  floor_mutex_increment (one lock for six counters)
//   to_prometheus              <= 8 us (five request_duration series, one per strategy)
//   record_request, 2 threads  >= 1.8 x the items/s of 1 thread (striped: each
//     thread records into its own stripe; record_request_threads/threads:N)
#include <smartcache/smartcache.hpp>

#include <array>
#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstring>
#include <mutex>
#include <random>
#include <vector>

#include <benchmark/benchmark.h>

namespace {

// Latencies in ms, lognormal around 0.5 ms, so that bucket scans and branches
// see a realistic spread; both our path and the floors read the same ones.
const std::vector<double>& latencies() {
  static const std::vector<double> values = [] {
    std::mt19937_64 rng(1);
    std::lognormal_distribution<double> d(-0.7, 1.5);
    std::vector<double> v(4096);
    for (double& x : v) x = d(rng);
    return v;
  }();
  return values;
}

std::size_t next(std::size_t i) { return (i + 1) & 4095; }

// --- floors --------------------------------------------------------------------

struct FloorCounters {
  std::mutex mutex;
  std::array<std::uint64_t, smartcache::counter_count> counts{};
};

struct FloorAtomics {
  std::array<std::atomic<std::uint64_t>, smartcache::counter_count> counts{};
};

// What one latency observation costs at the least: the lock, the request
// count, sum/min/max, a Prometheus bucket found by a scan over 16 bounds and a
// fine bucket found from the double's bits.
struct FloorLatency {
  std::mutex mutex;
  std::uint64_t requests = 0;
  std::uint64_t count = 0;
  double sum = 0, min = 0, max = 0;
  std::array<double, 16> bounds_ms{};
  std::array<std::uint64_t, 17> coarse{};
  std::array<std::uint64_t, 1024> fine{};

  FloorLatency() {
    const auto b = smartcache::detail::default_latency_buckets_seconds();
    for (std::size_t i = 0; i < bounds_ms.size(); ++i) bounds_ms[i] = b[i] * 1000.0;
  }

  void record(double ms) {
    std::lock_guard<std::mutex> lock(mutex);
    ++requests;
    ++count;
    sum += ms;
    if (count == 1 || ms < min) min = ms;
    if (count == 1 || ms > max) max = ms;
    std::size_t i = 0;
    while (i < bounds_ms.size() && ms > bounds_ms[i]) ++i;
    ++coarse[i];
    std::uint64_t bits = 0;
    std::memcpy(&bits, &ms, sizeof bits);
    ++fine[(bits >> 47) & 1023];
  }
};

FloorCounters& floor_counters() {
  static FloorCounters f;
  return f;
}
FloorAtomics& floor_atomics() {
  static FloorAtomics f;
  return f;
}
FloorLatency& floor_latency() {
  static FloorLatency f;
  return f;
}

smartcache::CacheMetrics& metrics_at(double rate) {
  static smartcache::CacheMetrics full;
  static smartcache::CacheMetrics sampled = [] {
    smartcache::MetricsOptions o;
    o.latency_sample_rate = 0.01;
    return smartcache::CacheMetrics(o);
  }();
  return rate >= 1.0 ? full : sampled;
}

// --- increment -------------------------------------------------------------------

void floor_mutex_increment(benchmark::State& state) {
  auto& f = floor_counters();
  for (auto _ : state) {
    std::lock_guard<std::mutex> lock(f.mutex);
    ++f.counts[static_cast<std::size_t>(smartcache::Counter::cache_hit_fresh)];
  }
}

void increment(benchmark::State& state) {
  auto& m = metrics_at(1.0);
  for (auto _ : state) m.increment(smartcache::Counter::cache_hit_fresh);
}

void increment_by_name(benchmark::State& state) {
  auto& m = metrics_at(1.0);
  for (auto _ : state) benchmark::DoNotOptimize(m.increment("cache_hit_fresh"));
}

// --- record_latency -------------------------------------------------------------

void floor_mutex_latency(benchmark::State& state) {
  auto& f = floor_latency();
  const auto& v = latencies();
  std::size_t i = 0;
  for (auto _ : state) {
    f.record(v[i]);
    i = next(i);
  }
}

void record_latency(benchmark::State& state) {
  auto& m = metrics_at(static_cast<double>(state.range(0)) / 100.0);
  const auto& v = latencies();
  std::size_t i = 0;
  for (auto _ : state) {
    m.record_latency(v[i]);
    i = next(i);
  }
  state.SetLabel(state.range(0) == 100 ? "rate 1" : "rate 0.01");
}

// --- record_request ---------------------------------------------------------------

constexpr smartcache::Counter request_counters[] = {
    smartcache::Counter::total_requests,     smartcache::Counter::strategy_serve_fresh,
    smartcache::Counter::vix_normal,         smartcache::Counter::golden_hour_golden,
    smartcache::Counter::cache_hit_fresh,    smartcache::Counter::swr_served_fresh,
};

void floor_six_locks(benchmark::State& state) {
  auto& f = floor_counters();
  for (auto _ : state) {
    for (const auto c : request_counters) {
      std::lock_guard<std::mutex> lock(f.mutex);
      ++f.counts[static_cast<std::size_t>(c)];
    }
  }
}

void floor_six_relaxed_atomics(benchmark::State& state) {
  auto& f = floor_atomics();
  for (auto _ : state)
    for (const auto c : request_counters) f.counts[static_cast<std::size_t>(c)].fetch_add(1, std::memory_order_relaxed);
}

smartcache::RequestRecord fresh_hit() {
  smartcache::RequestRecord r;
  r.strategy = smartcache::Strategy::serve_fresh;
  r.vix = smartcache::VixStatus::normal;
  r.zone = smartcache::Zone::golden;
  r.lookup = smartcache::Lookup::fresh;
  return r;
}

void record_request(benchmark::State& state) {
  auto& m = metrics_at(1.0);
  const smartcache::RequestRecord r = fresh_hit();
  for (auto _ : state) m.record_request(r);
}

void record_request_with_latency(benchmark::State& state) {
  auto& m = metrics_at(1.0);
  smartcache::RequestRecord r = fresh_hit();
  const auto& v = latencies();
  std::size_t i = 0;
  for (auto _ : state) {
    r.latency_ms = v[i];
    m.record_request(r);
    i = next(i);
  }
}

// What sampling saves a SmartCache request: the decision, then the two clock
// reads and the observation only when sampled, then the one-lock record.
void record_request_timed(benchmark::State& state) {
  auto& m = metrics_at(static_cast<double>(state.range(0)) / 100.0);
  smartcache::RequestRecord r = fresh_hit();
  for (auto _ : state) {
    if (m.should_sample_latency()) {
      const auto start = std::chrono::steady_clock::now();
      const auto end = std::chrono::steady_clock::now();
      r.latency_ms = std::chrono::duration<double, std::milli>(end - start).count();
    } else {
      r.latency_ms.reset();
    }
    m.record_request(r);
  }
  state.SetLabel(state.range(0) == 100 ? "rate 1" : "rate 0.01");
}

// The cheapest a sampled-out record could be without the lock: the sampling
// draw and one relaxed atomic (what record_latency would cost if unsampled
// requests were counted outside the mutex).
void floor_sampled_out_lock_free(benchmark::State& state) {
  auto& m = metrics_at(0.01);
  auto& f = floor_atomics();
  for (auto _ : state) {
    if (m.should_sample_latency()) benchmark::DoNotOptimize(f.counts[1].load(std::memory_order_relaxed));
    f.counts[0].fetch_add(1, std::memory_order_relaxed);
  }
}

// Items per second at 1 and 2 threads on one instance, varied strategies: the
// 2-thread/1-thread ratio of items_per_second shows the stripes scale.
void record_request_threads(benchmark::State& state) {
  static smartcache::CacheMetrics m;
  smartcache::RequestRecord r = fresh_hit();
  const auto& v = latencies();
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 1024;
  for (auto _ : state) {
    r.strategy = static_cast<smartcache::Strategy>(i & 3);
    r.latency_ms = v[i];
    m.record_request(r);
    i = next(i);
  }
  state.SetItemsProcessed(state.iterations());
}

// --- exposition -------------------------------------------------------------------

void to_prometheus(benchmark::State& state) {
  smartcache::MetricsOptions o;
  o.const_labels = {{"service", "odds"}, {"instance", "eu-west-1a"}};
  smartcache::CacheMetrics m(o);
  for (const auto& info : smartcache::detail::counter_table) m.increment(info.counter, 123456);
  for (double v : latencies()) m.record_latency(v);
  smartcache::RequestRecord r = fresh_hit();
  std::size_t i = 0;
  for (double v : latencies()) {  // every strategy's series non-empty
    r.strategy = static_cast<smartcache::Strategy>(i++ & 3);
    r.latency_ms = v;
    m.record_request(r);
  }
  m.record_cpu_saved(80);
  std::size_t bytes = 0;
  for (auto _ : state) {
    std::string text = m.to_prometheus();
    bytes = text.size();
    benchmark::DoNotOptimize(text.data());
  }
  state.counters["bytes"] = static_cast<double>(bytes);
}

}  // namespace

BENCHMARK(floor_mutex_increment);
BENCHMARK(increment);
BENCHMARK(increment_by_name);
BENCHMARK(floor_mutex_latency);
BENCHMARK(record_latency)->Arg(100)->Arg(1);
BENCHMARK(floor_six_locks);
BENCHMARK(floor_six_relaxed_atomics);
BENCHMARK(record_request);
BENCHMARK(record_request_with_latency);
BENCHMARK(record_request_timed)->Arg(100)->Arg(1);
BENCHMARK(floor_sampled_out_lock_free);
BENCHMARK(to_prometheus)->Unit(benchmark::kMicrosecond);

// Two threads hammering the same instance (the 2-core CI box has no more).
BENCHMARK(floor_mutex_increment)->Threads(2)->UseRealTime();
BENCHMARK(increment)->Threads(2)->UseRealTime();
BENCHMARK(floor_mutex_latency)->Threads(2)->UseRealTime();
BENCHMARK(record_latency)->Arg(100)->Threads(2)->UseRealTime();
BENCHMARK(floor_six_locks)->Threads(2)->UseRealTime();
BENCHMARK(floor_six_relaxed_atomics)->Threads(2)->UseRealTime();
BENCHMARK(record_request)->Threads(2)->UseRealTime();
BENCHMARK(record_request_threads)->Threads(1)->Threads(2)->UseRealTime();

BENCHMARK_MAIN();
