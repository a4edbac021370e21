#!/usr/bin/env bash
# basin up from an empty directory: every service healthy (and announced)
# quickly, basin status reports them, the console tools work against it, a
# second `basin up` on the same directory is refused, a child killed with
# kill -9 is restarted, and SIGTERM stops everything (no process left).
. "$(dirname "$0")/../lib.sh"
itest_init
UP_PID=
up_cleanup() {
    if [ -n "$UP_PID" ] && kill -0 "$UP_PID" 2>/dev/null; then
        kill -9 "$UP_PID" 2>/dev/null
        wait "$UP_PID" 2>/dev/null
    fi
    # children die with the supervisor (PR_SET_PDEATHSIG); make sure anyway
    if [ -f "$ITEST_TMP/up/up.state" ]; then
        for p in $(sed -n 's/^service name=[^ ]* pid=\([0-9]*\).*/\1/p' "$ITEST_TMP/up/up.state"); do
            [ "$p" != 0 ] && kill -9 "$p" 2>/dev/null
        done
    fi
    itest_cleanup
}
trap up_cleanup EXIT
B=$BASIN_BIN
D=$ITEST_TMP/up
RPORT=$(pick_port)
while [ "$RPORT" = "$BROKER_PORT" ]; do RPORT=$(pick_port); done
has_registry=0
"$B" registry --help >/dev/null 2>&1 && has_registry=1

s0=$(date +%s%N)
"$B" up --data-dir "$D" --broker-port "$BROKER_PORT" --registry-port "$RPORT" \
    --broker-override group.initial.rebalance.delay.ms=100 >"$ITEST_TMP/up.out" 2>"$ITEST_TMP/up.err" &
UP_PID=$!
up_ok=0
for _ in $(seq 1 300); do
    grep -q '^Basin is up' "$ITEST_TMP/up.out" && { up_ok=1; break; }
    kill -0 $UP_PID 2>/dev/null || break
    sleep 0.05
done
ms=$((($(date +%s%N) - s0) / 1000000))
if [ $up_ok != 1 ]; then
    fail up.healthy "not up within 15 s: $(tail -n 5 "$ITEST_TMP/up.err" | tr '\n' ' ')"
    exit 1
fi
pass up.healthy
echo "# basin up: all healthy and announced after $ms ms"
[ $ms -le 2000 ] && pass up.healthy_within_2s || fail up.healthy_within_2s "took $ms ms"
[ -d "$D/broker" ] && [ -f "$D/logs/broker.log" ] && [ -f "$D/up.state" ] && pass up.layout ||
    fail up.layout "$(ls -R "$D" | head -n 20 | tr '\n' ' ')"
grep -q "broker  *127.0.0.1:$BROKER_PORT" "$ITEST_TMP/up.out" && pass up.prints_endpoints ||
    fail up.prints_endpoints "$(cat "$ITEST_TMP/up.out")"
if [ $has_registry = 1 ]; then
    grep -q "schema-registry  *http://127.0.0.1:$RPORT" "$ITEST_TMP/up.out" &&
        curl -sf -m 5 "http://127.0.0.1:$RPORT/subjects" >/dev/null && pass up.registry ||
        fail up.registry "$(cat "$ITEST_TMP/up.out")"
else
    skip up.registry "this build has no basin registry"
fi

out=$("$B" status --data-dir "$D" 2>&1)
rc=$?
[ $rc = 0 ] && [[ $out == *"broker"*"running"*"healthy"* ]] && pass up.status ||
    fail up.status "exit $rc: $out"

BS=(--bootstrap-server "127.0.0.1:$BROKER_PORT")
t "$B" topics "${BS[@]}" --create --topic up-a --partitions 1 >/dev/null 2>&1
printf 'k:v\n' | t "$B" produce "${BS[@]}" --topic up-a --property parse.key=true --property key.separator=: 2>/dev/null
out=$(t "$B" consume "${BS[@]}" --topic up-a --from-beginning --max-messages 1 --property print.key=true 2>/dev/null)
[ "$out" = $'k\tv' ] && pass up.tools_work || fail up.tools_work "read back '$out'"

out=$(t "$B" up --data-dir "$D" --broker-port "$(pick_port)" --registry-port "$(pick_port)" 2>&1)
rc=$?
[ $rc = 1 ] && [[ $out == *"already running with data directory"* ]] && pass up.second_up_refused ||
    fail up.second_up_refused "exit $rc: $out"

state_pid() { sed -n "s/^service name=$1 pid=\([0-9]*\).*/\1/p" "$D/up.state"; }
old=$(state_pid broker)
kill -9 "$old"
restarted=0
for _ in $(seq 1 200); do
    new=$(state_pid broker)
    if [ -n "$new" ] && [ "$new" != "$old" ] && [ "$new" != 0 ] && "$B" status --data-dir "$D" >/dev/null 2>&1; then
        restarted=1
        break
    fi
    sleep 0.05
done
[ $restarted = 1 ] && grep -q "broker was killed by signal 9" "$ITEST_TMP/up.err" && pass up.restart_after_kill9 ||
    fail up.restart_after_kill9 "old pid $old, state: $(cat "$D/up.state" | tr '\n' ' ')"
out=$(t "$B" consume "${BS[@]}" --topic up-a --from-beginning --max-messages 1 2>/dev/null)
[ "$out" = v ] && pass up.data_survives_restart || fail up.data_survives_restart "read back '$out'"

children=$(sed -n 's/^service name=[^ ]* pid=\([0-9]*\).*/\1/p' "$D/up.state")
kill -TERM $UP_PID
stopped=0
for _ in $(seq 1 300); do
    kill -0 $UP_PID 2>/dev/null || { stopped=1; break; }
    sleep 0.05
done
wait $UP_PID 2>/dev/null
rc=$?
left=""
for p in $children; do kill -0 "$p" 2>/dev/null && left="$left $p"; done
[ $stopped = 1 ] && [ $rc = 0 ] && [ -z "$left" ] && ! pgrep -f -- "$D" >/dev/null &&
    pass up.clean_stop || fail up.clean_stop "stopped=$stopped exit=$rc left:$left $(pgrep -af -- "$D")"
UP_PID=
out=$("$B" status --data-dir "$D" 2>&1)
[ $? = 3 ] && pass up.status_after_stop || fail up.status_after_stop "$out"

# kill -9 of the supervisor: children go too (PR_SET_PDEATHSIG)
"$B" up --data-dir "$D" --broker-port "$BROKER_PORT" --registry-port "$RPORT" >/dev/null 2>&1 &
UP_PID=$!
for _ in $(seq 1 200); do "$B" status --data-dir "$D" >/dev/null 2>&1 && break; sleep 0.05; done
kill -9 $UP_PID
wait $UP_PID 2>/dev/null
UP_PID=
gone=0
for _ in $(seq 1 200); do
    pgrep -f -- "$D" >/dev/null || { gone=1; break; }
    sleep 0.05
done
[ $gone = 1 ] && pass up.children_follow_supervisor || fail up.children_follow_supervisor "$(pgrep -af -- "$D")"
