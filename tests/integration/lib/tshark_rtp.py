#!/usr/bin/env python3
"""tshark_rtp.py - runs `tshark -z rtp,streams` on a capture and parses its
table into dicts (the reference oracle for siphon's RTP statistics).

Wireshark 4.0 prints one row per stream:
  start end src sport dst dport SSRC payload pkts lost (pct%)
  min/mean/max delta (ms) min/mean/max jitter (ms) [X]
The payload column may hold several words ("g711U, telephone-event"), so a
row is parsed from both ends.  Usage as a script:
  tshark_rtp.py [--heuristic] FILE   -> one JSON object per stream
"""
import json
import subprocess
import sys


def run_tshark(path, heuristic=False, extra=()):
    cmd = ["tshark", "-n", "-q", "-z", "rtp,streams", "-r", path]
    if heuristic:
        cmd[1:1] = ["-o", "rtp.heuristic_rtp:TRUE"]
    cmd[1:1] = list(extra)
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    return parse(out)


def parse(text):
    streams = []
    in_table = False
    for line in text.splitlines():
        if "RTP Streams" in line:
            in_table = True
            continue
        if not in_table:
            continue
        if line.startswith("====="):
            break
        tok = line.split()
        if len(tok) < 17 or tok[0] == "Start":
            continue
        problems = False
        if tok[-1] == "X":
            problems = True
            tok = tok[:-1]
        try:
            jit = [float(x) for x in tok[-6:]]
            pct = tok[-7]
            lost = int(tok[-8])
            pkts = int(tok[-9])
            payload = " ".join(tok[7:-9])
            streams.append({
                "start": float(tok[0]), "end": float(tok[1]),
                "src_ip": tok[2], "src_port": int(tok[3]),
                "dst_ip": tok[4], "dst_port": int(tok[5]),
                "ssrc": "0x%08x" % int(tok[6], 16),
                "payload": payload, "packets": pkts, "lost": lost,
                "lost_pct": pct.strip("()%"),
                "delta_min_ms": jit[0], "delta_mean_ms": jit[1], "delta_max_ms": jit[2],
                "jitter_min_ms": jit[3], "jitter_mean_ms": jit[4], "jitter_max_ms": jit[5],
                "problems": problems,
            })
        except ValueError:
            raise SystemExit("tshark_rtp: cannot parse row: %r" % line)
    return streams


def key(s):
    return (s["src_ip"], int(s["src_port"]), s["dst_ip"], int(s["dst_port"]), s["ssrc"].lower())


if __name__ == "__main__":
    args = sys.argv[1:]
    heur = "--heuristic" in args
    args = [a for a in args if a != "--heuristic"]
    if len(args) != 1:
        sys.exit("usage: tshark_rtp.py [--heuristic] FILE")
    for s in run_tshark(args[0], heur):
        print(json.dumps(s))
