#!/usr/bin/env bash
# 99_rest_v3_schema.sh — schema-based records in the REST Proxy's v3 produce
# API (POST /v3/clusters/{c}/topics/{t}/records), Confluent's rules, against
# `basin registry`: AVRO values by raw schema (registered), by schema_id, by
# schema_version, by the subject's latest version (also after a second
# version), keys and values both schema-based, explicit subject,
# RECORD_NAME / TOPIC_RECORD_NAME strategies (subjects seen in the
# registry), a datum that does not fit (400 naming the field), unknown
# schema id / version / subject (the registry's 40403 / 40402 / 40401),
# PROTOBUF (400), Confluent's argument checks (400); everything read back
# with kafkajs + @kafkajs/confluent-schema-registry (schema ids from the
# wire bytes, decoded values). JSONSCHEMA through a second `basin registry`
# instance (schemaType JSON): wire bytes checked with kcat and decoded by
# @kafkajs/confluent-schema-registry; that registry stopped, so unreachable
# (500/50002 naming schema.registry.url). Streaming: one chunked request
# mixing BINARY and AVRO records, sent chunk by chunk, whose reports come
# back in body order, with offsets in body order (kcat cross-check).
. "$(dirname "$0")/../lib.sh"
itest_init
command -v jq >/dev/null || { skip rest_v3_schema "jq is not installed"; exit 0; }
command -v kcat >/dev/null || { skip rest_v3_schema "kcat is not installed"; exit 0; }

JS=$ITEST_DIR/js
REST_PID=
REST2_PID=
REG_PID=
REG2_PID=
REST_PORT=$(pick_port)
REST2_PORT=$(pick_port)
REG_PORT=$(pick_port)
REG2_PORT=$(pick_port)
REST=http://127.0.0.1:$REST_PORT
REG=http://127.0.0.1:$REG_PORT
REST_LOG=$ITEST_TMP/rest.log
J='Content-Type: application/json'
stop_pid() { [ -n "$1" ] && { kill -TERM "$1" 2>/dev/null; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done; kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; }; }
trap 'stop_pid "$REST_PID"; stop_pid "$REST2_PID"; stop_pid "$REG_PID"; stop_pid "$REG2_PID"; itest_cleanup' EXIT

# req METHOD URL [BODY] -> $STATUS, $BODY
req() {
    local out args=(-s -m 20 -w '\n%{http_code}' -X "$1")
    if [ $# -ge 3 ]; then args+=(-H "$J" --data-binary "$3"); fi
    out=$(curl "${args[@]}" "$2")
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
# rec TOPIC BODY — one record to TOPIC on the main REST Proxy
rec() { req POST "$REST/v3/clusters/$CID/topics/$1/records" "$2"; }

broker_start || { fail broker_start "$BROKER_START_ERR"; exit 1; }
for tp in sch sch2 sjs sst; do
    "$BASIN_BIN" topics --bootstrap-server "$BOOTSTRAP" --create --topic $tp --partitions 1 >/dev/null 2>&1
done
"$BASIN_BIN" registry --override "kafkastore.bootstrap.servers=$BOOTSTRAP" \
    --override "listeners=http://127.0.0.1:$REG_PORT" >>"$ITEST_TMP/registry.log" 2>&1 &
REG_PID=$!
wait_port "$REG_PORT" 30 "$REG_PID" || { fail registry_start "$(tail -n 3 "$ITEST_TMP/registry.log")"; exit 1; }
"$BASIN_BIN" rest --override "bootstrap.servers=$BOOTSTRAP" \
    --override "listeners=http://127.0.0.1:$REST_PORT" \
    --override "schema.registry.url=$REG" >>"$REST_LOG" 2>&1 &
REST_PID=$!
wait_port "$REST_PORT" 20 "$REST_PID" || { fail rest_start "$(tail -n 3 "$REST_LOG")"; exit 1; }
CID=$(curl -s -m 10 "$REST/v3/clusters" | jq -r '.data[0].cluster_id')
[ -n "$CID" ] && [ "$CID" != null ] || { fail cluster_id "no cluster id"; exit 1; }

USER1='{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"}]}'
USER2='{"type":"record","name":"User","namespace":"com.example","fields":[{"name":"name","type":"string"},{"name":"age","type":"int"},{"name":"email","type":["null","string"],"default":null}]}'
KEYS='{"type":"string"}'
RN='{"type":"record","name":"Rn","namespace":"com.example","fields":[{"name":"x","type":"long"}]}'
js() { jq -cn --arg s "$1" "$2"; } # js SCHEMA JQ-PROGRAM (the schema as $s)

# ---- AVRO values on topic sch (offsets 0..) ----
rec sch "$(js "$USER1" '{value:{type:"AVRO",schema:$s,data:{name:"ann",age:30}}}')"
expect avro_by_schema 200 '.offset == 0 and .value.type == "AVRO" and .value.subject == "sch-value" and .value.schema_id > 0 and .value.schema_version == 1 and .value.size > 5'
S1=$(echo "$BODY" | jq -r .value.schema_id)
rec sch "{\"value\":{\"schema_id\":$S1,\"data\":{\"name\":\"bob\",\"age\":31}}}"
expect avro_by_schema_id 200 ".offset == 1 and .value.type == \"AVRO\" and .value.schema_id == $S1 and .value.subject == \"sch-value\" and .value.schema_version == 1"
rec sch '{"value":{"schema_version":1,"data":{"name":"cy","age":32}}}'
expect avro_by_schema_version 200 ".offset == 2 and .value.schema_id == $S1 and .value.schema_version == 1"
rec sch '{"value":{"subject_name_strategy":"TOPIC_NAME","data":{"name":"di","age":33}}}'
expect avro_latest 200 ".offset == 3 and .value.schema_id == $S1 and .value.schema_version == 1"
# same raw schema again: found, not registered twice
rec sch "$(js "$USER1" '{value:{type:"AVRO",schema:$s,data:{name:"ed",age:34}}}')"
expect avro_by_schema_again 200 ".offset == 4 and .value.schema_id == $S1 and .value.schema_version == 1"
# a second version; latest now follows it, version 1 still works
rec sch "$(js "$USER2" '{value:{type:"AVRO",schema:$s,data:{name:"fy",age:35,email:{string:"f@x"}}}}')"
expect avro_new_version 200 ".offset == 5 and .value.schema_id != $S1 and .value.schema_version == 2"
S2=$(echo "$BODY" | jq -r .value.schema_id)
rec sch '{"value":{"data":{"name":"gu","age":36,"email":null},"subject":"sch-value"}}'
expect avro_latest_v2 200 ".offset == 6 and .value.schema_id == $S2 and .value.schema_version == 2"
rec sch '{"value":{"schema_version":1,"data":{"name":"hy","age":37}}}'
expect avro_version_1_still 200 ".offset == 7 and .value.schema_id == $S1"
# keys and values both schema-based
rec sch "$(js "$KEYS" "{key:{type:\"AVRO\",schema:\$s,data:\"k-1\"},value:{schema_id:$S1,data:{name:\"iv\",age:38}}}")"
expect avro_key_and_value 200 ".offset == 8 and .key.type == \"AVRO\" and .key.subject == \"sch-key\" and .key.schema_id > 0 and .value.schema_id == $S1"
SK=$(echo "$BODY" | jq -r .key.schema_id)
rec sch '{"key":{"schema_version":1,"data":"k-2"},"value":{"type":"STRING","data":"plain"}}'
expect avro_key_by_version 200 ".offset == 9 and .key.schema_id == $SK and .value.type == \"STRING\""
# null data with a schema: a null value (Confluent)
rec sch "{\"key\":{\"schema_id\":$SK,\"data\":\"k-3\"},\"value\":{\"schema_id\":$S1,\"data\":null}}"
expect avro_null_value 200 ".offset == 10 and .value.schema_id == $S1 and .value.size == 0"

# ---- subjects: explicit, RECORD_NAME, TOPIC_RECORD_NAME (topic sch2) ----
rec sch2 "$(js "$RN" '{value:{type:"AVRO",subject:"custom-subj",schema:$s,data:{x:1}}}')"
expect avro_explicit_subject 200 '.value.subject == "custom-subj" and .value.schema_version == 1'
SRN=$(echo "$BODY" | jq -r .value.schema_id)
rec sch2 "$(js "$RN" '{value:{type:"AVRO",subject_name_strategy:"RECORD_NAME",schema:$s,data:{x:2}}}')"
expect avro_record_name 200 ".value.subject == \"com.example.Rn\" and .value.schema_id == $SRN"
rec sch2 "$(js "$RN" '{value:{type:"AVRO",subject_name_strategy:"TOPIC_RECORD_NAME",schema:$s,data:{x:3}}}')"
expect avro_topic_record_name 200 ".value.subject == \"sch2-com.example.Rn\" and .value.schema_id == $SRN"
rec sch2 "{\"value\":{\"schema_id\":$SRN,\"subject_name_strategy\":\"RECORD_NAME\",\"data\":{\"x\":4}}}"
expect avro_id_record_name 200 '.value.subject == "com.example.Rn" and .value.schema_version == 1'
rec sch2 '{"value":{"subject":"custom-subj","data":{"x":5}}}'
expect avro_latest_explicit_subject 200 ".value.schema_id == $SRN"
req GET "$REG/subjects"
expect registry_subjects 200 'index("custom-subj") != null and index("com.example.Rn") != null and index("sch2-com.example.Rn") != null and index("sch-value") != null and index("sch-key") != null'

# ---- errors (per record; nothing produced) ----
rec sch2 "{\"value\":{\"schema_id\":$SRN,\"data\":{\"y\":1}}}"
expect avro_mismatch_400 400 '.error_code == 400 and (.message | test("Avro")) and (.message | test("y"))'
rec sch2 "{\"value\":{\"schema_id\":$SRN,\"data\":\"text\"}}"
expect avro_mismatch_type_400 400 '.error_code == 400 and (.message | test("Avro"))'
rec sch2 '{"value":{"schema_id":987654,"data":{"x":1}}}'
expect unknown_schema_id_40403 404 '.error_code == 40403 and (.message | test("987654"))'
rec sch2 '{"value":{"schema_version":42,"subject":"custom-subj","data":{"x":1}}}'
expect unknown_version_40402 404 '.error_code == 40402 and (.message | test("version: 42"))'
rec sch2 '{"value":{"subject_name_strategy":"TOPIC_NAME","data":{"x":1}}}'
expect unknown_subject_40401 404 '.error_code == 40401 and (.message | test("sch2-value"))'
rec sch2 '{"value":{"type":"AVRO","data":{"x":1}}}'
expect type_without_schema_400 400 '.error_code == 400 and (.message | test("needs .schema."))'
rec sch2 '{"value":{"type":"PROTOBUF","schema":"syntax = \"proto3\"; message M { int32 x = 1; }","data":{"x":1}}}'
expect protobuf_400 400 '.error_code == 400 and (.message | test("PROTOBUF"))'
rec sch2 "{\"value\":{\"type\":\"BINARY\",\"schema_id\":$SRN,\"data\":\"eA==\"}}"
expect binary_with_schema_id_400 400 '.error_code == 400 and (.message | test("schema_id"))'
rec sch2 "{\"value\":{\"schema_id\":$SRN,\"schema_version\":1,\"data\":{\"x\":1}}}"
expect id_and_version_400 400 '.error_code == 400 and (.message | test("Only one"))'
rec sch2 '{"value":{"subject":"a","subject_name_strategy":"TOPIC_NAME","data":{"x":1}}}'
expect subject_and_strategy_400 400 '.error_code == 400'
rec sch2 '{"value":{"subject_name_strategy":"RECORD_NAME","data":{"x":1}}}'
expect record_name_needs_schema_400 400 '.error_code == 400 and (.message | test("RECORD_NAME"))'
rec sch2 '{"value":{"type":"AVRO","schema":"{\"type\":\"nope\"}","data":1}}'
expect invalid_schema_400 400 '.error_code == 400 and (.message | test("schema"))'
rec sch2 "{\"value\":{\"type\":\"JSONSCHEMA\",\"schema_id\":$SRN,\"data\":{\"x\":1}}}"
expect type_mismatch_400 400 '.error_code == 400 and (.message | test("AVRO"))'
# a batch body: errors stay per record, the good ones are produced
req POST "$REST/v3/clusters/$CID/topics/sch2/records" "{\"value\":{\"schema_id\":$SRN,\"data\":{\"x\":10}}}
{\"value\":{\"schema_id\":987654,\"data\":{\"x\":11}}}
{\"value\":{\"schema_id\":$SRN,\"data\":{\"x\":12}}}"
if [ "$STATUS" = 200 ] && [ "$(echo "$BODY" | jq -sc '[.[].error_code]')" = "[200,40403,200]" ]; then
    pass batch_per_record_errors
else
    fail batch_per_record_errors "got $STATUS $BODY"
fi

# ---- read back with kafkajs + @kafkajs/confluent-schema-registry ----
cat >"$ITEST_TMP/readback.js" <<'EOF'
// node readback.js REGISTRY BOOTSTRAP TOPIC N: consumes N records from the
// start; prints one JSON line per record: offset, schema ids read from the
// wire bytes, and key/value decoded by @kafkajs/confluent-schema-registry.
'use strict';
const { SchemaRegistry } = require('@kafkajs/confluent-schema-registry');
const { Kafka, logLevel } = require('kafkajs');
const [url, bootstrap, topic, n] = process.argv.slice(2);
const registry = new SchemaRegistry({ host: url });
const kafka = new Kafka({ brokers: [bootstrap], logLevel: logLevel.NOTHING, clientId: 'itest99' });
async function side(buf) {
  if (buf === null) return { id: null, data: null };
  if (buf.length < 5 || buf[0] !== 0) return { id: -1, data: buf.toString('utf8') };
  return { id: buf.readInt32BE(1), data: await registry.decode(buf) };
}
(async () => {
  const consumer = kafka.consumer({ groupId: 'itest99-' + topic + '-' + Date.now() });
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  const out = [];
  let fail = null;
  await new Promise((resolve) => {
    const timer = setTimeout(resolve, 30000);
    consumer.run({
      eachMessage: async ({ message }) => {
        try {
          const k = await side(message.key);
          const v = await side(message.value);
          out.push({ offset: Number(message.offset), kid: k.id, key: k.data, vid: v.id, value: v.data });
        } catch (e) { fail = e; }
        if (out.length >= Number(n) || fail) { clearTimeout(timer); resolve(); }
      },
    });
  });
  await consumer.disconnect();
  if (fail) { console.error(String(fail)); process.exit(1); }
  for (const o of out) console.log(JSON.stringify(o));
  process.exit(out.length === Number(n) ? 0 : 1);
})().catch((e) => { console.error(String(e)); process.exit(1); });
EOF
if ! command -v node >/dev/null || [ ! -d "$JS/node_modules/@kafkajs/confluent-schema-registry" ]; then
    fail readback_kafkajs "node or @kafkajs/confluent-schema-registry missing (npm ci in tests/integration/js)"
else
    if OUT=$(NODE_PATH=$JS/node_modules T_LIMIT=60 t node "$ITEST_TMP/readback.js" "$REG" "$BOOTSTRAP" sch 11 2>&1); then
        W=$(echo "$OUT" | jq -sc 'sort_by(.offset)')
        if echo "$W" | jq -e --argjson s1 "$S1" --argjson s2 "$S2" --argjson sk "$SK" '
            length == 11 and
            ([.[0,1,2,3,4,7,8].vid] | all(. == $s1)) and (.[5].vid == $s2) and (.[6].vid == $s2) and
            ([.[0:9][].value.name] == ["ann","bob","cy","di","ed","fy","gu","hy","iv"]) and
            .[0].value.age == 30 and .[5].value.email == "f@x" and .[6].value.email == null and
            .[8].kid == $sk and .[8].key == "k-1" and .[9].key == "k-2" and .[9].vid == -1 and
            .[9].value == "plain" and .[10].key == "k-3" and .[10].value == null' >/dev/null; then
            pass readback_kafkajs_avro
        else
            fail readback_kafkajs_avro "$W"
        fi
    else
        fail readback_kafkajs_avro "node: $(echo "$OUT" | tail -n 3 | tr '\n' ' ')"
    fi
    if OUT=$(NODE_PATH=$JS/node_modules T_LIMIT=60 t node "$ITEST_TMP/readback.js" "$REG" "$BOOTSTRAP" sch2 7 2>&1) &&
        echo "$OUT" | jq -se --argjson id "$SRN" 'sort_by(.offset) | [.[].value.x] == [1,2,3,4,5,10,12] and all(.vid == $id)' >/dev/null; then
        pass readback_kafkajs_subjects
    else
        fail readback_kafkajs_subjects "$(echo "$OUT" | tail -n 8 | tr '\n' ' ')"
    fi
fi
# the wire bytes: magic 0 + big-endian schema id (kcat)
hdr=$(t kcat -b "$BOOTSTRAP" -C -t sch -o 5 -c 1 -e -q -f '%s' 2>/dev/null | head -c 5 | od -An -tu1 | tr -s ' ')
want=$(printf ' 0 %d %d %d %d' $(((S2 >> 24) & 255)) $(((S2 >> 16) & 255)) $(((S2 >> 8) & 255)) $((S2 & 255)))
if [ "$hdr" = "$want" ]; then pass avro_wire_header; else fail avro_wire_header "header '$hdr' want '$want'"; fi

# ---- streaming: BINARY and AVRO records in one chunked request ----
cat >"$ITEST_TMP/stream.py" <<'EOF'
# python3 stream.py PORT PATH SCHEMA_ID USER1 MODE: MODE "mix" sends 12
# records, one chunk each (a short pause between), mixing BINARY, AVRO by
# id, and AVRO by a raw schema under a new subject (a registration on the
# way); MODE "cut" sends 40 raw-schema records (escapes, UTF-8) in 5-byte
# chunks. Prints the reports (one JSON per line) once the response ended.
import base64, json, socket, sys, time
port, path, sid, user1, mode = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), sys.argv[4], sys.argv[5]
recs = []
if mode == "mix":
    for i in range(4):
        recs.append({"value": {"type": "BINARY", "data": base64.b64encode(b"bin-%d" % i).decode()}})
        recs.append({"value": {"schema_id": sid, "data": {"name": "id-%d" % i, "age": i}}})
        recs.append({"value": {"type": "AVRO", "subject": "stream-subj", "schema": user1,
                               "data": {"name": "raw-%d" % i, "age": 100 + i}}})
else:
    for i in range(40):
        recs.append({"value": {"type": "AVRO", "subject": "stream-subj", "schema": user1,
                               "data": {"name": "caf\u00e9 \"%d\" \U0001F600" % i, "age": i}}})
s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.sendall(("POST %s HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n"
           "Transfer-Encoding: chunked\r\n\r\n" % path).encode())
if mode == "mix":
    for r in recs:
        b = json.dumps(r).encode() + b"\n"
        s.sendall(b"%x\r\n%s\r\n" % (len(b), b))
        time.sleep(0.01)
else:
    body = b"".join(json.dumps(r).encode() for r in recs)
    for i in range(0, len(body), 5):
        s.sendall(b"%x\r\n%s\r\n" % (len(body[i:i + 5]), body[i:i + 5]))
s.sendall(b"0\r\n\r\n")
data = b""
while True:
    try:
        c = s.recv(65536)
    except socket.timeout:
        break
    if not c:
        break
    data += c
    if data.endswith(b"\r\n0\r\n\r\n"):
        break
head, _, body = data.partition(b"\r\n\r\n")
out = b""
while body:
    line, _, rest = body.partition(b"\r\n")
    n = int(line.split(b";")[0], 16)
    if n == 0:
        break
    out += rest[:n]
    body = rest[n + 2:]
print(head.split(b"\r\n")[0].decode(), file=sys.stderr)
dec = json.JSONDecoder()
txt = out.decode()
i = 0
while i < len(txt):
    while i < len(txt) and txt[i] in " \r\n\t,":
        i += 1
    if i >= len(txt):
        break
    o, i = dec.raw_decode(txt, i)
    print(json.dumps(o))
EOF
R=$(T_LIMIT=60 t python3 "$ITEST_TMP/stream.py" "$REST_PORT" "/v3/clusters/$CID/topics/sst/records" "$S1" "$USER1" mix 2>"$ITEST_TMP/stream.err")
if echo "$R" | jq -se '
    length == 12 and all(.error_code == 200) and ([.[].offset] == [range(0;12)]) and
    ([.[].value.type] == [range(0;4) | "BINARY","AVRO","AVRO"]) and
    ([.[range(2;12;3)].value.subject] | all(. == "stream-subj"))' >/dev/null 2>&1 &&
    grep -q ' 200' "$ITEST_TMP/stream.err"; then
    pass streaming_mixed_reports_in_order
else
    fail streaming_mixed_reports_in_order "$(head -n 1 "$ITEST_TMP/stream.err") $(echo "$R" | tr '\n' ' ' | head -c 600)"
fi
# the log holds the records in body order (kcat: offset and value text)
K=$(t kcat -b "$BOOTSTRAP" -C -t sst -o 0 -c 12 -e -q -f '%o %s\n' 2>/dev/null | tr -d '\000-\011\013-\037' | tr -c '[:print:]\n' '.')
ORDER=$(echo "$K" | grep -oE '(bin|id|raw)-[0-9]' | tr '\n' ' ')
if [ "$ORDER" = "bin-0 id-0 raw-0 bin-1 id-1 raw-1 bin-2 id-2 raw-2 bin-3 id-3 raw-3 " ]; then
    pass streaming_log_in_body_order
else
    fail streaming_log_in_body_order "kcat saw: $ORDER"
fi

# record boundaries, escapes (backslash-quote, backslash-u00e9) and UTF-8 cut by the chunks
R=$(T_LIMIT=60 t python3 "$ITEST_TMP/stream.py" "$REST_PORT" "/v3/clusters/$CID/topics/sst/records" "$S1" "$USER1" cut 2>"$ITEST_TMP/stream.err")
if echo "$R" | jq -se 'length == 40 and all(.error_code == 200) and ([.[].offset] == [range(12;52)])' >/dev/null 2>&1; then
    pass streaming_escapes_cut_by_chunks
else
    fail streaming_escapes_cut_by_chunks "$(head -n 1 "$ITEST_TMP/stream.err") $(echo "$R" | tr '\n' ' ' | head -c 600)"
fi

# ---- JSONSCHEMA, through a second `basin registry` instance (stopped at the end) ----
"$BASIN_BIN" registry --override "kafkastore.bootstrap.servers=$BOOTSTRAP" \
    --override "listeners=http://127.0.0.1:$REG2_PORT" >>"$ITEST_TMP/registry2.log" 2>&1 &
REG2_PID=$!
"$BASIN_BIN" rest --override "bootstrap.servers=$BOOTSTRAP" \
    --override "listeners=http://127.0.0.1:$REST2_PORT" \
    --override "schema.registry.url=http://127.0.0.1:$REG2_PORT" >>"$ITEST_TMP/rest2.log" 2>&1 &
REST2_PID=$!
if wait_port "$REG2_PORT" 30 "$REG2_PID" && wait_port "$REST2_PORT" 20 "$REST2_PID"; then
    U2=http://127.0.0.1:$REST2_PORT/v3/clusters/$CID/topics/sjs/records
    JSCH='{"type":"object","title":"Thing","properties":{"a":{"type":"integer"},"b":{"type":"string"}}}'
    req POST "$U2" "$(js "$JSCH" '{value:{type:"JSONSCHEMA",schema:$s,data:{a:1,b:"x\u00e9"}}}')"
    expect jsonschema_by_schema 200 '.offset == 0 and .value.type == "JSONSCHEMA" and .value.subject == "sjs-value" and .value.schema_id >= 1 and .value.schema_version == 1'
    JID=$(echo "$BODY" | jq -r .value.schema_id)
    req POST "$U2" "{\"value\":{\"schema_id\":$JID,\"data\":{\"a\":2}}}"
    expect jsonschema_by_id 200 ".offset == 1 and .value.type == \"JSONSCHEMA\" and .value.schema_id == $JID"
    req POST "$U2" '{"value":{"subject":"sjs-value","data":{"a":3}}}'
    expect jsonschema_latest 200 ".offset == 2 and .value.schema_id == $JID"
    req POST "$U2" "$(js "$JSCH" '{value:{type:"JSONSCHEMA",subject_name_strategy:"RECORD_NAME",schema:$s,data:{a:4}}}')"
    expect jsonschema_record_name 200 ".offset == 3 and .value.subject == \"Thing\" and .value.schema_id == $JID"
    req POST "$U2" "{\"value\":{\"type\":\"AVRO\",\"schema_id\":$JID,\"data\":{\"a\":2}}}"
    expect jsonschema_id_as_avro_400 400 '.error_code == 400 and (.message | test("JSON"))'
    # wire bytes: 0, the id, then the compact JSON text
    W=$(t kcat -b "$BOOTSTRAP" -C -t sjs -o 0 -c 1 -e -q -f '%s' 2>/dev/null | od -An -tx1 | tr -d ' \n')
    WANT=$(printf '00%08x' "$JID")$(printf '%s' '{"a":1,"b":"xé"}' | od -An -tx1 | tr -d ' \n')
    if [ "$W" = "$WANT" ]; then pass jsonschema_wire_bytes; else fail jsonschema_wire_bytes "got $W want $WANT"; fi
    if [ -d "$JS/node_modules/@kafkajs/confluent-schema-registry" ] &&
        OUT=$(NODE_PATH=$JS/node_modules T_LIMIT=60 t node "$ITEST_TMP/readback.js" "http://127.0.0.1:$REG2_PORT" "$BOOTSTRAP" sjs 4 2>&1) &&
        echo "$OUT" | jq -se --argjson id "$JID" 'sort_by(.offset) | [.[].value.a] == [1,2,3,4] and .[0].value.b == "x\u00e9" and all(.vid == $id)' >/dev/null; then
        pass jsonschema_readback_kafkajs
    else
        fail jsonschema_readback_kafkajs "$(echo "$OUT" | tail -n 5 | tr '\n' ' ')"
    fi
    # the registry goes away: 500/50002 naming schema.registry.url
    stop_pid "$REG2_PID"
    REG2_PID=
    req POST "$U2" '{"value":{"subject":"sjs-value","data":{"a":5}}}'
    expect registry_unreachable_50002 500 '.error_code == 50002 and (.message | test("schema.registry.url"))'
    req POST "$U2" '{"value":{"type":"BINARY","data":"eA=="}}'
    expect binary_without_registry 200 '.offset == 4'
else
    fail jsonschema_setup "second registry or REST Proxy did not start: $(tail -n 3 "$ITEST_TMP/rest2.log" "$ITEST_TMP/registry2.log" | tr '\n' ' ')"
fi

kill -0 "$REST_PID" 2>/dev/null && pass rest_alive || fail rest_alive "REST Proxy died: $(tail -n 5 "$REST_LOG")"
# sanitizer builds (BASIN_BIN=build-san/basin): no memory error or UB report
stop_pid "$REST_PID"
REST_PID=
stop_pid "$REST2_PID"
REST2_PID=
if grep -qE 'ERROR: AddressSanitizer|runtime error:' "$REST_LOG" "$ITEST_TMP/rest2.log" 2>/dev/null; then
    fail rest_sanitizers "$(grep -hE -A3 'ERROR: AddressSanitizer|runtime error:' "$REST_LOG" "$ITEST_TMP/rest2.log" | head -n 8 | tr '\n' ' ')"
else
    pass rest_sanitizers
fi
broker_alive broker_alive && pass broker_alive
exit 0
