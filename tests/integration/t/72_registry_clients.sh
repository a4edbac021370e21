#!/usr/bin/env bash
# 72_registry_clients.sh — npm Schema Registry clients
# (@kafkajs/confluent-schema-registry, avro-schema-registry, avsc as the
# oracle) and a libcurl C client against `basin registry` on a Basin broker.
. "$(dirname "$0")/../lib.sh"
itest_init
JS=$ITEST_DIR/js
REG_PID=
REG_PORT=$(pick_port)
REG=http://127.0.0.1:$REG_PORT
REG_LOG=$ITEST_TMP/registry.log
trap '[ -n "$REG_PID" ] && kill -9 "$REG_PID" 2>/dev/null; itest_cleanup' EXIT

broker_start || { fail registry_clients "broker: $BROKER_START_ERR"; exit 1; }
"$BASIN_BIN" registry --override "kafkastore.bootstrap.servers=$BOOTSTRAP" \
    --override "listeners=http://127.0.0.1:$REG_PORT" >>"$REG_LOG" 2>&1 &
REG_PID=$!
wait_port "$REG_PORT" 30 "$REG_PID" || { fail registry_clients "registry did not start: $(tail -n 3 "$REG_LOG")"; exit 1; }

if ! command -v node >/dev/null || [ ! -d "$JS/node_modules/@kafkajs/confluent-schema-registry" ]; then
    fail registry_js "node or @kafkajs/confluent-schema-registry missing (npm ci in tests/integration/js)"
else
    T_LIMIT=120 t node "$JS/registry_clients.test.js" "$REG" "$BOOTSTRAP" ||
        [ $? = 1 ] || fail registry_js.run "node test exited abnormally (timeout?)"
fi
if [ -x "$ITEST_BIN/registry_client" ]; then
    T_LIMIT=60 t "$ITEST_BIN/registry_client" "$REG" || [ $? = 1 ] ||
        fail registry_c.run "C client exited abnormally"
else
    fail registry_c "build/itest/registry_client is missing (make itest)"
fi
kill -0 "$REG_PID" 2>/dev/null && pass registry_clients.alive || fail registry_clients.alive "registry died: $(tail -n 3 "$REG_LOG")"
