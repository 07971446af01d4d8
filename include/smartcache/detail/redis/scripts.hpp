// smartcache - the Lua scripts RedisStore runs server-side, and how it runs them.
// SPDX-License-Identifier: MIT
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <string>
#include <string_view>

#include <smartcache/detail/redis/connection.hpp>

namespace smartcache::detail {

// SHA-1 (hex) of a script: EVALSHA names a script by it. Scripts are constants,
// so each digest is computed once per process.
[[nodiscard]] inline std::string sha1_hex(std::string_view data) {
  std::uint32_t h[5] = {0x67452301u, 0xEFCDAB89u, 0x98BADCFEu, 0x10325476u, 0xC3D2E1F0u};
  std::string msg(data);
  const std::uint64_t bit_len = static_cast<std::uint64_t>(data.size()) * 8u;
  msg.push_back(static_cast<char>(0x80));
  while (msg.size() % 64 != 56) msg.push_back('\0');
  for (int i = 7; i >= 0; --i) msg.push_back(static_cast<char>((bit_len >> (8 * i)) & 0xFFu));
  auto rotl = [](std::uint32_t x, int n) { return (x << n) | (x >> (32 - n)); };
  for (std::size_t off = 0; off < msg.size(); off += 64) {
    std::uint32_t w[80];
    for (std::size_t i = 0; i < 16; ++i) {
      w[i] = 0;
      for (std::size_t b = 0; b < 4; ++b)
        w[i] = (w[i] << 8) | static_cast<unsigned char>(msg[off + 4 * i + b]);
    }
    for (std::size_t i = 16; i < 80; ++i) w[i] = rotl(w[i - 3] ^ w[i - 8] ^ w[i - 14] ^ w[i - 16], 1);
    std::uint32_t a = h[0], b = h[1], c = h[2], d = h[3], e = h[4];
    for (std::size_t i = 0; i < 80; ++i) {
      std::uint32_t f = 0, k = 0;
      if (i < 20) {
        f = (b & c) | (~b & d);
        k = 0x5A827999u;
      } else if (i < 40) {
        f = b ^ c ^ d;
        k = 0x6ED9EBA1u;
      } else if (i < 60) {
        f = (b & c) | (b & d) | (c & d);
        k = 0x8F1BBCDCu;
      } else {
        f = b ^ c ^ d;
        k = 0xCA62C1D6u;
      }
      const std::uint32_t t = rotl(a, 5) + f + e + k + w[i];
      e = d;
      d = c;
      c = rotl(b, 30);
      b = a;
      a = t;
    }
    h[0] += a;
    h[1] += b;
    h[2] += c;
    h[3] += d;
    h[4] += e;
  }
  static constexpr char hex[] = "0123456789abcdef";
  std::string out;
  out.reserve(40);
  for (std::uint32_t v : h)
    for (int i = 7; i >= 0; --i) out.push_back(hex[(v >> (4 * i)) & 0xFu]);
  return out;
}

struct LuaScript {
  std::string_view source;
  std::string sha;
};

// put. KEYS[1] = entry key, KEYS[2] = "cleared" marker, KEYS[3] = any-of
// marker hash, KEYS[4 .. 3+n] = tag sets, KEYS[4+n .. 3+2n] = the scope
// marker hashes of the same tags. ARGV[1] = frame, ARGV[2] = entry PX,
// ARGV[3] = tag-set PX, ARGV[4] = invalidation sequence the writer observed
// before computing ('' = unknown: no check), ARGV[5 .. 4+n] = tag names
// (distinct). A value computed before an invalidation that matches its tags
// (by any instance: the markers live in Redis) is not written; returns 0
// then. Else returns 1, or, when the entry key held a key of another Redis
// type (a list, a hash, ...: GET cannot see it, SET replaces it), that
// type's name. The value is refused when, with T its tags and seen ARGV[4]:
// x:cleared > seen; or x:any[t] > seen for some t in T; or, for some scope s
// in T, x:scope:s[f] > seen for some f in T ∪ {'*'}, f ~= s (f == '*' too
// when s is itself the tag '*').
// Linear in the tags: the tags go into a Lua set once; the scope marker
// hashes are tested for existence 500 at a time (one EXISTS: the common case
// is none, markers only live for invalidation_window); an existing hash is
// read whole (HGETALL) when it holds at most n + 1 fields, else asked only
// for the entry's fields (HMGET, in chunks below Lua's unpack limit).
// Cost O(n + sum of min(hash size, n)), not O(n^2).
// Tag sets only ever get a LONGER expiry, so a short-lived entry never cuts
// the life of a set that still indexes longer-lived ones.
inline constexpr std::string_view put_script_source = R"lua(
local n = (#KEYS - 3) / 2
if ARGV[4] ~= '' then
  local seen = tonumber(ARGV[4])
  local function newer(v) return v and tonumber(v) > seen end
  if newer(redis.call('GET', KEYS[2])) then return 0 end
  if n > 0 then
    local has = {}
    for i = 1, n do has[ARGV[4 + i]] = true end
    -- Does `hash` hold a marker newer than seen for a field of the entry
    -- other than `self`, or for '*' when `self` is a scope?
    local function overtaken(hash, self)
      local len = redis.call('HLEN', hash)
      if len == 0 then return false end
      if len <= n + 1 then
        local kv = redis.call('HGETALL', hash)
        for j = 1, #kv, 2 do
          local f = kv[j]
          if ((has[f] and f ~= self) or (self and f == '*')) and newer(kv[j + 1]) then
            return true
          end
        end
        return false
      end
      local fields = {}
      if self then fields[1] = '*' end
      for i = 1, n do
        local t = ARGV[4 + i]
        if t ~= self then fields[#fields + 1] = t end
        if #fields == 1000 or (i == n and #fields > 0) then
          for _, v in ipairs(redis.call('HMGET', hash, unpack(fields))) do
            if newer(v) then return true end
          end
          fields = {}
        end
      end
      return false
    end
    if overtaken(KEYS[3], nil) then return 0 end
    -- One EXISTS per chunk of scope marker hashes: a chunk with none (no
    -- recent invalidation of those scopes) costs no per-tag call at all.
    for first = 1, n, 500 do
      local last = math.min(first + 499, n)
      if redis.call('EXISTS', unpack(KEYS, 3 + n + first, 3 + n + last)) > 0 then
        for i = first, last do
          if overtaken(KEYS[3 + n + i], ARGV[4 + i]) then return 0 end
        end
      end
    end
  end
end
local previous = redis.call('TYPE', KEYS[1])['ok']
redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
local tag_px = tonumber(ARGV[3])
for i = 1, n do
  local set = KEYS[3 + i]
  redis.call('SADD', set, KEYS[1])
  if redis.call('PTTL', set) < tag_px then redis.call('PEXPIRE', set, tag_px) end
end
if previous ~= 'none' and previous ~= 'string' then return previous end
return 1
)lua";

// The invalidation sequence is max(previous + 1, server time in µs): it never
// goes backwards, not even when its key expired or Redis restarted, so the
// key can expire with the markers and nothing is left behind for good.
// Numbers go to Redis through string.format: Lua would print them as %.14g.
#define SMARTCACHE_REDIS_LUA_BUMP_SEQUENCE(seq_key, window) \
  "local function bump_sequence()\n"                                               \
  "  local t = redis.call('TIME')\n"                                               \
  "  local now = tonumber(t[1]) * 1000000 + tonumber(t[2])\n"                      \
  "  local seq = redis.call('INCR', " seq_key ")\n"                               \
  "  if seq < now then\n"                                                          \
  "    seq = now\n"                                                                \
  "    redis.call('SET', " seq_key ", string.format('%.0f', seq))\n"              \
  "  end\n"                                                                        \
  "  redis.call('PEXPIRE', " seq_key ", " window ")\n"                            \
  "  return string.format('%.0f', seq)\n"                                          \
  "end\n"

// clear, first step: bump the invalidation sequence and remember it as the
// last full invalidation. KEYS[1] = sequence, KEYS[2] = "cleared" marker,
// ARGV[1] = how long to remember it (ms).
inline constexpr std::string_view mark_cleared_script_source =
    SMARTCACHE_REDIS_LUA_BUMP_SEQUENCE("KEYS[1]", "ARGV[1]") R"lua(
local seq = bump_sequence()
redis.call('SET', KEYS[2], seq, 'PX', ARGV[1])
return 1
)lua";

// erase_tagged. KEYS[i] (i <= k = #KEYS - 2) = tag set of tag ARGV[i + 1];
// ARGV[1] = '1' when KEYS[1] is the scope set (the rest are the any-of sets).
// KEYS[k+1] = invalidation sequence, KEYS[k+2] = the marker hash of this
// invalidation (the scope's, or the any-of one), ARGV[k+2] = how long to
// remember it (ms): the sequence is bumped and recorded per market, so that
// puts of values computed before it (by any instance) are refused.
// Candidates are the members of the smaller side (scope set, or the union of
// the any-of sets); each candidate's stored frame is then checked for the
// tags it carries NOW, because a tag set may still list a key that was since
// rewritten with other tags. Erased keys and stale memberships leave the
// passed sets; the names of the entries unlinked are returned. Frame layout:
// version byte 1, three i64, u32 tag count, (u32 length, bytes) per tag.
inline constexpr std::string_view erase_tagged_script_source =
    SMARTCACHE_REDIS_LUA_BUMP_SEQUENCE("KEYS[#KEYS - 1]", "ARGV[#ARGV]") R"lua(
local function u32(v, pos)
  local a, b, c, d = string.byte(v, pos, pos + 3)
  return a + b * 256 + c * 65536 + d * 16777216
end
local function tags_of(v)
  if #v < 29 or string.byte(v, 1) ~= 1 then return nil end
  local n = u32(v, 26)
  local pos = 30
  local tags = {}
  for _ = 1, n do
    if pos + 3 > #v then return nil end
    local len = u32(v, pos)
    pos = pos + 4
    if pos + len - 1 > #v then return nil end
    tags[string.sub(v, pos, pos + len - 1)] = true
    pos = pos + len
  end
  return tags
end
local k = #KEYS - 2
local has_scope = ARGV[1] == '1'
local first = has_scope and 2 or 1
local seq = bump_sequence()
local marks = {}
for i = first, k do
  marks[#marks + 1] = ARGV[i + 1]
  marks[#marks + 1] = seq
end
if #marks == 0 then marks = {'*', seq} end
redis.call('HSET', KEYS[k + 2], unpack(marks))
redis.call('PEXPIRE', KEYS[k + 2], ARGV[k + 2])
local candidates = {}
local use_scope = false
if has_scope then
  use_scope = true
  if first <= k then
    local any_n = 0
    for i = first, k do any_n = any_n + redis.call('SCARD', KEYS[i]) end
    use_scope = redis.call('SCARD', KEYS[1]) <= any_n
  end
end
if use_scope then
  candidates = redis.call('SMEMBERS', KEYS[1])
else
  local seen = {}
  for i = first, k do
    for _, m in ipairs(redis.call('SMEMBERS', KEYS[i])) do
      if not seen[m] then
        seen[m] = true
        candidates[#candidates + 1] = m
      end
    end
  end
end
local erased = {}
for _, m in ipairs(candidates) do
  local v = redis.call('GET', m)
  local tags = nil
  local gone = (v == false)
  if not gone then tags = tags_of(v) end
  local match = false
  if not gone then
    if tags == nil then
      match = true
    else
      match = (not has_scope) or tags[ARGV[2]] == true
      if match and first <= k then
        local any = false
        for i = first, k do
          if tags[ARGV[i + 1]] then any = true break end
        end
        match = any
      end
    end
  end
  if match and redis.call('UNLINK', m) > 0 then erased[#erased + 1] = m end
  for i = 1, k do
    if gone or match or not tags[ARGV[i + 1]] then redis.call('SREM', KEYS[i], m) end
  end
end
return erased
)lua";

#undef SMARTCACHE_REDIS_LUA_BUMP_SEQUENCE

// unlock_refresh: delete the lock only if it still holds our token.
inline constexpr std::string_view unlock_script_source = R"lua(
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0
)lua";

// Each script with its digest, computed once per process.
template <const std::string_view& Source>
[[nodiscard]] const LuaScript& script() {
  static const LuaScript s{Source, sha1_hex(Source)};
  return s;
}
[[nodiscard]] inline const LuaScript& put_script() { return script<put_script_source>(); }
[[nodiscard]] inline const LuaScript& mark_cleared_script() { return script<mark_cleared_script_source>(); }
[[nodiscard]] inline const LuaScript& erase_tagged_script() { return script<erase_tagged_script_source>(); }
[[nodiscard]] inline const LuaScript& unlock_script() { return script<unlock_script_source>(); }

/// Runs a script by digest, sending the source only when the server does not
/// know it yet (NOSCRIPT after a restart or SCRIPT FLUSH). `args` holds
/// numkeys, the keys, then the arguments, exactly as EVAL takes them.
[[nodiscard]] inline ReplyPtr run_script(RedisConnection& conn, const LuaScript& script,
                                         Command args) {
  args.insert(args.begin(), {std::string_view("EVALSHA"), std::string_view(script.sha)});
  ReplyPtr reply = conn.command(args);
  if (reply->type == REDIS_REPLY_ERROR &&
      std::string_view(reply->str, reply->len).substr(0, 8) == "NOSCRIPT") {
    args[0] = "EVAL";
    args[1] = script.source;
    reply = conn.command(args);
  }
  RedisConnection::throw_if_error(reply, "script");
  return reply;
}

}  // namespace smartcache::detail
