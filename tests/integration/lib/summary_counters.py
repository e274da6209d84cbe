#!/usr/bin/env python3
"""summary_counters.py - every counter siphon keeps reaches its summary.

The counter structs are read from the public headers (cap_stats_t in
capture/capture.h, corr_stats_t in correlator/correlator.h, pl_stats_t and
corr_route_stats_t in pipeline/ and correlator/): their uint64_t members,
whether declared directly or through an X-macro list (`#define
NAME_COUNTERS(X) X(a) X(b) ...` expanded in the struct).  For each capture,
`siphon analyze --json` (inline and with --threads 2) must write:

  - every cap_stats_t counter under "decode", every corr_stats_t counter
    under "correlate" (sip_by_method as the "sip_methods" object), every
    pl_stats_t counter under "pipeline" (route.X as routed_X / route_X);
  - the same numbers with and without threads;
  - top-level "streams" equal to the stream records written (streams in
    call records plus orphan stream records), "orphan_streams" equal to the
    orphan records, "calls" equal to the call records.

and the text summary of `siphon analyze` must show every counter that is
not zero as name=value.

usage: summary_counters.py SIPHON SRC_DIR PCAP...
"""
import json
import re
import subprocess
import sys


def strip_comments(s):
    return re.sub(r"/\*.*?\*/", " ", s, flags=re.S)


def struct_counters(src, name):
    """uint64_t member names of `typedef struct {...} name;` (arrays skipped)."""
    end = re.search(r"\}\s*" + name + r"\s*;", src)
    start = src.rfind("typedef struct {", 0, end.start()) if end else -1
    if start < 0:
        raise SystemExit(f"struct {name} not found")
    body = src[start:end.start()]
    names = []
    # X-macro lists expanded in the body: FOO_COUNTERS(SOMETHING)
    for mac in re.findall(r"\b([A-Z][A-Z0-9_]*_COUNTERS)\s*\(", body):
        d = re.search(r"#define\s+" + mac + r"\s*\(\s*X\s*\)((?:.*\\\n)*.*)", src)
        if not d:
            raise SystemExit(f"{mac} not defined")
        names += re.findall(r"\bX\(\s*(\w+)\s*\)", d.group(1))
    body = re.sub(r"(?m)^\s*#.*$", "", body)  # the X-macro's own #define/#undef
    for decl in re.findall(r"\buint64_t\s+([^;]+);", body):
        for v in decl.split(","):
            v = v.strip()
            if v and "[" not in v:
                names.append(v)
    return names


def run(cmd):
    p = subprocess.run(cmd, capture_output=True, text=True, errors="replace")
    if p.returncode not in (0, 1):
        raise SystemExit(f"{' '.join(cmd)}: exit {p.returncode}: {p.stderr}")
    return p.stdout


def main():
    siphon, srcdir, pcaps = sys.argv[1], sys.argv[2], sys.argv[3:]
    hdr = {f: strip_comments(open(f"{srcdir}/{f}").read())
           for f in ("capture/capture.h", "correlator/correlator.h", "pipeline/pipeline.h")}
    cap = struct_counters(hdr["capture/capture.h"], "cap_stats_t")
    corr = struct_counters(hdr["correlator/correlator.h"], "corr_stats_t")
    route = struct_counters(hdr["correlator/correlator.h"], "corr_route_stats_t")
    pl = struct_counters(hdr["pipeline/pipeline.h"], "pl_stats_t")
    errors = []
    checked = 0
    for pcap in pcaps:
        name = pcap.rsplit("/", 1)[-1]
        recs = {}
        for label, extra in (("inline", []), ("threads", ["--threads", "2"])):
            out = run([siphon, "analyze", "--json", *extra, pcap]).splitlines()
            recs[label] = [json.loads(line) for line in out if line.strip()]
        summ = {k: [r for r in v if r["type"] == "summary"] for k, v in recs.items()}
        if any(len(s) != 1 for s in summ.values()):
            errors.append(f"{name}: not one summary")
            continue
        s, st = summ["inline"][0], summ["threads"][0]
        checked += 1
        for sect, names in (("decode", cap), ("correlate", corr)):
            for n in names:
                if n not in s.get(sect, {}):
                    errors.append(f"{name}: summary.{sect} lacks {n}")
                elif s[sect][n] != st.get(sect, {}).get(n):
                    errors.append(f"{name}: {sect}.{n} {s[sect][n]} inline, "
                                  f"{st.get(sect, {}).get(n)} with --threads 2")
        p = st.get("pipeline", {})
        for n in pl:
            if n not in p:
                errors.append(f"{name}: summary.pipeline lacks {n}")
        for n in route:
            if f"routed_{n}" not in p and f"route_{n}" not in p:
                errors.append(f"{name}: summary.pipeline lacks route {n}")

        calls = [r for r in recs["inline"] if r["type"] == "call"]
        orphans = [r for r in recs["inline"] if r["type"] == "stream"]
        written = sum(len(c["streams"]) for c in calls) + len(orphans)
        if s["streams"] != written:
            errors.append(f"{name}: summary streams {s['streams']}, {written} written")
        if s["orphan_streams"] != len(orphans):
            errors.append(f"{name}: summary orphan_streams {s['orphan_streams']}, "
                          f"{len(orphans)} written")
        if s["calls"] != len(calls):
            errors.append(f"{name}: summary calls {s['calls']}, {len(calls)} written")

        text = run([siphon, "analyze", pcap])
        for sect in ("decode", "correlate"):
            for n, v in s.get(sect, {}).items():
                if isinstance(v, int) and v and not re.search(rf"\b{n}={v}\b", text):
                    errors.append(f"{name}: text summary lacks {n}={v}")
    for e in errors:
        print("FAIL", e)
    print(f"summary_counters: {checked} captures, {len(cap)} decode, {len(corr)} correlate, "
          f"{len(pl) + len(route)} pipeline counters, {len(errors)} errors")
    return 1 if errors or not checked else 0


if __name__ == "__main__":
    sys.exit(main())
