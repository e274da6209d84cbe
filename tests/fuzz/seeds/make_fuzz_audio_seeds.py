#!/usr/bin/env python3
"""make_fuzz_audio_seeds.py GEN OUTDIR - writes fuzz_audio seeds: short
siphon-gen --audio calls (every codec, SRTP suites, loss, a hold) in the
target's layout: Call-ID length, Call-ID, Ethernet frames joined by "FRM!"."""
import json
import os
import struct
import subprocess
import sys
import tempfile

gen, out = sys.argv[1], sys.argv[2]
cases = {
    "pcmu": ["--codec", "pcmu", "--loss", "5"],
    "g722": ["--codec", "g722", "--jitter", "30"],
    "g729": ["--codec", "g729", "--ssrc-change"],
    "opus": ["--codec", "opus", "--loss", "10"],
    "gsm": ["--codec", "gsm"],
    "g726": ["--codec", "g726", "--hold", "0.2,0.3"],
    "srtp_gcm": ["--codec", "pcma", "--srtp", "AEAD_AES_128_GCM", "--reinvite"],
    "srtp_cm": ["--codec", "opus", "--srtp", "AES_CM_128_HMAC_SHA1_32"],
    "srtp_bad": ["--codec", "pcmu", "--srtp", "AES_256_CM_HMAC_SHA1_80", "--srtp-bad-key"],
}
os.makedirs(out, exist_ok=True)
with tempfile.TemporaryDirectory() as tmp:
    for name, opts in cases.items():
        pcap, truth = f"{tmp}/{name}.pcap", f"{tmp}/{name}.json"
        subprocess.run([gen, "-q", "--calls", "1", "--duration", "0.6", "--audio", "-o", pcap,
                        "--truth", truth] + opts, check=True)
        cid = json.loads(open(truth).readline())["call_id"].encode()
        d = open(pcap, "rb").read()
        off, frames = 24, []
        while off + 16 <= len(d):
            incl = struct.unpack_from("<I", d, off + 8)[0]
            frames.append(d[off + 16:off + 16 + incl])
            off += 16 + incl
        open(f"{out}/{name}", "wb").write(bytes([len(cid)]) + cid + b"FRM!".join(frames))
