#!/usr/bin/env bash
# 96_rest_v3.sh — REST Proxy API v3 black-box test with curl: clusters,
# topics (create with configs, duplicate 40002, list, get, partitions count
# update, delete, unknown 404), topic configs (get, put, delete, batch
# alter), partitions, brokers and broker configs, consumer groups (a kcat
# group member: consumers, assignments, lags, lag summary), and records:
# one record (types BINARY, JSON, STRING, headers, partition) read back by
# kcat, and the streaming form (a chunked body of concatenated records, one
# delivery report per record, in order, with per-record errors).
. "$(dirname "$0")/../lib.sh"
itest_init
command -v jq >/dev/null || { skip rest_v3 "jq is not installed"; exit 0; }

REST_PID=
KC_PID=
REST_PORT=$(pick_port)
REST=http://127.0.0.1:$REST_PORT
REST_LOG=$ITEST_TMP/rest.log
J='Content-Type: application/json'
stop_pid() { [ -n "$1" ] && { kill -TERM "$1" 2>/dev/null; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done; kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; }; }
trap 'stop_pid "$KC_PID"; stop_pid "$REST_PID"; itest_cleanup' EXIT

req() {
    local out args=(-s -m 20 -w '\n%{http_code}' -X "$1")
    if [ $# -ge 3 ]; then args+=(-H "$J" --data-binary "$3"); fi
    out=$(curl "${args[@]}" "$REST$2")
    STATUS=${out##*$'\n'}
    BODY=${out%$'\n'*}
}
expect() {
    if [ "$STATUS" = "$2" ] && echo "${BODY:-null}" | jq -e "$3" >/dev/null 2>&1; then
        pass "$1"
    else
        fail "$1" "expected $2 and $3, got $STATUS $BODY"
    fi
}

broker_start || { fail broker_start "$BROKER_START_ERR"; exit 1; }
"$BASIN_BIN" rest --override "bootstrap.servers=$BOOTSTRAP" \
    --override "listeners=http://127.0.0.1:$REST_PORT" >>"$REST_LOG" 2>&1 &
REST_PID=$!
wait_port "$REST_PORT" 20 "$REST_PID" || { fail rest_start "$(tail -n 3 "$REST_LOG")"; exit 1; }

req GET /v3/clusters
expect clusters 200 '.kind == "KafkaClusterList" and (.data | length) == 1 and (.data[0].cluster_id | length) > 0'
CID=$(echo "$BODY" | jq -r '.data[0].cluster_id')
C=/v3/clusters/$CID
req GET "$C"
expect cluster 200 ".cluster_id == \"$CID\" and .controller.related != null and (.metadata.self | endswith(\"$C\"))"
req GET /v3/clusters/nope
expect cluster_unknown 404 '.error_code == 404'

# ---- topics ----
req POST "$C/topics" '{"topic_name":"v3t","partitions_count":2,"configs":[{"name":"retention.ms","value":"100000"}]}'
expect topic_create 201 '.topic_name == "v3t" and .partitions_count == 2 and .replication_factor == 1 and .kind == "KafkaTopic"'
req POST "$C/topics" '{"topic_name":"v3t","partitions_count":2}'
expect topic_create_exists_40002 400 '.error_code == 40002'
req POST "$C/topics" '{"partitions_count":2}'
expect topic_create_no_name 400 '.error_code == 40002'
req POST "$C/topics" '{bad'
expect topic_create_bad_json 400 '.error_code == 400'
req GET "$C/topics"
expect topics_list 200 '.kind == "KafkaTopicList" and any(.data[]; .topic_name == "v3t")'
req GET "$C/topics/v3t"
expect topic_get 200 '.partitions_count == 2 and .is_internal == false and (.configs.related | endswith("/topics/v3t/configs"))'
req GET "$C/topics/nope"
expect topic_unknown 404 '.error_code == 40403'
req PATCH "$C/topics/v3t" '{"partitions_count":3}'
expect topic_partitions_update 200 '.partitions_count == 3'
req PATCH "$C/topics/v3t" '{"partitions_count":1}'
expect topic_partitions_shrink_40002 400 '.error_code == 40002'

# ---- configs ----
req GET "$C/topics/v3t/configs/retention.ms"
expect topic_config_get 200 '.value == "100000" and .source == "DYNAMIC_TOPIC_CONFIG" and .is_default == false'
req PUT "$C/topics/v3t/configs/retention.ms" '{"value":"200000"}'
expect topic_config_put 204 'true'
req GET "$C/topics/v3t/configs/retention.ms"
expect topic_config_put_seen 200 '.value == "200000"'
req POST "$C/topics/v3t/configs:alter" '{"data":[{"name":"segment.ms","value":"3600000"},{"name":"retention.ms","operation":"DELETE"}]}'
expect topic_config_alter 204 'true'
req GET "$C/topics/v3t/configs"
expect topic_configs_list 200 '.kind == "KafkaTopicConfigList" and any(.data[]; .name == "segment.ms" and .value == "3600000") and any(.data[]; .name == "retention.ms" and .source != "DYNAMIC_TOPIC_CONFIG")'
req DELETE "$C/topics/v3t/configs/segment.ms"
expect topic_config_delete 204 'true'
req GET "$C/topics/v3t/configs/nope.nope"
expect topic_config_unknown 404 '.error_code == 404'

# ---- partitions, brokers ----
req GET "$C/topics/v3t/partitions"
expect partitions 200 '.kind == "KafkaPartitionList" and (.data | length) == 3'
req GET "$C/topics/v3t/partitions/2"
expect partition 200 '.partition_id == 2 and .leader.related != null'
req GET "$C/topics/v3t/partitions/7"
expect partition_unknown 404 '.error_code == 40403'
req GET "$C/brokers"
expect brokers 200 '.data[0].broker_id == 0 and .data[0].port > 0'
req GET "$C/brokers/0"
expect broker 200 '.broker_id == 0'
req GET "$C/brokers/0/configs/log.retention.ms"
expect broker_config 200 '.name == "log.retention.ms" and .broker_id == 0'
req GET "$C/brokers/0/configs"
expect broker_configs 200 '.kind == "KafkaBrokerConfigList" and (.data | length) > 10'

# ---- records ----
req POST "$C/topics/v3t/records" '{"partition_id":1,"key":{"type":"STRING","data":"k1"},"value":{"type":"JSON","data":{"x":1}},"headers":[{"name":"h","value":"aGk="}]}'
expect record_one 200 '.error_code == 200 and .partition_id == 1 and .offset == 0 and .key.size == 2 and .value.type == "JSON"'
req POST "$C/topics/v3t/records" '{"partition_id":1,"value":{"type":"BINARY","data":"AAEC"}}'
expect record_binary 200 '.offset == 1 and .value.size == 3'
req POST "$C/topics/nope/records" '{"value":{"type":"STRING","data":"x"}}'
expect record_unknown_topic 404 '.error_code == 40403'
req POST "$C/topics/v3t/records" '{"value":{"type":"XML","data":1}}'
expect record_bad_type 400 '.error_code == 400'
out=$(t kcat -b "$BOOTSTRAP" -C -t v3t -p 1 -o 0 -c 1 -e -q -f '%k|%s|%h\n' 2>&1)
if [ "$out" = 'k1|{"x":1}|h=hi' ]; then pass kcat_reads_v3_record; else fail kcat_reads_v3_record "$out"; fi

# streaming: a chunked body of concatenated records
out=$(printf '{"partition_id":0,"value":{"type":"STRING","data":"s1"}}\n{"partition_id":0,"value":{"type":"STRING","data":"s2"}}{"partition_id":9,"value":{"type":"STRING","data":"bad"}}{"partition_id":0,"value":{"type":"STRING","data":"s3"}}' |
      curl -s -m 20 -X POST -H "$J" -H 'Transfer-Encoding: chunked' --data-binary @- -w '\n%{http_code}' "$REST$C/topics/v3t/records")
STATUS=${out##*$'\n'}
BODY=$(echo "${out%$'\n'*}" | jq -s -c .)
expect streaming_reports_in_order 200 'length == 4 and .[0].offset == 0 and .[1].offset == 1 and .[2].error_code == 404 and .[3].offset == 2 and all(.[0,1,3]; .error_code == 200)'
out=$(t kcat -b "$BOOTSTRAP" -C -t v3t -p 0 -o 0 -c 3 -e -q -f '%s ' 2>&1)
if [ "$out" = 's1 s2 s3 ' ]; then pass kcat_reads_streamed; else fail kcat_reads_streamed "$out"; fi

# ---- consumer groups: a kcat group member on v3t ----
t kcat -b "$BOOTSTRAP" -G lagg v3t -q -X auto.offset.reset=earliest -X enable.auto.commit=true -X auto.commit.interval.ms=200 >/dev/null 2>&1 &
KC_PID=$!
ok=
for _ in $(seq 1 60); do
    req GET "$C/consumer-groups/lagg"
    if [ "$STATUS" = 200 ] && echo "$BODY" | jq -e '.state == "STABLE"' >/dev/null 2>&1; then ok=1; break; fi
    sleep 0.25
done
[ -n "$ok" ] && pass group_stable || fail group_stable "$STATUS $BODY"
req GET "$C/consumer-groups"
expect groups_list 200 'any(.data[]; .consumer_group_id == "lagg")'
req GET "$C/consumer-groups/lagg/consumers"
expect group_consumers 200 '(.data | length) == 1 and (.data[0].consumer_id | length) > 0'
MEMBER=$(echo "$BODY" | jq -r '.data[0].consumer_id')
req GET "$C/consumer-groups/lagg/consumers/$MEMBER/assignments"
expect group_assignments 200 '(.data | length) == 3 and all(.data[]; .topic_name == "v3t")'
req GET "$C/consumer-groups/lagg/consumers/nobody"
expect group_consumer_unknown 404 '.error_code == 404'
for _ in $(seq 1 40); do # until kcat's auto commit covered partition 0
    req GET "$C/consumer-groups/lagg/lags"
    echo "$BODY" | jq -e 'any(.data[]; .partition_id == 0 and .current_offset == 3)' >/dev/null 2>&1 && break
    sleep 0.25
done
expect group_lags 200 '.kind == "KafkaConsumerLagList" and any(.data[]; .partition_id == 0 and .log_end_offset == 3 and .lag == 0)'
stop_pid "$KC_PID"; KC_PID=
req POST "$C/topics/v3t/records" '{"partition_id":2,"value":{"type":"STRING","data":"more"}}'
req GET "$C/consumer-groups/lagg/lag-summary"
expect group_lag_summary 200 '.kind == "KafkaConsumerGroupLagSummary" and .total_lag >= 0 and .max_lag >= 0'
req GET "$C/consumer-groups/none-such"
expect group_unknown 404 '.error_code == 404'

req DELETE "$C/topics/v3t"
expect topic_delete 204 'true'
req DELETE "$C/topics/v3t"
expect topic_delete_again 404 '.error_code == 40403'

kill -0 "$REST_PID" 2>/dev/null && pass rest_alive || fail rest_alive "the REST Proxy died: $(tail -n 3 "$REST_LOG")"
broker_alive broker_alive
