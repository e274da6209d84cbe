#!/usr/bin/env python3
"""check_storage.py - stored rows against what they must be.

usage: check_storage.py PSQL_JSON_DIR TRUTH.ndjson... -- RECORDS.ndjson...

PSQL_JSON_DIR holds calls.json, streams.json, messages.json,
registrations.json (json_agg of the tables, written by the test).  For the
generator's truth files: every call stored once with its parties, state,
final code, addresses and transport; each call's streams with their SSRC
and packet counts; orphan streams; SIP messages per call and in all.  For
the NDJSON of `siphon analyze --json --events --messages` of captures with
no truth: every registration event and every SIP message stored once.
Exit 1 with one line per difference.
"""
import json
import os
import sys
from collections import Counter

errors = []


def err(msg):
    if len(errors) < 40:
        print("DIFF:", msg)
    errors.append(msg)


def load(path):
    with open(path) as f:
        t = f.read().strip()
    return json.loads(t) if t else []


d = sys.argv[1]
sep = sys.argv.index("--")
truths, records = sys.argv[2:sep], sys.argv[sep + 1:]
calls = load(os.path.join(d, "calls.json")) or []
streams = load(os.path.join(d, "streams.json")) or []
msgs = load(os.path.join(d, "messages.json")) or []
regs = load(os.path.join(d, "registrations.json")) or []

by_cid = {}
for c in calls:
    if c["call_id"] in by_cid:
        err("call stored twice: %s" % c["call_id"])
    by_cid[c["call_id"]] = c
streams_of = {}
for s in streams:
    streams_of.setdefault(s["call_uuid"], []).append(s)
msgs_of = Counter(m["call_uuid"] for m in msgs if m["call_uuid"])

want_calls = want_msgs_gen = want_orphans = 0
for path in truths:
    for line in open(path):
        o = json.loads(line)
        if o["type"] == "summary":
            want_msgs_gen += o["sip_messages"]
            want_orphans += o["orphan_streams"]
            continue
        if o["type"] != "call":
            continue
        want_calls += 1
        c = by_cid.get(o["call_id"])
        if not c:
            err("call %s not stored" % o["call_id"])
            continue
        for k in ("caller", "callee", "state", "final_code", "src_ip", "src_port", "dst_ip",
                  "dst_port", "transport", "from_uri", "to_uri", "ended_by"):
            if c.get(k) != o.get(k):
                err("call %s: %s stored %r, truth %r" % (o["call_id"], k, c.get(k), o.get(k)))
        got = {(s["ssrc"], s["src_port"]): s for s in streams_of.get(c["call_uuid"], [])}
        if len(got) != len(o["streams"]) or c["stream_count"] != len(o["streams"]):
            err("call %s: %d streams stored (stream_count %s), truth %d" %
                (o["call_id"], len(got), c["stream_count"], len(o["streams"])))
        for ts in o["streams"]:
            s = got.get((int(ts["ssrc"], 16), ts["src_port"]))
            if not s:
                err("call %s: stream %s not stored" % (o["call_id"], ts["ssrc"]))
                continue
            for k in ("packets", "lost", "payload_type", "codec", "clock_rate", "src_ip", "dst_ip",
                      "dst_port", "duplicates", "lost_wireshark"):
                if s.get(k) != ts.get(k):
                    err("call %s stream %s: %s stored %r, truth %r" %
                        (o["call_id"], ts["ssrc"], k, s.get(k), ts.get(k)))
        if msgs_of[c["call_uuid"]] != c["sip_messages"]:
            err("call %s: %d messages stored, its record says %d" %
                (o["call_id"], msgs_of[c["call_uuid"]], c["sip_messages"]))

want_regs = []
want_msgs_rec = 0
rec_calls = 0
for path in records:
    for line in open(path):
        o = json.loads(line)
        if o["type"] == "registration":
            want_regs.append((o["call_id"], o.get("user"), o.get("final_code"), o.get("expires"),
                              o.get("attempts"), o.get("challenged")))
        elif o["type"] == "sip_message":
            want_msgs_rec += 1
        elif o["type"] == "call":
            rec_calls += 1

got_regs = Counter((r["call_id"], r["user"], r["final_code"], r["expires"], r["attempts"],
                    r["challenged"]) for r in regs)
if got_regs != Counter(want_regs):
    err("registrations: stored %s, records %s" % (sorted(got_regs.items())[:5],
                                                   sorted(Counter(want_regs).items())[:5]))
if len(calls) != want_calls + rec_calls:
    err("%d calls stored, %d wanted" % (len(calls), want_calls + rec_calls))
if len(msgs) != want_msgs_gen + want_msgs_rec:
    err("%d SIP messages stored, %d wanted" % (len(msgs), want_msgs_gen + want_msgs_rec))
orph = sum(1 for s in streams if s["orphan"])
print("stored: %d calls, %d streams (%d orphan), %d messages, %d registrations" %
      (len(calls), len(streams), orph, len(msgs), len(regs)))
sys.exit(1 if errors else 0)
