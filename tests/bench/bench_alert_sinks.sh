#!/usr/bin/env bash
# bench_alert_sinks.sh [BUILD_DIR] - alert sink throughput and publish cost.
#
#  1. Throughput: alert_sink_driver publishes N alerts (queue large enough
#     that nothing drops) through one sink at a time to a receiver on
#     loopback that reads and discards (syslog UDP/TCP/TLS, HTTPS for the
#     webhook and HEC) or to a file (ECS); alerts/s = N / time until the
#     sink's queue is empty.  The receivers are Python: for HTTPS they, not
#     the sink, set the pace (one request per webhook alert, 64 alerts per
#     HEC request).  Also the driver process's CPU time per alert (publish,
#     copy, format, system calls; the least of the three runs), which a
#     busy machine disturbs less than the rate.
#  2. The peer in the same run: util-linux `logger` sending the same number
#     of RFC 5424 messages from a file to the same UDP and TCP (octet
#     counting) receivers.
#  3. Publish never waits: 100,000 alerts published to a TCP sink whose
#     receiver is down (queue 4,096: the rest dropped), time per publish
#     call, mean and worst; then the same with five sinks (TCP, TLS, UDP,
#     webhook, HEC), all down.
# Prints one line per measurement (throughput: the best of three runs).
# Run on an otherwise idle machine.
set -uo pipefail
build=${1:-build}
driver=$(realpath "$build/tests/tools/alert_sink_driver" 2>/dev/null)
[ -x "$driver" ] || { echo "no $build/tests/tools/alert_sink_driver (cmake --build $build --target alert_sink_driver)"; exit 1; }
work=$(mktemp -d)
pids=()
cleanup() { for p in "${pids[@]}"; do kill "$p" 2>/dev/null; done; wait 2>/dev/null; rm -rf "$work"; }
trap cleanup EXIT
cd "$work" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 -subj "/CN=localhost" \
    -addext "subjectAltName=IP:127.0.0.1" -keyout k.pem -out c.pem 2>/dev/null
echo k3y >secret
echo t0ken >token

python3 - <<'EOF' &
import http.server, json, os, socket, ssl, threading
ctx = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER); ctx.load_cert_chain("c.pem", "k.pem")
ports = {}
def drain(c):
    while c.recv(1 << 20): pass
def stream(s, tls):
    while True:
        c, _ = s.accept()
        if tls: c = ctx.wrap_socket(c, server_side=True)
        threading.Thread(target=drain, args=(c,), daemon=True).start()
for name in ("udp", "tcp", "tls", "https"):
    s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM if name == "udp" else socket.SOCK_STREAM)
    s.bind(("127.0.0.1", 0)); ports[name] = s.getsockname()[1]
    if name == "udp":
        threading.Thread(target=lambda s=s: [s.recv(65536) for _ in iter(int, 1)], daemon=True).start()
    elif name == "https":
        class H(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # status, headers and body in one segment (no Nagle stall)
            def log_message(self, *a): pass
            def do_POST(self):
                self.rfile.read(int(self.headers["Content-Length"]))
                self.send_response(200); self.send_header("Content-Length", "2"); self.end_headers()
                self.wfile.write(b"{}")
        srv = http.server.ThreadingHTTPServer(("127.0.0.1", ports[name]), H, bind_and_activate=False)
        s.listen(64); srv.socket.close(); srv.socket = ctx.wrap_socket(s, server_side=True)
        threading.Thread(target=srv.serve_forever, daemon=True).start()
    else:
        s.listen(64); threading.Thread(target=stream, args=(s, name == "tls"), daemon=True).start()
json.dump(ports, open("ports.tmp", "w")); os.rename("ports.tmp", "ports.json")
threading.Event().wait()
EOF
pids+=($!)
for _ in $(seq 100); do [ -s ports.json ] && break; sleep 0.1; done
eval "$(python3 -c "import json; [print('P_%s=%d' % kv) for kv in json.load(open('ports.json')).items()]")"
L=127.0.0.1

rate() { # N URL...: the best of three runs (the machine may be shared)
    local n=$1
    shift
    local args=()
    for u in "$@"; do args+=(--sink "$u"); done
    for _ in 1 2 3; do
        "$driver" --count "$n" --queue "$n" --plain --ca c.pem --secret-file secret \
            --token-file token --wait 120000 "${args[@]}" 2>/dev/null
    done | python3 -c "
import json, sys
runs = [json.loads(l) for l in sys.stdin]
best = max(runs, key=lambda d: d['sinks'][0]['sent'] / d['deliver_s'])
s = best['sinks'][0]
cpu = min(d['cpu_s'] for d in runs) / s['queued'] * 1e6
print('%-26s %6d alerts %7.0f alerts/s (runs: %s) %5.1f us CPU/alert  sent %d dropped %d' % (
    s['name'].split(':')[0] + ' ' + sys.argv[1], s['queued'], s['sent'] / best['deliver_s'],
    ' '.join('%.0f' % (d['sinks'][0]['sent'] / d['deliver_s']) for d in runs), cpu, s['sent'],
    s['dropped']))" "$FMT"
}
echo "== throughput (alerts/s, one sink at a time)"
FMT=rfc5424 rate 20000 "syslog+udp://$L:$P_udp"
FMT=cef rate 20000 "syslog+udp://$L:$P_udp?format=cef"
FMT=leef rate 20000 "syslog+udp://$L:$P_udp?format=leef"
FMT=rfc5424 rate 20000 "syslog+tcp://$L:$P_tcp"
FMT=rfc5424 rate 20000 "syslog+tls://$L:$P_tls"
FMT=cef rate 20000 "syslog+tls://$L:$P_tls?format=cef"
FMT="" rate 20000 "ecs:$work/alerts.json"
FMT="" rate 2000 "webhook+https://$L:$P_https/hook"
FMT="" rate 20000 "hec+https://$L:$P_https"

echo "== peer: util-linux logger, same receivers"
python3 -c "
for i in range(20000): print('alert %d: User-Agent friendly-scanner from 198.51.100.%d' % (i, i % 250 + 1))" >lines
logger --version | head -1
for t in udp tcp; do
    port=P_$t
    flag=$([ $t = udp ] && echo --udp || echo "--tcp --octet-count")
    t0=$(date +%s.%N)
    # shellcheck disable=SC2086
    /usr/bin/time -f "%U %S" -o cpu logger $flag --rfc5424 -n $L -P "${!port}" -t siphon -f lines
    t1=$(date +%s.%N)
    python3 -c "
u, s = map(float, open('cpu').read().split())
print('%-26s %6d lines  %7.0f lines/s %5.1f us CPU/line' % ('logger $t rfc5424', 20000, 20000 / ($t1 - $t0), (u + s) / 20000 * 1e6))"
done

echo "== publish cost with dead receivers (queue 4096; the rest dropped)"
dead=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
pub() {
    local args=()
    for u in "$@"; do args+=(--sink "$u"); done
    "$driver" --count 100000 --queue 4096 --plain --drain 0 --wait 0 --secret-file secret \
        --token-file token "${args[@]}" 2>/dev/null |
        python3 -c "import json,sys; d=json.load(sys.stdin); print('%d sink(s): 100000 publishes in %.3f s, %d ns CPU each; wall mean %d ns, p99 %d ns, p99.9 %d ns, worst %.1f us; queued %d dropped %d' % (len(d['sinks']), d['publish_s'], d['cpu_s'] / 1e5 * 1e9, d['publish_ns_mean'], d['publish_ns_p99'], d['publish_ns_p999'], d['publish_ns_max'] / 1e3, sum(s['queued'] for s in d['sinks']), sum(s['dropped'] for s in d['sinks'])))"
}
pub "syslog+tcp://$L:$dead"
pub "syslog+tcp://$L:$dead" "syslog+tls://$L:$dead" "syslog+udp://$L:$dead?format=cef" \
    "webhook+https://$L:$dead/x" "hec+https://$L:$dead"
