// smartcache - the naming rules of the metric data model: metric and label names.
// SPDX-License-Identifier: MIT
#pragma once

#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smartcache {

/// Constant labels added to every exported series: (name, value) pairs.
using Labels = std::vector<std::pair<std::string, std::string>>;

namespace detail {

constexpr bool is_ascii_letter(char c) noexcept { return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'); }
constexpr bool is_ascii_digit(char c) noexcept { return c >= '0' && c <= '9'; }

/// True when `name` matches `[a-zA-Z_:][a-zA-Z0-9_:]*`.
///
/// Example: `is_valid_metric_name("smartcache_requests_total")  // true`
[[nodiscard]] constexpr bool is_valid_metric_name(std::string_view name) noexcept {
  if (name.empty() || is_ascii_digit(name.front())) return false;
  for (char c : name)
    if (!is_ascii_letter(c) && !is_ascii_digit(c) && c != '_' && c != ':') return false;
  return true;
}

/// True when `name` matches `[a-zA-Z_][a-zA-Z0-9_]*` and does not start with
/// the reserved `__`.
///
/// Example: `is_valid_label_name("__name__")  // false`
[[nodiscard]] constexpr bool is_valid_label_name(std::string_view name) noexcept {
  if (name.empty() || is_ascii_digit(name.front())) return false;
  if (name.size() >= 2 && name[0] == '_' && name[1] == '_') return false;
  for (char c : name)
    if (!is_ascii_letter(c) && !is_ascii_digit(c) && c != '_') return false;
  return true;
}

/// Makes a valid metric name: every invalid character becomes '_', a leading
/// digit gets a '_' prefix, an empty name becomes "smartcache".
///
/// Example: `sanitize_metric_name("odds-api")  // "odds_api"`
[[nodiscard]] inline std::string sanitize_metric_name(std::string_view name) {
  if (name.empty()) return "smartcache";
  std::string out;
  out.reserve(name.size() + 1);
  if (is_ascii_digit(name.front())) out += '_';
  for (char c : name) out += (is_ascii_letter(c) || is_ascii_digit(c) || c == '_' || c == ':') ? c : '_';
  return out;
}

/// The label names that partition a family's series (one vocabulary for all
/// families): a lookup's or a refresh's `result`, the request's `vix` status,
/// its `zone`, its `strategy`, a tiered store's `tier` and the `cause` of a
/// memory-tier clear. A constant label of one of these names cannot
/// sit beside it on that family's series.
inline constexpr std::string_view label_result = "result";
inline constexpr std::string_view label_vix = "vix";
inline constexpr std::string_view label_zone = "zone";
inline constexpr std::string_view label_strategy = "strategy";
/// The `strategy` label value of the latency series recorded without a
/// strategy (`CacheMetrics::record_latency`); the others are to_string(Strategy).
inline constexpr std::string_view strategy_unspecified = "unspecified";
inline constexpr std::string_view label_tier = "tier";    ///< a TieredStore's tier
inline constexpr std::string_view label_cause = "cause";  ///< why a memory tier was cleared
inline constexpr std::string_view partition_labels[] = {label_result, label_vix,  label_zone,
                                                        label_strategy, label_tier, label_cause};

/// Why a constant label cannot be exported ("" when it can): an invalid
/// name, a name reserved for the exposition (`__*`, `le`, `quantile`), or one
/// given earlier in `labels` (at index < `index`).
///
/// Example: `const_label_problem(labels, 0) == "reserved name"` for `{"le", "x"}`
[[nodiscard]] inline std::string_view const_label_problem(const Labels& labels, std::size_t index) {
  const std::string& name = labels[index].first;
  if (!is_valid_label_name(name)) return "invalid name";
  if (name == "le" || name == "quantile") return "reserved name";
  for (std::size_t i = 0; i < index; ++i)
    if (labels[i].first == name) return "given twice";
  return {};
}

}  // namespace detail
}  // namespace smartcache
