// smartcache tests - TieredStore instances over one test Redis, and waiting for them.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <memory>
#include <string>
#include <thread>
#include <utility>

#include <smartcache/metrics/metrics.hpp>
#include <smartcache/tiered_store.hpp>

#include "support/redis_server.hpp"

namespace smartcache_test {

/// TieredOptions for a test instance: redis_test_options, a 50 ms heartbeat
/// with a 1 s timeout (generous: sanitizer builds on a loaded machine), counting into `metrics`.
inline smartcache::TieredOptions tiered_test_options(int port, smartcache::CacheMetrics& metrics,
                                                     std::string prefix = "tier:") {
  smartcache::TieredOptions o;
  o.redis = redis_test_options(port, std::move(prefix));
  o.memory_capacity = 1000;
  o.memory_max_ttl = std::chrono::seconds(30);
  o.heartbeat_interval = std::chrono::milliseconds(50);
  o.heartbeat_timeout = std::chrono::milliseconds(1000);
  o.metrics = &metrics;
  return o;
}

/// Polls `done` every 200 µs until it holds or `bound` passed; true when it held.
/// A synchronisation (the bound is generous), never a timing assertion.
template <class Pred>
bool eventually(Pred&& done, std::chrono::milliseconds bound = std::chrono::seconds(5)) {
  const auto deadline = std::chrono::steady_clock::now() + bound;
  while (!done()) {
    if (std::chrono::steady_clock::now() > deadline) return false;
    std::this_thread::sleep_for(std::chrono::microseconds(200));
  }
  return true;
}

/// One counter of `m` (its current window), e.g. counter(m, Counter::tier_notifications).
inline std::uint64_t counter(const smartcache::CacheMetrics& m, smartcache::Counter c) {
  return static_cast<std::uint64_t>(m.get_stats().get(smartcache::to_string(c)).value_or(0));
}

}  // namespace smartcache_test
