// Single-flight: concurrent callers of one missing key share one compute, or its exception.
#include <atomic>
#include <functional>
#include <optional>
#include <utility>
#include <chrono>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <smartcache/detail/core/single_flight.hpp>
#include <smartcache/cache.hpp>
#include <smartcache/stores/memory_store.hpp>

#include "support/cache_fixtures.hpp"
#include "support/catch.hpp"
#include "support/fault_injection.hpp"
#include "support/stats_check.hpp"

using namespace std::chrono_literals;
using smartcache::Strategy;
using smartcache_test::check_stats;

using smartcache_test::run_threads;
using smartcache_test::wait_for;

namespace {

constexpr int threads = 8;

// `threads` callers of one missing key: each counts itself in `arrived`; the
// compute calls computing() first, which counts it and gives the others time
// to arrive: they wait on this compute or, arriving after it, find its result.
struct Callers {
  std::atomic<int> arrived{0};
  std::atomic<int> computes{0};
  void computing() {
    ++computes;
    (void)wait_for([&] { return arrived == threads; });
    std::this_thread::sleep_for(20ms);
  }
};

}  // namespace

TEST_CASE("SingleFlight: waiters share the leader's value", "[single_flight]") {
  smartcache::detail::SingleFlight<std::string> flight;
  std::atomic<int> calls{0};
  std::atomic<bool> timed_out{false};
  std::vector<std::string> got(threads);
  std::vector<int> led(threads);  // not vector<bool>: threads write neighbouring elements
  run_threads(threads, [&](int i) {
    auto out = flight.run("k", [&] {
      ++calls;
      // The leader returns only once every other caller waits on it.
      if (!wait_for([&] { return flight.waiting() == threads - 1; })) timed_out = true;
      return std::string("value");
    });
    got[static_cast<std::size_t>(i)] = out.value;
    led[static_cast<std::size_t>(i)] = out.leader ? 1 : 0;
  });
  REQUIRE_FALSE(timed_out);
  CHECK(calls == 1);
  int leaders = 0;
  for (int i = 0; i < threads; ++i) {
    CHECK(got[static_cast<std::size_t>(i)] == "value");
    leaders += led[static_cast<std::size_t>(i)];
  }
  CHECK(leaders == 1);
  CHECK(flight.in_flight() == 0);
  CHECK(flight.waiting() == 0);
  // The key is free again: a new call computes afresh.
  CHECK(flight.run("k", [] { return std::string("again"); }).value == "again");
}

TEST_CASE("SingleFlight: waiters all receive the leader's exception", "[single_flight]") {
  smartcache::detail::SingleFlight<int> flight;
  std::atomic<int> calls{0};
  std::atomic<int> caught{0};
  std::atomic<bool> timed_out{false};
  run_threads(threads, [&](int) {
    try {
      (void)flight.run("k", [&]() -> int {
        ++calls;
        if (!wait_for([&] { return flight.waiting() == threads - 1; })) timed_out = true;
        throw std::runtime_error("boom");
      });
    } catch (const std::runtime_error& e) {
      if (std::string(e.what()) == "boom") ++caught;
    }
  });
  REQUIRE_FALSE(timed_out);
  CHECK(calls == 1);
  CHECK(caught == threads);
  CHECK(flight.in_flight() == 0);
}

TEST_CASE("SmartCache: N threads missing one key run one compute and all get its value",
          "[smart_cache][single_flight]") {
  smartcache_test::Harness<> h;
  auto& cache = h.make();
  Callers callers;
  std::atomic<int> wrong{0};
  std::vector<Strategy> strategies(threads);
  run_threads(threads, [&](int i) {
    ++callers.arrived;
    auto r = cache.get_or_compute("k", [&] {
      callers.computing();
      return 42;
    });
    if (r.value != 42) ++wrong;
    strategies[static_cast<std::size_t>(i)] = r.strategy;
  });
  CHECK(callers.computes == 1);  // never a second compute
  CHECK(wrong == 0);
  for (auto s : strategies) CHECK((s == Strategy::compute || s == Strategy::serve_fresh));
  const auto s = h.stats();
  CHECK(s.total_requests == threads);
  CHECK(s.strategy_compute + s.strategy_serve_fresh == threads);
  CHECK(s.cache_miss == s.strategy_compute);
  CHECK(h.store->size() == 1);
}

TEST_CASE("SmartCache: a compute that throws reaches every caller and stores nothing",
          "[smart_cache][single_flight]") {
  smartcache_test::Harness<> h;
  auto& cache = h.make();
  std::atomic<int> caught{0};
  Callers callers;
  run_threads(threads, [&](int) {
    ++callers.arrived;
    try {
      (void)cache.get_or_compute("k", [&]() -> int {
        callers.computing();
        throw std::runtime_error("model down");
      });
    } catch (const std::runtime_error&) {
      ++caught;
    }
  });
  CHECK(caught == threads);
  CHECK(callers.computes >= 1);
  CHECK(callers.computes <= threads);
  CHECK(h.store->size() == 0);
  check_stats(h.stats(), {{"total_requests", threads},  // failed requests still count
                          {"strategy_compute", threads}});
}

namespace {

// A MemoryStore whose get runs a hook after looking up: lets a test store a
// value "from another thread" between a request's lookup and its compute.
struct HookStore : smartcache::MemoryStore<int> {
  std::function<void()> after_get;
  int gets = 0;
  std::optional<smartcache::StoredValue<int>> get(std::string_view key, smartcache::WallTime now) {
    auto e = smartcache::MemoryStore<int>::get(key, now);
    ++gets;
    if (after_get) std::exchange(after_get, nullptr)();
    return e;
  }
};

}  // namespace

TEST_CASE("SmartCache: a miss that raced another's compute uses its stored value", "[smart_cache][single_flight]") {
  smartcache_test::Harness<HookStore> h;
  auto& cache = h.make();
  h.store->after_get = [&h] {
    const auto now = h.wall.now();
    (void)h.store->put("k", {7, now, now + 1h, now + 2h, {}}, now);
  };
  std::atomic<int> calls{0};
  auto r = cache.get_or_compute("k", smartcache_test::CountingCompute{&calls, 8});
  CHECK(r.value == 7);
  CHECK(calls == 0);
  CHECK(h.store->gets == 2);
  CHECK(r.strategy == Strategy::compute);  // it missed, then shared a compute's result
  CHECK(h.stats().cache_miss == 1);
}
