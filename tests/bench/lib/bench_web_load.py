#!/usr/bin/env python3
"""bench_web_load.py URL SECONDS SERVER_PID PG_DIR NAME=PATH... - requests/s of
dashboard API routes, one route at a time: 4 client processes (not threads:
no interpreter lock between them), each one keep-alive TLS connection
logged in as alice, sending one route's requests back to back for SECONDS.
Per route: requests/s, p50 and p99 latency, and the CPU time the server
process (SERVER_PID) and the PostgreSQL processes (whose command line
names PG_DIR) spent per request, which survives a busy machine better
than requests/s; the load average at the end.  BENCH_CLIENTS overrides 4."""
import http.client
import multiprocessing
import os
import ssl
import sys
import time
import urllib.parse

URL, SECS, PID, PGDIR = sys.argv[1], float(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
ROUTES = [a.split("=", 1) for a in sys.argv[5:]]
host = urllib.parse.urlparse(URL)
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "4"))
TICK = os.sysconf("SC_CLK_TCK")


def conn():
    return http.client.HTTPSConnection(host.hostname, host.port,
                                       context=ssl._create_unverified_context(), timeout=60)


def login():
    c = conn()
    c.request("POST", "/api/v1/login", "user=alice&password=alice-password-1",
              {"X-CSRF-Token": "login", "Content-Type": "application/x-www-form-urlencoded"})
    r = c.getresponse()
    r.read()
    assert r.status == 200, r.status
    return r.getheader("Set-Cookie").split(";")[0]


def cpu_ticks(pid):
    try:
        with open(f"/proc/{pid}/stat") as f:
            s = f.read().rsplit(")", 1)[1].split()
        return int(s[11]) + int(s[12])  # utime + stime
    except OSError:
        return 0


def postmaster():
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/cmdline", "rb") as f:
                    cmd = f.read()
            except OSError:
                continue
            if b"postgres" in cmd and PGDIR.encode() in cmd:
                return int(d)
    return 0


def pg_ticks(pm):
    """The postmaster's, its live children's (the backends') and, through
    its cutime/cstime, its exited children's CPU time."""
    total = 0
    for d in os.listdir("/proc"):
        if d.isdigit():
            try:
                with open(f"/proc/{d}/stat") as f:
                    s = f.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(d) == pm:
                total += sum(int(x) for x in s[11:15])
            elif int(s[1]) == pm:
                total += int(s[11]) + int(s[12])
    return total


def work(path, cookie, start, q):
    c, lat = conn(), []
    c.request("GET", path, headers={"Cookie": cookie})  # handshake and first answer: untimed
    r = c.getresponse()
    r.read()
    assert r.status == 200, (path, r.status)
    while time.time() < start:
        time.sleep(0.001)
    stop = start + SECS
    while True:
        t = time.perf_counter()
        if time.time() >= stop:
            break
        c.request("GET", path, headers={"Cookie": cookie, "Accept-Encoding": "gzip"})
        r = c.getresponse()
        body = r.read()
        assert r.status == 200, (path, r.status, body[:200])
        lat.append(time.perf_counter() - t)
    q.put(lat)


def main():
    pm = postmaster()
    cookie = login()
    print(f"{'route':28s} {'req/s':>7s} {'p50 ms':>7s} {'p99 ms':>7s} {'server µs/req':>13s} "
          f"{'pg µs/req':>9s}")
    for name, path in ROUTES:
        q = multiprocessing.Queue()
        start = time.time() + 1.0
        ps = [multiprocessing.Process(target=work, args=(path, cookie, start, q))
              for _ in range(CLIENTS)]
        [p.start() for p in ps]
        while time.time() < start:
            time.sleep(0.001)
        s0, g0, t0 = cpu_ticks(PID), pg_ticks(pm), time.perf_counter()
        lat = []
        for _ in ps:
            lat.extend(q.get())
        el = time.perf_counter() - t0
        s1, g1 = cpu_ticks(PID), pg_ticks(pm)
        [p.join() for p in ps]
        lat.sort()
        n = len(lat)
        per = lambda ticks: ticks / TICK / max(n, 1) * 1e6
        print(f"{name:28s} {n / el:7.0f} {lat[n // 2] * 1000:7.1f} {lat[int(n * 0.99)] * 1000:7.1f} "
              f"{per(s1 - s0):13.0f} {per(g1 - g0):9.0f}", flush=True)
    print("load average: " + " ".join(open("/proc/loadavg").read().split()[:3]))


if __name__ == "__main__":
    main()
