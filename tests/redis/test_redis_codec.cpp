// RedisStore's value codecs, entry frame and script digests (no server needed).
#include "support/catch.hpp"

#include <smartcache/redis_store.hpp>

#include <cstdint>
#include <limits>
#include <random>
#include <string>
#include <type_traits>

using namespace std::chrono_literals;
using smartcache::DefaultCodec;
using smartcache::Entry;
using smartcache::StoreError;
using smartcache::WallTime;

namespace {

template <class V>
void check_round_trip(V v) {
  const std::string bytes = DefaultCodec<V>::encode(v);
  CHECK(bytes.size() == sizeof(V));
  const auto back = DefaultCodec<V>::decode(bytes);
  REQUIRE(back.has_value());
  CHECK(*back == v);
}

Entry<std::string> sample_entry() {
  Entry<std::string> e;
  e.value = std::string("bin\0ary\xff", 8);
  e.stored_at = WallTime(std::chrono::seconds(1'700'000'000)) + 123456789ns;
  e.fresh_until = e.stored_at + 60s;
  e.stale_until = e.stored_at + 120s;
  e.tags = {"match:42", std::string("we\0ird", 6), ""};
  return e;
}

}  // namespace

TEST_CASE("DefaultCodec round-trips arithmetic values bit for bit", "[redis][codec]") {
  check_round_trip<int>(-123456);
  check_round_trip<std::int64_t>(std::numeric_limits<std::int64_t>::min());
  check_round_trip<std::uint64_t>(std::numeric_limits<std::uint64_t>::max());
  check_round_trip<std::uint8_t>(255);
  check_round_trip<double>(-0.1);
  check_round_trip<float>(3.5f);
  check_round_trip<bool>(true);
  check_round_trip<bool>(false);
}

TEST_CASE("DefaultCodec arithmetic encoding is little-endian and size-checked", "[redis][codec]") {
  CHECK(DefaultCodec<std::uint32_t>::encode(0x01020304u) == std::string("\x04\x03\x02\x01", 4));
  CHECK_FALSE(DefaultCodec<int>::decode("abc").has_value());
  CHECK_FALSE(DefaultCodec<double>::decode("").has_value());
  CHECK_FALSE(DefaultCodec<bool>::decode("\x02").has_value());
}

TEST_CASE("DefaultCodec<std::string> keeps arbitrary bytes", "[redis][codec]") {
  const std::string bytes("\0\x01\xff\r\n", 5);
  CHECK(DefaultCodec<std::string>::encode(bytes) == bytes);
  CHECK(DefaultCodec<std::string>::decode(bytes) == bytes);
}

TEST_CASE("entry frame round-trips value, horizons and tags", "[redis][codec]") {
  const auto e = sample_entry();
  const std::string frame = smartcache::detail::encode_entry<DefaultCodec<std::string>>(e);
  CHECK(static_cast<unsigned char>(frame[0]) == smartcache::detail::entry_frame_version);
  const auto back = smartcache::detail::decode_entry<std::string, DefaultCodec<std::string>>(frame);
  CHECK(back.value == e.value);
  CHECK(back.stored_at == e.stored_at);
  CHECK(back.fresh_until == e.fresh_until);
  CHECK(back.stale_until == e.stale_until);
  CHECK(back.tags == e.tags);
  // What a lookup decodes: the same value and horizons, the tags skipped over.
  const auto hit = smartcache::detail::decode_stored<std::string, DefaultCodec<std::string>>(frame);
  static_assert(std::is_same_v<decltype(hit), const smartcache::StoredValue<std::string>>);
  CHECK(hit.value == e.value);
  CHECK(hit.stored_at == e.stored_at);
  CHECK(hit.fresh_until == e.fresh_until);
  CHECK(hit.stale_until == e.stale_until);
}

TEST_CASE("entry frame rejects corrupt bytes with StoreError", "[redis][codec]") {
  using smartcache::detail::decode_entry;
  using Codec = DefaultCodec<std::string>;
  const std::string frame = smartcache::detail::encode_entry<Codec>(sample_entry());

  SECTION("every truncation that cuts the header or a tag") {
    // The value is the tail, so only cuts inside header + tags must fail.
    const std::size_t tags_end = frame.size() - sample_entry().value.size();
    for (std::size_t n = 0; n < tags_end; ++n) {
      CAPTURE(n);
      CHECK_THROWS_AS((decode_entry<std::string, Codec>(frame.substr(0, n))), StoreError);
      CHECK_THROWS_AS((smartcache::detail::decode_stored<std::string, Codec>(frame.substr(0, n))),
                      StoreError);  // skipping a tag checks its length all the same
    }
  }
  SECTION("unknown version") {
    std::string bad = frame;
    bad[0] = '\x02';
    CHECK_THROWS_AS((decode_entry<std::string, Codec>(bad)), StoreError);
  }
  SECTION("a tag count far beyond the bytes present") {
    std::string bad = frame;
    bad[25] = bad[26] = bad[27] = bad[28] = '\xff';
    CHECK_THROWS_AS((decode_entry<std::string, Codec>(bad)), StoreError);
    CHECK_THROWS_AS((smartcache::detail::decode_stored<std::string, Codec>(bad)), StoreError);
  }
  SECTION("bytes the codec rejects") {
    Entry<int> e;
    e.value = 7;
    std::string f = smartcache::detail::encode_entry<DefaultCodec<int>>(e);
    f.push_back('x');  // 5 value bytes for a 4-byte int
    CHECK_THROWS_AS((decode_entry<int, DefaultCodec<int>>(f)), StoreError);
  }
}

TEST_CASE("entry frame decoding survives random bytes", "[redis][codec]") {
  using Codec = DefaultCodec<std::string>;
  const std::string frame = smartcache::detail::encode_entry<Codec>(sample_entry());
  std::mt19937 rng(12345);
  std::size_t decoded = 0, rejected = 0;
  for (int i = 0; i < 20000; ++i) {
    std::string bytes;
    if (i % 2 == 0) {
      bytes.resize(rng() % 64);
      for (auto& c : bytes) c = static_cast<char>(rng() & 0xFFu);
      if (!bytes.empty() && i % 4 == 0) bytes[0] = '\x01';  // get past the version check
    } else {
      bytes = frame;  // flip a few bytes of a valid frame
      for (int k = 0; k < 3; ++k) bytes[rng() % bytes.size()] = static_cast<char>(rng() & 0xFFu);
    }
    try {
      const auto e = smartcache::detail::decode_entry<std::string, Codec>(bytes);
      ++decoded;
      // What decodes is exactly what was written: re-encoding gives the same bytes.
      CHECK(smartcache::detail::encode_entry<Codec>(e) == bytes);
    } catch (const StoreError&) {
      ++rejected;
    }
  }
  CHECK(decoded + rejected == 20000);
  CHECK(rejected > 0);
  CHECK(decoded > 0);
}

TEST_CASE("sha1_hex matches the FIPS 180 test vectors", "[redis][codec]") {
  using smartcache::detail::sha1_hex;
  CHECK(sha1_hex("abc") == "a9993e364706816aba3e25717850c26c9cd0d89d");
  CHECK(sha1_hex("") == "da39a3ee5e6b4b0d3255bfef95601890afd80709");
  CHECK(sha1_hex("abcdbcdecdefdefgefghfghighijhijkijkljklmklmnlmnomnopnopq") ==
        "84983e441c3bd26ebaae4aa1f95129e5e54670f1");
}
