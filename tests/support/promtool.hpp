// smartcache tests - run `promtool check metrics` on a text exposition.
// SPDX-License-Identifier: MIT
//
// The build defines SMARTCACHE_PROMTOOL_PATH to promtool's full path, or to ""
// when it was not found. Tests call run_promtool_check_metrics() and, when it
// returns nullopt, fail under CI (the CI variable is set) and warn otherwise.
#pragma once

#include <cstdio>
#include <cstdlib>
#include <optional>
#include <string>
#include <string_view>

#include <sys/wait.h>
#include <unistd.h>

#ifndef SMARTCACHE_PROMTOOL_PATH
#define SMARTCACHE_PROMTOOL_PATH ""
#endif

namespace smartcache_test {

struct PromtoolResult {
  int exit_code = -1;
  std::string output;  // stdout and stderr together
};

/// True when the environment variable CI is set to a non-empty value.
inline bool running_in_ci() {
  const char* ci = std::getenv("CI");
  return ci != nullptr && *ci != '\0';
}

/// Runs `promtool check metrics < file` on `text`; nullopt when the build found
/// no promtool (or a temporary file cannot be written).
inline std::optional<PromtoolResult> run_promtool_check_metrics(std::string_view text) {
  const std::string promtool = SMARTCACHE_PROMTOOL_PATH;
  if (promtool.empty()) return std::nullopt;

  char path[] = "/tmp/smartcache-promtool-XXXXXX";
  const int fd = ::mkstemp(path);
  if (fd < 0) return std::nullopt;
  std::FILE* file = ::fdopen(fd, "w");
  if (file == nullptr) {
    ::close(fd);
    std::remove(path);
    return std::nullopt;
  }
  const bool written = std::fwrite(text.data(), 1, text.size(), file) == text.size();
  std::fclose(file);
  if (!written) {
    std::remove(path);
    return std::nullopt;
  }

  PromtoolResult result;
  const std::string command = "'" + promtool + "' check metrics < '" + path + "' 2>&1";
  if (std::FILE* pipe = ::popen(command.c_str(), "r")) {
    char buffer[4096];
    std::size_t n = 0;
    while ((n = std::fread(buffer, 1, sizeof buffer, pipe)) > 0) result.output.append(buffer, n);
    const int status = ::pclose(pipe);
    result.exit_code = WIFEXITED(status) ? WEXITSTATUS(status) : -1;
  }
  std::remove(path);
  return result;
}

}  // namespace smartcache_test
