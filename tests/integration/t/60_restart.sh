#!/usr/bin/env bash
# Clean restart (SIGTERM): topics, partition counts, topic configs, data,
# log start offsets and deletions all survive; production continues.
. "$(dirname "$0")/../lib.sh"
itest_init
ADMIN=$ITEST_BIN/admin
if ! broker_start; then
    fail restart "$BROKER_START_ERR"
    exit 1
fi
ok=1
step() { # NAME CMD... — fails the whole setup on error
    local name=$1 out
    shift
    if ! out=$("$@" 2>&1); then
        fail "restart.setup" "$name: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
        ok=0
    fi
}
step "create rs-a" t "$ADMIN" "$BOOTSTRAP" create rs-a 3 retention.ms=86400000 max.message.bytes=500000
step "create rs-gone" t "$ADMIN" "$BOOTSTRAP" create rs-gone 1
: >"$ITEST_TMP/acks"
step "produce rs-a" t "$ITEST_BIN/dur_produce" "$BOOTSTRAP" rs-a 3 0 6000 "$ITEST_TMP/acks"
step "kcat auto-create rs-auto" t kcat -b "$BOOTSTRAP" -P -t rs-auto -k key1 <<<"auto-value"
step "delete-records rs-a[1] before 100" t "$ADMIN" "$BOOTSTRAP" delete-records rs-a 1 100
step "delete rs-gone" t "$ADMIN" "$BOOTSTRAP" delete-topic rs-gone
[ $ok = 1 ] || exit 1
if ! broker_stop; then
    fail restart.clean_stop "$BROKER_STOP_ERR"
    exit 1
fi
pass restart.clean_stop
if ! broker_start; then
    fail restart.start_again "$BROKER_START_ERR"
    exit 1
fi
pass restart.start_again
n=$(t "$ADMIN" "$BOOTSTRAP" partitions rs-a 2>&1)
[ "$n" = 3 ] && pass restart.partitions || fail restart.partitions "rs-a has '$n' partitions after restart, expected 3"
c=$(t "$ADMIN" "$BOOTSTRAP" config rs-a retention.ms 2>&1)
[ "$c" = "86400000 DYNAMIC_TOPIC_CONFIG" ] && pass restart.topic_config ||
    fail restart.topic_config "rs-a retention.ms after restart: '$c', expected '86400000 DYNAMIC_TOPIC_CONFIG'"
c=$(t "$ADMIN" "$BOOTSTRAP" config rs-a max.message.bytes 2>&1)
[ "$c" = "500000 DYNAMIC_TOPIC_CONFIG" ] && pass restart.topic_config2 ||
    fail restart.topic_config2 "rs-a max.message.bytes after restart: '$c', expected '500000 DYNAMIC_TOPIC_CONFIG'"
w=$(t "$ADMIN" "$BOOTSTRAP" watermarks rs-a 1 2>&1)
[ "$w" = "100 2000" ] && pass restart.log_start_offset || fail restart.log_start_offset "rs-a[1] watermarks after restart: '$w', expected '100 2000'"
g=$(t "$ADMIN" "$BOOTSTRAP" partitions rs-gone 2>&1)
case $g in *UNKNOWN_TOPIC*) pass restart.deleted_topic_stays_deleted ;;
    *) fail restart.deleted_topic_stays_deleted "Metadata for deleted topic rs-gone after restart: $g" ;; esac
got=$(t kcat -b "$BOOTSTRAP" -C -t rs-auto -o beginning -e -q -f '%k=%s' 2>&1)
[ "$got" = "key1=auto-value" ] && pass restart.auto_created_topic || fail restart.auto_created_topic "rs-auto read back '$got'"
# Data: every acknowledged message except those deleted from rs-a[1].
grep -v ' 1 \([0-9]\|[0-9][0-9]\)$' "$ITEST_TMP/acks" >"$ITEST_TMP/acks.kept"
T_LIMIT=90 t "$ITEST_BIN/dur_verify" "$BOOTSTRAP" rs-a 3 --name restart.data --acks "$ITEST_TMP/acks.kept" --random-starts 5
: >"$ITEST_TMP/acks2"
if t "$ITEST_BIN/dur_produce" "$BOOTSTRAP" rs-a 3 1000000 600 "$ITEST_TMP/acks2" 2>/dev/null; then
    first=$(awk '$2 == 0 {print $3; exit}' "$ITEST_TMP/acks2")
    [ "$first" = 2000 ] && pass restart.offsets_continue || fail restart.offsets_continue "first offset in rs-a[0] after restart: $first, expected 2000"
else
    fail restart.offsets_continue "producing after restart failed"
fi
broker_alive restart.broker_survived && pass restart.broker_survived
