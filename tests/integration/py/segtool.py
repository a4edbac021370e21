#!/usr/bin/env python3
"""segtool.py - inspect and damage Kafka-layout log segments for the tests.

  segtool.py batches FILE          print "base_offset last_offset attributes start end" per complete batch
  segtool.py tear FILE BYTES       cut BYTES off the end of the last complete batch; print its base offset
  segtool.py garbage FILE          overwrite FILE with 0xff bytes (same size, at least 4096)
  segtool.py codec FILE            print the codec names of the batches (none/gzip/snappy/lz4/zstd)
"""
import os
import struct
import sys

CODECS = ["none", "gzip", "snappy", "lz4", "zstd"]


def batches(path):
    """Yields (base_offset, last_offset, attributes, start, end) of every complete batch."""
    with open(path, "rb") as f:
        data = f.read()
    pos = 0
    while pos + 61 <= len(data):
        base, length = struct.unpack_from(">qi", data, pos)
        if length <= 0:  # preallocated zero tail
            break
        end = pos + 12 + length
        if end > len(data):
            break
        magic = data[pos + 16]
        if magic != 2:
            raise SystemExit(f"segtool: {path}: batch at byte {pos} has magic {magic}, expected 2")
        attrs, last_delta = struct.unpack_from(">hi", data, pos + 21)
        yield base, base + last_delta, attrs, pos, end
        pos = end


def main(argv):
    if len(argv) < 3:
        raise SystemExit(__doc__)
    cmd, path = argv[1], argv[2]
    if cmd == "batches":
        for b in batches(path):
            print(*b)
    elif cmd == "codec":
        print(" ".join(sorted({CODECS[a & 7] if (a & 7) < 5 else str(a & 7) for _, _, a, _, _ in batches(path)})))
    elif cmd == "tear":
        cut = int(argv[3])
        bs = list(batches(path))
        if not bs:
            raise SystemExit(f"segtool: {path} holds no complete batch")
        base, _, _, start, end = bs[-1]
        if end - start <= cut:
            raise SystemExit(f"segtool: last batch of {path} is only {end - start} bytes")
        os.truncate(path, end - cut)
        print(base)
    elif cmd == "garbage":
        size = max(os.path.getsize(path), 4096)
        with open(path, "wb") as f:
            f.write(b"\xff" * size)
    else:
        raise SystemExit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
