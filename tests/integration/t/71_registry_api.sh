#!/usr/bin/env bash
# 71_registry_api.sh — Schema Registry REST API black-box test: every
# endpoint family driven with curl against `basin registry` on a Basin
# broker, every error code path (404xx, 409, 422xx, 400, 404/406/415 from
# the HTTP layer), identity rules, references, IMPORT mode, JSON schemas
# (schemaType JSON), and state kept across a clean restart and a kill -9.
. "$(dirname "$0")/../lib.sh"
itest_init
command -v jq >/dev/null || { skip registry_api "jq is not installed"; exit 0; }

REG_PID=
REG_PORT=$(pick_port)
REG=http://127.0.0.1:$REG_PORT
REG_LOG=$ITEST_TMP/registry.log
CT='Content-Type: application/vnd.schemaregistry.v1+json'

reg_start() {
    "$BASIN_BIN" registry --override "kafkastore.bootstrap.servers=$BOOTSTRAP" \
        --override "listeners=http://127.0.0.1:$REG_PORT" "$@" >>"$REG_LOG" 2>&1 &
    REG_PID=$!
    wait_port "$REG_PORT" 30 "$REG_PID"
}
reg_stop() { # SIGTERM, bounded wait
    [ -n "$REG_PID" ] || return 0
    kill -TERM "$REG_PID" 2>/dev/null
    for _ in $(seq 1 200); do kill -0 "$REG_PID" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$REG_PID" 2>/dev/null
    wait "$REG_PID" 2>/dev/null
    REG_PID=
}
reg_kill9() { kill -9 "$REG_PID" 2>/dev/null; wait "$REG_PID" 2>/dev/null; REG_PID=; }
trap 'reg_kill9; itest_cleanup' EXIT

# req METHOD PATH [BODY] -> $STATUS, $BODY
req() {
    local out
    if [ $# -ge 3 ]; then
        out=$(curl -s -m 10 -w '\n%{http_code}' -X "$1" -H "$CT" --data-binary "$3" "$REG$2")
    else
        out=$(curl -s -m 10 -w '\n%{http_code}' -X "$1" "$REG$2")
    fi
    STATUS=${out##*$'\n'}
    BODY=${out%$'\n'*}
}
# expect NAME STATUS JQ-PREDICATE
expect() {
    if [ "$STATUS" = "$2" ] && echo "$BODY" | jq -e "$3" >/dev/null 2>&1; then
        pass "$1"
    else
        fail "$1" "expected $2 and $3, got $STATUS $BODY"
    fi
}
# sch JSON-SCHEMA-TEXT -> request body {"schema": "..."}
sch() { jq -cn --arg s "$1" '{schema:$s}'; }

V1='{"type":"record","name":"User","namespace":"acme","fields":[{"name":"id","type":"long"}]}'
V1WS='{ "type" : "record", "name":"User", "namespace":"acme", "fields":[ {"name":"id","type":"long"} ] }'
V2='{"type":"record","name":"User","namespace":"acme","fields":[{"name":"id","type":"long"},{"name":"name","type":"string","default":""}]}'
BAD2='{"type":"record","name":"User","namespace":"acme","fields":[{"name":"id","type":"long"},{"name":"age","type":"int"}]}'

broker_start || { fail registry_api "broker: $BROKER_START_ERR"; exit 1; }
reg_start || { fail registry_start "registry did not start: $(tail -n 5 "$REG_LOG")"; exit 1; }
pass registry_start

req GET /; expect root 200 '. == {}'
req GET /schemas/types; expect schema_types 200 'index("AVRO") != null'
req GET /contexts; expect contexts 200 '. == ["."]'

# ---- register and identity ----
req POST /subjects/users-value/versions "$(sch "$V1")"; expect register_v1 200 '.id == 1'
req POST /subjects/users-value/versions "$(sch "$V1")"; expect reregister_same_id 200 '.id == 1'
req POST /subjects/users-value/versions "$(sch "$V1WS")"; expect reregister_whitespace 200 '.id == 1'
req GET /subjects/users-value/versions; expect one_version 200 '. == [1]'
req POST /subjects/other-value/versions "$(sch "$V1")"; expect id_reused_other_subject 200 '.id == 1'
req POST /subjects/users-value/versions "$(sch "$BAD2")"
expect incompatible_409 409 '.error_code == 409 and (.message | test("incompatible with an earlier schema for subject \"users-value\"")) and (.message | test("READER_FIELD_MISSING_DEFAULT_VALUE"))'
req POST /subjects/users-value/versions "$(sch "$V2")"; expect register_v2 200 '.id == 2'
req POST '/subjects/users-value/versions?force=true' "$(sch "$BAD2")"; expect force_skips_check 200 '.id == 3'
req GET /subjects/users-value/versions; expect versions_list 200 '. == [1,2,3]'

# ---- reads ----
req GET /schemas/ids/1; expect by_id 200 ".schema == $(jq -cn --arg s "$V1" '$s') and (has(\"schemaType\") | not)"
req GET /schemas/ids/1/schema; expect by_id_raw 200 '.type == "record" and .name == "User"'
req GET /schemas/ids/1/subjects; expect id_subjects 200 '. == ["other-value","users-value"]'
req GET /schemas/ids/1/versions; expect id_versions 200 '. == [{"subject":"other-value","version":1},{"subject":"users-value","version":1}]'
req GET /schemas/ids/999; expect by_id_40403 404 '.error_code == 40403 and .message == "Schema 999 not found"'
req GET /schemas/ids/999/subjects; expect id_subjects_40403 404 '.error_code == 40403'
req GET /subjects; expect subjects 200 '. == ["other-value","users-value"]'
req GET '/subjects?subjectPrefix=us'; expect subjects_prefix 200 '. == ["users-value"]'
req GET /subjects/users-value/versions/latest; expect latest 200 '.version == 3 and .id == 3 and .subject == "users-value"'
req GET /subjects/users-value/versions/2; expect version_2 200 '.version == 2 and .id == 2'
req GET /subjects/users-value/versions/1/schema; expect version_raw 200 '.name == "User"'
req GET /subjects/users-value/versions/9; expect version_40402 404 '.error_code == 40402 and .message == "Version 9 not found."'
req GET /subjects/users-value/versions/abc; expect version_42202 422 '.error_code == 42202'
req GET /subjects/users-value/versions/0; expect version_zero_42202 422 '.error_code == 42202'
req GET /subjects/nobody/versions; expect subject_40401 404 '.error_code == 40401 and .message == "Subject '"'nobody'"' not found."'
req GET /subjects/nobody/versions/1; expect subject_version_40401 404 '.error_code == 40401'
req GET /schemas; expect schemas_list 200 'length == 4'
req GET '/schemas?latestOnly=true'; expect schemas_latest 200 'length == 2'

# ---- lookup ----
req POST /subjects/users-value "$(sch "$V1WS")"; expect lookup 200 '.id == 1 and .version == 1 and .subject == "users-value"'
req POST /subjects/users-value "$(sch '"string"')"; expect lookup_40403 404 '.error_code == 40403'
req POST /subjects/nobody "$(sch "$V1")"; expect lookup_40401 404 '.error_code == 40401'

# ---- bad input ----
req POST /subjects/x/versions "$(sch '{"type":"record","name":"X","fields":[{"name":"a","type":"nosuch"}]}')"
expect invalid_schema_42201 422 '.error_code == 42201 and (.message | test("nosuch"))'
req POST /subjects/x/versions '{"schema":""}'; expect empty_schema_42201 422 '.error_code == 42201'
req POST /subjects/x/versions '{"schema":"{not json"}'; expect schema_not_json_42201 422 '.error_code == 42201'
req POST /subjects/x/versions '{"schema": "\"int\"", "schemaType": "PROTOBUF"}'; expect schema_type_42201 422 '.error_code == 42201'
req POST /subjects/x/versions '{bad json'; expect malformed_json_400 400 '.error_code == 400'
req POST /subjects/x/versions '[1,2]'; expect body_not_object_422 422 '.error_code == 422'
req POST /subjects/__GLOBAL/versions "$(sch '"int"')"; expect subject_42208 422 '.error_code == 42208'
req POST /subjects/x/versions '{"schema":"\"int\"","id":7}'; expect id_outside_import_42205 422 '.error_code == 42205'
# ---- config ----
req GET /config; expect config_default 200 '.compatibilityLevel == "BACKWARD"'
req PUT /config '{"compatibility":"sideways"}'; expect config_42203 422 '.error_code == 42203'
req PUT /config/users-value '{"compatibility":"full"}'; expect config_put_subject 200 '.compatibility == "FULL"'
req GET /config/users-value; expect config_get_subject 200 '.compatibilityLevel == "FULL"'
req GET /config/other-value; expect config_40408 404 '.error_code == 40408'
req GET '/config/other-value?defaultToGlobal=true'; expect config_default_to_global 200 '.compatibilityLevel == "BACKWARD"'
req POST /compatibility/subjects/users-value/versions/2 "$(sch "$V1")"; expect compat_version_full 200 '.is_compatible == true'
req POST /compatibility/subjects/users-value/versions/latest "$(sch "$V1")"; expect compat_latest_full_false 200 '.is_compatible == false and (has("messages") | not)'
req POST '/compatibility/subjects/users-value/versions/2?verbose=true' "$(sch '{"type":"record","name":"User","namespace":"acme","fields":[{"name":"x","type":"int"}]}')"
expect compat_verbose 200 '.is_compatible == false and (.messages | length > 0)'
req POST /compatibility/subjects/users-value/versions/99 "$(sch "$V1")"; expect compat_40402 404 '.error_code == 40402'
V3='{"type":"record","name":"User","namespace":"acme","fields":[{"name":"id","type":"long"},{"name":"age","type":"int","default":0}]}'
req POST /compatibility/subjects/users-value/versions "$(sch "$V3")"; expect compat_all 200 '.is_compatible == true'
req POST '/compatibility/subjects/users-value/versions/latest?verbose=true' '{"schema":"{nope"}'; expect compat_invalid_verbose 200 '.is_compatible == false'
req DELETE /config/users-value; expect config_delete 200 '.compatibilityLevel == "FULL"'
req DELETE /config/other-value; expect config_delete_40401 404 '.error_code == 40401'
req PUT /config '{"compatibility":"NONE"}'; expect config_put_global 200 '.compatibility == "NONE"'

# ---- mode ----
req GET /mode; expect mode_default 200 '.mode == "READWRITE"'
req PUT /mode '{"mode":"SOMETIMES"}'; expect mode_42204 422 '.error_code == 42204'
req PUT /mode/users-value '{"mode":"READONLY"}'; expect mode_put 200 '.mode == "READONLY"'
req POST /subjects/users-value/versions "$(sch '"string"')"; expect readonly_42205 422 '.error_code == 42205'
req GET /mode/users-value; expect mode_get_subject 200 '.mode == "READONLY"'
req GET /mode/other-value; expect mode_40409 404 '.error_code == 40409'
req DELETE /mode/users-value; expect mode_delete 200 '.mode == "READONLY"'
req PUT /mode '{"mode":"IMPORT"}'; expect import_needs_empty_42205 422 '.error_code == 42205'

# ---- references ----
ADDR='{"type":"record","name":"Address","namespace":"acme","fields":[{"name":"city","type":"string"}]}'
PERSON='{"type":"record","name":"Person","namespace":"acme","fields":[{"name":"home","type":"acme.Address"}]}'
req POST /subjects/address/versions "$(sch "$ADDR")"; expect ref_target 200 '.id == 4'
body=$(jq -cn --arg s "$PERSON" '{schema:$s, references:[{name:"acme.Address",subject:"address",version:1}]}')
req POST /subjects/person/versions "$body"; expect ref_register 200 '.id == 5'
req GET /schemas/ids/5; expect ref_by_id 200 '.references == [{"name":"acme.Address","subject":"address","version":1}]'
req GET /subjects/address/versions/1/referencedby; expect referencedby 200 '. == [5]'
req DELETE /subjects/address/versions/1; expect delete_referenced_42206 422 '.error_code == 42206'
body=$(jq -cn --arg s "$PERSON" '{schema:$s, references:[{name:"acme.Address",subject:"address",version:7}]}')
req POST /subjects/person2/versions "$body"; expect ref_missing_42201 422 '.error_code == 42201'

# ---- deletes ----
req DELETE /subjects/users-value/versions/3; expect soft_delete_version 200 '. == 3'
req DELETE /subjects/users-value/versions/3; expect soft_delete_again_40406 404 '.error_code == 40406'
req GET /subjects/users-value/versions; expect versions_after_delete 200 '. == [1,2]'
req GET '/subjects/users-value/versions?deleted=true'; expect versions_deleted 200 '. == [1,2,3]'
req GET /subjects/users-value/versions/3; expect deleted_version_40402 404 '.error_code == 40402'
req GET '/subjects/users-value/versions/3?deleted=true'; expect deleted_version_visible 200 '.version == 3'
req GET /schemas/ids/3; expect soft_deleted_id_resolves 200 '.schema != null'
req DELETE '/subjects/users-value/versions/2?permanent=true'; expect permanent_needs_soft_40407 404 '.error_code == 40407'
req DELETE '/subjects/users-value/versions/3?permanent=true'; expect permanent_delete_version 200 '. == 3'
req GET /schemas/ids/3; expect hard_deleted_id_gone 404 '.error_code == 40403'
req DELETE '/subjects/other-value?permanent=true'; expect permanent_live_subject_40405 404 '.error_code == 40405'
req DELETE /subjects/other-value; expect soft_delete_subject 200 '. == [1]'
req DELETE /subjects/other-value; expect soft_delete_subject_again_40404 404 '.error_code == 40404'
req GET /subjects; expect subjects_after_delete 200 'index("other-value") == null'
req GET '/subjects?deleted=true'; expect subjects_deleted 200 'index("other-value") != null'
req GET '/subjects?deletedOnly=true'; expect subjects_deleted_only 200 '. == ["other-value"]'
req DELETE '/subjects/other-value?permanent=true'; expect permanent_delete_subject 200 '. == [1]'
req DELETE /subjects/other-value; expect deleted_subject_40401 404 '.error_code == 40401'
req POST /subjects/users-value/versions "$(sch "$BAD2")"; expect reregister_after_delete 200 '.id == 6'

# ---- IMPORT mode: caller-chosen ids and versions ----
req PUT '/mode/imported?force=true' '{"mode":"IMPORT"}'; expect import_mode 200 '.mode == "IMPORT"'
req POST /subjects/imported/versions '{"schema":"\"bytes\"","id":100,"version":5}'; expect import_register 200 '.id == 100'
req GET /subjects/imported/versions; expect import_version 200 '. == [5]'
req POST /subjects/imported/versions '{"schema":"\"float\"","id":1}'; expect import_id_conflict_42207 422 '.error_code == 42207'
req DELETE /mode/imported; expect import_mode_cleared 200 '.mode == "IMPORT"'
req POST /subjects/after-import/versions "$(sch '"double"')"; expect id_after_import 200 '.id == 101'

# ---- durability: clean restart, then kill -9 ----
snapshot() {
    local s
    for p in /subjects '/subjects?deleted=true' /config /mode /config/users-value \
        /subjects/users-value/versions '/subjects/users-value/versions?deleted=true' \
        /schemas/ids/1 /schemas/ids/5 /schemas/ids/100 /subjects/imported/versions/5 \
        /subjects/person/versions/latest; do
        s+="$p $(curl -s -m 5 "$REG$p")"$'\n'
    done
    echo "$s"
}
req PUT /config/users-value '{"compatibility":"FORWARD"}'
req PUT /mode/person '{"mode":"READONLY"}'
before=$(snapshot)
reg_stop
reg_start || { fail restart "registry did not restart: $(tail -n 5 "$REG_LOG")"; exit 1; }
after=$(snapshot)
[ "$before" = "$after" ] && pass restart_keeps_state || fail restart_keeps_state "$(diff <(echo "$before") <(echo "$after") | head -5)"
req POST /subjects/kill9/versions "$(sch '"boolean"')"; expect write_before_kill9 200 '.id == 102'
before=$(snapshot)
reg_kill9
reg_start || { fail restart_kill9 "registry did not restart: $(tail -n 5 "$REG_LOG")"; exit 1; }
after=$(snapshot)
[ "$before" = "$after" ] && pass kill9_keeps_state || fail kill9_keeps_state "$(diff <(echo "$before") <(echo "$after") | head -5)"
req GET /subjects/kill9/versions/1; expect kill9_acknowledged_write 200 '.id == 102'
req POST /subjects/kill9b/versions "$(sch '"null"')"; expect ids_not_reissued 200 '.id == 103'
req GET /mode/person; expect mode_survives 200 '.mode == "READONLY"'
# ---- JSON schemas (schemaType JSON): stored, looked up, typed; Avro-only compatibility ----
J1='{"type":"object","properties":{"a":{"type":"integer"}}}'
J1WS='{ "type": "object", "properties": { "a": { "type": "integer" } } }'
J2='{"type":"object","properties":{"b":{"type":"string"}}}'
js() { jq -cn --arg s "$1" '{schemaType:"JSON",schema:$s}'; }
req GET /schemas/types; expect schema_types_json 200 'index("JSON") != null and index("AVRO") != null'
req PUT /config/js-value '{"compatibility":"BACKWARD"}'
req POST /subjects/js-value/versions "$(js "$J1")"; expect json_register 200 '.id == 104'
req POST /subjects/js-value/versions "$(js "$J1WS")"; expect json_register_same_text 200 '.id == 104'
req POST /subjects/js-value "$(js "$J1WS")"
expect json_lookup 200 '.version == 1 and .id == 104 and .schemaType == "JSON"'
req POST /subjects/js-value "$(sch "$J1")"; expect json_lookup_as_avro_42201 422 '.error_code == 42201'
req GET /schemas/ids/104; expect json_by_id 200 ".schemaType == \"JSON\" and .schema == $(jq -cn --arg s "$J1" '$s')"
req GET /subjects/js-value/versions/1; expect json_version 200 '.schemaType == "JSON" and .id == 104'
req POST /subjects/js-value/versions "$(js '[1,2]')"; expect json_not_object_42201 422 '.error_code == 42201'
req POST /subjects/js-value/versions "$(js '{"type":')"; expect json_bad_json_42201 422 '.error_code == 42201'
req POST /subjects/js-value/versions "$(js "$J2")"
expect json_other_schema_409 409 '.error_code == 409 and (.message | test("AVRO schemas only"))'
req POST /subjects/js-value/versions "$(sch '"string"')"; expect json_then_avro_409 409 '.error_code == 409'
req PUT /config/js-value '{"compatibility":"NONE"}'
req POST /subjects/js-value/versions "$(js "$J2")"; expect json_none_registers 200 '.id == 105'
req POST /subjects/js-bool/versions "$(js true)"; expect json_boolean_schema 200 '.id == 106'
reg_stop
reg_start || { fail restart_json "registry did not restart: $(tail -n 5 "$REG_LOG")"; exit 1; }
req GET /subjects/js-value/versions/2; expect json_survives_restart 200 '.schemaType == "JSON" and .id == 105'
# ---- errors answered by the HTTP layer ----
req GET /no/such/path; expect unknown_path_404 404 '.error_code == 404'
out=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -H 'Accept: text/html' "$REG/subjects")
[ "$out" = 406 ] && pass accept_406 || fail accept_406 "got $out"
out=$(curl -s -m 5 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: text/plain' -d x "$REG/subjects/x/versions")
[ "$out" = 415 ] && pass content_type_415 || fail content_type_415 "got $out"
out=$(curl -s -m 5 -D - -o /dev/null -H 'Accept: application/json' "$REG/subjects" | tr -d '\r' | grep -i '^content-type:')
echo "$out" | grep -qi 'application/json' && pass negotiated_json || fail negotiated_json "$out"

reg_alive() { kill -0 "$REG_PID" 2>/dev/null && pass registry_alive || fail registry_alive "registry died: $(tail -n 3 "$REG_LOG")"; }
reg_alive
reg_stop
grep -q "ERROR" "$REG_LOG" && fail registry_log_clean "$(grep ERROR "$REG_LOG" | head -3)" || pass registry_log_clean
