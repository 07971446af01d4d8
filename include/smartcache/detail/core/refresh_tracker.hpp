// smartcache - one background refresh per key at a time, with a retry backoff.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <iterator>
#include <mutex>
#include <string_view>
#include <unordered_map>

#include <smartcache/stores/store.hpp>

namespace smartcache::detail {

// Deduplicates background refreshes: try_begin admits a key only when no
// refresh of it is pending and its last failure is older than the backoff.
// Keys are told apart by a 64-bit hash (no allocation on the stale-hit path);
// two keys colliding would only share one refresh slot.
// Failures are remembered until their backoff elapses; expired ones are pruned
// whenever the record has doubled since the last pruning, so its size stays
// within about twice the keys failing during one backoff period.
// A pending refresh older than a timeout may be abandoned (begin): its slot
// goes to a new refresh and its own finish is ignored.
// Thread-safe: every member may be called concurrently.
class RefreshTracker {
 public:
  // What begin() decided: admitted (the caller schedules the refresh, whose
  // `generation` it passes to finish), and whether a refresh older than the
  // timeout was abandoned to admit it (its late finish is then ignored).
  struct Admission {
    bool admitted = false;
    bool abandoned = false;
    std::uint64_t generation = 0;
    explicit operator bool() const noexcept { return admitted; }
  };

  [[nodiscard]] bool try_begin(std::string_view key, WallTime now) {
    return begin(key, now, std::chrono::milliseconds(0)).admitted;
  }

  // As try_begin; in addition, a pending refresh begun `timeout` or longer
  // before `now` (timeout > 0) gives its slot to this one (the watchdog).
  [[nodiscard]] Admission begin(std::string_view key, WallTime now, std::chrono::milliseconds timeout) {
    const std::uint64_t h = hash(key);
    std::lock_guard<std::mutex> lock(mutex_);
    auto [it, inserted] = slots_.try_emplace(h);
    Slot& slot = it->second;
    Admission a;
    if (!inserted && slot.pending) {
      if (timeout <= std::chrono::milliseconds(0) || now < slot.started || now - slot.started < timeout) return a;
      a.abandoned = true;  // the slot passes on; pending_ already counts it
    } else if (!inserted && now < slot.retry_after) {
      return a;
    } else {
      ++pending_;
    }
    slot.pending = true;
    slot.started = now;
    slot.generation = ++generations_;
    a.admitted = true;
    a.generation = slot.generation;
    return a;
  }

  // Is `generation` still the refresh holding key's slot (not abandoned)?
  [[nodiscard]] bool holds(std::string_view key, std::uint64_t generation) const {
    const std::uint64_t h = hash(key);
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = slots_.find(h);
    return it != slots_.end() && it->second.pending && it->second.generation == generation;
  }

  // The refresh of `key` is over (or was never run); a failure at `now`
  // forbids a new one before now + backoff. With a non-zero `generation`,
  // only that refresh's slot is released (an abandoned one's finish is ignored).
  void finish(std::string_view key, bool failed, WallTime now, std::chrono::milliseconds backoff,
              std::uint64_t generation = 0) noexcept {
    const std::uint64_t h = hash(key);
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = slots_.find(h);
      if (it == slots_.end() || !it->second.pending) return;
      if (generation != 0 && it->second.generation != generation) return;
      --pending_;
      if (!failed) {
        slots_.erase(it);
        return;
      }
      it->second.pending = false;
      it->second.retry_after = now + backoff;
      if (slots_.size() - pending_ >= 2 * prune_floor_) {
        for (auto s = slots_.begin(); s != slots_.end();)
          s = !s->second.pending && s->second.retry_after <= now ? slots_.erase(s) : std::next(s);
        const std::size_t kept = slots_.size() - pending_;
        prune_floor_ = kept < min_prune_floor ? min_prune_floor : kept;
      }
    } catch (...) {
      // Only the lock can fail here; the worst outcome is a key refreshed late.
    }
  }

  [[nodiscard]] std::size_t pending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_;
  }

  // Failures remembered (some possibly expired, awaiting pruning).
  [[nodiscard]] std::size_t backoffs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return slots_.size() - pending_;
  }

 private:
  struct Slot {
    bool pending = false;
    WallTime retry_after{};
    WallTime started{};             // when the pending refresh began
    std::uint64_t generation = 0;   // which refresh holds the slot
  };

  static std::uint64_t hash(std::string_view key) noexcept {
    return static_cast<std::uint64_t>(std::hash<std::string_view>{}(key));
  }

  mutable std::mutex mutex_;
  std::unordered_map<std::uint64_t, Slot> slots_;
  std::size_t pending_ = 0;
  std::uint64_t generations_ = 0;
  static constexpr std::size_t min_prune_floor = 64;
  std::size_t prune_floor_ = min_prune_floor;
};

}  // namespace smartcache::detail
