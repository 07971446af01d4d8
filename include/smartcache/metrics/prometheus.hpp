// smartcache - the Prometheus text exposition (format 0.0.4) of a metrics snapshot.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include <smartcache/detail/exposition/compiled.hpp>
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

namespace detail {

// The Prometheus text of `snapshot`, family by family, through `w`: an
// ExpositionWriter (text), a recording one (CompiledExposition) or a
// ValueCollector (the values only). One pass for all three, so their orders agree.
template <class Out>
void render_prometheus(Out& w, const MetricsSnapshot& snapshot) {
  for (const auto& f : counter_families) {
    w.family(f.name, "counter", f.help);
    for (std::size_t i = 0; i < f.series_count; ++i) {
      const auto& s = f.series[i];
      if (f.label.empty())
        w.sample(f.name, {}, snapshot.counter(s.counter));
      else
        w.sample(f.name, {{f.label, s.label_value}}, snapshot.counter(s.counter));
    }
  }
  w.summary(cpu_saved_family, cpu_saved_help, snapshot.cpu_saved_count, snapshot.cpu_saved_sum_pct / 100.0);
  w.family(duration_family, "histogram", duration_help);
  for (const auto& series : snapshot.latency_series)
    w.histogram_series(duration_family, {label_strategy, series.strategy}, snapshot.latency_bounds_seconds,
                       series.cumulative, series.count, series.sum_ms / 1000.0);
  w.family(sample_ratio_family, "gauge", sample_ratio_help);
  w.sample(sample_ratio_family, {}, snapshot.latency_sample_rate);
}

}  // namespace detail

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
  detail::ExpositionWriter w(out, ns, const_labels);
  w.reserve_lines(detail::exposition_line_count(snapshot));
  detail::render_prometheus(w, snapshot);
  return out;
}

/// The same text as `write_prometheus(snapshot(), namespace, const labels)`;
/// the names, HELP and labels are formatted once per instance (see
/// detail/exposition/compiled.hpp), each call formats only the values.
inline std::string CacheMetrics::to_prometheus() const {
  return detail::render_compiled(format_cache_, detail::prometheus_format_slot, snapshot(),
                                 options_.prometheus_namespace, options_.const_labels,
                                 [](auto& w, const MetricsSnapshot& s) { detail::render_prometheus(w, s); });
}

}  // namespace smartcache
