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

# start_server TRIES PAUSE START READY: calls the function START (it picks a
# port, starts a server in the background and sets server_pid), then the
# function READY up to TRIES times, PAUSE seconds apart, until it succeeds.
# Returns 1, with the server stopped and server_pid empty, when the server
# exited or did not get ready in time: the caller may try another port.
start_server() {
  local tries=$1 pause=$2 start=$3 ready=$4
  "$start"
  for _ in $(seq "$tries"); do
    "$ready" && return 0
    kill -0 "$server_pid" 2>/dev/null || break
    sleep "$pause"
  done
  kill "$server_pid" 2>/dev/null; wait "$server_pid" 2>/dev/null; server_pid=""
  return 1
}
