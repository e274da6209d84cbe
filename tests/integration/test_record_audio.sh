#!/usr/bin/env bash
# test_record_audio.sh - record.audio_at_end: the packet store renders each
# recorded call's audio when the call ends.
#   - `analyze --record.dir --record.audio_at_end=true` on siphon-gen --audio
#     calls (G.711 and Opus, some failed calls without media): one audio file
#     per call with voice, at seg-N.audio/KEY.wav beside the call's first
#     segment (calls.idx names both), each byte for byte what
#     `siphon audio --record.dir` renders for that Call-ID; calls without
#     voice get none and are counted; FLAC output too;
#   - the render queue full (record.audio_queue=1, 40 calls ending at once):
#     renders are dropped and counted, rendered + dropped + without voice =
#     calls, and exactly the rendered files exist;
#   - retention: under a small record.max_disk the store (pcaps, indexes
#     and audio) stays under the cap, segments are deleted, and no audio
#     directory outlives its segment.
set -euo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}"
tmp=$(mktemp -d "${TEST_TMP:-/tmp}/recaudio.XXXXXX" 2>/dev/null || mktemp -d)
trap 'rm -rf "$tmp"' EXIT
fail=0
bad() {
    echo "FAIL: $*"
    fail=1
}
# summary NAME: the "audio at call end" numbers of analyze's stderr
counts() { # FILE -> "rendered dropped novoice failed"
    sed -n 's/.*audio at call end: \([0-9]*\) rendered, \([0-9]*\) dropped.*, \([0-9]*\) without voice, \([0-9]*\) failed/\1 \2 \3 \4/p' "$1"
}
# every C line of calls.idx: compare its audio file with siphon audio's
compare_store() { # STORE EXT -> sets nfiles, nsame
    local st=$1 ext=$2
    nfiles=0 nsame=0
    while read -r t key _ _ _ _ _ _ _ segs cid; do
        [[ $t == C ]] || continue
        local f
        f="$st/seg-$(printf %010d "${segs%%,*}").audio/$key.$ext"
        [[ -f $f ]] || continue
        nfiles=$((nfiles + 1))
        "$SIPHON" audio --record.dir="$st" "$cid" --format "$( [[ $ext == wav ]] && echo wav || echo "$ext")" \
            -o "$tmp/ref.$ext" 2>/dev/null || bad "siphon audio $cid failed"
        if cmp -s "$f" "$tmp/ref.$ext"; then nsame=$((nsame + 1)); else bad "$f differs from siphon audio $cid"; fi
    done <"$st/calls.idx"
}

# 1. every call with voice gets its file, equal to siphon audio's
"$SIPHON_GEN" -q --calls 8 --duration 3 --audio --codec pcma --loss 2 --fail-mix busy=25,reject=15 \
    --seed 5 -o "$tmp/a.pcap"
"$SIPHON_GEN" -q --calls 4 --duration 3 --audio --codec opus --loss 2 --seed 6 \
    --start-time 1709298000 -o "$tmp/o.pcap"
for n in a o; do
    "$SIPHON" analyze --record.dir="$tmp/st-$n" --record.audio_at_end=true "$tmp/$n.pcap" \
        >/dev/null 2>"$tmp/$n.err" || bad "analyze $n: $(cat "$tmp/$n.err")"
    read -r rendered dropped novoice failed <<<"$(counts "$tmp/$n.err")"
    calls=$(grep -c '^C ' "$tmp/st-$n/calls.idx")
    compare_store "$tmp/st-$n" wav
    echo "$n: $calls calls, $rendered rendered, $dropped dropped, $novoice without voice; $nsame of $nfiles files equal siphon audio"
    [[ $rendered -gt 0 && $rendered == "$nfiles" && $nsame == "$nfiles" ]] ||
        bad "$n: $rendered rendered, $nfiles files, $nsame equal"
    [[ $((rendered + novoice)) == "$calls" && $dropped == 0 && $failed == 0 ]] ||
        bad "$n: $calls calls but $rendered + $novoice (dropped $dropped, failed $failed)"
    total=$(find "$tmp/st-$n" -name '*.wav' | wc -l)
    [[ $total == "$nfiles" ]] || bad "$n: $total audio files, $nfiles named by calls.idx"
done
[[ $(counts "$tmp/a.err" | cut -d' ' -f3) -gt 0 ]] || bad "no call without voice in a.pcap (fail-mix)"

# FLAC
"$SIPHON" analyze --record.dir="$tmp/st-f" --record.audio_at_end=true --record.audio_format=flac \
    "$tmp/o.pcap" >/dev/null 2>"$tmp/f.err" || bad "analyze flac"
compare_store "$tmp/st-f" flac
[[ $nfiles == 4 && $nsame == 4 ]] || bad "flac: $nsame of $nfiles equal siphon audio --format flac"

# 2. the render queue full: dropped and counted, never waited for
"$SIPHON_GEN" -q --calls 40 --concurrency 40 --duration 2 --audio --codec pcmu --seed 9 \
    -o "$tmp/q.pcap"
"$SIPHON" analyze --record.dir="$tmp/st-q" --record.audio_at_end=true --record.audio_queue=1 \
    "$tmp/q.pcap" >/dev/null 2>"$tmp/q.err" || bad "analyze queue"
read -r rendered dropped novoice failed <<<"$(counts "$tmp/q.err")"
files=$(find "$tmp/st-q" -name '*.wav' | wc -l)
echo "queue of 1: 40 calls, $rendered rendered, $dropped dropped, $novoice without voice, $files files"
[[ $dropped -gt 0 ]] || bad "queue of 1 with 40 calls ending together: nothing dropped"
[[ $((rendered + dropped + novoice + failed)) == 40 && $files == "$rendered" ]] ||
    bad "queue: $rendered + $dropped + $novoice + $failed != 40 calls or $files files"

# 3. retention takes the audio with its segment; the cap holds (audio
# counts toward it; a file that finds no room is dropped and counted: it
# never pushes packets out)
"$SIPHON_GEN" -q --calls 60 --concurrency 2 --duration 3 --audio --codec pcmu --seed 4 \
    -o "$tmp/r.pcap"
cap=$((2 * 1024 * 1024)) # the calls' packets alone are ~4 MB
"$SIPHON" analyze --record.dir="$tmp/st-r" --record.audio_at_end=true --record.max_disk=$cap \
    --record.segment_time=2s --record.min_free=0 "$tmp/r.pcap" >/dev/null 2>"$tmp/r.err" ||
    bad "analyze retention: $(grep -v 'deleted segment' "$tmp/r.err")"
read -r rendered dropped novoice failed <<<"$(counts "$tmp/r.err")"
used=$(du -sb "$tmp/st-r" | cut -f1)
dirs=$(find "$tmp/st-r" -name 'seg-*.audio' -type d | wc -l)
files=$(find "$tmp/st-r" -name '*.wav' | wc -l)
deleted=$(sed -n 's/.*, \([0-9]*\) segments deleted).*/\1/p' "$tmp/r.err")
echo "retention: store $used bytes (cap $cap), $deleted segments deleted, $rendered rendered," \
    "$dropped dropped, $files audio files left in $dirs directories"
[[ ${deleted:-0} -gt 0 ]] || bad "retention: no segment deleted"
# du counts the directories themselves (4 KiB each)
[[ $used -le $((cap + 4096 * (dirs + 1))) ]] || bad "store $used bytes over the cap $cap"
shopt -s nullglob
for d in "$tmp"/st-r/seg-*.audio; do
    [[ -e ${d%.audio}.pcap ]] || bad "$d outlived its segment"
done
[[ $rendered -gt 0 && $files -le $rendered ]] || bad "retention: $rendered rendered, $files left"

exit $fail
