#!/usr/bin/env python3
"""siprec_observed_call.py OUT.pcap CALL_ID [FROM TO SECONDS] - the recorded
call as a passive probe would capture it (INVITE, 180, 200, ACK, BYE, 200
over UDP between two phones, from 5 s ago, the BYE SECONDS after the ACK:
default 1), from user FROM to user TO (default 7301 to 7300), so `siphon
analyze --store` stores a call a SIPREC session recorded: by the Call-ID
its metadata names, or by its participants."""
import struct, sys, time

out, cid = sys.argv[1], sys.argv[2]
fu, tu, hold = (sys.argv[3], sys.argv[4], float(sys.argv[5])) if len(sys.argv) > 5 else ('7301', '7300', 1.0)
A, B = (bytes([10, 0, 0, 1]), 5060), (bytes([10, 0, 0, 2]), 5060)

def csum(h):
    s = sum(struct.unpack('!%dH' % (len(h) // 2), h))
    s = (s >> 16) + (s & 0xffff)
    return (~(s + (s >> 16))) & 0xffff

def frame(src, dst, payload):
    udp = struct.pack('!HHHH', src[1], dst[1], 8 + len(payload), 0) + payload
    ip = struct.pack('!BBHHHBBH4s4s', 0x45, 0, 20 + len(udp), 1, 0x4000, 64, 17, 0, src[0], dst[0])
    ip = ip[:10] + struct.pack('!H', csum(ip)) + ip[12:]
    return b'\x02' * 6 + b'\x04' * 6 + b'\x08\x00' + ip + udp

def msg(first, cseq, to_tag=True, sdp=False):
    body = ('v=0\r\no=- 1 1 IN IP4 10.0.0.1\r\ns=-\r\nc=IN IP4 10.0.0.1\r\nt=0 0\r\n'
            'm=audio 40000 RTP/AVP 0\r\n') if sdp else ''
    h = (f'{first}\r\nVia: SIP/2.0/UDP 10.0.0.1:5060;branch=z9hG4bK{cseq.split()[0]}x\r\n'
         f'From: <sip:{fu}@35.162.237.204>;tag=a1\r\n'
         f'To: <sip:{tu}@35.162.237.204>{";tag=b2" if to_tag else ""}\r\n'
         f'Call-ID: {cid}\r\nCSeq: {cseq}\r\nContact: <sip:7301@10.0.0.1>\r\n'
         f'{"Content-Type: application/sdp" + chr(13) + chr(10) if sdp else ""}'
         f'Content-Length: {len(body)}\r\n\r\n{body}')
    return h.encode()

flow = [(A, B, msg(f'INVITE sip:{tu}@35.162.237.204 SIP/2.0', '1 INVITE', False, True)),
        (B, A, msg('SIP/2.0 180 Ringing', '1 INVITE')),
        (B, A, msg('SIP/2.0 200 OK', '1 INVITE', sdp=True)),
        (A, B, msg('ACK sip:7300@10.0.0.2 SIP/2.0', '1 ACK')),
        (A, B, msg('BYE sip:7300@10.0.0.2 SIP/2.0', '2 BYE')),
        (B, A, msg('SIP/2.0 200 OK', '2 BYE'))]
t0 = time.time() - 5
with open(out, 'wb') as f:
    f.write(struct.pack('<IHHiIII', 0xa1b2c3d4, 2, 4, 0, 0, 65535, 1))
    for i, (s, d, p) in enumerate(flow):
        fr = frame(s, d, p)
        t = t0 + i * 0.5 + (hold if i >= 4 else 0)
        f.write(struct.pack('<IIII', int(t), int((t % 1) * 1e6), len(fr), len(fr)) + fr)
