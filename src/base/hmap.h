/*
 * hmap.h — string-keyed hash map (open addressing, linear probing).
 *
 * Keys are copied into the map; values are opaque pointers owned by the
 * caller. Used for topics by name, groups by id, producer ids, ...
 * Not thread-safe.
 */
#ifndef BS_HMAP_H
#define BS_HMAP_H

#include <stddef.h>
#include <stdint.h>

typedef struct bs_hmap_ent_s {
    char *key; /* NULL = empty slot; (char *)1 = tombstone */
    size_t klen;
    uint64_t hash;
    void *val;
} bs_hmap_ent_t;

typedef struct bs_hmap_s {
    bs_hmap_ent_t *ents;
    size_t cap;  /* power of two */
    size_t used; /* live entries */
    size_t tomb;
} bs_hmap_t;

void bs_hmap_init(bs_hmap_t *m);
void bs_hmap_free(bs_hmap_t *m); /* frees keys, not values */
void *bs_hmap_get(const bs_hmap_t *m, const char *key, size_t klen);
/* Inserts or replaces; returns the previous value or NULL. */
void *bs_hmap_put(bs_hmap_t *m, const char *key, size_t klen, void *val);
void *bs_hmap_del(bs_hmap_t *m, const char *key, size_t klen);
/* Iteration: for (size_t i = 0; bs_hmap_next(m, &i, &e);) ... */
int bs_hmap_next(const bs_hmap_t *m, size_t *iter, const bs_hmap_ent_t **ent);
static inline size_t bs_hmap_count(const bs_hmap_t *m)
{
    return m->used;
}

uint64_t bs_hash64(const void *p, size_t len);

#endif
