#!/usr/bin/env python3
"""spool_records.py - reads siphon's spool segments (storage/spool.c).

usage: spool_records.py rows SEGMENT...       rows of every intact record, one line each
       spool_records.py tear SEGMENT BYTES    cuts BYTES off the segment's end (a torn
                                              last record); prints the rows it held
       spool_records.py old SEGMENT...        rewrites the sip_messages rows as a siphon
                                              before schema 5 wrote them (raw as captured,
                                              no raw_format field); prints "msg_id hex" of each
Record: "SPL1", u32 length, u32 CRC-32, payload; payload: per table {u8 table,
u32 rows, u32 bytes, COPY text}, then {u8 0xff, u32 days, i32 each}.
"""
import struct
import sys
import zlib


def records(path):
    data = open(path, "rb").read()
    at = 0
    while at + 12 <= len(data):
        magic, n, crc = struct.unpack_from("<III", data, at)
        if magic != 0x314C5053 or at + 12 + n > len(data):
            break
        payload = data[at + 12:at + 12 + n]
        if zlib.crc32(payload) != crc:
            break
        rows, p = 0, 0
        while p < len(payload) and payload[p] != 0xFF:
            r, b = struct.unpack_from("<II", payload, p + 1)
            rows += r
            p += 9 + b
        yield at, 12 + n, rows
        at += 12 + n


if sys.argv[1] == "rows":
    for seg in sys.argv[2:]:
        for _, _, rows in records(seg):
            print(rows)
elif sys.argv[1] == "old":
    import os
    sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
    from sip_raw import unpack

    def copy_bytea(field):  # COPY text of a bytea value -> its bytes
        t = field.replace(b"\\\\", b"\\")  # COPY's own escape of the backslash
        if t.startswith(b"\\x"):
            return bytes.fromhex(t[2:].decode())
        out, i = bytearray(), 0
        while i < len(t):
            if t[i:i + 2] == b"\\\\":
                out.append(0x5C)
                i += 2
            elif t[i] == 0x5C:
                out.append(int(t[i + 1:i + 4], 8))
                i += 4
            else:
                out.append(t[i])
                i += 1
        return bytes(out)

    for seg in sys.argv[2:]:
        data, out = open(seg, "rb").read(), bytearray()
        for at, size, _ in records(seg):
            payload, p, new = data[at + 12:at + size], 0, bytearray()
            while payload[p] != 0xFF:
                t, r, b = payload[p], *struct.unpack_from("<II", payload, p + 1)
                text = payload[p + 9:p + 9 + b]
                if t == 3:  # ST__MESSAGES: ..., len, raw, raw_format
                    lines = []
                    for line in text.split(b"\n")[:-1]:
                        f = line.split(b"\t")
                        raw = unpack(int(f[-1]), copy_bytea(f[-2]), int(f[-3]))
                        print(f[2].decode(), raw.hex())
                        lines.append(b"\t".join(f[:-2] + [b"\\\\x" + raw.hex().encode()]))
                    text = b"".join(l + b"\n" for l in lines)
                new += bytes([t]) + struct.pack("<II", r, len(text)) + text
                p += 9 + b
            new += payload[p:]
            out += struct.pack("<III", 0x314C5053, len(new), zlib.crc32(new)) + new
        open(seg, "wb").write(out)
elif sys.argv[1] == "tear":
    seg, cut = sys.argv[2], int(sys.argv[3])
    last = list(records(seg))[-1]
    data = open(seg, "rb").read()
    open(seg, "wb").write(data[:len(data) - cut])
    print(last[2])
