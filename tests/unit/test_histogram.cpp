// LatencyHistogram: quantile accuracy, exact Prometheus buckets, window subtraction.
#include <smartcache/detail/metrics/histogram.hpp>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <cstring>
#include <limits>
#include <random>
#include <vector>

#include "support/catch.hpp"

using smartcache::detail::LatencyHistogram;

namespace {

// The nearest-rank quantile of a sample, the definition the histogram follows.
double exact_quantile(std::vector<double> values, double q) {
  std::sort(values.begin(), values.end());
  const auto n = static_cast<double>(values.size());
  auto rank = static_cast<std::size_t>(std::ceil(q * n));
  rank = std::clamp<std::size_t>(rank, 1, values.size());
  return values[rank - 1];
}

double relative_error(double estimate, double exact) { return std::abs(estimate - exact) / exact; }

LatencyHistogram histogram_of(const std::vector<double>& values) {
  LatencyHistogram h;
  for (double v : values) h.observe(v);
  return h;
}

constexpr double quantiles[] = {0.001, 0.01, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99, 0.999};

}  // namespace

static_assert(noexcept(std::declval<LatencyHistogram&>().observe(1.0)));
static_assert(noexcept(std::declval<const LatencyHistogram&>().quantile(0.5)));
static_assert(noexcept(std::declval<LatencyHistogram&>() -= std::declval<const LatencyHistogram&>()));
static_assert(noexcept(std::declval<LatencyHistogram&>().clear()));

TEST_CASE("quantiles stay within 1.6 % of the exact ones on known distributions", "[histogram]") {
  std::mt19937_64 rng(20261125);
  std::vector<double> values;
  const std::size_t n = 200000;
  values.reserve(n);

  SECTION("uniform 0.01 ms .. 1 s") {
    std::uniform_real_distribution<double> d(0.01, 1000.0);
    for (std::size_t i = 0; i < n; ++i) values.push_back(d(rng));
  }
  SECTION("exponential, mean 5 ms") {
    std::exponential_distribution<double> d(1.0 / 5.0);
    for (std::size_t i = 0; i < n; ++i) values.push_back(d(rng));
  }
  SECTION("memory-cache hits: lognormal, median 300 ns, sigma 0.5") {
    std::lognormal_distribution<double> d(std::log(3e-4), 0.5);
    for (std::size_t i = 0; i < n; ++i) values.push_back(d(rng));
  }
  SECTION("nanosecond scale: uniform 1 ns .. 1 us") {
    std::uniform_real_distribution<double> d(1e-6, 1e-3);
    for (std::size_t i = 0; i < n; ++i) values.push_back(d(rng));
  }
  SECTION("lognormal, median 1 ms, sigma 2") {
    std::lognormal_distribution<double> d(0.0, 2.0);
    for (std::size_t i = 0; i < n; ++i) values.push_back(d(rng));
  }

  const LatencyHistogram h = histogram_of(values);
  REQUIRE(h.count() == n);
  for (double q : quantiles) {
    const double exact = exact_quantile(values, q);
    CAPTURE(q, exact, h.quantile(q));
    CHECK(relative_error(h.quantile(q), exact) <= 1.0 / 64.0);
  }
}

TEST_CASE("a single value is reported within 1/64 anywhere in the accurate range", "[histogram]") {
  // 1 ns .. 100 s in steps of ~0.37 % (every fine bucket is hit).
  for (double v = 1e-6; v <= 1e5; v *= 1.0037) {
    LatencyHistogram h;
    h.observe(v);
    CAPTURE(v, h.quantile(0.5));
    REQUIRE(relative_error(h.quantile(0.5), v) <= 1.0 / 64.0);
  }
}

TEST_CASE("quantile edge cases", "[histogram]") {
  LatencyHistogram h;

  SECTION("empty: every quantile is 0") {
    for (double q : {0.0, 0.5, 0.99, 1.0}) CHECK(h.quantile(q) == 0.0);
    CHECK(h.count() == 0);
    CHECK(h.sum_ms() == 0.0);
  }
  SECTION("one value: every quantile is that value") {
    h.observe(12.5);
    for (double q : {0.0, 0.001, 0.5, 0.999, 1.0}) CHECK(relative_error(h.quantile(q), 12.5) <= 1.0 / 64.0);
  }
  SECTION("zero latency is reported as 0") {
    h.observe(0.0);
    h.observe(-0.0);
    CHECK(h.quantile(0.5) == 0.0);
    CHECK(h.quantile(1.0) == 0.0);
    CHECK(h.count() == 2);
  }
  SECTION("below the range (under 1 ns) reports 0") {
    h.observe(1e-7);
    h.observe(std::numeric_limits<double>::denorm_min());
    CHECK(h.quantile(1.0) == 0.0);
  }
  SECTION("above the range reports the 100 s edge") {
    h.observe(1e9);
    h.observe(std::numeric_limits<double>::max());
    CHECK(h.quantile(0.0) == 1e5);
    CHECK(h.quantile(1.0) == 1e5);
  }
  SECTION("the range edges themselves are accurate") {
    h.observe(1e-6);
    h.observe(1e5);
    CHECK(relative_error(h.quantile(0.0), 1e-6) <= 1.0 / 64.0);
    CHECK(relative_error(h.quantile(1.0), 1e5) <= 1.0 / 64.0);
  }
  SECTION("q is clamped to [0, 1]; NaN reads as 0") {
    for (double v : {1.0, 2.0, 4.0, 8.0}) h.observe(v);
    CHECK(h.quantile(-3.0) == h.quantile(0.0));
    CHECK(h.quantile(7.0) == h.quantile(1.0));
    CHECK(h.quantile(std::numeric_limits<double>::quiet_NaN()) == h.quantile(0.0));
    CHECK(relative_error(h.quantile(0.0), 1.0) <= 1.0 / 64.0);
    CHECK(relative_error(h.quantile(1.0), 8.0) <= 1.0 / 64.0);
    CHECK(relative_error(h.quantile(0.5), 2.0) <= 1.0 / 64.0);  // nearest rank: 2nd of 4
  }
}

TEST_CASE("count and sum are exact", "[histogram]") {
  LatencyHistogram h;
  for (double v : {0.0, 0.25, 1.5, 1000.0, 1e7}) h.observe(v);
  CHECK(h.count() == 5);
  CHECK(h.sum_ms() == 0.25 + 1.5 + 1000.0 + 1e7);
}

TEST_CASE("the fine key computed in constant expressions matches the bit pattern", "[histogram]") {
  using namespace smartcache::detail;
  std::mt19937_64 rng(7);
  std::uniform_real_distribution<double> exponent(-40.0, 40.0);
  for (int i = 0; i < 10000; ++i) {
    const double v = std::exp2(exponent(rng));
    std::uint64_t bits = 0;
    std::memcpy(&bits, &v, sizeof bits);
    CAPTURE(v);
    REQUIRE(fine_key_of(v) == bits >> fine_key_shift);
  }
  CHECK(fine_bucket_count < 1200);  // under 10 KiB of counts per histogram
}

TEST_CASE("bounds are kept finite, positive, sorted and unique", "[histogram]") {
  const double nan = std::numeric_limits<double>::quiet_NaN();
  const double inf = std::numeric_limits<double>::infinity();
  const LatencyHistogram h({5.0, nan, -1.0, 0.0, inf, 1.0, 1.0, 0.5, -inf});
  CHECK(h.bounds_seconds() == std::vector<double>{0.5, 1.0, 5.0});
  CHECK(h.cumulative_counts().size() == 3);

  CHECK(LatencyHistogram().bounds_seconds() == smartcache::detail::default_latency_buckets_seconds());
  CHECK(LatencyHistogram(std::vector<double>{}).cumulative_counts().empty());
}

TEST_CASE("cumulative bucket counts are exact, values on a bound included", "[histogram]") {
  LatencyHistogram h;
  const std::vector<double>& bounds = h.bounds_seconds();
  REQUIRE(bounds.size() == 16);

  SECTION("whole milliseconds exactly on the bounds") {
    // 1 ms .. 10 s: each value is exactly one bound, so bucket i holds i - 2 of them.
    const std::vector<double> on_bounds_ms = {1, 2.5, 5, 10, 25, 50, 100, 250, 500, 1000, 2500, 5000, 10000};
    for (double v : on_bounds_ms) h.observe(v);
    const auto c = h.cumulative_counts();
    CHECK(c[0] == 0);  // 0.0001 s
    CHECK(c[2] == 0);  // 0.0005 s
    CHECK(c[3] == 1);  // 0.001 s holds 1 ms
    CHECK(c[5] == 3);  // 0.005 s holds 1, 2.5, 5 ms
    CHECK(c[15] == 13);
    for (std::size_t i = 3; i < c.size(); ++i) CHECK(c[i] == i - 2);
  }
  SECTION("just above a bound is in the next bucket") {
    h.observe(5.0001);
    const auto c = h.cumulative_counts();
    CHECK(c[5] == 0);
    CHECK(c[6] == 1);
  }
  SECTION("random values and every bound's own neighbourhood against brute force") {
    std::mt19937_64 rng(42);
    std::lognormal_distribution<double> d(1.0, 3.0);
    std::vector<double> values;
    for (int i = 0; i < 20000; ++i) values.push_back(d(rng));
    for (double b : bounds) {
      const double ms = b * 1000.0;
      for (double v : {ms, std::nextafter(ms, 0.0), std::nextafter(ms, 1e300), b * 1000.0 * (1 + 1e-15)})
        values.push_back(v);
    }
    values.push_back(0.0);
    values.push_back(20000.0);  // beyond the last bound: only in +Inf
    for (double v : values) h.observe(v);
    const auto c = h.cumulative_counts();
    for (std::size_t i = 0; i < bounds.size(); ++i) {
      const auto expected = static_cast<std::uint64_t>(
          std::count_if(values.begin(), values.end(), [&](double v) { return v / 1000.0 <= bounds[i]; }));
      CAPTURE(i, bounds[i]);
      CHECK(c[i] == expected);
    }
    CHECK(c.back() < h.count());
  }
}

TEST_CASE("operator-= leaves the window since the baseline", "[histogram]") {
  LatencyHistogram lifetime;
  for (double v : {0.2, 3.0, 40.0, 40.0, 7000.0}) lifetime.observe(v);
  const LatencyHistogram baseline = lifetime;

  const std::vector<double> later = {0.0, 1.0, 9.0, 90.0, 2e6};
  for (double v : later) lifetime.observe(v);
  LatencyHistogram window = lifetime;
  window -= baseline;
  const LatencyHistogram expected = histogram_of(later);

  CHECK(window.count() == expected.count());
  CHECK(std::abs(window.sum_ms() - expected.sum_ms()) <= 1e-9 * expected.sum_ms());
  CHECK(window.cumulative_counts() == expected.cumulative_counts());
  for (double q : quantiles) CHECK(window.quantile(q) == expected.quantile(q));

  SECTION("subtracting itself leaves an empty histogram") {
    window -= window;
    CHECK(window.count() == 0);
    CHECK(window.sum_ms() == 0.0);
    CHECK(window.quantile(0.5) == 0.0);
  }
  SECTION("a baseline that is not a past state saturates at zero") {
    LatencyHistogram small;
    small.observe(3.0);
    small -= lifetime;
    CHECK(small.count() == 0);
    CHECK(small.sum_ms() == 0.0);
    for (auto c : small.cumulative_counts()) CHECK(c == 0);
  }
}

TEST_CASE("clear forgets observations and keeps the bounds", "[histogram]") {
  LatencyHistogram h({0.001, 0.01});
  for (double v : {0.5, 5.0, 50.0, 1e8}) h.observe(v);
  h.clear();
  CHECK(h.count() == 0);
  CHECK(h.sum_ms() == 0.0);
  CHECK(h.quantile(0.99) == 0.0);
  CHECK(h.bounds_seconds() == std::vector<double>{0.001, 0.01});
  CHECK(h.cumulative_counts() == std::vector<std::uint64_t>{0, 0});
  h.observe(5.0);
  CHECK(h.cumulative_counts() == std::vector<std::uint64_t>{0, 1});
}
