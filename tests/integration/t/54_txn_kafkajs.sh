#!/usr/bin/env bash
# kafkajs transactional producer: commit/abort, sendOffsets inside
# transactions (offsets stick only when the transaction commits), zombie
# fencing, read_committed vs read_uncommitted kafkajs consumers.
. "$(dirname "$0")/../lib.sh"
itest_init
JS=$ITEST_DIR/js
if ! command -v node >/dev/null || [ ! -d "$JS/node_modules/kafkajs" ]; then
    skip kafkajs.eos "node or kafkajs missing (run npm ci in tests/integration/js)"
    exit 0
fi
if ! broker_start --override group.initial.rebalance.delay.ms=300; then
    fail kafkajs.eos "$BROKER_START_ERR"
    exit 1
fi
T_LIMIT=150 t node "$JS/eos.test.js" "$BOOTSTRAP" || [ $? = 1 ] || fail kafkajs.eos "node test exited abnormally (timeout?)"
broker_alive kafkajs.eos.broker_survived && pass kafkajs.eos.broker_survived
