#!/usr/bin/env python3
"""spit_population.py - a pcap of one hour of call signalling from a
population of callers, some of them robocallers (SPIT), and the truth.

  spit_population.py OUT.pcap TRUTH.json [BENIGN] [BUSY] [SPAMMERS] [SEED]

Each caller has its own address in 10.0.0.0/8 and calls through one
server (10.255.0.1:5060), SIP only (INVITE, 180, then 200 + ACK + BYE +
200 after the talk, or a final failure + ACK).  Behaviour, per hour:
  - BENIGN (default 2,700) people: Poisson(6) calls to their contacts (a
    symmetric random graph, 3-12 contacts each, so people call back),
    75 % answered, talk lognormal (median 90 s), 1 % declined (603);
  - BUSY (default 150) call-centre agents and sales lines: 30-70 calls to
    mostly new numbers (15 % to people who call them back), 55 %
    answered, talk lognormal (median 120 s);
  - SPAMMERS (default 150) robocallers: 40-150 calls to random numbers,
    20-45 % answered, 60-90 % of the answered hung up within 2-9 s (the
    rest listen for 10-45 s), 3-12 % declined (603 or 607 Unwanted).
TRUTH.json: {"spammers": [users], "benign": [users], "busy": [users]}.
Deterministic for a SEED.  The frames carry no UDP checksum.
"""
import json
import math
import random
import struct
import sys

ETH = b"\x02\0\0\0\0\x02" + b"\x02\0\0\0\0\x01" + b"\x08\x00"
SRV = bytes([10, 255, 0, 1])
START = 1709294400.0


def csum(b):
    s = sum(struct.unpack("!%dH" % (len(b) // 2), b))
    s = (s >> 16) + (s & 0xFFFF)
    s += s >> 16
    return ~s & 0xFFFF


def frame(t, src, dst, payload):
    udp_len = 8 + len(payload)
    ip = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + udp_len, 0, 0, 64, 17, 0, src, dst)
    ip = ip[:10] + struct.pack("!H", csum(ip)) + ip[12:]
    f = ETH + ip + struct.pack("!HHHH", 5060, 5060, udp_len, 0) + payload
    sec = int(t)
    usec = min(int(round((t - sec) * 1e6)), 999999)
    return struct.pack("<IIII", sec, usec, len(f), len(f)) + f


def sip(first, cid, cseq, caller, callee, totag, ua):
    return ("%s\r\nVia: SIP/2.0/UDP 10.0.0.1;branch=z9hG4bK%s%s\r\n"
            "From: <sip:%s@example.net>;tag=f%s\r\nTo: <sip:%s@example.net>%s\r\n"
            "Call-ID: %s\r\nCSeq: %s\r\nUser-Agent: %s\r\nContent-Length: 0\r\n\r\n") % (
        first, cid, cseq.split()[0], caller, cid, callee, totag, cid, cseq, ua)


def main():
    out, truth_path = sys.argv[1], sys.argv[2]
    nb = int(sys.argv[3]) if len(sys.argv) > 3 else 2700
    nbusy = int(sys.argv[4]) if len(sys.argv) > 4 else 150
    ns = int(sys.argv[5]) if len(sys.argv) > 5 else 150
    rnd = random.Random(int(sys.argv[6]) if len(sys.argv) > 6 else 1)
    users = []  # (name, kind, ip)
    for i in range(nb + nbusy + ns):
        kind = "benign" if i < nb else "busy" if i < nb + nbusy else "spammer"
        name = "+4930%07d" % (1000000 + i * 7)
        ip = struct.pack("!I", (10 << 24) + 256 + i)
        users.append((name, kind, ip))
    benign = [u for u in users if u[1] == "benign"]
    contacts = {u[0]: set() for u in users}
    for u in benign:
        for _ in range(rnd.randint(2, 6)):
            v = rnd.choice(benign)
            if v[0] != u[0]:
                contacts[u[0]].add(v[0])
                contacts[v[0]].add(u[0])
    busy_fans = {}
    calls = []  # (t, caller_user, callee, ip, outcome, talk)
    for name, kind, ip in users:
        if kind == "benign":
            lam, n = 6.0, 0
            l, p = math.exp(-lam), 1.0
            while True:  # Poisson(6)
                p *= rnd.random()
                if p < l:
                    break
                n += 1
            for _ in range(n):
                if not contacts[name]:
                    break
                callee = rnd.choice(sorted(contacts[name]))
                r = rnd.random()
                outcome = 200 if r < 0.75 else 603 if r < 0.76 else rnd.choice([486, 480, 487])
                calls.append((rnd.uniform(0, 3600), name, callee, ip, outcome,
                              rnd.lognormvariate(math.log(90), 1.0)))
        elif kind == "busy":
            for _ in range(rnd.randint(30, 70)):
                if rnd.random() < 0.15:
                    callee = rnd.choice(benign)[0]
                    busy_fans.setdefault(callee, set()).add((name, ip))
                else:
                    callee = "+4989%07d" % rnd.randint(0, 9999999)
                outcome = 200 if rnd.random() < 0.55 else rnd.choice([486, 480, 487, 404])
                calls.append((rnd.uniform(0, 3600), name, callee, ip, outcome,
                              rnd.lognormvariate(math.log(120), 0.8)))
        else:
            answer = rnd.uniform(0.20, 0.45)
            hang = rnd.uniform(0.6, 0.9)
            decl = rnd.uniform(0.03, 0.12)
            for _ in range(rnd.randint(40, 150)):
                callee = ("+4989%07d" % rnd.randint(0, 9999999)) if rnd.random() < 0.8 else \
                    rnd.choice(benign)[0]
                r = rnd.random()
                outcome = 200 if r < answer else rnd.choice([603, 607]) if r < answer + decl else \
                    rnd.choice([486, 480, 487])
                talk = rnd.uniform(2, 9) if rnd.random() < hang else rnd.uniform(10, 45)
                calls.append((rnd.uniform(0, 3600), name, callee, ip, outcome, talk))
    # people called by a busy line sometimes call it back
    for callee, fans in busy_fans.items():
        for name, ip in fans:
            if rnd.random() < 0.5:
                cip = next(u[2] for u in users if u[0] == callee)
                calls.append((rnd.uniform(1800, 3600), callee, name, cip, 200,
                              rnd.lognormvariate(math.log(60), 0.7)))
    events = []
    ua = {"benign": "Yealink SIP-T46S", "busy": "Asterisk PBX 18", "spammer": "Asterisk PBX 18"}
    kinds = {u[0]: u[1] for u in users}
    for k, (t0, caller, callee, ip, outcome, talk) in enumerate(calls):
        t = START + t0
        cid = "c%06d" % k
        tt = ";tag=t%06d" % k
        u = ua[kinds[caller]]
        ring = 3 + (k % 17)
        seq = [(0.0, True, "INVITE sip:%s@example.net SIP/2.0" % callee, "1 INVITE", ""),
               (0.3, False, "SIP/2.0 180 Ringing", "1 INVITE", tt)]
        if outcome == 200:
            seq += [(ring, False, "SIP/2.0 200 OK", "1 INVITE", tt),
                    (ring + 0.01, True, "ACK sip:%s@example.net SIP/2.0" % callee, "1 ACK", tt),
                    (ring + talk, True, "BYE sip:%s@example.net SIP/2.0" % callee, "2 BYE", tt),
                    (ring + talk + 0.01, False, "SIP/2.0 200 OK", "2 BYE", tt)]
        else:
            seq += [(ring, False, "SIP/2.0 %d Failed" % outcome, "1 INVITE", tt),
                    (ring + 0.01, True, "ACK sip:%s@example.net SIP/2.0" % callee, "1 ACK", tt)]
        for dt, req, first, cseq, totag in seq:
            p = sip(first, cid, cseq, caller, callee, totag, u).encode()
            events.append((t + dt, ip if req else SRV, SRV if req else ip, p))
    events.sort(key=lambda e: e[0])
    with open(out, "wb") as f:
        f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        for i in range(0, len(events), 20000):
            f.write(b"".join(frame(*e) for e in events[i:i + 20000]))
    json.dump({"spammers": [u[0] for u in users if u[1] == "spammer"],
               "benign": [u[0] for u in users if u[1] == "benign"],
               "busy": [u[0] for u in users if u[1] == "busy"],
               "calls": len(calls), "frames": len(events)}, open(truth_path, "w"))


if __name__ == "__main__":
    main()
