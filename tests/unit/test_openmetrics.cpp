// OpenMetrics 1.0: the exposition's shape, and the format a scraper asks for.
#include <smartcache/smartcache.hpp>

#include <string>
#include <string_view>

#include "support/catch.hpp"
#include "support/request_records.hpp"

using smartcache::ExpositionFormat;
using smartcache::negotiate_exposition;

namespace {
bool has_line(const std::string& text, const std::string& line) {
  return text.find(line + "\n") == 0 || text.find("\n" + line + "\n") != std::string::npos;
}
}  // namespace

TEST_CASE("the Accept header picks the exposition format", "[openmetrics]") {
  // What Prometheus 2.x sends: OpenMetrics first.
  CHECK(negotiate_exposition("application/openmetrics-text;version=1.0.0,application/openmetrics-text;"
                             "version=0.0.1;q=0.75,text/plain;version=0.0.4;q=0.5,*/*;q=0.1") ==
        ExpositionFormat::openmetrics);
  CHECK(negotiate_exposition("application/openmetrics-text") == ExpositionFormat::openmetrics);
  CHECK(negotiate_exposition("Application/OpenMetrics-Text; q=0.9, text/plain; q=0.8") ==
        ExpositionFormat::openmetrics);
  // Text when asked for it, preferred, or nothing readable was asked.
  CHECK(negotiate_exposition("") == ExpositionFormat::prometheus_text);
  CHECK(negotiate_exposition("text/plain;version=0.0.4") == ExpositionFormat::prometheus_text);
  CHECK(negotiate_exposition("*/*") == ExpositionFormat::prometheus_text);
  CHECK(negotiate_exposition("application/openmetrics-text;q=0.4, text/plain") ==
        ExpositionFormat::prometheus_text);
  CHECK(negotiate_exposition("application/openmetrics-text;version=0.0.1") ==
        ExpositionFormat::prometheus_text);  // only 1.0.0 is written
  CHECK(negotiate_exposition("application/openmetrics-text;q=0") == ExpositionFormat::prometheus_text);
  CHECK(negotiate_exposition("application/openmetrics-text;q=abc") == ExpositionFormat::prometheus_text);
  CHECK(negotiate_exposition(",,;;=,") == ExpositionFormat::prometheus_text);
  static_assert(negotiate_exposition("application/openmetrics-text") == ExpositionFormat::openmetrics);
  CHECK(smartcache::content_type(ExpositionFormat::openmetrics) == smartcache::openmetrics_content_type);
  CHECK(smartcache::content_type(ExpositionFormat::prometheus_text) == smartcache::prometheus_content_type);
}

TEST_CASE("to_openmetrics: counters without _total, _created per series, a unit, # EOF", "[openmetrics]") {
  smartcache::MetricsOptions o;
  o.const_labels = {{"service", "odds"}};
  smartcache::CacheMetrics m(o);
  m.record_request(smartcache_test::request_record(smartcache::Strategy::serve_fresh, smartcache::VixStatus::normal,
                                                   smartcache::Zone::golden, smartcache::Lookup::fresh, 0.25));
  m.reset();  // a window reset: the lifetime series and their _created stay
  const std::string t = m.to_openmetrics();
  const std::string created = fmt::format("{}", m.created_unix_seconds());
  CHECK(m.created_unix_seconds() > 1.7e9);
  CHECK(t.size() > 6);
  CHECK(t.substr(t.size() - 6) == "# EOF\n");
  CHECK(t.find("# EOF") == t.size() - 6);  // once, at the end
  CHECK(has_line(t, "# TYPE smartcache_requests counter"));
  CHECK(has_line(t, "smartcache_requests_total{service=\"odds\"} 1"));
  CHECK(has_line(t, "smartcache_requests_created{service=\"odds\"} " + created));
  CHECK(has_line(t, "smartcache_lookups_total{service=\"odds\",result=\"fresh\"} 1"));
  CHECK(has_line(t, "smartcache_lookups_created{service=\"odds\",result=\"fresh\"} " + created));
  CHECK(has_line(t, "# UNIT smartcache_request_duration_seconds seconds"));
  CHECK(has_line(t, "# TYPE smartcache_request_duration_seconds histogram"));
  CHECK(has_line(t, "smartcache_request_duration_seconds_created{service=\"odds\",strategy=\"serve_fresh\"} " +
                        created));
  CHECK(has_line(t, "smartcache_request_duration_seconds_count{service=\"odds\",strategy=\"serve_fresh\"} 1"));
  CHECK(has_line(t, "# TYPE smartcache_latency_sample_ratio gauge"));
  CHECK(t.find("_total_total") == std::string::npos);
  CHECK(t.find("# TYPE smartcache_requests_total") == std::string::npos);
  // The same series as the 0.0.4 text, and nothing of the window reset.
  const std::string text = m.to_prometheus();
  CHECK(has_line(text, "smartcache_requests_total{service=\"odds\"} 1"));
  CHECK(m.get_stats().total_requests == 0);
}
