// The exposition writer (names, escaping, values, constant labels, families)
// and the exposition checker the other tests rely on, both held against promtool.
#include <smartcache/detail/metrics/histogram.hpp>
#include <smartcache/detail/exposition/writer.hpp>
#include <smartcache/metrics/prometheus.hpp>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <random>
#include <string>
#include <tuple>
#include <vector>

#include "support/catch.hpp"
#include "support/exposition_checker.hpp"
#include "support/log_capture.hpp"
#include "support/promtool.hpp"

using smartcache::Labels;
using smartcache::detail::ExpositionWriter;

namespace {

std::string label_value(std::string_view v) {
  std::string out;
  smartcache::detail::append_escaped_label_value(out, v);
  return out;
}

std::string help(std::string_view v) {
  std::string out;
  smartcache::detail::append_escaped_help(out, v);
  return out;
}

template <class T>
std::string value(T v) {
  std::string out;
  smartcache::detail::append_value(out, v);
  return out;
}

// A small exposition of every family kind, with hostile constant labels.
std::string sample_exposition(std::string_view ns, const Labels& const_labels) {
  std::string out;
  ExpositionWriter w(out, ns, const_labels);
  w.family("requests_total", "counter", "Requests seen by the cache.");
  w.sample("requests_total", {}, std::uint64_t{1234});
  w.family("lookups_total", "counter", "Lookups by result.\nSecond \\ line.");
  w.sample("lookups_total", {{"result", "fresh"}}, std::uint64_t{7});
  w.sample("lookups_total", {{"result", "stale \"old\"\n\\"}}, std::uint64_t{0});
  w.family("latency_sample_ratio", "gauge", "Fraction of requests whose latency is observed.");
  w.sample("latency_sample_ratio", {}, 0.1);
  smartcache::detail::LatencyHistogram h;
  for (double ms : {0.0, 0.05, 0.3, 1.0, 5.0, 5.0, 42.0, 800.0, 20000.0}) h.observe(ms);
  w.histogram("request_duration_seconds", "Sampled request latency.", h.bounds_seconds(), h.cumulative_counts(),
              h.count(), h.sum_ms() / 1000.0);
  w.summary("invalidation_cpu_saved_ratio", "Share of markets kept per surgical invalidation.", 3, 2.25);
  return out;
}

// Runs promtool on `text` and requires that it is silent, or reports why not.
void require_promtool_silent(const std::string& text) {
  const auto result = smartcache_test::run_promtool_check_metrics(text);
  if (!result) {
    if (smartcache_test::running_in_ci()) FAIL("promtool not found (SMARTCACHE_PROMTOOL_PATH empty) under CI");
    WARN("promtool not found: `promtool check metrics` not run");
    return;
  }
  INFO(text);
  CHECK(result->output.empty());
  CHECK(result->exit_code == 0);
  if (!result->output.empty()) FAIL("promtool says: " << result->output);
}

}  // namespace

TEST_CASE("metric and label name validity", "[prometheus]") {
  using smartcache::detail::is_valid_label_name;
  using smartcache::detail::is_valid_metric_name;

  const auto [name, metric_ok, label_ok] = GENERATE(table<std::string, bool, bool>({
      {"a", true, true},
      {"_a", true, true},
      {"A_b9", true, true},
      {"a:b", true, false},
      {":a", true, false},
      {"__a", true, false},
      {"le", true, true},
      {"9a", false, false},
      {"", false, false},
      {"a-b", false, false},
      {"a b", false, false},
      {"\xC3\xA9t\xC3\xA9", false, false},
  }));
  CAPTURE(name);
  CHECK(is_valid_metric_name(name) == metric_ok);
  CHECK(is_valid_label_name(name) == label_ok);
}

TEST_CASE("metric names and namespaces are sanitized", "[prometheus]") {
  SECTION("sanitize_metric_name") {
    const auto [in, out] = GENERATE(table<std::string, std::string>({
        {"", "smartcache"},
        {"ok_name:1", "ok_name:1"},
        {"my-app.v2", "my_app_v2"},
        {"9lives", "_9lives"},
        {"a b\n", "a_b_"},
        {"\xC3\xA9", "__"},
    }));
    CAPTURE(in);
    CHECK(smartcache::detail::sanitize_metric_name(in) == out);
    CHECK(smartcache::detail::is_valid_metric_name(smartcache::detail::sanitize_metric_name(in)));
  }
  SECTION("the namespace also loses ':' and camelCase, which promtool lints") {
    const auto [in, out] = GENERATE(table<std::string, std::string>({
        {"smartcache", "smartcache"},
        {"", "smartcache"},
        {"odds:cache", "odds_cache"},
        {"MyApp", "my_app"},
        {"api2Cache", "api2_cache"},
        {"HTTPCache", "httpcache"},
        {"my-app", "my_app"},
    }));
    CAPTURE(in);
    CHECK(smartcache::detail::exposition_namespace(in) == out);
    std::string text;
    ExpositionWriter w(text, in, {});
    w.family("requests_total", "counter", "h");
    CHECK(text.rfind("# HELP " + out + "_requests_total h\n", 0) == 0);
  }
}

TEST_CASE("label values are escaped and made valid UTF-8", "[prometheus]") {
  const std::string fffd = "\xEF\xBF\xBD";
  const auto [in, out] = GENERATE_COPY(table<std::string, std::string>({
      {"plain", "plain"},
      {"", ""},
      {"a\"b", "a\\\"b"},
      {"back\\slash", "back\\\\slash"},
      {"new\nline", "new\\nline"},
      {"\\n", "\\\\n"},
      {"tab\tand\rcr", "tab\tand\rcr"},
      {"\xE2\x82\xAC \xF0\x9F\x98\x80 \xC3\xA9", "\xE2\x82\xAC \xF0\x9F\x98\x80 \xC3\xA9"},  // kept as is
      {"a\xFF" "b", "a" + fffd + "b"},                                                       // invalid byte
      {"\xC0\xAF", fffd + fffd},                                                               // overlong '/'
      {"\xED\xA0\x80", fffd + fffd + fffd},                                                    // surrogate
      {"\xE2\x82", fffd + fffd},                                                               // truncated
      {"\xF4\x90\x80\x80", fffd + fffd + fffd + fffd},                                         // past U+10FFFF
      {"\x80", fffd},                                                                          // stray continuation
      {std::string("nul\0byte", 8), std::string("nul\0byte", 8)},
  }));
  CAPTURE(in);
  CHECK(label_value(in) == out);
}

TEST_CASE("escaping finds a special byte at any position of a long text", "[prometheus]") {
  // The scan skips plain ASCII 8 bytes at a time; every offset must still be seen.
  const auto [special, in_label, in_help] = GENERATE(table<std::string, std::string, std::string>({
      {"\\", "\\\\", "\\\\"},
      {"\n", "\\n", "\\n"},
      {"\"", "\\\"", "\""},
      {"\xC3\xA9", "\xC3\xA9", "\xC3\xA9"},
      {"\xFF", "\xEF\xBF\xBD", "\xEF\xBF\xBD"},
  }));
  for (std::size_t at = 0; at <= 40; ++at) {
    const std::string plain(40, 'a');
    const std::string text = plain.substr(0, at) + special + plain.substr(at);
    CAPTURE(at, special);
    REQUIRE(label_value(text) == plain.substr(0, at) + in_label + plain.substr(at));
    REQUIRE(help(text) == plain.substr(0, at) + in_help + plain.substr(at));
  }
}

TEST_CASE("HELP text escapes backslash and newline only", "[prometheus]") {
  const auto [in, out] = GENERATE(table<std::string, std::string>({
      {"Requests seen.", "Requests seen."},
      {"say \"hi\"", "say \"hi\""},
      {"a\\b\nc", "a\\\\b\\nc"},
      {"bad \xFF byte", "bad \xEF\xBF\xBD byte"},
  }));
  CAPTURE(in);
  CHECK(help(in) == out);
}

TEST_CASE("values are formatted exactly and read back to the same double", "[prometheus]") {
  SECTION("table") {
    const auto [in, out] = GENERATE(table<double, std::string>({
        {0.0, "0"},
        {-0.0, "0"},
        {1.0, "1"},
        {-3.0, "-3"},
        {1e6, "1000000"},
        {9007199254740992.0, "9007199254740992"},  // 2^53
        {18014398509481984.0, "1.8014398509481984e+16"},
        {0.1, "0.1"},
        {2.5, "2.5"},
        {0.00025, "0.00025"},
        {1e-5, "1e-05"},
        {0.30000000000000004, "0.30000000000000004"},
        {std::numeric_limits<double>::infinity(), "+Inf"},
        {-std::numeric_limits<double>::infinity(), "-Inf"},
        {std::numeric_limits<double>::quiet_NaN(), "NaN"},
    }));
    CAPTURE(in);
    CHECK(value(in) == out);
  }
  SECTION("unsigned integers") {
    CHECK(value(std::uint64_t{0}) == "0");
    CHECK(value(std::uint64_t{42}) == "42");
    CHECK(value(std::numeric_limits<std::uint64_t>::max()) == "18446744073709551615");
  }
  SECTION("short decimals are written as fmt's shortest round-trip format writes them") {
    std::mt19937_64 rng(11);
    std::uniform_int_distribution<std::int64_t> digits(1, 999999999);
    std::uniform_int_distribution<int> scale(0, 12);
    std::uniform_real_distribution<double> any(-1e9, 1e9);
    for (int i = 0; i < 20000; ++i) {
      const double nice = static_cast<double>(digits(rng)) / std::pow(10.0, scale(rng));
      const double v = i % 2 == 0 ? nice : any(rng) * std::pow(10.0, -scale(rng));
      CAPTURE(v);
      REQUIRE(value(v) == (std::trunc(v) == v ? fmt::format("{}", static_cast<std::int64_t>(v)) : fmt::format("{}", v)));
    }
  }
  SECTION("round trip of random doubles") {
    std::mt19937_64 rng(3);
    std::uniform_real_distribution<double> exponent(-300.0, 300.0);
    std::uniform_real_distribution<double> mantissa(-10.0, 10.0);
    for (int i = 0; i < 20000; ++i) {
      const double v = mantissa(rng) * std::pow(10.0, exponent(rng));
      const std::string text = value(v);
      CAPTURE(v, text);
      REQUIRE(std::strtod(text.c_str(), nullptr) == v);
    }
  }
}

TEST_CASE("the writer lays out families, samples and constant labels", "[prometheus]") {
  std::string out;
  ExpositionWriter w(out, "smartcache", {{"service", "odds"}, {"region", "eu \"west\""}});
  w.family("requests_total", "counter", "Requests seen.");
  w.sample("requests_total", {}, std::uint64_t{42});
  w.family("zone_requests_total", "counter", "Requests per zone.");
  w.sample("zone_requests_total", {{"zone", "golden"}}, std::uint64_t{3});
  w.family("latency_sample_ratio", "gauge", "Sampled fraction.");
  w.sample("latency_sample_ratio", {}, 0.25);
  CHECK(out ==
        "# HELP smartcache_requests_total Requests seen.\n"
        "# TYPE smartcache_requests_total counter\n"
        "smartcache_requests_total{service=\"odds\",region=\"eu \\\"west\\\"\"} 42\n"
        "# HELP smartcache_zone_requests_total Requests per zone.\n"
        "# TYPE smartcache_zone_requests_total counter\n"
        "smartcache_zone_requests_total{service=\"odds\",region=\"eu \\\"west\\\"\",zone=\"golden\"} 3\n"
        "# HELP smartcache_latency_sample_ratio Sampled fraction.\n"
        "# TYPE smartcache_latency_sample_ratio gauge\n"
        "smartcache_latency_sample_ratio{service=\"odds\",region=\"eu \\\"west\\\"\"} 0.25\n");
  CHECK(w.dropped_const_labels().empty());

  SECTION("without constant labels there are no braces") {
    std::string plain;
    ExpositionWriter p(plain, "smartcache", {});
    p.sample("requests_total", {}, std::uint64_t{1});
    p.sample("zone_requests_total", {{"zone", "active"}}, std::uint64_t{2});
    CHECK(plain == "smartcache_requests_total 1\nsmartcache_zone_requests_total{zone=\"active\"} 2\n");
  }
}

TEST_CASE("invalid, reserved and duplicate constant labels are dropped and listed", "[prometheus]") {
  std::string out;
  const Labels labels = {{"service", "odds"}, {"9bad", "x"},    {"__meta", "x"},  {"le", "x"},
                         {"quantile", "x"},   {"service", "dup"}, {"bad-name", "x"}, {"", "x"},
                         {"9bad", "again"},   {"zone", "eu"}};
  ExpositionWriter w(out, "smartcache", labels);
  CHECK(w.dropped_const_labels() == std::vector<std::string>{"9bad", "__meta", "le", "quantile", "service", "bad-name", ""});

  w.family("zone_requests_total", "counter", "Requests per zone.");
  w.sample("zone_requests_total", {{"zone", "golden"}}, std::uint64_t{1});
  w.family("requests_total", "counter", "Requests.");
  w.sample("requests_total", {}, std::uint64_t{1});
  SECTION("a constant label clashing with a sample's label yields to it") {
    CHECK(out.find("smartcache_zone_requests_total{service=\"odds\",zone=\"golden\"} 1\n") != std::string::npos);
    CHECK(out.find("smartcache_requests_total{service=\"odds\",zone=\"eu\"} 1\n") != std::string::npos);
    CHECK(w.dropped_const_labels().back() == "zone");
  }
  CHECK_FALSE(smartcache_test::check_exposition(out).has_value());
}

TEST_CASE("histograms and summaries have every series Prometheus expects", "[prometheus]") {
  smartcache::detail::LatencyHistogram h({0.0001, 0.005, 0.1, 2.5});
  for (double ms : {0.05, 5.0, 5.0, 99.0, 3000.0}) h.observe(ms);
  std::string out;
  ExpositionWriter w(out, "smartcache", {{"service", "odds"}});
  w.histogram("request_duration_seconds", "Latency.", h.bounds_seconds(), h.cumulative_counts(), h.count(),
              h.sum_ms() / 1000.0);
  w.summary("invalidation_cpu_saved_ratio", "CPU saved.", 4, 3.5);
  CHECK(out ==
        "# HELP smartcache_request_duration_seconds Latency.\n"
        "# TYPE smartcache_request_duration_seconds histogram\n"
        "smartcache_request_duration_seconds_bucket{service=\"odds\",le=\"0.0001\"} 1\n"
        "smartcache_request_duration_seconds_bucket{service=\"odds\",le=\"0.005\"} 3\n"
        "smartcache_request_duration_seconds_bucket{service=\"odds\",le=\"0.1\"} 4\n"
        "smartcache_request_duration_seconds_bucket{service=\"odds\",le=\"2.5\"} 4\n"
        "smartcache_request_duration_seconds_bucket{service=\"odds\",le=\"+Inf\"} 5\n"
        "smartcache_request_duration_seconds_sum{service=\"odds\"} 3.1090500000000003\n"
        "smartcache_request_duration_seconds_count{service=\"odds\"} 5\n"
        "# HELP smartcache_invalidation_cpu_saved_ratio CPU saved.\n"
        "# TYPE smartcache_invalidation_cpu_saved_ratio summary\n"
        "smartcache_invalidation_cpu_saved_ratio_sum{service=\"odds\"} 3.5\n"
        "smartcache_invalidation_cpu_saved_ratio_count{service=\"odds\"} 4\n");
}

TEST_CASE("write_prometheus writes a snapshot as to_prometheus does", "[prometheus]") {
  smartcache_test::LogCapture logs;  // the colliding "result" label is warned about once
  smartcache::MetricsOptions o;
  o.prometheus_namespace = "odds";
  o.const_labels = {{"service", "odds"}, {"result", "x"}};
  smartcache::CacheMetrics m(o);
  smartcache::RequestRecord r;
  r.strategy = smartcache::Strategy::serve_fresh;
  r.vix = smartcache::VixStatus::normal;
  r.lookup = smartcache::Lookup::fresh;
  r.latency_ms = 2.0;
  m.record_request(r);
  const smartcache::MetricsSnapshot snap = m.snapshot();
  CHECK(snap.counter(smartcache::Counter::cache_hit_fresh) == 1);
  CHECK(snap.latency_count == 1);
  const std::string text = smartcache::write_prometheus(snap, "odds", o.const_labels);
  CHECK(text == m.to_prometheus());
  CHECK(text.find("odds_lookups_total{service=\"odds\",result=\"fresh\"} 1\n") != std::string::npos);
  CHECK(text.find("odds_requests_total{service=\"odds\",result=\"x\"} 1\n") != std::string::npos);
  CHECK_FALSE(smartcache_test::check_exposition_lint(text).has_value());
  CHECK(logs.count(smartcache::LogLevel::warning) == 1);

  SECTION("another namespace and no labels: the same series, renamed") {
    const std::string plain = smartcache::write_prometheus(snap, "smartcache", {});
    CHECK(plain.find("smartcache_lookups_total{result=\"fresh\"} 1\n") != std::string::npos);
    CHECK(plain.find("smartcache_vix_requests_total{vix=\"normal\"} 1\n") != std::string::npos);
    CHECK(plain.find("odds") == std::string::npos);
  }
}

TEST_CASE("writer output passes the checker and promtool", "[prometheus][promtool]") {
  const Labels hostile = {{"service", "odds \"live\"\n\\"}, {"host", "h\xFF\xC3\xA9"}, {"bad-name", "x"}};
  const std::string ns = GENERATE(as<std::string>{}, "smartcache", "odds:cacheV2", "");
  const std::string text = sample_exposition(ns, hostile);
  CAPTURE(ns, text);
  const auto problem = smartcache_test::check_exposition_lint(text);
  CHECK_FALSE(problem.has_value());
  if (problem) FAIL(*problem);
  require_promtool_silent(text);
}

TEST_CASE("writer output is valid whatever the namespace and constant labels", "[prometheus]") {
  // Names promtool's lint would frown upon (units, types, camelCase labels)
  // are the user's choice; the exposition must still be valid.
  const std::string ns = GENERATE(as<std::string>{}, "odds_ms", "my_gauge_cache", "9 lives!", "__", "\xFF\n\"");
  const Labels labels = {{"appName", "x"}, {"le", "1"}, {"service", std::string("\0\xC0\\\"", 4)}};
  const std::string text = sample_exposition(ns, labels);
  CAPTURE(ns, text);
  const auto problem = smartcache_test::check_exposition(text);
  CHECK_FALSE(problem.has_value());
  if (problem) FAIL(*problem);
  const auto result = smartcache_test::run_promtool_check_metrics(text);
  if (result) CHECK(result->output.find("error while linting") == std::string::npos);
}

TEST_CASE("the promtool harness notices a bad exposition", "[prometheus][promtool]") {
  const auto result = smartcache_test::run_promtool_check_metrics(
      "# HELP smartcache_hits counter without _total\n# TYPE smartcache_hits counter\nsmartcache_hits 1\n");
  if (!result) {
    if (smartcache_test::running_in_ci()) FAIL("promtool not found (SMARTCACHE_PROMTOOL_PATH empty) under CI");
    WARN("promtool not found: `promtool check metrics` not run");
    return;
  }
  CHECK_FALSE(result->output.empty());
  CHECK(result->exit_code != 0);
}

namespace {

const char* const good_histogram =
    "# HELP x_seconds Latency.\n"
    "# TYPE x_seconds histogram\n"
    "x_seconds_bucket{le=\"0.1\"} 1\n"
    "x_seconds_bucket{le=\"1\"} 2\n"
    "x_seconds_bucket{le=\"+Inf\"} 3\n"
    "x_seconds_sum 4.5\n"
    "x_seconds_count 3\n";

}  // namespace

TEST_CASE("the checker accepts valid expositions", "[checker]") {
  const std::string text = GENERATE(as<std::string>{},
      "",
      "# HELP a_total Help.\n# TYPE a_total counter\na_total 1\n",
      "# TYPE a_total counter\n# HELP a_total Help.\na_total{x=\"1\"} 1\na_total{x=\"2\"} 2\n",
      "# just a comment\n# HELP a_total Help.\n# TYPE a_total counter\na_total 1 1700000000000\n",
      "# HELP g Help with \\\\ and \\n and \"quotes\".\n# TYPE g gauge\ng{v=\"q\\\"\\\\\\n\xE2\x82\xAC\"} -Inf\n",
      "# HELP g Help.\n# TYPE g gauge\ng{a=\"1\",b=\"2\",} NaN\n",
      "# HELP g Help.\n# TYPE g gauge\ng 1.5e-07\n\n",
      "# HELP q_ratio Help.\n# TYPE q_ratio summary\nq_ratio{quantile=\"0.5\"} 1\nq_ratio_sum 2\nq_ratio_count 2\n",
      good_histogram,
      std::string(good_histogram) + "# HELP a_total Help.\n# TYPE a_total counter\na_total +Inf\n");
  CAPTURE(text);
  const auto problem = smartcache_test::check_exposition_lint(text);
  CHECK_FALSE(problem.has_value());
  if (problem) FAIL(*problem);
  require_promtool_silent(text);
}

TEST_CASE("the checker rejects each broken rule", "[checker]") {
  // text, a word the complaint must contain, whether promtool rejects it too,
  // and whether only the naming lint (check_exposition_lint) rejects it.
  const auto [text, complaint, promtool_rejects, lint_only] = GENERATE(table<std::string, std::string, bool, bool>({
      {"# HELP a_total Help.\n# TYPE a_total counter\na_total 1", "newline", true, false},
      {"a_total 1\n", "no HELP and TYPE", true, false},
      {"# TYPE a_total counter\na_total 1\n", "no HELP", true, false},
      {"# HELP a_total Help.\na_total 1\n", "no TYPE", false, false},
      {"# HELP a_total\n# TYPE a_total counter\na_total 1\n", "no help text", true, false},
      {"# HELP a_total Help.\n# TYPE a_total counter\n# HELP a_total Again.\na_total 1\n", "second HELP", true, false},
      {"# HELP a_total Help.\n# TYPE a_total counter\n# TYPE a_total counter\na_total 1\n", "second TYPE", true, false},
      {"# HELP a_total Help.\n# TYPE a_total countr\na_total 1\n", "unknown type", true, false},
      {"# HELP 9a Help.\n# TYPE 9a gauge\n9a 1\n", "invalid metric name", true, false},
      {"# HELP g Help.\n# TYPE g gauge\ng{9l=\"x\"} 1\n", "invalid label name", true, false},
      {"# HELP g Help.\n# TYPE g gauge\ng{__l=\"x\"} 1\n", "invalid label name", false, false},
      {"# HELP g Help.\n# TYPE g gauge\ng{l=x} 1\n", "quoted value", true, false},
      {"# HELP g Help.\n# TYPE g gauge\ng{l=\"a\"b\"} 1\n", "expected ','", true, false},
      {"# HELP g Help.\n# TYPE g gauge\ng{l=\"a\\tb\"} 1\n", "invalid escape", true, false},
      {"# HELP g Help.\n# TYPE g gauge\ng{l=\"a\\\"} 1\n", "unterminated", true, false},
      {"# HELP g Help.\n# TYPE g gauge\ng{l=\"\xFF\"} 1\n", "UTF-8", true, false},
      {"# HELP g Help \\t.\n# TYPE g gauge\ng 1\n", "invalid escape", true, false},
      {"# HELP g Help.\n# TYPE g gauge\ng{l=\"1\",l=\"2\"} 1\n", "duplicate label", true, false},
      {"# HELP g Help.\n# TYPE g gauge\ng{a=\"1\",b=\"2\"} 1\ng{b=\"2\",a=\"1\"} 2\n", "duplicate series", false, false},
      {"# HELP g Help.\n# TYPE g gauge\ng 1\ng 2\n", "duplicate series", false, false},
      {"# HELP g Help.\n# TYPE g gauge\ng 1,5\n", "does not parse", true, false},
      {"# HELP g Help.\n# TYPE g gauge\ng\n", "no value", true, false},
      {"# HELP g Help.\n# TYPE g gauge\ng 1 12.5\n", "timestamp", true, false},
      {"# HELP g Help.\n# TYPE g gauge\ng 1 2 3\n", "expected a value", true, false},
      {"# HELP hits Help.\n# TYPE hits counter\nhits 1\n", "_total", true, false},
      {"# HELP g_total Help.\n# TYPE g_total gauge\ng_total 1\n", "_total", true, false},
      {"# HELP a_total Help.\n# TYPE a_total counter\na_total -1\n", "negative", false, false},
      {"# HELP a Help.\n# TYPE a gauge\n# HELP b Help.\n# TYPE b gauge\na 1\n", "outside its family", false, false},
      {"# HELP a Help.\n# TYPE a gauge\na 1\n# HELP b Help.\n# TYPE b gauge\nb 1\n# HELP a Help.\n", "not contiguous", true, false},
      {"# HELP a Help.\n# TYPE a gauge\na 1\n# HELP a Late.\n", "HELP after samples", true, false},
      {"# HELP g Help.\n# TYPE g gauge\ng{le=\"1\"} 1\n", "'le'", true, false},
      {"# HELP g Help.\n# TYPE g gauge\ng{quantile=\"1\"} 1\n", "'quantile'", false, false},
      {"# HELP myValue Help.\n# TYPE myValue gauge\nmyValue 1\n", "camelCase", true, true},
      {"# HELP g Help.\n# TYPE g gauge\ng{myLabel=\"1\"} 1\n", "camelCase", true, true},
      {"# HELP a:b Help.\n# TYPE a:b gauge\na:b 1\n", "':'", true, true},
      {"# HELP latency_ms Help.\n# TYPE latency_ms gauge\nlatency_ms 1\n", "abbreviated unit", true, true},
      {"# HELP latency_milliseconds Help.\n# TYPE latency_milliseconds gauge\nlatency_milliseconds 1\n", "base unit", true, true},
      {"# HELP x_gauge Help.\n# TYPE x_gauge gauge\nx_gauge 1\n", "type 'gauge'", true, true},
      {"# HELP x_count Help.\n# TYPE x_count gauge\nx_count 1\n", "_count", true, false},
      {"# HELP x_seconds Help.\n# TYPE x_seconds histogram\nx_seconds 1\n", "not _bucket", false, false},
      {"# HELP x_seconds Help.\n# TYPE x_seconds histogram\nx_seconds_bucket 1\n", "no 'le'", false, false},
      {"# HELP x_seconds Help.\n# TYPE x_seconds histogram\nx_seconds_bucket{le=\"a\"} 1\n", "not a number", true, false},
      {"# HELP x_seconds Help.\n# TYPE x_seconds histogram\nx_seconds_bucket{le=\"1\"} 2\n"
       "x_seconds_bucket{le=\"2\"} 1\nx_seconds_bucket{le=\"+Inf\"} 2\nx_seconds_sum 1\nx_seconds_count 2\n",
       "cumulative", false, false},
      {"# HELP x_seconds Help.\n# TYPE x_seconds histogram\nx_seconds_bucket{le=\"1\"} 1\n"
       "x_seconds_sum 1\nx_seconds_count 1\n",
       "+Inf", false, false},
      {"# HELP x_seconds Help.\n# TYPE x_seconds histogram\nx_seconds_bucket{le=\"+Inf\"} 2\n"
       "x_seconds_sum 1\nx_seconds_count 3\n",
       "differs from _count", false, false},
      {"# HELP x_seconds Help.\n# TYPE x_seconds histogram\nx_seconds_bucket{le=\"+Inf\"} 2\nx_seconds_count 2\n",
       "no _sum", false, false},
      {"# HELP x_seconds Help.\n# TYPE x_seconds histogram\nx_seconds_bucket{le=\"+Inf\"} 2\nx_seconds_sum 2\n",
       "no _count", false, false},
      {"# HELP x_seconds Help.\n# TYPE x_seconds histogram\nx_seconds_bucket{le=\"+Inf\"} 1\n"
       "x_seconds_sum{le=\"+Inf\"} 1\nx_seconds_count 1\n",
       "'le'", false, false},
      {"# HELP q_ratio Help.\n# TYPE q_ratio summary\nq_ratio 1\nq_ratio_sum 1\nq_ratio_count 1\n", "quantile", false, false},
      {"# HELP q_ratio Help.\n# TYPE q_ratio summary\nq_ratio{quantile=\"2\"} 1\nq_ratio_sum 1\nq_ratio_count 1\n",
       "[0, 1]", false, false},
  }));
  CAPTURE(text);
  if (lint_only) CHECK_FALSE(smartcache_test::check_exposition(text).has_value());
  const auto problem =
      lint_only ? smartcache_test::check_exposition_lint(text) : smartcache_test::check_exposition(text);
  REQUIRE(problem.has_value());
  CAPTURE(*problem);
  CHECK(problem->find(complaint) != std::string::npos);

  if (promtool_rejects) {
    const auto result = smartcache_test::run_promtool_check_metrics(text);
    if (result) CHECK((result->exit_code != 0 || !result->output.empty()));
  }
}
