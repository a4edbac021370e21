#!/usr/bin/env bash
# 97_rest_load.sh — the REST Proxy under connection load: 1,000 concurrent
# keep-alive connections each producing one record (all answered 200, every
# record in the topic), and slow clients — connections trickling their
# request headers a byte at a time, and readers that stop reading a large
# GET records response — while ordinary requests keep being answered
# promptly (each < 2 s) by the same proxy.
. "$(dirname "$0")/../lib.sh"
itest_init

REST_PID=
REST_PORT=$(pick_port)
REST_LOG=$ITEST_TMP/rest.log
stop_pid() { [ -n "$1" ] && { kill -TERM "$1" 2>/dev/null; for _ in $(seq 1 100); do kill -0 "$1" 2>/dev/null || break; sleep 0.05; done; kill -9 "$1" 2>/dev/null; wait "$1" 2>/dev/null; }; }
trap 'stop_pid "$REST_PID"; itest_cleanup' EXIT
[ "$(ulimit -n)" -ge 2200 ] || ulimit -n 4096 2>/dev/null || { skip rest_load "ulimit -n below 2200"; exit 0; }

broker_start || { fail broker_start "$BROKER_START_ERR"; exit 1; }
"$BASIN_BIN" topics --bootstrap-server "$BOOTSTRAP" --create --topic ld --partitions 3 >/dev/null 2>&1
"$BASIN_BIN" rest --override "bootstrap.servers=$BOOTSTRAP" \
    --override "listeners=http://127.0.0.1:$REST_PORT" >>"$REST_LOG" 2>&1 &
REST_PID=$!
wait_port "$REST_PORT" 20 "$REST_PID" || { fail rest_start "$(tail -n 3 "$REST_LOG")"; exit 1; }

# 1,000 connections at once: all opened first, then each sends its request
out=$(T_LIMIT=90 t python3 - "$REST_PORT" <<'PY' 2>&1
import socket, sys, time, selectors
port = int(sys.argv[1])
N = 1000
body = b'{"records":[{"value":"aGVsbG8="}]}'
req = (b"POST /topics/ld HTTP/1.1\r\nHost: x\r\nContent-Type: application/vnd.kafka.binary.v2+json\r\n"
       b"Content-Length: %d\r\n\r\n" % len(body)) + body
socks = []
for i in range(N):
    s = socket.create_connection(("127.0.0.1", port), timeout=30)
    socks.append(s)
for s in socks:
    s.sendall(req)
sel = selectors.DefaultSelector()
bufs = {}
for s in socks:
    s.setblocking(False)
    sel.register(s, selectors.EVENT_READ)
    bufs[s] = b""
done, ok, deadline = 0, 0, time.time() + 60
while done < N and time.time() < deadline:
    for key, _ in sel.select(timeout=1):
        s = key.fileobj
        d = s.recv(65536)
        bufs[s] += d
        b = bufs[s]
        if b"\r\n\r\n" in b:
            head, rest = b.split(b"\r\n\r\n", 1)
            cl = [int(l.split(b":")[1]) for l in head.split(b"\r\n") if l.lower().startswith(b"content-length:")]
            if cl and len(rest) >= cl[0]:
                if head.startswith(b"HTTP/1.1 200") and b'"error_code":null' in rest:
                    ok += 1
                done += 1
                sel.unregister(s)
        elif not d:
            done += 1
            sel.unregister(s)
print("answered=%d ok=%d open=%d" % (done, ok, len(socks)))
PY
)
if [ "$out" = "answered=1000 ok=1000 open=1000" ]; then pass thousand_connections; else fail thousand_connections "$out"; fi
total=0
for p in 0 1 2; do
    n=$(curl -s "http://127.0.0.1:$REST_PORT/topics/ld/partitions/$p/offsets" | sed -n 's/.*"end_offset":\([0-9]*\).*/\1/p')
    total=$((total + ${n:-0}))
done
[ "$total" = 1000 ] && pass thousand_records_stored || fail thousand_records_stored "end offsets sum to $total"

# slow clients: 200 header tricklers + 5 stalled readers of ~8 MB responses,
# while 50 ordinary requests are timed
t "$BASIN_BIN" produce --bootstrap-server "$BOOTSTRAP" --topic ld < <(python3 -c 'print(("x" * 200 + "\n") * 40000, end="")') >/dev/null 2>&1
out=$(T_LIMIT=90 t python3 - "$REST_PORT" <<'PY' 2>&1
import json, socket, sys, threading, time, http.client
port = int(sys.argv[1])
stop = False
def trickle():
    try:
        s = socket.create_connection(("127.0.0.1", port), timeout=30)
        for c in b"POST /topics/ld HTTP/1.1\r\nHost: x\r\nContent-Type: application/json\r\n":
            if stop:
                break
            s.send(bytes([c]))
            time.sleep(0.05)
        s.close()
    except OSError:
        pass
ts = [threading.Thread(target=trickle, daemon=True) for _ in range(200)]
for t in ts:
    t.start()
# stalled readers: consumer instances reading everything, never reading the answer
stalled = []
for i in range(5):
    c = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    H = {"Content-Type": "application/vnd.kafka.v2+json"}
    c.request("POST", "/consumers/slow%d" % i, json.dumps({"name": "s", "auto.offset.reset": "earliest"}), H); c.getresponse().read()
    c.request("POST", "/consumers/slow%d/instances/s/assignments" % i,
              json.dumps({"partitions": [{"topic": "ld", "partition": p} for p in range(3)]}), H); c.getresponse().read()
    s = socket.create_connection(("127.0.0.1", port))
    s.setsockopt(socket.SOL_SOCKET, socket.SO_RCVBUF, 4096)
    s.sendall(b"GET /consumers/slow%d/instances/s/records?timeout=3000 HTTP/1.1\r\nHost: x\r\n\r\n" % i)
    stalled.append(s)
time.sleep(1)
worst, bad = 0.0, 0
c = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
for i in range(50):
    t0 = time.time()
    c.request("POST", "/topics/ld", b'{"records":[{"value":"aGk="}]}', {"Content-Type": "application/vnd.kafka.binary.v2+json"})
    r = c.getresponse(); r.read()
    if r.status != 200:
        bad += 1
    worst = max(worst, time.time() - t0)
    c2 = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    t0 = time.time()
    c2.request("GET", "/topics"); r = c2.getresponse(); r.read(); c2.close()
    if r.status != 200:
        bad += 1
    worst = max(worst, time.time() - t0)
stop = True
print("bad=%d worst_ms=%d" % (bad, worst * 1000))
PY
)
worst=$(echo "$out" | sed -n 's/^bad=0 worst_ms=\([0-9]*\)$/\1/p')
if [ -n "$worst" ] && [ "$worst" -lt 2000 ]; then pass slow_clients_do_not_stall "$out"; else fail slow_clients_do_not_stall "$out"; fi

kill -0 "$REST_PID" 2>/dev/null && pass rest_alive || fail rest_alive "the REST Proxy died: $(tail -n 3 "$REST_LOG")"
broker_alive broker_alive
