"""sip_raw.py - sip_messages.raw back to the message, as storage.h's
st_raw_unpack does (schema/0005): raw_format 0 the bytes as captured,
1 raw deflate with the preset dictionary storage/sip_dictionary.txt (LF
line ends made CRLF).  Tests read the stored rows with psql and compare
the messages byte for byte."""
import os
import zlib

_DICT = open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "storage",
                          "sip_dictionary.txt"), "rb").read().replace(b"\n", b"\r\n")


def unpack(raw_format, stored, length):
    if int(raw_format) == 0:
        return stored
    assert int(raw_format) == 1, "unknown raw_format %r" % raw_format
    d = zlib.decompressobj(-15, zdict=_DICT)
    out = d.decompress(stored) + d.flush()
    assert len(out) == int(length), "decoded %d bytes, len %s" % (len(out), length)
    return out
