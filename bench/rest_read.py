#!/usr/bin/env python3
"""rest_read.py — reads N records through a REST Proxy v2 consumer instance
(bench/rest_bench.sh): creates a binary instance, assigns every partition of
the topic from the beginning, then GETs /records (max_bytes per request) on
one keep-alive connection until N records arrived. Records are counted by
their "offset" fields (no JSON parsing on the client, which would otherwise
be the bottleneck). Prints: RESULT records=N secs=S records_per_s=R reqs=K"""
import http.client, json, sys, time

host, port, topic, parts, n, max_bytes = sys.argv[1], int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
c = http.client.HTTPConnection(host, port, timeout=60)
V2 = {"Content-Type": "application/vnd.kafka.v2+json"}

def call(method, path, body=None, headers=V2):
    c.request(method, path, body=json.dumps(body) if body is not None else None, headers=headers)
    r = c.getresponse()
    data = r.read()
    if r.status >= 300:
        sys.exit("%s %s -> %d %s" % (method, path, r.status, data[:200]))
    return data

name = "r%d" % int(time.time() * 1000)
group = "bench-" + name
call("POST", "/consumers/" + group, {"name": name, "format": "binary", "auto.offset.reset": "earliest"})
base = "/consumers/%s/instances/%s" % (group, name)
call("POST", base + "/assignments", {"partitions": [{"topic": topic, "partition": p} for p in range(parts)]})
got, reqs, t0 = 0, 0, None
acc = {"Accept": "application/vnd.kafka.binary.v2+json"}
while got < n:
    data = call("GET", "%s/records?timeout=5000&max_bytes=%d" % (base, max_bytes), headers=acc)
    k = data.count(b'"offset":')
    if k and t0 is None:
        t0 = time.time()  # from the first records, as kbench consume
        k0 = k
    got += k
    reqs += 1
    if k == 0 and (t0 is not None or reqs >= 3):
        sys.exit("no records within 5 s after %d of %d" % (got, n))
secs = time.time() - t0
call("DELETE", base)
# the first response's records arrived before t0 started: do not count them
print("RESULT records=%d secs=%.3f records_per_s=%d reqs=%d" % (got, secs, (got - k0) / secs if secs > 0 else 0, reqs))
