// smartcache - umbrella header: everything except what needs hiredis
// (<smartcache/redis_store.hpp>).
// SPDX-License-Identifier: MIT
#pragma once

#include <smartcache/cache_config.hpp>
#include <smartcache/log.hpp>
#include <smartcache/memory_store.hpp>
#include <smartcache/metrics/counters.hpp>
#include <smartcache/metrics/metrics.hpp>
#include <smartcache/metrics/prometheus.hpp>
#include <smartcache/metrics/records.hpp>
#include <smartcache/metrics/snapshot.hpp>
#include <smartcache/metrics/stats.hpp>
#include <smartcache/policy.hpp>
#include <smartcache/smart_cache.hpp>
#include <smartcache/store.hpp>
#include <smartcache/tags.hpp>
#include <smartcache/types.hpp>
#include <smartcache/version.hpp>
