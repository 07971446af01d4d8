// smartcache tests - the fuzz corpus as regression tests, and a promtool-checked
// sample of expositions built from hostile namespaces and constant labels.
// SPDX-License-Identifier: MIT
//
// The fuzz targets (fuzz/fuzz_*.hpp) are compiled here with
// SMARTCACHE_FUZZ_NO_ENTRY: a violated invariant throws instead of aborting,
// so the seeds in fuzz/corpus/<target>/ and the crash reproducers in
// fuzz/regressions/<target>/ run under every compiler and sanitizer CI uses.
#define SMARTCACHE_FUZZ_NO_ENTRY 1

#include <algorithm>
#include <cstdint>
#include <filesystem>
#include <fstream>
#include <iterator>
#include <random>
#include <string>
#include <vector>

#include "fuzz_cache.hpp"
#include "fuzz_exposition.hpp"
#include "fuzz_metric_names.hpp"
#include "fuzz_redis_codec.hpp"
#include "support/catch.hpp"
#include "support/request_records.hpp"
#include "support/exposition_checker.hpp"
#include "support/promtool.hpp"

#ifndef SMARTCACHE_SOURCE_DIR
#define SMARTCACHE_SOURCE_DIR "."
#endif

namespace {

namespace fs = std::filesystem;
using Target = int (*)(const std::uint8_t*, std::size_t);

std::vector<std::uint8_t> read_bytes(const fs::path& p) {
  std::ifstream in(p, std::ios::binary);
  return {std::istreambuf_iterator<char>(in), std::istreambuf_iterator<char>()};
}

std::vector<fs::path> inputs_of(const std::string& dir) {
  std::vector<fs::path> files;
  const fs::path root = fs::path(SMARTCACHE_SOURCE_DIR) / dir;
  if (!fs::is_directory(root)) return files;
  for (const auto& e : fs::directory_iterator(root))
    if (e.is_regular_file()) files.push_back(e.path());
  std::sort(files.begin(), files.end());
  return files;
}

// Runs every file of `dir` through `target`; returns how many ran.
std::size_t replay(const std::string& dir, Target target) {
  smartcache_fuzz::SilenceLogs quiet;
  std::size_t n = 0;
  for (const auto& file : inputs_of(dir)) {
    const auto bytes = read_bytes(file);
    INFO("input " << file.string());
    try {
      target(bytes.data(), bytes.size());
    } catch (const std::exception& e) {
      FAIL_CHECK(e.what());
    }
    ++n;
  }
  return n;
}

struct TargetInfo {
  const char* name;
  Target run;
};

const TargetInfo targets[] = {
    {"fuzz_metric_names", &smartcache_fuzz::metric_names::run},
    {"fuzz_exposition", &smartcache_fuzz::exposition::run},
    {"fuzz_cache", &smartcache_fuzz::cache::run},
    {"fuzz_redis_codec", &smartcache_fuzz::redis_codec::run},
};

}  // namespace

TEST_CASE("every fuzz seed still passes its target's invariants", "[fuzz]") {
  for (const auto& t : targets) {
    INFO("target " << t.name);
    // Each target ships seeds: an empty directory would make this vacuous.
    CHECK(replay(std::string("fuzz/corpus/") + t.name, t.run) >= 4);
  }
}

TEST_CASE("every input that once failed a fuzz target passes it now", "[fuzz]") {
  std::size_t total = 0;
  for (const auto& t : targets) {
    INFO("target " << t.name);
    total += replay(std::string("fuzz/regressions/") + t.name, t.run);
  }
  CHECK(total > 0);
}

TEST_CASE("the replay harness reports a violated invariant", "[fuzz]") {
  // Replayed targets report through fail(), which must throw here (not abort),
  // or the two cases above could not fail.
  CHECK_THROWS_AS(smartcache_fuzz::fail("deliberate"), smartcache_fuzz::InvariantViolation);
  // A well-formed string frame (version 1, zero horizons, no tag, value "v")
  // decodes and re-encodes without a complaint.
  const std::uint8_t ok[] = {0, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 'v'};
  CHECK_NOTHROW(smartcache_fuzz::redis_codec::run(ok, sizeof ok));
}

namespace {

// Hostile pieces for namespaces, label names and label values.
const std::vector<std::string> nasty_namespaces = {
    "", "0abc", "9", "ns with space", "caché", "\xff\xfe", "quote\"ns", "back\\slash", "new\nline",
    "__reserved", ":colon:", "smartcache", "a-b.c/d", "\xc3", "\xe2\x82", "\xf0\x9f\x98\x80", "___", "_9",
    "x:y", "UPPER"};
const std::vector<std::string> nasty_label_names = {
    "", "0x", "__name__", "__x", "le", "quantile", "job", "a-b", "\xc3\xa9", "with space", "ok_name", "_u",
    "result", "vix", "zone", "strategy"};
const std::vector<std::string> nasty_label_values = {
    "", "\"", "\\", "\n", "\xff", "\xc3", "\xe6\x97\xa5\xe6\x9c\xac", "\\n", "a\"b\\c\nd",
    std::string(1000, 'x'), std::string("nul\0inside", 10), "\xed\xa0\x80" /* surrogate */};

std::string random_string(std::mt19937& rng, std::size_t max_len) {
  static const std::string alphabet =
      "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789_:- .\"\\\n\t{}=,#";
  std::uniform_int_distribution<std::size_t> len(0, max_len);
  std::uniform_int_distribution<std::size_t> pick(0, alphabet.size() + 3);
  std::string s;
  const std::size_t n = len(rng);
  for (std::size_t i = 0; i < n; ++i) {
    const std::size_t k = pick(rng);
    if (k < alphabet.size())
      s += alphabet[k];
    else if (k == alphabet.size())
      s += "\xc3\xa9";  // é
    else if (k == alphabet.size() + 1)
      s += '\xff';  // never valid UTF-8
    else if (k == alphabet.size() + 2)
      s += '\xc3';  // a truncated sequence, unless followed by luck
    else
      s += '\0';
  }
  return s;
}

smartcache::MetricsOptions random_options(std::mt19937& rng) {
  smartcache::MetricsOptions o;
  std::uniform_int_distribution<int> coin(0, 3);
  o.prometheus_namespace = coin(rng) == 0 ? nasty_namespaces[rng() % nasty_namespaces.size()] : random_string(rng, 12);
  const int labels = coin(rng);
  for (int i = 0; i < labels; ++i) {
    std::string name = coin(rng) == 0 ? nasty_label_names[rng() % nasty_label_names.size()] : random_string(rng, 8);
    std::string value = coin(rng) == 0 ? nasty_label_values[rng() % nasty_label_values.size()] : random_string(rng, 16);
    o.const_labels.emplace_back(std::move(name), std::move(value));
  }
  return o;
}

std::string exposition_for(smartcache::MetricsOptions o) {
  smartcache::CacheMetrics m(std::move(o));
  m.record_request(smartcache_test::request_record(smartcache::Strategy::serve_stale, smartcache::VixStatus::warning,
                                                   smartcache::Zone::golden, smartcache::Lookup::stale, 0.4));
  m.record_invalidation({true, 3, 12, 5, 62.5});
  return m.to_prometheus();
}

}  // namespace

// The writer guarantees the format and structure whatever the names; the
// naming lint (units, types, camelCase in the names a user picks) is the
// user's call, and check_exposition_lint must agree with promtool about it.
TEST_CASE("hostile namespaces and constant labels: valid structure always, promtool agrees with the lint checker",
          "[fuzz][prometheus]") {
  smartcache_fuzz::SilenceLogs quiet;
  std::mt19937 rng(20261125);
  std::vector<smartcache::MetricsOptions> inputs;
  for (const auto& ns : nasty_namespaces) {
    smartcache::MetricsOptions o;
    o.prometheus_namespace = ns;
    inputs.push_back(o);
  }
  for (std::size_t i = 0; i < nasty_label_names.size(); ++i) {
    smartcache::MetricsOptions o;
    o.const_labels.emplace_back(nasty_label_names[i], nasty_label_values[i % nasty_label_values.size()]);
    o.const_labels.emplace_back(nasty_label_names[i], "duplicate");
    inputs.push_back(o);
  }
  for (int i = 0; i < 200; ++i) inputs.push_back(random_options(rng));

  std::vector<std::string> texts;
  for (const auto& o : inputs) {
    const std::string text = exposition_for(o);
    INFO("namespace '" << o.prometheus_namespace << "', " << o.const_labels.size() << " constant labels");
    const auto problem = smartcache_test::check_exposition(text);
    CHECK(problem == std::nullopt);
    if (problem) UNSCOPED_INFO(*problem);
    texts.push_back(text);
  }

  // promtool on a sample: every 5th input (50 runs) plus all the hand-picked ones.
  std::vector<std::size_t> sample;
  const std::size_t hand_picked = nasty_namespaces.size() + nasty_label_names.size();
  for (std::size_t i = 0; i < texts.size(); ++i)
    if (i < hand_picked || i % 5 == 0) sample.push_back(i);
  std::size_t checked = 0;
  for (std::size_t i : sample) {
    const auto result = smartcache_test::run_promtool_check_metrics(texts[i]);
    if (!result) break;
    ++checked;
    const auto lint = smartcache_test::check_exposition_lint(texts[i]);
    INFO("namespace '" << inputs[i].prometheus_namespace << "'\n" << result->output
                       << "\nlint checker: " << lint.value_or("silent"));
    CHECK(result->exit_code != 1);  // 1: promtool could not parse the text at all
    CHECK((result->exit_code == 0 && result->output.empty()) == !lint.has_value());
  }
  if (checked == 0) {
    if (smartcache_test::running_in_ci()) FAIL("promtool not found (SMARTCACHE_PROMTOOL_PATH) and CI is set");
    WARN("promtool not found: exposition sample not checked with promtool");
  } else {
    CHECK(checked == sample.size());
  }
}

TEST_CASE("well-chosen names with hostile label values: promtool prints nothing", "[fuzz][prometheus]") {
  smartcache_fuzz::SilenceLogs quiet;
  std::size_t checked = 0;
  for (const auto& value : nasty_label_values) {
    smartcache::MetricsOptions o;
    o.const_labels = {{"service", value}, {"region", value + value}};
    const std::string text = exposition_for(o);
    CHECK(smartcache_test::check_exposition_lint(text) == std::nullopt);
    const auto result = smartcache_test::run_promtool_check_metrics(text);
    if (!result) continue;
    ++checked;
    INFO(result->output);
    CHECK(result->exit_code == 0);
    CHECK(result->output.empty());
  }
  if (checked == 0 && smartcache_test::running_in_ci()) FAIL("promtool not found (SMARTCACHE_PROMTOOL_PATH) and CI is set");
}
