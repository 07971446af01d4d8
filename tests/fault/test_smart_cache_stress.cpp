// SmartCache under concurrent load: requests, invalidations, metric resets and
// expositions racing each other (run under TSan in CI). Counts are conserved.
#include <atomic>
#include <chrono>
#include <cstdint>
#include <sstream>
#include <string>
#include <thread>
#include <vector>

#include <smartcache/cache.hpp>
#include <smartcache/stores/memory_store.hpp>

#include "support/catch.hpp"
#include "support/faulty_store.hpp"

using namespace std::chrono_literals;
using smartcache::Category;
using smartcache::MemoryStore;
using smartcache::RequestContext;
using smartcache::VixStatus;

namespace {

// Sum of every sample of `family` (lifetime counters, untouched by resets).
std::uint64_t series_sum(const std::string& exposition, const std::string& family) {
  std::istringstream in(exposition);
  std::string line;
  double sum = 0;
  while (std::getline(in, line)) {
    if (line.rfind(family, 0) != 0) continue;
    const char next = line.size() > family.size() ? line[family.size()] : '\0';
    if (next != ' ' && next != '{') continue;
    sum += std::stod(line.substr(line.rfind(' ') + 1));
  }
  return static_cast<std::uint64_t>(sum);
}

}  // namespace

TEST_CASE("requests, invalidations, resets and expositions race without losing a count",
          "[smart_cache][stress]") {
  using Store = smartcache_test::FaultyStore<MemoryStore<int>>;
  smartcache::CacheMetrics metrics;
  smartcache::Config cfg;
  // Short zones so that fresh, stale and too-stale all happen in two seconds.
  cfg.zones.set_policy(smartcache::Zone::standard, {2ms, 2ms});
  cfg.zones.set_policy(smartcache::Zone::golden, {1ms, 3ms});
  cfg.refresh_threads = 2;
  cfg.refresh_queue = 4;
  cfg.ttl_jitter = 0.2;
  auto store = std::make_shared<Store>(std::make_shared<MemoryStore<int>>(256));
  store->failure_rate = 0.01;
  auto cache = std::make_unique<smartcache::SmartCache<Store>>(store, cfg, metrics);
  cache->tag_manager().add_rule("goal", {"btts", "correct_score"});
  cache->tag_manager().add_rule("corner", {"corners"});

  constexpr int request_threads = 4;
  const auto deadline = std::chrono::steady_clock::now() + 2s;
  std::atomic<std::uint64_t> requests{0};
  std::atomic<std::uint64_t> compute_errors{0};
  std::atomic<std::uint64_t> wrong_values{0};
  std::vector<std::thread> threads;
  for (int t = 0; t < request_threads; ++t)
    threads.emplace_back([&, t] {
      const char* markets[] = {"btts", "correct_score", "corners"};
      const VixStatus vix[] = {VixStatus::normal, VixStatus::normal, VixStatus::normal, VixStatus::warning,
                               VixStatus::panic};
      for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
        const int key = (i * 7 + t) % 64;
        RequestContext ctx{{"match:" + std::to_string(key % 4), markets[key % 3]}, std::nullopt,
                           {{"f", vix[(i + t) % 5]}}};
        if (i % 3 == 0) ctx.kickoff = std::chrono::system_clock::now() + 30min;
        try {
          auto r = cache->get_or_compute("k" + std::to_string(key), [key, i]() -> int {
            if (i % 97 == 0) throw std::runtime_error("compute failed");
            return key;
          }, ctx);
          if (r.value != key) ++wrong_values;
        } catch (const std::runtime_error&) {
          ++compute_errors;
        }
        ++requests;
      }
    });
  threads.emplace_back([&] {
    const char* types[] = {"goal", "corner", "unknown"};
    for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
      if (i % 10 == 9) (void)cache->invalidate_all();
      else (void)cache->invalidate_by_event({types[i % 3], "match:" + std::to_string(i % 4)});
      std::this_thread::sleep_for(1ms);
    }
  });
  threads.emplace_back([&] {
    const Category cats[] = {Category::swr, Category::cache, Category::strategy, Category::all};
    for (int i = 0; std::chrono::steady_clock::now() < deadline; ++i) {
      metrics.reset_category(cats[i % 4]);
      (void)metrics.to_prometheus();
      (void)metrics.get_stats();
      std::this_thread::sleep_for(2ms);
    }
  });
  for (auto& th : threads) th.join();
  cache.reset();  // joins the refresh pool: every background count is final

  const std::uint64_t n = requests.load();
  INFO("requests: " << n);
  CHECK(n > 1000);
  CHECK(wrong_values == 0);
  const std::string text = metrics.to_prometheus();
  CHECK(series_sum(text, "smartcache_requests_total") == n);
  CHECK(series_sum(text, "smartcache_strategy_requests_total") == n);
  CHECK(series_sum(text, "smartcache_vix_requests_total") == n);
  const std::uint64_t panics = series_sum(text, "smartcache_strategy_requests_total{strategy=\"bypass\"}");
  CHECK(panics > 0);
  CHECK(series_sum(text, "smartcache_zone_requests_total") == n - panics);
  CHECK(series_sum(text, "smartcache_lookups_total") == n - panics);
  CHECK(series_sum(text, "smartcache_store_errors_total") == store->failures.load());
  CHECK(series_sum(text, "smartcache_swr_refreshes_total") <=
        series_sum(text, "smartcache_lookups_total{result=\"stale\"}"));
  CHECK(compute_errors > 0);
}
