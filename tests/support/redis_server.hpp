// smartcache tests - a real redis-server on a free loopback port, owned by the
// test; the RedisOptions and the raw connection tests use with it.
// SPDX-License-Identifier: MIT
#pragma once

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <signal.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cerrno>
#include <chrono>
#include <cstdlib>
#include <cstring>
#include <filesystem>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <hiredis/hiredis.h>
#include <smartcache/redis_store.hpp>

namespace smartcache_test {

/// Path of the redis-server binary: the build's SMARTCACHE_REDIS_SERVER_PATH
/// when it names an executable, else "redis-server" found in PATH; nullopt
/// when neither exists.
inline std::optional<std::string> find_redis_server() {
#ifdef SMARTCACHE_REDIS_SERVER_PATH
  {
    const std::string configured = SMARTCACHE_REDIS_SERVER_PATH;
    if (!configured.empty() && ::access(configured.c_str(), X_OK) == 0) return configured;
  }
#endif
  const char* path = std::getenv("PATH");
  std::string dirs = path ? path : "/usr/local/bin:/usr/bin:/bin";
  std::size_t start = 0;
  while (start <= dirs.size()) {
    std::size_t end = dirs.find(':', start);
    if (end == std::string::npos) end = dirs.size();
    std::string dir = dirs.substr(start, end - start);
    if (!dir.empty()) {
      std::string candidate = dir + "/redis-server";
      if (::access(candidate.c_str(), X_OK) == 0) return candidate;
    }
    start = end + 1;
  }
  return std::nullopt;
}

/// True when the tests run in CI (env CI set and not "false"/"0"): a missing
/// redis-server is then a failure instead of a skip.
inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0' && std::string(ci) != "false" && std::string(ci) != "0";
}

/// A free TCP port on 127.0.0.1 (the kernel's pick; free when we looked).
inline int pick_free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  if (fd < 0) throw std::runtime_error("socket() failed");
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  socklen_t len = sizeof(addr);
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof(addr)) != 0 ||
      ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len) != 0) {
    ::close(fd);
    throw std::runtime_error("could not pick a free port");
  }
  ::close(fd);
  return ntohs(addr.sin_port);
}

/// What a PING with a short timeout brought back: the reply's type and text;
/// nullopt when no reply came (nothing listens, or it timed out).
struct PingReply {
  int type;
  std::string text;
};
inline std::optional<PingReply> redis_ping_reply(int port, std::chrono::milliseconds timeout) {
  timeval tv{};
  tv.tv_sec = static_cast<decltype(tv.tv_sec)>(timeout.count() / 1000);
  tv.tv_usec = static_cast<decltype(tv.tv_usec)>((timeout.count() % 1000) * 1000);
  redisContext* c = redisConnectWithTimeout("127.0.0.1", port, tv);
  if (c == nullptr) return std::nullopt;
  std::optional<PingReply> reply;
  if (c->err == 0) {
    redisSetTimeout(c, tv);
    auto* r = static_cast<redisReply*>(redisCommand(c, "PING"));
    if (r != nullptr) reply = PingReply{r->type, r->str ? std::string(r->str, r->len) : std::string()};
    if (r) freeReplyObject(r);
  }
  redisFree(c);
  return reply;
}

/// Sends PING with a short timeout; true on PONG.
inline bool redis_ping(int port, std::chrono::milliseconds timeout = std::chrono::milliseconds(200)) {
  const auto r = redis_ping_reply(port, timeout);
  return r && r->type == REDIS_REPLY_STATUS && r->text == "PONG";
}

/// Sends PING with a short timeout; true on any reply (PONG, or an error
/// such as NOAUTH from a server that requires a password): the server is up.
inline bool redis_answers(int port, std::chrono::milliseconds timeout = std::chrono::milliseconds(200)) {
  const auto r = redis_ping_reply(port, timeout);
  return r && (r->type == REDIS_REPLY_STATUS || r->type == REDIS_REPLY_ERROR);
}

/// RedisOptions for a test's store on 127.0.0.1:`port` under `prefix`:
/// generous timeouts (sanitizer builds on a shared machine), a short
/// reconnect backoff (10 - 50 ms).
inline smartcache::RedisOptions redis_test_options(int port, std::string prefix = "test:") {
  smartcache::RedisOptions o;
  o.port = port;
  o.key_prefix = std::move(prefix);
  o.command_timeout = std::chrono::milliseconds(1000);
  o.connect_timeout = std::chrono::milliseconds(1000);
  o.reconnect_backoff_min = std::chrono::milliseconds(10);
  o.reconnect_backoff_max = std::chrono::milliseconds(50);
  return o;
}

/// A plain connection to 127.0.0.1:`port`, for looking at what a store wrote.
inline smartcache::detail::RedisConnection redis_raw_connection(int port, const std::string& password = "") {
  const auto timeout = std::chrono::milliseconds(1000);
  return smartcache::detail::RedisConnection::open("127.0.0.1", port, timeout, timeout, password, 0);
}

/// A redis-server child process bound to 127.0.0.1 on a free port, with no
/// persistence, in its own temporary directory. `extra_args` are appended to
/// its command line (e.g. {"--requirepass", "s3cret"}) on every start. Stopped by pid (never by
/// name) in stop() and in the destructor, which also removes the directory;
/// killed by the kernel if the thread that started it dies first.
/// Not thread-safe: drive it from the test's main thread.
///
/// Example:
///   smartcache_test::RedisServer redis;        // throws if it cannot start
///   options.port = redis.port();
///   redis.stop();  ... redis.start();          // same port, empty data
class RedisServer {
 public:
  explicit RedisServer(std::string binary = find_redis_server().value_or("redis-server"),
                       std::vector<std::string> extra_args = {})
      : binary_(std::move(binary)), extra_args_(std::move(extra_args)) {
    std::string tmpl = (std::filesystem::temp_directory_path() / "smartcache-redis-XXXXXX").string();
    std::vector<char> buf(tmpl.begin(), tmpl.end());
    buf.push_back('\0');
    if (::mkdtemp(buf.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    dir_ = buf.data();
    // A port picked free can be taken before redis binds it: try a few.
    for (int attempt = 0; attempt < 5; ++attempt) {
      port_ = pick_free_port();
      if (try_start()) return;
    }
    cleanup_dir();
    throw std::runtime_error("redis-server did not start (binary: " + binary_ + ")");
  }

  RedisServer(const RedisServer&) = delete;
  RedisServer& operator=(const RedisServer&) = delete;

  ~RedisServer() {
    stop();
    cleanup_dir();
  }

  [[nodiscard]] int port() const noexcept { return port_; }
  [[nodiscard]] bool running() const noexcept { return pid_ > 0; }
  [[nodiscard]] const std::string& dir() const noexcept { return dir_; }

  /// Graceful stop: SIGTERM to our child, then wait for it (SIGKILL after 5 s).
  void stop() { terminate(SIGTERM); }

  /// Abrupt stop: SIGKILL to our child, as a crash would.
  void kill() { terminate(SIGKILL); }

  /// Freezes the server (SIGSTOP): it keeps its connections and answers
  /// nothing, as a hung server would, until resume() (SIGCONT).
  void pause() {
    if (pid_ > 0) ::kill(pid_, SIGSTOP);
  }
  void resume() {
    if (pid_ > 0) ::kill(pid_, SIGCONT);
  }

  /// Starts again on the same port (data is gone: persistence is off).
  void start() {
    if (pid_ > 0) return;
    for (int attempt = 0; attempt < 20; ++attempt) {
      if (try_start()) return;
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
    }
    throw std::runtime_error("redis-server did not restart on port " + std::to_string(port_));
  }

 private:
  bool try_start() {
    const std::string port_text = std::to_string(port_);
    const std::string log_path = dir_ + "/redis.log";
    std::vector<std::string> args = {binary_, "--port", port_text, "--bind", "127.0.0.1",
                                     "--save", "", "--appendonly", "no", "--dir", dir_,
                                     "--logfile", log_path, "--daemonize", "no"};
    args.insert(args.end(), extra_args_.begin(), extra_args_.end());
    std::vector<char*> argv;
    for (auto& a : args) argv.push_back(a.data());
    argv.push_back(nullptr);

    // fork + exec rather than posix_spawn: the child asks the kernel to kill
    // it when its parent dies, so a test process that aborts (a sanitizer's
    // halt_on_error, a ctest timeout) leaves no orphan redis-server behind.
    // Only async-signal-safe calls happen between fork and exec.
    const pid_t parent = ::getpid();
    const pid_t pid = ::fork();
    if (pid < 0) throw std::runtime_error(std::string("fork failed: ") + std::strerror(errno));
    if (pid == 0) {
      ::prctl(PR_SET_PDEATHSIG, SIGKILL);
      if (::getppid() != parent) ::_exit(127);  // the parent is already gone
      const int devnull = ::open("/dev/null", O_RDWR);
      if (devnull >= 0) {
        ::dup2(devnull, STDIN_FILENO);
        ::dup2(devnull, STDOUT_FILENO);
      }
      ::execvp(argv[0], argv.data());
      ::_exit(127);
    }
    pid_ = pid;

    // Bounded wait until it answers PING, or until it exited (port taken).
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(10);
    while (std::chrono::steady_clock::now() < deadline) {
      int status = 0;
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = -1;
        return false;
      }
      if (redis_answers(port_)) return true;
      std::this_thread::sleep_for(std::chrono::milliseconds(10));
    }
    terminate(SIGKILL);
    return false;
  }

  void terminate(int sig) {
    if (pid_ <= 0) return;
    ::kill(pid_, sig);
    ::kill(pid_, SIGCONT);  // a paused server handles its SIGTERM
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(5);
    int status = 0;
    while (::waitpid(pid_, &status, WNOHANG) == 0) {
      if (std::chrono::steady_clock::now() > deadline) {
        ::kill(pid_, SIGKILL);
        ::waitpid(pid_, &status, 0);
        break;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(5));
    }
    pid_ = -1;
  }

  void cleanup_dir() noexcept {
    if (dir_.empty()) return;
    std::error_code ec;
    std::filesystem::remove_all(dir_, ec);
    dir_.clear();
  }

  std::string binary_;
  std::vector<std::string> extra_args_;
  std::string dir_;
  int port_ = 0;
  pid_t pid_ = -1;
};

/// Starts a RedisServer for a test, or explains why not: nullptr when
/// redis-server is missing (the caller skips, or fails in CI).
inline std::unique_ptr<RedisServer> start_redis_or_null(std::vector<std::string> extra_args = {}) {
  auto binary = find_redis_server();
  if (!binary) return nullptr;
  return std::make_unique<RedisServer>(*binary, std::move(extra_args));
}

}  // namespace smartcache_test

/// In a Catch2 test: declares `var` (std::unique_ptr<RedisServer>) running a
/// fresh server; when redis-server is not installed the test is skipped
/// locally and fails when env CI is set.
#if defined(CATCH_VERSION_MAJOR) && CATCH_VERSION_MAJOR >= 3
#define SMARTCACHE_TEST_SKIP_(msg) SKIP(msg)
#else
#define SMARTCACHE_TEST_SKIP_(msg) \
  do {                             \
    WARN(msg);                     \
    return;                        \
  } while (false)
#endif
#define SMARTCACHE_REQUIRE_REDIS_ARGS_(var, args)                                     \
  auto var = ::smartcache_test::start_redis_or_null(args);                            \
  if (!var) {                                                                         \
    if (::smartcache_test::running_in_ci()) FAIL("redis-server not found (CI is set)"); \
    SMARTCACHE_TEST_SKIP_("redis-server not found: skipped (install redis-server)");  \
  }
#define SMARTCACHE_REQUIRE_REDIS(var) SMARTCACHE_REQUIRE_REDIS_ARGS_(var, {})
/// The same, with extra redis-server arguments:
///   SMARTCACHE_REQUIRE_REDIS_WITH(redis, "--requirepass", "s3cret");
#define SMARTCACHE_REQUIRE_REDIS_WITH(var, ...) \
  SMARTCACHE_REQUIRE_REDIS_ARGS_(var, (std::vector<std::string>{__VA_ARGS__}))
