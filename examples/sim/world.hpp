// The building blocks of the simulated prediction service: simulated time,
// a step executor for background refreshes, the CPU-burning model, and the
// run's options and outcome. Example code, not part of the library.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <ctime>
#include <functional>
#include <map>
#include <mutex>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <smartcache/smartcache.hpp>

namespace sim {

namespace sc = smartcache;
using Millis = std::int64_t;  // simulated milliseconds since the start of day 0
constexpr Millis minute_ms = 60'000;
constexpr Millis hour_ms = 60 * minute_ms;
constexpr Millis day_ms = 24 * hour_ms;

/// 1234567 -> "1,234,567".
inline std::string grouped(std::uint64_t n) {
  const std::string digits = std::to_string(n);
  std::string out;
  for (std::size_t i = 0; i < digits.size(); ++i) {
    if (i != 0 && (digits.size() - i) % 3 == 0) out += ',';
    out += digits[i];
  }
  return out;
}

struct Options {
  double hours = 24;
  std::uint32_t seed = 42;
  int matches = 30;
  double cost_scale = 0.05;
  double hang_rate = 0.001;       // share of model calls that hang
  double hang_ms = 25;            // how long a hang lasts (real milliseconds)
  double soft_timeout_ms = 2;     // Config::compute_soft_timeout of the day (0: off)
  bool compare_deadlines = false;  // run the day once more without the soft timeout first
  std::string redis;
  bool tiered = false;             // --redis: the day over TieredStore instances (after a plain-Redis control)
  int instances = 1;               // service instances sharing the store (--tiered: 2 unless given)
  double memory_max_ttl_s = 5;     // TieredOptions::memory_max_ttl, in simulated seconds
  std::string prometheus_file;
  bool progress = true;
  bool tty = false;
};

/// What the simulation itself saw (the cache's own figures are in its metrics).
struct Outcome {
  double real_seconds = 0;
  double simulated_hours = 0;
  int matches_today = 0;
  int matches_tomorrow = 0;
  std::optional<std::size_t> keys;  // entries in the store at the end (nullopt: store unreachable)
  std::uint64_t computes = 0;       // model calls, foreground and background
  std::uint64_t compute_failures = 0;  // model calls that threw
  std::uint64_t compute_hangs = 0;     // model calls that hung
  std::uint64_t failed_requests = 0;   // requests whose error reached the caller
  std::uint64_t hung_answers = 0;      // requests that took half a hang or more
  std::uint64_t redeploys = 0;         // nightly full invalidations
  double model_cpu_ms = 0;             // CPU the model really burnt (after --cost-scale)
  double model_cost_ms = 0;            // nominal cost of the computes run (before scaling)
  std::map<std::string, std::uint64_t> events;
};

/// The simulated wall clock handed to Config::wall_clock.
class SimClock {
 public:
  explicit SimClock(sc::WallTime day_start) : start_(day_start) {}
  [[nodiscard]] Millis elapsed() const noexcept { return ms_.load(std::memory_order_relaxed); }
  [[nodiscard]] sc::WallTime at(Millis ms) const noexcept {
    return start_ +
           std::chrono::duration_cast<sc::WallTime::duration>(std::chrono::milliseconds(ms));
  }
  [[nodiscard]] sc::WallTime now() const noexcept { return at(elapsed()); }
  void advance(Millis ms) noexcept { ms_.fetch_add(ms, std::memory_order_relaxed); }

 private:
  sc::WallTime start_;
  std::atomic<Millis> ms_{0};
};

/// A host executor that holds background refreshes until the simulation runs
/// them at the end of each step, as a refresh pool would within seconds.
/// Keeps the whole day deterministic for a given seed.
class StepExecutor {
 public:
  void post(std::function<void()> task) {
    std::lock_guard<std::mutex> lock(mutex_);
    tasks_.push_back(std::move(task));
  }
  std::size_t run_all() {
    std::size_t ran = 0;
    for (;;) {
      std::vector<std::function<void()>> batch;
      {
        std::lock_guard<std::mutex> lock(mutex_);
        batch.swap(tasks_);
      }
      if (batch.empty()) return ran;
      for (auto& t : batch)
        t();
      ran += batch.size();
    }
  }

 private:
  std::mutex mutex_;
  std::vector<std::function<void()>> tasks_;
};

/// The prediction model: real CPU work of 0.2-2 ms (log-normal, median 0.6 ms)
/// times the cost scale (thread CPU time), failing now and then like a remote model server,
/// and hanging now and then (`hang_rate` of the calls sleep `hang_ms` real milliseconds).
/// Thread-safe: with a compute deadline the cache calls it from its compute pool.
class Model {
 public:
  Model(std::uint32_t seed, double cost_scale, double hang_rate = 0, double hang_ms = 0)
      : rng_(seed ^ 0x9e3779b9u), cost_scale_(cost_scale), hang_rate_(hang_rate), hang_ms_(hang_ms) {}

  std::string predict(const std::string& key) {
    double cost_ms = 0;
    bool fails = false;
    bool hangs = false;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cost_ms = std::clamp(cost_(rng_), 0.2, 2.0);
      fails = fail_(rng_) < 0.002;
      hangs = hang_rate_ > 0 && fail_(rng_) < hang_rate_;
      cost_ms_ += cost_ms;
    }
    ++computes;
    const double begin = thread_cpu_ms();
    const double p = burn(begin + cost_ms * cost_scale_, key.size());
    const double used = thread_cpu_ms() - begin;
    {
      std::lock_guard<std::mutex> lock(mutex_);
      cpu_ms_ += used;
    }
    if (hangs) {
      ++hangs_seen;
      std::this_thread::sleep_for(std::chrono::duration<double, std::milli>(hang_ms_));
    }
    if (fails) {
      ++failures;
      throw std::runtime_error("model server timeout");
    }
    return fmt::format("{{\"key\":\"{}\",\"p_home\":{:.4f},\"model\":\"v7\"}}", key, p);
  }

  std::atomic<std::uint64_t> computes{0};
  std::atomic<std::uint64_t> failures{0};
  std::atomic<std::uint64_t> hangs_seen{0};
  [[nodiscard]] double cpu_ms() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cpu_ms_;
  }
  [[nodiscard]] double cost_ms() const {
    std::lock_guard<std::mutex> lock(mutex_);
    return cost_ms_;
  }

 private:
  // CPU time of this thread: the model's cost is CPU it burns, whatever else
  // runs on the machine (a wall-clock deadline would count preemption).
  static double thread_cpu_ms() noexcept {
    timespec ts{};
    ::clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts);
    return static_cast<double>(ts.tv_sec) * 1e3 + static_cast<double>(ts.tv_nsec) / 1e6;
  }

  // Iterates a logistic map until the thread has used `until_ms` of CPU:
  // real work whose result is used, not a sleep.
  static double burn(double until_ms, std::size_t salt) noexcept {
    double x = 0.3 + static_cast<double>(salt % 7) * 0.05;
    do {
      for (int i = 0; i < 2048; ++i)
        x = 3.9 * x * (1.0 - x);
    } while (thread_cpu_ms() < until_ms);
    return 0.2 + 0.6 * x;
  }

  mutable std::mutex mutex_;
  std::mt19937 rng_;
  std::lognormal_distribution<double> cost_{std::log(0.6), 0.5};
  std::uniform_real_distribution<double> fail_{0.0, 1.0};
  double cost_scale_;
  double hang_rate_;
  double hang_ms_;
  double cpu_ms_ = 0;
  double cost_ms_ = 0;
};

}  // namespace sim
