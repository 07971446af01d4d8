// smartcache - the notification listener of a memory tier: Redis's invalidations, and their loss.
// SPDX-License-Identifier: MIT
#pragma once

#include <fcntl.h>
#include <poll.h>
#include <sys/socket.h>
#include <unistd.h>

#include <algorithm>
#include <atomic>
#include <cerrno>
#include <chrono>
#include <condition_variable>
#include <cstddef>
#include <exception>
#include <mutex>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <utility>
#include <vector>

#include <hiredis/hiredis.h>

#include <smartcache/detail/redis/connection.hpp>

namespace smartcache::detail {

/// Why a memory tier stopped trusting its notifications.
enum class NotificationLoss { disconnect, heartbeat };

/// What the listener reports, on its own thread.
class NotificationSink {
 public:
  virtual ~NotificationSink() = default;
  /// The subscription is (again) in place: every change from now on will be
  /// notified. `again` is false the first time.
  virtual void subscribed(bool again) = 0;
  /// The subscription is gone (or its heartbeat went unanswered): changes
  /// may have been missed since the last message. Not called before the
  /// first subscription.
  virtual void lost(NotificationLoss cause, const std::string& reason) = 0;
  /// One message: these entry keys (the prefix removed) changed.
  virtual void keys_changed(const std::vector<std::string_view>& keys) = 0;
  /// One message: the database was flushed (every key changed).
  virtual void flushed() = 0;
  /// Between messages, when woken (wake()) or after a batch: deferred work.
  /// Returns how soon it wants to be called again with no message in between
  /// (std::chrono::milliseconds::max(): not before the next message or wake()).
  virtual std::chrono::milliseconds idle() = 0;
};

struct ListenerSettings {
  std::string host = "127.0.0.1";
  int port = 6379;
  std::string username;
  std::string password;
  int db = 0;
  std::chrono::milliseconds connect_timeout{100};
  /// The Redis key prefix tracked ("<prefix>k:"): every key under it that
  /// changes, by whomever, is notified.
  std::string tracked_prefix;
  /// A PING is sent after this long without traffic; unanswered within
  /// heartbeat_timeout, the subscription counts as lost.
  std::chrono::milliseconds heartbeat_interval{100};
  std::chrono::milliseconds heartbeat_timeout{250};
  std::chrono::milliseconds backoff_min{100};
  std::chrono::milliseconds backoff_max{5000};
};

/// A thread holding one connection subscribed to Redis's client-side caching
/// invalidations for a key prefix:
///
///   CLIENT ID                                   -> n
///   CLIENT TRACKING on REDIRECT n BCAST PREFIX <prefix>k:
///   SUBSCRIBE __redis__:invalidate
///
/// Broadcasting mode: Redis notifies every change of a key under the prefix
/// (SET, DEL, UNLINK, EXPIRE, an expiry or eviction, a script's writes, by
/// any client), one message per event-loop turn listing the keys, and a nil
/// message for FLUSHDB / FLUSHALL. The connection redirects to itself and
/// writes nothing, so its own writes cannot be missed or suppressed. Works
/// with RESP2 (hiredis 0.14): the messages arrive as pub/sub messages.
///
/// The socket is polled, never left blocked: after heartbeat_interval
/// without traffic a PING goes out, and a PING unanswered within
/// heartbeat_timeout, a read error or a closed connection (Redis restarted)
/// is reported as lost() at once, then the listener reconnects with a
/// doubling backoff and reports subscribed(true) when it is back.
class InvalidationListener {
  using clock = std::chrono::steady_clock;

 public:
  InvalidationListener(ListenerSettings settings, NotificationSink& sink)
      : settings_(std::move(settings)), sink_(sink) {
    int fds[2];
    if (::pipe(fds) != 0) throw std::runtime_error("smartcache: tiered store: pipe failed");
    for (int fd : fds) {
      ::fcntl(fd, F_SETFL, ::fcntl(fd, F_GETFL) | O_NONBLOCK);
      ::fcntl(fd, F_SETFD, FD_CLOEXEC);
    }
    wake_read_ = fds[0];
    wake_write_ = fds[1];
    thread_ = std::thread([this] { run(); });
  }

  InvalidationListener(const InvalidationListener&) = delete;
  InvalidationListener& operator=(const InvalidationListener&) = delete;

  ~InvalidationListener() { stop(); }

  /// Stops the thread (at once: it is woken) and waits for it. Idempotent.
  void stop() noexcept {
    stopping_.store(true, std::memory_order_release);
    wake();
    if (thread_.joinable()) thread_.join();
    if (wake_read_ >= 0) ::close(wake_read_);
    if (wake_write_ >= 0) ::close(wake_write_);
    wake_read_ = wake_write_ = -1;
  }

  /// Makes the thread call sink.idle() soon (deferred work is waiting).
  void wake() noexcept {
    if (wake_write_ < 0) return;
    const char b = 1;
    [[maybe_unused]] const auto n = ::write(wake_write_, &b, 1);  // full pipe: already woken
  }

  /// Waits until the first connection attempt has ended (subscribed or
  /// failed), at most `bound`. True when subscribed.
  bool wait_first_attempt(std::chrono::milliseconds bound) {
    std::unique_lock<std::mutex> lock(mutex_);
    cv_.wait_for(lock, bound, [&] { return first_attempt_done_; });
    return subscribed_.load(std::memory_order_acquire);
  }

  /// True while the subscription is in place.
  [[nodiscard]] bool subscribed() const noexcept { return subscribed_.load(std::memory_order_acquire); }

  /// For tests: closes the current connection's socket, as a network failure
  /// would; the listener notices, reports lost(disconnect) and reconnects.
  void kill_connection_for_testing() noexcept {
    kill_.store(true, std::memory_order_release);
    wake();
  }

 private:
  struct Lost {
    NotificationLoss cause;
    std::string reason;
  };

  void run() noexcept {
    auto backoff = std::max(settings_.backoff_min, std::chrono::milliseconds(1));
    bool ever = false;
    while (!stopping_.load(std::memory_order_acquire)) {
      Lost loss{NotificationLoss::disconnect, "connect failed"};
      try {
        RedisConnection conn = subscribe();
        subscribed_.store(true, std::memory_order_release);
        sink_.subscribed(ever);
        ever = true;
        backoff = std::max(settings_.backoff_min, std::chrono::milliseconds(1));
        finish_first_attempt();
        loss = listen(conn);
      } catch (const std::exception& e) {
        loss.reason = e.what();
      } catch (...) {
        loss.reason = "unknown failure";
      }
      finish_first_attempt();
      // A stop is not a loss: the store is going away.
      if (subscribed_.exchange(false, std::memory_order_acq_rel) && !stopping_.load(std::memory_order_acquire))
        sink_.lost(loss.cause, loss.reason);
      if (stopping_.load(std::memory_order_acquire)) break;
      wait_readable(-1, backoff);
      drain_wake();
      backoff = std::min(backoff * 2, std::max(settings_.backoff_max, settings_.backoff_min));
    }
    finish_first_attempt();
  }

  RedisConnection subscribe() {
    // Commands before SUBSCRIBE are ordinary request/replies, bounded by the
    // heartbeat timeout; afterwards the socket is only polled.
    RedisConnection conn = RedisConnection::open(settings_.host, settings_.port, settings_.connect_timeout,
                                                 settings_.heartbeat_timeout, settings_.password,
                                                 settings_.db, settings_.username);
    auto id = conn.command({"CLIENT", "ID"});
    RedisConnection::throw_if_error(id, "CLIENT ID");
    if (id->type != REDIS_REPLY_INTEGER) throw StoreError("smartcache: redis CLIENT ID: not an integer");
    const std::string id_text = std::to_string(id->integer);
    RedisConnection::expect_ok(
        conn.command({"CLIENT", "TRACKING", "on", "REDIRECT", id_text, "BCAST", "PREFIX", settings_.tracked_prefix}),
        "CLIENT TRACKING");
    auto sub = conn.command({"SUBSCRIBE", "__redis__:invalidate"});
    RedisConnection::throw_if_error(sub, "SUBSCRIBE");
    if (sub->type != REDIS_REPLY_ARRAY || sub->elements != 3)
      throw StoreError("smartcache: redis SUBSCRIBE: unexpected reply");
    return conn;
  }

  // Reads messages until the connection fails or stop(); returns why it ended.
  Lost listen(RedisConnection& conn) {
    redisContext* c = conn.raw();
    auto last_traffic = clock::now();
    bool ping_out = false;
    auto ping_at = last_traffic;
    for (;;) {
      // Every reply already buffered.
      for (;;) {
        void* raw = nullptr;
        if (redisGetReplyFromReader(c, &raw) != REDIS_OK)
          return {NotificationLoss::disconnect, context_error(c, "read")};
        if (raw == nullptr) break;
        ReplyPtr reply(static_cast<redisReply*>(raw));
        last_traffic = clock::now();
        ping_out = false;
        handle(*reply);
      }
      const std::chrono::milliseconds again = sink_.idle();
      if (stopping_.load(std::memory_order_acquire)) return {NotificationLoss::disconnect, "stopped"};
      if (kill_.exchange(false, std::memory_order_acq_rel)) {
        ::shutdown(c->fd, SHUT_RDWR);
        return {NotificationLoss::disconnect, "connection closed for testing"};
      }
      const auto now = clock::now();
      const auto due = ping_out ? ping_at + settings_.heartbeat_timeout : last_traffic + settings_.heartbeat_interval;
      const auto wait = std::min(std::chrono::duration_cast<std::chrono::milliseconds>(due - now) +
                                     std::chrono::milliseconds(1),
                                 again);
      const int ready = wait_readable(c->fd, std::max(wait, std::chrono::milliseconds(0)));
      drain_wake();
      if (ready < 0) return {NotificationLoss::disconnect, "poll failed"};
      if (ready > 0) {
        if (redisBufferRead(c) != REDIS_OK) return {NotificationLoss::disconnect, context_error(c, "read")};
        continue;
      }
      if (clock::now() < due) continue;  // woken, not timed out
      if (ping_out) return {NotificationLoss::heartbeat, "PING unanswered within the heartbeat timeout"};
      if (!send_ping(c)) return {NotificationLoss::disconnect, context_error(c, "write")};
      ping_out = true;
      ping_at = clock::now();
    }
  }

  static bool send_ping(redisContext* c) {
    SigpipeGuard guard(!sigpipe_is_ignored());
    const char* argv[] = {"PING"};
    const std::size_t lens[] = {4};
    if (redisAppendCommandArgv(c, 1, argv, lens) != REDIS_OK) return false;
    int done = 0;
    while (!done)
      if (redisBufferWrite(c, &done) != REDIS_OK) return false;
    return true;
  }

  void handle(const redisReply& r) {
    // ["message", "__redis__:invalidate", [keys...] | nil], or ["pong", ""].
    if (r.type != REDIS_REPLY_ARRAY || r.elements != 3) return;
    const redisReply* kind = r.element[0];
    if (kind->type != REDIS_REPLY_STRING || std::string_view(kind->str, kind->len) != "message") return;
    const redisReply* payload = r.element[2];
    if (payload->type == REDIS_REPLY_NIL) {
      sink_.flushed();
      return;
    }
    keys_.clear();
    const std::string_view prefix = settings_.tracked_prefix;
    auto add = [&](const redisReply* k) {
      if (k->type != REDIS_REPLY_STRING) return;
      std::string_view name(k->str, k->len);
      if (name.substr(0, prefix.size()) != prefix) return;
      name.remove_prefix(prefix.size());
      keys_.push_back(name);
    };
    if (payload->type == REDIS_REPLY_ARRAY)
      for (std::size_t i = 0; i < payload->elements; ++i) add(payload->element[i]);
    else
      add(payload);
    if (!keys_.empty()) sink_.keys_changed(keys_);
  }

  // Polls `fd` (none when < 0) and the wake pipe; >0 when fd is readable,
  // 0 on timeout or wake, <0 on failure.
  int wait_readable(int fd, std::chrono::milliseconds timeout) noexcept {
    pollfd fds[2] = {{wake_read_, POLLIN, 0}, {fd, POLLIN, 0}};
    const int n = ::poll(fds, fd >= 0 ? 2 : 1, static_cast<int>(std::min<long long>(timeout.count(), 60'000)));
    if (n < 0) return errno == EINTR ? 0 : -1;
    if (fd >= 0 && (fds[1].revents & (POLLIN | POLLHUP | POLLERR))) return 1;
    return 0;
  }

  void drain_wake() noexcept {
    char buf[64];
    while (::read(wake_read_, buf, sizeof buf) > 0) {
    }
  }

  void finish_first_attempt() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (first_attempt_done_) return;
    first_attempt_done_ = true;
    cv_.notify_all();
  }

  ListenerSettings settings_;
  NotificationSink& sink_;
  std::vector<std::string_view> keys_;
  std::atomic<bool> stopping_{false};
  std::atomic<bool> subscribed_{false};
  std::atomic<bool> kill_{false};
  int wake_read_ = -1;
  int wake_write_ = -1;
  std::mutex mutex_;
  std::condition_variable cv_;
  bool first_attempt_done_ = false;
  std::thread thread_;
};

}  // namespace smartcache::detail
