#!/usr/bin/env bash
# Installs everything Basin needs to build, run and test on Debian 12 (as root).
# Idempotent: packages already present are skipped by apt-get; npm packages for
# the test clients are installed from tests/integration/js/package-lock.json.
set -euo pipefail
cd "$(dirname "$0")/.."

PKGS_BUILD="build-essential make pkg-config python3 zlib1g-dev libsnappy-dev liblz4-dev libzstd-dev librdkafka-dev libmicrohttpd-dev libjansson-dev libcurl4-openssl-dev libavro-dev"
PKGS_TEST="libcmocka-dev kcat clang libclang-rt-14-dev llvm nodejs npm procps iproute2 curl nginx-light wrk"

want="$PKGS_BUILD"
if [ "${1:-}" = "--test" ]; then want="$want $PKGS_TEST"; fi

missing=""
for p in $want; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing="$missing $p"
done
if [ -n "$missing" ]; then
  echo "install-deps: installing:$missing"
  export DEBIAN_FRONTEND=noninteractive
  apt-get update -qq
  # nodejs/npm may already come from elsewhere (e.g. a newer node on PATH): only
  # install the Debian ones when no node is available
  if command -v node >/dev/null 2>&1 && command -v npm >/dev/null 2>&1; then
    missing=$(echo "$missing" | tr ' ' '\n' | grep -vx -e nodejs -e npm | tr '\n' ' ')
  fi
  [ -z "${missing// }" ] || apt-get install -y -qq --no-install-recommends $missing
else
  echo "install-deps: all Debian packages present"
fi

if [ "${1:-}" = "--test" ] && [ -f tests/integration/js/package.json ]; then
  if [ ! -d tests/integration/js/node_modules ]; then
    echo "install-deps: npm ci (test clients)"
    (cd tests/integration/js && npm ci --no-audit --no-fund --loglevel=error)
  fi
fi
