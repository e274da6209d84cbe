#!/usr/bin/env bash
# bench_audio.sh - render time of `siphon audio` for a 10-minute call.
#
# Generates once (cached) with siphon-gen --audio two one-call captures of
# 10 minutes of media both ways, 20 ms packets (60,000 RTP packets each):
#   g711  PCMU, 8 kHz tones
#   opus  Opus 16 kHz / 24 kbit/s (the renderer decodes at 16 kHz)
# and one SRTP twin of the G.711 call (AES_CM_128_HMAC_SHA1_80), then times
# on each, best of $BENCH_RUNS (default 5) with /usr/bin/time:
#   siphon audio CALL_ID --pcap FILE -o OUT.wav     (the render: read the
#       capture, decode SIP and RTP, decrypt, decode the voice, place it,
#       write a stereo WAV)
#   siphon analyze FILE                            (the peer in the same run:
#       reading and correlating the same capture, no audio)
# and the FLAC and Ogg/Opus outputs once (their encoders' cost on top).
# Prints a markdown table: wall and CPU seconds, peak RSS, output size.
#
# Environment:
#   SIPHON, SIPHON_GEN  binaries (default ./build-release/...; built when missing)
#   BENCH_DATA          capture cache dir (default ./bench-data)
#   BENCH_RUNS          runs per measurement, best kept (default 5)
set -euo pipefail
root=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
SIPHON=${SIPHON:-$root/build-release/app/siphon}
SIPHON_GEN=${SIPHON_GEN:-$root/build-release/tests/gen/siphon-gen}
DATA=${BENCH_DATA:-./bench-data}
RUNS=${BENCH_RUNS:-5}
if [ ! -x "$SIPHON" ] || [ ! -x "$SIPHON_GEN" ]; then
    echo "building release binaries in $root/build-release ..." >&2
    cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=Release >/dev/null
    cmake --build "$root/build-release" -j2 --target siphon siphon-gen >/dev/null
fi
mkdir -p "$DATA"
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT

declare -A opts=(
    [audio_g711]="--codec pcmu"
    [audio_opus]="--codec opus"
    [audio_g711_srtp]="--codec pcmu --srtp AES_CM_128_HMAC_SHA1_80"
)
for set in audio_g711 audio_opus audio_g711_srtp; do
    if [ ! -s "$DATA/$set.pcap" ]; then
        # shellcheck disable=SC2086
        "$SIPHON_GEN" -q --calls 1 --duration 600 --audio --seed 42 ${opts[$set]} \
            -o "$DATA/$set.pcap" --truth "$DATA/$set.json"
    fi
done

best() { # prints "wall cpu rss_kb" of the best of RUNS runs of the command
    local runs=${RUNS}
    for _ in $(seq "$runs"); do
        /usr/bin/time -f "%e %U %S %M" "$@" 2>&1 >/dev/null | tail -1
    done | awk 'NR == 1 || $1 < w {w = $1} NR == 1 || $2 + $3 < c {c = $2 + $3; m = $4}
                END {printf "%.2f %.2f %d\n", w, c, m}'
}
mb() { awk -v b="$1" 'BEGIN {printf "%.1f", b / 1048576}'; }

echo "| capture | command | wall s | CPU s | peak RSS MB | output MB |"
echo "|---|---|---:|---:|---:|---:|"
for set in audio_g711 audio_opus audio_g711_srtp; do
    id=$(python3 -c "import json,sys; print(json.loads(open(sys.argv[1]).readline())['call_id'])" \
        "$DATA/$set.json")
    size=$(du -m "$DATA/$set.pcap" | cut -f1)
    read -r w c m < <(best bash -c "'$SIPHON' audio '$id' --pcap '$DATA/$set.pcap' -o '$out/a.wav' 2>/dev/null")
    printf '| %s (%s MB) | audio, WAV | %s | %s | %d | %s |\n' "$set" "$size" "$w" "$c" \
        $((m / 1024)) "$(mb "$(stat -c %s "$out/a.wav")")"
    read -r w c m < <(best bash -c "'$SIPHON' analyze '$DATA/$set.pcap' >/dev/null 2>&1")
    printf '| %s | analyze (peer) | %s | %s | %d | |\n' "$set" "$w" "$c" $((m / 1024))
    [[ $set == audio_g711_srtp ]] && continue
    for fmt in flac opus; do
        read -r w c m < <(RUNS=1 best bash -c "'$SIPHON' audio '$id' --pcap '$DATA/$set.pcap' --format $fmt -o '$out/a.$fmt' 2>/dev/null")
        printf '| %s | audio, %s | %s | %s | %d | %s |\n' "$set" "$fmt" "$w" "$c" \
            $((m / 1024)) "$(mb "$(stat -c %s "$out/a.$fmt")")"
    done
done
