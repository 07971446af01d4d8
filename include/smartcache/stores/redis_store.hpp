// smartcache - RedisStore: one cache shared by every instance of a service.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <atomic>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <cstdlib>
#include <exception>
#include <optional>
#include <stdexcept>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <smartcache/detail/redis/frame.hpp>
#include <smartcache/stores/redis_codec.hpp>
#include <smartcache/detail/redis/connection.hpp>
#include <smartcache/detail/redis/keyspace.hpp>
#include <smartcache/detail/redis/pool.hpp>
#include <smartcache/detail/redis/scripts.hpp>
#include <smartcache/detail/redis/seq_memo.hpp>
#include <smartcache/detail/memory/key_hash.hpp>
#include <smartcache/log.hpp>
#include <smartcache/stores/store.hpp>

namespace smartcache {

/// Where the Redis server is and how RedisStore talks to it.
///
/// Example:
///   smartcache::RedisOptions o;
///   o.host = "redis.internal";
///   o.key_prefix = "pricing:";      // every key this store writes starts with it
///   o.command_timeout = std::chrono::milliseconds(20);
struct RedisOptions {
  std::string host = "127.0.0.1";
  int port = 6379;
  /// Prefix of every key written: "<prefix>k:<key>" entries, "<prefix>t:<tag>"
  /// tag sets, "<prefix>l:<key>" refresh locks, "<prefix>x:..." invalidation
  /// markers. Must not be empty (the constructor throws std::invalid_argument):
  /// an empty prefix would make clear() erase other applications' "k:*" and
  /// "t:*" keys. clear() and size() match only "<prefix>k:*" and "<prefix>t:*",
  /// so stores whose prefixes nest ("svc:" and "svc:eu:") or share a stem
  /// ("odds" and "odds2") keep apart in one database. The one overlap no
  /// layout can avoid: a prefix equal to another one plus "k:" or "t:" (say
  /// "svc:" and "svc:k:") names keys inside that store's own entries or tag
  /// sets; never choose such a pair.
  std::string key_prefix = "smartcache:";
  std::chrono::milliseconds connect_timeout{100};
  std::chrono::milliseconds command_timeout{50};
  /// Connections opened at most (one per concurrent operation).
  std::size_t pool_size = 4;
  /// After a connection failure, operations fail fast for this long before
  /// one reconnect is tried; the delay doubles per failed try up to the max.
  std::chrono::milliseconds reconnect_backoff_min{100};
  std::chrono::milliseconds reconnect_backoff_max{5000};
  /// Tag sets live this much longer than the longest-lived entry they index.
  std::chrono::milliseconds tag_ttl_slack{std::chrono::minutes(1)};
  /// How long an invalidation is remembered in Redis so that a value whose
  /// compute began before it, on any instance, is refused when put. Computes
  /// slower than this can store a value an invalidation overtook.
  std::chrono::milliseconds invalidation_window{std::chrono::minutes(5)};
  /// Redis 6 ACL user. With a username every connection sends
  /// AUTH <username> <password> (an empty password for a `nopass` user);
  /// without one, AUTH <password> when the password is set (the default
  /// user, `requirepass`); neither set: no AUTH.
  std::string username;
  std::string password;  ///< see username
  int db = 0;            ///< SELECT when non-zero
};

/// A Store (see store.hpp) kept in Redis, so that several processes share
/// entries, invalidations and refresh locks.
///
/// Each entry is one binary-safe Redis string under "<prefix>k:<key>" holding
/// a versioned frame (horizons, tags, then Codec's bytes) and expiring in
/// Redis at its stale_until (SET ... PX). Tags are Redis sets of entry keys
/// under "<prefix>t:<tag>", written atomically with the entry and expiring a
/// little after the last entry they index. erase_tagged is one Lua script.
///
/// Failure behaviour: construction never throws on account of Redis (it
/// connects and sends one PING, bounded by connect_timeout + command_timeout,
/// so that healthy() means something; only an empty key_prefix is refused
/// there); every operation throws StoreError on any failure (down, timeout,
/// error reply, corrupt bytes), which SmartCache counts in cache_errors while
/// it computes. A connection failure (I/O error, timeout, or an error reply
/// that refuses the connection: NOAUTH, WRONGPASS, NOPERM, LOADING,
/// MASTERDOWN, BUSY) is logged (a warning at most every 5 s, with the reason)
/// and makes the store unhealthy and fail fast, without touching the network,
/// until its reconnect backoff expires. Ordinary error replies (WRONGTYPE on
/// a key of this store, ...) fail that operation only.
///
/// The class is thread-safe: every member may be called from any number of
/// threads at once (each operation borrows its own pooled connection).
///
/// Example:
///   smartcache::RedisOptions o;
///   o.port = 6379;
///   auto store = std::make_shared<smartcache::RedisStore<std::string>>(o);
///   smartcache::SmartCache<smartcache::RedisStore<std::string>> cache(store);
///   auto r = cache.get_or_compute("odds:42", [] { return compute_odds(42); });
template <class V, class Codec = DefaultCodec<V>>
class RedisStore {
 public:
  using value_type = V;
  using codec_type = Codec;

  /// Most tags one entry may carry; put() refuses more (see put).
  static constexpr std::size_t max_tags_per_entry = 10'000;

  /// Connects and sends PING: healthy() is true afterwards only when Redis
  /// answered it (a server that accepts connections but never answers, or
  /// refuses us with NOAUTH/WRONGPASS/NOPERM, leaves the store unhealthy and
  /// in backoff). Takes at most connect_timeout + command_timeout. Does not
  /// throw when Redis is unreachable: the store reconnects later.
  /// Throws std::invalid_argument when options.key_prefix is empty.
  explicit RedisStore(RedisOptions options = {})
      : options_(validated(std::move(options))), pool_(pool_settings(options_)) {
    try {
      auto warm = pool_.acquire();
      (void)warm->command({"PING"});
    } catch (...) {
      // Unreachable or refusing now: healthy() is false and the pool retries after backoff.
    }
  }

  RedisStore(const RedisStore&) = delete;
  RedisStore& operator=(const RedisStore&) = delete;

  /// The value and horizons under `key` (the frame's tags are skipped, not
  /// decoded), or nullopt when absent or past stale_until. One round trip (MGET). Throws StoreError on failure, CorruptEntryError
  /// (a StoreError) when the stored bytes do not decode. A key of another
  /// Redis type (a list, a hash, ...) under the entry's name reads as absent:
  /// MGET answers nil for it, and telling it apart would cost a command on
  /// every miss. The put that follows the miss replaces it and logs a warning.
  ///
  /// Example:
  ///   if (auto e = store.get("odds:42", std::chrono::system_clock::now())) use(e->value);
  [[nodiscard]] std::optional<StoredValue<V>> get(std::string_view key, WallTime now) { return read(key, now, true); }

  /// `get` that is not the lookup of a compute: the put that follows on this
  /// thread stays checked against the invalidation sequence of the thread's
  /// last get (or try_lock_refresh) of `key`, not this read's. SmartCache
  /// peeks when it looks at the store after a compute (an abandoned refresh
  /// checking whether something newer landed), so that an invalidation
  /// during that compute still refuses its value.
  [[nodiscard]] std::optional<StoredValue<V>> peek(std::string_view key, WallTime now) { return read(key, now, false); }

  /// Writes (or replaces) the entry, expiring in Redis at entry.stale_until,
  /// and indexes it under each of its tags, atomically and in one round trip.
  /// A key of another Redis type under the entry's name is replaced too; the
  /// put script notices it (TYPE, server-side) and logs a warning, at most
  /// one per 5 s (a put without tags and without a preceding lookup on this
  /// thread is a plain SET, which replaces it silently).
  /// An entry already past stale_until is not written. Neither is a value
  /// that an invalidation (by any instance, matching its tags) overtook since
  /// this thread's get or try_lock_refresh of the key: its compute began
  /// before the invalidation. Never evicts: returns 0.
  ///
  /// Cost: one Lua script, linear in the tags (a few Redis calls per tag:
  /// SADD, PTTL, PEXPIRE, plus the marker checks), during which Redis serves
  /// no other client. Measured on loopback: about 7 ms for 1,000 tags and
  /// 15 ms for 2,000, well under the default 50 ms command_timeout. A put
  /// slower than command_timeout is taken for a slow server (its connection
  /// is dropped, the store backs off and is unhealthy until a probe is
  /// answered) although the script still completes in Redis. So an entry
  /// with more than max_tags_per_entry tags is refused up front with a
  /// StoreError, before anything is sent: it would hold every client of
  /// Redis up for around 100 ms or more and most likely time out.
  ///
  /// Example:
  ///   store.put("odds:42", entry, std::chrono::system_clock::now());
  std::size_t put(std::string_view key, Entry<V> entry, WallTime now) {
    (void)write(key, std::move(entry), now);
    return 0;
  }

  /// `put` that says what it did: the digest of the frame written
  /// (frame_digest), or nullopt when nothing was written (the entry was past
  /// stale_until, or an invalidation overtook its compute). TieredStore uses
  /// it to fill its memory tier only with what Redis holds.
  std::optional<std::uint64_t> write(std::string_view key, Entry<V> entry, WallTime now) {
    return guarded([&]() -> std::optional<std::uint64_t> {
      const std::string seen = detail::SeqMemo::take(this, key);
      if (entry.tags.size() > max_tags_per_entry)
        throw StoreError("smartcache: redis put: " + std::to_string(entry.tags.size()) +
                         " tags exceed the limit of " + std::to_string(max_tags_per_entry) +
                         " per entry (one put would stall Redis for every client)");
      const auto remaining = entry.stale_until - now;
      if (remaining <= WallTime::duration::zero()) return std::nullopt;
      auto px = std::chrono::ceil<std::chrono::milliseconds>(remaining);
      const std::string frame = detail::encode_entry<Codec>(entry);
      const std::string k = entry_key(key);
      const std::string px_text = std::to_string(px.count());
      if (entry.tags.empty() && seen.empty()) {
        auto conn = pool_.acquire();
        detail::RedisConnection::expect_ok(conn->command({"SET", k, frame, "PX", px_text}), "SET");
        return frame_digest(frame);
      }
      std::vector<std::string> tags = std::move(entry.tags);
      std::sort(tags.begin(), tags.end());
      tags.erase(std::unique(tags.begin(), tags.end()), tags.end());
      std::vector<std::string> keys;  // tag sets, then the tags' scope markers
      keys.reserve(2 * tags.size());
      for (const auto& t : tags) keys.push_back(tag_key(t));
      for (const auto& t : tags) keys.push_back(scope_marker_key(t));
      const std::string cleared = cleared_key();
      const std::string any_marker = any_marker_key();
      const std::string numkeys = std::to_string(keys.size() + 3);
      const std::string tag_px = std::to_string((px + options_.tag_ttl_slack).count());
      detail::Command args{numkeys, k, cleared, any_marker};
      for (const auto& tk : keys) args.emplace_back(tk);
      args.insert(args.end(), {std::string_view(frame), std::string_view(px_text),
                               std::string_view(tag_px), std::string_view(seen)});
      for (const auto& t : tags) args.emplace_back(t);
      detail::ReplyPtr reply;
      {
        auto conn = pool_.acquire();
        reply = detail::run_script(*conn, detail::put_script(), std::move(args));
      }
      if (reply->type == REDIS_REPLY_INTEGER && reply->integer == 0) return std::nullopt;  // overtaken
      if (reply->type == REDIS_REPLY_STRING) note_foreign_type(k, std::string(reply->str, reply->len));
      return frame_digest(frame);
    });
  }

  /// Removes the entry under `key`; true when there was one.
  bool erase(std::string_view key) {
    return guarded([&]() -> bool {
      const std::string k = entry_key(key);
      auto conn = pool_.acquire();
      return integer_reply(conn->command({"UNLINK", k}), "UNLINK") > 0;
    });
  }

  /// Erases, atomically (one Lua script), every entry tagged `scope` (ignored
  /// when empty) AND at least one of `any_of` (ignored when empty; both empty
  /// erases nothing). Returns the number of entries erased.
  ///
  /// Example:
  ///   store.erase_tagged("match:42", {"corners", "cards"});
  std::size_t erase_tagged(std::string_view scope, const std::vector<std::string>& any_of) {
    return erase_tagged_keys(scope, any_of).size();
  }

  /// `erase_tagged` that returns the keys it erased (as given to put, without
  /// the prefix), in no particular order.
  ///
  /// Example: `for (auto& k : store.erase_tagged_keys("match:42", {})) forget(k);`
  std::vector<std::string> erase_tagged_keys(std::string_view scope, const std::vector<std::string>& any_of) {
    if (scope.empty() && any_of.empty()) return {};
    return guarded([&]() -> std::vector<std::string> {
      std::vector<std::string> keys;
      std::vector<std::string_view> names;
      if (!scope.empty()) {
        keys.push_back(tag_key(scope));
        names.push_back(scope);
      }
      for (const auto& t : any_of) {
        keys.push_back(tag_key(t));
        names.push_back(t);
      }
      keys.push_back(seq_key());
      keys.push_back(scope.empty() ? any_marker_key() : scope_marker_key(scope));
      const std::string window = std::to_string(window_ms());
      const std::string numkeys = std::to_string(keys.size());
      detail::Command args{numkeys};
      for (const auto& k : keys) args.emplace_back(k);
      args.emplace_back(scope.empty() ? "0" : "1");
      args.insert(args.end(), names.begin(), names.end());
      args.emplace_back(window);
      auto conn = pool_.acquire();
      auto reply = detail::run_script(*conn, detail::erase_tagged_script(), std::move(args));
      if (reply->type != REDIS_REPLY_ARRAY) throw StoreError("smartcache: redis erase_tagged: not an array");
      const std::string entry_prefix = entry_key("");
      std::vector<std::string> erased;
      erased.reserve(reply->elements);
      for (std::size_t i = 0; i < reply->elements; ++i) {
        const redisReply* e = reply->element[i];
        if (e->type != REDIS_REPLY_STRING) continue;
        std::string_view name(e->str, e->len);
        if (name.substr(0, entry_prefix.size()) == entry_prefix) name.remove_prefix(entry_prefix.size());
        erased.emplace_back(name);
      }
      return erased;
    });
  }

  /// Erases every entry ("<prefix>k:*") of this store: one SCAN MATCH, one
  /// UNLINK per SCAN batch (never KEYS, never FLUSHDB). Nothing else is
  /// touched: not the keys of a store whose prefix starts with this one's,
  /// not foreign keys under the prefix, not in-flight refresh locks, not the
  /// invalidation markers, and not the tag sets ("<prefix>t:*"): an entry
  /// written while the clear runs (its compute began after it) must stay
  /// reachable by erase_tagged, and a set unlinked after that put would
  /// orphan it. The sets' members left by the erased entries are dropped by
  /// the next erase_tagged that meets them, and each set expires by itself
  /// (tag_ttl_slack after the longest-lived entry it indexed). Values whose
  /// compute began before the call are refused when put, so a clear is not
  /// undone by a slow compute. Returns the number of entries erased.
  std::size_t clear() {
    return guarded([&]() -> std::size_t {
      std::size_t erased = 0;
      auto conn = pool_.acquire();
      {
        const std::string seq = seq_key(), cleared = cleared_key();
        const std::string window = std::to_string(window_ms());
        (void)detail::run_script(*conn, detail::mark_cleared_script(), {"2", seq, cleared, window});
      }
      // Only this store's entries, by their own pattern: another store's
      // prefix that merely starts with ours ("svc:" / "svc:eu:", "odds" /
      // "odds2") never matches.
      detail::scan_keys(*conn, detail::glob_escape(join("k:", "")) + "*", [&](std::vector<std::string_view>& batch) {
        detail::Command unlink{"UNLINK"};
        unlink.insert(unlink.end(), batch.begin(), batch.end());
        erased += static_cast<std::size_t>(integer_reply(conn->command(unlink), "UNLINK"));
      });
      return erased;
    });
  }

  /// Number of this store's entries in Redis (SCAN; O(keys in the database)).
  [[nodiscard]] std::size_t size() {
    return guarded([&]() -> std::size_t {
      std::unordered_set<std::string> seen;  // SCAN may return a key twice
      auto conn = pool_.acquire();
      detail::scan_keys(*conn, detail::glob_escape(options_.key_prefix + "k:") + "*",
           [&](std::vector<std::string_view>& batch) {
             for (auto k : batch) seen.emplace(k);
           });
      return seen.size();
    });
  }

  /// The digest (frame_digest) of the frame stored under each key, 0 where
  /// there is none (absent, expired, or another Redis type). One MGET.
  /// TieredStore checks with it that what its memory tier holds is what
  /// Redis holds.
  [[nodiscard]] std::vector<std::uint64_t> frame_digests(const std::vector<std::string>& keys) {
    if (keys.empty()) return {};
    return guarded([&]() -> std::vector<std::uint64_t> {
      std::vector<std::string> names;
      names.reserve(keys.size());
      for (const auto& k : keys) names.push_back(entry_key(k));
      detail::Command args{"MGET"};
      args.insert(args.end(), names.begin(), names.end());
      detail::ReplyPtr reply;
      {
        auto conn = pool_.acquire();
        reply = conn->command(args);
      }
      detail::RedisConnection::throw_if_error(reply, "MGET");
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements != keys.size())
        throw StoreError("smartcache: redis MGET: unexpected reply");
      std::vector<std::uint64_t> digests(keys.size(), 0);
      for (std::size_t i = 0; i < keys.size(); ++i) {
        const redisReply* v = reply->element[i];
        if (v->type == REDIS_REPLY_STRING) digests[i] = frame_digest(std::string_view(v->str, v->len));
      }
      return digests;
    });
  }

  /// A 64-bit digest of a stored frame (never 0): what tells two writes of
  /// one key apart.
  [[nodiscard]] static std::uint64_t frame_digest(std::string_view frame) noexcept {
    const std::uint64_t h = detail::key_hash(frame);
    return h == 0 ? 1 : h;
  }

  /// Distributed refresh lock: a token when this caller now owns the refresh
  /// of `key` for `ttl` (SET NX PX), nullopt when someone else does.
  ///
  /// Example:
  ///   if (auto token = store.try_lock_refresh("odds:42", 5s)) {
  ///     refresh(); store.unlock_refresh("odds:42", *token);
  ///   }
  [[nodiscard]] std::optional<std::string> try_lock_refresh(std::string_view key,
                                                            std::chrono::milliseconds ttl) {
    return guarded([&]() -> std::optional<std::string> {
      const std::string k = lock_key(key);
      const std::string seq = seq_key();
      std::string token = detail::random_token();
      const std::string px = std::to_string(std::max<std::int64_t>(ttl.count(), 1));
      std::vector<detail::ReplyPtr> replies;
      {
        auto conn = pool_.acquire();
        // One round trip: the lock and the invalidation sequence the refresh starts at.
        replies = conn->pipeline({{"SET", k, token, "NX", "PX", px}, {"GET", seq}});
      }
      if (replies[0]->type == REDIS_REPLY_NIL) return std::nullopt;
      detail::RedisConnection::expect_ok(replies[0], "SET NX");
      note_sequence(key, replies[1].get());
      return token;
    });
  }

  /// For a lookup of `key` answered without Redis (TieredStore's memory
  /// tier): the put that follows on this thread is checked against the
  /// newest invalidation sequence this store has read (older than the
  /// lookup, so invalidations since then refuse it, as after a get), instead
  /// of being written unchecked.
  void note_lookup_elsewhere(std::string_view key) {
    detail::SeqMemo::remember(this, key, last_sequence_.load(std::memory_order_relaxed));
  }

  /// Releases the lock only if it still holds `token` (a lock that expired
  /// and was taken by another owner is left alone).
  void unlock_refresh(std::string_view key, const std::string& token) {
    guarded([&]() -> int {
      const std::string k = lock_key(key);
      auto conn = pool_.acquire();
      (void)detail::run_script(*conn, detail::unlock_script(), {"1", k, token});
      return 0;
    });
  }

  /// True when a command has come back from Redis and no connection failure
  /// happened since: false from construction until the warm-up PING is
  /// answered, and from each connection failure (I/O error, timeout, or a
  /// refusing reply such as NOAUTH, WRONGPASS, NOPERM, LOADING) until a
  /// reconnect probe's command is answered. Ordinary error replies and
  /// corrupt entries do not change it. Usable as a readiness probe; requests
  /// are served (computed) either way.
  ///
  /// Example: `if (!store->healthy()) readiness.report_degraded("redis");`
  [[nodiscard]] bool healthy() const noexcept { return pool_.healthy(); }

  [[nodiscard]] const RedisOptions& options() const noexcept { return options_; }

  /// The Redis key of an entry: "<prefix>k:<key>".
  [[nodiscard]] std::string entry_key(std::string_view key) const { return join("k:", key); }
  /// The Redis set indexing a tag: "<prefix>t:<tag>".
  [[nodiscard]] std::string tag_key(std::string_view tag) const { return join("t:", tag); }
  /// The Redis key of a refresh lock: "<prefix>l:<key>".
  [[nodiscard]] std::string lock_key(std::string_view key) const { return join("l:", key); }
  /// The invalidation sequence (a counter bumped by each invalidation).
  [[nodiscard]] std::string seq_key() const { return join("x:seq", ""); }
  /// The sequence of the last clear(), kept for invalidation_window.
  [[nodiscard]] std::string cleared_key() const { return join("x:cleared", ""); }
  /// Hash market -> sequence of the last scope-less invalidation of that market.
  [[nodiscard]] std::string any_marker_key() const { return join("x:any", ""); }
  /// Hash market (or "*") -> sequence of the last invalidation of `scope` AND that market.
  [[nodiscard]] std::string scope_marker_key(std::string_view scope) const {
    return join("x:scope:", scope);
  }

 private:
  // get (note: the sequence read is noted for the put that follows) or peek.
  [[nodiscard]] std::optional<StoredValue<V>> read(std::string_view key, WallTime now, bool note) {
    return guarded([&]() -> std::optional<StoredValue<V>> {
      const std::string k = entry_key(key);
      const std::string seq = seq_key();
      detail::ReplyPtr reply;
      {
        auto conn = pool_.acquire();
        // One command: the entry and the invalidation sequence it is read at.
        reply = conn->command({"MGET", k, seq});
      }
      detail::RedisConnection::throw_if_error(reply, "MGET");
      if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2)
        throw StoreError("smartcache: redis MGET: unexpected reply");
      const redisReply* value = reply->element[0];
      if (note) note_sequence(key, reply->element[1]);
      if (value->type == REDIS_REPLY_NIL) return std::nullopt;
      if (value->type != REDIS_REPLY_STRING)
        throw CorruptEntryError("smartcache: redis GET: not a string");
      StoredValue<V> e = decode_or_corrupt(std::string_view(value->str, value->len));
      if (now >= e.stale_until) return std::nullopt;
      return e;
    });
  }

  // Notes the invalidation sequence a lookup (or refresh lock) of `key` read,
  // for the put that follows on this thread, and keeps the newest seen.
  void note_sequence(std::string_view key, const redisReply* seen) {
    std::uint64_t n = 0;  // the key holds our decimal text (absent: 0); parsed without a copy
    if (seen->type == REDIS_REPLY_STRING)
      for (std::size_t i = 0; i < seen->len && seen->str[i] >= '0' && seen->str[i] <= '9'; ++i)
        n = n * 10 + static_cast<std::uint64_t>(seen->str[i] - '0');
    auto last = last_sequence_.load(std::memory_order_relaxed);
    while (n > last && !last_sequence_.compare_exchange_weak(last, n, std::memory_order_relaxed)) {
    }
    detail::SeqMemo::remember(this, key, n);
  }

  static RedisOptions validated(RedisOptions o) {
    if (o.key_prefix.empty())
      throw std::invalid_argument(
          "smartcache: RedisOptions::key_prefix must not be empty (clear() would erase other "
          "applications' keys)");
    return o;
  }

  static detail::RedisPoolSettings pool_settings(const RedisOptions& o) {
    detail::RedisPoolSettings s;
    s.host = o.host;
    s.port = o.port;
    s.connect_timeout = o.connect_timeout;
    s.command_timeout = o.command_timeout;
    s.pool_size = o.pool_size;
    s.backoff_min = o.reconnect_backoff_min;
    s.backoff_max = o.reconnect_backoff_max;
    s.username = o.username;
    s.password = o.password;
    s.db = o.db;
    return s;
  }

  // The put replaced a key of another Redis type under an entry's name:
  // something else writes under this store's prefix. Worth a warning (at most
  // one per 5 s), not an error: the lookup saw a miss, the value is stored.
  void note_foreign_type(const std::string& redis_key, std::string type) noexcept {
    if (const auto suppressed = foreign_type_throttle_.permit(); suppressed >= 0) {
      try {
        detail::log(LogLevel::warning, "redis entry key held another Redis type; replaced by the entry",
            {{"key", redis_key}, {"type", std::move(type)}, {"suppressed", std::to_string(suppressed)}});
      } catch (...) {
      }
    }
  }

  // Bytes that do not decode are the entry's fault, not the server's.
  // The frame's tags are skipped, not decoded: a hit does not need them.
  static StoredValue<V> decode_or_corrupt(std::string_view bytes) {
    try {
      return detail::decode_stored<V, Codec>(bytes);
    } catch (const std::exception& e) {
      throw CorruptEntryError(e.what());
    } catch (...) {
      throw CorruptEntryError("smartcache: redis entry: undecodable");
    }
  }

  // Every failure leaves as StoreError, whatever raised it (codec included).
  template <class F>
  static auto guarded(F&& f) -> decltype(f()) {
    try {
      return f();
    } catch (const StoreError&) {
      throw;
    } catch (const std::exception& e) {
      throw StoreError(std::string("smartcache: redis store: ") + e.what());
    } catch (...) {
      throw StoreError("smartcache: redis store: unknown failure");
    }
  }

  [[nodiscard]] std::int64_t window_ms() const noexcept {
    return std::max<std::int64_t>(options_.invalidation_window.count(), 1);
  }

  static long long integer_reply(const detail::ReplyPtr& r, std::string_view what) {
    detail::RedisConnection::throw_if_error(r, what);
    if (r->type != REDIS_REPLY_INTEGER)
      throw StoreError("smartcache: redis " + std::string(what) + ": not an integer");
    return r->integer;
  }

  std::string join(std::string_view kind, std::string_view key) const {
    std::string out;
    out.reserve(options_.key_prefix.size() + kind.size() + key.size());
    out.append(options_.key_prefix).append(kind).append(key);
    return out;
  }

  RedisOptions options_;
  detail::RedisPool pool_;
  std::atomic<std::uint64_t> last_sequence_{0};  // the newest invalidation sequence a read saw (0: none yet)
  detail::LogThrottle foreign_type_throttle_{std::chrono::seconds(5)};
};

}  // namespace smartcache
