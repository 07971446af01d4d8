// smartcache - gathers one request's metrics and records them once, even when it throws.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>

#include <smartcache/log.hpp>
#include <smartcache/metrics/metrics.hpp>
#include <smartcache/detail/core/clock.hpp>

namespace smartcache::detail {

inline LogThrottle& latency_clock_warnings() noexcept {
  static LogThrottle throttle(std::chrono::seconds(10));
  return throttle;
}

inline void warn_latency_clock(const char* what) noexcept {
  warn_throttled_with(latency_clock_warnings(), "latency clock failed; request served without a latency sample",
                 [what] { return LogFields{{"reason", what}}; });
}

// Owns the RequestRecord of one request. The latency clock is read only when
// the metrics sample this request (decided here, at the start), once at the
// start and once at the end; a clock that throws or runs backwards flags the
// request as unmeasured. The destructor records everything with one
// record_request call, so a request that ends in an exception still counts.
class RequestScope {
 public:
  RequestScope(CacheMetrics& metrics, const SteadyClockFn& clock) noexcept
      : metrics_(metrics), clock_(clock), sampled_(metrics.should_sample_latency()) {
    if (!sampled_) return;
    try {
      start_ = read_clock(clock_);
    } catch (...) {
      sampled_ = false;
      record.latency_unmeasured = true;
      warn_latency_clock("threw at request start");
    }
  }

  RequestScope(const RequestScope&) = delete;
  RequestScope& operator=(const RequestScope&) = delete;

  ~RequestScope() {
    if (sampled_) {
      try {
        const auto end = read_clock(clock_);
        if (end < start_) {
          record.latency_unmeasured = true;
          warn_latency_clock("went backwards");
        } else {
          record.latency_ms = std::chrono::duration<double, std::milli>(end - start_).count();
        }
      } catch (...) {
        record.latency_unmeasured = true;
        warn_latency_clock("threw at request end");
      }
    }
    metrics_.record_request(record);
  }

  RequestRecord record;

 private:
  CacheMetrics& metrics_;
  const SteadyClockFn& clock_;
  bool sampled_;
  std::chrono::steady_clock::time_point start_{};
};

}  // namespace smartcache::detail
