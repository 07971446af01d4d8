// The exposition: structure, names, escaping, monotonic across resets, promtool.
#include <smartcache/smartcache.hpp>

#include <optional>
#include <set>
#include <string>
#include <utility>
#include <vector>

#include "support/catch.hpp"
#include "support/request_records.hpp"
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
  CHECK(has_line(t, "smartcache_lookups_total{result=\"fresh\"} " + v(C::cache_hit_fresh)));
  CHECK(has_line(t, "smartcache_lookups_total{result=\"stale\"} " + v(C::cache_hit_stale)));
  CHECK(has_line(t, "smartcache_lookups_total{result=\"miss\"} " + v(C::cache_miss)));
  CHECK(has_line(t, "smartcache_store_errors_total " + v(C::cache_errors)));
  CHECK(has_line(t, "smartcache_evictions_total " + v(C::cache_evictions)));
  CHECK(has_line(t, "smartcache_vix_requests_total{vix=\"normal\"} " + v(C::vix_normal)));
  CHECK(has_line(t, "smartcache_vix_requests_total{vix=\"warning\"} " + v(C::vix_warning_detected)));
  CHECK(has_line(t, "smartcache_vix_requests_total{vix=\"panic\"} " + v(C::vix_panic_detected)));
  CHECK(has_line(t, "smartcache_zone_requests_total{zone=\"standard\"} " + v(C::golden_hour_standard)));
  CHECK(has_line(t, "smartcache_zone_requests_total{zone=\"warmup\"} " + v(C::golden_hour_warmup)));
  CHECK(has_line(t, "smartcache_zone_requests_total{zone=\"prematch\"} " + v(C::golden_hour_prematch)));
  CHECK(has_line(t, "smartcache_zone_requests_total{zone=\"golden\"} " + v(C::golden_hour_golden)));
  CHECK(has_line(t, "smartcache_zone_requests_total{zone=\"active\"} " + v(C::golden_hour_active)));
  CHECK(has_line(t, "smartcache_swr_too_stale_total " + v(C::swr_too_stale)));
  CHECK(has_line(t, "smartcache_swr_refreshes_total{result=\"success\"} " + v(C::swr_background_success)));
  CHECK(has_line(t, "smartcache_swr_refreshes_total{result=\"error\"} " + v(C::swr_background_error)));
  CHECK(has_line(t, "smartcache_swr_refreshes_total{result=\"dropped\"} " + v(C::swr_background_dropped)));
  CHECK(has_line(t, "smartcache_strategy_requests_total{strategy=\"bypass\"} " + v(C::strategy_bypass)));
  CHECK(has_line(t, "smartcache_strategy_requests_total{strategy=\"compute\"} " + v(C::strategy_compute)));
  CHECK(has_line(t, "smartcache_strategy_requests_total{strategy=\"serve_stale\"} " + v(C::strategy_serve_stale)));
  CHECK(has_line(t, "smartcache_strategy_requests_total{strategy=\"serve_fresh\"} " + v(C::strategy_serve_fresh)));
  CHECK(has_line(t, "smartcache_surgical_invalidations_total " + v(C::surgical_invalidation)));
  CHECK(has_line(t, "smartcache_full_invalidations_total " + v(C::full_invalidation)));
  CHECK(has_line(t, "smartcache_invalidation_markets_affected_total " + v(C::markets_affected_logical)));
  CHECK(has_line(t, "smartcache_invalidation_keys_deleted_total " + v(C::cache_keys_deleted_actual)));
  CHECK(has_line(t, "smartcache_invalidation_markets_preserved_total " + v(C::markets_preserved)));
  CHECK(has_line(t, "smartcache_latency_rejected_total " + v(C::latency_rejected)));
  CHECK(has_line(t, "smartcache_latency_unmeasured_total " + v(C::latency_unmeasured)));
  CHECK(has_line(t, "smartcache_compute_soft_timeouts_total " + v(C::compute_soft_timeouts)));
  CHECK(has_line(t, "smartcache_compute_hard_timeouts_total " + v(C::compute_hard_timeouts)));
  CHECK(has_line(t, "smartcache_compute_pool_rejections_total " + v(C::compute_pool_rejections)));
  CHECK(has_line(t, "smartcache_eager_refreshes_total " + v(C::eager_refreshes)));
  CHECK(has_line(t, "smartcache_refreshes_abandoned_total " + v(C::refreshes_abandoned)));
  CHECK(has_line(t, "smartcache_latency_sample_ratio 1"));

  // The three seed keys without a series of their own (each always equals the
  // series beside it): no sample carries their values, which were made unique.
  for (const C shared : {C::swr_served_fresh, C::swr_served_stale, C::cache_bypass_vix}) {
    CAPTURE(smartcache::to_string(shared));
    for (const auto& s : smartcache_test::exposition_samples(t))
      if (s.name.size() > 6 && s.name.substr(s.name.size() - 6) == "_total") CHECK(s.value != v(shared));
  }
}

TEST_CASE("seed keys that share a series stay equal to it", "[prometheus]") {
  // swr_served_fresh/_stale are recorded with cache_hit_fresh/_stale, and
  // cache_bypass_vix with strategy_bypass (a bypass happens only on VIX
  // panic): the exposition gives them one series each, and a swr_too_stale
  // lookup is also a miss.
  smartcache::CacheMetrics m;
  const auto request = [&](smartcache::Strategy strategy, smartcache::VixStatus vix, smartcache::Lookup lookup) {
    smartcache::RequestRecord r;
    r.strategy = strategy;
    r.vix = vix;
    r.zone = smartcache::Zone::golden;
    r.lookup = lookup;
    m.record_request(r);
  };
  using smartcache::Lookup;
  using smartcache::Strategy;
  using smartcache::VixStatus;
  for (int i = 0; i < 5; ++i) request(Strategy::serve_fresh, VixStatus::normal, Lookup::fresh);
  for (int i = 0; i < 3; ++i) request(Strategy::serve_stale, VixStatus::warning, Lookup::stale);
  for (int i = 0; i < 2; ++i) request(Strategy::compute, VixStatus::normal, Lookup::too_stale);
  request(Strategy::compute, VixStatus::normal, Lookup::miss);
  for (int i = 0; i < 4; ++i) request(Strategy::bypass, VixStatus::panic, Lookup::none);

  const smartcache::Stats s = m.get_stats();
  CHECK(s.swr_served_fresh == s.cache_hit_fresh);
  CHECK(s.swr_served_stale == s.cache_hit_stale);
  CHECK(s.cache_bypass_vix == s.strategy_bypass);
  const std::string t = m.to_prometheus();
  CHECK(has_line(t, "smartcache_lookups_total{result=\"fresh\"} " + std::to_string(s.swr_served_fresh)));
  CHECK(has_line(t, "smartcache_lookups_total{result=\"stale\"} " + std::to_string(s.swr_served_stale)));
  CHECK(has_line(t, "smartcache_strategy_requests_total{strategy=\"bypass\"} " + std::to_string(s.cache_bypass_vix)));
  CHECK(has_line(t, "smartcache_swr_too_stale_total 2"));
  CHECK(has_line(t, "smartcache_lookups_total{result=\"miss\"} 3"));  // too stale (2) + absent (1)
  CHECK(has_line(t, "smartcache_vix_requests_total{vix=\"panic\"} 4"));
}

TEST_CASE("family names and labels follow the 0.2 naming", "[prometheus][naming]") {
  smartcache::MetricsOptions o;
  o.const_labels = {{"service", "odds"}, {"region", "eu-west"}};
  smartcache::CacheMetrics m(o);
  busy_metrics(m);
  const std::string t = m.to_prometheus();
  REQUIRE_FALSE(smartcache_test::check_exposition(t).has_value());

  SECTION("exactly the families of the table, none starting with smartcache_cache_") {
    const std::vector<std::pair<std::string, std::string>> expected = {
        {"smartcache_requests_total", "counter"},
        {"smartcache_lookups_total", "counter"},
        {"smartcache_swr_too_stale_total", "counter"},
        {"smartcache_store_errors_total", "counter"},
        {"smartcache_evictions_total", "counter"},
        {"smartcache_vix_requests_total", "counter"},
        {"smartcache_zone_requests_total", "counter"},
        {"smartcache_strategy_requests_total", "counter"},
        {"smartcache_swr_refreshes_total", "counter"},
        {"smartcache_surgical_invalidations_total", "counter"},
        {"smartcache_full_invalidations_total", "counter"},
        {"smartcache_invalidation_markets_affected_total", "counter"},
        {"smartcache_invalidation_keys_deleted_total", "counter"},
        {"smartcache_invalidation_markets_preserved_total", "counter"},
        {"smartcache_latency_rejected_total", "counter"},
        {"smartcache_latency_unmeasured_total", "counter"},
        {"smartcache_compute_soft_timeouts_total", "counter"},
        {"smartcache_compute_hard_timeouts_total", "counter"},
        {"smartcache_compute_pool_rejections_total", "counter"},
        {"smartcache_eager_refreshes_total", "counter"},
        {"smartcache_refreshes_abandoned_total", "counter"},
        {"smartcache_tier_hits_total", "counter"},
        {"smartcache_tier_notifications_total", "counter"},
        {"smartcache_tier_clears_total", "counter"},
        {"smartcache_tier_reconnects_total", "counter"},
        {"smartcache_invalidation_cpu_saved_ratio", "summary"},
        {"smartcache_request_duration_seconds", "histogram"},
        {"smartcache_latency_sample_ratio", "gauge"},
    };
    std::vector<std::pair<std::string, std::string>> got;
    for (const auto& f : smartcache_test::exposition_families(t)) {
      CAPTURE(f.name);
      CHECK(f.name.rfind("smartcache_cache_", 0) == std::string::npos);
      got.emplace_back(f.name, f.type);
    }
    CHECK(got == expected);
    for (const auto& s : smartcache_test::exposition_samples(t)) {
      CAPTURE(s.name);
      CHECK(s.name.rfind("smartcache_cache_", 0) == std::string::npos);
    }
  }

  SECTION("one label vocabulary: result, vix, zone, strategy, tier, cause (and le on buckets)") {
    const std::set<std::string> vocabulary = {"result", "vix", "zone", "strategy", "tier", "cause"};
    std::set<std::string> used;
    for (const auto& s : smartcache_test::exposition_samples(t)) {
      CAPTURE(s.name);
      REQUIRE(s.labels.size() >= 2);
      CHECK(s.labels[0] == std::pair<std::string, std::string>{"service", "odds"});
      CHECK(s.labels[1] == std::pair<std::string, std::string>{"region", "eu-west"});
      for (std::size_t i = 2; i < s.labels.size(); ++i) {
        const std::string& name = s.labels[i].first;
        CAPTURE(name);
        const bool bucket = s.name == "smartcache_request_duration_seconds_bucket";
        const bool le = bucket && i + 1 == s.labels.size();
        CHECK((le ? name == "le" : vocabulary.count(name) == 1));
        if (!le) used.insert(name);
      }
      // at most one label of its own (buckets: plus le)
      CHECK(s.labels.size() <= (s.name == "smartcache_request_duration_seconds_bucket" ? 4u : 3u));
    }
    CHECK(used == vocabulary);  // each of them partitions some family
  }

  SECTION("lookups_total carries the fresh hits; no swr_lookups_total family") {
    CHECK(has_line(t, "smartcache_lookups_total{service=\"odds\",region=\"eu-west\",result=\"fresh\"} 3"));
    CHECK(t.find("smartcache_swr_lookups_total") == std::string::npos);
    CHECK(t.find("smartcache_vix_bypass_total") == std::string::npos);
    CHECK(t.find("smartcache_invalidations_total") == std::string::npos);
    for (const char* old_label : {"freshness=", "status=", "outcome=", "kind="}) {
      CAPTURE(old_label);
      CHECK(t.find(old_label) == std::string::npos);
    }
  }
}

TEST_CASE("a constant label named like a partition label leaves only that family's series",
          "[prometheus][naming]") {
  smartcache_test::LogCapture logs;
  const std::string label = GENERATE(as<std::string>{}, "result", "vix", "zone", "strategy");
  smartcache::MetricsOptions o;
  o.const_labels = {{label, "const"}, {"service", "odds"}};
  smartcache::CacheMetrics m(o);
  busy_metrics(m);
  const std::string t = m.to_prometheus();
  CAPTURE(label);
  REQUIRE_FALSE(smartcache_test::check_exposition(t).has_value());
  std::size_t partitioned = 0;
  for (const auto& s : smartcache_test::exposition_samples(t)) {
    CAPTURE(s.name);
    CHECK(s.label("service") == std::optional<std::string>("odds"));
    const auto own = s.label(label);
    REQUIRE(own.has_value());
    if (*own == "const") continue;  // the constant label: kept
    ++partitioned;                  // the family's own label: the constant one is left out
    std::size_t named = 0;
    for (const auto& l : s.labels) named += l.first == label;
    CHECK(named == 1);
  }
  CHECK(partitioned >= 3);
}

TEST_CASE("latency is a histogram in seconds", "[prometheus]") {
  smartcache::CacheMetrics m;
  m.record_latency(3.0);    // 0.003 s
  m.record_latency(250.0);  // 0.25 s, exactly on a bound
  const std::string t = m.to_prometheus();
  CHECK(has_line(t, "# TYPE smartcache_request_duration_seconds histogram"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{strategy=\"unspecified\",le=\"0.0025\"} 0"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{strategy=\"unspecified\",le=\"0.005\"} 1"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{strategy=\"unspecified\",le=\"0.25\"} 2"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{strategy=\"unspecified\",le=\"+Inf\"} 2"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_count{strategy=\"unspecified\"} 2"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_sum{strategy=\"unspecified\"} 0.253"));
  CHECK(t.find("_ms") == std::string::npos);
}

TEST_CASE("histogram buckets are configurable", "[prometheus]") {
  smartcache::MetricsOptions o;
  o.latency_buckets_seconds = {0.5, 0.001, 0.01};  // unsorted on purpose
  smartcache::CacheMetrics m(o);
  m.record_latency(5.0);
  const std::string t = m.to_prometheus();
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{strategy=\"unspecified\",le=\"0.001\"} 0"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{strategy=\"unspecified\",le=\"0.01\"} 1"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_bucket{strategy=\"unspecified\",le=\"0.5\"} 1"));
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
  m.record_request(smartcache_test::request_record(smartcache::Strategy::serve_fresh, smartcache::VixStatus::normal,
                                                   smartcache::Zone::golden, smartcache::Lookup::fresh, 0.5));
  const std::string t = m.to_prometheus();
  // Kept where no family label clashes, in the order given.
  CHECK(has_line(t, "smartcache_requests_total{zone=\"eu-west\",service=\"odds\"} 1"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_count{zone=\"eu-west\",service=\"odds\",strategy=\"serve_fresh\"} 1"));
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
