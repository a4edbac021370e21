#!/usr/bin/env bash
# run.sh — runs Basin's black-box integration tests.
#
# usage: tests/integration/run.sh [PATTERN...]
#   PATTERN selects test scripts in tests/integration/t/ by substring.
# Environment: BASIN_BIN (default build/basin; e.g. build-san/basin for the
# ASan build), ITEST_KEEP_FAILED=1 keeps the temp dirs of failing tests.
#
# Builds the C test programs (make build/itest/...), installs the kafkajs
# test client with `npm ci` when node_modules is missing, then runs every
# script; each prints PASS/FAIL/SKIP lines. Ends with
#   integration: N passed, M failed
# and exits non-zero if anything failed.
set -u
cd "$(dirname "$0")/../.." || exit 2
ROOT=$(pwd)
ITDIR=$ROOT/tests/integration

echo "# building test programs"
bins=()
for f in "$ITDIR"/c/*.c; do
    bins+=("build/itest/$(basename "$f" .c)")
done
if [ -z "${BASIN_BIN:-}" ]; then
    bins+=(build/basin)
fi
if ! make -s -j2 "${bins[@]}" >"/tmp/basin-itest-build.$$.log" 2>&1; then
    echo "# build failed (tests needing the missing programs will fail):"
    tail -n 20 "/tmp/basin-itest-build.$$.log"
fi
rm -f "/tmp/basin-itest-build.$$.log"

if [ ! -d "$ITDIR/js/node_modules/kafkajs" ]; then
    echo "# npm ci (kafkajs)"
    (cd "$ITDIR/js" && timeout 300 npm ci --no-audit --no-fund --loglevel=error) || echo "# npm ci failed"
fi

passed=0
failed=0
skipped=0
start=$SECONDS
for script in "$ITDIR"/t/*.sh; do
    name=$(basename "$script" .sh)
    if [ $# -gt 0 ]; then
        sel=0
        for p in "$@"; do
            case $name in *"$p"*) sel=1 ;; esac
        done
        [ $sel = 1 ] || continue
    fi
    echo "# $name"
    out=$(mktemp)
    t0=$SECONDS
    timeout -k 10 300 bash "$script" 2>"$out.err" | tee "$out"
    rc=${PIPESTATUS[0]}
    p=$(grep -c '^PASS ' "$out")
    f=$(grep -c '^FAIL ' "$out")
    s=$(grep -c '^SKIP ' "$out")
    if [ "$rc" != 0 ] && [ "$f" = 0 ]; then
        if [ "$rc" = 124 ] || [ "$rc" = 137 ]; then
            echo "FAIL $name: script timed out after 300 s"
        else
            echo "FAIL $name: script exited with status $rc without reporting a failure"
        fi
        f=1
    fi
    if [ "$f" != 0 ] && [ -s "$out.err" ]; then
        echo "# $name stderr (last lines):"
        tail -n 15 "$out.err" | sed 's/^/#   /'
    fi
    echo "# $name: ${p} passed, ${f} failed, ${s} skipped in $((SECONDS - t0)) s"
    passed=$((passed + p))
    failed=$((failed + f))
    skipped=$((skipped + s))
    rm -f "$out" "$out.err"
done
echo "# total time $((SECONDS - start)) s, $skipped skipped"
echo "integration: $passed passed, $failed failed"
[ "$failed" = 0 ]
