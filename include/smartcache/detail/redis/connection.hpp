// smartcache - one hiredis connection: connect, run a command, run a pipeline.
// SPDX-License-Identifier: MIT
#pragma once

#include <pthread.h>
#include <signal.h>
#include <sys/time.h>

#include <chrono>
#include <cstddef>
#include <memory>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <hiredis/hiredis.h>

#include <smartcache/stores/store.hpp>

namespace smartcache::detail {

struct ReplyDeleter {
  void operator()(redisReply* r) const noexcept {
    if (r) freeReplyObject(r);
  }
};
using ReplyPtr = std::unique_ptr<redisReply, ReplyDeleter>;

struct ContextDeleter {
  void operator()(redisContext* c) const noexcept {
    if (c) redisFree(c);
  }
};
using ContextPtr = std::unique_ptr<redisContext, ContextDeleter>;

/// Thrown when the connection itself failed (refused, reset, timed out): the
/// context is unusable afterwards and the pool drops it. A Redis error reply
/// is a plain StoreError and leaves the connection usable.
class RedisIoError : public StoreError {
 public:
  using StoreError::StoreError;
};

[[nodiscard]] inline timeval to_timeval(std::chrono::milliseconds d) noexcept {
  if (d.count() < 1) d = std::chrono::milliseconds(1);
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(d.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((d.count() % 1000) * 1000);
  return tv;
}

// hiredis writes with write(2): a peer that went away raises SIGPIPE, whose
// default action kills the host process. Unless the host already ignores it,
// block SIGPIPE on this thread for the duration of a command and swallow the
// one our write may have raised, leaving the process's disposition untouched.
class SigpipeGuard {
 public:
  explicit SigpipeGuard(bool active) noexcept : active_(active) {
    if (!active_) return;
    sigemptyset(&pipe_set_);
    sigaddset(&pipe_set_, SIGPIPE);
    sigset_t pending;
    sigemptyset(&pending);
    sigpending(&pending);
    already_pending_ = sigismember(&pending, SIGPIPE) == 1;
    pthread_sigmask(SIG_BLOCK, &pipe_set_, &old_mask_);
  }
  ~SigpipeGuard() {
    if (!active_) return;
    if (!already_pending_) {
      sigset_t pending;
      sigemptyset(&pending);
      sigpending(&pending);
      if (sigismember(&pending, SIGPIPE) == 1) {
        const timespec zero{0, 0};
        sigtimedwait(&pipe_set_, nullptr, &zero);
      }
    }
    pthread_sigmask(SIG_SETMASK, &old_mask_, nullptr);
  }
  SigpipeGuard(const SigpipeGuard&) = delete;
  SigpipeGuard& operator=(const SigpipeGuard&) = delete;

 private:
  bool active_;
  bool already_pending_ = false;
  sigset_t pipe_set_{};
  sigset_t old_mask_{};
};

[[nodiscard]] inline bool sigpipe_is_ignored() noexcept {
  struct sigaction sa {};
  if (sigaction(SIGPIPE, nullptr, &sa) != 0) return false;
  return sa.sa_handler == SIG_IGN;
}

[[nodiscard]] inline std::string context_error(const redisContext* c, std::string_view what) {
  std::string msg = "smartcache: redis ";
  msg.append(what);
  if (c && c->err) {
    msg += ": ";
    msg += c->errstr;
  }
  return msg;
}

/// A command as argument views (binary-safe; nothing is formatted).
using Command = std::vector<std::string_view>;

/// True for an error reply that says the server will not serve this
/// connection at all, whatever the command: not authenticated (NOAUTH), bad
/// credentials (WRONGPASS, "ERR invalid password", "ERR AUTH ..." / "ERR
/// Client sent AUTH, but no password is set" of a password the server does
/// not have), not permitted (NOPERM: an ACL user lacking a command or key
/// pattern this store needs), or not ready (LOADING, MASTERDOWN, and BUSY: a
/// script or function is hogging the server). Such replies are treated like
/// an I/O failure (the pool drops the connection and backs off); any other
/// error reply (WRONGTYPE on a user's key, ...) is a plain StoreError.
[[nodiscard]] inline bool is_connection_level_error(std::string_view msg) noexcept {
  auto starts = [&](std::string_view p) { return msg.substr(0, p.size()) == p; };
  if (starts("NOAUTH") || starts("WRONGPASS") || starts("NOPERM") || starts("LOADING") ||
      starts("MASTERDOWN") || starts("BUSY "))
    return true;
  if (!starts("ERR ")) return false;
  return starts("ERR AUTH") || starts("ERR Client sent AUTH") ||
         msg.find("invalid password") != std::string_view::npos ||
         msg.find("invalid username-password") != std::string_view::npos;
}

/// One live hiredis context. Not thread-safe: the pool hands it to one thread at a time.
class RedisConnection {
 public:
  RedisConnection(ContextPtr ctx, bool guard_sigpipe) noexcept
      : ctx_(std::move(ctx)), guard_sigpipe_(guard_sigpipe) {}

  /// Connects, sets the command timeout, authenticates and selects the db.
  /// AUTH <username> <password> when `username` is set (Redis 6 ACL user),
  /// AUTH <password> when only `password` is, nothing when neither is.
  /// Throws RedisIoError when the server cannot be reached or refuses us.
  [[nodiscard]] static RedisConnection open(const std::string& host, int port,
                                            std::chrono::milliseconds connect_timeout,
                                            std::chrono::milliseconds command_timeout,
                                            const std::string& password, int db,
                                            const std::string& username = {}) {
    ContextPtr ctx(redisConnectWithTimeout(host.c_str(), port, to_timeval(connect_timeout)));
    if (!ctx) throw RedisIoError("smartcache: redis connect: out of memory");
    if (ctx->err) throw RedisIoError(context_error(ctx.get(), "connect"));
    if (redisSetTimeout(ctx.get(), to_timeval(command_timeout)) != REDIS_OK)
      throw RedisIoError(context_error(ctx.get(), "set timeout"));
    RedisConnection conn(std::move(ctx), !sigpipe_is_ignored());
    // A refused AUTH or SELECT is a setup failure of this connection: treat it
    // like an I/O failure so the pool backs off instead of retrying per call.
    try {
      if (!username.empty())
        conn.expect_ok(conn.command({"AUTH", username, password}), "AUTH");
      else if (!password.empty())
        conn.expect_ok(conn.command({"AUTH", password}), "AUTH");
      if (db != 0) {
        const std::string db_text = std::to_string(db);
        conn.expect_ok(conn.command({"SELECT", db_text}), "SELECT");
      }
    } catch (const RedisIoError&) {
      throw;
    } catch (const StoreError& e) {
      throw RedisIoError(e.what());
    }
    return conn;
  }

  /// What made the context unusable ("" when it is fine).
  [[nodiscard]] std::string error_message() const {
    if (!ctx_) return "no context";
    if (ctx_->err) return std::string(ctx_->errstr);
    return refused_;
  }

  /// True once an I/O error, or an error reply that refuses the connection
  /// itself (is_connection_level_error), made the connection unusable.
  [[nodiscard]] bool broken() const noexcept {
    return !ctx_ || ctx_->err != 0 || !refused_.empty();
  }

  /// The hiredis context, for a caller that reads replies itself (the
  /// notification listener polls its socket). Stays owned by this object.
  [[nodiscard]] redisContext* raw() const noexcept { return ctx_.get(); }

  /// True once the server answered a command on this connection (with any
  /// reply, an ordinary error reply included).
  [[nodiscard]] bool answered() const noexcept { return answered_; }

  /// Runs one command and returns its reply (which may be an ordinary error
  /// reply). Throws RedisIoError on a connection failure, and on an error
  /// reply that refuses the connection (NOAUTH, WRONGPASS, NOPERM, LOADING,
  /// ...: see is_connection_level_error), which also marks it broken().
  [[nodiscard]] ReplyPtr command(const Command& args) {
    constexpr std::size_t inline_args = 8;
    const char* argv_small[inline_args];
    std::size_t lens_small[inline_args];
    std::vector<const char*> argv_big;
    std::vector<std::size_t> lens_big;
    const char** argv = argv_small;
    std::size_t* lens = lens_small;
    if (args.size() > inline_args) {
      argv_big.resize(args.size());
      lens_big.resize(args.size());
      argv = argv_big.data();
      lens = lens_big.data();
    }
    for (std::size_t i = 0; i < args.size(); ++i) {
      argv[i] = args[i].data();
      lens[i] = args[i].size();
    }
    SigpipeGuard guard(guard_sigpipe_);
    ReplyPtr reply(static_cast<redisReply*>(
        redisCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv, lens)));
    if (!reply) throw RedisIoError(context_error(ctx_.get(), "command"));
    check_refusal(reply.get());
    return reply;
  }

  /// Sends every command in one write and reads every reply (one round trip).
  /// All replies are read before returning, so the connection stays in sync
  /// even when some of them are error replies. Throws RedisIoError on a
  /// connection failure or a refusing error reply, as command() does.
  [[nodiscard]] std::vector<ReplyPtr> pipeline(const std::vector<Command>& commands) {
    std::vector<const char*> argv;
    std::vector<std::size_t> lens;
    SigpipeGuard guard(guard_sigpipe_);
    for (const auto& args : commands) {
      argv.resize(args.size());
      lens.resize(args.size());
      for (std::size_t i = 0; i < args.size(); ++i) {
        argv[i] = args[i].data();
        lens[i] = args[i].size();
      }
      if (redisAppendCommandArgv(ctx_.get(), static_cast<int>(args.size()), argv.data(),
                                 lens.data()) != REDIS_OK)
        throw RedisIoError(context_error(ctx_.get(), "append"));
    }
    std::vector<ReplyPtr> replies;
    replies.reserve(commands.size());
    for (std::size_t i = 0; i < commands.size(); ++i) {
      void* raw = nullptr;
      if (redisGetReply(ctx_.get(), &raw) != REDIS_OK || raw == nullptr)
        throw RedisIoError(context_error(ctx_.get(), "pipeline"));
      replies.emplace_back(static_cast<redisReply*>(raw));
    }
    for (const auto& r : replies) check_refusal(r.get());
    return replies;
  }

  /// Throws StoreError unless the reply is a status "OK".
  static void expect_ok(const ReplyPtr& r, std::string_view what) {
    if (r->type == REDIS_REPLY_STATUS && std::string_view(r->str, r->len) == "OK") return;
    throw_if_error(r, what);
    throw StoreError("smartcache: redis " + std::string(what) + ": unexpected reply");
  }

  /// Throws StoreError carrying Redis's message when the reply is an error.
  static void throw_if_error(const ReplyPtr& r, std::string_view what) {
    if (r->type != REDIS_REPLY_ERROR) return;
    throw StoreError("smartcache: redis " + std::string(what) + ": " +
                     std::string(r->str, r->len));
  }

 private:
  void check_refusal(const redisReply* r) {
    answered_ = true;
    if (r->type != REDIS_REPLY_ERROR) return;
    const std::string_view msg(r->str, r->len);
    if (!is_connection_level_error(msg)) return;
    refused_.assign(msg.data(), msg.size());
    throw RedisIoError("smartcache: redis refused the connection: " + refused_);
  }

  ContextPtr ctx_;
  bool guard_sigpipe_;
  bool answered_ = false;  // a reply came back
  std::string refused_;    // the error reply that refused this connection
};

}  // namespace smartcache::detail
