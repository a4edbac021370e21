#!/usr/bin/env bash
# Durability: kill -9 during acks=all production (page cache, then
# log.flush.on.ack=true), a torn last batch, damaged and missing indexes.
. "$(dirname "$0")/../lib.sh"
itest_init
P=$ITEST_BIN/dur_produce
V=$ITEST_BIN/dur_verify
ADMIN=$ITEST_BIN/admin
SEG=$ITEST_DIR/py/segtool.py
SEGOPT=(--override log.segment.bytes=1048576)

# kill9_scenario NAME [broker overrides...]
kill9_scenario() {
    local name=$1
    shift
    DATA=$ITEST_TMP/$name
    if ! broker_start "${SEGOPT[@]}" "$@"; then
        fail "$name" "$BROKER_START_ERR"
        return
    fi
    if ! out=$(t "$ADMIN" "$BOOTSTRAP" create dur 3 2>&1); then
        fail "$name" "creating topic dur: $out"
        return
    fi
    local acks=$ITEST_TMP/$name.acks
    : >"$acks"
    "$P" "$BOOTSTRAP" dur 3 0 1000000 "$acks" --rate 40000 2>"$ITEST_TMP/$name.prod.log" &
    local ppid=$!
    sleep 2.5
    broker_kill9
    local i
    for i in $(seq 1 400); do kill -0 $ppid 2>/dev/null || break; sleep 0.05; done
    kill -9 $ppid 2>/dev/null
    wait $ppid 2>/dev/null
    local n
    n=$(wc -l <"$acks")
    if [ "$n" -lt 1000 ]; then
        fail "$name" "only $n messages were acknowledged before the kill (producer: $(tail -n 1 "$ITEST_TMP/$name.prod.log"))"
        return
    fi
    if [ ! -f "$DATA/dur-0/00000000000000000000.log" ]; then
        fail storage.layout "expected $DATA/dur-0/00000000000000000000.log (Kafka's layout); found: $(cd "$DATA" && find . -maxdepth 2 | head -n 8 | tr '\n' ' ')"
    elif [ "$name" = durability.kill9 ]; then
        pass storage.layout
    fi
    if ! broker_start "${SEGOPT[@]}" "$@"; then
        fail "$name" "restart after kill -9: $BROKER_START_ERR"
        return
    fi
    T_LIMIT=90 t "$V" "$BOOTSTRAP" dur 3 --name "$name" --acks "$acks" --random-starts 5
    # Production continues at contiguous offsets after recovery.
    local acks2=$ITEST_TMP/$name.acks2
    : >"$acks2"
    if ! t "$P" "$BOOTSTRAP" dur 3 1000000 3000 "$acks2" 2>"$ITEST_TMP/$name.prod2.log"; then
        fail "$name.continue" "producing after restart: $(tail -n 1 "$ITEST_TMP/$name.prod2.log")"
    else
        T_LIMIT=90 t "$V" "$BOOTSTRAP" dur 3 --name "$name.continue" --acks "$acks" --acks "$acks2"
    fi
    broker_stop || fail "$name.clean_stop" "$BROKER_STOP_ERR"
}

kill9_scenario durability.kill9
kill9_scenario durability.kill9_flush_on_ack --override log.flush.on.ack=true

# Torn write: the last batch of the last segment loses its last 10 bytes.
torn() {
    local name=durability.torn_write
    DATA=$ITEST_TMP/torn
    if ! broker_start "${SEGOPT[@]}"; then fail $name "$BROKER_START_ERR"; return; fi
    if ! out=$(t "$ADMIN" "$BOOTSTRAP" create torn 1 2>&1); then fail $name "creating topic torn: $out"; return; fi
    local acks=$ITEST_TMP/torn.acks acks2=$ITEST_TMP/torn.acks2
    : >"$acks"
    : >"$acks2"
    if ! t "$P" "$BOOTSTRAP" torn 1 0 5000 "$acks" 2>"$ITEST_TMP/torn.prod.log"; then
        fail $name "producing: $(tail -n 1 "$ITEST_TMP/torn.prod.log")"
        return
    fi
    broker_kill9
    local seg base
    seg=$(ls "$DATA"/torn-0/*.log 2>/dev/null | sort | tail -n 1)
    if [ -z "$seg" ]; then fail $name "no segment file under $DATA/torn-0"; return; fi
    if ! base=$(python3 "$SEG" tear "$seg" 10 2>&1); then fail $name "$base"; return; fi
    if ! broker_start "${SEGOPT[@]}"; then fail $name "restart after tearing $seg: $BROKER_START_ERR"; return; fi
    T_LIMIT=90 t "$V" "$BOOTSTRAP" torn 1 --name $name --acks "$acks" --torn "0:$base:1000000" --expect-high "0:$base"
    if ! t "$P" "$BOOTSTRAP" torn 1 1000000 2000 "$acks2" 2>"$ITEST_TMP/torn.prod2.log"; then
        fail $name.continue "producing after restart: $(tail -n 1 "$ITEST_TMP/torn.prod2.log")"
        return
    fi
    local first
    first=$(awk 'NR==1 || $3<m {m=$3} END {print m}' "$acks2")
    if [ "$first" != "$base" ]; then
        fail $name.continue "first offset produced after the torn batch is $first, expected $base"
    else
        T_LIMIT=90 t "$V" "$BOOTSTRAP" torn 1 --name $name.continue --acks "$acks" --acks "$acks2" --torn "0:$base:1000000"
    fi
    broker_stop || fail $name.clean_stop "$BROKER_STOP_ERR"
}
torn

# Damaged indexes: partition 0's index files overwritten with 0xff, partition
# 1's deleted, while the broker is stopped (cleanly).
damaged_index() {
    local name=durability.damaged_index
    DATA=$ITEST_TMP/idx
    if ! broker_start "${SEGOPT[@]}"; then fail $name "$BROKER_START_ERR"; return; fi
    if ! out=$(t "$ADMIN" "$BOOTSTRAP" create idx 2 2>&1); then fail $name "creating topic idx: $out"; return; fi
    local acks=$ITEST_TMP/idx.acks
    : >"$acks"
    if ! t "$P" "$BOOTSTRAP" idx 2 0 40000 "$acks" 2>"$ITEST_TMP/idx.prod.log"; then
        fail $name "producing: $(tail -n 1 "$ITEST_TMP/idx.prod.log")"
        return
    fi
    if ! broker_stop; then fail $name "$BROKER_STOP_ERR"; return; fi
    local nseg f
    nseg=$(ls "$DATA"/idx-0/*.log 2>/dev/null | wc -l)
    if [ "$nseg" -lt 2 ]; then
        fail $name "expected several segments in $DATA/idx-0 with log.segment.bytes=1048576, found $nseg"
    fi
    for f in "$DATA"/idx-0/*.index "$DATA"/idx-0/*.timeindex; do
        [ -f "$f" ] && python3 "$SEG" garbage "$f"
    done
    rm -f "$DATA"/idx-1/*.index "$DATA"/idx-1/*.timeindex
    if ! broker_start "${SEGOPT[@]}"; then fail $name "restart with damaged indexes: $BROKER_START_ERR"; return; fi
    T_LIMIT=90 t "$V" "$BOOTSTRAP" idx 2 --name $name --acks "$acks" --random-starts 40
    broker_stop || fail $name.clean_stop "$BROKER_STOP_ERR"
}
damaged_index
