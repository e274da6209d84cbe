#!/usr/bin/env bash
# demo.sh - quick start: install what is needed, build siphon (release), and
# run the main job on embedded defaults and bundled sample data: the offline
# analysis, then the appliance (root only): `siphon run` capturing the same
# sample and the bundled attacks replayed into a veth pair of its own, with
# its embedded PostgreSQL, the packet store, detection and a SIPREC session
# recorded from SIPp, and each call's audio rendered as it ends; then the
# stored calls searched, one call's ladder from the database, its pcap and
# its stereo audio from the packet store, the stored SIPREC session and its
# audio, and the recorded call (seen passively too) showing its session.
# packaging/samples/attacks.pcapng holds real attack tools captured on
# loopback (sipvicious svmap, svwar and svcrack against Kamailio with
# digest authentication, as tests/integration/test_detect_tools.sh runs
# them): analysed with --alerts it raises scanner, enumeration, flood and
# password-guessing incidents.
# The sample capture is produced by
# the bundled traffic generator (tests/gen) with a fixed seed, so it is the
# same on every machine.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
bash "$root/packaging/deps.sh" build
cmake -S "$root" -B "$root/build-release" -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build "$root/build-release" -j"$(nproc)" --target siphon siphon-gen >/dev/null
sample="$root/build-release/sample.pcap"
"$root/build-release/tests/gen/siphon-gen" -o "$sample" --truth "$root/build-release/sample.truth" \
    --calls 12 --concurrency 4 --duration 4 --seed 7 --loss 1 --jitter 3 --audio \
    --fail-mix busy=15,cancel=15,reject=10 >/dev/null
attacks="$root/packaging/samples/attacks.pcapng"
echo "== siphon analyze --alerts $sample $attacks" >&2
"$root/build-release/app/siphon" analyze --alerts --streams "$sample" "$attacks" "$@"

# The appliance: the sample and the attacks replayed (tcpreplay, 2,000
# packets/s) into a veth pair whose far end sits in a network namespace
# made for the demo (so nothing leaves the machine); `siphon run` captures
# the near end with 2 capture threads and 2 correlator threads and drops
# root to the service user siphon once its rings are open. On its defaults it stores into
# its embedded PostgreSQL (/var/lib/siphon/pgdata, a Unix socket in
# /run/siphon, run as user siphon) and records every call into the packet
# store; the demo adds detection (alerts.enabled) and the SIPREC recording
# server on 127.0.0.1:5080, to which SIPp sends one Cisco CUBE recording
# session with two RTP streams; its dashboard listens on
# https://127.0.0.1:8443/ (a self-signed certificate made on first start).
# SIGINT ends it: it prints the calls, the alerts, the SIPREC session and
# a summary.
if [[ $(id -u) -ne 0 ]]; then
  echo "== the appliance skipped: it needs root (a network namespace and a capture socket)" >&2
  exit 0
fi
bash "$root/packaging/deps.sh" test >/dev/null # SIPp for the SIPREC session
siphon="$root/build-release/app/siphon"
ns="siphon-demo$$" vh="sdemo$$h" vn="sdemo$$n"
work=$(mktemp -d)
cleanup() {
  ip netns del "$ns" 2>/dev/null || true
  ip link del "$vh" 2>/dev/null || true
  rm -rf "$work"
}
trap cleanup EXIT
ip netns add "$ns"
ip link add "$vh" type veth peer name "$vn" netns "$ns"
sysctl -qw "net.ipv6.conf.$vh.disable_ipv6=1"
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$vn.disable_ipv6=1"
ip link set "$vh" up && ip -n "$ns" link set "$vn" up
# siphon drops root to the embedded server's own user (storage.pg_user,
# `siphon`, made by deps.sh), so it can still stop its PostgreSQL.
install -d -m 755 /var/lib/siphon
install -d -o siphon /var/lib/siphon/record && chown -R siphon /var/lib/siphon/record
: >"$work/demo.conf"
echo "== siphon run on $vh: the sample and the attacks replayed live, a SIPREC session" >&2
"$siphon" run -c "$work/demo.conf" --capture.interfaces="$vh" --capture.user=siphon \
    --capture.threads=2 --correlator.shards=2 --streams --alerts.enabled=true \
    --siprec.enabled=true --siprec.listen=udp:127.0.0.1:5080 --siprec.rtp_ports=30000-30099 \
    --record.audio_at_end=true 2>"$work/run.err" &
pid=$!
for _ in $(seq 100); do grep -q "SIPREC recording server on" "$work/run.err" && break; sleep 0.2; done
ip netns exec "$ns" tcpreplay -q -i "$vn" --pps=2000 "$sample" >/dev/null 2>&1
ip netns exec "$ns" tcpreplay -q -i "$vn" --pps=2000 "$attacks" >/dev/null 2>&1
# the call the SIPREC session records, as the probe sees it: its Call-ID is
# the one the Cisco metadata names, so `siphon show` of it shows the session
observed=e9fffff2020a598b86962867715db0cf
python3 "$root/tests/integration/lib/siprec_observed_call.py" "$work/observed.pcap" "$observed"
ip netns exec "$ns" tcpreplay -q -i "$vn" "$work/observed.pcap" >/dev/null 2>&1
(cd "$work" && python3 "$root/tests/siprec/make_rtp_pcap.py" pcmu2.pcap 0 2 50 &&
  timeout 30 sipp 127.0.0.1:5080 -sf "$root/tests/siprec/cisco_cube.xml" -m 1 -i 127.0.0.1 \
    -p 5090 -mp 31000 -nostdin >/dev/null 2>&1) || echo "== the SIPREC session failed" >&2
sleep 2
kill -INT "$pid"
wait "$pid" || true
grep -v '^$' "$work/run.err" | tail -5 >&2

# What the appliance kept: the calls in PostgreSQL, searched; one call's
# ladder from its stored SIP messages; its packets and its voice from the
# packet store.
echo "== siphon calls --since 10m" >&2
"$siphon" calls --since 10m --limit 20
echo "== siphon calls --since 10m --state rejected" >&2
"$siphon" calls --since 10m --state rejected
# the newest answered call with media (the call the SIPREC session records
# is newer, but the probe saw only its signalling)
cid=$("$siphon" calls --since 10m --state answered --limit 20 --json |
  python3 -c 'import json,sys; print(next(c["call_id"] for c in map(json.loads, sys.stdin) if c["stream_count"]))')
echo "== siphon show $cid" >&2
"$siphon" show "$cid"
echo "== siphon pcap $cid -o $root/build-release/demo-call.pcap" >&2
"$siphon" pcap "$cid" -o "$root/build-release/demo-call.pcap"
echo "== siphon audio $cid -o $root/build-release/demo-call.wav" >&2
"$siphon" audio "$cid" -o "$root/build-release/demo-call.wav"
# The SIPREC session the SBC (SIPp) sent: its row, participants and streams
# in PostgreSQL, its stereo audio from the packet store.
echo "== siphon siprec list --since 10m" >&2
"$siphon" siprec list --since 10m
srs=$("$siphon" siprec list --since 10m --json | tail -n 1 |
  python3 -c 'import json,sys; print(json.loads(sys.stdin.readline())["call_id"])' || true)
if [ -n "$srs" ]; then
    echo "== siphon audio $srs -o $root/build-release/demo-siprec.wav" >&2
    "$siphon" audio "$srs" -o "$root/build-release/demo-siprec.wav"
fi
echo "== siphon show $observed: the recorded call with its SIPREC session" >&2
"$siphon" show "$observed" || true
echo "== audio rendered at each call's end (record.audio_at_end): $(find /var/lib/siphon/record -name '*.wav' | wc -l) files" >&2
# A first dashboard user: admin, with a password made here and printed below.
password=$(head -c 12 /dev/urandom | base64 | tr -d '/+=')
printf '%s\n' "$password" | "$root/build-release/app/siphon" user add admin --role admin >/dev/null
echo "== the dashboard: siphon run serves it on https://127.0.0.1:8443/ (or \`siphon web\` alone," >&2
echo "   over the stored calls); log in as admin with the password $password" >&2
