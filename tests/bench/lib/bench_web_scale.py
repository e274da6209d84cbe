#!/usr/bin/env python3
"""bench_web_scale.py search URL LADDER_UUID | load URL LADDER_UUID SECONDS

search: the first page (50 calls) of every search filter over 1,000,000
stored calls, end to end from a client (HTTPS keep-alive, logged in): the
first request of each filter (its plan not yet cached by the worker's
session) and the median of 5 more; the 500-message call's detail.
load: 4 keep-alive clients sending the newest page and the 500-message
call's detail in turn for SECONDS (while capture runs): requests/s and latencies."""
import http.client
import ssl
import statistics
import sys
import threading
import time
import urllib.parse

MODE, URL, LADDER = sys.argv[1], sys.argv[2], sys.argv[3]
host = urllib.parse.urlparse(URL)
CTX = ssl._create_unverified_context()


def conn():
    return http.client.HTTPSConnection(host.hostname, host.port, context=CTX, timeout=60)


def login():
    c = conn()
    c.request("POST", "/api/v1/login", "user=alice&password=alice-password-1",
              {"X-CSRF-Token": "login", "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
    return r.getheader("Set-Cookie").split(";")[0]


cookie = login()


def get(c, path):
    t = time.perf_counter()
    c.request("GET", path, headers={"Cookie": cookie})
    r = c.getresponse()
    body = r.read()
    assert r.status == 200, (path, r.status, body[:200])
    return time.perf_counter() - t, body


if MODE == "search":
    FILTERS = [("none (newest)", ""), ("since 1h", "since=1h"), ("since 2d until 1d", "since=2d&until=1d"),
               ("caller prefix", "caller=1234*"), ("caller suffix", "caller=*789"),
               ("callee prefix", "callee=%2B49301*"), ("callee suffix", "callee=*4321"),
               ("call_id exact", "call_id=" + "c4ca4238a0b923820dcc509a6f75849b@10.1.1.1"),
               ("ip", "ip=192.0.2.3"), ("ip /24", "ip=10.1.2.0/24"), ("state busy", "state=busy"),
               ("code 503", "code=503"), ("code 4xx", "code=4xx"), ("mos below 3", "mos_below=3"),
               ("busy from 1* in 2d", "state=busy&caller=1*&since=2d")]
    c = conn()
    print(f"{'filter':22s} {'rows':>5s} {'first ms':>9s} {'median ms':>9s}")
    worst = 0
    for name, q in FILTERS:
        path = "/api/v1/calls?limit=50" + ("&" + q if q else "")
        first, body = get(c, path)
        rows = body.count(b'"call_uuid"')
        med = statistics.median(get(c, path)[0] for _ in range(5))
        worst = max(worst, first, med)
        print(f"{name:22s} {rows:5d} {first * 1000:9.1f} {med * 1000:9.1f}")
    print(f"slowest first page: {worst * 1000:.1f} ms (target 200 ms)")
    for name, path in (("status", "/api/v1/status"), ("overview", "/api/v1/overview")):
        t1, _ = get(c, path)
        m1 = statistics.median(get(c, path)[0] for _ in range(3))
        print(f"{name}: first {t1 * 1000:.1f} ms, median {m1 * 1000:.1f} ms")
    first, body = get(c, "/api/v1/calls/" + LADDER)
    med = statistics.median(get(c, "/api/v1/calls/" + LADDER)[0] for _ in range(5))
    nmsg = body.count(b'"msg_id"')
    print(f"500-message call detail: {nmsg} messages, {len(body)} bytes, "
          f"first {first * 1000:.1f} ms, median {med * 1000:.1f} ms")
else:
    secs = float(sys.argv[4])
    lat, lock, stop = [], threading.Lock(), time.perf_counter() + secs
    paths = ["/api/v1/calls?limit=50", "/api/v1/calls/" + LADDER]

    def work(k):
        c, mine = conn(), []
        i = k
        while time.perf_counter() < stop:
            mine.append(get(c, paths[i % len(paths)])[0])
            i += 1
        with lock:
            lat.extend(mine)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=work, args=(k,)) for k in range(4)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    el = time.perf_counter() - t0
    lat.sort()
    print(f"API while capturing: {len(lat)} requests in {el:.1f} s = {len(lat) / el:.0f} req/s "
          f"(the newest page and the 500-message call in turn), p50 {lat[len(lat) // 2] * 1000:.1f} ms, "
          f"p99 {lat[int(len(lat) * 0.99)] * 1000:.1f} ms")
