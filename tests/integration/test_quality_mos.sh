#!/usr/bin/env bash
# test_quality_mos.sh - siphon's voice-quality figures on generated captures
# with known impairments.
#
# Each capture is 10 calls x 20 s of media.  lib/quality_emodel.py computes
# the E-model per stream independently from the truth file (loss counted by
# the generator) and compares it with siphon's `mos`:
#   1. G.711, 5 % random loss: every stream within 0.1 MOS of the model
#      (Ie 0, Bpl 25.1);
#   2. G.729, the same loss: within 0.1 of the model with Ie 11, Bpl 19, and
#      lower than G.711 by about the codec impairment;
#   3. bursty loss (Gilbert, mean burst 4 packets) at about the same rate:
#      lower MOS than random loss;
#   4. jitter 0..100 ms per packet (overflows the 60 ms fixed buffer):
#      discards > 0 and a lower MOS than the same calls without jitter.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/quality_mos"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
failed=()

run_case() { # name ie bpl [--no-compare] -- gen options...
    local name=$1 ie=$2 bpl=$3; shift 3
    local extra=()
    if [ "$1" = --no-compare ]; then extra=(--no-compare); shift; fi
    shift # --
    local pcap="$work/$name.pcap" truth="$work/$name.truth" out="$work/$name.json"
    "$SIPHON_GEN" -q --seed 7 --calls 10 --duration 20 -o "$pcap" --truth "$truth" "$@" ||
        { echo "$name: FAIL: generator"; failed+=("$name"); return; }
    "$SIPHON" analyze --json --no-progress "$pcap" >"$out" ||
        { echo "$name: FAIL: siphon"; failed+=("$name"); return; }
    echo "$name ($*):"
    python3 "$lib/quality_emodel.py" "$truth" "$out" --ie "$ie" --bpl "$bpl" --tol 0.1 \
        --out "$work/$name.summary" "${extra[@]}" || failed+=("$name")
}

val() { python3 -c "import json,sys; print(json.load(open(sys.argv[1]))[sys.argv[2]])" "$work/$1.summary" "$2"; }
check() { # description python-expression
    if python3 -c "import sys; sys.exit(0 if ($2) else 1)"; then echo "ok: $1"
    else echo "FAIL: $1 ($2)"; failed+=("$1"); fi
}

run_case g711_loss5 0 25.1 -- --codec pcmu --loss 5
run_case g729_loss5 11 19 -- --codec g729 --loss 5
run_case g711_burst 0 25.1 --no-compare -- --codec pcmu --burst-loss 1.316,25
run_case g711_clean 0 25.1 -- --codec pcmu
run_case g711_jitter 0 25.1 --no-compare -- --codec pcmu --jitter 100

m711=$(val g711_loss5 mos) m729=$(val g729_loss5 mos)
p711=$(val g711_loss5 model_mos) p729=$(val g729_loss5 model_mos)
check "G.711 5% random loss: mean MOS $m711 within 0.1 of the E-model $p711" \
    "abs($m711 - $p711) <= 0.1"
check "G.729 scores lower than G.711 by the codec impairment: $m711 - $m729 vs model $p711 - $p729" \
    "$m729 < $m711 and abs(($m711 - $m729) - ($p711 - $p729)) <= 0.1"
mb=$(val g711_burst mos) lb=$(val g711_burst effective_loss_pct) lr=$(val g711_loss5 effective_loss_pct)
check "bursty loss ($lb%) scores lower than random loss ($lr%): $mb < $m711" \
    "$mb < $m711 and abs($lb - $lr) <= 1.5"
mc=$(val g711_clean mos) mj=$(val g711_jitter mos) dj=$(val g711_jitter discards)
check "jitter 0..100 ms: discards per stream $dj > 0 and MOS $mj < $mc without jitter" \
    "$dj > 0 and $mj < $mc"

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "all quality cases passed"
