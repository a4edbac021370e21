#!/usr/bin/env bash
# http_bench.sh — the shared HTTP layer (src/http, libmicrohttpd) against
# nginx as the ceiling, on loopback: GET /schemas/ids/1 answering the same
# 181-byte JSON body (bench/http_echo.c; nginx serves it from a file).
#
# wrk -t2 -c64 -d${DURATION}s --latency against each server, alternating,
# RUNS runs each; reports the medians of req/s and p99 and appends them with
# the date and machine to bench/RESULTS.md (unless NO_WRITE=1).
#
#   bench/http_bench.sh                # THREADS="2" RUNS=3 DURATION=10
#   THREADS="1 2" bench/http_bench.sh  # also the MHD daemon with 1 thread
#
# Target (Schema Registry issue): >= 50,000 req/s, p99 <= 5 ms at 64
# connections. Both servers and wrk share the machine's cores.
set -euo pipefail
cd "$(dirname "$0")/.."
THREADS=${THREADS:-2}
RUNS=${RUNS:-3}
DURATION=${DURATION:-10}
CONNS=${CONNS:-64}
ECHO_PORT=${ECHO_PORT:-18081}
NGINX_PORT=${NGINX_PORT:-18181}
BUILD=${BUILD:-build}

command -v wrk >/dev/null || { echo "wrk not installed" >&2; exit 1; }
NGINX=$(command -v nginx || echo /usr/sbin/nginx)
[ -x "$NGINX" ] || { echo "nginx not installed" >&2; exit 1; }
make -s -j2 "$BUILD/bench/http_echo"

TMP=$(mktemp -d /tmp/basin-http-bench.XXXXXX)
ECHO_PID=
NGINX_PID=
cleanup() {
    [ -n "$ECHO_PID" ] && kill "$ECHO_PID" 2>/dev/null && wait "$ECHO_PID" 2>/dev/null
    [ -n "$NGINX_PID" ] && kill "$NGINX_PID" 2>/dev/null && wait "$NGINX_PID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT

# ---- nginx: own prefix and config, current user, foreground (killed at end)
mkdir -p "$TMP/www/schemas/ids" "$TMP/logs"
"$BUILD/bench/http_echo" --print-body >"$TMP/www/schemas/ids/1"
BODY_BYTES=$(wc -c <"$TMP/www/schemas/ids/1")
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
    server {
        listen 127.0.0.1:$NGINX_PORT;
        root $TMP/www;
    }
}
NGX
"$NGINX" -p "$TMP" -c "$TMP/nginx.conf" &
NGINX_PID=$!

wait_port() { # wait_port PORT — until an HTTP GET answers (5 s)
    for _ in $(seq 50); do
        curl -sf -o /dev/null "http://127.0.0.1:$1/schemas/ids/1" && return 0
        sleep 0.1
    done
    echo "server on port $1 did not come up" >&2
    return 1
}
wait_port "$NGINX_PORT"

# run_wrk PORT -> "req_per_s p99_ms"
run_wrk() {
    wrk -t2 -c"$CONNS" -d"${DURATION}s" --latency "http://127.0.0.1:$1/schemas/ids/1" |
        awk '
        function ms(v) {
            if (v ~ /us$/) { sub(/us$/, "", v); return v / 1000 }
            if (v ~ /ms$/) { sub(/ms$/, "", v); return v + 0 }
            if (v ~ /s$/)  { sub(/s$/, "", v);  return v * 1000 }
            return v
        }
        $1 == "99%" { p99 = ms($2) }
        $1 == "Requests/sec:" { rps = $2 }
        /Non-2xx|Socket errors/ { errs = errs " " $0 }
        END { printf "%.0f %.2f\n", rps, p99; if (errs != "") print "wrk:" errs > "/dev/stderr" }'
}

median() { sort -n | awk '{ a[NR] = $1 } END { print a[int((NR + 1) / 2)] }'; }

LOAD_START=$(cut -d' ' -f1-3 /proc/loadavg)
declare -A RPS P99
for t in $THREADS; do RPS[mhd$t]=""; P99[mhd$t]=""; done
RPS[nginx]=""
P99[nginx]=""

for run in $(seq "$RUNS"); do
    for t in $THREADS; do
        "$BUILD/bench/http_echo" "http://127.0.0.1:$ECHO_PORT" "$t" 2>"$TMP/echo.log" &
        ECHO_PID=$!
        wait_port "$ECHO_PORT"
        read -r rps p99 < <(run_wrk "$ECHO_PORT")
        kill "$ECHO_PID"
        wait "$ECHO_PID" 2>/dev/null || true
        ECHO_PID=
        echo "run $run  basin-http threads=$t: $rps req/s  p99 $p99 ms"
        RPS[mhd$t]+="$rps "
        P99[mhd$t]+="$p99 "
    done
    read -r rps p99 < <(run_wrk "$NGINX_PORT")
    echo "run $run  nginx (2 workers):      $rps req/s  p99 $p99 ms"
    RPS[nginx]+="$rps "
    P99[nginx]+="$p99 "
done

med() { echo "$1" | tr ' ' '\n' | grep -v '^$' | median; }
CPU=$(awk -F': ' '/model name/ { print $2; exit }' /proc/cpuinfo)
REPORT="$TMP/report.md"
{
    echo
    echo "### $(date -u +%Y-%m-%dT%H:%MZ) — $(nproc) cores, ${CPU:-unknown CPU}, $(uname -sr)"
    echo
    echo "GET /schemas/ids/1, ${BODY_BYTES}-byte JSON body, wrk -t2 -c$CONNS -d${DURATION}s --latency on loopback,"
    echo "median of $RUNS alternating runs. wrk and the server share the cores (and the machine is shared with other jobs):"
    echo "load average before: $LOAD_START, after: $(cut -d' ' -f1-3 /proc/loadavg) (wrk + server alone account for ~3-4)."
    echo
    echo "| server | req/s (median) | p99 ms (median) | runs: req/s | runs: p99 ms |"
    echo "|---|---:|---:|---|---|"
    for t in $THREADS; do
        echo "| Basin src/http (libmicrohttpd 0.9.75, epoll, $t thread(s)) | $(med "${RPS[mhd$t]}") | $(med "${P99[mhd$t]}") | ${RPS[mhd$t]% } | ${P99[mhd$t]% } |"
    done
    echo "| nginx $("$NGINX" -v 2>&1 | sed 's/.*nginx\///') static file (2 workers) | $(med "${RPS[nginx]}") | $(med "${P99[nginx]}") | ${RPS[nginx]% } | ${P99[nginx]% } |"
} >"$REPORT"
cat "$REPORT"
if [ -z "${NO_WRITE:-}" ]; then
    if ! grep -q '^## HTTP layer' bench/RESULTS.md 2>/dev/null; then
        {
            echo
            echo "## HTTP layer (src/http): GET /schemas/ids/{id} — bench/http_bench.sh"
            echo
            echo "Target from the Schema Registry issue: >= 50,000 req/s with p99 <= 5 ms at 64 connections;"
            echo "nginx serving the same bytes from a file is measured in the same run as the ceiling."
        } >>bench/RESULTS.md
    fi
    cat "$REPORT" >>bench/RESULTS.md
    echo "appended to bench/RESULTS.md"
fi
