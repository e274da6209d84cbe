#!/usr/bin/env python3
"""craft_threads.py - captures that stress thread-count independence.

Usage: craft_threads.py KIND OUT.pcap [SEED]

KIND:
  shared_sdp  calls whose SDP names the same media endpoints: every call's
              callee answers from one media port (a UAS with one RTP port
              for every call), callers reuse each other's (ip, port) in
              turn, calls overlap and follow each other, and RTP flows both
              ways (also after some calls ended, and before the next one's
              answer).
  ts_jumps    calls whose capture time jumps: to 0, to 2^32-1 seconds,
              backwards by minutes and forwards by hours, in the middle of
              calls and between them, with idle gaps past the call timeout.

Ethernet/IPv4/UDP, correct UDP checksums, distinct IP ids (so no two
packets look like capture duplicates).  Deterministic for a given SEED."""
import random
import struct
import sys

UAS_IP = "10.9.9.9"
UAS_MEDIA = 30000


def ip4(s):
    return bytes(int(x) for x in s.split("."))


def csum(data):
    if len(data) % 2:
        data += b"\0"
    s = sum(struct.unpack("!%dH" % (len(data) // 2), data))
    while s >> 16:
        s = (s & 0xFFFF) + (s >> 16)
    return (~s) & 0xFFFF


class Writer:
    def __init__(self, path):
        self.f = open(path, "wb")
        self.f.write(struct.pack("<IHHiIII", 0xA1B2C3D4, 2, 4, 0, 0, 65535, 1))
        self.ipid = 1

    def udp(self, ts_us, src, sport, dst, dport, payload):
        udp_len = 8 + len(payload)
        pseudo = ip4(src) + ip4(dst) + struct.pack("!BBH", 0, 17, udp_len)
        hdr = struct.pack("!HHHH", sport, dport, udp_len, 0)
        c = csum(pseudo + hdr + payload) or 0xFFFF
        udp = struct.pack("!HHHH", sport, dport, udp_len, c) + payload
        self.ipid = (self.ipid % 65535) + 1
        iph = struct.pack("!BBHHHBBH4s4s", 0x45, 0, 20 + len(udp), self.ipid, 0, 64, 17, 0,
                          ip4(src), ip4(dst))
        iph = iph[:10] + struct.pack("!H", csum(iph)) + iph[12:]
        frame = b"\x02\0\0\0\0\x02\x02\0\0\0\0\x01\x08\x00" + iph + udp
        sec, usec = divmod(ts_us, 1000000)
        self.f.write(struct.pack("<IIII", sec, usec, len(frame), len(frame)) + frame)

    def close(self):
        self.f.close()


def sdp(ip, port, sess):
    return ("v=0\r\no=- %d 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d RTP/AVP 0 101\r\na=rtpmap:0 PCMU/8000\r\n"
            "a=rtpmap:101 telephone-event/8000\r\n" % (sess, ip, ip, port))


def sip(first, call, cseq, method, body="", to_tag=True, extra=""):
    hdrs = [first,
            "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK%s%d" % (call["ip"], call["cid"], cseq),
            "From: <sip:%s@example.com>;tag=f%s" % (call["user"], call["cid"]),
            "To: <sip:bob@example.com>" + (";tag=t%s" % call["cid"] if to_tag else ""),
            "Call-ID: %s" % call["cid"],
            "CSeq: %d %s" % (cseq, method),
            "User-Agent: craft"]
    if extra:
        hdrs.append(extra)
    if body:
        hdrs.append("Content-Type: application/sdp")
    hdrs.append("Content-Length: %d" % len(body))
    return ("\r\n".join(hdrs) + "\r\n\r\n" + body).encode()


def emit_call(pkts, call, t0, dur_us, rng, answer=True):
    """Appends (ts_us, src, sport, dst, dport, payload) of one call."""
    c = call
    inv = sip("INVITE sip:bob@%s SIP/2.0" % UAS_IP, c, 1, "INVITE",
              sdp(c["ip"], c["port"], c["n"]), to_tag=False)
    pkts.append((t0, c["ip"], 5060, UAS_IP, 5060, inv))
    pkts.append((t0 + 20000, UAS_IP, 5060, c["ip"], 5060,
                 sip("SIP/2.0 180 Ringing", c, 1, "INVITE")))
    if not answer:
        pkts.append((t0 + 900000, UAS_IP, 5060, c["ip"], 5060,
                     sip("SIP/2.0 486 Busy Here", c, 1, "INVITE")))
        return
    ans = t0 + 300000 + rng.randrange(100000)
    pkts.append((ans, UAS_IP, 5060, c["ip"], 5060,
                 sip("SIP/2.0 200 OK", c, 1, "INVITE", sdp(UAS_IP, c["uas_port"], 1000 + c["n"]))))
    pkts.append((ans + 10000, c["ip"], 5060, UAS_IP, 5060,
                 sip("ACK sip:bob@%s SIP/2.0" % UAS_IP, c, 1, "ACK")))
    ssrc_a, ssrc_b = rng.getrandbits(32), rng.getrandbits(32)
    t = ans + 20000
    seq = rng.randrange(60000)
    i = 0
    while t < ans + dur_us:
        for (src, sp, dst, dp, ssrc) in ((c["ip"], c["port"], UAS_IP, c["uas_port"], ssrc_a),
                                          (UAS_IP, c["uas_port"], c["ip"], c["port"], ssrc_b)):
            rtp = struct.pack("!BBHII", 0x80, 0, (seq + i) & 0xFFFF, (i * 160) & 0xFFFFFFFF,
                              ssrc) + bytes([0xFF]) * 160
            pkts.append((t + rng.randrange(3000), src, sp, dst, dp, rtp))
        t += 20000
        i += 1
    end = ans + dur_us + 5000
    pkts.append((end, c["ip"], 5060, UAS_IP, 5060,
                 sip("BYE sip:bob@%s SIP/2.0" % UAS_IP, c, 2, "BYE")))
    pkts.append((end + 15000, UAS_IP, 5060, c["ip"], 5060, sip("SIP/2.0 200 OK", c, 2, "BYE")))
    # trailing media of the caller after its BYE
    for k in range(3):
        rtp = struct.pack("!BBHII", 0x80, 0, (seq + i + k) & 0xFFFF, 0, ssrc_a) + bytes(160)
        pkts.append((end + 30000 + k * 20000, c["ip"], c["port"], UAS_IP, c["uas_port"], rtp))


def shared_sdp(path, seed):
    rng = random.Random(seed)
    pkts = []
    base = 1709294400 * 1000000
    for n in range(60):
        call = {"n": n, "cid": "shared%d-%d" % (seed, n), "user": "u%d" % n,
                # callers cycle through 5 (ip, port) pairs: reused by later calls
                "ip": "10.1.0.%d" % (1 + n % 5), "port": 40000 + 2 * (n % 5),
                # one media port for every call of the UAS, some on a second one
                "uas_port": UAS_MEDIA if n % 3 else UAS_MEDIA + 2}
        t0 = base + n * 700000 + rng.randrange(200000)
        emit_call(pkts, call, t0, 1500000 + rng.randrange(2000000), rng, answer=n % 7 != 3)
    pkts.sort(key=lambda p: p[0])
    w = Writer(path)
    for p in pkts:
        w.udp(*p)
    w.close()


def ts_jumps(path, seed):
    rng = random.Random(seed)
    w = Writer(path)
    base = 1709294400 * 1000000
    # segments of calls, each written with its own time offset: the capture
    # time jumps between (and within) segments
    offsets = [0, -base + 5000000,                 # to ~0
               (2**32 - 1) * 1000000 - base - 20000000,  # to 2^32-1 s
               -600 * 1000000,                     # 10 minutes back
               3 * 3600 * 1000000,                 # 3 hours on
               -200 * 1000000,                     # back again
               400 * 1000000]                      # past the idle timeout
    # a call seen far ahead in time (F), then ringing calls back in the
    # present, then traffic after F: past the ringing calls' idle timeout
    # but not the far call's; then the ringing calls are answered
    t = base - 86400 * 1000000
    far = {"n": 1000, "cid": "far%d" % seed, "user": "far", "ip": "10.3.0.1", "port": 43000,
           "uas_port": 32000}
    w.udp(t + 10000 * 1000000, far["ip"], 5060, UAS_IP, 5060,
          sip("INVITE sip:bob@%s SIP/2.0" % UAS_IP, far, 1, "INVITE", to_tag=False))
    ringing = []
    for k in range(12):
        c = {"n": 1001 + k, "cid": "ring%d-%d" % (seed, k), "user": "r%d" % k,
             "ip": "10.3.1.%d" % (1 + k), "port": 44000, "uas_port": 33000 + 2 * k}
        ringing.append(c)
        w.udp(t + k * 1000, c["ip"], 5060, UAS_IP, 5060,
              sip("INVITE sip:bob@%s SIP/2.0" % UAS_IP, c, 1, "INVITE", to_tag=False))
        w.udp(t + k * 1000 + 500, UAS_IP, 5060, c["ip"], 5060,
              sip("SIP/2.0 180 Ringing", c, 1, "INVITE"))
    f = t + 10000 * 1000000
    for k in range(5):  # traffic of an unrelated flow after F
        w.udp(f + (1 + k * 50) * 1000000, "10.3.2.1", 7000, "10.3.2.2", 7001, b"hello %d" % k)
    for k, c in enumerate(ringing):
        w.udp(f + 250 * 1000000 + k * 1000, UAS_IP, 5060, c["ip"], 5060,
              sip("SIP/2.0 200 OK", c, 1, "INVITE", sdp(UAS_IP, c["uas_port"], 7)))
    n = 0
    for seg, off in enumerate(offsets):
        pkts = []
        for k in range(8):
            call = {"n": n, "cid": "jump%d-%d" % (seed, n), "user": "j%d" % n,
                    "ip": "10.2.%d.%d" % (seg, 1 + k), "port": 42000 + 2 * k,
                    "uas_port": 31000 + 2 * n}
            t0 = base + k * 400000 + rng.randrange(100000)
            emit_call(pkts, call, t0, 800000 + rng.randrange(800000), rng, answer=k % 4 != 1)
            n += 1
        pkts.sort(key=lambda p: p[0])
        # a jump inside the segment too: its last third is written 2 s early
        cut = len(pkts) * 2 // 3
        for i, p in enumerate(pkts):
            t = p[0] + off - (2000000 if i >= cut and seg % 2 else 0)
            t = max(0, min(t, (2**32 - 1) * 1000000 + 999999))
            w.udp(t, *p[1:])
    w.close()


if __name__ == "__main__":
    kind, out = sys.argv[1], sys.argv[2]
    seed = int(sys.argv[3]) if len(sys.argv) > 3 else 1
    {"shared_sdp": shared_sdp, "ts_jumps": ts_jumps}[kind](out, seed)
