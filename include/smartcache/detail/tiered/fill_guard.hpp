// smartcache - the race guard of a memory tier: no fill survives an invalidation it raced.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

#include <smartcache/detail/memory/key_hash.hpp>

namespace smartcache::detail {

/// Orders a memory tier's fills against its invalidations.
///
/// A fill is a value read from (or written to) Redis being copied into the
/// memory tier. An invalidation of the key (a notification from Redis, or this
/// instance's own erase) may land between the Redis read and the fill; the
/// fill must then not stay. Each key hashes to one of `generation_count`
/// generations (a counter bumped by every invalidation of a key on it) and to
/// one of `lock_count` locks; a clear bumps one epoch for every key.
///
///   reader:       t = ticket(k); v = redis.get(k); fill_if_current(t, k, put v)
///   invalidation: invalidate(k, erase k)      (bump, then erase, under k's lock)
///
/// fill_if_current puts under k's lock only when neither k's generation nor
/// the epoch moved since the ticket. Either the invalidation's bump comes
/// before the check (the fill is refused), or its erase, which takes the same
/// lock after the bump, comes after the fill (and removes it). Keys sharing a
/// generation only cost each other a refused fill, never a wrong value.
///
/// Own writes. An instance's own write to Redis comes back to it as a
/// notification like anyone's, and Redis batches the notifications of one
/// event-loop turn into one message, deduplicated: a message naming k may be
/// the echo of this instance's write, another writer's, or both. So an own
/// write stays in the memory tier as *pending* (with the digest of the frame
/// it wrote) and a notification for a pending key does not erase it but asks
/// for a verification: the caller reads the key's digest from Redis and
/// calls verified(), which keeps the entry if Redis holds what was written
/// and erases it otherwise. A foreign write racing an own write is thus
/// visible after one Redis round trip, never hidden by the echo.
///
/// Thread-safe. The memory tier's own locks are taken inside the guard's.
class FillGuard {
 public:
  static constexpr std::size_t generation_count = 4096;
  static constexpr std::size_t lock_count = 64;

  struct Ticket {
    std::size_t slot = 0;
    std::uint64_t generation = 0;
    std::uint64_t epoch = 0;
  };

  /// What a fill from a read sees before it goes to Redis.
  [[nodiscard]] Ticket ticket(std::string_view key) const noexcept {
    const std::size_t slot = slot_of(key);
    return Ticket{slot, generations_[slot].load(std::memory_order_acquire),
                  epoch_.load(std::memory_order_acquire)};
  }

  /// Runs `fill()` under the key's lock when nothing invalidated the key (or
  /// everything) since `t`; returns whether it ran.
  template <class Fill>
  bool fill_if_current(const Ticket& t, std::string_view key, Fill&& fill) {
    std::lock_guard<std::mutex> lock(lock_of(t.slot));
    if (!current(t)) return false;
    // A pending own write is at least as new as what a read found, and its
    // verification is under way: the read does not replace it.
    const auto& pending = pending_[t.slot % lock_count];
    if (!pending.empty() && pending.find(std::string(key)) != pending.end()) return false;
    fill();
    return true;
  }

  /// An own write of `digest` reached Redis: runs `fill()` (and marks the key
  /// pending) unless a clear came since `t`. Returns true when a
  /// verification is needed at once: a notification already arrived since
  /// `t` (it may have been the echo, or a later write merged with it).
  template <class Fill>
  bool fill_own(const Ticket& t, std::string_view key, std::uint64_t digest, Fill&& fill) {
    std::lock_guard<std::mutex> lock(lock_of(t.slot));
    if (epoch_.load(std::memory_order_acquire) != t.epoch) return false;
    fill();
    pending_[t.slot % lock_count][std::string(key)] = digest;
    return generations_[t.slot].load(std::memory_order_acquire) != t.generation;
  }

  /// A notification named `key`: bumps its generation, then either erases it
  /// (`evict()`) or, for a pending own write, leaves it for verification and
  /// returns true (the caller verifies it with verified()).
  template <class Evict>
  bool notified(std::string_view key, Evict&& evict) {
    const std::size_t slot = slot_of(key);
    generations_[slot].fetch_add(1, std::memory_order_acq_rel);
    std::lock_guard<std::mutex> lock(lock_of(slot));
    const auto& pending = pending_[slot % lock_count];
    if (!pending.empty() && pending.find(std::string(key)) != pending.end()) return true;
    evict();
    return false;
  }

  /// This instance invalidated `key` itself: bumps and erases, pending or not.
  template <class Evict>
  void invalidate(std::string_view key, Evict&& evict) {
    const std::size_t slot = slot_of(key);
    generations_[slot].fetch_add(1, std::memory_order_acq_rel);
    std::lock_guard<std::mutex> lock(lock_of(slot));
    pending_[slot % lock_count].erase(std::string(key));
    evict();
  }

  /// The result of verifying a pending key: Redis held a frame of
  /// `redis_digest` (0: none) when read after ticket `t`. Keeps the entry
  /// (no longer pending) when that is the digest written, erases it
  /// otherwise, and returns true. Returns false, leaving the key pending,
  /// when its slot moved since `t` (a notification for it or for another key
  /// of the slot: the read may be older than a change): verify it again.
  template <class Evict>
  bool verified(const Ticket& t, std::string_view key, std::uint64_t redis_digest, Evict&& evict) {
    std::lock_guard<std::mutex> lock(lock_of(t.slot));
    auto& pending = pending_[t.slot % lock_count];
    const auto it = pending.find(std::string(key));
    if (it == pending.end()) return true;  // no longer pending: nothing to decide
    if (!current(t)) return false;
    const bool same = it->second == redis_digest;
    pending.erase(it);
    if (!same) evict();
    return true;
  }

  /// Everything changed (a flush, a lost subscription, a clear): bumps the
  /// epoch, then takes each lock in turn (so every fill that passed its check
  /// before the bump has finished, and none after it can pass), dropping the
  /// pending own writes, and then runs `clear()`. One lock at a time: a
  /// fill that starts after the bump is refused by the epoch, not by a lock.
  template <class Clear>
  void invalidate_all(Clear&& clear) {
    epoch_.fetch_add(1, std::memory_order_acq_rel);
    for (std::size_t i = 0; i < lock_count; ++i) {
      std::lock_guard<std::mutex> lock(locks_[i]);
      pending_[i].clear();
    }
    clear();
  }

  /// Keys with an own write waiting for verification (for tests and checks).
  [[nodiscard]] std::size_t pending_count() {
    std::size_t n = 0;
    for (std::size_t i = 0; i < lock_count; ++i) {
      std::lock_guard<std::mutex> lock(locks_[i]);
      n += pending_[i].size();
    }
    return n;
  }

 private:
  [[nodiscard]] static std::size_t slot_of(std::string_view key) noexcept {
    return static_cast<std::size_t>(key_hash(key) >> 20) % generation_count;
  }
  [[nodiscard]] std::mutex& lock_of(std::size_t slot) noexcept { return locks_[slot % lock_count]; }
  [[nodiscard]] bool current(const Ticket& t) const noexcept {
    return generations_[t.slot].load(std::memory_order_acquire) == t.generation &&
           epoch_.load(std::memory_order_acquire) == t.epoch;
  }

  std::array<std::atomic<std::uint64_t>, generation_count> generations_{};
  std::atomic<std::uint64_t> epoch_{0};
  std::array<std::mutex, lock_count> locks_;
  // Pending own writes (key -> digest written), one map per lock.
  std::array<std::unordered_map<std::string, std::uint64_t>, lock_count> pending_;
};

}  // namespace smartcache::detail
