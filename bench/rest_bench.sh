#!/usr/bin/env bash
# rest_bench.sh — REST Proxy throughput on loopback against a Basin broker:
#
#   ceiling     direct librdkafka production (build/bench/kbench produce),
#               100-byte values, the same broker and topic layout
#   batch100    wrk POST /topics/T, 100 binary records of 100 bytes per
#               request (records/s = req/s x 100)
#   single      wrk POST /topics/T, one record per request
#   read        GET /consumers/.../records through one consumer instance
#               (bench/rest_read.py, max_bytes per request MAXB)
#
# Targets (issue 7): batch100 >= 500,000 records/s, single >= 30,000
# req/s, read >= 500,000 records/s. wrk, the proxy and the broker share the
# machine's cores. Results are appended to bench/RESULTS.md unless
# NO_WRITE=1.
#
#   bench/rest_bench.sh            # DURATION=10 CONNS=64 RUNS=1
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
RUNS=${RUNS:-1}
PARTS=${PARTS:-6}
READN=${READN:-2000000}
MAXB=${MAXB:-4194304}
BUILD=${BUILD:-build}
command -v wrk >/dev/null || { echo "wrk not installed" >&2; exit 1; }
make -s -j2 "$BUILD/basin" "$BUILD/bench/kbench"

TMP=$(mktemp -d /tmp/basin-rest-bench.XXXXXX)
BPID= RPID=
cleanup() {
    [ -n "$RPID" ] && kill "$RPID" 2>/dev/null && wait "$RPID" 2>/dev/null
    [ -n "$BPID" ] && kill "$BPID" 2>/dev/null && wait "$BPID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
port() { python3 -c 'import socket;s=socket.socket();s.bind(("127.0.0.1",0));print(s.getsockname()[1])'; }
BPORT=$(port); RPORT=$(port)
B=127.0.0.1:$BPORT
LOAD0=$(cut -d' ' -f1-3 /proc/loadavg)

"$BUILD/basin" broker --override "listeners=PLAINTEXT://$B" --override "log.dirs=$TMP/data" \
    >"$TMP/broker.log" 2>&1 &
BPID=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$BPORT") 2>/dev/null && break; sleep 0.05; done
"$BUILD/basin" topics --bootstrap-server "$B" --create --topic ceil --partitions "$PARTS" >/dev/null
"$BUILD/basin" topics --bootstrap-server "$B" --create --topic rb --partitions "$PARTS" >/dev/null
"$BUILD/basin" rest --override "bootstrap.servers=$B" --override "listeners=http://127.0.0.1:$RPORT" \
    >"$TMP/rest.log" 2>&1 &
RPID=$!
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$RPORT") 2>/dev/null && break; sleep 0.05; done
H=http://127.0.0.1:$RPORT

# bodies: 100-byte values (base64: 136 chars)
python3 - "$TMP" <<'PY'
import base64, json, os, sys
v = base64.b64encode(os.urandom(100)).decode()
json.dump({"records": [{"value": v} for _ in range(100)]}, open(sys.argv[1] + "/b100.json", "w"))
json.dump({"records": [{"value": v}]}, open(sys.argv[1] + "/b1.json", "w"))
PY

ceil=$("$BUILD/bench/kbench" produce --bootstrap "$B" --topic ceil --partitions "$PARTS" --size 100 --count 3000000 --acks all |
       sed -n 's/.*msgs_per_s=\([0-9]*\).*/\1/p')
echo "ceiling (kbench produce, acks=all): $ceil msgs/s"

wrkrun() { # body-file [conns] -> "req/s bad p99"
    BODY_FILE=$1 CTYPE=application/vnd.kafka.binary.v2+json \
        wrk -t2 -c"${2:-$CONNS}" -d"${DURATION}s" --latency -s bench/rest_post.lua "$H/topics/rb" >"$TMP/wrk.out" 2>&1
    local rps bad p99
    rps=$(awk '/^Requests\/sec/ {printf "%d", $2}' "$TMP/wrk.out")
    bad=$(awk '/^BAD/ {print $2}' "$TMP/wrk.out")
    p99=$(awk '$1=="99%" {print $2}' "$TMP/wrk.out")
    echo "$rps $bad $p99"
}
b100=() s1=() s2=()
for _ in $(seq 1 "$RUNS"); do
    read -r r bad p99 < <(wrkrun "$TMP/b100.json"); b100+=("$r/$bad/$p99")
    echo "batch100: $r req/s = $((r * 100)) records/s (errors $bad, p99 $p99)"
    read -r r bad p99 < <(wrkrun "$TMP/b1.json"); s1+=("$r/$bad/$p99")
    echo "single: $r req/s (errors $bad, p99 $p99)"
    read -r r bad p99 < <(wrkrun "$TMP/b1.json" $((CONNS * 2))); s2+=("$r/$bad/$p99")
    echo "single, $((CONNS * 2)) connections: $r req/s (errors $bad, p99 $p99)"
done

# read: fill rb to READN records directly, then read them through the proxy
"$BUILD/bench/kbench" produce --bootstrap "$B" --topic rb --partitions "$PARTS" --size 100 --count "$READN" --acks 1 >/dev/null
total=$(for p in $(seq 0 $((PARTS - 1))); do curl -s "$H/topics/rb/partitions/$p/offsets" | python3 -c 'import json,sys;print(json.load(sys.stdin)["end_offset"])'; done | paste -sd+ | bc)
readres=$(python3 bench/rest_read.py 127.0.0.1 "$RPORT" rb "$PARTS" "$total" "$MAXB")
echo "read: $readres"
rrate=$(echo "$readres" | sed -n 's/.*records_per_s=\([0-9]*\).*/\1/p')
LOAD1=$(cut -d' ' -f1-3 /proc/loadavg)

if [ "${NO_WRITE:-0}" != 1 ]; then
    {
        echo
        echo "## REST Proxy (basin rest) — bench/rest_bench.sh"
        echo
        echo "### $(date -u +%Y-%m-%dT%H:%MZ) — $(nproc) cores, $(uname -sr)"
        echo
        echo "Basin broker + basin rest + load generator on one machine (loopback), topic of $PARTS partitions,"
        echo "100-byte values, wrk -t2 -c$CONNS -d${DURATION}s; load average before: $LOAD0, after: $LOAD1."
        echo
        echo "| measurement | result | target |"
        echo "|---|---:|---:|"
        echo "| ceiling: librdkafka direct (kbench produce, acks=all) | $ceil records/s | — |"
        for x in "${b100[@]}"; do IFS=/ read -r r bad p99 <<<"$x"
            echo "| POST 100 records/request (binary) | $((r * 100)) records/s ($r req/s, p99 $p99, $bad errors) | 500,000 |"; done
        for x in "${s1[@]}"; do IFS=/ read -r r bad p99 <<<"$x"
            echo "| POST 1 record/request (binary), $CONNS connections | $r req/s (p99 $p99, $bad errors) | 30,000 |"; done
        for x in "${s2[@]}"; do IFS=/ read -r r bad p99 <<<"$x"
            echo "| POST 1 record/request (binary), $((CONNS * 2)) connections | $r req/s (p99 $p99, $bad errors) | 30,000 |"; done
        echo "| GET records, one consumer instance (max_bytes $MAXB) | $rrate records/s | 500,000 |"
    } >>bench/RESULTS.md
fi
