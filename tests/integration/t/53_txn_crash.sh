#!/usr/bin/env bash
# kill -9 of the broker in the middle of transactions, then restart: every
# transaction completes or aborts, never half (read_committed sees all or
# nothing of it), and the transactional producer re-inits with the same
# transactional.id and continues.
#   1. deterministic: t0 committed, t1 produced and flushed but open, kill -9
#   2. random: a producer commits t0, t1, ... in a loop; kill -9 after a
#      random 0.5-2.5 s, i.e. anywhere in produce / EndTxn / marker writing
. "$(dirname "$0")/../lib.sh"
itest_init
PROD_PID=
trap '[ -n "$PROD_PID" ] && kill -9 "$PROD_PID" 2>/dev/null; itest_cleanup' EXIT
if ! broker_start; then
    fail eos.crash.broker_start "$BROKER_START_ERR"
    exit 1
fi

# --- 1: open transaction ---
out=$ITEST_TMP/open.out
timeout -k 5 150 "$ITEST_BIN/eos_txn" crash-open "$BOOTSTRAP" crash-open tx-crash-open >"$out" 2>"$ITEST_TMP/open.err" &
PROD_PID=$!
for i in $(seq 1 600); do grep -q OPEN "$out" && break; kill -0 $PROD_PID 2>/dev/null || break; sleep 0.05; done
if ! grep -q OPEN "$out"; then
    fail eos.crash.open.setup "producer did not reach the open transaction: $(cat "$out" "$ITEST_TMP/open.err" | tail -n 3 | tr '\n' ' ')"
else
    broker_kill9
    kill -9 $PROD_PID 2>/dev/null; wait $PROD_PID 2>/dev/null; PROD_PID=
    if broker_start; then
        T_LIMIT=120 t "$ITEST_BIN/eos_txn" crash-verify "$BOOTSTRAP" crash-open tx-crash-open 0 | sed 's/^\(PASS\|FAIL\) eos\.crash\./\1 eos.crash.open./'
    else
        fail eos.crash.open.restart "$BROKER_START_ERR"
    fi
fi

# --- 2: kill -9 at a random point of a transaction loop (3 rounds) ---
for round in 1 2 3; do
    out=$ITEST_TMP/loop$round.out
    topic=crash-loop-$round
    timeout -k 5 150 "$ITEST_BIN/eos_txn" crash-loop "$BOOTSTRAP" $topic tx-crash-loop >"$out" 2>"$ITEST_TMP/loop$round.err" &
    PROD_PID=$!
    for i in $(seq 1 600); do grep -q COMMITTED "$out" && break; kill -0 $PROD_PID 2>/dev/null || break; sleep 0.05; done
    sleep "$(python3 -c 'import random; print(round(random.uniform(0.5, 2.5), 2))')"
    broker_kill9
    sleep 0.2
    kill -9 $PROD_PID 2>/dev/null; wait $PROD_PID 2>/dev/null; PROD_PID=
    last=$(grep COMMITTED "$out" | tail -n 1 | awk '{print $2}')
    if [ -z "$last" ]; then
        fail eos.crash.loop$round.setup "producer committed nothing: $(tail -n 3 "$ITEST_TMP/loop$round.err" | tr '\n' ' ')"
        broker_start || { fail eos.crash.loop$round.restart "$BROKER_START_ERR"; break; }
        continue
    fi
    echo "# round $round: killed after transaction t$last was committed" >&2
    if broker_start; then
        T_LIMIT=120 t "$ITEST_BIN/eos_txn" crash-verify "$BOOTSTRAP" $topic tx-crash-loop "$last" | sed "s/^\(PASS\|FAIL\) eos\.crash\./\1 eos.crash.loop$round./"
    else
        fail eos.crash.loop$round.restart "$BROKER_START_ERR"
        break
    fi
done
broker_alive eos.crash.broker_survived && pass eos.crash.broker_survived
