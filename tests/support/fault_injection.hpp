// smartcache tests - fault injection for the fault-matrix tests (tests/fault/test_fault_*.cpp).
// SPDX-License-Identifier: MIT
//
// - RandomFaultStore: a Store wrapper failing each operation with its own
//   probability (so a test can break reads and writes but keep erasures
//   reliable), counting what it injected.
// - coin(p): a thread-local biased coin with a fixed per-thread seed.
// - Latch: a one-shot gate a test holds a compute or an executor on; Hold: a
//   compute held on one until the test releases it.
// - Answered: what a load thread saw, and check_answered, the "every request
//   answered" checks.
#pragma once

#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <smartcache/metrics/stats.hpp>
#include <smartcache/stores/store.hpp>

#include "catch.hpp"
#include "stats_check.hpp"

namespace smartcache_test {

/// True with probability p; each thread draws from its own seeded generator.
inline bool coin(double p) {
  static std::atomic<unsigned> next_seed{12345};
  thread_local std::mt19937 rng(next_seed.fetch_add(1));
  return std::uniform_real_distribution<double>(0.0, 1.0)(rng) < p;
}

/// A Store that forwards to `Inner` but fails each operation with its own
/// probability, throwing StoreError. Thread-safe like the wrapped store.
template <class Inner>
class RandomFaultStore {
 public:
  using value_type = typename Inner::value_type;
  using V = value_type;

  explicit RandomFaultStore(std::shared_ptr<Inner> inner = std::make_shared<Inner>()) : inner_(std::move(inner)) {}

  std::atomic<double> get_rate{0}, put_rate{0}, erase_rate{0};  ///< erase_rate: erase, erase_tagged, clear
  std::atomic<std::uint64_t> injected{0};

  std::optional<smartcache::StoredValue<V>> get(std::string_view key, smartcache::WallTime now) {
    maybe_fail(get_rate);
    return inner_->get(key, now);
  }
  std::size_t put(std::string_view key, smartcache::Entry<V> e, smartcache::WallTime now) {
    maybe_fail(put_rate);
    return inner_->put(key, std::move(e), now);
  }
  bool erase(std::string_view key) {
    maybe_fail(erase_rate);
    return inner_->erase(key);
  }
  std::size_t erase_tagged(std::string_view scope, const std::vector<std::string>& any_of) {
    maybe_fail(erase_rate);
    return inner_->erase_tagged(scope, any_of);
  }
  std::size_t clear() {
    maybe_fail(erase_rate);
    return inner_->clear();
  }
  std::size_t size() { return inner_->size(); }

 private:
  void maybe_fail(const std::atomic<double>& rate) {
    if (!coin(rate.load())) return;
    injected.fetch_add(1);
    throw smartcache::StoreError("injected store failure");
  }
  std::shared_ptr<Inner> inner_;
};

/// A one-shot gate: wait() blocks until open(); wait_for gives up after a while.
class Latch {
 public:
  void open() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      open_ = true;
    }
    cv_.notify_all();
  }
  void wait() {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait(lock, [this] { return open_; });
  }
  template <class D>
  bool wait_for(D d) {
    std::unique_lock<std::mutex> lock(mutex_);
    return cv_.wait_for(lock, d, [this] { return open_; });
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  bool open_ = false;
};

/// Holds computes inside the cache until the test releases them:
/// compute(f) is a compute that runs f() (what it returns, read before the
/// hold), then enter_and_wait(); wait_entered() waits (bounded) until one
/// compute is inside; release() lets them all go on.
class Hold {
 public:
  template <class F>
  auto compute(F f) {
    return [this, f] {
      auto v = f();
      enter_and_wait();
      return v;
    };
  }
  void enter_and_wait() {
    entered_ = true;
    gate_.wait();
  }
  [[nodiscard]] bool wait_entered(std::chrono::seconds timeout = std::chrono::seconds(10)) const {
    const auto deadline = std::chrono::steady_clock::now() + timeout;
    while (!entered_.load()) {
      if (std::chrono::steady_clock::now() > deadline) return false;
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
    return true;
  }
  void release() { gate_.open(); }

 private:
  Latch gate_;
  std::atomic<bool> entered_{false};
};

/// The compute's own exception in fault tests: anything else reaching a caller is a bug.
///
/// Catch it without reading its fields in multi-threaded tests: single-flight
/// rethrows ONE exception object to every waiter, and its reference count lives
/// in uninstrumented libstdc++ code, so TSan reports a (false) race between one
/// thread reading the object and another freeing it at the end of its catch.
struct ComputeError {
  int key;
};

/// What load threads saw; every request ends in exactly one of these.
struct Answered {
  std::atomic<std::uint64_t> made{0};
  std::atomic<std::uint64_t> values{0};
  std::atomic<std::uint64_t> compute_errors{0};
  std::atomic<std::uint64_t> foreign{0};    ///< any other exception: must stay 0
  std::atomic<std::uint64_t> wrong_key{0};  ///< a value of another key: must stay 0
  std::atomic<std::uint64_t> fresh{0}, stale{0};

  /// Makes one request (`request()` returns its Result) and counts how it
  /// ended: a value (returned), the compute's own ComputeError, or anything
  /// else (foreign). Thread-safe.
  template <class Request>
  auto answer(Request&& request) -> std::optional<decltype(request())> {
    made.fetch_add(1);
    try {
      auto r = request();
      values.fetch_add(1);
      return r;
    } catch (const ComputeError&) {  // fields not read: see ComputeError
      compute_errors.fetch_add(1);
    } catch (...) {
      foreign.fetch_add(1);
    }
    return std::nullopt;
  }
};

/// Every request answered exactly once, never with another key's value or a
/// foreign exception; the snapshot counts each once, with one strategy.
inline void check_answered(const Answered& seen, const smartcache::Stats& s) {
  CHECK(seen.values + seen.compute_errors == seen.made);
  CHECK(seen.foreign == 0);
  CHECK(seen.wrong_key == 0);
  CHECK(s.total_requests == seen.made);
  CHECK(strategy_sum(s) == s.total_requests);
}

/// A host thread pool standing in for the application's executor: tasks run
/// on `threads` threads in FIFO order; the destructor runs what is queued and
/// joins. It may outlive the caches that post to it.
class HostPool {
 public:
  explicit HostPool(int threads) {
    for (int i = 0; i < threads; ++i)
      workers_.emplace_back([this] {
        for (;;) {
          std::function<void()> task;
          {
            std::unique_lock<std::mutex> lock(mutex_);
            cv_.wait(lock, [this] { return stopping_ || !tasks_.empty(); });
            if (tasks_.empty()) return;
            task = std::move(tasks_.front());
            tasks_.pop_front();
          }
          task();
        }
      });
  }
  ~HostPool() {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
    }
    cv_.notify_all();
    for (auto& t : workers_) t.join();
  }
  HostPool(const HostPool&) = delete;
  HostPool& operator=(const HostPool&) = delete;

  void post(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      tasks_.push_back(std::move(task));
    }
    cv_.notify_one();
  }
  /// Waits until the queue is empty (tasks already taken may still be running).
  void drain() {
    for (;;) {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        if (tasks_.empty()) return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    }
  }

 private:
  std::mutex mutex_;
  std::condition_variable cv_;
  std::deque<std::function<void()>> tasks_;
  bool stopping_ = false;
  std::vector<std::thread> workers_;
};

/// Runs f(thread_index) on n threads and joins them.
template <class F>
void run_threads(int n, F f) {
  std::vector<std::thread> threads;
  for (int i = 0; i < n; ++i) threads.emplace_back(f, i);
  for (auto& t : threads) t.join();
}

}  // namespace smartcache_test
