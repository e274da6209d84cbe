#!/usr/bin/env python3
"""make_fuzz_decode_seeds.py - converts captures into fuzz_decode inputs.

fuzz_decode input: byte 0 = index into its link_types[] table (bit 4: tiny
limits), then frames separated by b"FRM!".  Usage:
  make_fuzz_decode_seeds.py OUTDIR FILE.pcap...   (pcapng: convert with editcap -F pcap first)
Each seed keeps the first frames up to 16 KB (60 KB for the large-body capture)."""
import os
import struct
import sys

LINKS = [1, 0, 108, 101, 12, 228, 229, 113, 276, 14, 147]


def frames(path):
    with open(path, "rb") as f:
        data = f.read()
    magic = data[:4]
    if magic in (b"\xd4\xc3\xb2\xa1", b"\x4d\x3c\xb2\xa1"):
        end = "<"
    elif magic in (b"\xa1\xb2\xc3\xd4", b"\xa1\xb2\x3c\x4d"):
        end = ">"
    else:
        raise SystemExit(f"{path}: not a classic pcap")
    linktype = struct.unpack(end + "I", data[20:24])[0] & 0x0FFFFFFF
    off, out = 24, []
    while off + 16 <= len(data):
        caplen = struct.unpack(end + "I", data[off + 8:off + 12])[0]
        out.append(data[off + 16:off + 16 + caplen])
        off += 16 + caplen
    return linktype, out


def main():
    outdir = sys.argv[1]
    for path in sys.argv[2:]:
        linktype, fr = frames(path)
        if linktype not in LINKS:
            continue
        name = os.path.splitext(os.path.basename(path))[0]
        for small in (0, 1):
            buf = bytes([LINKS.index(linktype) | (0x10 if small else 0)])
            body = []
            size = 0
            for f in fr:
                if size + len(f) > (60000 if "body-large" in name else 16000):
                    break
                body.append(f)
                size += len(f) + 4
            buf += b"FRM!".join(body)
            with open(os.path.join(outdir, f"{name}{'_small' if small else ''}.bin"), "wb") as o:
                o.write(buf)


main()
