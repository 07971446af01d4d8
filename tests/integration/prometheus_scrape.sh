#!/usr/bin/env bash
# A REAL Prometheus scraping the example metrics_server, end to end.
#
#   prometheus_scrape.sh METRICS_SERVER HTTP_GET [PROMETHEUS] [PROMTOOL] [ALERTS_YML]
#
# Starts metrics_server and prometheus on free loopback ports (scrape and rule
# evaluation every second, temporary config and TSDB), then checks, each
# bounded in time:
#   - /healthz answers, /metrics has the exact exposition content type, its body
#     passes `promtool check metrics` with no output, /stats is JSON with counters;
#   - Prometheus sees the target up (up == 1), scraping with OpenMetrics
#     negotiated (the server says so), and smartcache_requests_total > 0;
#     every series name of /metrics arrived, none of the names before 0.2
#     (smartcache_cache_*, swr_lookups, vix_bypass, invalidations_total), and
#     the labelled families with all their series (lookups_total by result,
#     vix_requests_total by vix, zones, strategies, refreshes); the alerts'
#     expressions (hit ratio, p99, VIX panic ratio, refresh and store error
#     rates) give sane values on the scraped data;
#   - the alert rules of ALERTS_YML load and evaluate with health "ok" on real data;
#   - metrics_server exits 0 on SIGTERM within a few seconds.
# Both processes are stopped by pid on exit and the temp dir removed.
# A missing prometheus/promtool skips the test (exit 77) unless $CI is set.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

server=${1:?usage: prometheus_scrape.sh METRICS_SERVER HTTP_GET [PROMETHEUS] [PROMTOOL] [ALERTS_YML]}
http_get=${2:?http_get helper missing}
prometheus=${3:-}
promtool=${4:-}
alerts=${5:-}
prometheus=$(find_tool prometheus "$prometheus") || exit $?
promtool=$(find_tool promtool "$promtool") || exit $?
[[ -x "$server" ]] || fail "metrics_server not executable: $server"
[[ -x "$http_get" ]] || fail "http_get not executable: $http_get"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smartcache-scrape.XXXXXX") || fail "mktemp"
server_pid=""
prom_pid=""
cleanup() {
  for pid in $server_pid $prom_pid; do kill "$pid" 2>/dev/null; done
  for pid in $server_pid $prom_pid; do wait "$pid" 2>/dev/null; done
  rm -rf "$tmp"
}
trap cleanup EXIT

get() { "$http_get" 127.0.0.1 "$@"; }
answers() { get "$1" "$2" >/dev/null 2>&1; }  # answers PORT PATH: a 2xx status
# wait_for SECONDS DESCRIPTION COMMAND...: retries COMMAND every 0.5 s.
wait_for() {
  local deadline=$((SECONDS + $1)) what=$2; shift 2
  until "$@"; do
    ((SECONDS < deadline)) || return 1
    sleep 0.5
  done
  echo "ok: $what"
}
alive() { kill -0 "$1" 2>/dev/null; }

# ---- metrics_server (a port can be taken between picking and binding: retry)
for attempt in 1 2 3; do
  mport=$("$http_get" --free-port) || fail "no free port"
  "$server" --host 127.0.0.1 --port "$mport" >"$tmp/server.log" 2>&1 &
  server_pid=$!
  if wait_for 15 "metrics_server /healthz on port $mport" answers "$mport" /healthz; then break; fi
  alive "$server_pid" || { wait "$server_pid"; server_pid=""; continue; }
  cat "$tmp/server.log" >&2; fail "metrics_server did not answer /healthz"
done
[[ -n "$server_pid" ]] || { cat "$tmp/server.log" >&2; fail "metrics_server did not start"; }

ctype=$("$http_get" --content-type 127.0.0.1 "$mport" /metrics) || fail "GET /metrics"
[[ "$ctype" == "text/plain; version=0.0.4; charset=utf-8" ]] || fail "/metrics content type is '$ctype'"
echo "ok: /metrics content type"

get "$mport" /metrics >"$tmp/metrics.txt" || fail "GET /metrics"
check=$("$promtool" check metrics <"$tmp/metrics.txt" 2>&1); rc=$?
[[ $rc -eq 0 && -z "$check" ]] || { echo "$check" >&2; fail "promtool check metrics complained (rc $rc)"; }
echo "ok: promtool check metrics prints nothing"

stats=$(get "$mport" /stats) || fail "GET /stats"
[[ "$stats" == \{*\"total_requests\":*\} ]] || fail "/stats is not the Stats JSON: ${stats:0:200}"
echo "ok: /stats JSON"

# ---- prometheus
rules=""
if [[ -n "$alerts" ]]; then
  [[ -f "$alerts" ]] || fail "alerts file missing: $alerts"
  alerts=$(cd "$(dirname "$alerts")" && pwd)/$(basename "$alerts")  # prometheus resolves relative to its config
  rules="rule_files: [\"$alerts\"]"
fi
for attempt in 1 2 3; do
  pport=$("$http_get" --free-port) || fail "no free port"
  cat >"$tmp/prometheus.yml" <<CONF
global:
  scrape_interval: 1s
  scrape_timeout: 1s
  evaluation_interval: 1s
$rules
scrape_configs:
  - job_name: smartcache
    static_configs:
      - targets: ["127.0.0.1:$mport"]
CONF
  "$prometheus" --config.file="$tmp/prometheus.yml" --storage.tsdb.path="$tmp/tsdb" \
    --web.listen-address="127.0.0.1:$pport" >"$tmp/prometheus.log" 2>&1 &
  prom_pid=$!
  if wait_for 30 "prometheus ready on port $pport" answers "$pport" /-/ready; then break; fi
  alive "$prom_pid" || { wait "$prom_pid"; prom_pid=""; continue; }
  tail -20 "$tmp/prometheus.log" >&2; fail "prometheus not ready"
done
[[ -n "$prom_pid" ]] || { tail -20 "$tmp/prometheus.log" >&2; fail "prometheus did not start"; }

# query_value EXPR: the single value of an instant query, or nothing.
query_value() {
  get "$pport" /api/v1/query "query=$1" 2>/dev/null |
    sed -n 's/.*"value":\[[^,]*,"\([^"]*\)"\].*/\1/p'
}
# query_gt EXPR THRESHOLD: true when the query's value exceeds THRESHOLD.
query_gt() {
  local v; v=$(query_value "$1")
  [[ -n "$v" ]] && awk -v v="$v" -v t="$2" 'BEGIN { exit !(v + 0 > t + 0) }'
}

wait_for 60 "up == 1" query_gt 'up{job="smartcache"}' 0.5 ||
  { tail -20 "$tmp/prometheus.log" >&2; fail "target never up"; }
# Prometheus asks for OpenMetrics first: the server negotiated it, and every
# family below arrived through the OpenMetrics parser.
grep -q "serving /metrics as OpenMetrics" "$tmp/server.log" ||
  { cat "$tmp/server.log" >&2; fail "Prometheus did not scrape OpenMetrics"; }
echo "ok: Prometheus scraped the OpenMetrics exposition"
wait_for 60 "smartcache_requests_total > 0" query_gt 'sum(smartcache_requests_total{job="smartcache"})' 0 ||
  fail "smartcache_requests_total never > 0"
wait_for 30 "latency histogram scraped" query_gt 'count(smartcache_request_duration_seconds_bucket{job="smartcache"})' 1 ||
  fail "no histogram buckets in Prometheus"
# partitioned_by FAMILY LABEL N: the family arrived with N series, one per value of LABEL.
partitioned_by() {
  query_gt "count(count by ($2) ($1{job=\"smartcache\",$2!=\"\"}))" "$(($3 - 1))"
}
for spec in "smartcache_lookups_total result 3" "smartcache_vix_requests_total vix 3" \
            "smartcache_zone_requests_total zone 5" "smartcache_strategy_requests_total strategy 4" \
            "smartcache_swr_refreshes_total result 3"; do
  read -r family label n <<<"$spec"
  wait_for 30 "$family scraped with its $n $label series" partitioned_by "$family" "$label" "$n" ||
    fail "$family has fewer than $n $label series in Prometheus"
done
# Every series name of the exposition arrived, and only those: no name from
# before 0.2. OpenMetrics adds a <family>_created series per counter, summary
# and histogram series (the 0.0.4 text has none): counted apart.
names=$(awk '$1 != "#" && NF { sub(/[{ ].*/, "", $1); print $1 }' "$tmp/metrics.txt" | sort -u | wc -l)
((names >= 19)) || fail "only $names series names in /metrics"
ours='{job="smartcache",__name__=~"smartcache_.+",__name__!~".+_created"}'
wait_for 30 "all $names series names of /metrics in Prometheus" query_gt \
  "count(count by (__name__) ($ours))" "$((names - 1))" ||
  fail "Prometheus has $(query_value "count(count by (__name__) ($ours))") of $names series names"
wait_for 30 "OpenMetrics _created series ingested" query_gt \
  'count(count by (__name__) ({job="smartcache",__name__=~"smartcache_.+_created"}))' 15 ||
  fail "no OpenMetrics _created series in Prometheus"
[[ "$(query_value "count(count by (__name__) ($ours))")" == "$names" ]] ||
  fail "Prometheus has series names that /metrics does not"
old_names='smartcache_cache_.+|smartcache_swr_lookups_total|smartcache_vix_bypass_total|smartcache_invalidations_total'
old_count=$(query_value "count({job=\"smartcache\",__name__=~\"$old_names\"}) or vector(0)")
[[ "$old_count" == 0 ]] || fail "Prometheus has '$old_count' series under names from before 0.2"
echo "ok: no series under the names from before 0.2"

# The alerts' PromQL on real scraped data: a hit ratio in (0, 1], a finite
# p99, a VIX panic ratio in [0, 1], refresh and store error rates >= 0.
query_between() {  # query_between EXPR LOW HIGH: LOW < value <= HIGH
  local v; v=$(query_value "$1")
  [[ -n "$v" ]] && awk -v v="$v" -v lo="$2" -v hi="$3" 'BEGIN { exit !(v + 0 > lo + 0 && v + 0 <= hi + 0) }'
}
hits='sum(rate(smartcache_lookups_total{job="smartcache",result=~"fresh|stale"}[20s]))'
lookups='sum(rate(smartcache_lookups_total{job="smartcache"}[20s]))'
wait_for 30 "hit ratio from PromQL in (0, 1]" query_between "$hits / $lookups" 0 1 ||
  fail "hit ratio query gave '$(query_value "$hits / $lookups")'"
p99='histogram_quantile(0.99, sum by (le) (rate(smartcache_request_duration_seconds_bucket{job="smartcache"}[20s])))'
wait_for 30 "p99 from the histogram in (0, 10] s" query_between "$p99" 0 10 ||
  fail "p99 query gave '$(query_value "$p99")'"
panics='sum(rate(smartcache_vix_requests_total{job="smartcache",vix="panic"}[20s])) / sum(rate(smartcache_vix_requests_total{job="smartcache"}[20s]))'
wait_for 30 "VIX panic ratio from PromQL in [0, 1]" query_between "$panics" -1e-9 1 ||
  fail "VIX panic ratio query gave '$(query_value "$panics")'"
for rate in 'sum(rate(smartcache_swr_refreshes_total{job="smartcache",result="error"}[20s]))' \
            'sum(rate(smartcache_store_errors_total{job="smartcache"}[20s]))'; do
  wait_for 30 "$rate >= 0" query_between "$rate" -1e-9 1e9 || fail "'$rate' gave '$(query_value "$rate")'"
done

if [[ -n "$alerts" ]]; then
  nrules=$(grep -c -- '- alert:' "$alerts")
  rules_ok() {
    local n; n=$(get "$pport" /api/v1/rules 2>/dev/null | grep -o '"health":"ok"' | wc -l)
    [[ "$n" -eq "$nrules" ]]
  }
  wait_for 30 "all $nrules alert rules evaluate with health ok" rules_ok || {
    get "$pport" /api/v1/rules >&2; fail "alert rules not healthy"
  }
fi

# ---- clean shutdown of metrics_server on SIGTERM
kill -TERM "$server_pid"
stopped() { ! alive "$server_pid"; }
wait_for 10 "metrics_server stopped on SIGTERM" stopped || fail "metrics_server ignored SIGTERM"
wait "$server_pid"; rc=$?
server_pid=""
[[ $rc -eq 0 ]] || { cat "$tmp/server.log" >&2; fail "metrics_server exited $rc after SIGTERM"; }
echo "ok: metrics_server exit status 0"
echo "PASS"
