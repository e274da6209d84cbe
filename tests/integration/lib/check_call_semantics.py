#!/usr/bin/env python3
"""check_call_semantics.py - what siphon says about calls means what a user
reads into it, with tshark's decode of the same capture as the oracle.

 - setup_ms: from the INVITE that decided the call (the retry after a
   401/407) to its first final response; setup_total_ms: from the first
   INVITE; pdd_ms: that INVITE to its first provisional response other than
   100 (null when none).
 - registrations in the summary: REGISTER transactions (a 401/407 and its
   retry within 32 s are one), not REGISTER messages (register_requests).
 - a call with an enabled m=image (T.38) in an SDP is media "fax", flagged
   t38_fax, and has no MOS, nor do its streams.
 - no stream with fewer than 50 RTP packets has a MOS.

usage: check_call_semantics.py SIPHON [mos:]PCAP...
(mos: only the last check, for captures tshark decodes otherwise: fuzzed)
"""
import collections
import json
import subprocess
import sys

errors = []


def err(msg):
    errors.append(msg)
    print("FAIL", msg)


def tshark_sip(pcap):
    fields = ["frame.time_epoch", "sip.Call-ID", "sip.CSeq.seq", "sip.CSeq.method",
              "sip.Status-Code", "sip.Method", "sip.to.tag", "sdp.media"]
    cmd = ["tshark", "-r", pcap, "-Y", "sip", "-T", "fields", "-E", "separator=\t"]
    for f in fields:
        cmd += ["-e", f]
    out = subprocess.run(cmd, capture_output=True, text=True, errors="replace").stdout
    msgs = []
    for line in out.splitlines():
        v = line.split("\t")
        if len(v) < len(fields) or not v[1]:
            continue
        msgs.append({"t": float(v[0]), "cid": v[1], "cseq": int(v[2] or 0), "cmeth": v[3],
                     "code": int(v[4]) if v[4] else 0, "meth": v[5], "totag": v[6],
                     "media": v[7]})
    return msgs


def expected_setup(msgs, cid):
    inv = [m for m in msgs if m["cid"] == cid and m["meth"] == "INVITE" and not m["totag"]]
    if not inv:
        return None
    first = min(m["t"] for m in inv)
    cseq = max(m["cseq"] for m in inv)
    t_inv = min(m["t"] for m in inv if m["cseq"] == cseq)
    resp = [m for m in msgs if m["cid"] == cid and m["cmeth"] == "INVITE" and m["code"]
            and m["cseq"] == cseq]
    finals = [m["t"] for m in resp if m["code"] >= 200]
    prov = [m["t"] for m in resp if 100 < m["code"] < 200]
    t_fin = min(finals) if finals else None
    return {
        "setup_ms": (t_fin - t_inv) * 1000 if t_fin else None,
        "setup_total_ms": (t_fin - first) * 1000 if t_fin else None,
        "pdd_ms": (min(prov) - t_inv) * 1000 if prov else None,
    }


def expected_registrations(msgs):
    """REGISTER transactions: per Call-ID, a 401/407 answered by a retry
    within 32 s continues the same one."""
    by_cid = collections.defaultdict(list)
    for m in msgs:
        if m["cmeth"] == "REGISTER" or m["meth"] == "REGISTER":
            by_cid[m["cid"]].append(m)
    n = 0
    for ms in by_cid.values():
        ms.sort(key=lambda m: m["t"])
        open_ = False
        challenged_at = None
        done_cseq = -1
        for m in ms:
            if m["meth"] == "REGISTER":
                if m["cseq"] <= done_cseq:
                    continue
                if challenged_at is not None and m["t"] - challenged_at > 32:
                    open_ = False  # the challenge was never answered in time
                if not open_:
                    n += 1
                    open_ = True
                challenged_at = None
            elif m["code"] >= 200 and m["cseq"] > done_cseq:
                if m["code"] in (401, 407):
                    challenged_at = m["t"]
                else:
                    if not open_:
                        n += 1  # the request was not captured
                    open_ = False
                    challenged_at = None
                    done_cseq = m["cseq"]
    return n


def main():
    siphon, pcaps = sys.argv[1], sys.argv[2:]
    checked = collections.Counter()
    for pcap in pcaps:
        mos_only = pcap.startswith("mos:")
        pcap = pcap[4:] if mos_only else pcap
        name = pcap.rsplit("/", 1)[-1]
        out = subprocess.run([siphon, "analyze", "--json", pcap], capture_output=True, text=True,
                             errors="replace").stdout
        recs = [json.loads(line) for line in out.splitlines() if line.strip()]
        msgs = tshark_sip(pcap)
        for r in recs:
            streams = r["streams"] if r["type"] == "call" else [r] if r["type"] == "stream" else []
            for s in streams:
                checked["streams"] += 1
                if s["packets"] < 50 and s["mos"] is not None:
                    err(f"{name}: stream {s['ssrc']} of {s['packets']} packets has MOS {s['mos']}")
            if r["type"] != "call" or mos_only:
                continue
            cid = r["call_id"]
            fax = any(m["cid"] == cid and "image" in m["media"] and not m["media"].startswith(
                "image 0 ") for m in msgs)
            flagged = any(g["flag"] == "t38_fax" for g in r["flags"])
            if fax != (r.get("media") == "fax") or fax != flagged:
                err(f"{name}: {cid}: T.38 in SDP {fax}, media {r.get('media')}, flag {flagged}")
            if fax:
                checked["fax calls"] += 1
                if r["mos"] is not None or any(s["mos"] is not None for s in r["streams"]):
                    err(f"{name}: fax call {cid} scored MOS {r['mos']}")
            exp = expected_setup(msgs, cid)
            if exp is None:
                continue
            checked["calls"] += 1
            if r["challenges"]:
                checked["challenged calls"] += 1
            for k, v in exp.items():
                got = r.get(k)
                if (v is None) != (got is None) or (v is not None and abs(v - got) > 0.002):
                    err(f"{name}: {cid}: {k} {got}, tshark {v}")
        if mos_only:
            continue
        summ = [r for r in recs if r["type"] == "summary"][0]
        want = expected_registrations(msgs)
        if summ.get("registrations") != want:
            err(f"{name}: registrations {summ.get('registrations')}, tshark {want} "
                f"(register_requests {summ.get('register_requests')})")
        checked["registrations"] += want
    print(f"check_call_semantics: {dict(checked)}, {len(errors)} errors")
    return 1 if errors or not checked["challenged calls"] or not checked["fax calls"] else 0


if __name__ == "__main__":
    sys.exit(main())
