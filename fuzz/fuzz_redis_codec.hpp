// smartcache fuzzing - the RedisStore entry frame decoder on arbitrary bytes.
// SPDX-License-Identifier: MIT
//
// What RedisStore::get does with the bytes under a key, without a server:
// detail::decode_entry<V, Codec>. The first byte picks the value type, the rest
// is the frame. Invariants:
//   - nothing crashes, reads out of bounds or allocates beyond the input
//     (ASan), and the only exception is StoreError (which RedisStore's caller,
//     SmartCache, turns into a miss + cache_errors);
//   - whatever decodes re-encodes to the very same bytes (the frame has a
//     single encoding), and keeps stored_at/fresh_until/stale_until as given.
#pragma once
#include <cstdint>
#include <string>
#include <string_view>

#include <smartcache/detail/redis/frame.hpp>
#include <smartcache/stores/redis_codec.hpp>

#include "fuzz_common.hpp"

namespace smartcache_fuzz::redis_codec {

template <class V>
void decode_one(std::string_view frame) {
  using Codec = smartcache::DefaultCodec<V>;
  smartcache::Entry<V> e;
  try {
    e = smartcache::detail::decode_entry<V, Codec>(frame);
  } catch (const smartcache::StoreError&) {
    return;  // rejected: what RedisStore reports as a store error
  } catch (...) {
    fail("decode_entry threw something other than StoreError");
    return;
  }
  const std::string again = smartcache::detail::encode_entry<Codec>(e);
  SMARTCACHE_FUZZ_CHECK(again == frame, "a decoded frame must re-encode to the same bytes");
}

inline int run(const std::uint8_t* data, std::size_t size) {
  if (size == 0) return 0;
  const std::string_view frame(reinterpret_cast<const char*>(data + 1), size - 1);
  switch (data[0] % 5) {
    case 0: decode_one<std::string>(frame); break;
    case 1: decode_one<double>(frame); break;
    case 2: decode_one<std::int32_t>(frame); break;
    case 3: decode_one<bool>(frame); break;
    default: decode_one<std::uint64_t>(frame); break;
  }
  return 0;
}

}  // namespace smartcache_fuzz::redis_codec
