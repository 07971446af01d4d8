// smartcache - a small bounded thread pool for background refreshes.
// SPDX-License-Identifier: MIT
#pragma once

#include <condition_variable>
#include <cstddef>
#include <deque>
#include <functional>
#include <mutex>
#include <thread>
#include <utility>
#include <vector>

namespace smartcache::detail {

// N worker threads over a bounded FIFO queue. try_submit never blocks: it
// returns false when the queue is full or the pool is stopping, and the caller
// decides what a refused task means (SmartCache counts a dropped refresh).
// Threads start on the first submit, so a cache that never refreshes costs no
// thread. The destructor stops accepting, lets running tasks finish, destroys
// the tasks still queued without running them, and joins every worker.
// Thread-safe: every member may be called concurrently, except the destructor.
class ThreadPool {
 public:
  ThreadPool(std::size_t threads, std::size_t queue_capacity)
      : thread_count_(threads == 0 ? 1 : threads), capacity_(queue_capacity == 0 ? 1 : queue_capacity) {}

  ThreadPool(const ThreadPool&) = delete;
  ThreadPool& operator=(const ThreadPool&) = delete;

  ~ThreadPool() {
    std::deque<std::function<void()>> dropped;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      stopping_ = true;
      dropped.swap(queue_);
    }
    wake_.notify_all();
    for (auto& t : workers_)
      if (t.joinable()) t.join();
    // `dropped` dies here, outside the lock: a task's captures may have destructors.
  }

  // Queues `task`; false (task not queued) when the queue is full, the pool
  // is stopping, or a worker thread could not be started.
  [[nodiscard]] bool try_submit(std::function<void()> task) {
    {
      std::lock_guard<std::mutex> lock(mutex_);
      if (stopping_ || queue_.size() >= capacity_) return false;
      if (workers_.empty() && !start_workers_locked()) return false;
      queue_.push_back(std::move(task));
    }
    wake_.notify_one();
    return true;
  }

  [[nodiscard]] std::size_t pending() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return queue_.size();
  }

  [[nodiscard]] std::size_t capacity() const noexcept { return capacity_; }
  [[nodiscard]] std::size_t thread_count() const noexcept { return thread_count_; }

 private:
  bool start_workers_locked() noexcept {
    try {
      workers_.reserve(thread_count_);
      for (std::size_t i = 0; i < thread_count_; ++i) workers_.emplace_back([this] { work(); });
    } catch (...) {
      // Keep whatever started; none started means the task cannot run.
    }
    return !workers_.empty();
  }

  void work() noexcept {
    for (;;) {
      std::function<void()> task;
      {
        std::unique_lock<std::mutex> lock(mutex_);
        wake_.wait(lock, [this] { return stopping_ || !queue_.empty(); });
        if (stopping_) return;
        task = std::move(queue_.front());
        queue_.pop_front();
      }
      try {
        task();
      } catch (...) {
        // A task owns its error handling; an escaped exception must not kill the worker.
      }
    }
  }

  const std::size_t thread_count_;
  const std::size_t capacity_;
  mutable std::mutex mutex_;
  std::condition_variable wake_;
  std::deque<std::function<void()>> queue_;
  std::vector<std::thread> workers_;
  bool stopping_ = false;
};

}  // namespace smartcache::detail
