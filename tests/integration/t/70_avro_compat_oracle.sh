#!/usr/bin/env bash
# Avro compatibility decisions checked against an independent oracle: every
# (reader, writer) pair of tests/unit/data/avro/compat_pairs.json, in both
# directions, decided by Basin's checker (build/tests/test_avro
# --compat-pairs) and by avsc's resolver (js/avro_oracle.js). Any
# disagreement FAILs and is listed, except pairs marked "oracle_skip" in the
# table: known differences between avsc and Java Avro (which Confluent's
# registry, and so Basin, follows), each with its reason. No broker needed.
. "$(dirname "$0")/../lib.sh"
itest_init
JS=$ITEST_DIR/js
PAIRS=$ITEST_ROOT/tests/unit/data/avro/compat_pairs.json
DRIVER=$ITEST_ROOT/build/tests/test_avro
if ! command -v node >/dev/null || [ ! -d "$JS/node_modules/avsc" ]; then
    fail avro_oracle "node or avsc missing (run npm ci in tests/integration/js)"
    exit 1
fi
if [ ! -x "$DRIVER" ] || [ "$ITEST_ROOT/tests/unit/test_avro.c" -nt "$DRIVER" ]; then
    (cd "$ITEST_ROOT" && t make -s -j2 build/tests/test_avro) >"$ITEST_TMP/make.log" 2>&1
fi
if [ ! -x "$DRIVER" ]; then
    fail avro_oracle "cannot build build/tests/test_avro: $(tail -n 3 "$ITEST_TMP/make.log" | tr '\n' ' ')"
    exit 1
fi
if ! t "$DRIVER" --compat-pairs "$PAIRS" >"$ITEST_TMP/basin.txt" 2>"$ITEST_TMP/basin.err"; then
    fail avro_oracle.basin "driver failed: $(tail -n 3 "$ITEST_TMP/basin.err" | tr '\n' ' ')"
    exit 1
fi
if ! t node "$JS/avro_oracle.js" "$PAIRS" >"$ITEST_TMP/avsc.txt" 2>"$ITEST_TMP/avsc.err"; then
    fail avro_oracle.avsc "oracle failed: $(tail -n 3 "$ITEST_TMP/avsc.err" | tr '\n' ' ')"
    exit 1
fi
python3 - "$PAIRS" "$ITEST_TMP/basin.txt" "$ITEST_TMP/avsc.txt" <<'PY'
import json, sys
pairs = json.load(open(sys.argv[1]))
skip = {p["id"]: p["oracle_skip"] for p in pairs if "oracle_skip" in p}
def load(path):
    d = {}
    for line in open(path):
        pid, direction, verdict = line.rstrip("\n").split(" ", 2)
        d[(pid, direction)] = verdict
    return d
basin, avsc = load(sys.argv[2]), load(sys.argv[3])
bad, expected = [], []
for p in pairs:
    for direction in ("fwd", "rev"):
        k = (p["id"], direction)
        b, a = basin.get(k, "missing"), avsc.get(k, "missing")
        if b == a and b in ("0", "1"):
            continue
        line = f"{p['id']} {direction}: basin={b} avsc={a} ({p.get('rule', '')})"
        (expected if p["id"] in skip else bad).append(line)
n = 2 * len(pairs)
for e in expected:
    pid = e.split(" ", 1)[0]
    print(f"# expected divergence: {e} -- {skip[pid]}")
if bad:
    for b in bad:
        print(f"# DISAGREE {b}")
    print(f"FAIL avro_oracle.agree: {len(bad)} of {n} decisions differ from avsc")
else:
    print(f"PASS avro_oracle.agree ({n} decisions, {len(expected)} documented divergences)")
PY
