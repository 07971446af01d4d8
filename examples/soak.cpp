// smartcache example - soak: N threads x M seconds of mixed traffic, invalidations
// and metric resets against one SmartCache, checking that nothing is lost.
// SPDX-License-Identifier: MIT
//
//   soak [--threads N] [--seconds M] [--keys K] [--capacity C] [--max-rss-growth-mb X]
//        [--redis HOST:PORT [--tiered] [--instances N]] [--coherence-bound-ms B]
//
// Workers call get_or_compute on a skewed key set with tags, kickoffs in every
// zone and VIX feeds (a few panics); 1 compute in 100 throws. A chaos thread
// fires tag invalidations, full invalidations, category resets and scrapes.
// At the end it prints throughput, p99 (get_stats), RSS growth after warm-up,
// and PASS only when:
//   - every request was answered (a value of its own key or the compute's own
//     exception) and no other exception escaped;
//   - the lifetime series conserve the requests: sum(strategy) == requests ==
//     what the workers made, and serve_fresh/serve_stale match what they saw;
//   - RSS grew by less than --max-rss-growth-mb between the end of warm-up
//     (a quarter of the run) and the end;
//   - no read that began more than B ms (--coherence-bound-ms) after an
//     invalidation of its key completed returned a value computed before that
//     invalidation began (values carry their compute's start time). B is 0
//     by default: without a memory tier the store is the only copy, and no
//     read may lag; with --tiered it is 100 ms, an allowance for the
//     notification that carries an invalidation to the other memory tier.
// The exit code is 0 for PASS, 1 for FAIL, 2 for bad arguments.
// --redis (when built with SMARTCACHE_HAVE_REDIS) runs over RedisStore;
// --instances N runs N SmartCaches, each over its own store, over the one
// Redis: workers and invalidations alternate between them, so every
// invalidation must reach the other instances. --tiered puts each over a
// TieredStore (two instances unless --instances says otherwise).

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <memory>
#include <mutex>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <thread>
#include <tuple>
#include <utility>
#include <vector>

#include <unistd.h>

#include <fmt/format.h>

#include <smartcache/smartcache.hpp>
#ifdef SMARTCACHE_HAVE_REDIS
#include <smartcache/redis_store.hpp>
#include <smartcache/tiered_store.hpp>
#endif

#include "sim/args.hpp"

namespace {

using Clock = std::chrono::steady_clock;

struct Options {
  int threads = 4;
  double seconds = 30;
  int keys = 20000;
  std::size_t capacity = 5000;
  double max_rss_growth_mb = 64;
  std::string redis;  // host:port, empty = MemoryStore
  bool tiered = false;
  int instances = 0;  // SmartCache instances, each over its own store (0: 1, or 2 with --tiered)
  // Late reads allowed, ms (below 0: the default, 0 without a memory tier, 100 with one).
  double coherence_bound_ms = -1;
};

// A memory tier learns of another instance's invalidation from a notification:
// its reads may lag by that much. Without one, Redis (or the MemoryStore) is
// the only copy, and no read may lag at all.
constexpr double tiered_coherence_bound_ms = 100;

constexpr std::string_view usage = R"(usage: soak [--threads N] [--seconds M] [--keys K] [--capacity C]
            [--max-rss-growth-mb X] [--redis HOST:PORT (builds with hiredis)]
  --threads N            worker threads (default 4)
  --seconds M            duration (default 30)
  --keys K               distinct keys, Zipf-like skew (default 20000)
  --capacity C           MemoryStore capacity, so it evicts (default 5000)
  --max-rss-growth-mb X  FAIL above this RSS growth after warm-up (default 64)
  --coherence-bound-ms B FAIL when a read that began more than B ms after an
                         invalidation of its key completed served a value from
                         before it (default 0: none may; 100 with --tiered, the
                         allowance for a notification's lag)
)";
#ifdef SMARTCACHE_HAVE_REDIS
constexpr std::string_view redis_usage =
    "  --redis HOST:PORT      run over RedisStore instead of MemoryStore\n"
    "  --tiered               with --redis: each instance over a TieredStore\n"
    "  --instances N          with --redis: N SmartCache instances, each over its own\n"
    "                         store, workers and invalidations alternating (default 1,\n"
    "                         2 with --tiered)\n";
#else
constexpr std::string_view redis_usage;
#endif

Options parse(int argc, char** argv) {
  Options o;
  sim::Args args(argc, argv, "soak", std::string(usage) + std::string(redis_usage));
  while (args.next()) {
    const std::string_view a = args.flag();
    if (a == "--threads")
      o.threads = static_cast<int>(args.number(1, 256));
    else if (a == "--seconds")
      o.seconds = args.number(0.001, 1e9);
    else if (a == "--keys")
      o.keys = static_cast<int>(args.number(1, 1e9));
    else if (a == "--capacity")
      o.capacity = static_cast<std::size_t>(args.number(1, 1e12));
    else if (a == "--max-rss-growth-mb")
      o.max_rss_growth_mb = args.number(0, 1e9);
    else if (a == "--redis")
      o.redis = args.value();
    else if (a == "--tiered")
      o.tiered = true;
    else if (a == "--instances")
      o.instances = static_cast<int>(args.number(1, 64));
    else if (a == "--coherence-bound-ms")
      o.coherence_bound_ms = args.number(0, 1e9);
    else
      args.unknown();
  }
  if (o.tiered && o.redis.empty()) args.fail_with("--tiered needs --redis HOST:PORT");
  if (o.instances > 1 && o.redis.empty()) args.fail_with("--instances needs --redis HOST:PORT");
  if (o.instances == 0) o.instances = o.tiered ? 2 : 1;
  if (o.coherence_bound_ms < 0) o.coherence_bound_ms = o.tiered ? tiered_coherence_bound_ms : 0;
  return o;
}

double rss_mb() {
  std::ifstream statm("/proc/self/statm");
  double size = 0, resident = 0;
  if (!(statm >> size >> resident)) return 0;
  return resident * static_cast<double>(::sysconf(_SC_PAGESIZE)) / (1024.0 * 1024.0);
}

struct ComputeFailure : std::runtime_error {
  ComputeFailure() : std::runtime_error("injected compute failure") {}
};

// What the workers saw, summed at the end.
struct Tally {
  std::atomic<std::uint64_t> requests{0}, fresh{0}, stale{0}, computed{0}, thrown{0}, foreign{0}, wrong_key{0};
};

const char* const markets[] = {"match_result", "btts", "over_under_25", "correct_score", "corners_total"};
const char* const events[] = {"goal", "red_card", "corner", "kickoff_moved"};

// Reads one lifetime sample, e.g. `soak_requests_total` or
// `soak_strategy_requests_total{strategy="compute"}`, from the exposition.
std::uint64_t sample(const std::string& text, const std::string& series) {
  const auto at = text.find("\n" + series + " ");
  if (at == std::string::npos) return ~std::uint64_t{0};
  return std::strtoull(text.c_str() + at + series.size() + 2, nullptr, 10);
}

smartcache::MetricsOptions soak_metrics_options() {
  smartcache::MetricsOptions mo;
  mo.prometheus_namespace = "soak";
  return mo;
}

std::int64_t steady_ns() {
  return std::chrono::duration_cast<std::chrono::nanoseconds>(Clock::now().time_since_epoch()).count();
}

constexpr int match_count = 200;
constexpr int market_count = 5;

// The latest invalidation of each (match, market): when it began and when it
// completed, written by the chaos thread under a sequence lock and read by
// every worker after each request.
class Fences {
 public:
  void set(int match, int market, std::int64_t began, std::int64_t done) {
    Fence& f = fences_[static_cast<std::size_t>(match * market_count + market)];
    f.seq.fetch_add(1);  // odd: being written
    f.began.store(began);
    f.done.store(done);
    f.seq.fetch_add(1);
  }
  // {began, done} of the latest invalidation of (match, market); {0, 0}: none yet.
  std::pair<std::int64_t, std::int64_t> get(int match, int market) const {
    const Fence& f = fences_[static_cast<std::size_t>(match * market_count + market)];
    for (;;) {
      const auto s1 = f.seq.load();
      const auto began = f.began.load(), done = f.done.load();
      if (s1 % 2 == 0 && f.seq.load() == s1) return {began, done};
    }
  }

 private:
  struct Fence {
    std::atomic<std::uint64_t> seq{0};
    std::atomic<std::int64_t> began{0}, done{0};
  };
  std::array<Fence, match_count * market_count> fences_;
};

// What the coherence check saw: reads served a value an invalidation that
// completed before the read began had removed, and how late the latest was.
struct Coherence {
  std::atomic<std::uint64_t> late_reads{0}, violations{0};
  std::atomic<std::int64_t> max_late_ns{0};
  // The first few late reads, for the report.
  struct Late {
    std::string key;
    smartcache::Strategy strategy;
    std::int64_t computed_before_ns;  // how long before the invalidation began the value was computed
    std::int64_t read_after_ns;       // how long after it completed the read began
  };
  std::mutex mu;
  std::vector<Late> first;

  void saw(Late late, std::int64_t bound_ns) {
    late_reads.fetch_add(1);
    if (late.read_after_ns > bound_ns) violations.fetch_add(1);
    auto m = max_late_ns.load();
    while (late.read_after_ns > m && !max_late_ns.compare_exchange_weak(m, late.read_after_ns)) {
    }
    std::lock_guard<std::mutex> lock(mu);
    if (first.size() < 5) first.push_back(std::move(late));
  }
};

template <class Store>
int soak(const Options& o, const std::vector<std::shared_ptr<Store>>& stores, const std::string& backend,
         smartcache::CacheMetrics& metrics) {
  smartcache::Config cfg;
  cfg.ttl_jitter = 0.1;
  // Short zones so that entries go stale and refresh within the run.
  cfg.zones.set_policy(smartcache::Zone::standard, {std::chrono::milliseconds(400), std::chrono::milliseconds(400)});
  cfg.zones.set_policy(smartcache::Zone::golden, {std::chrono::milliseconds(100), std::chrono::milliseconds(200)});
  cfg.zones.set_policy(smartcache::Zone::active, {std::chrono::milliseconds(50), std::chrono::milliseconds(100)});
  std::vector<std::unique_ptr<smartcache::SmartCache<Store>>> caches;
  for (const auto& store : stores) {
    caches.push_back(std::make_unique<smartcache::SmartCache<Store>>(store, cfg, metrics));
    auto& tags = caches.back()->tag_manager();
    tags.add_rule("goal", {"match_result", "btts", "over_under_25", "correct_score"});
    tags.add_rule("red_card", {"match_result"});
    tags.add_rule("corner", {"corners_total"});
  }
  Fences fences;
  Coherence coherence;
  const auto bound_ns = static_cast<std::int64_t>(o.coherence_bound_ms * 1e6);

  Tally tally;
  std::atomic<bool> stop{false};
  const auto t0 = Clock::now();
  const double rss_start = rss_mb();

  auto worker = [&](unsigned seed, smartcache::SmartCache<Store>* cache) {
    std::mt19937 rng(seed);
    // Roughly Zipf: a few hot keys, a long tail.
    std::uniform_real_distribution<double> u(0.0, 1.0);
    while (!stop.load(std::memory_order_relaxed)) {
      const int id = static_cast<int>(std::pow(u(rng), 3.0) * o.keys);
      const int match = id % match_count;
      const char* market = markets[id % market_count];
      const std::string key = fmt::format("odds:{}:{}", id, market);
      smartcache::RequestContext ctx;
      ctx.tags = {fmt::format("match:{}", match), market};
      ctx.kickoff = std::chrono::system_clock::now() + std::chrono::minutes(match * 10 - 150);
      const double v = u(rng);
      ctx.vix["feed"] = v < 0.002 ? smartcache::VixStatus::panic
                                  : v < 0.05 ? smartcache::VixStatus::warning : smartcache::VixStatus::normal;
      const bool fails = u(rng) < 0.01;
      tally.requests.fetch_add(1, std::memory_order_relaxed);
      const std::int64_t began = steady_ns();
      try {
        auto r = cache->get_or_compute(key, [key, fails] {
          if (fails) throw ComputeFailure();
          return key + "=" + std::to_string(steady_ns());  // when this value's compute began
        }, ctx);
        if (r.value.compare(0, key.size() + 1, key + "=") != 0) {
          tally.wrong_key.fetch_add(1);
        } else {
          const std::int64_t computed = std::strtoll(r.value.c_str() + key.size() + 1, nullptr, 10);
          const auto [inv_began, inv_done] = fences.get(match, id % market_count);
          if (computed < inv_began && began > inv_done)
            coherence.saw({key, r.strategy, inv_began - computed, began - inv_done}, bound_ns);
        }
        switch (r.strategy) {
          case smartcache::Strategy::serve_fresh: tally.fresh.fetch_add(1, std::memory_order_relaxed); break;
          case smartcache::Strategy::serve_stale: tally.stale.fetch_add(1, std::memory_order_relaxed); break;
          default: tally.computed.fetch_add(1, std::memory_order_relaxed); break;
        }
      } catch (const ComputeFailure&) {
        tally.thrown.fetch_add(1, std::memory_order_relaxed);
      } catch (...) {
        tally.foreign.fetch_add(1);
      }
    }
  };

  std::vector<std::thread> threads;
  for (int i = 0; i < o.threads; ++i)
    threads.emplace_back(worker, 1234u + static_cast<unsigned>(i), caches[static_cast<std::size_t>(i) % caches.size()].get());

  // Chaos on this thread: invalidations, resets and scrapes until the end.
  std::mt19937 rng(99);
  const auto duration = std::chrono::duration<double>(o.seconds);
  const auto warm_up_end = t0 + std::chrono::duration_cast<Clock::duration>(duration / 4);
  double rss_warm = 0;
  std::uint64_t invalidations = 0, resets = 0, scrapes = 0;
  const smartcache::Category categories[] = {smartcache::Category::vix, smartcache::Category::golden_hour,
                                             smartcache::Category::swr, smartcache::Category::tagmanager,
                                             smartcache::Category::strategy, smartcache::Category::cache,
                                             smartcache::Category::performance};
  for (int tick = 0; Clock::now() - t0 < duration; ++tick) {
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    if (rss_warm == 0 && Clock::now() >= warm_up_end) rss_warm = rss_mb();
    // Invalidations alternate between the instances; the fences record them.
    auto& cache = *caches[static_cast<std::size_t>(tick) % caches.size()];
    const int match = static_cast<int>(rng() % match_count);
    const smartcache::Event event{events[rng() % 4], fmt::format("match:{}", match)};
    const auto plan = cache.tag_manager().plan(event);
    std::int64_t began = steady_ns();
    cache.invalidate_by_event(event);
    std::int64_t done = steady_ns();
    for (int m = 0; m < market_count; ++m)
      if (plan.full ||
          std::find(plan.markets.begin(), plan.markets.end(), markets[m]) != plan.markets.end())
        for (int x = plan.full ? 0 : match; x < (plan.full ? match_count : match + 1); ++x)
          fences.set(x, m, began, done);
    ++invalidations;
    if (tick % 20 == 0) {
      metrics.reset_category(categories[rng() % 7]);
      ++resets;
    }
    if (tick % 50 == 0) {
      if (metrics.to_prometheus().empty()) std::fputs("empty exposition\n", stderr);
      ++scrapes;
    }
    if (tick % 400 == 399) {
      began = steady_ns();
      cache.invalidate_all();
      done = steady_ns();
      for (int x = 0; x < match_count; ++x)
        for (int m = 0; m < market_count; ++m) fences.set(x, m, began, done);
      ++invalidations;
    }
  }
  stop = true;
  for (auto& t : threads) t.join();
  const double elapsed = std::chrono::duration<double>(Clock::now() - t0).count();
  if (rss_warm == 0) rss_warm = rss_start;
  const smartcache::Stats stats = metrics.get_stats();
  caches.clear();  // joins the refresh pools: counts below are final
  const double rss_end = rss_mb();
  const std::string text = metrics.to_prometheus();

  const std::uint64_t requests = tally.requests.load();
  const std::uint64_t total = sample(text, "soak_requests_total");
  const auto strategy = [&](const char* s) {
    return sample(text, fmt::format("soak_strategy_requests_total{{strategy=\"{}\"}}", s));
  };
  const std::uint64_t fresh = strategy("serve_fresh"), stale = strategy("serve_stale");
  const std::uint64_t strategies = strategy("bypass") + strategy("compute") + stale + fresh;

  fmt::print("soak: {} threads x {:.1f} s over {}, {} keys, capacity {}\n", o.threads, elapsed, backend, o.keys,
             o.capacity);
  fmt::print("coherence: {} reads served a value an invalidation had removed before they began; the latest "
             "{:.3f} ms after it{}\n",
             coherence.late_reads.load(), static_cast<double>(coherence.max_late_ns.load()) / 1e6,
             fmt::format(" (bound {:g} ms): {} beyond the bound", o.coherence_bound_ms, coherence.violations.load()));
  for (const auto& l : coherence.first)
    fmt::print("  late read: {} ({}), value computed {:.3f} ms before the invalidation began, read {:.3f} ms after "
               "it completed\n",
               l.key, smartcache::to_string(l.strategy), static_cast<double>(l.computed_before_ns) / 1e6,
               static_cast<double>(l.read_after_ns) / 1e6);
  fmt::print("requests {} ({:.0f}/s): fresh {} stale {} computed {} compute-threw {}\n", requests,
             static_cast<double>(requests) / elapsed, tally.fresh.load(), tally.stale.load(), tally.computed.load(),
             tally.thrown.load());
  fmt::print("chaos: {} invalidations, {} category resets, {} scrapes; store errors {} evictions {}\n",
             invalidations, resets, scrapes, sample(text, "soak_store_errors_total"),
             sample(text, "soak_evictions_total"));
  fmt::print("latency (get_stats window since the last reset): p50 {:.2f} us p99 {:.2f} us p999 {:.2f} us max {:.0f} us\n",
             stats.p50_latency_ms * 1e3, stats.p99_latency_ms * 1e3, stats.p999_latency_ms * 1e3,
             stats.max_latency_ms * 1e3);
  if (const auto memory = sample(text, "soak_tier_hits_total{tier=\"memory\"}"); memory != ~std::uint64_t{0})
    fmt::print("tiers (lifetime): {} memory-tier hits, {} Redis-tier hits, {} notifications, {} reconnects\n", memory,
               sample(text, "soak_tier_hits_total{tier=\"redis\"}"), sample(text, "soak_tier_notifications_total"),
               sample(text, "soak_tier_reconnects_total"));
  fmt::print("rss: start {:.1f} MB, after warm-up {:.1f} MB, end {:.1f} MB (growth {:+.1f} MB, limit {:.0f})\n",
             rss_start, rss_warm, rss_end, rss_end - rss_warm, o.max_rss_growth_mb);

  std::vector<std::string> failures;
  if (tally.foreign.load() != 0) failures.push_back(fmt::format("{} foreign exceptions", tally.foreign.load()));
  if (tally.wrong_key.load() != 0) failures.push_back(fmt::format("{} values of another key", tally.wrong_key.load()));
  if (total != requests) failures.push_back(fmt::format("requests_total {} != requests made {}", total, requests));
  if (strategies != total) failures.push_back(fmt::format("sum(strategy) {} != requests_total {}", strategies, total));
  if (fresh != tally.fresh.load() || stale != tally.stale.load())
    failures.push_back(fmt::format("serve_fresh/serve_stale {}/{} != seen {}/{}", fresh, stale, tally.fresh.load(),
                                   tally.stale.load()));
  if (tally.fresh.load() == 0 || tally.stale.load() == 0 || tally.thrown.load() == 0)
    failures.push_back("traffic did not exercise fresh hits, stale hits and compute failures");
  if (coherence.violations.load() != 0)
    failures.push_back(fmt::format("{} reads served an invalidated value more than {:g} ms after the invalidation",
                                   coherence.violations.load(), o.coherence_bound_ms));
  if (rss_end - rss_warm > o.max_rss_growth_mb)
    failures.push_back(fmt::format("RSS grew {:.1f} MB after warm-up", rss_end - rss_warm));
  if (failures.empty()) {
    fmt::print("PASS\n");
    return 0;
  }
  for (const auto& f : failures) fmt::print("FAIL: {}\n", f);
  return 1;
}

}  // namespace

int main(int argc, char** argv) {
  const Options o = parse(argc, argv);
  // Injected failures warn on purpose; keep errors only.
  smartcache::set_log_handler([](const smartcache::LogRecord& r) {
    if (r.level == smartcache::LogLevel::error) std::fprintf(stderr, "smartcache error: %s\n", r.message.c_str());
  });
  if (!o.redis.empty()) {
#ifdef SMARTCACHE_HAVE_REDIS
    const auto address = sim::host_port(o.redis);
    if (!address) {
      std::fprintf(stderr, "soak: --redis wants HOST:PORT, got '%s'\n", o.redis.c_str());
      return 2;
    }
    smartcache::RedisOptions ro;
    std::tie(ro.host, ro.port) = *address;
    ro.key_prefix = fmt::format("soak:{}:", ::getpid());
    ro.pool_size = static_cast<std::size_t>(o.threads) + 2;
    smartcache::CacheMetrics metrics(soak_metrics_options());
    const auto n = static_cast<std::size_t>(o.instances);
    const std::string instances = n == 1 ? std::string("one") : std::to_string(n);
    if (o.tiered) {
      smartcache::TieredOptions to;
      to.redis = ro;
      to.metrics = &metrics;
      std::vector<std::shared_ptr<smartcache::TieredStore<std::string>>> stores;
      for (std::size_t i = 0; i < n; ++i) stores.push_back(std::make_shared<smartcache::TieredStore<std::string>>(to));
      const int rc = soak(o, stores, instances + " TieredStore instance(s) over Redis at " + o.redis, metrics);
      stores.front()->clear();
      return rc;
    }
    std::vector<std::shared_ptr<smartcache::RedisStore<std::string>>> stores;
    for (std::size_t i = 0; i < n; ++i) stores.push_back(std::make_shared<smartcache::RedisStore<std::string>>(ro));
    const int rc = soak(o, stores, instances + " RedisStore instance(s) at " + o.redis, metrics);
    stores.front()->clear();
    return rc;
#else
    std::fputs("soak: built without hiredis; --redis is not available\n", stderr);
    return 2;
#endif
  }
  smartcache::CacheMetrics metrics(soak_metrics_options());
  return soak(o, std::vector{std::make_shared<smartcache::MemoryStore<std::string>>(o.capacity)}, "MemoryStore",
              metrics);
}
