#!/usr/bin/env bash
# basin produce / basin consume: keys and headers round trip with
# print.key/print.headers/print.offset; --max-messages, --timeout-ms,
# --partition/--offset; delivery errors reported with their reason; bad
# input lines stop the producer; 20000 lines with gzip.
. "$(dirname "$0")/../lib.sh"
itest_init
if ! broker_start; then
    fail console.pc "$BROKER_START_ERR"
    exit 1
fi
B=$BASIN_BIN
BS=(--bootstrap-server "$BOOTSTRAP")
t "$B" topics "${BS[@]}" --create --topic pc-a --partitions 1 >/dev/null 2>&1 || fail console.pc.setup "create pc-a"

printf 'h1:v1,h2:v2\tk1:one\n\tk2:two\nh3:\tk3:three\n' |
    t "$B" produce "${BS[@]}" --topic pc-a --property parse.key=true --property key.separator=: \
        --property parse.headers=true >"$ITEST_TMP/p.out" 2>&1
rc=$?
[ $rc = 0 ] && pass console.pc.produce_keys_headers || fail console.pc.produce_keys_headers "exit $rc: $(cat "$ITEST_TMP/p.out")"

out=$(t "$B" consume "${BS[@]}" --topic pc-a --from-beginning --max-messages 3 \
    --property print.key=true --property print.headers=true --property print.offset=true \
    --property key.separator='|' 2>"$ITEST_TMP/c.err")
want='Offset:0|h1:v1,h2:v2|k1|one
Offset:1|NO_HEADERS|k2|two
Offset:2|h3:|k3|three'
[ "$out" = "$want" ] && pass console.pc.consume_print_props || fail console.pc.consume_print_props "got: $out"
grep -q "Processed a total of 3 messages" "$ITEST_TMP/c.err" && pass console.pc.processed_total ||
    fail console.pc.processed_total "$(cat "$ITEST_TMP/c.err")"

s=$SECONDS
out=$(t "$B" consume "${BS[@]}" --topic pc-a --from-beginning --timeout-ms 1000 2>/dev/null)
rc=$?
[ $rc = 0 ] && [ "$(echo "$out" | wc -l)" = 3 ] && [ $((SECONDS - s)) -lt 10 ] &&
    pass console.pc.timeout_ms_exits || fail console.pc.timeout_ms_exits "exit $rc after $((SECONDS - s)) s: $out"

out=$(t "$B" consume "${BS[@]}" --topic pc-a --from-beginning --max-messages 2 2>/dev/null)
[ "$out" = $'one\ntwo' ] && pass console.pc.max_messages || fail console.pc.max_messages "$out"

out=$(t "$B" consume "${BS[@]}" --topic pc-a --partition 0 --offset 1 --timeout-ms 1000 \
    --property print.partition=true 2>/dev/null)
[ "$out" = $'Partition:0\ttwo\nPartition:0\tthree' ] && pass console.pc.partition_offset ||
    fail console.pc.partition_offset "$out"

out=$(t "$B" consume "${BS[@]}" --topic pc-a --timeout-ms 500 2>/dev/null)
[ -z "$out" ] && pass console.pc.latest_by_default || fail console.pc.latest_by_default "$out"

out=$(printf 'k1:v1\nno-separator\nk3:v3\n' | t "$B" produce "${BS[@]}" --topic pc-a \
    --property parse.key=true --property key.separator=: 2>&1)
rc=$?
[ $rc = 1 ] && [[ $out == *"line 2: no key separator found"* ]] && pass console.pc.bad_line ||
    fail console.pc.bad_line "exit $rc: $out"

# compacted topics refuse records without a key: the reason must be printed
t "$B" topics "${BS[@]}" --create --topic pc-compact --partitions 1 --config cleanup.policy=compact >/dev/null 2>&1
out=$(printf 'a\nb\n' | t "$B" produce "${BS[@]}" --topic pc-compact 2>&1)
rc=$?
[ $rc = 1 ] && [[ $out == *"was not delivered"*"INVALID_RECORD"* ]] && [[ $out == *"2 of 2 records were not delivered"* ]] &&
    pass console.pc.delivery_error_reported || fail console.pc.delivery_error_reported "exit $rc: $out"

t "$B" topics "${BS[@]}" --create --topic pc-bulk --partitions 3 >/dev/null 2>&1
seq 1 20000 | t "$B" produce "${BS[@]}" --topic pc-bulk --compression-codec gzip \
    --producer-property linger.ms=10 >/dev/null 2>&1 || fail console.pc.bulk "produce exit $?"
n=$(t "$B" consume "${BS[@]}" --topic pc-bulk --from-beginning --timeout-ms 2000 2>/dev/null | sort -n | uniq | wc -l)
[ "$n" = 20000 ] && pass console.pc.bulk_gzip || fail console.pc.bulk_gzip "read back $n distinct lines of 20000"

out=$(printf 'x\n' | t "$B" produce "${BS[@]}" --topic pc-a --producer-property no.such.prop=1 2>&1)
rc=$?
[ $rc = 1 ] && [[ $out == *"bad client property no.such.prop=1"* ]] && pass console.pc.bad_producer_property ||
    fail console.pc.bad_producer_property "exit $rc: $out"
broker_alive console.pc.broker_survived && pass console.pc.broker_survived
