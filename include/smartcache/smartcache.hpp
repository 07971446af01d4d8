// smartcache - umbrella header: everything except redis_store.hpp (which needs hiredis).
// SPDX-License-Identifier: MIT
#pragma once

#define SMARTCACHE_VERSION_MAJOR 0
#define SMARTCACHE_VERSION_MINOR 1
#define SMARTCACHE_VERSION_PATCH 0

#include "counters.hpp"
#include "log.hpp"
#include "metrics.hpp"
#include "prometheus.hpp"
#include "stats.hpp"
#include "store.hpp"
#include "types.hpp"
#if __has_include("smart_cache.hpp")
#include "smart_cache.hpp"
#endif
