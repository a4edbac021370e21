#!/usr/bin/env bash
# librdkafka transactional producer: commit/abort seen correctly by
# read_committed (also stopping at the LSO of an open transaction) and
# read_uncommitted consumers; zombie fencing (two producers, one
# transactional.id); consume-transform-produce with
# send_offsets_to_transaction (input offsets move atomically with the output).
. "$(dirname "$0")/../lib.sh"
itest_init
if ! broker_start; then
    fail eos.txn.broker_start "$BROKER_START_ERR"
    exit 1
fi
T_LIMIT=120 t "$ITEST_BIN/eos_txn" basic "$BOOTSTRAP" txn-basic || echo "# eos_txn basic exited with $?" >&2
T_LIMIT=120 t "$ITEST_BIN/eos_txn" fence "$BOOTSTRAP" txn-fence || echo "# eos_txn fence exited with $?" >&2
T_LIMIT=150 t "$ITEST_BIN/eos_txn" ctp "$BOOTSTRAP" ctp-in ctp-out ctp-group || echo "# eos_txn ctp exited with $?" >&2
broker_alive eos.txn.broker_survived && pass eos.txn.broker_survived

# Offsets sent to committed transactions survive a kill -9 of the broker:
# they are replayed from the transactional batches and their commit markers
# in __consumer_offsets. After the consume-transform-produce run every input
# message was committed, so the group resumes at the end: reading with
# auto.offset.reset=earliest yields nothing (it would re-read all of ctp-in
# if the committed offsets had been lost).
broker_kill9
if broker_start; then
    n=$(t kcat -b "$BOOTSTRAP" -G ctp-group-check -X auto.offset.reset=earliest -e -q ctp-in 2>/dev/null | wc -l)
    in=$(t kcat -b "$BOOTSTRAP" -C -t ctp-in -e -q 2>/dev/null | wc -l)
    # the check group must read everything (control), ctp-group nothing
    left=$(T_LIMIT=30 t kcat -b "$BOOTSTRAP" -G ctp-group -X auto.offset.reset=earliest -X enable.auto.commit=false -e -q ctp-in 2>/dev/null | wc -l)
    if [ "$in" -gt 0 ] && [ "$n" = "$in" ] && [ "$left" = 0 ]; then
        pass eos.txn.offsets_survive_kill9
    else
        fail eos.txn.offsets_survive_kill9 "after kill -9: ctp-group re-read $left of $in input messages (control group read $n)"
    fi
else
    fail eos.txn.offsets_survive_kill9 "restart failed: $BROKER_START_ERR"
fi
