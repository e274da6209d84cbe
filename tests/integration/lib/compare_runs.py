#!/usr/bin/env python3
"""compare_runs.py - two or more `siphon --json` outputs describe the same calls.

Usage: compare_runs.py [--records-only] [--label L] REF.ndjson OTHER.ndjson...

Every record other than the summary (calls, orphan streams, RFC 6035
reports, events) must be present the same number of times in each file,
field for field; records may come in another order (correlator threads
write them as their calls end).  Unless --records-only, the summary
objects must also be equal but for elapsed_s and the pipeline counters
(only the threaded runs have them).  --records-only compares calls,
streams and reports only (a `siphon run` adds lifecycle events).
Prints the first differences and exits 1 when anything differs."""
import json
import sys
from collections import Counter

RECORD_TYPES = {"call", "stream", "vq_report"}


def load(path, records_only):
    recs, summary = Counter(), None
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if r.get("type") == "summary":
                summary = r
                continue
            if records_only and r.get("type") not in RECORD_TYPES:
                continue
            recs[json.dumps(r, sort_keys=True)] += 1
    return recs, summary


def main():
    args = sys.argv[1:]
    records_only = "--records-only" in args
    args = [a for a in args if a != "--records-only"]
    label = ""
    if args and args[0] == "--label":
        label, args = args[1] + ": ", args[2:]
    ref_recs, ref_sum = load(args[0], records_only)
    bad = 0
    for other in args[1:]:
        recs, summ = load(other, records_only)
        only_ref, only_other = ref_recs - recs, recs - ref_recs
        for r in list(only_ref)[:3]:
            print(f"{label}only in {args[0]}: {r[:300]}")
        for r in list(only_other)[:3]:
            print(f"{label}only in {other}: {r[:300]}")
        bad += len(only_ref) + len(only_other)
        if not records_only:
            if ref_sum is None or summ is None:
                print(f"{label}a summary is missing")
                bad += 1
                continue
            for k in sorted(set(ref_sum) | set(summ)):
                if k in ("elapsed_s", "pipeline"):
                    continue
                if ref_sum.get(k) != summ.get(k):
                    print(f"{label}summary.{k}: {str(ref_sum.get(k))[:200]} != {str(summ.get(k))[:200]}")
                    bad += 1
    n = sum(ref_recs.values())
    if bad:
        print(f"{label}FAIL: {bad} differences ({n} records in {args[0]})")
        return 1
    print(f"{label}ok: {n} records, same in {len(args) - 1} other run(s)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
