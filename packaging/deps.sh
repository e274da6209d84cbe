#!/usr/bin/env bash
# deps.sh [build|test] - installs the Debian 12 packages siphon needs.
#   build: compiler, CMake, the libraries siphon links against, and what
#          the demo's live leg uses (iproute2 for a private network
#          namespace, tcpreplay to replay the sample into it)
#   test:  build + everything the test suite uses (clang for libFuzzer and
#          sanitizers, tshark as the RTP oracle, SIPp, sipvicious, tcpreplay,
#          PostgreSQL, Chromium, python3 for test scripts)
# Idempotent: apt is only touched when a package is missing.
set -euo pipefail
mode=${1:-build}
pkgs=(build-essential cmake pkg-config git xz-utils
      libpcap-dev libndpi-dev libpq-dev libsrtp2-dev libxml2-dev libwebsockets-dev zlib1g-dev
      iproute2 tcpreplay postgresql-15
      libspandsp-dev libbcg729-dev libopus-dev libsndfile1-dev   # audio: decoders, files
      libssl-dev libcurl4-openssl-dev
      libargon2-dev)                       # web: argon2id password hashes     # alert sinks: TLS, HMAC (OpenSSL), HTTPS (libcurl)
if [[ $mode == test ]]; then
  pkgs+=(libcmocka-dev clang libclang-rt-14-dev llvm python3 tshark sip-tester sipvicious
         time procps chromium             # test_web_*.sh: headless Chromium
         openssl rsyslog rsyslog-gnutls)  # test_alert_sinks.sh: its CA and certificates, a
                                          # private rsyslogd as a real syslog receiver
fi
# the detection tests: a real registrar with digest authentication
if [[ $mode == test ]]; then
  pkgs+=(kamailio)
fi
# storage: SIP messages compressed with zstd and a dictionary; the storage
# tests read them back with the zstd tool (lib/sip_raw.py)
pkgs+=(libzstd-dev)
if [[ $mode == test ]]; then
  pkgs+=(zstd)
fi
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if ((${#missing[@]})); then
  if [[ $(id -u) -ne 0 ]]; then
    echo "deps.sh: missing packages (${missing[*]}); run as root to install them" >&2
    exit 1
  fi
  echo "deps.sh: installing ${missing[*]}" >&2
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi
# The embedded PostgreSQL's service user (storage.pg_user, storage/server.c):
# PostgreSQL refuses to run as root, so siphon running as root starts it as
# this user.
if ! id siphon >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]]; then
    useradd --system --user-group --no-create-home --home-dir /var/lib/siphon \
      --shell /usr/sbin/nologin siphon
  else
    echo "deps.sh: no user 'siphon' (storage.pg_user); run as root to create it" >&2
  fi
fi
# The dashboard's front end (web/ui): Node.js and the npm packages of its
# committed lock file, installed once (npm's cache serves later installs
# offline); CMake bundles it with esbuild when web/ui/node_modules exists.
if ! command -v npm >/dev/null 2>&1; then
  if [[ $(id -u) -eq 0 ]]; then
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  else
    echo "deps.sh: no npm; run as root to install nodejs and npm" >&2
  fi
fi
ui_dir="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)/web/ui"
if command -v npm >/dev/null 2>&1 && [[ ! -d $ui_dir/node_modules/esbuild ]]; then
  (cd "$ui_dir" && npm ci --no-audit --no-fund --prefer-offline >/dev/null)
fi
