#!/usr/bin/env python3
"""bench_web.py URL CALL_UUID - requests/s of the dashboard API: 4 threads,
each a keep-alive TLS connection logged in as alice, 250 requests each
per endpoint."""
import http.client
import ssl
import sys
import threading
import time
import urllib.parse

URL, UUID = sys.argv[1], sys.argv[2]
host = urllib.parse.urlparse(URL)
CTX = ssl._create_unverified_context()
THREADS, N = 4, 250


def conn():
    return http.client.HTTPSConnection(host.hostname, host.port, context=CTX, timeout=30)


def login():
    c = conn()
    c.request("POST", "/api/v1/login", "user=alice&password=alice-password-1",
              {"X-CSRF-Token": "login", "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
    return r.getheader("Set-Cookie").split(";")[0]


cookie = login()
for name, path in (("status", "/api/v1/status"), ("search page of 50", "/api/v1/calls?limit=50"),
                   ("search caller prefix", "/api/v1/calls?caller=1*&limit=50"),
                   ("call detail", "/api/v1/calls/" + UUID)):
    lat = []
    lock = threading.Lock()

    def work():
        c = conn()
        mine = []
        for _ in range(N):
            t = time.perf_counter()
            c.request("GET", path, headers={"Cookie": cookie})
            r = c.getresponse()
            r.read()
            assert r.status == 200, (path, r.status)
            mine.append(time.perf_counter() - t)
        with lock:
            lat.extend(mine)

    t0 = time.perf_counter()
    ts = [threading.Thread(target=work) for _ in range(THREADS)]
    [t.start() for t in ts]
    [t.join() for t in ts]
    el = time.perf_counter() - t0
    lat.sort()
    print(f"{name:22s} {len(lat) / el:7.0f} req/s  p50 {lat[len(lat) // 2] * 1000:6.1f} ms  "
          f"p99 {lat[int(len(lat) * 0.99)] * 1000:6.1f} ms")
