// SmartCache request paths against a mutex-guarded std::unordered_map in the
// same binary. Read the ratios (cache / baseline), not the absolute numbers.
//
//   BM_Baseline_MapHit<V>       lock, find, copy the value, unlock
//   BM_Cache_FreshHit<V>/rate/tagged   get_or_compute answered fresh; rate = latency
//                               sampling %, tagged = entries carry two tags
//   BM_Cache_StaleHit           answered stale, the key's refresh already pending
//   BM_Cache_StaleSchedule      answered stale, a refresh queued (and dropped) each time
//   BM_Cache_Miss               compute + store into a full store (evicts)
//   BM_Clock_*                  what one clock read costs here
//
// Targets (ratios to BM_Baseline_MapHit of the same value type, one run):
//   FreshHit<std::string>/100/1 (default sampling, 2 tags, 37-byte value) <= 2.0x
//   FreshHit<double>/1/0 and <std::string>/1/0 (untagged, 1 % sampling)  <= 1.5x
//   FreshHit<double>/1/0 on 2 threads: items/s >= 1.8x its 1-thread run
#include <benchmark/benchmark.h>

#include <chrono>
#include <ctime>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <string_view>
#include <string>
#include <unordered_map>
#include <vector>

#include <smartcache/cache.hpp>
#include <smartcache/stores/memory_store.hpp>

namespace {

constexpr int key_count = 1024;

const std::vector<std::string>& keys() {
  static const std::vector<std::string> k = [] {
    std::vector<std::string> v;
    for (int i = 0; i < key_count; ++i) v.push_back("odds:match:" + std::to_string(i) + ":btts");
    return v;
  }();
  return k;
}

template <class V>
V make_value(int i);
template <>
double make_value<double>(int i) {
  return 1.0 + i / 1000.0;
}
template <>
std::string make_value<std::string>(int i) {
  return std::string(37, static_cast<char>('a' + i % 26));  // past the small-string buffer
}

template <class V>
struct MutexMap {
  std::mutex mutex;
  std::unordered_map<std::string, V> map;
  V get(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex);
    return map.find(key)->second;
  }
};

template <class V>
void BM_Baseline_MapHit(benchmark::State& state) {
  static MutexMap<V> m;
  if (state.thread_index() == 0)
    for (int i = 0; i < key_count; ++i) m.map[keys()[static_cast<std::size_t>(i)]] = make_value<V>(i);
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 97;
  for (auto _ : state) {
    V v = m.get(keys()[i++ % key_count]);
    benchmark::DoNotOptimize(v);
  }
  state.SetItemsProcessed(state.iterations());
}

template <class V>
using Cache = smartcache::SmartCache<smartcache::MemoryStore<V>>;

// One cache per benchmark, shared by its threads.
template <class V>
struct Fixture {
  smartcache::CacheMetrics metrics;
  std::unique_ptr<Cache<V>> cache;
  std::deque<std::function<void()>> parked;  // refreshes never run (the stale benchmarks)
};

template <class V>
void BM_Cache_FreshHit(benchmark::State& state) {
  static Fixture<V> f;
  if (state.thread_index() == 0) {
    f.cache = std::make_unique<Cache<V>>(smartcache::Config{}, f.metrics);
    f.metrics.set_latency_sampling(static_cast<double>(state.range(0)) / 100.0);
    const smartcache::RequestContext fill =
        state.range(1) ? smartcache::RequestContext{{"match:4242", "btts"}, std::nullopt, {}} : smartcache::RequestContext{};
    for (int i = 0; i < key_count; ++i)
      (void)f.cache->get_or_compute(keys()[static_cast<std::size_t>(i)], [i] { return make_value<V>(i); }, fill);
  }
  // range(1) = 1: entries carry two tags, which a store get copies.
  const smartcache::RequestContext ctx =
      state.range(1) ? smartcache::RequestContext{{"match:4242", "btts"}, std::nullopt, {}} : smartcache::RequestContext{};
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 97;
  for (auto _ : state) {
    auto r = f.cache->get_or_compute(keys()[i++ % key_count], [] { return V{}; }, ctx);
    benchmark::DoNotOptimize(r);
  }
  state.SetItemsProcessed(state.iterations());
  if (state.thread_index() == 0) {
    const auto s = f.metrics.get_stats();
    state.counters["fresh_pct"] = 100.0 * static_cast<double>(s.strategy_serve_fresh) /
                                  static_cast<double>(s.total_requests);
  }
}

// Stale hits: the wall clock is fixed in the future relative to the stored
// entries. The refreshes they ask for are parked, never run (`park`), or
// handed to an executor that drops them.
void run_stale(benchmark::State& state, bool park) {
  using namespace std::chrono;
  Fixture<double> f;
  auto now = std::make_shared<system_clock::time_point>(system_clock::now());
  smartcache::Config cfg;
  cfg.wall_clock = [now] { return *now; };
  if (park) cfg.executor = [&f](std::function<void()> task) { f.parked.push_back(std::move(task)); };
  else cfg.executor = [](std::function<void()>) {};  // drops every refresh
  f.cache = std::make_unique<Cache<double>>(cfg, f.metrics);
  for (int i = 0; i < key_count; ++i)
    (void)f.cache->get_or_compute(keys()[static_cast<std::size_t>(i)], [] { return 1.0; });
  *now += minutes(90);  // standard zone: fresh 1 h, stale until 2 h
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = f.cache->get_or_compute(keys()[i++ % key_count], [] { return 2.0; });
    benchmark::DoNotOptimize(r);
  }
  f.cache.reset();
}

void BM_Cache_StaleHit(benchmark::State& state) { run_stale(state, true); }
void BM_Cache_StaleSchedule(benchmark::State& state) { run_stale(state, false); }

void BM_Cache_Miss(benchmark::State& state) {
  smartcache::CacheMetrics metrics;
  Cache<double> cache(std::make_shared<smartcache::MemoryStore<double>>(key_count), smartcache::Config{},
                      metrics);
  std::uint64_t n = 0;
  std::string key;
  for (auto _ : state) {
    key = "miss:" + std::to_string(n++);
    auto r = cache.get_or_compute(key, [] { return 3.0; }, {{"match:1", "btts"}, std::nullopt, {}});
    benchmark::DoNotOptimize(r);
  }
  state.counters["evictions"] = static_cast<double>(metrics.get_stats().cache_evictions);
}

// A store that always returns the same fresh entry: what SmartCache costs
// around a store (the fresh hit minus the store's own work).
struct FixedStore {
  using value_type = double;
  smartcache::StoredValue<double> entry{1.0, {}, smartcache::WallTime::max() - std::chrono::hours(48),
                                        smartcache::WallTime::max() - std::chrono::hours(24)};
  FixedStore() { entry.stored_at = std::chrono::system_clock::now(); }
  std::optional<smartcache::StoredValue<double>> get(std::string_view, smartcache::WallTime) {
    return entry;
  }
  std::size_t put(std::string_view, smartcache::Entry<double>, smartcache::WallTime) { return 0; }
  bool erase(std::string_view) { return false; }
  std::size_t erase_tagged(std::string_view, const std::vector<std::string>&) { return 0; }
  std::size_t clear() { return 0; }
  std::size_t size() { return 1; }
};

void BM_Cache_FreshHitFixedStore(benchmark::State& state) {
  smartcache::CacheMetrics metrics;
  metrics.set_latency_sampling(0.0);
  smartcache::SmartCache<FixedStore> cache(smartcache::Config{}, metrics);
  std::size_t i = 0;
  for (auto _ : state) {
    auto r = cache.get_or_compute(keys()[i++ % key_count], [] { return 0.0; });
    benchmark::DoNotOptimize(r);
  }
  state.counters["fresh_pct"] = 100.0 * static_cast<double>(metrics.get_stats().strategy_serve_fresh) /
                                static_cast<double>(metrics.get_stats().total_requests);
}

// The parts of a fresh hit, measured alone.
void BM_Part_StoreGet(benchmark::State& state) {
  smartcache::MemoryStore<double> store;
  const auto now = std::chrono::system_clock::now();
  for (int i = 0; i < key_count; ++i)
    store.put(keys()[static_cast<std::size_t>(i)], {1.0, now, now + std::chrono::hours(1), now + std::chrono::hours(2), {}},
              now);
  std::size_t i = 0;
  for (auto _ : state) benchmark::DoNotOptimize(store.get(keys()[i++ % key_count], now));
}

void BM_Part_RecordRequest(benchmark::State& state) {
  smartcache::CacheMetrics metrics;
  smartcache::RequestRecord r;
  r.strategy = smartcache::Strategy::serve_fresh;
  r.vix = smartcache::VixStatus::normal;
  r.zone = smartcache::Zone::standard;
  r.lookup = smartcache::Lookup::fresh;
  for (auto _ : state) metrics.record_request(r);
}

void BM_Part_ShouldSample(benchmark::State& state) {
  smartcache::CacheMetrics metrics;
  metrics.set_latency_sampling(0.01);
  for (auto _ : state) benchmark::DoNotOptimize(metrics.should_sample_latency());
}

void BM_Clock_Steady(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::steady_clock::now());
}
void BM_Clock_System(benchmark::State& state) {
  for (auto _ : state) benchmark::DoNotOptimize(std::chrono::system_clock::now());
}

#ifdef CLOCK_REALTIME_COARSE
void BM_Clock_RealtimeCoarse(benchmark::State& state) {
  timespec ts{};
  for (auto _ : state) {
    clock_gettime(CLOCK_REALTIME_COARSE, &ts);
    benchmark::DoNotOptimize(ts);
  }
}
BENCHMARK(BM_Clock_RealtimeCoarse);
#endif

}  // namespace

BENCHMARK_TEMPLATE(BM_Baseline_MapHit, double);
BENCHMARK_TEMPLATE(BM_Cache_FreshHit, double)->Args({100, 0})->Args({1, 0})->Args({0, 0})->Args({1, 1});
BENCHMARK_TEMPLATE(BM_Baseline_MapHit, std::string);
BENCHMARK_TEMPLATE(BM_Cache_FreshHit, std::string)->Args({100, 0})->Args({100, 1})->Args({1, 0})->Args({1, 1});
BENCHMARK_TEMPLATE(BM_Baseline_MapHit, double)->Threads(2)->UseRealTime();
BENCHMARK_TEMPLATE(BM_Cache_FreshHit, double)->Args({1, 0})->Threads(2)->UseRealTime();
BENCHMARK(BM_Cache_StaleHit);
BENCHMARK(BM_Cache_StaleSchedule);
BENCHMARK(BM_Cache_Miss);
BENCHMARK(BM_Cache_FreshHitFixedStore);
BENCHMARK(BM_Part_StoreGet);
BENCHMARK(BM_Part_RecordRequest);
BENCHMARK(BM_Part_ShouldSample);
BENCHMARK(BM_Clock_Steady);
BENCHMARK(BM_Clock_System);

BENCHMARK_MAIN();
