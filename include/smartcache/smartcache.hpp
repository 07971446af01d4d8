// smartcache - umbrella header: everything except redis_store.hpp (which needs hiredis).
// SPDX-License-Identifier: MIT
#pragma once

#define SMARTCACHE_VERSION_MAJOR 0
#define SMARTCACHE_VERSION_MINOR 1
#define SMARTCACHE_VERSION_PATCH 0

#include "cache_config.hpp"
#include "counters.hpp"
#include "histogram.hpp"
#include "log.hpp"
#include "memory_store.hpp"
#include "metrics.hpp"
#include "policy.hpp"
#include "prometheus.hpp"
#include "records.hpp"
#include "smart_cache.hpp"
#include "stats.hpp"
#include "store.hpp"
#include "tags.hpp"
#include "types.hpp"
