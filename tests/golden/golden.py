#!/usr/bin/env python3
"""golden.py - siphon's output on a fixed list of captures, against the
expected NDJSON committed next to it (anchor: tcpdump's tests/TESTLIST).

Usage: golden.py --siphon BIN --gen BIN --shared DIR --work DIR [--regen] [--jobs N]

TESTLIST (next to this script) holds two kinds of lines ('#' starts a comment):
  gen:NAME GENERATOR-OPTIONS...           a capture siphon-gen writes at test
                                          time (deterministic: --seed is part
                                          of the options), named gen:NAME below
  NAME INPUT EXPECTED ANALYZE-OPTIONS...  a test: INPUT is shared:FILE (in
                                          DIR/data/pcaps) or gen:NAME; EXPECTED
                                          is a file in expected/
Every test runs `siphon analyze --no-progress OPTIONS INPUT` twice:
  - inline (--threads 0): stdout must equal EXPECTED byte for byte, but for
    the summary's elapsed_s (wall-clock time, removed from both);
  - with --threads 2: the records of the inline run as a multiset
    (correlator threads write calls as they end, so lines are compared
    sorted), the summary equal but for its pipeline counters, which only
    a threaded run has.
Both runs must exit 0.  Every capture in DIR/data/pcaps must be listed, so
a new shared capture cannot go unguarded.
--regen writes EXPECTED from the inline runs instead of comparing (review
the change with `git diff tests/golden`); the threaded runs are still
compared, so a thread-dependent result is never recorded."""
import argparse
import concurrent.futures
import difflib
import json
import os
import re
import subprocess
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
ELAPSED = re.compile(rb'"elapsed_s":[-+0-9.eE]+,|,"elapsed_s":[-+0-9.eE]+')
CAPTURE_EXT = (".pcap", ".pcapng")


def parse_testlist(path):
    gens, tests = {}, []
    with open(path) as f:
        for no, line in enumerate(f, 1):
            words = line.split("#", 1)[0].split()
            if not words:
                continue
            where = f"{path}:{no}"
            if words[0].startswith("gen:"):
                if words[0] in gens:
                    sys.exit(f"{where}: {words[0]} defined twice")
                gens[words[0]] = words[1:]
                continue
            if len(words) < 3:
                sys.exit(f"{where}: want NAME INPUT EXPECTED OPTIONS...")
            name, inp, expected, opts = words[0], words[1], words[2], words[3:]
            if not (inp.startswith("shared:") or inp.startswith("gen:")):
                sys.exit(f"{where}: input {inp} is neither shared:FILE nor gen:NAME")
            if any(t["name"] == name for t in tests):
                sys.exit(f"{where}: test {name} listed twice")
            tests.append(dict(name=name, input=inp, expected=expected, opts=opts, where=where))
    for t in tests:
        if t["input"].startswith("gen:") and t["input"] not in gens:
            sys.exit(f"{t['where']}: {t['input']} has no gen: line")
    return gens, tests


def normalise(out):
    """siphon's stdout without the run-dependent elapsed time."""
    return ELAPSED.sub(b"", out)


def canonical(text):
    """The records as a sorted list, the summary without pipeline counters."""
    lines = []
    for line in text.splitlines():
        if not line.strip():
            continue
        r = json.loads(line)
        if r.get("type") == "summary":
            r.pop("pipeline", None)
            r.pop("elapsed_s", None)
        lines.append(json.dumps(r, sort_keys=True))
    return sorted(lines)


def run(cmd):
    p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    return p.returncode, p.stdout, p.stderr


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--siphon", required=True)
    ap.add_argument("--gen", required=True)
    ap.add_argument("--shared", required=True)
    ap.add_argument("--work", required=True)
    ap.add_argument("--regen", action="store_true")
    ap.add_argument("--jobs", type=int, default=os.cpu_count() or 2)
    ap.add_argument("--testlist", default=os.path.join(HERE, "TESTLIST"))
    a = ap.parse_args()
    gens, tests = parse_testlist(a.testlist)
    expected_dir = os.path.join(os.path.dirname(a.testlist), "expected")
    pcaps = os.path.join(a.shared, "data", "pcaps")
    os.makedirs(a.work, exist_ok=True)
    problems = []

    listed = {t["input"][len("shared:"):] for t in tests if t["input"].startswith("shared:")}
    for f in sorted(os.listdir(pcaps)):
        if f.endswith(CAPTURE_EXT) and f not in listed:
            problems.append(f"shared capture {f} is not in {a.testlist}: add a line for it")

    def path_of(inp):
        kind, name = inp.split(":", 1)
        return os.path.join(pcaps, name) if kind == "shared" else os.path.join(a.work, name + ".pcap")

    def generate(g):
        cmd = [a.gen, "-q", "-o", path_of(g)] + gens[g]
        rc, _, err = run(cmd)
        return None if rc == 0 else f"{g}: siphon-gen exited {rc}: {err.decode(errors='replace')[:300]}"

    def one(t):
        """Runs one test; returns a list of problems."""
        inp = path_of(t["input"])
        if not os.path.exists(inp):
            return [f"{t['name']}: input {inp} does not exist"]
        base = [a.siphon, "analyze", "--no-progress"] + t["opts"]
        out, bad = {}, []
        for threads in (0, 2):
            cmd = base + ["--threads", str(threads), inp]
            rc, stdout, stderr = run(cmd)
            out[threads] = normalise(stdout)
            with open(os.path.join(a.work, f"{t['name']}.t{threads}.ndjson"), "wb") as f:
                f.write(out[threads])
            if rc != 0:
                bad.append(f"{t['name']}: exit {rc}: {' '.join(cmd)}\n  "
                           + stderr.decode(errors="replace")[-600:].replace("\n", "\n  "))
        if bad:
            return bad
        exp_path = os.path.join(expected_dir, t["expected"])
        if a.regen:
            with open(exp_path, "wb") as f:
                f.write(out[0])
            expected = out[0]
        else:
            try:
                with open(exp_path, "rb") as f:
                    expected = f.read()
            except OSError as e:
                return [f"{t['name']}: {e}"]
            if out[0] != expected:
                diff = difflib.unified_diff(
                    expected.decode(errors="replace").splitlines(),
                    out[0].decode(errors="replace").splitlines(),
                    f"expected/{t['expected']}", f"siphon {' '.join(t['opts'])} {t['input']}",
                    lineterm="", n=0)
                lines = list(diff)
                shown = "\n".join(l[:400] for l in lines[:24])
                more = f"\n  ... {len(lines) - 24} more diff lines" if len(lines) > 24 else ""
                bad.append(f"{t['name']}: output differs from expected/{t['expected']}:\n{shown}{more}")
        c_exp, c_thr = canonical(out[0].decode()), canonical(out[2].decode())
        if c_exp != c_thr:
            only_e = sorted(set(c_exp) - set(c_thr))[:3]
            only_t = sorted(set(c_thr) - set(c_exp))[:3]
            msg = "".join(f"\n  only inline:      {l[:300]}" for l in only_e)
            msg += "".join(f"\n  only --threads 2: {l[:300]}" for l in only_t)
            bad.append(f"{t['name']}: --threads 2 gives other records than the inline run "
                       f"({len(c_exp)} vs {len(c_thr)} lines){msg}")
        return bad

    with concurrent.futures.ThreadPoolExecutor(max_workers=max(1, a.jobs)) as pool:
        needed = sorted({t["input"] for t in tests if t["input"].startswith("gen:")})
        problems += [p for p in pool.map(generate, needed) if p]
        for bad in pool.map(one, tests):
            problems += bad

    listed_exp = {t["expected"] for t in tests}
    for f in sorted(os.listdir(expected_dir)):
        if f not in listed_exp:
            problems.append(f"expected/{f} belongs to no test in {a.testlist}: delete it")

    for p in problems:
        print(p)
    verb = "regenerated" if a.regen else "checked"
    if problems:
        print(f"FAIL: {len(problems)} problem(s) in {len(tests)} golden tests ({verb}).")
        if not a.regen:
            print("If the change in output is intended, run tests/golden/regen.sh [BUILD_DIR] "
                  "and review `git diff tests/golden/expected` before committing it.")
        return 1
    print(f"PASS: {len(tests)} golden tests {verb} ({len(gens)} generated captures), "
          "--threads 2 equal to inline")
    return 0


if __name__ == "__main__":
    sys.exit(main())
