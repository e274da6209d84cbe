#!/usr/bin/env bash
# test.sh - install what is needed, build, and run the whole test suite.
#  1. a release build with gcc (-Werror) to catch gcc-only warnings;
#  2. an ASan+UBSan build with clang, libFuzzer targets included, where ctest
#     runs unit tests, fuzz targets (FUZZ_SECONDS each) and the end-to-end
#     tests against real peers (tshark as the RTP oracle).
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/packaging/deps.sh" test
jobs=$(nproc)
echo "== gcc release build" >&2
cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build-release" -j"$jobs" >/dev/null
echo "== clang ASan+UBSan build with fuzz targets" >&2
cmake -S "$root" -B "$root/build-asan" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
      -DSIPHON_SANITIZE=ON -DSIPHON_FUZZ=ON -DSIPHON_REQUIRE_TESTS=ON -DFUZZ_SECONDS="${FUZZ_SECONDS:-20}" >/dev/null
cmake --build "$root/build-asan" -j"$jobs" >/dev/null
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
cd "$root/build-asan"
ctest -j"$jobs" --output-on-failure --timeout 1200 "$@"
