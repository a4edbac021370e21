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
