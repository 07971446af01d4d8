// smartcache - which exposition format a scraper asked for (HTTP Accept).
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <string_view>

namespace smartcache {

/// The two text formats a CacheMetrics can be exposed in.
enum class ExpositionFormat { prometheus_text, openmetrics };

namespace detail {

[[nodiscard]] constexpr std::string_view trim(std::string_view s) noexcept {
  while (!s.empty() && (s.front() == ' ' || s.front() == '\t')) s.remove_prefix(1);
  while (!s.empty() && (s.back() == ' ' || s.back() == '\t')) s.remove_suffix(1);
  return s;
}

[[nodiscard]] constexpr bool iequals(std::string_view a, std::string_view b) noexcept {
  if (a.size() != b.size()) return false;
  for (std::size_t i = 0; i < a.size(); ++i) {
    char x = a[i], y = b[i];
    if (x >= 'A' && x <= 'Z') x = static_cast<char>(x - 'A' + 'a');
    if (y >= 'A' && y <= 'Z') y = static_cast<char>(y - 'A' + 'a');
    if (x != y) return false;
  }
  return true;
}

// q of one media range's parameters ("q=0.5"), 1 when absent, 0 when malformed;
// `version` is set to the version parameter's value when present.
[[nodiscard]] constexpr double media_quality(std::string_view params, std::string_view& version) noexcept {
  double q = 1.0;
  while (!params.empty()) {
    const std::size_t semi = params.find(';');
    const std::string_view p = trim(params.substr(0, semi));
    params = semi == std::string_view::npos ? std::string_view{} : params.substr(semi + 1);
    const std::size_t eq = p.find('=');
    if (eq == std::string_view::npos) continue;
    const std::string_view key = trim(p.substr(0, eq));
    const std::string_view value = trim(p.substr(eq + 1));
    if (iequals(key, "version")) version = value;
    if (!iequals(key, "q")) continue;
    // q = 0 / 1 with up to three decimals (RFC 9110).
    double parsed = 0;
    double scale = 1;
    bool point = false, digit = false;
    for (char c : value) {
      if (c == '.' && !point) {
        point = true;
      } else if (c >= '0' && c <= '9') {
        digit = true;
        if (point) {
          scale /= 10;
          parsed += (c - '0') * scale;
        } else {
          parsed = parsed * 10 + (c - '0');
        }
      } else {
        return 0.0;
      }
    }
    q = digit && parsed <= 1.0 ? parsed : 0.0;
  }
  return q;
}

}  // namespace detail

/// The format to answer a scrape with, from its `Accept` header: OpenMetrics
/// when `application/openmetrics-text` (version 1.0.0, or none given) is
/// accepted at least as much as `text/plain`; the 0.0.4 text otherwise
/// (also for an empty or unreadable header). Prometheus 2.x asks for
/// OpenMetrics first.
///
/// Example:
///   auto f = smartcache::negotiate_exposition(req.get_header_value("Accept"));
///   res.set_content(f == smartcache::ExpositionFormat::openmetrics ? m.to_openmetrics() : m.to_prometheus(),
///                   std::string(smartcache::content_type(f)));
[[nodiscard]] constexpr ExpositionFormat negotiate_exposition(std::string_view accept) noexcept {
  double openmetrics = 0, text = 0;
  while (!accept.empty()) {
    const std::size_t comma = accept.find(',');
    const std::string_view range = accept.substr(0, comma);
    accept = comma == std::string_view::npos ? std::string_view{} : accept.substr(comma + 1);
    const std::size_t semi = range.find(';');
    const std::string_view type = detail::trim(range.substr(0, semi));
    std::string_view version;
    const double q = detail::media_quality(
        semi == std::string_view::npos ? std::string_view{} : range.substr(semi + 1), version);
    if (detail::iequals(type, "application/openmetrics-text")) {
      if ((version.empty() || version == "1.0.0") && q > openmetrics) openmetrics = q;
    } else if (detail::iequals(type, "text/plain") || detail::iequals(type, "text/*") ||
               detail::iequals(type, "*/*")) {
      if (q > text) text = q;
    }
  }
  return openmetrics > 0 && openmetrics >= text ? ExpositionFormat::openmetrics
                                                : ExpositionFormat::prometheus_text;
}

/// The Content-Type of a format's text.
///
/// Example: `content_type(ExpositionFormat::openmetrics)`
[[nodiscard]] constexpr std::string_view content_type(ExpositionFormat f) noexcept {
  return f == ExpositionFormat::openmetrics
             ? std::string_view("application/openmetrics-text; version=1.0.0; charset=utf-8")
             : std::string_view("text/plain; version=0.0.4; charset=utf-8");
}

}  // namespace smartcache
