// metrics_demo: CacheMetrics on its own, fed with synthetic traffic.
//
// Shows what a host records when it drives its own cache: one RequestRecord
// per request and one InvalidationRecord per invalidation, each taken under a
// single lock. Prints the highlights of get_stats() and the Prometheus text.
//
//   metrics_demo [--requests N] [--seed S] [--quiet] [--openmetrics]
//
// --quiet prints only the Prometheus exposition (used by the dashboard test);
// --openmetrics prints it in the OpenMetrics 1.0 format instead.
// SPDX-License-Identifier: MIT

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <random>
#include <string_view>

#include <fmt/format.h>
#include <smartcache/smartcache.hpp>

#include "sim/args.hpp"

namespace sc = smartcache;

namespace {

struct Options {
  std::uint64_t requests = 20000;
  std::uint32_t seed = 42;
  bool quiet = false;
  bool openmetrics = false;
};

Options parse(int argc, char** argv) {
  Options o;
  sim::Args args(argc, argv, "metrics_demo", R"(usage: metrics_demo [--requests N] [--seed S] [--quiet] [--openmetrics]
  Records synthetic cache traffic into a CacheMetrics and prints
  get_stats() highlights and the Prometheus exposition.
)");
  while (args.next()) {
    const std::string_view a = args.flag();
    if (a == "--requests")
      o.requests = static_cast<std::uint64_t>(args.number(0, 1e15));
    else if (a == "--seed")
      o.seed = static_cast<std::uint32_t>(args.number(0, 4294967295.0));
    else if (a == "--quiet")
      o.quiet = true;
    else if (a == "--openmetrics")
      o.openmetrics = true;
    else
      args.unknown();
  }
  return o;
}

// One synthetic request: its VIX status, zone and lookup outcome drawn from
// plausible proportions, with a latency that depends on what happened.
sc::RequestRecord synthetic_request(std::mt19937& rng) {
  std::uniform_real_distribution<double> u(0.0, 1.0);
  sc::RequestRecord r;
  const double v = u(rng);
  r.vix = v < 0.02   ? sc::VixStatus::panic
          : v < 0.10 ? sc::VixStatus::warning
                     : sc::VixStatus::normal;
  const double z = u(rng);
  r.zone = z < 0.35   ? sc::Zone::standard
           : z < 0.55 ? sc::Zone::warmup
           : z < 0.75 ? sc::Zone::prematch
           : z < 0.88 ? sc::Zone::golden
                      : sc::Zone::active;
  std::lognormal_distribution<double> hit_ms(std::log(0.004), 0.5);    // a few microseconds
  std::lognormal_distribution<double> compute_ms(std::log(0.8), 0.6);  // about a millisecond
  if (*r.vix == sc::VixStatus::panic) {
    r.strategy = sc::Strategy::bypass;
    r.lookup = sc::Lookup::none;
    r.latency_ms = compute_ms(rng);
    return r;
  }
  const double l = u(rng);
  if (l < 0.82) {
    r.strategy = sc::Strategy::serve_fresh;
    r.lookup = sc::Lookup::fresh;
    r.latency_ms = hit_ms(rng);
  } else if (l < 0.90) {
    r.strategy = sc::Strategy::serve_stale;
    r.lookup = sc::Lookup::stale;
    r.latency_ms = hit_ms(rng);
  } else {
    r.strategy = sc::Strategy::compute;
    r.lookup = l < 0.93 ? sc::Lookup::too_stale : sc::Lookup::miss;
    r.latency_ms = compute_ms(rng);
    if (u(rng) < 0.01) r.evictions = 1;
  }
  if (u(rng) < 0.001) r.store_errors = 1;
  return r;
}

}  // namespace

int main(int argc, char** argv) {
  const Options opt = parse(argc, argv);
  std::mt19937 rng(opt.seed);
  std::uniform_real_distribution<double> u(0.0, 1.0);

  sc::CacheMetrics metrics;
  for (std::uint64_t i = 0; i < opt.requests; ++i) {
    const sc::RequestRecord r = synthetic_request(rng);
    metrics.record_request(r);
    // A stale hit schedules one background refresh; most succeed.
    if (r.lookup == sc::Lookup::stale)
      metrics.increment(u(rng) < 0.97 ? sc::Counter::swr_background_success
                                      : sc::Counter::swr_background_error);
    // Now and then a goal: 3 of 12 known markets touched, 2 keys each.
    if (i % 1000 == 999) {
      sc::InvalidationRecord inv;
      inv.surgical = true;
      inv.markets_affected = 3;
      inv.keys_deleted = 6;
      inv.markets_preserved = 9;
      inv.cpu_saved_pct = 75.0;
      metrics.record_invalidation(inv);
    }
  }
  // End of the trading day: everything goes.
  sc::InvalidationRecord full;
  full.surgical = false;
  full.keys_deleted = 40;
  metrics.record_invalidation(full);

  if (!opt.quiet) {
    const sc::Stats s = metrics.get_stats();
    fmt::print("smartcache metrics demo: {} synthetic requests (seed {})\n\n", s.total_requests,
               opt.seed);
    fmt::print("  hit rate            {:6.1f} %  ({} fresh, {} stale, {} misses)\n", s.hit_rate_pct,
               s.cache_hit_fresh, s.cache_hit_stale, s.cache_miss);
    fmt::print("  strategies          bypass {}  compute {}  serve_stale {}  serve_fresh {}\n",
               s.strategy_bypass, s.strategy_compute, s.strategy_serve_stale,
               s.strategy_serve_fresh);
    fmt::print("  VIX panic rate      {:6.2f} %  ({} panics, {} warnings)\n", s.vix_panic_rate_pct,
               s.vix_panic_detected, s.vix_warning_detected);
    fmt::print("  invalidations       {} surgical, {} full; avg CPU saved {:.0f} %\n",
               s.surgical_invalidation, s.full_invalidation, s.avg_cpu_saved_pct);
    fmt::print("  latency (ms)        p50 {:.4f}  p99 {:.4f}  max {:.4f}  ({} samples)\n\n",
               s.p50_latency_ms, s.p99_latency_ms, s.max_latency_ms, s.latency_samples);
    fmt::print("--- Prometheus exposition ({}) ---\n", sc::prometheus_content_type);
  }
  fmt::print("{}", opt.openmetrics ? metrics.to_openmetrics() : metrics.to_prometheus());
  return 0;
}
