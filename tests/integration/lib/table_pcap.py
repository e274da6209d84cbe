#!/usr/bin/env python3
"""table_pcap.py - writes the captures test_table.sh reads the table of.

  table_pcap.py hostile OUT.pcap   calls whose From/To/Call-ID/User-Agent and
                                   rtpmap name carry terminal escapes, C1
                                   controls, bidi overrides, invalid UTF-8
  table_pcap.py layout OUT.pcap    calls that exercise the table's layout:
                                   emitted out of start order, one open at
                                   the end, one-way audio, a payload type no
                                   SDP names, a dynamic rtpmap, a long Call-ID
  table_pcap.py single OUT.pcap    one answered call (singular wording)

Frames are Ethernet/IPv4/UDP with UDP checksum 0 (none, allowed in IPv4);
every call is INVITE (with SDP) / 200 (with SDP) / ACK, RTP at 20 ms, then
BYE / 200 unless it stays open.  Times are fixed (2026-01-01 plus offsets),
so the output is reproducible.
"""
import struct
import sys

T0 = 1767225600  # 2026-01-01T00:00:00Z


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def ip4(s):
    return bytes(int(x) for x in s.split("."))


class Pcap:
    def __init__(self):
        self.frames = []  # (t, seq, bytes)

    def udp(self, t, src, sport, dst, dport, payload):
        udp_len = 8 + len(payload)
        ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, len(self.frames) & 0xFFFF, 0,
                         64, 17, 0, ip4(src), ip4(dst))
        ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
        udp = struct.pack("!HHHH", sport, dport, udp_len, 0)
        eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
        self.frames.append((t, len(self.frames), eth + ip + udp + payload))

    def write(self, path):
        with open(path, "wb") as f:
            f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
            for t, _, fr in sorted(self.frames):
                sec = int(t)
                usec = int(round((t - sec) * 1e6))
                if usec >= 1000000:
                    sec, usec = sec + 1, usec - 1000000
                f.write(struct.pack("<IIII", sec, usec, len(fr), len(fr)) + fr)


def sip(first, headers, body=b""):
    h = first + b"\r\n" + b"".join(k + b": " + v + b"\r\n" for k, v in headers)
    h += b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n"
    return h + body


def sdp(ip, port, pts, rtpmaps):
    lines = [b"v=0", b"o=- 1 1 IN IP4 " + ip.encode(), b"s=-", b"c=IN IP4 " + ip.encode(),
             b"t=0 0", b"m=audio " + str(port).encode() + b" RTP/AVP " +
             b" ".join(str(p).encode() for p in pts)]
    lines += [b"a=rtpmap:" + m for m in rtpmaps]
    return b"\r\n".join(lines) + b"\r\n"


def rtp(pc, t0, n, src, sport, dst, dport, pt, ssrc):
    step = 960 if pt == 96 else 160  # 20 ms: 96 is opus (48 kHz) here, the rest 8 kHz
    for i in range(n):
        hdr = struct.pack("!BBHII", 0x80, pt, (1000 + i) & 0xFFFF, (i * step) & 0xFFFFFFFF, ssrc)
        pc.udp(t0 + i * 0.02, src, sport, dst, dport, hdr + b"\xff" * 160)


def call(pc, n, start, call_id, from_user, to_user, ua=b"table-test/1.0", talk=2.0, bye=True,
         caller_pkts=100, callee_pkts=100, caller_pt=0, callee_pt=0, pts=(0, 8, 101),
         rtpmaps=(b"101 telephone-event/8000",)):
    """Call number n (addresses 10.20.n.1 caller, 10.20.n.2 callee)."""
    a, b = "10.20.%d.1" % n, "10.20.%d.2" % n
    ra, rb = 20000 + 2 * n, 30000 + 2 * n
    via = lambda tag: (b"Via", b"SIP/2.0/UDP " + a.encode() + b":5060;branch=z9hG4bK" + tag)
    fr = (b"From", b"<sip:" + from_user + b"@" + a.encode() + b">;tag=f" + str(n).encode())
    to = (b"To", b"<sip:" + to_user + b"@" + b.encode() + b">")
    to_t = (b"To", to[1] + b";tag=t" + str(n).encode())
    cid = (b"Call-ID", call_id)
    ct = (b"Content-Type", b"application/sdp")
    req_uri = b"sip:" + to_user + b"@" + b.encode() + b" SIP/2.0"
    inv = sip(b"INVITE " + req_uri,
              [via(b"i%d" % n), fr, to, cid, (b"CSeq", b"1 INVITE"),
               (b"Contact", b"<sip:c@" + a.encode() + b">"), (b"User-Agent", ua), ct],
              sdp(a, ra, pts, rtpmaps))
    pc.udp(start, a, 5060, b, 5060, inv)
    ok = sip(b"SIP/2.0 200 OK", [via(b"i%d" % n), fr, to_t, cid, (b"CSeq", b"1 INVITE"),
                                 (b"Contact", b"<sip:c@" + b.encode() + b">"), ct],
             sdp(b, rb, pts, rtpmaps))
    pc.udp(start + 0.1, b, 5060, a, 5060, ok)
    pc.udp(start + 0.11, a, 5060, b, 5060,
           sip(b"ACK " + req_uri, [via(b"a%d" % n), fr, to_t, cid, (b"CSeq", b"1 ACK")]))
    m0 = start + 0.2
    rtp(pc, m0, caller_pkts, a, ra, b, rb, caller_pt, 0x1000 + n)
    rtp(pc, m0 + 0.005, callee_pkts, b, rb, a, ra, callee_pt, 0x2000 + n)
    if bye:
        e = start + 0.2 + talk
        pc.udp(e, a, 5060, b, 5060,
               sip(b"BYE " + req_uri, [via(b"b%d" % n), fr, to_t, cid, (b"CSeq", b"2 BYE")]))
        pc.udp(e + 0.05, b, 5060, a, 5060,
               sip(b"SIP/2.0 200 OK", [via(b"b%d" % n), fr, to_t, cid, (b"CSeq", b"2 BYE")]))


def hostile(pc):
    # ESC [2J clears the screen; OSC 0 ... BEL retitles the window
    call(pc, 1, T0 + 1, b"cid-\x1b[2J-\x1b]0;owned\x07-1@h",
         b"alice\x1b[2J\x1b]0;pwned\x07", b"bob\x1b]8;;http://evil.example/\x1b\\x",
         ua=b"UA\x1b[31mred\x7f\x0b\x01", talk=1.0, caller_pkts=50, callee_pkts=50,
         caller_pt=96, callee_pt=96, pts=(96,), rtpmaps=(b"96 opus\x1b[2J/48000/2",))
    # C1 CSI as UTF-8 (U+009B), as a raw byte (invalid UTF-8), bidi override
    # U+202E, invalid bytes; a bare CR in the User-Agent
    call(pc, 2, T0 + 2, b"cid-\xc2\x9b2J-\x9b31m-\xe2\x80\xae-evil-\xff\xfe@h",
         b"\xe2\x80\xaecarol\xc2\x9b2J", b"dave\x9b1m\xc3\x28",
         ua=b"UA\rX\x1b]8;;http://evil.example/\x07", talk=1.0, caller_pkts=50, callee_pkts=50,
         bye=False)


def layout(pc):
    # emitted in this order: 2 (ends first), 1, 3 (open); start order 1, 2, 3
    # call 1: long, starts first; one-way audio (caller -> callee only)
    call(pc, 1, T0 + 0, b"layout-long-call@example.test", b"alice", b"bob", talk=20.0,
         caller_pkts=1000, callee_pkts=0)
    # call 2: starts later, ends first; a PT no SDP names (callee sends 97),
    # a dynamic PT the SDP maps (caller sends 96 = opus)
    call(pc, 2, T0 + 3, b"layout-" + b"x" * 80 + b"@example.test", b"carol", b"dave",
         talk=1.0, caller_pkts=50, callee_pkts=50, caller_pt=96, callee_pt=97, pts=(0, 96),
         rtpmaps=(b"96 opus/48000/2",))
    # call 3: starts last, never ends
    call(pc, 3, T0 + 8, b"layout-open-call@example.test", b"erin", b"frank", talk=1.0,
         caller_pkts=100, callee_pkts=100, bye=False)


def single(pc):
    call(pc, 1, T0 + 0, b"single@example.test", b"alice", b"bob", talk=2.0)


def main():
    mode, out = sys.argv[1], sys.argv[2]
    pc = Pcap()
    {"hostile": hostile, "layout": layout, "single": single}[mode](pc)
    pc.write(out)


if __name__ == "__main__":
    main()
