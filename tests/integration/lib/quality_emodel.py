#!/usr/bin/env python3
"""quality_emodel.py - checks siphon's per-stream MOS against the E-model
computed here, independently, from the generator's truth file.

The E-model (ITU-T G.107 as in /work/shared/reference/quality.md) is
re-implemented below from the formulas, not taken from siphon:
  R = 93.2 - Id(d) - Ie,eff;  Id = 0.024 d + 0.11 (d - 177.3) H(d - 177.3)
  Ie,eff = Ie + (95 - Ie) Ppl / (Ppl / BurstR + Bpl)
  MOS = 1 + 0.035 R + R (R - 60) (100 - R) 7e-6  (R clamped to 0..100)
with Ppl = truth lost / (truth packets + truth lost) (random loss: BurstR
1), and d = fixed jitter buffer (60 ms) + packet interval (20 ms), siphon's
documented delay estimate without RTCP.

usage: quality_emodel.py TRUTH SIPHON_JSON --ie IE --bpl BPL --tol TOL
         [--expect-discards] [--out SUMMARY.json]
Prints one line per stream; exits 1 if any stream's |MOS - model| > TOL or a
required field is missing.  With --no-compare only the summary is written
(for bursty / jittered captures where the model is not random loss).
"""
import argparse
import json
import sys

R0 = 93.2
DELAY_MS = 60 + 20

STREAM_FIELDS = ["mos", "r_factor", "mos_min", "mos_scale", "effective_loss_pct", "discards",
                 "discards_adaptive", "burst_density", "gap_density", "burst_duration_ms",
                 "gap_duration_ms", "burst_mean_len", "loss_runs", "intervals"]


def emodel_r(delay_ms, ie, bpl, ppl, burst_r=1.0):
    idd = 0.024 * delay_ms + (0.11 * (delay_ms - 177.3) if delay_ms > 177.3 else 0.0)
    ie_eff = ie + (95 - ie) * ppl / (ppl / burst_r + bpl)
    return min(100.0, max(0.0, R0 - idd - ie_eff))


def mos(r):
    if r <= 0:
        return 1.0
    if r >= 100:
        return 4.5
    return 1 + 0.035 * r + r * (r - 60) * (100 - r) * 7e-6


def load(path):
    with open(path) as f:
        return [json.loads(line) for line in f if line.strip()]


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("truth")
    ap.add_argument("siphon")
    ap.add_argument("--ie", type=float, required=True)
    ap.add_argument("--bpl", type=float, required=True)
    ap.add_argument("--tol", type=float, default=0.1)
    ap.add_argument("--no-compare", action="store_true")
    ap.add_argument("--out")
    a = ap.parse_args()

    truth = {}
    for o in load(a.truth):
        for s in o.get("streams", []) if o.get("type") == "call" else []:
            truth[s["ssrc"]] = s
    ok = True
    rows = []
    calls = [o for o in load(a.siphon) if o.get("type") == "call"]
    for c in calls:
        scored = [s for s in c["streams"] if s.get("mos") is not None]
        if scored:
            if "mos" not in c or abs(c["mos"] - min(s["mos"] for s in scored)) > 1e-9:
                print(f"FAIL call {c['call_id']}: call mos is not the worse direction")
                ok = False
        for s in c["streams"]:
            missing = [f for f in STREAM_FIELDS if f not in s]
            if missing:
                print(f"FAIL stream {s['ssrc']}: missing {missing}")
                ok = False
                continue
            t = truth.get(s["ssrc"])
            if t is None or t["packets"] < 100:
                continue
            ppl = 100.0 * t["lost"] / (t["packets"] + t["lost"])
            model = mos(emodel_r(DELAY_MS, a.ie, a.bpl, ppl))
            model_nodelay = mos(emodel_r(0, a.ie, a.bpl, ppl))
            rows.append({"ssrc": s["ssrc"], "truth_loss_pct": ppl, "model_mos": model,
                         "model_mos_nodelay": model_nodelay, "mos": s["mos"],
                         "effective_loss_pct": s["effective_loss_pct"],
                         "discards": s["discards"], "discards_adaptive": s["discards_adaptive"],
                         "burst_r": (s.get("emodel") or {}).get("burst_r"),
                         "mos_min": s["mos_min"]})
            flag = ""
            if not a.no_compare and (s["mos"] is None or abs(s["mos"] - model) > a.tol):
                flag = "  <-- FAIL"
                ok = False
            print(f"  {s['ssrc']} loss {ppl:5.2f}% eff {s['effective_loss_pct']:5.2f}% "
                  f"discards {s['discards']:4d} mos {s['mos']} model {model:.3f}{flag}")
    if not rows:
        print("FAIL: no stream with 100 packets or more")
        ok = False
    n = max(1, len(rows))
    summary = {k: sum(r[k] for r in rows) / n for k in
               ["truth_loss_pct", "model_mos", "model_mos_nodelay", "mos", "effective_loss_pct",
                "discards", "discards_adaptive", "mos_min"]}
    summary["streams"] = len(rows)
    summary["max_abs_diff"] = max((abs(r["mos"] - r["model_mos"]) for r in rows), default=0)
    print("  mean: " + json.dumps({k: round(v, 4) for k, v in summary.items()}))
    if a.out:
        with open(a.out, "w") as f:
            json.dump(summary, f)
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
