#!/usr/bin/env python3
"""pcapng_extreme_ts.py - rewrites a classic pcap as pcapng whose interface
counts time in whole seconds (if_tsresol 2^0) and gives every third record
an absurd timestamp: the ends of the int64 nanosecond range after scaling
(9223372036 s is 1 s below INT64_MAX ns, 9223372037 s saturates), negative
ones, 0 and 1, in turn.  Usage: pcapng_extreme_ts.py IN.pcap OUT.pcapng"""
import struct
import sys

STAMPS = [9223372036, 9223372037, (1 << 64) - 9223372037, 0, 1700000000, (1 << 64) - 1, 1]


def block(btype, body):
    pad = (-len(body)) % 4
    total = 12 + len(body) + pad
    return struct.pack("<II", btype, total) + body + b"\0" * pad + struct.pack("<I", total)


def main():
    src, dst = sys.argv[1], sys.argv[2]
    data = open(src, "rb").read()
    magic = struct.unpack("<I", data[:4])[0]
    end = "<" if magic in (0xA1B2C3D4, 0xA1B23C4D) else ">"
    linktype = struct.unpack(end + "I", data[20:24])[0]
    out = bytearray(block(0x0A0D0D0A, struct.pack("<IHHq", 0x1A2B3C4D, 1, 0, -1)))
    opts = struct.pack("<HHB3x", 9, 1, 0x80) + struct.pack("<HH", 0, 0)  # if_tsresol 2^-0
    out += block(1, struct.pack("<HHI", linktype, 0, 65535) + opts)
    off, i = 24, 0
    while off + 16 <= len(data):
        sec, _, incl, orig = struct.unpack(end + "IIII", data[off:off + 16])
        pkt = data[off + 16:off + 16 + incl]
        off += 16 + incl
        t = STAMPS[(i // 3) % len(STAMPS)] if i % 3 == 0 else sec
        i += 1
        out += block(6, struct.pack("<IIIII", 0, t >> 32, t & 0xFFFFFFFF, incl, orig) + pkt)
    open(dst, "wb").write(out)


if __name__ == "__main__":
    main()
