#!/usr/bin/env bash
# basin topics: create / list / describe / alter (partitions, configs,
# --delete-config) / delete round trip, with --if-not-exists / --if-exists
# and the errors Kafka reports (topic exists, unknown topic).
. "$(dirname "$0")/../lib.sh"
itest_init
if ! broker_start; then
    fail console.topics "$BROKER_START_ERR"
    exit 1
fi
T() { t "$BASIN_BIN" topics --bootstrap-server "$BOOTSTRAP" "$@"; }

out=$(T --create --topic ct-a --partitions 2 --config retention.ms=123456 2>&1)
[ "$out" = "Created topic ct-a." ] && pass console.topics.create || fail console.topics.create "output: $out"

out=$(T --create --topic ct-a --partitions 2 2>&1)
rc=$?
[ $rc = 1 ] && [[ $out == *"cannot create topic ct-a"*TOPIC_ALREADY_EXISTS* ]] &&
    pass console.topics.create_exists_fails || fail console.topics.create_exists_fails "exit $rc: $out"
out=$(T --create --topic ct-a --partitions 2 --if-not-exists 2>&1)
[ $? = 0 ] && [ -z "$out" ] && pass console.topics.if_not_exists || fail console.topics.if_not_exists "$out"

T --create --topic ct-b --partitions 1 >/dev/null 2>&1
out=$(T --list 2>&1)
[ "$(echo "$out" | grep -c '^ct-[ab]$')" = 2 ] && pass console.topics.list || fail console.topics.list "$out"

out=$(T --describe --topic ct-a 2>&1)
head=$(echo "$out" | head -n 1)
[[ $head == "Topic: ct-a"$'\t'"PartitionCount: 2"$'\t'"ReplicationFactor: 1"$'\t'"Configs: retention.ms=123456" ]] &&
    [ "$(echo "$out" | grep -c $'^\tTopic: ct-a\tPartition: [01]\tLeader: [0-9]*\tReplicas: [0-9]*\tIsr: [0-9]*$')" = 2 ] &&
    pass console.topics.describe || fail console.topics.describe "$out"

out=$(T --alter --topic ct-a --partitions 3 --config retention.bytes=1000000 2>&1) ||
    fail console.topics.alter "exit $?: $out"
out=$(T --describe --topic ct-a 2>&1)
[[ $out == *"PartitionCount: 3"* && $out == *"retention.bytes=1000000"* && $out == *"retention.ms=123456"* ]] &&
    pass console.topics.alter || fail console.topics.alter "after alter: $out"

T --alter --topic ct-a --delete-config retention.ms >/dev/null 2>&1
out=$(T --describe --topic ct-a 2>&1 | head -n 1)
[[ $out == *"Configs: retention.bytes=1000000" ]] && pass console.topics.delete_config ||
    fail console.topics.delete_config "$out"

out=$(T --alter --topic ct-a --partitions 2 2>&1)
rc=$?
[ $rc = 1 ] && [[ $out == *"cannot change the partition count of ct-a to 2"* ]] &&
    pass console.topics.shrink_refused || fail console.topics.shrink_refused "exit $rc: $out"

out=$(T --describe --topic ct-nope 2>&1)
rc=$?
[ $rc = 1 ] && [[ $out == *"topic 'ct-nope' does not exist"* ]] && pass console.topics.describe_missing ||
    fail console.topics.describe_missing "exit $rc: $out"

out=$(T --delete --topic ct-a,ct-b 2>&1) || fail console.topics.delete "exit $?: $out"
out=$(T --list 2>&1)
! echo "$out" | grep -q '^ct-' && pass console.topics.delete || fail console.topics.delete "still listed: $out"
out=$(T --delete --topic ct-a 2>&1)
rc=$?
[ $rc = 1 ] && [[ $out == *UNKNOWN_TOPIC_OR_PART* ]] && pass console.topics.delete_missing ||
    fail console.topics.delete_missing "exit $rc: $out"
T --delete --topic ct-a --if-exists >/dev/null 2>&1 && pass console.topics.if_exists ||
    fail console.topics.if_exists "exit $?"
broker_alive console.topics.broker_survived && pass console.topics.broker_survived
