// smartcache - public entry point for TieredStore (target smartcache::redis: needs hiredis).
// SPDX-License-Identifier: MIT
#pragma once

#include <smartcache/stores/redis_codec.hpp>
#include <smartcache/stores/tiered_store.hpp>
