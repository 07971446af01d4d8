// smartcache - DefaultCodec: how RedisStore turns a value into bytes and back.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <cstring>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>

namespace smartcache {

/// Turns a value into bytes and back for RedisStore. Provided for
/// `std::string` (the bytes themselves) and every arithmetic type (its
/// `sizeof(V)` bytes, little-endian, so every platform reads the same value).
/// For your own types write a struct with the same two static members and pass
/// it as RedisStore's second template argument; `decode` returns nullopt for
/// bytes it cannot read (it must never crash on arbitrary input).
///
/// Example:
///   struct PriceCodec {
///     static std::string encode(const Price& p) { return fmt::format("{}|{}", p.id, p.cents); }
///     static std::optional<Price> decode(std::string_view bytes);  // nullopt when malformed
///   };
///   smartcache::RedisStore<Price, PriceCodec> store(options);
template <class V, class Enable = void>
struct DefaultCodec {
  static_assert(sizeof(V) == 0,
                "smartcache::DefaultCodec supports std::string and arithmetic types; "
                "pass your own Codec (static encode/decode) as RedisStore's 2nd argument");
};

template <>
struct DefaultCodec<std::string> {
  [[nodiscard]] static std::string encode(const std::string& v) { return v; }
  [[nodiscard]] static std::optional<std::string> decode(std::string_view bytes) {
    return std::string(bytes);
  }
};

template <class V>
struct DefaultCodec<V, std::enable_if_t<std::is_arithmetic_v<V>>> {
  [[nodiscard]] static std::string encode(const V& v) {
    using U = unsigned_of<sizeof(V)>;
    U bits = 0;
    std::memcpy(&bits, &v, sizeof(V));
    std::string out(sizeof(V), '\0');
    for (std::size_t i = 0; i < sizeof(V); ++i)
      out[i] = static_cast<char>(static_cast<unsigned char>((bits >> (8 * i)) & 0xFFu));
    return out;
  }

  [[nodiscard]] static std::optional<V> decode(std::string_view bytes) {
    if (bytes.size() != sizeof(V)) return std::nullopt;
    using U = unsigned_of<sizeof(V)>;
    U bits = 0;
    for (std::size_t i = 0; i < sizeof(V); ++i)
      bits = static_cast<U>(bits | static_cast<U>(static_cast<U>(static_cast<unsigned char>(bytes[i]))
                                                  << (8 * i)));
    if constexpr (std::is_same_v<V, bool>) {
      if (bits > 1) return std::nullopt;  // any other byte is not a bool we wrote
    }
    V v{};
    std::memcpy(&v, &bits, sizeof(V));
    return v;
  }

 private:
  template <std::size_t N>
  using unsigned_of = std::conditional_t<
      N == 1, std::uint8_t,
      std::conditional_t<N == 2, std::uint16_t,
                         std::conditional_t<N == 4, std::uint32_t, std::uint64_t>>>;
  static_assert(sizeof(V) <= 8, "DefaultCodec: arithmetic types up to 8 bytes");
};

}  // namespace smartcache
