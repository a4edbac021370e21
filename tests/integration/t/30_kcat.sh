#!/usr/bin/env bash
# kcat (librdkafka 2.0.2): metadata, produce with keys/headers/NULLs,
# consume with a format string, every codec (also checked on disk),
# offsets for a timestamp.
. "$(dirname "$0")/../lib.sh"
itest_init
if ! broker_start; then
    fail kcat "$BROKER_START_ERR"
    exit 1
fi
ADMIN=$ITEST_BIN/admin
K=(kcat -b "$BOOTSTRAP" -X socket.timeout.ms=10000)
mk() { t "$ADMIN" "$BOOTSTRAP" create "$@" >/dev/null 2>"$ITEST_TMP/create.err" || { echo "create $1: $(cat "$ITEST_TMP/create.err")"; return 1; }; }
# consume TOPIC FORMAT [kcat args] — everything from the beginning, then exit.
consume() { local topic=$1 fmt=$2; shift 2; t "${K[@]}" -C -t "$topic" -o beginning -e -q -f "$fmt" "$@"; }

# -L metadata (plain and JSON).
if err=$(mk kc-meta 3); then
    out=$(t "${K[@]}" -L -t kc-meta -J 2>&1)
    why=$(echo "$out" | python3 -c '
import json, sys
md = json.load(sys.stdin)
b = md["brokers"]
assert len(b) == 1, f"{len(b)} brokers, expected 1"
t = [x for x in md["topics"] if x["topic"] == "kc-meta"]
assert len(t) == 1, "kc-meta missing"
ps = t[0]["partitions"]
assert len(ps) == 3, f"{len(ps)} partitions, expected 3"
for p in ps:
    assert p["leader"] == b[0]["id"], "partition %s leader %s" % (p["partition"], p["leader"])
assert b[0]["name"].endswith(":'"$BROKER_PORT"'"), "broker advertised as %s" % b[0]["name"]
' 2>&1) && pass kcat.metadata_json || fail kcat.metadata_json "$(echo "$why" | tail -n 1) in: $(echo "$out" | head -c 300)"
    out=$(t "${K[@]}" -L 2>&1)
    if echo "$out" | grep -q " 1 brokers:" && echo "$out" | grep -q 'topic "kc-meta" with 3 partitions'; then
        pass kcat.metadata
    else
        fail kcat.metadata "unexpected kcat -L output: $(echo "$out" | head -n 6 | tr '\n' ' ')"
    fi
else
    fail kcat.metadata "$err"
fi

# -P with keys (-K:), NULLs (-Z), headers (-H); -C with a format string.
if err=$(mk kc-kv 1); then
    printf 'k1:v1\nk2:hello world\n:v3\nk4:\n' |
        t "${K[@]}" -P -t kc-kv -p 0 -K: -Z -H h1=a -H h2=bb 2>"$ITEST_TMP/p.err"
    got=$(consume kc-kv '%p|%o|%K|%k|%S|%s|%h\n' 2>&1)
    want=$(printf '0|0|2|k1|2|v1|h1=a,h2=bb\n0|1|2|k2|11|hello world|h1=a,h2=bb\n0|2|-1||2|v3|h1=a,h2=bb\n0|3|2|k4|-1||h1=a,h2=bb')
    [ "$got" = "$want" ] && pass kcat.keys_headers_nulls ||
        fail kcat.keys_headers_nulls "got [$(echo "$got" | tr '\n' ';')] expected [$(echo "$want" | tr '\n' ';')] $(cat "$ITEST_TMP/p.err")"
    got=$(t "${K[@]}" -C -t kc-kv -o -2 -e -q -f '%o:%k\n' 2>&1)
    [ "$got" = "$(printf '2:\n3:k4')" ] && pass kcat.offset_from_end || fail kcat.offset_from_end "kcat -o -2 read [$(echo "$got" | tr '\n' ';')]"
else
    fail kcat.keys_headers_nulls "$err"
fi

# Several partitions.
if err=$(mk kc-parts 3); then
    for p in 0 1 2; do
        seq 1 50 | sed "s/^/p$p-/" | t "${K[@]}" -P -t kc-parts -p $p 2>>"$ITEST_TMP/p.err"
    done
    got=$(consume kc-parts '%p %o %s\n' | sort -k1,1n -k2,2n | md5sum)
    want=$(for p in 0 1 2; do for i in $(seq 1 50); do echo "$p $((i - 1)) p$p-$i"; done; done | md5sum)
    [ "$got" = "$want" ] && pass kcat.partitions || fail kcat.partitions "consumed messages differ from the 3x50 produced (partition/offset/value)"
else
    fail kcat.partitions "$err"
fi

# Every codec: round trip, and the batches are stored compressed on disk.
python3 -c '
for i in range(2000):
    print(f"line {i:05d} " + "compressible text " * (1 + i % 7))' >"$ITEST_TMP/lines.txt"
for codec in none gzip snappy lz4 zstd; do
    topic=kc-z-$codec
    if ! err=$(mk "$topic" 1); then fail "kcat.codec.$codec" "$err"; continue; fi
    if ! t "${K[@]}" -P -t "$topic" -p 0 -z "$codec" -X linger.ms=50 <"$ITEST_TMP/lines.txt" 2>"$ITEST_TMP/p.err"; then
        fail "kcat.codec.$codec" "kcat -P -z $codec failed: $(tail -n 2 "$ITEST_TMP/p.err")"
        continue
    fi
    consume "$topic" '%s\n' >"$ITEST_TMP/out.txt" 2>"$ITEST_TMP/c.err"
    if cmp -s "$ITEST_TMP/lines.txt" "$ITEST_TMP/out.txt"; then
        pass "kcat.codec.$codec"
    else
        fail "kcat.codec.$codec" "consumed $(wc -l <"$ITEST_TMP/out.txt") lines, differing from the 2000 produced $(tail -n 1 "$ITEST_TMP/c.err")"
    fi
    seg=$(ls "$DATA/$topic-0/"*.log 2>/dev/null | head -n 1)
    stored=$( [ -n "$seg" ] && python3 "$ITEST_DIR/py/segtool.py" codec "$seg" 2>&1)
    [ "$stored" = "$codec" ] && pass "kcat.codec_stored.$codec" ||
        fail "kcat.codec_stored.$codec" "batches in ${seg:-(no segment)} use codec(s) '$stored', expected $codec; librdkafka 2.0.2 only compresses gzip/snappy/lz4 if the broker advertises Produce v0 (and lz4 also FindCoordinator v0), zstd needs Produce 7 + Fetch 10"
done

# -Q: offset for a timestamp.
if err=$(mk kc-ts 1); then
    seq 1 5 | t "${K[@]}" -P -t kc-ts -p 0
    sleep 0.3
    ts=$(date +%s%3N)
    sleep 0.3
    seq 6 10 | t "${K[@]}" -P -t kc-ts -p 0
    q1=$(t "${K[@]}" -Q -t "kc-ts:0:$ts" 2>&1)
    q0=$(t "${K[@]}" -Q -t "kc-ts:0:1000" 2>&1)
    if echo "$q1" | grep -Eq 'offset 5$' && echo "$q0" | grep -Eq 'offset 0$'; then
        pass kcat.query_timestamp
    else
        fail kcat.query_timestamp "kcat -Q at the timestamp between the two batches: '$q1' (expected offset 5); at ts 1000: '$q0' (expected offset 0)"
    fi
else
    fail kcat.query_timestamp "$err"
fi
broker_alive kcat.broker_survived && pass kcat.broker_survived
