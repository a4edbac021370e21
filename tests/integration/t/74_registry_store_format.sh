#!/usr/bin/env bash
# 74_registry_store_format.sh — the `_schemas` topic is Confluent's format
# in both directions:
#  - records written the way Confluent's registry writes them (JSON keys and
#    values, schemaType omitted for AVRO, PROTOBUF with references, soft
#    deletes, tombstones, CONFIG/MODE with a null subject, DELETE_SUBJECT,
#    NOOP, a keytype of a newer release, a malformed record) are produced
#    with kcat BEFORE `basin registry` starts; it must serve them;
#  - the records `basin registry` writes are read back with kcat and checked
#    field by field (keys byte-exact, as compaction merges equal keys).
. "$(dirname "$0")/../lib.sh"
itest_init
command -v kcat >/dev/null || { skip registry_store_format "kcat is not installed"; exit 0; }
command -v jq >/dev/null || { skip registry_store_format "jq is not installed"; exit 0; }
REG_PID=
REG_PORT=$(pick_port)
REG=http://127.0.0.1:$REG_PORT
trap '[ -n "$REG_PID" ] && kill -9 "$REG_PID" 2>/dev/null; itest_cleanup' EXIT

broker_start || { fail registry_store_format "broker: $BROKER_START_ERR"; exit 1; }
reg_start() {
    "$BASIN_BIN" registry --override "kafkastore.bootstrap.servers=$BOOTSTRAP" \
        --override "listeners=http://127.0.0.1:$REG_PORT" >>"$ITEST_TMP/registry.log" 2>&1 &
    REG_PID=$!
    wait_port "$REG_PORT" 30 "$REG_PID"
}
# a first start creates the topic as Confluent does (1 partition, compacted)
reg_start || { fail registry_store_format "registry did not start: $(tail -n 3 "$ITEST_TMP/registry.log")"; exit 1; }
kill -TERM "$REG_PID"; wait "$REG_PID"; REG_PID=
# records separated by \x1e, key and value by \x1f ("" value = tombstone via -Z)
{
printf '%s\x1f%s\x1e' '{"keytype":"CONFIG","subject":null,"magic":0}' '{"compatibilityLevel":"FULL"}'
printf '%s\x1f%s\x1e' '{"keytype":"SCHEMA","subject":"pay-value","version":1,"magic":1}' '{"subject":"pay-value","version":1,"id":21,"schema":"{\"type\":\"record\",\"name\":\"Pay\",\"fields\":[{\"name\":\"amount\",\"type\":\"double\"}]}","deleted":false}'
printf '%s\x1f%s\x1e' '{"keytype":"SCHEMA","subject":"pay-value","version":2,"magic":1}' '{"subject":"pay-value","version":2,"id":22,"schema":"{\"type\":\"record\",\"name\":\"Pay\",\"fields\":[{\"name\":\"amount\",\"type\":\"double\"},{\"name\":\"cur\",\"type\":\"string\",\"default\":\"EUR\"}]}","deleted":false}'
printf '%s\x1f%s\x1e' '{"keytype":"SCHEMA","subject":"dep.proto","version":1,"magic":1}' '{"subject":"dep.proto","version":1,"id":30,"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";\nmessage Dep { string x = 1; }\n","deleted":false}'
printf '%s\x1f%s\x1e' '{"keytype":"SCHEMA","subject":"main-value","version":1,"magic":1}' '{"subject":"main-value","version":1,"id":31,"schemaType":"PROTOBUF","schema":"syntax = \"proto3\";\nimport \"dep.proto\";\nmessage M { Dep d = 1; }\n","references":[{"name":"dep.proto","subject":"dep.proto","version":1}],"deleted":false}'
printf '%s\x1f%s\x1e' '{"keytype":"SCHEMA","subject":"old-value","version":1,"magic":1}' '{"subject":"old-value","version":1,"id":40,"schema":"\"string\"","deleted":false}'
printf '%s\x1f%s\x1e' '{"keytype":"SCHEMA","subject":"old-value","version":2,"magic":1}' '{"subject":"old-value","version":2,"id":41,"schema":"\"bytes\"","deleted":false}'
printf '%s\x1f%s\x1e' '{"keytype":"DELETE_SUBJECT","subject":"old-value","magic":0}' '{"subject":"old-value","version":2}'
printf '%s\x1f%s\x1e' '{"keytype":"CONFIG","subject":"pay-value","magic":0}' '{"compatibilityLevel":"BACKWARD_TRANSITIVE"}'
printf '%s\x1f%s\x1e' '{"keytype":"MODE","subject":"main-value","magic":0}' '{"mode":"READONLY"}'
printf '%s\x1f%s\x1e' '{"keytype":"NOOP","magic":0}' ''
printf '%s\x1f%s\x1e' '{"keytype":"CONTEXT","tenant":"default","context":".","magic":0}' '{"tenant":"default","context":"."}'
printf '%s\x1f%s\x1e' 'this is not json' '{}'
} >"$ITEST_TMP/records"
if ! t kcat -b "$BOOTSTRAP" -P -t _schemas -p 0 -K $'\x1f' -D $'\x1e' -Z <"$ITEST_TMP/records" 2>"$ITEST_TMP/kcat.err"; then
    fail registry_store_format.seed "kcat: $(tail -n 2 "$ITEST_TMP/kcat.err")"
    exit 1
fi
pass registry_store_format.seed_confluent_records

reg_start || { fail registry_store_format "registry did not start: $(tail -n 3 "$ITEST_TMP/registry.log")"; exit 1; }

# chk NAME PATH JQ
chk() {
    local body
    body=$(curl -s -m 10 "$REG$2")
    echo "$body" | jq -e "$3" >/dev/null 2>&1 && pass "registry_store_format.$1" ||
        fail "registry_store_format.$1" "$2 -> $body"
}
chk global_config /config '.compatibilityLevel == "FULL"'
chk subject_config /config/pay-value '.compatibilityLevel == "BACKWARD_TRANSITIVE"'
chk avro_by_id /schemas/ids/22 '(.schema | fromjson | .fields[1].default) == "EUR" and (has("schemaType") | not)'
chk versions /subjects/pay-value/versions '. == [1,2]'
chk protobuf_kept /schemas/ids/31 '.schemaType == "PROTOBUF" and .references[0].subject == "dep.proto"'
chk referencedby /subjects/dep.proto/versions/1/referencedby '. == [31]'
chk subject_mode /mode/main-value '.mode == "READONLY"'
chk delete_subject /subjects '. == ["dep.proto","main-value","pay-value"]'
chk deleted_listed '/subjects/old-value/versions?deleted=true' '. == [1,2]'
chk soft_deleted_id_no_subjects /schemas/ids/40/subjects '. == []'
grep -q "offset 12 skipped" "$ITEST_TMP/registry.log" && pass registry_store_format.malformed_record_skipped ||
    fail registry_store_format.malformed_record_skipped "no warning for the malformed record"

# next id continues after the highest id in the topic
out=$(curl -s -m 30 -X POST -H 'Content-Type: application/json' --data-binary '{"schema":"\"int\""}' "$REG/subjects/new-value/versions")
echo "$out" | jq -e '.id == 42' >/dev/null && pass registry_store_format.next_id || fail registry_store_format.next_id "$out"
curl -s -m 30 -X PUT -H 'Content-Type: application/json' --data-binary '{"compatibility":"NONE"}' "$REG/config/new-value" >/dev/null
curl -s -m 30 -X DELETE "$REG/subjects/new-value/versions/1" >/dev/null

# what basin registry wrote, as kcat sees it
t kcat -b "$BOOTSTRAP" -C -t _schemas -o 13 -e -q -Z -f '%k\t%s\n' >"$ITEST_TMP/ours" 2>/dev/null
grep -qF $'{"keytype":"SCHEMA","subject":"new-value","version":1,"magic":1}\t{"subject":"new-value","version":1,"id":42,"schema":"\\"int\\"","deleted":false}' "$ITEST_TMP/ours" &&
    pass registry_store_format.schema_record || fail registry_store_format.schema_record "$(head -n 3 "$ITEST_TMP/ours")"
grep -qF $'{"keytype":"CONFIG","subject":"new-value","magic":0}\t{"compatibilityLevel":"NONE"}' "$ITEST_TMP/ours" &&
    pass registry_store_format.config_record || fail registry_store_format.config_record "$(cat "$ITEST_TMP/ours")"
grep -qF $'{"keytype":"SCHEMA","subject":"new-value","version":1,"magic":1}\t{"subject":"new-value","version":1,"id":42,"schema":"\\"int\\"","deleted":true}' "$ITEST_TMP/ours" &&
    pass registry_store_format.soft_delete_record || fail registry_store_format.soft_delete_record "$(cat "$ITEST_TMP/ours")"
grep -qF '{"keytype":"NOOP","magic":0}' "$ITEST_TMP/ours" && pass registry_store_format.noop_record ||
    fail registry_store_format.noop_record "the leader wrote no NOOP before its first write"
kill -0 "$REG_PID" 2>/dev/null && pass registry_store_format.alive || fail registry_store_format.alive "registry died"
