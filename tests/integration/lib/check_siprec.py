#!/usr/bin/env python3
"""check_siprec.py RUN.ndjson - the siprec_session records test_siprec.sh's
SRCs must have produced, by Call-ID prefix (SIPp -cid_str NAME-...): state,
participants (AOR, name, role), per stream the label, codec, packets
received (equal to the packets the pcap played: PKTS per stream), lost,
the sender's AOR from the metadata, pauses, and the recorded Call-IDs; then
the summary's siprec counters."""
import json, sys

PKTS = 50
recs, summary = {}, None
for line in open(sys.argv[1]):
    r = json.loads(line)
    if r['type'] == 'siprec_session':
        recs[r['call_id'].split('-')[0]] = r
    elif r['type'] == 'summary':
        summary = r

A = 'sip:7301@35.162.237.204'
B = 'sip:7300@35.162.237.204'
# prefix: state, [(aor, name, role)], [(label, codec, packets, sender, pauses)], call ids, transport
EXPECT = {
    'cisco': ('completed', [(A, None, 'sender'), (B, '7300', 'sender')],
              [('1', 'PCMU', PKTS, A, 0), ('2', 'PCMU', PKTS, B, 0)],
              ['e9fffff2020a598b86962867715db0cf'], 'udp'),
    'ciscotcp': ('completed', [(A, None, 'sender'), (B, '7300', 'sender')],
                 [('1', 'PCMU', PKTS, A, 0), ('2', 'PCMU', PKTS, B, 0)],
                 ['e9fffff2020a598b86962867715db0cf'], 'tcp'),
    'ciscoinactive': ('completed', [('sip:0733165805@192.168.40.34', None, None),
                                    ('sip:+972546136443@192.168.10.140', None, None)],
                      [('1', 'PCMU', 0, None, 1), ('2', 'PCMU', 0, None, 1)],
                      ['f845891467cf5c2189987435807bd432'], 'udp'),
    'oracle': ('completed', [('sip:9000@192.168.50.102', '9000', 'calling'),
                             ('sip:1002@192.168.50.10', '1002', 'called')],
               [('16777227', 'PCMU', PKTS, 'sip:9000@192.168.50.102', 0),
                ('16777228', 'PCMU', PKTS, 'sip:1002@192.168.50.10', 0)], [], 'udp'),
    'avaya': ('completed', [('sip:31624895902@10.10.128.62', '31624895902', 'calling'),
                            ('sip:33187164021@sip.webhelpgroupe.lan', '33187164021', 'called')],
              [('201835599', 'PCMA', PKTS, 'sip:31624895902@10.10.128.62', 0),
               ('201835600', 'PCMA', PKTS, 'sip:33187164021@sip.webhelpgroupe.lan', 0)],
              ['134485702_44821128@10.10.128.62'], 'udp'),
    'sonus': ('completed', [('2249888500@172.16.198.55', 'Extension 8500', 'sender'),
                            ('2249888012@172.16.195.72', None, 'sender')],
              [('1', 'PCMU', PKTS, '2249888012@172.16.195.72', 0),
               ('2', 'PCMU', PKTS, '2249888500@172.16.198.55', 0)],
              ['2da553f7-a48b-1235-d6a2-5254003a4988'], 'udp'),
    'intrado': ('completed', [('4058327108@10.105.190.136:5060', None, 'calling')],
                [('1', 'PCMU', PKTS, '4058327108@10.105.190.136:5060', 0)], [], 'udp'),
    'sems': ('completed', [('sip:016190200@87.252.209.116', '016190200', 'sender'),
                           ('Extension-016190619@speechpath.ie', 'Speechpath-Main-Line 016190619', 'sender')],
             [('a_leg', 'PCMA', PKTS, 'sip:016190200@87.252.209.116', 0),
              ('b_leg', 'PCMA', PKTS, 'Extension-016190619@speechpath.ie', 0)], [], 'udp'),
    'opensips': ('completed', [('sip:0771121212@52.57.92.239', 'test_user;lang=en-US;id=22', None),
                               ('sip:0760516936@sip-cust1.connectel.io', None, None)],
                 [('1', 'PCMU', PKTS, None, 0), ('2', 'PCMA', PKTS, None, 0)],
                 ['2d8abbf0769c66e15bb349f509693d60@52.57.92.239'], 'udp'),
    'pause': ('completed', [('sip:placeholder@sbc.example', None, None)],
              [('1', 'PCMU', 2 * PKTS, None, 2), ('2', 'PCMU', 2 * PKTS, None, 2)],
              ['recorded-call-1@pbx.example'], 'udp'),
    'update': ('completed', [('sip:placeholder@sbc.example', None, None),
                             ('sip:alice@example.com', 'Alice', 'sender'),
                             ('sip:bob@example.com', 'Bob', 'sender')],
               [('1', 'PCMU', PKTS, 'sip:alice@example.com', 0), ('2', 'PCMU', PKTS, 'sip:bob@example.com', 0)],
               ['recorded-call-1@pbx.example'], 'udp'),
    'cancel': ('cancelled', [('sip:placeholder@sbc.example', None, None)],
               [('1', 'PCMU', 0, None, 0), ('2', 'PCMU', 0, None, 0)],
               ['recorded-call-1@pbx.example'], 'udp'),
    'after': ('completed', [(A, None, 'sender'), (B, '7300', 'sender')],
              [('1', 'PCMU', PKTS, A, 0), ('2', 'PCMU', PKTS, B, 0)],
              ['e9fffff2020a598b86962867715db0cf'], 'udp'),
    'srtp': ('completed', [(A, None, 'sender'), (B, '7300', 'sender')],
             [('1', 'PCMU', PKTS, A, 0), ('2', 'PCMU', PKTS, B, 0)],
             ['e9fffff2020a598b86962867715db0cf'], 'udp'),
    'tls': ('completed', [('sip:tls@example.com', None, 'sender')], [('tls-1', 'PCMA', 0, 'sip:tls@example.com', 0)], [], 'tls'),
}
bad = []
for name, (state, parts, streams, cids, tp) in EXPECT.items():
    r = recs.get(name)
    if not r:
        bad.append('%s: no siprec_session record' % name)
        continue
    got_parts = [(p['aor'], p['name'], p['role']) for p in r['participants']]
    got_streams = [(s['label'], s['codec'], s['packets'], s['sender'], s['pauses']) for s in r['streams']]
    for what, want, got in (('state', state, r['state']), ('participants', parts, got_parts),
                            ('streams', streams, got_streams), ('recorded_call_ids', cids, r['recorded_call_ids']),
                            ('transport', tp, r['transport'])):
        if want != got:
            bad.append('%s: %s %r, want %r' % (name, what, got, want))
    for s in r['streams']:
        if s['lost'] != 0 or s['socket_drops'] != 0 or s['srtp_auth_failures'] != 0:
            bad.append('%s: stream %s lost %d, drops %d, auth failures %d' % (name, s['label'], s['lost'], s['socket_drops'], s['srtp_auth_failures']))
        if s['packets'] and (s['mos'] is None or s['mos'] < 4.0):
            bad.append('%s: stream %s MOS %r' % (name, s['label'], s['mos']))
        if name == 'srtp' and not (s['srtp'] and s['srtp_suite'] == 'AES_CM_128_HMAC_SHA1_80'):
            bad.append('srtp: stream %s not decrypted as SRTP' % s['label'])
extra = set(recs) - set(EXPECT)
if extra:
    bad.append('unexpected sessions: %s' % sorted(extra))
if not summary or 'siprec' not in summary:
    bad.append('no siprec counters in the summary')
else:
    c = summary['siprec']
    for k, lo in (('forbidden', 1), ('rejected_metadata', 3), ('rejected_offer', 4), ('sip_too_large', 1),
                  ('sessions_cancelled', 1), ('reinvites', 4), ('updates', 1), ('options', 2),
                  ('tls_handshake_failures', 1)):
        if c[k] < lo:
            bad.append('summary siprec.%s = %d, want >= %d' % (k, c[k], lo))
    if c['sessions_active'] != 0 or c['streams_active'] != 0 or c['socket_drops'] != 0:
        bad.append('summary: sessions/streams left active or drops: %r' % c)
for b in bad:
    print('FAIL:', b)
print('%d sessions checked' % len(recs))
sys.exit(1 if bad else 0)
