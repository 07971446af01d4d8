// smartcache - the Prometheus text exposition (format 0.0.4) of a metrics snapshot.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <smartcache/detail/exposition/families.hpp>
#include <smartcache/detail/exposition/writer.hpp>
#include <smartcache/metrics/metrics.hpp>
#include <smartcache/metrics/snapshot.hpp>

namespace smartcache {

/// The Content-Type of `CacheMetrics::to_prometheus()` output, for an HTTP
/// `/metrics` handler.
///
/// Example:
///   res.set_content(metrics.to_prometheus(), std::string(smartcache::prometheus_content_type));
inline constexpr std::string_view prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// The Prometheus text format 0.0.4 of `snapshot`: every family of
/// detail/exposition/families.hpp, prefixed by `<ns>_`, each series carrying
/// `const_labels` first (but for one whose name the family's own label uses);
/// the latency histogram has one series per `strategy` (and "unspecified").
/// `promtool check metrics` accepts it as is.
///
/// Example:
///   std::string text = smartcache::write_prometheus(metrics.snapshot(), "smartcache", {});
[[nodiscard]] inline std::string write_prometheus(const MetricsSnapshot& snapshot, std::string_view ns,
                                                  const Labels& const_labels) {
  std::string out;
  out.reserve(6144);
  detail::ExpositionWriter w(out, ns, const_labels);
  for (const auto& f : detail::counter_families) {
    w.family(f.name, "counter", f.help);
    for (std::size_t i = 0; i < f.series_count; ++i) {
      const auto& s = f.series[i];
      if (f.label.empty())
        w.sample(f.name, {}, snapshot.counter(s.counter));
      else
        w.sample(f.name, {{f.label, s.label_value}}, snapshot.counter(s.counter));
    }
  }
  w.summary(detail::cpu_saved_family, detail::cpu_saved_help, snapshot.cpu_saved_count,
            snapshot.cpu_saved_sum_pct / 100.0);
  w.family(detail::duration_family, "histogram", detail::duration_help);
  for (const auto& series : snapshot.latency_series)
    w.histogram_series(detail::duration_family, {detail::label_strategy, series.strategy},
                       snapshot.latency_bounds_seconds, series.cumulative, series.count, series.sum_ms / 1000.0);
  w.family(detail::sample_ratio_family, "gauge", detail::sample_ratio_help);
  w.sample(detail::sample_ratio_family, {}, snapshot.latency_sample_rate);
  return out;
}

inline std::string CacheMetrics::to_prometheus() const {
  return write_prometheus(snapshot(), options_.prometheus_namespace, options_.const_labels);
}

}  // namespace smartcache
