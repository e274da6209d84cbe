#!/usr/bin/env python3
"""check_sipp_live.py SIPHON_NDJSON TSHARK_RTP_STREAMS CALLS

Asserts that siphon rebuilt CALLS answered calls ended by the caller (SIPp's
uac_pcap sends the BYE), each carrying the 236-packet G.711A stream SIPp
played, and that every RTP stream tshark decoded is reported by siphon with
the same packets/lost and jitter mean/max within 0.01 ms, and that each call
reports the DTMF digit '1' SIPp sends as RFC 4733 events."""
import json
import sys



def parse_rtp_streams(text):
    """tshark -z rtp,streams table -> {(src, sport, dst, dport, ssrc): figures}."""
    out = {}
    for line in text.splitlines():
        f = line.split()
        if len(f) < 17 or not f[6].lower().startswith("0x"):
            continue
        tail = f[-10:] if f[-1] == "X" else f[-9:]
        tail = tail[:9]
        out[(f[2], int(f[3]), f[4], int(f[5]), "0x%08x" % int(f[6], 16))] = {
            "packets": int(tail[0]), "lost": int(tail[1]),
            "min_jitter": float(tail[6]), "mean_jitter": float(tail[7]), "max_jitter": float(tail[8]),
        }
    return out

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
oracle = parse_rtp_streams(open(tshark_txt).read())
check(len(oracle) >= calls_expected, f"tshark found only {len(oracle)} streams")
for key, t in oracle.items():
    s = streams.get(key)
    if s is None:
        failures.append(f"stream {key} decoded by tshark is missing in siphon")
        continue
    check(s["packets"] == t["packets"], f"{key}: packets {s['packets']} vs tshark {t['packets']}")
    check(s["lost_wireshark"] == t["lost"], f"{key}: lost {s['lost_wireshark']} vs tshark {t['lost']}")
    if t["min_jitter"] >= 0 and s["jitter_mean_ms"] is not None:
        check(abs(s["jitter_mean_ms"] - t["mean_jitter"]) <= 0.01,
              f"{key}: jitter mean {s['jitter_mean_ms']} vs tshark {t['mean_jitter']}")
        check(abs(s["jitter_max_ms"] - t["max_jitter"]) <= 0.01,
              f"{key}: jitter max {s['jitter_max_ms']} vs tshark {t['max_jitter']}")
    elif t["min_jitter"] >= 0:
        failures.append(f"{key}: siphon has no jitter, tshark {t['mean_jitter']}")

if failures:
    print("FAIL:\n  " + "\n  ".join(failures))
    sys.exit(1)
print(f"ok: {len(calls)} calls, {len(oracle)} tshark streams matched")
