#!/usr/bin/env bash
# simulate runs a short day, prints its summary, and the exposition it writes
# passes `promtool check metrics` with no output.
#
#   simulate_smoke.sh SIMULATE [PROMTOOL]
#
# A missing promtool skips the exposition check (exit 77) unless $CI is set.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
simulate=${1:?usage: simulate_smoke.sh SIMULATE [PROMTOOL]}
promtool=${2:-}

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smartcache-simulate.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

"$simulate" --duration 3 --matches 6 --seed 7 --prometheus "$tmp/day.prom" >"$tmp/out.txt" 2>"$tmp/err.txt" ||
  { cat "$tmp/out.txt" "$tmp/err.txt" >&2; fail "simulate exited $?"; }
for section in "Hit rate" Strategies Zones VIX SWR Invalidations "LOGICAL markets affected" Latency Computes; do
  grep -q "$section" "$tmp/out.txt" || { cat "$tmp/out.txt" >&2; fail "summary lacks '$section'"; }
done
# progress goes to stderr (a line per 10 % when not on a terminal)
grep -q "simulated" "$tmp/err.txt" || fail "no progress lines on stderr"
# every zone is visited, even on a 3-hour day
for zone in standard warmup prematch golden active; do
  n=$(sed -n "s/^smartcache_zone_requests_total{zone=\"$zone\"} \([0-9]*\)$/\1/p" "$tmp/day.prom")
  [[ -n "$n" && "$n" -gt 0 ]] || fail "zone $zone has no requests (got '$n')"
done
echo "ok: summary complete, every zone visited"

"$simulate" --redis 127.0.0.1:1 --duration 0.1 --matches 1 >/dev/null 2>"$tmp/redis.txt"
rc=$?
# Without Redis support: a clear message and exit 2. With it, Redis down on
# port 1: the day is still served (computed) and the run succeeds.
if grep -q "without Redis support" "$tmp/redis.txt"; then
  [[ $rc -eq 2 ]] || fail "--redis without support should exit 2, got $rc"
else
  [[ $rc -eq 0 ]] || { cat "$tmp/redis.txt" >&2; fail "--redis with Redis down should still serve (exit $rc)"; }
fi
echo "ok: --redis behaves"

promtool=$(find_tool promtool "$promtool") || exit $?
out=$("$promtool" check metrics <"$tmp/day.prom" 2>&1) || { echo "$out" >&2; fail "promtool check metrics failed"; }
[[ -z "$out" ]] || { echo "$out" >&2; fail "promtool check metrics complained"; }
echo "ok: exposition passes promtool check metrics"
echo "PASS"
