// smartcache - what invalidation sequence a thread saw before computing a key.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <utility>

namespace smartcache::detail {

// SmartCache computes a key on the thread that looked it up (or that took its
// refresh lock) and then puts it, on that same thread. RedisStore notes the
// invalidation sequence it read with the lookup here, and the put hands it to
// the put script, which refuses the value if an invalidation matching its
// tags came later (from any instance). A few slots per thread suffice: a put
// whose note was pushed out (many nested lookups) is written unchecked, as a
// store without this memo would.
// Thread-safe by construction: every thread has its own slots.
class SeqMemo {
 public:
  // The sequence is kept as a number and formatted only when a put takes it:
  // a memory-tier hit notes one on every hit, and its 16 digits would not fit
  // a string's small buffer.
  static void remember(const void* owner, std::string_view key, std::uint64_t seq) {
    auto& s = slots();
    Slot& slot = s.ring[s.next];
    s.next = (s.next + 1) % slot_count;
    slot.owner = owner;
    slot.key.assign(key.data(), key.size());
    slot.seq = seq;
  }

  // The sequence noted for (owner, key) by this thread, newest first, and
  // forgets it; "" when there is none.
  [[nodiscard]] static std::string take(const void* owner, std::string_view key) {
    auto& s = slots();
    for (std::size_t i = 1; i <= slot_count; ++i) {
      Slot& slot = s.ring[(s.next + slot_count - i) % slot_count];
      if (slot.owner == owner && slot.key == key) {
        slot.owner = nullptr;
        return std::to_string(slot.seq);
      }
    }
    return {};
  }

 private:
  static constexpr std::size_t slot_count = 8;
  struct Slot {
    const void* owner = nullptr;
    std::string key;
    std::uint64_t seq = 0;
  };
  struct Slots {
    std::array<Slot, slot_count> ring;
    std::size_t next = 0;
  };
  static Slots& slots() {
    thread_local Slots s;
    return s;
  }
};

}  // namespace smartcache::detail
