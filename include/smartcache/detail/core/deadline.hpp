// smartcache - compute deadlines: the compute pool, and a compute its callers can stop waiting for.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <deque>
#include <exception>
#include <functional>
#include <memory>
#include <mutex>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <type_traits>
#include <utility>
#include <vector>

#include <smartcache/config.hpp>
#include <smartcache/log.hpp>
#include <smartcache/request.hpp>
#include <smartcache/detail/core/cache_core.hpp>

namespace smartcache::detail {

inline LogThrottle& compute_pool_throttle() noexcept {
  static LogThrottle t(std::chrono::seconds(10));
  return t;
}

// The pool that runs computes with a deadline: N detached workers over a
// bounded FIFO queue. Workers share the queue's state, not the pool, so the
// destructor never waits: it stops accepting, destroys the queued tasks
// unrun, and wakes the idle workers, which exit; a worker inside a hung task
// exits when the task returns. try_submit never blocks; false = not queued
// (full, stopping, or no worker could start). Workers start on the first submit.
// Thread-safe: every member may be called concurrently, except the destructor.
class ComputePool {
 public:
  ComputePool(std::size_t threads, std::size_t queue_capacity)
      : state_(std::make_shared<State>(threads == 0 ? 1 : threads, queue_capacity == 0 ? 1 : queue_capacity)) {}

  ComputePool(const ComputePool&) = delete;
  ComputePool& operator=(const ComputePool&) = delete;

  ~ComputePool() {
    std::deque<std::function<void()>> unrun;
    {
      std::lock_guard<std::mutex> lock(state_->mutex);
      state_->stopping = true;
      unrun.swap(state_->queue);
    }
    state_->wake.notify_all();
    // `unrun` dies here, outside the lock: a task's destructor settles its call.
  }

  [[nodiscard]] bool try_submit(std::function<void()> task) {
    State& st = *state_;
    {
      std::lock_guard<std::mutex> lock(st.mutex);
      if (st.stopping || st.queue.size() >= st.capacity) return false;
      if (st.started == 0 && !start_workers_locked()) return false;
      st.queue.push_back(std::move(task));
    }
    st.wake.notify_one();
    return true;
  }

  // Tasks queued, not yet running (for tests).
  [[nodiscard]] std::size_t queued() const {
    std::lock_guard<std::mutex> lock(state_->mutex);
    return state_->queue.size();
  }

 private:
  struct State {
    State(std::size_t t, std::size_t c) : threads(t), capacity(c) {}
    const std::size_t threads;
    const std::size_t capacity;
    std::mutex mutex;
    std::condition_variable wake;
    std::deque<std::function<void()>> queue;
    std::size_t started = 0;
    bool stopping = false;
  };

  bool start_workers_locked() noexcept {
    State& st = *state_;
    try {
      for (; st.started < st.threads; ++st.started) std::thread(&ComputePool::serve, state_).detach();
    } catch (...) {
      // Keep whatever started; none started means the task cannot run.
    }
    return st.started > 0;
  }

  static void serve(const std::shared_ptr<State>& st) noexcept {
    std::unique_lock<std::mutex> lock(st->mutex);
    for (;;) {
      st->wake.wait(lock, [&st] { return st->stopping || !st->queue.empty(); });
      if (st->stopping) return;
      std::function<void()> task = std::move(st->queue.front());
      st->queue.pop_front();
      lock.unlock();
      try {
        task();
      } catch (...) {
        // A task owns its error handling; an escaped exception must not end the worker.
      }
      task = nullptr;  // its captures die outside the lock
      lock.lock();
    }
  }

  std::shared_ptr<State> state_;
};

// The deadlines of one request, from the Config and the request's overrides.
struct Deadlines {
  std::chrono::milliseconds soft{0};
  std::chrono::milliseconds hard{0};
};

inline Deadlines deadlines_for(const Config& cfg, const RequestContext& ctx) noexcept {
  const auto positive = [](std::chrono::milliseconds d) { return d.count() > 0 ? d : std::chrono::milliseconds(0); };
  return Deadlines{positive(ctx.soft_timeout.value_or(cfg.compute_soft_timeout)),
                   positive(ctx.hard_timeout.value_or(cfg.compute_hard_timeout))};
}

// What a bounded compute's entry is made of: the request's wall time, policy
// and tags; store_ok is false when the request's lookup found the store failing.
struct BoundedEntry {
  WallTime now{};
  ZonePolicy policy{};
  std::vector<std::string> tags;
  bool store_ok = true;
};

// A foreground compute handed to the compute pool by its flight's leader. It
// owns the leader's side of the single flight and the invalidation-guard op
// begun before it, and keeps the core alive: whatever happens (it runs, it
// throws, it is destroyed unrun), the flight is settled and the op ended
// exactly once. Its value is stored only while the cache lives (gate) and no
// invalidation overtook it (put_guarded).
template <class Store, class F>
class BoundedCompute {
 public:
  using Core = CacheCore<Store>;
  using V = typename Core::value_type;
  using Call = typename SingleFlight<V>::Call;

  struct Job {
    std::shared_ptr<Core> core;
    std::string key;
    F compute;
    std::shared_ptr<Call> call;
    InvalidationGuard::Id op = 0;
    BoundedEntry entry;
  };

  // Queues `job` on `pool`; false (job untouched, still the caller's) when
  // the pool refuses it.
  static bool submit(ComputePool& pool, const std::shared_ptr<Job>& job) noexcept {
    std::shared_ptr<BoundedCompute> run;
    try {
      run = std::make_shared<BoundedCompute>(job);
      job->core->bounded_computes.fetch_add(1);
      if (pool.try_submit([run]() noexcept { (*run)(); })) return true;
      job->core->bounded_computes.fetch_sub(1);
    } catch (...) {
      // Refused as when full.
    }
    if (run) run->job_.reset();  // refused: the caller settles it
    return false;
  }

  explicit BoundedCompute(std::shared_ptr<Job> job) noexcept : job_(std::move(job)) {}
  BoundedCompute(const BoundedCompute&) = delete;
  BoundedCompute& operator=(const BoundedCompute&) = delete;

  ~BoundedCompute() {
    if (!job_) return;  // ran, or refused
    finish(*job_, std::nullopt, std::make_exception_ptr(std::runtime_error("smartcache: compute pool stopped")));
  }

  void operator()() noexcept {
    const std::shared_ptr<Job> job = std::move(job_);
    if (!job) return;
    std::optional<V> value;
    std::exception_ptr error;
    try {
      value.emplace(job->compute());
    } catch (...) {
      error = std::current_exception();
    }
    if (value && job->entry.store_ok) store(*job, *value);
    finish(*job, value, error);
  }

  // Ends the leader's side: the guard op, then the flight (waiters released).
  static void settle(Job& job, const std::optional<V>& value, std::exception_ptr error) noexcept {
    job.core->guard.end(job.op);
    job.core->flight.settle(job.key, job.call, value, std::move(error));
  }

 private:
  // Not pending any more once its waiters can see the result.
  static void finish(Job& job, const std::optional<V>& value, std::exception_ptr error) noexcept {
    job.core->bounded_computes.fetch_sub(1);
    settle(job, value, std::move(error));
  }

  static void store(Job& job, const V& value) noexcept {
    Core& core = *job.core;
    LifetimeGate::Pass pass(core.gate);
    if (!pass) return;  // the cache is gone: nobody may be touched but the core
    try {
      const BoundedEntry& e = job.entry;
      const auto put = core.put_guarded(job.key, core.make_entry(value, e.now, e.policy, e.tags), e.now, job.op);
      if (put.evictions > 0) core.metrics.increment(Counter::cache_evictions, put.evictions);
      if (put.store_errors > 0) core.metrics.increment(Counter::cache_errors, put.store_errors);
    } catch (...) {
      core.metrics.increment(Counter::cache_errors);  // the entry's copy failed: served, not cached
    }
  }

  std::shared_ptr<Job> job_;
};

// The flight leader's step under deadlines: the compute goes to the compute
// pool, which ends the guard op that labels `ticket`'s call (begun with the
// call) and settles the call. A full pool is counted, settles the call with
// ComputeTimeout and throws it.
template <class Store, class F>
void start_bounded(const std::shared_ptr<CacheCore<Store>>& core, ComputePool& pool, std::string_view key,
                   F& compute, const typename SingleFlight<typename Store::value_type>::Ticket& ticket,
                   BoundedEntry entry, std::chrono::milliseconds hard) {
  using Bounded = BoundedCompute<Store, std::decay_t<F>>;
  std::shared_ptr<typename Bounded::Job> job;
  try {
    job = std::make_shared<typename Bounded::Job>(
        typename Bounded::Job{core, std::string(key), compute, ticket.call, ticket.call->label, std::move(entry)});
  } catch (...) {
    core->guard.end(ticket.call->label);
    core->flight.settle(key, ticket.call, std::nullopt, std::current_exception());
    throw;
  }
  if (Bounded::submit(pool, job)) return;
  core->metrics.increment(Counter::compute_pool_rejections);
  warn_throttled_with(compute_pool_throttle(), "compute pool full; request answered without computing",
                      [&] { return LogFields{{"key", std::string(key)}}; });
  const auto timeout = std::make_exception_ptr(ComputeTimeout(key, hard));
  Bounded::settle(*job, std::nullopt, timeout);
  std::rethrow_exception(timeout);
}

}  // namespace smartcache::detail
