#!/usr/bin/env python3
"""web_scale_pcap.py ladder OUT.pcap START | live OUT.pcap N START HOLD - captures
for bench_web_scale.sh (built with tests/integration/lib/table_pcap.py):
  ladder: one answered call of 500 SIP messages at START (recent: siphon
          run's retention drops old partitions) (INVITE, 200, ACK, 247 SIP
          INFO DTMF digits with their 200s, BYE, 200) and its RTP;
  live:   N SIP-only calls (INVITE, 180, 200, ACK) started within 2 s from
          START (epoch seconds), each ended by BYE / 200 HOLD s later.
"""
import os
import sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "integration", "lib"))
import table_pcap as tp  # noqa: E402


def ladder(out, start):
    pc = tp.Pcap()
    t0 = start
    n, fr, to, cid = 60, b"5553000", b"5554000", b"bench-ladder-500@h"
    tp.call(pc, n, t0, cid, fr, to, talk=60.0, caller_pkts=500, callee_pkts=500)
    a, b = "10.20.%d.1" % n, "10.20.%d.2" % n
    req_uri = b"sip:" + to + b"@" + b.encode() + b" SIP/2.0"
    for i in range(247):
        cseq = 3 + i
        hdr = [(b"Via", b"SIP/2.0/UDP " + a.encode() + b":5060;branch=z9hG4bKd%d" % cseq),
               (b"From", b"<sip:" + fr + b"@" + a.encode() + b">;tag=f%d" % n),
               (b"To", b"<sip:" + to + b"@" + b.encode() + b">;tag=t%d" % n),
               (b"Call-ID", cid), (b"CSeq", b"%d INFO" % cseq)]
        t = t0 + 0.5 + i * 0.2
        body = b"Signal=" + b"0123456789"[i % 10:i % 10 + 1] + b"\r\nDuration=100\r\n"
        pc.udp(t, a, 5060, b, 5060,
               tp.sip(b"INFO " + req_uri, hdr + [(b"Content-Type", b"application/dtmf-relay")], body))
        pc.udp(t + 0.01, b, 5060, a, 5060, tp.sip(b"SIP/2.0 200 OK", hdr))
    # the BYE of tp.call comes at t0 + 60.2, after the INFOs
    pc.udp(t0 + 60.21, b, 5060, a, 5060, tp.sip(b"SIP/2.0 200 OK", [
        (b"Via", b"SIP/2.0/UDP " + a.encode() + b":5060;branch=z9hG4bKb%d" % n),
        (b"From", b"<sip:" + fr + b"@" + a.encode() + b">;tag=f%d" % n),
        (b"To", b"<sip:" + to + b"@" + b.encode() + b">;tag=t%d" % n),
        (b"Call-ID", cid), (b"CSeq", b"2 BYE")]))
    pc.write(out)


def live(out, count, start, hold):
    pc = tp.Pcap()
    for k in range(count):
        a = "10.%d.%d.1" % (30 + k // 250, k % 250)
        b = "10.%d.%d.2" % (30 + k // 250, k % 250)
        t = start + 2.0 * k / count
        fr, to = b"%d" % (100000 + k), b"%d" % (200000 + k)
        cid = b"bench-live-%d@h" % k
        req_uri = b"sip:" + to + b"@" + b.encode() + b" SIP/2.0"
        via = (b"Via", b"SIP/2.0/UDP " + a.encode() + b":5060;branch=z9hG4bKl%d" % k)
        f = (b"From", b"<sip:" + fr + b"@" + a.encode() + b">;tag=f%d" % k)
        t_ = (b"To", b"<sip:" + to + b"@" + b.encode() + b">")
        tt = (b"To", t_[1] + b";tag=t%d" % k)
        c = (b"Call-ID", cid)
        pc.udp(t, a, 5060, b, 5060, tp.sip(b"INVITE " + req_uri, [via, f, t_, c, (b"CSeq", b"1 INVITE"),
               (b"Contact", b"<sip:c@" + a.encode() + b">"), (b"User-Agent", b"bench-live/1.0")]))
        pc.udp(t + 0.05, b, 5060, a, 5060, tp.sip(b"SIP/2.0 180 Ringing", [via, f, tt, c, (b"CSeq", b"1 INVITE")]))
        pc.udp(t + 0.3, b, 5060, a, 5060, tp.sip(b"SIP/2.0 200 OK", [via, f, tt, c, (b"CSeq", b"1 INVITE"),
               (b"Contact", b"<sip:c@" + b.encode() + b">")]))
        pc.udp(t + 0.31, a, 5060, b, 5060, tp.sip(b"ACK " + req_uri, [via, f, tt, c, (b"CSeq", b"1 ACK")]))
        e = t + hold
        bv = (b"Via", b"SIP/2.0/UDP " + a.encode() + b":5060;branch=z9hG4bKe%d" % k)
        pc.udp(e, a, 5060, b, 5060, tp.sip(b"BYE " + req_uri, [bv, f, tt, c, (b"CSeq", b"2 BYE")]))
        pc.udp(e + 0.01, b, 5060, a, 5060, tp.sip(b"SIP/2.0 200 OK", [bv, f, tt, c, (b"CSeq", b"2 BYE")]))
    pc.write(out)


if __name__ == "__main__":
    if sys.argv[1] == "ladder":
        ladder(sys.argv[2], float(sys.argv[3]))
    else:
        live(sys.argv[2], int(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5]))
