// Latency per strategy: one histogram series per strategy (and "unspecified"
// for record_latency), per-strategy quantiles in Stats, promtool silent.
#include <smartcache/smartcache.hpp>

#include <cstddef>
#include <string>
#include <vector>

#include "support/catch.hpp"
#include "support/exposition_checker.hpp"
#include "support/promtool.hpp"

namespace {

using smartcache::Strategy;

bool has_line(const std::string& text, const std::string& line) {
  return text.find("\n" + line + "\n") != std::string::npos;
}

void record(smartcache::CacheMetrics& m, Strategy s, double ms) {
  smartcache::RequestRecord r;
  r.strategy = s;
  r.latency_ms = ms;
  m.record_request(r);
}

std::string series(const char* suffix, const char* strategy, const std::string& le = "") {
  std::string out = std::string("smartcache_request_duration_seconds_") + suffix + "{strategy=\"" + strategy + "\"";
  if (!le.empty()) out += ",le=\"" + le + "\"";
  return out + "}";
}

}  // namespace

TEST_CASE("each strategy's series counts only its requests", "[metrics][prometheus][strategy]") {
  smartcache::CacheMetrics m;
  record(m, Strategy::serve_fresh, 0.05);  // 50 us
  record(m, Strategy::serve_fresh, 0.2);
  record(m, Strategy::serve_stale, 0.3);
  record(m, Strategy::compute, 40.0);
  record(m, Strategy::compute, 60.0);
  record(m, Strategy::compute, 4000.0);
  m.record_latency(2.0);
  smartcache::RequestRecord unsampled;  // counted, not observed
  unsampled.strategy = Strategy::bypass;
  m.record_request(unsampled);

  const std::string t = m.to_prometheus();
  CHECK(has_line(t, "# TYPE smartcache_request_duration_seconds histogram"));
  CHECK(has_line(t, series("count", "serve_fresh") + " 2"));
  CHECK(has_line(t, series("bucket", "serve_fresh", "0.0001") + " 1"));
  CHECK(has_line(t, series("bucket", "serve_fresh", "0.00025") + " 2"));
  CHECK(has_line(t, series("bucket", "serve_fresh", "+Inf") + " 2"));
  CHECK(has_line(t, series("count", "serve_stale") + " 1"));
  CHECK(has_line(t, series("bucket", "serve_stale", "0.00025") + " 0"));
  CHECK(has_line(t, series("bucket", "serve_stale", "0.0005") + " 1"));
  CHECK(has_line(t, series("count", "compute") + " 3"));
  CHECK(has_line(t, series("bucket", "compute", "0.05") + " 1"));
  CHECK(has_line(t, series("bucket", "compute", "0.1") + " 2"));
  CHECK(has_line(t, series("bucket", "compute", "2.5") + " 2"));
  CHECK(has_line(t, series("bucket", "compute", "5") + " 3"));
  CHECK(has_line(t, series("sum", "compute") + " 4.1"));
  CHECK(has_line(t, series("count", "bypass") + " 0"));
  CHECK(has_line(t, series("bucket", "bypass", "+Inf") + " 0"));
  CHECK(has_line(t, series("sum", "bypass") + " 0"));
  // record_latency knows no strategy: the "unspecified" series.
  CHECK(has_line(t, series("count", "unspecified") + " 1"));
  CHECK(has_line(t, series("bucket", "unspecified", "0.001") + " 0"));
  CHECK(has_line(t, series("bucket", "unspecified", "0.0025") + " 1"));
  // One family, five series, no unlabelled line.
  CHECK(t.find("smartcache_request_duration_seconds_count ") == std::string::npos);
  CHECK(t.find("smartcache_request_duration_seconds_bucket{le=") == std::string::npos);
  std::size_t counts = 0;
  for (std::size_t pos = 0; (pos = t.find("smartcache_request_duration_seconds_count{", pos)) != std::string::npos; ++pos)
    ++counts;
  CHECK(counts == 5);
  CHECK(t.find("# TYPE smartcache_request_duration_seconds histogram") ==
        t.rfind("# TYPE smartcache_request_duration_seconds histogram"));
  CHECK_FALSE(smartcache_test::check_exposition_lint(t).has_value());

  // The snapshot carries the same series; its totals are their sums.
  const auto s = m.snapshot();
  CHECK(s.latency_series[static_cast<std::size_t>(Strategy::compute)].strategy == "compute");
  CHECK(s.latency_series[static_cast<std::size_t>(Strategy::compute)].count == 3);
  CHECK(s.latency_series[4].strategy == "unspecified");
  CHECK(s.latency_count == 7);
  CHECK(s.latency_cumulative.back() == 7);  // le="10": every value is below 10 s
  CHECK(s.counter(smartcache::Counter::total_requests) == 8);
}

TEST_CASE("Stats: per-strategy quantiles on known inputs, 0 without samples", "[metrics][stats][strategy]") {
  smartcache::CacheMetrics m;
  const smartcache::Stats empty = m.get_stats();
  CHECK(empty.p50_serve_fresh_ms == 0);
  CHECK(empty.p99_compute_ms == 0);

  // serve_fresh: 1..100 us; compute: 10..1000 ms; serve_stale: one value.
  for (int i = 1; i <= 100; ++i) {
    record(m, Strategy::serve_fresh, 0.001 * i);
    record(m, Strategy::compute, 10.0 * i);
  }
  record(m, Strategy::serve_stale, 3.0);
  for (int i = 0; i < 50; ++i) m.record_latency(5000.0);  // unspecified: in the overall figures only

  const smartcache::Stats s = m.get_stats();
  const auto near = [](double got, double want) { return got >= want * (1 - 1.0 / 64) && got <= want * (1 + 1.0 / 64); };
  CHECK(near(s.p50_serve_fresh_ms, 0.050));
  CHECK(near(s.p99_serve_fresh_ms, 0.099));
  CHECK(near(s.p50_compute_ms, 500.0));
  CHECK(near(s.p99_compute_ms, 990.0));
  CHECK(s.p50_serve_stale_ms == 3.0);  // clamped to the series' min and max
  CHECK(s.p99_serve_stale_ms == 3.0);
  CHECK(s.p50_bypass_ms == 0);
  CHECK(s.p99_bypass_ms == 0);
  // The overall figures cover every series, the unspecified one included.
  CHECK(s.latency_samples == 251);
  CHECK(s.max_latency_ms == 5000.0);
  CHECK(s.min_latency_ms == 0.001);
  CHECK(near(s.p99_latency_ms, 5000.0));
  CHECK(near(s.p50_latency_ms, 10.0 * 25));  // rank 126: 100 fresh, 1 stale, then compute 10..250 ms

  CHECK(s.get("p99_compute_ms") == s.p99_compute_ms);
  CHECK(s.to_json().find("\"p50_serve_stale_ms\":3,") != std::string::npos);

  // A performance reset starts a new window for every series.
  m.reset_category(smartcache::Category::performance);
  record(m, Strategy::compute, 7.0);
  const smartcache::Stats after = m.get_stats();
  CHECK(after.p50_compute_ms == 7.0);
  CHECK(after.p99_compute_ms == 7.0);
  CHECK(after.p99_serve_fresh_ms == 0);
  CHECK(after.latency_samples == 1);
  // ... and leaves the exported series alone.
  CHECK(m.snapshot().latency_series[static_cast<std::size_t>(Strategy::compute)].count == 101);
}

TEST_CASE("a constant label named strategy is left out of the histogram and strategy families only",
          "[metrics][prometheus][strategy]") {
  smartcache::MetricsOptions o;
  o.const_labels = {{"strategy", "blue"}, {"service", "odds"}};
  smartcache::CacheMetrics m(o);
  record(m, Strategy::serve_fresh, 0.5);
  const std::string t = m.to_prometheus();
  CHECK(has_line(t, "smartcache_request_duration_seconds_count{service=\"odds\",strategy=\"serve_fresh\"} 1"));
  CHECK(has_line(t,
                 "smartcache_request_duration_seconds_bucket{service=\"odds\",strategy=\"serve_fresh\",le=\"0.0005\"} 1"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_sum{service=\"odds\",strategy=\"serve_fresh\"} 0.0005"));
  CHECK(has_line(t, "smartcache_requests_total{strategy=\"blue\",service=\"odds\"} 1"));
  CHECK(t.find("strategy=\"blue\",service=\"odds\",strategy=") == std::string::npos);
  CHECK_FALSE(smartcache_test::check_exposition(t).has_value());
}

TEST_CASE("promtool check metrics is silent on the per-strategy histogram", "[metrics][prometheus][promtool]") {
  smartcache::MetricsOptions o;
  o.const_labels = {{"service", "odds"}, {"strategy", "x"}};
  smartcache::CacheMetrics m(o);
  for (int i = 0; i < 40; ++i) record(m, static_cast<Strategy>(i % 4), 0.01 * (i + 1));
  m.record_latency(1.5);
  const auto result = smartcache_test::run_promtool_check_metrics(m.to_prometheus());
  if (!result) {
    if (smartcache_test::running_in_ci()) FAIL("promtool is required in CI (Debian package prometheus)");
    WARN("promtool not found; install the Debian package prometheus");
    return;
  }
  CHECK(result->exit_code == 0);
  CHECK(result->output.empty());
}
