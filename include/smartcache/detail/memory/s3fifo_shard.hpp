// smartcache - one shard of MemoryStore: entries, S3-FIFO eviction, tag index.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <atomic>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <smartcache/stores/store.hpp>
#include <smartcache/detail/memory/compact_key.hpp>
#include <smartcache/detail/memory/ghost_fifo.hpp>
#include <smartcache/detail/memory/key_hash.hpp>
#include <smartcache/detail/memory/key_index.hpp>
#include <smartcache/detail/memory/tag_index.hpp>

namespace smartcache::detail {

// S3-FIFO (Yang et al., SOSP'23): new keys enter a small FIFO (~10 % of the
// shard); a key hit while there is promoted to the main FIFO when it reaches
// the head, otherwise it is evicted and its hash remembered in a ghost FIFO.
// A key re-inserted while its hash is in the ghost goes straight to main.
// Main is a CLOCK: a head with a non-zero hit count is reinserted at the tail
// with the count decremented. Hits only bump a 2-bit counter: no list splicing.
// One-hit scans therefore pass through the small FIFO without flushing main.
//
// Thread-safe: every public member takes the shard's own mutex (and holds it
// while copying a value out). Cache-line aligned so that two shards' mutexes
// never share a line.
template <class V>
class alignas(64) S3FifoShard {
 public:
  using Tags = std::vector<std::string>;
  static constexpr std::uint32_t npos = KeyIndex::npos;
  static constexpr std::uint8_t max_freq = 3;
  static constexpr std::size_t sweep_budget = 4;  // slots checked for expiry per put

  void set_capacity(std::size_t capacity) {
    std::lock_guard<std::mutex> lock(mutex_);
    capacity_ = capacity < 1 ? 1 : capacity;
    small_target_ = std::max<std::size_t>(1, capacity_ / 10);
    ghost_.set_capacity(capacity_);
  }

  // Copies the value and horizons only: the tags stay in the node.
  std::optional<StoredValue<V>> get(std::uint64_t hash, std::string_view key, WallTime now) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::uint32_t id = find(hash, key);
    if (id == npos) return std::nullopt;
    Node& n = nodes_[id];
    if (now >= n.entry->stale_until) {
      remove(id);
      return std::nullopt;
    }
    if (n.freq < max_freq) ++n.freq;
    return *n.entry;
  }

  // Returns the number of OTHER entries evicted to make room.
  std::size_t put(std::uint64_t hash, std::string_view key, Entry<V>&& entry, WallTime now) {
    std::lock_guard<std::mutex> lock(mutex_);
    sweep(now);
    const std::uint32_t existing = find(hash, key);
    // An entry already past its stale horizon would never be served: do not
    // spend a slot (or evict anything) for it, and drop the value it replaces.
    if (now >= entry.stale_until) {
      if (existing != npos) remove(existing);
      return 0;
    }
    if (existing != npos) {
      Node& n = nodes_[existing];
      if (tags_of_node(n) == entry.tags) {  // a refresh: the tag index stays as it is
        assign(*n.entry, std::move(entry));
        return 0;
      }
      std::unique_ptr<Tags> tags = own(std::move(entry.tags));  // may throw: nothing changed yet
      assign(*n.entry, std::move(entry));
      untag(existing);
      n.tags = std::move(tags);
      guarded(existing, [&] { tag(existing); });
      return 0;
    }
    std::size_t evicted = 0;
    while (index_.size() >= capacity_) {
      evict_one();
      ++evicted;
    }
    if (evicted > 0) evictions_.fetch_add(evicted, std::memory_order_relaxed);
    const std::uint32_t id = allocate();
    try {
      Node& n = nodes_[id];
      n.key.assign(key);
      n.home = static_cast<std::uint32_t>(hash);
      n.entry.emplace(StoredValue<V>{std::move(entry.value), entry.stored_at, entry.fresh_until,
                                     entry.stale_until});
      n.tags = own(std::move(entry.tags));
      index_.insert(hash, id, hash_of());
    } catch (...) {
      release(id);
      throw;
    }
    nodes_[id].freq = 0;
    push_back(ghost_.take(hash) ? main_ : small_, id);
    guarded(id, [&] { tag(id); });
    return evicted;
  }

  // The tags stored with `key`, nullopt when absent. Not a use and not a
  // lookup (expiry is not checked): for tests and tooling.
  std::optional<Tags> tags_of(std::uint64_t hash, std::string_view key) const {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::uint32_t id = find(hash, key);
    if (id == npos) return std::nullopt;
    return tags_of_node(nodes_[id]);
  }

  bool erase(std::uint64_t hash, std::string_view key) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::uint32_t id = find(hash, key);
    if (id == npos) return false;
    remove(id);
    return true;
  }

  std::size_t erase_tagged(std::string_view scope, const std::vector<std::string>& any_of) {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::vector<std::uint32_t> doomed = tags_.matching(scope, any_of, tag_lists());
    for (const std::uint32_t id : doomed) remove(id);
    return doomed.size();
  }

  std::size_t clear() {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t n = index_.size();
    nodes_.clear();
    free_.clear();
    index_.clear();
    tags_.clear();
    small_ = List{};
    main_ = List{};
    ghost_.clear();
    sweep_cursor_ = 0;
    return n;
  }

  [[nodiscard]] std::size_t size() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return index_.size();
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }

  [[nodiscard]] std::uint64_t evictions() const noexcept {
    return evictions_.load(std::memory_order_relaxed);
  }

  // Every structural invariant, for tests; O(entries + tag postings).
  [[nodiscard]] bool check_invariants() const {
    std::lock_guard<std::mutex> lock(mutex_);
    const std::size_t live = index_.size();
    if (live > capacity_ || small_.size + main_.size != live) return false;
    if (live + free_.size() != nodes_.size()) return false;
    if (!list_ok(small_, Queue::small) || !list_ok(main_, Queue::main)) return false;
    bool ok = true;
    std::vector<std::uint32_t> live_ids;
    index_.for_each([&](std::uint32_t id) {
      if (id >= nodes_.size() || nodes_[id].queue == Queue::none ||
          find(key_hash(nodes_[id].key.view()), nodes_[id].key.view()) != id ||
          nodes_[id].home != static_cast<std::uint32_t>(key_hash(nodes_[id].key.view())))
        ok = false;
      else
        live_ids.push_back(id);
    });
    return ok && tags_.consistent(live_ids, tag_lists()) && ghost_.size() <= capacity_;
  }

 private:
  enum class Queue : std::uint8_t { none, small, main };

  // Hot fields first: a hit reads freq, the key (inline when short), then
  // stale_until and the value, in address order. The tags, which no hit
  // reads, sit behind a pointer that is null for an untagged entry (8 bytes
  // per node instead of a 24-byte vector). Of the key's hash the node keeps
  // the lower half, which is all the index needs to move it (its home slot;
  // the upper half is the index's tag); the ghost FIFO, which wants all of
  // it, gets it computed again on eviction. 112 bytes for a double value.
  struct Node {
    std::uint32_t prev = npos;
    std::uint32_t next = npos;
    std::uint32_t home = 0;  // lower half of the key's hash
    Queue queue = Queue::none;
    std::uint8_t freq = 0;
    CompactKey key;
    std::optional<StoredValue<V>> entry;  // empty while the slot is free (V needs no default)
    std::unique_ptr<Tags> tags;           // null when the entry has none
  };

  static const Tags& no_tags() noexcept {
    static const Tags none;
    return none;
  }

  static const Tags& tags_of_node(const Node& n) noexcept { return n.tags ? *n.tags : no_tags(); }

  static std::unique_ptr<Tags> own(Tags&& tags) {
    return tags.empty() ? nullptr : std::make_unique<Tags>(std::move(tags));
  }

  static void assign(StoredValue<V>& stored, Entry<V>&& entry) {
    stored.value = std::move(entry.value);
    stored.stored_at = entry.stored_at;
    stored.fresh_until = entry.fresh_until;
    stored.stale_until = entry.stale_until;
  }

  struct List {
    std::uint32_t head = npos;
    std::uint32_t tail = npos;
    std::size_t size = 0;
  };

  std::uint32_t find(std::uint64_t hash, std::string_view key) const noexcept {
    return index_.find(hash, key, [this](std::uint32_t id) { return nodes_[id].key.view(); });
  }

  std::uint32_t allocate() {
    if (!free_.empty()) {
      const std::uint32_t id = free_.back();
      free_.pop_back();
      return id;
    }
    // So that release() never allocates; geometric, as an exact reserve per
    // new slot would reallocate the free list on every insert while filling.
    if (free_.capacity() < nodes_.size() + 1) free_.reserve(2 * (nodes_.size() + 1));
    nodes_.emplace_back();
    return static_cast<std::uint32_t>(nodes_.size() - 1);
  }

  List& list_of(Queue q) noexcept { return q == Queue::small ? small_ : main_; }

  void push_back(List& l, std::uint32_t id) noexcept {
    Node& n = nodes_[id];
    n.queue = &l == &small_ ? Queue::small : Queue::main;
    n.prev = l.tail;
    n.next = npos;
    if (l.tail != npos) nodes_[l.tail].next = id;
    else l.head = id;
    l.tail = id;
    ++l.size;
  }

  void unlink(std::uint32_t id) noexcept {
    Node& n = nodes_[id];
    List& l = list_of(n.queue);
    if (n.prev != npos) nodes_[n.prev].next = n.next;
    else l.head = n.next;
    if (n.next != npos) nodes_[n.next].prev = n.prev;
    else l.tail = n.prev;
    n.prev = n.next = npos;
    n.queue = Queue::none;
    --l.size;
  }

  void remove(std::uint32_t id) noexcept {
    index_.erase(nodes_[id].home, id, hash_of());
    untag(id);
    unlink(id);
    release(id);
  }

  // Returns a slot that is in no list, no index and no tag set to the free list.
  void release(std::uint32_t id) noexcept {
    Node& n = nodes_[id];
    n.entry.reset();  // release the value now, not when the slot is reused
    n.tags.reset();
    n.key.clear();
    free_.push_back(id);  // cannot reallocate: capacity reserved in allocate()
  }

  // Runs a step that may throw (allocation) on a linked node; on failure the
  // node is removed entirely so that no half-indexed entry survives.
  template <class F>
  void guarded(std::uint32_t id, F&& step) {
    try {
      step();
    } catch (...) {
      remove(id);
      throw;
    }
  }

  void evict_one() {
    while (small_.size > 0 && (small_.size >= small_target_ || main_.size == 0)) {
      const std::uint32_t id = small_.head;
      if (nodes_[id].freq > 0) {  // hit while probationary: promote
        unlink(id);
        nodes_[id].freq = 0;
        push_back(main_, id);
        continue;
      }
      ghost_.remember(key_hash(nodes_[id].key.view()));
      remove(id);
      return;
    }
    for (;;) {
      const std::uint32_t id = main_.head;
      Node& n = nodes_[id];
      if (n.freq == 0) {
        remove(id);
        return;
      }
      --n.freq;
      unlink(id);
      push_back(main_, id);
    }
  }

  void sweep(WallTime now) {
    for (std::size_t i = 0; i < sweep_budget && !nodes_.empty(); ++i) {
      if (sweep_cursor_ >= nodes_.size()) sweep_cursor_ = 0;
      const auto id = static_cast<std::uint32_t>(sweep_cursor_++);
      if (nodes_[id].queue != Queue::none && now >= nodes_[id].entry->stale_until) remove(id);
    }
  }

  void tag(std::uint32_t id) {
    if (nodes_[id].tags) tags_.add(id, *nodes_[id].tags);
  }

  void untag(std::uint32_t id) noexcept {
    if (nodes_[id].tags) tags_.remove(id, *nodes_[id].tags);
  }

  auto hash_of() const noexcept {
    return [this](std::uint32_t id) noexcept { return std::uint64_t{nodes_[id].home}; };
  }

  auto tag_lists() const noexcept {
    return [this](std::uint32_t id) -> const Tags& { return tags_of_node(nodes_[id]); };
  }

  bool list_ok(const List& l, Queue q) const {
    std::size_t n = 0;
    std::uint32_t prev = npos;
    for (std::uint32_t id = l.head; id != npos; id = nodes_[id].next) {
      if (id >= nodes_.size() || nodes_[id].queue != q || nodes_[id].prev != prev) return false;
      if (++n > l.size) return false;
      prev = id;
    }
    return n == l.size && l.tail == prev;
  }

  mutable std::mutex mutex_;
  std::size_t capacity_ = 1;
  std::size_t small_target_ = 1;
  std::vector<Node> nodes_;
  std::vector<std::uint32_t> free_;
  KeyIndex index_;
  List small_;
  List main_;
  TagIndex tags_;
  GhostFifo ghost_;
  std::size_t sweep_cursor_ = 0;
  std::atomic<std::uint64_t> evictions_{0};
};

}  // namespace smartcache::detail
