#!/usr/bin/env bash
# kafkajs consumer groups: eachMessage (two members), eachBatch with manual
# offset resolution and commits, resume after commits, list/describe/delete.
. "$(dirname "$0")/../lib.sh"
itest_init
JS=$ITEST_DIR/js
if ! command -v node >/dev/null || [ ! -d "$JS/node_modules/kafkajs" ]; then
    skip group.kafkajs "node or kafkajs missing (run npm ci in tests/integration/js)"
    exit 0
fi
if ! broker_start --override group.initial.rebalance.delay.ms=300; then
    fail group.kafkajs "$BROKER_START_ERR"
    exit 1
fi
T_LIMIT=150 t node "$JS/groups.test.js" "$BOOTSTRAP" || [ $? = 1 ] || fail group.kafkajs "node test exited abnormally (timeout?)"
broker_alive group.kafkajs.broker_survived && pass group.kafkajs.broker_survived
