// Test helper: captures log records for the lifetime of the object.
#pragma once

#include <mutex>
#include <string>
#include <string_view>
#include <vector>

#include <smartcache/log.hpp>

namespace smartcache_test {

class LogCapture {
 public:
  LogCapture() {
    previous_ = smartcache::set_log_handler([this](const smartcache::LogRecord& r) {
      std::lock_guard<std::mutex> lock(mutex_);
      records_.push_back(r);
    });
  }
  ~LogCapture() { smartcache::set_log_handler(previous_); }
  LogCapture(const LogCapture&) = delete;
  LogCapture& operator=(const LogCapture&) = delete;

  [[nodiscard]] std::vector<smartcache::LogRecord> records() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return records_;
  }
  [[nodiscard]] std::size_t count(smartcache::LogLevel level) const {
    std::lock_guard<std::mutex> lock(mutex_);
    std::size_t n = 0;
    for (const auto& r : records_) n += r.level == level ? 1u : 0u;
    return n;
  }
  [[nodiscard]] bool contains(std::string_view needle) const {
    std::lock_guard<std::mutex> lock(mutex_);
    for (const auto& r : records_)
      if (r.message.find(needle) != std::string::npos) return true;
    return false;
  }

 private:
  mutable std::mutex mutex_;
  std::vector<smartcache::LogRecord> records_;
  smartcache::LogHandler previous_;
};

}  // namespace smartcache_test
