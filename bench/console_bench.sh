#!/usr/bin/env bash
# bench/console_bench.sh — console tools and basin up.
#
#   1. basin produce: 1M lines (default 40-byte lines) from a file to the
#      Basin broker on loopback, one fresh broker per run; lines/s from
#      wall time of the whole command (start-up, metadata, read, send, flush).
#   2. basin consume: the same 1M lines read back (--max-messages).
#   3. basin up: time from launch to the "Basin is up" line (all services
#      healthy), from an empty data directory, one run each.
# Prints medians and appends nothing by itself; copy the table into
# bench/RESULTS.md (section "Console tools and basin up").
#
# usage: bench/console_bench.sh
# env:   BASIN_BIN (default build/basin), BENCH_RUNS (5), BENCH_LINES (1000000),
#        BENCH_PARTITIONS (3), BENCH_LINE_BYTES (40)
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
B=${BASIN_BIN:-$ROOT/build/basin}
RUNS=${BENCH_RUNS:-5}
LINES=${BENCH_LINES:-1000000}
PARTS=${BENCH_PARTITIONS:-3}
LB=${BENCH_LINE_BYTES:-40}
[ "$B" = "$ROOT/build/basin" ] && { make -s -j2 build/basin || exit 1; }
TMP=$(mktemp -d /tmp/basin-cbench.XXXXXX)
BPID=
UPID=
cleanup() {
    [ -n "$BPID" ] && kill -9 "$BPID" 2>/dev/null
    [ -n "$UPID" ] && kill -TERM "$UPID" 2>/dev/null && wait "$UPID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
port() { python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'; }
now() { date +%s%N; }
median() { sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }

python3 - "$LINES" "$LB" >"$TMP/lines.txt" <<'PY'
import sys
n, width = int(sys.argv[1]), int(sys.argv[2])
out = sys.stdout
for i in range(n):
    s = "line-%09d " % i
    out.write((s + "x" * max(0, width - len(s)))[:width] + "\n")
PY
echo "# $LINES lines of $LB bytes, $PARTS partitions, $RUNS runs; load: $(cut -d' ' -f1-3 /proc/loadavg)"

prod=()
cons=()
for r in $(seq 1 "$RUNS"); do
    P=$(port)
    rm -rf "$TMP/data"
    "$B" broker --override "listeners=PLAINTEXT://127.0.0.1:$P" --override "log.dirs=$TMP/data" >"$TMP/broker.log" 2>&1 &
    BPID=$!
    for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$P") 2>/dev/null && break; sleep 0.05; done
    "$B" topics --bootstrap-server "127.0.0.1:$P" --create --topic bench --partitions "$PARTS" >/dev/null
    t0=$(now)
    "$B" produce --bootstrap-server "127.0.0.1:$P" --topic bench <"$TMP/lines.txt" || echo "# produce run $r failed" >&2
    t1=$(now)
    n=$("$B" consume --bootstrap-server "127.0.0.1:$P" --topic bench --from-beginning --max-messages "$LINES" --timeout-ms 10000 2>/dev/null | wc -l)
    t2=$(now)
    p=$((LINES * 1000000000 / (t1 - t0)))
    c=$((n * 1000000000 / (t2 - t1)))
    [ "$n" = "$LINES" ] || echo "# run $r: consumed $n of $LINES" >&2
    echo "# run $r: produce $p lines/s ($(((t1 - t0) / 1000000)) ms), consume $c lines/s"
    prod+=("$p")
    cons+=("$c")
    kill -TERM $BPID
    wait $BPID 2>/dev/null
    BPID=
done

ups=()
for r in $(seq 1 "$RUNS"); do
    P1=$(port)
    P2=$(port)
    rm -rf "$TMP/up" "$TMP/up.out" # (a stale up.out would race the redirection below)
    t0=$(now)
    "$B" up --data-dir "$TMP/up" --broker-port "$P1" --registry-port "$P2" >"$TMP/up.out" 2>"$TMP/up.err" &
    UPID=$!
    for _ in $(seq 1 1000); do grep -qs '^Basin is up' "$TMP/up.out" && break; sleep 0.005; done
    t1=$(now)
    ms=$(((t1 - t0) / 1000000))
    echo "# run $r: basin up healthy after $ms ms ($(sed -n 's/^Basin is up in \([0-9.]*\) s.*/\1 s/p' "$TMP/up.out") by its own clock; services: $(grep -c '^  ' "$TMP/up.out" | tr -d ' ') )"
    ups+=("$ms")
    kill -TERM $UPID
    wait $UPID 2>/dev/null
    UPID=
done

mp=$(printf '%s\n' "${prod[@]}" | median)
mc=$(printf '%s\n' "${cons[@]}" | median)
mu=$(printf '%s\n' "${ups[@]}" | median)
echo
echo "| measure | median | target | runs |"
echo "|---|---|---|---|"
echo "| basin produce, $LINES lines of $LB B, $PARTS partitions (lines/s) | $mp | >= 500000 | ${prod[*]} |"
echo "| basin consume, same lines (lines/s) | $mc | — | ${cons[*]} |"
echo "| basin up, empty data dir to all healthy (ms) | $mu | <= 2000 | ${ups[*]} |"
