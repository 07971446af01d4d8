// smartcache - one computation per key at a time; concurrent callers share it.
// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <exception>
#include <memory>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_map>
#include <utility>

namespace smartcache::detail {

// Per-key in-flight computations. The first caller of run(key, f) for a key
// (the leader) calls f; callers arriving while it runs wait and receive a copy
// of its value, or the exception it threw. The key is free again as soon as the
// leader finishes, so a later call computes afresh.
// Thread-safe: run may be called concurrently from any number of threads.
template <class V>
class SingleFlight {
 public:
  struct Outcome {
    V value;
    bool leader;  // true: this caller ran f
  };

  template <class F>
  Outcome run(std::string_view key, F&& f) {
    return run(
        key, [&f](std::atomic<std::uint64_t>&) { return std::forward<F>(f)(); },
        [](std::uint64_t) { return true; });
  }

  // As run(key, f), where the leader may label its call (f receives the
  // label, 0 until set) and a caller joins a running call only when
  // joinable(label) is true; otherwise it starts a computation of its own,
  // which later callers then join. SmartCache labels a call with its
  // invalidation-guard id so that nobody joins a computation an invalidation
  // overtook. joinable is called under the flight's lock: it must not call back.
  template <class F, class Joinable>
  Outcome run(std::string_view key, F&& f, Joinable&& joinable) {
    std::shared_ptr<Call> call;
    bool leader = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto [it, inserted] = calls_.try_emplace(std::string(key));
      if (inserted || !joinable(it->second->label.load())) {
        it->second = std::make_shared<Call>();
        leader = true;
      }
      call = it->second;
    }
    if (!leader) {
      struct Waiting {
        std::atomic<std::size_t>& n;
        explicit Waiting(std::atomic<std::size_t>& c) : n(c) { ++n; }
        ~Waiting() { --n; }
      } waiting(waiting_);
      return Outcome{call->wait(), false};
    }

    std::optional<V> value;
    std::exception_ptr error;
    try {
      value.emplace(std::forward<F>(f)(call->label));
    } catch (...) {
      error = std::current_exception();
    }
    {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = calls_.find(std::string(key));
      if (it != calls_.end() && it->second == call) calls_.erase(it);  // not a successor's
    }
    // Out of the map, the call can gain no new waiter: when the leader holds
    // the only reference nobody needs a copy of the value.
    if (call.use_count() > 1) call->publish(value, error);
    if (error) std::rethrow_exception(error);
    return Outcome{std::move(*value), true};
  }

  // Callers waiting for another's computation right now (for tests).
  [[nodiscard]] std::size_t waiting() const noexcept { return waiting_.load(); }

  // Keys being computed right now (for tests and diagnostics).
  [[nodiscard]] std::size_t in_flight() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_.size();
  }

 private:
  struct Call {
    std::atomic<std::uint64_t> label{0};
    std::mutex mutex;
    std::condition_variable done_cv;
    bool done = false;
    std::optional<V> value;
    std::exception_ptr error;

    void publish(const std::optional<V>& v, std::exception_ptr e) noexcept {
      {
        std::lock_guard<std::mutex> lock(mutex);
        error = std::move(e);
        if (v && !error) {
          try {
            value.emplace(*v);
          } catch (...) {
            error = std::current_exception();  // waiters get the copy's failure, never hang
          }
        }
        done = true;
      }
      done_cv.notify_all();
    }

    V wait() {
      std::unique_lock<std::mutex> lock(mutex);
      done_cv.wait(lock, [this] { return done; });
      if (error) std::rethrow_exception(error);
      return *value;
    }
  };

  mutable std::mutex mutex_;
  std::atomic<std::size_t> waiting_{0};
  std::unordered_map<std::string, std::shared_ptr<Call>> calls_;
};

}  // namespace smartcache::detail
