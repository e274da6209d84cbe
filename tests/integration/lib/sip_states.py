#!/usr/bin/env python3
"""sip_states.py - derives each INVITE dialog's outcome from tshark's SIP
dissection and checks siphon's call states against it.

  sip_states.py [--label NAME] [--expect CALLID_PREFIX=STATE ...] PCAP SIPHON.ndjson

tshark (`-Y sip -T fields`) lists every SIP message with its Call-ID,
method, status code and CSeq method, TCP reassembled and fragments
rebuilt.  A deliberately simple, independent rule set then names the
outcome of every Call-ID that has an INVITE:
  answered   a 2xx answered an INVITE;
  cancelled  else a CANCEL was sent or a 487 received;
  busy       else the last final response to an INVITE was 486 or 600;
  rejected   else some final response >= 300 to an INVITE other than an
             authentication challenge (401/407, which the caller answers
             with a new INVITE);
  unanswered otherwise (no final response in the capture).
siphon must report every such Call-ID as a call with that state, and for
rejected and busy calls final_code must be the last such response.
--expect pins a state by hand as well (a second opinion on the rule set).
"""
import argparse
import json
import subprocess
import sys


def tshark_dialogs(pcap):
    cmd = ["tshark", "-n", "-r", pcap, "-Y", "sip", "-T", "fields", "-E", "aggregator=|",
           "-E", "occurrence=a", "-e", "sip.Call-ID", "-e", "sip.Method",
           "-e", "sip.Status-Code", "-e", "sip.CSeq.method"]
    out = subprocess.run(cmd, check=True, capture_output=True, text=True).stdout
    calls = {}
    for line in out.splitlines():
        f = line.split("\t")
        f += [""] * (4 - len(f))
        cids, methods, codes, cmeth = (x.split("|") for x in f[:4])
        # one frame may carry several messages (TCP); each has a Call-ID and
        # a CSeq method; a request has a Method, a response a Status-Code
        mi = ci = 0
        for i, cid in enumerate(cids):
            if not cid:
                continue
            cm = cmeth[i] if i < len(cmeth) else ""
            # a message is a request when its CSeq method matches the next
            # unread request method
            if mi < len(methods) and methods[mi] and methods[mi] == cm:
                ev = ("req", methods[mi], 0, cm)
                mi += 1
            elif ci < len(codes) and codes[ci]:
                ev = ("resp", "", int(codes[ci]), cm)
                ci += 1
            else:
                continue
            calls.setdefault(cid, []).append(ev)
    return calls


def outcome(events):
    if not any(k == "req" and m == "INVITE" for k, m, _, _ in events):
        return None, None
    finals = [c for k, _, c, cm in events if k == "resp" and cm == "INVITE" and c >= 200]
    if any(200 <= c < 300 for c in finals):
        return "answered", 200
    if any(k == "req" and m == "CANCEL" for k, m, _, _ in events) or 487 in finals:
        return "cancelled", None
    real = [c for c in finals if c >= 300 and c not in (401, 407)]
    if real and real[-1] in (486, 600):
        return "busy", real[-1]
    if real:
        return "rejected", real[-1]
    return "unanswered", None


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--label", default="sip-states")
    ap.add_argument("--expect", action="append", default=[])
    ap.add_argument("--min-calls", type=int, default=1)
    ap.add_argument("pcap")
    ap.add_argument("siphon")
    a = ap.parse_args()
    got = {}
    with open(a.siphon) as f:
        for line in f:
            if line.strip():
                o = json.loads(line)
                if o.get("type") == "call":
                    got[o["call_id"]] = o
    want = {}
    for cid, ev in tshark_dialogs(a.pcap).items():
        st, code = outcome(ev)
        if st:
            want[cid] = (st, code)
    bad = []
    if len(want) < a.min_calls:
        bad.append("tshark shows %d INVITE dialogs, expected at least %d" % (len(want), a.min_calls))
    for e in a.expect:
        prefix, st = e.split("=", 1)
        hits = [c for c in want if c.startswith(prefix)]
        if not hits:
            bad.append("no dialog with Call-ID prefix %s" % prefix)
        for c in hits:
            if want[c][0] != st:
                bad.append("rule set says %s for %s, hand check says %s" % (want[c][0], c, st))
    for cid, (st, code) in sorted(want.items()):
        g = got.get(cid)
        if g is None:
            bad.append("call %s (%s) not reported" % (cid, st))
            continue
        if g.get("state") != st:
            bad.append("call %s state: tshark-derived %s, siphon %r (final %r)" %
                       (cid, st, g.get("state"), g.get("final_code")))
        elif code and st in ("rejected", "busy") and g.get("final_code") != code:
            bad.append("call %s final_code: tshark-derived %d, siphon %r" % (cid, code, g.get("final_code")))
    for m in bad:
        print("%s: %s" % (a.label, m))
    if bad:
        print("%s: FAIL: %d differences over %d dialogs" % (a.label, len(bad), len(want)))
        return 1
    print("%s: ok: %d dialogs (%s)" % (a.label, len(want),
                                       ", ".join(sorted("%s=%s" % (c[:12], s) for c, (s, _) in want.items()))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
