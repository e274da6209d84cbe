#!/usr/bin/env bash
# demo.sh - quick start: install what is needed, build siphon (release), and
# run the main job on embedded defaults and bundled sample data: the offline
# analysis, then the live daemon capturing the same sample replayed into a
# veth pair of its own (root only).
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
    --calls 12 --concurrency 4 --duration 4 --seed 7 --loss 1 --jitter 3 \
    --fail-mix busy=15,cancel=15,reject=10 >/dev/null
attacks="$root/packaging/samples/attacks.pcapng"
echo "== siphon analyze --alerts $sample $attacks" >&2
"$root/build-release/app/siphon" analyze --alerts --streams "$sample" "$attacks" "$@"

# Live capture: the same sample replayed (tcpreplay, 2,000 packets/s) into a
# veth pair whose far end sits in a network namespace made for the demo (so
# nothing leaves the machine), and `siphon run` capturing the near end with
# 2 capture threads and 2 correlator threads, dropping root to nobody once
# its rings are open; SIGINT ends it and it prints the calls and a summary.
if [[ $(id -u) -ne 0 ]]; then
  echo "== live capture skipped: it needs root (a network namespace and a capture socket)" >&2
  exit 0
fi
ns="siphon-demo$$" vh="sdemo$$h" vn="sdemo$$n"
cleanup() { ip netns del "$ns" 2>/dev/null || true; ip link del "$vh" 2>/dev/null || true; }
trap cleanup EXIT
ip netns add "$ns"
ip link add "$vh" type veth peer name "$vn" netns "$ns"
sysctl -qw "net.ipv6.conf.$vh.disable_ipv6=1"
ip netns exec "$ns" sysctl -qw "net.ipv6.conf.$vn.disable_ipv6=1"
ip link set "$vh" up && ip -n "$ns" link set "$vn" up
echo "== siphon run on $vh (the sample replayed live into it)" >&2
: >"$root/build-release/demo.conf"
rec=$(mktemp -d) && chown nobody "$rec" # the packet store, written as nobody
trap 'cleanup; rm -rf "$rec"' EXIT
"$root/build-release/app/siphon" run -c "$root/build-release/demo.conf" --record.dir="$rec" \
    --capture.interfaces="$vh" --capture.user=nobody --capture.threads=2 \
    --correlator.shards=2 --streams &
pid=$!
sleep 1
ip netns exec "$ns" tcpreplay -q -i "$vn" --pps=2000 "$sample" >/dev/null 2>&1
sleep 1
kill -INT "$pid"
wait "$pid"
