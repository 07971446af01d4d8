# Shared helpers of the integration scripts (sourced, not run).
# SKIP (77) is the SKIP_RETURN_CODE the ctest entries declare.
SKIP=77

fail() { echo "FAIL: $*" >&2; exit 1; }

# find_tool NAME GIVEN_PATH: prints the tool's path (GIVEN_PATH when usable,
# else the one on PATH). When missing: exits 1 if $CI is set, else exits SKIP.
# Call it as `x=$(find_tool ...) || exit $?`.
find_tool() {
  local name=$1 given=${2:-}
  if [[ -n "$given" && "$given" != *NOTFOUND && -x "$given" ]]; then echo "$given"; return 0; fi
  if command -v "$name" >/dev/null 2>&1; then command -v "$name"; return 0; fi
  if [[ -n "${CI:-}" ]]; then echo "FAIL: $name not found and CI is set" >&2; exit 1; fi
  echo "SKIP: $name not found" >&2
  exit "$SKIP"
}
