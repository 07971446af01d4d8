// smartcache tests - the one Catch2 main, compiled once and linked into every
// test executable (the build uses it with Catch2 v2; with v3 it links
// Catch2::Catch2WithMain instead, but this file works with both).
// SPDX-License-Identifier: MIT
#define CATCH_CONFIG_MAIN  // v2: this translation unit provides main()
#include "catch.hpp"

#if SMARTCACHE_CATCH2_V3
int main(int argc, char* argv[]) {
  return Catch::Session().run(argc, argv);
}
#endif
