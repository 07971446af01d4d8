// smartcache - the OpenMetrics 1.0 text exposition of a metrics snapshot.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <smartcache/detail/exposition/compiled.hpp>
#include <smartcache/detail/exposition/families.hpp>
#include <smartcache/detail/exposition/text.hpp>
#include <smartcache/detail/exposition/writer.hpp>
#include <smartcache/metrics/metrics.hpp>
#include <smartcache/metrics/snapshot.hpp>

namespace smartcache {

/// The Content-Type of `CacheMetrics::to_openmetrics()` output.
///
/// Example:
///   res.set_content(metrics.to_openmetrics(), std::string(smartcache::openmetrics_content_type));
inline constexpr std::string_view openmetrics_content_type =
    "application/openmetrics-text; version=1.0.0; charset=utf-8";

namespace detail {
constexpr bool every_counter_family_ends_in_total() noexcept {
  for (const auto& f : counter_families)
    if (f.name.size() <= 6 || f.name.substr(f.name.size() - 6) != "_total") return false;
  return true;
}
static_assert(every_counter_family_ends_in_total(), "OpenMetrics names a counter family without _total");

// The OpenMetrics text of `snapshot` through `w` (see render_prometheus);
// `ns` is the exposition namespace (sanitized).
template <class Out>
void render_openmetrics(Out& w, const MetricsSnapshot& snapshot, const std::string& ns, double created) {
  std::string name;
  const auto suffixed = [&name](std::string_view base, std::string_view suffix) -> std::string_view {
    name.assign(base.data(), base.size());
    name.append(suffix.data(), suffix.size());
    return name;
  };
  for (const auto& f : counter_families) {
    const std::string_view base = f.name.substr(0, f.name.size() - 6);  // without "_total"
    w.family(base, "counter", f.help);
    for (std::size_t i = 0; i < f.series_count; ++i) {
      const auto& s = f.series[i];
      if (f.label.empty()) {
        w.sample(f.name, {}, snapshot.counter(s.counter));
        w.sample(suffixed(base, "_created"), {}, created);
      } else {
        w.sample(f.name, {{f.label, s.label_value}}, snapshot.counter(s.counter));
        w.sample(suffixed(base, "_created"), {{f.label, s.label_value}}, created);
      }
    }
  }
  w.summary(cpu_saved_family, cpu_saved_help, snapshot.cpu_saved_count, snapshot.cpu_saved_sum_pct / 100.0);
  w.sample(suffixed(cpu_saved_family, "_created"), {}, created);
  // OpenMetrics allows the descriptors in any order before the samples.
  name = "# UNIT ";
  name += ns;
  name += '_';
  name += duration_family;
  name += " seconds\n";
  w.raw(name);
  w.family(duration_family, "histogram", duration_help);
  for (const auto& series : snapshot.latency_series) {
    w.histogram_series(duration_family, {label_strategy, series.strategy}, snapshot.latency_bounds_seconds,
                       series.cumulative, series.count, series.sum_ms / 1000.0);
    w.sample(suffixed(duration_family, "_created"), {{label_strategy, series.strategy}}, created);
  }
  w.family(sample_ratio_family, "gauge", sample_ratio_help);
  w.sample(sample_ratio_family, {}, snapshot.latency_sample_rate);
  w.raw("# EOF\n");
}

}  // namespace detail

/// The OpenMetrics 1.0 text of `snapshot`: the same families, series and
/// labels as `write_prometheus`, in OpenMetrics' shape: a counter family is
/// named without `_total` and has a `_total` and a `_created` sample per
/// series (`_created` = `created_unix_seconds`: when the lifetime series
/// began; resets never restart it, the series stay monotonic), the latency
/// histogram (one series per `strategy`, as in the 0.0.4 text) declares
/// `# UNIT ... seconds` and has `_created` per series too, and the
/// text ends in `# EOF`.
///
/// Example:
///   std::string text = smartcache::write_openmetrics(metrics.snapshot(), "smartcache", {}, created);
[[nodiscard]] inline std::string write_openmetrics(const MetricsSnapshot& snapshot, std::string_view ns,
                                                   const Labels& const_labels, double created_unix_seconds) {
  std::string out;
  detail::ExpositionWriter w(out, ns, const_labels);
  w.reserve_lines(2 * detail::exposition_line_count(snapshot));
  detail::render_openmetrics(w, snapshot, detail::exposition_namespace(ns), created_unix_seconds);
  return out;
}

/// The same text as `write_openmetrics(snapshot(), namespace, const labels,
/// created_unix_seconds())`, compiled once per instance like `to_prometheus`.
inline std::string CacheMetrics::to_openmetrics() const {
  const std::string ns = detail::exposition_namespace(options_.prometheus_namespace);
  const double created = created_unix_seconds();
  return detail::render_compiled(format_cache_, detail::openmetrics_format_slot, snapshot(),
                                 options_.prometheus_namespace, options_.const_labels,
                                 [&ns, created](auto& w, const MetricsSnapshot& s) {
                                   detail::render_openmetrics(w, s, ns, created);
                                 });
}

}  // namespace smartcache
