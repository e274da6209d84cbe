#!/usr/bin/env python3
"""include_graph.py - which component includes which, read from the sources.

A component is a top-level folder holding C sources (core/, capture/, ...).
For every `#include "NAME.h"` in a component's .c and .h files the header is
looked up among the headers of all components; an include of another
component's header is an edge. An include of another component's internal
header (anything but its public NAME.h) is listed as a violation.

Usage: tests/tools/include_graph.py [REPO]      (default: this checkout)
Prints one line per component, "component -> what it includes", then any
violations; exits 1 when there are violations.
"""
import os
import re
import sys

INCLUDE = re.compile(r'^\s*#\s*include\s+"([^"]+)"', re.M)
SKIP = {"tests", "packaging", ".git"}


def main():
    repo = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else
                           os.path.join(os.path.dirname(__file__), "..", ".."))
    comps = {}
    for d in sorted(os.listdir(repo)):
        path = os.path.join(repo, d)
        if d in SKIP or d.startswith(".") or not os.path.isdir(path):
            continue
        if os.path.exists(os.path.join(path, "CMakeCache.txt")):
            continue  # a build directory
        files = [f for f in os.listdir(path) if f.endswith((".c", ".h"))]
        if files:
            comps[d] = files
    owner = {}  # header name -> component
    for comp, files in comps.items():
        for f in files:
            if f.endswith(".h"):
                owner.setdefault(f, comp)
    edges = {c: set() for c in comps}
    bad = []
    for comp, files in comps.items():
        for f in files:
            with open(os.path.join(repo, comp, f), encoding="utf-8", errors="replace") as fh:
                for inc in INCLUDE.findall(fh.read()):
                    other = owner.get(os.path.basename(inc))
                    if other is None or other == comp:
                        continue
                    edges[comp].add(other)
                    if os.path.basename(inc) != other + ".h":
                        bad.append(f"{comp}/{f} includes {other}/{inc} (not its public header)")
    for comp in sorted(comps, key=lambda c: (len(edges[c]), c)):
        print(f"{comp} -> {', '.join(sorted(edges[comp])) or '(libc only)'}")
    for b in bad:
        print("VIOLATION:", b)
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
