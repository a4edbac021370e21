#!/usr/bin/env bash
# Consumer groups with librdkafka high-level consumers: three members share
# six partitions; kill -9 of one member moves its partitions within the
# session timeout; with commits after processing nothing is lost across that
# rebalance, across a clean broker restart, nor across a kill -9 of the broker.
. "$(dirname "$0")/../lib.sh"
itest_init
GC=$ITEST_BIN/group_consumer
SESSION=6000
start_args=(--override group.initial.rebalance.delay.ms=300)
if ! broker_start "${start_args[@]}"; then
    fail group.rdkafka "$BROKER_START_ERR"
    exit 1
fi
T=grp6
G=g31

# count_assigned LOGFILE — partitions currently assigned per the EVENT log
count_assigned() {
    awk '$1=="EVENT" && ($3=="assign"||$3=="incr-assign") {n=($3=="assign")?$4:n+$4}
         $1=="EVENT" && $3=="revoke" {n=0} $1=="EVENT" && $3=="incr-revoke" {n-=$4}
         END {print n+0}' "$1" 2>/dev/null || echo 0
}
# uniq_values FILES... — distinct values consumed
uniq_values() { cat "$@" 2>/dev/null | awk '{print $1}' | sort -un | wc -l; }

wait_until() { # wait_until TIMEOUT_S CMD...
    local deadline=$((SECONDS + $1))
    shift
    while [ $SECONDS -lt $deadline ]; do
        "$@" && return 0
        sleep 0.2
    done
    return 1
}
three_split() {
    [ "$(count_assigned "$ITEST_TMP/c1.err")" = 2 ] && [ "$(count_assigned "$ITEST_TMP/c2.err")" = 2 ] &&
        [ "$(count_assigned "$ITEST_TMP/c3.err")" = 2 ]
}
two_split() {
    [ "$(count_assigned "$ITEST_TMP/c1.err")" = 3 ] && [ "$(count_assigned "$ITEST_TMP/c2.err")" = 3 ]
}
have_values() { [ "$(uniq_values "$ITEST_TMP"/c*.out)" -ge "$1" ]; }

t "$GC" "$BOOTSTRAP" produce $T 6 0 3000 || fail group.produce "producer failed"

pids=()
for i in 1 2 3; do
    "$GC" "$BOOTSTRAP" consume $G $T "$ITEST_TMP/c$i.out" --session $SESSION --max-ms 90000 \
        2>"$ITEST_TMP/c$i.err" &
    pids+=($!)
done
if wait_until 30 three_split; then
    pass group.three_members_share_six_partitions
else
    fail group.three_members_share_six_partitions "assigned: $(count_assigned "$ITEST_TMP/c1.err") $(count_assigned "$ITEST_TMP/c2.err") $(count_assigned "$ITEST_TMP/c3.err")"
fi
wait_until 30 have_values 3000 || fail group.first_batch "consumed $(uniq_values "$ITEST_TMP"/c*.out) of 3000"

# kill -9 one member: its two partitions move to the others
kill -9 "${pids[2]}"
wait "${pids[2]}" 2>/dev/null
killed_at=$SECONDS
t "$GC" "$BOOTSTRAP" produce $T 6 3000 3000 || fail group.produce2 "producer failed"
if wait_until 30 two_split; then
    took=$((SECONDS - killed_at))
    if [ $took -le $((SESSION / 1000 + 4)) ]; then
        pass group.kill9_member_partitions_move
    else
        fail group.kill9_member_partitions_move "took ${took}s (session.timeout.ms=$SESSION)"
    fi
else
    fail group.kill9_member_partitions_move "survivors hold $(count_assigned "$ITEST_TMP/c1.err") + $(count_assigned "$ITEST_TMP/c2.err") partitions"
fi
if wait_until 30 have_values 6000; then
    pass group.nothing_lost_across_rebalance
else
    fail group.nothing_lost_across_rebalance "consumed $(uniq_values "$ITEST_TMP"/c*.out) of 6000 distinct values"
fi
kill -TERM "${pids[0]}" "${pids[1]}" 2>/dev/null
wait "${pids[0]}" "${pids[1]}" 2>/dev/null

# clean restart: committed offsets survive, a new member resumes after them
if broker_stop && broker_start "${start_args[@]}"; then
    t "$GC" "$BOOTSTRAP" produce $T 6 6000 1000 || fail group.produce3 "producer failed"
    t "$GC" "$BOOTSTRAP" consume $G $T "$ITEST_TMP/c4.out" --session $SESSION --idle-exit 3000 \
        --max-ms 40000 2>"$ITEST_TMP/c4.err"
    old=$(awk '$1 < 6000' "$ITEST_TMP/c4.out" | wc -l)
    new=$(awk '$1 >= 6000' "$ITEST_TMP/c4.out" | awk '{print $1}' | sort -u | wc -l)
    if [ "$old" = 0 ] && [ "$new" = 1000 ]; then
        pass group.offsets_survive_clean_restart
    else
        fail group.offsets_survive_clean_restart "after restart re-read $old old values, got $new/1000 new"
    fi
    if have_values 7000; then pass group.nothing_lost_across_restart; else
        fail group.nothing_lost_across_restart "$(uniq_values "$ITEST_TMP"/c*.out) of 7000"
    fi
else
    fail group.offsets_survive_clean_restart "${BROKER_STOP_ERR:-}${BROKER_START_ERR:-}"
fi

# kill -9 of the broker: committed offsets (and the group) survive
before=$(t "$GC" "$BOOTSTRAP" committed $G $T 6 | tr '\n' ' ')
broker_kill9
if broker_start "${start_args[@]}"; then
    after=$(t "$GC" "$BOOTSTRAP" committed $G $T 6 | tr '\n' ' ')
    sum=$(echo "$after" | tr ' ' '\n' | awk 'NR%2==0 {s+=$1} END {print s+0}')
    if [ "$before" = "$after" ] && [ "$sum" = 7000 ]; then
        pass group.offsets_survive_broker_kill9
    else
        fail group.offsets_survive_broker_kill9 "before: $before after: $after (sum $sum, want 7000)"
    fi
else
    fail group.offsets_survive_broker_kill9 "$BROKER_START_ERR"
fi
broker_alive group.broker_survived && pass group.broker_survived
