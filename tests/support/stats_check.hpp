// smartcache tests - one CHECK per Stats field, named in the failure message;
// sums of Stats fields the tests compare.
// SPDX-License-Identifier: MIT
//
//   check_stats(h.stats(), {{"cache_hit_fresh", 1}, {"cache_miss", 2}});
//
// Each name must be a Stats field (Stats::get knows it): a misspelt name fails
// the test. Values compare exactly (counters are whole numbers; compare
// derived figures that are not exact with a tolerance, in a CHECK of their own).
#pragma once

#include <cstdint>
#include <initializer_list>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <smartcache/metrics/stats.hpp>

#include "catch.hpp"

namespace smartcache_test {

inline void check_stats(const smartcache::Stats& s,
                        std::initializer_list<std::pair<std::string_view, double>> expected) {
  for (const auto& [name, value] : expected) {
    const std::string field(name);
    INFO("Stats field: " << field);
    const std::optional<double> actual = s.get(name);
    if (!actual) FAIL("not a Stats field: " << field);
    CHECK(*actual == value);
  }
}

/// sum(strategy_*) of a snapshot: one strategy per request.
inline std::uint64_t strategy_sum(const smartcache::Stats& s) {
  return s.strategy_bypass + s.strategy_compute + s.strategy_serve_stale + s.strategy_serve_fresh;
}

}  // namespace smartcache_test
