#!/usr/bin/env bash
# test_siprec.sh - siphon run as a pure SIPREC recording server (siprec/)
# with real SRCs on loopback:
#  - SIPp as the SRC, one session per real SRC offer in ../shared/data/siprec
#    (tests/siprec/*.xml, made by make_scenarios.py), RTP played with
#    play_pcap_audio from pcaps of 50 G.711 packets (1 s) per stream
#    (make_rtp_pcap.py); the Cisco one also over TCP;
#  - re-INVITE pause (a=inactive, then c=0.0.0.0) and resume, a metadata-only
#    UPDATE adding the real participants, CANCEL before the answer
#    (siprec.answer_delay), OPTIONS;
#  - hostile and malformed requests (lib/siprec_hostile.py: entity bomb,
#    deep and broken XML, 300 streams, a megabyte of metadata, the damaged
#    BroadWorks body, a source outside siprec.allow, ...), then one more
#    SIPp session to show the server still serves;
#  - a session over TLS with a client certificate and a refused
#    certificate-less client (lib/siprec_tls.py);
#  - an SDES SRTP session (RTP/SAVP, a=crypto), its pcap encrypted with the
#    offered key by siprec_srtp_pcap (SIPp has no SRTP).
# Every session's siprec_session record is checked (lib/check_siprec.py):
# state, participants, per stream the label, codec, the sender from the
# metadata, and packets received equal to the packets played, none lost.
# Free ports, loopback only, each SIPp run bounded by timeout, the server
# killed in a trap.
set -euo pipefail
: "${SIPHON:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}" "${SHARED_DIR:?}" "${SIPHON_SRTP_PCAP:?}"
work="$TEST_TMP/siprec"
rm -rf "$work" && mkdir -p "$work"
cd "$work"
scen="$TESTS_DIR/siprec"

# free ports: SIP (UDP+TCP), TLS, SIPp's SIP and media, 200 RTP ports
read -r sip tls sipp_port sipp_media rtp_lo < <(python3 - <<'PY'
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
print(free([U, T]), free([T]), free([U, T]), free([U], 4), free([U], 200))
PY
)
rtp_hi=$((rtp_lo + 199))

python3 "$scen/make_rtp_pcap.py" pcmu2.pcap 0 2 50
python3 "$scen/make_rtp_pcap.py" pcma2.pcap 8 2 50
python3 "$scen/make_rtp_pcap.py" pcmu1.pcap 0 1 50
openssl req -x509 -newkey rsa:2048 -nodes -keyout srs.key -out srs.pem -days 2 -subj /CN=srs.test 2>/dev/null
openssl req -x509 -newkey rsa:2048 -nodes -keyout src.key -out src.pem -days 2 -subj /CN=src.test 2>/dev/null
"$SIPHON_SRTP_PCAP" pcmu2.pcap srtp2.pcap "$(cat "$scen/srtp_key.txt")" || { echo "FAIL: srtp pcap"; exit 1; }

printf '[storage]\nenabled = false\n' >empty.conf # these runs store nothing
"$SIPHON" run -c empty.conf --allow-root --json --log.stats_interval=0 --record.dir="$PWD/record" \
    --siprec.enabled=true --siprec.listen="udp:127.0.0.1:$sip, tcp:127.0.0.1:$sip, tls:127.0.0.1:$tls" \
    --siprec.tls_cert=srs.pem --siprec.tls_key=srs.key --siprec.tls_ca=src.pem --siprec.verify_client=true \
    --siprec.allow=127.0.0.1/32 --siprec.rtp_ports=$rtp_lo-$rtp_hi --siprec.answer_delay=300ms \
    --record.dir="$work/store" \
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
src ciscoinactive cisco_cube_inactive
src oracle oracle_acme
src avaya avaya_acme
src sonus sonus_ribbon
src intrado intrado_viper
src sems sems_procomm
src opensips opensips_connectel
src broadworks broadworks_mangled
src ciscotcp cisco_cube -t t1
src pause reinvite_pause
src update update_metadata
src cancel cancel
src options options
src srtp srtp
python3 "$TESTS_DIR/integration/lib/siprec_hostile.py" 127.0.0.1 "$sip" "$SHARED_DIR" || failed+=(hostile)
python3 "$TESTS_DIR/integration/lib/siprec_tls.py" 127.0.0.1 "$tls" srs.pem src.pem src.key || failed+=(tls)
src after cisco_cube   # still serving after all of the above

kill -TERM $srs_pid
rc=0; wait $srs_pid || rc=$?
trap - EXIT
[ $rc -eq 0 ] || { echo "FAIL: siphon run exited $rc: $(tail -5 run.stderr)"; exit 1; }
python3 "$TESTS_DIR/integration/lib/check_siprec.py" run.ndjson || failed+=(records)
if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "PASS"
