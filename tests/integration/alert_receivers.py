#!/usr/bin/env python3
"""alert_receivers.py - SIEM receivers for the alert sink test, and the checker.

  serve --dir D --cert C --key K --untrusted-cert C2 --untrusted-key K2
        --secret S --token T --late SECONDS --timeout SECONDS
      Listens on loopback (ports chosen by the kernel, written to D/ports.json):
      syslog over UDP, TCP and TLS (octet counting, RFC 6587 / RFC 5425; one
      TLS receiver requires a client certificate from the CA), an
      HTTPS webhook that verifies X-Siphon-Signature (HMAC-SHA256 over
      "timestamp.body") and the timestamp's age, and a Splunk HEC endpoint
      that checks "Authorization: Splunk <token>".  Receivers named *late
      bind only --late seconds after D/go appears (a SIEM that is down when
      the alerts are published, then comes up).
      Every record is appended to D/<receiver>.jsonl; serving ends when
      D/stop appears or after --timeout.

  check --dir D --count N --driver STATS.json
      Rebuilds alert i as tests/tools/alert_sink_driver.c makes it, applies
      each format's escaping rules independently of siphon's code, parses
      every received RFC 5424, CEF and LEEF record, webhook body, HEC event
      and ECS line, and compares field by field; then the driver's counters.
"""
import argparse
import hashlib
import hmac
import http.server
import ipaddress
import json
import os
import re
import socket
import ssl
import sys
import threading
import time
import unicodedata

HOSTILE = b'x"y|z=w\\v]u[t{q}\nn\rr\tb\xff\xc2\x85\xe2\x80\xae end'

# name -> (transport, late)
RECEIVERS = {
    "udp5424": ("udp", False), "udpcef": ("udp", False), "udpleef": ("udp", False),
    "tcpleef": ("tcp", False), "tls5424": ("tls", False), "tlscef": ("tls", False),
    "tcplate": ("tcp", True), "webhooklate": ("webhook", True), "hec": ("hec", False),
    "untrusted": ("tls-untrusted", False), "webhookbad": ("webhook", False),
    "blackhole": ("blackhole", False), "tlsmutual": ("tls-mutual", False),
}

lock = threading.Lock()


def record(d, name, obj):
    with lock:
        with open(os.path.join(d, name + ".jsonl"), "a") as f:
            f.write(json.dumps(obj) + "\n")


def octet_frames(conn, d, name):
    buf = b""
    while True:
        try:
            chunk = conn.recv(65536)
        except (OSError, ssl.SSLError):
            break
        if not chunk:
            break
        buf += chunk
        while True:
            sp = buf.find(b" ")
            if sp < 0:
                break
            n = int(buf[:sp])
            if len(buf) < sp + 1 + n:
                break
            record(d, name, {"msg": buf[sp + 1:sp + 1 + n].decode("latin-1")})
            buf = buf[sp + 1 + n:]
    conn.close()


def serve_stream(sock, d, name, ctx):
    while True:
        try:
            conn, _ = sock.accept()
        except OSError:
            return
        if ctx:
            try:
                conn = ctx.wrap_socket(conn, server_side=True)
            except (ssl.SSLError, OSError) as e:
                record(d, name + "_handshake", {"error": str(e)})
                conn.close()
                continue
        threading.Thread(target=octet_frames, args=(conn, d, name), daemon=True).start()


def serve_blackhole(sock):
    """Accepts connections and never reads or answers: a TLS handshake with
    it hangs until the client's timeout."""
    held = []
    while True:
        try:
            held.append(sock.accept()[0])
        except OSError:
            return


def serve_udp(sock, d, name):
    while True:
        try:
            data = sock.recv(65536)
        except OSError:
            return
        record(d, name, {"msg": data.decode("latin-1")})


def http_handler(d, name, kind, secret, token):
    class H(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        wbufsize = 1 << 16  # the answer in one segment (no Nagle / delayed-ACK stall)

        def log_message(self, *a):
            pass

        def reply(self, code, body):
            self.send_response(code)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self):
            body = self.rfile.read(int(self.headers.get("Content-Length", "0")))
            if kind == "webhook":
                ts = self.headers.get("X-Siphon-Timestamp", "")
                sig = self.headers.get("X-Siphon-Signature", "")
                want = "sha256=" + hmac.new(secret, ts.encode() + b"." + body,
                                            hashlib.sha256).hexdigest()
                fresh = ts.isdigit() and abs(time.time() - int(ts)) < 300
                ok = hmac.compare_digest(sig, want) and fresh
                record(d, name, {"ok": ok, "path": self.path, "body": body.decode("latin-1"),
                                 "ctype": self.headers.get("Content-Type")})
                return self.reply(200 if ok else 401, b'{"ok":true}' if ok else b'{"error":"signature"}')
            auth = self.headers.get("Authorization", "")
            ok = auth == "Splunk " + token
            record(d, name, {"ok": ok, "path": self.path, "body": body.decode("latin-1")})
            if not ok:
                return self.reply(401, b'{"text":"Invalid authorization","code":3}')
            self.reply(200, b'{"text":"Success","code":0}')
    return H


def serve(a):
    d = a.dir
    secret = open(a.secret, "rb").read().strip()
    token = open(a.token).read().strip()
    ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    ctx.load_cert_chain(a.cert, a.key)
    bad_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    bad_ctx.load_cert_chain(a.untrusted_cert, a.untrusted_key)
    mutual_ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)  # wants a client certificate
    mutual_ctx.load_cert_chain(a.cert, a.key)
    mutual_ctx.verify_mode = ssl.CERT_REQUIRED
    mutual_ctx.load_verify_locations(a.ca)
    ports, starters = {}, []
    for name, (kind, late) in RECEIVERS.items():
        udp = kind == "udp"
        s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if udp else socket.SOCK_STREAM)
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        s.bind(("127.0.0.1", 0))
        ports[name] = s.getsockname()[1]
        if late:  # the port is known now; nothing listens on it until later
            s.close()

        def start(name=name, kind=kind, late=late, s=s):
            if late:
                s = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
                s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                s.bind(("127.0.0.1", ports[name]))
            if kind == "udp":
                target, args = serve_udp, (s, d, name)
            elif kind == "blackhole":
                s.listen(16)
                target, args = serve_blackhole, (s,)
            elif kind in ("tcp", "tls", "tls-untrusted", "tls-mutual"):
                s.listen(16)
                c = {"tcp": None, "tls": ctx, "tls-untrusted": bad_ctx, "tls-mutual": mutual_ctx}[kind]
                target, args = serve_stream, (s, d, name, c)
            else:
                s.listen(16)
                srv = http.server.ThreadingHTTPServer(("127.0.0.1", ports[name]),
                                                      http_handler(d, name, kind, secret, token),
                                                      bind_and_activate=False)
                srv.socket.close()
                srv.socket = ctx.wrap_socket(s, server_side=True)
                srv.daemon_threads = True
                target, args = srv.serve_forever, ()
            threading.Thread(target=target, args=args, daemon=True).start()
        starters.append((late, start))
    for late, start in starters:
        if not late:
            start()
    with open(os.path.join(d, "ports.json.tmp"), "w") as f:
        json.dump(ports, f)
    os.rename(os.path.join(d, "ports.json.tmp"), os.path.join(d, "ports.json"))
    t0, go = time.time(), None
    late_started = False
    while time.time() - t0 < a.timeout and not os.path.exists(os.path.join(d, "stop")):
        if go is None and os.path.exists(os.path.join(d, "go")):
            go = time.time()  # the test starts publishing now
        if not late_started and go is not None and time.time() - go >= a.late:
            for late, start in starters:
                if late:
                    start()
            late_started = True
            open(os.path.join(d, "late_up"), "w").close()
        time.sleep(0.05)


# ---- the checker ------------------------------------------------------------

TYPES = ["flood", "distribution_anomaly", "scanner", "enumeration", "bruteforce", "toll_fraud",
         "spit", "quality"]
SEVS = ["info", "low", "medium", "high", "critical"]
PHASES = ["open", "update", "closed"]
TITLES = ["SIP request flood", "SIP traffic distribution anomaly", "SIP scanner",
          "SIP extension enumeration", "SIP password guessing", "Toll fraud",
          "Spam over IP telephony", "Voice quality degradation"]
SEV10 = [1, 3, 5, 8, 10]
SEV_SYSLOG = [6, 5, 4, 3, 2]


def alert(i):
    src = "2001:db8::%x" % i if i % 4 == 3 else "198.51.100.%d" % (i % 250 + 1)
    h = HOSTILE
    return {
        "type": TYPES[i % 8], "severity": SEVS[i % 5], "sev10": SEV10[i % 5],
        "sevsys": SEV_SYSLOG[i % 5], "phase": PHASES[i % 3], "incident": 1000 + i,
        "src": str(ipaddress.ip_address(src)), "v6": i % 4 == 3, "spt": 5060 + i,
        "dst": "203.0.113.5", "dpt": 5060, "first": 1765000000 + i,
        "last": 1765000000 + i + 1.5, "count": 10 * i + 1,
        "user": b"u%d" % i + h, "summary": b"alert %d: User-Agent " % i + h, "ua": h,
        "title": TITLES[i % 8],
    }


def clean(b, drop_controls=False, keep=""):
    """The text a SIEM gets back after unescaping: ill-formed UTF-8 as U+FFFD,
    controls and format characters as U+FFFD (or removed), except `keep`."""
    out = []
    for ch in b.decode("utf-8", "replace"):
        if ch not in keep and (unicodedata.category(ch) in ("Cc", "Cf")):
            if not drop_controls:
                out.append("\ufffd")
        else:
            out.append(ch)
    return "".join(out)


def rfc3339(t):
    s = int(t)
    us = round((t - s) * 1e6)
    return time.strftime("%Y-%m-%dT%H:%M:%S", time.gmtime(s)) + ".%06dZ" % us


def leef_time(t):
    s = int(t)
    return time.strftime("%b %d %Y %H:%M:%S", time.gmtime(s)) + ".%03d UTC" % round((t - s) * 1000)


class Fail(Exception):
    pass


def eq(what, got, want):
    if got != want:
        raise Fail("%s: got %r, want %r" % (what, got, want))


def parse_5424(m):
    r = re.match(r"<(\d+)>1 (\S+) (\S+) (\S+) (\S+) (\S+) ", m)
    if not r:
        raise Fail("not RFC 5424: %r" % m[:80])
    hdr = {"pri": int(r.group(1)), "ts": r.group(2), "host": r.group(3), "app": r.group(4),
           "procid": r.group(5), "msgid": r.group(6)}
    p = r.end()
    sd = {}
    if m[p] == "-":
        p += 1
    else:
        if m[p] != "[":
            raise Fail("no SD at %r" % m[p:p + 20])
        p += 1
        sp = m.index(" ", p)
        hdr["sdid"] = m[p:sp]
        p = sp
        while m[p] == " ":
            r = re.compile(r' ([!#-~]+?)="').match(m, p)
            if not r:
                raise Fail("bad SD-PARAM at %r" % m[p:p + 30])
            name, p, val = r.group(1), r.end(), []
            while m[p] != '"':
                if m[p] == "\\" and m[p + 1] in '"\\]':
                    val.append(m[p + 1])
                    p += 2
                else:
                    if m[p] in '"]':
                        raise Fail("unescaped %r in SD value" % m[p])
                    val.append(m[p])
                    p += 1
            sd[name] = "".join(val)
            p += 1
        if m[p] != "]":
            raise Fail("SD not closed at %r" % m[p:p + 20])
        p += 1
    msg = m[p + 1:] if p < len(m) and m[p] == " " else ""
    if p < len(m) and m[p] != " ":
        raise Fail("garbage after SD: %r" % m[p:p + 20])
    return hdr, sd, msg


def parse_cef(m):
    if not m.startswith("CEF:0|"):
        raise Fail("not CEF: %r" % m[:40])
    fields, cur, p = [], [], 4
    while len(fields) < 7:
        p += 1
        c = m[p]
        if c == "\\" and m[p + 1] in "|\\":
            cur.append(m[p + 1])
            p += 1
        elif c == "|":
            fields.append("".join(cur))
            cur = []
        else:
            cur.append(c)
    ext = m[p + 1:]
    # unescaped '=' separate keys; a key is the word before it
    eqs, k = [], 0
    while k < len(ext):
        if ext[k] == "\\":
            k += 2
            continue
        if ext[k] == "=":
            eqs.append(k)
        k += 1
    out = {}
    for n, e in enumerate(eqs):
        ks = ext.rfind(" ", 0, e) + 1
        key = ext[ks:e]
        end = (ext.rfind(" ", 0, eqs[n + 1])) if n + 1 < len(eqs) else len(ext)
        raw = ext[e + 1:end]
        val, j = [], 0
        while j < len(raw):
            if raw[j] == "\\" and j + 1 < len(raw):
                val.append({"n": "\n", "r": "\r"}.get(raw[j + 1], raw[j + 1]))
                j += 2
            else:
                val.append(raw[j])
                j += 1
        if not re.fullmatch(r"[A-Za-z0-9_]+", key):
            raise Fail("bad CEF key %r" % key)
        out[key] = "".join(val)
    return fields, out


def parse_leef(m, delim):
    parts = m.split("|", 6)
    if parts[0] != "LEEF:2.0" or len(parts) != 7:
        raise Fail("not LEEF 2.0: %r" % m[:40])
    dfield = parts[5]
    d = chr(int(dfield[1:], 16)) if len(dfield) == 3 and dfield[0] == "x" else dfield
    eq("LEEF delimiter field", d, delim)
    attrs = {}
    for a in parts[6].split(d):
        k, _, v = a.partition("=")
        if k in attrs or not re.fullmatch(r"[A-Za-z0-9_]+", k):
            raise Fail("bad or repeated LEEF key %r" % k)
        attrs[k] = v
    return parts[:5], attrs


def parsed(m):
    """A raw message, or what rsyslog parsed of one (hdr, sd, msg)."""
    return parse_5424(m) if isinstance(m, str) else m


def check_5424(recs, n):
    for i, m in enumerate(recs):
        a = alert(i)
        hdr, sd, msg = parsed(m)
        eq("pri", hdr["pri"], 13 * 8 + a["sevsys"])
        if hdr["ts"] is not None:
            eq("timestamp", hdr["ts"], rfc3339(a["last"]))
        eq("host", hdr["host"], "siphon-test")
        eq("app", hdr["app"], "siphon")
        eq("msgid", hdr["msgid"], a["type"])
        eq("sdid", hdr["sdid"], "siphon@32473")
        want = {"alert_type": a["type"], "severity": a["severity"], "phase": a["phase"],
                "incident_id": str(a["incident"]), "src_ip": a["src"], "src_port": str(a["spt"]),
                "dst_ip": a["dst"], "dst_port": str(a["dpt"]), "target_user": clean(a["user"]),
                "first_ts": rfc3339(a["first"]), "last_ts": rfc3339(a["last"]),
                "count": str(a["count"])}
        for k, v in want.items():
            eq("5424 #%d %s" % (i, k), sd.get(k), v)
        ev = json.loads(sd["evidence"])
        eq("5424 evidence", ev, {"i": i, "user_agent": HOSTILE.decode("utf-8", "replace")})
        eq("5424 msg", msg, clean(a["summary"]))
    eq("5424 records", len(recs), n)


def strip_syslog(m):
    hdr, sd, msg = parsed(m)
    if sd:
        raise Fail("CEF/LEEF record with structured data")
    return hdr, msg


def check_cef(recs, n):
    for i, m in enumerate(recs):
        a = alert(i)
        hdr, body = strip_syslog(m)
        eq("cef msgid", hdr["msgid"], a["type"])
        f, ext = parse_cef(body)
        eq("CEF header", f[1:], ["siphon", "siphon", f[3], a["type"], a["title"], str(a["sev10"])])
        want = {"rt": str(int(a["last"] * 1000)), "start": str(a["first"] * 1000),
                "end": str(int(a["last"] * 1000)), "cat": a["type"],
                "externalId": str(a["incident"]), "cnt": str(a["count"]),
                "duser": clean(a["user"], keep="\r\n"), "cs2Label": "phase", "cs2": a["phase"],
                "cs1Label": "evidence", "msg": clean(a["summary"], keep="\r\n"),
                "dst": a["dst"], "dpt": str(a["dpt"]), "spt": str(a["spt"])}
        if a["v6"]:
            want.update({"c6a2": a["src"], "c6a2Label": "Source IPv6 Address"})
        else:
            want["src"] = a["src"]
        for k, v in want.items():
            eq("CEF #%d %s" % (i, k), ext.get(k), v)
        eq("CEF keys", set(ext), set(want) | {"cs1"})
        eq("CEF evidence", json.loads(ext["cs1"])["user_agent"], HOSTILE.decode("utf-8", "replace"))
    eq("CEF records", len(recs), n)


def check_leef(recs, n, delim):
    for i, m in enumerate(recs):
        a = alert(i)
        hdr, body = strip_syslog(m)
        h, at = parse_leef(body, delim)
        eq("LEEF header", [h[1], h[2], h[4]], ["siphon", "siphon", a["type"]])
        want = {"cat": a["type"], "devTimeFormat": "MMM dd yyyy HH:mm:ss.SSS z",
                "devTime": leef_time(a["last"]), "sev": str(a["sev10"]), "src": a["src"],
                "srcPort": str(a["spt"]), "dst": a["dst"], "dstPort": str(a["dpt"]),
                "usrName": clean(a["user"].replace(delim.encode(), b""), drop_controls=True),
                "incidentId": str(a["incident"]), "phase": a["phase"], "count": str(a["count"]),
                "startTime": leef_time(a["first"]),
                "msg": clean(a["summary"].replace(delim.encode(), b""), drop_controls=True)}
        for k, v in want.items():
            eq("LEEF #%d %s" % (i, k), at.get(k), v)
        eq("LEEF keys", set(at), set(want) | {"evidence"})
        ev = json.loads(at["evidence"])
        eq("LEEF evidence", ev["i"], i)
    eq("LEEF records", len(recs), n)


def check_contract(obj, i, what):
    a = alert(i)
    want = {"type": "alert", "alert_type": a["type"], "severity": a["severity"],
            "phase": a["phase"], "incident_id": a["incident"], "src_ip": a["src"],
            "src_port": a["spt"], "dst_ip": a["dst"], "dst_port": a["dpt"],
            "target_user": a["user"].decode("utf-8", "replace"), "first_ts": rfc3339(a["first"]),
            "last_ts": rfc3339(a["last"]), "count": a["count"]}
    for k, v in want.items():
        eq("%s #%d %s" % (what, i, k), obj.get(k), v)


def check_webhook(recs, n):
    good = [r for r in recs if r["ok"]]
    eq("webhook bad signatures", len(recs) - len(good), 0)
    for i, r in enumerate(good):
        eq("webhook path", r["path"], "/hook/in")
        eq("webhook content type", r["ctype"], "application/json")
        check_contract(json.loads(r["body"].encode("latin-1").decode("utf-8")), i, "webhook")
    eq("webhook records", len(good), n)


def check_hec(recs, n):
    events = []
    for r in recs:
        eq("hec auth", r["ok"], True)
        eq("hec path", r["path"], "/services/collector/event")
        dec, body, p = json.JSONDecoder(), r["body"].encode("latin-1").decode("utf-8"), 0
        while p < len(body):
            while p < len(body) and body[p] in " \n":
                p += 1
            if p < len(body):
                o, p = dec.raw_decode(body, p)
                events.append(o)
    for i, e in enumerate(events):
        a = alert(i)
        eq("hec time", e["time"], a["last"])
        eq("hec host", e["host"], "siphon-test")
        eq("hec source", e["source"], "siphon")
        eq("hec sourcetype", e["sourcetype"], "_json")
        eq("hec index", e["index"], "voip")
        check_contract(e["event"], i, "hec")
    eq("hec events", len(events), n)


def check_ecs(path, n):
    lines = open(path, encoding="utf-8").read().splitlines()
    for i, line in enumerate(lines):
        a, e = alert(i), json.loads(line)
        eq("ecs @timestamp", e["@timestamp"], rfc3339(a["last"]))
        eq("ecs kind", e["event"]["kind"], "alert")
        eq("ecs category", e["event"]["category"], ["network", "intrusion_detection"])
        eq("ecs action", e["event"]["action"], a["type"])
        eq("ecs severity", e["event"]["severity"], a["sev10"])
        eq("ecs rule", e["rule"], {"id": "siphon." + a["type"], "name": a["title"]})
        eq("ecs source", e["source"], {"ip": a["src"], "port": a["spt"]})
        eq("ecs destination", e["destination"], {"ip": a["dst"], "port": a["dpt"]})
        eq("ecs protocol", e["network"]["protocol"], "sip")
        eq("ecs user", e["user"]["target"]["name"], a["user"].decode("utf-8", "replace"))
        eq("ecs message", e["message"], a["summary"].decode("utf-8", "replace"))
        s = e["siphon"]["alert"]
        eq("ecs siphon", [s["incident_id"], s["phase"], s["count"]],
           [a["incident"], a["phase"], a["count"]])
        eq("ecs evidence", s["evidence"]["user_agent"], HOSTILE.decode("utf-8", "replace"))
    eq("ecs lines", len(lines), n)


def rsyslog_records(d, name):
    """rsyslogd's own parse of what it received (its JSON template): the
    header fields, the structured data as rsyslog extracted it (parsed
    here as an SD element), the message."""
    out = []
    for r in load(d, name):
        hdr = {"pri": int(r["pri"]), "ts": None, "host": r["host"], "app": r["app"],
               "procid": r["procid"], "msgid": r["msgid"]}
        sd = {}
        if r["sd"] != "-":
            h, sd, rest = parse_5424("<0>1 - - - - - " + r["sd"])
            if rest:
                raise Fail("rsyslog's structured data has a tail: %r" % rest[:40])
            hdr["sdid"] = h["sdid"]
        out.append((hdr, sd, r["msg"]))
    return out


def load(d, name):
    p = os.path.join(d, name + ".jsonl")
    return [json.loads(l) for l in open(p)] if os.path.exists(p) else []


def check(a):
    d, n = a.dir, a.count
    stats = json.load(open(a.driver))
    msgs = lambda name: [r["msg"].encode("latin-1").decode("utf-8") for r in load(d, name)]
    errors = []

    def run(what, f, *args):
        try:
            f(*args)
            print("ok   %s" % what)
        except (Fail, KeyError, ValueError, IndexError) as e:
            errors.append("%s: %s" % (what, e))
            print("FAIL %s: %s" % (what, e))

    run("syslog+udp rfc5424", check_5424, msgs("udp5424"), n)
    run("syslog+udp cef", check_cef, msgs("udpcef"), n)
    run("syslog+udp leef (TAB)", check_leef, msgs("udpleef"), n, "\t")
    run("syslog+tcp leef (^)", check_leef, msgs("tcpleef"), n, "^")
    run("syslog+tls rfc5424", check_5424, msgs("tls5424"), n)
    run("syslog+tls cef (by name)", check_cef, msgs("tlscef"), n)
    run("syslog+tcp late receiver", check_5424, msgs("tcplate"), n)
    run("syslog+tls with a client certificate (mutual TLS)", check_5424, msgs("tlsmutual"), n)
    run("webhook (late, HMAC)", check_webhook, load(d, "webhooklate"), n)
    run("hec", check_hec, load(d, "hec"), n)
    run("ecs file", check_ecs, os.path.join(d, "alerts.json"), n)

    def counters():
        eq("published", stats["published"], n)
        for s in stats["sinks"]:
            eq(s["name"] + " queued/sent/dropped/depth",
               [s["queued"], s["sent"], s["dropped"], s["depth"]], [n, n, 0, 0])
            late = ":%d" % json.load(open(os.path.join(d, "ports.json")))["tcplate"] in s["name"] \
                or "/hook/in" in s["name"]
            if late and not (s["failures"] >= 1 and s["retries"] >= 1):
                raise Fail("%s: a late receiver but failures %d retries %d"
                           % (s["name"], s["failures"], s["retries"]))
            if not late and s["failures"] != 0:
                raise Fail("%s: %d failures" % (s["name"], s["failures"]))
    run("counters", counters)
    if a.rsyslog:  # the same alerts as a real syslog daemon parsed them
        run("rsyslogd udp rfc5424", lambda: check_5424(rsyslog_records(a.rsyslog, "rs_udp"), n))
        run("rsyslogd tcp cef", lambda: check_cef(rsyslog_records(a.rsyslog, "rs_tcp"), n))
        run("rsyslogd tls leef (^)", lambda: check_leef(rsyslog_records(a.rsyslog, "rs_tls"), n, "^"))
    if errors:
        sys.exit(1)


def main():
    p = argparse.ArgumentParser()
    sub = p.add_subparsers(dest="cmd", required=True)
    s = sub.add_parser("serve")
    for k in ("dir", "ca", "cert", "key", "untrusted-cert", "untrusted-key", "secret", "token"):
        s.add_argument("--" + k, required=True)
    s.add_argument("--late", type=float, default=1.5)
    s.add_argument("--timeout", type=float, default=50)
    c = sub.add_parser("check")
    c.add_argument("--dir", required=True)
    c.add_argument("--count", type=int, required=True)
    c.add_argument("--driver", required=True)
    c.add_argument("--rsyslog", help="directory of rsyslogd's rs_*.jsonl files")
    a = p.parse_args()
    serve(a) if a.cmd == "serve" else check(a)


if __name__ == "__main__":
    main()
