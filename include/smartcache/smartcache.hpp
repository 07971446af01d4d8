// smartcache - umbrella header: everything except what needs hiredis
// (<smartcache/redis_store.hpp>).
// SPDX-License-Identifier: MIT
#pragma once

#include <smartcache/cache.hpp>
#include <smartcache/config.hpp>
#include <smartcache/log.hpp>
#include <smartcache/metrics/counters.hpp>
#include <smartcache/metrics/metrics.hpp>
#include <smartcache/metrics/negotiation.hpp>
#include <smartcache/metrics/openmetrics.hpp>
#include <smartcache/metrics/prometheus.hpp>
#include <smartcache/metrics/records.hpp>
#include <smartcache/metrics/snapshot.hpp>
#include <smartcache/metrics/stats.hpp>
#include <smartcache/policy.hpp>
#include <smartcache/request.hpp>
#include <smartcache/stores/store.hpp>
#include <smartcache/stores/memory_store.hpp>
#include <smartcache/tags.hpp>
#include <smartcache/types.hpp>
#include <smartcache/version.hpp>
