#!/usr/bin/env bash
# librdkafka produce/consume round trips: every codec, acks 0/1/all, 1 to 6
# partitions; keys, null values, headers, timestamps, order and offsets.
. "$(dirname "$0")/../lib.sh"
itest_init
if ! broker_start; then
    fail rdkafka.produce_consume "$BROKER_START_ERR"
    exit 1
fi
PC=$ITEST_BIN/produce_consume
for codec in none gzip snappy lz4 zstd; do
    t "$PC" "$BOOTSTRAP" "pc-$codec" --partitions 3 --codec "$codec" --acks all --count 3000
done
# The codec must really be used on the wire (and stored as sent).
for codec in gzip snappy lz4 zstd; do
    seg=$(ls "$DATA/pc-$codec-0/"*.log 2>/dev/null | head -n 1)
    stored=$([ -n "$seg" ] && python3 "$ITEST_DIR/py/segtool.py" codec "$seg" 2>&1)
    [ "$stored" = "$codec" ] && pass "rdkafka.codec_on_disk.$codec" ||
        fail "rdkafka.codec_on_disk.$codec" "batches in ${seg:-(no segment)} use codec(s) '$stored', expected $codec; librdkafka 2.0.2 only compresses gzip/snappy/lz4 if the broker advertises Produce v0 (lz4 also FindCoordinator v0)"
done
t "$PC" "$BOOTSTRAP" pc-acks1 --partitions 6 --acks 1 --count 3000
t "$PC" "$BOOTSTRAP" pc-acks0 --partitions 2 --acks 0 --count 2000
t "$PC" "$BOOTSTRAP" pc-single --partitions 1 --codec zstd --acks 1 --count 1000
broker_alive rdkafka.broker_survived && pass rdkafka.broker_survived
