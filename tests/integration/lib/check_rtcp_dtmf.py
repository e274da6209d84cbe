#!/usr/bin/env python3
"""check_rtcp_dtmf.py KIND ARG NDJSON - asserts siphon's RTCP/DTMF/RFC 6035
fields on one capture's output (see test_rtcp_dtmf.sh).

  dtmf DIGIT  one orphan stream with exactly that digit (pound '#', star '*'),
              ended, with a positive duration, from RFC 4733
  rtcp -      nDPI's RTCP capture: two RTCP-only orphan entries; the SR
              sender 0x5d931534 has 3 SRs, 1 report block about it and an
              RTT of 8.1-8.2 ms; CNAMEs as sent
  vq -        one standalone vq_report for the snom call"""
import json
import sys

kind, arg, path = sys.argv[1], sys.argv[2], sys.argv[3]
recs = [json.loads(l) for l in open(path) if l.strip()]
fails = []


def check(cond, msg):
    if not cond:
        fails.append(msg)


if kind == "dtmf":
    want = {"pound": "#", "star": "*"}.get(arg, arg)
    streams = [r for r in recs if r["type"] == "stream"]
    check(len(streams) == 1, f"{len(streams)} orphan streams")
    for s in streams:
        digits = [d["digit"] for d in s["dtmf"]]
        check(digits == [want], f"digits {digits}, want {want}")
        for d in s["dtmf"]:
            check(d["source"] == "rfc4733" and d["ended"] and d["duration_ms"] > 0, f"event {d}")
elif kind == "rtcp":
    st = {r["ssrc"]: r for r in recs if r["type"] == "stream"}
    check(set(st) == {"0x5d931534", "0x01932db4"}, f"streams {sorted(st)}")
    sr, rr = st.get("0x5d931534"), st.get("0x01932db4")
    if sr and rr:
        check(sr["classified_as"] == "RTCP" and sr["packets"] == 0, "RTCP-only entry")
        r = sr["rtcp"]
        check(r["sender_reports"] == 3 and r["reports"] == 1, f"sr counters {r}")
        check(r["rtt_ms"] is not None and 8.1 < r["rtt_ms"]["mean"] < 8.2, f"rtt {r['rtt_ms']}")
        check(r["cname"] == "5d931534", f"cname {r['cname']}")
        check(r["fraction_lost_pct"] == 0 and r["cumulative_lost"] == 1, f"loss {r}")
        q = rr["rtcp"]
        check(q["receiver_reports"] == 2 and q["reports"] == 2, f"rr counters {q}")
        check(q["cname"] == "1932db4", f"cname {q['cname']}")
    summ = [r for r in recs if r["type"] == "summary"][0]["correlate"]
    check(summ["rtcp_orphan"] == 5 and summ["rtcp_invalid"] == 0, f"summary {summ}")
elif kind == "vq":
    vq = [r for r in recs if r["type"] == "vq_report"]
    check(len(vq) == 1, f"{len(vq)} vq_report records")
    for v in vq:
        check(v["reported_call_id"] == "825962570309-8ds5sl3mca99", f"call {v['reported_call_id']}")
        check(v["report"] == "session" and v["local"]["codec"] == "PCMA", f"report {v}")
        check(v["local"]["mos_lq"] == 4.1 and v["local"]["loss_pct"] == 3.0, f"metrics {v['local']}")
else:
    fails.append(f"unknown kind {kind}")

if fails:
    print(f"FAIL {kind} {arg} {path}:\n  " + "\n  ".join(fails))
    sys.exit(1)
print(f"ok: {kind} {arg}")
