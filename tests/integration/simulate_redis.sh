#!/usr/bin/env bash
# simulate runs the same day over RedisStore against a real redis-server, and
# touches only its own keys: the nightly full invalidation and the final
# clean-up leave a foreign key alone, and nothing of the run is left behind.
#
#   simulate_redis.sh SIMULATE [REDIS_SERVER]
#
# A missing redis-server / redis-cli skips (exit 77) unless $CI is set.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
simulate=${1:?usage: simulate_redis.sh SIMULATE [REDIS_SERVER]}
redis_server=$(find_tool redis-server "${2:-}") || exit $?
redis_cli=$(find_tool redis-cli "$(dirname "$redis_server")/redis-cli") || exit $?

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smartcache-simredis.XXXXXX") || fail "mktemp"
server_pid=""
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -rf "$tmp"
}
trap cleanup EXIT

start_redis() {
  port=$((20000 + RANDOM % 40000))
  "$redis_server" --port "$port" --bind 127.0.0.1 --save "" --appendonly no --dir "$tmp" >"$tmp/redis.log" 2>&1 &
  server_pid=$!
}
redis_ready() { [[ "$("$redis_cli" -p "$port" ping 2>/dev/null)" == PONG ]]; }
# A random high port; redis-server exits at once when it is taken: try again.
for _ in 1 2 3 4 5; do start_server 50 0.1 start_redis redis_ready && break; done
[[ -n "$server_pid" ]] || { cat "$tmp/redis.log" >&2; fail "redis-server did not start"; }
echo "ok: redis-server on port $port"

"$redis_cli" -p "$port" set someone:else:key keep >/dev/null || fail "SET failed"
# 5 simulated hours include the 04:00 redeploy (a full invalidation).
"$simulate" --redis "127.0.0.1:$port" --duration 5 --matches 4 --no-progress >"$tmp/out.txt" 2>&1 ||
  { cat "$tmp/out.txt" >&2; fail "simulate --redis failed"; }
grep -q "RedisStore at 127.0.0.1:$port" "$tmp/out.txt" || { cat "$tmp/out.txt" >&2; fail "the run did not use RedisStore"; }
grep -Eq "^Invalidations +[0-9,]+ surgical, 1 full" "$tmp/out.txt" || { cat "$tmp/out.txt" >&2; fail "no nightly full invalidation"; }
hit=$(sed -n 's/^Hit rate *\([0-9.]*\) %.*/\1/p' "$tmp/out.txt")
awk -v h="$hit" 'BEGIN { exit !(h + 0 > 50) }' || { cat "$tmp/out.txt" >&2; fail "hit rate over Redis is '$hit'"; }
echo "ok: a day over RedisStore, hit rate $hit %"

# Two instances with a TieredStore memory tier each, after the same day over
# two plain RedisStore instances: the memory tier answers, Redis counts fewer reads.
"$simulate" --redis "127.0.0.1:$port" --tiered --duration 5 --matches 4 --no-progress >"$tmp/tiered.txt" 2>&1 ||
  { cat "$tmp/tiered.txt" >&2; fail "simulate --tiered failed"; }
grep -q "2 TieredStore instances over Redis at 127.0.0.1:$port" "$tmp/tiered.txt" ||
  { cat "$tmp/tiered.txt" >&2; fail "the run did not use TieredStore"; }
grep -Eq "^Tiers +[0-9,]+ lookups: [1-9][0-9,]* answered by the memory tier" "$tmp/tiered.txt" ||
  { cat "$tmp/tiered.txt" >&2; fail "no memory-tier hits"; }
grep -Eq "^Redis reads +[1-9][0-9,]* over 2 RedisStore instances  vs  [0-9,]+ over 2 TieredStore instances" "$tmp/tiered.txt" ||
  { cat "$tmp/tiered.txt" >&2; fail "no Redis read counts"; }
echo "ok: $(grep -E '^Redis reads' "$tmp/tiered.txt" | tr -s ' ')"

[[ "$("$redis_cli" -p "$port" get someone:else:key)" == keep ]] || fail "the run touched a key that is not its own"
# All that may remain of the run is RedisStore's invalidation bookkeeping
# (<prefix>x:...) and tag sets (<prefix>t:..., which clear() leaves), each
# expiring by itself.
left=$("$redis_cli" -p "$port" --scan | grep -v '^someone:else:key$')
while IFS= read -r k; do
  [[ -z "$k" ]] && continue
  [[ "$k" =~ ^smartcache:simulate:[0-9]+:[xt]: ]] || { echo "$left" | head >&2; fail "the run left '$k' behind"; }
  ttl=$("$redis_cli" -p "$port" pttl "$k")
  (( ttl > 0 )) || fail "bookkeeping key '$k' does not expire (pttl $ttl)"
done <<<"$left"
echo "ok: only the run's own keys were touched, none left behind for good"
echo "PASS"
