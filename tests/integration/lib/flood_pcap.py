#!/usr/bin/env python3
"""flood_pcap.py - writes a pcap of N SIP INVITEs over UDP/IPv4, each with
its own Call-ID, none ever answered (an INVITE flood).

  flood_pcap.py OUT.pcap N START_EPOCH RATE_PER_S

Frames are Ethernet/IPv4/UDP 10.9.0.1:5060 -> 10.9.0.2:5060 (sources vary
over 10.9.x.y so no single flow carries everything), RATE_PER_S INVITEs per
second of packet time from START_EPOCH.  The frame is one template; only
the Call-ID digits, the source address and the checksums change, so a
million frames take a few seconds.
"""
import struct
import sys


def csum(b):
    if len(b) % 2:
        b += b"\0"
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def main():
    out, n, start, rate = sys.argv[1], int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4])
    tmpl = ("INVITE sip:bob@10.9.0.2 SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 10.9.0.1:5060;branch=z9hG4bKf{id:010d}\r\n"
            "Max-Forwards: 70\r\n"
            "From: <sip:flood@10.9.0.1>;tag=f{id:010d}\r\n"
            "To: <sip:bob@10.9.0.2>\r\n"
            "Call-ID: flood-{id:010d}@10.9.0.1\r\n"
            "CSeq: 1 INVITE\r\n"
            "Contact: <sip:flood@10.9.0.1>\r\n"
            "Content-Length: 0\r\n\r\n")
    eth = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
    step = 1.0 / rate
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        buf = []
        for i in range(n):
            payload = tmpl.format(id=i).encode()
            src = bytes([10, 9, 1 + (i >> 8) % 250, 1 + i % 250])
            dst = bytes([10, 9, 0, 2])
            udp_len = 8 + len(payload)
            ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, i & 0xFFFF, 0, 64, 17, 0,
                             src, dst)
            ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
            udp = struct.pack("!HHHH", 5060, 5060, udp_len, 0)  # checksum 0: none (IPv4)
            frame = eth + ip + udp + payload
            t = start + i * step
            sec = int(t)
            usec = int(round((t - sec) * 1e6))
            if usec >= 1000000:
                sec, usec = sec + 1, usec - 1000000
            buf.append(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)
            if len(buf) >= 10000:
                f.write(b"".join(buf))
                buf = []
        f.write(b"".join(buf))


if __name__ == "__main__":
    main()
