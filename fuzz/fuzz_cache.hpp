// smartcache fuzzing - keys, tags, contexts and event types given to SmartCache + MemoryStore.
// SPDX-License-Identifier: MIT
//
// The bytes drive a sequence of get_or_compute / invalidate_by_event /
// invalidate_all / add_rule / clock moves over SmartCache<MemoryStore<std::string>>
// (small capacity, so it evicts; reads and writes fail on the fuzzer's command)
// with a fake wall clock that jumps both ways,
// a fake latency clock that may run backwards, and an inline executor (stale
// hits refresh before the request returns). Every computed value is unique,
// "<key>#<n>". Invariants:
//   - the only exception that reaches the caller is the compute's own;
//   - a served value belongs to the requested key;
//   - no value an invalidation covered is ever served again (the model
//     remembers the tags of every value computed for each key);
//   - sum(strategy_*) == total_requests == requests made, one VIX status per
//     request, serve_fresh/serve_stale counts equal the results seen;
//   - every injected store failure is counted exactly once in cache_errors.
#pragma once
#include <chrono>
#include <cstdint>
#include <map>
#include <optional>
#include <memory>
#include <set>
#include <string>
#include <vector>

#include <smartcache/stores/memory_store.hpp>
#include <smartcache/smartcache.hpp>
#include <smartcache/cache.hpp>

#include "fuzz_common.hpp"

namespace smartcache_fuzz::cache {

struct ComputeFailure {
  int code;
};

// MemoryStore whose reads and writes fail when the fuzzer says so: each get or
// put consumes one bit of `fail_bits` and throws StoreError when it is set.
// Erasures never fail (a failed erasure may legitimately leave stale data).
class FlakyStore {
 public:
  using value_type = std::string;
  explicit FlakyStore(std::size_t capacity) : inner_(capacity) {}

  std::uint32_t fail_bits = 0;
  std::uint64_t injected = 0;

  std::optional<smartcache::StoredValue<std::string>> get(std::string_view key,
                                                          smartcache::WallTime now) {
    maybe_fail();
    return inner_.get(key, now);
  }
  std::size_t put(std::string_view key, smartcache::Entry<std::string> e, smartcache::WallTime now) {
    maybe_fail();
    return inner_.put(key, std::move(e), now);
  }
  bool erase(std::string_view key) { return inner_.erase(key); }
  std::size_t erase_tagged(std::string_view scope, const std::vector<std::string>& any_of) {
    return inner_.erase_tagged(scope, any_of);
  }
  std::size_t clear() { return inner_.clear(); }
  std::size_t size() { return inner_.size(); }

 private:
  void maybe_fail() {
    const bool fail_now = (fail_bits & 1u) != 0;
    fail_bits >>= 1;
    if (!fail_now) return;
    ++injected;
    throw smartcache::StoreError("fuzzed store failure");
  }
  smartcache::MemoryStore<std::string> inner_;
};

using Store = FlakyStore;
using Cache = smartcache::SmartCache<Store>;

// Every value computed for a key that has not been invalidated yet, with its tags.
struct Model {
  std::map<std::string, std::vector<std::pair<std::string, std::vector<std::string>>>> live;
  std::set<std::string> dead;
  std::uint64_t next_id = 0;
  std::uint64_t requests = 0, fresh = 0, stale = 0;
};

inline bool has(const std::vector<std::string>& tags, const std::string& t) {
  for (const auto& x : tags)
    if (x == t) return true;
  return false;
}

// The Store rule: tagged `scope` (when non-empty) AND any of `markets` (when non-empty).
inline bool matches(const std::vector<std::string>& tags, const smartcache::InvalidationPlan& p) {
  if (p.full) return true;
  if (p.erases_nothing()) return false;
  if (!p.scope.empty() && !has(tags, p.scope)) return false;
  for (const auto& m : p.markets)
    if (has(tags, m)) return true;
  return false;
}

inline void kill(Model& model, const smartcache::InvalidationPlan& p) {
  for (auto& [key, values] : model.live) {
    auto it = values.begin();
    while (it != values.end()) {
      if (matches(it->second, p)) {
        model.dead.insert(it->first);
        it = values.erase(it);
      } else {
        ++it;
      }
    }
  }
}

inline std::string small_str(ByteReader& in) {
  // Mostly from a tiny alphabet so that keys and tags collide; sometimes raw.
  const auto b = in.byte();
  if (b < 200) return std::string(1, static_cast<char>('a' + b % 6));
  return in.str(16);
}

inline int run(const std::uint8_t* data, std::size_t size) {
  ByteReader in(data, size);
  using namespace std::chrono;
  auto wall_ns = std::make_shared<std::int64_t>(duration_cast<nanoseconds>(hours(24 * 365 * 50)).count());
  auto steady_ns = std::make_shared<std::int64_t>(0);

  smartcache::CacheMetrics metrics;
  smartcache::Config cfg;
  cfg.wall_clock = [wall_ns] { return system_clock::time_point(duration_cast<system_clock::duration>(nanoseconds(*wall_ns))); };
  cfg.latency_clock = [steady_ns] { return steady_clock::time_point(nanoseconds(*steady_ns += 1000)); };
  cfg.executor = [](std::function<void()> task) { task(); };
  cfg.ttl_jitter = static_cast<double>(in.byte() % 4) / 10.0;
  cfg.stale_if_error = milliseconds(in.byte() % 2 ? 300000 : 0);
  cfg.refresh_retry_backoff = milliseconds(in.byte() % 2 ? 10000 : 0);
  auto store = std::make_shared<Store>(std::size_t{1} + in.byte() % 24);
  auto cache = std::make_unique<Cache>(store, cfg, metrics);
  Model model;

  int steps = 0;
  while (!in.empty() && steps++ < 200) {
    switch (in.byte() % 9) {
      case 0:
      case 1:
      case 2: {  // a request
        const std::string key = small_str(in);
        smartcache::RequestContext ctx;
        const std::size_t tags = in.byte() % 4;
        for (std::size_t i = 0; i < tags; ++i) ctx.tags.push_back(small_str(in));
        const auto k = in.byte();
        if (k & 1) ctx.kickoff = system_clock::time_point(duration_cast<system_clock::duration>(nanoseconds(*wall_ns))) +
                                 minutes(static_cast<std::int16_t>(in.u16()) % 3000);
        const std::size_t feeds = (k >> 1) % 3;
        for (std::size_t i = 0; i < feeds; ++i)
          ctx.vix[small_str(in)] = static_cast<smartcache::VixStatus>(in.byte() % 3);
        const bool throws = (k >> 3) % 4 == 0;
        Model* m = &model;
        auto compute = [m, key, tags_copy = ctx.tags, throws]() -> std::string {
          if (throws) throw ComputeFailure{7};
          std::string v = key + "#" + std::to_string(m->next_id++);
          m->live[key].emplace_back(v, tags_copy);
          return v;
        };
        ++model.requests;
        try {
          auto r = cache->get_or_compute(key, compute, ctx);
          const std::string prefix = key + "#";
          SMARTCACHE_FUZZ_CHECK(r.value.compare(0, prefix.size(), prefix) == 0 &&
                                    r.value.find('#', prefix.size()) == std::string::npos,
                                "a served value must belong to the requested key");
          if (r.strategy == smartcache::Strategy::serve_fresh || r.strategy == smartcache::Strategy::serve_stale) {
            SMARTCACHE_FUZZ_CHECK(model.dead.count(r.value) == 0, "an invalidated value was served: " + r.value);
            (r.strategy == smartcache::Strategy::serve_fresh ? model.fresh : model.stale)++;
          }
        } catch (const ComputeFailure& f) {
          SMARTCACHE_FUZZ_CHECK(f.code == 7, "the compute's own exception must arrive intact");
        } catch (...) {
          fail("get_or_compute threw something that is not the compute's exception");
        }
        break;
      }
      case 3: {  // an event
        smartcache::Event ev{small_str(in), in.byte() % 3 ? small_str(in) : std::string()};
        const smartcache::InvalidationPlan plan = cache->tag_manager().plan(ev);
        cache->invalidate_by_event(ev);
        kill(model, plan);
        break;
      }
      case 4: {
        if (in.byte() % 4 == 0) {
          cache->invalidate_all();
          smartcache::InvalidationPlan all;
          all.full = true;
          kill(model, all);
        }
        break;
      }
      case 5: {  // a rule
        std::vector<std::string> markets;
        const std::string type = small_str(in);
        const std::size_t n = in.byte() % 4;
        for (std::size_t i = 0; i < n; ++i) markets.push_back(small_str(in));
        cache->tag_manager().add_rule(type, markets);
        break;
      }
      case 6: {  // the wall clock moves: mostly forward, sometimes a jump back
        const auto b = in.byte();
        const std::int64_t seconds = static_cast<std::int64_t>(in.u16()) * (b % 5 == 0 ? -1 : 1);
        *wall_ns += seconds * 1'000'000'000;
        break;
      }
      case 7: {  // the latency clock runs backwards
        *steady_ns -= static_cast<std::int64_t>(in.u16()) * 1'000'000;
        break;
      }
      default: {  // the next store reads and writes fail as these bits say
        store->fail_bits = static_cast<std::uint32_t>(in.u16());
        break;
      }
    }
  }

  const smartcache::Stats s = metrics.get_stats();
  const std::uint64_t strategies = s.strategy_bypass + s.strategy_compute + s.strategy_serve_stale + s.strategy_serve_fresh;
  SMARTCACHE_FUZZ_CHECK(s.total_requests == model.requests, "total_requests must count every request");
  SMARTCACHE_FUZZ_CHECK(strategies == s.total_requests, "exactly one strategy per request");
  SMARTCACHE_FUZZ_CHECK(s.vix_normal + s.vix_warning_detected + s.vix_panic_detected == s.total_requests,
                        "exactly one VIX status per request");
  SMARTCACHE_FUZZ_CHECK(s.strategy_serve_fresh == model.fresh && s.strategy_serve_stale == model.stale,
                        "strategy counters must match the results seen");
  SMARTCACHE_FUZZ_CHECK(s.cache_hit_fresh == s.strategy_serve_fresh, "a fresh hit is served fresh");
  SMARTCACHE_FUZZ_CHECK(s.cache_errors == store->injected, "every store failure is counted once in cache_errors");
  cache.reset();  // destruction with nothing pending must be clean (LSan)
  return 0;
}

}  // namespace smartcache_fuzz::cache
