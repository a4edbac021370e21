#!/usr/bin/env bash
# bench/group_bench.sh — consumer-group benchmarks (issue 3):
#   1. a group of three consumers is Stable within
#      group.initial.rebalance.delay.ms + 100 ms (time from subscribe to every
#      member assigned, measured client side);
#   2. offset commits/s from one client (async commits, manual assignment);
#   3. consuming in a group of three vs one consumer with manual assignment
#      of the same partitions, on the same data (target: >= 0.9x).
# Starts its own broker (BASIN_BIN, default build/basin) in a temp dir.
# Writes its section "## Consumer groups" at the end of bench/RESULTS.md
# (replacing an older one); BENCH_OUT overrides the file.
# env: GB_MSGS (1000000 messages of 100 B), GB_COMMITS (200000), GB_DELAY (3000)
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
BASIN_BIN=${BASIN_BIN:-$ROOT/build/basin}
OUT=${BENCH_OUT:-$ROOT/bench/RESULTS.md}
MSGS=${GB_MSGS:-1000000}
COMMITS=${GB_COMMITS:-200000}
DELAY=${GB_DELAY:-3000}
GB=$ROOT/build/bench/group_bench
make -s -j2 build/bench/group_bench build/basin || { echo "group_bench: build failed" >&2; exit 1; }

TMP=$(mktemp -d /tmp/basin-gbench.XXXXXX)
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BS=127.0.0.1:$PORT
"$BASIN_BIN" broker --override "listeners=PLAINTEXT://$BS" --override "log.dirs=$TMP/data" \
    --override "group.initial.rebalance.delay.ms=$DELAY" >"$TMP/broker.log" 2>&1 &
BPID=$!
trap 'kill -TERM $BPID 2>/dev/null; wait $BPID 2>/dev/null; rm -rf "$TMP"' EXIT
for _ in $(seq 1 100); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && break; sleep 0.1; done

RES=$TMP/res.txt
"$GB" "$BS" produce gb6 6 "$MSGS" 100 || exit 1
# commits first: it also creates __consumer_offsets, a one-time cost that
# does not belong in the group formation time
"$GB" "$BS" commits gb6 "$COMMITS" | tee -a "$RES"
for run in 1 2 3; do
    "$GB" "$BS" stable gb6 3 | tee -a "$RES"
done
for run in 1 2 3; do
    "$GB" "$BS" rate gb6 6 "$MSGS" 0 | tee -a "$RES"
    "$GB" "$BS" rate gb6 6 "$MSGS" 3 | tee -a "$RES"
done

median() { grep "^RESULT $1 " "$RES" | awk '{print $3}' | sort -n | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'; }
stable=$(median group_stable_ms)
commits=$(median offset_commits_per_s)
manual=$(median consume_rate_manual)
group=$(median consume_rate_group)
ratio=$(awk -v g="$group" -v m="$manual" 'BEGIN {printf "%.2f", g/m}')
verdict() { if [ "$1" = 1 ]; then echo "meets"; else echo "MISSES"; fi; }
ok1=$(awk -v s="$stable" -v d="$DELAY" 'BEGIN {print (s <= d + 100) ? 1 : 0}')
ok2=$(awk -v c="$commits" 'BEGIN {print (c >= 50000) ? 1 : 0}')
ok3=$(awk -v r="$ratio" 'BEGIN {print (r >= 0.9) ? 1 : 0}')

section=$TMP/section.md
{
    echo "## Consumer groups (bench/group_bench.sh)"
    echo
    echo "$(date -u +%Y-%m-%d), $(nproc) cores shared with other work; broker $BASIN_BIN; librdkafka $(pkg-config --modversion rdkafka 2>/dev/null) clients on loopback."
    echo
    echo "| measure | result | target | |"
    echo "|---|---|---|---|"
    echo "| group of 3 consumers: subscribe -> all assigned (group.initial.rebalance.delay.ms=$DELAY) | ${stable} ms | <= $((DELAY + 100)) ms | $(verdict "$ok1") |"
    echo "| async offset commits from one client ($COMMITS commits) | ${commits} commits/s | >= 50,000/s | $(verdict "$ok2") |"
    echo "| consume $MSGS x 100 B, 6 partitions: one consumer, manual assignment (median of 3) | ${manual} msgs/s | | |"
    echo "| same data, group of 3 consumers, from first message (median of 3) | ${group} msgs/s | >= 0.9x manual | $(verdict "$ok3") (${ratio}x) |"
    echo
    echo "Raw lines:"
    echo
    sed 's/^/    /' "$RES"
} >"$section"
if [ -f "$OUT" ] && grep -q '^## Consumer groups (bench/group_bench.sh)' "$OUT"; then
    awk '/^## Consumer groups \(bench\/group_bench.sh\)/ {skip=1; next} skip && /^## / {skip=0} !skip' "$OUT" >"$TMP/out.md"
    cp "$TMP/out.md" "$OUT"
fi
{ [ -s "$OUT" ] && echo; cat "$section"; } >>"$OUT"
cat "$section"
