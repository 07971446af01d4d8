// smartcache tests - fault matrix: an invalidation racing a compute in flight.
// SPDX-License-Identifier: MIT
//
// The invalidation guard keeps a compute that an invalidation overtook from
// STORING its value (tests/unit/test_smart_cache_invalidation.cpp). This file pins
// down the remaining window: a request that starts after invalidate_by_event
// returned, for a key whose compute began before it, must not receive that
// compute's pre-invalidation value through single-flight.
#include <atomic>
#include <chrono>
#include <future>
#include <thread>

#include <smartcache/stores/memory_store.hpp>
#include <smartcache/cache.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/fault_injection.hpp"

using namespace smartcache_test;
using namespace std::chrono_literals;

// A request that arrives after the invalidation must not join the compute the
// invalidation overtook (SingleFlight's joinable label, see smart_cache.hpp).
TEST_CASE("a request after an invalidation never gets a value computed before it", "[fault][invalidation]") {
  Harness<> h;
  auto& cache = h.make();
  cache.tag_manager().add_rule("goal", {"btts"});
  const smartcache::RequestContext ctx{{"match:1", "btts"}, std::nullopt, {}};
  std::atomic<int> version{1};
  Hold hold;
  const auto old_read = hold.compute([&] { return version.load(); });  // reads before the change
  auto before = std::async(std::launch::async,
                           [&] { return cache.get_or_compute("k", old_read, ctx).value; });
  REQUIRE(hold.wait_entered());

  version = 2;                                       // the data changes,
  cache.invalidate_by_event({"goal", "match:1"});    // the cache is told,
  auto after = std::async(std::launch::async, [&] {  // and only then this request starts
    return cache.get_or_compute("k", [&] { return version.load(); }, ctx).value;
  });
  std::this_thread::sleep_for(50ms);  // let it reach the cache before the old compute ends
  hold.release();

  CHECK(before.get() == 1);  // the overtaken caller keeps its own answer
  CHECK(after.get() == 2);   // the later one must not see version 1
  CHECK(cache.get_or_compute("k", [&] { return version.load(); }, ctx).value == 2);
}
