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
//            [--redis HOST:PORT] [--prometheus FILE] [--no-progress]
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
#include <smartcache/redis_store.hpp>
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
  --prometheus FILE  write the final Prometheus exposition to FILE
  --no-progress      no progress output while running
  --compare-deadlines  first run the same day without the soft timeout, then
                     compare the latencies (the day takes twice as long)
)";

Options parse(int argc, char** argv) {
  Options o;
  sim::Args args(argc, argv, "simulate", std::string(usage) + std::string(sim::simulation_usage));
  while (args.next()) {
    const std::string_view a = args.flag();
    if (a == "--duration")
      o.hours = args.number(0.05, 24 * 7);
    else if (a == "--redis")
      o.redis = args.value();
    else if (a == "--prometheus")
      o.prometheus_file = args.value();
    else if (a == "--no-progress")
      o.progress = false;
    else if (a == "--compare-deadlines")
      o.compare_deadlines = true;
    else if (!sim::simulation_flag(args, o))
      args.unknown();
  }
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

template <class Store>
int run(std::shared_ptr<Store> store, const Options& opt, std::string_view store_name,
        LogTally& log) {
  std::optional<sim::Control> without;  // the same day without the soft timeout
  if (opt.compare_deadlines && opt.soft_timeout_ms > 0) {
    Options control = opt;
    control.soft_timeout_ms = 0;
    sc::CacheMetrics control_metrics;
    {
      sim::FootballDay<Store> day(store, control, control_metrics);
      without = sim::Control{day.run(), control_metrics.get_stats()};
    }
    store->clear();
  }
  sc::CacheMetrics metrics;
  sim::FootballDay<Store> day(std::move(store), opt, metrics);
  const sim::Outcome out = day.run();
  sim::print_summary(out, metrics.get_stats(), opt, store_name);
  sim::print_deadlines(out, metrics.get_stats(), without, opt);
  log.print();
  if (!opt.prometheus_file.empty()) {
    std::ofstream f(opt.prometheus_file, std::ios::binary | std::ios::trunc);
    f << metrics.to_prometheus();
    if (!f) {
      fmt::print(stderr, "simulate: cannot write {}\n", opt.prometheus_file);
      return 1;
    }
    fmt::print("\nPrometheus exposition written to {}\n", opt.prometheus_file);
  }
  return 0;
}

}  // namespace

int main(int argc, char** argv) {
  Options opt = parse(argc, argv);
  if (opt.progress) opt.tty = ::isatty(::fileno(stderr)) != 0;
  LogTally log;

  if (opt.redis.empty())
    return run(std::make_shared<sc::MemoryStore<std::string>>(), opt, "MemoryStore", log);

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
  auto store = std::make_shared<sc::RedisStore<std::string>>(ro);
  const int rc = run(store, opt, fmt::format("RedisStore at {}:{}", ro.host, ro.port), log);
  try {
    store->clear();
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
