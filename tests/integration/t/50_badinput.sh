#!/usr/bin/env bash
# Bad input on raw sockets: the broker answers with the right error or closes
# the connection, never crashes, hangs or stores anything bad.
. "$(dirname "$0")/../lib.sh"
itest_init
if ! broker_start; then
    fail badinput "$BROKER_START_ERR"
    exit 1
fi
if ! out=$(t "$ITEST_BIN/admin" "$BOOTSTRAP" create badinput 1 2>&1); then
    fail badinput.create_topic "$out"
fi
T_LIMIT=200 t python3 "$ITEST_DIR/py/badinput.py" "$BROKER_PORT" badinput
# Only the good batches are stored, and a normal client reads them.
got=$(t kcat -b "$BOOTSTRAP" -C -t badinput -p 0 -o beginning -e -q -f '%o:%s\n' 2>&1)
if [ "$got" = "$(printf '0:good-1\n1:good-2\n2:gzip-3\n3:gzip-4')" ]; then
    pass badinput.stored_data_intact
else
    fail badinput.stored_data_intact "expected offsets 0:good-1 1:good-2 2:gzip-3 3:gzip-4, kcat read: $(echo "$got" | head -n 5 | tr '\n' ' ')"
fi
if broker_alive badinput.broker_survived; then
    if broker_stop; then pass badinput.clean_stop; else fail badinput.clean_stop "$BROKER_STOP_ERR"; fi
fi
