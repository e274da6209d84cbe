#!/usr/bin/env bash
# test_alert_sinks.sh - every SIEM sink delivers to a real receiver on
# loopback, and every format is checked field by field.
#  1. Receivers (alert_receivers.py serve, ports from the kernel): syslog
#     over UDP, TCP and TLS (server certificate from a CA this test makes
#     with openssl; one TLS receiver also requires a client certificate
#     from that CA), an HTTPS webhook that verifies the HMAC-SHA256
#     signature and its timestamp, a Splunk HEC endpoint that checks the
#     token.  One TCP syslog receiver and the webhook come up only 1.5 s
#     after the alerts are published (a SIEM that is down, then up).
#     And a private rsyslogd (Debian rsyslog + rsyslog-gnutls; its own
#     configuration, work directory and pid file) with UDP, TCP and TLS
#     inputs, writing the fields it parsed of each message.
#  2. alert_sink_driver publishes 24 alerts with hostile values (quotes,
#     pipes, equals signs, backslashes, brackets, CR/LF/TAB, an ill-formed
#     UTF-8 byte, a C1 control, a bidi override) through one hub with
#     fourteen sinks: RFC 5424, CEF and LEEF over UDP, LEEF with '^' over
#     TCP, RFC 5424 and CEF over TLS (one by IP address, one by name), RFC
#     5424 over TLS with a client certificate, RFC 5424 over TCP to the
#     late receiver, the webhook (late), HEC, an ECS
#     file; to rsyslogd RFC 5424 over UDP, CEF over TCP, LEEF over TLS.
#  3. The checker parses every record (RFC 5424 header and SD-PARAMs, CEF
#     header and extension, LEEF attributes, JSON) and compares each field
#     with the alert, escaping included, and does the same with rsyslogd's
#     own parse (its PRI, HOSTNAME, APP-NAME, MSGID, STRUCTURED-DATA, MSG);
#     every sink's counters say 24 queued, 24 sent, 0 dropped, and the
#     late ones show failures and retries.
#  4. A second hub with a queue of 4: a TCP receiver that never comes up
#     (4 queued, 96 dropped, the 4 dropped at the end of the drain), a TLS
#     receiver whose certificate no configured CA signed (nothing
#     delivered, the handshake fails), a webhook with the wrong secret
#     (refused with 401, every attempt dropped, none retried forever), a
#     "black hole" that accepts TCP and never answers the TLS handshake:
#     100 publishes still take well under a second (one that waited would
#     take the 5 s handshake timeout); the mutual-TLS receiver without a
#     client certificate (refused after the TLS 1.3 handshake: nothing
#     counted as sent).
#  5. siphon check-config rejects a bad sink URL naming the item.
set -uo pipefail
: "${SIPHON:?}" "${TEST_TMP:?}" "${TESTS_DIR:?}" "${ALERT_SINK_DRIVER:?}"
work="$TEST_TMP/alert_sinks"
rm -rf "$work" && mkdir -p "$work/rx"
recv_pid="" rs_pid=""
cleanup() {
    [ -n "$recv_pid" ] && kill "$recv_pid" 2>/dev/null && wait "$recv_pid" 2>/dev/null
    [ -n "$rs_pid" ] && kill "$rs_pid" 2>/dev/null && wait "$rs_pid" 2>/dev/null
    rm -rf "$work"
}
trap cleanup EXIT
failed=()
fail() { echo "FAIL: $*"; failed+=("$1"); }
rx="$work/rx"
py="$TESTS_DIR/integration/alert_receivers.py"

# certificates: a CA, a server certificate for 127.0.0.1 and localhost, and
# a self-signed one no configured CA knows
cd "$work" || exit 1
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=siphon test CA" \
    -keyout ca.key -out ca.pem 2>/dev/null || { echo "FAIL: openssl CA"; exit 1; }
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=localhost" \
    -keyout srv.key -out srv.csr 2>/dev/null
printf 'subjectAltName=DNS:localhost,IP:127.0.0.1\n' >srv.ext
openssl x509 -req -in srv.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 -extfile srv.ext \
    -out srv.pem 2>/dev/null || { echo "FAIL: openssl server certificate"; exit 1; }
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 2 -subj "/CN=localhost" \
    -addext "subjectAltName=DNS:localhost,IP:127.0.0.1" -keyout bad.key -out bad.pem 2>/dev/null
openssl req -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj "/CN=siphon probe" \
    -keyout client.key -out client.csr 2>/dev/null
openssl x509 -req -in client.csr -CA ca.pem -CAkey ca.key -CAcreateserial -days 2 \
    -out client.pem 2>/dev/null || { echo "FAIL: openssl client certificate"; exit 1; }
printf 'hmac-key-%s\n' "$RANDOM$RANDOM" >secret
printf 'wrong-key\n' >wrong_secret
printf '5c1e0d1a-%s\n' "$RANDOM" >token
chmod 600 secret token

python3 "$py" serve --dir "$rx" --ca ca.pem --cert srv.pem --key srv.key --untrusted-cert bad.pem \
    --untrusted-key bad.key --secret secret --token token --late 1.5 --timeout 50 &
recv_pid=$!
for _ in $(seq 100); do [ -s "$rx/ports.json" ] && break; sleep 0.1; done
[ -s "$rx/ports.json" ] || { echo "FAIL: receivers did not start"; exit 1; }
eval "$(python3 -c "import json; [print('port_%s=%d' % kv) for kv in json.load(open('$rx/ports.json')).items()]")"
port() { local v="port_$1"; echo "${!v}"; }

# a private rsyslogd (its own configuration, work directory and pid file,
# not the system's), the real syslog daemon: UDP, TCP and TLS inputs write
# what it parsed of each message (its RFC 5424 fields) as JSON lines
mkdir -p "$work/rs"
read -r rs_udp rs_tcp rs_tls < <(python3 -c "
import socket
ss = [socket.socket(socket.AF_INET, t) for t in (socket.SOCK_DGRAM, socket.SOCK_STREAM, socket.SOCK_STREAM)]
for s in ss: s.bind(('127.0.0.1', 0))
print(*[s.getsockname()[1] for s in ss])")
cat >"$work/rs/rsyslog.conf" <<EOF
global(workDirectory="$work/rs" maxMessageSize="64k"
       defaultNetstreamDriverCAFile="$work/ca.pem" defaultNetstreamDriverCertFile="$work/srv.pem"
       defaultNetstreamDriverKeyFile="$work/srv.key")
module(load="imudp")
module(load="imtcp" maxSessions="16")
template(name="fields" type="list" option.jsonf="on") {
  property(outname="pri" name="pri" format="jsonf")
  property(outname="host" name="hostname" format="jsonf")
  property(outname="app" name="app-name" format="jsonf")
  property(outname="procid" name="procid" format="jsonf")
  property(outname="msgid" name="msgid" format="jsonf")
  property(outname="sd" name="structured-data" format="jsonf")
  property(outname="msg" name="msg" format="jsonf")
}
ruleset(name="udp") { action(type="omfile" file="$work/rs/rs_udp.jsonl" template="fields") }
ruleset(name="tcp") { action(type="omfile" file="$work/rs/rs_tcp.jsonl" template="fields") }
ruleset(name="tls") { action(type="omfile" file="$work/rs/rs_tls.jsonl" template="fields") }
input(type="imudp" address="127.0.0.1" port="$rs_udp" ruleset="udp")
input(type="imtcp" address="127.0.0.1" port="$rs_tcp" ruleset="tcp")
input(type="imtcp" address="127.0.0.1" port="$rs_tls" ruleset="tls" streamDriver.name="gtls"
      streamDriver.mode="1" streamDriver.authMode="anon")
EOF
rsyslogd -N1 -f "$work/rs/rsyslog.conf" >"$work/rs/check.out" 2>&1 ||
    { cat "$work/rs/check.out"; echo "FAIL: rsyslog configuration"; exit 1; }
rsyslogd -n -f "$work/rs/rsyslog.conf" -i "$work/rs/rsyslogd.pid" >"$work/rs/rsyslogd.out" 2>&1 &
rs_pid=$!
for _ in $(seq 100); do
    python3 -c "import socket; socket.create_connection(('127.0.0.1', $rs_tls), 0.2)" 2>/dev/null && break
    sleep 0.1
done

n=24
L=127.0.0.1
touch "$rx/go" # the late receivers come up 1.5 s from now
"$ALERT_SINK_DRIVER" --count $n --ca ca.pem --secret-file secret --token-file token \
    --retry-min 100 --retry-max 400 --drain 3000 --wait 20000 \
    --sink "syslog+udp://$L:$(port udp5424)?format=rfc5424" \
    --sink "syslog+udp://$L:$(port udpcef)?format=cef" \
    --sink "syslog+udp://$L:$(port udpleef)?format=leef" \
    --sink "syslog+tcp://$L:$(port tcpleef)?format=leef&delimiter=^" \
    --sink "syslog+tls://$L:$(port tls5424)" \
    --sink "syslog+tls://localhost:$(port tlscef)?format=cef" \
    --sink "syslog+tcp://$L:$(port tcplate)" \
    --sink "syslog+tls://$L:$(port tlsmutual)?cert=$work/client.pem&key=$work/client.key" \
    --sink "webhook+https://$L:$(port webhooklate)/hook/in" \
    --sink "hec+https://$L:$(port hec)?index=voip" \
    --sink "ecs:$rx/alerts.json" \
    --sink "syslog+udp://$L:$rs_udp" \
    --sink "syslog+tcp://$L:$rs_tcp?format=cef" \
    --sink "syslog+tls://$L:$rs_tls?format=leef&delimiter=^" >"$work/run1.json" 2>"$work/run1.err"
rc=$?
echo "driver: exit $rc"; cat "$work/run1.json"; sed 's/^/  driver: /' "$work/run1.err"
[ $rc -eq 0 ] || fail driver "exit $rc"
[ -e "$rx/late_up" ] || fail late "the late receivers never came up"
sleep 0.5 # the receivers write what the last connections carried
kill "$rs_pid" && wait "$rs_pid" # rsyslogd flushes its files as it ends
rs_pid=""
python3 "$py" check --dir "$rx" --count $n --driver "$work/run1.json" --rsyslog "$work/rs" ||
    fail formats "see above"

# 4. full queue, dead and refusing receivers --------------------------------
dead=$(python3 -c "import socket; s=socket.socket(); s.bind(('127.0.0.1',0)); print(s.getsockname()[1])")
"$ALERT_SINK_DRIVER" --count 100 --queue 4 --ca ca.pem --secret-file wrong_secret \
    --retry-min 50 --retry-max 100 --drain 400 --wait 600 --plain \
    --sink "syslog+tcp://$L:$dead" \
    --sink "syslog+tls://$L:$(port untrusted)" \
    --sink "webhook+https://$L:$(port webhookbad)/bad" \
    --sink "syslog+tls://$L:$(port blackhole)" \
    --sink "syslog+tls://$L:$(port tlsmutual)" >"$work/run2.json" 2>"$work/run2.err"
rc=$?
echo "driver (queue 4): exit $rc"; cat "$work/run2.json"; sed 's/^/  driver: /' "$work/run2.err"
[ $rc -eq 0 ] || fail driver2 "exit $rc"
python3 - "$work/run2.json" "$rx" <<'EOF' || fail queue "see above"
import json, os, sys
st, rx = json.load(open(sys.argv[1])), sys.argv[2]
bad = []
def want(what, ok):
    print(("ok   " if ok else "FAIL ") + what)
    ok or bad.append(what)
dead, tls, hook, hole, nocert = st["sinks"]
want("published 100", st["published"] == 100)
# a publish that waited for a receiver would take the 5 s handshake timeout
# of the black hole; the bound leaves room for a descheduled thread
want("publish never waits: 100 publishes in %.3f s < 1 s (p99 %d ns, worst %d ns)"
     % (st["publish_s"], st["publish_ns_p99"], st["publish_ns_max"]), st["publish_s"] < 1)
want("black hole: the handshake timed out, nothing sent, all dropped (%s)" % hole,
     hole["sent"] == 0 and hole["dropped"] == 100 and hole["failures"] >= 1)
want("no client certificate: refused by the mutual-TLS receiver, nothing sent (%s)" % nocert,
     nocert["sent"] == 0 and nocert["dropped"] == 100 and nocert["failures"] >= 1)
want("dead receiver: 4 queued, 100 dropped, 0 sent (%s)" % dead,
     (dead["queued"], dead["dropped"], dead["sent"], dead["depth"]) == (4, 100, 0, 0))
want("dead receiver: failures %d and retries %d counted" % (dead["failures"], dead["retries"]),
     dead["failures"] >= 2 and dead["retries"] >= 1)
want("untrusted TLS: nothing sent, all dropped (%s)" % tls,
     tls["sent"] == 0 and tls["dropped"] == 100 and tls["failures"] >= 1)
got = [json.loads(l) for l in open(os.path.join(rx, "untrusted.jsonl"))] \
    if os.path.exists(os.path.join(rx, "untrusted.jsonl")) else []
want("untrusted TLS: the receiver got no record", got == [])
want("untrusted TLS: the handshake failed at the receiver",
     os.path.exists(os.path.join(rx, "untrusted_handshake.jsonl")))
hooks = [json.loads(l) for l in open(os.path.join(rx, "webhookbad.jsonl"))]
want("wrong secret: the receiver refused every request (%d)" % len(hooks),
     len(hooks) >= 1 and not any(h["ok"] for h in hooks))
want("wrong secret: each refusal dropped, none sent (%s)" % hook,
     hook["sent"] == 0 and hook["dropped"] == 100 and hook["failures"] == len(hooks))
sys.exit(1 if bad else 0)
EOF

# 5. the configuration refuses a bad sink URL ---------------------------------
out=$("$SIPHON" check-config "--alerts.sinks=ecs:/tmp/a.json, syslog+tls://h:6514?format=json" 2>&1)
rc=$?
echo "check-config: exit $rc: $out"
[ $rc -eq 1 ] || fail config-exit "exit $rc, want 1"
[[ "$out" == *"alerts.sinks: item 2 (syslog+tls://h:6514?format=json): format: expected rfc5424, cef or leef"* ]] ||
    fail config-msg "no message naming the item"

touch "$rx/stop"
if ((${#failed[@]})); then
    echo "FAILED: ${failed[*]}"
    exit 1
fi
echo "PASS"
