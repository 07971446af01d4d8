// smartcache tests - a strict structural validator for Prometheus text exposition 0.0.4.
// SPDX-License-Identifier: MIT
//
// check_exposition(text) returns the first problem it finds (with its line
// number) or nullopt. It enforces the text format and the structure the
// writer guarantees whatever the namespace and constant labels: families
// announced by HELP and TYPE, valid and unique series, counters in _total,
// reserved suffixes and labels, complete and cumulative histograms.
// check_exposition_lint(text) adds the naming conventions `promtool check
// metrics` lints (snake_case, no ':', base units, no type in the name), which
// also depend on the names a user chooses; a text it accepts is one promtool
// accepts silently. exposition_families(text) and exposition_samples(text)
// split a text into its families and samples, for tests that look at names
// and labels. None of it shares code with smartcache/metrics/prometheus.hpp or
// the writer: a bug there must not be mirrored here.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <limits>
#include <map>
#include <optional>
#include <set>
#include <string>
#include <string_view>
#include <utility>
#include <vector>

namespace smartcache_test {
namespace exposition_detail {

inline bool lower(char c) { return c >= 'a' && c <= 'z'; }
inline bool upper(char c) { return c >= 'A' && c <= 'Z'; }
inline bool digit(char c) { return c >= '0' && c <= '9'; }

inline bool metric_name_ok(std::string_view s) {
  if (s.empty()) return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    const bool ok = lower(c) || upper(c) || c == '_' || c == ':' || (i > 0 && digit(c));
    if (!ok) return false;
  }
  return true;
}

inline bool label_name_ok(std::string_view s) {
  if (s.empty() || s.substr(0, 2) == "__") return false;
  for (std::size_t i = 0; i < s.size(); ++i) {
    const char c = s[i];
    if (!(lower(c) || upper(c) || c == '_' || (i > 0 && digit(c)))) return false;
  }
  return true;
}

// Decodes code points one by one and checks each against the Unicode ranges.
inline bool utf8_ok(std::string_view s) {
  std::size_t i = 0;
  while (i < s.size()) {
    const auto b = static_cast<unsigned char>(s[i]);
    std::size_t extra = 0;
    std::uint32_t cp = 0;
    if (b < 0x80) {
      ++i;
      continue;
    } else if ((b & 0xE0) == 0xC0) {
      extra = 1;
      cp = b & 0x1Fu;
    } else if ((b & 0xF0) == 0xE0) {
      extra = 2;
      cp = b & 0x0Fu;
    } else if ((b & 0xF8) == 0xF0) {
      extra = 3;
      cp = b & 0x07u;
    } else {
      return false;
    }
    if (s.size() - i <= extra) return false;  // truncated
    for (std::size_t k = 1; k <= extra; ++k) {
      const auto c = static_cast<unsigned char>(s[i + k]);
      if ((c & 0xC0) != 0x80) return false;
      cp = (cp << 6) | (c & 0x3Fu);
    }
    const std::uint32_t min_for_length[] = {0, 0x80, 0x800, 0x10000};
    if (cp < min_for_length[extra] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) return false;
    i += extra + 1;
  }
  return true;
}

// Go's strconv.ParseFloat as the Prometheus parser uses it, restricted to
// decimal notation plus the special values it accepts.
inline std::optional<double> parse_float(std::string_view s) {
  if (s == "+Inf" || s == "Inf" || s == "+inf" || s == "inf") return std::numeric_limits<double>::infinity();
  if (s == "-Inf" || s == "-inf") return -std::numeric_limits<double>::infinity();
  if (s == "NaN" || s == "nan") return std::numeric_limits<double>::quiet_NaN();
  std::size_t i = 0;
  if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
  std::size_t digits = 0;
  while (i < s.size() && digit(s[i])) ++i, ++digits;
  if (i < s.size() && s[i] == '.') {
    ++i;
    while (i < s.size() && digit(s[i])) ++i, ++digits;
  }
  if (digits == 0) return std::nullopt;
  if (i < s.size() && (s[i] == 'e' || s[i] == 'E')) {
    ++i;
    if (i < s.size() && (s[i] == '+' || s[i] == '-')) ++i;
    std::size_t exp_digits = 0;
    while (i < s.size() && digit(s[i])) ++i, ++exp_digits;
    if (exp_digits == 0) return std::nullopt;
  }
  if (i != s.size()) return std::nullopt;
  return std::strtod(std::string(s).c_str(), nullptr);
}

inline bool ends_with(std::string_view s, std::string_view suffix) {
  return s.size() >= suffix.size() && s.substr(s.size() - suffix.size()) == suffix;
}

// Returns the escape problem of a HELP text or label value (raw, as written),
// or an empty string.
inline std::string escape_problem(std::string_view raw, bool label_value) {
  for (std::size_t i = 0; i < raw.size(); ++i) {
    if (raw[i] == '"' && label_value) return "unescaped '\"'";
    if (raw[i] != '\\') continue;
    if (i + 1 == raw.size()) return "dangling '\\'";
    const char next = raw[++i];
    if (next != '\\' && next != 'n' && !(label_value && next == '"'))
      return std::string("invalid escape sequence '\\") + next + "'";
  }
  if (!utf8_ok(raw)) return "invalid UTF-8";
  return {};
}

// The suffix rules of promtool's lint (client_golang promlint) for a family.
inline std::string suffix_problem(std::string_view name, std::string_view type) {
  if (type == "counter" && !ends_with(name, "_total")) return "counter name does not end in _total";
  if (type != "counter" && ends_with(name, "_total")) return "non-counter name ends in _total";
  if (type != "histogram" && ends_with(name, "_bucket")) return "non-histogram name ends in _bucket";
  if (type != "histogram" && type != "summary" && (ends_with(name, "_count") || ends_with(name, "_sum")))
    return "non-histogram, non-summary name ends in _count or _sum";
  return {};
}

inline bool camel_case(std::string_view name) {
  for (std::size_t i = 1; i < name.size(); ++i)
    if (lower(name[i - 1]) && upper(name[i])) return true;
  return false;
}

// The naming conventions promtool's lint applies to a family name.
inline std::string naming_problem(std::string_view name) {
  if (name.find(':') != std::string_view::npos) return "metric names should not contain ':'";
  if (camel_case(name)) return "metric name is camelCase, not snake_case";
  std::string lowered(name);
  for (char& c : lowered)
    if (upper(c)) c = static_cast<char>(c - 'A' + 'a');
  // "_word_" inside the name or "_word" at its end (never the first word).
  const auto has_word = [&](std::string_view word) {
    const std::string mid = "_" + std::string(word) + "_";
    return lowered.find(mid) != std::string::npos || ends_with(lowered, mid.substr(0, mid.size() - 1));
  };
  for (std::string_view t : {"counter", "gauge", "histogram", "summary"})
    if (has_word(t)) return "metric name includes its type '" + std::string(t) + "'";
  for (std::string_view a : {"ms", "us", "ns", "s", "sec", "b", "kb", "mb", "gb", "tb", "pb", "m", "h", "d"})
    if (has_word(a)) return "metric name contains abbreviated unit '" + std::string(a) + "'";

  // Any word that is a non-base unit: a prefixed base unit or a listed one.
  std::size_t start = 0;
  while (start <= lowered.size()) {
    const std::size_t end = std::min(lowered.find('_', start), lowered.size());
    const std::string_view word = std::string_view(lowered).substr(start, end - start);
    start = end + 1;
    for (std::string_view unit : {"minutes", "hours", "days", "weeks", "bits", "fahrenheit"})
      if (word == unit) return "metric name uses unit '" + std::string(word) + "' instead of a base unit";
    for (std::string_view prefix : {"pico", "nano", "micro", "milli", "centi", "deci", "deca", "hecto", "kilo",
                                    "kila", "mega", "giga", "tera", "peta", "exa", "zetta", "yotta"}) {
      if (word.substr(0, prefix.size()) != prefix) continue;
      const std::string_view rest = word.substr(prefix.size());
      for (std::string_view base : {"amperes", "bytes", "celsius", "grams", "joules", "kelvin", "meters", "metres",
                                    "seconds", "volts"})
        if (rest == base) return "metric name uses unit '" + std::string(word) + "' instead of a base unit";
    }
  }
  return {};
}

struct Family {
  std::string type;
  bool help = false;
  bool closed = false;  // another family started after it
  bool has_samples = false;
};

// Samples of one histogram or summary child (its labels without le/quantile).
struct Child {
  std::vector<std::pair<double, double>> buckets;  // (le, cumulative count)
  std::optional<double> sum;
  std::optional<double> count;
  std::size_t line = 0;
};

struct Label {
  std::string_view name;
  std::string_view raw_value;  // between the quotes, still escaped
};

inline std::optional<std::string> check(std::string_view text, bool lint) {
  if (!text.empty() && text.back() != '\n') return "text does not end with a newline";

  std::map<std::string, Family, std::less<>> families;
  std::string current;  // the family being written
  std::set<std::string> series;
  std::map<std::string, Child> children;  // "family\xff<labels>" -> child

  std::size_t line_no = 0;
  std::size_t pos = 0;
  const auto fail = [&](const std::string& what) -> std::optional<std::string> {
    return "line " + std::to_string(line_no) + ": " + what;
  };

  // Starts (or continues) the family `name` for a HELP or TYPE line.
  const auto open_family = [&](const std::string& name) -> std::optional<std::string> {
    if (name == current) return std::nullopt;
    auto it = families.find(name);
    if (it != families.end()) return fail("family " + name + " is not contiguous");
    if (!current.empty()) families[current].closed = true;
    families[name];
    current = name;
    return std::nullopt;
  };

  while (pos < text.size()) {
    const std::size_t end = text.find('\n', pos);
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    ++line_no;

    if (line.empty()) continue;  // the format ignores empty lines
    if (line.front() == '#') {
      const bool is_help = line.substr(0, 7) == "# HELP ";
      const bool is_type = line.substr(0, 7) == "# TYPE ";
      if (!is_help && !is_type) continue;  // a plain comment
      const std::string_view rest = line.substr(7);
      const std::size_t space = rest.find(' ');
      const std::string name(rest.substr(0, space));
      const std::string_view arg = space == std::string_view::npos ? std::string_view{} : rest.substr(space + 1);
      if (!metric_name_ok(name)) return fail("invalid metric name '" + name + "'");
      if (auto problem = open_family(name)) return problem;
      Family& f = families[name];
      if (f.has_samples) return fail((is_help ? "HELP" : "TYPE") + std::string(" after samples of ") + name);
      if (is_help) {
        if (f.help) return fail("second HELP for " + name);
        if (space == std::string_view::npos || arg.empty()) return fail("no help text for " + name);
        const std::string problem = escape_problem(arg, false);
        if (!problem.empty()) return fail("HELP of " + name + ": " + problem);
        f.help = true;
      } else {
        if (!f.type.empty()) return fail("second TYPE for " + name);
        if (arg != "counter" && arg != "gauge" && arg != "histogram" && arg != "summary" && arg != "untyped")
          return fail("unknown type '" + std::string(arg) + "' for " + name);
        std::string problem = suffix_problem(name, arg);
        if (problem.empty() && lint) problem = naming_problem(name);
        if (!problem.empty()) return fail(name + ": " + problem);
        f.type = std::string(arg);
      }
      continue;
    }

    // A sample: name [{labels}] value [timestamp]
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ' && line[i] != '\t') ++i;
    const std::string name(line.substr(0, i));
    if (!metric_name_ok(name)) return fail("invalid metric name '" + name + "'");

    std::vector<Label> labels;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (true) {
        if (i < line.size() && line[i] == '}') {
          ++i;
          break;
        }
        std::size_t start = i;
        while (i < line.size() && line[i] != '=' && line[i] != '}' && line[i] != ',') ++i;
        const std::string_view label_name = line.substr(start, i - start);
        if (!label_name_ok(label_name))
          return fail("invalid label name '" + std::string(label_name) + "' in " + name);
        if (lint && camel_case(label_name))
          return fail("label name '" + std::string(label_name) + "' is camelCase, not snake_case");
        if (i + 1 >= line.size() || line[i] != '=' || line[i + 1] != '"')
          return fail("label " + std::string(label_name) + " of " + name + " has no quoted value");
        i += 2;
        start = i;
        while (i < line.size() && line[i] != '"') i += line[i] == '\\' ? 2 : 1;
        if (i >= line.size()) return fail("unterminated label value in " + name);
        const std::string_view raw = line.substr(start, i - start);
        const std::string problem = escape_problem(raw, true);
        if (!problem.empty()) return fail("label " + std::string(label_name) + " of " + name + ": " + problem);
        for (const auto& l : labels)
          if (l.name == label_name) return fail("duplicate label " + std::string(label_name) + " in " + name);
        labels.push_back({label_name, raw});
        ++i;  // closing quote
        if (i < line.size() && line[i] == ',') {
          ++i;
        } else if (i >= line.size() || line[i] != '}') {
          return fail("expected ',' or '}' after label " + std::string(label_name) + " in " + name);
        }
      }
    }
    if (i >= line.size() || (line[i] != ' ' && line[i] != '\t')) return fail("no value for " + name);
    std::vector<std::string_view> fields;
    while (i < line.size()) {
      while (i < line.size() && (line[i] == ' ' || line[i] == '\t')) ++i;
      const std::size_t start = i;
      while (i < line.size() && line[i] != ' ' && line[i] != '\t') ++i;
      if (i > start) fields.push_back(line.substr(start, i - start));
    }
    if (fields.empty() || fields.size() > 2) return fail("expected a value and an optional timestamp for " + name);
    const std::optional<double> value = parse_float(fields[0]);
    if (!value) return fail("value '" + std::string(fields[0]) + "' of " + name + " does not parse");
    if (fields.size() == 2) {
      const std::string_view ts = fields[1];
      const std::size_t digits_from = (!ts.empty() && ts[0] == '-') ? 1 : 0;
      if (ts.size() == digits_from || !std::all_of(ts.begin() + static_cast<std::ptrdiff_t>(digits_from), ts.end(), digit))
        return fail("timestamp '" + std::string(ts) + "' of " + name + " is not an integer");
    }

    // Which family does it belong to?
    std::string family_name = name;
    std::string suffix;
    if (families.find(name) == families.end()) {
      for (std::string_view s : {"_bucket", "_sum", "_count"}) {
        if (!ends_with(name, s)) continue;
        const std::string base = name.substr(0, name.size() - s.size());
        const auto it = families.find(base);
        if (it == families.end()) continue;
        const bool fits = it->second.type == "histogram" || (it->second.type == "summary" && s != "_bucket");
        if (fits) {
          family_name = base;
          suffix = std::string(s);
        }
      }
    }
    const auto it = families.find(family_name);
    if (it == families.end()) return fail("sample " + name + " has no HELP and TYPE before it");
    Family& f = it->second;
    if (family_name != current) return fail("sample " + name + " is outside its family's block");
    if (!f.help) return fail("family " + family_name + " has no HELP");
    if (f.type.empty()) return fail("family " + family_name + " has no TYPE");
    if (f.type == "histogram" && suffix.empty())
      return fail("histogram sample " + name + " is not _bucket, _sum or _count");
    f.has_samples = true;

    // Series identity: name + sorted label pairs (escaping is canonical).
    std::vector<std::pair<std::string_view, std::string_view>> sorted;
    for (const auto& l : labels) sorted.emplace_back(l.name, l.raw_value);
    std::sort(sorted.begin(), sorted.end());
    std::string key = name;
    std::string child_key = family_name + '\xff';
    std::optional<std::string_view> le;
    std::optional<std::string_view> quantile;
    for (const auto& [k, v] : sorted) {
      key += '\xff' + std::string(k) + '=' + std::string(v);
      if (k == "le") {
        le = v;
      } else if (k == "quantile") {
        quantile = v;
      } else {
        child_key += std::string(k) + '=' + std::string(v) + '\xff';
      }
    }
    if (!series.insert(key).second) return fail("duplicate series " + std::string(line.substr(0, line.find(' '))));

    if (le && !(f.type == "histogram" && suffix == "_bucket")) return fail(name + " has an 'le' label");
    if (quantile && !(f.type == "summary" && suffix.empty())) return fail(name + " has a 'quantile' label");
    if (f.type == "summary" && suffix.empty() && !quantile) return fail(name + " has no 'quantile' label");
    if (f.type == "counter" && !(*value >= 0)) return fail("counter " + name + " is negative or NaN");

    if (f.type == "histogram" || f.type == "summary") {
      Child& child = children[child_key];
      if (child.line == 0) child.line = line_no;
      if (suffix == "_bucket") {
        if (!le) return fail(name + " has no 'le' label");
        const std::optional<double> bound = parse_float(*le);
        if (!bound || *bound != *bound) return fail("le=\"" + std::string(*le) + "\" of " + name + " is not a number");
        if (!(*value >= 0)) return fail(name + " has a negative or NaN bucket count");
        child.buckets.emplace_back(*bound, *value);
      } else if (suffix == "_sum") {
        child.sum = *value;
      } else if (suffix == "_count") {
        if (!(*value >= 0)) return fail(name + " has a negative or NaN count");
        child.count = *value;
      } else if (quantile) {
        const std::optional<double> q = parse_float(*quantile);
        if (!q || !(*q >= 0 && *q <= 1)) return fail("quantile=\"" + std::string(*quantile) + "\" is not in [0, 1]");
      }
    }
  }

  for (auto& [key, child] : children) {
    const std::string family_name = key.substr(0, key.find('\xff'));
    line_no = child.line;
    const std::string& type = families[family_name].type;
    if (!child.sum) return fail(family_name + " has no _sum");
    if (!child.count) return fail(family_name + " has no _count");
    if (type != "histogram") continue;
    std::stable_sort(child.buckets.begin(), child.buckets.end(),
                     [](const auto& a, const auto& b) { return a.first < b.first; });
    if (child.buckets.empty() || child.buckets.back().first != std::numeric_limits<double>::infinity())
      return fail(family_name + " has no le=\"+Inf\" bucket");
    for (std::size_t k = 1; k < child.buckets.size(); ++k)
      if (child.buckets[k].second < child.buckets[k - 1].second)
        return fail(family_name + " buckets are not cumulative");
    if (child.buckets.back().second != *child.count)
      return fail(family_name + " le=\"+Inf\" bucket differs from _count");
  }
  return std::nullopt;
}

}  // namespace exposition_detail

/// A family announced by a `# TYPE` line.
struct ExpositionFamily {
  std::string name;
  std::string type;
};

/// One sample line, split up: its name, its labels in the order written
/// (values still escaped, without the quotes) and its value as written.
struct ExpositionSample {
  std::string name;
  std::vector<std::pair<std::string, std::string>> labels;
  std::string value;

  /// The raw value of label `label`, or nullopt when the sample has none.
  [[nodiscard]] std::optional<std::string> label(std::string_view label) const {
    for (const auto& [n, v] : labels)
      if (n == label) return v;
    return std::nullopt;
  }
};

/// Every family of `text` (its `# TYPE` lines), in order.
inline std::vector<ExpositionFamily> exposition_families(std::string_view text) {
  std::vector<ExpositionFamily> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.substr(0, 7) != "# TYPE ") continue;
    const std::string_view rest = line.substr(7);
    const std::size_t space = rest.find(' ');
    if (space == std::string_view::npos) continue;
    out.push_back({std::string(rest.substr(0, space)), std::string(rest.substr(space + 1))});
  }
  return out;
}

/// Every sample line of `text`, in order. It does not validate: run
/// check_exposition first; a line it cannot split is skipped.
inline std::vector<ExpositionSample> exposition_samples(std::string_view text) {
  std::vector<ExpositionSample> out;
  std::size_t pos = 0;
  while (pos < text.size()) {
    const std::size_t end = std::min(text.find('\n', pos), text.size());
    const std::string_view line = text.substr(pos, end - pos);
    pos = end + 1;
    if (line.empty() || line.front() == '#') continue;
    ExpositionSample s;
    std::size_t i = 0;
    while (i < line.size() && line[i] != '{' && line[i] != ' ') ++i;
    s.name = std::string(line.substr(0, i));
    bool ok = true;
    if (i < line.size() && line[i] == '{') {
      ++i;
      while (ok && i < line.size() && line[i] != '}') {
        const std::size_t eq = line.find('=', i);
        if (eq == std::string_view::npos || eq + 1 >= line.size() || line[eq + 1] != '"') {
          ok = false;
          break;
        }
        std::size_t j = eq + 2;
        while (j < line.size() && line[j] != '"') j += line[j] == '\\' ? 2 : 1;
        if (j >= line.size()) {
          ok = false;
          break;
        }
        s.labels.emplace_back(std::string(line.substr(i, eq - i)), std::string(line.substr(eq + 2, j - eq - 2)));
        i = j + 1;
        if (i < line.size() && line[i] == ',') ++i;
      }
      if (i >= line.size()) ok = false;
      ++i;  // '}'
    }
    if (!ok) continue;
    while (i < line.size() && line[i] == ' ') ++i;
    const std::size_t value_end = std::min(line.find(' ', i), line.size());
    s.value = std::string(line.substr(i, value_end - i));
    out.push_back(std::move(s));
  }
  return out;
}

/// The first problem of a Prometheus text exposition (format 0.0.4), prefixed
/// by "line N: ", or nullopt when its format and structure are valid.
inline std::optional<std::string> check_exposition(std::string_view text) {
  return exposition_detail::check(text, false);
}

/// check_exposition plus promtool's naming lint (snake_case metric and label
/// names, no ':', base units, no type in the name).
inline std::optional<std::string> check_exposition_lint(std::string_view text) {
  return exposition_detail::check(text, true);
}

}  // namespace smartcache_test
