#!/usr/bin/env python3
"""check_siprec_call.py SIPHON DSN WORK OBSERVED_CALL_ID URL - a call's
SIPREC session (test_siprec_call.sh): `siphon show` of the observed call
against the stored session rows (SRS Call-ID, SRC, participants, streams,
how it was linked), its audio command line run as printed, `siphon siprec
show` naming the call, and the dashboard API by role (viewer: no metadata,
no session audio; listener: both, audited).  Prints one line per group of
checks; exits 1 at the first failure."""
import json
import os
import re
import ssl
import subprocess
import sys
import urllib.error
import urllib.parse
import urllib.request

SIPHON, DSN, WORK, OBSERVED, URL = sys.argv[1:6]
CFG = ["-c", os.path.join(WORK, "empty.conf"), "--storage.dsn=" + DSN]
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE


def ok(cond, msg):
    if not cond:
        print("FAIL:", msg)
        sys.exit(1)


def psql(sql):
    cmd = ["psql", "-X", "-q", "-A", "-t", "-v", "ON_ERROR_STOP=1", DSN, "-c", sql]
    return subprocess.run(cmd, check=True, capture_output=True, text=True).stdout.strip()


def rows(sql):
    return json.loads(psql(f"SELECT coalesce(json_agg(t), '[]') FROM ({sql}) t"))


# -- the stored session, as the recording server wrote it --
sessions = rows("SELECT session_uuid::text AS uuid, start_ts::text AS start, call_id, state, "
                "host(src_ip) AS src_ip, src_port, transport, metadata_xml FROM siprec_sessions "
                "ORDER BY start_ts")
ok(len(sessions) == 2, f"two sessions stored: {len(sessions)}")
s, oracle = sessions
ran = [json.loads(l) for l in open(os.path.join(WORK, "run.ndjson")) if '"siprec_session"' in l]
ok(len(ran) == 2 and ran[0]["call_id"] == s["call_id"] and s["call_id"].startswith("o'src-") and
   oracle["call_id"].startswith("oracle-"),
   f"the stored sessions are the ones recorded: {s['call_id']!r}, {oracle['call_id']!r}")
key = f"session_uuid = '{s['uuid']}'"
parts = rows(f"SELECT aor, name, role FROM siprec_participants WHERE {key} ORDER BY idx")
streams = rows(f"SELECT label, codec, packets, lost, sender_aor FROM siprec_streams WHERE {key} "
               "ORDER BY idx")
ok(len(parts) == 2 and any("xss-siprec-name" in (p["name"] or "") for p in parts),
   f"two participants, one with the hostile name: {parts}")
ok(len(streams) == 2 and all(t["packets"] >= 50 for t in streams), f"two streams with RTP: {streams}")
call_uuid = psql(f"SELECT call_uuid FROM calls WHERE call_id = '{OBSERVED}'")
other_uuid = psql("SELECT call_uuid FROM calls WHERE call_id = 'unrecorded@10.0.0.1'")
parts_uuid = psql("SELECT call_uuid FROM calls WHERE call_id = 'oracle-leg-1@10.0.0.1'")
ok(call_uuid and other_uuid and parts_uuid, "the three observed calls stored")
# what the schema's view links to each call: the reference for every reader
view = {u: rows(f"SELECT DISTINCT session_uuid::text AS uuid, matched_by FROM "
                f"siprec_session_calls WHERE call_uuid = '{u}' ORDER BY 1")
        for u in (call_uuid, other_uuid, parts_uuid)}
ok(view[call_uuid] == [{"uuid": s["uuid"], "matched_by": "call_id"}] and view[other_uuid] == [] and
   view[parts_uuid] == [{"uuid": oracle["uuid"], "matched_by": "participants"}],
   f"the view links by Call-ID, by participants and none: {view}")

# -- siphon show: the SIPREC section --
show = open(os.path.join(WORK, "show.txt")).read()
ok("\nSIPREC: 1 recording session recorded this call\n" in show, "siphon show: SIPREC header")
sec = show[show.index("\nSIPREC:"):]
ok(f"session {s['uuid']}" in sec and "(linked by call_id)" in sec and f"  {s['state']}  " in sec,
   "siphon show: the session's uuid, state, link")
ok(f"SRS Call-ID: {s['call_id']}  SRC: {s['src_ip']}:{s['src_port']}/{s['transport']}" in sec,
   f"siphon show: SRS Call-ID and SRC:\n{sec}")
for i, p in enumerate(parts, 1):
    want = f"participant {i}: aor={p['aor']} name={p['name'] or '-'} role={p['role'] or '-'}"
    ok(want in sec, f"siphon show: {want!r} in\n{sec}")
for i, t in enumerate(streams, 1):
    want = (f"stream {i}: label={t['label']} codec={t['codec']} port=")
    line = next((l for l in sec.splitlines() if want in l), "")
    ok(f" packets={t['packets']} lost={t['lost']} " in line and
       f"sender={t['sender_aor'] or '-'}" in line, f"siphon show: stream {i} {t} in {line!r}")
ok(f"details: siphon siprec show {s['uuid']} --xml" in sec, "siphon show: the details command")
print(f"ok: siphon show prints the session ({len(parts)} participants, {len(streams)} streams)")

# the audio command as printed (the Call-ID has a quote: shell-quoted)
audio = next(l for l in sec.splitlines() if l.strip().startswith("audio:"))
cmd = audio.split("audio:", 1)[1].strip()
ok(cmd.startswith("siphon audio 'o'\\''src-"), f"audio command shell-quoted: {cmd}")
cmd = cmd.replace("siphon", SIPHON, 1) + f" -c empty.conf --record.dir={WORK}/store"
r = subprocess.run(["bash", "-c", cmd], cwd=WORK, capture_output=True, text=True)
wav = os.path.join(WORK, f"siprec-{s['uuid'][:8]}.wav")
ok(r.returncode == 0 and os.path.exists(wav), f"the printed audio command renders: {r.stderr}")
cli_wav = open(wav, "rb").read()
ok(cli_wav[:4] == b"RIFF" and len(cli_wav) > 20000, f"a WAV of the session: {len(cli_wav)} bytes")
print(f"ok: the printed `siphon audio` command renders the session ({len(cli_wav)} bytes)")

for u in view:
    out = subprocess.run([SIPHON, "show", u, *CFG], capture_output=True, text=True).stdout
    shown = re.findall(r"^  session (\S+) .*\(linked by (\w+)\)$", out, re.M)
    ok([{"uuid": a, "matched_by": b} for a, b in shown] == view[u] and
       ("SIPREC:" in out) == bool(view[u]), f"siphon show {u}: {shown} != the view's {view[u]}")
rs = subprocess.run([SIPHON, "siprec", "show", s["uuid"], *CFG], capture_output=True, text=True)
ok(rs.returncode == 0 and
   f"observed call 1: uuid={call_uuid} call_id={OBSERVED} matched_by=call_id" in rs.stdout,
   f"siphon siprec show names the observed call:\n{rs.stdout}")
rj = subprocess.run([SIPHON, "siprec", "show", s["uuid"], "--json", *CFG], capture_output=True,
                    text=True)
oc = json.loads(rj.stdout)["observed_calls"]
ok(oc == [{"call_uuid": call_uuid, "call_id": OBSERVED, "matched_by": "call_id"}],
   f"siphon siprec show --json: observed_calls {oc}")
print("ok: siphon siprec show names the observed call (text and JSON); siphon show of 3 calls "
      "lists the view's sessions (by Call-ID, by participants, none)")


# -- the API --
def req(path, cookie=None, method="GET", body=None, csrf=None, raw=False):
    headers = {"Cookie": cookie} if cookie else {}
    if csrf:
        headers["X-CSRF-Token"] = csrf
    data = urllib.parse.urlencode(body).encode() if body else None
    if data:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
    r = urllib.request.Request(URL + path, data=data, method=method, headers=headers)
    try:
        with urllib.request.urlopen(r, context=CTX, timeout=30) as resp:
            st, h, b = resp.status, resp.headers, resp.read()
    except urllib.error.HTTPError as e:
        st, h, b = e.code, e.headers, e.read()
    return st, h, (b if raw else (json.loads(b) if b else None))


def login(user, pw):
    st, h, b = req("/api/v1/login", method="POST", body={"user": user, "password": pw},
                   csrf="login")
    ok(st == 200, f"log-in {user}: {st} {b}")
    return h.get("Set-Cookie", "").split(";")[0]


viewer, listener = login("victor", "victor-password-1"), login("lena", "lena-password-1")
for who, cookie in (("viewer", viewer), ("listener", listener)):
    st, _, b = req(f"/api/v1/calls/{call_uuid}", cookie)
    ok(st == 200 and len(b["siprec"]) == 1, f"{who}: call detail with one session: {st}")
    x = b["siprec"][0]
    ok(x["session_uuid"] == s["uuid"] and x["call_id"] == s["call_id"] and
       x["matched_by"] == "call_id" and x["state"] == s["state"] and
       x["src_ip"] == s["src_ip"] and x["src_port"] == s["src_port"],
       f"{who}: the session's fields: {x}")
    ok([{k: p[k] for k in ("aor", "name", "role")} for p in x["participants"]] == parts,
       f"{who}: participants {x['participants']} != {parts}")
    got = [{"label": t["label"], "codec": t["codec"], "packets": t["packets"], "lost": t["lost"],
            "sender_aor": t["sender"]} for t in x["streams"]]
    ok(got == streams, f"{who}: streams {got} != {streams}")
    if who == "viewer":
        ok(x["metadata_xml"] is None and b["siprec_audio"] is False,
           "viewer: no metadata, no session audio")
    else:
        ok(x["metadata_xml"] == s["metadata_xml"] and "xss-siprec-xml" in x["metadata_xml"] and
           b["siprec_audio"] is True, "listener: the metadata as stored")
    for u in view:
        st, _, b = req(f"/api/v1/calls/{u}", cookie)
        got = [{"uuid": x["session_uuid"], "matched_by": x["matched_by"]} for x in b["siprec"]]
        ok(st == 200 and got == view[u], f"{who}: call {u}: {got} != the view's {view[u]}")
print("ok: the call detail's siprec (participants, streams as stored; metadata for listeners)")

st, _, _ = req(f"/api/v1/siprec/{s['uuid']}/audio", viewer, raw=True)
ok(st == 403, f"viewer: session audio refused: {st}")
st, h, body = req(f"/api/v1/siprec/{s['uuid']}/audio", listener, raw=True)
ok(st == 200 and h.get("Content-Type", "").startswith("audio/wav") and body == cli_wav,
   f"listener: the session's WAV, the bytes of `siphon audio` ({st}, {len(body)} bytes)")
st, _, _ = req("/api/v1/siprec/00000000-0000-4000-8000-000000000000/audio", listener, raw=True)
ok(st == 404, f"an unknown session: {st}")
audit = rows("SELECT username, object FROM web_audit WHERE action = 'siprec audio' ORDER BY id")
ok(audit == [{"username": "lena", "object": s["uuid"]},
             {"username": "lena", "object": "00000000-0000-4000-8000-000000000000"}],
   f"session audio attempts audited: {audit}")
print(f"ok: session audio: viewer 403, listener {len(body)} bytes = the CLI's, audited")
