#!/usr/bin/env bash
# demo.sh - quick start: install what is needed, build siphon (release), and
# run the main job on embedded defaults and bundled sample data.
# Today the main job is `siphon analyze`; the sample capture is produced by
# the bundled traffic generator (tests/gen) with a fixed seed, so it is the
# same on every machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/packaging/deps.sh" build
cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build-release" -j"$(nproc)" --target siphon siphon-gen >/dev/null
sample="$root/build-release/sample.pcap"
"$root/build-release/tests/gen/siphon-gen" -o "$sample" --truth "$root/build-release/sample.truth" \
    --calls 12 --concurrency 4 --duration 4 --seed 7 --loss 1 --jitter 3 \
    --fail-mix busy=15,cancel=15,reject=10 >/dev/null
echo "== siphon analyze $sample" >&2
"$root/build-release/app/siphon" analyze --streams "$sample" "$@"
