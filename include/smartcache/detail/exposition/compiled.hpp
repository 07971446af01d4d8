// smartcache - CompiledExposition: an exposition's fixed text with holes for its
// values, made once per CacheMetrics and filled on every scrape.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <smartcache/detail/exposition/families.hpp>
#include <smartcache/detail/exposition/text.hpp>
#include <smartcache/detail/exposition/writer.hpp>
#include <smartcache/detail/metrics/format_cache.hpp>
#include <smartcache/detail/metrics/names.hpp>
#include <smartcache/metrics/snapshot.hpp>

namespace smartcache::detail {

/// One value of an exposition: an integer (written exactly) or a double.
struct ExposedValue {
  double real = 0;
  std::uint64_t integer = 0;
  bool is_integer = false;
};

/// Takes the place of an ExpositionWriter in a render pass and keeps only the
/// values, in the order the writer writes them (HELP, names and labels are
/// the same on every scrape of one CacheMetrics, so they are not made again).
///
/// Example:
///   std::vector<ExposedValue> values;
///   ValueCollector c(values);
///   render_prometheus(c, snapshot);  // the same pass that writes the text
class ValueCollector {
 public:
  using LabelList = std::initializer_list<std::pair<std::string_view, std::string_view>>;

  explicit ValueCollector(std::vector<ExposedValue>& values) noexcept : values_(values) {}

  void reserve_lines(std::size_t lines) { values_.reserve(values_.size() + lines); }
  void family(std::string_view, std::string_view, std::string_view) noexcept {}
  void raw(std::string_view) noexcept {}
  void sample(std::string_view, LabelList, double v) { put(v); }
  void sample(std::string_view, LabelList, std::uint64_t v) { put(v); }

  // In ExpositionWriter's order: each bucket, +Inf (= count), _sum, _count.
  void histogram_series(std::string_view, std::pair<std::string_view, std::string_view>,
                        const std::vector<double>& bounds, const std::vector<std::uint64_t>& cumulative,
                        std::uint64_t count, double sum) {
    const std::size_t n = bounds.size() < cumulative.size() ? bounds.size() : cumulative.size();
    for (std::size_t i = 0; i < n; ++i) put(cumulative[i]);
    put(count);
    put(sum);
    put(count);
  }

  // In ExpositionWriter's order: _sum, _count.
  void summary(std::string_view, std::string_view, std::uint64_t count, double sum) {
    put(sum);
    put(count);
  }

 private:
  void put(double v) { values_.push_back({v, 0, false}); }
  void put(std::uint64_t v) { values_.push_back({0, v, true}); }

  std::vector<ExposedValue>& values_;
};

/// The text of an exposition with a hole where each value goes, recorded by
/// an ExpositionWriter: names, HELP, labels (escaped) and bucket bounds are
/// formatted once; a scrape copies the text between holes and formats only
/// the values. Valid for every snapshot of the same shape (namespace,
/// constant labels, bucket bounds), which a CacheMetrics never changes.
///
/// Example:
///   auto compiled = CompiledExposition::record("smartcache", {}, lines,
///                                              [&](auto& w) { render_prometheus(w, snapshot); });
///   std::string text = compiled.fill(values);
struct CompiledExposition {
  std::string text;
  std::vector<std::size_t> holes;  // offsets into text, in writing order

  template <class Render>
  [[nodiscard]] static CompiledExposition record(std::string_view ns, const Labels& const_labels,
                                                 std::size_t lines, Render&& render) {
    CompiledExposition c;
    ExpositionWriter w(c.text, ns, const_labels, &c.holes);
    w.reserve_lines(lines);
    render(w);
    return c;
  }

  /// The exposition with `values` in the holes. Precondition: `values` come
  /// from the same render pass over a snapshot of the same shape (one per hole).
  [[nodiscard]] std::string fill(const std::vector<ExposedValue>& values) const {
    std::string out;
    out.reserve(text.size() + 24 * holes.size());
    {
      LineSink sink(out);
      std::size_t from = 0;
      const std::size_t n = holes.size() < values.size() ? holes.size() : values.size();
      for (std::size_t i = 0; i < n; ++i) {
        sink.append(text.data() + from, holes[i] - from);
        from = holes[i];
        const ExposedValue& v = values[i];
        if (v.is_integer)
          write_integer(sink, v.integer);
        else
          write_value(sink, v.real);
      }
      sink.append(text.data() + from, text.size() - from);
      sink.flush();
    }
    return out;
  }
};

[[nodiscard]] inline std::size_t exposition_line_count(const MetricsSnapshot& snapshot) noexcept {
  return exposition_line_count(snapshot.latency_series.size(), snapshot.latency_bounds_seconds.size());
}

// `render(w, snapshot)` for one CacheMetrics: its text is compiled on the
// first call (kept in the instance's FormatCache slot `slot`) and later calls
// only collect and format the values.
template <class Render>
[[nodiscard]] std::string render_compiled(const FormatCache& cache, std::size_t slot, const MetricsSnapshot& snapshot,
                                          std::string_view ns, const Labels& const_labels, Render render) {
  const auto& compiled = cache.get<CompiledExposition>(slot, [&] {
    return CompiledExposition::record(ns, const_labels, exposition_line_count(snapshot),
                                      [&](ExpositionWriter& w) { render(w, snapshot); });
  });
  std::vector<ExposedValue> values;
  ValueCollector collector(values);
  collector.reserve_lines(compiled.holes.size());
  render(collector, snapshot);
  return compiled.fill(values);
}

}  // namespace smartcache::detail
