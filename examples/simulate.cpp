// simulate: a day of a football prediction service behind smartcache, in seconds.
//
// Dozens of matches kick off over the day (plus tomorrow's fixtures and
// outright markets), so every time-to-kickoff zone is visited; traffic
// follows the zones (busy in the golden hour and in play); volatility feeds
// go to warning and panic; goals, cards, penalties... invalidate exactly the
// markets they change; a nightly model redeploy clears everything. The model
// is real CPU work (0.2-2 ms per prediction, scaled by --cost-scale). A
// simulated wall clock (Config::wall_clock) runs the day; latencies are real.
//
//   simulate [--duration HOURS] [--seed N] [--matches N] [--cost-scale X]
//            [--hang-rate P] [--hang-ms MS] [--soft-timeout MS] [--compare-deadlines]
//            [--redis HOST:PORT [--tiered] [--instances N] [--memory-max-ttl S]]
//            [--prometheus FILE] [--no-progress]
// SPDX-License-Identifier: MIT

#include <unistd.h>

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <fstream>
#include <functional>
#include <map>
#include <memory>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <string_view>
#include <tuple>
#include <vector>

#include <fmt/format.h>
#include <smartcache/smartcache.hpp>
#ifdef SMARTCACHE_HAVE_REDIS
#include <hiredis/hiredis.h>

#include <smartcache/redis_store.hpp>
#include <smartcache/tiered_store.hpp>
#endif

#include "sim/args.hpp"
#include "sim/football_day.hpp"
#include "sim/report.hpp"

namespace sc = smartcache;
using sim::Options;

namespace {

constexpr std::string_view usage = R"(usage: simulate [options]
  A simulated day of a football prediction service behind smartcache.

  --duration HOURS   simulated hours (default 24)
  --redis HOST:PORT  run the same day over RedisStore instead of MemoryStore
  --tiered           with --redis: run the day over service instances that each
                     put a TieredStore memory tier in front of the one Redis,
                     after the same day over plain RedisStore instances, and
                     compare the reads Redis served (the day takes twice as long)
  --instances N      service instances sharing the store, behind a round-robin
                     load balancer (default 1; 2 with --tiered)
  --memory-max-ttl S TieredOptions::memory_max_ttl in simulated seconds (default 5)
  --prometheus FILE  write the final Prometheus exposition to FILE
  --no-progress      no progress output while running
  --compare-deadlines  first run the same day without the soft timeout, then
                     compare the latencies (the day takes twice as long)
)";

Options parse(int argc, char** argv) {
  Options o;
  int instances = 0;  // 0: not given
  sim::Args args(argc, argv, "simulate", std::string(usage) + std::string(sim::simulation_usage));
  while (args.next()) {
    const std::string_view a = args.flag();
    if (a == "--duration")
      o.hours = args.number(0.05, 24 * 7);
    else if (a == "--redis")
      o.redis = args.value();
    else if (a == "--tiered")
      o.tiered = true;
    else if (a == "--instances")
      instances = static_cast<int>(args.number(1, 16));
    else if (a == "--memory-max-ttl")
      o.memory_max_ttl_s = args.number(0, 86'400);
    else if (a == "--prometheus")
      o.prometheus_file = args.value();
    else if (a == "--no-progress")
      o.progress = false;
    else if (a == "--compare-deadlines")
      o.compare_deadlines = true;
    else if (!sim::simulation_flag(args, o))
      args.unknown();
  }
  o.instances = instances != 0 ? instances : (o.tiered ? 2 : 1);
  if (o.tiered && o.redis.empty()) args.fail_with("--tiered needs --redis HOST:PORT");
  if (o.instances > 1 && o.redis.empty())
    args.fail_with("--instances needs --redis HOST:PORT (MemoryStore instances would share nothing)");
  if (o.tiered && o.compare_deadlines) args.fail_with("--tiered and --compare-deadlines: pick one");
  return o;
}

// The library logs through smartcache::set_log_handler; the demo tallies the
// messages (they would tear the progress bar) and lists them in the summary.
class LogTally {
 public:
  LogTally() {
    previous_ = sc::set_log_handler([this](const sc::LogRecord& r) {
      std::lock_guard<std::mutex> lock(mutex_);
      ++counts_[fmt::format("{} \"{}\"", sc::to_string(r.level), r.message)];
    });
  }
  ~LogTally() { sc::set_log_handler(previous_); }
  LogTally(const LogTally&) = delete;
  LogTally& operator=(const LogTally&) = delete;

  void print() {
    std::lock_guard<std::mutex> lock(mutex_);
    if (counts_.empty()) return;
    bool first = true;
    for (const auto& [what, n] : counts_) {
      fmt::print("{:<14}{} x{}\n", first ? "Library log" : "", what, n);
      first = false;
    }
    fmt::print("{:<14}(repeated warnings are throttled by the library: one line stands for many)\n",
               "");
  }

 private:
  std::mutex mutex_;
  std::map<std::string, std::uint64_t> counts_;
  sc::LogHandler previous_;
};

// Writes the final exposition when --prometheus asked for it; false on failure.
bool write_exposition(const Options& opt, const sc::CacheMetrics& metrics) {
  if (opt.prometheus_file.empty()) return true;
  std::ofstream f(opt.prometheus_file, std::ios::binary | std::ios::trunc);
  f << metrics.to_prometheus();
  if (!f) {
    fmt::print(stderr, "simulate: cannot write {}\n", opt.prometheus_file);
    return false;
  }
  fmt::print("\nPrometheus exposition written to {}\n", opt.prometheus_file);
  return true;
}

// `n` stores made by `make`.
template <class Store, class Make>
std::vector<std::shared_ptr<Store>> instances(int n, Make make) {
  std::vector<std::shared_ptr<Store>> v;
  for (int i = 0; i < n; ++i)
    v.push_back(make());
  return v;
}

template <class Store>
int run(std::vector<std::shared_ptr<Store>> stores, const Options& opt, std::string_view store_name,
        LogTally& log) {
  std::optional<sim::Control> without;  // the same day without the soft timeout
  if (opt.compare_deadlines && opt.soft_timeout_ms > 0) {
    Options control = opt;
    control.soft_timeout_ms = 0;
    sc::CacheMetrics control_metrics;
    {
      sim::FootballDay<Store> day(stores, control, control_metrics);
      without = sim::Control{day.run(), control_metrics.get_stats()};
    }
    stores.front()->clear();
  }
  sc::CacheMetrics metrics;
  sim::FootballDay<Store> day(std::move(stores), opt, metrics);
  const sim::Outcome out = day.run();
  sim::print_summary(out, metrics.get_stats(), opt, store_name);
  sim::print_deadlines(out, metrics.get_stats(), without, opt);
  log.print();
  return write_exposition(opt, metrics) ? 0 : 1;
}

#ifdef SMARTCACHE_HAVE_REDIS
// The data reads the Redis at `ro` has served since it started: MGET calls
// (RedisStore's get, and TieredStore's own-write checks), from INFO
// commandstats: Redis's own count, not the library's.
std::uint64_t redis_reads(const sc::RedisOptions& ro) {
  const timeval timeout{2, 0};
  std::unique_ptr<redisContext, void (*)(redisContext*)> c(
      redisConnectWithTimeout(ro.host.c_str(), ro.port, timeout), redisFree);
  if (!c || c->err) throw std::runtime_error("cannot connect to Redis for INFO commandstats");
  auto* reply = static_cast<redisReply*>(redisCommand(c.get(), "INFO commandstats"));
  if (reply == nullptr || reply->type != REDIS_REPLY_STRING) {
    if (reply != nullptr) freeReplyObject(reply);
    throw std::runtime_error("INFO commandstats failed");
  }
  const std::string info(reply->str, reply->len);
  freeReplyObject(reply);
  constexpr std::string_view mget = "cmdstat_mget:calls=";
  const auto at = info.find(mget);
  return at == std::string::npos ? 0 : std::strtoull(info.c_str() + at + mget.size(), nullptr, 10);
}

// The day over `opt.instances` RedisStore instances (every lookup reads
// Redis), then the same day over as many TieredStore instances; Redis's
// read counts of both, beside the memory tier's hit ratio.
int run_tiered(const Options& opt, const sc::RedisOptions& ro, LogTally& log) {
  using Plain = sc::RedisStore<std::string>;
  using Tiered = sc::TieredStore<std::string>;
  std::uint64_t plain_reads = 0;
  {
    sc::CacheMetrics m;
    auto stores = instances<Plain>(opt.instances, [&] { return std::make_shared<Plain>(ro); });
    const std::uint64_t before = redis_reads(ro);
    {
      sim::FootballDay<Plain> day(stores, opt, m);
      (void)day.run();
    }
    plain_reads = redis_reads(ro) - before;
    stores.front()->clear();
  }
  sc::CacheMetrics metrics;
  sc::TieredOptions to;
  to.redis = ro;
  to.metrics = &metrics;
  to.memory_max_ttl = std::chrono::milliseconds(std::llround(opt.memory_max_ttl_s * 1000));
  auto stores = instances<Tiered>(opt.instances, [&] { return std::make_shared<Tiered>(to); });
  const std::uint64_t before = redis_reads(ro);
  sim::Outcome out;
  {
    sim::FootballDay<Tiered> day(stores, opt, metrics);
    out = day.run();
  }
  const std::uint64_t tiered_reads = redis_reads(ro) - before;
  const sc::Stats s = metrics.get_stats();
  sim::print_summary(out, s, opt,
                     fmt::format("{} TieredStore instances over Redis at {}:{}", opt.instances, ro.host, ro.port));
  sim::print_deadlines(out, s, std::nullopt, opt);
  sim::print_tiers(s, plain_reads, tiered_reads, opt);
  log.print();
  stores.front()->clear();
  return write_exposition(opt, metrics) ? 0 : 1;
}
#endif

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse(argc, argv);
  if (opt.progress) opt.tty = ::isatty(::fileno(stderr)) != 0;
  LogTally log;

  if (opt.redis.empty())
    return run(instances<sc::MemoryStore<std::string>>(
                   1, [] { return std::make_shared<sc::MemoryStore<std::string>>(); }),
               opt, "MemoryStore", log);

#ifdef SMARTCACHE_HAVE_REDIS
  const auto address = sim::host_port(opt.redis);
  if (!address) {
    fmt::print(stderr, "simulate: --redis wants HOST:PORT, got '{}'\n", opt.redis);
    return 2;
  }
  sc::RedisOptions ro;
  std::tie(ro.host, ro.port) = *address;
  // A prefix of our own: the run clears only its keys, never the rest of the Redis.
  ro.key_prefix = fmt::format("smartcache:simulate:{}:", ::getpid());
  if (opt.tiered) {
    try {
      return run_tiered(opt, ro, log);
    } catch (const std::exception& e) {
      fmt::print(stderr, "simulate: {}\n", e.what());
      return 1;
    }
  }
  auto stores = instances<sc::RedisStore<std::string>>(
      opt.instances, [&] { return std::make_shared<sc::RedisStore<std::string>>(ro); });
  auto first = stores.front();
  const int rc = run(std::move(stores), opt,
                     opt.instances == 1 ? fmt::format("RedisStore at {}:{}", ro.host, ro.port)
                                        : fmt::format("{} RedisStore instances at {}:{}", opt.instances,
                                                      ro.host, ro.port),
                     log);
  try {
    first->clear();
  } catch (const std::exception& e) {
    fmt::print(stderr, "simulate: could not clear the run's Redis keys: {}\n", e.what());
  }
  return rc;
#else
  fmt::print(stderr,
             "simulate: --redis is not available: this binary was built without Redis support\n"
             "(hiredis was not found when configuring; install libhiredis-dev and reconfigure\n"
             "with -DSMARTCACHE_REDIS=ON).\n");
  return 2;
#endif
}
