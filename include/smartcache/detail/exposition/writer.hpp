// smartcache - ExpositionWriter: metric families as Prometheus text lines.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <smartcache/detail/exposition/text.hpp>
#include <smartcache/detail/metrics/names.hpp>

namespace smartcache::detail {


// The namespace as a metric-name prefix that `promtool check metrics` does not
// lint: sanitized, ':' (reserved for recording rules) replaced by '_', and
// camelCase turned into snake_case.
[[nodiscard]] inline std::string exposition_namespace(std::string_view ns) {
  const std::string valid = sanitize_metric_name(ns);
  std::string out;
  out.reserve(valid.size() + 4);
  char previous = '\0';
  for (char c : valid) {
    if (c >= 'A' && c <= 'Z') {
      if ((previous >= 'a' && previous <= 'z') || is_ascii_digit(previous)) out += '_';
      out += static_cast<char>(c - 'A' + 'a');
    } else {
      out += c == ':' ? '_' : c;
    }
    previous = c;
  }
  return out;
}

/// Writes metric families in the Prometheus text format 0.0.4 to a string:
/// every series is prefixed by `<ns>_` and carries the constant labels first.
/// Each call appends whole lines to `out`.
///
/// Not thread-safe: one writer writes one exposition, on one thread.
///
/// Example:
///   std::string text;
///   ExpositionWriter w(text, "smartcache", {{"service", "odds"}});
///   w.family("requests_total", "counter", "Requests seen by the cache.");
///   w.sample("requests_total", {}, std::uint64_t{42});
///   // # HELP smartcache_requests_total Requests seen by the cache.
///   // # TYPE smartcache_requests_total counter
///   // smartcache_requests_total{service="odds"} 42
class ExpositionWriter {
 public:
  /// `ns` is sanitized (see exposition_namespace). Constant labels that
  /// `const_label_problem` rejects are dropped and listed by
  /// dropped_const_labels(); values are escaped.
  ///
  /// With `holes`, the writer records instead of writing values: each value's
  /// place in `out` is appended to `holes` (in writing order) and `out` gets
  /// only the text around them (see CompiledExposition).
  ExpositionWriter(std::string& out, std::string_view ns, const Labels& const_labels,
                   std::vector<std::size_t>* holes = nullptr)
      : line_(out), prefix_(exposition_namespace(ns) + '_'), holes_(holes) {
    for (std::size_t i = 0; i < const_labels.size(); ++i) {
      const auto& [name, value] = const_labels[i];
      if (!const_label_problem(const_labels, i).empty()) {
        note_dropped(name);
        continue;
      }
      ConstLabel label{name, {}};
      label.text = name;
      label.text += "=\"";
      append_escaped_label_value(label.text, value);
      label.text += '"';
      labels_head_ += label.text;
      labels_head_ += ',';
      const_labels_.push_back(std::move(label));
    }
    if (const_labels_.empty()) {
      no_labels_tail_ = " ";
    } else {
      no_labels_tail_ = labels_head_;
      no_labels_tail_.back() = '}';
      no_labels_tail_ += ' ';
    }
  }

  ExpositionWriter(const ExpositionWriter&) = delete;
  ExpositionWriter& operator=(const ExpositionWriter&) = delete;

  /// Announces a family: `# HELP <ns>_<name> <help>` and `# TYPE <ns>_<name> <type>`.
  /// `type` is one of counter, gauge, histogram, summary, untyped.
  void family(std::string_view name, std::string_view type, std::string_view help) {
    write_family(name, type, help);
    line_.flush();
  }

  /// One sample line of the last announced family. `name` is the full suffix
  /// after `<ns>_` (e.g. "requests_total"); label names must be valid label
  /// names (they are the caller's literals), values are escaped. A constant
  /// label whose name the sample also uses is left out of that line (and
  /// listed by dropped_const_labels()), so no series has a duplicate label.
  void sample(std::string_view name, std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
              double value) {
    begin_sample(name, labels.begin(), labels.end());
    put(value);
    line_.push_back('\n');
    line_.flush();
  }

  /// See the double overload; writes the integer exactly.
  void sample(std::string_view name, std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
              std::uint64_t value) {
    begin_sample(name, labels.begin(), labels.end());
    put(value);
    line_.push_back('\n');
    line_.flush();
  }

  /// A whole histogram family: `_bucket{le=...}` for each bound (seconds, or
  /// whatever the family's unit is) with its cumulative count, `le="+Inf"`
  /// equal to `count`, then `_sum` and `_count`.
  /// Precondition: cumulative.size() == bounds.size(), non-decreasing, <= count.
  void histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                 const std::vector<std::uint64_t>& cumulative, std::uint64_t count, double sum) {
    write_family(name, "histogram", help);
    histogram_series(name, {}, bounds, cumulative, count, sum);
  }

  /// One series of a histogram family announced with family(name,
  /// "histogram", help): `_bucket{<label>,le=...}` for each bound with its
  /// cumulative count, `le="+Inf"` equal to `count`, then `_sum{<label>}` and
  /// `_count{<label>}`. An empty label name means no label of its own; a
  /// constant label of the same name is left out of these lines.
  /// Precondition: as histogram().
  void histogram_series(std::string_view name, std::pair<std::string_view, std::string_view> label,
                        const std::vector<double>& bounds, const std::vector<std::uint64_t>& cumulative,
                        std::uint64_t count, double sum) {
    if (label.first.empty()) {
      write_buckets(name, bounds, cumulative, count);
      write_sum_count(name, count, sum);
    } else {
      series_label_ = label;
      write_buckets(name, bounds, cumulative, count);
      write_labelled_sum_count(name, label, count, sum);
      series_label_ = {};
    }
    line_.flush();
  }

  /// A histogram family of one series with the label pair `label` (see
  /// histogram_series).
  void histogram(std::string_view name, std::string_view help, std::pair<std::string_view, std::string_view> label,
                 const std::vector<double>& bounds, const std::vector<std::uint64_t>& cumulative,
                 std::uint64_t count, double sum) {
    write_family(name, "histogram", help);
    histogram_series(name, label, bounds, cumulative, count, sum);
  }

  /// A summary family without quantiles: `_sum` and `_count`.
  void summary(std::string_view name, std::string_view help, std::uint64_t count, double sum) {
    write_family(name, "summary", help);
    write_sum_count(name, count, sum);
    line_.flush();
  }

  /// Text written as is (an OpenMetrics `# UNIT` or `# EOF` line).
  void raw(std::string_view text) {
    line_.append(text);
    line_.flush();
  }

  /// Reserves room in the output for about `lines` more lines of this
  /// writer's namespace and constant labels, so that it grows once.
  void reserve_lines(std::size_t lines) {
    line_.reserve_more(lines * (prefix_.size() + labels_head_.size() + 72));
  }

  /// The names of the constant labels left out (invalid, reserved, duplicate,
  /// or clashing with a sample's own label), each once, for the caller to warn.
  [[nodiscard]] const std::vector<std::string>& dropped_const_labels() const noexcept { return dropped_; }

 private:
  struct ConstLabel {
    std::string name;
    std::string text;  // name="escaped value"
  };
  using LabelPair = std::pair<std::string_view, std::string_view>;

  void write_family(std::string_view name, std::string_view type, std::string_view help) {
    line_.append("# HELP ", 7);
    append_name(name);
    line_.push_back(' ');
    write_escaped(line_, help, false);
    line_.append("\n# TYPE ", 8);
    append_name(name);
    line_.push_back(' ');
    line_.append(type);
    line_.push_back('\n');
  }

  // A value: written, or (recording) its place noted.
  void put(double v) {
    if (holes_)
      holes_->push_back(line_.size());
    else
      write_value(line_, v);
  }
  void put(std::uint64_t v) {
    if (holes_)
      holes_->push_back(line_.size());
    else
      write_integer(line_, v);
  }

  void append_name(std::string_view name) {
    line_.append(prefix_);
    line_.append(name);
  }

  // Writes `<ns>_<name>{<const labels>,<labels>} ` (or `<ns>_<name> ` when
  // there is no label at all); the constant part is ready-made.
  void begin_sample(std::string_view name, const LabelPair* first, const LabelPair* last) {
    begin_sample(line_, name, first, last);
  }

  template <class Sink>
  void begin_sample(Sink& out, std::string_view name, const LabelPair* first, const LabelPair* last) {
    out.append(prefix_);
    out.append(name);
    if (first == last) {
      out.append(no_labels_tail_);
      return;
    }
    bool clash = false;
    for (const auto& c : const_labels_) clash = clash || uses_label(first, last, c.name);
    if (!clash) {
      out.append(labels_head_);
    } else {
      out.push_back('{');
      for (const auto& c : const_labels_) {
        if (uses_label(first, last, c.name)) {
          note_dropped(c.name);
          continue;
        }
        out.append(c.text);
        out.push_back(',');
      }
    }
    for (const LabelPair* l = first; l != last; ++l) {
      if (l != first) out.push_back(',');
      out.append(l->first);
      out.append("=\"", 2);
      write_escaped(out, l->second, true);
      out.push_back('"');
    }
    out.append("} ", 2);
  }

  // The bucket lines of one series. Everything before a bucket's bound is the
  // same on every line of the series (`<ns>_<name>_bucket{<labels>,le="`) and
  // the bounds' texts are the same for every series, so both are made once
  // and each line is three copies and an integer.
  void write_buckets(std::string_view name, const std::vector<double>& bounds,
                     const std::vector<std::uint64_t>& cumulative, std::uint64_t count) {
    bucket_head(name);
    bound_texts(bounds);
    const std::size_t n = bounds.size() < cumulative.size() ? bounds.size() : cumulative.size();
    for (std::size_t i = 0; i < n; ++i) write_bucket(bound_text(i), cumulative[i]);
    write_bucket("+Inf", count);
  }

  void write_bucket(std::string_view le, std::uint64_t cumulative) {
    line_.append(bucket_head_);
    line_.append(le);
    line_.append("\"} ", 3);
    put(cumulative);
    line_.push_back('\n');
  }

  // bucket_head_ = `<ns>_<name>_bucket{<const labels>,<series label>,le="`,
  // written by begin_sample's rules (a clashing constant label left out).
  void bucket_head(std::string_view name) {
    scratch_name_.assign(name.data(), name.size());
    scratch_name_ += "_bucket";
    bucket_head_.clear();
    const LabelPair le{"le", ""};
    if (series_label_.first.empty()) {
      begin_sample(bucket_head_, scratch_name_, &le, &le + 1);
    } else {
      const LabelPair labels[] = {series_label_, le};
      begin_sample(bucket_head_, scratch_name_, labels, labels + 2);
    }
    bucket_head_.resize(bucket_head_.size() - 3);  // drop `"} `: the bound and its closing follow
  }

  // The texts of `bounds` (all in one string, bound_ends_ marking where each
  // ends), made again only when the bounds change.
  void bound_texts(const std::vector<double>& bounds) {
    if (bounds == bound_values_) return;
    bound_values_ = bounds;
    bound_text_.clear();
    bound_ends_.clear();
    for (double b : bounds) {
      write_value(bound_text_, b);
      bound_ends_.push_back(bound_text_.size());
    }
  }

  [[nodiscard]] std::string_view bound_text(std::size_t i) const noexcept {
    const std::size_t begin = i == 0 ? 0 : bound_ends_[i - 1];
    return std::string_view(bound_text_).substr(begin, bound_ends_[i] - begin);
  }

  void write_labelled_sum_count(std::string_view name, LabelPair label, std::uint64_t count, double sum) {
    scratch_name_.assign(name.data(), name.size());
    scratch_name_ += "_sum";
    begin_sample(scratch_name_, &label, &label + 1);
    put(sum);
    line_.push_back('\n');
    scratch_name_.assign(name.data(), name.size());
    scratch_name_ += "_count";
    begin_sample(scratch_name_, &label, &label + 1);
    put(count);
    line_.push_back('\n');
  }

  static bool uses_label(const LabelPair* first, const LabelPair* last, std::string_view name) noexcept {
    for (const LabelPair* l = first; l != last; ++l)
      if (l->first == name) return true;
    return false;
  }

  void note_dropped(const std::string& name) {
    for (const auto& d : dropped_)
      if (d == name) return;
    dropped_.push_back(name);
  }

  void write_sum_count(std::string_view name, std::uint64_t count, double sum) {
    append_name(name);
    line_.append("_sum", 4);
    line_.append(no_labels_tail_);
    put(sum);
    line_.push_back('\n');
    append_name(name);
    line_.append("_count", 6);
    line_.append(no_labels_tail_);
    put(count);
    line_.push_back('\n');
  }

  LineSink line_;
  std::string prefix_;
  std::vector<ConstLabel> const_labels_;
  std::string labels_head_ = "{";  // '{' and each constant label followed by ','
  std::string no_labels_tail_;     // " " or "{<constant labels>} "
  std::vector<std::string> dropped_;
  std::string scratch_name_;
  std::string bucket_head_;               // see bucket_head()
  std::vector<double> bound_values_;     // the bounds bound_text_ was made from
  std::string bound_text_;               // their texts, as in an le label, one after another
  std::vector<std::size_t> bound_ends_;  // where each ends in bound_text_
  LabelPair series_label_;  // the histogram series being written, if labelled
  std::vector<std::size_t>* holes_;  // recording: where each value goes
};

}  // namespace smartcache::detail
