#!/usr/bin/env bash
# 91_serdes_library.sh — the serdes library as users get it: `make install`
# into a temporary prefix, a small program compiled against only the
# installed header and shared library, run against `basin registry` on a
# Basin broker: RecordNameStrategy registration, JSON -> wire bytes -> JSON,
# the registry's error code for an unknown id, and the subject it created.
. "$(dirname "$0")/../lib.sh"
itest_init
REG_PID=
REG_PORT=$(pick_port)
REG=http://127.0.0.1:$REG_PORT
REG_LOG=$ITEST_TMP/registry.log
trap '[ -n "$REG_PID" ] && { kill -9 "$REG_PID"; wait "$REG_PID"; } 2>/dev/null; itest_cleanup' EXIT

PREFIX=$ITEST_TMP/prefix
if ! t make -s -C "$ITEST_ROOT" install DESTDIR= PREFIX="$PREFIX" >"$ITEST_TMP/install.log" 2>&1; then
    fail serdes_lib.install "make install failed: $(tail -n 3 "$ITEST_TMP/install.log")"
    exit 1
fi
[ -f "$PREFIX/include/basin/serdes.h" ] && [ -f "$PREFIX/lib/libbasin-serdes.so" ] && [ -f "$PREFIX/lib/libbasin-serdes.a" ] &&
    pass serdes_lib.install || fail serdes_lib.install "files missing under $PREFIX"

cat >"$ITEST_TMP/app.c" <<'CEOF'
#include <basin/serdes.h>
#include <stdio.h>
#include <string.h>

int main(int argc, char **argv)
{
    char err[512];
    bs_sr_error_t e;
    bs_serdes_conf_t conf;
    bs_serdes_conf_init(&conf);
    if (bs_serdes_conf_set(&conf, "schema.registry.url", argv[1], err, sizeof(err)) != 1 ||
        bs_serdes_conf_set(&conf, "value.subject.name.strategy",
                           "io.confluent.kafka.serializers.subject.RecordNameStrategy", err,
                           sizeof(err)) != 1)
        return fprintf(stderr, "conf: %s\n", err), 2;
    bs_sr_client_t *c = bs_sr_client_new(NULL, &conf, err, sizeof(err));
    bs_serdes_schema_t *s = bs_serdes_schema_new(
        "{\"type\":\"record\",\"name\":\"Click\",\"namespace\":\"app\",\"fields\":[{\"name\":"
        "\"url\",\"type\":\"string\"},{\"name\":\"ms\",\"type\":[\"null\",\"long\"]}]}",
        (size_t)-1, err, sizeof(err));
    bs_avro_serializer_t *ser = bs_avro_serializer_new(c, &conf, 0, err, sizeof(err));
    bs_avro_deserializer_t *des = bs_avro_deserializer_new(c, NULL, err, sizeof(err));
    if (!c || !s || !ser || !des)
        return fprintf(stderr, "setup: %s\n", err), 2;
    bs_serdes_buf_t wire, json;
    bs_serdes_buf_init(&wire);
    bs_serdes_buf_init(&json);
    const char *in = "{\"url\":\"/a\",\"ms\":{\"long\":12}}";
    if (bs_avro_serialize_json(ser, "clicks", s, in, strlen(in), &wire, &e) ||
        bs_avro_deserialize_json(des, wire.data, wire.len, &json, &e))
        return fprintf(stderr, "serde: %s\n", e.message), 1;
    printf("%.*s\n", (int)json.len, (const char *)json.data);
    uint8_t bad[6] = {0, 0x7f, 0, 0, 1, 0};
    avro_value_t *v;
    if (bs_avro_deserialize(des, bad, sizeof(bad), &v, NULL, &e) == 0)
        return 1;
    printf("unknown id: %d\n", e.error_code);
    bs_serdes_buf_free(&wire);
    bs_serdes_buf_free(&json);
    bs_avro_serializer_destroy(ser);
    bs_avro_deserializer_destroy(des);
    bs_serdes_schema_destroy(s);
    bs_sr_client_destroy(c);
    bs_serdes_conf_free(&conf);
    return 0;
}
CEOF
if t cc -std=c17 -Wall -Werror -I"$PREFIX/include" -o "$ITEST_TMP/app" "$ITEST_TMP/app.c" \
    -L"$PREFIX/lib" -lbasin-serdes -lavro >"$ITEST_TMP/cc.log" 2>&1; then
    pass serdes_lib.compile
else
    fail serdes_lib.compile "$(tail -n 5 "$ITEST_TMP/cc.log")"
    exit 1
fi

broker_start || { fail serdes_lib.setup "broker: $BROKER_START_ERR"; exit 1; }
"$BASIN_BIN" registry --override "kafkastore.bootstrap.servers=$BOOTSTRAP" \
    --override "listeners=http://127.0.0.1:$REG_PORT" >>"$REG_LOG" 2>&1 &
REG_PID=$!
wait_port "$REG_PORT" 30 "$REG_PID" || { fail serdes_lib.setup "registry did not start: $(tail -n 3 "$REG_LOG")"; exit 1; }

out=$(LD_LIBRARY_PATH=$PREFIX/lib t "$ITEST_TMP/app" "$REG" 2>&1)
want='{"url":"/a","ms":{"long":12}}
unknown id: 40403'
[ "$out" = "$want" ] && pass serdes_lib.roundtrip || fail serdes_lib.roundtrip "got: $out"
subjects=$(curl -s --max-time 10 "$REG/subjects")
case "$subjects" in
*'"app.Click"'*) pass serdes_lib.record_name_strategy ;;
*) fail serdes_lib.record_name_strategy "subjects: $subjects" ;;
esac
LD_LIBRARY_PATH=$PREFIX/lib ldd "$ITEST_TMP/app" | grep -q "$PREFIX/lib/libbasin-serdes.so.0" &&
    pass serdes_lib.shared || fail serdes_lib.shared "app is not linked against libbasin-serdes.so"
