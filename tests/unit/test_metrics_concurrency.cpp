// Many threads record while others reset, snapshot and export: nothing is lost,
// nothing races (this file runs under ThreadSanitizer in CI).
#include <smartcache/smartcache.hpp>

#include <atomic>
#include <thread>
#include <vector>

#include "support/catch.hpp"
#include "support/exposition_checker.hpp"

namespace {

// Reads one unlabelled sample value from an exposition, or -1.
double sample_value(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return -1;
  return std::stod(text.substr(at + series.size() + 2));
}

}  // namespace

TEST_CASE("concurrent recording conserves every count", "[metrics][concurrency]") {
  smartcache::CacheMetrics m;
  m.set_latency_sampling(0.5);
  constexpr int writers = 4;
  constexpr int per_writer = 20000;
  std::atomic<bool> done{false};
  std::atomic<int> exports{0};

  std::vector<std::thread> threads;
  for (int t = 0; t < writers; ++t)
    threads.emplace_back([&m, t] {
      for (int i = 0; i < per_writer; ++i) {
        smartcache::RequestRecord r;
        r.strategy = static_cast<smartcache::Strategy>((i + t) % 4);
        r.vix = static_cast<smartcache::VixStatus>(i % 3);
        r.zone = static_cast<smartcache::Zone>(i % 5);
        r.lookup = smartcache::Lookup::miss;
        if (m.should_sample_latency()) r.latency_ms = 0.1 * (i % 50);
        m.record_request(r);
        m.record_latency(1.0);
        m.increment(smartcache::Counter::swr_background_success);
        if (i % 100 == 0) m.record_invalidation({true, 2, 3, 4, 50.0});
      }
    });
  // Readers and resetters of OTHER categories run alongside.
  threads.emplace_back([&] {
    while (!done.load()) {
      const std::string text = m.to_prometheus();
      REQUIRE_FALSE(smartcache_test::check_exposition(text).has_value());
      exports.fetch_add(1);
    }
  });
  threads.emplace_back([&] {
    while (!done.load()) {
      m.reset_category(smartcache::Category::swr);
      m.reset_category(smartcache::Category::golden_hour);
      (void)m.get_stats();
      m.set_latency_sampling(0.5);
    }
  });
  for (int t = 0; t < writers; ++t) threads[static_cast<std::size_t>(t)].join();
  done = true;
  threads[writers].join();
  threads[writers + 1].join();

  const auto s = m.get_stats();
  constexpr std::uint64_t requests = std::uint64_t{writers} * per_writer * 2;
  CHECK(s.total_requests == requests);
  CHECK(s.strategy_bypass + s.strategy_compute + s.strategy_serve_stale + s.strategy_serve_fresh ==
        requests / 2);
  CHECK(s.vix_normal + s.vix_warning_detected + s.vix_panic_detected == requests / 2);
  CHECK(s.cache_miss == requests / 2);
  CHECK(s.surgical_invalidation == std::uint64_t{writers} * (per_writer / 100));
  CHECK(exports.load() > 0);

  // The lifetime series saw everything even though the windows were reset.
  const std::string text = m.to_prometheus();
  CHECK(sample_value(text, "smartcache_requests_total") == static_cast<double>(requests));
  CHECK(sample_value(text, "smartcache_strategy_requests_total{strategy=\"bypass\"}") >= 0);
}

TEST_CASE("exported counters never go backwards across resets", "[metrics][concurrency]") {
  smartcache::CacheMetrics m;
  constexpr int total = 20000;
  std::atomic<int> written{0};
  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int i = 0; i < total; ++i) {
      m.record_latency(0.3);
      written.fetch_add(1);
    }
  });
  std::thread resetter([&] {
    while (!done.load()) m.reset();
  });
  double last = 0;
  int reads = 0;
  while (written.load() < total || reads < 100) {
    const double now = sample_value(m.to_prometheus(), "smartcache_requests_total");
    REQUIRE(now >= last);
    last = now;
    ++reads;
  }
  writer.join();
  done = true;
  resetter.join();
  CHECK(sample_value(m.to_prometheus(), "smartcache_requests_total") == total);
}
