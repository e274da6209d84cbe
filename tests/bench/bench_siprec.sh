#!/usr/bin/env bash
# bench_siprec.sh [SESSIONS RATE] - the SIPREC recording server's capacity:
# SIPp on loopback opens SESSIONS (default 1000) two-stream G.711 recording
# sessions at RATE new sessions/s (default 50); each plays 10 s of RTP on
# both streams (500 packets each, play_pcap_audio) and ends with BYE after
# HOLD_MS (default 14000: SIPp's player threads fall behind real time on a
# loaded machine, and a BYE ends SIPp's player with the call; the slack lets
# them finish), so about RATE x HOLD_MS/1000 sessions are open at once (700
# at the defaults).  siphon runs as a pure recording server (siphon run
# --siprec.enabled, no capture), its stats line every second.
# Reported: sessions answered and recorded, the most sessions open at once
# (siphon's own counter), packets received against packets sent (every
# stream must have all 500, none lost, no socket drops), SIPp's failed
# calls, the UDP datagrams the kernel found no socket for (NoPorts: RTP
# arriving after its session's BYE), and the CPU seconds siphon and SIPp
# used, and what reached the packet store (record.dir in the work
# directory: every session's SIP and media; --record.enabled=false in
# SIPHON_ARGS measures without it).  SIPHON_ARGS: more `siphon run`
# arguments, e.g. passive capture alongside (--capture.interfaces=lo
# --capture.threads=1).  KEEP=1 keeps
# the work directory.  Needs: SIPp, python3, an optimised build (BUILD=,
# default ./bg: cmake -B bg -DCMAKE_BUILD_TYPE=RelWithDebInfo).
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$PWD
SESSIONS=${1:-1000} RATE=${2:-50} HOLD_MS=${HOLD_MS:-14000}
BUILD=${BUILD:-$root/bg}
SIPHON=$BUILD/app/siphon
work=$(mktemp -d /tmp/bench_siprec.XXXXXX)
srs_pid=""
trap '[ -n "$srs_pid" ] && kill $srs_pid 2>/dev/null; [ -n "${KEEP:-}" ] || rm -rf "$work"' EXIT
read -r sip sipp_port sipp_media < <(python3 - <<'PY'
import random, socket
def free(types):
    while True:
        p = random.randrange(20000, 60000, 2)
        try:
            socks = []
            for t in types:
                s = socket.socket(socket.AF_INET, t); s.bind(('127.0.0.1', p)); socks.append(s)
            for s in socks: s.close()
            return p
        except OSError:
            pass
U, T = socket.SOCK_DGRAM, socket.SOCK_STREAM
print(free([U, T]), free([U]), free([U]))
PY
)
python3 tests/siprec/make_rtp_pcap.py "$work/bench.pcap" 0 2 500
sed "s/<pause milliseconds=\"14000\"/<pause milliseconds=\"$HOLD_MS\"/" tests/siprec/bench_2streams.xml \
    >"$work/bench_2streams.xml"
cd "$work"
ulimit -n 16384
: >empty.conf
"$SIPHON" run -c empty.conf --allow-root --json --log.stats_interval=1s \
    --siprec.enabled=true --siprec.listen="udp:127.0.0.1:$sip" --siprec.rtp_ports=40000-47999 \
    --siprec.max_sessions=2000 --record.dir="$work/store" ${SIPHON_ARGS:-} >run.ndjson 2>run.stderr &
srs_pid=$!
for _ in $(seq 50); do grep -q "SIPREC recording server on" run.stderr && break; sleep 0.1; done
udp() { awk -v f=$1 '/^Udp:/ {n++; if (n == 2) print $f}' /proc/net/snmp; } # 3 NoPorts, 6 RcvbufErrors
np0=$(udp 3) rb0=$(udp 6)
t0=$(date +%s.%N)
/usr/bin/time -f "%U %S" -o sipp.time timeout $((SESSIONS / RATE + 60)) \
    sipp "127.0.0.1:$sip" -sf bench_2streams.xml -i 127.0.0.1 -p "$sipp_port" -mp "$sipp_media" \
    -m "$SESSIONS" -r "$RATE" -l $((SESSIONS)) -nostdin -trace_stat -fd 1 \
    >sipp.out 2>&1 || echo "sipp exited $?"
t1=$(date +%s.%N)
sleep 1
np1=$(udp 3) rb1=$(udp 6)
cpu=$(awk '{print ($14 + $15) / 100}' /proc/$srs_pid/stat)
kill -TERM $srs_pid; wait $srs_pid || true
srs_pid=""
python3 - "$SESSIONS" "$RATE" "$t0" "$t1" "$cpu" $((np1 - np0)) $((rb1 - rb0)) <<'PY'
import json, re, sys, glob
sessions, rate, t0, t1, cpu = int(sys.argv[1]), int(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), float(sys.argv[5])
recs = [json.loads(l) for l in open('run.ndjson')]
sess = [r for r in recs if r['type'] == 'siprec_session']
summ = [r for r in recs if r['type'] == 'summary'][0]['siprec']
streams = [s for r in sess for s in r['streams']]
full = sum(1 for s in streams if s['packets'] == 500)
lost = sum(max(0, s['lost']) for s in streams)
short = sum(500 - s['packets'] for s in streams if s['packets'] < 500)
drops = sum(s['socket_drops'] for s in streams)
active = [int(m.group(1)) for m in re.finditer(r'stats siprec: (\d+) sessions active', open('run.stderr').read())]
stat = sorted(glob.glob('bench_2streams_*_.csv'))
sipp_fail = None
if stat:
    rows = open(stat[0]).read().splitlines()
    hdr, last = rows[0].split(';'), rows[-1].split(';')
    sipp_fail = int(last[hdr.index('FailedCall(C)')])
su, ss = open('sipp.time').read().split('\n')[-2].split()
print('sessions requested %d at %d/s over %.1f s' % (sessions, rate, t1 - t0))
print('siprec_session records %d (completed %d); SIPp failed calls %s' % (len(sess), sum(r['state'] == 'completed' for r in sess), sipp_fail))
print('most sessions open at once (siphon, 1 s samples): %d' % (max(active) if active else -1))
print('streams %d, with all 500 packets %d; packets missing %d, lost %d, socket drops %d (server total %d)' % (len(streams), full, short, lost, drops, summ['socket_drops']))
print('RTP packets received %d of %d sent' % (summ['rtp_packets'], len(sess) * 2 * 500))
print('kernel, during the run: UDP datagrams to no socket (late RTP after a BYE) %s, receive-buffer drops %s' % (sys.argv[6], sys.argv[7]))
print('CPU: siphon %.1f s, SIPp %.1f s user + %.1f s sys' % (cpu, float(su), float(ss)))
import os
idx = 'store/calls.idx'
if os.path.exists(idx):
    lines = [l.split() for l in open(idx) if l.startswith('C ')]
    pk = sum(int(l[4]) for l in lines)
    m = re.search(r'siprec recordings: (\d+) packets to the packet store, (\d+) dropped', open('run.stderr').read())
    print('packet store: %d recordings, %d packets (SIP and media)%s' % (len(lines), pk,
          ', %s handed over, %s dropped (queue full)' % m.groups() if m else ''))
PY
