// The simulated football prediction service shared by examples/simulate.cpp
// (one day as fast as possible) and examples/metrics_server.cpp (a live,
// paced workload). Example code, not part of the library.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <array>
#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <cstdio>
#include <functional>
#include <map>
#include <memory>
#include <optional>
#include <random>
#include <stdexcept>
#include <string>
#include <thread>
#include <utility>
#include <vector>

#include <fmt/format.h>
#include <smartcache/smartcache.hpp>

#include "world.hpp"

namespace sim {

namespace sc = smartcache;

/// A volatility feed: normal, or warning/panic until some instant.
struct Feed {
  sc::VixStatus status = sc::VixStatus::normal;
  Millis until = 0;
};

struct Match {
  int id = 0;
  std::string league;
  std::string scope;  // "match:<id>", the tag events are scoped to
  Millis kickoff = 0;
  double popularity = 1;
  Feed feed;  // in-play volatility of this match's prices
  bool half_time = false;
  bool full_time = false;
};

struct Market {
  const char* name;
  double weight;  // share of requests
};
inline constexpr std::array<Market, 10> match_markets{{{"match_result", 30},
                                                       {"over_under_25", 14},
                                                       {"btts", 12},
                                                       {"correct_score", 10},
                                                       {"asian_handicap", 8},
                                                       {"next_goal", 8},
                                                       {"double_chance", 6},
                                                       {"anytime_goalscorer", 5},
                                                       {"total_corners", 4},
                                                       {"total_cards", 3}}};
inline constexpr std::array<const char*, 6> leagues{"epl",        "laliga", "seriea",
                                                    "bundesliga", "ligue1", "ucl"};
inline constexpr std::array<const char*, 2> outright_markets{"outright_winner", "top_scorer"};

/// Requests per simulated minute for one match of popularity 1, by zone.
inline double traffic_per_minute(sc::Zone z) noexcept {
  switch (z) {
    case sc::Zone::standard:
      return 0.5;
    case sc::Zone::warmup:
      return 2.5;
    case sc::Zone::prematch:
      return 8;
    case sc::Zone::golden:
      return 24;
    case sc::Zone::active:
      return 45;
  }
  return 0;
}

/// Everything of the simulated service: fixtures, feeds, traffic, events, and
/// the SmartCache in front of the model. Used from one thread.
///
/// With several stores the service runs as that many instances (one
/// SmartCache each, recording into the one `metrics`) behind a round-robin
/// load balancer: requests take turns, and each match event or redeploy
/// reaches one instance, in turn, which invalidates for all of them through
/// the shared store.
template <class Store>
class FootballDay {
 public:
  static constexpr Millis step_ms = 2000;

  FootballDay(std::shared_ptr<Store> store, const Options& opt, sc::CacheMetrics& metrics)
      : FootballDay(std::vector<std::shared_ptr<Store>>{std::move(store)}, opt, metrics) {}

  FootballDay(std::vector<std::shared_ptr<Store>> instances, const Options& opt, sc::CacheMetrics& metrics)
      : opt_(opt),
        clock_(sc::WallTime(std::chrono::seconds(1781308800))),  // 2026-06-13 00:00 UTC
        model_(opt.seed, opt.cost_scale, opt.hang_rate, opt.hang_ms),
        rng_(opt.seed) {
    if (instances.empty()) throw std::invalid_argument("FootballDay: no store");
    for (auto& store : instances) {
      caches_.push_back(std::make_unique<sc::SmartCache<Store>>(std::move(store), make_config(), metrics));
      caches_.back()->tag_manager() = sc::TagManager::with_football_rules();
    }
    // Today's fixtures kick off in the run's second half (their warmup,
    // prematch, golden hour and match happen during it); tomorrow's 6-18 h
    // after the run ends, so the run sees them far away (standard) or in warmup.
    const int today = std::max(1, static_cast<int>(std::lround(opt.matches * 0.7)));
    const auto span = static_cast<Millis>(std::min(opt.hours, 24.0) * static_cast<double>(hour_ms));
    plan_fixtures(span * 45 / 100, span * 85 / 100, today, today_);
    plan_fixtures(span + 6 * hour_ms, span + 18 * hour_ms, opt.matches - today, tomorrow_);
    for (const char* l : leagues)
      league_feeds_[l];
  }

  FootballDay(const FootballDay&) = delete;
  FootballDay& operator=(const FootballDay&) = delete;
  ~FootballDay() { drain(); }

  /// Runs the configured duration as fast as the CPU allows, with progress.
  Outcome run() {
    const auto begin = std::chrono::steady_clock::now();
    const Millis end = static_cast<Millis>(opt_.hours * static_cast<double>(hour_ms));
    auto last_draw = begin;
    int last_decile = 0;
    while (clock_.elapsed() < end) {
      step();
      if (!opt_.progress) continue;
      const double done = static_cast<double>(clock_.elapsed()) / static_cast<double>(end);
      const auto real_now = std::chrono::steady_clock::now();
      if (opt_.tty && real_now - last_draw > std::chrono::milliseconds(100)) {
        draw_progress(done);
        last_draw = real_now;
      } else if (!opt_.tty && static_cast<int>(done * 10) > last_decile) {
        last_decile = static_cast<int>(done * 10);
        progress_line(done);
      }
    }
    if (opt_.progress && opt_.tty) std::fprintf(stderr, "\r\033[2K");
    Outcome out = outcome();
    out.real_seconds =
        std::chrono::duration<double>(std::chrono::steady_clock::now() - begin).count();
    return out;
  }

  /// Runs forever at `speed` simulated seconds per real second until `stop`,
  /// planning new fixtures each simulated day (the metrics_server workload).
  void run_live(const std::atomic<bool>& stop, double speed) {
    const auto pause = std::chrono::duration<double>(static_cast<double>(step_ms) / 1000.0 / speed);
    Millis next_day = day_ms;
    while (!stop.load()) {
      const auto begin = std::chrono::steady_clock::now();
      step();
      if (clock_.elapsed() >= next_day) {
        const int count = std::max(1, static_cast<int>(std::lround(opt_.matches * 0.7)));
        plan_fixtures(next_day + day_ms + 10 * hour_ms, next_day + day_ms + 22 * hour_ms, count,
                      tomorrow_);
        forget_finished();
        next_day += day_ms;
      }
      std::this_thread::sleep_until(begin +
                                    std::chrono::duration_cast<std::chrono::nanoseconds>(pause));
    }
  }

  /// Moves the simulated clock forward to `t` without playing what lies between.
  void skip_to(Millis t) noexcept {
    if (t > clock_.elapsed()) clock_.advance(t - clock_.elapsed());
  }

  /// One simulated step: nightly redeploy, feeds, match events, traffic, refreshes.
  void step() {
    const Millis now = clock_.elapsed();
    if (now % day_ms < 4 * hour_ms && (now + step_ms) % day_ms >= 4 * hour_ms) {
      next_for_event().invalidate_all();  // 04:00 model redeploy: every prediction is outdated
      ++redeploys_;
    }
    for (auto& [name, feed] : league_feeds_)
      update_league_feed(feed, now);
    for (auto& m : matches_)
      play(m, now);
    for (const auto& m : matches_)
      traffic(m, now);
    for (const char* league : leagues)
      outright_traffic(league);
    executor_->run_all();
    clock_.advance(step_ms);
  }

  /// The first instance's cache (the only one unless several stores were given).
  [[nodiscard]] sc::SmartCache<Store>& cache() noexcept { return *caches_.front(); }
  [[nodiscard]] const SimClock& clock() const noexcept { return clock_; }

  [[nodiscard]] Outcome outcome() {
    Outcome out;
    out.simulated_hours = static_cast<double>(clock_.elapsed()) / static_cast<double>(hour_ms);
    out.matches_today = today_;
    out.matches_tomorrow = tomorrow_;
    try {
      out.keys = cache().store().size();
    } catch (const std::exception&) {
      // Redis down: the day was still served (computed); the count is unknown.
    }
    drain();
    out.computes = model_.computes.load();
    out.compute_failures = model_.failures.load();
    out.compute_hangs = model_.hangs_seen.load();
    out.failed_requests = failed_requests_;
    out.hung_answers = hung_answers_;
    out.redeploys = redeploys_;
    out.model_cpu_ms = model_.cpu_ms();
    out.model_cost_ms = model_.cost_ms();
    out.events = events_;
    return out;
  }

 private:
  sc::Config make_config() {
    sc::Config cfg;
    cfg.wall_clock = [clock = &clock_] { return clock->now(); };
    cfg.executor = [ex = executor_](std::function<void()> task) { ex->post(std::move(task)); };
    cfg.ttl_jitter = 0.1;
    cfg.compute_soft_timeout =
        std::chrono::milliseconds(static_cast<std::chrono::milliseconds::rep>(std::lround(opt_.soft_timeout_ms)));
    return cfg;
  }

  // Waits for the computes the soft timeout left running (a hang ends within
  // hang_ms): they call model_, which the cache does not keep alive.
  void drain() const {
    for (const auto& c : caches_)
      while (c->computes_pending() > 0) std::this_thread::sleep_for(std::chrono::milliseconds(1));
  }

  // The instance the load balancer hands the next request (or event) to.
  sc::SmartCache<Store>& next_for_request() { return *caches_[next_request_++ % caches_.size()]; }
  sc::SmartCache<Store>& next_for_event() { return *caches_[next_event_++ % caches_.size()]; }

  double uniform() { return std::uniform_real_distribution<double>(0.0, 1.0)(rng_); }
  bool chance(double p) { return uniform() < p; }

  // `count` fixtures kicking off at quarter hours in [from, to).
  void plan_fixtures(Millis from, Millis to, int count, int& tally) {
    for (int i = 0; i < count; ++i) {
      Match m;
      m.id = next_id_++;
      m.league = leagues[static_cast<std::size_t>(m.id) % leagues.size()];
      m.scope = fmt::format("match:{}", m.id);
      const auto at = from + static_cast<Millis>(uniform() * static_cast<double>(to - from));
      m.kickoff = at - at % (15 * minute_ms);
      m.popularity = std::lognormal_distribution<double>(0.0, 0.6)(rng_);
      matches_.push_back(std::move(m));
      ++tally;
    }
  }

  void forget_finished() {
    const Millis now = clock_.elapsed();
    matches_.erase(std::remove_if(matches_.begin(), matches_.end(),
                                  [now](const Match& m) { return now - m.kickoff > 6 * hour_ms; }),
                   matches_.end());
  }

  void update_league_feed(Feed& f, Millis now) {
    const double step_h = static_cast<double>(step_ms) / static_cast<double>(hour_ms);
    if (f.status != sc::VixStatus::normal && now >= f.until) {
      f.status = f.status == sc::VixStatus::panic ? sc::VixStatus::warning : sc::VixStatus::normal;
      f.until = now + 5 * minute_ms;
    } else if (f.status == sc::VixStatus::normal &&
               chance(0.8 * step_h)) {  // ~0.8 market scares an hour
      const bool panic = chance(0.25);
      f.status = panic ? sc::VixStatus::panic : sc::VixStatus::warning;
      f.until = now + (panic ? 1 + static_cast<Millis>(uniform() * 3)
                             : 5 + static_cast<Millis>(uniform() * 15)) *
                          minute_ms;
    }
  }

  // In-play events of one match, by minute of play (half time 45'-60', full time at 107').
  void play(Match& m, Millis now) {
    if (m.feed.status != sc::VixStatus::normal && now >= m.feed.until)
      m.feed.status = sc::VixStatus::normal;
    const Millis minute = (now - m.kickoff) / minute_ms;
    if (minute < 0 || m.full_time) return;
    if (minute >= 45 && !m.half_time) {
      m.half_time = true;
      event(m, "half_time", now);
    }
    if (minute >= 107) {
      m.full_time = true;
      event(m, "full_time", now);
      return;
    }
    if (minute >= 45 && minute < 60) return;
    const double per_step = static_cast<double>(step_ms) / static_cast<double>(minute_ms) / 90.0;
    struct Rate {
      const char* type;
      double per_90;
      bool shakes_prices;
    };
    static constexpr std::array<Rate, 7> rates{{{"goal", 2.7, true},
                                                {"yellow_card", 3.8, false},
                                                {"corner", 10.0, false},
                                                {"red_card", 0.15, true},
                                                {"penalty_awarded", 0.3, true},
                                                {"var_review", 0.4, true},
                                                {"substitution", 9.0, false}}};
    for (const Rate& r : rates) {
      if (std::string_view(r.type) == "substitution" && minute < 60) continue;
      if (!chance(r.per_90 * per_step)) continue;
      event(m, r.type, now);
      if (std::string_view(r.type) == "penalty_awarded")
        event(m, chance(0.75) ? "goal" : "penalty_missed", now);
      if (r.shakes_prices) {  // prices move hard: warning, sometimes a short panic
        const bool panic = chance(0.15);
        m.feed.status = panic ? sc::VixStatus::panic : sc::VixStatus::warning;
        m.feed.until = now + (panic ? 1 : 3) * minute_ms;
      }
    }
  }

  void event(const Match& m, const char* type, Millis) {
    next_for_event().invalidate_by_event({type, m.scope});
    ++events_[type];
  }

  void traffic(const Match& m, Millis now) {
    const sc::Zone zone = cache().config().zones.zone_for(clock_.at(m.kickoff), clock_.at(now));
    const double per_step = static_cast<double>(step_ms) / static_cast<double>(minute_ms);
    const double lambda = traffic_per_minute(zone) * m.popularity * per_step;
    const int n = std::poisson_distribution<int>(lambda)(rng_);
    sc::RequestContext ctx;
    ctx.kickoff = clock_.at(m.kickoff);
    ctx.vix = {{"league:" + m.league, league_feeds_[m.league].status}, {m.scope, m.feed.status}};
    for (int i = 0; i < n; ++i) {
      const char* market = match_markets[market_pick_(rng_)].name;
      ctx.tags = {m.scope, market};
      request(fmt::format("pred:{}:{}", m.scope, market), ctx);
    }
  }

  void outright_traffic(const char* league) {
    const double lambda = 1.0 * static_cast<double>(step_ms) / static_cast<double>(minute_ms);
    for (const char* market : outright_markets) {
      const int n = std::poisson_distribution<int>(lambda)(rng_);
      if (n == 0) continue;
      sc::RequestContext ctx;  // no kickoff: standard zone
      ctx.tags = {fmt::format("league:{}", league), market};
      ctx.vix = {{fmt::format("league:{}", league), league_feeds_[league].status}};
      for (int i = 0; i < n; ++i)
        request(fmt::format("pred:league:{}:{}", league, market), ctx);
    }
  }

  void request(std::string key, const sc::RequestContext& ctx) {
    const auto begin = std::chrono::steady_clock::now();
    try {
      (void)next_for_request().get_or_compute(
          key, [model = &model_, key] { return model->predict(key); }, ctx);
    } catch (const std::exception&) {
      ++failed_requests_;  // the model failed and no stale value could stand in
    }
    // An answer that took half a hang or more waited for a hung model.
    if (opt_.hang_rate > 0 &&
        std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - begin).count() >=
            opt_.hang_ms / 2)
      ++hung_answers_;
  }

  Options opt_;
  SimClock clock_;
  std::shared_ptr<StepExecutor> executor_ = std::make_shared<StepExecutor>();
  Model model_;
  std::vector<std::unique_ptr<sc::SmartCache<Store>>> caches_;  // after what their Config refers to
  std::size_t next_request_ = 0;
  std::size_t next_event_ = 0;
  std::mt19937 rng_;
  std::discrete_distribution<std::size_t> market_pick_{[] {
    std::vector<double> w;
    for (const auto& m : match_markets)
      w.push_back(m.weight);
    return std::discrete_distribution<std::size_t>(w.begin(), w.end());
  }()};
  std::vector<Match> matches_;
  std::map<std::string, Feed> league_feeds_;
  std::map<std::string, std::uint64_t> events_;
  int next_id_ = 1;
  int today_ = 0;
  int tomorrow_ = 0;
  std::uint64_t failed_requests_ = 0;
  std::uint64_t hung_answers_ = 0;
  std::uint64_t redeploys_ = 0;

  void draw_progress(double done) {
    const sc::Stats s = cache().metrics().get_stats();
    constexpr int width = 30;
    const int filled = std::clamp(static_cast<int>(done * width), 0, width);
    std::fprintf(stderr, "\r  [%s%s] %3d%%  %s  %s requests  hit rate %.1f%%  \033[K",
                 std::string(static_cast<std::size_t>(filled), '#').c_str(),
                 std::string(static_cast<std::size_t>(width - filled), '.').c_str(),
                 static_cast<int>(done * 100), clock_label().c_str(),
                 grouped(s.total_requests).c_str(), s.hit_rate_pct);
    std::fflush(stderr);
  }

  void progress_line(double done) {
    const sc::Stats s = cache().metrics().get_stats();
    std::fprintf(stderr, "  [%3d%%] simulated %s  %s requests  hit rate %.1f%%\n",
                 static_cast<int>(done * 100 + 0.5), clock_label().c_str(),
                 grouped(s.total_requests).c_str(), s.hit_rate_pct);
  }

 public:
  /// "13:45" (or "d2 13:45" after the first day) of the simulated clock.
  [[nodiscard]] std::string clock_label() const {
    const Millis t = clock_.elapsed();
    const Millis day = t / day_ms, in_day = t % day_ms;
    std::string hm = fmt::format("{:02}:{:02}", in_day / hour_ms, in_day % hour_ms / minute_ms);
    return day == 0 ? hm : fmt::format("d{} {}", day + 1, hm);
  }
};

}  // namespace sim
