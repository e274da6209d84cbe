#!/usr/bin/env python3
"""check_orphans.py SIPHON FILE [--ignore-port N]

Runs `siphon analyze --json FILE` and tshark in heuristic RTP mode on FILE;
every tshark stream (except those on an ignored port) must be an orphan
stream in siphon's output (call_id null) with equal packets and Lost (tshark's
Lost is Wireshark's count, siphon's lost_wireshark), and jitter mean/max within
0.01 ms where tshark computes jitter.  At least one stream must be found."""
import json
import os
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tshark_rtp import key, run_tshark  # noqa: E402

siphon, path = sys.argv[1], sys.argv[2]
ignore = set()
args = sys.argv[3:]
while args:
    if args[0] == "--ignore-port":
        ignore.add(int(args[1]))
        args = args[2:]
    else:
        sys.exit("unknown argument %r" % args[0])

out = subprocess.run([siphon, "analyze", "--json", "--no-progress", path],
                     check=True, capture_output=True, text=True).stdout
records = [json.loads(l) for l in out.splitlines() if l.strip()]
orphans = {key(r): r for r in records if r.get("type") == "stream" and r.get("call_id") is None}
oracle = [s for s in run_tshark(path, heuristic=True)
          if s["src_port"] not in ignore and s["dst_port"] not in ignore]
name = os.path.basename(path)
failures = []
if not oracle:
    failures.append("tshark found no RTP stream (test input broken?)")
for t in oracle:
    s = orphans.get(key(t))
    if s is None:
        failures.append(f"stream {key(t)} ({t['packets']} pkts) missing from siphon's orphans")
        continue
    if s["packets"] != t["packets"]:
        failures.append(f"{key(t)}: packets {s['packets']} vs tshark {t['packets']}")
    if s["lost_wireshark"] != t["lost"]:
        failures.append(f"{key(t)}: lost {s['lost_wireshark']} vs tshark {t['lost']}")
    if t["jitter_min_ms"] >= 0:
        for f in ("jitter_mean_ms", "jitter_max_ms"):
            if s[f] is None or abs(s[f] - t[f]) > 0.01:
                failures.append(f"{key(t)}: {f} {s[f]} vs tshark {t[f]}")
if failures:
    print(f"{name}: FAIL\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"{name}: ok: {len(oracle)} tshark streams are siphon orphan streams "
      f"({len(orphans)} orphans reported)")
