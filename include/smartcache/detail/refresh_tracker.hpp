// smartcache - one background refresh per key at a time, with a retry backoff.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <iterator>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>

#include "../store.hpp"

namespace smartcache::detail {

// Deduplicates background refreshes: try_begin admits a key only when no
// refresh of it is pending and its last failure is older than the backoff.
// Failures are remembered until their backoff elapses; expired ones are pruned
// whenever the record has doubled since the last pruning, so its size stays
// within about twice the keys failing during one backoff period.
// Thread-safe: every member may be called concurrently.
class RefreshTracker {
 public:
  [[nodiscard]] bool try_begin(std::string_view key, WallTime now) {
    std::lock_guard<std::mutex> lock(mutex_);
    std::string k(key);
    if (auto it = retry_after_.find(k); it != retry_after_.end()) {
      if (now < it->second) return false;
      retry_after_.erase(it);
    }
    return pending_.insert(std::move(k)).second;
  }

  // The refresh of `key` is over (or was never run); a failure at `now`
  // forbids a new one before now + backoff.
  void finish(std::string_view key, bool failed, WallTime now, std::chrono::milliseconds backoff) noexcept {
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      std::string k(key);
      pending_.erase(k);
      if (!failed) {
        retry_after_.erase(k);
        return;
      }
      retry_after_[k] = now + backoff;
      if (retry_after_.size() >= 2 * prune_floor_) {
        for (auto it = retry_after_.begin(); it != retry_after_.end();)
          it = it->second <= now ? retry_after_.erase(it) : std::next(it);
        prune_floor_ = retry_after_.size() < min_prune_floor ? min_prune_floor : retry_after_.size();
      }
    } catch (...) {
      // Only allocation can fail here; the worst outcome is a missing backoff.
    }
  }

  [[nodiscard]] std::size_t pending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return pending_.size();
  }

  // Failures remembered (some possibly expired, awaiting pruning).
  [[nodiscard]] std::size_t backoffs() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return retry_after_.size();
  }

 private:
  mutable std::mutex mutex_;
  std::unordered_set<std::string> pending_;
  std::unordered_map<std::string, WallTime> retry_after_;
  static constexpr std::size_t min_prune_floor = 64;
  std::size_t prune_floor_ = min_prune_floor;
};

}  // namespace smartcache::detail
