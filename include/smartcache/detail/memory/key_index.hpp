// smartcache - open-addressing index from a key's hash to a slot id (MemoryStore internals).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <limits>
#include <string_view>
#include <vector>

namespace smartcache::detail {

// Linear probing with backward-shift deletion (no tombstones), load factor
// <= 1/2, power-of-two size. A slot is 8 bytes: the id and the upper half of
// its key's 64-bit hash, so lookups compare keys only on a 32-bit tag match
// (the lower half chose the slot). Keys live with the owner: `find` asks it
// for a candidate's key, `insert`/`erase` for the hash of ids they move, of
// which only the lower 32 bits are used (a moved slot keeps its tag), so an
// owner may keep just those. At most 2^32 slots. Not thread-safe: the owning
// shard locks it.
class KeyIndex {
 public:
  static constexpr std::uint32_t npos = std::numeric_limits<std::uint32_t>::max();

  KeyIndex() : slots_(min_slots) {}

  // `key_of(id)` returns the key stored under id (a string_view or string).
  template <class KeyOf>
  [[nodiscard]] std::uint32_t find(std::uint64_t hash, std::string_view key,
                                   const KeyOf& key_of) const noexcept {
    const std::size_t mask = slots_.size() - 1;
    for (std::size_t i = static_cast<std::size_t>(hash) & mask;; i = (i + 1) & mask) {
      const Slot& s = slots_[i];
      if (s.id == npos) return npos;
      if (s.tag == tag_of(hash) && std::string_view(key_of(s.id)) == key) return s.id;
    }
  }

  // The caller guarantees the key is not present. `hash_of(id)` returns the
  // hash (its lower 32 bits at least) of any id already inserted (needed when
  // the table grows).
  template <class HashOf>
  void insert(std::uint64_t hash, std::uint32_t id, const HashOf& hash_of) {
    if ((count_ + 1) * 2 > slots_.size()) grow(hash_of);
    place(hash, id);
    ++count_;
  }

  // Removes the slot holding `id` (looked up by its hash); false if absent.
  template <class HashOf>
  bool erase(std::uint64_t hash, std::uint32_t id, const HashOf& hash_of) noexcept {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(hash) & mask;
    for (;; i = (i + 1) & mask) {
      if (slots_[i].id == npos) return false;
      if (slots_[i].id == id) break;
    }
    // Backward shift: pull later members of the probe run into the hole when
    // the hole lies between their home slot and their current slot.
    std::size_t hole = i;
    for (std::size_t j = (hole + 1) & mask;; j = (j + 1) & mask) {
      if (slots_[j].id == npos) break;
      const std::size_t home = static_cast<std::size_t>(hash_of(slots_[j].id)) & mask;
      const bool movable = hole <= j ? (home <= hole || home > j) : (home <= hole && home > j);
      if (movable) {
        slots_[hole] = slots_[j];
        hole = j;
      }
    }
    slots_[hole] = Slot{};
    --count_;
    return true;
  }

  void clear() noexcept {
    for (Slot& s : slots_) s = Slot{};
    count_ = 0;
  }

  [[nodiscard]] std::size_t size() const noexcept { return count_; }

  // Calls f(id) for every entry (for invariant checks).
  template <class F>
  void for_each(F&& f) const {
    for (const Slot& s : slots_)
      if (s.id != npos) f(s.id);
  }

 private:
  struct Slot {
    std::uint32_t id = npos;
    std::uint32_t tag = 0;
  };
  static constexpr std::size_t min_slots = 16;

  static std::uint32_t tag_of(std::uint64_t hash) noexcept {
    return static_cast<std::uint32_t>(hash >> 32);
  }

  void place(std::uint64_t hash, std::uint32_t id) noexcept { place_slot(hash, Slot{id, tag_of(hash)}); }

  // Puts `slot` in the first free slot from its home (the lower bits of `hash`).
  void place_slot(std::uint64_t hash, Slot slot) noexcept {
    const std::size_t mask = slots_.size() - 1;
    std::size_t i = static_cast<std::size_t>(hash) & mask;
    while (slots_[i].id != npos) i = (i + 1) & mask;
    slots_[i] = slot;
  }

  template <class HashOf>
  void grow(const HashOf& hash_of) {
    std::vector<Slot> old(slots_.size() * 2);
    old.swap(slots_);
    for (const Slot& s : old)
      if (s.id != npos) place_slot(hash_of(s.id), s);
  }

  std::vector<Slot> slots_;
  std::size_t count_ = 0;
};

}  // namespace smartcache::detail
