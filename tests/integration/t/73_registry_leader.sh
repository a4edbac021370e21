#!/usr/bin/env bash
# 73_registry_leader.sh — several Schema Registry instances on one Kafka:
# leader election through the group protocol (protocol type "sr", lowest
# eligible URL wins), followers forwarding writes, an ineligible instance,
# kill -9 of the leader (the survivor takes over and keeps accepting writes,
# no id issued twice), and 50004 when no eligible instance is left.
. "$(dirname "$0")/../lib.sh"
itest_init
command -v jq >/dev/null || { skip registry_leader "jq is not installed"; exit 0; }
declare -A PIDS
trap 'for p in "${PIDS[@]}"; do kill -9 "$p" 2>/dev/null; done; itest_cleanup' EXIT
CT='Content-Type: application/vnd.schemaregistry.v1+json'

reg_start() { # NAME PORT [overrides...]
    local name=$1 port=$2
    shift 2
    "$BASIN_BIN" registry --override "kafkastore.bootstrap.servers=$BOOTSTRAP" \
        --override "listeners=http://127.0.0.1:$port" --override host.name=127.0.0.1 \
        --override leader.election.session.timeout.ms=6000 "$@" \
        >>"$ITEST_TMP/registry-$name.log" 2>&1 &
    PIDS[$name]=$!
    wait_port "$port" 30 "${PIDS[$name]}"
}
# register PORT SUBJECT SCHEMA-TEXT -> prints the response body
register() {
    curl -s -m 30 -X POST -H "$CT" --data-binary "$(jq -cn --arg s "$3" '{schema:$s}')" \
        "http://127.0.0.1:$1/subjects/$2/versions"
}
# retry_register PORT SUBJECT SCHEMA DEADLINE_S -> body of the first success
retry_register() {
    local end=$((SECONDS + $4)) out
    while [ $SECONDS -lt $end ]; do
        out=$(register "$1" "$2" "$3")
        if echo "$out" | jq -e '.id' >/dev/null 2>&1; then echo "$out"; return 0; fi
        sleep 0.3
    done
    echo "$out"
    return 1
}

broker_start || { fail registry_leader "broker: $BROKER_START_ERR"; exit 1; }
P1=$(pick_port); P2=$(pick_port); P3=$(pick_port)
# the leader is the eligible instance with the smallest URL string
if [[ "http://127.0.0.1:$P1" < "http://127.0.0.1:$P2" ]]; then LEAD=a; LP=$P1; FOL=b; FP=$P2; else LEAD=b; LP=$P2; FOL=a; FP=$P1; fi
reg_start a "$P1" && reg_start b "$P2" && reg_start c "$P3" --override leader.eligibility=false ||
    { fail registry_leader "an instance did not start"; exit 1; }
pass registry_leader.three_instances_started

# a write on the follower is forwarded (the first write also waits for the election)
out=$(retry_register "$FP" s1 '"string"' 30) && pass registry_leader.follower_forwards ||
    fail registry_leader.follower_forwards "$out"
id1=$(echo "$out" | jq -r .id)
out=$(retry_register "$P3" s2 '"int"' 30) && pass registry_leader.ineligible_forwards ||
    fail registry_leader.ineligible_forwards "$out"
grep -q "leader: this instance" "$ITEST_TMP/registry-$LEAD.log" &&
    pass registry_leader.lowest_url_is_leader ||
    fail registry_leader.lowest_url_is_leader "instance $LEAD (port $LP) did not become the leader"
! grep -q "leader: this instance" "$ITEST_TMP/registry-$FOL.log" "$ITEST_TMP/registry-c.log" &&
    pass registry_leader.single_leader || fail registry_leader.single_leader "another instance also led"
# every instance serves what was written, from its own copy of _schemas
missing=
for p in "$P1" "$P2" "$P3"; do
    ok=0
    for _ in $(seq 1 50); do
        curl -s -m 5 "http://127.0.0.1:$p/schemas/ids/$id1" | jq -e '.schema == "\"string\""' >/dev/null 2>&1 && { ok=1; break; }
        sleep 0.1
    done
    [ $ok = 1 ] || missing+=" $p"
done
[ -z "$missing" ] && pass registry_leader.reads_everywhere || fail registry_leader.reads_everywhere "id $id1 not served on every instance"

# kill -9 the leader: the other eligible instance takes over
kill -9 "${PIDS[$LEAD]}"; wait "${PIDS[$LEAD]}" 2>/dev/null; unset "PIDS[$LEAD]"
t0=$SECONDS
out=$(retry_register "$FP" s3 '"long"' 40) && pass registry_leader.writes_after_leader_killed ||
    fail registry_leader.writes_after_leader_killed "$out"
echo "# failover took $((SECONDS - t0)) s"
id3=$(echo "$out" | jq -r .id)
out=$(retry_register "$P3" s4 '"float"' 40) && pass registry_leader.ineligible_forwards_to_new_leader ||
    fail registry_leader.ineligible_forwards_to_new_leader "$out"
id4=$(echo "$out" | jq -r .id)
[ "$id3" -gt 2 ] && [ "$id4" -gt "$id3" ] && pass registry_leader.ids_not_reissued ||
    fail registry_leader.ids_not_reissued "ids $id1, $id3, $id4"
grep -q "leader: this instance" "$ITEST_TMP/registry-$FOL.log" && pass registry_leader.survivor_leads ||
    fail registry_leader.survivor_leads "no takeover logged"
out=$(register "$FP" s1 '"string"')
[ "$(echo "$out" | jq -r .id)" = "$id1" ] && pass registry_leader.old_schema_kept || fail registry_leader.old_schema_kept "$out"

# only the ineligible instance left: writes fail with 50004 (reads still work)
kill -9 "${PIDS[$FOL]}"; wait "${PIDS[$FOL]}" 2>/dev/null; unset "PIDS[$FOL]"
end=$((SECONDS + 40))
while [ $SECONDS -lt $end ]; do
    out=$(register "$P3" s5 '"double"')
    echo "$out" | jq -e '.error_code == 50004' >/dev/null 2>&1 && break
    sleep 0.5
done
echo "$out" | jq -e '.error_code == 50004' >/dev/null 2>&1 && pass registry_leader.no_eligible_50004 ||
    fail registry_leader.no_eligible_50004 "$out"
curl -s -m 5 "http://127.0.0.1:$P3/schemas/ids/$id4" | jq -e '.schema == "\"float\""' >/dev/null 2>&1 &&
    pass registry_leader.reads_without_leader || fail registry_leader.reads_without_leader "id $id4"
kill -0 "${PIDS[c]}" 2>/dev/null && pass registry_leader.alive || fail registry_leader.alive "instance c died"
