#!/usr/bin/env bash
# 98_rest_streaming.sh — REST Proxy v3 streaming produce: a chunked POST
# .../records body fed record by record with pauses, from a raw-socket python3
# client. Checks that every record is produced while the body is still open
# (kcat reads them before the client sends the last chunk), that the answer
# is a chunked 200 with one delivery report per record, in body order
# (partitions/offsets cross-checked with kcat, a bad partition is that
# record's 404), that record boundaries may fall anywhere in the chunks
# (2000 records in 7-byte chunks), that a truncated last record is
# reported as a failed record, and that a client leaving in mid-body does not
# hurt the proxy (its complete records are still produced).
#
# Full duplex (the REST Proxy's own HTTP/1.1 engine, src/http/h1.c): the
# reports go out while the body is still open. The ping-pong client sends
# record N+1 only after it has read the delivery report of record N, on one
# chunked request (20 records; offsets cross-checked with kcat); a
# half-duplex server deadlocks it (bounded by a 10 s socket timeout: FAIL).
. "$(dirname "$0")/../lib.sh"
itest_init
command -v python3 >/dev/null || { skip rest_streaming "python3 is not installed"; exit 0; }
command -v kcat >/dev/null || { skip rest_streaming "kcat is not installed"; exit 0; }
command -v jq >/dev/null || { skip rest_streaming "jq is not installed"; exit 0; }

REST_PID=
REST_PORT=$(pick_port)
REST=http://127.0.0.1:$REST_PORT
REST_LOG=$ITEST_TMP/rest.log
stop_pid() { [ -n "$1" ] && { kill -TERM "$1" 2>/dev/null; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done; kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; }; }
trap 'stop_pid "$REST_PID"; itest_cleanup' EXIT

broker_start || { fail broker_start "$BROKER_START_ERR"; exit 1; }
"$BASIN_BIN" rest --override "bootstrap.servers=$BOOTSTRAP" \
    --override "listeners=http://127.0.0.1:$REST_PORT" >>"$REST_LOG" 2>&1 &
REST_PID=$!
wait_port "$REST_PORT" 20 "$REST_PID" || { fail rest_start "$(tail -n 3 "$REST_LOG")"; exit 1; }

CID=$(curl -s -m 10 "$REST/v3/clusters" | jq -r '.data[0].cluster_id')
C=/v3/clusters/$CID
for t in st98 bulk98 pp98; do
    code=$(curl -s -m 20 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
        --data-binary "{\"topic_name\":\"$t\",\"partitions_count\":3}" "$REST$C/topics")
    [ "$code" = 201 ] || fail "create_$t" "HTTP $code"
done

cat >"$ITEST_TMP/client.py" <<'PY'
import json, socket, subprocess, sys, time

port, path, mode, bootstrap = int(sys.argv[1]), sys.argv[2], sys.argv[3], sys.argv[4]

def kcat_count(topic):
    out = subprocess.run(["kcat", "-b", bootstrap, "-C", "-t", topic, "-o", "beginning", "-e", "-q",
                          "-f", "%s\n"], capture_output=True, text=True, timeout=20).stdout
    return len(out.splitlines())

def chunk(b):
    return b"%x\r\n" % len(b) + b + b"\r\n"

s = socket.create_connection(("127.0.0.1", port), timeout=30)
s.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
s.sendall(("POST %s HTTP/1.1\r\nHost: t\r\nContent-Type: application/json\r\n"
           "Transfer-Encoding: chunked\r\n\r\n" % path).encode())
result = {}
if mode == "abort":  # the client goes away in mid-body
    for i in range(3):
        s.sendall(chunk(json.dumps({"value": {"type": "STRING", "data": "a%d" % i}}).encode()))
    time.sleep(0.3)
    s.close()
    print(json.dumps({"aborted": True}))
    sys.exit(0)
if mode == "pingpong":  # record N+1 only after the report of record N
    s.settimeout(10)
    raw, body, reps, head, done = b"", b"", [], None, False
    dec = json.JSONDecoder()

    def pump():
        """Reads once; decodes complete chunks and the reports in them."""
        global raw, body, head, done
        d = s.recv(65536)
        if not d:
            raise EOFError("connection closed")
        raw += d
        if head is None:
            if b"\r\n\r\n" not in raw:
                return
            head, _, raw = raw.partition(b"\r\n\r\n")
        while True:
            line, sep, rest = raw.partition(b"\r\n")
            if not sep:
                return
            n = int(line.split(b";")[0], 16)
            if n == 0:
                done = True
                return
            if len(rest) < n + 2:
                return
            body += rest[:n]
            raw = rest[n + 2:]
            text = body.decode()
            pos = 0
            while True:
                while pos < len(text) and text[pos] in " \r\n\t,":
                    pos += 1
                if pos >= len(text):
                    break
                try:
                    o, pos = dec.raw_decode(text, pos)
                except ValueError:
                    break
                reps.append(o)
            body = text[pos:].encode()

    try:
        for i in range(20):
            rec = {"partition_id": i % 3, "value": {"type": "STRING", "data": "p%d" % i}}
            s.sendall(chunk(json.dumps(rec).encode()))
            while len(reps) <= i:
                pump()
        s.sendall(b"0\r\n\r\n")
        while not done:
            pump()
    except (socket.timeout, EOFError) as e:
        result["error"] = "%s after %d reports" % (e or "timeout", len(reps))
    result["status"] = int(head.split()[1]) if head else 0
    result["reports"] = reps
    print(json.dumps(result))
    sys.exit(0)
if mode == "slow":
    recs = [{"partition_id": i % 3, "value": {"type": "STRING", "data": "v%d" % i}} for i in range(6)]
    recs.insert(3, {"partition_id": 99, "value": {"type": "STRING", "data": "bad"}})
    for r in recs:
        s.sendall(chunk(json.dumps(r).encode() + b"\n"))
        time.sleep(0.2)
    # every good record must be in Kafka while the body is still open
    seen = 0
    for _ in range(50):
        seen = kcat_count("st98")
        if seen >= 6:
            break
        time.sleep(0.1)
    result["produced_before_end"] = seen
    s.setblocking(False)
    try:
        early = s.recv(1)
    except BlockingIOError:
        early = b""
    s.setblocking(True)
    result["bytes_before_end"] = len(early)
    buf = early
else:  # bulk: 2000 records cut into 7-byte chunks, plus a truncated tail
    body = b"".join(json.dumps({"key": {"type": "STRING", "data": "k%d" % i},
                                "value": {"type": "JSON", "data": {"n": i}}}).encode()
                    for i in range(2000)) + b'{"value":{"type":"STRING","da'
    msg = b"".join(chunk(body[i:i + 7]) for i in range(0, len(body), 7))
    s.sendall(msg)
    buf = b""
t_end = time.monotonic()
s.sendall(b"0\r\n\r\n")
first_at = None
while b"\r\n0\r\n\r\n" not in buf:
    d = s.recv(65536)
    if not d:
        break
    if first_at is None:
        first_at = time.monotonic() - t_end
    buf += d
head, _, rest = buf.partition(b"\r\n\r\n")
result["status"] = int(head.split()[1])
result["chunked"] = b"transfer-encoding: chunked" in head.lower()
body = b""
while True:
    line, _, rest = rest.partition(b"\r\n")
    n = int(line, 16)
    if n == 0:
        break
    body += rest[:n]
    rest = rest[n + 2:]
dec, text, pos, reps = json.JSONDecoder(), body.decode(), 0, []
while pos < len(text):
    while pos < len(text) and text[pos] in " \r\n\t,":
        pos += 1
    if pos >= len(text):
        break
    o, pos = dec.raw_decode(text, pos)
    reps.append(o)
result["reports"] = reps
result["first_report_after_end_ms"] = round((first_at or 0) * 1000, 1)
print(json.dumps(result))
PY

# ---- slow: records paced 200 ms apart ----
R=$(timeout 60 python3 "$ITEST_TMP/client.py" "$REST_PORT" "$C/topics/st98/records" slow "$BOOTSTRAP" 2>&1)
echo "$R" | jq -e '.produced_before_end == 6' >/dev/null 2>&1 &&
    pass streaming_produced_while_body_open ||
    fail streaming_produced_while_body_open "$R"
echo "info: first report $(echo "$R" | jq -r .first_report_after_end_ms) ms after the end of the body ($(echo "$R" | jq -r .bytes_before_end) response bytes before it)"
echo "$R" | jq -e '.bytes_before_end > 0' >/dev/null 2>&1 &&
    pass streaming_reports_before_body_end ||
    fail streaming_reports_before_body_end "$R"
echo "$R" | jq -e '.status == 200 and .chunked and (.reports | length) == 7' >/dev/null 2>&1 &&
    pass streaming_chunked_one_report_per_record ||
    fail streaming_chunked_one_report_per_record "$R"
# body order: v0 v1 v2 (bad) v3 v4 v5, partitions i % 3
echo "$R" | jq -e '[.reports[] | .partition_id // "E"] == [0,1,2,"E",0,1,2]
    and .reports[3].error_code == 404
    and ([.reports[0,1,2] | .offset] == [0,0,0]) and ([.reports[4,5,6] | .offset] == [1,1,1])
    and all(.reports[0,1,2,4,5,6]; .error_code == 200 and .topic_name == "st98")' >/dev/null 2>&1 &&
    pass streaming_reports_in_order ||
    fail streaming_reports_in_order "$R"
# cross-check partition/offset -> value with kcat
want=$(echo "$R" | jq -r '.reports | to_entries[] | select(.value.error_code == 200) | "\(.value.partition_id) \(.value.offset)"' | sort)
got=$(timeout 20 kcat -b "$BOOTSTRAP" -C -t st98 -o beginning -e -q -f '%p %o %s\n' | sort)
exp=$(printf '0 0 v0\n0 1 v3\n1 0 v1\n1 1 v4\n2 0 v2\n2 1 v5\n')
if [ "$got" = "$exp" ] && [ "$(echo "$got" | cut -d' ' -f1,2)" = "$want" ]; then
    pass streaming_kcat_cross_check
else
    fail streaming_kcat_cross_check "kcat: $got / reports: $want"
fi

# ---- ping-pong: one record at a time, each after the previous report ----
R=$(timeout 60 python3 "$ITEST_TMP/client.py" "$REST_PORT" "$C/topics/pp98/records" pingpong "$BOOTSTRAP" 2>&1)
echo "$R" | jq -e '(has("error") | not) and .status == 200 and (.reports | length) == 20
    and all(.reports[]; .error_code == 200 and .topic_name == "pp98")
    and ([.reports[] | .partition_id] == [range(0; 20) | . % 3])
    and ([.reports[] | .offset] == [range(0; 20) | (. / 3 | floor)])' >/dev/null 2>&1 &&
    pass streaming_ping_pong ||
    fail streaming_ping_pong "$(echo "$R" | head -c 600)"
want=$(echo "$R" | jq -r '.reports | to_entries[] | "\(.value.partition_id) \(.value.offset) p\(.key)"' 2>/dev/null | sort)
got=$(timeout 20 kcat -b "$BOOTSTRAP" -C -t pp98 -o beginning -e -q -f '%p %o %s\n' | sort)
[ -n "$want" ] && [ "$got" = "$want" ] && pass streaming_ping_pong_kcat ||
    fail streaming_ping_pong_kcat "kcat: $(echo "$got" | head -3) / reports: $(echo "$want" | head -3)"

# ---- bulk: record boundaries anywhere in the chunks ----
R=$(timeout 90 python3 "$ITEST_TMP/client.py" "$REST_PORT" "$C/topics/bulk98/records" bulk "$BOOTSTRAP" 2>&1)
echo "$R" | jq -e '.status == 200 and (.reports | length) == 2001
    and all(.reports[0:2000][]; .error_code == 200 and .key.size > 1)
    and .reports[2000].error_code == 400' >/dev/null 2>&1 &&
    pass streaming_bulk_2000_records ||
    fail streaming_bulk_2000_records "$(echo "$R" | head -c 600)"
# per partition, offsets of the reports follow body order: 0, 1, 2, ...
ok=$(echo "$R" | jq '[range(0;3) as $p | [.reports[0:2000][] | select(.partition_id == $p) | .offset] | . == [range(0; length)]] | all')
n=$(timeout 30 kcat -b "$BOOTSTRAP" -C -t bulk98 -o beginning -e -q -f '%s\n' | wc -l)
if [ "$ok" = true ] && [ "$n" = 2000 ]; then pass streaming_bulk_offsets_in_order; else fail streaming_bulk_offsets_in_order "ordered=$ok kcat=$n"; fi
echo "info: bulk: first report $(echo "$R" | jq -r .first_report_after_end_ms) ms after the end of the body"

# a client that disconnects in mid-body: its complete records are produced,
# the proxy keeps serving (the stream is torn down without a reply)
timeout 30 python3 "$ITEST_TMP/client.py" "$REST_PORT" "$C/topics/bulk98/records" abort "$BOOTSTRAP" >/dev/null 2>&1
n=0
for _ in $(seq 1 50); do
    n=$(timeout 20 kcat -b "$BOOTSTRAP" -C -t bulk98 -o beginning -e -q -f '%s\n' | grep -c '^a[0-9]$')
    [ "$n" = 3 ] && break
    sleep 0.1
done
[ "$n" = 3 ] && pass streaming_client_abort || fail streaming_client_abort "records produced: $n"

# the ordinary (Content-Length) form still answers one record with its status
code=$(curl -s -m 20 -o /dev/null -w '%{http_code}' -X POST -H 'Content-Type: application/json' \
    --data-binary '{"partition_id":99,"value":{"type":"STRING","data":"x"}}' "$REST$C/topics/st98/records")
[ "$code" = 404 ] && pass plain_single_record_status || fail plain_single_record_status "HTTP $code"

kill -0 "$REST_PID" 2>/dev/null && pass rest_alive || fail rest_alive "$(tail -n 3 "$REST_LOG")"
grep -q "ERROR" "$REST_LOG" && fail rest_log_clean "$(grep ERROR "$REST_LOG" | head -3)" || pass rest_log_clean
