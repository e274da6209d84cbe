#!/usr/bin/env bash
# test_errors.sh - how `siphon analyze` handles bad and multiple inputs.
#  1. A pcap cut in the middle of a record: siphon must exit non-zero, name
#     the file and a byte offset inside the damaged record (from its header
#     to the end of the file) on stderr, and still print on stdout every
#     call that was complete well before the cut (checked against the
#     generator's truth: same state and end time).
#  2. A file that is not a capture: non-zero exit, an error naming the file,
#     no crash (exit status below 128), nothing but a summary on stdout.
#  3. A file that does not exist: the same.
#  4. Two captures overlapping in time, given together: merged by timestamp,
#     every call of both files reported exactly as the union of their truth
#     files says (one over IPv4, one over IPv6, so no address is shared).
#  5. A missing file and a text file given with two good captures: exit 1,
#     each bad file named on stderr, and the good files analysed as if given
#     alone (the same calls as the truth of both).
#  6. `-` reads a capture from standard input (redirected file and pipe);
#     a gzip-compressed capture is read (by name and through the pipe):
#     exit 0 and the same records as the plain file.
#  7. Messages in siphon's words: for an empty file, a short file, a text
#     file, a directory, a damaged pcap header and a gzip file cut short,
#     stderr names the file and says what is wrong without libpcap's jargon
#     ("dump file", "savefile", "unknown file format", ...); exit 1, no crash.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
for tool in python3 "$SIPHON" "$SIPHON_GEN"; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found"; exit 1; }
done
work="$TEST_TMP/errors"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
failed=()
fail() { echo "FAIL: $*"; failed+=("$1"); }

# 1. truncated capture --------------------------------------------------------
"$SIPHON_GEN" -q --seed 7 --calls 30 --concurrency 3 --duration 2 \
    --fail-mix busy=10,reject=10 -o "$work/full.pcap" --truth "$work/full.truth" ||
    { echo "FAIL: generator"; exit 1; }
read -r cut_off rec_off cut_ts < <(python3 "$lib/pcap_cut.py" "$work/full.pcap" "$work/cut.pcap" 0.6)
"$SIPHON" analyze --json --no-progress "$work/cut.pcap" >"$work/cut.out" 2>"$work/cut.err"
rc=$?
echo "truncated: exit $rc, cut at byte $cut_off; stderr: $(head -c 300 "$work/cut.err")"
[ $rc -ne 0 ] || fail truncated-exit "siphon exited 0 on a truncated capture"
[ $rc -lt 128 ] || fail truncated-crash "siphon died with status $rc"
grep -q "cut.pcap" "$work/cut.err" || fail truncated-name "stderr does not name the file"
# the offset named must point into the damaged record: between its header
# and the end of the file
python3 - "$work/cut.err" "$rec_off" "$cut_off" <<'PY' || fail truncated-offset "stderr names no offset within the damaged record ($rec_off..$cut_off)"
import re, sys
text = open(sys.argv[1]).read()
lo, hi = int(sys.argv[2]), int(sys.argv[3])
sys.exit(0 if any(lo <= int(n) <= hi for n in re.findall(r"\d+", text)) else 1)
PY
python3 - "$work/full.truth" "$work/cut.out" "$cut_ts" <<'PY' || fail truncated-calls "calls before the cut missing"
import json, sys
from datetime import datetime, timezone
truth, out, cut_us = sys.argv[1], sys.argv[2], int(sys.argv[3])
def us(ts):
    d = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ").replace(tzinfo=timezone.utc)
    return int(d.timestamp()) * 1000000 + d.microsecond
got = {}
for l in open(out):
    if l.strip():
        o = json.loads(l)
        if o.get("type") == "call":
            got[o["call_id"]] = o
want = 0
bad = 0
for l in open(truth):
    o = json.loads(l)
    if o.get("type") != "call" or not o.get("end_ts"):
        continue
    # complete well before the cut: final message + 1 s before the last record
    if us(o["end_ts"]) + 1000000 > cut_us:
        continue
    want += 1
    g = got.get(o["call_id"])
    if g is None:
        print("  call %s (%s, ended %s) missing" % (o["call_id"], o["state"], o["end_ts"])); bad += 1
    elif g.get("state") != o["state"] or g.get("end_ts") != o["end_ts"]:
        print("  call %s: %s/%s, truth %s/%s" % (o["call_id"], g.get("state"), g.get("end_ts"), o["state"], o["end_ts"])); bad += 1
print("  %d calls complete before the cut, %d wrong or missing" % (want, bad))
sys.exit(1 if bad or want < 5 else 0)
PY

# 2. not a capture --------------------------------------------------------------
printf 'this is not a capture file\n%.0s' {1..50} >"$work/notpcap.pcap"
"$SIPHON" analyze --json --no-progress "$work/notpcap.pcap" >"$work/notpcap.out" 2>"$work/notpcap.err"
rc=$?
echo "not a pcap: exit $rc; stderr: $(head -c 300 "$work/notpcap.err")"
[ $rc -ne 0 ] || fail notpcap-exit "siphon exited 0 on a text file"
[ $rc -lt 128 ] || fail notpcap-crash "siphon died with status $rc"
grep -q "notpcap.pcap" "$work/notpcap.err" || fail notpcap-name "stderr does not name the file"
if grep -q '"type":"call"' "$work/notpcap.out"; then fail notpcap-calls "calls reported from a text file"; fi

# 3. missing file ----------------------------------------------------------------
"$SIPHON" analyze --json --no-progress "$work/does-not-exist.pcap" >"$work/missing.out" 2>"$work/missing.err"
rc=$?
echo "missing: exit $rc; stderr: $(head -c 300 "$work/missing.err")"
[ $rc -ne 0 ] || fail missing-exit "siphon exited 0 on a missing file"
[ $rc -lt 128 ] || fail missing-crash "siphon died with status $rc"
grep -q "does-not-exist.pcap" "$work/missing.err" || fail missing-name "stderr does not name the file"

# 4. two files merged ----------------------------------------------------------
"$SIPHON_GEN" -q --seed 21 --calls 12 --concurrency 4 --duration 3 --challenge 30 \
    -o "$work/a.pcap" --truth "$work/a.truth" --start-time 1709294400 &&
"$SIPHON_GEN" -q --seed 22 --calls 12 --concurrency 4 --duration 3 --ipv6 --fork \
    -o "$work/b.pcap" --truth "$work/b.truth" --start-time 1709294402 ||
    { echo "FAIL: generator"; exit 1; }
grep -hv '"type":"summary"' "$work/a.truth" "$work/b.truth" >"$work/ab.truth"
"$SIPHON" analyze --json --no-progress "$work/a.pcap" "$work/b.pcap" >"$work/ab.out" 2>"$work/ab.err"
rc=$?
[ $rc -eq 0 ] || fail merged-exit "siphon exited $rc on two good files: $(head -c 300 "$work/ab.err")"
python3 "$lib/compare_truth.py" --label merged "$work/ab.truth" "$work/ab.out" || fail merged "merged output differs"

# 5. unreadable files among good ones -------------------------------------------
"$SIPHON" analyze --json --no-progress "$work/does-not-exist.pcap" "$work/a.pcap" \
    "$work/notpcap.pcap" "$work/b.pcap" >"$work/mixed.out" 2>"$work/mixed.err"
rc=$?
echo "mixed: exit $rc; stderr: $(head -c 400 "$work/mixed.err")"
[ $rc -eq 1 ] || fail mixed-exit "siphon exited $rc, not 1, with two bad files among good ones"
grep -q "does-not-exist.pcap" "$work/mixed.err" || fail mixed-name-missing "stderr does not name the missing file"
grep -q "notpcap.pcap" "$work/mixed.err" || fail mixed-name-text "stderr does not name the text file"
python3 "$lib/compare_truth.py" --label mixed "$work/ab.truth" "$work/mixed.out" ||
    fail mixed "the good files were not analysed as if given alone"

# 6. standard input and gzip ------------------------------------------------------
"$SIPHON" analyze --json --no-progress "$work/a.pcap" | grep -v '"type":"summary"' >"$work/a.plain"
same_as_plain() { # NAME OUTFILE RC
    [ "$3" -eq 0 ] || { fail "$1-exit" "exit $3: $(head -c 300 "$work/$1.err")"; return; }
    grep -v '"type":"summary"' "$2" | cmp -s - "$work/a.plain" ||
        fail "$1" "records differ from the plain file's ($(grep -c '"type":"call"' "$2") calls)"
}
"$SIPHON" analyze --json --no-progress - <"$work/a.pcap" >"$work/stdin.out" 2>"$work/stdin.err"
same_as_plain stdin "$work/stdin.out" $?
cat "$work/a.pcap" | "$SIPHON" analyze --json --no-progress - >"$work/pipe.out" 2>"$work/pipe.err"
same_as_plain pipe "$work/pipe.out" $?
gzip -c "$work/a.pcap" >"$work/a.pcap.gz"
"$SIPHON" analyze --json --no-progress "$work/a.pcap.gz" >"$work/gz.out" 2>"$work/gz.err"
same_as_plain gz "$work/gz.out" $?
gzip -c "$work/a.pcap" | "$SIPHON" analyze --json --no-progress - >"$work/gzpipe.out" 2>"$work/gzpipe.err"
same_as_plain gzpipe "$work/gzpipe.out" $?
echo "stdin/pipe/gz: $(grep -c '"type":"call"' "$work/a.plain") calls in the plain file"

# 7. messages in siphon's words --------------------------------------------------
: >"$work/empty.pcap"
printf '\xd4\xc3\xb2' >"$work/short.pcap"
mkdir -p "$work/dir.pcap"
python3 -c 'import struct,sys; sys.stdout.buffer.write(struct.pack("<IHHiIII",0xa1b2c3d4,9,9,0,0,0,1))' >"$work/badhdr.pcap"
head -c 300 "$work/a.pcap.gz" >"$work/cut.pcap.gz"
for name in empty.pcap short.pcap notpcap.pcap dir.pcap badhdr.pcap cut.pcap.gz; do
    "$SIPHON" analyze --json --no-progress "$work/$name" >"$work/msg.out" 2>"$work/msg.err"
    rc=$?
    echo "$name: exit $rc; stderr: $(head -c 300 "$work/msg.err")"
    [ $rc -eq 1 ] || fail "msg-$name-exit" "exit $rc"
    grep -q "$name" "$work/msg.err" || fail "msg-$name-name" "stderr does not name the file"
    if grep -qiE 'dump file|savefile|pcap_|libpcap|magic number|unknown file format' "$work/msg.err"; then
        fail "msg-$name-words" "libpcap's words on stderr"
    fi
done

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAIL: ${failed[*]}"
    exit 1
fi
echo "PASS"
