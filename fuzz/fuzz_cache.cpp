// smartcache fuzzing - keys, tags, contexts and event types given to SmartCache + MemoryStore.
// The libFuzzer entry point; the target itself is fuzz_cache.hpp, which the
// regression tests (tests/fault/test_fuzz_regressions.cpp) include too.
// SPDX-License-Identifier: MIT
#include "fuzz_cache.hpp"

SMARTCACHE_FUZZ_ENTRY(smartcache_fuzz::cache::run)
