#!/usr/bin/env bash
# Console tools and basin up/status on bad arguments (exit 2, a message
# naming the problem), --help (exit 0), and an unreachable cluster (exit 1
# within a bounded time, a message naming the address).
. "$(dirname "$0")/../lib.sh"
itest_init
B=$BASIN_BIN

# expect NAME CODE TEXT CMD... — CMD exits with CODE and prints TEXT
expect() {
    local name=$1 code=$2 text=$3 out rc
    shift 3
    out=$(t "$@" 2>&1)
    rc=$?
    if [ $rc = "$code" ] && [[ $out == *"$text"* ]]; then
        pass "$name"
    else
        fail "$name" "exit $rc (want $code), output: $(echo "$out" | head -n 3 | tr '\n' ' ')"
    fi
}
BS=(--bootstrap-server 127.0.0.1:1)
for tool in topics produce consume groups up status; do
    expect console.errors.help_$tool 0 "usage: basin $tool" "$B" $tool --help
done
expect console.errors.unknown_option 2 "unknown option --bogus" "$B" topics "${BS[@]}" --list --bogus
expect console.errors.no_action 2 "give one of --create, --list" "$B" topics "${BS[@]}"
expect console.errors.two_actions 2 "got --create and --list" "$B" topics "${BS[@]}" --create --list
expect console.errors.no_bootstrap 2 "missing required option --bootstrap-server" "$B" topics --list
expect console.errors.bad_partitions 2 "--partitions must be an integer in 1..1000000, got 'many'" \
    "$B" topics "${BS[@]}" --create --topic x --partitions many
expect console.errors.bad_topic_name 2 "illegal character '/'" "$B" topics "${BS[@]}" --create --topic a/b
expect console.errors.missing_value 2 "option --topic needs a value" "$B" produce "${BS[@]}" --topic
expect console.errors.produce_no_topic 2 "missing required option --topic" "$B" produce "${BS[@]}"
expect console.errors.unknown_property 2 "unknown --property 'parse.kye'" "$B" produce "${BS[@]}" --topic x --property parse.kye=true
expect console.errors.bad_bool 2 "--property parse.key must be true or false, got 'yes'" "$B" produce "${BS[@]}" --topic x --property parse.key=yes
expect console.errors.bad_codec 2 "--compression-codec 'brotli' is not one of" "$B" produce "${BS[@]}" --topic x --compression-codec brotli
expect console.errors.offset_needs_partition 2 "--offset needs --partition" "$B" consume "${BS[@]}" --topic x --offset 5
expect console.errors.bad_offset 2 "--offset (earliest, latest or a number) must be an integer" "$B" consume "${BS[@]}" --topic x --partition 0 --offset soon
expect console.errors.bad_isolation 2 "--isolation-level 'dirty'" "$B" consume "${BS[@]}" --topic x --isolation-level dirty
expect console.errors.reset_needs_method 2 "needs exactly one of --to-earliest" "$B" groups "${BS[@]}" --reset-offsets --group g --all-topics
expect console.errors.reset_needs_scope 2 "needs either --topic or --all-topics" "$B" groups "${BS[@]}" --reset-offsets --group g --to-latest
expect console.errors.bad_datetime 2 "--to-datetime 'yesterday' is not of the form" "$B" groups "${BS[@]}" --reset-offsets --group g --all-topics --to-datetime yesterday
expect console.errors.describe_needs_group 2 "--describe needs --group" "$B" groups "${BS[@]}" --describe
expect console.errors.up_bad_port 2 "--broker-port must be an integer in 1..65535, got '99999'" "$B" up --broker-port 99999
expect console.errors.up_same_ports 2 "--broker-port and --registry-port are both 7000" "$B" up --broker-port 7000 --registry-port 7000
expect console.errors.status_not_running 3 "basin up is not running" "$B" status --data-dir "$ITEST_TMP/none"

# unreachable cluster: refused connections end in seconds, not the full timeout
for tool in "topics --list" "groups --list" "consume --topic x"; do
    s=$SECONDS
    name=console.errors.unreachable_${tool%% *}
    expect "$name" 1 "cannot reach the Kafka cluster at 127.0.0.1:1" "$B" $tool "${BS[@]}"
    [ $((SECONDS - s)) -le 12 ] || fail "$name.bounded" "took $((SECONDS - s)) s"
done
s=$SECONDS
expect console.errors.unreachable_produce 1 "cannot reach the Kafka cluster at 127.0.0.1:1" \
    bash -c "echo x | '$B' produce --bootstrap-server 127.0.0.1:1 --topic x"
# a black hole on loopback (accepts connections, never answers): bounded by
# --timeout-connect-ms
HOLE=$(pick_port)
python3 -c "import socket,time; s=socket.socket(); s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1); s.bind(('127.0.0.1', $HOLE)); s.listen(16); time.sleep(30)" &
hole_pid=$!
wait_port "$HOLE" 5
s=$SECONDS
expect console.errors.timeout_connect 1 "cannot reach the Kafka cluster at 127.0.0.1:$HOLE within" \
    "$B" topics --bootstrap-server 127.0.0.1:$HOLE --list --timeout-connect-ms 2000
[ $((SECONDS - s)) -le 6 ] && pass console.errors.timeout_connect_bounded ||
    fail console.errors.timeout_connect_bounded "took $((SECONDS - s)) s with --timeout-connect-ms 2000"
kill $hole_pid 2>/dev/null
wait $hole_pid 2>/dev/null || true
