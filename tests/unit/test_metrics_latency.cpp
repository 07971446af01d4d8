// Latency figures: bad input, min/max/avg, quantiles, no inf or NaN.
#include <smartcache/smartcache.hpp>

#include <algorithm>
#include <cmath>
#include <limits>
#include <random>
#include <vector>

#include "support/catch.hpp"
#include "support/log_capture.hpp"
#include "support/stats_check.hpp"

using smartcache::CacheMetrics;
using smartcache_test::check_stats;

namespace {
bool all_finite(const smartcache::Stats& s) {
  bool ok = true;
  s.for_each([&](std::string_view, double v) { ok = ok && std::isfinite(v); });
  return ok;
}
}  // namespace

TEST_CASE("with no samples every latency figure is 0, never inf or NaN", "[metrics][latency]") {
  CacheMetrics m;
  m.increment(smartcache::Counter::total_requests, 3);
  const auto s = m.get_stats();
  check_stats(s, {{"min_latency_ms", 0}, {"max_latency_ms", 0}, {"avg_latency_ms", 0},
                  {"p50_latency_ms", 0}, {"p999_latency_ms", 0}, {"hit_rate_pct", 0},
                  {"vix_panic_rate_pct", 0}});
  CHECK(all_finite(s));
}

TEST_CASE("bad latencies are counted, not observed, and never throw", "[metrics][latency]") {
  smartcache_test::LogCapture logs;
  CacheMetrics m;
  const double bad = GENERATE(-1.0, -0.0001, std::numeric_limits<double>::quiet_NaN(),
                              std::numeric_limits<double>::infinity(),
                              -std::numeric_limits<double>::infinity());
  m.record_latency(5.0);
  m.record_latency(bad);
  const auto s = m.get_stats();
  check_stats(s, {{"total_requests", 2}, {"latency_rejected", 1}, {"latency_samples", 1},
                  {"max_latency_ms", 5.0}, {"min_latency_ms", 5.0}});
  CHECK(all_finite(s));
}

TEST_CASE("rejected latencies are logged once in a while, not per call", "[metrics][latency]") {
  smartcache_test::LogCapture logs;
  CacheMetrics m;
  for (int i = 0; i < 10000; ++i) m.record_latency(-1.0);
  CHECK(m.get_stats().latency_rejected == 10000);
  CHECK(logs.count(smartcache::LogLevel::warning) >= 1);
  CHECK(logs.count(smartcache::LogLevel::warning) <= 3);  // one per second at most
}

TEST_CASE("zero latency is a valid observation", "[metrics][latency]") {
  CacheMetrics m;
  m.record_latency(0.0);
  check_stats(m.get_stats(), {{"latency_samples", 1}, {"latency_rejected", 0},
                              {"min_latency_ms", 0}});
}

TEST_CASE("min, max and average are exact", "[metrics][latency]") {
  CacheMetrics m;
  for (double v : {4.0, 1.5, 9.25, 3.0}) m.record_latency(v);
  const auto s = m.get_stats();
  check_stats(s, {{"min_latency_ms", 1.5}, {"max_latency_ms", 9.25}});
  CHECK(std::abs(s.avg_latency_ms - 17.75 / 4) < 1e-12);
}

TEST_CASE("quantiles are within 3 % of the exact ones", "[metrics][latency]") {
  std::mt19937_64 rng(42);
  std::vector<double> values;
  SECTION("lognormal around 1 ms") {
    std::lognormal_distribution<double> d(0.0, 1.0);
    for (int i = 0; i < 100000; ++i) values.push_back(d(rng));
  }
  SECTION("uniform 0.05 - 250 ms") {
    std::uniform_real_distribution<double> d(0.05, 250.0);
    for (int i = 0; i < 100000; ++i) values.push_back(d(rng));
  }
  SECTION("exponential, mean 20 ms") {
    std::exponential_distribution<double> d(1.0 / 20);
    for (int i = 0; i < 100000; ++i) values.push_back(d(rng) + 0.001);
  }
  CacheMetrics m;
  for (double v : values) m.record_latency(v);
  std::sort(values.begin(), values.end());
  const auto exact = [&](double q) {
    return values[static_cast<std::size_t>(std::ceil(q * static_cast<double>(values.size()))) - 1];
  };
  const auto s = m.get_stats();
  for (auto [q, got] : {std::pair{0.5, s.p50_latency_ms}, std::pair{0.9, s.p90_latency_ms},
                        std::pair{0.99, s.p99_latency_ms}, std::pair{0.999, s.p999_latency_ms}}) {
    CAPTURE(q, got, exact(q));
    CHECK(std::abs(got - exact(q)) <= 0.03 * exact(q));
  }
}

TEST_CASE("quantiles stay inside [min, max]", "[metrics][latency]") {
  CacheMetrics m;
  m.record_latency(7.0);
  check_stats(m.get_stats(), {{"p50_latency_ms", 7.0}, {"p999_latency_ms", 7.0}});
}

TEST_CASE("huge latencies are rejected, so the average never overflows to inf",
          "[metrics][latency][regression]") {
  smartcache_test::LogCapture logs;
  CacheMetrics m;
  m.record_latency(std::numeric_limits<double>::max());
  m.record_latency(std::numeric_limits<double>::max());
  m.record_latency(1.0);
  const auto s = m.get_stats();
  CHECK(all_finite(s));
  check_stats(s, {{"total_requests", 3}, {"latency_rejected", 2}, {"latency_samples", 1},
                  {"avg_latency_ms", 1.0}, {"max_latency_ms", 1.0}});
}

TEST_CASE("the observable latency range ends at one hour, inclusive", "[metrics][latency]") {
  static_assert(smartcache::observable_latency(0.0));
  static_assert(smartcache::observable_latency(smartcache::max_latency_ms));
  static_assert(!smartcache::observable_latency(-0.001));
  smartcache_test::LogCapture logs;
  SECTION("record_latency") {
    CacheMetrics m;
    m.record_latency(0.0);
    m.record_latency(smartcache::max_latency_ms);
    m.record_latency(std::nextafter(smartcache::max_latency_ms, 1e300));
    m.record_latency(-std::numeric_limits<double>::min());
    const auto s = m.get_stats();
    check_stats(s, {{"latency_samples", 2}, {"latency_rejected", 2},
                    {"max_latency_ms", smartcache::max_latency_ms}, {"min_latency_ms", 0.0}});
    CHECK(all_finite(s));
  }
  SECTION("record_request") {
    CacheMetrics m;
    smartcache::RequestRecord r;
    r.strategy = smartcache::Strategy::compute;
    r.latency_ms = smartcache::max_latency_ms * 2;
    m.record_request(r);
    r.latency_ms = std::numeric_limits<double>::max();
    m.record_request(r);
    r.latency_ms = smartcache::max_latency_ms;
    m.record_request(r);
    const auto s = m.get_stats();
    check_stats(s, {{"total_requests", 3}, {"latency_rejected", 2}, {"latency_samples", 1}});
    CHECK(all_finite(s));
  }
}
