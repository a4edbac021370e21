#!/usr/bin/env bash
# 90_serdes_console.sh — Avro through the console tools and the serdes
# library, against `basin registry` on a Basin broker:
#  - records produced by kafkajs + @kafkajs/confluent-schema-registry are
#    printed by `basin consume --avro` as Avro JSON (kafka-avro-console-
#    consumer's format: unions {"type": v}, bytes as \u00XX);
#  - records produced by `basin produce --avro` (Avro key and value) are
#    decoded by @kafkajs/confluent-schema-registry;
#  - value.schema.id, print.schema.ids, and errors that name the problem
#    (missing schema.registry.url, unreachable registry, bad JSON line,
#    unknown schema id).
. "$(dirname "$0")/../lib.sh"
itest_init
JS=$ITEST_DIR/js
REG_PID=
REG_PORT=$(pick_port)
REG=http://127.0.0.1:$REG_PORT
REG_LOG=$ITEST_TMP/registry.log
trap '[ -n "$REG_PID" ] && { kill -9 "$REG_PID"; wait "$REG_PID"; } 2>/dev/null; itest_cleanup' EXIT

broker_start || { fail serdes.setup "broker: $BROKER_START_ERR"; exit 1; }
"$BASIN_BIN" registry --override "kafkastore.bootstrap.servers=$BOOTSTRAP" \
    --override "listeners=http://127.0.0.1:$REG_PORT" >>"$REG_LOG" 2>&1 &
REG_PID=$!
wait_port "$REG_PORT" 30 "$REG_PID" || { fail serdes.setup "registry did not start: $(tail -n 3 "$REG_LOG")"; exit 1; }

B=$BASIN_BIN
BS=(--bootstrap-server "$BOOTSTRAP")
SR=(--property "schema.registry.url=$REG")
for tp in av-js av-basin av-id; do
    t "$B" topics "${BS[@]}" --create --topic $tp --partitions 1 >/dev/null 2>&1 || fail serdes.setup "create $tp"
done
PAYMENT='{"type":"record","name":"Payment","namespace":"com.example","fields":[{"name":"id","type":"long"},{"name":"account","type":"string"},{"name":"amount","type":"double"},{"name":"status","type":{"type":"enum","name":"Status","symbols":["OK","FAILED"]}},{"name":"note","type":["null","string"],"default":null},{"name":"tags","type":{"type":"array","items":"string"}},{"name":"attrs","type":{"type":"map","values":"int"}},{"name":"raw","type":"bytes"},{"name":"inner","type":{"type":"record","name":"Inner","fields":[{"name":"x","type":"int"}]}},{"name":"when","type":{"type":"long","logicalType":"timestamp-millis"}}]}'

have_js=1
if ! command -v node >/dev/null || [ ! -d "$JS/node_modules/@kafkajs/confluent-schema-registry" ]; then
    have_js=0
    fail serdes.js "node or @kafkajs/confluent-schema-registry missing (npm ci in tests/integration/js)"
fi

# 1. kafkajs + confluent-schema-registry -> basin consume --avro
if [ $have_js = 1 ]; then
    if T_LIMIT=90 t node "$JS/serdes_interop.test.js" produce "$REG" "$BOOTSTRAP" av-js >"$ITEST_TMP/js1.out" 2>&1; then
        out=$(t "$B" consume "${BS[@]}" --topic av-js --from-beginning --max-messages 2 --timeout-ms 20000 \
            --avro "${SR[@]}" --property print.key=true 2>"$ITEST_TMP/c1.err")
        want=$(printf '%s\t%s\n%s\t%s' \
            '{"k":"k1"}' '{"id":1,"account":"acct-1","amount":10.5,"status":"OK","note":null,"tags":[],"attrs":{},"raw":"\u0000\u0001\u00ff","inner":{"x":-1},"when":1700000000000}' \
            '{"k":"k2"}' '{"id":2,"account":"café \"q\"","amount":-0.25,"status":"FAILED","note":{"string":"hello"},"tags":["a","b"],"attrs":{"k":7},"raw":"","inner":{"x":2147483647},"when":0}')
        [ "$out" = "$want" ] && pass serdes.js_to_basin_consume ||
            fail serdes.js_to_basin_consume "got: $out / stderr: $(tail -n 3 "$ITEST_TMP/c1.err")"
    else
        fail serdes.js_produce "$(tail -n 5 "$ITEST_TMP/js1.out")"
    fi
fi

# 2. basin produce --avro -> confluent-schema-registry decode
printf '%s|%s\n' \
    '"k3"' '{"id":3,"account":"b","amount":1.0,"status":"OK","note":{"string":"n"},"tags":["x"],"attrs":{"a":1},"raw":"\u00ff\u0000","inner":{"x":5},"when":42}' \
    '"k4"' '{"id":4,"account":"","amount":1e-3,"status":"FAILED","tags":[],"attrs":{},"raw":"AB","inner":{"x":0},"when":-1}' |
    t "$B" produce "${BS[@]}" --topic av-basin --avro "${SR[@]}" --property "value.schema=$PAYMENT" \
        --property parse.key=true --property key.separator='|' --property 'key.schema="string"' \
        >"$ITEST_TMP/p2.out" 2>&1
rc=$?
[ $rc = 0 ] && pass serdes.basin_produce || fail serdes.basin_produce "exit $rc: $(tail -n 3 "$ITEST_TMP/p2.out")"
if [ $have_js = 1 ]; then
    out=$(T_LIMIT=90 t node "$JS/serdes_interop.test.js" consume "$REG" "$BOOTSTRAP" av-basin 2 2>&1)
    want='k3|{"id":3,"account":"b","amount":1,"status":"OK","note":"n","tags":["x"],"attrs":{"a":1},"raw":"hex:ff00","inner":{"x":5},"when":42}
k4|{"id":4,"account":"","amount":0.001,"status":"FAILED","note":null,"tags":[],"attrs":{},"raw":"hex:4142","inner":{"x":0},"when":-1}'
    [ "$out" = "$want" ] && pass serdes.basin_produce_to_js || fail serdes.basin_produce_to_js "got: $out"
fi
subjects=$(curl -s --max-time 10 "$REG/subjects")
case "$subjects" in
*'"av-basin-value"'*'"av-basin-key"'* | *'"av-basin-key"'*'"av-basin-value"'*) pass serdes.subjects_registered ;;
*) fail serdes.subjects_registered "subjects: $subjects" ;;
esac

# 3. round trip through basin alone, with value.schema.id and print.schema.ids
id=$(curl -s --max-time 10 "$REG/subjects/av-basin-value/versions/latest" | python3 -c 'import json,sys; print(json.load(sys.stdin)["id"])')
echo '{"id":5,"account":"z","amount":2.5,"status":"OK","note":null,"tags":[],"attrs":{},"raw":"","inner":{"x":1},"when":7}' |
    t "$B" produce "${BS[@]}" --topic av-id --avro "${SR[@]}" --property "value.schema.id=$id" >"$ITEST_TMP/p3.out" 2>&1 ||
    fail serdes.produce_by_id "$(tail -n 3 "$ITEST_TMP/p3.out")"
out=$(t "$B" consume "${BS[@]}" --topic av-id --from-beginning --max-messages 1 --timeout-ms 20000 \
    --avro "${SR[@]}" --property print.schema.ids=true --property schema.id.separator=' id=' 2>/dev/null)
[ "$out" = '{"id":5,"account":"z","amount":2.5,"status":"OK","note":null,"tags":[],"attrs":{},"raw":"","inner":{"x":1},"when":7} id='"$id" ] &&
    pass serdes.schema_id_roundtrip || fail serdes.schema_id_roundtrip "got: $out"

# 4. errors name the problem
out=$(echo '{}' | t "$B" produce "${BS[@]}" --topic av-id --avro --property "value.schema=$PAYMENT" 2>&1)
rc=$?
[ $rc = 2 ] && echo "$out" | grep -q 'schema.registry.url' && pass serdes.err_no_url ||
    fail serdes.err_no_url "exit $rc: $out"
dead=$(pick_port)
out=$(echo '{"id":1}' | t "$B" produce "${BS[@]}" --topic av-id --avro \
    --property "schema.registry.url=http://127.0.0.1:$dead" --property "value.schema=$PAYMENT" 2>&1)
rc=$?
[ $rc = 1 ] && echo "$out" | grep -q "http://127.0.0.1:$dead" && pass serdes.err_unreachable ||
    fail serdes.err_unreachable "exit $rc: $out"
out=$(printf '{"id":"x"}\n' | t "$B" produce "${BS[@]}" --topic av-id --avro "${SR[@]}" \
    --property "value.schema=$PAYMENT" 2>&1)
rc=$?
[ $rc = 1 ] && echo "$out" | grep -q 'line 1' && echo "$out" | grep -q '\$.id' && pass serdes.err_bad_json ||
    fail serdes.err_bad_json "exit $rc: $out"
out=$(echo '{}' | t "$B" produce "${BS[@]}" --topic av-id --avro "${SR[@]}" --property value.schema.id=987654 2>&1)
rc=$?
[ $rc = 1 ] && echo "$out" | grep -q '40403' && pass serdes.err_unknown_id || fail serdes.err_unknown_id "exit $rc: $out"
out=$(echo '{}' | t "$B" produce "${BS[@]}" --topic av-id --avro "${SR[@]}" --property 'value.schema={"type":"nope"}' 2>&1)
rc=$?
[ $rc = 2 ] && echo "$out" | grep -q 'value.schema' && pass serdes.err_bad_schema || fail serdes.err_bad_schema "exit $rc: $out"

kill -0 "$REG_PID" 2>/dev/null && pass serdes.registry_alive || fail serdes.registry_alive "registry died: $(tail -n 3 "$REG_LOG")"
broker_alive serdes.broker_alive && pass serdes.broker_alive
