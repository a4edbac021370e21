#!/usr/bin/env bash
# librdkafka Admin API on groups: list (with a state filter), describe and
# delete groups; list, alter and delete consumer group offsets; offsets of a
# deleted topic leave every group (and a group left with none), also after a
# restart.
. "$(dirname "$0")/../lib.sh"
itest_init
if ! broker_start --override group.initial.rebalance.delay.ms=100; then
    fail group_admin "$BROKER_START_ERR"
    exit 1
fi
t "$ITEST_BIN/group_admin" "$BOOTSTRAP" || [ $? = 1 ] || fail group_admin "group_admin exited abnormally"
broker_alive group_admin.broker_survived && pass group_admin.broker_survived
# the removal of a deleted topic's offsets is durable (tombstones replayed)
broker_stop || fail group_admin.restart "$BROKER_STOP_ERR"
if broker_start --override group.initial.rebalance.delay.ms=100; then
    t "$ITEST_BIN/group_admin" "$BOOTSTRAP" check-deleted || [ $? = 1 ] ||
        fail group_admin.check_deleted "group_admin exited abnormally"
else
    fail group_admin.restart "$BROKER_START_ERR"
fi
