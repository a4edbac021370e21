/*
 * fuzz_group_records.c — libFuzzer target for the __consumer_offsets record
 * decoder (bs_gstore_apply in src/broker/group_store.c): OffsetCommit and
 * GroupMetadata keys/values of every version, tombstones included.
 *
 * Input: a sequence of records, each
 *   u16 key length | key | u16 value length (0xFFFF = null, a tombstone) | value
 * (big-endian; a truncated tail is dropped). They are applied in order to a
 * coordinator created for the test (the broker struct of test_group.c, on an
 * empty temporary log dir that is never written: bs_gstore_apply only
 * changes memory). Then every group is checked:
 *  - GroupMetadataValue round trip: encoding the decoded group, applying that
 *    and encoding again gives the same bytes;
 *  - every member answers a heartbeat without crashing;
 * and the coordinator is shut down (all memory freed, timers cancelled).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "broker/group.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bs_broker_config_t g_cfg;
static bs_broker_t g_b;

static void fz_setup(void)
{
    char dir[128], err[256];
    snprintf(dir, sizeof(dir), "/tmp/fuzz_group_records.%d", (int)getpid());
    bs_log_set_level((bs_log_level_t)(BS_LOG_ERROR + 1));
    bs_broker_config_init(&g_cfg);
    if (bs_broker_config_set(&g_cfg, "log.dirs", dir, err, sizeof(err)) != 0 ||
        bs_broker_config_set(&g_cfg, "offsets.topic.num.partitions", "4", err, sizeof(err)) != 0)
        abort();
    memset(&g_b, 0, sizeof(g_b));
    g_b.cfg = &g_cfg;
    bs_hmap_init(&g_b.topics);
    g_b.loop = bs_loop_new();
    if (!g_b.loop)
        abort();
}

/* Reads one u16-length-prefixed field; *len = -1 for 0xFFFF (null). */
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

static void check_group(bs_gcoord_t *co, bs_group_t *g, const char *id)
{
    char err[512];
    bs_wbuf_t k, v1, v2;
    if (!g->protocol_type && g->nmembers == 0)
        return; /* offsets only: no GroupMetadata record describes it */
    bs_wbuf_init(&k);
    bs_wbuf_init(&v1);
    bs_wbuf_init(&v2);
    bs_gstore_enc_group_key(&k, id);
    bs_gstore_enc_group_value(&v1, g);
    if (bs_gstore_apply(co, k.data, (int32_t)k.len, v1.data, (int32_t)v1.len, err, sizeof(err)) !=
        0) {
        fprintf(stderr, "re-applying an encoded group failed: %s\n", err);
        abort();
    }
    g = bs_group_find(co, id, strlen(id));
    if (!g)
        abort();
    bs_gstore_enc_group_value(&v2, g);
    if (v1.len != v2.len || memcmp(v1.data, v2.data, v1.len) != 0) {
        fprintf(stderr, "GroupMetadataValue round trip differs (%zu vs %zu bytes)\n", v1.len,
                v2.len);
        abort();
    }
    for (int i = 0; i < g->nmembers; i++)
        (void)bs_group_heartbeat(co, g->id, g->generation, g->members[i]->id,
                                 g->members[i]->instance_id);
    bs_wbuf_free(&k);
    bs_wbuf_free(&v1);
    bs_wbuf_free(&v2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    char err[512];
    if (!init) {
        fz_setup();
        init = 1;
    }
    if (bs_group_init(&g_b) != 0)
        abort();
    const uint8_t *p = data;
    size_t left = size;
    for (int n = 0; n < 10000; n++) {
        const uint8_t *key, *val;
        int32_t klen, vlen;
        if (next_field(&p, &left, &key, &klen) < 0 || next_field(&p, &left, &val, &vlen) < 0)
            break;
        (void)bs_gstore_apply(g_b.groups, key, klen, val, vlen, err, sizeof(err));
    }
    /* collect first: check_group may replace groups in the map */
    bs_gcoord_t *co = g_b.groups;
    size_t n = bs_hmap_count(&co->groups), k = 0, it = 0;
    char **ids = calloc(n + 1, sizeof(*ids));
    const bs_hmap_ent_t *e;
    while (k < n && bs_hmap_next(&co->groups, &it, &e))
        ids[k++] = strdup(((bs_group_t *)e->val)->id);
    for (size_t i = 0; i < k; i++) {
        bs_group_t *g = bs_group_find(co, ids[i], strlen(ids[i]));
        if (g)
            check_group(co, g, ids[i]);
        free(ids[i]);
    }
    free(ids);
    bs_group_shutdown(&g_b);
    return 0;
}
