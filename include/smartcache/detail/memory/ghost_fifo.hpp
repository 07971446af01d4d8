// smartcache - S3-FIFO's ghost queue: hashes of recently evicted keys (MemoryStore internals).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string_view>
#include <vector>

#include <smartcache/detail/memory/key_index.hpp>

namespace smartcache::detail {

// Remembers the hashes of the last `capacity` keys evicted from the small
// FIFO. Hashes only (no keys): a collision merely sends a key to the main
// queue. `take` forgets a hash; its FIFO record then goes stale and is skipped
// when the ring overwrites it. Not thread-safe: the owning shard locks it.
//
// Compact, as a full store keeps about one ghost per entry: a ring of the
// hashes (8 bytes a record) and a KeyIndex from hash to ring position (8-byte
// slots, load <= 1/2), about 24 bytes per remembered hash where a node-based
// map and a deque of (hash, sequence) pairs took about 60.
class GhostFifo {
 public:
  void set_capacity(std::size_t capacity) {
    capacity_ = capacity < 1 ? 1 : capacity;
    clear();
  }

  void remember(std::uint64_t hash) {
    (void)take(hash);  // one record per hash: the newest
    std::uint32_t pos;
    if (ring_.size() < capacity_) {
      ring_.push_back(hash);
      pos = static_cast<std::uint32_t>(ring_.size() - 1);
    } else {
      pos = static_cast<std::uint32_t>(head_);
      head_ = head_ + 1 == capacity_ ? 0 : head_ + 1;
      const std::uint64_t oldest = ring_[pos];
      if (find(oldest) == pos) index_.erase(oldest, pos, hash_of());
      ring_[pos] = hash;
    }
    index_.insert(hash, pos, hash_of());
  }

  // True (and forgotten) when the hash was remembered.
  bool take(std::uint64_t hash) noexcept {
    const std::uint32_t pos = find(hash);
    if (pos == KeyIndex::npos) return false;
    index_.erase(hash, pos, hash_of());
    return true;
  }

  void clear() noexcept {
    index_.clear();
    std::vector<std::uint64_t>().swap(ring_);
    head_ = 0;
  }

  [[nodiscard]] std::size_t size() const noexcept { return index_.size(); }

 private:
  // KeyIndex compares keys: a record's key is its hash's 8 bytes.
  static std::string_view bytes_of(const std::uint64_t& hash) noexcept {
    return {reinterpret_cast<const char*>(&hash), sizeof hash};
  }

  std::uint32_t find(std::uint64_t hash) const noexcept {
    return index_.find(hash, bytes_of(hash), [this](std::uint32_t pos) { return bytes_of(ring_[pos]); });
  }

  struct HashOf {
    const std::vector<std::uint64_t>* ring;
    std::uint64_t operator()(std::uint32_t pos) const noexcept { return (*ring)[pos]; }
  };
  HashOf hash_of() const noexcept { return HashOf{&ring_}; }

  std::size_t capacity_ = 1;
  std::vector<std::uint64_t> ring_;  // records in FIFO order from head_, overwritten in turn
  std::size_t head_ = 0;             // oldest record once the ring is full
  KeyIndex index_;                   // hash -> position of its live record
};

}  // namespace smartcache::detail
