// smartcache - S3-FIFO's ghost queue: hashes of recently evicted keys (MemoryStore internals).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <deque>
#include <unordered_map>
#include <utility>

namespace smartcache::detail {

// Remembers the hashes of the last `capacity` keys evicted from the small
// FIFO. Hashes only (no keys): a collision merely sends a key to the main
// queue. `take` forgets a hash; its FIFO record then goes stale and is skipped
// when it reaches the front. Not thread-safe: the owning shard locks it.
class GhostFifo {
 public:
  void set_capacity(std::size_t capacity) noexcept { capacity_ = capacity; }

  void remember(std::uint64_t hash) {
    const std::uint64_t seq = ++seq_;
    newest_[hash] = seq;
    fifo_.emplace_back(hash, seq);
    while (fifo_.size() > capacity_) {
      const auto [old_hash, old_seq] = fifo_.front();
      fifo_.pop_front();
      const auto it = newest_.find(old_hash);
      if (it != newest_.end() && it->second == old_seq) newest_.erase(it);
    }
  }

  // True (and forgotten) when the hash was remembered.
  bool take(std::uint64_t hash) noexcept {
    const auto it = newest_.find(hash);
    if (it == newest_.end()) return false;
    newest_.erase(it);
    return true;
  }

  void clear() noexcept {
    newest_.clear();
    fifo_.clear();
  }

  [[nodiscard]] std::size_t size() const noexcept { return newest_.size(); }

 private:
  std::size_t capacity_ = 1;
  std::unordered_map<std::uint64_t, std::uint64_t> newest_;  // hash -> newest record
  std::deque<std::pair<std::uint64_t, std::uint64_t>> fifo_;
  std::uint64_t seq_ = 0;
};

}  // namespace smartcache::detail
