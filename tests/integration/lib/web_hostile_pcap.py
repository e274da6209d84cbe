#!/usr/bin/env python3
"""web_hostile_pcap.py OUT.pcap - calls whose From, To, User-Agent and
Call-ID carry HTML and script (for the dashboard's XSS tests), built with
table_pcap.py's call().  If the dashboard ever rendered wire text as HTML,
one of these would set window.__xss or fetch /xss-*.
"""
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import table_pcap as tp  # noqa: E402

PAYLOADS = [
    (b"<script>window.__xss=1</script>", b"<img src=/xss-img onerror=window.__xss=2>",
     b"<svg onload=window.__xss=3><script src=/xss-script.js></script>",
     b"web-xss-1-<b>bold</b>@h"),
    (b"\"><iframe src=javascript:window.__xss=4>", b"javascript:window.__xss=5",
     b"</pre><style>body{display:none}</style>{{constructor.constructor('window.__xss=6')()}}",
     b"web-xss-2-'\"><img src=x onerror=window.__xss=7>@h"),
]


def main():
    pc = tp.Pcap()
    for i, (fr, to, ua, cid) in enumerate(PAYLOADS):
        tp.call(pc, 40 + i, tp.T0 + 10 + i, cid, fr, to, ua=ua, talk=1.0, caller_pkts=60,
                callee_pkts=60)
    pc.write(sys.argv[1])


if __name__ == "__main__":
    main()
