#!/usr/bin/env bash
# CreateTopics and CreatePartitions with many partitions: the broker builds
# them in slices and keeps serving other connections meanwhile (a Metadata round trip by
# another client stays fast while 3,000 partitions are created); the topic
# is invisible until complete, a second create of the same name meanwhile
# gets TOPIC_ALREADY_EXISTS, and the result has every partition. A request
# that would exceed the broker's open-files limit is refused up front with a
# message naming the limit (broker started under `ulimit -n 600`), and the
# client leaving mid-creation leaves no half-made topic behind; partitions
# being added are invisible until all are there (a concurrent second request
# gets REASSIGNMENT_IN_PROGRESS; deleting the topic meanwhile leaves nothing).
. "$(dirname "$0")/../lib.sh"
itest_init
command -v kcat >/dev/null || { skip create_large "kcat is not installed"; exit 0; }
if ! broker_start; then
    fail create_large "$BROKER_START_ERR"
    exit 1
fi
T() { t "$BASIN_BIN" topics --bootstrap-server "$BOOTSTRAP" "$@"; }
ms() { date +%s%3N; }

# --- responsiveness while 1,500 partitions are created ---
T --create --topic cl-small --partitions 1 >/dev/null 2>&1
T_LIMIT=120 T --create --topic cl-big --partitions 3000 >"$ITEST_TMP/create.out" 2>&1 &
CPID=$!
t0=$(ms)
worst=0 probes=0 dup=
while kill -0 "$CPID" 2>/dev/null; do
    s=$(ms)
    kcat -b "$BOOTSTRAP" -L -t cl-small -m 10 >/dev/null 2>&1
    d=$(($(ms) - s))
    [ $d -gt $worst ] && worst=$d
    probes=$((probes + 1))
    if [ -z "$dup" ]; then # a second create of the name while it is built
        dup=$(T --create --topic cl-big --partitions 2 2>&1)
    fi
    sleep 0.02
done
wait "$CPID"
rc=$?
took=$(($(ms) - t0))
out=$(cat "$ITEST_TMP/create.out")
[ $rc = 0 ] && [ "$out" = "Created topic cl-big." ] && pass create_large.created ||
    fail create_large.created "exit $rc: $out"
desc=$(T --describe --topic cl-big 2>&1 | head -n 1)
[[ $desc == *"PartitionCount: 3000"* ]] && pass create_large.all_partitions ||
    fail create_large.all_partitions "$desc"
echo "# creation took ${took} ms; $probes metadata probe(s) meanwhile, slowest ${worst} ms"
# NAME: passes when no probe waited anywhere near as long as the whole
# creation (a broker that stalls while creating makes one probe wait for
# most of it); skips when the work was too quick to tell the two apart
responsive() {
    if [ "$took" -lt 600 ] || [ "$probes" -lt 2 ]; then
        skip "$1" "the partitions were created in ${took} ms: too fast to watch the broker meanwhile"
    elif [ $((worst * 2)) -lt "$took" ]; then
        pass "$1"
    else
        fail "$1" "$probes probe(s), slowest metadata round trip ${worst} ms of ${took} ms"
    fi
}
responsive create_large.broker_responsive
if [ "$probes" -lt 2 ]; then
    skip create_large.duplicate_while_building "creation finished before a second create could be sent"
elif [[ $dup == *TOPIC_ALREADY_EXISTS* ]]; then
    pass create_large.duplicate_while_building
else
    fail create_large.duplicate_while_building "second create said: $dup"
fi

# --- CreatePartitions in slices too ---
T --delete --topic cl-big >/dev/null 2>&1 # its files: room under the open-files limit
T --create --topic cl-grow --partitions 1 >/dev/null 2>&1
T_LIMIT=120 T --alter --topic cl-grow --partitions 3001 >"$ITEST_TMP/grow.out" 2>&1 &
GPID=$!
t0=$(ms)
worst=0 probes=0 second=
while kill -0 "$GPID" 2>/dev/null; do
    s=$(ms)
    kcat -b "$BOOTSTRAP" -L -t cl-small -m 10 >/dev/null 2>&1
    d=$(($(ms) - s))
    [ $d -gt $worst ] && worst=$d
    probes=$((probes + 1))
    [ -z "$second" ] && second=$(T --alter --topic cl-grow --partitions 3500 2>&1)
    sleep 0.02
done
wait "$GPID"
rc=$?
took=$(($(ms) - t0))
desc=$(T --describe --topic cl-grow 2>&1 | head -n 1)
[ $rc = 0 ] && [[ $desc == *"PartitionCount: 3001"* ]] && pass create_large.grow ||
    fail create_large.grow "exit $rc: $(cat "$ITEST_TMP/grow.out") / $desc"
echo "# adding partitions took ${took} ms; $probes metadata probe(s) meanwhile, slowest ${worst} ms"
responsive create_large.grow_responsive
if [ "$probes" -lt 2 ]; then
    skip create_large.grow_concurrent "the partitions were added before a second request could be sent"
elif [[ $second == *REASSIGNMENT_IN_PROGRESS* ]]; then
    pass create_large.grow_concurrent
else
    fail create_large.grow_concurrent "second alter said: $second"
fi

# deleting the topic while partitions are added: nothing of it stays
T --delete --topic cl-grow >/dev/null 2>&1 # its files: room under the open-files limit
T --create --topic cl-grow2 --partitions 1 >/dev/null 2>&1
T_LIMIT=120 T --alter --topic cl-grow2 --partitions 3001 >"$ITEST_TMP/grow2.out" 2>&1 &
GPID=$!
sleep 0.3
T --delete --topic cl-grow2 >/dev/null 2>&1
wait "$GPID"
rc=$?
out=$(cat "$ITEST_TMP/grow2.out")
left=$(find "$DATA" -maxdepth 1 -name 'cl-grow2-*' | wc -l)
if [ $rc != 0 ] && [[ $out == *UNKNOWN_TOPIC_OR_PART* ]] && [ "$left" = 0 ]; then
    pass create_large.grow_deleted
elif [ $rc = 0 ]; then
    skip create_large.grow_deleted "the partitions were added before the deletion"
else
    fail create_large.grow_deleted "exit $rc: $out; $left partition dir(s) left"
fi

# --- the client leaves mid-creation: nothing half-made stays ---
python3 - "$BROKER_PORT" <<'EOF' || fail create_large.abandon_request "could not send the request"
import socket, struct, sys
def s(x): b = x.encode(); return struct.pack(">h", len(b)) + b
topic = s("cl-gone") + struct.pack(">ihi", 3000, 1, 0) + struct.pack(">i", 0)
body = struct.pack(">i", 1) + topic + struct.pack(">ib", 60000, 0)
req = struct.pack(">hhi", 19, 2, 7) + s("itest") + body
c = socket.create_connection(("127.0.0.1", int(sys.argv[1])))
c.sendall(struct.pack(">i", len(req)) + req)
c.close() # before the answer
EOF
sleep 1
ok=
for _ in $(seq 1 100); do
    grep -q "creation of topic cl-gone abandoned" "$BROKER_LOG" && { ok=1; break; }
    grep -q "created topic cl-gone" "$BROKER_LOG" && break
    sleep 0.1
done
left=$(find "$DATA" -maxdepth 1 -name 'cl-gone-*' | wc -l)
list=$(T --list 2>&1)
if [ -n "$ok" ] && [ "$left" = 0 ] && ! grep -qx cl-gone <<<"$list"; then
    pass create_large.abandon_request
elif grep -q "created topic cl-gone" "$BROKER_LOG"; then
    skip create_large.abandon_request "the topic was complete before the client left"
else
    fail create_large.abandon_request "abandoned line: ${ok:-no}, $left partition dir(s) left, listed: $(grep -cx cl-gone <<<"$list")"
fi
broker_alive create_large.broker_survived && pass create_large.broker_survived
broker_stop || fail create_large.stop "$BROKER_STOP_ERR"

# --- the open-files limit is named up front ---
LPORT=$(pick_port)
(
    ulimit -n 600
    exec "$BASIN_BIN" broker --override "listeners=PLAINTEXT://127.0.0.1:$LPORT" \
        --override "log.dirs=$ITEST_TMP/data-lim"
) >>"$ITEST_TMP/lim.log" 2>&1 &
LPID=$!
if wait_port "$LPORT" 15 "$LPID"; then
    out=$(t "$BASIN_BIN" topics --bootstrap-server "127.0.0.1:$LPORT" --create --topic cl-lim --partitions 200 2>&1)
    rc=$?
    [ $rc != 0 ] && [[ $out == *INVALID_PARTITIONS* && $out == *"open-files limit is 600"* ]] &&
        pass create_large.fd_limit_named || fail create_large.fd_limit_named "exit $rc: $out"
    out=$(t "$BASIN_BIN" topics --bootstrap-server "127.0.0.1:$LPORT" --create --topic cl-lim --partitions 20 2>&1)
    [ "$out" = "Created topic cl-lim." ] && pass create_large.fd_limit_small_ok ||
        fail create_large.fd_limit_small_ok "$out"
    grep -q "open files limit: 600" "$ITEST_TMP/lim.log" && pass create_large.fd_limit_logged ||
        fail create_large.fd_limit_logged "$(head -n 5 "$ITEST_TMP/lim.log")"
else
    fail create_large.fd_limit_broker "broker under ulimit -n 600 did not start: $(tail -n 3 "$ITEST_TMP/lim.log")"
fi
kill -TERM "$LPID" 2>/dev/null
for _ in $(seq 1 100); do kill -0 "$LPID" 2>/dev/null || break; sleep 0.05; done
kill -9 "$LPID" 2>/dev/null
wait "$LPID" 2>/dev/null
true
