// A tiny command-line reader shared by the examples, and the flags of the
// simulated service that simulate and metrics_server share. Example code.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdint>
#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>
#include <utility>

#include <fmt/format.h>

#include "world.hpp"

namespace sim {

/// Walks argv flag by flag. --help prints `usage` and exits 0; an unknown
/// flag or a bad value prints why, then `usage`, and exits 2.
///
/// Example:
///   sim::Args args(argc, argv, "simulate", usage);
///   while (args.next())
///     if (args.flag() == "--seed") seed = static_cast<unsigned>(args.number(0, 1e9));
///     else args.unknown();
class Args {
 public:
  Args(int argc, char** argv, std::string_view program, std::string usage)
      : argc_(argc), argv_(argv), program_(program), usage_(std::move(usage)) {}

  /// Moves to the next flag; false when none is left.
  bool next() {
    if (++i_ >= argc_) return false;
    flag_ = argv_[i_];
    return true;
  }
  [[nodiscard]] std::string_view flag() const noexcept { return flag_; }

  /// The value following the current flag.
  std::string value() {
    if (i_ + 1 >= argc_) fail(fmt::format("{} needs a value", flag_));
    return argv_[++i_];
  }

  /// The value following the current flag, as a number in [lo, hi].
  double number(double lo, double hi) {
    const std::string v = value();
    char* end = nullptr;
    const double d = std::strtod(v.c_str(), &end);
    if (end == v.c_str() || *end != '\0' || !(d >= lo && d <= hi))
      fail(fmt::format("{} wants a number in [{}, {}], got '{}'", flag_, lo, hi, v));
    return d;
  }

  /// Reports a bad combination of flags (`why`) and exits 2 through usage.
  [[noreturn]] void fail_with(const std::string& why) { fail(why); }

  /// Reports an unknown flag (or --help) and exits through usage.
  [[noreturn]] void unknown() {
    if (flag_ == "--help" || flag_ == "-h") exit_with(0);
    fail(fmt::format("unknown option '{}'", flag_));
  }

 private:
  [[noreturn]] void fail(const std::string& why) {
    fmt::print(stderr, "{}: {}\n", program_, why);
    exit_with(2);
  }
  [[noreturn]] void exit_with(int code) {
    fmt::print(code == 0 ? stdout : stderr, "{}", usage_);
    std::exit(code);
  }

  int argc_;
  char** argv_;
  std::string_view program_;
  std::string usage_;
  int i_ = 0;
  std::string_view flag_;
};

/// The flags of the simulated service shared by simulate and metrics_server;
/// true when the current flag was one of them (and its value went into `o`).
inline bool simulation_flag(Args& args, Options& o) {
  const std::string_view a = args.flag();
  if (a == "--seed")
    o.seed = static_cast<std::uint32_t>(args.number(0, 4294967295.0));
  else if (a == "--matches")
    o.matches = static_cast<int>(args.number(1, 1000));
  else if (a == "--cost-scale")
    o.cost_scale = args.number(0, 100);
  else if (a == "--hang-rate")
    o.hang_rate = args.number(0, 1);
  else if (a == "--hang-ms")
    o.hang_ms = args.number(0, 60'000);
  else if (a == "--soft-timeout")
    o.soft_timeout_ms = args.number(0, 60'000);
  else
    return false;
  return true;
}

/// The usage lines of simulation_flag's flags, and of --help.
inline constexpr std::string_view simulation_usage = R"(  --seed N           random seed (default 42): same fixtures, events and traffic
  --matches N        matches per simulated day (default 30; 3 in 10 are tomorrow's)
  --cost-scale X     multiplies the model's 0.2-2 ms CPU cost (default 0.05, so a
                     day takes seconds; 1 burns the real cost)
  --hang-rate P      share of model calls that hang (default 0.001)
  --hang-ms MS       how long a hang lasts, in real milliseconds (default 25)
  --soft-timeout MS  Config::compute_soft_timeout (default 2; 0 = off): a request
                     with a usable stale value gets it after MS instead of waiting
  --help             this text
)";

/// "HOST:PORT" (or "HOST", port 6379) as a host and a port in [1, 65535];
/// nullopt when it is not one.
inline std::optional<std::pair<std::string, int>> host_port(const std::string& text) {
  const auto colon = text.rfind(':');
  std::string host = text.substr(0, colon);
  const int port = colon == std::string::npos ? 6379 : std::atoi(text.c_str() + colon + 1);
  if (host.empty() || port <= 0 || port > 65535) return std::nullopt;
  return std::pair{std::move(host), port};
}

}  // namespace sim
