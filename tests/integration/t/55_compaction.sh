#!/usr/bin/env bash
# Log compaction (cleanup.policy=compact): many versions per key plus
# tombstones; after cleaning, a consumer from the start sees exactly the
# latest value of every live key, at its original offset, and no deleted key.
# Polls for up to 60 s for the cleaner (log.cleaner.backoff.ms is lowered).
# Second run: also a committed and an aborted transaction on the topic.
. "$(dirname "$0")/../lib.sh"
itest_init
if ! broker_start --override log.cleaner.backoff.ms=200; then
    fail eos.compact.broker_start "$BROKER_START_ERR"
    exit 1
fi
T_LIMIT=120 t "$ITEST_BIN/eos_compact" "$BOOTSTRAP" compacted --keys 500 --versions 20 --deadline-s 60 ||
    echo "# eos_compact exited with $?" >&2
# The same with transactions on the compacted topic: committed records count,
# aborted ones (newer versions of the same keys) must be cleaned away.
T_LIMIT=120 t "$ITEST_BIN/eos_compact" "$BOOTSTRAP" compacted-txn --keys 300 --versions 10 --deadline-s 60 --txn 1 |
    sed 's/^\(PASS\|FAIL\) eos\.compact\./\1 eos.compact.txn./'
if grep -qi "clean" "$BROKER_LOG"; then
    echo "# broker log, cleaner lines:" >&2
    grep -i "clean" "$BROKER_LOG" | tail -n 5 >&2
fi
broker_alive eos.compact.broker_survived && pass eos.compact.broker_survived
