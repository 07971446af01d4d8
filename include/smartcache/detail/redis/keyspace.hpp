// smartcache - walking and naming RedisStore's keys: SCAN, glob escaping, lock tokens.
// SPDX-License-Identifier: MIT
#pragma once

#include <chrono>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <random>
#include <string>
#include <string_view>
#include <thread>
#include <vector>

#include <smartcache/stores/store.hpp>
#include <smartcache/detail/redis/connection.hpp>

namespace smartcache::detail {

// The prefix is user text: keep glob metacharacters literal in SCAN MATCH.
[[nodiscard]] inline std::string glob_escape(std::string_view s) {
  std::string out;
  out.reserve(s.size());
  for (char c : s) {
    if (c == '*' || c == '?' || c == '[' || c == ']' || c == '\\') out.push_back('\\');
    out.push_back(c);
  }
  return out;
}

// Walks every key matching `pattern` with SCAN (never KEYS), a batch at a time.
// SCAN may report a key twice; callers that count must deduplicate.
template <class OnBatch>
void scan_keys(RedisConnection& conn, const std::string& pattern, OnBatch&& on_batch) {
  std::string cursor = "0";
  std::vector<std::string_view> batch;
  do {
    auto reply = conn.command({"SCAN", cursor, "MATCH", pattern, "COUNT", "1000"});
    RedisConnection::throw_if_error(reply, "SCAN");
    if (reply->type != REDIS_REPLY_ARRAY || reply->elements != 2 ||
        reply->element[0]->type != REDIS_REPLY_STRING ||
        reply->element[1]->type != REDIS_REPLY_ARRAY)
      throw StoreError("smartcache: redis SCAN: unexpected reply");
    cursor.assign(reply->element[0]->str, reply->element[0]->len);
    const redisReply* keys = reply->element[1];
    batch.clear();
    for (std::size_t i = 0; i < keys->elements; ++i)
      if (keys->element[i]->type == REDIS_REPLY_STRING)
        batch.emplace_back(keys->element[i]->str, keys->element[i]->len);
    if (!batch.empty()) on_batch(batch);
  } while (cursor != "0");
}

// 128 random bits, hex: the owner token of a refresh lock.
[[nodiscard]] inline std::string random_token() {
  thread_local std::mt19937_64 rng([] {
    std::random_device rd;
    std::seed_seq seq{rd(), rd(), rd(), rd(),
                      static_cast<unsigned>(std::hash<std::thread::id>{}(std::this_thread::get_id())),
                      static_cast<unsigned>(
                          std::chrono::steady_clock::now().time_since_epoch().count())};
    return std::mt19937_64(seq);
  }());
  static constexpr char hex[] = "0123456789abcdef";
  std::string token;
  token.reserve(32);
  for (int part = 0; part < 2; ++part) {
    std::uint64_t v = rng();
    for (int i = 0; i < 16; ++i, v >>= 4) token.push_back(hex[v & 0xFu]);
  }
  return token;
}

}  // namespace smartcache::detail
