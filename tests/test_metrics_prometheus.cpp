// The exposition: structure, names, escaping, monotonic across resets, promtool.
#include <smartcache/smartcache.hpp>

#include <string>

#include "support/catch.hpp"
#include "support/exposition_checker.hpp"
#include "support/log_capture.hpp"
#include "support/promtool.hpp"


namespace {

smartcache::CacheMetrics& busy_metrics(smartcache::CacheMetrics& m) {
  for (const auto& info : smartcache::detail::counter_table) m.increment(info.counter, 3);
  for (double v : {0.05, 0.3, 1.0, 4.0, 25.0, 180.0, 1200.0, 20000.0}) m.record_latency(v);
  m.record_cpu_saved(75);
  return m;
}

bool has_line(const std::string& text, const std::string& line) {
  return text.find(line + "\n") != std::string::npos;
}

}  // namespace

TEST_CASE("the exposition is structurally valid", "[prometheus]") {
  smartcache::CacheMetrics m;
  SECTION("empty") {}
  SECTION("busy") { busy_metrics(m); }
  const auto problem = smartcache_test::check_exposition(m.to_prometheus());
  CHECK_FALSE(problem.has_value());
  if (problem) FAIL(*problem);
}

TEST_CASE("every seed counter maps to its series", "[prometheus]") {
  smartcache::CacheMetrics m;
  for (const auto& info : smartcache::detail::counter_table)
    m.increment(info.counter, static_cast<std::uint64_t>(info.counter) + 1);
  const std::string t = m.to_prometheus();
  const auto v = [](smartcache::Counter c) {
    return std::to_string(static_cast<int>(c) + 1);
  };
  using C = smartcache::Counter;
  CHECK(has_line(t, "smartcache_requests_total " + v(C::total_requests)));
  CHECK(has_line(t, "smartcache_cache_hits_total{freshness=\"fresh\"} " + v(C::cache_hit_fresh)));
  CHECK(has_line(t, "smartcache_cache_hits_total{freshness=\"stale\"} " + v(C::cache_hit_stale)));
  CHECK(has_line(t, "smartcache_cache_misses_total " + v(C::cache_miss)));
  CHECK(has_line(t, "smartcache_cache_errors_total " + v(C::cache_errors)));
  CHECK(has_line(t, "smartcache_cache_evictions_total " + v(C::cache_evictions)));
  CHECK(has_line(t, "smartcache_vix_requests_total{status=\"normal\"} " + v(C::vix_normal)));
  CHECK(has_line(t, "smartcache_vix_requests_total{status=\"warning\"} " + v(C::vix_warning_detected)));
  CHECK(has_line(t, "smartcache_vix_requests_total{status=\"panic\"} " + v(C::vix_panic_detected)));
  CHECK(has_line(t, "smartcache_vix_bypass_total " + v(C::cache_bypass_vix)));
  CHECK(has_line(t, "smartcache_zone_requests_total{zone=\"standard\"} " + v(C::golden_hour_standard)));
  CHECK(has_line(t, "smartcache_zone_requests_total{zone=\"warmup\"} " + v(C::golden_hour_warmup)));
  CHECK(has_line(t, "smartcache_zone_requests_total{zone=\"prematch\"} " + v(C::golden_hour_prematch)));
  CHECK(has_line(t, "smartcache_zone_requests_total{zone=\"golden\"} " + v(C::golden_hour_golden)));
  CHECK(has_line(t, "smartcache_zone_requests_total{zone=\"active\"} " + v(C::golden_hour_active)));
  CHECK(has_line(t, "smartcache_swr_lookups_total{outcome=\"fresh\"} " + v(C::swr_served_fresh)));
  CHECK(has_line(t, "smartcache_swr_lookups_total{outcome=\"stale\"} " + v(C::swr_served_stale)));
  CHECK(has_line(t, "smartcache_swr_lookups_total{outcome=\"too_stale\"} " + v(C::swr_too_stale)));
  CHECK(has_line(t, "smartcache_swr_refreshes_total{result=\"success\"} " + v(C::swr_background_success)));
  CHECK(has_line(t, "smartcache_swr_refreshes_total{result=\"error\"} " + v(C::swr_background_error)));
  CHECK(has_line(t, "smartcache_swr_refreshes_total{result=\"dropped\"} " + v(C::swr_background_dropped)));
  CHECK(has_line(t, "smartcache_strategy_requests_total{strategy=\"bypass\"} " + v(C::strategy_bypass)));
  CHECK(has_line(t, "smartcache_strategy_requests_total{strategy=\"compute\"} " + v(C::strategy_compute)));
  CHECK(has_line(t, "smartcache_strategy_requests_total{strategy=\"serve_stale\"} " + v(C::strategy_serve_stale)));
  CHECK(has_line(t, "smartcache_strategy_requests_total{strategy=\"serve_fresh\"} " + v(C::strategy_serve_fresh)));
  CHECK(has_line(t, "smartcache_invalidations_total{kind=\"surgical\"} " + v(C::surgical_invalidation)));
  CHECK(has_line(t, "smartcache_invalidations_total{kind=\"full\"} " + v(C::full_invalidation)));
  CHECK(has_line(t, "smartcache_invalidation_markets_affected_total " + v(C::markets_affected_logical)));
  CHECK(has_line(t, "smartcache_invalidation_keys_deleted_total " + v(C::cache_keys_deleted_actual)));
  CHECK(has_line(t, "smartcache_invalidation_markets_preserved_total " + v(C::markets_preserved)));
  CHECK(has_line(t, "smartcache_latency_rejected_total " + v(C::latency_rejected)));
  CHECK(has_line(t, "smartcache_latency_unmeasured_total " + v(C::latency_unmeasured)));
  CHECK(has_line(t, "smartcache_latency_sample_ratio 1"));
}

TEST_CASE("latency is a histogram in seconds", "[prometheus]") {
  smartcache::CacheMetrics m;
  m.record_latency(3.0);    // 0.003 s
  m.record_latency(250.0);  // 0.25 s, exactly on a bound
  const std::string t = m.to_prometheus();
  CHECK(has_line(t, "# TYPE smartcache_request_duration_seconds histogram"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{le=\"0.0025\"} 0"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{le=\"0.005\"} 1"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{le=\"0.25\"} 2"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{le=\"+Inf\"} 2"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_count 2"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_sum 0.253"));
  CHECK(t.find("_ms") == std::string::npos);
}

TEST_CASE("histogram buckets are configurable", "[prometheus]") {
  smartcache::MetricsOptions o;
  o.latency_buckets_seconds = {0.5, 0.001, 0.01};  // unsorted on purpose
  smartcache::CacheMetrics m(o);
  m.record_latency(5.0);
  const std::string t = m.to_prometheus();
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{le=\"0.001\"} 0"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{le=\"0.01\"} 1"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{le=\"0.5\"} 1"));
  CHECK(t.find("le=\"0.0025\"") == std::string::npos);
  CHECK_FALSE(smartcache_test::check_exposition(t).has_value());
}

TEST_CASE("resets never make exported counters go backwards", "[prometheus][reset]") {
  smartcache::CacheMetrics m;
  busy_metrics(m);
  const std::string before = m.to_prometheus();
  m.reset();
  m.reset_category(smartcache::Category::vix);
  CHECK(m.get_stats().total_requests == 0);
  CHECK(m.to_prometheus() == before);
  m.record_latency(1.0);
  CHECK(has_line(m.to_prometheus(), "smartcache_requests_total 12"));
}

TEST_CASE("namespace and constant labels are configurable and escaped", "[prometheus]") {
  smartcache_test::LogCapture logs;
  smartcache::MetricsOptions o;
  o.prometheus_namespace = "bet-svc";  // '-' is not allowed in a metric name
  o.const_labels = {{"instance", "eu\"west\\1\nb"}, {"bad-name", "x"}, {"__reserved", "y"},
                    {"zone", "eu-west"}};
  smartcache::CacheMetrics m(o);
  m.record_latency(1.0);
  const std::string t = m.to_prometheus();
  CHECK(has_line(t, "bet_svc_requests_total{instance=\"eu\\\"west\\\\1\\nb\",zone=\"eu-west\"} 1"));
  CHECK(t.find("bad-name") == std::string::npos);
  CHECK(t.find("__reserved") == std::string::npos);
  CHECK(has_line(t, "bet_svc_latency_rejected_total{instance=\"eu\\\"west\\\\1\\nb\",zone=\"eu-west\"} 0"));
  CHECK(logs.count(smartcache::LogLevel::warning) == 3);
  CHECK_FALSE(smartcache_test::check_exposition(t).has_value());
}

TEST_CASE("a constant label that collides with a family label stays on every other family",
          "[prometheus][regression]") {
  smartcache_test::LogCapture logs;
  smartcache::MetricsOptions o;
  o.const_labels = {{"zone", "eu-west"}, {"service", "odds"}};
  smartcache::CacheMetrics m(o);
  CHECK(logs.count(smartcache::LogLevel::warning) == 1);  // said once, at construction
  smartcache::RequestRecord r;
  r.strategy = smartcache::Strategy::serve_fresh;
  r.vix = smartcache::VixStatus::normal;
  r.zone = smartcache::Zone::golden;
  r.lookup = smartcache::Lookup::fresh;
  r.latency_ms = 0.5;
  m.record_request(r);
  const std::string t = m.to_prometheus();
  // Kept where no family label clashes, in the order given.
  CHECK(has_line(t, "smartcache_requests_total{zone=\"eu-west\",service=\"odds\"} 1"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_count{zone=\"eu-west\",service=\"odds\"} 1"));
  // Left out of the zone family only: its own zone label wins.
  CHECK(has_line(t, "smartcache_zone_requests_total{service=\"odds\",zone=\"golden\"} 1"));
  CHECK(t.find("zone=\"eu-west\",zone=") == std::string::npos);
  std::size_t with_const_zone = 0;
  for (std::size_t pos = 0; (pos = t.find("zone=\"eu-west\"", pos)) != std::string::npos; ++pos)
    ++with_const_zone;
  CHECK(with_const_zone > 20);  // every series but the five of zone_requests_total
  CHECK(logs.count(smartcache::LogLevel::warning) == 1);  // scrapes do not warn again
  CHECK_FALSE(smartcache_test::check_exposition(t).has_value());
}

TEST_CASE("the content type is the 0.0.4 text format", "[prometheus]") {
  CHECK(smartcache::prometheus_content_type == "text/plain; version=0.0.4; charset=utf-8");
}

TEST_CASE("promtool check metrics prints nothing", "[prometheus][promtool]") {
  smartcache::CacheMetrics empty;
  smartcache::CacheMetrics busy;
  busy_metrics(busy);
  smartcache::MetricsOptions o;
  o.const_labels = {{"service", "odds \"live\""}};
  smartcache::CacheMetrics labelled(o);
  busy_metrics(labelled);
  for (const auto* m : {&empty, &busy, &labelled}) {
    const auto result = smartcache_test::run_promtool_check_metrics(m->to_prometheus());
    if (!result) {
      if (smartcache_test::running_in_ci()) FAIL("promtool is required in CI (Debian package prometheus)");
      WARN("promtool not found; install the Debian package prometheus");
      return;
    }
    CHECK(result->exit_code == 0);
    CHECK(result->output.empty());
  }
}
