/*
 * fuzz_schemas_store.c — libFuzzer target for the Schema Registry's
 * `_schemas` record decoder (bs_reg_model_apply in src/registry/model.c,
 * which the store's consumer thread calls for every record): Confluent's
 * JSON keys (SCHEMA, CONFIG, MODE, DELETE_SUBJECT, CLEAR_SUBJECT, NOOP, ...)
 * and values, tombstones included.
 *
 * Input: a sequence of records, each
 *   u16 key length | key | u16 value length (0xFFFF = null, a tombstone) | value
 * (big-endian; a truncated tail is dropped), applied in order to a fresh
 * model. Then the model's invariants are checked: versions ascending per
 * subject, every version's schema reachable by id, each schema's use count
 * equal to the versions referring to it, by-ident entries pointing at live
 * schemas with that identity; and the model is freed.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/log.h"
#include "registry/model.h"

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

static void check_model(bs_reg_model_t *m)
{
    size_t i = 0;
    const bs_hmap_ent_t *e;
    /* count uses per schema id */
    bs_hmap_t uses;
    bs_hmap_init(&uses);
    while (bs_hmap_next(&m->subjects, &i, &e)) {
        bs_reg_subject_t *s = e->val;
        if (bs_reg_model_subject(m, s->name) != s)
            abort();
        for (int k = 0; k < s->nv; k++) {
            bs_reg_version_t *v = &s->v[k];
            if (k > 0 && s->v[k - 1].version >= v->version)
                abort(); /* ascending, no duplicates */
            if (!v->schema || bs_reg_model_schema(m, v->schema->id) != v->schema)
                abort();
            if (bs_reg_subject_version(s, v->version) != v)
                abort();
            int *n = bs_hmap_get(&uses, (const char *)&v->schema->id, sizeof(int32_t));
            if (!n) {
                n = calloc(1, sizeof(*n));
                bs_hmap_put(&uses, (const char *)&v->schema->id, sizeof(int32_t), n);
            }
            (*n)++;
        }
        (void)bs_reg_subject_latest(s, false);
        (void)bs_reg_subject_live(s);
    }
    i = 0;
    while (bs_hmap_next(&m->by_id, &i, &e)) {
        bs_reg_schema_t *sc = e->val;
        int *n = bs_hmap_get(&uses, (const char *)&sc->id, sizeof(int32_t));
        if (!n || *n != sc->nuse) {
            fprintf(stderr, "schema %d: nuse %d, used by %d versions\n", (int)sc->id, sc->nuse,
                    n ? *n : 0);
            abort();
        }
        if (sc->id > m->max_id)
            abort();
    }
    i = 0;
    while (bs_hmap_next(&m->by_ident, &i, &e)) {
        bs_reg_schema_t *sc = e->val;
        if (bs_reg_model_schema(m, sc->id) != sc || sc->identlen != e->klen ||
            memcmp(sc->ident, e->key, e->klen) != 0) {
            fprintf(stderr, "by_ident entry for a dead or different schema\n");
            abort();
        }
    }
    i = 0;
    while (bs_hmap_next(&uses, &i, &e))
        free(e->val);
    bs_hmap_free(&uses);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    char err[512];
    bs_reg_model_t m;
    if (!init) {
        bs_log_set_level((bs_log_level_t)(BS_LOG_ERROR + 1));
        init = 1;
    }
    bs_reg_model_init(&m);
    const uint8_t *p = data;
    size_t left = size;
    for (int64_t off = 0; off < 10000; off++) {
        const uint8_t *key, *val;
        int32_t klen, vlen;
        if (next_field(&p, &left, &key, &klen) < 0 || next_field(&p, &left, &val, &vlen) < 0)
            break;
        (void)bs_reg_model_apply(&m, (const char *)key, klen < 0 ? 0 : (size_t)klen,
                                 (const char *)val, vlen < 0 ? 0 : (size_t)vlen, off, err,
                                 sizeof(err));
    }
    check_model(&m);
    bs_reg_model_free(&m);
    return 0;
}
