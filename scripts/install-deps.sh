#!/usr/bin/env bash
# Install the Debian packages smartcache builds, tests and benchmarks with.
#
#   scripts/install-deps.sh          # compiler, CMake, libraries, redis, prometheus
#   scripts/install-deps.sh --fuzz   # also clang + its sanitizer runtimes
#
# Quiet when everything is there. As root, installs what is missing with
# apt-get; otherwise prints the exact command to run and exits 1.
set -euo pipefail

packages=(g++ cmake make pkg-config libfmt-dev catch2 libhiredis-dev redis-server
          libcpp-httplib-dev prometheus libbenchmark-dev python3
          python3-prometheus-client)
for arg in "$@"; do
  case "$arg" in
    --fuzz) packages+=(clang libclang-rt-14-dev) ;;
    -h|--help) sed -n '2,8p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "install-deps.sh: unknown option '$arg'" >&2; exit 2 ;;
  esac
done

missing=()
for pkg in "${packages[@]}"; do
  # Captured, not piped into `grep -q`: that would SIGPIPE dpkg under pipefail.
  status="$(dpkg -s "$pkg" 2>/dev/null || true)"
  if [[ "$status" != *"Status: install ok installed"* ]]; then
    missing+=("$pkg")
  fi
done
[ ${#missing[@]} -eq 0 ] && exit 0

if [ "$(id -u)" -ne 0 ]; then
  echo "smartcache: missing Debian packages: ${missing[*]}" >&2
  echo "run:  sudo apt-get update && sudo apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

echo "smartcache: installing ${missing[*]}"
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "${missing[@]}"
