// smartcache - the library's only way to speak: structured records to one handler.
// SPDX-License-Identifier: MIT
#pragma once

#include <atomic>
#include <chrono>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <memory>
#include <mutex>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace smartcache {

enum class LogLevel { debug, info, warning, error };

[[nodiscard]] constexpr std::string_view to_string(LogLevel l) noexcept {
  switch (l) {
    case LogLevel::debug: return "debug";
    case LogLevel::info: return "info";
    case LogLevel::warning: return "warning";
    case LogLevel::error: return "error";
  }
  return "unknown";
}

/// One log event: a level, a constant message and key/value context.
struct LogRecord {
  LogLevel level = LogLevel::info;
  std::string message;
  std::vector<std::pair<std::string, std::string>> fields;
};

using LogHandler = std::function<void(const LogRecord&)>;

namespace detail {

inline void default_log_handler(const LogRecord& r) {
  if (r.level < LogLevel::warning) return;
  std::string line = fmt::format("smartcache [{}] {}", to_string(r.level), r.message);
  for (const auto& [k, v] : r.fields) line += fmt::format(" {}={}", k, v);
  line += '\n';
  std::fputs(line.c_str(), stderr);
}

struct LogState {
  std::mutex mutex;
  std::shared_ptr<const LogHandler> handler =
      std::make_shared<const LogHandler>(&default_log_handler);
};

inline LogState& log_state() {
  static LogState state;
  return state;
}

/// Sends a record to the current handler. Never throws: a handler that throws
/// loses its record, never the caller's request.
inline void log(LogLevel level, std::string_view message,
                std::vector<std::pair<std::string, std::string>> fields = {}) noexcept {
  try {
    std::shared_ptr<const LogHandler> h;
    {
      auto& s = log_state();
      std::lock_guard<std::mutex> lock(s.mutex);
      h = s.handler;
    }
    if (!h || !*h) return;
    LogRecord record{level, std::string(message), std::move(fields)};
    (*h)(record);
  } catch (...) {
  }
}

/// Lets a noisy call site log at most once per interval, counting what it
/// suppressed in between. Lock-free; safe to share between threads.
class LogThrottle {
 public:
  explicit LogThrottle(std::chrono::nanoseconds interval = std::chrono::seconds(1)) noexcept
      : interval_ns_(interval.count()) {}

  /// Returns the number of suppressed calls since the last permitted one
  /// (>= 0) when this call may log, or -1 when it must stay quiet.
  [[nodiscard]] std::int64_t permit() noexcept {
    const std::int64_t now = std::chrono::duration_cast<std::chrono::nanoseconds>(
                                 std::chrono::steady_clock::now().time_since_epoch())
                                 .count();
    std::int64_t last = last_ns_.load(std::memory_order_relaxed);
    if (last != never && now - last < interval_ns_) {
      suppressed_.fetch_add(1, std::memory_order_relaxed);
      return -1;
    }
    if (!last_ns_.compare_exchange_strong(last, now, std::memory_order_relaxed)) {
      suppressed_.fetch_add(1, std::memory_order_relaxed);
      return -1;
    }
    return suppressed_.exchange(0, std::memory_order_relaxed);
  }

 private:
  static constexpr std::int64_t never = INT64_MIN;
  std::int64_t interval_ns_;
  std::atomic<std::int64_t> last_ns_{never};
  std::atomic<std::int64_t> suppressed_{0};
};

using LogFields = std::vector<std::pair<std::string, std::string>>;

// Logs a warning at most once per `throttle` interval, with how many calls it
// kept quiet since the last one ("suppressed"). `fields()` (returning
// LogFields) runs only when the warning is written, so a quiet call costs an
// atomic load. Never throws: the library's failure paths call it.
template <class MakeFields>
void warn_throttled_with(LogThrottle& throttle, std::string_view message, MakeFields&& fields) noexcept {
  const std::int64_t suppressed = throttle.permit();
  if (suppressed < 0) return;
  try {
    LogFields f = fields();
    f.emplace_back("suppressed", std::to_string(suppressed));
    log(LogLevel::warning, message, std::move(f));
  } catch (...) {
  }
}

}  // namespace detail

/// Installs the handler that receives every log record of the library and
/// returns the previous one. An empty handler silences the library.
/// The default handler writes warnings and errors, one line each, to stderr.
/// Thread-safe: records already being delivered may still reach the old handler.
///
/// Example:
///   smartcache::set_log_handler([](const smartcache::LogRecord& r) {
///     my_logger.log(to_string(r.level), r.message);
///   });
inline LogHandler set_log_handler(LogHandler handler) {
  auto& s = detail::log_state();
  auto next = std::make_shared<const LogHandler>(std::move(handler));
  std::lock_guard<std::mutex> lock(s.mutex);
  std::shared_ptr<const LogHandler> previous = std::exchange(s.handler, std::move(next));
  return previous ? *previous : LogHandler{};
}

}  // namespace smartcache
