#!/usr/bin/env python3
"""compare_truth.py - checks `siphon analyze --json` output against the
truth file siphon-gen wrote for the same capture.

  compare_truth.py [--label NAME] [--max-report N] [--no-timestamps] TRUTH.ndjson SIPHON.ndjson

Calls are matched by Call-ID and must form the same set.  Per call, these
fields must be equal: state, final_code (null and 0 both mean "none"),
ended_by, caller, callee, from_uri, to_uri, src/dst ip and port, transport,
and start_ts/answer_ts/end_ts exactly to the microsecond (both sides print
RFC 3339 UTC with six decimals; --no-timestamps skips these three, for a
capture replayed live, whose packets are re-timed).  Streams, inside a call or orphan
({"type":"stream","call_id":null}), are matched by (src_ip, src_port,
dst_ip, dst_port, ssrc) and must form the same set; per stream packets,
lost, duplicates, payload_type, codec (case-insensitive) and clock_rate
must be equal.  Every difference is listed (up to --max-report); the exit
status is 1 when there is any, 2 on unreadable input.
"""
import argparse
import json
import sys

CALL_FIELDS = ["state", "final_code", "ended_by", "caller", "callee", "from_uri", "to_uri",
               "src_ip", "src_port", "dst_ip", "dst_port", "transport",
               "start_ts", "answer_ts", "end_ts"]
STREAM_FIELDS = ["packets", "lost", "duplicates", "payload_type", "codec", "clock_rate"]


def load(path, what):
    calls, orphans, summary = {}, {}, None
    try:
        with open(path) as f:
            for n, line in enumerate(f, 1):
                line = line.strip()
                if not line:
                    continue
                try:
                    o = json.loads(line)
                except json.JSONDecodeError as e:
                    sys.exit("compare_truth: %s line %d is not JSON (%s): %.200s" % (what, n, e, line))
                t = o.get("type")
                if t == "call":
                    if o["call_id"] in calls:
                        calls[o["call_id"]]["_dup"] = True
                    else:
                        calls[o["call_id"]] = o
                elif t == "stream":
                    orphans.setdefault(skey(o), []).append(o)
                elif t == "summary":
                    summary = o
    except OSError as e:
        print("compare_truth: cannot read %s: %s" % (what, e), file=sys.stderr)
        sys.exit(2)
    return calls, orphans, summary


def skey(s):
    return (s.get("src_ip"), s.get("src_port"), s.get("dst_ip"), s.get("dst_port"),
            (s.get("ssrc") or "").lower())


def norm(field, v):
    if field == "final_code" and v in (0, None):
        return None
    if field == "codec" and isinstance(v, str):
        return v.upper()
    return v


class Report:
    def __init__(self, label, limit):
        self.label, self.limit, self.count = label, limit, 0

    def add(self, msg):
        self.count += 1
        if self.count <= self.limit:
            print("%s: %s" % (self.label, msg))


def compare_streams(rep, where, truth_streams, got_streams):
    t = {}
    for s in truth_streams:
        t[skey(s)] = s
    g = {}
    for s in got_streams:
        k = skey(s)
        if k in g:
            rep.add("%s: stream %s reported twice" % (where, fmt_key(k)))
        g[k] = s
    for k in t:
        if k not in g:
            rep.add("%s: stream %s missing (truth: %d packets)" % (where, fmt_key(k), t[k]["packets"]))
    for k in g:
        if k not in t:
            rep.add("%s: unexpected stream %s (%s packets)" % (where, fmt_key(k), g[k].get("packets")))
    for k in t:
        if k not in g:
            continue
        for f in STREAM_FIELDS:
            a, b = norm(f, t[k].get(f)), norm(f, g[k].get(f))
            if a != b:
                rep.add("%s: stream %s %s: truth %r, siphon %r" % (where, fmt_key(k), f, a, b))


def fmt_key(k):
    return "%s:%s->%s:%s ssrc %s" % k


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="compare")
    ap.add_argument("--max-report", type=int, default=30)
    ap.add_argument("--no-timestamps", action="store_true",
                    help="do not compare start_ts/answer_ts/end_ts (live replay)")
    ap.add_argument("truth")
    ap.add_argument("siphon")
    a = ap.parse_args()
    rep = Report(a.label, a.max_report)
    tcalls, torph, _ = load(a.truth, "truth")
    gcalls, gorph, gsum = load(a.siphon, "siphon output")
    if gsum is None:
        rep.add("siphon output has no summary line")

    for cid in sorted(set(tcalls) - set(gcalls)):
        rep.add("call %s (%s) missing" % (cid, tcalls[cid]["state"]))
    for cid in sorted(set(gcalls) - set(tcalls)):
        rep.add("unexpected call %s" % cid)
    for cid in sorted(set(tcalls) & set(gcalls)):
        t, g = tcalls[cid], gcalls[cid]
        if g.get("_dup"):
            rep.add("call %s reported more than once" % cid)
        for f in CALL_FIELDS:
            if a.no_timestamps and f.endswith("_ts"):
                continue
            x, y = norm(f, t.get(f)), norm(f, g.get(f))
            if x != y:
                rep.add("call %s %s: truth %r, siphon %r" % (cid, f, x, y))
        compare_streams(rep, "call %s" % cid, t.get("streams", []), g.get("streams") or [])

    tos = [s for v in torph.values() for s in v]
    gos = [s for v in gorph.values() for s in v]
    for s in gos:
        if s.get("call_id") is not None:
            rep.add("stream record with call_id %r (expected null)" % s.get("call_id"))
    compare_streams(rep, "orphans", tos, gos)

    ntr = sum(len(c.get("streams", [])) for c in tcalls.values()) + len(tos)
    if rep.count:
        if rep.count > rep.limit:
            print("%s: ... %d more differences" % (a.label, rep.count - rep.limit))
        print("%s: FAIL: %d differences (%d calls, %d streams in truth)" %
              (a.label, rep.count, len(tcalls), ntr))
        return 1
    print("%s: ok: %d calls, %d streams match" % (a.label, len(tcalls), ntr))
    return 0


if __name__ == "__main__":
    sys.exit(main())
