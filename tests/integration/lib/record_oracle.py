#!/usr/bin/env python3
"""record_oracle.py - `siphon pcap` against tshark's filtering of the source.

Usage: record_oracle.py SRC_CAPTURE SIPHON_JSON STORE SIPHON [--headers] [--min-calls N]
                        [--every K]

For every call in SIPHON_JSON (`siphon analyze --json --record.dir=STORE`),
the oracle is what a person would filter out of the source capture with
tshark: the frames whose SIP Call-ID is the call's (tshark's sip.Call-ID,
every SIP port siphon saw decoded as SIP) and the frames of its RTP flows
(each stream's source and destination address and port) and their RTCP
flows (both ports + 1).  `siphon pcap --record.dir=STORE CALL_ID` must give
exactly these frames, in the same order, with the same timestamps (ns),
link type, captured and wire lengths and bytes.

Where siphon's own record of a SIP frame (the sip_message lines of the
same run, --messages) says it belongs to no call, the difference is
explained and listed, not counted: a message siphon could not parse (no
Call-ID), one before its call existed (a CANCEL whose INVITE was not
captured), and one more than 37 s after its call ended (the correlator's
5 s linger plus the store's 32 s for late SIP: a capture whose clock jumps
by years).  SIP over WebSocket is decoded by tshark through the HTTP
upgrade (-d tcp.port==P,http on siphon's WebSocket ports).

--every K compares every K-th call only (a second look at a capture
already compared in full).

With --headers (record.rtp = headers), RTP frames must instead be the
source frame cut right after the RTP header (12 bytes + 4 per CSRC +
extension), wire length kept; every other frame whole.

Exit 1 on any difference, naming the call and frame."""
import collections
import datetime
import json
import os
import struct
import subprocess
import sys
import tempfile


def read_capture(path):
    """[(ts_ns, linktype, caplen, wirelen, bytes)] of a pcap or pcapng."""
    data = open(path, "rb").read()
    out = []
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        le = magic[0] in (0xd4, 0x4d)
        e = "<" if le else ">"
        nano = magic in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
        link = struct.unpack(e + "I", data[20:24])[0] & 0x0fffffff
        off = 24
        while off + 16 <= len(data):
            s, frac, cap, wire = struct.unpack(e + "IIII", data[off:off + 16])
            off += 16
            ts = s * 10**9 + (frac if nano else frac * 1000)
            out.append((ts, link, cap, wire, data[off:off + cap]))
            off += cap
        return out
    # pcapng
    off, e, ifs = 0, "<", []
    while off + 12 <= len(data):
        btype = struct.unpack("<I", data[off:off + 4])[0]
        if btype == 0x0A0D0D0A:
            bom = data[off + 8:off + 12]
            e = "<" if bom == b"\x4d\x3c\x2b\x1a" else ">"
            ifs = []
        blen = struct.unpack(e + "I", data[off + 4:off + 8])[0]
        body = data[off + 8:off + blen - 4]
        if btype == 1:
            link = struct.unpack(e + "H", body[0:2])[0]
            res = 10**6
            o = 8
            while o + 4 <= len(body):
                code, ln = struct.unpack(e + "HH", body[o:o + 4])
                if code == 0:
                    break
                if code == 9:
                    v = body[o + 4]
                    res = 2 ** (v & 0x7f) if v & 0x80 else 10 ** v
                o += 4 + ((ln + 3) & ~3)
            ifs.append((link, res))
        elif btype == 6:
            iid, hi, lo, cap, wire = struct.unpack(e + "IIIII", body[:20])
            link, res = ifs[iid]
            t = (hi << 32) | lo
            out.append((t * 10**9 // res, link, cap, wire, body[20:20 + cap]))
        elif btype == 3:
            wire = struct.unpack(e + "I", body[:4])[0]
            link, res = ifs[0]
            cap = min(wire, blen - 16)
            out.append((None, link, cap, wire, body[4:4 + cap]))
        off += blen
    return out


def ns(ts):
    if not ts:
        return None
    d = datetime.datetime.fromisoformat(ts.replace("Z", "+00:00"))
    return int(d.timestamp()) * 10**9 + d.microsecond * 1000


def calls_of(path):
    calls, msgs, ws_ports = {}, {}, set()
    for line in open(path):
        r = json.loads(line)
        if r.get("type") == "sip_message":
            msgs.setdefault(r["frame"], []).append(r)
            if r["transport"] == "ws":
                ws_ports |= {r["src_port"], r["dst_port"]}
            continue
        if r.get("type") != "call":
            continue
        c = calls.setdefault(r["call_id"], {"flows": set(), "rtp": set(), "ports": set(),
                                            "start": None, "end": None})
        st, en = ns(r["start_ts"]), ns(r["end_ts"]) or ns(r["start_ts"])
        c["start"] = st if c["start"] is None else min(c["start"], st)
        c["end"] = en if c["end"] is None else max(c["end"], en)
        c["ports"] |= {r["src_port"], r["dst_port"]}
        for s in r.get("streams", []):
            f = (s["src_ip"], s["src_port"], s["dst_ip"], s["dst_port"])
            c["flows"].add(f)
            c["rtp"].add(f)
            c["flows"].add((f[0], f[1] + 1, f[2], f[3] + 1))
    return calls, msgs, ws_ports


def last(v):
    return v.split("\x01")[-1] if v else ""


def tshark_index(pcap, ports, ws_ports):
    cmd = ["tshark", "-n", "-r", pcap]
    for p in sorted(ws_ports):
        cmd += ["-d", "tcp.port==%d,http" % p]
    for p in sorted(ports - ws_ports):
        if p != 5060:
            cmd += ["-d", "udp.port==%d,sip" % p, "-d", "tcp.port==%d,sip" % p]
    cmd += ["-T", "fields", "-e", "frame.number", "-e", "sip.Call-ID", "-e", "ip.src",
            "-e", "ipv6.src", "-e", "udp.srcport", "-e", "ip.dst", "-e", "ipv6.dst",
            "-e", "udp.dstport", "-E", "occurrence=a", "-E", "aggregator=\x01"]
    out = subprocess.run(cmd, capture_output=True, text=True, errors="replace").stdout
    by_cid, by_flow = {}, {}
    for line in out.splitlines():
        f = line.split("\t")
        if len(f) < 8 or not f[0].isdigit():
            continue
        n = int(f[0])
        for cid in set(f[1].split("\x01")) if f[1] else ():
            by_cid.setdefault(cid, set()).add(n)
        src = last(f[3]) or last(f[2])
        dst = last(f[6]) or last(f[5])
        if f[4] and f[7]:
            key = (src, int(last(f[4])), dst, int(last(f[7])))
            by_flow.setdefault(key, set()).add(n)
    return by_cid, by_flow


def rtp_cut(frame, link):
    """Bytes of frame up to the end of its RTP header (Ethernet/raw IP, UDP)."""
    b = frame
    o = {1: 14, 101: 0, 12: 0, 113: 16}.get(link)
    if o is None:
        return None
    if link == 1:
        et = struct.unpack(">H", b[12:14])[0]
        while et in (0x8100, 0x88a8):
            et = struct.unpack(">H", b[o + 2:o + 4])[0]
            o += 4
    v = b[o] >> 4
    if v == 4:
        o += (b[o] & 15) * 4
    elif v == 6:
        o += 40
    else:
        return None
    o += 8  # UDP
    r = b[o:]
    hl = 12 + 4 * (r[0] & 15)
    if r[0] & 0x10:
        hl += 4 + 4 * struct.unpack(">H", r[hl + 2:hl + 4])[0]
    return frame[:o + hl]


def main():
    args = sys.argv[1:]
    headers = "--headers" in args
    min_calls = 0
    if "--min-calls" in args:
        min_calls = int(args[args.index("--min-calls") + 1])
    every = int(args[args.index("--every") + 1]) if "--every" in args else 1
    src, js, store, siphon = args[:4]
    label = os.path.basename(src)
    calls, msgs, ws_ports = calls_of(js)
    ports = {5060}
    for c in calls.values():
        ports |= c["ports"]
    by_cid, by_flow = tshark_index(src, ports, ws_ports - {80, 443})
    frames = read_capture(src)
    bad = compared = packets = 0
    explained = collections.Counter()
    with tempfile.TemporaryDirectory() as tmp:
        for k, (cid, c) in enumerate(sorted(calls.items())):
            if k % every:
                continue
            if "\ufffd" in cid:
                explained["Call-ID not UTF-8 (cannot be named on a command line)"] += 1
                continue
            want = set()
            for n in by_cid.get(cid, set()):
                mine = msgs.get(n, [])
                if mine and any(m["call_key"] for m in mine if m["call_id"] == cid):
                    want.add(n)
                elif mine and all(m["call_id"] != cid for m in mine):
                    explained["SIP siphon could not parse (no Call-ID)"] += 1
                elif frames[n - 1][0] is not None and frames[n - 1][0] < c["start"]:
                    explained["SIP before its call existed"] += 1
                elif frames[n - 1][0] is not None and frames[n - 1][0] > c["end"] + 37 * 10**9:
                    explained["SIP over 37 s after its call ended"] += 1
                else:
                    want.add(n)
            for fl in c["flows"]:
                want |= by_flow.get(fl, set())
            outp = os.path.join(tmp, "call.pcap")
            r = subprocess.run([siphon, "pcap", "--record.dir=" + store, "-o", outp, cid],
                               capture_output=True, text=True)
            if r.returncode != 0:
                print("%s: %s: siphon pcap failed: %s" % (label, cid, r.stderr.strip()))
                bad += 1
                continue
            ours = read_capture(outp)
            expect = [frames[n - 1] for n in sorted(want)]
            compared += 1
            packets += len(ours)
            if len(ours) != len(expect):
                print("%s: %s: siphon pcap %d frames, tshark %d (frames %s)" % (
                    label, cid, len(ours), len(expect), sorted(want)[:20]))
                bad += 1
                continue
            rtp_frames = set()
            for fl in c["rtp"]:
                rtp_frames |= by_flow.get(fl, set())
            for i, (a, b) in enumerate(zip(ours, expect)):
                n = sorted(want)[i]
                ts, link, cap, wire, data = b
                if headers and n in rtp_frames:
                    cut = rtp_cut(data, link)
                    if cut is not None and len(cut) < cap:
                        data, cap = cut, len(cut)
                if (ts is not None and a[0] != ts) or a[1] != link or a[2] != cap \
                        or a[3] != wire or a[4] != data:
                    print("%s: %s: frame %d (source frame %d) differs: ts %s/%s link %d/%d "
                          "caplen %d/%d wirelen %d/%d bytes %s" % (
                              label, cid, i + 1, n, a[0], ts, a[1], link, a[2],
                              cap, a[3], wire, "same" if a[4] == data else "differ"))
                    bad += 1
                    break
    print("%s: %d calls compared, %d frames, %d differ%s" % (
        label, compared, packets, bad,
        "; explained: " + ", ".join("%s %d" % kv for kv in sorted(explained.items()))
        if explained else ""))
    if compared < min_calls:
        print("%s: only %d calls compared, expected at least %d" % (label, compared, min_calls))
        bad += 1
    sys.exit(1 if bad else 0)


if __name__ == "__main__":
    main()
