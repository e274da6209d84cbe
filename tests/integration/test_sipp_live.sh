#!/usr/bin/env bash
# test_sipp_live.sh - real SIP peers on loopback: SIPp's built-in UAS and its
# uac_pcap UAC (INVITE with SDP, 236 G.711A packets played from a pcap, RFC
# 2833 DTMF, BYE) place CALLS calls while dumpcap captures the loopback
# traffic; siphon must rebuild every call, and its RTP figures must match
# tshark's on the same capture.
# Meanwhile `siphon run` captures the same traffic live on lo (an AF_PACKET
# ring, 2 correlator threads, the same BPF filter; lo shows every packet
# twice, as sent and as received, and duplicate suppression keeps one):
# after SIGINT it must have written the same calls as the analysis of
# dumpcap's file: Call-IDs, states, final codes and, per stream, packets
# and lost.  One capture thread: SIPp's UAS answers every call from one
# media port, so the first RTP packet of a call, taken on another capture
# thread before its INVITE, would land in the previous call, and with
# several capture threads that order rests on a time heuristic (pipeline.c
# holds such media back; a machine loaded enough to delay a ring block past
# the heuristic's margin, as this suite's sanitizer build under load can,
# defeats it).  Several capture threads are tested by test_run_live.sh and
# unit/test_pipeline.
# Traffic: loopback only, CALLS calls, bounded by timeouts.
set -euo pipefail
: "${SIPHON:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
CALLS=3
work="$TEST_TMP/sipp_live"
rm -rf "$work" && mkdir -p "$work/pcap"
cp /usr/share/sip-tester/g711a.pcap /usr/share/sip-tester/dtmf_2833_1.pcap "$work/pcap/"
cd "$work"
sip_uas=15070 sip_uac=15071 media_uas=26100 media_uac=26200
filter="udp and host 127.0.0.1 and (port $sip_uas or port $sip_uac or portrange $media_uas-$((media_uas+9)) or portrange $media_uac-$((media_uac+99)))"
dumpcap -q -i lo -f "$filter" -w "$work/live.pcapng" -a duration:60 >/dev/null 2>&1 &
cap_pid=$!
printf '[storage]\nenabled = false\n' >"$work/empty.conf" # these runs store nothing
"$SIPHON" run --record.enabled=false -c "$work/empty.conf" --allow-root --json -v --capture.interfaces=lo \
    --capture.bpf_filter="$filter" --capture.threads=1 --correlator.shards=2 \
    --capture.ring_size=8MiB >"$work/run.ndjson" 2>"$work/run.stderr" &
run_pid=$!
trap 'kill $cap_pid $run_pid 2>/dev/null || true; pkill -f "sipp.*-p $sip_uas" 2>/dev/null || true' EXIT
for _ in $(seq 50); do grep -q "capturing on lo" "$work/run.stderr" && break; sleep 0.1; done
sleep 1.5
timeout 60 sipp -sn uas -i 127.0.0.1 -p $sip_uas -mp $media_uas -m $CALLS -nostdin >/dev/null 2>&1 &
uas_pid=$!
sleep 0.5
timeout 60 sipp -sn uac_pcap 127.0.0.1:$sip_uas -i 127.0.0.1 -p $sip_uac -mp $media_uac \
    -m $CALLS -l $CALLS -r $CALLS -nostdin >/dev/null 2>&1
wait $uas_pid || true
sleep 1
kill -INT $cap_pid; wait $cap_pid 2>/dev/null || true
sleep 1 # the rings hand blocks over after 10 ms; let the threads drain them
kill -INT $run_pid
rc=0; wait $run_pid || rc=$?
trap - EXIT
[ $rc -eq 0 ] || { echo "FAIL: siphon run exited $rc: $(tail -5 "$work/run.stderr")"; exit 1; }

"$SIPHON" analyze --json --no-progress "$work/live.pcapng" > "$work/siphon.ndjson"
tshark -n -q -z rtp,streams -r "$work/live.pcapng" > "$work/tshark.txt" 2>/dev/null
python3 "$TESTS_DIR/integration/lib/check_sipp_live.py" "$work/siphon.ndjson" "$work/tshark.txt" $CALLS
# siphon run, live on lo, wrote the same calls as the file analysis
python3 - "$work/siphon.ndjson" "$work/run.ndjson" $CALLS <<'PY'
import json, sys
def calls(path):
    out = {}
    for line in open(path):
        r = json.loads(line)
        if r.get("type") != "call":
            continue
        streams = sorted((s["src_port"], s["dst_port"], s["ssrc"], s["packets"], s["lost"])
                         for s in r["streams"])
        out[r["call_id"]] = (r["state"], r["final_code"], streams)
    return out
file_calls, live_calls = calls(sys.argv[1]), calls(sys.argv[2])
summary = [json.loads(l) for l in open(sys.argv[2]) if l.strip()][-1]
print("live: %d calls, pipeline %s, duplicates dropped %s" % (
    len(live_calls), summary.get("pipeline"), summary.get("decode", {}).get("duplicates_dropped")))
assert len(file_calls) == int(sys.argv[3]), "file analysis: %d calls" % len(file_calls)
assert live_calls == file_calls, "live calls differ:\n%s\n%s" % (live_calls, file_calls)
assert summary["kernel_drops"] == 0 and summary["pipeline"]["queue_drops"] == 0, summary
assert summary["pipeline"]["correlator_threads"] == 2, summary["pipeline"]
# lo: every packet as sent and as received; one copy of each is a duplicate
assert summary["decode"]["duplicates_dropped"] * 2 == summary["packets"], summary["decode"]
print("PASS: siphon run live on lo wrote the %d calls of the file analysis" % len(live_calls))
PY
