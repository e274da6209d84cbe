#!/usr/bin/env bash
# regen.sh [BUILD_DIR] - rewrite the golden expectations (tests/golden/expected/)
# from the siphon in BUILD_DIR (default: build-release, packaging/test.sh's gcc
# build; configured here when missing), then show what changed for review.
# The threaded runs are still checked against the new expectations, and
# every shared capture must be listed in TESTLIST: regen.sh exits 1 if not.
set -euo pipefail
here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
build=${1:-$root/build-release}
shared=${SHARED_DIR:-$root/../shared}
if [ ! -f "$build/CMakeCache.txt" ]; then
    cmake -S "$root" -B "$build" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
fi
cmake --build "$build" -j"$(nproc)" --target siphon siphon-gen >/dev/null
rc=0
python3 "$here/golden.py" --regen --siphon "$build/app/siphon" --gen "$build/tests/gen/siphon-gen" \
    --shared "$shared" --work "$build/tests/golden" || rc=$?
git -C "$root" status --short -- "$here/expected"
git -C "$root" diff --stat -- "$here/expected"
exit $rc
