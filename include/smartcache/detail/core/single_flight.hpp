// smartcache - one computation per key at a time; concurrent callers share it.
// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
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
// leader finishes, so a later call computes afresh. enter/settle/wait_until
// split run() for a leader that computes on another thread.
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
        key, [&f](std::uint64_t) { return std::forward<F>(f)(); }, [](std::uint64_t) { return true; },
        [] { return std::uint64_t{0}; });
  }

  // As run(key, f), where a caller joins a running call only when
  // joinable(label) is true; otherwise it starts a call of its own, which
  // later callers then join. A new call is labelled make_label() as it is
  // created, under the flight's lock, so nobody ever sees it unlabelled; its
  // leader's f receives the label. SmartCache labels a call with its
  // invalidation-guard id, so that nobody joins a computation (or a re-read
  // of the store) that an invalidation overtook. joinable and make_label are
  // called under the flight's lock: they must not call back. When make_label
  // throws, run throws it and no call is left behind.
  template <class F, class Joinable, class MakeLabel>
  Outcome run(std::string_view key, F&& f, Joinable&& joinable, MakeLabel&& make_label) {
    Ticket t = enter(key, std::forward<Joinable>(joinable), std::forward<MakeLabel>(make_label));
    if (!t.leader) {
      Waiting waiting(waiting_);
      return Outcome{t.call->wait(), false};
    }
    std::optional<V> value;
    std::exception_ptr error;
    try {
      value.emplace(std::forward<F>(f)(t.call->label));
    } catch (...) {
      error = std::current_exception();
    }
    settle(key, t.call, value, error);
    if (error) std::rethrow_exception(error);
    return Outcome{std::move(*value), true};
  }

  class Call;

  // A caller's part in the call of a key: the call, and whether it leads it.
  struct Ticket {
    std::shared_ptr<Call> call;
    bool leader;
  };

  // run() in parts, for a leader that computes elsewhere (the deadlines):
  // enter() joins the running call of `key` (when joinable(label)) or starts
  // one this caller leads, labelled make_label(); the leader must settle() it
  // exactly once, from any thread, whatever happens; anyone may wait_until()
  // its end.
  template <class Joinable, class MakeLabel>
  Ticket enter(std::string_view key, Joinable&& joinable, MakeLabel&& make_label) {
    std::string k(key);
    std::lock_guard<std::mutex> lock(mutex_);
    auto it = calls_.find(k);
    if (it != calls_.end() && joinable(it->second->label)) return Ticket{it->second, false};
    auto call = std::make_shared<Call>(make_label());
    if (it != calls_.end())
      it->second = call;
    else
      calls_.emplace(std::move(k), call);
    return Ticket{std::move(call), true};
  }

  // The leader's call is over: the key is free, its waiters get the result.
  void settle(std::string_view key, const std::shared_ptr<Call>& call, const std::optional<V>& value,
              std::exception_ptr error) noexcept {
    try {
      std::lock_guard<std::mutex> lock(mutex_);
      auto it = calls_.find(std::string(key));
      if (it != calls_.end() && it->second == call) calls_.erase(it);  // not a successor's
    } catch (...) {
      // Only the key's copy can fail; the call stays joinable until a successor replaces it.
    }
    // Out of the map, the call can gain no new waiter: when the settler holds
    // the only reference nobody needs a copy of the value.
    if (call.use_count() > 1) call->publish(value, std::move(error));
  }

  // The call's value once it ended (or its exception, rethrown); nullopt when
  // `deadline` came first.
  std::optional<V> wait_until(Call& call, std::chrono::steady_clock::time_point deadline) {
    Waiting waiting(waiting_);
    return call.wait_until(deadline);
  }

  // Callers waiting for another's computation right now (for tests).
  [[nodiscard]] std::size_t waiting() const noexcept { return waiting_.load(); }

  // Keys being computed right now (for tests and diagnostics).
  [[nodiscard]] std::size_t in_flight() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return calls_.size();
  }

  class Call {
   public:
    explicit Call(std::uint64_t l) noexcept : label(l) {}
    const std::uint64_t label;  // set at creation (see run)

    void publish(const std::optional<V>& v, std::exception_ptr e) noexcept {
      {
        std::lock_guard<std::mutex> lock(mutex_);
        error_ = std::move(e);
        if (v && !error_) {
          try {
            value_.emplace(*v);
          } catch (...) {
            error_ = std::current_exception();  // waiters get the copy's failure, never hang
          }
        }
        done_ = true;
      }
      done_cv_.notify_all();
    }

    V wait() {
      std::unique_lock<std::mutex> lock(mutex_);
      done_cv_.wait(lock, [this] { return done_; });
      if (error_) std::rethrow_exception(error_);
      return *value_;
    }

    std::optional<V> wait_until(std::chrono::steady_clock::time_point deadline) {
      std::unique_lock<std::mutex> lock(mutex_);
      if (!done_cv_.wait_until(lock, deadline, [this] { return done_; })) return std::nullopt;
      if (error_) std::rethrow_exception(error_);
      return *value_;
    }

   private:
    std::mutex mutex_;
    std::condition_variable done_cv_;
    bool done_ = false;
    std::optional<V> value_;
    std::exception_ptr error_;
  };

 private:
  struct Waiting {
    std::atomic<std::size_t>& n;
    explicit Waiting(std::atomic<std::size_t>& c) : n(c) { ++n; }
    Waiting(const Waiting&) = delete;
    Waiting& operator=(const Waiting&) = delete;
    ~Waiting() { --n; }
  };

  mutable std::mutex mutex_;
  std::atomic<std::size_t> waiting_{0};
  std::unordered_map<std::string, std::shared_ptr<Call>> calls_;
};

}  // namespace smartcache::detail
