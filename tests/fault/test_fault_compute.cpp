// smartcache tests - fault matrix: computes that hang, on the caller's thread
// and on the refresh pool.
// SPDX-License-Identifier: MIT
//
// SmartCache does not time out computes (Config has no such setting): a
// caller that wants a deadline applies its own. What it guarantees is that a
// hanging compute blocks only the callers of that key: other keys, invalidations
// and metrics go on, and once it completes every waiter is released.
// A hang is a compute blocked on a Latch the test opens.
#include <atomic>
#include <chrono>
#include <future>
#include <string>
#include <thread>
#include <vector>

#include <smartcache/stores/memory_store.hpp>
#include <smartcache/cache.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/exposition_checker.hpp"
#include "support/fault_injection.hpp"
#include "support/log_capture.hpp"

using namespace smartcache_test;
using namespace std::chrono_literals;

namespace {

constexpr auto patience = 50ms;   // the caller's own deadline: the cache keeps waiting
constexpr auto generous = 10s;    // bounded wait for threads that must finish

}  // namespace

TEST_CASE("a compute that hangs blocks only its key; its waiters are released when it completes",
          "[fault][compute]") {
  Harness<> h;
  auto& cache = h.make();
  Hold hold;
  std::atomic<int> computes{0};
  const auto slow = hold.compute([&] {
    computes.fetch_add(1);
    return 1;
  });
  auto leader =
      std::async(std::launch::async, [&] { return cache.get_or_compute("slow", slow).value; });
  REQUIRE(hold.wait_entered());

  std::vector<std::future<int>> waiters;
  for (int i = 0; i < 6; ++i)
    waiters.push_back(std::async(std::launch::async, [&] {
      return cache.get_or_compute("slow", [&] {
        computes.fetch_add(1);
        return 2;
      }).value;
    }));

  // The caller's deadline passes; the cache itself does not give up.
  CHECK(leader.wait_for(patience) == std::future_status::timeout);
  // Everything else goes on while the compute hangs.
  CHECK(cache.get_or_compute("other", [] { return 3; }).value == 3);
  CHECK(cache.get_or_compute("other", [] { return 4; }).strategy == smartcache::Strategy::serve_fresh);
  CHECK(cache.invalidate_all() >= 1);
  CHECK(check_exposition(h.metrics.to_prometheus()) == std::nullopt);

  hold.release();
  REQUIRE(leader.wait_for(generous) == std::future_status::ready);
  CHECK(leader.get() == 1);
  for (auto& w : waiters) {
    REQUIRE(w.wait_for(generous) == std::future_status::ready);
    const int v = w.get();
    CHECK((v == 1 || v == 2));  // joined the hang, or arrived after it and computed
  }
  const auto s = h.stats();
  CHECK(s.total_requests == 1 + 6 + 2);
  CHECK(strategy_sum(s) == s.total_requests);
  CHECK(computes.load() >= 1);
}

TEST_CASE("a compute that hangs and then throws releases every waiter with its exception",
          "[fault][compute]") {
  Harness<> h;
  auto& cache = h.make();
  Hold hold;
  auto call = [&] {
    try {
      cache.get_or_compute("k", [&]() -> int {
        hold.enter_and_wait();
        throw ComputeError{1};
      });
      return 0;
    } catch (const ComputeError&) {  // fields not read: see fault_injection.hpp
      return 1;
    } catch (...) {
      return -1;
    }
  };
  auto leader = std::async(std::launch::async, call);
  REQUIRE(hold.wait_entered());
  std::vector<std::future<int>> waiters;
  for (int i = 0; i < 4; ++i) waiters.push_back(std::async(std::launch::async, call));
  std::this_thread::sleep_for(patience);
  hold.release();
  REQUIRE(leader.wait_for(generous) == std::future_status::ready);
  CHECK(leader.get() == 1);
  for (auto& w : waiters) {
    REQUIRE(w.wait_for(generous) == std::future_status::ready);
    CHECK(w.get() == 1);  // the compute's own exception, never another one
  }
  CHECK(h.metrics.get_stats().total_requests == 5);
  CHECK(cache.store().size() == 0);
}

TEST_CASE("a background refresh that hangs: requests are still served, extra refreshes are dropped, "
          "destruction waits for it",
          "[fault][compute][swr]") {
  LogCapture quiet;
  smartcache::CacheMetrics metrics;
  FakeWallClock wall;
  Hold hold;  // the refresh compute
  auto cache = std::make_unique<smartcache::SmartCache<smartcache::MemoryStore<int>>>(
      pool_config(wall, 1, 2), metrics);

  for (int k = 0; k < 8; ++k) cache->get_or_compute("k" + std::to_string(k), [] { return 0; });
  wall.advance(90min);  // standard zone: fresh 1 h, stale window 1 h -> all stale

  for (int k = 0; k < 8; ++k) {
    const auto t0 = std::chrono::steady_clock::now();
    auto r = cache->get_or_compute("k" + std::to_string(k), hold.compute([] { return 1; }));
    CHECK(r.strategy == smartcache::Strategy::serve_stale);
    CHECK(r.value == 0);
    CHECK(std::chrono::steady_clock::now() - t0 < 2s);  // never waits for the pool
  }
  REQUIRE(hold.wait_entered());
  auto s = metrics.get_stats();
  CHECK(s.swr_background_dropped >= 8 - 1 - 2);  // one running, two queued, the rest dropped

  std::atomic<bool> destroyed{false};
  std::thread destroyer([&] {
    cache.reset();
    destroyed = true;
  });
  std::this_thread::sleep_for(patience);
  CHECK_FALSE(destroyed.load());  // waits for the running refresh
  hold.release();
  destroyer.join();
  CHECK(destroyed.load());
  s = metrics.get_stats();
  CHECK(s.swr_background_success >= 1);
  CHECK(s.total_requests == 16);
  CHECK(strategy_sum(s) == 16);
}
