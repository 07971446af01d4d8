#!/usr/bin/env bash
# metrics_server stays answerable under 100 idle or slow connections.
#
#   slow_clients.sh METRICS_SERVER HTTP_GET SLOW_CLIENTS
#
# Starts metrics_server on a free loopback port, runs SLOW_CLIENTS against it
# (bounded: about 3 s), and stops the server by pid.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

server=${1:?usage: slow_clients.sh METRICS_SERVER HTTP_GET SLOW_CLIENTS}
http_get=${2:?http_get helper missing}
slow_clients=${3:?slow_clients helper missing}
server_pid=""
log=$(mktemp "${TMPDIR:-/tmp}/smartcache-slow.XXXXXX") || fail "mktemp"
cleanup() {
  [[ -n "$server_pid" ]] && kill "$server_pid" 2>/dev/null && wait "$server_pid" 2>/dev/null
  rm -f "$log"
}
trap cleanup EXIT

start_metrics_server() {
  port=$("$http_get" --free-port) || fail "no free port"
  "$server" --host 127.0.0.1 --port "$port" >"$log" 2>&1 &
  server_pid=$!
}
healthz_answers() { "$http_get" 127.0.0.1 "$port" /healthz >/dev/null 2>&1; }
for _ in 1 2 3; do start_server 30 0.5 start_metrics_server healthz_answers && break; done
[[ -n "$server_pid" ]] || { cat "$log" >&2; fail "metrics_server did not start"; }

"$slow_clients" 127.0.0.1 "$port" || fail "the endpoint stalled under slow clients"
kill -0 "$server_pid" 2>/dev/null || fail "metrics_server died under slow clients"
echo "ok: /metrics and /healthz answered within 1 s under 100 idle or slow connections"
