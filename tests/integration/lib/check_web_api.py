#!/usr/bin/env python3
"""check_web_api.py URL SIPHON DSN STATE_DIR - the dashboard's API against
a running `siphon web` (web_setup.sh): authentication on every route,
roles, CSRF, limits, headers, and the answers compared with `siphon calls
--json` and the database itself (psql).  Prints one line per check; exits
1 at the first failure.
"""
import json
import os
import ssl
import stat
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

URL, SIPHON, DSN, STATE = sys.argv[1:5]
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
checks = 0


def fail(msg):
    print("FAIL:", msg)
    sys.exit(1)


def ok(cond, msg):
    global checks
    if not cond:
        fail(msg)
    checks += 1


def req(path, method="GET", body=None, cookie=None, csrf=None, raw=False):
    headers = {}
    if cookie:
        headers["Cookie"] = cookie
    if csrf is not None:
        headers["X-CSRF-Token"] = csrf
    data = None
    if body is not None:
        data = body if isinstance(body, bytes) else urllib.parse.urlencode(body).encode()
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    r = urllib.request.Request(URL + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(r, context=CTX, timeout=30) as resp:
            status, hdrs, text = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        status, hdrs, text = e.code, e.headers, e.read()
    if raw:
        return status, hdrs, text
    try:
        return status, hdrs, json.loads(text) if text else None
    except ValueError:
        return status, hdrs, text


def psql(sql, *args):
    cmd = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", DSN, "-c", sql]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def login(user, password):
    st, h, b = req("/api/v1/login", "POST", {"user": user, "password": password}, csrf="login")
    ok(st == 200, f"log-in of {user}: {st} {b}")
    sc = h.get("Set-Cookie", "")
    return sc.split(";")[0], b["csrf"], sc


# -- every route answers 401 without a session (the binary's route table) --
routes = [l.split() for l in subprocess.run([SIPHON, "web", "--routes"], check=True,
                                            capture_output=True, text=True).stdout.splitlines()]
ok(len(routes) >= 10, f"route table has {len(routes)} routes")
fake = "siphon_session=" + "ab" * 32
for method, pattern, role in routes:
    path = pattern.replace("{id}", "00000000-0000-0000-0000-000000000000")
    for cookie in (None, fake, "siphon_session=x"):
        st, _, _ = req(path, method, {} if method == "POST" else None, cookie=cookie, csrf="x")
        if role == "public":
            ok(st != 401 or path.endswith("/login"), f"{method} {path} public")
        else:
            ok(st == 401, f"{method} {path} without a valid session answered {st}, not 401")
st, _, _ = req("/api/v1/no-such-route")
ok(st == 401, "an unknown API path without a session is 401 too")
print(f"ok: {len(routes)} routes, each 401 without a session (3 kinds of missing session)")

# -- the self-signed certificate --
crt, key = os.path.join(STATE, "selfsigned.crt"), os.path.join(STATE, "selfsigned.key")
ok(os.path.exists(crt) and os.path.exists(key), "self-signed certificate made under state_dir")
ok(stat.S_IMODE(os.stat(key).st_mode) == 0o600, "its key is mode 0600")
print("ok: self-signed certificate, key 0600")

# -- log-in, cookie flags, headers --
st, _, _ = req("/api/v1/login", "POST", {"user": "alice", "password": "wrong-password"}, csrf="login")
ok(st == 401, f"wrong password: {st}")
st, _, _ = req("/api/v1/login", "POST", {"user": "alice", "password": "alice-password-1"})
ok(st == 403, f"log-in without X-CSRF-Token: {st}")
admin, admin_csrf, setcookie = login("alice", "alice-password-1")
for flag in ("HttpOnly", "Secure", "SameSite=Strict", "Path=/"):
    ok(flag in setcookie, f"session cookie lacks {flag}: {setcookie}")
st, h, b = req("/api/v1/session", cookie=admin)
ok(st == 200 and b["user"] == "alice" and b["role"] == "admin", f"session: {st} {b}")
csp = h.get("Content-Security-Policy", "")
ok("frame-ancestors 'none'" in csp and "script-src 'self'" in csp and "unsafe" not in csp,
   f"CSP: {csp}")
ok(h.get("X-Content-Type-Options") == "nosniff", "nosniff")
ok(h.get("Cache-Control") == "no-store", f"API responses are not cached: {h.get('Cache-Control')}")
st, h, body = req("/", raw=True)
ok(st == 200 and b"/app.js" in body and b"<script>" not in body.replace(b"<script src", b""),
   f"index.html served without inline script ({st})")
ok("frame-ancestors 'none'" in h.get("Content-Security-Policy", ""), "CSP on index.html")
st, h, body = req("/app.js", raw=True)
ok(st == 200 and "max-age" in h.get("Cache-Control", "") and len(body) > 10000,
   f"app.js served with a cache lifetime ({st}, {h.get('Cache-Control')})")
r = urllib.request.Request(URL + "/app.js", headers={"Accept-Encoding": "gzip"})
with urllib.request.urlopen(r, context=CTX, timeout=30) as resp:
    gz = resp.read()
    ok(resp.headers.get("Content-Encoding") == "gzip", "app.js gzip-encoded when accepted")
import gzip  # noqa: E402
ok(gzip.decompress(gz) == body, "gzip body decompresses to the plain one")
ok(len(gz) * 2 < len(body), f"gzip {len(gz)} bytes vs {len(body)}")
print(f"ok: log-in, cookie HttpOnly Secure SameSite=Strict, CSP, nosniff, cache headers; "
      f"app.js {len(body)} bytes, {len(gz)} gzip-encoded")

# -- search: every filter equals `siphon calls --json` --
def cli(*args):
    out = subprocess.run([SIPHON, "calls", "--json", "--storage.dsn=" + DSN, "--limit", "0", *args],
                         check=True, capture_output=True, text=True).stdout
    return [json.loads(l)["call_uuid"] for l in out.splitlines() if l.strip()]


def api_all(params):
    uuids, off = [], 0
    while True:
        q = urllib.parse.urlencode({**params, "limit": 7, "offset": off})
        st, _, b = req("/api/v1/calls?" + q, cookie=admin)
        ok(st == 200, f"calls {params}: {st} {b}")
        uuids += [c["call_uuid"] for c in b["calls"]]
        if not b["more"]:
            return uuids
        off += 7


total = int(psql("SELECT count(*) FROM calls"))
ok(total >= 14, f"{total} calls stored")
filters = [({}, []), ({"since": "1h"}, ["--since", "1h"]), ({"state": "answered"}, ["--state", "answered"]),
           ({"code": "4xx"}, ["--code", "4xx"]), ({"mos_below": "4.2"}, ["--mos-below", "4.2"]),
           ({"ip": "10.20.40.1"}, ["--ip", "10.20.40.1"]), ({"call_id": "web-xss-*"}, ["--call-id", "web-xss-*"])]
for params, args in filters:
    a, c = api_all(params), cli(*args)
    if args:
        ok(len(c) < total or params.get("since"), f"filter {args} selects something smaller")
    ok(a == list(reversed(c)) or a == c, f"filter {params}: API {len(a)} calls != siphon calls {len(c)}")
    print(f"ok: filter {params or 'none'}: {len(a)} calls, equal to siphon calls, paged by 7")
ok(len(api_all({})) == total, "no filter: every stored call")
st, _, b = req("/api/v1/calls?state=nonsense", cookie=admin)
ok(st == 400 and "error" in b, f"bad filter is 400: {st}")

# -- call detail against the database --
uuid = psql("SELECT call_uuid FROM calls WHERE call_id LIKE 'web-xss-2%'")
st, _, d = req("/api/v1/calls/" + uuid, cookie=admin)
ok(st == 200, f"call detail {st}")
n_msgs = int(psql(f"SELECT count(*) FROM sip_messages WHERE call_uuid = '{uuid}'"))
ok(len(d["messages"]) == n_msgs and n_msgs == 5, f"messages {len(d['messages'])} != {n_msgs}")
raw0 = subprocess.run(["psql", "-X", "-A", "-t", DSN, "-c",
                       "SELECT translate(encode(raw, 'base64'), E'\\n', '') || ' ' || raw_format || ' ' "
                       f"|| len FROM sip_messages WHERE call_uuid = '{uuid}' "
                       "ORDER BY ts, frame_no LIMIT 1"], check=True, capture_output=True,
                      text=True).stdout.strip().split(" ")
import base64  # noqa: E402
from sip_raw import unpack  # noqa: E402
ok(d["messages"][0]["raw"] == unpack(raw0[1], base64.b64decode(raw0[0]), raw0[2]).decode(
   "utf-8", "replace"), "the first message's raw text equals the stored bytes")
ok(d["messages"][0]["is_request"] and d["messages"][0]["method"] == "INVITE" and
   d["messages"][0]["raw"].startswith("INVITE "), f"first message is the INVITE: {d['messages'][0]}")
ok(len(d["streams"]) == int(psql(f"SELECT count(*) FROM streams WHERE call_uuid = '{uuid}'")),
   "streams equal the database")
ok(d["call"]["user_agent"].startswith("</pre><style>"), "hostile User-Agent returned as data")
lossy = psql("SELECT call_uuid FROM quality_intervals GROUP BY call_uuid ORDER BY count(*) DESC LIMIT 1")
st, _, d2 = req("/api/v1/calls/" + lossy, cookie=admin)
n_iv = int(psql(f"SELECT count(*) FROM quality_intervals WHERE call_uuid = '{lossy}'"))
ok(st == 200 and len(d2["intervals"]) == n_iv and n_iv > 0, f"intervals {len(d2['intervals'])} != {n_iv}")
st, _, _ = req("/api/v1/calls/00000000-0000-0000-0000-000000000000", cookie=admin)
ok(st == 404, f"unknown call: {st}")
st, _, _ = req("/api/v1/calls/not-a-uuid'--", cookie=admin)
ok(st == 400, f"malformed id: {st}")
print(f"ok: call detail: {n_msgs} messages with raw text, streams, {n_iv} intervals, 404, 400")

for path in ("/api/v1/alerts", "/api/v1/registrations", "/api/v1/status", "/api/v1/users", "/api/v1/audit"):
    st, _, b = req(path, cookie=admin)
    ok(st == 200 and b is not None, f"{path} as admin: {st}")
st, _, b = req("/api/v1/status", cookie=admin)
ok(b["calls_total"] == total and b["schema_version"] >= 3, f"status counts: {b}")
print("ok: alerts, registrations, status, users, audit answer an admin")

# -- the call page: related legs, DTMF, alerts <-> calls (web_legs_pcap.py) --
def uuid_of(cid):
    return psql(f"SELECT call_uuid FROM calls WHERE call_id = '{cid}'")


leg_a, leg_b, later, scan = (uuid_of(c) for c in ("web-leg-a@h", "web-leg-b@h", "web-leg-later@h", "web-scan-call@h"))
ok(all((leg_a, leg_b, later, scan)), "the legs pcap's calls are stored")
st, _, d = req("/api/v1/calls/" + leg_a, cookie=admin)
ok(st == 200, f"call {leg_a}: {st}")
ok([(r["call_uuid"], r["link"]) for r in d["related"]] == [(leg_b, "same caller and callee within 10 s")],
   f"leg a's related legs are leg b only (not the call 100 s later): {d['related']}")
st, _, d2 = req("/api/v1/calls/" + leg_b, cookie=admin)
ok([r["call_uuid"] for r in d2["related"]] == [leg_a], "and leg b's is leg a")
ok([(x["digit"], x["source"]) for x in d["call"]["dtmf"]] == [("4", "info"), ("2", "info")],
   f"leg a's DTMF: {d['call']['dtmf']}")
st, _, d3 = req("/api/v1/calls/" + later, cookie=admin)
ok(d3["related"] == [] and d3["alerts"] == [], "the later call has no related leg and no alert")
st, _, ds = req("/api/v1/calls/" + scan, cookie=admin)
ok(len(ds["alerts"]) >= 1 and all(a["alert_type"] == "scanner" for a in ds["alerts"]),
   f"the scanner's call shows its alert: {ds['alerts']}")
st, _, al = req("/api/v1/alerts?type=scanner", cookie=admin)
ok(st == 200 and al and all(scan in [c["call_uuid"] for c in a["calls"]] for a in al),
   f"every scanner alert links back to the scanner's call: {[a.get('calls') for a in al]}")
print(f"ok: call page: leg a <-> leg b related (same parties within 10 s), DTMF 4 2 (INFO), "
      f"scanner alert <-> its call ({len(al)} alert rows)")

# -- overview: the window's figures against the database --
st, _, ov = req("/api/v1/overview?minutes=120", cookie=admin)
ok(st == 200, f"overview: {st} {ov}")
want = psql("SELECT count(*) || ' ' || count(answer_ts) || ' ' || coalesce(round(avg(mos)::numeric, 2)::text, '') "
            "FROM calls WHERE start_ts >= now() - interval '120 minutes'").split(" ")
t = ov["totals"]
ok([str(t["calls"]), str(t["answered"]), "" if t["mos"] is None else "%.2f" % t["mos"]] == want,
   f"overview totals {t} vs the database {want}")
ok(int(want[0]) > 0, "the overview's window holds the imported calls")
ok(sum(p_["calls"] for p_ in ov["series"]) == t["calls"] and
   sum(p_["answered"] for p_ in ov["series"]) == t["answered"], "the per-minute series adds up to the totals")
ok(all(ov["series"][i + 1]["t"] - ov["series"][i]["t"] == 60 for i in range(len(ov["series"]) - 1))
   and len(ov["series"]) in (120, 121), f"one point a minute over the window: {len(ov['series'])}")
ok(abs(t["asr"] - t["answered"] / t["calls"]) < 1e-3, f"ASR = answered / calls: {t}")
ok(sum(d_["calls"] for d_ in ov["mos_distribution"]) == t["scored"], f"MOS distribution covers the scored calls: {ov['mos_distribution']}")
top = psql("SELECT coalesce(string_agg(alert_type || '=' || n, ',' ORDER BY n DESC, alert_type), '') FROM "
           "(SELECT alert_type, sum(count) AS n FROM alerts WHERE first_ts >= now() - interval '1 day' "
           "GROUP BY alert_type ORDER BY n DESC, alert_type LIMIT 5) x")
ok(",".join(f"{a['alert_type']}={a['count']}" for a in ov["top_alerts"]) == top,
   f"top alerts {ov['top_alerts']} vs {top}")
ok(ov["health"]["consumers"] == [] and ov["health"]["live_calls"] is None and
   ov["health"]["database_bytes"] > 0, f"siphon web alone: no consumers, health {ov['health']}")
st, _, _ = req("/api/v1/overview")
ok(st == 401, "overview needs a session")
print(f"ok: overview: {t['calls']} calls, ASR {t['asr']}, ACD {t['acd_s']} s, MOS {t['mos']} "
      f"over {len(ov['series'])} minutes, equal to the database; top alerts {top or 'none'}")

# -- roles --
viewer, viewer_csrf, _ = login("victor", "victor-password-1")
listener, listener_csrf, _ = login("lena", "lena-password-1")
for path in (f"/api/v1/calls/{uuid}/pcap", f"/api/v1/calls/{uuid}/audio", "/api/v1/users", "/api/v1/audit"):
    st, _, _ = req(path, cookie=viewer)
    ok(st == 403, f"viewer {path}: {st}")
st, _, _ = req(f"/api/v1/calls/{uuid}", cookie=viewer)
ok(st == 200, "viewer sees the call")
for path in (f"/api/v1/calls/{uuid}/pcap", f"/api/v1/calls/{uuid}/audio"):
    st, _, _ = req(path, cookie=listener)
    ok(st != 403 and st != 401, f"listener {path}: {st}")
st, _, _ = req("/api/v1/users", cookie=listener)
ok(st == 403, "listener cannot list users")
audit = psql("SELECT username || ' ' || action || ' ' || object || ' ' || source FROM web_audit ORDER BY id")
ok(f"lena pcap {uuid} 127.0.0.1" in audit and f"lena audio {uuid} 127.0.0.1" in audit,
   f"audit rows for the listener's accesses: {audit}")
ok("victor" not in audit, "refused accesses reach no handler")
print("ok: viewer 403 on pcap/audio/users/audit, listener allowed and audited, not users")

# -- CSRF --
# (fresh sessions: under a sanitizer build the checks above can leave one
# idle longer than web.session_idle=3s)
admin, admin_csrf, _ = login("alice", "alice-password-1")
viewer, viewer_csrf, _ = login("victor", "victor-password-1")
listener, listener_csrf, _ = login("lena", "lena-password-1")
new = {"name": "eve", "role": "viewer", "password": "eve-password-1"}
st, _, _ = req("/api/v1/users", "POST", new, cookie=admin)
ok(st == 403, f"POST without X-CSRF-Token: {st}")
st, _, _ = req("/api/v1/users", "POST", new, cookie=admin, csrf="0" * 64)
ok(st == 403, f"POST with a wrong token: {st}")
st, _, _ = req("/api/v1/users", "POST", new, cookie=admin, csrf=viewer_csrf)
ok(st == 403, f"POST with another session's token: {st}")
ok(psql("SELECT count(*) FROM web_users WHERE name = 'eve'") == "0", "no user made by refused POSTs")
st, _, _ = req("/api/v1/users", "POST", new, cookie=viewer, csrf=viewer_csrf)
ok(st == 403, "viewer cannot add users")
st, _, b = req("/api/v1/users", "POST", new, cookie=admin, csrf=admin_csrf)
ok(st == 200, f"POST with the session's token: {st} {b}")
ok(psql("SELECT role FROM web_users WHERE name = 'eve'") == "viewer", "user eve made")
ok(psql("SELECT hash FROM web_users WHERE name = 'eve'").startswith("$argon2id$"), "argon2id hash")
st, _, _ = req("/api/v1/logout", "POST", {}, cookie=viewer)
ok(st == 403, "logout without the token refused")
print("ok: CSRF: missing, wrong and foreign tokens 403 (nothing changed), right token 200")

# -- limits --
st, _, _ = req("/api/v1/login", "POST", b"user=alice&password=" + b"x" * 200000, csrf="login")
ok(st == 413, f"a 200 kB body: {st}")
st, _, _ = req("/api/v1/calls?limit=999999&offset=99999999", cookie=admin)
ok(st == 200, "huge limit/offset are clamped")
print("ok: 413 on a body over web.max_body")

# -- logout and idle expiry (web.session_idle=3s) --
st, _, _ = req("/api/v1/logout", "POST", {}, cookie=listener, csrf=listener_csrf)
ok(st == 200, "logout")
st, _, _ = req("/api/v1/session", cookie=listener)
ok(st == 401, f"session after logout: {st}")
st, _, _ = req("/api/v1/session", cookie=viewer)
ok(st == 200, "another session still valid")
time.sleep(3.5)
st, _, _ = req("/api/v1/session", cookie=viewer)
ok(st == 401, f"session idle 3.5 s with web.session_idle=3s: {st}")
print("ok: logout ends the session, idle expiry after web.session_idle")

# -- log-in rate limit (last: it blocks this source for a minute) --
codes = [req("/api/v1/login", "POST", {"user": "mallory", "password": "guess%d" % i}, csrf="login")[0]
         for i in range(7)]
# one failure earlier (the wrong password above): 4 more fill the window of 5
ok(codes == [401] * 4 + [429] * 3, f"failures then 429: {codes}")
st, _, _ = req("/api/v1/login", "POST", {"user": "alice", "password": "alice-password-1"}, csrf="login")
ok(st == 429, f"this source is blocked for every user: {st}")
print(f"ok: log-in rate limit: {codes}")
print(f"all {checks} checks passed")
