// smartcache - Prometheus text exposition (format 0.0.4): names, escaping, families.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <initializer_list>
#include <iterator>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

#include <fmt/format.h>

namespace smartcache {

/// The Content-Type of `CacheMetrics::to_prometheus()` output, for an HTTP
/// `/metrics` handler.
///
/// Example:
///   res.set_content(metrics.to_prometheus(), std::string(smartcache::prometheus_content_type));
inline constexpr std::string_view prometheus_content_type = "text/plain; version=0.0.4; charset=utf-8";

/// Constant labels added to every exported series: (name, value) pairs.
using Labels = std::vector<std::pair<std::string, std::string>>;

namespace detail {

constexpr bool is_ascii_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_ascii_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// True when `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
[[nodiscard]] constexpr bool is_valid_metric_name(std::string_view name) noexcept {
  if (name.empty() || is_ascii_digit(name.front())) return false;
  for (char c : name)
    if (!is_ascii_letter(c) && !is_ascii_digit(c) && c != '_' && c != ':') return false;
  return true;
}

/// True when `name` matches `[a-zA-Z_][a-zA-Z0-9_]*` and does not start with
/// the reserved `__`.
[[nodiscard]] constexpr bool is_valid_label_name(std::string_view name) noexcept {
  if (name.empty() || is_ascii_digit(name.front())) return false;
  if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return false;
  for (char c : name)
    if (!is_ascii_letter(c) && !is_ascii_digit(c) && c != '_') return false;
  return true;
}

/// Makes a valid metric name: every invalid character becomes '_', a leading
/// digit gets a '_' prefix, an empty name becomes "smartcache".
[[nodiscard]] inline std::string sanitize_metric_name(std::string_view name) {
  if (name.empty()) return "smartcache";
  std::string out;
  out.reserve(name.size() + 1);
  if (is_ascii_digit(name.front())) out += '_';
  for (char c : name) out += (is_ascii_letter(c) || is_ascii_digit(c) || c == '_' || c == ':') ? c : '_';
  return out;
}

/// The length of the well-formed UTF-8 sequence starting at s[i] (1 to 4), or
/// 0 when the bytes there are not one (overlong, surrogate, past U+10FFFF,
/// truncated, stray continuation byte).
[[nodiscard]] constexpr std::size_t utf8_sequence_length(std::string_view s, std::size_t i) noexcept {
  const auto byte = [&](std::size_t k) { return static_cast<unsigned char>(s[k]); };
  const unsigned char b0 = byte(i);
  if (b0 < 0x80) return 1;
  std::size_t len = 0;
  unsigned char lo = 0x80;
  unsigned char hi = 0xBF;  // allowed range of the second byte
  if (b0 >= 0xC2 && b0 <= 0xDF) {
    len = 2;
  } else if (b0 >= 0xE0 && b0 <= 0xEF) {
    len = 3;
    if (b0 == 0xE0) lo = 0xA0;  // overlong
    if (b0 == 0xED) hi = 0x9F;  // surrogates
  } else if (b0 >= 0xF0 && b0 <= 0xF4) {
    len = 4;
    if (b0 == 0xF0) lo = 0x90;  // overlong
    if (b0 == 0xF4) hi = 0x8F;  // past U+10FFFF
  } else {
    return 0;
  }
  if (s.size() - i < len) return 0;
  if (byte(i + 1) < lo || byte(i + 1) > hi) return 0;
  for (std::size_t k = 2; k < len; ++k)
    if (byte(i + k) < 0x80 || byte(i + k) > 0xBF) return 0;
  return len;
}

// Appends `text` with '\\' and '\n' (and '"' when `quote`) escaped and each
// byte that is not part of well-formed UTF-8 replaced by U+FFFD.
inline void append_escaped(std::string& out, std::string_view text, bool quote) {
  std::size_t i = 0;
  while (i < text.size()) {
    const char c = text[i];
    if (c == '\\') {
      out += "\\\\";
    } else if (c == '\n') {
      out += "\\n";
    } else if (c == '"' && quote) {
      out += "\\\"";
    } else if (static_cast<unsigned char>(c) < 0x80) {
      out += c;
    } else {
      const std::size_t len = utf8_sequence_length(text, i);
      if (len == 0) {
        out += "\xEF\xBF\xBD";
        ++i;
      } else {
        out.append(text.data() + i, len);
        i += len;
      }
      continue;
    }
    ++i;
  }
}

/// Appends a label value escaped for the exposition (`\\`, `\"`, `\n`; bytes
/// that are not well-formed UTF-8 become U+FFFD), without the quotes.
///
/// Example:
///   append_escaped_label_value(out, "a\"b");  // appends a\"b
inline void append_escaped_label_value(std::string& out, std::string_view value) {
  append_escaped(out, value, true);
}

/// Appends HELP text escaped for the exposition (`\\`, `\n`; bytes that are
/// not well-formed UTF-8 become U+FFFD).
inline void append_escaped_help(std::string& out, std::string_view help) { append_escaped(out, help, false); }

/// Appends a sample value: integers below 2^53 exactly without exponent,
/// other finite values as the shortest text that reads back to the same
/// double, and `+Inf`, `-Inf`, `NaN`.
///
/// Example:
///   append_value(out, 2.5);  // "2.5"
///   append_value(out, 1e6);  // "1000000"
inline void append_value(std::string& out, double v) {
  if (std::isnan(v)) {
    out += "NaN";
  } else if (std::isinf(v)) {
    out += v > 0 ? "+Inf" : "-Inf";
  } else if (std::abs(v) <= 9007199254740992.0 && std::trunc(v) == v) {
    const fmt::format_int digits(static_cast<std::int64_t>(v));
    out.append(digits.data(), digits.size());
  } else {
    fmt::format_to(std::back_inserter(out), "{}", v);
  }
}

/// Appends an integer sample value.
inline void append_value(std::string& out, std::uint64_t v) {
  const fmt::format_int digits(v);
  out.append(digits.data(), digits.size());
}

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
  /// `ns` is sanitized (see exposition_namespace). Constant labels with an
  /// invalid or reserved name (`__*`, `le`, `quantile`) or a name already
  /// given are dropped and listed by dropped_const_labels(); values are escaped.
  ExpositionWriter(std::string& out, std::string_view ns, const Labels& const_labels)
      : out_(out), prefix_(exposition_namespace(ns) + '_') {
    for (const auto& [name, value] : const_labels) {
      bool keep = is_valid_label_name(name) && name != "le" && name != "quantile";
      for (const auto& kept : const_labels_)
        if (kept.name == name) keep = false;
      if (!keep) {
        note_dropped(name);
        continue;
      }
      ConstLabel label{name, {}};
      label.text = name;
      label.text += "=\"";
      append_escaped_label_value(label.text, value);
      label.text += '"';
      if (!const_labels_text_.empty()) const_labels_text_ += ',';
      const_labels_text_ += label.text;
      const_labels_.push_back(std::move(label));
    }
  }

  /// Announces a family: `# HELP <ns>_<name> <help>` and `# TYPE <ns>_<name> <type>`.
  /// `type` is one of counter, gauge, histogram, summary, untyped.
  void family(std::string_view name, std::string_view type, std::string_view help) {
    out_ += "# HELP ";
    append_name(name);
    out_ += ' ';
    append_escaped_help(out_, help);
    out_ += "\n# TYPE ";
    append_name(name);
    out_ += ' ';
    out_ += type;
    out_ += '\n';
  }

  /// One sample line of the last announced family. `name` is the full suffix
  /// after `<ns>_` (e.g. "requests_total"); label names must be valid label
  /// names (they are the caller's literals), values are escaped. A constant
  /// label whose name the sample also uses is left out of that line (and
  /// listed by dropped_const_labels()), so no series has a duplicate label.
  void sample(std::string_view name, std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
              double value) {
    begin_sample(name, labels.begin(), labels.end());
    append_value(out_, value);
    out_ += '\n';
  }

  /// See the double overload; writes the integer exactly.
  void sample(std::string_view name, std::initializer_list<std::pair<std::string_view, std::string_view>> labels,
              std::uint64_t value) {
    begin_sample(name, labels.begin(), labels.end());
    append_value(out_, value);
    out_ += '\n';
  }

  /// A whole histogram family: `_bucket{le=...}` for each bound (seconds, or
  /// whatever the family's unit is) with its cumulative count, `le="+Inf"`
  /// equal to `count`, then `_sum` and `_count`.
  /// Precondition: cumulative.size() == bounds.size(), non-decreasing, <= count.
  void histogram(std::string_view name, std::string_view help, const std::vector<double>& bounds,
                 const std::vector<std::uint64_t>& cumulative, std::uint64_t count, double sum) {
    family(name, "histogram", help);
    scratch_name_.assign(name.data(), name.size());
    scratch_name_ += "_bucket";
    const std::size_t n = std::min(bounds.size(), cumulative.size());
    for (std::size_t i = 0; i < n; ++i) {
      scratch_le_.clear();
      append_value(scratch_le_, bounds[i]);
      const std::pair<std::string_view, std::string_view> le{"le", scratch_le_};
      begin_sample(scratch_name_, &le, &le + 1);
      append_value(out_, cumulative[i]);
      out_ += '\n';
    }
    const std::pair<std::string_view, std::string_view> inf{"le", "+Inf"};
    begin_sample(scratch_name_, &inf, &inf + 1);
    append_value(out_, count);
    out_ += '\n';
    write_sum_count(name, count, sum);
  }

  /// A summary family without quantiles: `_sum` and `_count`.
  void summary(std::string_view name, std::string_view help, std::uint64_t count, double sum) {
    family(name, "summary", help);
    write_sum_count(name, count, sum);
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

  void append_name(std::string_view name) {
    out_ += prefix_;
    out_ += name;
  }

  void begin_sample(std::string_view name, const LabelPair* first, const LabelPair* last) {
    append_name(name);
    bool clash = false;
    for (const LabelPair* l = first; l != last && !const_labels_.empty(); ++l)
      for (const auto& c : const_labels_) clash = clash || c.name == l->first;
    if (first == last && const_labels_text_.empty()) {
      out_ += ' ';
      return;
    }
    out_ += '{';
    bool empty = true;
    if (!clash) {
      out_ += const_labels_text_;
      empty = const_labels_text_.empty();
    } else {
      for (const auto& c : const_labels_) {
        if (uses_label(first, last, c.name)) {
          note_dropped(c.name);
          continue;
        }
        if (!empty) out_ += ',';
        out_ += c.text;
        empty = false;
      }
    }
    for (const LabelPair* l = first; l != last; ++l) {
      if (!empty) out_ += ',';
      out_ += l->first;
      out_ += "=\"";
      append_escaped_label_value(out_, l->second);
      out_ += '"';
      empty = false;
    }
    out_ += "} ";
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
    scratch_name_.assign(name.data(), name.size());
    scratch_name_ += "_sum";
    begin_sample(scratch_name_, nullptr, nullptr);
    append_value(out_, sum);
    out_ += '\n';
    scratch_name_.assign(name.data(), name.size());
    scratch_name_ += "_count";
    begin_sample(scratch_name_, nullptr, nullptr);
    append_value(out_, count);
    out_ += '\n';
  }

  std::string& out_;
  std::string prefix_;
  std::vector<ConstLabel> const_labels_;
  std::string const_labels_text_;
  std::vector<std::string> dropped_;
  std::string scratch_name_;
  std::string scratch_le_;
};

}  // namespace detail
}  // namespace smartcache
