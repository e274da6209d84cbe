#!/usr/bin/env python3
"""hostile_sip.py OUT.pcap OUT.hex - SIP messages with hostile values, and
their exact bytes (one hex line per message, in capture order).

Quotes and backslashes in display names, user parts and headers; a body of
every byte but NUL; invalid UTF-8 (lone continuation bytes, an overlong
sequence, Latin-1) in From/To/User-Agent; a 63,000-byte header (the header
block just under the 64 KiB capture.max_sip_header_bytes); tabs and a
lone CR inside a value.  Ethernet/IPv4/UDP, one frame each (no
fragmentation: the pcap's snaplen is 262144).
"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return ~s & 0xFFFF


def frame(payload, src, dst, sport=5060, dport=5060):
    udp = struct.pack("!HHHH", sport, dport, 8 + len(payload), 0) + payload
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), 1, 0, 64, 17, 0, bytes(src), bytes(dst))
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    return b"\x02\0\0\0\0\x01\x02\0\0\0\0\x02\x08\x00" + ip + udp


def request(method, cid, from_hdr, to_hdr, extra=b"", body=b"", ctype=b"text/plain"):
    h = (method + b" sip:bob@example.net SIP/2.0\r\n"
         b"Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK-" + cid + b"\r\n"
         b"Max-Forwards: 70\r\n"
         b"From: " + from_hdr + b";tag=f-" + cid + b"\r\n"
         b"To: " + to_hdr + b"\r\n"
         b"Call-ID: " + cid + b"@hostile.test\r\n"
         b"CSeq: 1 " + method + b"\r\n" + extra)
    if body:
        h += b"Content-Type: " + ctype + b"\r\n"
    return h + b"Content-Length: " + str(len(body)).encode() + b"\r\n\r\n" + body


msgs = [
    request(b"MESSAGE", b"quotes",
            b'"Al\\"ice \\\\ O\'Brien" <sip:a\'b\\c@x.test>', b"<sip:bob\"q@example.net>",
            b"Subject: it's \"quoted\" \\ back\\slash\tand a tab\r\n"
            b"User-Agent: ua \"with\" 'quotes' \\\\ and \\N and \\.\r\n",
            b"body with 'quotes' \"dq\" \\ backslash\r\n"),
    request(b"MESSAGE", b"binary", b"<sip:bin@x.test>", b"<sip:bob@example.net>",
            b"", bytes(range(1, 256)) * 4, b"application/octet-stream"),
    request(b"OPTIONS", b"utf8", b"\"\xc3\xa9t\xe9\" <sip:\xe9l\xe8ve\x80@x.test>",
            b"<sip:\xc0\xafbad\xff\xfe@example.net>",
            b"User-Agent: \xff\xfe broken \xed\xa0\x80 surrogate \xf8\x88\x80\x80\x80 and \xe2\x82\xac ok\r\n"),
    request(b"OPTIONS", b"big", b"<sip:big@x.test>", b"<sip:bob@example.net>",
            b"X-Big: " + b"A" * 63000 + b"\r\n"),
    request(b"MESSAGE", b"cr", b"<sip:cr@x.test>", b"<sip:bob@example.net>",
            b"Subject: a lone\rCR and \x01\x02\x7f controls\r\n", b"x"),
]
out = open(sys.argv[1], "wb")
out.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 262144, 1))
t = 1709294400
for i, m in enumerate(msgs):
    f = frame(m, [10, 0, 0, 1], [10, 0, 0, 2])
    out.write(struct.pack("<IIII", t + i, 1000 * i, len(f), len(f)) + f)
out.close()
with open(sys.argv[2], "w") as h:
    for m in msgs:
        h.write(m.hex() + "\n")
