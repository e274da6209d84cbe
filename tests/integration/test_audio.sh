#!/usr/bin/env bash
# test_audio.sh - `siphon audio` against siphon-gen's real audio (--audio:
# 440 Hz caller -> callee, 1 kHz back, encoded by spandsp, bcg729, libopus)
# and the truth it writes (lib/check_audio.py measures with audio_check):
#   - every codec with 3 % loss and a 0.8 s hold: stereo, caller left at
#     440 Hz and callee right at 1 kHz (FFT), length = media duration
#     +-20 ms, each side starting where its first packet arrived, silence
#     exactly where packets were lost or held, cross-correlation with the
#     tone above the codec's threshold: 0.9 for G.711, G.722, G.726, GSM
#     and Opus, 0.6 for G.729 (CELP after a loss: 0.68 measured; 0.95
#     without loss, checked separately);
#   - SRTP (every SDES suite) renders byte for byte what its clear twin
#     renders, also across a re-INVITE that changes the caller's key;
#   - a wrong key: exit 6, every packet counted as an authentication
#     failure, no file; no key (RTP/SAVP without a=crypto): counted as
#     packets without a key, exit 6, no file;
#   - SSRC change, jitter, reordering and duplicates; one file per stream;
#     FLAC and Ogg/Opus output;
#   - exit status and message for a call not found (3), a call without RTP
#     (4), a codec nothing decodes (5);
#   - the real WebRTC SRTP capture with its keys from the sidecar file;
#   - from the packet store: `analyze --record.dir` records an SRTP Opus
#     call with loss, `siphon audio --record.dir` renders byte for byte
#     what --pcap renders from the capture, and names an unknown Call-ID
#     (exit 3).
set -euo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${SHARED_DIR:?}" "${TESTS_DIR:?}" "${AUDIO_CHECK:?}"
tmp=$(mktemp -d "${TEST_TMP:-/tmp}/audio.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() {
    echo "FAIL: $*"
    fail=1
}
callid() { python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())['call_id'])" "$1"; }
gen() { # NAME GEN-OPTIONS...
    local n=$1
    shift
    "$SIPHON_GEN" -q --calls 1 --duration 4 --audio -o "$tmp/$n.pcap" --truth "$tmp/$n.json" "$@"
}
render() { # NAME [siphon audio options...]; sets rc
    local n=$1
    shift
    rc=0
    "$SIPHON" audio "$(callid "$tmp/$n.json")" --pcap "$tmp/$n.pcap" -o "$tmp/$n.wav" "$@" \
        2>"$tmp/$n.err" || rc=$?
}
check() { # NAME CHECK-OPTIONS...
    local n=$1
    shift
    python3 "$TESTS_DIR/integration/lib/check_audio.py" --check "$AUDIO_CHECK" \
        --truth "$tmp/$n.json" --wav "$tmp/$n.wav" "$@" || bad "$n"
}

# every codec, with loss and a hold
for spec in pcmu:0.9:0.002 pcma:0.9:0.002 g722:0.9:0.002 g726:0.9:0.002 gsm:0.9:0.002 \
    g729:0.6:0.005 opus:0.9:0.005; do
    IFS=: read -r codec corr start <<<"$spec"
    gen "$codec" --codec "$codec" --loss 3 --hold 1.5,0.8 --seed 7
    render "$codec"
    [[ $rc == 0 ]] || bad "$codec: exit $rc: $(cat "$tmp/$codec.err")"
    check "$codec" --corr "$corr" --start-tol "$start"
done
gen g729clean --codec g729 --seed 3
render g729clean
check g729clean --corr 0.95 --start-tol 0.005

# SRTP: the same audio as the clear twin, every suite, a key change
gen clear --codec pcmu --loss 2 --reinvite --seed 11
render clear
check clear --corr 0.9
for suite in AES_CM_128_HMAC_SHA1_80 AES_CM_128_HMAC_SHA1_32 AES_256_CM_HMAC_SHA1_80 \
    AEAD_AES_128_GCM AEAD_AES_256_GCM; do
    gen "s$suite" --codec pcmu --loss 2 --reinvite --seed 11 --srtp "$suite"
    render "s$suite"
    [[ $rc == 0 ]] || bad "SRTP $suite: exit $rc: $(cat "$tmp/s$suite.err")"
    cmp -s "$tmp/clear.wav" "$tmp/s$suite.wav" || bad "SRTP $suite differs from its clear twin"
    grep -q "(SRTP)" "$tmp/s$suite.err" || bad "SRTP $suite: streams not marked SRTP"
    ! grep -q "auth failures" "$tmp/s$suite.err" || bad "SRTP $suite: $(cat "$tmp/s$suite.err")"
done
gen sopus --codec opus --hold 1,1 --seed 5 --srtp AEAD_AES_256_GCM
render sopus
gen copus --codec opus --hold 1,1 --seed 5
render copus
cmp -s "$tmp/sopus.wav" "$tmp/copus.wav" || bad "SRTP Opus differs from its clear twin"

# a wrong key: counted authentication failures, no garbage, no file
gen wrong --codec pcma --seed 11 --srtp AES_CM_128_HMAC_SHA1_80 --srtp-bad-key
render wrong
[[ $rc == 6 ]] || bad "wrong key: exit $rc, want 6"
[[ ! -e $tmp/wrong.wav ]] || bad "wrong key: a file was written"
n=$(grep -c ", 0 decoded.*SRTP: 200 auth failures" "$tmp/wrong.err" || true)
[[ $n == 2 ]] || bad "wrong key: want 200 auth failures on both streams: $(cat "$tmp/wrong.err")"

# SRTP without a key (RTP/SAVP, the a=crypto lines renamed away): counted
# per stream as packets without a key, exit 6, no file
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(d.replace(b'a=crypto:', b'a=xrypto:'))" \
    "$tmp/wrong.pcap" "$tmp/nokey.pcap"
cp "$tmp/wrong.json" "$tmp/nokey.json"
render nokey
[[ $rc == 6 && ! -e $tmp/nokey.wav ]] || bad "no key: exit $rc, want 6 and no file"
n=$(grep -c "SRTP: 0 auth failures, 200 without key" "$tmp/nokey.err" || true)
[[ $n == 2 ]] || bad "no key: want 200 packets without key on both streams: $(cat "$tmp/nokey.err")"

# SSRC change, jitter, reordering, duplicates
gen imp --codec pcma --ssrc-change --jitter 30 --reorder 2 --duplicate 2 --seed 9
render imp
[[ $rc == 0 ]] || bad "impaired: exit $rc"
check imp --corr 0.9 --no-silence --len-tol 0.031 --start-tol 0.001
grep -q "dup" "$tmp/imp.err" && [[ $(grep -c "^siphon audio: stream" "$tmp/imp.err") == 3 ]] ||
    bad "impaired: want 3 streams: $(cat "$tmp/imp.err")"
dups=$(grep -o "[0-9]* dup" "$tmp/imp.err" | awk '{s += $1} END {print s}')
[[ $dups -gt 0 ]] || bad "impaired: duplicates not counted"

# one file per stream, aligned to the call's start
render imp --mono-per-stream
files=("$tmp"/imp-*-*-*.wav)
[[ ${#files[@]} == 3 ]] || bad "mono per stream: ${#files[@]} files, want 3"
for f in "${files[@]}"; do
    want=440
    [[ $f == *-callee-* ]] && want=1000
    read -r _ _ ch _ < <(printf '' | "$AUDIO_CHECK" "$f")
    dom=$(printf 'first 0\n' | "$AUDIO_CHECK" "$f" | tail -1)
    t0=$(python3 -c "print(max(0, float('$dom')))")
    got=$(printf 'dom 0 %s %s\n' "$t0" "$(python3 -c "print($t0 + 1)")" | "$AUDIO_CHECK" "$f" | tail -1)
    [[ $ch == 1 ]] || bad "$f: $ch channels"
    python3 -c "import sys; sys.exit(abs($got - $want) > $want * 0.01)" || bad "$f: $got Hz, want $want"
done

# FLAC and Ogg/Opus
for fmt in flac opus; do
    rc=0
    "$SIPHON" audio "$(callid "$tmp/pcmu.json")" --pcap "$tmp/pcmu.pcap" --format "$fmt" \
        -o "$tmp/out.$fmt" 2>/dev/null || rc=$?
    [[ $rc == 0 ]] || bad "--format $fmt: exit $rc"
    out=$(printf 'dom 0 0.2 1.2\ndom 1 0.2 1.2\n' | "$AUDIO_CHECK" "$tmp/out.$fmt")
    python3 - "$fmt" "$out" <<'PY' || bad "--format $1"
import sys
fmt, out = sys.argv[1], sys.argv[2].split("\n")
rate, ch = int(out[0].split()[1]), int(out[0].split()[2])
l, r = float(out[1]), float(out[2])
ok = ch == 2 and abs(l - 440) < 5 and abs(r - 1000) < 10
sys.exit(0 if ok else 1)
PY
done

# exit status and messages
rc=0
"$SIPHON" audio no-such-call@x --pcap "$tmp/pcmu.pcap" -o "$tmp/x.wav" 2>"$tmp/x.err" || rc=$?
[[ $rc == 3 ]] && grep -q "not found" "$tmp/x.err" || bad "call not found: exit $rc"
"$SIPHON_GEN" -q --calls 1 --fail-mix busy=100 -o "$tmp/busy.pcap" --truth "$tmp/busy.json"
rc=0
"$SIPHON" audio "$(callid "$tmp/busy.json")" --pcap "$tmp/busy.pcap" -o "$tmp/x.wav" \
    2>"$tmp/x.err" || rc=$?
[[ $rc == 4 ]] && grep -q "no RTP" "$tmp/x.err" || bad "no RTP: exit $rc"
# the SDP names the static payload type 0 iLBC (same length as PCMU)
python3 -c "import sys; d=open(sys.argv[1],'rb').read(); open(sys.argv[2],'wb').write(d.replace(b'PCMU/8000', b'iLBC/8000'))" \
    "$tmp/pcmu.pcap" "$tmp/ilbc.pcap"
rc=0
"$SIPHON" audio "$(callid "$tmp/pcmu.json")" --pcap "$tmp/ilbc.pcap" -o "$tmp/x.wav" \
    2>"$tmp/x.err" || rc=$?
[[ $rc == 5 ]] && grep -q "undecodable (iLBC)" "$tmp/x.err" && grep -q "codec" "$tmp/x.err" ||
    bad "undecodable codec: exit $rc: $(cat "$tmp/x.err")"
[[ ! -e $tmp/x.wav ]] || bad "undecodable codec: a file was written"

# the real WebRTC capture (SRTP; its SIP is inside TLS, keys from the sidecar)
pcap=$SHARED_DIR/data/pcaps/srtp_decoder_WebRTC_PCMA_p2p_SDES_Call_1.pcap
keys=$SHARED_DIR/data/pcaps/srtp_decoder_WebRTC_PCMA_p2p_SDES_Call_1.keys.txt
read -r s1 k1 < <(awk 'NR==1 {print $4, $5}' "$keys")
read -r s2 k2 < <(awk 'NR==2 {print $4, $5}' "$keys")
rc=0
"$SIPHON" audio --pcap "$pcap" --caller-ssrc "$s1" --callee-ssrc "$s2" \
    --srtp-key "caller:AES_CM_128_HMAC_SHA1_80:$k1" --srtp-key "callee:AES_CM_128_HMAC_SHA1_80:$k2" \
    -o "$tmp/webrtc.wav" 2>"$tmp/webrtc.err" || rc=$?
[[ $rc == 0 ]] || bad "WebRTC capture: exit $rc: $(cat "$tmp/webrtc.err")"
! grep -q "auth failures" "$tmp/webrtc.err" || bad "WebRTC capture: $(cat "$tmp/webrtc.err")"
grep -q "caller ssrc 0xd092d296 PCMA (SRTP): 259 packets, 212 decoded" "$tmp/webrtc.err" ||
    bad "WebRTC capture: caller stream: $(cat "$tmp/webrtc.err")"
peaks=$(printf 'peak 0 0 9\npeak 1 0 9\n' | "$AUDIO_CHECK" "$tmp/webrtc.wav" | tail -2 | tr '\n' ' ')
python3 -c "import sys; sys.exit(not all(0.01 < float(x) < 1 for x in sys.argv[1].split()))" "$peaks" ||
    bad "WebRTC capture: peaks $peaks"
rc=0
"$SIPHON" audio --pcap "$pcap" --caller-ssrc "$s1" --callee-ssrc "$s2" \
    --srtp-key "caller:AES_CM_128_HMAC_SHA1_80:$k2" --srtp-key "callee:AES_CM_128_HMAC_SHA1_80:$k1" \
    -o "$tmp/webrtc2.wav" 2>"$tmp/webrtc2.err" || rc=$?
[[ $rc == 6 ]] && grep -q "259 auth failures" "$tmp/webrtc2.err" || bad "WebRTC swapped keys: exit $rc"

# The packet store: the same call recorded, then rendered from the store.
gen store --codec opus --srtp AES_CM_128_HMAC_SHA1_80 --loss 3 --seed 11
"$SIPHON" analyze --no-progress --record.dir="$tmp/store" "$tmp/store.pcap" >/dev/null 2>&1 ||
    bad "store: analyze --record.dir failed"
cid=$(callid "$tmp/store.json")
rc=0
"$SIPHON" audio "$cid" --pcap "$tmp/store.pcap" -o "$tmp/from_pcap.wav" 2>/dev/null || rc=$?
[[ $rc == 0 ]] || bad "store: --pcap render: exit $rc"
rc=0
"$SIPHON" audio "$cid" --record.dir="$tmp/store" -o "$tmp/from_store.wav" 2>"$tmp/store.err" || rc=$?
[[ $rc == 0 ]] || bad "store: --record.dir render: exit $rc: $(cat "$tmp/store.err")"
cmp -s "$tmp/from_pcap.wav" "$tmp/from_store.wav" || bad "store: the store's audio differs from the capture's"
rc=0
"$SIPHON" audio no-such-call --record.dir="$tmp/store" -o "$tmp/none.wav" 2>"$tmp/none.err" || rc=$?
[[ $rc == 3 ]] && grep -q "no recording of Call-ID no-such-call" "$tmp/none.err" ||
    bad "store: unknown Call-ID: exit $rc: $(cat "$tmp/none.err")"
exit $fail
