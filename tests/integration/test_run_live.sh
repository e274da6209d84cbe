#!/usr/bin/env bash
# test_run_live.sh - `siphon run` on a live interface.
#
# The test makes its own network namespace and veth pair (names carry the
# shell's pid; a trap on EXIT deletes the namespace, which destroys the
# pair, and stops any siphon it started).  IPv6 is disabled on both ends
# before they come up, so the only frames crossing the pair are the ones
# replayed.  A capture of 20 calls from siphon-gen is replayed inside the
# namespace with `tcpreplay --pps=20000` onto the pair while
# `siphon run --json` captures the host end:
#   1. as root with --allow-root: after SIGINT, exit 0; every call is
#      rebuilt as the truth says (lib/compare_truth.py --no-timestamps:
#      the replay re-times the packets), the ring delivered exactly the
#      frames of the file and the kernel dropped none (summary);
#   2. as root with neither capture.user nor --allow-root: exit 1 and a
#      message naming capture.user and --allow-root, before anything opens;
#   3. with capture.user=nobody: the process runs as nobody (Uid line of
#      /proc/PID/status) and still captures every call;
#   4. with 2 capture threads on one fanout group and 3 correlator threads:
#      every call as the truth says, no frame lost, no queue drop; every
#      datagram routed once (sip + media by SDP + by flow == datagrams, held
#      media included) in the summary and the last stats lines, and the
#      stats lines' frames captured == frames decoded >= datagrams >= RTP;
#   5. SIGHUP: log.file is reopened after it was moved away, a changed
#      log.level applies, a changed correlator key is named as needing a
#      restart, a file with errors is rejected and the daemon keeps running;
#   6. SIGHUP reopens output.file: after mv + SIGHUP, the moved file holds
#      every call of a first replay and the new file every call of a second
#      one and the summary; no record lost, cut or written twice.
# Without root, ip netns or tcpreplay the test fails: packaging/test.sh runs
# as root and installs iproute2 and tcpreplay, so a missing one is a bug.
# An empty -c file keeps a host's /etc/siphon/siphon.conf out of the test.
# RUN_LIVE_ONLY=NAME (root, refuse, nobody, threads, hup, rotation) runs one
# case alone, to loop a flaky one.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
if [ "$(id -u)" -ne 0 ]; then echo "FAIL: needs root (run packaging/test.sh as root)"; exit 1; fi
for tool in ip tcpreplay python3 timeout; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool missing (packaging/deps.sh test installs it)"; exit 1; }
done
work="$TEST_TMP/run_live"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
ns="siphon-r$$" vh="srl$$h" vn="srl$$n"
pids=()
cleanup() {
    for p in "${pids[@]}"; do kill -KILL "$p" 2>/dev/null; done
    ip netns del "$ns" 2>/dev/null
    ip link del "$vh" 2>/dev/null
    true
}
trap cleanup EXIT
failed=()
fail() { echo "FAIL: $*"; failed+=("$1"); }
want() { [ -z "${RUN_LIVE_ONLY:-}" ] || [ "$RUN_LIVE_ONLY" = "$1" ]; }

ip netns add "$ns" || { echo "FAIL: cannot create a network namespace"; exit 1; }
ip link add "$vh" type veth peer name "$vn" netns "$ns" &&
    sysctl -qw "net.ipv6.conf.$vh.disable_ipv6=1" &&
    ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$vn.disable_ipv6=1" &&
    ip link set "$vh" up && ip -n "$ns" link set "$vn" up ||
    { echo "FAIL: cannot set up the veth pair"; exit 1; }

pcap="$work/f.pcap" truth="$work/f.ndjson" conf="$work/empty.conf"
"$SIPHON_GEN" -q -o "$pcap" --truth "$truth" --calls 20 --duration 3 --seed 11 ||
    { echo "FAIL: siphon-gen failed"; exit 1; }
printf '[storage]\nenabled = false\n' >"$conf" # these runs store nothing
frames=$("$SIPHON" analyze --json --no-progress "$pcap" | python3 -c '
import json, sys
print([json.loads(l) for l in sys.stdin if l.strip()][-1]["packets"])')
echo "capture: $frames frames"

# wait_for FILE PATTERN SECONDS: until the pattern is in the file
wait_for() {
    local i
    for ((i = 0; i < $3 * 10; i++)); do
        grep -q "$2" "$1" 2>/dev/null && return 0
        sleep 0.1
    done
    return 1
}

# live_case NAME EXTRA_ARGS...: start siphon, replay, SIGINT, compare.
# Leaves the pid in $pid for checks while it runs (the hook $during).
live_case() {
    local name=$1; shift
    local out="$work/$name.ndjson" err="$work/$name.stderr"
    "$SIPHON" run --record.enabled=false -c "$conf" -v --json --capture.interfaces="$vh" --capture.promiscuous=true \
        --log.stats_interval=1s "$@" >"$out" 2>"$err" &
    pid=$!
    pids+=("$pid")
    if ! wait_for "$err" "capturing on $vh" 20; then
        fail "$name-start" "siphon run did not start: $(head -c 600 "$err")"
        kill -KILL "$pid" 2>/dev/null; wait "$pid" 2>/dev/null
        return
    fi
    sleep 0.3
    [ -n "${during:-}" ] && "$during"
    if ! timeout 60 ip netns exec "$ns" tcpreplay -q -i "$vn" --pps=20000 "$pcap" \
        >"$work/$name.tcpreplay" 2>&1; then
        fail "$name-replay" "tcpreplay failed: $(cat "$work/$name.tcpreplay")"
    fi
    # blocks are handed over after 10 ms; let the loop drain them (a slow
    # build, e.g. ThreadSanitizer's, takes seconds: the stats line says when)
    wait_for "$err" "stats $vh: $frames frames" 30 || true
    sleep 1.5
    kill -INT "$pid"
    local i rc
    for ((i = 0; i < 300; i++)); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    if kill -0 "$pid" 2>/dev/null; then
        fail "$name-stop" "siphon run still running 30 s after SIGINT"
        kill -KILL "$pid"
    fi
    wait "$pid"; rc=$?
    echo "$name: exit $rc; stderr:"; sed 's/^/  /' "$err" | tail -8
    [ $rc -eq 0 ] || fail "$name-exit" "exit $rc after SIGINT, want 0"
    python3 "$lib/compare_truth.py" --no-timestamps --label "$name" "$truth" "$out" ||
        fail "$name-calls" "calls differ from the truth"
    python3 - "$out" "$frames" "$vh" <<'PY' || fail "$name-drops" "capture counters"
import json, sys
recs = [json.loads(l) for l in open(sys.argv[1]) if l.strip()]
s = recs[-1]
assert s["type"] == "summary", "last record is not the summary"
ifs = {i["name"]: i for i in s["interfaces"]}
i = ifs[sys.argv[3]]
print("  summary: %d frames on %s, %d kernel drops, %d packets decoded" %
      (i["frames"], i["name"], s["kernel_drops"], s["packets"]))
assert s["kernel_drops"] == 0, "kernel drops %d" % s["kernel_drops"]
assert i["frames"] == int(sys.argv[2]), "ring delivered %d frames, file has %s" % (i["frames"], sys.argv[2])
assert s["packets"] == i["frames"], "decoded %d of %d frames" % (s["packets"], i["frames"])
PY
}

# 1. root, allowed ------------------------------------------------------------
during=""
want root && live_case root --allow-root

# 2. root refused -------------------------------------------------------------
want refuse && {
out=$("$SIPHON" run --record.enabled=false -c "$conf" --capture.interfaces="$vh" 2>&1); rc=$?
echo "refuse: exit $rc: $out"
[ $rc -eq 1 ] || fail refuse-exit "exit $rc as root without capture.user, want 1"
[[ "$out" == *"refusing to run as root"*"capture.user"*"--allow-root"* ]] ||
    fail refuse-msg "no clear message"
# the config key does the same as --allow-root
printf '[capture]\nallow_root = true\n' >"$work/allow.conf"
out=$(timeout 5 "$SIPHON" run --record.enabled=false -c "$work/allow.conf" --capture.interfaces=nosuchif0 2>&1); rc=$?
[[ "$out" != *"refusing"* ]] || fail refuse-key "capture.allow_root = true still refused"
}

# 3. capture.user=nobody --------------------------------------------------------
if ! want nobody; then
    :
elif nobody_uid=$(id -u nobody 2>/dev/null); then
    check_uid() {
        wait_for "$work/nobody.stderr" "running as nobody" 10 || true
        local uid_line
        uid_line=$(grep '^Uid:' "/proc/$pid/status")
        echo "nobody: /proc/$pid/status $uid_line"
        [[ "$uid_line" =~ ^Uid:[[:space:]]+$nobody_uid[[:space:]]+$nobody_uid[[:space:]]+$nobody_uid[[:space:]]+$nobody_uid$ ]] ||
            fail nobody-uid "not running as nobody ($nobody_uid): $uid_line"
    }
    during=check_uid
    live_case nobody --capture.user=nobody
    during=""
else
    echo "nobody: skipped (no user nobody)"
fi

# 4. several capture threads (one fanout group) and correlator threads --------
check_pipeline() { # the summary says how many threads ran, and nothing was dropped
    python3 - "$work/threads.ndjson" <<'PY' || fail threads-pipeline "pipeline counters"
import json, sys
s = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
p = s["pipeline"]
print("  pipeline:", p)
assert p["capture_threads"] == 2 and p["correlator_threads"] == 3, p
assert p["queue_drops"] == 0 and p["oversize_drops"] == 0, p
assert p["datagrams"] == s["datagrams"] if "datagrams" in s else True
assert p["routed_sip"] > 0 and p["routed_media_by_sdp"] > 0, p
# every datagram is routed once, by its final route (held media re-routed
# when its SDP shows up counts once)
routed = p["routed_sip"] + p["routed_media_by_sdp"] + p["routed_by_flow"]
assert routed == p["datagrams"], "routed %d (sip %d + media by SDP %d + by flow %d) != %d datagrams" % (
    routed, p["routed_sip"], p["routed_media_by_sdp"], p["routed_by_flow"], p["datagrams"])
PY
}
check_stats_lines() { # the last stats lines (written after the stop) add up
    python3 - "$work/threads.stderr" "$vh" <<'PY' || fail threads-stats "stats lines do not add up"
import re, sys
lines = open(sys.argv[1]).read().splitlines()
iface = [l for l in lines if l.startswith("siphon: info: stats %s:" % sys.argv[2])][-1]
pipe = [l for l in lines if l.startswith("siphon: info: stats pipeline:")][-1]
print("  " + iface + "\n  " + pipe)
num = lambda pat, l: int(re.search(pat, l).group(1))
captured = num(r"(\d+) frames captured", iface)
decoded = num(r"(\d+) frames decoded", pipe)
dgrams = num(r"(\d+) datagrams to the correlator", pipe)
m = re.search(r"routed (\d+) SIP by Call-ID \+ (\d+) RTP by SDP \+ (\d+) by flow", pipe)
routed = sum(int(x) for x in m.groups())
rtp = num(r"(\d+) RTP packets measured", pipe)
assert captured == decoded, "captured %d != decoded %d" % (captured, decoded)
assert routed == dgrams, "routed %d != datagrams %d" % (routed, dgrams)
assert 0 < rtp <= dgrams <= decoded, (rtp, dgrams, decoded)
PY
}
if want threads; then
    live_case threads --allow-root --capture.threads=2 --correlator.shards=3
    check_pipeline
    check_stats_lines
fi

# 5. SIGHUP: log.file reopened (logrotate), log settings reloaded, the rest
#    named as needing a restart, a broken file rejected -----------------------
if want hup; then
    hup_conf="$work/hup.conf" log="$work/siphon.log"
    printf '[log]\nlevel = info\nfile = %s\n' "$log" >"$hup_conf"
    "$SIPHON" run --record.enabled=false -c "$hup_conf" --allow-root --storage.enabled=false --capture.interfaces="$vh" >"$work/hup.out" 2>"$work/hup.err" &
    pid=$!
    pids+=("$pid")
    if wait_for "$log" "capturing on $vh" 20; then
        mv "$log" "$log.1"
        printf '[log]\nlevel = debug\nfile = %s\n[correlator]\nmax_calls = 1000\n' "$log" >"$hup_conf"
        kill -HUP "$pid"
        wait_for "$log" "configuration reloaded" 10 || fail hup-reopen "no reload line in a new $log"
        grep -q "log.level = debug" "$log" || fail hup-level "log.level not applied"
        grep -q "correlator.max_calls changed" "$log" || fail hup-restart "max_calls change not named"
        printf '[log]\nlevel = debug\nnosuchkey = 1\n' >"$hup_conf"
        kill -HUP "$pid"
        wait_for "$log" "keeping the running one" 10 || fail hup-bad "a broken file was not rejected"
        kill -0 "$pid" 2>/dev/null || fail hup-alive "siphon died on SIGHUP"
        kill -INT "$pid"
        wait "$pid"; rc=$?
        [ $rc -eq 0 ] || fail hup-exit "exit $rc after SIGINT"
        echo "hup: $(grep -c . "$log") lines in the reopened log:"; sed 's/^/  /' "$log" | tail -6
    else
        fail hup-start "siphon run did not log to $log: $(head -c 600 "$work/hup.err")"
        kill -KILL "$pid" 2>/dev/null
    fi
fi

# 6. output.file rotation: records of a first replay, mv, SIGHUP, records of
#    a second replay: the moved file has every call of the first, the new
#    file every call of the second and the summary; no record lost, none cut
#    in two, none written twice --------------------------------------------
if want rotation; then
    pcap2="$work/g.pcap" truth2="$work/g.ndjson" rec="$work/records.ndjson"
    "$SIPHON_GEN" -q -o "$pcap2" --truth "$truth2" --calls 20 --duration 3 --seed 12 ||
        { echo "FAIL: siphon-gen failed"; exit 1; }
    "$SIPHON" run --record.enabled=false -c "$conf" --allow-root --json -i "$vh" --output.file="$rec" \
        --correlator.call_linger=0s >"$work/rot.stdout" 2>"$work/rot.err" &
    pid=$!
    pids+=("$pid")
    count_calls() { grep -c '"type":"call"' "$1" 2>/dev/null || echo 0; }
    if wait_for "$work/rot.err" "capturing on $vh" 20; then
        timeout 60 ip netns exec "$ns" tcpreplay -q -i "$vn" --pps=20000 "$pcap" >/dev/null 2>&1 ||
            fail rot-replay1 "tcpreplay failed"
        for ((i = 0; i < 150; i++)); do [ "$(count_calls "$rec")" -ge 20 ] && break; sleep 0.1; done
        mv "$rec" "$rec.1"
        kill -HUP "$pid"
        wait_for "$work/rot.err" "output.file $rec reopened" 10 || fail rot-reopen "no reopen line"
        timeout 60 ip netns exec "$ns" tcpreplay -q -i "$vn" --pps=20000 "$pcap2" >/dev/null 2>&1 ||
            fail rot-replay2 "tcpreplay failed"
        for ((i = 0; i < 150; i++)); do [ "$(count_calls "$rec")" -ge 20 ] && break; sleep 0.1; done
        kill -INT "$pid"
        wait "$pid"; rc=$?
        [ $rc -eq 0 ] || fail rot-exit "exit $rc after SIGINT"
        echo "rotation: $(count_calls "$rec.1") calls in the moved file, $(count_calls "$rec") in the new one, $(wc -c <"$work/rot.stdout") bytes on stdout"
        [ ! -s "$work/rot.stdout" ] || fail rot-stdout "records on stdout despite output.file"
        # (the summary is in the new file: compare_truth wants one)
        { cat "$rec.1"; tail -n 1 "$rec"; } >"$work/rotated-old.ndjson"
        python3 "$lib/compare_truth.py" --no-timestamps --label rotated-old "$truth" "$work/rotated-old.ndjson" ||
            fail rot-old "the moved file lacks calls of the first replay"
        python3 "$lib/compare_truth.py" --no-timestamps --label rotated-new "$truth2" "$rec" ||
            fail rot-new "the new file lacks calls of the second replay"
        python3 - "$rec.1" "$rec" <<'PY' || fail rot-records "records lost, cut or doubled"
import json, sys
old = [json.loads(l) for l in open(sys.argv[1])]   # every line one whole record
new = [json.loads(l) for l in open(sys.argv[2])]
ids = lambda recs: [r["call_id"] for r in recs if r["type"] == "call"]
a, b = ids(old), ids(new)
assert len(a) == 20 and len(b) == 20, (len(a), len(b))
assert not set(a) & set(b) and len(set(a + b)) == 40, "a call written twice"
assert new[-1]["type"] == "summary" and all(r["type"] != "summary" for r in old), "summary placement"
assert new[-1]["calls"] == 40 if "calls" in new[-1] else True
PY
    else
        fail rot-start "siphon run did not start: $(head -c 600 "$work/rot.err")"
        kill -KILL "$pid" 2>/dev/null
    fi
fi

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAIL: ${#failed[@]} check(s): ${failed[*]}"
    exit 1
fi
echo "PASS: siphon run rebuilt every call live, no kernel drop"
