// smartcache - what SmartCache asks of a backing store, and the entry it stores.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <vector>

#include <smartcache/types.hpp>

namespace smartcache {

/// One cached value with the metadata SmartCache decides on: what `put`
/// stores. Invariant kept by SmartCache: stored_at <= fresh_until <= stale_until.
/// V needs no default constructor (build an Entry with all its fields, as
/// `Entry<Price>{Price(1.85), now, now + ttl, now + ttl + window, {}}`); it
/// must be copy-constructible, since a hit hands the caller a copy.
template <class V>
struct Entry {
  V value{};
  WallTime stored_at{};
  WallTime fresh_until{};  ///< served as fresh before this instant
  WallTime stale_until{};  ///< served stale (and refreshed) before this instant; gone after
  std::vector<std::string> tags;
};

/// What a lookup (`Store::get`) returns: an entry without its tags. A hit
/// decides fresh/stale from the horizons and serves the value; it never needs
/// the tags (they matter to invalidation only, which the store does itself in
/// `erase_tagged`), so a lookup does not copy them.
/// V needs no default constructor (`StoredValue<Price>{Price(1.85), now, now + ttl, now + ttl + window}`).
template <class V>
struct StoredValue {
  V value;
  WallTime stored_at{};
  WallTime fresh_until{};  ///< served as fresh before this instant
  WallTime stale_until{};  ///< served stale (and refreshed) before this instant; gone after
  /// Which tier answered (a tiered store sets it; SmartCache counts hits by
  /// tier from it); Tier::none for a store without tiers.
  Tier tier = Tier::none;
};

/// Thrown by a store that cannot do its job (Redis down, timeout, corrupt
/// value). SmartCache counts it in `cache_errors` and serves the request by
/// computing; it never reaches the caller of get_or_compute.
class StoreError : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Thrown by a store that answered, but whose entry under the key could not be
/// read (a frame of another version, a foreign writer, bytes the codec
/// rejects). SmartCache counts it in `cache_errors` like any StoreError, and,
/// the store being up, overwrites the entry with the value it computes: a
/// corrupt entry costs one error, not one per request until it expires.
class CorruptEntryError : public StoreError {
 public:
  using StoreError::StoreError;
};

// The Store concept (C++17, checked by use, documented here):
//
//   using value_type = V;
//   std::optional<StoredValue<V>> get(std::string_view key, WallTime now);
//       the entry's value and horizons (not its tags), or nullopt when absent
//       or when now >= stale_until (a store may purge it then);
//   std::size_t put(std::string_view key, Entry<V> entry, WallTime now);
//       insert or replace, tags included; returns how many OTHER entries were
//       evicted to make room (0 for stores that do not evict);
//   bool erase(std::string_view key);
//   std::size_t erase_tagged(std::string_view scope, const std::vector<std::string>& any_of);
//       erases every entry that carries the tag `scope` (ignored when empty)
//       AND at least one tag of `any_of` (ignored when empty; both empty = nothing);
//       returns the number of entries erased;
//   std::size_t clear();
//       erases every entry of this store (and only of this store); returns the count;
//   std::size_t size();
//
// Optional, detected by SmartCache at compile time (distributed refresh lock):
//   std::optional<std::string> try_lock_refresh(std::string_view key, std::chrono::milliseconds ttl);
//   void unlock_refresh(std::string_view key, const std::string& token);
// and (a read that is not the lookup of a compute, used after one):
//   std::optional<StoredValue<V>> peek(std::string_view key, WallTime now);
//
// `get` returns StoredValue<V>, not Entry<V> (as up to 0.2): a hit copied the
// entry's tag vector (one allocation per tag) although nothing on the hit path
// reads it. Tags go into a store with `put` and are used by `erase_tagged`;
// a store that wants to expose them does so outside the concept
// (MemoryStore::tags_of).
//
// Every member may throw (StoreError or anything else) on failure, and must be
// safe to call from several threads at once. `get` throws CorruptEntryError
// when the store works but the stored bytes do not decode.

}  // namespace smartcache
