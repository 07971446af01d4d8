// smartcache - lets background tasks outlive the cache that queued them, harmlessly.
// SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <cstddef>
#include <mutex>

namespace smartcache::detail {

// A task enters the gate before touching the cache and leaves when done; the
// cache's destructor closes it, which waits for the tasks inside and turns
// every later enter() away. A task queued on a host executor that runs after
// the cache is gone therefore does nothing. close() must not be called from
// inside a task (it would wait for itself).
// Thread-safe: every member may be called concurrently.
class LifetimeGate {
 public:
  [[nodiscard]] bool enter() noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    if (closed_) return false;
    ++inside_;
    return true;
  }

  void leave() noexcept {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      --inside_;
    }
    left_.notify_all();
  }

  void close() noexcept {
    std::unique_lock<std::mutex> lock(mutex_);
    closed_ = true;
    left_.wait(lock, [this] { return inside_ == 0; });
  }

  // RAII pass: `if (auto pass = gate.pass()) { ... }`.
  class Pass {
   public:
    explicit Pass(LifetimeGate& g) noexcept : gate_(g.enter() ? &g : nullptr) {}
    Pass(const Pass&) = delete;
    Pass& operator=(const Pass&) = delete;
    ~Pass() {
      if (gate_) gate_->leave();
    }
    explicit operator bool() const noexcept { return gate_ != nullptr; }

   private:
    LifetimeGate* gate_;
  };

 private:
  std::mutex mutex_;
  std::condition_variable left_;
  std::size_t inside_ = 0;
  bool closed_ = false;
};

}  // namespace smartcache::detail
