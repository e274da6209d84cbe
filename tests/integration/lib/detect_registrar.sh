# detect_registrar.sh - sourced by the detection tests: a real registrar
# with digest authentication (Kamailio from Debian, no database) on
# 127.0.0.1:$REG_PORT, for sipvicious and SIPp to talk to.
#
#   registrar_start DIR PORT   writes DIR/kamailio.cfg, starts Kamailio in the
#                              foreground mode (-DD) in the background; sets
#                              REG_PID; waits until the port answers
#   registrar_stop             stops it (by its pid)
#
# Accounts: extensions 100..119; the password of extension N is "pwN",
# except 100 whose password is "1050" (svcrack finds it in a numeric range).
# REGISTER for an unknown user: 404; wrong or no credentials: 401 with a
# fresh nonce; INVITE: 407 challenge then 404 for unknown callees (no proxying: the
# tests need the answers, not the calls); OPTIONS: 200.

registrar_start() {
    local dir=$1 port=$2
    REG_PORT=$port
    cat >"$dir/kamailio.cfg" <<CFG
#!KAMAILIO
debug=1
log_stderror=yes
children=2
disable_tcp=yes
listen=udp:127.0.0.1:$port
mpath="/usr/lib/x86_64-linux-gnu/kamailio/modules/"
loadmodule "sl.so"
loadmodule "textops.so"
loadmodule "pv.so"
loadmodule "auth.so"
loadmodule "usrloc.so"
loadmodule "registrar.so"
modparam("auth", "nonce_expire", 300)
request_route {
    if (is_method("OPTIONS")) { sl_send_reply("200", "OK"); exit; }
    if (is_method("ACK")) { exit; }
    if (!(\$tU =~ "^1[01][0-9]\$")) { sl_send_reply("404", "Not Found"); exit; }
    if (\$tU == "100") { \$var(pw) = "1050"; } else { \$var(pw) = "pw" + \$tU; }
    if (is_method("REGISTER")) {
        if (!pv_auth_check("\$td", "\$var(pw)", "0", "1")) { auth_challenge("\$td", "0"); exit; }
        save("location");
        exit;
    }
    if (is_method("INVITE")) { sl_send_reply("404", "Not Here"); exit; }
    sl_send_reply("200", "OK");
}
CFG
    kamailio -f "$dir/kamailio.cfg" -DD -E -m 32 -M 8 -Y "$dir" -P "$dir/kamailio.pid" >"$dir/kamailio.log" 2>&1 &
    REG_PID=$!
    for _ in $(seq 50); do
        ss -lun 2>/dev/null | grep -q "127.0.0.1:$port " && return 0
        sleep 0.1
    done
    echo "FAIL: kamailio did not start: $(tail -5 "$dir/kamailio.log")"
    return 1
}

registrar_stop() {
    [ -n "${REG_PID:-}" ] && kill "$REG_PID" 2>/dev/null && wait "$REG_PID" 2>/dev/null
    REG_PID=
    return 0
}

# A free UDP port on 127.0.0.1 in 20000..59999.
free_udp_port() {
    local p
    for _ in $(seq 100); do
        p=$((20000 + RANDOM % 40000))
        ss -lun 2>/dev/null | grep -q ":$p " || { echo $p; return 0; }
    done
    return 1
}
