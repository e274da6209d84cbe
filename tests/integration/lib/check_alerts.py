#!/usr/bin/env python3
"""check_alerts.py - reads `siphon analyze --alerts --json` output and a
capture, and checks one expectation about the alerts.

  check_alerts.py ALERTS.ndjson CAPTURE TYPE SRC_IP [--max-latency S]
                  [--evidence KEY=VALUE ...] [--summary-has TEXT]
                  [--latency-out FILE]

TYPE SRC_IP: an incident of alert_type TYPE whose src_ip is SRC_IP must
have been opened.  Its latency is the packet time of its open alert
(last_ts) minus the first packet the source sent (read from the capture
with tshark, independent of siphon); it must be <= --max-latency.
--evidence KEY=VALUE: the evidence of the incident's last alert has KEY
(dotted path) equal to VALUE (JSON-decoded when possible; "KEY>=N" for a
lower bound).  Every alert line must be valid JSON with the contract's
fields.  Prints the latency; appends "TYPE SRC latency" to --latency-out.
"""
import json
import subprocess
import sys

FIELDS = ["type", "alert_type", "severity", "phase", "incident_id", "src_ip", "src_port",
          "dst_ip", "dst_port", "target_user", "first_ts", "last_ts", "count", "summary",
          "evidence"]


def ts(s):
    from datetime import datetime
    return datetime.strptime(s.replace("Z", "+0000"), "%Y-%m-%dT%H:%M:%S.%f%z").timestamp()


def dig(obj, path):
    for k in path.split("."):
        obj = obj[k]
    return obj


def main():
    args = sys.argv[1:]
    path, cap, typ, src = args[:4]
    max_lat, evidence, summary_has, lat_out = None, [], [], None
    i = 4
    while i < len(args):
        if args[i] == "--max-latency":
            max_lat = float(args[i + 1]); i += 2
        elif args[i] == "--evidence":
            evidence.append(args[i + 1]); i += 2
        elif args[i] == "--summary-has":
            summary_has.append(args[i + 1]); i += 2
        elif args[i] == "--latency-out":
            lat_out = args[i + 1]; i += 2
        else:
            sys.exit("unknown option " + args[i])
    alerts = []
    for line in open(path):
        r = json.loads(line)
        if r.get("type") != "alert":
            continue
        missing = [f for f in FIELDS if f not in r]
        assert not missing, "alert without %s: %s" % (missing, line)
        assert r["incident_id"] != "0" and r["phase"] in ("open", "update", "closed"), line
        alerts.append(r)
    mine = [a for a in alerts if a["alert_type"] == typ and a["src_ip"] == src]
    if not mine:
        sys.exit("FAIL: no %s alert from %s; alerts: %s" % (
            typ, src, sorted({(a["alert_type"], a["src_ip"]) for a in alerts})))
    opened = [a for a in mine if a["phase"] == "open"]
    assert opened, "no open phase for %s from %s" % (typ, src)
    first = opened[0]
    same = [a for a in mine if a["incident_id"] == first["incident_id"]]
    assert same[-1]["phase"] == "closed", "incident not closed at the end: %s" % same[-1]
    out = subprocess.run(["tshark", "-n", "-r", cap, "-Y", "ip.src==%s" % src, "-T", "fields",
                          "-e", "frame.time_epoch", "-c", "1"], capture_output=True, text=True)
    start = float(out.stdout.split()[0])
    latency = ts(first["last_ts"]) - start
    if -0.0005 < latency < 0:  # the same packet: epoch text vs ns rounding
        latency = 0.0
    print("%s from %s: opened %.3f s after the source's first packet (%s)" % (
        typ, src, latency, first["summary"]))
    if lat_out:
        with open(lat_out, "a") as f:
            f.write("%s %s %.3f\n" % (typ, src, latency))
    if max_lat is not None:
        assert latency <= max_lat, "latency %.3f s > %.3f s" % (latency, max_lat)
    last = same[-1]
    for e in evidence:
        if ">=" in e:
            k, v = e.split(">=", 1)
            got = dig(last["evidence"], k)
            assert got >= float(v), "evidence %s = %r, want >= %s" % (k, got, v)
            continue
        k, v = e.split("=", 1)
        try:
            v = json.loads(v)
        except ValueError:
            pass
        got = dig(last["evidence"], k)
        if isinstance(got, list):
            assert v in got or str(v) in got, "evidence %s = %r, want it to hold %r" % (k, got, v)
        else:
            assert got == v, "evidence %s = %r, want %r" % (k, got, v)
    for t in summary_has:
        assert t in last["summary"], "summary %r lacks %r" % (last["summary"], t)


if __name__ == "__main__":
    main()
