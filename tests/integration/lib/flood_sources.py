#!/usr/bin/env python3
"""flood_sources.py - a pcap of ordinary call signalling, then an INVITE
flood from N distinct source addresses towards one target (each source
sends one INVITE: no per-source counter can see it).

  flood_sources.py OUT.pcap N START_EPOCH [BENIGN_S] [FLOOD_RATE]

Benign part: BENIGN_S seconds (default 70) of calls at 20 per second from
200 callers in 10.1.0.0/24 to 10.2.0.1:5060, each INVITE, 100, 180, 200,
ACK, BYE, 200 over 2 s of packet time.  Flood: N INVITEs at FLOOD_RATE per
second (default 50,000) from 11.0.0.0 + i (i < N) to 10.2.0.1:5060, never
answered, starting when the benign part ends.  Frames are templates with
the varying digits and addresses patched; UDP checksum 0 (none).
"""
import struct
import sys

ETH = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def frame(t, src, dst, sport, dport, payload):
    udp_len = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    f = ETH + ip + struct.pack("!HHHH", sport, dport, udp_len, 0) + payload
    sec = int(t)
    usec = min(int(round((t - sec) * 1e6)), 999999)
    return struct.pack("<IIII", sec, usec, len(f), len(f)) + f


def msg(first, cid, cseq, extra=""):
    return ("%s\r\nVia: SIP/2.0/UDP 10.1.0.1:5060;branch=z9hG4bK%s\r\nFrom: <sip:%s@10.1.0.1>;tag=a%s\r\n"
            "To: <sip:%s@10.2.0.1>%s\r\nCall-ID: %s\r\nCSeq: %s\r\nUser-Agent: Polycom VVX 410\r\n"
            "Content-Length: 0\r\n\r\n") % (first, cid, extra[0], cid, extra[1], extra[2], cid, cseq)


def main():
    out, n, start = sys.argv[1], int(sys.argv[2]), float(sys.argv[3])
    benign_s = float(sys.argv[4]) if len(sys.argv) > 4 else 70
    rate = float(sys.argv[5]) if len(sys.argv) > 5 else 50000
    srv = bytes([10, 2, 0, 1])
    events = []
    calls = int(benign_s * 20)
    for c in range(calls):
        t0 = start + c / 20.0
        caller, callee = "u%d" % (c % 200), "d%d" % ((c * 7) % 300)
        cli = bytes([10, 1, 0, 1 + c % 200])
        cid = "call%d" % c
        totag = ";tag=b%d" % c
        seq = [
            (0.0, True, "INVITE sip:%s@10.2.0.1 SIP/2.0" % callee, "1 INVITE", ""),
            (0.01, False, "SIP/2.0 100 Trying", "1 INVITE", ""),
            (0.2, False, "SIP/2.0 180 Ringing", "1 INVITE", totag),
            (1.0, False, "SIP/2.0 200 OK", "1 INVITE", totag),
            (1.01, True, "ACK sip:%s@10.2.0.1 SIP/2.0" % callee, "1 ACK", totag),
            (2.0, True, "BYE sip:%s@10.2.0.1 SIP/2.0" % callee, "2 BYE", totag),
            (2.01, False, "SIP/2.0 200 OK", "2 BYE", totag),
        ]
        for dt, req, first, cseq, tt in seq:
            p = msg(first, cid, cseq, (caller, callee, tt)).encode()
            events.append((t0 + dt, cli if req else srv, srv if req else cli, p))
    events.sort(key=lambda e: e[0])
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        f.write(b"".join(frame(t, s, d, 5060, 5060, p) for t, s, d, p in events))
        t0 = start + benign_s + 2.5
        tmpl = ("INVITE sip:d1@10.2.0.1 SIP/2.0\r\nVia: SIP/2.0/UDP 11.0.0.1;branch=z9hG4bK%010d\r\n"
                "From: <sip:x@11.0.0.1>;tag=%010d\r\nTo: <sip:d1@10.2.0.1>\r\nCall-ID: f%010d\r\n"
                "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n")
        buf = []
        for i in range(n):
            a = 11 * 16777216 + i
            src = struct.pack("!I", a)
            buf.append(frame(t0 + i / rate, src, srv, 5060, 5060, (tmpl % (i, i, i)).encode()))
            if len(buf) >= 20000:
                f.write(b"".join(buf))
                buf = []
        f.write(b"".join(buf))


if __name__ == "__main__":
    main()
