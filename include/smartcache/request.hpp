// smartcache - what a SmartCache is asked with (RequestContext) and answers (Result).
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <map>
#include <optional>
#include <string>
#include <vector>

#include <smartcache/types.hpp>

namespace smartcache {

/// What a request is about: the tags its entry carries (what invalidations
/// match), the kickoff that selects its zone, and the VIX status of each feed.
///
/// Example:
///   smartcache::RequestContext ctx{{"match:42", "btts"}, kickoff, {{"epl", smartcache::VixStatus::normal}}};
struct RequestContext {
  std::vector<std::string> tags;
  std::optional<std::chrono::system_clock::time_point> kickoff;
  std::map<std::string, VixStatus> vix;
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
