// smartcache - tag -> entry ids of one MemoryStore shard (MemoryStore internals).
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <unordered_map>
#include <unordered_set>
#include <vector>

namespace smartcache::detail {

// Set semantics: an id is posted once under each distinct tag of its entry,
// however often the entry repeats it. The owner passes the entry's tags on
// add and remove (and a `tags_of(id)` accessor for queries), so nothing is
// stored twice. Not thread-safe: the owning shard locks it.
class TagIndex {
 public:
  void add(std::uint32_t id, const std::vector<std::string>& tags) {
    for (const std::string& t : tags) postings_[t].insert(id);
  }

  void remove(std::uint32_t id, const std::vector<std::string>& tags) noexcept {
    for (const std::string& t : tags) {
      const auto it = postings_.find(t);
      if (it == postings_.end()) continue;  // a repeated tag already removed it
      it->second.erase(id);
      if (it->second.empty()) postings_.erase(it);
    }
  }

  // Ids tagged `scope` (ignored when empty) AND at least one of `any_of`
  // (ignored when empty); both empty: none. Sorted, unique.
  template <class TagsOf>
  [[nodiscard]] std::vector<std::uint32_t> matching(std::string_view scope,
                                                    const std::vector<std::string>& any_of,
                                                    const TagsOf& tags_of) const {
    std::vector<std::uint32_t> ids;
    if (!scope.empty()) {
      const auto it = postings_.find(std::string(scope));
      if (it == postings_.end()) return ids;
      for (const std::uint32_t id : it->second)
        if (any_of.empty() || has_any(tags_of(id), any_of)) ids.push_back(id);
    } else {
      for (const std::string& tag : any_of) {
        const auto it = postings_.find(tag);
        if (it != postings_.end()) ids.insert(ids.end(), it->second.begin(), it->second.end());
      }
    }
    std::sort(ids.begin(), ids.end());
    ids.erase(std::unique(ids.begin(), ids.end()), ids.end());
    return ids;
  }

  void clear() noexcept { postings_.clear(); }

  // True when every posting names a live id whose entry carries that tag, no
  // tag has an empty set, and the postings count equals the distinct tags of
  // the live entries (`live_ids`), i.e. nothing is missing either.
  template <class TagsOf>
  [[nodiscard]] bool consistent(const std::vector<std::uint32_t>& live_ids,
                                const TagsOf& tags_of) const {
    const std::unordered_set<std::uint32_t> live(live_ids.begin(), live_ids.end());
    std::size_t postings = 0;
    for (const auto& [tag, ids] : postings_) {
      if (ids.empty()) return false;
      for (const std::uint32_t id : ids) {
        ++postings;
        if (live.count(id) == 0 || !has_any(tags_of(id), {tag})) return false;
      }
    }
    std::size_t expected = 0;
    for (const std::uint32_t id : live_ids) {
      std::vector<std::string> t = tags_of(id);
      std::sort(t.begin(), t.end());
      expected += static_cast<std::size_t>(std::unique(t.begin(), t.end()) - t.begin());
    }
    return postings == expected;
  }

 private:
  static bool has_any(const std::vector<std::string>& tags, const std::vector<std::string>& wanted) {
    for (const std::string& t : tags)
      if (std::find(wanted.begin(), wanted.end(), t) != wanted.end()) return true;
    return false;
  }

  std::unordered_map<std::string, std::unordered_set<std::uint32_t>> postings_;
};

}  // namespace smartcache::detail
