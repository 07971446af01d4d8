// smartcache fuzzing - namespace, constant labels and buckets given to the exposition.
// SPDX-License-Identifier: MIT
//
// The bytes become MetricsOptions (a namespace, up to 6 constant label
// name/value pairs, sometimes arbitrary latency buckets) and a few recordings.
// Invariants, checked by tests/support/exposition_checker.hpp (written
// independently of the writer), before and after the recordings:
//   - whatever the options, the text format and structure are valid
//     (check_exposition): escaping, unique series, HELP/TYPE, histograms;
//   - with well-chosen names (the default namespace, snake_case label names)
//     and arbitrary label VALUES, promtool's naming lint is silent too
//     (check_exposition_lint). Which namespace and label names to choose is
//     the user's call: the writer sanitizes invalid characters but does not
//     rename words promtool lints ("x_ms", "my_gauge", camelCase).
// tests/fault/test_fuzz_regressions.cpp runs `promtool check metrics` on a sample.
#pragma once
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <vector>

#include <smartcache/smartcache.hpp>

#include "fuzz_common.hpp"
#include "support/exposition_checker.hpp"

namespace smartcache_fuzz::exposition {

// A snake_case label name made of the fuzzer's bytes: [a-z][a-z0-9_]*.
inline std::string tame_label_name(std::string raw) {
  static constexpr char alphabet[] = "abcdefghijklmnopqrstuvwxyz0123456789_";
  if (raw.empty()) raw = "x";
  for (std::size_t i = 0; i < raw.size(); ++i) {
    const auto b = static_cast<unsigned char>(raw[i]);
    raw[i] = alphabet[b % (i == 0 ? 26 : sizeof alphabet - 1)];
  }
  return raw;
}

inline smartcache::MetricsOptions options_from(ByteReader& in, bool tame) {
  smartcache::MetricsOptions o;
  std::string ns = in.str();
  if (!tame) o.prometheus_namespace = std::move(ns);
  const std::size_t labels = in.byte() % 7;
  for (std::size_t i = 0; i < labels; ++i) {
    std::string name = tame ? tame_label_name(in.str(32)) : in.str(32);
    std::string value = in.str();
    o.const_labels.emplace_back(std::move(name), std::move(value));
  }
  if (in.byte() & 1) {
    o.latency_buckets_seconds.clear();
    const std::size_t buckets = in.byte() % 12;
    for (std::size_t i = 0; i < buckets; ++i) {
      const std::uint64_t bits = in.u64();
      double b = 0;
      std::memcpy(&b, &bits, sizeof b);
      o.latency_buckets_seconds.push_back(b);
    }
  }
  return o;
}

inline void check(const smartcache::CacheMetrics& m, bool tame, const char* when) {
  const std::string text = m.to_prometheus();
  const auto problem = tame ? smartcache_test::check_exposition_lint(text) : smartcache_test::check_exposition(text);
  if (problem) fail(std::string("invalid exposition ") + when + ": " + *problem + "\n--- exposition ---\n" + text);
}

inline int run(const std::uint8_t* data, std::size_t size) {
  ByteReader in(data, size);
  const bool tame = (in.byte() & 1) != 0;
  smartcache::CacheMetrics m(options_from(in, tame));
  check(m, tame, "when empty");
  // A few recordings so that every family has non-trivial samples.
  smartcache::RequestRecord r;
  r.strategy = static_cast<smartcache::Strategy>(in.byte() % smartcache::strategy_count);
  r.vix = static_cast<smartcache::VixStatus>(in.byte() % smartcache::vix_status_count);
  r.zone = static_cast<smartcache::Zone>(in.byte() % smartcache::zone_count);
  r.lookup = static_cast<smartcache::Lookup>(in.byte() % 5);
  std::uint64_t bits = in.u64();
  double ms = 0;
  std::memcpy(&ms, &bits, sizeof ms);
  r.latency_ms = ms;
  m.record_request(r);
  m.record_latency(static_cast<double>(in.u16()) / 16.0);
  m.record_invalidation({(in.byte() & 1) != 0, in.byte(), in.byte(), in.byte(),
                         static_cast<double>(in.byte())});
  m.reset_category(static_cast<smartcache::Category>(in.byte() % smartcache::category_count));
  check(m, tame, "after recordings");
  return 0;
}

}  // namespace smartcache_fuzz::exposition
