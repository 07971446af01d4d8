// smartcache - the binary frame RedisStore keeps under each key: horizons, tags, codec bytes.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <limits>
#include <optional>
#include <string>
#include <string_view>
#include <type_traits>
#include <utility>
#include <vector>

#include <smartcache/stores/store.hpp>

namespace smartcache {
namespace detail {

// Frame of one entry, as stored under "<prefix>k:<key>":
//   u8  version (1)
//   i64 stored_at, fresh_until, stale_until  (ns since the Unix epoch, little-endian)
//   u32 tag count, then per tag: u32 length + bytes
//   the codec's bytes, to the end of the value
inline constexpr unsigned char entry_frame_version = 1;
inline constexpr std::size_t entry_frame_fixed_size = 1 + 3 * 8 + 4;

inline void put_u32(std::string& out, std::uint32_t v) {
  for (int i = 0; i < 4; ++i) out.push_back(static_cast<char>((v >> (8 * i)) & 0xFFu));
}

inline void put_i64(std::string& out, std::int64_t v) {
  const auto u = static_cast<std::uint64_t>(v);
  for (int i = 0; i < 8; ++i) out.push_back(static_cast<char>((u >> (8 * i)) & 0xFFu));
}

// Reads fixed-width fields from an untrusted byte string; every read is
// bounds-checked and reports failure instead of reading past the end.
class FrameReader {
 public:
  explicit FrameReader(std::string_view bytes) noexcept : bytes_(bytes) {}

  [[nodiscard]] bool u8(unsigned char& v) noexcept {
    if (bytes_.size() - pos_ < 1) return false;
    v = static_cast<unsigned char>(bytes_[pos_++]);
    return true;
  }
  [[nodiscard]] bool u32(std::uint32_t& v) noexcept {
    if (bytes_.size() - pos_ < 4) return false;
    v = 0;
    for (std::size_t i = 0; i < 4; ++i)
      v |= static_cast<std::uint32_t>(static_cast<unsigned char>(bytes_[pos_ + i])) << (8 * i);
    pos_ += 4;
    return true;
  }
  [[nodiscard]] bool i64(std::int64_t& v) noexcept {
    if (bytes_.size() - pos_ < 8) return false;
    std::uint64_t u = 0;
    for (std::size_t i = 0; i < 8; ++i)
      u |= static_cast<std::uint64_t>(static_cast<unsigned char>(bytes_[pos_ + i])) << (8 * i);
    pos_ += 8;
    v = static_cast<std::int64_t>(u);
    return true;
  }
  [[nodiscard]] bool bytes(std::size_t n, std::string_view& out) noexcept {
    if (bytes_.size() - pos_ < n) return false;
    out = bytes_.substr(pos_, n);
    pos_ += n;
    return true;
  }
  [[nodiscard]] std::size_t remaining() const noexcept { return bytes_.size() - pos_; }
  [[nodiscard]] std::string_view rest() const noexcept { return bytes_.substr(pos_); }

 private:
  std::string_view bytes_;
  std::size_t pos_ = 0;
};

// Wall time <-> i64 nanoseconds since the epoch, saturating instead of
// overflowing on clocks coarser than a nanosecond.
[[nodiscard]] inline std::int64_t wall_to_ns(WallTime t) noexcept {
  using namespace std::chrono;
  using sys_dur = system_clock::duration;
  constexpr auto max_ns = duration_cast<sys_dur>(nanoseconds::max());
  constexpr auto min_ns = duration_cast<sys_dur>(nanoseconds::min());
  const sys_dur d = t.time_since_epoch();
  if (d >= max_ns) return std::numeric_limits<std::int64_t>::max();
  if (d <= min_ns) return std::numeric_limits<std::int64_t>::min();
  return static_cast<std::int64_t>(duration_cast<nanoseconds>(d).count());
}

[[nodiscard]] inline WallTime ns_to_wall(std::int64_t ns) noexcept {
  using namespace std::chrono;
  return WallTime(duration_cast<system_clock::duration>(nanoseconds(ns)));
}

/// Encodes an entry (metadata + codec bytes) into one binary-safe frame.
template <class Codec, class V>
[[nodiscard]] std::string encode_entry(const Entry<V>& e) {
  std::string payload = Codec::encode(e.value);
  std::size_t size = entry_frame_fixed_size + payload.size();
  for (const auto& t : e.tags) size += 4 + t.size();
  std::string out;
  out.reserve(size);
  out.push_back(static_cast<char>(entry_frame_version));
  put_i64(out, wall_to_ns(e.stored_at));
  put_i64(out, wall_to_ns(e.fresh_until));
  put_i64(out, wall_to_ns(e.stale_until));
  if (e.tags.size() > std::numeric_limits<std::uint32_t>::max())
    throw StoreError("smartcache: too many tags on one entry");
  put_u32(out, static_cast<std::uint32_t>(e.tags.size()));
  for (const auto& t : e.tags) {
    if (t.size() > std::numeric_limits<std::uint32_t>::max())
      throw StoreError("smartcache: tag too long");
    put_u32(out, static_cast<std::uint32_t>(t.size()));
    out.append(t);
  }
  out.append(payload);
  return out;
}

// The fixed part of a frame: version, horizons, tag count. Leaves `r` at the
// first tag. Throws StoreError on a frame of another version or a truncated or
// impossible header.
struct FrameHead {
  std::int64_t stored = 0, fresh = 0, stale = 0;
  std::uint32_t tag_count = 0;
};

inline FrameHead read_frame_head(FrameReader& r) {
  unsigned char version = 0;
  if (!r.u8(version)) throw StoreError("smartcache: empty Redis value");
  if (version != entry_frame_version)
    throw StoreError("smartcache: unknown entry frame version " + std::to_string(version));
  FrameHead h;
  if (!r.i64(h.stored) || !r.i64(h.fresh) || !r.i64(h.stale) || !r.u32(h.tag_count))
    throw StoreError("smartcache: truncated entry header");
  // Each tag needs at least its 4-byte length: a count beyond that is corrupt,
  // and checking first keeps a hostile count from reserving gigabytes.
  if (h.tag_count > r.remaining() / 4) throw StoreError("smartcache: corrupt tag count");
  return h;
}

// The next tag of the frame (a view into it).
inline std::string_view read_frame_tag(FrameReader& r) {
  std::uint32_t len = 0;
  std::string_view tag;
  if (!r.u32(len) || !r.bytes(len, tag)) throw StoreError("smartcache: truncated tag");
  return tag;
}

template <class V, class Codec>
[[nodiscard]] V read_frame_value(FrameReader& r) {
  std::optional<V> value = Codec::decode(r.rest());
  if (!value) throw StoreError("smartcache: codec rejected the stored bytes");
  return std::move(*value);
}

/// Decodes a frame written by encode_entry into what a lookup returns: value
/// and horizons. The tags are skipped over (their lengths still checked), not
/// materialised: a hit allocates nothing for them. Any malformed input
/// (truncated, unknown version, lengths past the end, bytes the codec
/// rejects) throws StoreError; no input reads out of bounds or allocates
/// beyond its own size.
template <class V, class Codec>
[[nodiscard]] StoredValue<V> decode_stored(std::string_view bytes) {
  FrameReader r(bytes);
  const FrameHead h = read_frame_head(r);
  for (std::uint32_t i = 0; i < h.tag_count; ++i) (void)read_frame_tag(r);
  return StoredValue<V>{read_frame_value<V, Codec>(r), ns_to_wall(h.stored), ns_to_wall(h.fresh),
                        ns_to_wall(h.stale)};
}

/// Decodes a whole frame written by encode_entry, tags included (tests,
/// tooling; the store's get uses decode_stored). Throws like decode_stored.
template <class V, class Codec>
[[nodiscard]] Entry<V> decode_entry(std::string_view bytes) {
  FrameReader r(bytes);
  const FrameHead h = read_frame_head(r);
  std::vector<std::string> tags;
  tags.reserve(h.tag_count);
  for (std::uint32_t i = 0; i < h.tag_count; ++i) tags.emplace_back(read_frame_tag(r));
  V value = read_frame_value<V, Codec>(r);
  return Entry<V>{std::move(value), ns_to_wall(h.stored), ns_to_wall(h.fresh), ns_to_wall(h.stale),
                  std::move(tags)};
}

}  // namespace detail
}  // namespace smartcache
