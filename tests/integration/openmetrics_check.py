#!/usr/bin/env python3
"""Parses an OpenMetrics exposition (stdin) with prometheus_client's strict
OpenMetrics parser, an implementation independent of ours, and checks what
smartcache promises of it:

    metrics_demo --quiet --openmetrics | openmetrics_check.py

  - it parses (the parser rejects any deviation from OpenMetrics 1.0,
    including a missing or misplaced "# EOF");
  - the counter families are named without _total, each series has _total
    and _created samples; the latency histogram has unit "seconds";
  - the families are the ones the 0.0.4 text has (same names, same types).
Exits 0 and prints a summary, 1 with the reason, 77 when the parser module
is missing (the ctest entry fails instead when CI is set).
"""
import os
import sys

try:
    from prometheus_client.openmetrics.parser import text_string_to_metric_families
except ImportError:
    print("SKIP: python3-prometheus-client is not installed", file=sys.stderr)
    sys.exit(1 if os.environ.get("CI") else 77)

text = sys.stdin.read()
try:
    families = list(text_string_to_metric_families(text))
except Exception as e:  # the parser raises ValueError on any violation
    print(f"FAIL: not valid OpenMetrics: {e}", file=sys.stderr)
    sys.exit(1)

by_name = {f.name: f for f in families}
problems = []
for want, kind in [("smartcache_requests", "counter"), ("smartcache_lookups", "counter"),
                   ("smartcache_strategy_requests", "counter"),
                   ("smartcache_request_duration_seconds", "histogram"),
                   ("smartcache_invalidation_cpu_saved_ratio", "summary"),
                   ("smartcache_latency_sample_ratio", "gauge")]:
    f = by_name.get(want)
    if f is None:
        problems.append(f"family {want} missing")
    elif f.type != kind:
        problems.append(f"family {want} is a {f.type}, not a {kind}")
for f in families:
    if f.name.startswith("smartcache_cache_"):
        problems.append(f"family {f.name} stutters")
    if f.type == "counter":
        names = {s.name for s in f.samples}
        if names != {f.name + "_total", f.name + "_created"}:
            problems.append(f"counter {f.name} has samples {sorted(names)}")
duration = by_name.get("smartcache_request_duration_seconds")
if duration is not None and duration.unit != "seconds":
    problems.append(f"request_duration_seconds has unit {duration.unit!r}")
if problems:
    for p in problems:
        print("FAIL:", p, file=sys.stderr)
    sys.exit(1)
samples = sum(len(f.samples) for f in families)
print(f"ok: OpenMetrics parsed: {len(families)} families, {samples} samples")
