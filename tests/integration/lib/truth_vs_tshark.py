#!/usr/bin/env python3
"""truth_vs_tshark.py - checks siphon-gen's truth file against tshark, so a
failing end-to-end test can be blamed on the generator or on siphon.

  truth_vs_tshark.py [--heuristic] [--label NAME] PCAP TRUTH.ndjson

Every stream of the truth (in calls and orphans) must be decoded by tshark
with the same packets and with tshark's Lost equal to the truth's
lost_wireshark (Wireshark 4.0's last-received count), and tshark must decode
no other stream.  The number of SIP messages tshark dissects must equal the
truth summary's sip_messages (TCP reassembly and IP fragments included).
"""
import argparse
import json
import os
import re
import subprocess
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import tshark_rtp  # noqa: E402


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--heuristic", action="store_true")
    ap.add_argument("--label", default="truth-vs-tshark")
    ap.add_argument("pcap")
    ap.add_argument("truth")
    a = ap.parse_args()
    truth, summary = {}, {}
    for line in open(a.truth):
        o = json.loads(line)
        if o["type"] == "call":
            for s in o["streams"]:
                truth[tshark_rtp.key(s)] = s
        elif o["type"] == "stream":
            truth[tshark_rtp.key(o)] = o
        elif o["type"] == "summary":
            summary = o
    ts = {tshark_rtp.key(s): s for s in tshark_rtp.run_tshark(a.pcap, a.heuristic)}
    bad = []
    for k, s in truth.items():
        t = ts.get(k)
        if t is None:
            bad.append("stream %s:%s->%s:%s %s not decoded by tshark" % k)
        elif t["packets"] != s["packets"] or t["lost"] != s["lost_wireshark"]:
            bad.append("stream %s:%s->%s:%s %s: tshark %d packets %d lost, truth %d packets %d lost_wireshark"
                       % (k + (t["packets"], t["lost"], s["packets"], s["lost_wireshark"])))
    for k in ts:
        if k not in truth:
            bad.append("tshark decodes stream %s:%s->%s:%s %s absent from the truth" % k)
    out = subprocess.run(["tshark", "-n", "-q", "-z", "sip,stat", "-r", a.pcap],
                         check=True, capture_output=True, text=True).stdout
    m = re.search(r"Number of SIP messages: (\d+)", out)
    n = int(m.group(1)) if m else -1
    if n != summary.get("sip_messages"):
        bad.append("tshark counts %d SIP messages, truth %r" % (n, summary.get("sip_messages")))
    for b in bad[:30]:
        print("%s: %s" % (a.label, b))
    if bad:
        print("%s: FAIL: generator and tshark disagree (%d)" % (a.label, len(bad)))
        return 1
    print("%s: ok: tshark agrees with the truth (%d streams, %d SIP messages)" % (a.label, len(truth), n))
    return 0


if __name__ == "__main__":
    sys.exit(main())
