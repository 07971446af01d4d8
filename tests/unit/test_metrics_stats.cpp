// Stats: names, lookup by name, the visitor and JSON.
#include <smartcache/smartcache.hpp>

#include <set>
#include <string>
#include <vector>

#include "support/catch.hpp"

TEST_CASE("Stats carries the reference's 35 keys plus the quantiles", "[stats]") {
  const char* keys[] = {
      "cache_hit_fresh", "cache_hit_stale", "cache_miss", "cache_errors", "vix_panic_detected",
      "vix_warning_detected", "vix_normal", "cache_bypass_vix", "golden_hour_standard",
      "golden_hour_warmup", "golden_hour_prematch", "golden_hour_golden", "golden_hour_active",
      "swr_served_fresh", "swr_served_stale", "swr_too_stale", "swr_background_success",
      "swr_background_error", "surgical_invalidation", "full_invalidation",
      "markets_affected_logical", "cache_keys_deleted_actual", "markets_preserved",
      "strategy_bypass", "strategy_compute", "strategy_serve_stale", "strategy_serve_fresh",
      "total_requests", "avg_latency_ms", "max_latency_ms", "min_latency_ms", "hit_rate_pct",
      "avg_cpu_saved_pct", "vix_panic_rate_pct", "golden_hour_total", "p50_latency_ms",
      "p90_latency_ms", "p99_latency_ms", "p999_latency_ms", "latency_samples",
      "latency_sample_rate"};
  smartcache::Stats s;
  for (const char* k : keys) {
    CAPTURE(k);
    CHECK(s.get(k).has_value());
  }
  CHECK_FALSE(s.get("nope").has_value());
  CHECK_FALSE(s.get("").has_value());
}

TEST_CASE("for_each visits every field once, in a stable order", "[stats]") {
  smartcache::Stats s;
  std::set<std::string> seen;
  std::size_t n = 0;
  s.for_each([&](std::string_view name, double) {
    seen.insert(std::string(name));
    ++n;
  });
  CHECK(n == seen.size());
  CHECK(n == 65);  // 44 counters, 13 derived, 8 per-strategy quantiles
}

TEST_CASE("get returns the same values the fields hold", "[stats]") {
  smartcache::CacheMetrics m;
  m.increment(smartcache::Counter::cache_hit_fresh, 3);
  m.increment(smartcache::Counter::cache_miss, 1);
  m.record_latency(2.5);
  const auto s = m.get_stats();
  CHECK(*s.get("cache_hit_fresh") == 3);
  CHECK(*s.get("hit_rate_pct") == 75);
  CHECK(*s.get("max_latency_ms") == 2.5);
  CHECK(*s.get("total_requests") == 1);
}

TEST_CASE("to_json is one object with integer counters", "[stats]") {
  smartcache::CacheMetrics m;
  m.increment(smartcache::Counter::cache_hit_fresh, 7);
  m.record_latency(1.25);
  const std::string json = m.get_stats().to_json();
  CHECK(json.front() == '{');
  CHECK(json.back() == '}');
  CHECK(json.find("\"cache_hit_fresh\":7,") != std::string::npos);
  CHECK(json.find("\"max_latency_ms\":1.25,") != std::string::npos);
  CHECK(json.find("\"latency_sample_rate\":1,") != std::string::npos);
  CHECK(json.find("\"p99_bypass_ms\":0}") != std::string::npos);
  CHECK(json.find("inf") == std::string::npos);
  CHECK(json.find("nan") == std::string::npos);
}

TEST_CASE("Stats compare by value", "[stats]") {
  smartcache::CacheMetrics m;
  m.increment(smartcache::Counter::vix_normal);
  const auto a = m.get_stats();
  const auto b = m.get_stats();
  CHECK(a == b);
  m.increment(smartcache::Counter::vix_normal);
  CHECK(a != m.get_stats());
}

TEST_CASE("Stats has one field per counter, and equality looks at every field", "[metrics][stats]") {
  smartcache::Stats base;
  std::vector<std::string> names;
  base.for_each([&](std::string_view n, double) { names.emplace_back(n); });
  REQUIRE(names.size() == smartcache::counter_count + 21);
  for (std::size_t i = 0; i < smartcache::counter_count; ++i)
    CHECK(names[i] == smartcache::to_string(static_cast<smartcache::Counter>(i)));
  // Changing any single field makes the snapshots differ.
  std::size_t differing = 0;
  for (std::size_t i = 0; i < names.size(); ++i) {
    smartcache::Stats other = base;
    std::size_t k = 0;
    // Bump field i through its name: the visitor order is the declaration order.
    const auto bump = [&](auto& field) { field = field + 1; };
#define SMARTCACHE_TEST_BUMP(field, kind) if (k++ == i) bump(other.field);
    SMARTCACHE_COUNTERS(SMARTCACHE_TEST_BUMP)
    SMARTCACHE_STATS_DERIVED(SMARTCACHE_TEST_BUMP)
#undef SMARTCACHE_TEST_BUMP
    if (other != base) ++differing;
    CHECK(other.get(names[i]) == base.get(names[i]).value() + 1);
  }
  CHECK(differing == names.size());
}
