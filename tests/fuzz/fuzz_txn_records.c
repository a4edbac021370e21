/*
 * fuzz_txn_records.c — libFuzzer target for the __transaction_state record
 * decoder (bs_txn_apply_record in src/broker/txn.c, the body of the
 * start-up replay): TransactionLogKey/Value v0 (v1 is recognised and
 * skipped), tombstones included.
 *
 * Input: a sequence of records, each
 *   u16 key length | key | u16 value length (0xFFFF = null, a tombstone) | value
 * (big-endian; a truncated tail is dropped), applied in order to the
 * transaction maps of a broker struct that has no topics (nothing is
 * written). Then the two indexes are checked against each other: every
 * transaction is found by its id, the pid index only points at live
 * transactions with that pid, and bs_txn_shutdown frees everything.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "broker/txn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static int next_field(const uint8_t **p, size_t *left, const uint8_t **f, int32_t *len)
{
    if (*left < 2)
        return -1;
    uint16_t n = (uint16_t)((*p)[0] << 8 | (*p)[1]);
    *p += 2;
    *left -= 2;
    if (n == 0xFFFF) {
        *f = NULL;
        *len = -1;
        return 0;
    }
    if (n > *left)
        return -1;
    *f = *p;
    *len = n;
    *p += n;
    *left -= n;
    return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bs_broker_config_t cfg;
    static int init;
    bs_broker_t b;
    if (!init) {
        bs_log_set_level((bs_log_level_t)(BS_LOG_ERROR + 1));
        bs_broker_config_init(&cfg);
        init = 1;
    }
    memset(&b, 0, sizeof(b));
    b.cfg = &cfg;
    bs_hmap_init(&b.topics);
    if (bs_txn_load(&b) != 0) /* no __transaction_state: just initialises the maps */
        abort();
    const uint8_t *p = data;
    size_t left = size;
    for (int64_t off = 0; off < 10000; off++) {
        const uint8_t *key, *val;
        int32_t klen, vlen;
        if (next_field(&p, &left, &key, &klen) < 0 || next_field(&p, &left, &val, &vlen) < 0)
            break;
        (void)bs_txn_apply_record(&b, key, klen, val, vlen, off);
    }
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&b.txns, &it, &e)) {
        bs_txn_t *t = e->val;
        bs_kstr_t id = {t->id, (int32_t)strlen(t->id)};
        if (t->state < 0 || t->state > BS_TXN_DEAD || t->nparts < 0)
            abort();
        if (e->klen == strlen(t->id) && bs_txn_find(&b, id) != t)
            abort();
        for (int i = 0; i < t->nparts; i++)
            if (!t->parts[i].topic)
                abort();
        (void)bs_txn_state_name(t->state);
    }
    it = 0;
    while (bs_hmap_next(&b.txn_pids, &it, &e)) {
        bs_txn_t *t = e->val;
        int found = 0;
        size_t j = 0;
        const bs_hmap_ent_t *e2;
        while (!found && bs_hmap_next(&b.txns, &j, &e2))
            found = e2->val == t;
        if (!found || memcmp(e->key, &t->pid, 8) != 0) {
            fprintf(stderr, "pid index points at a dead or re-keyed transaction\n");
            abort();
        }
    }
    bs_txn_shutdown(&b);
    bs_hmap_free(&b.topics);
    return 0;
}
