// A tiny command-line reader shared by the examples. Example code.
// SPDX-License-Identifier: MIT
#pragma once

#include <cstdlib>
#include <string>
#include <string_view>

#include <fmt/format.h>

namespace sim {

/// Walks argv flag by flag; a bad value prints why and calls usage(2).
///
/// Example:
///   sim::Args args(argc, argv, "simulate", usage);
///   while (args.next())
///     if (args.flag() == "--seed") seed = static_cast<unsigned>(args.number(0, 1e9));
class Args {
 public:
  using Usage = void (*)(int);
  Args(int argc, char** argv, std::string_view program, Usage usage)
      : argc_(argc), argv_(argv), program_(program), usage_(usage) {}

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
    usage_(code);
    std::exit(code);
  }

  int argc_;
  char** argv_;
  std::string_view program_;
  Usage usage_;
  int i_ = 0;
  std::string_view flag_;
};

}  // namespace sim
