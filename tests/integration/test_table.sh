#!/usr/bin/env bash
# test_table.sh - the table people read (`siphon analyze`, `siphon run`).
#
# Inert: calls whose From/To/Call-ID/User-Agent and rtpmap name carry
# ESC [2J, OSC 0 (title, ended by BEL), OSC 8 (hyperlink), the C1 CSI both
# as UTF-8 and as a raw byte, a bidi override, invalid UTF-8 and a bare CR
# (lib/table_pcap.py hostile): the table, its --streams lines and the
# summary must hold no C0 control but newline, no DEL, no C1 control, no
# bidi control, must be well-formed UTF-8, and must show the escaped forms.
# Checked for analyze (inline and --threads 2) and for run replaying the
# capture (capture.file).
#
# Layout (lib/table_pcap.py layout): rows in start-time order though the
# calls end in another order (analyze: one flush), the call still open at the end says so,
# problem flags say their direction, stream lines name a dynamic payload
# type by its rtpmap or "PT 97", the streams column says STREAMS; the
# table fits the width (120 when not a terminal, COLUMNS, the terminal's
# own width through a pty) and cuts a long Call-ID with '~', which
# --streams and --json show in full; the summary says "1 call"/"3 calls".
set -euo pipefail
: "${SIPHON:?}" "${TESTS_DIR:?}" "${TEST_TMP:?}"
lib="$TESTS_DIR/integration/lib"
work="$TEST_TMP/table"
rm -rf "$work"
mkdir -p "$work"
unset COLUMNS
failed=()
chk() { python3 "$lib/check_table.py" "$@" || failed+=("$3"); }

for m in hostile layout single; do
    python3 "$lib/table_pcap.py" "$m" "$work/$m.pcap"
done
printf '[storage]\nenabled = false\n' >"$work/empty.conf" # these runs store nothing
run_file() { # PCAP OUT [options...]: siphon run replaying PCAP
    local pcap=$1 out=$2
    shift 2
    "$SIPHON" run --record.enabled=false -c "$work/empty.conf" --allow-root --capture.file="$pcap" "$@" >"$out" \
        2>"$out.err"
}

# --- inert ------------------------------------------------------------------
h="$work/hostile.pcap"
"$SIPHON" analyze --no-progress "$h" >"$work/h.analyze"
chk inert "$work/h.analyze" analyze
"$SIPHON" analyze --no-progress --streams "$h" >"$work/h.analyze.streams"
chk inert-streams "$work/h.analyze.streams" analyze--streams
"$SIPHON" analyze --no-progress --streams --threads 2 "$h" >"$work/h.analyze.t2"
chk inert-streams "$work/h.analyze.t2" analyze--threads2
run_file "$h" "$work/h.run"
chk inert "$work/h.run" run
run_file "$h" "$work/h.run.streams" --streams --correlator.shards=2 --log.level=debug
chk inert-streams "$work/h.run.streams" run--streams
chk clean "$work/h.run.streams.err" run-log
# --json keeps the bytes (JSON-escaped): the contract is unchanged
"$SIPHON" analyze --json "$h" >"$work/h.json"
python3 - "$work/h.json" <<'PY' || failed+=("json")
import json, sys
calls = [json.loads(l) for l in open(sys.argv[1], encoding="utf-8", errors="surrogateescape")
         if '"type":"call"' in l]
ids = sorted(c["call_id"] for c in calls)
assert ids[0] == "cid-\x1b[2J-\x1b]0;owned\x07-1@h", ids
assert calls[0]["user_agent"] == "UA\x1b[31mred\x7f\x0b\x01", calls[0]["user_agent"]
print("json: ok (call ids and user agent JSON-escaped, not made inert)")
PY

# --- layout -----------------------------------------------------------------
l="$work/layout.pcap"
"$SIPHON" analyze --no-progress --streams "$l" >"$work/l.streams"
chk layout "$work/l.streams" analyze
chk width "$work/l.streams" analyze-default-width 120
chk fullid "$work/l.streams" analyze--streams-full-call-id
# run writes what a shard finished each time it runs dry, so its rows are in
# start-time order only within each such flush: here, the order calls end
run_file "$l" "$work/l.run" --streams
chk layout "$work/l.run" run --any-order
chk width "$work/l.run" run-default-width 120
"$SIPHON" analyze --no-progress "$l" >"$work/l.table"
chk width "$work/l.table" analyze-table 120
for w in 100 80; do
    COLUMNS=$w "$SIPHON" analyze --no-progress --streams "$l" >"$work/l.cols$w"
    chk width "$work/l.cols$w" "COLUMNS=$w" "$w"
done
COLUMNS=300 "$SIPHON" analyze --no-progress "$l" >"$work/l.cols300"
chk fullid "$work/l.cols300" COLUMNS=300-full-call-id
"$SIPHON" analyze --json "$l" >"$work/l.json"
chk fullid "$work/l.json" json-full-call-id
# a terminal's own width (TIOCGWINSZ) through a pty
if script -qec "stty cols 90 rows 50; \"$SIPHON\" analyze --no-progress --streams \"$l\"" \
    /dev/null >"$work/l.pty" </dev/null; then
    chk width "$work/l.pty" pty-90 90
    chk layout "$work/l.pty" pty --no-streams-column
else
    failed+=("pty")
fi

# --- summary wording ----------------------------------------------------------
"$SIPHON" analyze --no-progress "$work/single.pcap" >"$work/s.table"
chk summary "$work/s.table" single-summary 1
chk summary "$work/l.table" layout-summary 3

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAIL: ${failed[*]}"
    exit 1
fi
echo "table: all checks passed"
