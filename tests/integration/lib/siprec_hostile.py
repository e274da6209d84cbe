#!/usr/bin/env python3
"""siprec_hostile.py HOST PORT SHARED_DIR - hostile and malformed requests to
the SRS (siphon run with siprec enabled, siprec.allow = 127.0.0.1/32), each
checked for the status (and reason words) it must get:

  DTD/entity bomb in the metadata        400 Bad metadata (UDP)
  metadata nested 200 deep                400 Bad metadata (UDP)
  metadata that is not XML                400 Bad metadata (UDP)
  300 m= lines                            488 (TCP: the offer does not fit UDP)
  a megabyte of metadata                  413, then OPTIONS on the same TCP connection: 200
  the damaged BroadWorks body (LF-only)   400 (UDP)
  no Call-ID                              400 naming Call-ID
  Require: foo                            420 with Unsupported: foo
  a plain INVITE (no siprec sign)         488
  BYE for an unknown dialog               481
  OPTIONS from 127.0.0.2 (outside allow)  403
  OPTIONS                                 200 with Allow and Supported: siprec
Exit 0 when every case got its answer; prints one line per case.
"""
import os, socket, sys, time

host, port, shared = sys.argv[1], int(sys.argv[2]), sys.argv[3]
failed = []
n = [0]

def req(method, body=b'', ctype=None, extra='', call_id=None, require='siprec', contact_src=True,
        drop=()):
    n[0] += 1
    cid = call_id or 'hostile-%d-%d@127.0.0.1' % (os.getpid(), n[0])
    h = ['%s sip:srs@%s:%d SIP/2.0' % (method, host, port),
         'Via: SIP/2.0/UDP 127.0.0.1:5099;branch=z9hG4bK-h%d-%d' % (os.getpid(), n[0]),
         'From: <sip:src@127.0.0.1>;tag=h%d' % n[0],
         'To: <sip:srs@%s>' % host,
         'Call-ID: ' + cid,
         'CSeq: 1 ' + method,
         'Max-Forwards: 70']
    if contact_src:
        h.append('Contact: <sip:src@127.0.0.1:5099>;+sip.src')
    if require:
        h.append('Require: ' + require)
    if ctype:
        h.append('Content-Type: ' + ctype)
    h = [x for x in h if not any(x.startswith(d) for d in drop)]
    if extra:
        h.append(extra)
    h.append('Content-Length: %d' % len(body))
    return ('\r\n'.join(h) + '\r\n\r\n').encode() + body

def udp(msg, src='127.0.0.1'):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
    s.bind((src, 0))
    s.settimeout(2)
    s.sendto(msg, (host, port))
    out = []
    try:
        while True:
            d, _ = s.recvfrom(65536)
            out.append(d.decode(errors='replace'))
            if not d.startswith(b'SIP/2.0 100'):
                break
    except socket.timeout:
        pass
    s.close()
    return out

def tcp_read_response(s):
    data = b''
    while True:
        while b'\r\n\r\n' not in data:
            c = s.recv(65536)
            if not c:
                return None, data
            data += c
        head, rest = data.split(b'\r\n\r\n', 1)
        if head.startswith(b'SIP/2.0 100'):
            data = rest
            continue
        return head.decode(errors='replace'), rest

def check(name, resp, code, words=()):
    final = resp[-1] if resp else ''
    ok = final.startswith('SIP/2.0 %d' % code) and all(w in final for w in words)
    print('%-28s %s: %s' % (name, 'ok' if ok else 'FAIL', final.split('\r\n')[0] if final else 'no answer'))
    if not ok:
        failed.append(name)

def multipart(sdp, md, boundary='b1'):
    return ('--%s\r\nContent-Type: application/sdp\r\n\r\n%s\r\n--%s\r\nContent-Type: '
            'application/rs-metadata+xml\r\nContent-Disposition: recording-session\r\n\r\n%s\r\n--%s--\r\n'
            % (boundary, sdp, boundary, md, boundary)).encode()

SDP = ('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n'
       'm=audio 30000 RTP/AVP 0\r\na=label:1\r\na=sendonly\r\n')
MP = 'multipart/mixed;boundary=b1'
MD_OK = ('<?xml version="1.0"?><recording xmlns="urn:ietf:params:xml:ns:recording:1">'
         '<datamode>complete</datamode></recording>')

bomb = ('<?xml version="1.0"?><!DOCTYPE recording [<!ENTITY a "aaaaaaaaaa">'
        + ''.join('<!ENTITY a%d "&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;&a%s;">' % ((i,) + (('' if i == 1 else i - 1),) * 10) for i in range(1, 10))
        + ']><recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>&a9;</datamode></recording>')
check('entity bomb', udp(req('INVITE', multipart(SDP, bomb), MP)), 400, ['metadata'])
deep = '<recording>' + '<x>' * 200 + '</x>' * 200 + '</recording>'
check('nested 200 deep', udp(req('INVITE', multipart(SDP, deep), MP)), 400, ['metadata'])
check('not XML', udp(req('INVITE', multipart(SDP, '<recording><unclosed>'), MP)), 400, ['metadata'])
bw = open(os.path.join(shared, 'data/siprec/broadworks_invite_body_mangled.txt'), 'rb').read()
check('broadworks damaged (LF)', udp(req('INVITE', bw, 'multipart/mixed;boundary=UniqueBroadWorksBoundary',
                                         require=None, contact_src=False)), 400)
check('no Call-ID', udp(req('OPTIONS', drop=('Call-ID',))), 400, ['Call-ID'])
check('Require: foo', udp(req('INVITE', multipart(SDP, MD_OK), MP, require='siprec, foo')), 420,
      ['Unsupported: foo'])
check('plain INVITE', udp(req('INVITE', SDP.encode(), 'application/sdp', require=None,
                              contact_src=False)), 488)
check('BYE unknown dialog', udp(req('BYE', extra='X-Test: 1').replace(b'To: <sip:srs@%s>' % host.encode(),
                                b'To: <sip:srs@%s>;tag=nosuch' % host.encode())), 481)
check('outside siprec.allow', udp(req('OPTIONS'), src='127.0.0.2'), 403)
check('OPTIONS', udp(req('OPTIONS')), 200, ['Allow:', 'Supported: siprec'])

# TCP: 300 streams; a megabyte of metadata, then the connection still serves
s = socket.create_connection((host, port), timeout=5)
many = 'v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n' + ''.join(
    'm=audio %d RTP/AVP 0\r\na=label:%d\r\na=sendonly\r\n' % (30000 + 2 * i, i) for i in range(300))
s.sendall(req('INVITE', multipart(many, MD_OK), MP).replace(b'SIP/2.0/UDP', b'SIP/2.0/TCP'))
head, rest = tcp_read_response(s)
check('300 streams (TCP)', [head or ''], 488)
big = '<recording xmlns="urn:ietf:params:xml:ns:recording:1"><!--' + 'x' * (1 << 20) + '--></recording>'
s.sendall(req('INVITE', multipart(SDP, big), MP).replace(b'SIP/2.0/UDP', b'SIP/2.0/TCP'))
head, rest = tcp_read_response(s)
check('megabyte metadata (TCP)', [head or ''], 413)
s.sendall(req('OPTIONS').replace(b'SIP/2.0/UDP', b'SIP/2.0/TCP'))
time.sleep(0.2)
head, rest = tcp_read_response(s)
check('same connection after 413', [head or ''], 200)
s.close()

if failed:
    print('FAILED:', ', '.join(failed))
    sys.exit(1)
