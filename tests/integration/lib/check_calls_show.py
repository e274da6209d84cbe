#!/usr/bin/env python3
"""check_calls_show.py - `siphon calls` and `siphon show` against what was
stored (test_calls_show.sh).

  check_calls_show.py SIPHON DSN RECORDS.ndjson TRUTH.ndjson...

RECORDS is `siphon analyze --json --messages` of the very files imported
with `analyze --store`: the call records and SIP messages the database
holds.  TRUTH are siphon-gen's truth files of the generated captures among
them: every generated call's caller, callee, addresses, state, code and
start are first checked against the records, so the expectations below
rest on the generator's truth.

calls: for every filter (time by duration and by RFC 3339, caller and
callee exact/prefix/suffix/contains/prefix+suffix, Call-ID, address and
network, each state, each code and a class, MOS threshold, combinations,
--limit) the set of calls `siphon calls --json --limit 0` returns is
exactly the set the filter selects among the records, computed here; with
--limit N they are the N newest, oldest first; the table's last line
counts them.

show: for generated, real and hostile calls, the ladder has one lane per
host in order of first appearance, one arrow per stored message of the call
in capture order, from its source lane to its destination lane, labelled
with its method or status and reason ("(SDP)" when it carries one), the
offset from the first message, "retransmission" exactly on the messages
that repeat an earlier one; --raw prints every message's text.

Every output (tables, ladders, raw messages, hostile calls included) is
checked for terminal controls: no C0 byte but newline, no DEL, no C1, no
bidi or invisible format character, well-formed UTF-8.
"""
import datetime
import json
import os
import re
import subprocess
import sys

fails = []


def fail(msg):
    fails.append("FAIL: " + msg)


def ts_of(s):
    """RFC 3339 with Z -> seconds (float), None for null."""
    if s is None:
        return None
    d = datetime.datetime.strptime(s, "%Y-%m-%dT%H:%M:%S.%fZ")
    return d.replace(tzinfo=datetime.timezone.utc).timestamp()


def rfc3339(t):
    return datetime.datetime.fromtimestamp(t, datetime.timezone.utc).strftime(
        "%Y-%m-%dT%H:%M:%S.%fZ")


def inert(raw, label):
    bad = sorted({b for b in raw if (b < 0x20 and b != 0x0A) or b == 0x7F})
    if bad:
        fail("%s: control bytes reach the terminal: %s" % (label, " ".join("%02x" % b for b in bad)))
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as e:
        fail("%s: output is not well-formed UTF-8: %s" % (label, e))
        return raw.decode("utf-8", "replace")
    c1 = sorted({ord(ch) for ch in text if 0x80 <= ord(ch) <= 0x9F})
    if c1:
        fail("%s: C1 controls reach the terminal: %s" % (label, c1))
    fmt = sorted({ord(ch) for ch in text if ch in "\u061c\u200b\u200c\u200d\u200e\u200f\u202a"
                  "\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\ufeff"})
    if fmt:
        fail("%s: bidi/format controls reach the terminal: %s" % (label, fmt))
    return text


class Siphon:
    def __init__(self, exe, dsn):
        self.exe, self.dsn = exe, dsn

    def run(self, cmd, args, label, ok=0):
        env = dict(os.environ, COLUMNS="1000")
        p = subprocess.run([self.exe, cmd, "--storage.dsn=" + self.dsn] + args,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE, env=env)
        if p.returncode != ok:
            fail("%s: exit %d (wanted %d): %s" % (label, p.returncode, ok,
                                                  p.stderr.decode("utf-8", "replace")[-400:]))
        inert(p.stderr, label + " (stderr)")
        return p.stdout


def key(c):
    return (c["call_key"], c["start_ts"])


# ---------------------------------------------------------------------------
# calls


def pattern_match(pat, v):
    if v is None:
        return False
    lead, trail = pat.startswith("*"), pat.endswith("*") and len(pat) > 1
    body = pat.strip("*")
    if "*" in body:
        pre, suf = body.split("*")
        return v.startswith(pre) and v.endswith(suf) and len(v) >= len(pre) + len(suf)
    if lead and trail:
        return body in v
    if lead:
        return v.endswith(body)
    if trail:
        return v.startswith(body)
    return v == body


def ip_match(spec, c):
    import ipaddress
    net = ipaddress.ip_network(spec, strict=False)
    return any(c.get(k) and ipaddress.ip_address(c[k]) in net for k in ("src_ip", "dst_ip"))


def check_calls(s, calls, now):
    gen = [c for c in calls if c["call_id"].endswith("@siphon-gen.test")]
    recent = [c for c in gen if ts_of(c["start_ts"]) > now - 3600]
    old = sorted((c for c in gen if ts_of(c["start_ts"]) < now - 86400), key=lambda c: c["start_ts"])
    if not recent or len(old) < 10:
        fail("the generated captures do not have calls an hour and days ago (%d, %d)" %
             (len(recent), len(old)))
        return
    a = ts_of(old[len(old) // 4]["start_ts"]) - 0.0000005
    b = ts_of(old[3 * len(old) // 4]["start_ts"]) - 0.0000005
    some = old[len(old) // 2]
    mos = sorted(c["mos"] for c in calls if c.get("mos") is not None)
    states = sorted({c["state"] for c in calls})
    codes = sorted({c["final_code"] for c in calls if c.get("final_code")})
    if len(states) < 4 or len(mos) < 5:
        fail("too few states (%s) or scored calls (%d) to test with" % (states, len(mos)))
    mos_x = round(mos[len(mos) // 2], 2) if mos else 4.0
    cr, ce = some["caller"], some["callee"]
    filters = [
        ([], lambda c: True),
        (["--since", "1h"], lambda c: ts_of(c["start_ts"]) >= now - 3600),
        (["--since", "2h", "--until", "10m"],
         lambda c: now - 7200 <= ts_of(c["start_ts"]) < now - 600),
        (["--since", rfc3339(a), "--until", rfc3339(b)], lambda c: a <= ts_of(c["start_ts"]) < b),
        (["--caller", cr], lambda c: c.get("caller") == cr),
        (["--caller", cr[:3] + "*"], lambda c: pattern_match(cr[:3] + "*", c.get("caller"))),
        (["--callee", "*" + ce[-2:]], lambda c: pattern_match("*" + ce[-2:], c.get("callee"))),
        (["--callee", "*" + ce[2:5] + "*"],
         lambda c: pattern_match("*" + ce[2:5] + "*", c.get("callee"))),
        (["--caller", cr[:2] + "*" + cr[-1:]],
         lambda c: pattern_match(cr[:2] + "*" + cr[-1:], c.get("caller"))),
        (["--call-id", some["call_id"]], lambda c: c["call_id"] == some["call_id"]),
        (["--ip", some["src_ip"]], lambda c: ip_match(some["src_ip"], c)),
        (["--ip", some["dst_ip"]], lambda c: ip_match(some["dst_ip"], c)),
        (["--ip", "10.16.0.0/16"], lambda c: ip_match("10.16.0.0/16", c)),
        (["--mos-below", str(mos_x)], lambda c: c.get("mos") is not None and c["mos"] < mos_x),
        (["--code", "4xx"], lambda c: c.get("final_code") and 400 <= c["final_code"] <= 499),
        (["--state", "answered", "--since", "1h"],
         lambda c: c["state"] == "answered" and ts_of(c["start_ts"]) >= now - 3600),
        (["--caller", cr[:1] + "*", "--ip", "10.16.0.0/12", "--code", "2xx"],
         lambda c: pattern_match(cr[:1] + "*", c.get("caller")) and ip_match("10.16.0.0/12", c)
         and c.get("final_code") and 200 <= c["final_code"] <= 299),
    ]
    filters += [(["--state", st], lambda c, st=st: c["state"] == st) for st in states]
    filters += [(["--code", str(k)], lambda c, k=k: c.get("final_code") == k) for k in codes]
    nonempty = 0
    for fi, (args, pred) in enumerate(filters):
        label = "calls " + " ".join(args)
        want = {key(c) for c in calls if pred(c)}
        out = s.run("calls", args + ["--json", "--limit", "0"], label)
        inert(out, label)
        got = [json.loads(l) for l in out.decode("utf-8", "replace").splitlines() if l.strip()]
        gotk = {key(c) for c in got}
        if len(got) != len(gotk):
            fail("%s: %d rows for %d calls (duplicates)" % (label, len(got), len(gotk)))
        if gotk != want:
            fail("%s: %d calls, wanted %d (missing %s, extra %s)" %
                 (label, len(gotk), len(want), sorted(want - gotk)[:3], sorted(gotk - want)[:3]))
        if [c["start_ts"] for c in got] != sorted(c["start_ts"] for c in got):
            fail("%s: not oldest first" % label)
        nonempty += bool(want)
        if fi % 4:
            continue
        # the table of the same search (one filter in four: the test's
        # time): one row per call and the count
        table = inert(s.run("calls", args + ["--limit", "0"], label + " (table)"), label)
        lines = table.splitlines()
        n = len(want)
        last = "%d call%s" % (n, "" if n == 1 else "s")
        if not lines or lines[-1] != last:
            fail("%s (table): last line %r, wanted %r" % (label, lines[-1:] or "", last))
        rows = [l for l in lines if re.match(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d ", l)]
        if len(rows) != n:
            fail("%s (table): %d rows for %d calls" % (label, len(rows), n))
    if nonempty < len(filters) - 2:
        fail("only %d of %d filters selected any call: the test data is too thin" %
             (nonempty, len(filters)))
    # --limit: the newest, oldest first (50 and 150 reach past the last
    # day and the last week, which are searched first)
    for lim in (3, 50, 150):
        newest = sorted(calls, key=lambda c: c["start_ts"])[-lim:]
        out = s.run("calls", ["--json", "--limit", str(lim)], "calls --limit %d" % lim)
        got = [json.loads(l) for l in out.decode().splitlines() if l.strip()]
        if [key(c) for c in got] != [key(c) for c in newest]:
            fail("calls --limit %d: %d calls %s..., wanted the newest %d %s..." %
                 (lim, len(got), [c["start_ts"] for c in got][:2], len(newest),
                  [c["start_ts"] for c in newest][:2]))
    # refusals name what was expected, and exit 2
    for args, word in [(["--since", "yesterday"], "RFC 3339"), (["--code", "99"], "final code"),
                       (["--ip", "not-an-ip"], "IP address"), (["--state", "ok"], "state"),
                       (["--caller", "a*b*c"], "middle")]:
        p = subprocess.run([s.exe, "calls", "--storage.dsn=" + s.dsn] + args,
                           stdout=subprocess.PIPE, stderr=subprocess.PIPE)
        if p.returncode != 2 or word.encode() not in p.stderr:
            fail("calls %s: exit %d, %r" % (" ".join(args), p.returncode, p.stderr[:200]))
    return len(filters)


# ---------------------------------------------------------------------------
# show


def host(ip, port):
    return ("[%s]:%d" if ":" in ip else "%s:%d") % (ip, port)


def has_sdp(text):
    """An SDP body: declared (Content-Type, compact c, or multipart), or an
    undeclared body that is one."""
    head, _, body = text.partition("\r\n\r\n")
    ctype = re.search(r"(?im)^(content-type|c)\s*:\s*(\S+)", head)
    if ctype:
        return ctype.group(2).lower().startswith(("application/sdp", "multipart/")) and "v=0" in body
    return body.startswith("v=0")


def expected_ladder(msgs):
    lanes, rows = [], []
    for i, m in enumerate(msgs):
        src, dst = host(m["src_ip"], m["src_port"]), host(m["dst_ip"], m["dst_port"])
        for h in (src, dst):
            if h not in lanes:
                lanes.append(h)
        label = m["method"] if "method" in m else "%d %s" % (m["status"], m.get("reason_phrase", ""))
        label = label.rstrip()
        if has_sdp(m.get("text", "")):
            label += " (SDP)"
        cs = m.get("cseq") or {}
        ident = (src, dst, "method" in m, m.get("method"), m.get("status"), cs.get("seq"),
                 cs.get("method"))
        retrans = any(ident == r["ident"] and m.get("text") == r["text"] for r in rows)
        rows.append({"src": lanes.index(src), "dst": lanes.index(dst), "label": label,
                     "ts": ts_of(m["ts"]), "ident": ident, "text": m.get("text"),
                     "retrans": retrans})
    return lanes, rows


def parse_ladder(text, label):
    lines = text.split("\n")
    try:
        at = next(i for i, l in enumerate(lines) if l.startswith("call flow: "))
        head = next(i for i in range(at, len(lines)) if "TIME s" in lines[i])
    except StopIteration:
        fail("%s: no ladder" % label)
        return None
    pos = [i for i, ch in enumerate(lines[head]) if ch == "|"]
    names = []
    for p in pos:
        name = None
        for l in lines[at + 1:head]:
            for m in re.finditer(r"\S+", l):
                if m.start() <= p < m.end():
                    name = m.group()
        names.append(name)
    rows = []
    for l in lines[head + 1:]:
        m = re.match(r"\s*(\d+)\s+(-?[\d.]+)\s+(-?[\d.]+)  ", l)
        if not m or "|" not in l[m.end():] and " o " not in l:
            break
        after = lambda p: l[p + 1] if p + 1 < len(l) else " "
        touch = [i for i, p in enumerate(pos) if p < len(l) and l[p] == "|" and
                 (after(p) in "-<" or l[p - 1] in "->")]
        row = {"n": int(m.group(1)), "off": float(m.group(2)), "retrans": "retransmission" in l}
        if len(touch) >= 2:
            lo, hi = touch[0], touch[-1]
            body = l[pos[lo] + 1:pos[hi]]
            row["src"], row["dst"] = (hi, lo) if body.startswith("<") else (lo, hi)
            row["label"] = body.strip("<>-")
        else:
            row["src"] = row["dst"] = None
            row["label"] = l
        rows.append(row)
    return names, rows


def check_show(s, c, msgs, label, hostile=False):
    out = s.run("show", [c["call_uuid"], "--raw"], label)
    text = inert(out, label)
    if hostile:
        if "call flow: %d message" % len(msgs) not in text:
            fail("%s: the ladder does not count %d messages" % (label, len(msgs)))
        return
    lanes, want = expected_ladder(msgs)
    parsed = parse_ladder(text, label)
    if not parsed:
        return
    names, rows = parsed
    if names != lanes:
        fail("%s: lanes %s, wanted %s" % (label, names, lanes))
    if len(rows) != len(want):
        fail("%s: %d arrows for %d messages" % (label, len(rows), len(want)))
    for k, (r, w) in enumerate(zip(rows, want)):
        where = "%s: arrow %d" % (label, k + 1)
        if r["n"] != k + 1:
            fail("%s numbered %d" % (where, r["n"]))
        if w["src"] == w["dst"]:  # to itself: a mark on its lane, the label after
            if w["label"] + " (to itself)" not in r["label"]:
                fail("%s: %r is not drawn to itself" % (where, w["label"]))
        elif (r["src"], r["dst"]) != (w["src"], w["dst"]):
            fail("%s goes %s -> %s, wanted %s -> %s" % (where, r["src"], r["dst"], w["src"], w["dst"]))
        elif r["label"] != w["label"] and not (r["label"].endswith("~") and
                                               w["label"].startswith(r["label"][:-1])):
            fail("%s says %r, wanted %r" % (where, r["label"], w["label"]))
        if abs(r["off"] - (w["ts"] - want[0]["ts"])) > 0.0011:
            fail("%s at +%.3f, wanted +%.3f" % (where, r["off"], w["ts"] - want[0]["ts"]))
        if r["retrans"] != w["retrans"]:
            fail("%s retransmission %s, wanted %s" % (where, r["retrans"], w["retrans"]))
    # --raw: every message's text after its header, line by line
    for k, m in enumerate(msgs):
        if "--- %d  %s  %s -> %s" % (k + 1, m["ts"], host(m["src_ip"], m["src_port"]),
                                     host(m["dst_ip"], m["dst_port"])) not in text:
            fail("%s: no raw header for message %d" % (label, k + 1))
        body = m.get("text", "")
        if body.isascii() and "\\" not in body and all(0x20 <= ord(ch) < 0x7f or ch in "\r\n"
                                                      for ch in body):
            lines = "\n".join(l for l in body.replace("\r\n", "\n").split("\n"))
            if lines.rstrip("\n") not in text:
                fail("%s: message %d's text is not shown as it is" % (label, k + 1))
    return len(rows)


def main():
    exe, dsn, records = sys.argv[1:4]
    truths = sys.argv[4:]
    now = datetime.datetime.now(datetime.timezone.utc).timestamp()
    s = Siphon(exe, dsn)
    calls, msgs = [], {}
    for l in open(records, encoding="utf-8"):
        o = json.loads(l)
        if o.get("type") == "call":
            calls.append(o)
        elif o.get("type") == "sip_message" and o.get("call_key"):
            msgs.setdefault(o["call_key"], []).append(o)
    for ms in msgs.values():
        ms.sort(key=lambda m: (m["ts"], m["frame"]))
    bykey = {key(c): c for c in calls}
    # the generator's truth, as stored
    tcount = 0
    for path in truths:
        for l in open(path):
            t = json.loads(l)
            if t.get("type") != "call":
                continue
            tcount += 1
            r = next((c for c in calls if c["call_id"] == t["call_id"]), None)
            if r is None:
                fail("truth call %s has no record" % t["call_id"])
                continue
            for f in ("caller", "callee", "state", "final_code", "start_ts", "src_ip", "dst_ip"):
                if r.get(f) != t.get(f):
                    fail("call %s: %s %r in the records, %r in the truth" %
                         (t["call_id"], f, r.get(f), t.get(f)))
    # the stored calls are the records
    out = s.run("calls", ["--json", "--limit", "0"], "calls (all)")
    stored = [json.loads(l) for l in out.decode().splitlines() if l.strip()]
    if {key(c) for c in stored} != set(bykey):
        fail("stored calls differ from the records: %d vs %d" % (len(stored), len(bykey)))
    nf = check_calls(s, calls, now)
    # show: generated answered and failed calls, real ones, hostile ones
    uuid = {key(c): c["call_uuid"] for c in stored}
    shown = 0
    def plain(c):
        return all(isinstance(c.get(f), (str, type(None))) and
                   all(0x20 <= ord(ch) < 0x7f for ch in (c.get(f) or ""))
                   for f in ("call_id", "caller", "callee", "user_agent", "from_uri", "to_uri"))

    gen = [c for c in calls if c["call_id"].endswith("@siphon-gen.test")]
    picks = []
    for st in ("answered", "busy", "cancelled", "rejected"):
        picks += [c for c in gen if c["state"] == st][:1]
    real = [c for c in calls if not c["call_id"].endswith("@siphon-gen.test") and plain(c)]
    # every IPv6 call and one real call in four (the test's time)
    real = [c for k, c in enumerate(real) if k % 6 == 0 or ":" in (c.get("src_ip") or "")]
    hostile = [c for c in calls if not plain(c)]
    if not hostile:
        fail("no hostile call was imported")
    for c in picks + real + hostile:
        bad = not plain(c)
        u = uuid.get(key(c))
        if not u:
            fail("no stored call for %r" % c["call_id"])
            continue
        label = "show %s" % ("(hostile)" if bad else c["call_id"][:48])
        shown += 1
        check_show(s, dict(c, call_uuid=u), msgs.get(c["call_key"], []), label, hostile=bad)
    # by Call-ID too, and an unknown one
    if gen:
        out = s.run("show", [gen[0]["call_id"]], "show by Call-ID")
        if gen[0]["call_id"] not in out.decode():
            fail("show by Call-ID: the call is not shown")
    s.run("show", ["no-such-call\x1b[2J"], "show unknown", ok=1)
    print("calls: %d stored, %d truth calls, %d filters; show: %d calls, %d of them real" %
          (len(stored), tcount, nf or 0, shown, len(real)))
    for f in fails[:40]:
        print(f)
    return 1 if fails else 0


if __name__ == "__main__":
    sys.exit(main())
