// Latency sampling: every request counts, only observations are sampled.
#include <smartcache/smartcache.hpp>

#include <cmath>
#include <limits>

#include "support/catch.hpp"
#include "support/log_capture.hpp"

using smartcache::CacheMetrics;

TEST_CASE("sampling never skips total_requests", "[metrics][sampling]") {
  // The reference reported 8 requests out of 100 at a 10 % rate.
  const double rate = GENERATE(0.0, 0.01, 0.1, 0.5, 1.0);
  CAPTURE(rate);
  CacheMetrics m;
  m.set_latency_sampling(rate);
  for (int i = 0; i < 1000; ++i) m.record_latency(1.0);
  const auto s = m.get_stats();
  CHECK(s.total_requests == 1000);
  if (rate == 0.0) CHECK(s.latency_samples == 0);
  if (rate == 1.0) CHECK(s.latency_samples == 1000);
}

TEST_CASE("the observed fraction follows the rate", "[metrics][sampling]") {
  const double rate = GENERATE(0.01, 0.1, 0.5);
  CAPTURE(rate);
  CacheMetrics m;
  m.set_latency_sampling(rate);
  const int n = 200000;
  for (int i = 0; i < n; ++i) m.record_latency(1.0);
  const double observed = static_cast<double>(m.get_stats().latency_samples) / n;
  // Binomial: 6 standard deviations keeps this deterministic in practice.
  const double sd = std::sqrt(rate * (1 - rate) / n);
  CHECK(std::abs(observed - rate) <= 6 * sd);
}

TEST_CASE("should_sample_latency follows the rate as well", "[metrics][sampling]") {
  CacheMetrics m;
  m.set_latency_sampling(0.2);
  int yes = 0;
  const int n = 100000;
  for (int i = 0; i < n; ++i) yes += m.should_sample_latency() ? 1 : 0;
  CHECK(std::abs(yes / double(n) - 0.2) <= 6 * std::sqrt(0.2 * 0.8 / n));
  m.set_latency_sampling(1.0);
  for (int i = 0; i < 1000; ++i) REQUIRE(m.should_sample_latency());
  m.set_latency_sampling(0.0);
  for (int i = 0; i < 1000; ++i) REQUIRE_FALSE(m.should_sample_latency());
}

TEST_CASE("sampling rates clamp to [0, 1]", "[metrics][sampling]") {
  CacheMetrics m;
  m.set_latency_sampling(7.5);
  CHECK(m.latency_sample_rate() == 1.0);
  m.set_latency_sampling(-3);
  CHECK(m.latency_sample_rate() == 0.0);
  m.set_latency_sampling(std::numeric_limits<double>::infinity());
  CHECK(m.latency_sample_rate() == 1.0);
  m.set_latency_sampling(-std::numeric_limits<double>::infinity());
  CHECK(m.latency_sample_rate() == 0.0);
}

TEST_CASE("a NaN rate leaves the rate unchanged and warns", "[metrics][sampling]") {
  smartcache_test::LogCapture logs;
  CacheMetrics m;
  m.set_latency_sampling(0.3);
  m.set_latency_sampling(std::numeric_limits<double>::quiet_NaN());
  CHECK(m.latency_sample_rate() == 0.3);
  CHECK(logs.count(smartcache::LogLevel::warning) == 1);
}

TEST_CASE("the sampling rate is configurable at construction and reported", "[metrics][sampling]") {
  smartcache::MetricsOptions options;
  options.latency_sample_rate = 0.05;
  CacheMetrics m(options);
  CHECK(m.latency_sample_rate() == 0.05);
  CHECK(m.get_stats().latency_sample_rate == 0.05);
}

TEST_CASE("a tiny positive rate still samples sometimes", "[metrics][sampling]") {
  smartcache::detail::Sampler s(1e-300);
  CHECK(s.rate() > 0);
  smartcache::detail::Sampler never(0.0);
  for (int i = 0; i < 10000; ++i) REQUIRE_FALSE(never.sample());
}

TEST_CASE("sampled-out requests follow resets and the exposition like the others",
          "[metrics][sampling][reset]") {
  CacheMetrics m;
  m.set_latency_sampling(0.0);  // every record_latency takes the lock-free path
  for (int i = 0; i < 10; ++i) m.record_latency(1.0);
  CHECK(m.get_stats().total_requests == 10);
  m.reset_category(smartcache::Category::performance);
  CHECK(m.get_stats().total_requests == 0);
  m.record_latency(1.0);
  m.record_request(smartcache::RequestRecord{});
  CHECK(m.get_stats().total_requests == 2);
  const std::string text = m.to_prometheus();
  CHECK(text.find("\nsmartcache_requests_total 12\n") != std::string::npos);
}
