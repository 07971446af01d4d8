// smartcache - keeps a computation that an invalidation overtook from storing its result.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstdint>
#include <mutex>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>
#include <vector>

namespace smartcache::detail {

// Registry of the computations in flight (foreground computes and background
// refreshes), each with the tags its entry will carry. An invalidation poisons
// the registered computations it would have erased had they already stored:
// invalidate_all poisons every one, a tag invalidation those whose tags match
// the same rule as Store::erase_tagged (scope, when non-empty, AND any of the
// markets, when non-empty; both empty matches nothing).
//
// Protocol of a computation, which closes the window between its check and
// its put:  id = begin(tags); ...compute...; if (!poisoned(id)) { put;
// if (poisoned(id)) erase the key again; } end(id).  An invalidation poisons
// first and erases from the store second, so a put it did not see is erased by
// it, and a put that raced it is undone by its own computation.
// Thread-safe: every member may be called concurrently.
class InvalidationGuard {
 public:
  using Id = std::uint64_t;

  [[nodiscard]] Id begin(std::vector<std::string> tags) {
    std::lock_guard<std::mutex> lock(mutex_);
    const Id id = next_id_++;
    ops_.emplace(id, Op{std::move(tags), false});
    return id;
  }

  [[nodiscard]] bool poisoned(Id id) const {
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = ops_.find(id);
    return it == ops_.end() || it->second.poisoned;
  }

  void end(Id id) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    ops_.erase(id);
  }

  // Ends an operation when it leaves scope, whether its compute returned or threw.
  struct Scope {
    InvalidationGuard& guard;
    Id id;
    Scope(const Scope&) = delete;
    Scope& operator=(const Scope&) = delete;
    ~Scope() { guard.end(id); }
  };

  // Returns how many computations were newly poisoned.
  std::size_t poison_all() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t n = 0;
    for (auto& [id, op] : ops_) n += std::exchange(op.poisoned, true) ? 0 : 1;
    return n;
  }

  std::size_t poison_tagged(std::string_view scope, const std::vector<std::string>& any_of) noexcept {
    if (scope.empty() && any_of.empty()) return 0;
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t n = 0;
    for (auto& [id, op] : ops_) {
      if (op.poisoned || !matches(op.tags, scope, any_of)) continue;
      op.poisoned = true;
      ++n;
    }
    return n;
  }

  [[nodiscard]] std::size_t in_flight() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return ops_.size();
  }

 private:
  struct Op {
    std::vector<std::string> tags;
    bool poisoned;
  };

  static bool has(const std::vector<std::string>& tags, std::string_view t) noexcept {
    return std::find(tags.begin(), tags.end(), t) != tags.end();
  }

  static bool matches(const std::vector<std::string>& tags, std::string_view scope,
                      const std::vector<std::string>& any_of) noexcept {
    if (!scope.empty() && !has(tags, scope)) return false;
    if (any_of.empty()) return true;
    return std::any_of(any_of.begin(), any_of.end(), [&](const std::string& m) { return has(tags, m); });
  }

  mutable std::mutex mutex_;
  std::unordered_map<Id, Op> ops_;
  Id next_id_ = 1;
};

}  // namespace smartcache::detail
