// smartcache benchmarks - MemoryStore hit path and puts against a single mutex +
// std::unordered_map baseline in the same binary. Compare the ratios, not the
// absolute numbers:
//   MemoryStore/get_hit        vs  Baseline/get_hit       (1 and 2 threads)
//   MemoryStore/put_replacing  vs  Baseline/put_replacing (put_evicting: the
//                                  store's insert-and-evict path, no baseline)
//   Paired_get_hit: both in alternating batches of the same iteration, timed
//   with the thread's CPU clock; its `ratio` counter (store / baseline) is the
//   figure to quote, robust to a machine busy with other work.
//   MemoryStore_rss_per_entry: resident memory per entry of a full store at
//   steady state (counter `bytes_per_entry`), no baseline.
// SPDX-License-Identifier: MIT
#include <smartcache/stores/memory_store.hpp>

#include <benchmark/benchmark.h>

#include <chrono>
#include <cstdio>
#include <ctime>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <vector>

#if defined(__GLIBC__)
#include <malloc.h>
#endif
#include <unistd.h>

namespace {

using smartcache::Entry;
using smartcache::WallTime;
using Value = std::string;

constexpr std::size_t key_count = 10'000;
const WallTime t0 = WallTime(std::chrono::hours(24 * 365 * 50));

const std::vector<std::string>& keys() {
  static const std::vector<std::string> k = [] {
    std::vector<std::string> v;
    for (std::size_t i = 0; i < key_count; ++i)
      v.push_back("prediction:match:" + std::to_string(i) + ":market:over_under_25");
    return v;
  }();
  return k;
}

// What a realistic entry looks like: a short serialised value, two short tags.
Entry<Value> make_entry(std::size_t i, bool tagged) {
  Entry<Value> e{"{\"p\":0.5" + std::to_string(i % 10) + "}", t0, t0 + std::chrono::seconds(60),
                 t0 + std::chrono::seconds(120), {}};
  if (tagged) e.tags = {"match:" + std::to_string(i % 100), "over_under_25"};
  return e;
}

// The baseline: what one would write first, a map of Entry returning a copy
// of the whole entry (tags included, as MemoryStore::get did up to 0.2; the
// store now copies value and horizons only, so tagged hits differ by the tag
// copy, untagged ones compare like for like); keys are given as std::string so the baseline does not
// pay for building one (its best case).
class Baseline {
 public:
  std::optional<Entry<Value>> get(const std::string& key) {
    std::lock_guard<std::mutex> lock(mutex_);
    const auto it = map_.find(key);
    if (it == map_.end()) return std::nullopt;
    return it->second;
  }
  void put(const std::string& key, Entry<Value> e) {
    std::lock_guard<std::mutex> lock(mutex_);
    map_[key] = std::move(e);
  }

 private:
  std::mutex mutex_;
  std::unordered_map<std::string, Entry<Value>> map_;
};

template <class Store>
void fill(Store& s, bool tagged) {
  for (std::size_t i = 0; i < key_count; ++i) s.put(keys()[i], make_entry(i, tagged), t0);
}

smartcache::MemoryStore<Value>& shared_store(bool tagged) {
  static smartcache::MemoryStore<Value> with_tags(2 * key_count);
  static smartcache::MemoryStore<Value> without_tags(2 * key_count);
  static const bool filled = [] {
    fill(with_tags, true);
    fill(without_tags, false);
    return true;
  }();
  (void)filled;
  return tagged ? with_tags : without_tags;
}

// `copy` 1 is a second, identical baseline, for a paired batch that must not
// find the first one's nodes in cache.
Baseline& shared_baseline(bool tagged, int copy = 0) {
  static Baseline instances[2][2];  // [copy][tagged]
  static const bool filled = [] {
    for (std::size_t i = 0; i < key_count; ++i)
      for (auto& pair : instances) {
        pair[1].put(keys()[i], make_entry(i, true));
        pair[0].put(keys()[i], make_entry(i, false));
      }
    return true;
  }();
  (void)filled;
  return instances[copy == 0 ? 0 : 1][tagged ? 1 : 0];
}

// Each thread walks the keys with a stride so threads rarely hit the same key.
std::size_t next_index(std::size_t i) { return (i + 7919) % key_count; }

void MemoryStore_get_hit(benchmark::State& state) {
  auto& store = shared_store(state.range(0) != 0);
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 1237 % key_count;
  for (auto _ : state) {
    auto e = store.get(keys()[i], t0);
    benchmark::DoNotOptimize(e);
    i = next_index(i);
  }
}

void Baseline_get_hit(benchmark::State& state) {
  auto& base = shared_baseline(state.range(0) != 0);
  std::size_t i = static_cast<std::size_t>(state.thread_index()) * 1237 % key_count;
  for (auto _ : state) {
    auto e = base.get(keys()[i]);
    benchmark::DoNotOptimize(e);
    i = next_index(i);
  }
}

// Puts of new keys into a full store: every put evicts one entry.
void MemoryStore_put_evicting(benchmark::State& state) {
  smartcache::MemoryStore<Value> store(key_count / 2);
  const Entry<Value> e = make_entry(1, true);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(store.put(keys()[i], e, t0));
    i = next_index(i);
  }
  state.counters["evictions"] = static_cast<double>(store.evictions());
}

// Puts replacing existing keys: the like-for-like comparison with the baseline
// (same tags as before, the common case of a refresh).
void MemoryStore_put_replacing(benchmark::State& state) {
  smartcache::MemoryStore<Value> store(2 * key_count);
  const Entry<Value> e = make_entry(1, true);
  for (std::size_t i = 0; i < key_count; ++i) store.put(keys()[i], e, t0);
  std::size_t i = 0;
  for (auto _ : state) {
    benchmark::DoNotOptimize(store.put(keys()[i], e, t0));
    i = next_index(i);
  }
}

// Baseline puts replace existing keys (it cannot evict at all).
void Baseline_put_replacing(benchmark::State& state) {
  Baseline base;
  const Entry<Value> e = make_entry(1, true);
  for (std::size_t i = 0; i < key_count; ++i) base.put(keys()[i], e);
  std::size_t i = 0;
  for (auto _ : state) {
    base.put(keys()[i], e);
    i = next_index(i);
  }
}

// CPU time of the calling thread where POSIX offers it (descheduled time is
// not counted), the monotonic clock elsewhere.
double thread_cpu_ns() {
#if defined(CLOCK_THREAD_CPUTIME_ID)
  timespec ts{};
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
  return static_cast<double>(ts.tv_sec) * 1e9 + static_cast<double>(ts.tv_nsec);
#else
  return static_cast<double>(std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count());
#endif
}

// Paired batches look the same keys up in the same order; each batch reads
// its own copy of the key strings, or the later batches would find them in
// cache, warmed by the earlier ones.
const std::vector<std::string>& key_copy(int which) {
  static const std::vector<std::vector<std::string>> copies(3, keys());
  return copies[static_cast<std::size_t>(which)];
}

void Paired_get_hit(benchmark::State& state) {
  const bool tagged = state.range(0) != 0;
  auto& store = shared_store(tagged);
  auto& base = shared_baseline(tagged);
  auto& base_for_views = shared_baseline(tagged, 1);
  const auto& store_keys = key_copy(0);
  const auto& base_keys = key_copy(1);
  const auto& view_keys = key_copy(2);
  constexpr int batch = 512;
  // One lookup of each contender; [2] is the baseline when the caller holds a
  // string_view, as SmartCache does: C++17 unordered_map::find then needs a
  // std::string, built on every lookup.
  const auto lookup = [&](int who, std::size_t i) {
    if (who == 0) {
      auto e = store.get(store_keys[i], t0);
      benchmark::DoNotOptimize(e);
    } else if (who == 1) {
      auto e = base.get(base_keys[i]);
      benchmark::DoNotOptimize(e);
    } else {
      const std::string_view view = view_keys[i];
      auto e = base_for_views.get(std::string(view));
      benchmark::DoNotOptimize(e);
    }
  };
  double ns[3] = {0, 0, 0};
  std::size_t next[3] = {0, 0, 0};
  int first = 0;
  for (auto _ : state) {
    // Rotate who goes first: a batch right after another runs on a cache the
    // other one disturbed, and that must not always be the same contender.
    for (int step = 0; step < 3; ++step) {
      const int who = (first + step) % 3;
      std::size_t i = next[who];
      const double t = thread_cpu_ns();
      for (int n = 0; n < batch; ++n, i = next_index(i)) lookup(who, i);
      ns[who] += thread_cpu_ns() - t;
      next[who] = i;
    }
    first = (first + 1) % 3;
  }
  const double gets = static_cast<double>(state.iterations()) * batch;
  state.counters["store_ns"] = ns[0] / gets;
  state.counters["baseline_ns"] = ns[1] / gets;
  state.counters["baseline_from_view_ns"] = ns[2] / gets;
  state.counters["ratio"] = ns[1] > 0 ? ns[0] / ns[1] : 0;
}

// Resident set size of the process, from /proc/self/statm (Linux); -1 elsewhere.
double rss_bytes() {
  std::FILE* f = std::fopen("/proc/self/statm", "r");
  if (f == nullptr) return -1;
  long pages = 0, resident = 0;
  const int read = std::fscanf(f, "%ld %ld", &pages, &resident);
  std::fclose(f);
  if (read != 2) return -1;
  return static_cast<double>(resident) * static_cast<double>(sysconf(_SC_PAGESIZE));
}

// What a full MemoryStore<double> costs per entry: capacity 1M, 2M distinct
// 24-byte keys put (the second million evicting the first, so the ghost FIFO
// and the free slots are at steady state too), RSS growth / entries held.
void MemoryStore_rss_per_entry(benchmark::State& state) {
  constexpr std::size_t capacity = 1'000'000;
  for (auto _ : state) {
#if defined(__GLIBC__)
    malloc_trim(0);  // what earlier benchmarks freed is not counted as this store's
#endif
    const double before = rss_bytes();
    smartcache::MemoryStore<double> store(capacity);
    char key[32];
    for (std::size_t i = 0; i < 2 * capacity; ++i) {
      std::snprintf(key, sizeof key, "entry:%018zu", i);  // 24 bytes
      store.put(std::string_view(key, 24),
                Entry<double>{1.0, t0, t0 + std::chrono::hours(1), t0 + std::chrono::hours(2), {}}, t0);
    }
    const double after = rss_bytes();
    if (before < 0 || after < 0) {
      state.SkipWithError("no /proc/self/statm");
      break;
    }
    state.counters["entries"] = static_cast<double>(store.size());
    state.counters["shards"] = static_cast<double>(store.shard_count());
    state.counters["bytes_per_entry"] = (after - before) / static_cast<double>(store.size());
  }
}

// The argument: 1 = entries carry two tags (the baseline copies them on every
// hit, the store does not), 0 = no tags.
BENCHMARK(MemoryStore_get_hit)->ArgName("tagged")->Arg(0)->Arg(1)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(Baseline_get_hit)->ArgName("tagged")->Arg(0)->Arg(1)->Threads(1)->Threads(2)->UseRealTime();
BENCHMARK(Paired_get_hit)->ArgName("tagged")->Arg(0)->Arg(1);
BENCHMARK(MemoryStore_put_evicting);
BENCHMARK(MemoryStore_put_replacing);
BENCHMARK(Baseline_put_replacing);
BENCHMARK(MemoryStore_rss_per_entry)->Iterations(1)->Unit(benchmark::kMillisecond);

}  // namespace

BENCHMARK_MAIN();
