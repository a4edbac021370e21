#!/usr/bin/env bash
# basin groups: --list, --describe shows offsets and lag, --reset-offsets
# --dry-run changes nothing, --execute --to-earliest restarts consumption
# from 0, --shift-by / --to-offset / --to-datetime plans, a reset of an
# active group is refused, --delete.
. "$(dirname "$0")/../lib.sh"
itest_init
if ! broker_start --override group.initial.rebalance.delay.ms=100; then
    fail console.groups "$BROKER_START_ERR"
    exit 1
fi
B=$BASIN_BIN
BS=(--bootstrap-server "$BOOTSTRAP")
G() { t "$B" groups "${BS[@]}" "$@"; }
# col NAME — prints column NAME of the describe table rows (stdin)
col() { awk -v c="$1" '/^GROUP /{for(i=1;i<=NF;i++) if($i==c) k=i; next} k && NF>=9 {print $k}'; }
sum() { awk '{s+=$1} END {print s+0}'; }

t "$B" topics "${BS[@]}" --create --topic cg-a --partitions 2 >/dev/null 2>&1
# explicit partitions keep the per-partition numbers deterministic
seq 1 5 | t "$B" produce "${BS[@]}" --topic cg-a --partition 0 >/dev/null 2>&1 || fail console.groups.setup "produce"
seq 6 10 | t "$B" produce "${BS[@]}" --topic cg-a --partition 1 >/dev/null 2>&1 || fail console.groups.setup "produce"
n=$(t "$B" consume "${BS[@]}" --topic cg-a --group cg1 --from-beginning --max-messages 10 2>/dev/null | wc -l)
[ "$n" = 10 ] && pass console.groups.consume_as_group || fail console.groups.consume_as_group "read $n of 10"

out=$(G --list 2>&1)
echo "$out" | grep -qx cg1 && pass console.groups.list || fail console.groups.list "$out"

seq 11 13 | t "$B" produce "${BS[@]}" --topic cg-a --partition 0 >/dev/null 2>&1
seq 14 15 | t "$B" produce "${BS[@]}" --topic cg-a --partition 1 >/dev/null 2>&1
out=$(G --describe --group cg1 2>&1)
cur=$(echo "$out" | col CURRENT-OFFSET | sum)
end=$(echo "$out" | col LOG-END-OFFSET | sum)
lag=$(echo "$out" | col LAG | sum)
[ "$cur" = 10 ] && [ "$end" = 15 ] && [ "$lag" = 5 ] && [[ $out == *"has no active members"* ]] &&
    pass console.groups.describe_lag || fail console.groups.describe_lag "current $cur end $end lag $lag: $out"

out=$(G --reset-offsets --group cg1 --topic cg-a --to-earliest --dry-run 2>&1)
new=$(echo "$out" | awk '$1=="cg1"{print $4}' | sum)
after=$(G --describe --group cg1 2>&1 | col CURRENT-OFFSET | sum)
[ "$new" = 0 ] && [[ $out == *NEW-OFFSET* ]] && [ "$after" = 10 ] && pass console.groups.dry_run_changes_nothing ||
    fail console.groups.dry_run_changes_nothing "plan sum $new, committed after $after: $out"

out=$(G --reset-offsets --group cg1 --topic cg-a:0 --shift-by -1000 2>&1)
[[ $out == *"No action will be performed"* ]] && [ "$(echo "$out" | awk '$1=="cg1"{print $3":"$4}')" = "0:0" ] &&
    pass console.groups.shift_by_clamped_default_dry_run || fail console.groups.shift_by_clamped_default_dry_run "$out"

out=$(G --reset-offsets --group cg1 --all-topics --to-offset 999999 --dry-run 2>&1)
[ "$(echo "$out" | awk '$1=="cg1"{print $4}' | sum)" = 15 ] && pass console.groups.to_offset_clamped ||
    fail console.groups.to_offset_clamped "$out"

out=$(G --reset-offsets --group cg1 --all-topics --to-datetime 2000-01-01T00:00:00.000 --dry-run 2>&1)
[ "$(echo "$out" | awk '$1=="cg1"{print $4}' | sum)" = 0 ] && pass console.groups.to_datetime ||
    fail console.groups.to_datetime "$out"

out=$(G --reset-offsets --group cg1 --topic cg-a --to-earliest --execute 2>&1) ||
    fail console.groups.execute "exit $?: $out"
after=$(G --describe --group cg1 2>&1 | col CURRENT-OFFSET | sum)
n=$(t "$B" consume "${BS[@]}" --topic cg-a --group cg1 --max-messages 15 --timeout-ms 8000 2>/dev/null | wc -l)
[ "$after" = 0 ] && [ "$n" = 15 ] && pass console.groups.execute_to_earliest ||
    fail console.groups.execute_to_earliest "committed sum after reset $after, then read $n of 15"

# an active member blocks --execute
"$B" consume "${BS[@]}" --topic cg-a --group cg1 --timeout-ms 15000 >/dev/null 2>"$ITEST_TMP/bg.err" &
cpid=$!
active=0
for _ in $(seq 1 100); do
    if G --describe --group cg1 2>/dev/null | col CONSUMER-ID | grep -qv '^-$'; then active=1; break; fi
    sleep 0.1
done
out=$(G --reset-offsets --group cg1 --topic cg-a --to-earliest --execute 2>&1)
rc=$?
[ $active = 1 ] && [ $rc = 1 ] && [[ $out == *"can only be reset if the group 'cg1' is inactive"* ]] &&
    pass console.groups.active_group_refused || fail console.groups.active_group_refused "active=$active exit $rc: $out"
kill -TERM $cpid 2>/dev/null
wait $cpid 2>/dev/null

# the member's LeaveGroup may still be settling: retry NON_EMPTY_GROUP briefly
for _ in $(seq 1 50); do
    out=$(G --delete --group cg1 2>&1) && break
    [[ $out == *NON_EMPTY_GROUP* ]] || break
    sleep 0.1
done
[[ $out == *"Deletion of requested consumer group ('cg1') was successful."* ]] && ! G --list 2>/dev/null | grep -qx cg1 &&
    pass console.groups.delete || fail console.groups.delete "$out"
out=$(G --describe --group cg-none 2>&1)
rc=$?
[ $rc = 1 ] && [[ $out == *"consumer group 'cg-none' does not exist"* ]] && pass console.groups.describe_missing ||
    fail console.groups.describe_missing "exit $rc: $out"
broker_alive console.groups.broker_survived && pass console.groups.broker_survived
