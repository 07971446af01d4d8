#!/usr/bin/env bash
# The monitoring files agree with what the library really exports.
#
#   monitoring_consistency.sh METRICS_DEMO MONITORING_DIR [PROMTOOL]
#
# 1. every metric family of the exposition (`# TYPE` lines of metrics_demo) is
#    shown by at least one panel of grafana-dashboard.json;
# 2. every smartcache_* series named by the dashboard, alerts.yml or the input
#    series of alerts_test.yml exists in the exposition (a typo or an old name
#    would otherwise fail silently);
# 3. every label they use is one the exposition has: each matcher of a
#    smartcache_* selector names a label of that series with a value it takes
#    (job and instance aside; for le only the name), and every label of a
#    `by (...)`/`without (...)` clause, a legend `{{label}}` or an alert's
#    `$labels.x` is job, instance, le or a label of some exported series;
# 4. every dashboard expression is valid PromQL (checked by promtool as
#    recording rules, Grafana variables replaced).
# A missing promtool skips check 4 (exit 77) unless $CI is set.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"

demo=${1:?usage: monitoring_consistency.sh METRICS_DEMO MONITORING_DIR [PROMTOOL]}
dir=${2:?monitoring dir missing}
promtool=${3:-}
dashboard=$dir/grafana-dashboard.json
alerts=$dir/alerts.yml
alerts_test=$dir/alerts_test.yml
[[ -f "$dashboard" && -f "$alerts" && -f "$alerts_test" ]] || fail "missing $dashboard, $alerts or $alerts_test"

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
# "series label value" for every label of every sample (the demo's values hold
# no ',', '}' or space)
awk '$1 != "#" && index($1, "{") {
  name = substr($1, 1, index($1, "{") - 1)
  body = substr($1, index($1, "{") + 1)
  body = substr(body, 1, length(body) - 1)
  n = split(body, parts, ",")
  for (i = 1; i <= n; i++) {
    eq = index(parts[i], "=")
    value = substr(parts[i], eq + 2)
    sub(/"$/, "", value)
    print name, substr(parts[i], 1, eq - 1), value
  }
}' "$tmp/exposition.txt" >"$tmp/labels"
[[ -s "$tmp/labels" ]] || fail "no labelled series in the exposition"

# 0. the dashboard is valid JSON (when python3 is there to say so)
if command -v python3 >/dev/null 2>&1; then
  python3 -c 'import json, sys; json.load(open(sys.argv[1]))' "$dashboard" || fail "dashboard is not valid JSON"
  echo "ok: dashboard is valid JSON"
fi

errors=0
# 1. families shown by the dashboard
while read -r name type; do
  if ! grep -Eq "(^|[^a-z0-9_])${name}(_bucket|_sum|_count)?([^a-z0-9_]|$)" "$dashboard"; then
    echo "dashboard shows no panel for family $name ($type)" >&2; errors=$((errors + 1))
  fi
done <"$tmp/families"
echo "checked $(wc -l <"$tmp/families") families against the dashboard"

# 2. names used by the dashboard, the alerts and their tests exist
for f in "$dashboard" "$alerts" "$alerts_test"; do
  for used in $(grep -Eo 'smartcache_[a-z0-9_]+' "$f" | sort -u); do
    if ! grep -qx "$used" "$tmp/series"; then
      echo "$(basename "$f") uses $used, which the exposition does not have" >&2; errors=$((errors + 1))
    fi
  done
done

# 3. labels used by them exist
# check_matchers FILE: the label matchers of every smartcache_* selector.
check_matchers() {
  sed 's/\\"/"/g' "$1" | grep -Eo 'smartcache_[a-z0-9_]+[{][^}]*[}]' |
    awk -v file="$(basename "$1")" -v labels="$tmp/labels" '
      BEGIN {
        while ((getline line < labels) > 0) {
          split(line, f, " ")
          has[f[1] SUBSEP f[2]] = 1
          takes[f[1] SUBSEP f[2] SUBSEP f[3]] = 1
        }
      }
      {
        name = substr($0, 1, index($0, "{") - 1)
        rest = substr($0, index($0, "{") + 1)
        while (match(rest, /[a-zA-Z_][a-zA-Z0-9_]* *(=~|!~|!=|=) *"[^"]*"/)) {
          matcher = substr(rest, RSTART, RLENGTH)
          rest = substr(rest, RSTART + RLENGTH)
          match(matcher, /(=~|!~|!=|=)/)
          label = substr(matcher, 1, RSTART - 1)
          op = substr(matcher, RSTART, RLENGTH)
          value = substr(matcher, RSTART + RLENGTH)
          sub(/ +$/, "", label)
          sub(/^ *"/, "", value)
          sub(/"$/, "", value)
          if (label == "job" || label == "instance") continue
          if (!((name SUBSEP label) in has)) {
            print file ": " name " has no label " label " (" matcher ")"; bad++; continue
          }
          if (label == "le") continue
          if (op == "=" || op == "!=") { n = 1; alt[1] = value }
          else if (value ~ /^[a-zA-Z0-9_|]+$/) n = split(value, alt, "|")
          else n = 0  # a real regex: the label name is all we can check
          for (i = 1; i <= n; i++)
            if (!((name SUBSEP label SUBSEP alt[i]) in takes)) {
              print file ": " name " never has " label "=\"" alt[i] "\" (" matcher ")"; bad++
            }
        }
      }
      END { exit bad > 0 }' >&2
}
for f in "$dashboard" "$alerts" "$alerts_test"; do
  check_matchers "$f" || errors=$((errors + 1))
done
# grouping, legend and annotation labels
known_labels=$(printf '%s\n' job instance le $(awk '{ print $2 }' "$tmp/labels") | sort -u)
for f in "$dashboard" "$alerts"; do
  used=$(
    {
      sed 's/\\"/"/g' "$f" | grep -Eo '(by|without) *[(][^)]*[)]' | sed 's/^[a-z]* *(//; s/)$//' | tr ',' '\n'
      grep -Eo '[{][{][a-zA-Z_][a-zA-Z0-9_]*[}][}]' "$f" | tr -d '{}'
      grep -Eo '[$]labels[.][a-zA-Z_][a-zA-Z0-9_]*' "$f" | sed 's/^[$]labels[.]//'
    } | tr -d ' ' | grep -v '^$' | sort -u
  )
  for label in $used; do
    if ! grep -qx "$label" <<<"$known_labels"; then
      echo "$(basename "$f") groups or prints by label $label, which no exported series has" >&2
      errors=$((errors + 1))
    fi
  done
done
((errors == 0)) || fail "$errors inconsistencies"
echo "ok: dashboard covers every family; dashboard, alerts and their tests use only exported series and labels"

# 4. dashboard expressions are valid PromQL
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
