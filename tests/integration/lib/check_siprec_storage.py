#!/usr/bin/env python3
"""check_siprec_storage.py DIR - what test_siprec_storage.sh stored and
listed, against the siprec_session NDJSON records of the same run (DIR:
run.ndjson, the tables as JSON, the siphon siprec outputs)."""
import json, os, sys

os.chdir(sys.argv[1])
bad = []
def fail(msg):
    bad.append(msg)

recs = {}
for line in open('run.ndjson'):
    r = json.loads(line)
    if r['type'] == 'siprec_session':
        recs[r['call_id']] = r
sessions = {s['call_id']: s for s in json.load(open('sessions.json'))}
parts = json.load(open('parts.json'))
streams = json.load(open('streams.json'))
calls = json.load(open('calls.json'))
observed = [c['call_uuid'] for c in calls if c['call_id'] == 'e9fffff2020a598b86962867715db0cf']
observed2 = [c['call_uuid'] for c in calls if c['call_id'] == 'oracle-leg-1@10.0.0.1']
if len(observed) != 1 or len(observed2) != 1:
    fail(f'observed calls: {calls}')
links = sorted((l['session'].split('-')[0], l['call_id'], l['matched_by']) for l in json.load(open('links.json')))
want_links = [('cisco', 'e9fffff2020a598b86962867715db0cf', 'call_id'),
              ('oracle', 'oracle-leg-1@10.0.0.1', 'participants')]
if links != want_links:
    fail(f'siprec_session_calls: {links}, want {want_links}')

prefixes = sorted(cid.split('-')[0] for cid in recs)
if prefixes != ['cancel', 'cisco', 'oracle']:
    fail(f'NDJSON sessions: {prefixes}')
if set(sessions) != set(recs):
    fail(f'rows {sorted(sessions)} != records {sorted(recs)}')
for cid, r in recs.items():
    s = sessions.get(cid)
    if not s:
        continue
    for k in ('state', 'src_ip', 'src_port', 'transport'):
        if s[k] != r[k]:
            fail(f'{cid} {k}: row {s[k]!r}, record {r[k]!r}')
    if s['recorded_call_ids'] != r['recorded_call_ids']:
        fail(f"{cid} recorded_call_ids: {s['recorded_call_ids']} != {r['recorded_call_ids']}")
    if s['metadata_updates'] != r['metadata_updates'] or not s['xml_ok'] or \
            s['xml_len'] != s['metadata_xml_bytes'] or s['xml_len'] < 500:
        fail(f'{cid} metadata: {s}')
    rp = [(p['aor'], p['name'], p['role']) for p in r['participants']]
    sp = [(p['aor'], p['name'], p['role']) for p in parts if p['call_id'] == cid]
    if rp != sp or s['participant_count'] != len(rp):
        fail(f'{cid} participants: rows {sp}, record {rp}')
    rs = [(t['label'], t['codec'], t['port'], t['packets'], t['lost'], t['sender']) for t in r['streams']]
    ss = [(t['label'], t['codec'], t['port'], t['packets'], t['lost'], t['sender_aor'])
          for t in streams if t['call_id'] == cid]
    if rs != ss or s['stream_count'] != len(rs) or s['packets'] != sum(t[3] for t in rs):
        fail(f'{cid} streams: rows {ss}, record {rs}')
    want_pkts = 0 if cid.startswith('cancel') else 50
    if any(t[3] != want_pkts for t in rs):
        fail(f'{cid}: packets {[t[3] for t in rs]}, want {want_pkts} each')
    if cid.startswith('cancel') and s['state'] != 'cancelled':
        fail(f'{cid} state {s["state"]}')

listed = [json.loads(l) for l in open('list.ndjson')]
if sorted(x['call_id'] for x in listed) != sorted(recs):
    fail(f'siprec list --json: {[x["call_id"] for x in listed]}')
starts = [x['start_ts'] for x in listed]
if starts != sorted(starts):
    fail(f'siprec list not oldest first: {starts}')
for x in listed:
    r = recs.get(x['call_id'], {})
    want = observed if x['call_id'].startswith('cisco') else \
        observed2 if x['call_id'].startswith('oracle') else []
    if x['calls'] != want:
        fail(f"{x['call_id']}: linked calls {x['calls']}, want {want}")
    if x['participants'] != [p['aor'] for p in r.get('participants', [])]:
        fail(f"{x['call_id']}: listed participants {x['participants']}")
    if x['state'] != r.get('state') or x['stream_count'] != len(r.get('streams', [])):
        fail(f"{x['call_id']}: listed {x}")
if open('list_future.ndjson').read().strip():
    fail('siprec list --since 2099: not empty')
text = open('list.txt', encoding='utf-8').read()
for cid in recs:
    if cid not in text:
        fail(f'text list lacks {cid}')
if any(ord(ch) < 0x20 and ch != '\n' for ch in text):
    fail('control characters in the text list')
if observed and observed[0] not in text:
    fail('text list lacks the observed call uuid')
show = open('show.txt').read()
if 'stream 2:' not in show or 'label=2' not in show or 'participant 2:' not in show:
    fail(f'show text: {show}')
sj = json.loads(open('show.json').read())
if [t['packets'] for t in sj['streams']] != [50, 50] or 'recording' not in (sj['metadata_xml'] or '') \
        or sj['calls'] != observed:
    fail(f'show json: {sj}')
if open('show_missing.rc').read().strip() != '3':
    fail('show of an unknown session: exit status ' + open('show_missing.rc').read().strip())
print(f'{len(sessions)} sessions, {len(parts)} participants, {len(streams)} streams, '
      f'{len(listed)} listed, cisco linked to {observed}')
for b in bad:
    print('FAIL:', b)
sys.exit(1 if bad else 0)
