#!/usr/bin/env bash
# test_check_config.sh - `siphon check-config` and configuration on the
# command line of `siphon analyze`.
#  1. packaging/siphon.conf (the example) passes check-config; --dump of it
#     passes too.
#  2. A file with an unknown key and a bad value: exit 1, both reported as
#     FILE:LINE: on stderr, with the "did you mean" hint.
#  3. check-config without -c reads /etc/siphon/siphon.conf and says plainly
#     when it is missing (only checked when that file does not exist).
#  4. analyze -c FILE --correlator.max_calls=N works on a generated capture
#     (same calls as without configuration); max_calls from the file and the
#     override reach the correlator (max_calls=1 evicts calls); analyze's own
#     --max-calls beats both.
#  5. A bad override, an unknown key and a broken -c file make analyze exit
#     2 with a message naming the key; analyze needs no /etc/siphon file.
#  6. A fresh install (no /etc/siphon/siphon.conf): check-config with
#     overrides checks the defaults + overrides, --dump prints them.
#  7. What run rejects, check-config rejects, with the same words: a filter
#     that does not compile, a capture.user that does not exist, an
#     interface that does not exist ("any" is fine), a listen address that
#     is not ADDRESS:PORT (IPv4 or [IPv6], port 1..65535).
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/check_config"
rm -rf "$work" && mkdir -p "$work"
example="$TESTS_DIR/../packaging/siphon.conf"
failed=()
fail() { echo "FAIL: $*"; failed+=("$1"); }

# 1. the example ---------------------------------------------------------------
out=$("$SIPHON" check-config -c "$example" 2>&1); rc=$?
echo "example: exit $rc: $out"
[ $rc -eq 0 ] || fail example "check-config rejects packaging/siphon.conf"
[[ "$out" == *"configuration OK ("*" keys set)"* ]] || fail example-msg "no 'configuration OK (N keys set)'"
"$SIPHON" check-config -c "$example" --dump >"$work/dump.conf" 2>/dev/null || fail dump "--dump failed"
"$SIPHON" check-config -c "$work/dump.conf" >/dev/null 2>&1 || fail dump-parse "--dump output does not pass"
grep -q '^max_calls = 65536$' "$work/dump.conf" || fail dump-content "--dump lacks max_calls = 65536"

# 2. errors with line numbers --------------------------------------------------
bad="$work/bad.conf"
printf '# a broken file\n[correlator]\nmax_cals = 10\ncall_idle_timeout = soon\n[web]\nenabled = true\n' >"$bad"
"$SIPHON" check-config -c "$bad" >"$work/bad.out" 2>"$work/bad.err"; rc=$?
echo "bad file: exit $rc"; cat "$work/bad.err"
[ $rc -eq 1 ] || fail bad-exit "exit $rc, want 1"
grep -q "^$bad:3: unknown key 'max_cals' in \[correlator\] (did you mean 'max_calls'?)" "$work/bad.err" ||
    fail bad-key "no FILE:3: unknown key message"
grep -q "^$bad:4: correlator.call_idle_timeout: 'soon' is not a duration" "$work/bad.err" ||
    fail bad-value "no FILE:4: bad duration message"
[ ! -s "$work/bad.out" ] || fail bad-stdout "stdout not empty on errors"
out=$("$SIPHON" check-config -c "$bad" --correlator.max_calls=x 2>&1)
[[ "$out" == *"command line: --correlator.max_calls: 'x' is not a whole number"* ]] ||
    fail check-override "check-config does not report a bad override"

# 3. the default path ----------------------------------------------------------
if [ ! -e /etc/siphon/siphon.conf ]; then
    out=$("$SIPHON" check-config 2>&1); rc=$?
    echo "no default file: exit $rc: $out"
    [ $rc -eq 1 ] || fail default-exit "exit $rc without /etc/siphon/siphon.conf, want 1"
    [[ "$out" == *"no configuration file at /etc/siphon/siphon.conf"* ]] || fail default-msg "unclear message"
fi

# 4. analyze with a configuration ----------------------------------------------
"$SIPHON_GEN" -q -o "$work/x.pcap" --truth "$work/x.ndjson" --calls 5 --duration 2 --seed 1 ||
    { echo "FAIL: generator"; exit 1; }
calls() { grep -c '"type":"call"' "$1"; }
evicted() { python3 -c 'import json,sys
print(sum(json.loads(l)["correlate"]["calls_evicted"] for l in open(sys.argv[1])
          if l.strip() and json.loads(l).get("type") == "summary"))' "$1"; }
"$SIPHON" analyze --json --no-progress "$work/x.pcap" >"$work/plain.json" || fail plain "analyze failed"
cfgf="$work/analyze.conf"
printf '[correlator]\nmax_calls = 1\ncall_idle_timeout = 10m\n[log]\nlevel = error\n' >"$cfgf"
"$SIPHON" analyze --json --no-progress -c "$cfgf" --correlator.max_calls=1000 "$work/x.pcap" \
    >"$work/cfg.json" 2>"$work/cfg.err"; rc=$?
echo "analyze -c --correlator.max_calls=1000: exit $rc, $(calls "$work/cfg.json") calls"
[ $rc -eq 0 ] || fail analyze-cfg "exit $rc: $(head -c 300 "$work/cfg.err")"
[ "$(calls "$work/cfg.json")" = 5 ] || fail analyze-cfg-calls "want 5 calls"
[ "$(calls "$work/plain.json")" = "$(calls "$work/cfg.json")" ] || fail analyze-cfg-same "calls differ from a run without -c"
# max_calls = 1 from the file alone: calls overlap, so some are evicted
"$SIPHON" analyze --json --no-progress -c "$cfgf" "$work/x.pcap" >"$work/one.json" 2>/dev/null
ev_file=$(evicted "$work/one.json")
"$SIPHON" analyze --json --no-progress --correlator.max_calls=1 "$work/x.pcap" >"$work/one2.json" 2>/dev/null
ev_over=$(evicted "$work/one2.json")
"$SIPHON" analyze --json --no-progress -c "$cfgf" --max-calls 1000 "$work/x.pcap" >"$work/flag.json" 2>/dev/null
ev_flag=$(evicted "$work/flag.json")
echo "calls evicted: max_calls=1 in file $ev_file, as override $ev_over, file + --max-calls 1000 $ev_flag"
[ "$ev_file" -gt 0 ] || fail file-reaches "correlator.max_calls from -c FILE has no effect"
[ "$ev_over" -gt 0 ] || fail override-reaches "--correlator.max_calls has no effect"
[ "$ev_flag" -eq 0 ] || fail flag-precedence "--max-calls does not beat the configuration"
# capture.file: no FILE argument
"$SIPHON" analyze --json --no-progress --capture.file="$work/x.pcap" >"$work/capfile.json" 2>/dev/null ||
    fail capture-file "analyze --capture.file=... failed"
[ "$(calls "$work/capfile.json")" = 5 ] || fail capture-file-calls "want 5 calls from capture.file"

# 5. bad configuration in analyze ----------------------------------------------
"$SIPHON" analyze --no-progress --correlator.max_calls=lots "$work/x.pcap" >"$work/o1" 2>"$work/e1"; rc=$?
echo "bad override: exit $rc: $(cat "$work/e1")"
[ $rc -eq 2 ] || fail override-exit "exit $rc, want 2"
grep -q "correlator.max_calls: 'lots' is not a whole number" "$work/e1" || fail override-msg "unclear message"
[ ! -s "$work/o1" ] || fail override-stdout "analyze ran despite the bad override"
"$SIPHON" analyze --no-progress --correlator.max_cals=5 "$work/x.pcap" >/dev/null 2>"$work/e2"; rc=$?
[ $rc -eq 2 ] && grep -q "did you mean 'max_calls'" "$work/e2" || fail override-key "unknown key: exit $rc: $(cat "$work/e2")"
"$SIPHON" analyze --no-progress -c "$bad" "$work/x.pcap" >/dev/null 2>"$work/e3"; rc=$?
[ $rc -eq 2 ] && grep -q "^$bad:3:" "$work/e3" || fail analyze-badfile "bad -c file: exit $rc: $(cat "$work/e3")"
"$SIPHON" analyze --no-progress -c "$work/missing.conf" "$work/x.pcap" >/dev/null 2>"$work/e4"; rc=$?
[ $rc -eq 2 ] && grep -q "missing.conf: cannot open" "$work/e4" || fail analyze-missing "missing -c file: exit $rc"

# 6. a fresh install ------------------------------------------------------------
if [ ! -e /etc/siphon/siphon.conf ]; then
    out=$("$SIPHON" check-config --correlator.max_calls=7 2>&1); rc=$?
    echo "fresh install, an override: exit $rc: $out"
    [ $rc -eq 0 ] || fail fresh-override "check-config --correlator.max_calls=7 without a file: exit $rc"
    [[ "$out" == *"configuration OK (1 key set)"* ]] || fail fresh-override-msg "no 'configuration OK (1 key set)'"
    "$SIPHON" check-config --dump --correlator.max_calls=7 >"$work/fresh.conf" 2>"$work/fresh.err"; rc=$?
    echo "fresh install, --dump: exit $rc, $(wc -l <"$work/fresh.conf") lines"
    [ $rc -eq 0 ] || fail fresh-dump "check-config --dump without a file: exit $rc: $(cat "$work/fresh.err")"
    grep -q '^max_calls = 7$' "$work/fresh.conf" || fail fresh-dump-override "--dump lacks the override"
    grep -q '^max_streams = 262144$' "$work/fresh.conf" || fail fresh-dump-default "--dump lacks a default"
    "$SIPHON" check-config -c "$work/fresh.conf" >/dev/null 2>&1 || fail fresh-dump-parse "the dump does not pass"
fi

# 7. check-config rejects what run rejects, in the same words --------------------
"$SIPHON_GEN" -q -o "$work/y.pcap" --calls 1 --duration 1 --seed 2 || { echo "FAIL: generator"; exit 1; }
both() { # NAME WORDS OVERRIDE...: check-config and run both fail and both say WORDS
    local name=$1 words=$2; shift 2
    "$SIPHON" check-config -c "$example" "$@" >"$work/$name.cc" 2>&1; local rc1=$?
    "$SIPHON" run --record.enabled=false --allow-root --capture.file="$work/y.pcap" "$@" >"$work/$name.run" 2>&1; local rc2=$?
    echo "$name: check-config exit $rc1: $(head -c 300 "$work/$name.cc" | tr '\n' ' ')"
    echo "$name: run exit $rc2: $(head -c 300 "$work/$name.run" | tr '\n' ' ')"
    [ $rc1 -eq 1 ] || fail "$name-check" "check-config accepts $*: exit $rc1"
    [ $rc2 -ne 0 ] || fail "$name-run" "run accepts $*"
    grep -qF -- "$words" "$work/$name.cc" || fail "$name-check-words" "check-config does not say '$words'"
    grep -qF -- "$words" "$work/$name.run" || fail "$name-run-words" "run does not say '$words'"
}
both bpf 'capture.bpf_filter: "udp portt 5060" is not a valid filter' '--capture.bpf_filter=udp portt 5060'
both user "capture.user: no user 'siphon-no-such-user' on this host" --capture.user=siphon-no-such-user
both iface "capture.interfaces: no interface 'nosuch9' on this host" --capture.interfaces=nosuch9
both listen "web.listen: '256.1.1.1:99999' is not ADDRESS:PORT" --web.listen=256.1.1.1:99999
both port "siprec.listen: 'udp:127.0.0.1:0' is not udp:|tcp:|tls:ADDRESS:PORT (port 1..65535)" --siprec.enabled=true --siprec.listen=udp:127.0.0.1:0
both tls "siprec.listen: tls:127.0.0.1:5061 needs siprec.tls_cert and siprec.tls_key" --siprec.enabled=true --siprec.listen=tls:127.0.0.1:5061
both allow "siprec.allow: '10.0.0.0/40': the prefix is not 0..32" --siprec.enabled=true --siprec.allow=10.0.0.0/40
both v6 "web.listen: '[::1:8080' is not ADDRESS:PORT" '--web.listen=[::1:8080'
for ok in '--web.listen=[::1]:8080' '--web.listen=0.0.0.0:65535' --capture.interfaces=any,lo \
          '--capture.bpf_filter=udp port 5060 or tcp port 5060' --capture.user=nobody; do
    out=$("$SIPHON" check-config -c "$example" "$ok" 2>&1) || fail "good-$ok" "check-config rejects $ok: $out"
done

if [ ${#failed[@]} -gt 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "PASS"
