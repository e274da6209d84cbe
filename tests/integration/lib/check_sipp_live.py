#!/usr/bin/env python3
"""check_sipp_live.py SIPHON_NDJSON TSHARK_RTP_STREAMS CALLS

Asserts that siphon rebuilt CALLS answered calls ended by the caller (SIPp's
uac_pcap sends the BYE), each carrying the 236-packet G.711A stream SIPp
played, and that every RTP stream tshark decoded is reported by siphon with
the same packets/lost and jitter mean/max within 0.01 ms, and that each call
reports the DTMF digit '1' SIPp sends as RFC 4733 events."""
import json
import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from tshark_rtp import key as stream_key, parse as parse_tshark  # noqa: E402

ndjson, tshark_txt, calls_expected = sys.argv[1], sys.argv[2], int(sys.argv[3])
records = [json.loads(line) for line in open(ndjson) if line.strip()]
calls = [r for r in records if r.get("type") == "call"]
failures = []


def check(cond, msg):
    if not cond:
        failures.append(msg)


check(len(calls) == calls_expected, f"expected {calls_expected} calls, got {len(calls)}")
for c in calls:
    cid = c["call_id"]
    check(c["state"] == "answered", f"{cid}: state {c['state']}")
    check(c["final_code"] == 200, f"{cid}: final_code {c['final_code']}")
    check(c["ended_by"] == "caller", f"{cid}: ended_by {c['ended_by']}")
    check(c["transport"] == "udp", f"{cid}: transport {c['transport']}")
    check(c["answer_ts"] is not None and c["end_ts"] is not None, f"{cid}: timestamps missing")
    pcma = [s for s in c["streams"] if s["payload_type"] == 8]
    check(len(pcma) == 1, f"{cid}: {len(pcma)} PCMA streams")
    for s in pcma:
        check(s["packets"] == 236, f"{cid}: PCMA packets {s['packets']}")
        check(s["codec"] == "PCMA", f"{cid}: codec {s['codec']}")
        check(s["clock_rate"] == 8000, f"{cid}: clock {s['clock_rate']}")
    # uac_pcap plays dtmf_2833_1.pcap on PT 101 = telephone-event/8000
    digits = [d["digit"] for d in c.get("dtmf", []) if d["source"] == "rfc4733"]
    check(digits == ["1"], f"{cid}: RFC 4733 digits {digits}, want ['1']")

streams = {}
for c in calls:
    for s in c["streams"]:
        streams[(s["src_ip"], s["src_port"], s["dst_ip"], s["dst_port"], s["ssrc"].lower())] = s
oracle = {stream_key(t): t for t in parse_tshark(open(tshark_txt).read())}
check(len(oracle) >= calls_expected, f"tshark found only {len(oracle)} streams")
for key, t in oracle.items():
    s = streams.get(key)
    if s is None:
        failures.append(f"stream {key} decoded by tshark is missing in siphon")
        continue
    check(s["packets"] == t["packets"], f"{key}: packets {s['packets']} vs tshark {t['packets']}")
    check(s["lost_wireshark"] == t["lost"], f"{key}: lost {s['lost_wireshark']} vs tshark {t['lost']}")
    if t["jitter_min_ms"] >= 0 and s["jitter_mean_ms"] is not None:
        check(abs(s["jitter_mean_ms"] - t["jitter_mean_ms"]) <= 0.01,
              f"{key}: jitter mean {s['jitter_mean_ms']} vs tshark {t['jitter_mean_ms']}")
        check(abs(s["jitter_max_ms"] - t["jitter_max_ms"]) <= 0.01,
              f"{key}: jitter max {s['jitter_max_ms']} vs tshark {t['jitter_max_ms']}")
    elif t["jitter_min_ms"] >= 0:
        failures.append(f"{key}: siphon has no jitter, tshark {t['jitter_mean_ms']}")

if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"ok: {len(calls)} calls, {len(oracle)} tshark streams matched")
