// smartcache - the library's version: the one place it is written (CMake reads it).
// SPDX-License-Identifier: MIT
#pragma once

#define SMARTCACHE_VERSION_MAJOR 0
#define SMARTCACHE_VERSION_MINOR 2
#define SMARTCACHE_VERSION_PATCH 0

namespace smartcache {

/// The version as a number: major * 10000 + minor * 100 + patch.
///
/// Example: `static_assert(smartcache::version >= 200);`
inline constexpr int version =
    SMARTCACHE_VERSION_MAJOR * 10000 + SMARTCACHE_VERSION_MINOR * 100 + SMARTCACHE_VERSION_PATCH;

}  // namespace smartcache
