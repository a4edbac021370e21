/*
 * fuzz_pidsnap.c — libFuzzer target for the producer-state snapshot reader
 * (bs_pidstate_parse_snapshot in src/broker/pidstate.c, what
 * bs_pidstate_load reads from <offset>.pidsnap).
 *
 * The snapshot ends with a CRC32C, which random bytes almost never match; so
 * when the first input byte is even, the target appends the right CRC to the
 * rest of the input (the fuzzer explores the body), and when it is odd the
 * rest is parsed as is (the CRC and length checks themselves). A state that
 * parsed is then used the way the broker uses it: sequence checks and
 * updates for every cached producer, markers, LSO, the aborted-transaction
 * lookup, trimming and expiry.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "broker/pidstate.h"
#include "proto/crc32c.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void exercise(bs_pidstate_t *s)
{
    int64_t pids[64];
    int n = 0;
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (n < 64 && bs_hmap_next(&s->map, &it, &e)) {
        const bs_pid_entry_t *pe = e->val;
        if (pe->nbatches < 0 || pe->nbatches > BS_PID_CACHED_BATCHES)
            abort();
        pids[n++] = pe->pid;
    }
    for (int i = 0; i < n; i++) {
        bs_pid_entry_t *pe = bs_pidstate_get(s, pids[i]);
        bs_batch_hdr_t h;
        int64_t dup = -1;
        memset(&h, 0, sizeof(h));
        h.ProducerId = pids[i];
        h.ProducerEpoch = pe->epoch;
        h.BaseSequence = pe->nbatches ? pe->batches[pe->nbatches - 1].last_seq : 0;
        h.LastOffsetDelta = 2;
        h.BaseOffset = 100;
        (void)bs_pidstate_check(s, &h, &dup);
        h.BaseSequence = h.BaseSequence == INT32_MAX ? 0 : h.BaseSequence + 1;
        if (bs_pidstate_check(s, &h, &dup) == BS_ERR_NONE)
            bs_pidstate_update(s, &h, 1700000000000);
        bs_pidstate_marker(s, pids[i], i % 2 == 0, 200 + i);
    }
    int count = 0;
    (void)bs_pidstate_lso(s, 1000);
    const bs_aborted_txn_t *a = bs_pidstate_aborted(s, 0, INT64_MAX, &count);
    volatile int64_t sink = 0;
    for (int i = 0; i < count; i++)
        sink ^= a[i].pid; /* touch every reported entry */
    (void)sink;
    bs_pidstate_trim(s, 50);
    (void)bs_pidstate_expire(s, 1700000000000, 604800000);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    char err[256];
    bs_pidstate_t s;
    if (!init) {
        bs_log_set_level((bs_log_level_t)(BS_LOG_ERROR + 1));
        init = 1;
    }
    if (size < 1)
        return 0;
    size_t n = size - 1;
    uint8_t *buf = malloc(n + 4);
    memcpy(buf, data + 1, n);
    if ((data[0] & 1) == 0) {
        uint32_t crc = bs_crc32c(0, buf, n);
        buf[n] = (uint8_t)(crc >> 24);
        buf[n + 1] = (uint8_t)(crc >> 16);
        buf[n + 2] = (uint8_t)(crc >> 8);
        buf[n + 3] = (uint8_t)crc;
        n += 4;
    }
    bs_pidstate_init(&s);
    err[0] = '\0';
    if (bs_pidstate_parse_snapshot(&s, buf, n, err, sizeof(err)) == 0)
        exercise(&s);
    else if (!err[0])
        abort(); /* a rejection must say why */
    bs_pidstate_free(&s);
    free(buf);
    return 0;
}
