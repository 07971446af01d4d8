# smartcache developer entry points. Everything is a thin wrapper over CMake.
#
#   make demo            install deps, Release build, run the simulation example
#   make test            install deps, RelWithDebInfo build of everything, ctest
#   make bench           Release build of the benchmarks, run each one
#   make sanitize-asan   tests under AddressSanitizer + UBSan (build-asan/)
#   make sanitize-tsan   tests under ThreadSanitizer (build-tsan/)
#   make soak            build and run examples/soak (SOAK_ARGS="--seconds 60 ...")
#   make clean           remove every build directory
#
# Variables: JOBS (default: nproc), CTEST_JOBS (2), CMAKE_ARGS (extra -D...), SOAK_ARGS,
# BENCH_ARGS (e.g. --benchmark_min_time=0.1).

SHELL       := /bin/bash
MAKEFLAGS   += --no-print-directory
JOBS        ?= $(shell nproc 2>/dev/null || echo 2)
CTEST_JOBS  ?= 2
CMAKE       ?= cmake
CTEST       ?= ctest
CMAKE_ARGS  ?=
SOAK_ARGS   ?=
BENCH_ARGS  ?=
BUILD_DIR   ?= build
BENCH_DIR   ?= build-bench
ASAN_DIR    ?= build-asan
TSAN_DIR    ?= build-tsan

# Sanitizer runtime options (the caller's own settings win).
export ASAN_OPTIONS  ?= detect_leaks=1
export UBSAN_OPTIONS ?= print_stacktrace=1:halt_on_error=1
export TSAN_OPTIONS  ?= halt_on_error=1:second_deadlock_stack=1

comma := ,
DEMO_TARGET := $(if $(wildcard examples/simulate.cpp),simulate,metrics_demo)

.PHONY: all deps demo test build bench sanitize-asan sanitize-tsan sanitize soak clean help

all: test

help:
	@sed -n '3,12p' Makefile | sed 's/^# \{0,1\}//'

deps:
	@scripts/install-deps.sh

demo: deps
	$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=Release $(CMAKE_ARGS)
	$(CMAKE) --build $(BUILD_DIR) --target $(DEMO_TARGET) -j $(JOBS)
	./$(BUILD_DIR)/examples/$(DEMO_TARGET)

build: deps
	$(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS)
	$(CMAKE) --build $(BUILD_DIR) -j $(JOBS)

test: build
	$(CTEST) --test-dir $(BUILD_DIR) --output-on-failure -j $(CTEST_JOBS)

bench: deps
	$(CMAKE) -S . -B $(BENCH_DIR) -DCMAKE_BUILD_TYPE=Release \
	  -DSMARTCACHE_BUILD_TESTS=OFF -DSMARTCACHE_BUILD_EXAMPLES=OFF \
	  -DSMARTCACHE_BUILD_BENCHMARKS=ON $(CMAKE_ARGS)
	$(CMAKE) --build $(BENCH_DIR) --target smartcache_benchmarks -j $(JOBS)
	@set -e; found=0; \
	for b in $(BENCH_DIR)/benchmarks/bench_*; do \
	  [ -x "$$b" ] && [ -f "$$b" ] || continue; found=1; \
	  echo "== $$b"; "$$b" $(BENCH_ARGS); \
	done; \
	[ $$found -eq 1 ] || echo "no benchmarks built (benchmarks/bench_*.cpp)"

# $(call sanitize,<dir>,<sanitizers>)
define sanitize
	$(CMAKE) -S . -B $(1) -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSMARTCACHE_SANITIZER=$(2) \
	  -DSMARTCACHE_BUILD_EXAMPLES=OFF -DSMARTCACHE_BUILD_BENCHMARKS=OFF $(CMAKE_ARGS)
	$(CMAKE) --build $(1) -j $(JOBS)
	$(CTEST) --test-dir $(1) --output-on-failure -j $(CTEST_JOBS)
endef

sanitize-asan: deps
	$(call sanitize,$(ASAN_DIR),address$(comma)undefined)

sanitize-tsan: deps
	$(call sanitize,$(TSAN_DIR),thread)

sanitize: sanitize-asan sanitize-tsan

soak: deps
	@if [ ! -f examples/soak.cpp ]; then echo "no examples/soak.cpp yet"; exit 0; fi; \
	set -e; \
	[ -f $(BUILD_DIR)/CMakeCache.txt ] || \
	  $(CMAKE) -S . -B $(BUILD_DIR) -DCMAKE_BUILD_TYPE=RelWithDebInfo $(CMAKE_ARGS); \
	$(CMAKE) --build $(BUILD_DIR) --target soak -j $(JOBS); \
	./$(BUILD_DIR)/examples/soak $(SOAK_ARGS)

clean:
	rm -rf $(BUILD_DIR) $(BENCH_DIR) $(ASAN_DIR) $(TSAN_DIR)
