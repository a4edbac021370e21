#!/usr/bin/env bash
# Log compaction with kcat: many versions of 20 keys plus tombstones for 5 of
# them on a cleanup.policy=compact topic with tiny segments; once the
# background cleaner has run, a consumer from the start sees exactly the
# latest value of every live key (and every record of the uncleanable active
# segment), each at its original offset, and no deleted key; the same after
# a restart; a record without a key is refused with INVALID_RECORD.
. "$(dirname "$0")/../lib.sh"
itest_init
if ! broker_start --override log.cleaner.backoff.ms=200; then
    fail compaction "$BROKER_START_ERR"
    exit 1
fi
ADMIN=$ITEST_BIN/admin
K=(kcat -b "$BOOTSTRAP" -X socket.timeout.ms=10000)
T=cmp45

if ! t "$ADMIN" "$BOOTSTRAP" create $T 1 cleanup.policy=compact segment.bytes=4096 \
    min.cleanable.dirty.ratio=0.01 delete.retention.ms=0 >/dev/null 2>"$ITEST_TMP/create.err"; then
    fail compaction.create "$(cat "$ITEST_TMP/create.err")"
    exit 1
fi

# Messages in production order (offset = line number - 1): 30 rounds over
# k0..k19, then tombstones for k0..k4, then 40 filler keys that roll the
# tombstones out of the active segment.
IN=$ITEST_TMP/in.txt
: >"$IN"
for r in $(seq 1 30); do
    for k in $(seq 0 19); do echo "k$k:value-$k-round-$r-$(printf '%040d' 0)"; done
done >>"$IN"
for k in 0 1 2 3 4; do echo "k$k:"; done >>"$IN"
for i in $(seq 0 39); do echo "f$i:filler-$i-$(printf '%060d' 0)"; done >>"$IN"
t "${K[@]}" -P -t $T -p 0 -K: -Z -X batch.num.messages=16 -X linger.ms=0 -l "$IN" 2>"$ITEST_TMP/p.err" ||
    fail compaction.produce "$(cat "$ITEST_TMP/p.err")"

# Expected: latest line of every key that is not a tombstone, with offsets.
WANT=$ITEST_TMP/want.txt
python3 - "$IN" >"$WANT" <<'EOF'
import sys
last = {}
for off, line in enumerate(open(sys.argv[1]).read().splitlines()):
    k, v = line.split(":", 1)
    last[k] = (off, v)
for k, (off, v) in sorted(last.items(), key=lambda kv: kv[1][0]):
    if v:
        print(f"{off} {k} {v}")
EOF

consume() { t "${K[@]}" -C -t $T -p 0 -o beginning -e -q -f '%o %k %s\n' 2>/dev/null; }

ok=0
for _ in $(seq 1 100); do
    consume >"$ITEST_TMP/got.txt"
    # Records of the active segment are never cleaned: compare only what
    # the expectation covers, but require every line to be expected.
    if python3 - "$WANT" "$ITEST_TMP/got.txt" 2>"$ITEST_TMP/why.txt" <<'EOF'; then
import sys
want = open(sys.argv[1]).read().splitlines()
got = open(sys.argv[2]).read().splitlines()
ws = set(want)
# every expected record is there, at its offset
assert ws <= set(got), "missing: %s" % sorted(ws - set(got))[:3]
# every k* key appears once (older versions and tombstoned keys gone)
ks = [l.split(" ")[1] for l in got if l.split(" ")[1].startswith("k")]
assert len(ks) == len(set(ks)), "duplicate keys"
assert not any(k in ("k0", "k1", "k2", "k3", "k4") for k in ks), "deleted key present"
# offsets strictly increasing
offs = [int(l.split(" ")[0]) for l in got]
assert offs == sorted(set(offs))
EOF
        ok=1
        break
    fi
    sleep 0.2
done
if [ $ok = 1 ]; then
    pass compaction.latest_per_key
else
    fail compaction.latest_per_key "after 20 s: $(tail -n 1 "$ITEST_TMP/why.txt"); $(wc -l <"$ITEST_TMP/got.txt") records, e.g. $(head -n 3 "$ITEST_TMP/got.txt" | tr '\n' ';')"
fi
grep -q "cleaner.*$T-0: cleaned" "$BROKER_LOG" && pass compaction.log_line ||
    fail compaction.log_line "no cleaner log line for $T-0"

# A record without a key is refused (Kafka: INVALID_RECORD).
out=$(echo "nokey" | t "${K[@]}" -P -t $T -p 0 2>&1)
if echo "$out" | grep -qi "failed to validate record\|invalid record\|INVALID_RECORD"; then
    pass compaction.keyless_rejected
else
    fail compaction.keyless_rejected "kcat said: $(echo "$out" | tail -n 2 | tr '\n' ' ')"
fi

# Same view after a restart (the swapped segments are on disk).
if broker_stop && broker_start --override log.cleaner.backoff.ms=200; then
    consume >"$ITEST_TMP/got2.txt"
    cmp -s "$ITEST_TMP/got.txt" "$ITEST_TMP/got2.txt" && pass compaction.after_restart ||
        fail compaction.after_restart "$(diff "$ITEST_TMP/got.txt" "$ITEST_TMP/got2.txt" | head -n 3 | tr '\n' ' ')"
else
    fail compaction.after_restart "restart failed: $BROKER_START_ERR"
fi
exit $ITEST_FAILED
