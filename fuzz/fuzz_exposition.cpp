// smartcache fuzzing - namespace, constant labels and buckets given to the exposition.
// The libFuzzer entry point; the target itself is fuzz_exposition.hpp, which the
// regression tests (tests/fault/test_fuzz_regressions.cpp) include too.
// SPDX-License-Identifier: MIT
#include "fuzz_exposition.hpp"

SMARTCACHE_FUZZ_ENTRY(smartcache_fuzz::exposition::run)
