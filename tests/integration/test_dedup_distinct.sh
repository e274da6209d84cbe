#!/usr/bin/env bash
# test_dedup_distinct.sh - duplicate suppression never takes two different
# packets for copies (capture/dedup.c), seen from `siphon analyze`.
# Two different INVITEs (other Call-ID and branch, same length) between the
# same hosts and ports, 0.5 ms apart, IP ID 0 (Linux DF datagrams), each
# way a sender fills the UDP checksum: 0, the pseudo-header sum only (TX
# offload seen on the sending host), the real one; over IPv4 and IPv6.
# Every capture must give two calls and drop nothing; the same capture
# with each INVITE also captured a second time 100 us later (a second SPAN
# source) must still give two calls and drop exactly the two copies.
set -uo pipefail
: "${SIPHON:?}" "${TEST_TMP:?}"
work="$TEST_TMP/dedup_distinct"
rm -rf "$work" && mkdir -p "$work"
failed=()

write_pcap() { # OUT V6 CKSUM COPIES
    python3 - "$@" <<'PY'
import struct, sys
out, v6, kind, copies = sys.argv[1], sys.argv[2] == "1", sys.argv[3], sys.argv[4] == "1"

def invite(tag):
    return ("INVITE sip:bob@example.com SIP/2.0\r\n"
            "Via: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK%s\r\n"
            "From: <sip:alice@example.com>;tag=%s\r\nTo: <sip:bob@example.com>\r\n"
            "Call-ID: %s@10.0.0.1\r\nCSeq: 1 INVITE\r\n"
            "Contact: <sip:alice@10.0.0.1:5060>\r\nContent-Length: 0\r\n\r\n" % (tag * 4, tag, tag * 8)).encode()

def csum(b):
    if len(b) & 1:
        b += b"\0"
    s = sum(struct.unpack(">%dH" % (len(b) // 2), b))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return s

src4, dst4 = bytes([10, 0, 0, 1]), bytes([10, 0, 0, 2])
src6, dst6 = bytes.fromhex("20010db8" + "0" * 23 + "1"), bytes.fromhex("20010db8" + "0" * 23 + "2")

def frame(payload):
    ulen = 8 + len(payload)
    if v6:
        pseudo = src6 + dst6 + struct.pack(">IxxxB", ulen, 17)
    else:
        pseudo = src4 + dst4 + struct.pack(">xBH", 17, ulen)
    ck = 0
    if kind == "pseudo":
        ck = csum(pseudo)
    elif kind == "real":
        ck = (~csum(pseudo + struct.pack(">HHHH", 5060, 5060, ulen, 0) + payload)) & 0xFFFF or 0xFFFF
    udp = struct.pack(">HHHH", 5060, 5060, ulen, ck) + payload
    if v6:
        ip = struct.pack(">IHBB", 0x60000000, ulen, 17, 64) + src6 + dst6 + udp
        et = 0x86DD
    else:
        hdr = struct.pack(">BBHHHBBH4s4s", 0x45, 0, 20 + ulen, 0, 0x4000, 64, 17, 0, src4, dst4)
        hdr = hdr[:10] + struct.pack(">H", (~csum(hdr)) & 0xFFFF) + hdr[12:]
        ip = hdr + udp
        et = 0x0800
    return b"\x00\x11\x22\x33\x44\x55\x66\x77\x88\x99\xaa\xbb" + struct.pack(">H", et) + ip

a, b = invite("a"), invite("b")
assert len(a) == len(b)
recs = [(0, frame(a)), (500, frame(b))]
if copies:
    recs += [(100, frame(a)), (600, frame(b))]
recs.sort()
with open(out, "wb") as f:
    f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
    for us, fr in recs:
        f.write(struct.pack("<IIII", 1700000000, us, len(fr), len(fr)) + fr)
PY
}

for v6 in 0 1; do
    for kind in zero pseudo real; do
        [ "$v6" = 1 ] && [ "$kind" = zero ] && continue # not allowed over IPv6
        for copies in 0 1; do
            name="v$([ "$v6" = 1 ] && echo 6 || echo 4)-$kind-copies$copies"
            write_pcap "$work/$name.pcap" "$v6" "$kind" "$copies"
            "$SIPHON" analyze --json --no-progress "$work/$name.pcap" >"$work/$name.out" 2>"$work/$name.err"
            read -r calls dropped < <(python3 - "$work/$name.out" <<'PY'
import json, sys
calls, dropped = 0, -1
for l in open(sys.argv[1]):
    o = json.loads(l)
    if o.get("type") == "call":
        calls += 1
    elif o.get("type") == "summary":
        dropped = o["decode"]["duplicates_dropped"]
print(calls, dropped)
PY
)
            want=$([ "$copies" = 1 ] && echo 2 || echo 0)
            echo "$name: $calls calls, $dropped dropped (want 2 calls, $want dropped)"
            [ "$calls" = 2 ] && [ "$dropped" = "$want" ] || failed+=("$name")
        done
    done
done
[ ${#failed[@]} -eq 0 ] || { echo "FAIL: ${failed[*]}"; exit 1; }
echo PASS
