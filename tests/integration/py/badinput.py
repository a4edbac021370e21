#!/usr/bin/env python3
"""badinput.py PORT TOPIC - sends malformed and hostile input to the broker.

TOPIC must exist with one partition and be empty. Each case prints
"PASS badinput.<case>" or "FAIL badinput.<case>: reason"; after every case
the broker must still answer ApiVersions on a new connection. Cases:
unknown API key, unsupported versions, truncated and absurd frames, bad CRC,
wrong magic, inconsistent batches, pipelining order and many connections.
Every socket operation has a timeout: nothing can hang.
"""
import socket
import struct
import sys
import time

sys.path.insert(0, __import__("os").path.dirname(__file__))
from kproto import Conn, api_versions, parse_produce_v3, produce_v3, record_batch, request  # noqa: E402

PORT = int(sys.argv[1])
TOPIC = sys.argv[2]
failures = 0
broker_dead = False


def result(name, ok, reason=""):
    global failures
    if ok:
        print(f"PASS badinput.{name}", flush=True)
    else:
        failures += 1
        print(f"FAIL badinput.{name}: {reason}", flush=True)


def healthy():
    try:
        keys = api_versions(PORT)
        return 0 in keys and 3 in keys, f"ApiVersions lacks Produce or Metadata: {sorted(keys)}"
    except Exception as e:  # noqa: BLE001 - any failure means unhealthy
        return False, f"{type(e).__name__}: {e}"


def expect_close_or_response(c, corr, what):
    """Kafka closes the connection; an error response with our correlation id is fine too."""
    try:
        resp = c.recv_frame()
    except socket.timeout:
        return False, f"{what}: no response and the connection is still open after 5 s"
    except (ConnectionResetError, BrokenPipeError):
        return True, ""
    if resp is None:
        return True, ""
    (got,) = struct.unpack_from(">i", resp, 0)
    if got != corr:
        return False, f"{what}: response with correlation id {got}, expected {corr}"
    return True, ""


def expect_close(c, what):
    try:
        resp = c.recv_frame()
    except socket.timeout:
        return False, f"{what}: connection still open after 5 s (expected the broker to close it)"
    except (ConnectionResetError, BrokenPipeError):
        return True, ""
    if resp is None:
        return True, ""
    return False, f"{what}: got a {len(resp)}-byte response, expected the connection to be closed"


def case(name):
    def wrap(fn):
        global broker_dead
        if broker_dead:
            result(name, False, "not run: the broker stopped answering earlier")
            return fn
        try:
            ok, reason = fn()
        except Exception as e:  # noqa: BLE001
            ok, reason = False, f"{type(e).__name__}: {e}"
        h, why = healthy()
        if not h:
            broker_dead = True
            ok, reason = False, f"broker no longer answers after this input ({why}); {reason}"
        result(name, ok, reason)
        return fn
    return wrap


def produce(batch, corr=77, acks=1):
    c = Conn(PORT)
    try:
        c.send(request(0, 3, corr, produce_v3(TOPIC, 0, batch, acks)))
        resp = c.recv_frame()
        if resp is None:
            return None, "connection closed instead of a Produce response"
        (got,) = struct.unpack_from(">i", resp, 0)
        if got != corr:
            return None, f"Produce response correlation id {got}, expected {corr}"
        parts = parse_produce_v3(resp[4:])
        if len(parts) != 1 or parts[0][0] != TOPIC or parts[0][1] != 0:
            return None, f"Produce response names {parts}, expected {TOPIC}[0]"
        return parts[0], ""
    finally:
        c.close()


@case("healthy_at_start")
def _():
    return healthy()


@case("produce_good_batch")
def _():
    r, why = produce(record_batch([b"good-1"]))
    if r is None:
        return False, why
    return r[2] == 0 and r[3] == 0, f"error code {r[2]}, base offset {r[3]} (expected 0 and 0)"


@case("unknown_api_key")
def _():
    c = Conn(PORT)
    try:
        c.send(request(12345, 0, 5, b"\x00" * 8))
        return expect_close_or_response(c, 5, "api key 12345")
    finally:
        c.close()


@case("unsupported_version")
def _():
    c = Conn(PORT)
    try:
        c.send(request(3, 999, 6, b"\x00" * 8))
        return expect_close_or_response(c, 6, "Metadata v999")
    finally:
        c.close()


@case("apiversions_unsupported_version")
def _():
    # Kafka answers with UNSUPPORTED_VERSION (35) in the v0 body format and a
    # v0 response header, listing at least ApiVersions itself.
    c = Conn(PORT)
    try:
        c.send(request(18, 127, 7, b"\x00" * 4, flexible=True))
        resp = c.recv_frame()
        if resp is None:
            return False, "connection closed; expected error 35 in a v0 ApiVersions response"
        corr, err, n = struct.unpack_from(">ihi", resp, 0)
        if corr != 7 or err != 35:
            return False, f"correlation id {corr} error {err}, expected 7 and 35 (UNSUPPORTED_VERSION)"
        keys = [struct.unpack_from(">h", resp, 10 + 6 * i)[0] for i in range(n)] if 0 <= n < 1000 else []
        return 18 in keys, f"ApiVersions key 18 not listed in the error response ({n} entries)"
    finally:
        c.close()


@case("truncated_frame_then_close")
def _():
    c = Conn(PORT)
    c.send(struct.pack(">i", 100) + request(18, 0, 8)[4:])
    c.close()
    time.sleep(0.2)
    return True, ""


@case("slow_client_does_not_block_others")
def _():
    c = Conn(PORT)
    try:
        c.send(struct.pack(">i", 100) + b"\x00\x12")
        h, why = healthy()
        return h, f"another connection is not served while one frame is incomplete: {why}"
    finally:
        c.close()


@case("absurd_length")
def _():
    c = Conn(PORT)
    try:
        c.send(struct.pack(">i", 0x7FFFFFFF) + b"\x00\x12\x00\x00")
        return expect_close(c, "frame size 0x7fffffff")
    finally:
        c.close()


@case("negative_length")
def _():
    c = Conn(PORT)
    try:
        c.send(struct.pack(">i", -1) + b"\x00\x12\x00\x00")
        return expect_close(c, "frame size -1")
    finally:
        c.close()


@case("zero_length")
def _():
    c = Conn(PORT)
    try:
        c.send(struct.pack(">i", 0))
        return expect_close(c, "frame size 0")
    finally:
        c.close()


@case("short_header")
def _():
    c = Conn(PORT)
    try:
        c.send(struct.pack(">i", 3) + b"\x00\x12\x00")
        return expect_close(c, "3-byte request header")
    finally:
        c.close()


@case("bad_client_id_length")
def _():
    c = Conn(PORT)
    try:
        c.send(struct.pack(">ihhih", 10, 18, 0, 9, 1000))
        return expect_close(c, "client_id length 1000 in a 10-byte frame")
    finally:
        c.close()


@case("produce_bad_crc")
def _():
    r, why = produce(record_batch([b"bad-crc"], corrupt_crc=True))
    if r is None:
        return False, why
    return r[2] == 2, f"error code {r[2]}, expected 2 (CORRUPT_MESSAGE)"


@case("produce_wrong_magic")
def _():
    r, why = produce(record_batch([b"magic-1"], magic=1))
    if r is None:
        return False, why
    return r[2] in (2, 43, 87), f"error code {r[2]}, expected CORRUPT_MESSAGE, UNSUPPORTED_FOR_MESSAGE_FORMAT or INVALID_RECORD"


@case("produce_batch_length_too_large")
def _():
    try:
        r, why = produce(record_batch([b"long"], length_delta=1000))
    except (ConnectionResetError, BrokenPipeError):
        return True, ""
    if r is None:
        return "closed" in why, why
    return r[2] != 0, "batch whose batchLength exceeds the records data was accepted (error 0)"


@case("produce_records_count_mismatch")
def _():
    r, why = produce(record_batch([b"one"], records_count=5))
    if r is None:
        return False, why
    return r[2] in (2, 87), f"batch claiming 5 records but holding 1 (valid CRC): error code {r[2]}, expected 2 or 87"


@case("produce_truncated_records")
def _():
    b = record_batch([b"x" * 50])
    b = b[:-20]
    b = b[:8] + struct.pack(">i", len(b) - 12) + b[12:]
    r, why = produce(b)
    if r is None:
        return False, why
    return r[2] in (2, 87), f"batch with cut records (batchLength adjusted, CRC stale): error code {r[2]}, expected 2 or 87"


@case("produce_garbage_gzip_payload")
def _():
    r, why = produce(record_batch([b"gz"], codec=1, raw_records=b"\x1f\x8b not really gzip at all" * 3))
    if r is None:
        return False, why
    return r[2] in (2, 87), f"gzip batch whose payload does not decompress (valid CRC): error code {r[2]}, expected 2 or 87"


@case("produce_good_batch_after_bad")
def _():
    r, why = produce(record_batch([b"good-2"]))
    if r is None:
        return False, why
    return r[2] == 0 and r[3] == 1, f"error code {r[2]}, base offset {r[3]} (expected 0 and 1: rejected batches must not take offsets)"


@case("produce_gzip_batch")
def _():
    r, why = produce(record_batch([b"gzip-3", b"gzip-4"], codec=1))
    if r is None:
        return False, why
    return r[2] == 0 and r[3] == 2, f"error code {r[2]}, base offset {r[3]} (expected 0 and 2)"


@case("pipelined_requests_in_order")
def _():
    c = Conn(PORT)
    try:
        frames = b"".join(request(18 if i % 2 else 3, 0, 1000 + i, b"" if i % 2 else struct.pack(">i", 0))
                          for i in range(60))
        c.send(frames)
        got = []
        for _ in range(60):
            resp = c.recv_frame()
            if resp is None:
                return False, f"connection closed after {len(got)} of 60 responses"
            got.append(struct.unpack_from(">i", resp, 0)[0])
        return got == list(range(1000, 1060)), f"correlation ids out of order: {got[:10]}..."
    finally:
        c.close()


@case("many_connections")
def _():
    conns = []
    try:
        for i in range(200):
            c = Conn(PORT)
            conns.append(c)
            c.send(request(18, 0, i))
        for i, c in enumerate(conns):
            resp = c.recv_frame()
            if resp is None or struct.unpack_from(">i", resp, 0)[0] != i:
                return False, f"connection {i} of 200: no or wrong ApiVersions response"
        return True, ""
    finally:
        for c in conns:
            c.close()


@case("client_disconnect_mid_response")
def _():
    # Ask for a response and close before reading it, many times.
    for i in range(50):
        c = Conn(PORT)
        c.send(request(3, 0, i, struct.pack(">i", 0)))
        c.close()
    time.sleep(0.2)
    return True, ""


sys.exit(1 if failures else 0)
