// The log handler: replaceable, fail-safe, default to stderr.
#include <smartcache/log.hpp>

#include <stdexcept>

#include "support/catch.hpp"
#include "support/log_capture.hpp"

TEST_CASE("set_log_handler returns the previous handler", "[log]") {
  int first = 0, second = 0;
  auto original = smartcache::set_log_handler([&](const smartcache::LogRecord&) { ++first; });
  CHECK(static_cast<bool>(original));
  auto previous = smartcache::set_log_handler([&](const smartcache::LogRecord&) { ++second; });
  smartcache::detail::log(smartcache::LogLevel::warning, "x");
  CHECK(first == 0);
  CHECK(second == 1);
  previous(smartcache::LogRecord{});
  CHECK(first == 1);
  smartcache::set_log_handler(original);
}

TEST_CASE("records carry level, message and fields", "[log]") {
  smartcache_test::LogCapture logs;
  smartcache::detail::log(smartcache::LogLevel::error, "store down", {{"host", "127.0.0.1"}});
  const auto records = logs.records();
  REQUIRE(records.size() == 1);
  CHECK(records[0].level == smartcache::LogLevel::error);
  CHECK(records[0].message == "store down");
  REQUIRE(records[0].fields.size() == 1);
  CHECK(records[0].fields[0].first == "host");
}

TEST_CASE("a throwing handler never reaches the caller", "[log]") {
  auto original =
      smartcache::set_log_handler([](const smartcache::LogRecord&) { throw std::runtime_error("x"); });
  CHECK_NOTHROW(smartcache::detail::log(smartcache::LogLevel::warning, "boom"));
  smartcache::set_log_handler(nullptr);  // empty handler silences
  CHECK_NOTHROW(smartcache::detail::log(smartcache::LogLevel::warning, "quiet"));
  smartcache::set_log_handler(original);
}

TEST_CASE("LogThrottle lets one call through per interval", "[log]") {
  smartcache::detail::LogThrottle throttle(std::chrono::hours(1));
  CHECK(throttle.permit() == 0);
  for (int i = 0; i < 5; ++i) CHECK(throttle.permit() == -1);
  smartcache::detail::LogThrottle open(std::chrono::nanoseconds(0));
  CHECK(open.permit() == 0);
  CHECK(open.permit() == 0);
}
