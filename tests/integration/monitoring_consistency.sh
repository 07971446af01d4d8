#!/usr/bin/env bash
# The monitoring files agree with what the library really exports.
#
#   monitoring_consistency.sh METRICS_DEMO MONITORING_DIR [PROMTOOL]
#
# 1. every metric family of the exposition (`# TYPE` lines of metrics_demo) is
#    shown by at least one panel of grafana-dashboard.json;
# 2. every smartcache_* series named by the dashboard or alerts.yml exists in
#    the exposition (a typo in a name would otherwise fail silently);
# 3. every dashboard expression is valid PromQL (checked by promtool as
#    recording rules, Grafana variables replaced).
# A missing promtool skips check 3 (exit 77) unless $CI is set.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

demo=${1:?usage: monitoring_consistency.sh METRICS_DEMO MONITORING_DIR [PROMTOOL]}
dir=${2:?monitoring dir missing}
promtool=${3:-}
dashboard=$dir/grafana-dashboard.json
alerts=$dir/alerts.yml
[[ -f "$dashboard" && -f "$alerts" ]] || fail "missing $dashboard or $alerts"

tmp=$(mktemp -d "${TMPDIR:-/tmp}/smartcache-monitoring.XXXXXX") || fail "mktemp"
trap 'rm -rf "$tmp"' EXIT

"$demo" --quiet --requests 1000 >"$tmp/exposition.txt" || fail "metrics_demo failed"
# family TYPE lines: "# TYPE name type"
awk '$1 == "#" && $2 == "TYPE" { print $3, $4 }' "$tmp/exposition.txt" >"$tmp/families"
[[ -s "$tmp/families" ]] || fail "no families in the exposition"
# every sample name the exposition can produce
: >"$tmp/series"
while read -r name type; do
  case $type in
    histogram) printf '%s\n' "${name}_bucket" "${name}_sum" "${name}_count" >>"$tmp/series" ;;
    summary) printf '%s\n' "$name" "${name}_sum" "${name}_count" >>"$tmp/series" ;;
    *) echo "$name" >>"$tmp/series" ;;
  esac
done <"$tmp/families"

# 0. the dashboard is valid JSON (when python3 is there to say so)
if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$dashboard" || fail "dashboard is not valid JSON"
  echo "ok: dashboard is valid JSON"
fi

errors=0
# 1. families shown by the dashboard
while read -r name type; do
  if ! grep -Eq "${name}(_bucket|_sum|_count)?[^a-z_]" "$dashboard"; then
    echo "dashboard shows no panel for family $name ($type)" >&2; errors=$((errors + 1))
  fi
done <"$tmp/families"
echo "checked $(wc -l <"$tmp/families") families against the dashboard"

# 2. names used by the dashboard and alerts exist
for f in "$dashboard" "$alerts"; do
  for used in $(grep -Eo 'smartcache_[a-z0-9_]+' "$f" | sort -u); do
    if ! grep -qx "$used" "$tmp/series"; then
      echo "$(basename "$f") uses $used, which the exposition does not have" >&2; errors=$((errors + 1))
    fi
  done
done
((errors == 0)) || fail "$errors inconsistencies"
echo "ok: dashboard covers every family; dashboard and alerts use only exported series"

# 3. dashboard expressions are valid PromQL
promtool=$(find_tool promtool "$promtool") || exit $?
{
  echo "groups:"
  echo "  - name: dashboard"
  echo "    rules:"
  n=0
  grep -o '"expr": "\([^"\\]\|\\.\)*"' "$dashboard" | sed 's/^"expr": "//; s/"$//; s/\\"/"/g' |
    sed 's/\$__rate_interval/1m/g; s/\$instance/.*/g' | while IFS= read -r expr; do
      n=$((n + 1))
      echo "      - record: dashboard:expr_$n"
      echo "        expr: '${expr//\'/\'\'}'"
    done
} >"$tmp/dashboard_rules.yml"
count=$(grep -c 'record:' "$tmp/dashboard_rules.yml")
((count >= 20)) || fail "found only $count dashboard expressions"
out=$("$promtool" check rules "$tmp/dashboard_rules.yml" 2>&1) || { echo "$out" >&2; fail "invalid PromQL in the dashboard"; }
echo "ok: $count dashboard expressions are valid PromQL"
echo "PASS"
