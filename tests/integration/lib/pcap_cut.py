#!/usr/bin/env python3
"""pcap_cut.py - cuts a classic pcap file in the middle of a record.

  pcap_cut.py IN OUT FRACTION
      -> prints "<cut_offset> <record_offset> <last_complete_ts_us>"

The cut lands FRACTION of the way into the file, moved so that it falls
inside a record's data (neither on a record boundary nor inside the 24-byte
file header).  Printed: the byte offset of the cut, the offset of the record
it cuts (its 16-byte header), and the capture time (us since the epoch) of
the last record that is still complete.
"""
import struct
import sys


def main():
    src, dst, frac = sys.argv[1], sys.argv[2], float(sys.argv[3])
    data = open(src, "rb").read()
    magic = data[:4]
    if magic == b"\xd4\xc3\xb2\xa1":
        end = "<"
    elif magic == b"\xa1\xb2\xc3\xd4":
        end = ">"
    else:
        sys.exit("pcap_cut: %s is not a microsecond pcap" % src)
    target = int(len(data) * frac)
    off, last_ts = 24, None
    while off + 16 <= len(data):
        sec, usec, incl, _ = struct.unpack(end + "IIII", data[off:off + 16])
        rec_end = off + 16 + incl
        if rec_end > target and incl > 8:
            cut = off + 16 + incl // 2  # inside this record's data
            open(dst, "wb").write(data[:cut])
            print(cut, off, last_ts if last_ts is not None else 0)
            return
        last_ts = sec * 1000000 + usec
        off = rec_end
    sys.exit("pcap_cut: no record to cut")


if __name__ == "__main__":
    main()
