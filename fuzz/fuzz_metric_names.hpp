// smartcache fuzzing - counter and category names given to CacheMetrics' string APIs.
// SPDX-License-Identifier: MIT
//
// The bytes are a program of operations on one CacheMetrics: increment(name, n)
// with arbitrary or known names, reset_category(name), record_latency(any
// double). A model kept here, written from the documented names rather than
// from the library's tables, predicts every window count. Invariants:
//   - nothing crashes, nothing throws;
//   - increment/reset_category return true exactly for the documented names;
//   - get_stats() equals the model for every counter and holds no inf/NaN;
//   - the exposition is valid and requests_total equals the lifetime count.
#pragma once
#include <array>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <string>
#include <string_view>

#include <smartcache/smartcache.hpp>

#include "fuzz_common.hpp"
#include "support/exposition_checker.hpp"

namespace smartcache_fuzz::metric_names {

struct NamedCounter {
  std::string_view name;
  std::string_view category;
};

// The 37 documented counters and the category each resets with (docs/metrics.md,
// "Stats fields and Prometheus series": the reference service's 28 plus our nine).
inline constexpr std::array<NamedCounter, 37> documented{{
    {"cache_hit_fresh", "cache"},          {"cache_hit_stale", "cache"},
    {"cache_miss", "cache"},               {"cache_errors", "cache"},
    {"vix_panic_detected", "vix"},         {"vix_warning_detected", "vix"},
    {"vix_normal", "vix"},                 {"cache_bypass_vix", "vix"},
    {"golden_hour_standard", "golden_hour"}, {"golden_hour_warmup", "golden_hour"},
    {"golden_hour_prematch", "golden_hour"}, {"golden_hour_golden", "golden_hour"},
    {"golden_hour_active", "golden_hour"}, {"swr_served_fresh", "swr"},
    {"swr_served_stale", "swr"},           {"swr_too_stale", "swr"},
    {"swr_background_success", "swr"},    {"swr_background_error", "swr"},
    {"surgical_invalidation", "tagmanager"}, {"full_invalidation", "tagmanager"},
    {"markets_affected_logical", "tagmanager"}, {"cache_keys_deleted_actual", "tagmanager"},
    {"markets_preserved", "tagmanager"},   {"strategy_bypass", "strategy"},
    {"strategy_compute", "strategy"},      {"strategy_serve_stale", "strategy"},
    {"strategy_serve_fresh", "strategy"},  {"total_requests", "performance"},
    {"cache_evictions", "cache"},          {"swr_background_dropped", "swr"},
    {"latency_rejected", "performance"},   {"latency_unmeasured", "performance"},
    {"compute_soft_timeouts", "performance"}, {"compute_hard_timeouts", "performance"},
    {"compute_pool_rejections", "performance"}, {"eager_refreshes", "swr"},
    {"refreshes_abandoned", "swr"},
}};

inline constexpr std::array<std::string_view, 8> categories{
    "vix", "golden_hour", "swr", "tagmanager", "strategy", "performance", "cache", "all"};

inline int find_counter(std::string_view name) {
  for (std::size_t i = 0; i < documented.size(); ++i)
    if (documented[i].name == name) return static_cast<int>(i);
  return -1;
}

inline bool is_category(std::string_view name) {
  for (auto c : categories)
    if (c == name) return true;
  return false;
}

struct Model {
  std::array<std::uint64_t, documented.size()> window{};
  std::array<std::uint64_t, documented.size()> lifetime{};

  void add(int i, std::uint64_t n) {
    window[static_cast<std::size_t>(i)] += n;
    lifetime[static_cast<std::size_t>(i)] += n;
  }
  void reset(std::string_view category) {
    for (std::size_t i = 0; i < documented.size(); ++i)
      if (category == "all" || documented[i].category == category) window[i] = 0;
  }
};

// A name the fuzzer reaches easily: a documented one, possibly damaged.
inline std::string near_name(ByteReader& in, bool category) {
  std::string s(category ? categories[in.byte() % categories.size()]
                         : documented[in.byte() % documented.size()].name);
  switch (in.byte() % 6) {
    case 0: s.pop_back(); break;
    case 1: s += static_cast<char>(in.byte()); break;
    case 2: s[0] = static_cast<char>(s[0] - 32); break;  // upper case
    case 3: s.insert(s.begin(), ' '); break;
    case 4: s += '\0'; break;
    default: break;  // intact
  }
  return s;
}

inline std::uint64_t parse_requests_total(std::string_view text) {
  const std::string_view needle = "\nsmartcache_requests_total ";
  const auto at = text.find(needle);
  if (at == std::string_view::npos) fail("requests_total missing from the exposition");
  std::uint64_t v = 0;
  for (std::size_t i = at + needle.size(); i < text.size() && text[i] >= '0' && text[i] <= '9'; ++i)
    v = v * 10 + static_cast<std::uint64_t>(text[i] - '0');
  return v;
}

inline int run(const std::uint8_t* data, std::size_t size) {
  ByteReader in(data, size);
  smartcache::CacheMetrics m;
  Model model;
  int steps = 0;
  while (!in.empty() && steps++ < 256) {
    const auto op = in.byte() % 6;
    if (op == 0 || op == 1) {
      const std::string name = op == 0 ? in.str() : near_name(in, false);
      // Mostly small amounts; sometimes a huge one, to wrap the counters.
      const std::uint64_t n = (in.byte() & 0x80) ? in.u64() : in.byte();
      const bool known = m.increment(name, n);
      const int i = find_counter(name);
      SMARTCACHE_FUZZ_CHECK(known == (i >= 0), "increment(name) must be true exactly for documented names");
      if (i >= 0) model.add(i, n);
    } else if (op == 2 || op == 3) {
      const std::string name = op == 2 ? in.str() : near_name(in, true);
      const bool known = m.reset_category(name);
      SMARTCACHE_FUZZ_CHECK(known == is_category(name), "reset_category(name) must be true exactly for categories");
      if (known) model.reset(name);
    } else if (op == 4) {
      std::uint64_t bits = in.u64();
      double ms = 0;
      std::memcpy(&ms, &bits, sizeof ms);
      m.record_latency(ms);
      model.add(find_counter("total_requests"), 1);
      if (!smartcache::observable_latency(ms)) model.add(find_counter("latency_rejected"), 1);
    } else {
      m.reset();
      model.reset("all");
    }
  }

  const smartcache::Stats s = m.get_stats();
  for (std::size_t i = 0; i < documented.size(); ++i) {
    const auto got = s.get(documented[i].name);
    SMARTCACHE_FUZZ_CHECK(got.has_value(), std::string("Stats lacks ") + std::string(documented[i].name));
    SMARTCACHE_FUZZ_CHECK(*got == static_cast<double>(model.window[i]),
                          std::string("window count differs for ") + std::string(documented[i].name));
  }
  s.for_each([](std::string_view name, double v) {
    SMARTCACHE_FUZZ_CHECK(std::isfinite(v), std::string("Stats holds inf/NaN in ") + std::string(name));
  });

  const std::string text = m.to_prometheus();
  if (auto problem = smartcache_test::check_exposition(text)) fail("invalid exposition: " + *problem);
  SMARTCACHE_FUZZ_CHECK(parse_requests_total(text) == model.lifetime[static_cast<std::size_t>(find_counter("total_requests"))],
                        "exported requests_total must be the lifetime count");
  return 0;
}

}  // namespace smartcache_fuzz::metric_names
