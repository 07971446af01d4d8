// smartcache - what one request and one invalidation report to CacheMetrics.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <optional>

#include <smartcache/types.hpp>

namespace smartcache {

/// Everything one request did, recorded by `CacheMetrics::record_request`
/// with a single lock acquisition.
struct RequestRecord {
  Strategy strategy = Strategy::compute;
  std::optional<VixStatus> vix;  ///< nullopt: VIX not evaluated (cache disabled)
  std::optional<Zone> zone;      ///< nullopt: zone not evaluated
  Lookup lookup = Lookup::none;
  Tier tier = Tier::none;          ///< the store tier that answered a hit (TieredStore)
  std::uint32_t store_errors = 0;  ///< store calls that failed while serving it
  std::uint32_t evictions = 0;     ///< entries the store evicted for its put
  /// The measured latency, to observe as given (the caller sampled it with
  /// `should_sample_latency()`); nullopt when not sampled or not measured.
  std::optional<double> latency_ms;
  bool latency_unmeasured = false;  ///< the latency clock failed for this request
};

/// Everything one invalidation did, recorded with a single lock acquisition.
struct InvalidationRecord {
  bool surgical = true;  ///< false: a full invalidation
  std::uint64_t markets_affected = 0;
  std::uint64_t keys_deleted = 0;
  std::uint64_t markets_preserved = 0;
  std::optional<double> cpu_saved_pct;  ///< recorded for surgical invalidations
};

}  // namespace smartcache
