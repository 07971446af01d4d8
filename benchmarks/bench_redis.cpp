// RedisStore benchmarks: a fresh hit through SmartCache over RedisStore vs a
// raw hiredis GET of the same bytes on the same server, the put path vs a
// raw SET, and how a put grows with its tag count (BM_RedisStorePutTags: it
// must grow linearly; Redis serves nobody else while the put script runs).
// Ratios between rows of one run are the figure; absolute times depend on
// the machine.
//
// Uses the redis-server of SMARTCACHE_BENCH_REDIS=host:port when set, else
// starts its own on a free loopback port (redis-server must be in PATH).
//
//   ./bench_redis --benchmark_min_time=2 --benchmark_repetitions=5
//                 --benchmark_report_aggregates_only=true   (one command line)
#include <benchmark/benchmark.h>

#include <smartcache/redis_store.hpp>
#include <smartcache/tiered_store.hpp>
#include <smartcache/cache.hpp>

#include "../tests/support/redis_server.hpp"

#include <algorithm>
#include <chrono>
#include <cstdlib>
#include <memory>
#include <stdexcept>
#include <string>
#include <vector>

namespace {

using namespace std::chrono_literals;
using Store = smartcache::RedisStore<std::string>;
using Cache = smartcache::SmartCache<Store>;

// The server every benchmark talks to, started once.
struct Server {
  std::unique_ptr<smartcache_test::RedisServer> owned;
  std::string host = "127.0.0.1";
  int port = 0;

  Server() {
    if (const char* env = std::getenv("SMARTCACHE_BENCH_REDIS"); env && *env) {
      const std::string s = env;
      const auto colon = s.rfind(':');
      if (colon == std::string::npos) throw std::runtime_error("SMARTCACHE_BENCH_REDIS: host:port");
      host = s.substr(0, colon);
      port = std::stoi(s.substr(colon + 1));
    } else {
      owned = std::make_unique<smartcache_test::RedisServer>();
      port = owned->port();
    }
  }
};

Server& server() {
  static Server s;
  return s;
}

smartcache::RedisOptions options(std::string prefix) {
  smartcache::RedisOptions o = smartcache_test::redis_test_options(server().port, std::move(prefix));
  o.host = server().host;
  return o;
}

smartcache::detail::RedisConnection raw_connection() {
  return smartcache::detail::RedisConnection::open(server().host, server().port, 1000ms, 1000ms, "",
                                                   0);
}

std::string payload(std::int64_t size) { return std::string(static_cast<std::size_t>(size), 'p'); }

// An entry of `size` bytes stored at `now`: fresh for 1 h, stale for 1 h more.
smartcache::Entry<std::string> bench_entry(std::int64_t size, std::chrono::system_clock::time_point now,
                                           std::vector<std::string> tags = {"match:1", "btts"}) {
  smartcache::Entry<std::string> e;
  e.value = payload(size);
  e.stored_at = now;
  e.fresh_until = now + 1h;
  e.stale_until = now + 2h;
  e.tags = std::move(tags);
  return e;
}

// The bytes a RedisStore keeps for a bench_entry of `size` bytes (frame included).
std::string stored_bytes(std::int64_t size) {
  return smartcache::detail::encode_entry<smartcache::DefaultCodec<std::string>>(
      bench_entry(size, std::chrono::system_clock::now()));
}

// A SmartCache over RedisStore (keys under `prefix`) holding one fresh entry
// "k" of `size` bytes with two tags; hit() reads it.
struct FreshEntry {
  FreshEntry(std::string prefix, std::int64_t size)
      : cache(std::make_shared<Store>(options(std::move(prefix))), smartcache::Config{}, metrics),
        value(payload(size)) {
    (void)hit();
  }
  smartcache::Result<std::string> hit() {
    return cache.get_or_compute("k", [this] { return value; }, ctx);
  }
  // Fails the benchmark unless every request but the first was a fresh hit.
  void check(benchmark::State& state) const {
    const auto s = metrics.get_stats();
    if (s.strategy_compute > 1 || s.cache_hit_fresh + s.strategy_compute != s.total_requests)
      state.SkipWithError("not every request was a fresh hit");
  }

  smartcache::CacheMetrics metrics;
  Cache cache;
  std::string value;
  smartcache::RequestContext ctx{{"match:1", "btts"}, std::nullopt, {}};
};

// Baseline: one GET round trip with plain hiredis, of exactly the bytes a
// RedisStore keeps for the same value (frame included).
void BM_RawHiredisGet(benchmark::State& state) {
  const std::string frame = stored_bytes(state.range(0));
  auto conn = raw_connection();
  (void)conn.command({"SET", "bench:raw:k", frame});
  // The measured path is plain hiredis, without any of our wrappers.
  redisContext* ctx = redisConnect(server().host.c_str(), server().port);
  if (!ctx || ctx->err) {
    state.SkipWithError("connect failed");
    return;
  }
  for (auto _ : state) {
    auto* reply = static_cast<redisReply*>(redisCommand(ctx, "GET %s", "bench:raw:k"));
    if (!reply || reply->type != REDIS_REPLY_STRING || reply->len != frame.size()) {
      state.SkipWithError("raw GET failed");
      break;
    }
    benchmark::DoNotOptimize(reply->str);
    freeReplyObject(reply);
  }
  redisFree(ctx);
}

// RedisStore::get alone: GET + frame decode.
void BM_RedisStoreGet(benchmark::State& state) {
  Store store(options("bench:store:"));
  const auto now = std::chrono::system_clock::now();
  const auto e = bench_entry(state.range(0), now);
  store.put("k", e, now);
  for (auto _ : state) {
    auto got = store.get("k", now);
    if (!got) {
      state.SkipWithError("store miss");
      break;
    }
    benchmark::DoNotOptimize(got->value.data());
  }
}

// The figure: a fresh hit through SmartCache (zone, VIX, metrics, one GET).
void BM_SmartCacheFreshHit(benchmark::State& state) {
  FreshEntry f("bench:cache:", state.range(0));
  for (auto _ : state) {
    auto r = f.hit();
    benchmark::DoNotOptimize(r.value.data());
  }
  f.check(state);
}

// The same comparison, paired: each iteration times one raw GET and one
// SmartCache hit back to back, so load on a shared machine hits both alike.
// Counter `hit_over_raw` is total hit time / total raw time (target <= 1.2).
void BM_PairedHitVsRawGet(benchmark::State& state) {
  using clock = std::chrono::steady_clock;
  FreshEntry f("bench:paired:", state.range(0));
  const std::string raw_key = f.cache.store().entry_key("k");  // the very bytes the hit reads
  redisContext* ctx_raw = redisConnect(server().host.c_str(), server().port);
  if (!ctx_raw || ctx_raw->err) {
    state.SkipWithError("connect failed");
    return;
  }
  clock::duration raw_total{}, hit_total{};
  for (auto _ : state) {
    const auto t0 = clock::now();
    auto* reply = static_cast<redisReply*>(
        redisCommand(ctx_raw, "GET %b", raw_key.data(), raw_key.size()));
    const auto t1 = clock::now();
    auto r = f.hit();
    const auto t2 = clock::now();
    if (!reply || reply->type != REDIS_REPLY_STRING) {
      state.SkipWithError("raw GET failed");
      if (reply) freeReplyObject(reply);
      break;
    }
    benchmark::DoNotOptimize(reply->str);
    benchmark::DoNotOptimize(r.value.data());
    freeReplyObject(reply);
    raw_total += t1 - t0;
    hit_total += t2 - t1;
  }
  redisFree(ctx_raw);
  f.check(state);
  const double iters = static_cast<double>(std::max<benchmark::IterationCount>(state.iterations(), 1));
  state.counters["raw_us"] = std::chrono::duration<double, std::micro>(raw_total).count() / iters;
  state.counters["hit_us"] = std::chrono::duration<double, std::micro>(hit_total).count() / iters;
  state.counters["hit_over_raw"] =
      raw_total.count() > 0 ? static_cast<double>(hit_total.count()) / static_cast<double>(raw_total.count()) : 0.0;
}

// Put path baseline: one raw SET ... PX of the same bytes.
void BM_RawHiredisSet(benchmark::State& state) {
  const std::string frame = stored_bytes(state.range(0));
  auto conn = raw_connection();
  for (auto _ : state) {
    auto reply = conn.command({"SET", "bench:raw:set", frame, "PX", "7200000"});
    benchmark::DoNotOptimize(reply.get());
  }
}

// RedisStore::put with tags: SET + SADD/PEXPIRE per tag in one Lua call.
void BM_RedisStorePutTagged(benchmark::State& state) {
  Store store(options("bench:put:"));
  const auto now = std::chrono::system_clock::now();
  const auto e = bench_entry(state.range(0), now);
  for (auto _ : state) store.put("k", e, now);
}

// RedisStore::put without tags: a plain SET ... PX.
void BM_RedisStorePutUntagged(benchmark::State& state) {
  Store store(options("bench:put:"));
  const auto now = std::chrono::system_clock::now();
  const auto e = bench_entry(state.range(0), now, {});
  for (auto _ : state) store.put("u", e, now);
}

// RedisStore::put of an entry with state.range(0) tags, each after its own
// lookup (as SmartCache does), so the script checks the invalidation markers.
// state.range(1) = 1: every tag's scope marker hash and the any-of hash exist
// (each tag was invalidated once as a scope, with a market the entry lacks),
// the worst case for the check; 0: no invalidation happened. Only the put is
// timed (manual time): the lookup is one MGET whatever the tags.
void BM_RedisStorePutTags(benchmark::State& state) {
  using clock = std::chrono::steady_clock;
  const auto n = static_cast<std::size_t>(state.range(0));
  const bool markers = state.range(1) != 0;
  const std::string prefix = "bench:tags:" + std::to_string(n) + (markers ? ":m:" : ":0:");
  Store store(options(prefix));
  store.clear();
  std::vector<std::string> tags;
  tags.reserve(n);
  for (std::size_t i = 0; i < n; ++i) tags.push_back("tag:" + std::to_string(i));
  if (markers) {
    for (const auto& t : tags) (void)store.erase_tagged(t, {"other-market"});
    (void)store.erase_tagged("", {"other-market"});
  }
  const auto now = std::chrono::system_clock::now();
  const auto e = bench_entry(64, now, tags);
  for (auto _ : state) {
    (void)store.get("k", now);
    const auto t0 = clock::now();
    store.put("k", e, now);
    state.SetIterationTime(std::chrono::duration<double>(clock::now() - t0).count());
  }
  // A lookup does not return tags: the entry is stored with all of them when
  // its last tag erases it.
  if (!store.get("k", now) || store.erase_tagged("tag:" + std::to_string(n - 1), {}) != 1)
    state.SkipWithError("the tagged entry was not stored");
  state.counters["tags"] = static_cast<double>(n);
}

}  // namespace

// TieredStore. Targets: a memory-tier fresh hit through SmartCache <= 1.3x a
// fresh hit through SmartCache<MemoryStore> of the same value.
using Tiered = smartcache::TieredStore<std::string>;

smartcache::TieredOptions tiered_options(std::string prefix, std::size_t capacity) {
  smartcache::TieredOptions o;
  o.redis = options(std::move(prefix));
  o.memory_capacity = capacity;
  o.memory_max_ttl = 1h;
  return o;
}

template <class S>
void fresh_hits(benchmark::State& state, std::shared_ptr<S> store) {
  smartcache::CacheMetrics metrics;
  smartcache::SmartCache<S> cache(store, smartcache::Config{}, metrics);
  const std::string value = payload(state.range(0));
  const smartcache::RequestContext ctx{{"match:1", "btts"}, std::nullopt, {}};
  (void)cache.get_or_compute("k", [&] { return value; }, ctx);
  for (auto _ : state) {
    auto r = cache.get_or_compute("k", [&] { return value; }, ctx);
    benchmark::DoNotOptimize(r.value.data());
  }
  const auto st = metrics.get_stats();
  if (st.strategy_compute > 1) state.SkipWithError("not every request was a fresh hit");
}

void BM_MemoryStoreCacheHit(benchmark::State& state) {
  fresh_hits(state, std::make_shared<smartcache::MemoryStore<std::string>>(1000));
}

void BM_TieredMemoryTierHit(benchmark::State& state) {
  auto store = std::make_shared<Tiered>(tiered_options("bench:tiered:", 1000));
  if (!store->coherent()) {
    state.SkipWithError("no notification subscription");
    return;
  }
  fresh_hits(state, store);
}

// A Redis-tier hit: the memory tier misses, Redis answers, the memory tier is
// filled. The target (<= 1.2x) compares it with RedisStore::get of the same
// entries. Both walk the same 4096 keys round-robin; the memory tier holds 64,
// so every lookup misses it (counter `redis_tier_share`, expected 1).
constexpr int redis_tier_keys = 4096;

template <class S>
void round_robin_gets(benchmark::State& state, S& store, bool count_tiers) {
  const auto now = std::chrono::system_clock::now();
  std::vector<std::string> keys;
  for (int i = 0; i < redis_tier_keys; ++i) keys.push_back("k" + std::to_string(i));
  const auto e = bench_entry(state.range(0), now);
  for (const auto& k : keys) store.put(k, e, now);
  std::size_t i = 0, from_redis = 0, lookups = 0;
  for (auto _ : state) {
    auto got = store.get(keys[i], now);
    i = (i + 1) % keys.size();
    if (!got) {
      state.SkipWithError("store miss");
      break;
    }
    ++lookups;
    if (count_tiers && got->tier == smartcache::Tier::redis) ++from_redis;
    benchmark::DoNotOptimize(got->value.data());
  }
  if (count_tiers && lookups > 0)
    state.counters["redis_tier_share"] = static_cast<double>(from_redis) / static_cast<double>(lookups);
}

void BM_RedisStoreGetRoundRobin(benchmark::State& state) {
  Store store(options("bench:rr:"));
  round_robin_gets(state, store, false);
}

void BM_TieredRedisTierHit(benchmark::State& state) {
  Tiered store(tiered_options("bench:tiered-rr:", 64));
  if (!store.coherent()) {
    state.SkipWithError("no notification subscription");
    return;
  }
  round_robin_gets(state, store, true);
}

BENCHMARK(BM_MemoryStoreCacheHit)->Arg(64);
BENCHMARK(BM_TieredMemoryTierHit)->Arg(64);
BENCHMARK(BM_RedisStoreGetRoundRobin)->Arg(64);
BENCHMARK(BM_TieredRedisTierHit)->Arg(64);
BENCHMARK(BM_RawHiredisGet)->Arg(64)->Arg(4096);
BENCHMARK(BM_RedisStoreGet)->Arg(64)->Arg(4096);
BENCHMARK(BM_SmartCacheFreshHit)->Arg(64)->Arg(4096);
BENCHMARK(BM_PairedHitVsRawGet)->Arg(64)->Arg(4096);
BENCHMARK(BM_RawHiredisSet)->Arg(64)->Arg(4096);
BENCHMARK(BM_RedisStorePutUntagged)->Arg(64)->Arg(4096);
BENCHMARK(BM_RedisStorePutTagged)->Arg(64)->Arg(4096);
BENCHMARK(BM_RedisStorePutTags)
    ->ArgsProduct({{1, 10, 100, 1000, 2000, 10000}, {0, 1}})
    ->UseManualTime()
    ->Unit(benchmark::kMicrosecond);

BENCHMARK_MAIN();
