// SmartCache configuration and value types: config() after clamping; values
// without a default constructor.
#include <chrono>
#include <cmath>
#include <limits>
#include <memory>
#include <string>

#include <smartcache/cache.hpp>
#include <smartcache/stores/memory_store.hpp>

#include "support/catch.hpp"

using namespace std::chrono_literals;

TEST_CASE("config() shows every field after clamping", "[smart_cache][config][regression]") {
  smartcache::CacheMetrics metrics;
  smartcache::Config cfg;
  cfg.ttl_jitter = 5;
  cfg.vix_warning_factor = 7;
  cfg.stale_if_error = -1s;
  cfg.refresh_retry_backoff = -5ms;
  cfg.refresh_lock_ttl = 0ms;
  cfg.refresh_threads = 0;
  cfg.refresh_queue = 0;
  cfg.zones.set_policy(smartcache::Zone::golden, {-1s, -2s});
  smartcache::SmartCache<smartcache::MemoryStore<int>> cache(cfg, metrics);
  const smartcache::Config& c = cache.config();
  CHECK(c.ttl_jitter == 0.5);
  CHECK(c.vix_warning_factor == 1.0);
  CHECK(c.stale_if_error == 0ms);
  CHECK(c.refresh_retry_backoff == 0ms);
  CHECK(c.refresh_lock_ttl == 1ms);
  CHECK(c.refresh_threads == 1);
  CHECK(c.refresh_queue == 1);
  CHECK(c.zones.policy(smartcache::Zone::golden).fresh_ttl == 0ms);
  CHECK(c.zones.policy(smartcache::Zone::golden).stale_window == 0ms);
}

TEST_CASE("clamped() maps NaN and out-of-range factors into range", "[config]") {
  smartcache::Config cfg;
  SECTION("NaN") {
    cfg.ttl_jitter = std::numeric_limits<double>::quiet_NaN();
    cfg.vix_warning_factor = std::numeric_limits<double>::quiet_NaN();
    const auto c = smartcache::clamped(cfg);
    CHECK(c.ttl_jitter == 0.0);
    CHECK(c.vix_warning_factor == 1.0);
  }
  SECTION("below range") {
    cfg.ttl_jitter = -0.3;
    cfg.vix_warning_factor = -2;
    const auto c = smartcache::clamped(cfg);
    CHECK(c.ttl_jitter == 0.0);
    CHECK(c.vix_warning_factor > 0.0);
    CHECK(c.vix_warning_factor == std::numeric_limits<double>::min());
  }
  SECTION("in range is unchanged") {
    cfg.ttl_jitter = 0.2;
    cfg.vix_warning_factor = 0.25;
    cfg.stale_if_error = 3s;
    const auto c = smartcache::clamped(cfg);
    CHECK(c.ttl_jitter == 0.2);
    CHECK(c.vix_warning_factor == 0.25);
    CHECK(c.stale_if_error == 3s);
  }
}

namespace {
// A value type without a default constructor: a price must have an amount.
class Price {
 public:
  explicit Price(double amount) : amount_(amount) {}
  [[nodiscard]] double amount() const { return amount_; }

 private:
  double amount_;
};
static_assert(!std::is_default_constructible_v<Price>);
}  // namespace

TEST_CASE("a value type without a default constructor is cached and served",
          "[smart_cache][config][regression]") {
  smartcache::CacheMetrics metrics;
  smartcache::SmartCache<smartcache::MemoryStore<Price>> cache({}, metrics);
  int calls = 0;
  const auto compute = [&calls] {
    ++calls;
    return Price(1.85);
  };
  const auto first = cache.get_or_compute("odds:42", compute);
  const auto second = cache.get_or_compute("odds:42", compute);
  CHECK(first.value.amount() == 1.85);
  CHECK(second.value.amount() == 1.85);
  CHECK(second.strategy == smartcache::Strategy::serve_fresh);
  CHECK(calls == 1);
  // Eviction and reuse of the store's slots work without a default value.
  smartcache::MemoryStore<Price> small(2);
  const auto now = std::chrono::system_clock::now();
  for (int i = 0; i < 10; ++i)
    (void)small.put("k" + std::to_string(i),
                    smartcache::Entry<Price>{Price(i), now, now + 1h, now + 2h, {"t"}}, now);
  const std::size_t kept = small.size();
  CHECK(kept == 2);
  CHECK(small.get("k9", now)->value.amount() == 9.0);
  CHECK(small.erase_tagged("t", {}) == kept);
  CHECK(small.size() == 0);
}
