#!/usr/bin/env bash
# librdkafka Admin API: CreateTopics, DescribeConfigs, AlterConfigs,
# CreatePartitions, DeleteRecords, DeleteTopics, watermarks, ListOffsets by time.
. "$(dirname "$0")/../lib.sh"
itest_init
if ! broker_start --override auto.create.topics.enable=false --override num.partitions=2; then
    fail rdkafka.admin "$BROKER_START_ERR"
    exit 1
fi
T_LIMIT=120 t "$ITEST_BIN/admin" "$BOOTSTRAP" suite
broker_alive rdkafka.admin.broker_survived && pass rdkafka.admin.broker_survived
