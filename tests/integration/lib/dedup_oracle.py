#!/usr/bin/env python3
"""dedup_oracle.py - an independent count of capture duplicates in a pcap,
checked against siphon's duplicate suppression (capture/dedup.c).

  dedup_oracle.py [--label NAME] [--window-us N] [--min-dups N]
                  [--original ORIG.ndjson] PCAP ON.ndjson OFF.ndjson
  dedup_oracle.py --span-copies N IN.pcap OUT.pcap
      writes IN with a second capture of every Nth IPv4 frame 50 us after
      it, one hop further (TTL - 1, checksum recomputed, another source
      MAC), as a second SPAN session would deliver it

ON.ndjson is `siphon analyze --json` with the defaults (dedup on), OFF.ndjson
the same with --capture.dedup_slots=0.

The count here shares no code or shortcut with siphon: every IP packet is
taken whole (IPv4 total length / IPv6 payload length + 40 bytes, so
Ethernet padding is ignored), the fields a router changes between capture
points are zeroed (IPv4 TTL and header checksum, IPv6 hop limit), and the
packet is a duplicate when the same bytes were delivered (not themselves
dropped) at most --window-us earlier.  siphon instead hashes the masked
header and the first 64 payload bytes into a bounded table; the two agree
unless a hash collides or the table overflows.

Each duplicate is classified: SIP (a UDP payload that starts with a SIP
request line or "SIP/2.0", attributed to its Call-ID), RTP (a UDP payload
with RTP version 2 whose payload type is not RTCP's 72-76, attributed to
src, sport, dst, dport, SSRC), or other.  Checked:
  - the summary's decode.duplicates_dropped == the count here with the
    default and 0 with dedup off (and the count is at least --min-dups, so
    a capture without copies cannot pass vacuously);
  - summary sip_messages(OFF) - sip_messages(ON) == the SIP duplicates, and
    per call (Call-ID) the call record's sip_messages drop by exactly the
    SIP duplicates of that Call-ID;
  - summary rtp_packets(OFF) - rtp_packets(ON) == the RTP duplicates, and
    per RTP stream packets(OFF) - packets(ON) == the duplicates counted
    here for that stream, for every stream either run reports (0 for the
    streams without copies);
  - with --original (siphon's output on the capture before --span-copies):
    the ON run reports every stream with the same packets and RTP
    duplicates (network duplicates still counted, capture copies not) and
    every call with the same sip_messages.
Link layers: Ethernet with any number of 802.1Q/802.1ad tags, Linux SLL,
raw IP.  Tunnels are not opened (the inner packet is not checked).
"""
import argparse
import json
import re
import struct
import sys


def read_pcap(path):
    data = open(path, "rb").read()
    magic = data[:4]
    table = {b"\xd4\xc3\xb2\xa1": ("<", 1000), b"\xa1\xb2\xc3\xd4": (">", 1000),
             b"\x4d\x3c\xb2\xa1": ("<", 1), b"\xa1\xb2\x3c\x4d": (">", 1)}
    if magic not in table:
        sys.exit("dedup_oracle: %s is not a classic pcap file" % path)
    end, mul = table[magic]
    linktype = struct.unpack(end + "I", data[20:24])[0]
    off = 24
    while off + 16 <= len(data):
        sec, frac, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        yield linktype, sec * 1000000000 + frac * mul, data[off + 16:off + 16 + incl]
        off += 16 + incl


def ip_of(linktype, frame):
    """The IP packet in a frame, or None."""
    if linktype == 1:  # Ethernet
        off, et = 14, struct.unpack(">H", frame[12:14])[0] if len(frame) >= 14 else 0
        while et in (0x8100, 0x88A8) and len(frame) >= off + 4:
            et = struct.unpack(">H", frame[off + 2:off + 4])[0]
            off += 4
    elif linktype == 113:  # Linux SLL
        off, et = 16, struct.unpack(">H", frame[14:16])[0] if len(frame) >= 16 else 0
    elif linktype in (12, 101):  # raw IP
        off = 0
        et = {4: 0x0800, 6: 0x86DD}.get(frame[0] >> 4 if frame else 0, 0)
    else:
        return None
    p = frame[off:]
    if et == 0x0800 and len(p) >= 20 and p[0] >> 4 == 4:
        return p[:struct.unpack(">H", p[2:4])[0]]
    if et == 0x86DD and len(p) >= 40 and p[0] >> 4 == 6:
        return p[:40 + struct.unpack(">H", p[4:6])[0]]
    return None


def masked(ip):
    b = bytearray(ip)
    if b[0] >> 4 == 4:
        b[8] = 0
        b[10] = b[11] = 0
    else:
        b[7] = 0
    return bytes(b)


def rtp_key(ip):
    """(src, sport, dst, dport, ssrc) of an unfragmented UDP RTP packet."""
    if ip[0] >> 4 == 4:
        hl = (ip[0] & 15) * 4
        if ip[9] != 17 or struct.unpack(">H", ip[6:8])[0] & 0x3FFF:
            return None
        src = ".".join(str(x) for x in ip[12:16])
        dst = ".".join(str(x) for x in ip[16:20])
    else:
        import ipaddress
        if ip[6] != 17:
            return None
        hl = 40
        src = str(ipaddress.IPv6Address(ip[8:24]))
        dst = str(ipaddress.IPv6Address(ip[24:40]))
    u = ip[hl:]
    if len(u) < 8 + 12 or u[8] >> 6 != 2 or 72 <= (u[9] & 0x7F) <= 76:
        return None
    sport, dport = struct.unpack(">HH", u[:4])
    ssrc = "0x%08x" % struct.unpack(">I", u[16:20])[0]
    return (src, sport, dst, dport, ssrc)


SIP_START = re.compile(rb"^(SIP/2\.0 [0-9]{3} |[A-Z]+ [^ ]+ SIP/2\.0\r\n)")
CALL_ID = re.compile(rb"\r\n(?:call-id|i)[ \t]*:[ \t]*([^\r\n]*)", re.I)


def sip_call_id(ip):
    """The Call-ID of an unfragmented SIP-over-UDP packet, or None."""
    if ip[0] >> 4 == 4:
        hl, proto = (ip[0] & 15) * 4, ip[9]
    else:
        hl, proto = 40, ip[6]
    if proto != 17:
        return None
    body = ip[hl + 8:]
    if not SIP_START.match(body):
        return None
    m = CALL_ID.search(body.split(b"\r\n\r\n", 1)[0])
    return m.group(1).strip().decode("utf-8", "replace") if m else ""


def count(path, window_ns):
    last = {}  # masked packet -> time it was last delivered
    total, per_stream, per_call = 0, {}, {}
    for linktype, ts, frame in read_pcap(path):
        ip = ip_of(linktype, frame)
        if ip is None:
            continue
        m = masked(ip)
        t = last.get(m)
        if t is not None and abs(ts - t) <= window_ns:
            total += 1
            c = sip_call_id(ip)
            k = rtp_key(ip) if c is None else None
            if c is not None:
                per_call[c] = per_call.get(c, 0) + 1
            elif k:
                per_stream[k] = per_stream.get(k, 0) + 1
            continue
        last[m] = ts
    return total, per_stream, per_call


def siphon_run(path, field="packets"):
    streams, calls, summary = {}, {}, None
    for line in open(path):
        if not line.strip():
            continue
        o = json.loads(line)
        if o.get("type") == "call":
            calls[o["call_id"]] = calls.get(o["call_id"], 0) + o["sip_messages"]
            for s in o.get("streams") or []:
                streams[key(s)] = streams.get(key(s), 0) + s[field]
        elif o.get("type") == "stream":
            streams[key(o)] = streams.get(key(o), 0) + o[field]
        elif o.get("type") == "summary":
            summary = o
    return streams, calls, summary or {}


def key(s):
    return (s["src_ip"], int(s["src_port"]), s["dst_ip"], int(s["dst_port"]), s["ssrc"].lower())


def span_copies(src, dst, every):
    data = open(src, "rb").read()
    end = "<" if data[:4] in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1") else ">"
    nano = data[:4] in (b"\x4d\x3c\xb2\xa1", b"\xa1\xb2\x3c\x4d")
    if struct.unpack(end + "I", data[20:24])[0] != 1:
        sys.exit("dedup_oracle: --span-copies wants an Ethernet capture")
    out, off, n, copies = [data[:24]], 24, 0, 0
    while off + 16 <= len(data):
        sec, frac, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        frame = data[off + 16:off + 16 + incl]
        out.append(data[off:off + 16 + incl])
        off += 16 + incl
        if len(frame) < 34 or frame[12:14] != b"\x08\x00":
            continue
        n += 1
        if n % every:
            continue
        f = bytearray(frame)
        f[11] ^= 0x5A  # another source MAC
        f[22] = max(f[22] - 1, 1)  # TTL
        f[24:26] = b"\0\0"
        hl = (f[14] & 15) * 4
        c = sum(struct.unpack(">%dH" % (hl // 2), bytes(f[14:14 + hl])))
        while c >> 16:
            c = (c & 0xFFFF) + (c >> 16)
        f[24:26] = struct.pack(">H", ~c & 0xFFFF)
        frac += 50000 if nano else 50
        if frac >= (1000000000 if nano else 1000000):
            sec, frac = sec + 1, frac - (1000000000 if nano else 1000000)
        out.append(struct.pack(end + "IIII", sec, frac, incl, orig) + bytes(f))
        copies += 1
    open(dst, "wb").write(b"".join(out))
    print("dedup_oracle: %d copies written" % copies)


def main():
    if len(sys.argv) == 5 and sys.argv[1] == "--span-copies":
        span_copies(sys.argv[3], sys.argv[4], int(sys.argv[2]))
        return 0
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="dedup")
    ap.add_argument("--window-us", type=int, default=2000)
    ap.add_argument("--min-dups", type=int, default=1)
    ap.add_argument("--original")
    ap.add_argument("pcap")
    ap.add_argument("on")
    ap.add_argument("off")
    a = ap.parse_args()
    total, per, per_call = count(a.pcap, a.window_us * 1000)
    on, on_calls, on_sum = siphon_run(a.on)
    off, off_calls, off_sum = siphon_run(a.off)
    bad = []
    if total < a.min_dups:
        bad.append("only %d duplicates in the capture, expected at least %d" % (total, a.min_dups))
    for name, sm, want in (("default", on_sum, total), ("dedup_slots=0", off_sum, 0)):
        got = (sm.get("decode") or {}).get("duplicates_dropped")
        if got != want:
            bad.append("%s run: decode.duplicates_dropped %r, expected %d" % (name, got, want))
    for field, want in (("sip_messages", sum(per_call.values())),
                        ("rtp_packets", sum(per.values()))):
        drop = off_sum.get(field, 0) - on_sum.get(field, 0)
        if drop != want:
            bad.append("summary %s: %r with dedup off, %r on, expected a drop of %d"
                       % (field, off_sum.get(field), on_sum.get(field), want))
    for c in sorted(set(on_calls) | set(off_calls) | set(per_call)):
        drop = off_calls.get(c, 0) - on_calls.get(c, 0)
        if drop != per_call.get(c, 0):
            bad.append("call %s: sip_messages %d with dedup off, %d on, %d SIP duplicates"
                       % (c, off_calls.get(c, 0), on_calls.get(c, 0), per_call.get(c, 0)))
    for k in sorted(set(on) | set(off) | set(per)):
        drop = off.get(k, 0) - on.get(k, 0)
        if drop != per.get(k, 0):
            bad.append("%s:%s->%s:%s ssrc %s: packets %d with dedup off, %d on (dropped %d), "
                       "%d duplicates in the capture" % (k + (off.get(k, 0), on.get(k, 0), drop,
                                                              per.get(k, 0))))
    if a.original:
        for field in ("packets", "duplicates"):
            want, calls, _ = siphon_run(a.original, field)
            got, got_calls, _ = siphon_run(a.on, field)
            if not want:
                bad.append("original run reports no stream")
            if got != want:
                bad.append("stream %s with the copies differ from the original capture's: %s"
                           % (field, sorted(set(got.items()) ^ set(want.items()))[:4]))
        if got_calls != calls:
            bad.append("call sip_messages with the copies differ from the original capture's")
    for m in bad[:40]:
        print("%s: %s" % (a.label, m))
    if bad:
        print("%s: FAIL: %d differences" % (a.label, len(bad)))
        return 1
    print("%s: ok: %d capture duplicates dropped and counted: %d SIP in %d calls, "
          "%d RTP in %d streams, %d other" % (a.label, total, sum(per_call.values()), len(per_call),
                                             sum(per.values()), len(per),
                                             total - sum(per_call.values()) - sum(per.values())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
