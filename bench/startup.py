#!/usr/bin/env python3
"""startup.py PORT LOGFILE -- CMD... : starts CMD (the broker) in the
background and measures, from just before exec, the time until PORT accepts
a TCP connection and until a Metadata (v1, all topics) request is answered.

Prints "STARTUP pid=PID accept_ms=X metadata_ms=Y" and leaves the broker
running (its pid is printed; the caller stops it). Gives up after 60 s.
"""
import os
import socket
import struct
import subprocess
import sys
import time

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "tests", "integration", "py"))
from kproto import Conn, request  # noqa: E402


def main():
    port = int(sys.argv[1])
    log = open(sys.argv[2], "ab")
    cmd = sys.argv[sys.argv.index("--") + 1:]
    t0 = time.monotonic()
    proc = subprocess.Popen(cmd, stdout=log, stderr=log)
    accept = None
    deadline = t0 + 60
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            sys.exit(f"startup.py: broker exited with status {proc.returncode} during start-up")
        s = socket.socket()
        try:
            s.connect(("127.0.0.1", port))
            accept = time.monotonic()
            break
        except OSError:
            time.sleep(0.0005)
        finally:
            s.close()
    if accept is None:
        proc.kill()
        sys.exit("startup.py: port not accepting within 60 s")
    meta = None
    while time.monotonic() < deadline:
        try:
            c = Conn(port, timeout=30)
            c.send(request(3, 1, 1, struct.pack(">i", -1)))
            r = c.recv_frame()
            c.close()
            if r is not None:
                meta = time.monotonic()
                break
        except OSError:
            time.sleep(0.001)
    print(f"STARTUP pid={proc.pid} accept_ms={(accept - t0) * 1000:.1f} "
          f"metadata_ms={((meta or deadline) - t0) * 1000:.1f}", flush=True)


if __name__ == "__main__":
    main()
