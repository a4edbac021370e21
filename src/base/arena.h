/*
 * arena.h — request-scoped bump allocator (nginx pools, h2o mem pools).
 *
 * Everything decoded from one request (arrays of the generated codec structs,
 * scratch strings) is allocated here and freed at once with bs_arena_reset()
 * or bs_arena_destroy(). Allocations are 16-byte aligned. Allocation failure
 * aborts the process: there is no sensible recovery from OOM in a broker.
 */
#ifndef BS_ARENA_H
#define BS_ARENA_H

#include <stddef.h>

typedef struct bs_arena_chunk_s bs_arena_chunk_t;

typedef struct bs_arena_s {
    bs_arena_chunk_t *head; /* current chunk; older chunks follow ->next */
    size_t chunk_size;      /* default size of new chunks */
} bs_arena_t;

void bs_arena_init(bs_arena_t *a, size_t chunk_size);
void *bs_arena_alloc(bs_arena_t *a, size_t size);  /* uninitialised */
void *bs_arena_calloc(bs_arena_t *a, size_t size); /* zeroed */
char *bs_arena_strndup(bs_arena_t *a, const char *s, size_t len);
/* Frees all but the first chunk and rewinds it. */
void bs_arena_reset(bs_arena_t *a);
void bs_arena_destroy(bs_arena_t *a);

/* malloc/realloc/calloc that abort on failure. */
void *bs_xmalloc(size_t size);
void *bs_xcalloc(size_t n, size_t size);
void *bs_xrealloc(void *p, size_t size);
char *bs_xstrdup(const char *s);
char *bs_xstrndup(const char *s, size_t n);

#endif
