// smartcache - a key string stored inline when short (MemoryStore internals).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstring>
#include <memory>
#include <string_view>

namespace smartcache::detail {

// Holds a key's bytes inside the object when they fit (most cache keys do),
// on the heap otherwise. A lookup compares the key of the node it already
// loaded, so an inline key saves the cache miss of a separate allocation:
// with std::string (15 bytes inline) that miss made hits ~30 % slower than a
// std::unordered_map whose nodes sit next to their keys' heap buffers.
class CompactKey {
 public:
  static constexpr std::size_t inline_capacity = 48;  // the object is 64 bytes

  CompactKey() noexcept = default;
  CompactKey(CompactKey&& other) noexcept { *this = std::move(other); }
  CompactKey& operator=(CompactKey&& other) noexcept {
    if (this == &other) return *this;
    size_ = other.size_;
    heap_ = std::move(other.heap_);
    if (!heap_) std::memcpy(inline_, other.inline_, size_);
    other.size_ = 0;
    return *this;
  }
  CompactKey(const CompactKey&) = delete;
  CompactKey& operator=(const CompactKey&) = delete;
  ~CompactKey() = default;

  // Strong guarantee: on allocation failure the old key is kept.
  void assign(std::string_view key) {
    if (key.size() <= inline_capacity) {
      heap_.reset();
      if (!key.empty()) std::memcpy(inline_, key.data(), key.size());
    } else {
      auto buffer = std::make_unique<char[]>(key.size());
      std::memcpy(buffer.get(), key.data(), key.size());
      heap_ = std::move(buffer);
    }
    size_ = key.size();
  }

  void clear() noexcept {
    heap_.reset();
    size_ = 0;
  }

  [[nodiscard]] std::string_view view() const noexcept {
    return {heap_ ? heap_.get() : inline_, size_};
  }

 private:
  std::size_t size_ = 0;
  char inline_[inline_capacity] = {};
  std::unique_ptr<char[]> heap_;
};

}  // namespace smartcache::detail
