#!/usr/bin/env bash
# registry_bench.sh — Schema Registry benchmarks on loopback (issue 5 goals):
#
#  1. registering N (10,000) distinct schemas (one subject each, as
#     TopicNameStrategy gives one per topic) through POST
#     /subjects/{s}/versions, CLIENTS keep-alive clients in parallel; every
#     write is stored in _schemas and read back before it is acknowledged.
#     Goal: within 10 s.
#  2. GET /schemas/ids/{id} with wrk -t2 -c64 against `basin registry`, and
#     against nginx serving a static file with the same body bytes (the
#     ceiling), alternating, RUNS runs each, medians. Goal: >= 50,000 req/s
#     with p99 <= 5 ms.
#
# Results are appended to bench/RESULTS.md under "Schema Registry" (unless
# NO_WRITE=1). Everything (broker, registry, nginx, wrk) shares the cores.
#
#   bench/registry_bench.sh            # N=10000 CLIENTS=8 RUNS=3 DURATION=10
set -euo pipefail
cd "$(dirname "$0")/.."
N=${N:-10000}
CLIENTS=${CLIENTS:-8}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
BUILD=${BUILD:-build}
command -v wrk >/dev/null || { echo "wrk not installed" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx not installed" >&2; exit 1; }
make -s -j2 "$BUILD/basin"

TMP=$(mktemp -d /tmp/basin-registry-bench.XXXXXX)
PIDS=()
cleanup() {
    for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done
    for p in "${PIDS[@]}"; do wait "$p" 2>/dev/null || true; done
    rm -rf "$TMP"
}
trap cleanup EXIT
free_port() {
    python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()'
}
wait_http() { # URL
    for _ in $(seq 100); do curl -sf -o /dev/null "$1" && return 0; sleep 0.1; done
    echo "$1 did not answer" >&2
    return 1
}
KPORT=$(free_port); RPORT=$(free_port); NPORT=$(free_port)

"$BUILD/basin" broker --override "listeners=PLAINTEXT://127.0.0.1:$KPORT" \
    --override "log.dirs=$TMP/kafka" --override group.initial.rebalance.delay.ms=0 \
    >"$TMP/broker.log" 2>&1 &
PIDS+=($!)
for _ in $(seq 100); do (exec 3<>"/dev/tcp/127.0.0.1/$KPORT") 2>/dev/null && break; sleep 0.05; done
"$BUILD/basin" registry --override "kafkastore.bootstrap.servers=127.0.0.1:$KPORT" \
    --override "listeners=http://127.0.0.1:$RPORT" --override host.name=127.0.0.1 \
    >"$TMP/registry.log" 2>&1 &
PIDS+=($!)
wait_http "http://127.0.0.1:$RPORT/"

# ---- 1. registrations -----------------------------------------------------
cat >"$TMP/register.py" <<'PY'
import http.client, json, sys, threading, time
port, n, conc = int(sys.argv[1]), int(sys.argv[2]), int(sys.argv[3])
lat, errors = [], []
def worker(k):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    for i in range(k, n, conc):
        s = json.dumps({"type": "record", "name": "Event%d" % i, "namespace": "io.basin.bench",
                        "fields": [{"name": "id", "type": "string"}, {"name": "amount", "type": "double"},
                                   {"name": "seq%d" % i, "type": "long", "default": 0}]})
        t0 = time.perf_counter()
        c.request("POST", "/subjects/bench-%d-value/versions" % i, json.dumps({"schema": s}),
                  {"Content-Type": "application/vnd.schemaregistry.v1+json"})
        r = c.getresponse(); body = r.read()
        lat.append(time.perf_counter() - t0)
        if r.status != 200:
            errors.append("%d %s" % (r.status, body[:120]))
# the first write waits for the election; not part of the measurement
c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
c.request("POST", "/subjects/warmup/versions", json.dumps({"schema": '"string"'}),
          {"Content-Type": "application/json"}); c.getresponse().read()
t0 = time.perf_counter()
ts = [threading.Thread(target=worker, args=(k,)) for k in range(conc)]
[t.start() for t in ts]; [t.join() for t in ts]
el = time.perf_counter() - t0
lat.sort()
print("%.3f %.0f %.2f %.2f %d" % (el, n / el, lat[len(lat) // 2] * 1e3, lat[int(len(lat) * 0.99)] * 1e3, len(errors)))
for e in errors[:3]: print(e, file=sys.stderr)
PY
read -r REG_S REG_RATE REG_P50 REG_P99 REG_ERR < <(python3 "$TMP/register.py" "$RPORT" "$N" "$CLIENTS")
echo "registered $N schemas in $REG_S s ($REG_RATE/s, p50 $REG_P50 ms, p99 $REG_P99 ms, $REG_ERR errors)"

# ---- 2. GET /schemas/ids/{id} vs nginx -------------------------------------
ID=$(curl -s -X POST -H 'Content-Type: application/json' \
    --data-binary '{"schema":"{\"type\":\"record\",\"name\":\"Event1\",\"namespace\":\"io.basin.bench\",\"fields\":[{\"name\":\"id\",\"type\":\"string\"},{\"name\":\"amount\",\"type\":\"double\"},{\"name\":\"seq1\",\"type\":\"long\",\"default\":0}]}"}' \
    "http://127.0.0.1:$RPORT/subjects/bench-1-value" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
mkdir -p "$TMP/www/schemas/ids" "$TMP/logs"
curl -s "http://127.0.0.1:$RPORT/schemas/ids/$ID" >"$TMP/www/schemas/ids/$ID"
BODY_BYTES=$(wc -c <"$TMP/www/schemas/ids/$ID")
USER_LINE=
[ "$(id -u)" = 0 ] && USER_LINE="user $(id -un) $(id -gn);"
cat >"$TMP/nginx.conf" <<NGX
$USER_LINE
worker_processes 2;
daemon off;
pid $TMP/nginx.pid;
error_log $TMP/logs/error.log warn;
events { worker_connections 1024; }
http {
    access_log off;
    default_type application/vnd.schemaregistry.v1+json;
    types { }
    keepalive_requests 1000000;
    client_body_temp_path $TMP/body;
    proxy_temp_path $TMP/proxy;
    fastcgi_temp_path $TMP/fastcgi;
    uwsgi_temp_path $TMP/uwsgi;
    scgi_temp_path $TMP/scgi;
    server { listen 127.0.0.1:$NPORT; root $TMP/www; }
}
NGX
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" &
PIDS+=($!)
wait_http "http://127.0.0.1:$NPORT/schemas/ids/$ID"

run_wrk() { # PORT -> "req_per_s p99_ms"
    wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$1/schemas/ids/$ID" |
        awk 'function ms(v) {
                 if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
                 if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
                 if (v ~ /s$/) { sub(/s$/, "", v); return v * 1000 }
                 return v }
             $1 == "99%" { p99 = ms($2) }
             $1 == "Requests/sec:" { rps = $2 }
             END { printf "%.0f %.2f\n", rps, p99 }'
}
med() { echo "$1" | tr ' ' '\n' | grep -v '^$' | sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }
R_RPS= R_P99= N_RPS= N_P99=
for run in $(seq "$RUNS"); do
    read -r rps p99 < <(run_wrk "$RPORT")
    echo "run $run  basin registry: $rps req/s  p99 $p99 ms"
    R_RPS+="$rps "; R_P99+="$p99 "
    read -r rps p99 < <(run_wrk "$NPORT")
    echo "run $run  nginx static:   $rps req/s  p99 $p99 ms"
    N_RPS+="$rps "; N_P99+="$p99 "
done
RSS=$(awk '/VmRSS/ { print $2 }' "/proc/${PIDS[1]}/status")

CPU=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
REG_OK=$(awk -v s="$REG_S" 'BEGIN { print (s <= 10 ? "met" : "NOT met") }')
GET_OK=$(awk -v r="$(med "$R_RPS")" -v p="$(med "$R_P99")" 'BEGIN { print (r >= 50000 && p <= 5 ? "met" : "NOT met") }')
REPORT="$TMP/report.md"
{
    echo
    echo "## Schema Registry (bench/registry_bench.sh)"
    echo
    echo "- date: $(date -u +%Y-%m-%dT%H:%MZ); $(nproc) cores, ${CPU:-unknown CPU}, $(uname -sr); load average at the end: $(cut -d' ' -f1-3 /proc/loadavg)"
    echo "- commit $(git rev-parse --short HEAD 2>/dev/null || echo '?'); Basin broker and registry, wrk, nginx and the client share the cores"
    echo
    echo "| figure | value | goal |"
    echo "|---|---|---|"
    echo "| register $N distinct schemas ($CLIENTS keep-alive clients; stored and read back before each ack) | $REG_S s ($REG_RATE/s; p50 $REG_P50 ms, p99 $REG_P99 ms; $REG_ERR errors) | <= 10 s: $REG_OK |"
    echo "| GET /schemas/ids/$ID, ${BODY_BYTES}-byte body, wrk -t2 -c$CONNS -d${DURATION}s, median of $RUNS | $(med "$R_RPS") req/s, p99 $(med "$R_P99") ms (runs: ${R_RPS% } / ${R_P99% }) | >= 50,000 req/s, p99 <= 5 ms: $GET_OK |"
    echo "| nginx, same body from a static file, 2 workers (ceiling) | $(med "$N_RPS") req/s, p99 $(med "$N_P99") ms (runs: ${N_RPS% } / ${N_P99% }) | |"
    echo "| registry RSS after the runs ($N+ schemas) | ${RSS:-?} kB | |"
} >"$REPORT"
cat "$REPORT"
[ "${NO_WRITE:-0}" = 1 ] || cat "$REPORT" >>bench/RESULTS.md
