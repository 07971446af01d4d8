// smartcache - MemoryStore<V>: the embedded, bounded, thread-safe default store.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <vector>

#include <smartcache/detail/memory/s3fifo_shard.hpp>
#include <smartcache/detail/memory/key_hash.hpp>
#include <smartcache/stores/store.hpp>

namespace smartcache {

/// An in-process store of at most `capacity()` entries, implementing the Store
/// concept of store.hpp.
///
/// - **Sharding**: a key's hash picks one of `shard_count()` shards (a power
///   of two); each shard has its own mutex, hash index, eviction queues and tag
///   index, so threads working on different keys rarely contend. By default
///   the count follows the capacity: the largest power of two not above
///   `capacity / min_shard_entries` (256), between 1 and `max_auto_shards`
///   (16). A shard is then large enough for its small queue (10 %) to hold
///   25 entries or more, and a sharded store misses as often as one shard
///   would: on a Zipf(1.0) trace the difference stays within 0.0015 once
///   shards hold 32 entries, while shards of 2-8 entries missed up to 0.17
///   more (a 30-entry store split 16 ways: +0.076). Stores of 4096 entries and
///   more get all 16 shards.
/// - **Capacity**: split exactly between the shards (capacity / shards each,
///   the first `capacity % shards` shards one more), so the total never
///   exceeds `capacity()`, at the price of a shard evicting while another has
///   room. A capacity of 0 is taken as 1.
/// - **Eviction**: S3-FIFO per shard: new keys wait in a small FIFO (10 % of
///   the shard) and are promoted to the main CLOCK queue only if they were hit
///   there, so a scan of one-time keys cannot flush the hot set. A hit only
///   bumps a small counter (no list reordering). `put` returns how many other
///   entries it evicted; `evictions()` is the lifetime total.
/// - **Expiry**: an entry with `now >= stale_until` is never returned; it is
///   removed when a `get` finds it and by a bounded sweep (4 slots) in every
///   `put` of its shard. Expiry removals are not evictions. A `put` of an entry
///   already past `stale_until` stores nothing (and drops the old value).
/// - **Tags**: each shard indexes tag -> entries, kept exact on replace, erase,
///   eviction and expiry; `erase_tagged` visits only the tagged entries.
///
/// The class is thread-safe: every member may be called concurrently from any
/// number of threads. `clear()` and `size()` visit the shards one after the
/// other, so they are not a snapshot of concurrent writes.
///
/// Example:
///   smartcache::MemoryStore<std::string> store(10'000);
///   auto now = std::chrono::system_clock::now();
///   store.put("odds:42", {"1.85", now, now + 60s, now + 120s, {"match:42", "btts"}}, now);
///   auto hit = store.get("odds:42", now);             // hit->value == "1.85"
///   store.erase_tagged("match:42", {"btts"});         // 1
template <class V>
class MemoryStore {
 public:
  using value_type = V;

  /// Capacity of a default-constructed store.
  static constexpr std::size_t default_capacity = 100'000;
  /// The most shards a store uses; more would only waste memory.
  static constexpr std::size_t max_shards = 1024;
  /// The most shards the automatic count picks.
  static constexpr std::size_t max_auto_shards = 16;
  /// The automatic count gives every shard at least this many entries.
  static constexpr std::size_t min_shard_entries = 256;

  /// A store of `default_capacity` entries with an automatic shard count.
  MemoryStore() : MemoryStore(default_capacity) {}

  /// A store of at most `capacity` entries. `shards` = 0 picks the count from
  /// the capacity (`auto_shards`); any other value is the caller's choice,
  /// rounded up to a power of two, capped at `max_shards`, then lowered to the
  /// largest power of two not above `capacity` (every shard holds >= 1).
  ///
  /// Example: `MemoryStore<int> tiny(8, 1);  // one shard: exact global S3-FIFO`
  explicit MemoryStore(std::size_t capacity, std::size_t shards = 0)
      : capacity_(capacity < 1 ? 1 : capacity) {
    if (capacity_ > max_capacity) capacity_ = max_capacity;
    std::size_t n = shards == 0 ? auto_shards(capacity_) : shards;
    if (n > max_shards) n = max_shards;
    std::size_t pow2 = 1;
    while (pow2 < n) pow2 <<= 1;
    while (pow2 > capacity_) pow2 >>= 1;
    shard_count_ = pow2;
    while ((std::size_t{1} << shard_bits_) < shard_count_) ++shard_bits_;
    shards_ = std::make_unique<Shard[]>(shard_count_);
    for (std::size_t i = 0; i < shard_count_; ++i)
      shards_[i].set_capacity(capacity_ / shard_count_ + (i < capacity_ % shard_count_ ? 1 : 0));
  }

  /// The shard count picked for `capacity` when none is given: the largest
  /// power of two not above capacity / min_shard_entries, within
  /// [1, max_auto_shards]. 30 -> 1, 763 -> 2, 4096 and more -> 16.
  [[nodiscard]] static constexpr std::size_t auto_shards(std::size_t capacity) noexcept {
    std::size_t n = 1;
    while (n * 2 <= max_auto_shards && n * 2 * min_shard_entries <= capacity) n *= 2;
    return n;
  }

  /// The value and horizons of `key` (not its tags: a hit copies the value
  /// only), or nullopt when absent or when `now >= stale_until` (the expired
  /// entry is then removed). Counts as a use for eviction.
  ///
  /// Example: `if (auto e = store.get("odds:42", now)) use(e->value);`
  [[nodiscard]] std::optional<StoredValue<V>> get(std::string_view key, WallTime now) {
    const std::uint64_t h = hash(key);
    return shard(h).get(h, key, now);
  }

  /// Inserts or replaces the entry of `key`; returns how many OTHER entries
  /// were evicted to make room (0 for a replace).
  ///
  /// Example: `std::size_t evicted = store.put("k", std::move(entry), now);`
  std::size_t put(std::string_view key, Entry<V> entry, WallTime now) {
    const std::uint64_t h = hash(key);
    return shard(h).put(h, key, std::move(entry), now);
  }

  /// The tags stored with `key`, nullopt when there is no entry. Not a lookup:
  /// no use is counted and expiry is not checked. For tests and tooling; the
  /// request path never needs the tags back.
  ///
  /// Example: `store.tags_of("odds:42")  // {"match:42", "btts"}`
  [[nodiscard]] std::optional<std::vector<std::string>> tags_of(std::string_view key) const {
    const std::uint64_t h = hash(key);
    return shard(h).tags_of(h, key);
  }

  /// Removes the entry of `key`; false when there was none.
  bool erase(std::string_view key) {
    const std::uint64_t h = hash(key);
    return shard(h).erase(h, key);
  }

  /// Erases every entry tagged `scope` (ignored when empty) AND at least one
  /// tag of `any_of` (ignored when empty); both empty erases nothing.
  /// Returns the number of entries erased.
  ///
  /// Example: `store.erase_tagged("match:42", {"btts", "next_goal"});`
  std::size_t erase_tagged(std::string_view scope, const std::vector<std::string>& any_of) {
    if (scope.empty() && any_of.empty()) return 0;
    std::size_t erased = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) erased += shards_[i].erase_tagged(scope, any_of);
    return erased;
  }

  /// Erases every entry; returns how many there were.
  std::size_t clear() {
    std::size_t erased = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) erased += shards_[i].clear();
    return erased;
  }

  /// Number of entries held (expired ones not yet purged included).
  [[nodiscard]] std::size_t size() const {
    std::size_t n = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) n += shards_[i].size();
    return n;
  }

  /// The most entries the store holds at once.
  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  /// Number of shards (a power of two).
  [[nodiscard]] std::size_t shard_count() const noexcept { return shard_count_; }

  /// Entries evicted for room since construction (expiry is not eviction).
  [[nodiscard]] std::uint64_t evictions() const noexcept {
    std::uint64_t n = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) n += shards_[i].evictions();
    return n;
  }

  /// Debug check of every internal invariant (sizes within capacity, queues,
  /// hash index and tag index consistent). For tests; takes each shard's lock.
  [[nodiscard]] bool check_invariants() const {
    std::size_t total = 0;
    for (std::size_t i = 0; i < shard_count_; ++i) {
      if (!shards_[i].check_invariants()) return false;
      total += shards_[i].capacity();
    }
    return total == capacity_;
  }

 private:
  using Shard = detail::S3FifoShard<V>;
  // A shard addresses its entries with 32-bit ids.
  static constexpr std::size_t max_capacity =
      std::size_t{std::numeric_limits<std::uint32_t>::max() - 1};

  static std::uint64_t hash(std::string_view key) noexcept { return detail::key_hash(key); }

  Shard& shard(std::uint64_t h) const noexcept {
    return shards_[shard_bits_ == 0 ? 0 : static_cast<std::size_t>(h >> (64 - shard_bits_))];
  }

  std::size_t capacity_;
  std::size_t shard_count_ = 1;
  unsigned shard_bits_ = 0;
  std::unique_ptr<Shard[]> shards_;
};

}  // namespace smartcache
