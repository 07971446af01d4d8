// MemoryStore's automatic shard count costs no hit ratio: a deterministic
// Zipf(1.0) trace misses (almost) as often in the sharded store as in one
// S3-FIFO shard of the same capacity.
#include "support/catch.hpp"

#include <smartcache/stores/memory_store.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <string>
#include <vector>

using smartcache::Entry;
using smartcache::MemoryStore;
using smartcache::WallTime;

namespace {

const WallTime t0 = WallTime(std::chrono::hours(24 * 365 * 50));

// Key ranks drawn from Zipf(s) over `keys` keys, by inverse CDF from a
// mt19937_64 (its output is fixed by the standard, so is the trace).
std::vector<std::string> zipf_trace(std::size_t keys, double s, std::size_t requests,
                                    std::uint64_t seed) {
  std::vector<double> cdf(keys);
  double sum = 0;
  for (std::size_t i = 0; i < keys; ++i) {
    sum += 1.0 / std::pow(static_cast<double>(i + 1), s);
    cdf[i] = sum;
  }
  for (double& c : cdf) c /= sum;
  std::mt19937_64 rng(seed);
  std::vector<std::string> trace;
  trace.reserve(requests);
  for (std::size_t i = 0; i < requests; ++i) {
    const double u = static_cast<double>(rng() >> 11) * 0x1.0p-53;
    const auto rank = static_cast<std::size_t>(std::lower_bound(cdf.begin(), cdf.end(), u) - cdf.begin());
    trace.push_back("key:" + std::to_string(rank));
  }
  return trace;
}

// Replays the trace as a cache would (get, and put on a miss); the miss ratio.
double miss_ratio(MemoryStore<int>& store, const std::vector<std::string>& trace) {
  std::size_t misses = 0;
  for (const std::string& k : trace) {
    if (store.get(k, t0)) continue;
    ++misses;
    (void)store.put(k, Entry<int>{1, t0, t0 + std::chrono::hours(1), t0 + std::chrono::hours(2), {}}, t0);
  }
  return static_cast<double>(misses) / static_cast<double>(trace.size());
}

}  // namespace

TEST_CASE("automatic shard count: within 0.005 miss ratio of one shard on Zipf(1.0)",
          "[memory_store][shards]") {
  const auto trace = zipf_trace(10'000, 1.0, 200'000, 20240611);
  for (const std::size_t capacity : {std::size_t{30}, std::size_t{763}, std::size_t{5000}, std::size_t{50'000}}) {
    MemoryStore<int> sharded(capacity);
    MemoryStore<int> one(capacity, 1);
    REQUIRE(one.shard_count() == 1);
    CHECK(sharded.shard_count() == MemoryStore<int>::auto_shards(capacity));
    const double miss_sharded = miss_ratio(sharded, trace);
    const double miss_one = miss_ratio(one, trace);
    CAPTURE(capacity, sharded.shard_count(), miss_sharded, miss_one);
    CHECK(miss_sharded - miss_one <= 0.005);
    CHECK(sharded.check_invariants());
  }
}

TEST_CASE("the sharded stores the rule compares are really sharded", "[memory_store][shards]") {
  CHECK(MemoryStore<int>(30).shard_count() == 1);
  CHECK(MemoryStore<int>(763).shard_count() == 2);
  CHECK(MemoryStore<int>(5000).shard_count() == 16);
  CHECK(MemoryStore<int>(50'000).shard_count() == 16);
}

TEST_CASE("tiny shards are what the rule avoids: 30 entries split 16 ways miss more",
          "[memory_store][shards]") {
  const auto trace = zipf_trace(10'000, 1.0, 200'000, 20240611);
  MemoryStore<int> split(30, 16);  // the former fixed count: shards of 1-2 entries
  MemoryStore<int> one(30, 1);
  const double miss_split = miss_ratio(split, trace);
  const double miss_one = miss_ratio(one, trace);
  CAPTURE(miss_split, miss_one);
  CHECK(miss_split - miss_one > 0.01);  // measured: +0.076
}
