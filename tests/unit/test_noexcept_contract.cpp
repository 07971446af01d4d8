// Compile-time contracts: recording never throws.
#include <smartcache/smartcache.hpp>

#include "support/catch.hpp"

namespace {
smartcache::CacheMetrics& m = smartcache::global_metrics();
const smartcache::RequestRecord request{};
const smartcache::InvalidationRecord invalidation{};
}  // namespace

static_assert(noexcept(m.increment(smartcache::Counter::cache_miss)));
static_assert(noexcept(m.increment(smartcache::Counter::cache_miss, 2)));
static_assert(noexcept(m.increment(std::string_view("cache_miss"))));
static_assert(noexcept(m.record_latency(1.0)));
static_assert(noexcept(m.record_cpu_saved(1.0)));
static_assert(noexcept(m.set_latency_sampling(0.5)));
static_assert(noexcept(m.latency_sample_rate()));
static_assert(noexcept(m.should_sample_latency()));
static_assert(noexcept(m.record_request(request)));
static_assert(noexcept(m.record_invalidation(invalidation)));
static_assert(noexcept(m.reset_category(smartcache::Category::vix)));
static_assert(noexcept(m.reset_category(std::string_view("vix"))));
static_assert(noexcept(m.reset()));
static_assert(noexcept(smartcache::detail::log(smartcache::LogLevel::info, "x")));
static_assert(!std::is_copy_constructible_v<smartcache::CacheMetrics>);
static_assert(std::is_same_v<decltype(m.increment(std::string_view("x"))), bool>);
static_assert(std::is_same_v<decltype(m.reset_category(std::string_view("x"))), bool>);

TEST_CASE("noexcept contracts hold (checked at compile time)", "[contract]") {
  CHECK(noexcept(m.record_latency(1.0)));
}
