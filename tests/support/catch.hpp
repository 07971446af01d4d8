// smartcache tests - Catch2 shim: one include for Catch2 v3 or v2.
// The build sets SMARTCACHE_CATCH2_V3 (1 for v3, 0 for v2); without it
// (hand compiles) whichever header exists is used.
// Write tests with the subset common to both: TEST_CASE, SECTION, REQUIRE,
// CHECK, CAPTURE, INFO, GENERATE; compare floats with explicit tolerances.
// SPDX-License-Identifier: MIT
#pragma once

#if !defined(SMARTCACHE_CATCH2_V3)
#if defined(__has_include)
#if __has_include(<catch2/catch_all.hpp>)
#define SMARTCACHE_CATCH2_V3 1
#else
#define SMARTCACHE_CATCH2_V3 0
#endif
#else
#define SMARTCACHE_CATCH2_V3 0
#endif
#endif

#if SMARTCACHE_CATCH2_V3
#include <catch2/catch_all.hpp>
#else
#include <catch2/catch.hpp>
#endif
