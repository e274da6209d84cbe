#!/usr/bin/env bash
# sip_zdict_train.sh - trains storage/sip_zstd.dict, the zstd dictionary
# sip_messages.raw format 2 is compressed with (storage/sipz.c).
#
# The samples are generic SIP only, never a site's traffic: the lines of
# storage/sip_dictionary.txt (header names and values every SIP stack
# writes), every SIP message of the public captures in ../shared/data/pcaps
# (their provenance: SOURCES.md there), and one message in four of six
# siphon-gen captures with fixed seeds (UDP, TCP, IPv6, failures, digest
# challenges, forks, re-INVITEs; codecs PCMU, PCMA, G.722, G.729).  tshark
# cuts each SIP message out of its frame; `zstd --train` (ZDICT) builds a
# 32 KiB dictionary from them.
#
# The dictionary is part of raw_format 2: rows stored with it are read with
# it forever.  A new dictionary is a new format number (a new file, a new
# ST__RAW_* value in st_internal.h), never a replacement of this one.
#
# Usage: tests/tools/sip_zdict_train.sh SIPHON_GEN OUT.dict
#   (e.g. b/tests/gen/siphon-gen /tmp/sip_zstd.dict); needs tshark, zstd,
#   python3.
set -euo pipefail
gen=$1 out=$2
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
pcaps=$root/../shared/data/pcaps
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
mkdir -p "$work/samples" "$work/gen"

seed=100
for opts in "--codec pcmu" "--codec pcma --tcp" "--codec g722 --ipv6" \
            "--codec g729 --fail-mix busy=10,cancel=10,reject=10,noanswer=5" \
            "--challenge 50 --fork" "--reinvite --encap vlan"; do
    seed=$((seed + 1))
    # shellcheck disable=SC2086
    "$gen" -q -o "$work/gen/g$seed.pcap" --seed $seed --calls 150 --concurrency 20 \
        --duration 1 --ptime 100 $opts
done

# One file per SIP message (UDP payloads and TCP segments tshark calls SIP);
# every KEEP-th message of a file whose name matches the pattern.
python3 - "$work/samples" "$root/storage/sip_dictionary.txt" "$work"/gen/*.pcap \
    "$pcaps"/*.pcap "$pcaps"/*.pcapng <<'PY'
import os, subprocess, sys
out, hand, files = sys.argv[1], sys.argv[2], sys.argv[3:]
n = 0
def put(b):
    global n
    with open(os.path.join(out, "%06d" % n), "wb") as f:
        f.write(b)
    n += 1
for line in open(hand, "rb").read().splitlines():
    put(line + b"\r\n")
for path in files:
    keep = 4 if "/gen/" in path else 1
    p = subprocess.run(["tshark", "-r", path, "-Y", "sip", "-T", "fields", "-e", "udp.payload",
                        "-e", "tcp.payload"], capture_output=True, text=True, check=True)
    i = 0
    for row in p.stdout.splitlines():
        for h in row.split("\t"):
            h = h.split(",")[0].replace(":", "")
            if len(h) < 32:
                continue
            i += 1
            if i % keep == 0:
                put(bytes.fromhex(h))
print("sip_zdict_train: %d samples" % n, file=sys.stderr)
PY
zstd -q -f --train -r "$work/samples" -o "$out" --maxdict=32768 --dictID=1
echo "sip_zdict_train: $(wc -c <"$out") B dictionary in $out" >&2
