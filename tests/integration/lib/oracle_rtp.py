#!/usr/bin/env python3
"""oracle_rtp.py - checks siphon's RTP stream figures against tshark's
`-z rtp,streams` on the same capture (Wireshark 4.0 is the reference).

  oracle_rtp.py [--heuristic] [--tshark-arg ARG]... [--label NAME] [--min-streams N]
                PCAP SIPHON.ndjson

For every stream tshark decodes, siphon must report a stream with the same
(src_ip, src_port, dst_ip, dst_port, ssrc) - inside a call or as an orphan -
with:
  packets         == tshark Pkts
  lost_wireshark  == tshark Lost.  Wireshark 4.0 counts lost as
                     (last received extended seq) - (first seq) + 1 - packets,
                     using the LAST packet received, not the highest sequence
                     number, so a stream whose final packet arrives late
                     shows one more loss per late position than RFC 3550's
                     expected - received.  siphon reports both: `lost`
                     (RFC 3550 A.3, checked against the generator's truth in
                     test_gen_truth.sh) and `lost_wireshark`, the exact
                     analogue, which is what is compared here.
  jitter_mean_ms, jitter_max_ms, delta_max_ms within 0.01 ms of tshark's
                     Mean Jitter, Max Jitter and Max Delta (tshark prints
                     three decimals).  Skipped when tshark prints min jitter
                     -1.000: it knows no clock rate (dynamic payload type
                     without SDP, telephone-event) and computes no jitter.
Exit 1 on any difference, or when tshark decodes fewer than --min-streams
streams (so a broken tshark run cannot pass vacuously).
"""
import argparse
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tshark_rtp  # noqa: E402

TOL = 0.01


def siphon_streams(path):
    out = {}
    with open(path) as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            o = json.loads(line)
            if o.get("type") == "call":
                for s in o.get("streams") or []:
                    out[tshark_rtp.key(s)] = s
            elif o.get("type") == "stream":
                out[tshark_rtp.key(o)] = o
    return out


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--heuristic", action="store_true")
    ap.add_argument("--tshark-arg", action="append", default=[],
                    help="extra tshark argument (repeat for each word)")
    ap.add_argument("--label", default="oracle")
    ap.add_argument("--min-streams", type=int, default=1)
    ap.add_argument("pcap")
    ap.add_argument("siphon")
    a = ap.parse_args()
    ts = tshark_rtp.run_tshark(a.pcap, a.heuristic, a.tshark_arg)
    got = siphon_streams(a.siphon)
    bad = []
    if len(ts) < a.min_streams:
        bad.append("tshark decoded %d streams, expected at least %d" % (len(ts), a.min_streams))
    for t in ts:
        k = tshark_rtp.key(t)
        name = "%s:%s->%s:%s ssrc %s" % k
        s = got.get(k)
        if s is None:
            bad.append("%s (%s, %d packets) not reported by siphon" % (name, t["payload"], t["packets"]))
            continue
        if s.get("packets") != t["packets"]:
            bad.append("%s packets: tshark %d, siphon %r" % (name, t["packets"], s.get("packets")))
        if "lost_wireshark" not in s:
            bad.append("%s: siphon reports no lost_wireshark" % name)
        elif s["lost_wireshark"] != t["lost"]:
            bad.append("%s lost: tshark %d, siphon lost_wireshark %r (lost %r)" %
                       (name, t["lost"], s["lost_wireshark"], s.get("lost")))
        if t["jitter_min_ms"] < 0:
            continue
        for sf, tf in (("jitter_mean_ms", "jitter_mean_ms"), ("jitter_max_ms", "jitter_max_ms"),
                       ("delta_max_ms", "delta_max_ms")):
            v = s.get(sf)
            if not isinstance(v, (int, float)) or abs(v - t[tf]) > TOL:
                bad.append("%s %s: tshark %.3f, siphon %r" % (name, sf, t[tf], v))
    for m in bad[:40]:
        print("%s: %s" % (a.label, m))
    if bad:
        print("%s: FAIL: %d differences over %d tshark streams" % (a.label, len(bad), len(ts)))
        return 1
    print("%s: ok: %d tshark streams match" % (a.label, len(ts)))
    return 0


if __name__ == "__main__":
    sys.exit(main())
