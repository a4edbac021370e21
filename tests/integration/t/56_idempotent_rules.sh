#!/usr/bin/env bash
# Idempotence rules on the wire (raw Produce v3 with producer id/epoch/sequence,
# CLIENT-NOTES §4), and that they survive restarts:
#   duplicate batch -> success with the original base offset; sequence gap ->
#   OUT_OF_ORDER_SEQUENCE_NUMBER (45); client epoch bump restarting at seq 0
#   accepted; old epoch -> INVALID_PRODUCER_EPOCH (47); after a clean restart
#   and after kill -9 the last batch resent is still a duplicate (same offset,
#   nothing appended) and the sequence continues; InitProducerId never hands
#   out a producer id twice, also across restarts.
. "$(dirname "$0")/../lib.sh"
itest_init
if ! broker_start; then
    fail eos.rules.broker_start "$BROKER_START_ERR"
    exit 1
fi
if ! out=$(t "$ITEST_BIN/admin" "$BOOTSTRAP" create idem-rules 1 2>&1); then
    fail eos.rules.create_topic "$out"
    exit 1
fi
run_py() { # run_py PHASE
    PYTHONPATH=$ITEST_DIR/py T_LIMIT=30 t python3 - "$BROKER_PORT" "$1" "$ITEST_TMP/pidstate.json" <<'EOF'
import json, struct, sys, time
import kproto
from kproto import Conn, crc32c, zigzag_varint, kstring, request, produce_v3, parse_produce_v3

port, phase, state_file = int(sys.argv[1]), sys.argv[2], sys.argv[3]
TOPIC = "idem-rules"

def result(name, ok, why=""):
    print(f"PASS eos.rules.{name}" if ok else f"FAIL eos.rules.{name}: {why}", flush=True)

def batch(values, pid, epoch, seq):
    recs = b""
    for i, v in enumerate(values):
        body = b"\x00" + zigzag_varint(0) + zigzag_varint(i) + zigzag_varint(-1)
        body += zigzag_varint(len(v)) + v + zigzag_varint(0)
        recs += zigzag_varint(len(body)) + body
    now = int(time.time() * 1000)
    n = len(values)
    after_crc = struct.pack(">hiqqqhii", 0, n - 1, now, now, pid, epoch, seq, n) + recs
    head = struct.pack(">ibI", -1, 2, crc32c(after_crc))
    return struct.pack(">qi", 0, len(head) + len(after_crc)) + head + after_crc

corr = [0]
def call(c, api, ver, body):
    corr[0] += 1
    c.send(request(api, ver, corr[0], body))
    r = c.recv_frame()
    if r is None:
        raise RuntimeError(f"connection closed on api {api} v{ver}")
    (rc,) = struct.unpack_from(">i", r, 0)
    assert rc == corr[0], f"correlation id {rc} != {corr[0]}"
    return r[4:]

def init_pid(c):
    r = call(c, 22, 0, kstring(None) + struct.pack(">i", 60000))
    _thr, err, pid, epoch = struct.unpack_from(">ihqh", r, 0)
    return err, pid, epoch

def produce(c, pid, epoch, seq, n, tag):
    vals = [f"{tag}-{i}".encode() for i in range(n)]
    r = call(c, 0, 3, produce_v3(TOPIC, 0, batch(vals, pid, epoch, seq), acks=-1))
    (_, _, err, base), = parse_produce_v3(r)
    return err, base

def leo(c):
    # ListOffsets v1, latest
    body = struct.pack(">ii", -1, 1) + kstring(TOPIC) + struct.pack(">iiq", 1, 0, -1)
    r = call(c, 2, 1, body)
    pos = 4
    (ln,) = struct.unpack_from(">h", r, pos); pos += 2 + ln
    pos += 4
    _part, err, _ts, off = struct.unpack_from(">ihqq", r, pos)
    return off

c = Conn(port)
if phase == "start":
    err, pid, epoch = init_pid(c)
    result("init_producer_id", err == 0 and pid >= 0 and epoch == 0, f"error {err}, pid {pid}, epoch {epoch}")
    e1, b1 = produce(c, pid, epoch, 0, 5, "a")
    e2, b2 = produce(c, pid, epoch, 5, 5, "b")
    result("in_sequence", e1 == 0 and e2 == 0 and b2 == b1 + 5, f"errors {e1},{e2}, base offsets {b1},{b2}")
    end = leo(c)
    e3, b3 = produce(c, pid, epoch, 5, 5, "b")
    result("duplicate_original_offset", e3 == 0 and b3 == b2 and leo(c) == end,
           f"resent batch: error {e3}, base offset {b3} (original {b2}), log end {leo(c)} (was {end})")
    e4, b4 = produce(c, pid, epoch, 0, 5, "a")
    result("older_duplicate", e4 == 0 and b4 == b1 and leo(c) == end,
           f"resent first batch (seq 0, 4 batches back is still cached): error {e4}, base {b4} (original {b1})")
    e5, _ = produce(c, pid, epoch, 20, 5, "gap")
    result("gap_out_of_order", e5 == 45 and leo(c) == end, f"seq 20 after 9: error {e5}, expected 45")
    e6, b6 = produce(c, pid, epoch + 1, 0, 5, "bump")
    result("epoch_bump_seq0", e6 == 0 and b6 == end, f"epoch+1 seq 0: error {e6}, base {b6}, expected offset {end}")
    e7, _ = produce(c, pid, epoch, 10, 5, "old")
    result("old_epoch_fenced", e7 == 47, f"old epoch after bump: error {e7}, expected 47")
    e8, _ = produce(c, pid, epoch + 1, 6, 5, "gap2")
    result("bumped_gap_out_of_order", e8 == 45, f"epoch+1 seq 6 after 4: error {e8}, expected 45")
    json.dump({"pid": pid, "epoch": epoch + 1, "seq": 0, "base": b6, "pids": [pid]}, open(state_file, "w"))
else:
    st = json.load(open(state_file))
    pid, epoch = st["pid"], st["epoch"]
    end = leo(c)
    e, b = produce(c, pid, epoch, st["seq"], 5, "bump")
    result(f"{phase}.duplicate_after_restart", e == 0 and b == st["base"] and leo(c) == end,
           f"last batch resent after {phase}: error {e}, base {b} (original {st['base']}), log end {leo(c)} (was {end})")
    e2, b2 = produce(c, pid, epoch, st["seq"] + 5, 5, f"next-{phase}")
    result(f"{phase}.sequence_continues", e2 == 0 and b2 == end, f"next seq after {phase}: error {e2}, base {b2}, expected {end}")
    e3, _ = produce(c, pid, epoch, st["seq"] + 20, 5, "gap")
    result(f"{phase}.gap_after_restart", e3 == 45, f"gap after {phase}: error {e3}, expected 45")
    err, npid, nep = init_pid(c)
    result(f"{phase}.pid_not_reused", err == 0 and npid not in st["pids"], f"InitProducerId gave {npid} (error {err}); used before: {st['pids']}")
    st.update(seq=st["seq"] + 5, base=b2, pids=st["pids"] + [npid])
    json.dump(st, open(state_file, "w"))
c.close()
EOF
}
run_py start
if broker_stop; then
    broker_start || { fail eos.rules.restart "$BROKER_START_ERR"; exit 1; }
    run_py clean_restart
else
    fail eos.rules.clean_stop "$BROKER_STOP_ERR"
    broker_start || exit 1
fi
broker_kill9
broker_start || { fail eos.rules.restart_kill9 "$BROKER_START_ERR"; exit 1; }
run_py kill9
broker_alive eos.rules.broker_survived && pass eos.rules.broker_survived
