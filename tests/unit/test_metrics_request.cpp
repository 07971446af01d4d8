// record_request / record_invalidation: one call, every counter of the request.
#include <smartcache/smartcache.hpp>

#include "support/catch.hpp"
#include "support/stats_check.hpp"

using smartcache::CacheMetrics;
using smartcache::Lookup;
using smartcache::RequestRecord;
using smartcache::Strategy;
using smartcache::VixStatus;
using smartcache::Zone;
using smartcache_test::check_stats;

TEST_CASE("record_request counts strategy, vix, zone and request", "[metrics][request]") {
  CacheMetrics m;
  RequestRecord r;
  r.strategy = Strategy::serve_fresh;
  r.vix = VixStatus::warning;
  r.zone = Zone::golden;
  r.lookup = Lookup::fresh;
  r.latency_ms = 0.5;
  m.record_request(r);
  check_stats(m.get_stats(), {{"total_requests", 1}, {"strategy_serve_fresh", 1},
                              {"vix_warning_detected", 1}, {"golden_hour_golden", 1},
                              {"cache_hit_fresh", 1}, {"swr_served_fresh", 1},
                              {"latency_samples", 1}, {"cache_bypass_vix", 0},
                              {"hit_rate_pct", 100}});
}

TEST_CASE("record_request maps each lookup outcome", "[metrics][request]") {
  struct Row {
    Lookup lookup;
    double fresh, stale, miss, swr_fresh, swr_stale, too_stale;
  };
  const Row row = GENERATE(Row{Lookup::fresh, 1, 0, 0, 1, 0, 0}, Row{Lookup::stale, 0, 1, 0, 0, 1, 0},
                           Row{Lookup::too_stale, 0, 0, 1, 0, 0, 1},
                           Row{Lookup::miss, 0, 0, 1, 0, 0, 0}, Row{Lookup::none, 0, 0, 0, 0, 0, 0});
  CAPTURE(std::string(smartcache::to_string(row.lookup)));
  CacheMetrics m;
  RequestRecord r;
  r.lookup = row.lookup;
  m.record_request(r);
  check_stats(m.get_stats(), {{"cache_hit_fresh", row.fresh}, {"cache_hit_stale", row.stale},
                              {"cache_miss", row.miss}, {"swr_served_fresh", row.swr_fresh},
                              {"swr_served_stale", row.swr_stale},
                              {"swr_too_stale", row.too_stale}});
}

TEST_CASE("lookup tallies and a host's own increments of the same counters add up, across resets",
          "[metrics][request]") {
  CacheMetrics m;
  RequestRecord r;
  r.lookup = Lookup::fresh;
  for (int i = 0; i < 3; ++i) m.record_request(r);
  m.increment("swr_served_fresh", 10);  // by name, without a request
  m.increment(smartcache::Counter::cache_miss, 5);
  r.lookup = Lookup::too_stale;
  m.record_request(r);
  check_stats(m.get_stats(), {{"cache_hit_fresh", 3}, {"swr_served_fresh", 13}, {"cache_miss", 6},
                              {"swr_too_stale", 1}, {"total_requests", 4}});
  CHECK(m.snapshot().counter(smartcache::Counter::swr_served_fresh) == 13);
  m.reset_category(smartcache::Category::swr);
  m.record_request(r);
  check_stats(m.get_stats(), {{"swr_served_fresh", 0}, {"swr_too_stale", 1}, {"cache_miss", 7},
                              {"cache_hit_fresh", 3}});
  r.lookup = static_cast<Lookup>(17);  // not a Lookup: counted as a request, no lookup counter
  m.record_request(r);
  check_stats(m.get_stats(), {{"total_requests", 6}, {"cache_miss", 7}, {"cache_hit_fresh", 3}});
}

TEST_CASE("a panic bypass counts cache_bypass_vix", "[metrics][request]") {
  CacheMetrics m;
  RequestRecord r;
  r.strategy = Strategy::bypass;
  r.vix = VixStatus::panic;
  m.record_request(r);
  r.strategy = Strategy::compute;  // panic without bypass (not a SmartCache path) does not
  m.record_request(r);
  check_stats(m.get_stats(), {{"cache_bypass_vix", 1}, {"vix_panic_detected", 2},
                              {"vix_panic_rate_pct", 100}, {"strategy_bypass", 1}});
}

TEST_CASE("unevaluated vix and zone count nothing", "[metrics][request]") {
  CacheMetrics m;
  m.record_request(RequestRecord{});
  check_stats(m.get_stats(), {{"total_requests", 1}, {"strategy_compute", 1}, {"vix_normal", 0},
                              {"vix_warning_detected", 0}, {"vix_panic_detected", 0},
                              {"golden_hour_total", 0}, {"latency_samples", 0}});
}

TEST_CASE("store errors, evictions and unmeasured latency are added", "[metrics][request]") {
  CacheMetrics m;
  RequestRecord r;
  r.store_errors = 2;
  r.evictions = 3;
  r.latency_unmeasured = true;
  m.record_request(r);
  r.latency_ms = std::numeric_limits<double>::quiet_NaN();
  r.latency_unmeasured = false;
  m.record_request(r);
  check_stats(m.get_stats(), {{"cache_errors", 4}, {"cache_evictions", 6},
                              {"latency_unmeasured", 1}, {"latency_rejected", 1},
                              {"latency_samples", 0}});
}

TEST_CASE("every zone and vix status has its counter", "[metrics][request]") {
  CacheMetrics m;
  const Zone zones[] = {Zone::standard, Zone::warmup, Zone::prematch, Zone::golden, Zone::active};
  const VixStatus vix[] = {VixStatus::normal, VixStatus::warning, VixStatus::panic};
  int n = 0;
  for (Zone z : zones)
    for (int i = 0; i <= n; ++i) {
      RequestRecord r;
      r.zone = z;
      r.vix = vix[static_cast<std::size_t>(i) % 3];
      m.record_request(r);
    }
  (void)n;
  check_stats(m.get_stats(), {{"golden_hour_standard", 1}, {"golden_hour_warmup", 1},
                              {"golden_hour_prematch", 1}, {"golden_hour_golden", 1},
                              {"golden_hour_active", 1}, {"golden_hour_total", 5},
                              {"vix_normal", 5}});
}

TEST_CASE("strategy and vix sums equal total requests", "[metrics][request]") {
  CacheMetrics m;
  const Strategy strategies[] = {Strategy::bypass, Strategy::compute, Strategy::serve_stale,
                                 Strategy::serve_fresh};
  const VixStatus vix[] = {VixStatus::normal, VixStatus::warning, VixStatus::panic};
  for (int i = 0; i < 1000; ++i) {
    RequestRecord r;
    r.strategy = strategies[i % 4];
    r.vix = vix[i % 3];
    m.record_request(r);
  }
  const auto s = m.get_stats();
  CHECK(smartcache_test::strategy_sum(s) == s.total_requests);
  CHECK(s.vix_normal + s.vix_warning_detected + s.vix_panic_detected == s.total_requests);
}

TEST_CASE("record_invalidation counts logical markets and actual keys", "[metrics][request]") {
  CacheMetrics m;
  m.record_invalidation({true, 4, 39, 16, 80.0});
  m.record_invalidation({true, 2, 5, 18, 90.0});
  m.record_invalidation({false, 0, 120, 0, std::nullopt});
  check_stats(m.get_stats(), {{"surgical_invalidation", 2}, {"full_invalidation", 1},
                              {"markets_affected_logical", 6}, {"cache_keys_deleted_actual", 164},
                              {"markets_preserved", 34}, {"avg_cpu_saved_pct", 85}});
}
