#!/usr/bin/env bash
# smartcache CI extras, run at the end of .ci/run: bounded fuzzing of every
# fuzz target, then a short soak (MemoryStore, and over Redis when a
# redis-server is installed). Exits non-zero on any crash, broken invariant or
# failed soak. Budget: under 10 minutes on 2 cores.
#
#   FUZZ_SECONDS   fuzzing time per target (default 45)
#   SOAK_SECONDS   soak duration per store (default 20)
#   JOBS           build parallelism (default 2)
#   FUZZ_BUILD_DIR / SOAK_BUILD_DIR   build directories (build-fuzz, build-soak)
#
# The seeds in fuzz/corpus/<target>/ are copied to a temporary directory, so
# the repository is never modified; a crash leaves its reproducer in
# build-fuzz/artifacts/ (copy it to fuzz/regressions/<target>/ once fixed).
set -euo pipefail

cd "$(dirname "${BASH_SOURCE[0]}")/.."
FUZZ_SECONDS="${FUZZ_SECONDS:-45}"
SOAK_SECONDS="${SOAK_SECONDS:-20}"
JOBS="${JOBS:-2}"
FUZZ_DIR="${FUZZ_BUILD_DIR:-build-fuzz}"
SOAK_DIR="${SOAK_BUILD_DIR:-build-soak}"

start=$(date +%s)
step() { echo; echo "=== ci-extra [$(($(date +%s) - start))s] $*"; }

work="$(mktemp -d /tmp/smartcache-ci-extra.XXXXXX)"
redis_pid=""
cleanup() {
  if [ -n "$redis_pid" ]; then kill "$redis_pid" 2>/dev/null || true; wait "$redis_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT

# --- fuzzing ---------------------------------------------------------------------
step "fuzz targets: clang build in $FUZZ_DIR/"
scripts/install-deps.sh --fuzz
cmake -S . -B "$FUZZ_DIR" -DCMAKE_CXX_COMPILER=clang++ -DCMAKE_BUILD_TYPE=RelWithDebInfo \
  -DSMARTCACHE_BUILD_FUZZERS=ON -DSMARTCACHE_BUILD_TESTS=OFF -DSMARTCACHE_BUILD_EXAMPLES=OFF \
  -DSMARTCACHE_BUILD_BENCHMARKS=OFF -DSMARTCACHE_INSTALL=OFF >/dev/null
cmake --build "$FUZZ_DIR" --target smartcache_fuzzers -j "$JOBS"

mkdir -p "$FUZZ_DIR/artifacts"
failed=()
summary=()
for src in fuzz/fuzz_*.cpp; do
  target="$(basename "$src" .cpp)"
  binary="$FUZZ_DIR/fuzz/$target"
  corpus="$work/$target"
  mkdir -p "$corpus"
  if [ -d "fuzz/corpus/$target" ]; then cp fuzz/corpus/"$target"/* "$corpus"/ 2>/dev/null || true; fi
  step "fuzz $target for ${FUZZ_SECONDS}s"
  log="$work/$target.log"
  set +e
  # -timeout: one input taking 10 s is a hang; the outer timeout is a safety net.
  timeout $((FUZZ_SECONDS + 120)) "$binary" "$corpus" \
    -max_total_time="$FUZZ_SECONDS" -timeout=10 -rss_limit_mb=2048 -print_final_stats=1 \
    -artifact_prefix="$FUZZ_DIR/artifacts/$target-" >"$log" 2>&1
  rc=$?
  set -e
  runs="$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" | tail -1)"
  speed="$(sed -n 's/^stat::average_exec_per_sec: *//p' "$log" | tail -1)"
  summary+=("$target: ${runs:-?} runs, ${speed:-?} exec/s, rc $rc")
  if [ "$rc" -ne 0 ]; then
    failed+=("$target")
    echo "--- $target FAILED (rc $rc); last lines of its log:"
    grep -v '^#\|^"' "$log" | tail -40
  else
    tail -3 "$log"
  fi
done

# --- soak --------------------------------------------------------------------------
soak_bin=""
if [ -x build/examples/soak ]; then
  soak_bin=build/examples/soak  # built by `make test`
else
  step "soak: Release build in $SOAK_DIR/"
  cmake -S . -B "$SOAK_DIR" -DCMAKE_BUILD_TYPE=Release -DSMARTCACHE_BUILD_TESTS=OFF \
    -DSMARTCACHE_BUILD_BENCHMARKS=OFF -DSMARTCACHE_INSTALL=OFF >/dev/null
  cmake --build "$SOAK_DIR" --target soak -j "$JOBS"
  soak_bin="$SOAK_DIR/examples/soak"
fi

step "soak: MemoryStore, 4 threads x ${SOAK_SECONDS}s"
if "$soak_bin" --threads 4 --seconds "$SOAK_SECONDS"; then
  summary+=("soak MemoryStore: PASS")
else
  failed+=("soak-memory")
  summary+=("soak MemoryStore: FAIL")
fi

"$soak_bin" --help >"$work/soak-help.txt" 2>&1 || true
if command -v redis-server >/dev/null 2>&1 && grep -q 'run over RedisStore' "$work/soak-help.txt"; then
  # A private redis-server on a free loopback port, stopped by pid on exit.
  port=""
  for _ in $(seq 20); do
    candidate=$((20000 + RANDOM % 30000))
    if ! (exec 3<>"/dev/tcp/127.0.0.1/$candidate") 2>/dev/null; then port=$candidate; break; fi
  done
  if [ -n "$port" ]; then
    redis-server --port "$port" --bind 127.0.0.1 --save '' --appendonly no >"$work/redis.log" 2>&1 &
    redis_pid=$!
    for _ in $(seq 50); do
      (exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null && break
      sleep 0.1
    done
    # One RedisStore, two instances over RedisStore, two over TieredStore:
    # the coherence check gates each (0 ms late without a memory tier, 100 ms with).
    for mode in "one:" "two:--instances 2" "tiered:--tiered"; do
      name=${mode%%:*}
      step "soak: $name over Redis on 127.0.0.1:$port, 4 threads x $((SOAK_SECONDS / 2))s"
      # shellcheck disable=SC2086
      if "$soak_bin" --threads 4 --seconds $((SOAK_SECONDS / 2)) --redis "127.0.0.1:$port" ${mode#*:}; then
        summary+=("soak Redis ($name): PASS")
      else
        failed+=("soak-redis-$name")
        summary+=("soak Redis ($name): FAIL")
      fi
    done
  fi
fi

step "summary"
printf '  %s\n' "${summary[@]}"
if [ ${#failed[@]} -ne 0 ]; then
  echo "ci-extra FAILED: ${failed[*]} (reproducers in $FUZZ_DIR/artifacts/)"
  exit 1
fi
echo "ci-extra: all fuzz targets and soaks passed"
