// smartcache fuzzing - counter and category names given to CacheMetrics' string APIs.
// The libFuzzer entry point; the target itself is fuzz_metric_names.hpp, which the
// regression tests (tests/fault/test_fuzz_regressions.cpp) include too.
// SPDX-License-Identifier: MIT
#include "fuzz_metric_names.hpp"

SMARTCACHE_FUZZ_ENTRY(smartcache_fuzz::metric_names::run)
