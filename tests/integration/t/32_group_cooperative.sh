#!/usr/bin/env bash
# The cooperative-sticky assignor rebalances incrementally: when a second
# member joins, the first gives up only the partitions that move (no
# stop-the-world revoke of everything), and nothing is lost.
. "$(dirname "$0")/../lib.sh"
itest_init
GC=$ITEST_BIN/group_consumer
if ! broker_start --override group.initial.rebalance.delay.ms=200; then
    fail group.cooperative "$BROKER_START_ERR"
    exit 1
fi
T=coop6
G=g32
t "$GC" "$BOOTSTRAP" produce $T 6 0 2000 || fail group.coop.produce "producer failed"
held() {
    awk '$1=="EVENT" && $3=="incr-assign" {n+=$4} $1=="EVENT" && $3=="incr-revoke" {n-=$4}
         $1=="EVENT" && $3=="assign" {n=$4} $1=="EVENT" && $3=="revoke" {n=0} END {print n+0}' "$1"
}
wait_until() {
    local deadline=$((SECONDS + $1))
    shift
    while [ $SECONDS -lt $deadline ]; do "$@" && return 0; sleep 0.2; done
    return 1
}
c1_all() { [ "$(held "$ITEST_TMP/c1.err")" = 6 ]; }
split() { [ "$(held "$ITEST_TMP/c1.err")" = 3 ] && [ "$(held "$ITEST_TMP/c2.err")" = 3 ]; }
distinct() { cat "$ITEST_TMP"/c*.out | awk '{print $1}' | sort -un | wc -l; }
all_read() { [ "$(distinct)" -ge 4000 ]; }

"$GC" "$BOOTSTRAP" consume $G $T "$ITEST_TMP/c1.out" --assignor cooperative-sticky --max-ms 60000 \
    2>"$ITEST_TMP/c1.err" &
p1=$!
wait_until 20 c1_all || fail group.coop.first_member "first member holds $(held "$ITEST_TMP/c1.err") partitions"
"$GC" "$BOOTSTRAP" consume $G $T "$ITEST_TMP/c2.out" --assignor cooperative-sticky --max-ms 60000 \
    2>"$ITEST_TMP/c2.err" &
p2=$!
t "$GC" "$BOOTSTRAP" produce $T 6 2000 2000 || fail group.coop.produce2 "producer failed"
if wait_until 30 split; then
    full=$(grep -c ' revoke ' "$ITEST_TMP/c1.err")
    rev=$(awk '$3=="incr-revoke" {s+=$4} END {print s+0}' "$ITEST_TMP/c1.err")
    if [ "$full" = 0 ] && [ "$rev" = 3 ] && grep -q "incr-assign" "$ITEST_TMP/c2.err"; then
        pass group.cooperative_sticky_incremental
    else
        fail group.cooperative_sticky_incremental "first member: $full eager revokes, $rev partitions revoked incrementally"
    fi
else
    fail group.cooperative_sticky_incremental "members hold $(held "$ITEST_TMP/c1.err") + $(held "$ITEST_TMP/c2.err")"
fi
if wait_until 30 all_read; then pass group.coop.nothing_lost; else
    fail group.coop.nothing_lost "$(distinct) of 4000 distinct values"
fi
kill -TERM $p1 $p2 2>/dev/null
wait $p1 $p2 2>/dev/null
broker_alive group.coop.broker_survived && pass group.coop.broker_survived
