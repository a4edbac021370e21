#!/usr/bin/env bash
# run-tests.sh — Basin's whole test suite, what `make test` and CI run.
#
#   1. build (warnings are errors)             5. fuzz corpora replayed under ASan+UBSan
#   2. generated codec is current (gen-check)  6. integration tests with real clients
#   3. formatting (clang-format)                  (librdkafka, kcat, kafkajs, curl, npm
#   4. unit tests, plain and under ASan+UBSan         clients) on loopback, and the broker
#                                                     suites again on the ASan+UBSan build
#
# Prints one line per step and ends with "tests: N passed, M failed".
# Set BASIN_TEST_SKIP_INTEGRATION=1 to skip step 6 (quick local runs).
set -u
cd "$(dirname "$0")/.."
JOBS=${JOBS:-2}
export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=1}
export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
passed=0
failed=0
failures=()
LOGDIR=$(mktemp -d /tmp/basin-tests.XXXXXX)

step() { # step NAME CMD... — runs CMD with its output in a log; counts it
    local name=$1 log="$LOGDIR/$(echo "$1" | tr ' /' '__').log" t0=$SECONDS
    shift
    echo "== $name"
    if "$@" >"$log" 2>&1; then
        passed=$((passed + 1))
        echo "   ok ($((SECONDS - t0)) s)"
    else
        failed=$((failed + 1))
        failures+=("$name")
        echo "   FAILED ($((SECONDS - t0)) s); last lines of $log:"
        tail -n 40 "$log" | sed 's/^/   | /'
    fi
}

unit_all() { # unit_all BUILD_DIR — runs every unit test binary in BUILD_DIR/tests
    local dir=$1 rc=0
    for t in "$dir"/tests/test_*; do
        [ -x "$t" ] || continue
        echo "-- $t"
        if ! timeout 600 "$t"; then
            echo "!! $t failed"
            rc=1
        fi
    done
    return $rc
}

step "build" make -j"$JOBS" all unit
step "build (ASan+UBSan)" make -j"$JOBS" SAN=1 all unit
step "generated codec is current" make gen-check
step "configuration references are current" make docs-check
step "clang-format" make format-check
step "unit tests" unit_all build
step "unit tests (ASan+UBSan)" unit_all build-san
step "fuzz corpus replay (ASan+UBSan)" make fuzz-replay

# integration LABEL [run.sh args...] — runs the black-box suite, adds its counts
integration() {
    local label=$1 t0=$SECONDS ilog line ip if_
    shift
    echo "== $label"
    ilog="$LOGDIR/$(echo "$label" | tr ' /+()' '_____').log"
    tests/integration/run.sh "$@" 2>&1 | tee "$ilog" | grep -E '^(PASS|FAIL|SKIP|#)' | sed 's/^/   /'
    line=$(grep -E '^integration: [0-9]+ passed, [0-9]+ failed' "$ilog" | tail -n 1)
    if [ -z "$line" ]; then
        failed=$((failed + 1))
        failures+=("$label (no summary line)")
    else
        ip=$(echo "$line" | sed -E 's/^integration: ([0-9]+) passed.*/\1/')
        if_=$(echo "$line" | sed -E 's/.* ([0-9]+) failed.*/\1/')
        passed=$((passed + ip))
        failed=$((failed + if_))
        [ "$if_" = 0 ] || failures+=("$label ($if_ failed)")
    fi
    echo "   $label done ($((SECONDS - t0)) s)"
}

if [ -z "${BASIN_TEST_SKIP_INTEGRATION:-}" ]; then
    integration "integration tests"
    # the broker's own suites, and the REST Proxy's (its own HTTP engine),
    # again against the ASan+UBSan build: memory errors and leaks (at clean
    # shutdown) fail the run
    BASIN_BIN=$PWD/build-san/basin integration "integration tests (ASan+UBSan build)" \
        10_ 20_ 21_ 30_ 31_ 34_ 40_ 45_ 50_ 52_ 53_ 56_ 60_ 95_ 96_ 97_ 98_ 99_
fi

echo
if [ ${#failures[@]} -gt 0 ]; then
    echo "failed steps:"
    printf '  %s\n' "${failures[@]}"
    echo "logs: $LOGDIR"
else
    rm -rf "$LOGDIR"
fi
echo "tests: $passed passed, $failed failed"
[ "$failed" = 0 ]
