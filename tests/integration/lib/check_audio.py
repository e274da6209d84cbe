#!/usr/bin/env python3
"""check_audio.py - compares a file rendered by `siphon audio` with the
truth siphon-gen wrote for the call (its "audio" member, see
tests/gen/gen_audio.c), measuring with audio_check (FFT, correlation,
peaks; no numpy needed).

Checks, per direction (caller: left channel, callee: right):
  - the file's length is the call's media duration (first RTP packet to the
    end of the last one) within --len-tol seconds;
  - the channel's first sound starts where its first packet arrived (within
    --start-tol);
  - silence (every sample exactly 0) where the generator lost or held
    packets, 1 ms inside each interval's edges; Opus conceals losses of up
    to 5 packets, so for Opus only longer intervals are checked;
  - in the voiced stretches: the dominant frequency is the direction's
    tone within 1 %, and the normalised cross-correlation with that tone
    (best lag within one period) is above --corr.
--no-silence skips the silence checks (captures with jitter: arrival and
send times differ).  Prints one line per failed check; exit status 1 if
any failed.
"""
import argparse
import json
import subprocess
import sys


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--check", required=True)
    ap.add_argument("--truth", required=True)
    ap.add_argument("--wav", required=True)
    ap.add_argument("--corr", type=float, required=True)
    ap.add_argument("--len-tol", type=float, default=0.020)
    ap.add_argument("--start-tol", type=float, default=0.002)
    ap.add_argument("--no-silence", action="store_true")
    a = ap.parse_args()

    call = json.loads(open(a.truth).readline())
    dirs = call["audio"]
    origin = min(d["first_us"] for d in dirs)
    end = max(d["end_us"] for d in dirs)
    queries, what = [], []

    def q(text, tag):
        queries.append(text)
        what.append(tag)

    for ch, d in enumerate(dirs):
        q(f"first {ch}", ("first", ch, d))
        per = d["ptime_us"]
        silent = d["silent_us"]
        if not a.no_silence:
            for s0, s1 in silent:
                if d["codec"] == "opus" and s1 - s0 <= 5 * per:
                    continue
                t0 = (s0 - origin) / 1e6 + 0.001
                t1 = (s1 - origin) / 1e6 - 0.001
                if t1 > t0:
                    q(f"peak {ch} {t0:.6f} {t1:.6f}", ("silent", ch, (t0, t1)))
        # voiced stretches: between silent intervals, from the first packet
        edges = [d["first_us"]]
        for s0, s1 in silent:
            edges += [s0, s1]
        edges.append(d["end_us"])
        voiced = [(edges[i], edges[i + 1]) for i in range(0, len(edges), 2)]
        n = 0
        for v0, v1 in voiced:
            t0 = (v0 - origin) / 1e6 + 0.010
            t1 = min((v1 - origin) / 1e6 - 0.010, t0 + 1.0)
            if t1 - t0 < 0.2 or n >= 3:
                continue
            n += 1
            f = d["freq_hz"]
            q(f"dom {ch} {t0:.6f} {t1:.6f}", ("dom", ch, (t0, t1, f)))
            q(f"corr {ch} {t0:.6f} {t1:.6f} {f} {1000.0 / f:.3f}", ("corr", ch, (t0, t1)))

    out = subprocess.run([a.check, a.wav], input="\n".join(queries) + "\n",
                         capture_output=True, text=True, check=True).stdout.split("\n")
    rate, chans, frames = (int(x) for x in out[0].split()[1:])
    fails = []
    length = frames / rate
    want = (end - origin) / 1e6
    if chans != 2:
        fails.append(f"channels {chans}, want 2")
    if abs(length - want) > a.len_tol:
        fails.append(f"length {length:.4f} s, want {want:.4f} +- {a.len_tol}")
    worst = {}
    for (kind, ch, arg), line in zip(what, out[1:]):
        vals = line.split()
        if kind == "first":
            want = (arg["first_us"] - origin) / 1e6
            got = float(vals[0])
            if abs(got - want) > a.start_tol:
                fails.append(f"ch{ch}: first sound at {got:.6f} s, want {want:.6f}")
        elif kind == "silent":
            if float(vals[0]) != 0.0:
                fails.append(f"ch{ch}: not silent in {arg[0]:.3f}-{arg[1]:.3f} s "
                             f"(peak {vals[0]})")
        elif kind == "dom":
            got = float(vals[0])
            if abs(got - arg[2]) > arg[2] * 0.01:
                fails.append(f"ch{ch}: dominant {got} Hz in {arg[0]:.3f}-{arg[1]:.3f} s, "
                             f"want {arg[2]}")
        elif kind == "corr":
            c = float(vals[0])
            worst[ch] = min(worst.get(ch, 2.0), c)
            if c < a.corr:
                fails.append(f"ch{ch}: correlation {c} in {arg[0]:.3f}-{arg[1]:.3f} s, "
                             f"want > {a.corr}")
    print(f"{a.wav}: {length:.3f} s at {rate} Hz, min correlation "
          + " ".join(f"ch{k} {v:.4f}" for k, v in sorted(worst.items()))
          + f", {len(queries)} checks, {len(fails)} failed")
    for f in fails:
        print("  FAIL " + f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
