// smartcache fuzzing - the RedisStore entry frame decoder on arbitrary bytes.
// The libFuzzer entry point; the target itself is fuzz_redis_codec.hpp, which the
// regression tests (tests/fault/test_fuzz_regressions.cpp) include too.
// SPDX-License-Identifier: MIT
#include "fuzz_redis_codec.hpp"

SMARTCACHE_FUZZ_ENTRY(smartcache_fuzz::redis_codec::run)
