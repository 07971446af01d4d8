#!/usr/bin/env python3
"""Checks the include graph of include/smartcache: the tree is the architecture.

    scripts/check_includes.py [REPO_ROOT]

Fails (exit 1, one line per problem) when
  - an #include <smartcache/...> names a file that does not exist, or a
    header uses a quoted include instead of the rooted form;
  - the graph has a cycle (printed as a path);
  - a layer reaches one it must not, directly or through other headers:
      recording (metrics/ except the writers, detail/metrics/) -> any exposition
        (detail/exposition/, metrics/{prometheus,openmetrics,negotiation}.hpp);
      stores (stores/, detail/{memory,redis,tiered}/) -> the cache
        (cache.hpp, detail/core/);
      policy.hpp, types.hpp, config.hpp, request.hpp -> stores, the cache, metrics.
Prints the number of headers and edges when everything holds.
"""
import os
import re
import sys

root = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), ".."))
base = os.path.join(root, "include")
rooted = re.compile(r'^\s*#\s*include\s*<(smartcache/[^>]+)>', re.M)
quoted = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)

headers = {}
for dirpath, _, files in os.walk(os.path.join(base, "smartcache")):
    for f in sorted(files):
        if f.endswith(".hpp"):
            path = os.path.join(dirpath, f)
            headers[os.path.relpath(path, base)] = open(path, encoding="utf-8").read()

problems = []
graph = {}
for name, text in sorted(headers.items()):
    graph[name] = []
    for q in quoted.findall(text):
        problems.append(f"{name}: quoted include \"{q}\" (use <smartcache/...>)")
    for inc in rooted.findall(text):
        if inc not in headers:
            problems.append(f"{name}: includes <{inc}>, which does not exist")
        else:
            graph[name].append(inc)

# Cycles: depth-first search with colours.
state = {}
stack = []
def visit(n):
    state[n] = 1
    stack.append(n)
    for m in graph[n]:
        if state.get(m) == 1:
            cycle = stack[stack.index(m):] + [m]
            problems.append("include cycle: " + " -> ".join(cycle))
        elif m not in state:
            visit(m)
    stack.pop()
    state[n] = 2
for n in sorted(graph):
    if n not in state:
        visit(n)

closure = {}
def reach(n, seen=None):
    if n in closure:
        return closure[n]
    out = set()
    todo = list(graph[n])
    while todo:
        m = todo.pop()
        if m not in out:
            out.add(m)
            todo.extend(graph[m])
    closure[n] = out
    return out

def is_exposition(h):
    return h.startswith("smartcache/detail/exposition/") or h in (
        "smartcache/metrics/prometheus.hpp", "smartcache/metrics/openmetrics.hpp",
        "smartcache/metrics/negotiation.hpp")
def is_recording(h):
    return (h.startswith("smartcache/metrics/") and not is_exposition(h)) or h.startswith("smartcache/detail/metrics/")
def is_store(h):
    return h.startswith(("smartcache/stores/", "smartcache/detail/memory/", "smartcache/detail/redis/",
                         "smartcache/detail/tiered/"))
def is_cache(h):
    return h == "smartcache/cache.hpp" or h.startswith("smartcache/detail/core/")
vocabulary = {"smartcache/policy.hpp", "smartcache/types.hpp", "smartcache/config.hpp", "smartcache/request.hpp"}

rules = [
    ("recording", is_recording, "an exposition", is_exposition),
    ("a store", is_store, "the cache", is_cache),
    ("a vocabulary header", lambda h: h in vocabulary, "a store, the cache or the metrics",
     lambda h: is_store(h) or is_cache(h) or is_recording(h) or is_exposition(h)),
]
if not problems:  # the closure needs an acyclic graph to mean anything
    for name in sorted(graph):
        for what, src, forbidden, dst in rules:
            if src(name):
                for bad in sorted(h for h in reach(name) if dst(h)):
                    problems.append(f"{name} ({what}) reaches {bad} ({forbidden})")

for p in problems:
    print(p)
if problems:
    sys.exit(1)
edges = sum(len(v) for v in graph.values())
print(f"include graph ok: {len(graph)} headers, {edges} edges, no cycle, layers respected")
