#!/usr/bin/env bash
# test_storage_quality.sh - a stream's quality object stored compactly
# (schema/0006, storage/quality_row.c) reads back whole.
#
# Against a throwaway PostgreSQL (lib/pg.sh):
#  1. migration 5 -> 6: schema/0001..0005 applied by hand, a stream row
#     with a full quality object (as siphon wrote before version 6) in it;
#     `siphon db migrate` goes 5 -> 6 and siphon_stream_quality() of that
#     row is its object unchanged;
#  2. two captures stored with `analyze --store`: G.722 calls with burst
#     loss (wideband scale, loss runs, densities, discards) and PCMU calls
#     without loss (every figure at its usual value); for every stored
#     stream siphon_stream_quality() equals, key for key and number for
#     number, the quality keys of the same stream in `analyze --json`;
#  3. every stored object is smaller than the whole one, a loss-free
#     stream's under half of it, and none has the key "mos".
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}"
work="$TEST_TMP/storage_quality"
rm -rf "$work" && mkdir -p "$work"
lib="$TESTS_DIR/integration/lib"
schema="$TESTS_DIR/../schema"
. "$lib/pg.sh"
trap pg_cleanup EXIT
failed=()
fail() { echo "FAIL: $*"; failed+=("$1"); }
pg_start "$work/pg" || { echo "FAIL: cannot start PostgreSQL"; exit 1; }

# 1. from version 5 --------------------------------------------------------------
full='{"mos": 3.96, "emodel": {"ie": 11.00, "bpl": 19.00, "rtt_ms": null, "source": "G.113", "burst_r": 1.000, "delay_ms": 160.0, "ptime_ms": 100.0}, "mos_min": 3.9, "discards": 2, "r_factor": 79.1, "loss_runs": {"1": 1, "2": 0, "3": 0, "4": 0, "10+": 0, "5-9": 0}, "mos_scale": "narrowband", "gap_density": 0.01, "burst_density": 0.00, "burst_mean_len": 1.000, "gap_duration_ms": 2000.0, "burst_duration_ms": 0.0, "discards_adaptive": 0, "effective_loss_pct": 0.500, "jb_adaptive_max_ms": 60.0}'
for f in "$schema"/000[1-5]_*.sql; do
    pg_psql -f "$f" >/dev/null || fail apply "$(basename "$f") does not apply"
done
pg_psql -c "INSERT INTO siphon_schema (version, name) VALUES (1, '0001_initial.sql'),
    (2, '0002_partition_view.sql'), (3, '0003_web_users.sql'), (4, '0004_siprec.sql'),
    (5, '0005_lean_storage.sql');
    SELECT siphon_ensure_partitions(date '2024-03-01');
    INSERT INTO streams (call_uuid, ts, stream_id, probe, mos, quality)
    VALUES ('00000000-0000-8000-8000-000000000001', '2024-03-01 12:00:00+00', 1, 'p', 3.96,
            '$full')" >/dev/null || fail old-row "cannot write the version 5 row"
out=$("$SIPHON" db migrate --storage.dsn="$PG_DSN" 2>&1); echo "$out"
[ "$out" = "schema: migrated from version 5 to 6" ] || fail migrate "unexpected: $out"
[ "$(pg_psql -c "SELECT siphon_stream_quality(s) = '$full'::jsonb FROM streams s")" = t ] ||
    fail old-read "the version 5 row's object changed: $(pg_psql -c "SELECT siphon_stream_quality(s) FROM streams s")"
pg_psql -c "TRUNCATE streams" >/dev/null

# 2. stored and read back --------------------------------------------------------
"$SIPHON_GEN" -q -o "$work/lossy.pcap" --seed 71 --calls 3 --duration 8 --codec g722 \
    --burst-loss 4,30 --jitter 30 || fail gen "siphon-gen lossy"
"$SIPHON_GEN" -q -o "$work/clean.pcap" --seed 72 --calls 3 --duration 4 --codec pcmu \
    --start-time 1709380800 || fail gen "siphon-gen clean"
for c in lossy clean; do
    "$SIPHON" analyze --json --no-progress "$work/$c.pcap" >"$work/$c.ndjson" 2>/dev/null ||
        fail json "analyze --json $c"
    "$SIPHON" analyze --store --no-progress --storage.dsn="$PG_DSN" \
        --storage.spool_dir="$work/spool" "$work/$c.pcap" >"$work/$c.out" 2>&1 ||
        fail store "analyze --store $c: $(tail -3 "$work/$c.out")"
done
pg_psql -c "SELECT json_agg(json_build_object('ssrc', ssrc, 'src_port', src_port, 'q',
    siphon_stream_quality(s), 'stored', pg_column_size(quality), 'whole',
    pg_column_size(siphon_stream_quality(s)), 'has_mos', quality ? 'mos')) FROM streams s" \
    >"$work/rows.json"
python3 - "$work/rows.json" "$work/lossy.ndjson" "$work/clean.ndjson" <<'PY' || fail values "read back"
import json, sys
KEYS = ("mos", "r_factor", "mos_min", "mos_scale", "effective_loss_pct", "discards",
        "discards_adaptive", "burst_density", "gap_density", "burst_duration_ms",
        "gap_duration_ms", "burst_mean_len", "loss_runs", "emodel", "jb_adaptive_max_ms")
rows = json.loads(open(sys.argv[1]).read() or "[]") or []
want = {}
for path in sys.argv[2:]:
    for line in open(path):
        o = json.loads(line)
        if o.get("type") == "call":
            for s in o["streams"]:
                want[(int(s["ssrc"], 16), s["src_port"])] = {k: s[k] for k in KEYS}
bad = 0
seen = {"lossy": 0, "scale": 0, "runs": 0}
stored = whole = 0
clean_stored = clean_whole = 0
for r in rows:
    key = (r["ssrc"], r["src_port"])
    if key not in want:
        bad += 1
        print("stream %r not in the records" % (key,))
        continue
    w = want.pop(key)
    if set(r["q"]) != set(KEYS):
        bad += 1
        print("stream %r: keys %s" % (key, sorted(set(r["q"]) ^ set(KEYS))))
    for k in KEYS:
        if r["q"].get(k) != w[k]:
            bad += 1
            print("stream %r: %s read back %r, record %r" % (key, k, r["q"].get(k), w[k]))
    if r["has_mos"]:
        bad += 1
        print("stream %r: the stored object has mos" % (key,))
    seen["lossy"] += (w["effective_loss_pct"] or 0) > 0
    seen["scale"] += w["mos_scale"] == "narrowband-equivalent"
    seen["runs"] += any(w["loss_runs"].values())
    stored += r["stored"]
    whole += r["whole"]
    if r["stored"] >= r["whole"]:
        bad += 1
        print("stream %r: stored %d B, whole %d B" % (key, r["stored"], r["whole"]))
    if not w["effective_loss_pct"]:
        clean_stored += r["stored"]
        clean_whole += r["whole"]
if want:
    bad += 1
    print("%d streams of the records not stored" % len(want))
if not (seen["lossy"] and seen["scale"] and seen["runs"]):
    bad += 1
    print("the captures did not exercise every figure: %r" % seen)
print("%d streams read back whole (%r); stored %d B of jsonb, whole %d B; loss-free streams %d B, "
      "whole %d B" % (len(rows), seen, stored, whole, clean_stored, clean_whole))
if not clean_whole or clean_stored * 2 >= clean_whole:
    bad += 1
    print("the loss-free streams' stored objects are not under half the whole ones")
sys.exit(1 if bad else 0)
PY

if ((${#failed[@]})); then echo "FAILED: ${failed[*]}"; exit 1; fi
echo "PASS"
