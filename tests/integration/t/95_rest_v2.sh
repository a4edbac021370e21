#!/usr/bin/env bash
# 95_rest_v2.sh — REST Proxy API v2 black-box test: `basin rest` on a Basin
# broker driven with curl. Produce (binary, json; per-record partition and
# key; explicit partition), metadata (topics, partitions, offsets, brokers),
# the consumer quickstart (create, subscribe, read, commit, offsets, delete),
# assignments and seeks, Confluent's error codes (40401, 40402, 40403, 40601,
# 40902, 40903, 415, 400, 422xx), cross-checks with kcat both ways (keys,
# values, partitions), idle instance expiry, the avro quickstart with
# `basin registry` (schema ids seen by kcat in the wire format), and the HTTP
# behaviour curl relies on (Expect: 100-continue, keep-alive reuse).
. "$(dirname "$0")/../lib.sh"
itest_init
command -v jq >/dev/null || { skip rest_v2 "jq is not installed"; exit 0; }

REST_PID=
REG_PID=
REST_PORT=$(pick_port)
REG_PORT=$(pick_port)
REST=http://127.0.0.1:$REST_PORT
REST_LOG=$ITEST_TMP/rest.log
V2='Content-Type: application/vnd.kafka.v2+json'
BIN='Content-Type: application/vnd.kafka.binary.v2+json'
JSN='Content-Type: application/vnd.kafka.json.v2+json'
AVR='Content-Type: application/vnd.kafka.avro.v2+json'

stop_pid() { [ -n "$1" ] && { kill -TERM "$1" 2>/dev/null; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done; kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; }; }
trap 'stop_pid "$REST_PID"; stop_pid "$REG_PID"; cp "$REST_LOG" /tmp/rest_last.log 2>/dev/null; itest_cleanup' EXIT

rest_start() {
    "$BASIN_BIN" rest --override "bootstrap.servers=$BOOTSTRAP" \
        --override "listeners=http://127.0.0.1:$REST_PORT" \
        --override "schema.registry.url=http://127.0.0.1:$REG_PORT" "$@" >>"$REST_LOG" 2>&1 &
    REST_PID=$!
    wait_port "$REST_PORT" 20 "$REST_PID"
}

# req METHOD PATH [CONTENT-TYPE BODY [ACCEPT]] -> $STATUS, $BODY
req() {
    local out args=(-s -m 20 -w '\n%{http_code}' -X "$1")
    if [ $# -ge 4 ]; then args+=(-H "$3" --data-binary "$4"); fi
    if [ $# -ge 5 ]; then args+=(-H "Accept: $5"); fi
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
"$BASIN_BIN" topics --bootstrap-server "$BOOTSTRAP" --create --topic rt --partitions 3 >/dev/null 2>&1
"$BASIN_BIN" topics --bootstrap-server "$BOOTSTRAP" --create --topic rj --partitions 2 >/dev/null 2>&1
rest_start || { fail rest_start "REST Proxy did not start: $(tail -n 3 "$REST_LOG")"; exit 1; }
pass rest_start

# ---- metadata ----
req GET /topics
expect topics_list 200 'index("rt") != null'
req GET /topics/rt
expect topic_get 200 '.name == "rt" and (.partitions | length) == 3 and (.configs | has("retention.ms")) and .partitions[0].replicas[0].in_sync == true'
req GET /topics/nope
expect topic_unknown_40401 404 '.error_code == 40401'
req GET /topics/rt/partitions
expect partitions 200 'length == 3 and .[2].partition == 2 and .[0].leader == 0'
req GET /topics/rt/partitions/1
expect partition_get 200 '.partition == 1 and (.replicas | length) == 1'
req GET /topics/rt/partitions/9
expect partition_unknown_40402 404 '.error_code == 40402'
req GET /brokers
expect brokers 200 '.brokers == [0]'

# ---- produce ----
req POST /topics/rt "$BIN" '{"records":[{"key":"a2V5","value":"dmFsdWU="},{"value":"eA==","partition":2},{"key":"a2V5","value":"Mg=="}]}'
expect produce_binary 200 '.key_schema_id == null and .value_schema_id == null and (.offsets | length) == 3 and .offsets[1].partition == 2 and all(.offsets[]; .error_code == null and .offset >= 0) and .offsets[0].partition == .offsets[2].partition'
req POST /topics/rj/partitions/1 "$JSN" '{"records":[{"key":"k","value":{"a":[1,2]}},{"value":null}]}'
expect produce_json_partition 200 '(.offsets | length) == 2 and all(.offsets[]; .partition == 1)'
req POST /topics/rt "$V2" '{"records":[{"value":"aGk="}]}'
expect produce_default_binary 200 '.offsets[0].error_code == null'
req POST /topics/nope "$BIN" '{"records":[{"value":"aGk="}]}'
expect produce_unknown_topic_40401 404 '.error_code == 40401'
req POST /topics/rt/partitions/7 "$BIN" '{"records":[{"value":"aGk="}]}'
expect produce_unknown_partition_40402 404 '.error_code == 40402'
req POST /topics/rt "$BIN" '{"records":[{"value":"aGk=","partition":5}]}'
expect produce_record_partition_40402 404 '.error_code == 40402'
req POST /topics/rt "$BIN" '{"records":[{"value":"aGk="}'
expect produce_bad_json_400 400 '.error_code == 400'
req POST /topics/rt "$BIN" '{"records":[]}'
expect produce_empty_422 422 '.error_code == 422'
req POST /topics/rt "$BIN" '{"records":[{"value":"!!not base64"}]}'
expect produce_bad_base64_422 422 '.error_code == 422'
req POST /topics/rt 'Content-Type: text/plain' '{"records":[{"value":"aGk="}]}'
expect produce_wrong_content_type_415 415 '.error_code == 415'
req POST /topics/rt 'Content-Type: application/vnd.kafka.protobuf.v2+json' '{"records":[{"value":"aGk="}]}'
expect produce_unsupported_format_415 415 '.error_code == 415'
req GET /topics/rt/partitions/2/offsets
expect partition_offsets 200 '.beginning_offset == 0 and .end_offset >= 1'

# what kcat sees: keys, values, partitions
out=$(t kcat -b "$BOOTSTRAP" -C -t rj -p 1 -o beginning -e -q -f '%k|%s|%p\n' 2>&1)
if echo "$out" | grep -qx '"k"|{"a":\[1,2\]}|1'; then pass kcat_reads_rest_json; else fail kcat_reads_rest_json "$out"; fi
out=$(t kcat -b "$BOOTSTRAP" -C -t rt -o beginning -e -q -f '%k|%s\n' 2>&1)
if echo "$out" | grep -qx 'key|value' && echo "$out" | grep -qx '|x'; then pass kcat_reads_rest_binary; else fail kcat_reads_rest_binary "$out"; fi

# ---- consumer quickstart ----
req POST /consumers/g1 "$V2" '{"name":"c1","format":"binary","auto.offset.reset":"earliest","auto.commit.enable":"false"}'
expect consumer_create 200 ".instance_id == \"c1\" and .base_uri == \"$REST/consumers/g1/instances/c1\""
req POST /consumers/g1 "$V2" '{"name":"c1","format":"binary"}'
expect consumer_exists_40902 409 '.error_code == 40902'
req POST /consumers/g1 "$V2" '{"name":"bad","format":"xml"}'
expect consumer_bad_format_42204 422 '.error_code == 42204'
req POST /consumers/g1/instances/c1/subscription "$V2" '{"topics":["rt"]}'
expect subscribe 204 'true'
req GET /consumers/g1/instances/c1/subscription
expect subscription_get 200 '.topics == ["rt"]'
req POST /consumers/g1/instances/c1/assignments "$V2" '{"partitions":[{"topic":"rt","partition":0}]}'
expect assign_while_subscribed_40903 409 '.error_code == 40903'
req GET '/consumers/g1/instances/c1/records?timeout=8000' '' '' 'application/vnd.kafka.binary.v2+json'
expect records_binary 200 'length >= 4 and any(.[]; .key == "a2V5" and .value == "dmFsdWU=") and any(.[]; .partition == 2 and .value == "eA==")'
req GET /consumers/g1/instances/c1/records '' '' 'application/vnd.kafka.json.v2+json'
expect records_wrong_accept_40601 406 '.error_code == 40601'
req POST /consumers/g1/instances/c1/offsets "$V2" '{"offsets":[{"topic":"rt","partition":2,"offset":0}]}'
expect commit_explicit 200 'true'
req GET /consumers/g1/instances/c1/offsets "$V2" '{"partitions":[{"topic":"rt","partition":2}]}'
expect committed_plus_one 200 '.offsets[0].offset == 1 and .offsets[0].topic == "rt"'
req POST /consumers/g1/instances/c1/offsets "$V2" ''
expect commit_all 200 'true'
END1=$(curl -s "$REST/topics/rt/partitions/1/offsets" | jq .end_offset)
req GET /consumers/g1/instances/c1/offsets "$V2" '{"partitions":[{"topic":"rt","partition":1}]}'
expect committed_all 200 ".offsets[0].offset == $END1 and $END1 > 0"
req DELETE /consumers/g1/instances/c1
expect consumer_delete 204 'true'
req DELETE /consumers/g1/instances/c1
expect consumer_unknown_40403 404 '.error_code == 40403'
req GET /consumers/g1/instances/zz/records
expect records_unknown_40403 404 '.error_code == 40403'

# ---- manual assignment and positions (json format) ----
req POST /consumers/g2 "$V2" '{"name":"j1","format":"json","auto.offset.reset":"latest"}'
expect json_consumer 200 '.instance_id == "j1"'
req POST /consumers/g2/instances/j1/assignments "$V2" '{"partitions":[{"topic":"rj","partition":1}]}'
expect assign 204 'true'
req GET /consumers/g2/instances/j1/assignments
expect assignments_get 200 '.partitions == [{"topic":"rj","partition":1}]'
req POST /consumers/g2/instances/j1/positions "$V2" '{"offsets":[{"topic":"rj","partition":1,"offset":0}]}'
expect seek_offset 204 'true'
req GET '/consumers/g2/instances/j1/records?timeout=5000' '' '' 'application/vnd.kafka.json.v2+json'
expect records_json_after_seek 200 'length == 2 and .[0].key == "k" and .[0].value == {"a":[1,2]} and .[1].value == null and .[0].offset == 0'
req POST /consumers/g2/instances/j1/positions/beginning "$V2" '{"partitions":[{"topic":"rj","partition":1}]}'
expect seek_beginning 204 'true'
req GET '/consumers/g2/instances/j1/records?timeout=5000&max_bytes=1' '' '' 'application/json'
expect records_max_bytes 200 'length == 1 and .[0].offset == 0'
req GET '/consumers/g2/instances/j1/records?timeout=5000' '' '' 'application/vnd.kafka.json.v2+json'
expect records_rest_after_max_bytes 200 'length == 1 and .[0].offset == 1'
req POST /consumers/g2/instances/j1/positions/end "$V2" '{"partitions":[{"topic":"rj","partition":1}]}'
expect seek_end 204 'true'
req POST /consumers/g2/instances/j1/subscription "$V2" '{"topic_pattern":"r.*"}'
expect subscribe_while_assigned_40903 409 '.error_code == 40903'
req POST /consumers/g2/instances/j1/positions "$V2" '{"offsets":[{"topic":"rt"}]}'
expect seek_bad_body_422 422 '.error_code == 422'
req POST /consumers/g2/instances/j1/positions "$V2" 'not json'
expect seek_bad_json_400 400 '.error_code == 400'

# records produced by kcat, read through REST
printf 'kk:from-kcat\n' | t kcat -b "$BOOTSTRAP" -P -t rt -p 0 -K: 2>/dev/null
req POST /consumers/g3 "$V2" '{"name":"b1","format":"binary","auto.offset.reset":"earliest"}'
req POST /consumers/g3/instances/b1/assignments "$V2" '{"partitions":[{"topic":"rt","partition":0}]}'
req GET '/consumers/g3/instances/b1/records?timeout=5000'
expect rest_reads_kcat 200 "any(.[]; .key == \"$(printf kk | base64)\" and .value == \"$(printf from-kcat | base64)\" and .partition == 0)"

# ---- avro quickstart (needs basin registry) ----
"$BASIN_BIN" registry --override "kafkastore.bootstrap.servers=$BOOTSTRAP" \
    --override "listeners=http://127.0.0.1:$REG_PORT" >>"$ITEST_TMP/registry.log" 2>&1 &
REG_PID=$!
if wait_port "$REG_PORT" 30 "$REG_PID"; then
    "$BASIN_BIN" topics --bootstrap-server "$BOOTSTRAP" --create --topic avt --partitions 1 >/dev/null 2>&1
    SCH='{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"name\",\"type\":\"string\"}]}'
    req POST /topics/avt "$AVR" "{\"value_schema\":\"$SCH\",\"records\":[{\"value\":{\"name\":\"testUser\"}}]}"
    expect avro_produce 200 '.value_schema_id > 0 and .key_schema_id == null and .offsets[0].offset == 0'
    SID=$(echo "$BODY" | jq -r .value_schema_id)
    req POST /topics/avt "$AVR" "{\"value_schema_id\":$SID,\"records\":[{\"value\":{\"name\":\"second\"}}]}"
    expect avro_produce_by_id 200 ".value_schema_id == $SID"
    req POST /topics/avt "$AVR" '{"records":[{"value":{"name":"x"}}]}'
    expect avro_no_value_schema_42202 422 '.error_code == 42202'
    req POST /topics/avt "$AVR" "{\"value_schema\":\"$SCH\",\"records\":[{\"key\":\"k\",\"value\":{\"name\":\"x\"}}]}"
    expect avro_no_key_schema_42201 422 '.error_code == 42201'
    req POST /topics/avt "$AVR" "{\"value_schema_id\":$SID,\"records\":[{\"value\":{\"nom\":1}}]}"
    expect avro_bad_value_42203 422 '.error_code == 42203'
    req POST /topics/avt "$AVR" '{"value_schema":"{\"type\":\"nope\"}","records":[{"value":1}]}'
    expect avro_bad_schema_42205 422 '.error_code == 42205'
    # wire format: magic 0 + the schema id
    hdr=$(t kcat -b "$BOOTSTRAP" -C -t avt -o 0 -c 1 -e -q -f '%s' 2>/dev/null | head -c 5 | od -An -tu1 | tr -s ' ')
    want=$(printf ' 0 %d %d %d %d' $(( (SID >> 24) & 255 )) $(( (SID >> 16) & 255 )) $(( (SID >> 8) & 255 )) $(( SID & 255 )))
    if [ "$hdr" = "$want" ]; then pass avro_wire_schema_id; else fail avro_wire_schema_id "header '$hdr' want '$want'"; fi
    req POST /consumers/ga "$V2" '{"name":"a1","format":"avro","auto.offset.reset":"earliest"}'
    req POST /consumers/ga/instances/a1/subscription "$V2" '{"topics":["avt"]}'
    req GET '/consumers/ga/instances/a1/records?timeout=8000' '' '' 'application/vnd.kafka.avro.v2+json'
    expect avro_records 200 'length == 2 and .[0].value == {"name":"testUser"} and .[1].value == {"name":"second"}'
    req POST /consumers/ga/instances/a1/offsets "$V2" ''
    expect avro_commit 200 'true'
    req DELETE /consumers/ga/instances/a1
    expect avro_delete 204 'true'
else
    skip avro_quickstart "basin registry did not start: $(tail -n 2 "$ITEST_TMP/registry.log")"
fi

# ---- HTTP behaviour curl relies on (the REST Proxy's own HTTP/1.1 engine) ----
# curl sends "Expect: 100-continue" for bodies over 1 KiB: 100 first, then 200
big=$(python3 -c 'import json; print(json.dumps({"records": [{"value": "eHh4" * 10} for _ in range(60)]}))')
v=$(curl -sv -m 20 -H "$BIN" -H 'Expect: 100-continue' --data-binary "$big" "$REST/topics/rt" 2>&1)
if echo "$v" | grep -q '^< HTTP/1.1 100 Continue' && echo "$v" | grep -q '^< HTTP/1.1 200 OK' &&
    [ "$(echo "$v" | grep -c '"error_code":null')" = 1 ]; then
    pass http_expect_100_continue
else
    fail http_expect_100_continue "$(echo "$v" | grep '^[<>]' | head -12 | tr '\n' ' ')"
fi
# two URLs on one command line share one keep-alive connection
v=$(curl -sv -m 20 "$REST/topics" "$REST/topics/rt" 2>&1)
if echo "$v" | grep -q 'Re-using existing connection' && [ "$(echo "$v" | grep -c '^< HTTP/1.1 200 OK')" = 2 ] &&
    echo "$v" | grep -qi '^< Date: ' && echo "$v" | grep -qi '^< Content-Type: application/vnd.kafka.v2+json'; then
    pass http_keep_alive
else
    fail http_keep_alive "$(echo "$v" | grep -E '^[<*]' | head -12 | tr '\n' ' ')"
fi

# ---- idle expiry ----
stop_pid "$REST_PID"; REST_PID=
rest_start --override consumer.instance.timeout.ms=1000 || fail rest_restart "did not restart"
req POST /consumers/g4 "$V2" '{"name":"idle","format":"binary"}'
expect expiry_create 200 '.instance_id == "idle"'
sleep 2.5
req GET /consumers/g4/instances/idle/subscription
expect expiry_gone_40403 404 '.error_code == 40403'

kill -0 "$REST_PID" 2>/dev/null && pass rest_alive || fail rest_alive "the REST Proxy died: $(tail -n 3 "$REST_LOG")"
broker_alive broker_alive
