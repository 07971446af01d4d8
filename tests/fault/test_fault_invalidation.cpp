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
#include <functional>
#include <future>
#include <memory>
#include <optional>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

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

namespace {

// A MemoryStore<int> whose gets call a hook after reading (numbered from 1).
class HookedStore {
 public:
  using value_type = int;
  std::function<void(int)> after_get;  // set before the requests start

  std::optional<smartcache::StoredValue<int>> get(std::string_view key, smartcache::WallTime now) {
    auto e = inner.get(key, now);
    if (after_get) after_get(++gets_);
    return e;
  }
  std::size_t put(std::string_view key, smartcache::Entry<int> e, smartcache::WallTime now) {
    return inner.put(key, std::move(e), now);
  }
  bool erase(std::string_view key) { return inner.erase(key); }
  std::size_t erase_tagged(std::string_view scope, const std::vector<std::string>& any_of) {
    return inner.erase_tagged(scope, any_of);
  }
  std::size_t clear() { return inner.clear(); }
  std::size_t size() { return inner.size(); }

  smartcache::MemoryStore<int> inner;

 private:
  std::atomic<int> gets_{0};
};

}  // namespace

// A flight's leader that missed looks at the store once more before
// computing (another request may have stored the key meanwhile) and, when it
// finds the value there, returns it to everyone in the flight. The flight used
// to get its invalidation label only after that re-read: an invalidation
// during the re-read poisoned nothing, and a request that started after it
// joined the flight and received the value read before it.
TEST_CASE("a request after an invalidation never gets a value the flight's leader re-read before it",
          "[fault][invalidation]") {
  Harness<HookedStore> h;
  auto& cache = h.make();
  cache.tag_manager().add_rule("goal", {"btts"});
  const smartcache::RequestContext ctx{{"match:1", "btts"}, std::nullopt, {}};
  auto& store = *h.store;
  Latch reread, go_on;
  store.after_get = [&](int n) {
    if (n == 1) {  // the leader's lookup missed; another request stores version 1
      smartcache::Entry<int> e;
      e.value = 1;
      e.stored_at = h.wall.now();
      e.fresh_until = e.stale_until = h.wall.now() + 1h;
      e.tags = ctx.tags;
      (void)store.inner.put("k", std::move(e), h.wall.now());
    } else if (n == 2) {  // the leader's re-read found version 1 and stalls here
      reread.open();
      go_on.wait();
    }
  };
  std::atomic<int> version{1};
  auto before = std::async(std::launch::async,
                           [&] { return cache.get_or_compute("k", [&] { return version.load(); }, ctx).value; });
  reread.wait();

  version = 2;
  CHECK(cache.invalidate_by_event({"goal", "match:1"}).keys_deleted == 1);
  auto after = std::async(std::launch::async, [&] {
    return cache.get_or_compute("k", [&] { return version.load(); }, ctx).value;
  });
  // Fixed, `after` leads a flight of its own and returns at once; joined to
  // the stalled one, it would wait for it (released below in any case).
  (void)after.wait_for(10s);
  go_on.open();

  CHECK(before.get() == 1);  // the leader keeps what it read
  CHECK(after.get() == 2);
}
