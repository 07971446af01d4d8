// smartcache tests - fake clocks and a hand-driven executor for SmartCache tests.
// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <smartcache/config.hpp>
#include <smartcache/request.hpp>
#include <smartcache/stores/memory_store.hpp>
#include <smartcache/smartcache.hpp>
#include <smartcache/cache.hpp>

namespace smartcache_test {

// Spins until pred() holds; false after `timeout`. Between tries it yields,
// or sleeps `poll` when given (a busy machine, threads doing real work). For
// waiting on a background thread's progress, never for correctness by elapsed time.
template <class P>
bool wait_for(P pred, std::chrono::seconds timeout = std::chrono::seconds(10),
              std::chrono::milliseconds poll = std::chrono::milliseconds(0)) {
  const auto deadline = std::chrono::steady_clock::now() + timeout;
  while (!pred()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    if (poll.count() > 0)
      std::this_thread::sleep_for(poll);
    else
      std::this_thread::yield();
  }
  return true;
}

// A wall clock that moves only when told; copies (in Config) share the time.
class FakeWallClock {
 public:
  using time_point = std::chrono::system_clock::time_point;

  explicit FakeWallClock(time_point start = time_point(std::chrono::hours(24 * 365 * 50)))
      : ns_(std::make_shared<std::atomic<std::int64_t>>(to_ns(start))) {}

  [[nodiscard]] time_point now() const noexcept {
    return time_point(std::chrono::duration_cast<time_point::duration>(std::chrono::nanoseconds(ns_->load())));
  }
  template <class D>
  void advance(D d) noexcept {
    ns_->fetch_add(std::chrono::duration_cast<std::chrono::nanoseconds>(d).count());
  }
  void set(time_point t) noexcept { ns_->store(to_ns(t)); }

  [[nodiscard]] std::function<time_point()> fn() const {
    auto ns = ns_;
    return [ns] { return time_point(std::chrono::duration_cast<time_point::duration>(std::chrono::nanoseconds(ns->load()))); };
  }

 private:
  static std::int64_t to_ns(time_point t) noexcept {
    return std::chrono::duration_cast<std::chrono::nanoseconds>(t.time_since_epoch()).count();
  }
  std::shared_ptr<std::atomic<std::int64_t>> ns_;
};

// A steady clock that moves only when told (latency tests); counts its reads.
class FakeSteadyClock {
 public:
  using time_point = std::chrono::steady_clock::time_point;

  [[nodiscard]] std::function<time_point()> fn() const {
    auto s = state_;
    return [s] {
      s->reads.fetch_add(1);
      if (s->throw_next.exchange(false)) throw std::runtime_error("clock failure");
      return time_point(std::chrono::nanoseconds(s->ns.fetch_add(s->step_ns.load())));
    };
  }
  // Each read returns the current time and then moves the clock by `step`.
  template <class D>
  void set_step(D step) noexcept {
    state_->step_ns = std::chrono::duration_cast<std::chrono::nanoseconds>(step).count();
  }
  void throw_on_next_read() noexcept { state_->throw_next = true; }
  [[nodiscard]] std::int64_t reads() const noexcept { return state_->reads.load(); }

 private:
  struct State {
    std::atomic<std::int64_t> ns{1'000'000'000};
    std::atomic<std::int64_t> step_ns{0};
    std::atomic<std::int64_t> reads{0};
    std::atomic<bool> throw_next{false};
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// An executor that queues tasks until the test runs them; copies (in Config)
// share the queue. `refuse` makes it throw (a refusing host executor).
class ManualExecutor {
 public:
  [[nodiscard]] std::function<void(std::function<void()>)> fn() const {
    auto s = state_;
    return [s](std::function<void()> task) {
      if (s->refuse.load()) throw std::runtime_error("executor refuses");
      std::lock_guard<std::mutex> lock(s->mutex);
      s->tasks.push_back(std::move(task));
    };
  }
  // Runs queued tasks (including ones they queue) until none is left; returns how many ran.
  std::size_t run_all() {
    std::size_t n = 0;
    while (run_one()) ++n;
    return n;
  }
  bool run_one() {
    std::function<void()> task;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      if (state_->tasks.empty()) return false;
      task = std::move(state_->tasks.front());
      state_->tasks.pop_front();
    }
    task();
    return true;
  }
  // Destroys queued tasks without running them (a host executor shutting down).
  void discard_all() {
    std::deque<std::function<void()>> dead;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      dead.swap(state_->tasks);
    }
  }
  [[nodiscard]] std::size_t size() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->tasks.size();
  }
  void refuse(bool on) noexcept { state_->refuse = on; }

 private:
  struct State {
    std::mutex mutex;
    std::deque<std::function<void()>> tasks;
    std::atomic<bool> refuse{false};
  };
  std::shared_ptr<State> state_ = std::make_shared<State>();
};

// A Config with the fake wall clock and the manual executor, everything else default.
inline smartcache::Config test_config(const FakeWallClock& wall, const ManualExecutor& exec) {
  smartcache::Config cfg;
  cfg.wall_clock = wall.fn();
  cfg.executor = exec.fn();
  return cfg;
}

// Runs each task at once, on the caller's thread.
inline std::function<void(std::function<void()>)> inline_executor() {
  return [](std::function<void()> task) { task(); };
}

// A Config whose refreshes run inline, on the requesting thread; with `wall`,
// on that fake wall clock, else on the system clock.
inline smartcache::Config inline_config() {
  smartcache::Config cfg;
  cfg.executor = inline_executor();
  return cfg;
}
inline smartcache::Config inline_config(const FakeWallClock& wall) {
  smartcache::Config cfg = inline_config();
  cfg.wall_clock = wall.fn();
  return cfg;
}

// A Config on the fake wall clock whose refreshes run on the built-in pool:
// `threads` workers, at most `queue` refreshes waiting.
inline smartcache::Config pool_config(const FakeWallClock& wall, std::size_t threads,
                                      std::size_t queue) {
  smartcache::Config cfg;
  cfg.wall_clock = wall.fn();
  cfg.refresh_threads = threads;
  cfg.refresh_queue = queue;
  return cfg;
}

// A request in the golden zone (kickoff in 30 min: 60 s fresh, 60 s stale
// window by default), with `tags`.
inline smartcache::RequestContext golden_context(const FakeWallClock& wall,
                                                 std::vector<std::string> tags = {}) {
  return smartcache::RequestContext{std::move(tags), wall.now() + std::chrono::minutes(30), {}};
}

// A compute that counts its calls (thread-safe) and returns `value`.
struct CountingCompute {
  std::atomic<int>* calls;
  int value;
  int operator()() const {
    calls->fetch_add(1);
    return value;
  }
};

// A compute that counts its calls (thread-safe) and throws std::runtime_error.
struct ThrowingCompute {
  std::atomic<int>* calls;
  int operator()() const {
    calls->fetch_add(1);
    throw std::runtime_error("compute failed");
  }
};

// Local metrics, fake wall clock, manual executor and a Config using them;
// a test adjusts `cfg`, then make() builds the cache over `store`.
template <class Store = smartcache::MemoryStore<int>>
struct Harness {
  using Cache = smartcache::SmartCache<Store>;

  smartcache::CacheMetrics metrics;
  FakeWallClock wall;
  ManualExecutor exec;
  smartcache::Config cfg = test_config(wall, exec);
  std::shared_ptr<Store> store = std::make_shared<Store>();
  std::unique_ptr<Cache> cache;

  Cache& make() {
    cache = std::make_unique<Cache>(store, cfg, metrics);
    return *cache;
  }
  [[nodiscard]] smartcache::Stats stats() const { return metrics.get_stats(); }
};

}  // namespace smartcache_test
