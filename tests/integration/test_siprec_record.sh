#!/usr/bin/env bash
# test_siprec_record.sh - SIPREC sessions in the packet store: siphon run as
# a pure recording server with record.dir, SIPp as the SRC on loopback
# (Cisco CUBE over UDP and TCP, Oracle/Acme with calling/called roles,
# Sonus/Ribbon whose first participant sends the second m= line, an SDES
# SRTP session), each stream a different tone (440 Hz on the first m=
# line, 1000 Hz on the second).  Per session (lib/check_siprec_record.py):
#  - `siphon pcap CALL-ID`, read by tshark: frames to each stream's port
#    equal to the packets the SRS counted in its siprec_session record,
#    the session's SIP decoded by tshark (one INVITE, the 200s, the BYE),
#    no bad IP or UDP checksum;
#  - `siphon audio CALL-ID`: a stereo file as long as the streams, the
#    sender the metadata names as the calling party (or lists first) on
#    the left, the other on the right, both non-silent.
# Free ports, loopback only, every SIPp run bounded, the server killed in a
# trap.
set -euo pipefail
: "${SIPHON:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}" "${SIPHON_SRTP_PCAP:?}" "${AUDIO_CHECK:?}"
work="$TEST_TMP/siprec_record"
rm -rf "$work" && mkdir -p "$work"
cd "$work"
scen="$TESTS_DIR/siprec"

read -r sip sipp_port sipp_media rtp_lo < <(python3 - <<'PY'
import random, socket
def free(types, n=1):
    for _ in range(200):
        p = random.randrange(20000, 60000, 2)
        socks = []
        try:
            for q in range(p, p + n):
                for t in types:
                    s = socket.socket(socket.AF_INET, t); s.bind(('127.0.0.1', q)); socks.append(s)
            return p
        except OSError:
            pass
        finally:
            for s in socks: s.close()
    raise SystemExit('no free port')
U, T = socket.SOCK_DGRAM, socket.SOCK_STREAM
print(free([U, T]), free([U, T]), free([U], 4), free([U], 100))
PY
)
rtp_hi=$((rtp_lo + 99))

python3 "$scen/make_rtp_pcap.py" pcmu2.pcap 0 2 50 tones=440,1000
"$SIPHON_SRTP_PCAP" pcmu2.pcap srtp2.pcap "$(cat "$scen/srtp_key.txt")" || { echo "FAIL: srtp pcap"; exit 1; }

printf '[storage]\nenabled = false\n' >empty.conf # these runs store nothing
"$SIPHON" run -c empty.conf --allow-root --json --log.stats_interval=0 \
    --siprec.enabled=true --siprec.listen="udp:127.0.0.1:$sip, tcp:127.0.0.1:$sip" \
    --siprec.rtp_ports=$rtp_lo-$rtp_hi --record.dir="$work/store" \
    >run.ndjson 2>run.stderr &
srs_pid=$!
trap 'kill $srs_pid 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q "SIPREC recording server on" run.stderr && break; sleep 0.1; done
grep -q "SIPREC recording server on" run.stderr || { echo "FAIL: no server: $(cat run.stderr)"; exit 1; }

failed=()
src() { # NAME SCENARIO [SIPP OPTIONS...]
    local name=$1 sc=$2; shift 2
    if ! timeout 30 sipp "127.0.0.1:$sip" -sf "$scen/$sc.xml" -m 1 -i 127.0.0.1 -p "$sipp_port" \
            -mp "$sipp_media" -cid_str "$name-%u-%p@%s" -nostdin "$@" >"sipp_$name.out" 2>&1; then
        echo "FAIL: SIPp $sc ($name): $(tail -3 "sipp_$name.out" | tr '\n' ' ')"
        failed+=("$name")
    fi
}
src cisco cisco_cube
src ciscotcp cisco_cube -t t1
src oracle oracle_acme
src sonus sonus_ribbon
src srtp srtp

kill -TERM $srs_pid
rc=0; wait $srs_pid || rc=$?
trap - EXIT
[ $rc -eq 0 ] || { echo "FAIL: siphon run exited $rc: $(tail -5 run.stderr)"; exit 1; }
python3 "$TESTS_DIR/integration/lib/check_siprec_record.py" run.ndjson "$SIPHON" "$AUDIO_CHECK" \
    "$work/store" "$sip" || failed+=(recordings)
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "PASS"
