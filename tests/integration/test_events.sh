#!/usr/bin/env bash
# test_events.sh - the lifecycle events of `siphon analyze --json --events`
# on generated captures (answered calls, the failure mix, challenges, 12 s
# of media so quality intervals close while calls are up, orphan streams).
#
# Checked with python for every call record: exactly one call_started,
# before it; one call_answered iff its state is answered, between the two;
# counts match the summary.  Every quality_interval event precedes its
# call's record and matches the record's interval of the same index
# (packets, lost, discards; the final one its MOS too).  Without --events
# the output is the same records (events only add lines) and no event.
# A shared capture with REGISTER traffic (heplify_sip_ipv4_tcp_retrans:
# 401 then 200) gives one registration event, challenged, with its expires.
set -uo pipefail
: "${SIPHON:?}" "${SIPHON_GEN:?}" "${TEST_TMP:?}" "${SHARED_DIR:?}"
for tool in python3 "$SIPHON" "$SIPHON_GEN"; do
    command -v "$tool" >/dev/null || { echo "FAIL: $tool not found"; exit 1; }
done
work="$TEST_TMP/events"
rm -rf "$work" && mkdir -p "$work"
failed=()

check_case() {
    local name=$1; shift
    local pcap="$work/$name.pcap"
    if ! "$SIPHON_GEN" -q -o "$pcap" "$@"; then
        echo "$name: FAIL: generator: $*"; failed+=("$name"); return
    fi
    if ! "$SIPHON" analyze --json --events --no-progress "$pcap" >"$work/$name.ev.ndjson" 2>"$work/$name.err" ||
        ! "$SIPHON" analyze --json --no-progress "$pcap" >"$work/$name.plain.ndjson" 2>>"$work/$name.err"; then
        echo "$name: FAIL: siphon failed: $(head -c 400 "$work/$name.err")"; failed+=("$name"); return
    fi
    if ! python3 - "$name" "$work/$name.ev.ndjson" "$work/$name.plain.ndjson" <<'EOF'; then
import json, sys
name, ev_path, plain_path = sys.argv[1:4]
ev = [json.loads(l) for l in open(ev_path)]
plain = [json.loads(l) for l in open(plain_path)]
errors = []
def err(msg):
    errors.append(msg)

EVENT_TYPES = {"call_started", "call_answered", "registration", "quality_interval"}
calls = [(i, o) for i, o in enumerate(ev) if o["type"] == "call"]
started = {}
answered = {}
for i, o in enumerate(ev):
    if o["type"] == "call_started":
        if o["call_id"] in started:
            err(f"two call_started for {o['call_id']}")
        started[o["call_id"]] = i
    elif o["type"] == "call_answered":
        if o["call_id"] in answered:
            err(f"two call_answered for {o['call_id']}")
        answered[o["call_id"]] = i
summary = ev[-1]
if summary["type"] != "summary":
    err("last line is not the summary")
if len(calls) == 0:
    err("no call records")
if not (len(started) == len(calls) == summary["calls"]):
    err(f"call_started {len(started)}, call records {len(calls)}, summary calls {summary['calls']}")
n_answered = 0
for i, c in calls:
    cid = c["call_id"]
    s = started.get(cid)
    if s is None or s > i:
        err(f"{cid}: call_started missing or after its record")
        continue
    if ev[s]["caller"] != c["caller"] or ev[s]["start_ts"] != c["start_ts"] or ev[s]["src_ip"] != c["src_ip"]:
        err(f"{cid}: call_started fields differ from the record")
    a = answered.get(cid)
    if (c["state"] == "answered") != (a is not None):
        err(f"{cid}: state {c['state']} but call_answered {'present' if a is not None else 'absent'}")
    if a is not None:
        n_answered += 1
        if not (s < a < i):
            err(f"{cid}: call_answered out of order")
        if ev[a]["answer_ts"] != c["answer_ts"] or ev[a]["setup_ms"] != c["setup_ms"]:
            err(f"{cid}: call_answered answer_ts/setup_ms differ from the record")
if len(answered) != n_answered:
    err("call_answered for a call without a record")
if n_answered == 0 or n_answered == len(calls):
    err(f"case should mix answered and failed calls ({n_answered} of {len(calls)})")

# quality intervals against the records' interval arrays
record_pos = {c["call_id"]: i for i, c in calls}
streams = {}
for i, c in calls:
    for st in c["streams"]:
        streams[(c["call_id"], st["ssrc"], st["src_port"])] = (i, st)
for i, o in enumerate(ev):
    if o["type"] == "stream":
        streams[(None, o["ssrc"], o["src_port"])] = (i, o)
n_iv = n_final = n_live = 0
seen = set()
for i, o in enumerate(ev):
    if o["type"] != "quality_interval":
        continue
    n_iv += 1
    key = (o["call_id"], o["ssrc"], o["src_port"])
    if key not in streams:
        err(f"interval for an unknown stream {key}")
        continue
    pos, st = streams[key]
    if pos < i:
        err(f"interval {key}#{o['index']} after its record")
    if (key, o["index"]) in seen:
        err(f"interval {key}#{o['index']} twice")
    seen.add((key, o["index"]))
    ivs = st["intervals"]
    if o["index"] >= len(ivs):
        err(f"interval {key}#{o['index']} beyond the record's {len(ivs)}")
        continue
    r = ivs[o["index"]]
    for f in ("start_ts", "packets", "lost", "discards", "jitter_ms"):
        if o[f] != r[f]:
            err(f"interval {key}#{o['index']} {f}: event {o[f]} record {r[f]}")
    if o["final"]:
        n_final += 1
        if o["index"] != len(ivs) - 1 or o["mos"] != r["mos"]:
            err(f"final interval {key}#{o['index']} is not the record's last (or MOS differs)")
    else:
        n_live += 1
with_packets = sum(1 for _, st in streams.values() for r in st["intervals"] if r["packets"] > 0)
if n_iv != with_packets:
    err(f"{n_iv} interval events, {with_packets} intervals with packets in the records")
if n_live == 0 or n_final != len(streams):
    err(f"live intervals {n_live}, final {n_final}, streams {len(streams)}")

# without --events: the same records, no event
plain_records = [o for o in plain if o["type"] not in ("summary",)]
ev_records = [o for o in ev if o["type"] not in EVENT_TYPES and o["type"] != "summary"]
if any(o["type"] in EVENT_TYPES for o in plain):
    err("events without --events")
if plain_records != ev_records:
    err("records differ with and without --events")
# registrations are counted for the summary whether or not events are written
if plain[-1]["correlate"] != summary["correlate"] or "registrations" not in summary["correlate"]:
    err("summary counters differ with and without --events")

for e in errors[:20]:
    print(f"{name}: FAIL: {e}")
if errors:
    sys.exit(1)
print(f"{name}: ok: {len(calls)} calls ({n_answered} answered), {n_iv} intervals ({n_live} live)")
EOF
        failed+=("$name")
    fi
}

check_case mix --seed 301 --calls 24 --concurrency 6 --duration 12 \
    --fail-mix busy=15,cancel=10,reject=10,noanswer=5 --challenge 30 --orphan 2
check_case lossy_tcp --seed 302 --calls 10 --concurrency 4 --duration 11 --tcp --loss 3 \
    --fail-mix busy=20

# REGISTER, 401, REGISTER, 200 over TCP (a shared capture)
reg_pcap="$SHARED_DIR/data/pcaps/heplify_sip_ipv4_tcp_retrans.pcap"
if [ -f "$reg_pcap" ]; then
    "$SIPHON" analyze --json --events --no-progress "$reg_pcap" >"$work/reg.ndjson" 2>/dev/null
    if ! python3 - "$work/reg.ndjson" <<'EOF'; then
import json, sys
objs = [json.loads(l) for l in open(sys.argv[1])]
regs = [o for o in objs if o["type"] == "registration"]
summary = objs[-1]
ok = (len(regs) == 1 and regs[0]["final_code"] == 200 and regs[0]["challenged"] is True
      and regs[0]["expires"] == 600 and regs[0]["transport"] == "tcp"
      and regs[0]["attempts"] == 2 and summary["correlate"]["registrations"] == 1)
if not ok:
    print("register: FAIL:", regs, summary["correlate"].get("registrations"))
    sys.exit(1)
print("register: ok")
EOF
        failed+=(register)
    fi
else
    echo "register: FAIL: $reg_pcap missing"; failed+=(register)
fi

if [ ${#failed[@]} -ne 0 ]; then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "all event checks passed"
