// smartcache - TieredStore: an in-process memory tier in front of the shared Redis, kept coherent.
// SPDX-License-Identifier: MIT
#pragma once

#include <algorithm>
#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <mutex>
#include <optional>
#include <string>
#include <string_view>
#include <unordered_set>
#include <utility>
#include <vector>

#include <smartcache/detail/tiered/fill_guard.hpp>
#include <smartcache/detail/tiered/listener.hpp>
#include <smartcache/log.hpp>
#include <smartcache/metrics/metrics.hpp>
#include <smartcache/stores/memory_store.hpp>
#include <smartcache/stores/redis_store.hpp>
#include <smartcache/stores/store.hpp>

namespace smartcache {

/// How a TieredStore is built: its Redis, its memory tier, and how it
/// watches Redis for changes.
///
/// Example:
///   smartcache::TieredOptions o;
///   o.redis.key_prefix = "pricing:";
///   o.memory_capacity = 50'000;
///   o.memory_max_ttl = std::chrono::seconds(2);
struct TieredOptions {
  RedisOptions redis;
  /// Entries the memory tier holds at most (S3-FIFO eviction, as MemoryStore).
  std::size_t memory_capacity = 10'000;
  /// The longest an entry stays in the memory tier after it was read or
  /// written, whatever its horizons: the bound on staleness if every other
  /// mechanism failed (a notification Redis never sent). 0 turns the memory
  /// tier off (every get reads Redis).
  std::chrono::milliseconds memory_max_ttl{5000};
  /// The notification connection sends a PING after this long without
  /// traffic; unanswered within heartbeat_timeout, the memory tier is cleared
  /// and bypassed until the subscription is back.
  std::chrono::milliseconds heartbeat_interval{100};
  std::chrono::milliseconds heartbeat_timeout{250};
  /// An own write stays in the memory tier when its notification comes back,
  /// once Redis is seen to still hold it: one MGET checks every write
  /// waiting. The listener runs such a check at most once per this interval
  /// (at once after a quiet interval; sooner when own_write_check_batch keys
  /// wait), so a burst of writes costs Redis a few reads, not one per write.
  /// A foreign write to a key this instance wrote within the interval may be
  /// seen up to this much later.
  std::chrono::milliseconds own_write_check_interval{5};
  std::size_t own_write_check_batch = 256;
  /// Where the store counts its notifications, clears and reconnects (hits
  /// by tier are counted by SmartCache in its own metrics): give it the
  /// CacheMetrics your SmartCache records into. nullptr: global_metrics().
  CacheMetrics* metrics = nullptr;
  /// For tests: called on a get's thread between the Redis read and the
  /// memory-tier fill, with the key. Leave empty.
  std::function<void(std::string_view)> before_fill;
};

/// A Store (see store.hpp) with two tiers: an in-process MemoryStore in front
/// of a RedisStore shared by every instance. `get` answers from the memory
/// tier, else from Redis (filling the memory tier); `put`, `erase`,
/// `erase_tagged` and `clear` go to Redis first, then to the memory tier.
/// A memory-tier entry never outlives its Redis horizons nor memory_max_ttl.
///
/// Coherence: a listener thread subscribes to Redis's client-side caching
/// notifications for the store's prefix (CLIENT TRACKING ... BCAST PREFIX
/// "<prefix>k:", redirected to itself), so a change of an entry by anyone
/// (another instance, a tag invalidation, redis-cli, an expiry, FLUSHDB)
/// erases it from every instance's memory tier within one notification's
/// lag (measured: docs/tiered-store.md). A fill that an invalidation
/// overtook (the notification arrived between the Redis read and the fill)
/// does not stay (detail/tiered/fill_guard.hpp). This instance's own writes
/// stay in the memory tier: the notification they cause is checked against
/// Redis (one MGET on the listener thread) instead of erasing them.
///
/// Notification loss is never silent: when the notification connection
/// drops, Redis restarts, or a heartbeat goes unanswered within
/// heartbeat_timeout, the memory tier is cleared at once and bypassed
/// (every get reads Redis) until the subscription is back; each clear is
/// counted with its cause (tier_clears_*) and logged.
///
/// Thread-safe, like RedisStore. Hits report their tier in
/// StoredValue::tier, which SmartCache counts (tier_memory_hits,
/// tier_redis_hits).
///
/// Example:
///   smartcache::TieredOptions o;
///   o.redis.port = 6379;
///   auto store = std::make_shared<smartcache::TieredStore<std::string>>(o);
///   smartcache::SmartCache<smartcache::TieredStore<std::string>> cache(store);
template <class V, class Codec = DefaultCodec<V>>
class TieredStore {
 public:
  using value_type = V;
  using codec_type = Codec;

  /// Connects to Redis (as RedisStore does) and starts the listener; waits
  /// for its first subscription at most connect_timeout + command_timeout.
  /// Until it is subscribed the memory tier is bypassed. Throws
  /// std::invalid_argument for an empty key prefix (RedisStore's rule).
  explicit TieredStore(TieredOptions options = {})
      : options_(std::move(options)),
        metrics_(options_.metrics ? options_.metrics : &global_metrics()),
        redis_(options_.redis),
        memory_(std::max<std::size_t>(options_.memory_capacity, 1)),
        listener_(listener_settings(options_), sink_) {
    (void)listener_.wait_first_attempt(options_.redis.connect_timeout + options_.redis.command_timeout);
  }

  TieredStore(const TieredStore&) = delete;
  TieredStore& operator=(const TieredStore&) = delete;

  ~TieredStore() { listener_.stop(); }

  /// From the memory tier (StoredValue::tier == Tier::memory), else from
  /// Redis (Tier::redis), copying the entry into the memory tier unless an
  /// invalidation raced the read. Throws what RedisStore::get throws.
  [[nodiscard]] std::optional<StoredValue<V>> get(std::string_view key, WallTime now) {
    const bool tiered = memory_enabled();
    if (tiered) {
      if (auto hit = memory_.get(key, now)) {
        hit->tier = Tier::memory;
        // A compute may follow (the entry too stale for the request): its put
        // must still be refused if an invalidation by any instance overtook it.
        redis_.note_lookup_elsewhere(key);
        return hit;
      }
    }
    const auto ticket = guard_.ticket(key);
    auto found = redis_.get(key, now);
    if (!found) return found;
    found->tier = Tier::redis;
    if (tiered) {
      if (options_.before_fill) options_.before_fill(key);
      if (memory_enabled())
        guard_.fill_if_current(ticket, key, [&] { (void)memory_.put(key, memory_entry(*found, now), now); });
    }
    return found;
  }

  /// `get` that is not the lookup of a compute (RedisStore::peek): it fills
  /// nothing, and the put that follows on this thread stays checked against
  /// what the thread's last get of `key` read.
  [[nodiscard]] std::optional<StoredValue<V>> peek(std::string_view key, WallTime now) {
    if (memory_enabled()) {
      if (auto hit = memory_.get(key, now)) {
        hit->tier = Tier::memory;
        return hit;
      }
    }
    auto found = redis_.peek(key, now);
    if (found) found->tier = Tier::redis;
    return found;
  }

  /// Writes to Redis (RedisStore::put), then, when Redis took it, to the
  /// memory tier. Never evicts from Redis; returns 0.
  std::size_t put(std::string_view key, Entry<V> entry, WallTime now) {
    if (!memory_enabled()) {
      (void)redis_.write(key, std::move(entry), now);
      return 0;
    }
    const auto ticket = guard_.ticket(key);
    StoredValue<V> kept{entry.value, entry.stored_at, entry.fresh_until, entry.stale_until};
    const auto digest = redis_.write(key, std::move(entry), now);
    if (!digest || !memory_enabled()) return 0;
    if (guard_.fill_own(ticket, key, *digest, [&] { (void)memory_.put(key, memory_entry(kept, now), now); }))
      queue_verification(key);
    return 0;
  }

  /// Erases from Redis, then from the memory tier.
  bool erase(std::string_view key) {
    const bool erased = redis_.erase(key);
    guard_.invalidate(key, [&] { (void)memory_.erase(key); });
    return erased;
  }

  /// Erases the tagged entries in Redis (one script), then exactly those
  /// keys from the memory tier, before returning: this instance never serves
  /// one again, the others stop within a notification's lag.
  std::size_t erase_tagged(std::string_view scope, const std::vector<std::string>& any_of) {
    const auto keys = redis_.erase_tagged_keys(scope, any_of);
    for (const auto& k : keys) guard_.invalidate(k, [&] { (void)memory_.erase(k); });
    return keys.size();
  }

  /// Clears this store's entries in Redis (RedisStore::clear), then the memory tier.
  std::size_t clear() {
    const std::size_t n = redis_.clear();
    guard_.invalidate_all([&] { (void)memory_.clear(); });
    return n;
  }

  /// Entries in Redis (SCAN), as RedisStore::size.
  [[nodiscard]] std::size_t size() { return redis_.size(); }

  /// The distributed refresh lock of RedisStore.
  [[nodiscard]] std::optional<std::string> try_lock_refresh(std::string_view key, std::chrono::milliseconds ttl) {
    return redis_.try_lock_refresh(key, ttl);
  }
  void unlock_refresh(std::string_view key, const std::string& token) { redis_.unlock_refresh(key, token); }

  /// RedisStore::healthy(): Redis answers.
  [[nodiscard]] bool healthy() const noexcept { return redis_.healthy(); }

  /// True while the memory tier is in use: the notification subscription is
  /// in place (and memory_max_ttl > 0). False: every get reads Redis.
  [[nodiscard]] bool coherent() const noexcept { return memory_enabled(); }

  /// Entries in the memory tier now.
  [[nodiscard]] std::size_t memory_size() const { return memory_.size(); }

  /// Own writes whose notification is still being checked against Redis.
  [[nodiscard]] std::size_t pending_verifications() { return guard_.pending_count(); }

  [[nodiscard]] const TieredOptions& options() const noexcept { return options_; }

  /// The Redis tier itself (for tools and tests: reads through it bypass the memory tier).
  [[nodiscard]] RedisStore<V, Codec>& redis() noexcept { return redis_; }

  /// For tests: drops the notification connection as a network failure would.
  void drop_notifications_for_testing() noexcept { listener_.kill_connection_for_testing(); }

 private:
  // The listener's reports, on its thread.
  class Sink final : public detail::NotificationSink {
   public:
    explicit Sink(TieredStore& s) noexcept : s_(s) {}
    void subscribed(bool again) override {
      s_.guard_.invalidate_all([&] { (void)s_.memory_.clear(); });  // nothing from before the subscription
      s_.live_.store(true, std::memory_order_seq_cst);
      if (again) {
        s_.metrics_->increment(Counter::tier_reconnects);
        detail::log(LogLevel::info, "tiered store: notifications re-established; memory tier back in use",
                    {{"prefix", s_.options_.redis.key_prefix}});
      }
    }
    void lost(detail::NotificationLoss cause, const std::string& reason) override {
      s_.live_.store(false, std::memory_order_seq_cst);
      s_.guard_.invalidate_all([&] { (void)s_.memory_.clear(); });
      s_.metrics_->increment(cause == detail::NotificationLoss::heartbeat ? Counter::tier_clears_heartbeat
                                                                          : Counter::tier_clears_disconnect);
      detail::log(LogLevel::warning, "tiered store: notifications lost; memory tier cleared and bypassed",
                  {{"prefix", s_.options_.redis.key_prefix},
                   {"cause", cause == detail::NotificationLoss::heartbeat ? "heartbeat" : "disconnect"},
                   {"reason", reason}});
    }
    void keys_changed(const std::vector<std::string_view>& keys) override {
      s_.metrics_->increment(Counter::tier_notifications);
      for (const auto k : keys)
        if (s_.guard_.notified(k, [&] { (void)s_.memory_.erase(k); })) s_.to_verify(std::string(k));
    }
    void flushed() override {
      s_.metrics_->increment(Counter::tier_notifications);
      s_.guard_.invalidate_all([&] { (void)s_.memory_.clear(); });
      s_.metrics_->increment(Counter::tier_clears_flush);
    }
    std::chrono::milliseconds idle() override { return s_.verify_pending(); }

   private:
    TieredStore& s_;
  };

  static detail::ListenerSettings listener_settings(const TieredOptions& o) {
    detail::ListenerSettings s;
    s.host = o.redis.host;
    s.port = o.redis.port;
    s.username = o.redis.username;
    s.password = o.redis.password;
    s.db = o.redis.db;
    s.connect_timeout = o.redis.connect_timeout;
    s.tracked_prefix = o.redis.key_prefix + "k:";
    s.heartbeat_interval = std::max(o.heartbeat_interval, std::chrono::milliseconds(1));
    s.heartbeat_timeout = std::max(o.heartbeat_timeout, std::chrono::milliseconds(1));
    s.backoff_min = o.redis.reconnect_backoff_min;
    s.backoff_max = o.redis.reconnect_backoff_max;
    return s;
  }

  [[nodiscard]] bool memory_enabled() const noexcept {
    return options_.memory_max_ttl.count() > 0 && live_.load(std::memory_order_seq_cst);
  }

  // The memory tier's copy: the value and horizons, cut at memory_max_ttl.
  Entry<V> memory_entry(const StoredValue<V>& e, WallTime now) const {
    const WallTime cap = now + options_.memory_max_ttl;
    const WallTime stale = std::min(e.stale_until, cap);
    return Entry<V>{e.value, e.stored_at, std::min(e.fresh_until, stale), stale, {}};
  }

  void queue_verification(std::string_view key) {
    {
      std::lock_guard<std::mutex> lock(requested_mutex_);
      requested_.emplace_back(key);
    }
    listener_.wake();
  }

  // Listener thread: queues an own write's check against Redis.
  void to_verify(std::string key) { to_verify_.push_back(std::move(key)); }

  // Listener thread: runs the queued checks unless one ran less than
  // own_write_check_interval ago (and no batch is full); returns how soon to come back.
  std::chrono::milliseconds verify_pending() {
    {
      std::lock_guard<std::mutex> lock(requested_mutex_);
      for (auto& k : requested_) to_verify(std::move(k));
      requested_.clear();
    }
    if (to_verify_.empty()) return std::chrono::milliseconds::max();
    const auto now = std::chrono::steady_clock::now();
    const auto since = now - last_check_;
    if (since < options_.own_write_check_interval && to_verify_.size() < options_.own_write_check_batch)
      return std::chrono::ceil<std::chrono::milliseconds>(options_.own_write_check_interval - since);
    last_check_ = now;
    check_own_writes();
    // Keys whose slot moved during the read wait for the next interval.
    return to_verify_.empty() ? std::chrono::milliseconds::max()
                              : std::chrono::ceil<std::chrono::milliseconds>(options_.own_write_check_interval);
  }

  // One MGET for every queued key: kept where Redis still holds our frame.
  void check_own_writes() {
    std::sort(to_verify_.begin(), to_verify_.end());
    to_verify_.erase(std::unique(to_verify_.begin(), to_verify_.end()), to_verify_.end());
    std::vector<std::string> keys = std::move(to_verify_);
    to_verify_.clear();
    std::vector<detail::FillGuard::Ticket> tickets;
    tickets.reserve(keys.size());
    for (const auto& k : keys) tickets.push_back(guard_.ticket(k));
    std::vector<std::uint64_t> digests;
    try {
      digests = redis_.frame_digests(keys);
    } catch (...) {
      // Cannot tell: drop them from the memory tier (the next get reads Redis).
      for (const auto& k : keys) guard_.invalidate(k, [&] { (void)memory_.erase(k); });
      return;
    }
    for (std::size_t i = 0; i < keys.size(); ++i)
      if (!guard_.verified(tickets[i], keys[i], digests[i], [&] { (void)memory_.erase(keys[i]); }))
        to_verify(std::move(keys[i]));  // its slot moved during the read: again at the next check
  }

  TieredOptions options_;
  CacheMetrics* metrics_;
  RedisStore<V, Codec> redis_;
  MemoryStore<V> memory_;
  detail::FillGuard guard_;
  std::atomic<bool> live_{false};  // subscribed: the memory tier may be used
  std::vector<std::string> to_verify_;  // listener thread only
  std::chrono::steady_clock::time_point last_check_;  // of own writes; listener thread only
  std::mutex requested_mutex_;
  std::vector<std::string> requested_;  // verifications asked for by puts
  Sink sink_{*this};
  detail::InvalidationListener listener_;  // last: its thread uses everything above
};

}  // namespace smartcache
