#!/usr/bin/env bash
# Idempotent producer (librdkafka, enable.idempotence=true) through faultproxy:
# random connection resets (before or after the broker handled a request) and
# delayed data; afterwards every message is in the log exactly once, in order,
# at the offset its delivery report gave. The broker advertises the proxy's
# port, so every client connection (bootstrap and the advertised one) passes
# through it.
. "$(dirname "$0")/../lib.sh"
itest_init
PROXY_PORT=$(pick_port) || exit 2
PROXY_PID=
stop_proxy() { [ -n "$PROXY_PID" ] && kill "$PROXY_PID" 2>/dev/null; wait "$PROXY_PID" 2>/dev/null; PROXY_PID=; }
trap 'stop_proxy; itest_cleanup' EXIT
if ! broker_start --override "advertised.listeners=PLAINTEXT://127.0.0.1:$PROXY_PORT"; then
    fail eos.idem.broker_start "$BROKER_START_ERR"
    exit 1
fi
# Run 1: drops (2% of reads, at most 40) and delays (30% of reads, up to 150 ms).
"$ITEST_BIN/faultproxy" --listen "$PROXY_PORT" --target "$BROKER_PORT" --seed "${EOS_SEED:-4242}" \
    --drop-per-mille 20 --max-drops 40 --delay-per-mille 300 --delay-max-ms 150 \
    --fault-s 40 --duration-s 170 2>"$ITEST_TMP/proxy1.log" &
PROXY_PID=$!
wait_port "$PROXY_PORT" 5 "$PROXY_PID" || { fail eos.idem.proxy "faultproxy did not start"; exit 1; }
T_LIMIT=160 t "$ITEST_BIN/eos_idem" "127.0.0.1:$PROXY_PORT" idem-faults --count 30000 --partitions 3 --name eos.idem.faults
stop_proxy
echo "# $(tail -n 1 "$ITEST_TMP/proxy1.log")" >&2
drops=$(sed -n 's/.* \([0-9]*\) dropped.*/\1/p' "$ITEST_TMP/proxy1.log")
[ "${drops:-0}" -gt 0 ] && pass eos.idem.faults_injected || fail eos.idem.faults_injected "faultproxy dropped no connection ($(tail -n 1 "$ITEST_TMP/proxy1.log"))"

# Run 2: delays only, many in flight (reordering pressure on the sequence checks).
"$ITEST_BIN/faultproxy" --listen "$PROXY_PORT" --target "$BROKER_PORT" --seed 7 \
    --drop-per-mille 0 --delay-per-mille 500 --delay-max-ms 100 --fault-s 60 --duration-s 120 2>"$ITEST_TMP/proxy2.log" &
PROXY_PID=$!
wait_port "$PROXY_PORT" 5 "$PROXY_PID" || { fail eos.idem.proxy "faultproxy did not start"; exit 1; }
T_LIMIT=110 t "$ITEST_BIN/eos_idem" "127.0.0.1:$PROXY_PORT" idem-delays --count 20000 --partitions 2 --name eos.idem.delays
stop_proxy
if grep -q "OUT_OF_ORDER_SEQUENCE\|INVALID_PRODUCER_EPOCH\|UNKNOWN_PRODUCER" "$BROKER_LOG"; then
    echo "# broker log mentions sequence errors:" >&2
    grep -m 5 "OUT_OF_ORDER_SEQUENCE\|INVALID_PRODUCER_EPOCH\|UNKNOWN_PRODUCER" "$BROKER_LOG" >&2
fi
broker_alive eos.idem.broker_survived && pass eos.idem.broker_survived
