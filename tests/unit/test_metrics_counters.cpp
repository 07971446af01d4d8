// Counters, names, categories and the window-vs-lifetime semantics of resets.
#include <smartcache/smartcache.hpp>

#include <string>

#include "support/catch.hpp"
#include "support/log_capture.hpp"
#include "support/stats_check.hpp"

using smartcache::CacheMetrics;
using smartcache::Category;
using smartcache::Counter;
using smartcache_test::check_stats;

namespace {

std::uint64_t stat(const CacheMetrics& m, smartcache::Counter c) {
  auto v = m.get_stats().get(smartcache::to_string(c));
  REQUIRE(v.has_value());
  return static_cast<std::uint64_t>(*v);
}

}  // namespace

TEST_CASE("every counter is reachable by enum and by its reference name", "[metrics]") {
  for (const auto& info : smartcache::detail::counter_table) {
    CAPTURE(std::string(info.name));
    CacheMetrics m;
    m.increment(info.counter, 3);
    CHECK(stat(m, info.counter) == 3);
    CHECK(m.increment(info.name, 4));
    CHECK(stat(m, info.counter) == 7);
    // No other counter moved.
    for (const auto& other : smartcache::detail::counter_table)
      if (other.counter != info.counter) CHECK(stat(m, other.counter) == 0);
  }
}

TEST_CASE("the reference's 28 counters come first and keep their names", "[metrics]") {
  const char* seed[] = {"cache_hit_fresh", "cache_hit_stale", "cache_miss", "cache_errors",
                        "vix_panic_detected", "vix_warning_detected", "vix_normal",
                        "cache_bypass_vix", "golden_hour_standard", "golden_hour_warmup",
                        "golden_hour_prematch", "golden_hour_golden", "golden_hour_active",
                        "swr_served_fresh", "swr_served_stale", "swr_too_stale",
                        "swr_background_success", "swr_background_error",
                        "surgical_invalidation", "full_invalidation", "markets_affected_logical",
                        "cache_keys_deleted_actual", "markets_preserved", "strategy_bypass",
                        "strategy_compute", "strategy_serve_stale", "strategy_serve_fresh",
                        "total_requests"};
  STATIC_REQUIRE(smartcache::seed_counter_count == 28);
  std::size_t i = 0;
  for (const char* name : seed) {
    REQUIRE(smartcache::parse_counter(name).has_value());
    CHECK(static_cast<std::size_t>(*smartcache::parse_counter(name)) == i++);
  }
}

TEST_CASE("unknown counter names return false and change nothing", "[metrics]") {
  smartcache_test::LogCapture logs;
  CacheMetrics m;
  auto name = GENERATE(as<std::string>{}, "", "cache_hit", "CACHE_MISS", "total_requests ",
                       "cache_hit_fresh\n", std::string("cache_miss\0x", 11));
  CHECK_FALSE(m.increment(name));
  const auto s = m.get_stats();
  s.for_each([](std::string_view field, double v) {
    CAPTURE(std::string(field));
    CHECK(v == (field == "latency_sample_rate" ? 1.0 : 0.0));
  });
}

TEST_CASE("increment with an out-of-range enum value is ignored", "[metrics]") {
  CacheMetrics m;
  m.increment(static_cast<Counter>(200));
  CHECK(m.get_stats().total_requests == 0);
}

TEST_CASE("reset_category resets exactly its category in get_stats", "[metrics][reset]") {
  const Category c = GENERATE(Category::vix, Category::golden_hour, Category::swr,
                              Category::tagmanager, Category::strategy, Category::performance,
                              Category::cache);
  CAPTURE(std::string(smartcache::to_string(c)));
  CacheMetrics m;
  for (const auto& info : smartcache::detail::counter_table) m.increment(info.counter, 5);
  m.reset_category(c);
  for (const auto& info : smartcache::detail::counter_table) {
    CAPTURE(std::string(info.name));
    CHECK(stat(m, info.counter) == (info.category == c ? 0u : 5u));
  }
  // Counting resumes from zero in the new window.
  for (const auto& info : smartcache::detail::counter_table) m.increment(info.counter, 2);
  for (const auto& info : smartcache::detail::counter_table)
    CHECK(stat(m, info.counter) == (info.category == c ? 2u : 7u));
}

TEST_CASE("reset_category by name accepts the eight names and rejects others", "[metrics][reset]") {
  smartcache_test::LogCapture logs;
  CacheMetrics m;
  for (auto name : {"vix", "golden_hour", "swr", "tagmanager", "strategy", "performance", "cache",
                    "all"})
    CHECK(m.reset_category(std::string_view(name)));
  CHECK(logs.count(smartcache::LogLevel::warning) == 0);

  m.increment(Counter::vix_normal, 9);
  CHECK_FALSE(m.reset_category(std::string_view("VIX")));
  CHECK_FALSE(m.reset_category(std::string_view("")));
  CHECK(logs.count(smartcache::LogLevel::warning) == 2);
  CHECK(logs.contains("unknown metrics category"));
  CHECK(m.get_stats().vix_normal == 9);
}

TEST_CASE("reset all clears the window but keeps configuration", "[metrics][reset]") {
  CacheMetrics m;
  m.set_latency_sampling(0.25);
  for (const auto& info : smartcache::detail::counter_table) m.increment(info.counter);
  m.record_latency(3.0);
  m.record_cpu_saved(50);
  SECTION("reset()") { m.reset(); }
  SECTION("reset_category(all)") { m.reset_category(Category::all); }
  SECTION("reset_category(\"all\")") { CHECK(m.reset_category(std::string_view("all"))); }
  for (const auto& info : smartcache::detail::counter_table) CHECK(stat(m, info.counter) == 0);
  check_stats(m.get_stats(),
              {{"latency_samples", 0}, {"avg_cpu_saved_pct", 0}, {"latency_sample_rate", 0.25}});
  CHECK(m.latency_sample_rate() == 0.25);
}

TEST_CASE("performance reset starts a new latency window", "[metrics][reset]") {
  CacheMetrics m;
  m.record_latency(100.0);
  m.record_latency(200.0);
  m.reset_category(Category::performance);
  check_stats(m.get_stats(), {{"latency_samples", 0}, {"max_latency_ms", 0}, {"min_latency_ms", 0},
                              {"p99_latency_ms", 0}});
  m.record_latency(2.0);
  const auto s = m.get_stats();
  check_stats(s, {{"latency_samples", 1}, {"max_latency_ms", 2.0}, {"min_latency_ms", 2.0},
                  {"avg_latency_ms", 2.0}});
  CHECK(std::abs(s.p50_latency_ms - 2.0) <= 0.06);
}

TEST_CASE("tagmanager reset clears the cpu saved average", "[metrics][reset]") {
  CacheMetrics m;
  m.record_cpu_saved(80);
  m.record_cpu_saved(60);
  CHECK(m.get_stats().avg_cpu_saved_pct == 70);
  m.reset_category(Category::vix);
  CHECK(m.get_stats().avg_cpu_saved_pct == 70);
  m.reset_category(Category::tagmanager);
  CHECK(m.get_stats().avg_cpu_saved_pct == 0);
  m.record_cpu_saved(10);
  CHECK(m.get_stats().avg_cpu_saved_pct == 10);
}

TEST_CASE("record_cpu_saved clamps to [0, 100] and ignores non-finite values", "[metrics]") {
  CacheMetrics m;
  m.record_cpu_saved(150);
  m.record_cpu_saved(-20);
  m.record_cpu_saved(std::numeric_limits<double>::quiet_NaN());
  m.record_cpu_saved(std::numeric_limits<double>::infinity());
  CHECK(m.get_stats().avg_cpu_saved_pct == 50);  // (100 + 0) / 2
}

TEST_CASE("global_metrics is one process-wide instance", "[metrics]") {
  CHECK(&smartcache::global_metrics() == &smartcache::global_metrics());
}
