"""sip_raw.py - sip_messages.raw back to the message, as storage.h's
st_raw_unpack does (schema/0005, 0006): raw_format 0 the bytes as
captured; 1 raw deflate with the preset dictionary
storage/sip_dictionary.txt (LF line ends made CRLF); 2 a zstd frame
without its 4-byte magic number, compressed with storage/sip_zstd.dict
(read with the zstd tool: put the magic back, decompress with the
dictionary).  Tests read the stored rows with psql and compare the
messages byte for byte."""
import os
import subprocess
import zlib

_STORAGE = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "..", "storage")
_DICT = open(os.path.join(_STORAGE, "sip_dictionary.txt"), "rb").read().replace(b"\n", b"\r\n")
_ZDICT = os.path.join(_STORAGE, "sip_zstd.dict")
_MAGIC = bytes([0x28, 0xB5, 0x2F, 0xFD])


def unpack(raw_format, stored, length):
    if int(raw_format) == 0:
        return stored
    if int(raw_format) == 2:
        out = subprocess.run(["zstd", "-d", "-q", "-c", "-D", _ZDICT], input=_MAGIC + stored,
                             capture_output=True, check=True).stdout
    else:
        assert int(raw_format) == 1, "unknown raw_format %r" % raw_format
        d = zlib.decompressobj(-15, zdict=_DICT)
        out = d.decompress(stored) + d.flush()
    assert len(out) == int(length), "decoded %d bytes, len %s" % (len(out), length)
    return out
