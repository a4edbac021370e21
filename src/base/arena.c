/*
 * arena.c — bump allocator. Chunks form a singly linked list, newest first;
 * an allocation larger than the chunk size gets a chunk of its own.
 */
#include "arena.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct bs_arena_chunk_s {
    bs_arena_chunk_t *next;
    size_t size; /* usable bytes in data[] */
    size_t used;
    _Alignas(16) unsigned char data[];
};

void *bs_xmalloc(size_t size)
{
    void *p = malloc(size ? size : 1);
    if (!p) {
        fprintf(stderr, "basin: out of memory allocating %zu bytes\n", size);
        abort();
    }
    return p;
}

void *bs_xcalloc(size_t n, size_t size)
{
    void *p = calloc(n ? n : 1, size ? size : 1);
    if (!p) {
        fprintf(stderr, "basin: out of memory allocating %zu x %zu bytes\n", n, size);
        abort();
    }
    return p;
}

void *bs_xrealloc(void *p, size_t size)
{
    void *q = realloc(p, size ? size : 1);
    if (!q) {
        fprintf(stderr, "basin: out of memory reallocating %zu bytes\n", size);
        abort();
    }
    return q;
}

char *bs_xstrdup(const char *s)
{
    return bs_xstrndup(s, strlen(s));
}

char *bs_xstrndup(const char *s, size_t n)
{
    char *d = bs_xmalloc(n + 1);
    memcpy(d, s, n);
    d[n] = '\0';
    return d;
}

static bs_arena_chunk_t *chunk_new(size_t size)
{
    bs_arena_chunk_t *c = bs_xmalloc(sizeof(*c) + size);
    c->next = NULL;
    c->size = size;
    c->used = 0;
    return c;
}

void bs_arena_init(bs_arena_t *a, size_t chunk_size)
{
    a->head = NULL;
    a->chunk_size = chunk_size ? chunk_size : 8192;
}

void *bs_arena_alloc(bs_arena_t *a, size_t size)
{
    bs_arena_chunk_t *c = a->head;
    size = (size + 15) & ~(size_t)15;
    if (!c || c->size - c->used < size) {
        if (size > a->chunk_size / 2) {
            /* big allocation: own chunk, linked behind the current one so the
             * current chunk's free space is not wasted */
            bs_arena_chunk_t *big = chunk_new(size);
            big->used = size;
            if (c) {
                big->next = c->next;
                c->next = big;
            } else {
                a->head = big;
            }
            return big->data;
        }
        c = chunk_new(a->chunk_size);
        c->next = a->head;
        a->head = c;
    }
    void *p = c->data + c->used;
    c->used += size;
    return p;
}

void *bs_arena_calloc(bs_arena_t *a, size_t size)
{
    void *p = bs_arena_alloc(a, size);
    memset(p, 0, size);
    return p;
}

char *bs_arena_strndup(bs_arena_t *a, const char *s, size_t len)
{
    char *d = bs_arena_alloc(a, len + 1);
    memcpy(d, s, len);
    d[len] = '\0';
    return d;
}

void bs_arena_reset(bs_arena_t *a)
{
    bs_arena_chunk_t *c = a->head, *keep = NULL;
    while (c) {
        bs_arena_chunk_t *n = c->next;
        if (!keep && c->size == a->chunk_size)
            keep = c;
        else
            free(c);
        c = n;
    }
    if (keep) {
        keep->next = NULL;
        keep->used = 0;
    }
    a->head = keep;
}

void bs_arena_destroy(bs_arena_t *a)
{
    bs_arena_chunk_t *c = a->head;
    while (c) {
        bs_arena_chunk_t *n = c->next;
        free(c);
        c = n;
    }
    a->head = NULL;
}
