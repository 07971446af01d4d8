// smartcache - the text pieces of a Prometheus exposition: names, escaping, values.
// SPDX-License-Identifier: MIT
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <fmt/format.h>

#include <smartcache/detail/metrics/names.hpp>

namespace smartcache::detail {

// The length of the well-formed UTF-8 sequence starting at s[i] (1 to 4), or
// 0 when the bytes there are not one (overlong, surrogate, past U+10FFFF,
// truncated, stray continuation byte).
[[nodiscard]] constexpr std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return len;
}

// The escaping and value writers below write to any `Sink` with
// append(const char*, std::size_t) and push_back(char): std::string, or the
// writer's LineSink.

// Writes `text` with '\\' and '\n' (and '"' when `quote`) escaped and each byte
// that is not part of well-formed UTF-8 replaced by U+FFFD. Runs of plain
// ASCII go out in one piece: most label values and HELP texts are one run.
// Bit 0: ends a plain run in HELP text; bit 1: in a label value.
struct EscapeTable {
  unsigned char stops[256] = {};
  constexpr EscapeTable() {
    for (int c = 0x80; c < 256; ++c) stops[c] = 3;
    stops[static_cast<unsigned char>('\\')] = 3;
    stops[static_cast<unsigned char>('\n')] = 3;
    stops[static_cast<unsigned char>('"')] = 2;
  }
};
inline constexpr EscapeTable escape_table{};

// Skips 8 bytes at a time from `from` while none of them needs escaping
// (no '\\', '\n', '"' when `quote`, nor a byte >= 0x80); returns where the
// byte-by-byte scan must take over. HELP texts are long runs of plain ASCII.
[[nodiscard]] inline std::size_t plain_ascii_prefix(std::string_view text, std::size_t from, bool quote) noexcept {
  constexpr std::uint64_t ones = 0x0101010101010101ull;
  constexpr std::uint64_t highs = 0x8080808080808080ull;
  const auto has_zero_byte = [](std::uint64_t v) { return (v - ones) & ~v & highs; };
  while (text.size() - from >= 8) {
    std::uint64_t w = 0;
    std::memcpy(&w, text.data() + from, 8);
    std::uint64_t stop = (w & highs) | has_zero_byte(w ^ (ones * '\\')) | has_zero_byte(w ^ (ones * '\n'));
    if (quote) stop |= has_zero_byte(w ^ (ones * '"'));
    if (stop != 0) break;
    from += 8;
  }
  return from;
}

template <class Sink>
void write_escaped(Sink& out, std::string_view text, bool quote) {
  const unsigned char stop_bit = quote ? 2 : 1;
  std::size_t i = 0;
  while (i < text.size()) {
    std::size_t run = plain_ascii_prefix(text, i, quote);
    while (run < text.size() && !(escape_table.stops[static_cast<unsigned char>(text[run])] & stop_bit)) ++run;
    out.append(text.data() + i, run - i);
    i = run;
    if (i == text.size()) break;
    const char c = text[i];
    if (c == '\\' || c == '\n' || c == '"') {
      out.push_back('\\');
      out.push_back(c == '\n' ? 'n' : c);
      ++i;
      continue;
    }
    const std::size_t len = utf8_sequence_length(text, i);
    if (len == 0) {
      out.append("\xEF\xBF\xBD", 3);
      ++i;
    } else {
      out.append(text.data() + i, len);
      i += len;
    }
  }
}

/// Appends a label value escaped for the exposition (`\\`, `\"`, `\n`; bytes
/// that are not well-formed UTF-8 become U+FFFD), without the quotes.
///
/// Example:
///   append_escaped_label_value(out, "a\"b");  // appends a\"b
inline void append_escaped_label_value(std::string& out, std::string_view value) { write_escaped(out, value, true); }

/// Appends HELP text escaped for the exposition (`\\`, `\n`; bytes that are
/// not well-formed UTF-8 become U+FFFD).
///
/// Example: `append_escaped_help(out, "line\nbreak")  // appends line\nbreak`
inline void append_escaped_help(std::string& out, std::string_view help) { write_escaped(out, help, false); }

template <class Sink>
void write_integer(Sink& out, std::uint64_t v) {
  const fmt::format_int digits(v);
  out.append(digits.data(), digits.size());
}

// Fast path of write_value for the values an exposition is full of (bucket
// bounds, ratios): when some decimal with at most 6 fractional digits reads back
// as exactly `v`, writes the one with the fewest, in plain notation; this is
// the text fmt's shortest round-trip format gives for 1e-4 <= |v| < 1e9.
// Returns false (writing nothing) otherwise.
template <class Sink>
bool write_short_decimal(Sink& out, double v) {
  constexpr double powers[] = {1e0, 1e1, 1e2, 1e3, 1e4, 1e5, 1e6};
  const double magnitude = std::abs(v);
  if (!(magnitude >= 1e-4 && magnitude < 1e9)) return false;
  for (int k = 1; k <= 6; ++k) {
    const double scaled = std::round(magnitude * powers[k]);
    if (scaled / powers[k] != magnitude) continue;  // exact: both are integers below 2^53
    const auto n = static_cast<std::uint64_t>(scaled);
    const auto unit = static_cast<std::uint64_t>(powers[k]);
    if (v < 0) out.push_back('-');
    write_integer(out, n / unit);
    out.push_back('.');
    const fmt::format_int fraction(n % unit + unit);  // its leading '1' keeps the zeros
    out.append(fraction.data() + 1, fraction.size() - 1);
    return true;
  }
  return false;
}

template <class Sink>
void write_value(Sink& out, double v) {
  if (std::isnan(v)) {
    out.append("NaN", 3);
  } else if (std::isinf(v)) {
    out.append(v > 0 ? "+Inf" : "-Inf", 4);
  } else if (std::abs(v) <= 9007199254740992.0 && std::trunc(v) == v) {
    const fmt::format_int digits(static_cast<std::int64_t>(v));
    out.append(digits.data(), digits.size());
  } else if (!write_short_decimal(out, v)) {
    char text[64];
    const char* end = fmt::format_to(text, "{}", v);  // at most 24 characters
    out.append(text, static_cast<std::size_t>(end - text));
  }
}

/// Appends a sample value: integers up to 2^53 exactly without exponent,
/// other finite values as the shortest text that reads back to the same
/// double, and `+Inf`, `-Inf`, `NaN`.
///
/// Example:
///   append_value(out, 2.5);  // "2.5"
///   append_value(out, 1e6);  // "1000000"
inline void append_value(std::string& out, double v) { write_value(out, v); }

/// Appends an integer sample value.
///
/// Example: `append_value(out, std::uint64_t{42});  // "42"`
inline void append_value(std::string& out, std::uint64_t v) { write_integer(out, v); }

// Collects text in a fixed buffer and hands it to the output string in one
// append: an exposition is hundreds of tiny pieces, and a std::string append
// per piece costs more than copying them. The owner calls flush() when done.
class LineSink {
 public:
  explicit LineSink(std::string& out) noexcept : out_(out) {}
  LineSink(const LineSink&) = delete;
  LineSink& operator=(const LineSink&) = delete;

  void append(const char* text, std::size_t n) {
    if (n > capacity - size_) {
      flush();
      if (n > capacity) {
        out_.append(text, n);
        return;
      }
    }
    std::memcpy(buffer_ + size_, text, n);
    size_ += n;
  }
  void append(std::string_view text) { append(text.data(), text.size()); }
  void push_back(char c) {
    if (size_ == capacity) flush();
    buffer_[size_++] = c;
  }
  void flush() {
    out_.append(buffer_, size_);
    size_ = 0;
  }
  void reserve_more(std::size_t n) { out_.reserve(out_.size() + size_ + n); }
  /// Everything written so far, flushed or not.
  [[nodiscard]] std::size_t size() const noexcept { return out_.size() + size_; }

 private:
  static constexpr std::size_t capacity = 1024;
  std::string& out_;
  char buffer_[capacity];
  std::size_t size_ = 0;
};

}  // namespace smartcache::detail
