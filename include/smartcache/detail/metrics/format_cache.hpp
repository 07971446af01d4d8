// smartcache - FormatCache: room a CacheMetrics lends to its output formats.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <memory>
#include <mutex>

namespace smartcache::detail {

/// The output formats' own storage inside a CacheMetrics: each format may keep
/// one immutable object in its slot (its compiled text), made on first use
/// and kept for the instance's life. The metrics never look inside, so they
/// still know nothing of any format.
///
/// Thread-safe: concurrent first uses make the object once.
///
/// Example:
///   const auto& t = cache.get<Compiled>(0, [&] { return compile(); });  // each format owns a slot
class FormatCache {
 public:
  static constexpr std::size_t slot_count = 4;

  /// The object in `slot`, made by `make()` (returning a T) if there is none
  /// yet. Precondition: `slot < slot_count`, and one slot always holds one T.
  template <class T, class Make>
  [[nodiscard]] const T& get(std::size_t slot, Make&& make) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto& held = slots_[slot];
    if (!held) held = std::make_shared<const T>(make());
    return *static_cast<const T*>(held.get());
  }

 private:
  mutable std::mutex mutex_;
  mutable std::array<std::shared_ptr<const void>, slot_count> slots_;
};

}  // namespace smartcache::detail
