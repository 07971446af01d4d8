// Test helper: a RequestRecord in one expression.
#pragma once

#include <optional>

#include <smartcache/metrics/records.hpp>
#include <smartcache/types.hpp>

namespace smartcache_test {

// One request as SmartCache would record it: how it was answered, its VIX
// status and zone, what the lookup found, and its (sampled) latency.
inline smartcache::RequestRecord request_record(smartcache::Strategy strategy, smartcache::VixStatus vix,
                                                smartcache::Zone zone, smartcache::Lookup lookup,
                                                std::optional<double> latency_ms) {
  smartcache::RequestRecord r;
  r.strategy = strategy;
  r.vix = vix;
  r.zone = zone;
  r.lookup = lookup;
  r.latency_ms = latency_ms;
  return r;
}

}  // namespace smartcache_test
