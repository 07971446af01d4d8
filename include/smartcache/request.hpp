// smartcache - what a SmartCache is asked with (RequestContext) and answers (Result, ComputeTimeout).
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <vector>

#include <smartcache/types.hpp>

namespace smartcache {

/// What a request is about: the tags its entry carries (what invalidations
/// match), the kickoff that selects its zone, and the VIX status of each feed;
/// optionally this request's own compute deadlines, which replace
/// Config::compute_soft_timeout / compute_hard_timeout (0 = off for it).
///
/// Example:
///   smartcache::RequestContext ctx{{"match:42", "btts"}, kickoff, {{"epl", smartcache::VixStatus::normal}}};
///   ctx.hard_timeout = std::chrono::milliseconds(50);  // this caller waits 50 ms at most
struct RequestContext {
  std::vector<std::string> tags;
  std::optional<std::chrono::system_clock::time_point> kickoff;
  std::map<std::string, VixStatus> vix;
  std::optional<std::chrono::milliseconds> soft_timeout = std::nullopt;
  std::optional<std::chrono::milliseconds> hard_timeout = std::nullopt;
};

/// Thrown by get_or_compute when the hard timeout passed before the compute
/// (its own or the one it waited for) finished and no usable stale entry
/// exists. The compute goes on; its value is stored when it finishes.
///
/// Example:
///   try { cache.get_or_compute(key, model, ctx); }
///   catch (const smartcache::ComputeTimeout& e) { answer_503(e.key(), e.timeout()); }
class ComputeTimeout : public std::runtime_error {
 public:
  ComputeTimeout(std::string_view key, std::chrono::milliseconds timeout)
      : std::runtime_error("smartcache: compute of '" + std::string(key) + "' exceeded its hard timeout of " +
                           std::to_string(timeout.count()) + " ms"),
        key_(key),
        timeout_(timeout) {}

  /// The key whose compute did not finish in time.
  [[nodiscard]] const std::string& key() const noexcept { return key_; }
  /// The hard timeout that passed.
  [[nodiscard]] std::chrono::milliseconds timeout() const noexcept { return timeout_; }

 private:
  std::string key_;
  std::chrono::milliseconds timeout_;
};

/// The answer to one request and how it was reached.
///
/// `zone` is empty when the request never reached zone evaluation (cache
/// disabled, VIX panic, wall clock failure); `vix` is `normal` when the cache
/// is disabled (not evaluated); `age` is how old the served value is (zero for
/// a value computed by this request or the one it waited for).
template <class V>
struct Result {
  V value;
  Strategy strategy = Strategy::compute;
  std::optional<Zone> zone;
  VixStatus vix = VixStatus::normal;
  std::chrono::milliseconds age{0};
};

}  // namespace smartcache
