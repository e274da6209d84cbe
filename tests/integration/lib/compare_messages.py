#!/usr/bin/env python3
"""compare_messages.py - `siphon analyze --json --messages` against tshark.

Usage: compare_messages.py PCAP SIPHON.ndjson [SIPHON_THREADS.ndjson...]

tshark's oracle: for every frame it decodes as SIP, the number of SIP
messages in it (its Request-Line and Status-Line occurrences: a TCP
segment may carry several), with every port siphon saw SIP on decoded as
SIP (tshark knows only 5060 by default).  siphon's messages are grouped by
the frame that completed them.  Every frame must carry the same number of
messages on both sides, except where the difference has a cause named
here, each listed:
  - frames tshark flags with an IPv4 or UDP length error (fuzzed headers:
    the decoder rejects them, tshark decodes what is there), or whose SIP
    start line has trailing stray characters instead of CRLF (not SIP to
    siphon's probe);
  - frames siphon tried as SIP but could not parse, or that tshark's SIP
    heuristics refuse (a NUL byte in the message), which tshark shows as
    data;
  - SCTP frames while siphon's summary counts SCTP as skipped.
With more files (other thread counts), each must hold the same multiset of
sip_message lines as the first, and the first's must be in capture order.
Exit 1 on any unexplained difference."""
import collections
import json
import subprocess
import sys


def siphon_messages(path):
    msgs, summary = [], None
    with open(path) as f:
        for line in f:
            if not line.strip():
                continue
            r = json.loads(line)
            if r.get("type") == "sip_message":
                msgs.append(r)
            elif r.get("type") == "summary":
                summary = r
    return msgs, summary


def tshark_frames(pcap, ports):
    cmd = ["tshark", "-n", "-r", pcap]
    for p in sorted(ports):
        if p != 5060:
            cmd += ["-d", "udp.port==%d,sip" % p, "-d", "tcp.port==%d,sip" % p]
    cmd += ["-Y", "sip", "-T", "fields", "-e", "frame.number", "-e", "sip.Request-Line",
            "-e", "sip.Status-Line", "-e", "frame.protocols",
            "-E", "occurrence=a", "-E", "aggregator=\x01"]
    out = subprocess.run(cmd, capture_output=True, text=True, errors="replace").stdout
    frames, protos = {}, {}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 4 or not f[0].isdigit():
            continue
        n = sum(len(x.split("\x01")) for x in f[1:3] if x)
        frames[int(f[0])] = n
        protos[int(f[0])] = f[3]
    return frames, protos


def expert_frames(pcap):
    """Frame -> tshark's expert messages."""
    out = subprocess.run(["tshark", "-n", "-r", pcap, "-Y", "_ws.expert", "-T", "fields",
                          "-e", "frame.number", "-e", "_ws.expert.message"],
                         capture_output=True, text=True, errors="replace").stdout
    ex = {}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) == 2 and f[0].isdigit():
            ex[int(f[0])] = f[1]
    return ex


def main():
    pcap, first, others = sys.argv[1], sys.argv[2], sys.argv[3:]
    msgs, summary = siphon_messages(first)
    label = pcap.rsplit("/", 1)[-1]
    bad = 0
    ours = collections.Counter(m["frame"] for m in msgs)
    parse = collections.defaultdict(set)
    for m in msgs:
        parse[m["frame"]].add(m["parse"])
        if "\\u0000" in json.dumps(m["text"]):
            parse[m["frame"]].add("nul")
    ports = {p for m in msgs if m["transport"] in ("udp", "tcp")
             for p in (m["src_port"], m["dst_port"])} | {5060}
    theirs, protos = tshark_frames(pcap, ports)
    expert = expert_frames(pcap)
    ip_err = {fr for fr, e in expert.items()
              if "IPv4 total length exceeds" in e or "Bad length value" in e}
    sctp_skipped = (summary or {}).get("decode", {}).get("sctp_skipped", 0)
    explained = collections.Counter()
    for fr in sorted(set(ours) | set(theirs)):
        a, b = ours.get(fr, 0), theirs.get(fr, 0)
        if a == b:
            continue
        if fr in ip_err:
            explained["IPv4/UDP length error"] += 1
        elif a == 0 and "Trailing stray characters" in expert.get(fr, ""):
            explained["start line without CRLF"] += 1
        elif a > b and b == 0 and parse[fr] & {"invalid", "incomplete", "nul"}:
            explained["not SIP to tshark (%s)" % "/".join(sorted(parse[fr]))] += 1
        elif a == 0 and "sctp" in protos.get(fr, "") and sctp_skipped:
            explained["sctp skipped"] += 1
        else:
            print("%s: frame %d: siphon %d messages, tshark %d (%s)"
                  % (label, fr, a, b, protos.get(fr, "")))
            bad += 1
    print("%s: siphon %d messages, tshark %d%s" % (
        label, sum(ours.values()), sum(theirs.values()),
        "; explained: " + ", ".join("%s %d" % kv for kv in sorted(explained.items()))
        if explained else ""))
    # capture order (one correlator: messages leave in the order they came)
    ts = [(m["ts"], m["frame"]) for m in msgs]
    frames_in_order = [m["frame"] for m in msgs]
    if frames_in_order != sorted(frames_in_order) and ts != sorted(ts):
        print("%s: messages not in capture order" % label)
        bad += 1
    ref = collections.Counter(json.dumps(m, sort_keys=True) for m in msgs)
    for o in others:
        om, _ = siphon_messages(o)
        oc = collections.Counter(json.dumps(m, sort_keys=True) for m in om)
        if oc != ref:
            diff = (ref - oc) + (oc - ref)
            print("%s: %s: %d sip_message lines differ, e.g. %s"
                  % (label, o, sum(diff.values()), next(iter(diff))[:300]))
            bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
