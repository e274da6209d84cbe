#!/usr/bin/env python3
"""make_scenarios.py SHARED_DIR OUT_DIR - writes the SIPp SRC scenarios of
tests/integration/test_siprec.sh from the real SRC offers in
SHARED_DIR/data/siprec (each body byte for byte, inside a SIPp INVITE with
the headers its SRC sends: Require: siprec or not, Contact with +sip.src,
;src, or without angle brackets).  The committed tests/siprec/*.xml are
this script's output; rerun it when a body is added.

Each scenario: INVITE (multipart body), 200, ACK, RTP with
play_pcap_audio (the pcap named by PCAP, made by make_rtp_pcap.py),
a pause, BYE, 200.  Negative ones expect their error and ACK it.
"""
import os, sys

shared, out = sys.argv[1], sys.argv[2]
D = os.path.join(shared, 'data', 'siprec')

def body_of(name):
    text = open(os.path.join(D, name), encoding='utf-8').read()
    if text.startswith('INVITE '):  # a whole INVITE: keep its body only
        text = text.split('\n\n', 1)[1]
    return text.rstrip('\n') + '\n'

def boundary_of(body):
    for line in body.splitlines():
        if line.startswith('--'):
            return line[2:].strip()
    raise SystemExit('no boundary')

REQ = '      Require: siprec\n'
C_SRC = '      Contact: <sip:src@[local_ip]:[local_port]>;+sip.src\n'
C_BARE = '      Contact: sip:src@[local_ip]:[local_port];+sip.src\n'
C_SEMI = '      Contact: <sip:src@[local_ip]:[local_port]>;src\n'
C_PLAIN = '      Contact: <sip:src@[local_ip]:[local_port]>\n'

# name: (body file, extra headers, expected status, pcap played after the ACK)
SCEN = {
    'cisco_cube': ('cisco_cube_invite_body.txt', REQ + C_SRC, 200, 'pcmu2.pcap'),
    'cisco_cube_inactive': ('cisco_cube_invite_body_inactive.txt', REQ + C_SRC, 200, None),
    'oracle_acme': ('oracle_acme_sbc_invite_body.txt', REQ + C_BARE, 200, 'pcmu2.pcap'),
    'avaya_acme': ('avaya_env_acme_format_invite_body.txt', REQ + C_SRC, 200, 'pcma2.pcap'),
    'sonus_ribbon': ('sonus_ribbon_sbc_invite_body.txt', REQ + C_SRC, 200, 'pcmu2.pcap'),
    'intrado_viper': ('intrado_viper_full_invite.txt', REQ + C_SRC + '      Supported: siprec\n', 200, 'pcmu1.pcap'),
    'sems_procomm': ('sems_procomm_invite_body.txt', C_PLAIN, 200, 'pcma2.pcap'),
    'opensips_connectel': ('opensips_connectel_invite_body.txt', C_SEMI, 200, 'pcmu2.pcap'),
    'broadworks_mangled': ('broadworks_invite_body_mangled.txt', C_SEMI, 400, None),
}

INVITE = '''  <send retrans="500">
    <![CDATA[

      INVITE sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SRC[call_number]
      To: <sip:srs@[remote_ip]:[remote_port]>
      Call-ID: [call_id]
      CSeq: 1 INVITE
%s      Max-Forwards: 70
      Content-Type: multipart/mixed;boundary=%s
      Content-Length: [len]
%s
    ]]>
  </send>
  <recv response="100" optional="true"/>
'''
ACK2XX = '''  <send>
    <![CDATA[

      ACK sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SRC[call_number]
      To: <sip:srs@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 1 ACK
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
'''
ACKERR = ACK2XX.replace('branch=[branch]', 'branch=[branch-3]')
BYE = '''  <send retrans="500">
    <![CDATA[

      BYE sip:srs@[remote_ip]:[remote_port] SIP/2.0
      Via: SIP/2.0/[transport] [local_ip]:[local_port];branch=[branch]
      From: <sip:src@[local_ip]:[local_port]>;tag=[pid]SRC[call_number]
      To: <sip:srs@[remote_ip]:[remote_port]>[peer_tag_param]
      Call-ID: [call_id]
      CSeq: 3 BYE
      Max-Forwards: 70
      Content-Length: 0

    ]]>
  </send>
  <recv response="200"/>
'''

def indent(body):
    return ''.join('      ' + l + '\n' if l else '\n' for l in body.split('\n')[:-1])

for name, (f, hdrs, status, pcap) in SCEN.items():
    body = body_of(f)
    xml = ['<?xml version="1.0" encoding="ISO-8859-1" ?>\n',
           '<!-- SIPREC SRC: %s (body: ../shared/data/siprec/%s); made by make_scenarios.py -->\n' % (name, f),
           '<scenario name="siprec %s">\n' % name,
           INVITE % (hdrs, boundary_of(body), '\n' + indent(body))]
    if status == 200:
        xml.append('  <recv response="200" rtd="true"/>\n')
        xml.append(ACK2XX)
        if pcap:
            xml.append('  <nop><action><exec play_pcap_audio="%s"/></action></nop>\n' % pcap)
        xml.append('  <pause milliseconds="1300"/>\n')
        xml.append(BYE)
    else:
        xml.append('  <recv response="%d"/>\n' % status)
        xml.append(ACKERR)
    xml.append('</scenario>\n')
    open(os.path.join(out, name + '.xml'), 'w', encoding='iso-8859-1').write(''.join(xml))
print('wrote', len(SCEN), 'scenarios')
