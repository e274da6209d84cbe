#!/usr/bin/env bash
# run_fuzzer.sh BIN NAME FUZZ_ON SECONDS
# Builds the seed corpus of fuzz target NAME from tests/fuzz/seeds/NAME/ and
# the shared-data globs listed in tests/fuzz/seeds/NAME.txt (relative to
# $SHARED_DIR), then runs it: libFuzzer for SECONDS when FUZZ_ON, otherwise a
# single replay of every seed.  Fails on any crash, leak or sanitizer report.
set -euo pipefail
bin=$1 name=$2 fuzz_on=$3 secs=$4
seeds="$FUZZ_WORK/$name/seeds"
corpus="$FUZZ_WORK/$name/corpus"
rm -rf "$seeds" && mkdir -p "$seeds" "$corpus"
if [[ -d "$FUZZ_SRC_DIR/seeds/$name" ]]; then cp -r "$FUZZ_SRC_DIR/seeds/$name/." "$seeds/"; fi
if [[ -f "$FUZZ_SRC_DIR/seeds/$name.txt" ]]; then
  while read -r pattern; do
    [[ -z "$pattern" || "$pattern" == \#* ]] && continue
    for f in $SHARED_DIR/$pattern; do [[ -f "$f" ]] && cp "$f" "$seeds/"; done
  done < "$FUZZ_SRC_DIR/seeds/$name.txt"
fi
nseeds=$(find "$seeds" -type f | wc -l)
echo "fuzz target $name: $nseeds seed inputs"
[[ $nseeds -gt 0 ]] || { echo "no seeds for $name"; exit 1; }
if [[ "$fuzz_on" == "ON" ]]; then
  cd "$FUZZ_WORK/$name"
  "$bin" -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=70000 \
         -print_final_stats=1 "$corpus" "$seeds" 2>&1 | tail -n 25
  exit "${PIPESTATUS[0]}"
else
  "$bin" "$seeds"
fi
