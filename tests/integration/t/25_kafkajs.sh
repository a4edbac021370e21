#!/usr/bin/env bash
# kafkajs 2.2.4: admin client and producer (keys, nulls, headers, gzip);
# kcat reads back what kafkajs produced.
. "$(dirname "$0")/../lib.sh"
itest_init
JS=$ITEST_DIR/js
if ! command -v node >/dev/null || [ ! -d "$JS/node_modules/kafkajs" ]; then
    fail kafkajs "node or kafkajs missing (run.sh runs npm ci in tests/integration/js)"
    exit 1
fi
if ! broker_start; then
    fail kafkajs "$BROKER_START_ERR"
    exit 1
fi
T_LIMIT=120 t node "$JS/admin_produce.test.js" "$BOOTSTRAP" "$ITEST_TMP/expected.txt" ||
    [ $? = 1 ] || fail kafkajs.run "node test exited abnormally (timeout?)"
if [ -s "$ITEST_TMP/expected.txt" ]; then
    got=$(t kcat -b "$BOOTSTRAP" -C -t js-data -o beginning -e -q -f '%p|%o|%K|%k|%S|%s|%h\n' 2>&1 | sort -t'|' -k1,1n -k2,2n)
    if [ "$got" = "$(cat "$ITEST_TMP/expected.txt")" ]; then
        pass kafkajs.data_read_by_kcat
    else
        fail kafkajs.data_read_by_kcat "kcat read [$(echo "$got" | head -n 4 | tr '\n' ';')...], expected [$(head -n 4 "$ITEST_TMP/expected.txt" | tr '\n' ';')...]"
    fi
    seg=$(ls "$DATA"/js-data-0/*.log 2>/dev/null | head -n 1)
    codecs=$([ -n "$seg" ] && python3 "$ITEST_DIR/py/segtool.py" codec "$seg" 2>&1)
    [ "$codecs" = "gzip none" ] && pass kafkajs.gzip_stored ||
        fail kafkajs.gzip_stored "codecs of the batches in js-data-0: '$codecs', expected 'gzip none'"
fi
broker_alive kafkajs.broker_survived && pass kafkajs.broker_survived
