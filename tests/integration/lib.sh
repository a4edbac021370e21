# lib.sh — helpers for Basin's black-box integration tests (sourced, bash).
#
# Every test script: sources this file, calls itest_init (fresh temp dir,
# random free port, EXIT trap that always kills the broker), starts the
# broker with broker_start, and reports with pass/fail/skip, which print
# "PASS name", "FAIL name: reason" or "SKIP name: reason" (run.sh counts them).
# Every wait here is bounded.

ITEST_ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BASIN_BIN=${BASIN_BIN:-$ITEST_ROOT/build/basin}
ITEST_BIN=${ITEST_BIN:-$ITEST_ROOT/build/itest}
ITEST_DIR=$ITEST_ROOT/tests/integration
BROKER_PID=
BROKER_PORT=
BOOTSTRAP=
ITEST_TMP=
ITEST_FAILED=0

pass() { echo "PASS $1"; }
fail() { echo "FAIL $1: $2"; ITEST_FAILED=1; }
skip() { echo "SKIP $1: $2"; }

# check NAME REASON CMD... — runs CMD; PASS if it exits 0, else FAIL with REASON
# and the last lines of its output.
check() {
    local name=$1 reason=$2 out
    shift 2
    if out=$("$@" 2>&1); then
        pass "$name"
    else
        fail "$name" "$reason (exit $?): $(echo "$out" | tail -n 3 | tr '\n' ' ')"
    fi
}

itest_cleanup() {
    if [ -n "$BROKER_PID" ] && kill -0 "$BROKER_PID" 2>/dev/null; then
        kill -9 "$BROKER_PID" 2>/dev/null
        wait "$BROKER_PID" 2>/dev/null
    fi
    BROKER_PID=
    if [ -n "$ITEST_TMP" ] && [ -d "$ITEST_TMP" ]; then
        if [ "$ITEST_FAILED" != 0 ] && [ -n "${ITEST_KEEP_FAILED:-}" ]; then
            echo "# kept $ITEST_TMP" >&2
        else
            rm -rf "$ITEST_TMP"
        fi
    fi
}

# Prints a random TCP port in 20000-40000 that nothing is bound to.
pick_port() {
    python3 - <<'EOF'
import random, socket, sys
for _ in range(200):
    port = random.randint(20000, 40000)
    s = socket.socket()
    try:
        s.bind(("127.0.0.1", port))
    except OSError:
        continue
    finally:
        s.close()
    print(port)
    sys.exit(0)
sys.exit("pick_port: no free port found in 20000-40000")
EOF
}

itest_init() {
    ITEST_TMP=$(mktemp -d /tmp/basin-itest.XXXXXX) || exit 2
    BROKER_PORT=$(pick_port) || exit 2
    BOOTSTRAP=127.0.0.1:$BROKER_PORT
    DATA=$ITEST_TMP/data
    BROKER_LOG=$ITEST_TMP/broker.log
    trap itest_cleanup EXIT
    trap 'exit 130' INT TERM
}

# port_open PORT — true if something accepts a TCP connection on loopback.
port_open() {
    (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

# wait_port PORT TIMEOUT_S [PID] — waits until PORT accepts; fails early if PID dies.
wait_port() {
    local port=$1 deadline=$((SECONDS + $2)) pid=${3:-}
    while [ $SECONDS -lt "$deadline" ]; do
        port_open "$port" && return 0
        if [ -n "$pid" ] && ! kill -0 "$pid" 2>/dev/null; then
            return 1
        fi
        sleep 0.05
    done
    return 1
}

# broker_start [--override k=v ...] — starts $BASIN_BIN on $BROKER_PORT with
# data in $DATA (kept across restarts), waits up to 15 s for the port.
# Sets BROKER_PID. On failure prints why to stderr and returns 1.
broker_start() {
    if [ ! -x "$BASIN_BIN" ]; then
        echo "broker binary $BASIN_BIN is missing (run make)" >&2
        BROKER_START_ERR="broker binary $BASIN_BIN is missing"
        return 1
    fi
    mkdir -p "$DATA"
    echo "=== start $(date +%T.%N) $*" >>"$BROKER_LOG"
    "$BASIN_BIN" broker \
        --override "listeners=PLAINTEXT://127.0.0.1:$BROKER_PORT" \
        --override "log.dirs=$DATA" "$@" >>"$BROKER_LOG" 2>&1 &
    BROKER_PID=$!
    if ! wait_port "$BROKER_PORT" 15 "$BROKER_PID"; then
        if kill -0 "$BROKER_PID" 2>/dev/null; then
            BROKER_START_ERR="broker did not accept connections on port $BROKER_PORT within 15 s"
            kill -9 "$BROKER_PID" 2>/dev/null
        else
            wait "$BROKER_PID" 2>/dev/null
            BROKER_START_ERR="broker exited with status $? during start-up: $(tail -n 3 "$BROKER_LOG" | tr '\n' ' ')"
        fi
        BROKER_PID=
        echo "$BROKER_START_ERR" >&2
        return 1
    fi
    return 0
}

# broker_stop — SIGTERM, wait up to 15 s. Returns 1 (and kills -9) if the
# broker did not exit, or exited with a non-zero status.
broker_stop() {
    local pid=$BROKER_PID i rc
    [ -n "$pid" ] || return 0
    kill -TERM "$pid" 2>/dev/null
    for i in $(seq 1 300); do
        kill -0 "$pid" 2>/dev/null || break
        sleep 0.05
    done
    if kill -0 "$pid" 2>/dev/null; then
        kill -9 "$pid" 2>/dev/null
        wait "$pid" 2>/dev/null
        BROKER_PID=
        BROKER_STOP_ERR="broker did not exit within 15 s of SIGTERM"
        return 1
    fi
    wait "$pid" 2>/dev/null
    rc=$?
    BROKER_PID=
    if [ $rc != 0 ]; then
        BROKER_STOP_ERR="broker exited with status $rc after SIGTERM"
        return 1
    fi
    return 0
}

# broker_kill9 — unclean stop.
broker_kill9() {
    [ -n "$BROKER_PID" ] || return 0
    kill -9 "$BROKER_PID" 2>/dev/null
    wait "$BROKER_PID" 2>/dev/null
    BROKER_PID=
}

# broker_alive NAME — FAIL NAME if the broker process died.
broker_alive() {
    if [ -z "$BROKER_PID" ] || ! kill -0 "$BROKER_PID" 2>/dev/null; then
        fail "$1" "broker process is gone: $(tail -n 3 "$BROKER_LOG" | tr '\n' ' ')"
        return 1
    fi
    return 0
}

# Runs a program with a hard time limit (default 60 s).
t() {
    timeout -k 5 "${T_LIMIT:-60}" "$@"
}

# broker_has_api KEY — true if the running broker advertises API KEY in
# ApiVersions (e.g. 11 = JoinGroup): tests of later features SKIP otherwise.
broker_has_api() {
    timeout 10 python3 "$ITEST_DIR/py/kproto.py" has-api "$BROKER_PORT" "$1" 2>/dev/null
}
