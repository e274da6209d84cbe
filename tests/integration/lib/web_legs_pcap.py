#!/usr/bin/env python3
"""web_legs_pcap.py OUT.pcap - calls for the dashboard's call page (built
with table_pcap.py's call()): the two legs of one call through a B2BUA
(web-leg-a and web-leg-b: the same caller and callee, different Call-IDs
and hosts, 0.3 s apart), a later call between the same parties 100 s
after (web-leg-later: not a related leg), and SIP INFO DTMF digits 4, 2
in leg a (application/dtmf-relay); a call from a scanner's User-Agent
(web-scan-call: the scanner alert names it in its evidence).
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import table_pcap as tp  # noqa: E402


def info(pc, t, n, call_id, from_user, to_user, cseq, digit):
    a, b = "10.20.%d.1" % n, "10.20.%d.2" % n
    req_uri = b"sip:" + to_user + b"@" + b.encode() + b" SIP/2.0"
    hdr = [(b"Via", b"SIP/2.0/UDP " + a.encode() + b":5060;branch=z9hG4bKinfo%d" % cseq),
           (b"From", b"<sip:" + from_user + b"@" + a.encode() + b">;tag=f" + str(n).encode()),
           (b"To", b"<sip:" + to_user + b"@" + b.encode() + b">;tag=t" + str(n).encode()),
           (b"Call-ID", call_id), (b"CSeq", b"%d INFO" % cseq),
           (b"Content-Type", b"application/dtmf-relay")]
    pc.udp(t, a, 5060, b, 5060, tp.sip(b"INFO " + req_uri, hdr,
                                      b"Signal=" + digit + b"\r\nDuration=160\r\n"))
    ok = [hdr[0], hdr[1], hdr[2], hdr[3], hdr[4]]
    pc.udp(t + 0.01, b, 5060, a, 5060, tp.sip(b"SIP/2.0 200 OK", ok))


def main():
    pc = tp.Pcap()
    t0 = tp.T0 + 500
    fr, to = b"5551000", b"5552000"
    tp.call(pc, 50, t0, b"web-leg-a@h", fr, to, talk=2.0, caller_pkts=100, callee_pkts=100)
    info(pc, t0 + 0.6, 50, b"web-leg-a@h", fr, to, 3, b"4")
    info(pc, t0 + 0.9, 50, b"web-leg-a@h", fr, to, 4, b"2")
    tp.call(pc, 51, t0 + 0.3, b"web-leg-b@h", fr, to, talk=1.8, caller_pkts=90, callee_pkts=90)
    tp.call(pc, 52, t0 + 100, b"web-leg-later@h", fr, to, talk=1.0, caller_pkts=50, callee_pkts=50)
    tp.call(pc, 53, t0 + 200, b"web-scan-call@h", b"100", b"200", ua=b"friendly-scanner",
            talk=0.5, caller_pkts=10, callee_pkts=10)
    pc.write(sys.argv[1])


if __name__ == "__main__":
    main()
