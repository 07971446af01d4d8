#!/usr/bin/env bash
# The alert rules are valid and behave as their unit tests say.
#
#   promtool_rules.sh MONITORING_DIR [PROMTOOL]
#
# Runs `promtool check rules alerts.yml` and `promtool test rules alerts_test.yml`.
# A missing promtool skips the test (exit 77) unless $CI is set.
set -uo pipefail
source "$(dirname "${BASH_SOURCE[0]}")/common.sh"
dir=${1:?usage: promtool_rules.sh MONITORING_DIR [PROMTOOL]}
promtool=${2:-}
promtool=$(find_tool promtool "$promtool") || exit $?
cd "$dir" || exit 1
"$promtool" check rules alerts.yml || exit 1
"$promtool" test rules alerts_test.yml || exit 1
echo "PASS"
