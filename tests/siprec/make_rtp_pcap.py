#!/usr/bin/env python3
"""make_rtp_pcap.py OUT.pcap PT STREAMS PACKETS [tones=F0,F1,...]

A classic pcap of STREAMS G.711 RTP streams (payload type PT, 20 ms,
160-byte payloads), PACKETS packets each, for SIPp's play_pcap_audio: stream
i goes to UDP port 40000 + 2*i (SIPp keeps each packet's offset from the
lowest destination port, so stream i reaches the answer's first port + 2i,
the SRS's i-th consecutive pair).  Deterministic (no randomness), so the
packets sent per stream are known: PACKETS.  With tones=, stream i carries
a sine of Fi Hz (amplitude 8000, G.711 by audioop) instead of a near-silent
pattern, so a rendered recording shows which stream went to which channel.
"""
import math, struct, sys, warnings
warnings.simplefilter('ignore', DeprecationWarning)
import audioop

def tone(freq, n, pt):
    pcm = b''.join(struct.pack('<h', int(8000 * math.sin(2 * math.pi * freq * (160 * n + k) / 8000)))
                   for k in range(160))
    return audioop.lin2alaw(pcm, 2) if pt == 8 else audioop.lin2ulaw(pcm, 2)

def ip_checksum(h):
    s = sum(struct.unpack('!%dH' % (len(h) // 2), h))
    s = (s >> 16) + (s & 0xffff)
    s += s >> 16
    return (~s) & 0xffff

def main():
    out, pt, streams, packets = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4])
    tones = None
    if len(sys.argv) > 5 and sys.argv[5].startswith('tones='):
        tones = [float(x) for x in sys.argv[5][6:].split(',')]
    f = open(out, 'wb')
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))  # Ethernet
    t0 = 1700000000.0
    for n in range(packets):
        for i in range(streams):
            ssrc = 0x51000000 + i
            seq = (1000 + n) & 0xffff
            ts = (160 * n) & 0xffffffff
            if tones:
                payload = tone(tones[i], n, pt)
            else:
                payload = bytes([(0xd5 if pt == 8 else 0xff) ^ ((n + k) & 0x0f) for k in range(160)])
            rtp = struct.pack('!BBHII', 0x80, (0x80 if n == 0 else 0) | pt, seq, ts, ssrc) + payload
            udp = struct.pack('!HHHH', 30000 + 2 * i, 40000 + 2 * i, 8 + len(rtp), 0) + rtp
            iph = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), n & 0xffff, 0x4000, 64, 17, 0,
                              bytes([127, 0, 0, 1]), bytes([127, 0, 0, 1]))
            iph = iph[:10] + struct.pack('!H', ip_checksum(iph)) + iph[12:]
            frame = b'\x00' * 6 + b'\x00' * 6 + b'\x08\x00' + iph + udp
            t = t0 + n * 0.020 + i * 0.0001
            f.write(struct.pack('<IIII', int(t), int((t - int(t)) * 1e6), len(frame), len(frame)))
            f.write(frame)
    f.close()

main()
