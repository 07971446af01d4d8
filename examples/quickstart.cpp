// quickstart: the shortest complete use of smartcache (the README's quick start).
// SPDX-License-Identifier: MIT
#include <chrono>

#include <fmt/format.h>
#include <smartcache/smartcache.hpp>

namespace sc = smartcache;

int main() {
  using namespace std::chrono_literals;
  // An embedded, bounded in-memory store; metrics go to sc::global_metrics().
  sc::SmartCache<sc::MemoryStore<double>> cache;
  cache.tag_manager().add_rule("goal", {"match_result", "btts"});  // event -> markets it changes
  cache.tag_manager().add_rule("corner", {"total_corners"});

  auto price = [] { return 1.85; };  // your expensive computation
  sc::RequestContext ctx;
  ctx.tags = {"match:42", "match_result"};                 // what invalidations match
  ctx.kickoff = std::chrono::system_clock::now() + 30min;  // golden hour: 60 s TTL
  ctx.vix = {{"epl", sc::VixStatus::normal}};              // a panic would bypass the cache

  auto first = cache.get_or_compute("odds:42:match_result", price, ctx);   // computed
  auto second = cache.get_or_compute("odds:42:match_result", price, ctx);  // served fresh
  fmt::print("{} ({}), then {} ({}) in the {} zone\n", first.value, sc::to_string(first.strategy),
             second.value, sc::to_string(second.strategy), sc::to_string(*second.zone));

  auto report = cache.invalidate_by_event({"goal", "match:42"});  // only match 42's score markets
  fmt::print("goal: {} key deleted, {} markets preserved\n", report.keys_deleted,
             report.markets_preserved);

  sc::Stats stats = cache.metrics().get_stats();
  fmt::print("hit rate {:.0f} %, {} requests\n", stats.hit_rate_pct, stats.total_requests);
  // cache.metrics().to_prometheus() is the text to serve at /metrics.
}
