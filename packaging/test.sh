#!/usr/bin/env bash
# test.sh [CTEST-ARGS...] - install what is needed, build, and run the whole test suite.
#  1. a gcc RelWithDebInfo build (LTO, -Werror at compile and link) to catch
#     gcc-only warnings; the golden regression list (tests/golden) runs on it;
#  2. an ASan+UBSan build with clang, libFuzzer targets included, where ctest
#     runs unit tests, fuzz targets (FUZZ_SECONDS each) and the end-to-end
#     tests against real peers (tshark as the RTP oracle);
#  3. a ThreadSanitizer build of what the threaded tests need (siphon,
#     siphon-gen, the pipeline and SPSC unit tests): ctest -L threads runs
#     `analyze --threads 1/2/3` on every capture and `siphon run` with
#     capture and correlator threads;
#  4. a UBSan-only build of the unit tests: without ASan, whose allocator
#     aligns every block to 64 bytes and so hides misaligned allocations.
# Builds print only what the compiler and linker say (warnings are errors);
# a failed build shows its messages and where the full log is.  Every step
# runs; the script exits 1 if any failed.  CTEST-ARGS go to the ASan run.
set -uo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/packaging/deps.sh" test || exit 1
jobs=$(nproc)
failed=()

# build DIR CMAKE-ARGS... [-- TARGET...]: configure and build DIR, printing
# diagnostics but not progress lines; the full output stays in DIR.log.
build() {
    local dir=$1 cfg=() targets=()
    shift
    while [ $# -gt 0 ] && [ "$1" != "--" ]; do cfg+=("$1"); shift; done
    [ $# -gt 0 ] && shift
    [ $# -gt 0 ] && targets=(--target "$@")
    local log="$dir.log" start=$SECONDS rc=0
    { cmake -S "$root" -B "$dir" "${cfg[@]}" && cmake --build "$dir" -j"$jobs" "${targets[@]}"; } >"$log" 2>&1 ||
        rc=$?
    grep -Ev '^(\[ *[0-9]+%\] |-- |Consolidate compiler generated dependencies|Scanning dependencies of target)' \
        "$log" | grep -Ev '^gmake(\[[0-9]+\])?: (Entering|Leaving) directory' >&2
    if [ $rc -ne 0 ]; then
        echo "FAIL: build of $dir (full log: $log)" >&2
        failed+=("build $(basename "$dir")")
        return 1
    fi
    echo "   built in $((SECONDS - start)) s" >&2
}

# check NAME DIR CTEST-ARGS...: runs ctest in DIR, records a failure.
check() {
    local name=$1 dir=$2 start=$SECONDS
    shift 2
    (cd "$dir" && ctest -j"$jobs" --output-on-failure --timeout 1200 "$@") || failed+=("$name")
    echo "   $name: $((SECONDS - start)) s" >&2
}

echo "== gcc RelWithDebInfo build (LTO), golden regression list" >&2
if build "$root/build-release" -DCMAKE_BUILD_TYPE=RelWithDebInfo -DSIPHON_REQUIRE_TESTS=ON; then
    check golden "$root/build-release" -L golden
fi

echo "== clang ASan+UBSan build with fuzz targets" >&2
export ASAN_OPTIONS=detect_leaks=1:abort_on_error=1:strict_string_checks=1
export UBSAN_OPTIONS=print_stacktrace=1:halt_on_error=1
if build "$root/build-asan" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
    -DSIPHON_SANITIZE=ON -DSIPHON_FUZZ=ON -DSIPHON_REQUIRE_TESTS=ON -DFUZZ_SECONDS="${FUZZ_SECONDS:-20}"; then
    check "ASan suite" "$root/build-asan" -LE golden "$@"
fi

echo "== clang ThreadSanitizer build, threaded tests" >&2
tsan_logs="$root/build-tsan/tsan-reports"
if build "$root/build-tsan" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=RelWithDebInfo \
    -DSIPHON_TSAN=ON -DSIPHON_REQUIRE_TESTS=ON -- thread_tests; then
    rm -rf "$tsan_logs" && mkdir -p "$tsan_logs"
    # reports go to files: the scripts keep siphon's stderr to themselves
    TSAN_OPTIONS="halt_on_error=1:second_deadlock_stack=1:log_path=$tsan_logs/report" \
        check "TSan threaded tests" "$root/build-tsan" -L threads
    for r in "$tsan_logs"/report*; do
        [ -e "$r" ] || continue
        echo "-- ThreadSanitizer report $r:" >&2
        head -n 60 "$r" >&2
        failed+=("TSan report $(basename "$r")")
    done
fi

echo "== clang UBSan-only build, unit tests" >&2
if build "$root/build-ubsan" -DCMAKE_C_COMPILER=clang -DCMAKE_BUILD_TYPE=Debug \
    -DSIPHON_UBSAN=ON -DSIPHON_REQUIRE_TESTS=ON -- unit_tests; then
    check "UBSan unit tests" "$root/build-ubsan" -L unit
fi

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAIL: ${failed[*]}" >&2
    exit 1
fi
echo "PASS: every build and test (${SECONDS} s)" >&2
