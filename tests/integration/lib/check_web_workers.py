#!/usr/bin/env python3
"""check_web_workers.py URL - while PostgreSQL holds an exclusive lock on
`calls` (so a search waits), the dashboard of `siphon run` (2 query
workers, a queue of 1) still answers what does not need that table and
still feeds the live WebSocket; the request beyond the queue gets 503
with Retry-After.  Environment: PG_PSQL (a psql command line on the
database), REPLAY (the command that replays the live capture)."""
import base64
import http.client
import json
import os
import shlex
import socket
import ssl
import subprocess
import sys
import threading
import time
import urllib.parse

url = urllib.parse.urlparse(sys.argv[1])
HOST, PORT = url.hostname, url.port
CTX = ssl.create_default_context()
CTX.check_hostname = False
CTX.verify_mode = ssl.CERT_NONE
LOCK_S = 6.0


def fail(msg):
    print("FAIL: " + msg)
    sys.exit(1)


def request(method, path, body=None, headers=None, timeout=30):
    c = http.client.HTTPSConnection(HOST, PORT, context=CTX, timeout=timeout)
    c.request(method, path, body=body, headers=headers or {})
    r = c.getresponse()
    data = r.read()
    c.close()
    return r.status, dict((k.lower(), v) for k, v in r.getheaders()), data


st, hd, body = request("POST", "/api/v1/login", "user=alice&password=alice-password-1",
                       {"Content-Type": "application/x-www-form-urlencoded", "X-CSRF-Token": "login"})
if st != 200:
    fail(f"log-in {st}")
cookie = hd["set-cookie"].split(";")[0]
H = {"Cookie": cookie}


def timed(path):
    t = time.monotonic()
    s, h, b = request("GET", path, headers=H)
    return s, time.monotonic() - t, h, b


# the live feed: a WebSocket (RFC 6455) read on its own thread
events = []
ws = CTX.wrap_socket(socket.create_connection((HOST, PORT), timeout=30), server_hostname=HOST)
key = base64.b64encode(os.urandom(16)).decode()
ws.sendall((f"GET / HTTP/1.1\r\nHost: {HOST}:{PORT}\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            f"Sec-WebSocket-Key: {key}\r\nSec-WebSocket-Version: 13\r\n"
            f"Sec-WebSocket-Protocol: siphon-live-v1\r\nCookie: {cookie}\r\n\r\n").encode())
hs = b""
while b"\r\n\r\n" not in hs:
    chunk = ws.recv(4096)
    if not chunk:
        fail("the WebSocket handshake was refused")
    hs += chunk
if not hs.startswith(b"HTTP/1.1 101"):
    fail("WebSocket handshake: " + hs.split(b"\r\n")[0].decode(errors="replace"))
rest = hs.split(b"\r\n\r\n", 1)[1]


def reader():
    buf = rest
    ws.settimeout(None)
    while True:
        while len(buf) < 2:
            more = ws.recv(65536)
            if not more:
                return
            buf += more
        n = buf[1] & 0x7F
        off = 2
        if n == 126:
            while len(buf) < 4:
                buf += ws.recv(65536)
            n, off = int.from_bytes(buf[2:4], "big"), 4
        elif n == 127:
            while len(buf) < 10:
                buf += ws.recv(65536)
            n, off = int.from_bytes(buf[2:10], "big"), 10
        while len(buf) < off + n:
            more = ws.recv(65536)
            if not more:
                return
            buf += more
        if buf[0] & 0x0F == 1:
            events.append((time.monotonic(), json.loads(buf[off:off + n])))
        buf = buf[off + n:]


threading.Thread(target=reader, daemon=True).start()

psql = shlex.split(os.environ["PG_PSQL"])
locker = subprocess.Popen(psql + ["-c", f"BEGIN; LOCK TABLE calls IN ACCESS EXCLUSIVE MODE; "
                                        f"SELECT pg_sleep({LOCK_S}); COMMIT;"], stdout=subprocess.DEVNULL)
t_lock = time.monotonic()
for _ in range(50):
    held = subprocess.run(psql + ["-c", "SELECT count(*) FROM pg_locks WHERE relation = 'calls'::regclass "
                                        "AND mode = 'AccessExclusiveLock' AND granted"],
                          capture_output=True, text=True).stdout.strip()
    if held == "1":
        break
    time.sleep(0.1)
else:
    fail("the lock on calls was not taken")

slow = {}


def slow_search():
    slow["r"] = timed("/api/v1/calls?limit=5")
    slow["done"] = time.monotonic()


threading.Thread(target=slow_search, daemon=True).start()
time.sleep(0.3)
replay = subprocess.Popen(shlex.split(os.environ["REPLAY"]), stdout=subprocess.DEVNULL,
                          stderr=subprocess.DEVNULL)
t_replay = time.monotonic()

# meanwhile: no database, another table, the front end
for path in ("/api/v1/session", "/api/v1/registrations?limit=5", "/"):
    s, dt, _, _ = timed(path)
    if s != 200 or dt > 1.0:
        fail(f"{path} answered {s} after {dt:.2f} s while a search waited on PostgreSQL")
    print(f"ok: {path} answered in {dt * 1000:.1f} ms while a search waited on a locked table")
if "done" in slow:
    fail("the search did not wait for the lock: the test proves nothing")

# both workers busy (the first search and one more), one queued, the next refused
extra = []


def one():
    extra.append(timed("/api/v1/calls?limit=1"))


# one at a time: sent together, the second can find the first still in the
# queue (the idle worker not yet woken) and be refused itself
threads = [threading.Thread(target=one, daemon=True) for _ in range(2)]
for t in threads:
    t.start()
    time.sleep(0.4)
s, dt, h, b = timed("/api/v1/calls?limit=2")
if s != 503 or h.get("retry-after") != "1":
    fail(f"a search beyond the queue: {s} retry-after={h.get('retry-after')} {b[:200]!r}")
print(f"ok: a search beyond the queue answered 503 with Retry-After: 1 in {dt * 1000:.1f} ms")

# the live feed carried the replay while the search still waited
deadline = t_lock + LOCK_S - 0.5
while time.monotonic() < deadline and not events:
    time.sleep(0.05)
if not events:
    fail("no live event while the search waited on PostgreSQL")
first = events[0][0] - t_replay
if "done" in slow and slow["done"] < events[0][0]:
    fail("the first live event came only after the search finished")
print(f"ok: first live event {first * 1000:.0f} ms after the replay started "
      f"({events[0][1].get('event', events[0][1].get('type', '?'))}), the search still waiting")

replay.wait(timeout=30)
locker.wait(timeout=30)
for t in threads:
    t.join(timeout=30)
time.sleep(0.2)
if "r" not in slow:
    time.sleep(2)
s, dt, _, b = slow.get("r", (0, 0, None, b""))
if s != 200 or dt < LOCK_S - 1.5:
    fail(f"the slow search: {s} after {dt:.2f} s")
print(f"ok: the search waited {dt:.2f} s for the lock, then answered 200")
if [x[0] for x in extra] != [200, 200]:
    fail(f"the two searches in the pool: {[x[0] for x in extra]}")
s, _, _, b = timed("/api/v1/status")
w = json.loads(b)["web"]
if s != 200 or w["query_queue_full"] < 1 or w["query_workers"] != 2:
    fail(f"status counters: {w}")
time.sleep(2.0)
print(f"ok: status query_queue_full={w['query_queue_full']}, queries={w['queries']}; "
      f"{len(events)} live events")
