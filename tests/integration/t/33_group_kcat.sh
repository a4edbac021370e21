#!/usr/bin/env bash
# kcat -G (balanced consumer): reads everything once, commits, and a second
# run of the same group resumes after the committed offsets.
. "$(dirname "$0")/../lib.sh"
itest_init
if ! command -v kcat >/dev/null; then
    skip group.kcat "kcat is not installed"
    exit 0
fi
if ! broker_start --override group.initial.rebalance.delay.ms=100; then
    fail group.kcat "$BROKER_START_ERR"
    exit 1
fi
GC=$ITEST_BIN/group_consumer
t "$GC" "$BOOTSTRAP" produce kc3 3 0 300 || fail group.kcat.produce "producer failed"
n1=$(t kcat -b "$BOOTSTRAP" -G kgroup -X auto.offset.reset=earliest -e -q -f '%s\n' kc3 2>"$ITEST_TMP/k1.err" | sort -un | wc -l)
if [ "$n1" = 300 ]; then pass group.kcat_G_reads_all; else
    fail group.kcat_G_reads_all "read $n1 of 300: $(tail -n 2 "$ITEST_TMP/k1.err" | tr '\n' ' ')"
fi
t "$GC" "$BOOTSTRAP" produce kc3 3 300 30 || fail group.kcat.produce2 "producer failed"
out=$(t kcat -b "$BOOTSTRAP" -G kgroup -X auto.offset.reset=earliest -e -q -f '%s\n' kc3 2>"$ITEST_TMP/k2.err" | sort -n)
n2=$(echo "$out" | grep -c .)
lo=$(echo "$out" | head -n 1)
if [ "$n2" = 30 ] && [ "$lo" = 300 ]; then pass group.kcat_G_resumes_after_commit; else
    fail group.kcat_G_resumes_after_commit "second run read $n2 messages starting at '$lo' (want 30 from 300)"
fi
broker_alive group.kcat.broker_survived && pass group.kcat.broker_survived
