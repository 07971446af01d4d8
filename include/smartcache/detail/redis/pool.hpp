// smartcache - a bounded pool of hiredis connections with reconnect backoff.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <mutex>
#include <string>
#include <utility>
#include <vector>

#include <smartcache/log.hpp>
#include <smartcache/stores/store.hpp>
#include <smartcache/detail/redis/connection.hpp>

namespace smartcache::detail {

struct RedisPoolSettings {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::chrono::milliseconds connect_timeout{100};
  std::chrono::milliseconds command_timeout{50};
  std::size_t pool_size = 4;
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};
  std::string username;  // Redis 6 ACL user (AUTH username password)
  std::string password;
  int db = 0;
};

// Hands each thread its own connection (a hiredis context is not thread-safe),
// connecting lazily up to pool_size. A connection failure (refused, reset,
// timeout, or an error reply that refuses the connection itself: NOAUTH,
// WRONGPASS, NOPERM, LOADING, ...) drops the connection and every idle
// sibling (they share the fate of the server), logs a warning (at most one
// per 5 s, with the reason), then puts the pool in backoff: until the retry
// instant every acquire fails at once with StoreError without touching the
// network; after it, exactly one caller probes with a fresh connection, and
// the delay doubles (up to backoff_max) each time the probe fails. The probe
// succeeds when its first command comes back, not when its TCP connect does.
// healthy() follows the same rule: false until a command has come back, and
// from each connection failure until a probe's command comes back.
// Thread-safe.
class RedisPool {
  using clock = std::chrono::steady_clock;

 public:
  class Lease {
   public:
    Lease(RedisPool* pool, std::unique_ptr<RedisConnection> conn, std::uint64_t generation) noexcept
        : pool_(pool), conn_(std::move(conn)), generation_(generation) {}
    Lease(Lease&& o) noexcept
        : pool_(std::exchange(o.pool_, nullptr)), conn_(std::move(o.conn_)), generation_(o.generation_) {}
    Lease& operator=(Lease&&) = delete;
    Lease(const Lease&) = delete;
    Lease& operator=(const Lease&) = delete;
    ~Lease() {
      if (pool_) pool_->release(std::move(conn_), generation_);
    }
    RedisConnection* operator->() const noexcept { return conn_.get(); }
    RedisConnection& operator*() const noexcept { return *conn_; }

   private:
    RedisPool* pool_;
    std::unique_ptr<RedisConnection> conn_;
    std::uint64_t generation_;
  };

  explicit RedisPool(RedisPoolSettings s)
      : settings_(std::move(s)), backoff_(std::max(settings_.backoff_min, std::chrono::milliseconds(1))) {
    settings_.pool_size = std::max<std::size_t>(settings_.pool_size, 1);
    settings_.backoff_max = std::max(settings_.backoff_max, backoff_);
  }

  RedisPool(const RedisPool&) = delete;
  RedisPool& operator=(const RedisPool&) = delete;

  /// A connection for the calling thread, or StoreError (in backoff, pool
  /// exhausted past the wait bound, or the connect itself failed).
  [[nodiscard]] Lease acquire() {
    std::unique_lock<std::mutex> lock(mutex_);
    const auto deadline = clock::now() + settings_.connect_timeout + settings_.command_timeout;
    for (;;) {
      if (failures_ > 0) {
        if (probing_ || clock::now() < retry_at_)
          throw StoreError("smartcache: redis unavailable (reconnect backoff)");
        probing_ = true;  // this caller probes; the others keep failing fast
        ++open_;
        const std::uint64_t gen = generation_;
        lock.unlock();
        return connect(gen);
      }
      if (!idle_.empty()) {
        std::unique_ptr<RedisConnection> conn = std::move(idle_.back());
        idle_.pop_back();
        return Lease(this, std::move(conn), generation_);
      }
      if (open_ < settings_.pool_size) {
        ++open_;
        const std::uint64_t gen = generation_;
        lock.unlock();
        return connect(gen);
      }
      if (cv_.wait_until(lock, deadline) == std::cv_status::timeout && idle_.empty() &&
          failures_ == 0)
        throw StoreError("smartcache: redis connection pool exhausted");
    }
  }

  /// Whether a command has come back and no connection failure happened since.
  [[nodiscard]] bool healthy() const noexcept { return healthy_.load(std::memory_order_relaxed); }

  /// Whether acquire() currently fails fast.
  [[nodiscard]] bool in_backoff() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return failures_ > 0 && (probing_ || clock::now() < retry_at_);
  }

  [[nodiscard]] const RedisPoolSettings& settings() const noexcept { return settings_; }

 private:
  Lease connect(std::uint64_t gen) {
    try {
      auto conn = std::make_unique<RedisConnection>(
          RedisConnection::open(settings_.host, settings_.port, settings_.connect_timeout,
                                settings_.command_timeout, settings_.password, settings_.db,
                                settings_.username));
      // A probe stays a probe until its first command comes back (see
      // release): a server that accepts connections but never answers must
      // not reset the backoff.
      return Lease(this, std::move(conn), gen);
    } catch (const std::exception& e) {
      std::lock_guard<std::mutex> lock(mutex_);
      --open_;
      probing_ = false;
      if (gen == generation_) record_failure_locked(e.what());  // else already known
      throw StoreError(e.what());
    }
  }

  void release(std::unique_ptr<RedisConnection> conn, std::uint64_t gen) noexcept {
    std::lock_guard<std::mutex> lock(mutex_);
    if (!conn || conn->broken()) {
      --open_;
      // Only the first failure of a generation counts: siblings failing on the
      // same dead server must not multiply the backoff.
      if (gen == generation_)
        record_failure_locked(conn ? conn->error_message() : std::string("connection lost"));
    } else if (gen != generation_) {
      --open_;  // opened before a failure: do not trust it
    } else if (!conn->answered()) {
      // Nothing came back on it yet: proves nothing about the server.
      if (failures_ > 0) {
        --open_;  // a probe that sent no command: let a later caller probe
        probing_ = false;
      } else {
        idle_.push_back(std::move(conn));
      }
    } else {
      if (failures_ > 0) restored_locked();  // the probe's command came back
      idle_.push_back(std::move(conn));
      if (!healthy_.load(std::memory_order_relaxed))
        healthy_.store(true, std::memory_order_relaxed);
    }
    cv_.notify_one();
  }

  void restored_locked() noexcept {
    failures_ = 0;
    probing_ = false;
    backoff_ = std::max(settings_.backoff_min, std::chrono::milliseconds(1));
    try {
      log(LogLevel::info, "redis connection restored",
          {{"host", settings_.host}, {"port", std::to_string(settings_.port)}});
    } catch (...) {
    }
  }

  void record_failure_locked(const std::string& what) noexcept {
    ++failures_;
    probing_ = false;
    ++generation_;
    open_ -= idle_.size();
    idle_.clear();
    retry_at_ = clock::now() + backoff_;
    const auto delay = backoff_;
    backoff_ = std::min(backoff_ * 2, settings_.backoff_max);
    healthy_.store(false, std::memory_order_relaxed);
    cv_.notify_all();
    if (const auto suppressed = throttle_.permit(); suppressed >= 0) {
      try {
        log(LogLevel::warning, "redis unavailable, backing off",
            {{"host", settings_.host},
             {"port", std::to_string(settings_.port)},
             {"error", what},
             {"retry_in_ms", std::to_string(delay.count())},
             {"suppressed", std::to_string(suppressed)}});
      } catch (...) {
      }
    }
  }

  RedisPoolSettings settings_;
  mutable std::mutex mutex_;
  std::condition_variable cv_;
  std::vector<std::unique_ptr<RedisConnection>> idle_;
  std::size_t open_ = 0;            // idle + leased + being connected
  std::uint64_t generation_ = 0;    // bumped on each failure
  std::uint64_t failures_ = 0;      // consecutive failures; 0 = not in backoff
  bool probing_ = false;            // a reconnect attempt is in flight
  clock::time_point retry_at_{};
  std::chrono::milliseconds backoff_;
  std::atomic<bool> healthy_{false};
  LogThrottle throttle_{std::chrono::seconds(5)};
};

}  // namespace smartcache::detail
