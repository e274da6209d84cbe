#!/usr/bin/env python3
"""check_siprec_record.py RUN.ndjson SIPHON AUDIO_CHECK STORE SIP_PORT - the
recordings of test_siprec_record.sh's sessions: per session (by Call-ID
prefix) its pcap out of the packet store read by tshark (frames per stream
port equal to the record's packets, the SIP decoded, checksums good) and
its audio (length, which tone on which channel, not silent)."""
import json, os, subprocess, sys

ndjson, siphon, audio_check, store, sip_port = sys.argv[1:6]
recs = {}
for line in open(ndjson):
    r = json.loads(line)
    if r['type'] == 'siprec_session':
        recs[r['call_id'].split('-')[0]] = r

# prefix: (left Hz, right Hz).  The pcaps carry 440 Hz on the first m= line
# and 1000 Hz on the second.  cisco: 7301, first listed, sends label 1;
# oracle: 9000 is callingParty and sends 16777227 (first m= line); sonus:
# 2249888500 (the callData's From, listed first) sends label 2, the second
# m= line, so it is left with 1000 Hz; srtp: as cisco.
EXPECT = {'cisco': (440, 1000), 'ciscotcp': (440, 1000), 'oracle': (440, 1000),
          'sonus': (1000, 440), 'srtp': (440, 1000)}
bad = []

def fail(name, msg):
    bad.append(f'{name}: {msg}')

def tshark(pcap, *args):
    return subprocess.run(['tshark', '-r', pcap, '-d', f'udp.port=={sip_port},sip'] + list(args),
                          capture_output=True, text=True, check=True).stdout

for name, (left, right) in EXPECT.items():
    r = recs.get(name)
    if not r:
        fail(name, 'no siprec_session record')
        continue
    cid = r['call_id']
    pcap = f'{name}.pcap'
    p = subprocess.run([siphon, 'pcap', '-c', 'empty.conf', f'--record.dir={store}', cid, '-o', pcap],
                       capture_output=True, text=True)
    if p.returncode != 0:
        fail(name, f'siphon pcap exited {p.returncode}: {p.stderr.strip()}')
        continue
    ports = {}
    for line in tshark(pcap, '-T', 'fields', '-e', 'udp.srcport', '-e', 'udp.dstport').splitlines():
        s, d = line.split('\t')
        ports[int(d)] = ports.get(int(d), 0) + 1
    total_media = 0
    for st in r['streams']:
        port = st.get('port') or st.get('local_port')
        got = ports.get(port, 0)
        total_media += got
        if got != st['packets'] or st['packets'] < 40:
            fail(name, f"stream {st['label']} port {port}: {got} frames in the pcap, "
                       f"{st['packets']} received by the SRS")
    methods = tshark(pcap, '-Y', 'sip', '-T', 'fields', '-e', 'sip.Method', '-e', 'sip.Status-Code').split()
    if methods.count('INVITE') != 1 or 'BYE' not in methods or methods.count('200') < 2:
        fail(name, f'SIP in the pcap: {methods}')
    badsum = tshark(pcap, '-o', 'ip.check_checksum:TRUE', '-o', 'udp.check_checksum:TRUE', '-Y',
                    'ip.checksum.status == 0 || udp.checksum.status == 0', '-T', 'fields', '-e', 'frame.number')
    if badsum.strip():
        fail(name, f'bad checksums in frames {badsum.split()}')
    wav = f'{name}.wav'
    p = subprocess.run([siphon, 'audio', '-c', 'empty.conf', f'--record.dir={store}', cid, '-o', wav],
                       capture_output=True, text=True)
    if p.returncode != 0:
        fail(name, f'siphon audio exited {p.returncode}: {p.stderr.strip()}')
        continue
    q = 'dom 0 0.1 0.9\ndom 1 0.1 0.9\npeak 0 0 1\npeak 1 0 1\n'
    out = subprocess.run([audio_check, wav], input=q, capture_output=True, text=True, check=True).stdout.split('\n')
    info = out[0].split()
    rate, chans, frames = int(info[1]), int(info[2]), int(info[3])
    seconds = frames / rate
    want = max(st['packets'] for st in r['streams']) * 0.020
    if chans != 2 or abs(seconds - want) > 0.06:
        fail(name, f'audio: {chans} channels, {seconds:.3f} s, want 2 and {want:.3f} s')
    dl, dr, pl, pr = (float(x) for x in out[1:5])
    if abs(dl - left) > 5 or abs(dr - right) > 5:
        fail(name, f'audio: left {dl:.1f} Hz, right {dr:.1f} Hz, want {left} and {right}')
    if pl < 0.1 or pr < 0.1:
        fail(name, f'audio: peaks {pl}, {pr}: silent channel')
    print(f'{name}: {sum(ports.values())} frames ({total_media} media), SIP {len(methods)} fields, '
          f'{seconds:.3f} s, left {dl:.0f} Hz, right {dr:.0f} Hz')

for b in bad:
    print('FAIL:', b)
sys.exit(1 if bad else 0)
