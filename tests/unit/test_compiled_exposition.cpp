// The compiled exposition: to_prometheus()/to_openmetrics() format names,
// HELP and labels once per instance and fill in the values; what they return
// must be exactly what the one-off writers make of the same snapshot.
#include <smartcache/smartcache.hpp>

#include <cstdint>
#include <atomic>
#include <string>
#include <thread>
#include <vector>

#include "support/catch.hpp"

namespace {

using smartcache::CacheMetrics;
using smartcache::MetricsOptions;

// Records a little of everything; `round` varies the amounts.
void record_some(CacheMetrics& m, std::uint64_t round) {
  smartcache::RequestRecord r;
  r.vix = smartcache::VixStatus::warning;
  r.zone = smartcache::Zone::golden;
  for (std::uint64_t i = 0; i < 40 + round * 7; ++i) {
    r.strategy = static_cast<smartcache::Strategy>(i % 4);
    r.lookup = static_cast<smartcache::Lookup>(i % 5);
    r.latency_ms = 0.01 * static_cast<double>(i * (round + 1) % 997);
    r.store_errors = static_cast<std::uint32_t>(i % 3 == 0);
    m.record_request(r);
  }
  m.record_latency(1.5 * static_cast<double>(round + 1));
  m.record_cpu_saved(12.5 * static_cast<double>(round));
  m.increment(smartcache::Counter::cache_evictions, round * 1'000'003);
  m.record_invalidation({true, 3, round, 7, 70.0});
}

void check_compiled_equals_written(const MetricsOptions& o) {
  CacheMetrics m(o);
  for (std::uint64_t round = 0; round < 4; ++round) {
    if (round > 0) record_some(m, round);
    if (round == 2) m.reset_category(smartcache::Category::all);  // windows only: series unchanged
    if (round == 3) m.set_latency_sampling(0.37);
    const auto snap = m.snapshot();
    CHECK(m.to_prometheus() == smartcache::write_prometheus(snap, o.prometheus_namespace, o.const_labels));
    CHECK(m.to_openmetrics() ==
          smartcache::write_openmetrics(snap, o.prometheus_namespace, o.const_labels, m.created_unix_seconds()));
  }
}

}  // namespace

TEST_CASE("to_prometheus and to_openmetrics equal the writers' text, scrape after scrape", "[exposition]") {
  SECTION("defaults") { check_compiled_equals_written({}); }
  SECTION("constant labels: escaped, invalid, and one colliding with a family label") {
    MetricsOptions o;
    o.const_labels = {{"service", "odds \"eu\"\n\\"}, {"strategy", "x"}, {"__reserved", "y"}, {"bad-name", "z"}};
    check_compiled_equals_written(o);
  }
  SECTION("a namespace that needs sanitizing, and custom buckets") {
    MetricsOptions o;
    o.prometheus_namespace = "myApp:Cache";
    o.latency_buckets_seconds = {0.0001, 0.25, 3};
    check_compiled_equals_written(o);
  }
  SECTION("no buckets but +Inf") {
    MetricsOptions o;
    o.latency_buckets_seconds = {};
    check_compiled_equals_written(o);
  }
}

TEST_CASE("the compiled text reflects every new value, not the first scrape's", "[exposition]") {
  CacheMetrics m;
  const std::string first = m.to_prometheus();
  m.increment(smartcache::Counter::total_requests, 41);
  m.increment(smartcache::Counter::total_requests);
  const std::string second = m.to_prometheus();
  CHECK(first.find("\nsmartcache_requests_total 0\n") != std::string::npos);
  CHECK(second.find("\nsmartcache_requests_total 42\n") != std::string::npos);
  CHECK(first.size() + 1 == second.size());
}

TEST_CASE("concurrent first scrapes compile once and agree", "[exposition][concurrency]") {
  MetricsOptions o;
  o.const_labels = {{"service", "odds"}};
  CacheMetrics m(o);
  record_some(m, 1);
  std::atomic<int> waiting{2};  // both threads start their first scrape together
  std::vector<std::string> prom(2), open(2);
  std::vector<std::thread> threads;
  for (std::size_t t = 0; t < 2; ++t)
    threads.emplace_back([&, t] {
      waiting.fetch_sub(1);
      while (waiting.load() > 0) std::this_thread::yield();
      prom[t] = m.to_prometheus();
      open[t] = m.to_openmetrics();
    });
  for (auto& th : threads) th.join();
  const auto snap = m.snapshot();
  CHECK(prom[0] == smartcache::write_prometheus(snap, o.prometheus_namespace, o.const_labels));
  CHECK(prom[1] == prom[0]);
  CHECK(open[1] == open[0]);
}
