/*
 * hmap.c — open addressing hash map with linear probing and tombstones.
 * Load factor (used + tombstones) kept under 0.7 by rehashing.
 */
#include "hmap.h"

#include "arena.h"

#include <stdlib.h>
#include <string.h>

#define TOMB ((char *)1)

uint64_t bs_hash64(const void *p, size_t len)
{
    /* FNV-1a, then a final mix so low bits are well distributed */
    const unsigned char *s = p;
    uint64_t h = 1469598103934665603ULL;
    for (size_t i = 0; i < len; i++) {
        h ^= s[i];
        h *= 1099511628211ULL;
    }
    h ^= h >> 33;
    h *= 0xff51afd7ed558ccdULL;
    h ^= h >> 33;
    return h;
}

void bs_hmap_init(bs_hmap_t *m)
{
    memset(m, 0, sizeof(*m));
}

void bs_hmap_free(bs_hmap_t *m)
{
    for (size_t i = 0; i < m->cap; i++)
        if (m->ents[i].key && m->ents[i].key != TOMB)
            free(m->ents[i].key);
    free(m->ents);
    memset(m, 0, sizeof(*m));
}

static bs_hmap_ent_t *find(const bs_hmap_t *m, const char *key, size_t klen, uint64_t h)
{
    if (!m->cap)
        return NULL;
    size_t mask = m->cap - 1;
    for (size_t i = h & mask;; i = (i + 1) & mask) {
        bs_hmap_ent_t *e = &m->ents[i];
        if (!e->key)
            return NULL;
        if (e->key != TOMB && e->hash == h && e->klen == klen && memcmp(e->key, key, klen) == 0)
            return e;
    }
}

static void rehash(bs_hmap_t *m, size_t ncap)
{
    bs_hmap_ent_t *old = m->ents;
    size_t ocap = m->cap;
    m->ents = bs_xcalloc(ncap, sizeof(*m->ents));
    m->cap = ncap;
    m->tomb = 0;
    for (size_t i = 0; i < ocap; i++) {
        bs_hmap_ent_t *e = &old[i];
        if (!e->key || e->key == TOMB)
            continue;
        size_t j = e->hash & (ncap - 1);
        while (m->ents[j].key)
            j = (j + 1) & (ncap - 1);
        m->ents[j] = *e;
    }
    free(old);
}

void *bs_hmap_get(const bs_hmap_t *m, const char *key, size_t klen)
{
    bs_hmap_ent_t *e = find(m, key, klen, bs_hash64(key, klen));
    return e ? e->val : NULL;
}

void *bs_hmap_put(bs_hmap_t *m, const char *key, size_t klen, void *val)
{
    uint64_t h = bs_hash64(key, klen);
    bs_hmap_ent_t *e = find(m, key, klen, h);
    if (e) {
        void *prev = e->val;
        e->val = val;
        return prev;
    }
    if ((m->used + m->tomb + 1) * 10 >= m->cap * 7)
        rehash(m, m->cap ? (m->used * 2 >= m->cap ? m->cap * 2 : m->cap) : 16);
    size_t mask = m->cap - 1, i = h & mask;
    while (m->ents[i].key && m->ents[i].key != TOMB)
        i = (i + 1) & mask;
    if (m->ents[i].key == TOMB)
        m->tomb--;
    m->ents[i].key = bs_xstrndup(key, klen);
    m->ents[i].klen = klen;
    m->ents[i].hash = h;
    m->ents[i].val = val;
    m->used++;
    return NULL;
}

void *bs_hmap_del(bs_hmap_t *m, const char *key, size_t klen)
{
    bs_hmap_ent_t *e = find(m, key, klen, bs_hash64(key, klen));
    if (!e)
        return NULL;
    void *v = e->val;
    free(e->key);
    e->key = TOMB;
    e->val = NULL;
    m->used--;
    m->tomb++;
    return v;
}

int bs_hmap_next(const bs_hmap_t *m, size_t *iter, const bs_hmap_ent_t **ent)
{
    while (*iter < m->cap) {
        const bs_hmap_ent_t *e = &m->ents[(*iter)++];
        if (e->key && e->key != TOMB) {
            *ent = e;
            return 1;
        }
    }
    return 0;
}
