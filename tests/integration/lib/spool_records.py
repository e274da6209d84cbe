#!/usr/bin/env python3
"""spool_records.py - reads siphon's spool segments (storage/spool.c).

usage: spool_records.py rows SEGMENT...       rows of every intact record, one line each
       spool_records.py tear SEGMENT BYTES    cuts BYTES off the segment's end (a torn
                                              last record); prints the rows it held
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
elif sys.argv[1] == "tear":
    seg, cut = sys.argv[2], int(sys.argv[3])
    last = list(records(seg))[-1]
    data = open(seg, "rb").read()
    open(seg, "wb").write(data[:len(data) - cut])
    print(last[2])
