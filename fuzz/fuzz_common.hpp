// smartcache fuzzing - what every fuzz target shares: a byte reader, a failure
// hook and a silent log handler.
// SPDX-License-Identifier: MIT
//
// Each fuzz_<target>.cpp defines `int smartcache_fuzz::<target>::run(const
// std::uint8_t*, std::size_t)` and, unless SMARTCACHE_FUZZ_NO_ENTRY is
// defined, the libFuzzer entry point that calls it. tests/fault/test_fuzz_regressions.cpp
// defines SMARTCACHE_FUZZ_NO_ENTRY, includes the targets and replays the
// corpus through them with any compiler: a failed invariant then throws
// (Catch2 reports it) instead of aborting.
#pragma once

#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <stdexcept>
#include <string>
#include <string_view>

#include <smartcache/log.hpp>

namespace smartcache_fuzz {

/// Thrown (in regression replay) or printed before abort() (under libFuzzer)
/// when a fuzzed invariant does not hold.
struct InvariantViolation : std::logic_error {
  using std::logic_error::logic_error;
};

/// Reports a violated invariant. While triaging, the environment variable
/// SMARTCACHE_FUZZ_IGNORE=<substring>[|<substring>...] makes failures whose
/// message contains one of them pass (fuzzing goes on past a known bug); CI
/// never sets it.
inline void fail(const std::string& what) {
#ifdef SMARTCACHE_FUZZ_NO_ENTRY
  throw InvariantViolation(what);
#else
  if (const char* ignore = std::getenv("SMARTCACHE_FUZZ_IGNORE")) {
    std::string_view list(ignore);
    while (!list.empty()) {
      const auto bar = list.find('|');
      const std::string_view one = list.substr(0, bar);
      if (!one.empty() && what.find(one) != std::string::npos) return;
      list = bar == std::string_view::npos ? std::string_view{} : list.substr(bar + 1);
    }
  }
  std::fprintf(stderr, "smartcache fuzz invariant violated: %s\n", what.c_str());
  std::abort();
#endif
}

#define SMARTCACHE_FUZZ_CHECK(cond, what)                                         \
  do {                                                                            \
    if (!(cond)) ::smartcache_fuzz::fail(std::string(what) + " [" #cond "]");     \
  } while (0)

/// Reads typed values from the fuzzer's bytes; past the end everything is 0 or
/// empty, so a target never has to check for exhaustion.
class ByteReader {
 public:
  ByteReader(const std::uint8_t* data, std::size_t size) noexcept : data_(data), size_(size) {}

  [[nodiscard]] bool empty() const noexcept { return pos_ >= size_; }
  [[nodiscard]] std::size_t remaining() const noexcept { return size_ - pos_; }

  std::uint8_t byte() noexcept { return pos_ < size_ ? data_[pos_++] : std::uint8_t{0}; }

  std::uint16_t u16() noexcept {
    const auto lo = byte();
    const auto hi = byte();
    return static_cast<std::uint16_t>(lo | (hi << 8));
  }

  std::uint64_t u64() noexcept {
    std::uint64_t v = 0;
    for (int i = 0; i < 8; ++i) v |= static_cast<std::uint64_t>(byte()) << (8 * i);
    return v;
  }

  /// A string of up to `max_len` bytes: one length byte, then the bytes.
  std::string str(std::size_t max_len = 64) {
    std::size_t n = byte();
    if (max_len < 255) n %= (max_len + 1);
    if (n > remaining()) n = remaining();
    std::string s(reinterpret_cast<const char*>(data_ + pos_), n);
    pos_ += n;
    return s;
  }

  /// Everything not read yet.
  std::string_view rest() noexcept {
    std::string_view s(reinterpret_cast<const char*>(data_ + pos_), size_ - pos_);
    pos_ = size_;
    return s;
  }

 private:
  const std::uint8_t* data_;
  std::size_t size_;
  std::size_t pos_ = 0;
};

/// Installs a log handler that drops every record while alive (fuzzed inputs
/// trigger warnings on purpose; printing them would drown the fuzzer), and
/// restores the previous one afterwards.
class SilenceLogs {
 public:
  SilenceLogs() : previous_(smartcache::set_log_handler([](const smartcache::LogRecord&) {})) {}
  ~SilenceLogs() { smartcache::set_log_handler(std::move(previous_)); }
  SilenceLogs(const SilenceLogs&) = delete;
  SilenceLogs& operator=(const SilenceLogs&) = delete;

 private:
  smartcache::LogHandler previous_;
};

}  // namespace smartcache_fuzz

// Defines the libFuzzer entry point calling `run_fn(data, size)`, with the
// library's log handler silenced once (fuzzed inputs warn on purpose). Expands
// to nothing when the target is compiled into the regression tests.
#ifndef SMARTCACHE_FUZZ_NO_ENTRY
#define SMARTCACHE_FUZZ_ENTRY(run_fn)                                                 \
  extern "C" int LLVMFuzzerTestOneInput(const std::uint8_t* data, std::size_t size) { \
    static const bool silenced = (smartcache::set_log_handler({}), true);             \
    (void)silenced;                                                                   \
    return run_fn(data, size);                                                        \
  }
#else
#define SMARTCACHE_FUZZ_ENTRY(run_fn)
#endif
