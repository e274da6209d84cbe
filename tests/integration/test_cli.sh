#!/usr/bin/env bash
# test_cli.sh - the command line's habits (tcpdump, git) and its messages.
#  1. siphon --version, -V and version print siphon's version, then the
#     versions of libpcap and nDPI as the loaded libraries report them.
#  2. siphon help COMMAND is COMMAND --help (same text, exit 0); siphon help
#     lists the commands; an unknown command is a usage error (exit 2).
#  3. analyze --events without --json is an error naming both (exit 2, no
#     output), not silently ignored.
#  4. a numeric option out of its range is refused naming the option and the
#     range, as a configuration error names the key: --max-calls takes what
#     correlator.max_calls takes (1..16777216), --threads 0..64.
#  5. run -i IFACE (repeatable) sets the interfaces: a missing one is named
#     as check-config names it; -i any captures on every interface (libpcap),
#     and the start-up line, shown at the default log level, says so with
#     the thread counts, the user and the filter.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/cli"
rm -rf "$work" && mkdir -p "$work"
failed=()
fail() { echo "FAIL: $*"; failed+=("$1"); }

# 1. versions ------------------------------------------------------------------
for v in --version -V version; do
    out=$("$SIPHON" $v 2>&1); rc=$?
    echo "$v: exit $rc: $(echo "$out" | tr '\n' ';')"
    [ $rc -eq 0 ] || fail "version$v-exit" "siphon $v: exit $rc"
    [[ "$(echo "$out" | head -1)" =~ ^siphon\ [0-9]+\.[0-9]+ ]] || fail "version$v" "first line is not 'siphon N.N'"
    echo "$out" | grep -q '^libpcap: libpcap version [0-9]' || fail "version$v-pcap" "no libpcap version"
    echo "$out" | grep -q '^nDPI: [0-9]' || fail "version$v-ndpi" "no nDPI version"
done

# 2. help ------------------------------------------------------------------------
for cmd in analyze run check-config; do
    "$SIPHON" help "$cmd" >"$work/help.$cmd" 2>&1; rc=$?
    "$SIPHON" "$cmd" --help >"$work/opt.$cmd" 2>&1
    [ $rc -eq 0 ] || fail "help-$cmd-exit" "siphon help $cmd: exit $rc"
    cmp -s "$work/help.$cmd" "$work/opt.$cmd" || fail "help-$cmd" "siphon help $cmd differs from $cmd --help"
    grep -q "^usage: siphon $cmd" "$work/help.$cmd" || fail "help-$cmd-usage" "no usage line"
done
out=$("$SIPHON" help 2>&1); rc=$?
[ $rc -eq 0 ] && [[ "$out" == *"analyze"*"run"*"check-config"*"version"* ]] || fail help "siphon help: exit $rc"
"$SIPHON" help nosuch >/dev/null 2>&1; rc=$?
[ $rc -eq 2 ] || fail help-unknown "siphon help nosuch: exit $rc, want 2"

# 3. --events needs --json ---------------------------------------------------------
"$SIPHON_GEN" -q -o "$work/x.pcap" --calls 2 --duration 1 --seed 3 || { echo "FAIL: generator"; exit 1; }
"$SIPHON" analyze --no-progress --events "$work/x.pcap" >"$work/ev.out" 2>"$work/ev.err"; rc=$?
echo "--events without --json: exit $rc: $(cat "$work/ev.err")"
[ $rc -eq 2 ] || fail events-exit "exit $rc, want 2"
grep -q -- "--events needs --json" "$work/ev.err" || fail events-msg "no '--events needs --json'"
[ ! -s "$work/ev.out" ] || fail events-out "analyze ran anyway"
"$SIPHON" analyze --no-progress --json --events "$work/x.pcap" >"$work/ev2.out" 2>/dev/null ||
    fail events-json "--json --events fails"
grep -q '"type":"call_started"' "$work/ev2.out" || fail events-json-out "no event with --json --events"

# 4. option ranges -------------------------------------------------------------------
range() { # WORDS ARGS...: analyze refuses ARGS (exit 2) and says WORDS
    local words=$1; shift
    "$SIPHON" analyze --no-progress "$@" "$work/x.pcap" >"$work/r.out" 2>"$work/r.err"; local rc=$?
    echo "$*: exit $rc: $(head -1 "$work/r.err")"
    [ $rc -eq 2 ] || fail "range $*" "exit $rc, want 2"
    grep -qF -- "$words" "$work/r.err" || fail "range-msg $*" "does not say '$words'"
}
range "siphon analyze: --max-calls: 0 is out of range 1..16777216" --max-calls 0
range "--max-calls: 16777217 is out of range 1..16777216" --max-calls 16777217
range "--max-calls: 99999999999999999999999 is out of range 1..16777216" --max-calls 99999999999999999999999
range "--max-calls: 'lots' is not a whole number (expected 1..16777216)" --max-calls lots
range "--threads: 65 is out of range 0..64" --threads 65
range "--call-timeout: 0 is out of range 1..604800" --call-timeout 0
range "--jb-max-ms: 0 is out of range 1..10000" --jb-max-ms 0
range "--interval-s: 86401 is out of range 1..86400" --interval-s 86401
"$SIPHON" analyze --no-progress --max-calls 16777216 --threads 64 "$work/x.pcap" >/dev/null 2>&1 ||
    fail range-edge "the range's ends are refused"

# 4b. the summary's routing counts each datagram once (analyze --threads 2)
"$SIPHON" analyze --no-progress --json --threads 2 "$work/x.pcap" >"$work/t2.out" 2>/dev/null ||
    fail threads2 "analyze --threads 2 failed"
python3 - "$work/t2.out" <<'PY' || fail route-sum "routed != datagrams"
import json, sys
p = [json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]["pipeline"]
routed = p["routed_sip"] + p["routed_media_by_sdp"] + p["routed_by_flow"]
print("analyze --threads 2: routed %d of %d datagrams" % (routed, p["datagrams"]))
assert p["datagrams"] > 0 and routed == p["datagrams"], p
PY

# 5. run -i ----------------------------------------------------------------------------
printf '[storage]\nenabled = false\n' >"$work/empty.conf" # these runs store nothing
out=$("$SIPHON" run --record.enabled=false -c "$work/empty.conf" --allow-root -i lo -i nosuch9 2>&1); rc=$?
echo "-i lo -i nosuch9: exit $rc: $out"
[ $rc -eq 1 ] || fail i-exit "exit $rc, want 1"
[[ "$out" == *"capture.interfaces: no interface 'nosuch9' on this host"* ]] || fail i-msg "the missing interface is not named"
[[ "$out" != *"'lo'"* ]] || fail i-lo "lo was named as missing"
out=$("$SIPHON" run --record.enabled=false -c "$work/empty.conf" -i 2>&1); rc=$?
[ $rc -eq 2 ] && [[ "$out" == *"-i needs an interface name"* ]] || fail i-noarg "-i without a name: exit $rc: $out"
if [ "$(id -u)" -eq 0 ]; then
    "$SIPHON" run --record.enabled=false -c "$work/empty.conf" --allow-root --json -i any --log.stats_interval=0 \
        >"$work/any.out" 2>"$work/any.err" &
    pid=$!
    for ((i = 0; i < 100; i++)); do grep -q "capturing on any" "$work/any.err" && break; sleep 0.1; done
    kill -INT "$pid"; wait "$pid"; rc=$?
    echo "-i any: exit $rc: $(head -c 400 "$work/any.err" | tr '\n' ';')"
    [ $rc -eq 0 ] || fail any-exit "run -i any: exit $rc"
    # at the default log level: what, how many threads, which user, the filter
    grep -Eq "^siphon: info: capturing on any \(promiscuous\) with [0-9]+ capture threads? and [0-9]+ correlator threads?, as user root, no filter$" \
        "$work/any.err" || fail any-start "no start-up line naming any, the threads, the user and the filter"
    python3 -c 'import json,sys
s=[json.loads(l) for l in open(sys.argv[1]) if l.strip()][-1]
assert s["type"]=="summary" and [i["name"] for i in s["interfaces"]]==["any"], s' "$work/any.out" ||
        fail any-summary "the summary does not name interface any"
else
    fail any-root "needs root for a live capture (packaging/test.sh runs as root)"
fi

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAIL: ${failed[*]}"
    exit 1
fi
echo "PASS"
