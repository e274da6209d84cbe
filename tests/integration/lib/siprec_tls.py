#!/usr/bin/env python3
"""siprec_tls.py HOST PORT CA CLIENT_CERT CLIENT_KEY - a recording session
over TLS with a client certificate (INVITE with a multipart offer, 200,
ACK, OPTIONS, BYE, 200 on one connection), then a connection without a
client certificate, which the SRS (siprec.verify_client = true) must refuse
in the handshake.  SIPp 3.6.1 in Debian is built without TLS, hence Python.
"""
import socket, ssl, sys

host, port, ca, cert, key = sys.argv[1], int(sys.argv[2]), sys.argv[3], sys.argv[4], sys.argv[5]

def ctx(with_cert):
    c = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
    c.load_verify_locations(ca)
    c.check_hostname = False
    if with_cert:
        c.load_cert_chain(cert, key)
    return c

def read_final(s, buf):
    while True:
        while b'\r\n\r\n' not in buf:
            d = s.recv(65536)
            if not d:
                raise SystemExit('FAIL: connection closed')
            buf += d
        head, buf = buf.split(b'\r\n\r\n', 1)
        head = head.decode()
        clen = 0
        for line in head.split('\r\n'):
            if line.lower().startswith('content-length:'):
                clen = int(line.split(':')[1])
        while len(buf) < clen:
            buf += s.recv(65536)
        body, buf = buf[:clen], buf[clen:]
        if not head.startswith('SIP/2.0 100'):
            return head, body.decode(), buf

def msg(method, cseq, to_tag='', body=b'', ctype=None):
    h = ['%s sip:srs@%s:%d;transport=tls SIP/2.0' % (method, host, port),
         'Via: SIP/2.0/TLS 127.0.0.1:5999;branch=z9hG4bK-tls-%d' % cseq,
         'From: <sip:src@127.0.0.1>;tag=tls1', 'To: <sip:srs@%s>%s' % (host, to_tag),
         'Call-ID: tls-session-1@127.0.0.1', 'CSeq: %d %s' % (cseq, method),
         'Contact: <sip:src@127.0.0.1:5999;transport=tls>;+sip.src', 'Require: siprec']
    if ctype:
        h.append('Content-Type: ' + ctype)
    h.append('Content-Length: %d' % len(body))
    return ('\r\n'.join(h) + '\r\n\r\n').encode() + body

sdp = ('v=0\r\no=- 1 1 IN IP4 127.0.0.1\r\ns=-\r\nc=IN IP4 127.0.0.1\r\nt=0 0\r\n'
       'm=audio 30000 RTP/AVP 8\r\na=label:tls-1\r\na=sendonly\r\n')
md = ('<recording xmlns="urn:ietf:params:xml:ns:recording:1"><datamode>complete</datamode>'
      '<participant participant_id="p1"><nameID aor="sip:tls@example.com"/></participant>'
      '<stream stream_id="s1" session_id="x"><label>tls-1</label></stream>'
      '<participantstreamassoc participant_id="p1"><send>s1</send></participantstreamassoc></recording>')
body = ('--tb\r\nContent-Type: application/sdp\r\n\r\n%s\r\n--tb\r\nContent-Type: application/rs-metadata+xml\r\n'
        'Content-Disposition: recording-session\r\n\r\n%s\r\n--tb--\r\n' % (sdp, md)).encode()

raw = socket.create_connection((host, port), timeout=5)
s = ctx(True).wrap_socket(raw)
s.sendall(msg('INVITE', 1, body=body, ctype='multipart/mixed;boundary=tb'))
head, b, rest = read_final(s, b'')
assert head.startswith('SIP/2.0 200'), 'FAIL: INVITE over TLS: ' + head.split('\r\n')[0]
assert '+sip.srs' in head and 'transport=tls' in head, 'FAIL: 200 Contact: ' + head
assert 'a=label:tls-1' in b and 'a=recvonly' in b, 'FAIL: answer ' + b
tag = [l for l in head.split('\r\n') if l.startswith('To:')][0].split(';tag=')[1]
s.sendall(msg('ACK', 1, ';tag=' + tag).replace(b'tls-1\r\n', b'tls-ack\r\n'))
s.sendall(msg('OPTIONS', 2))
head, b, rest = read_final(s, rest)
assert head.startswith('SIP/2.0 200'), 'FAIL: OPTIONS over TLS: ' + head
s.sendall(msg('BYE', 3, ';tag=' + tag))
head, b, rest = read_final(s, rest)
assert head.startswith('SIP/2.0 200'), 'FAIL: BYE over TLS: ' + head
s.close()
print('TLS session with a client certificate: ok')

raw = socket.create_connection((host, port), timeout=5)
try:
    s = ctx(False).wrap_socket(raw)
    s.sendall(msg('OPTIONS', 9))
    d = s.recv(100)
    if d:
        raise SystemExit('FAIL: a client without a certificate was answered')
except (ssl.SSLError, ConnectionResetError, BrokenPipeError):
    pass
print('TLS without a client certificate: refused')
