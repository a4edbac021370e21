#!/usr/bin/env python3
"""kproto.py - a minimal raw Kafka protocol client for the tests (stdlib only).

Builds frames by hand so tests can send exactly the bytes they want, valid
or not. Also usable from the shell:

  kproto.py apiversions PORT     print the ApiVersions v0 keys as "key min max" lines
  kproto.py has-api PORT KEY     exit 0 if the broker advertises api KEY
"""
import gzip
import socket
import struct
import sys
import time

HOST = "127.0.0.1"


def crc32c(data: bytes) -> int:
    table = crc32c.table
    if table is None:
        table = []
        for i in range(256):
            c = i
            for _ in range(8):
                c = (c >> 1) ^ 0x82F63B78 if c & 1 else c >> 1
            table.append(c)
        crc32c.table = table
    crc = 0xFFFFFFFF
    for b in data:
        crc = table[(crc ^ b) & 0xFF] ^ (crc >> 8)
    return crc ^ 0xFFFFFFFF


crc32c.table = None
assert crc32c(b"123456789") == 0xE3069283


def zigzag_varint(n: int) -> bytes:
    z = (n << 1) ^ (n >> 63)
    out = bytearray()
    while True:
        b = z & 0x7F
        z >>= 7
        if z:
            out.append(b | 0x80)
        else:
            out.append(b)
            return bytes(out)


def kstring(s):
    if s is None:
        return struct.pack(">h", -1)
    b = s.encode()
    return struct.pack(">h", len(b)) + b


def request(api_key, api_version, corr, body=b"", client_id="kproto", flexible=False):
    """A complete frame: size, request header v1 (v2 when flexible), body."""
    hdr = struct.pack(">hhi", api_key, api_version, corr) + kstring(client_id)
    if flexible:
        hdr += b"\x00"
    payload = hdr + body
    return struct.pack(">i", len(payload)) + payload


def record(value: bytes, key=None, offset_delta=0) -> bytes:
    body = b"\x00" + zigzag_varint(0) + zigzag_varint(offset_delta)
    body += zigzag_varint(-1) if key is None else zigzag_varint(len(key)) + key
    body += zigzag_varint(len(value)) + value + zigzag_varint(0)
    return zigzag_varint(len(body)) + body


def record_batch(values, magic=2, corrupt_crc=False, records_count=None, length_delta=0, codec=0, raw_records=None):
    """A RecordBatch v2 holding `values` (bytes), non-idempotent. codec 1 = gzip
    (the records section compressed); raw_records replaces that section."""
    recs = b"".join(record(v, offset_delta=i) for i, v in enumerate(values))
    if codec == 1:
        recs = gzip.compress(recs)
    if raw_records is not None:
        recs = raw_records
    now = int(time.time() * 1000)
    n = len(values)
    after_crc = struct.pack(">hiqqqhii", codec, n - 1, now, now, -1, -1, -1,
                            n if records_count is None else records_count) + recs
    crc = crc32c(after_crc)
    if corrupt_crc:
        crc ^= 0x5A5A5A5A
    head = struct.pack(">ibI", -1, magic, crc)
    batch_len = len(head) + len(after_crc)
    return struct.pack(">qi", 0, batch_len + length_delta) + head + after_crc


def produce_v3(topic, partition, batch, acks=1):
    body = kstring(None) + struct.pack(">hi", acks, 5000)
    body += struct.pack(">i", 1) + kstring(topic)
    body += struct.pack(">i", 1) + struct.pack(">i", partition)
    body += struct.pack(">i", len(batch)) + batch
    return body


def parse_produce_v3(body):
    """Returns [(topic, partition, error_code, base_offset)]."""
    out = []
    pos = 0
    (nt,) = struct.unpack_from(">i", body, pos)
    pos += 4
    for _ in range(nt):
        (ln,) = struct.unpack_from(">h", body, pos)
        pos += 2
        name = body[pos:pos + ln].decode()
        pos += ln
        (np_,) = struct.unpack_from(">i", body, pos)
        pos += 4
        for _ in range(np_):
            part, err, base, _lat = struct.unpack_from(">ihqq", body, pos)
            pos += 22
            out.append((name, part, err, base))
    return out


class Conn:
    def __init__(self, port, timeout=5.0):
        self.sock = socket.create_connection((HOST, port), timeout=timeout)
        self.sock.settimeout(timeout)

    def send(self, data: bytes):
        self.sock.sendall(data)

    def _recv_exact(self, n):
        buf = bytearray()
        while len(buf) < n:
            chunk = self.sock.recv(n - len(buf))
            if not chunk:
                return None
            buf += chunk
        return bytes(buf)

    def recv_frame(self):
        """Returns the response payload, None if the peer closed, raises socket.timeout."""
        size = self._recv_exact(4)
        if size is None:
            return None
        (n,) = struct.unpack(">i", size)
        if n < 4 or n > 64 << 20:
            raise ValueError(f"response frame size {n}")
        return self._recv_exact(n)

    def close(self):
        try:
            self.sock.close()
        except OSError:
            pass


def api_versions(port, timeout=5.0):
    """ApiVersions v0 on a fresh connection: {key: (min, max)}; raises on any problem."""
    c = Conn(port, timeout)
    try:
        c.send(request(18, 0, 4242))
        resp = c.recv_frame()
        if resp is None:
            raise ConnectionError("connection closed without an ApiVersions response")
        corr, err, n = struct.unpack_from(">ihi", resp, 0)
        if corr != 4242 or err != 0:
            raise ValueError(f"ApiVersions v0: correlation id {corr}, error {err}")
        keys = {}
        for i in range(n):
            k, lo, hi = struct.unpack_from(">hhh", resp, 10 + 6 * i)
            keys[k] = (lo, hi)
        return keys
    finally:
        c.close()


def main(argv):
    if len(argv) >= 3 and argv[1] == "apiversions":
        for k, (lo, hi) in sorted(api_versions(int(argv[2])).items()):
            print(k, lo, hi)
    elif len(argv) >= 4 and argv[1] == "has-api":
        sys.exit(0 if int(argv[3]) in api_versions(int(argv[2])) else 1)
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
