/*
 * wbuf.h — output buffer for responses: one contiguous growable byte array
 * plus "splices", ranges of files inserted at given positions, so a Fetch
 * response can carry log segment bytes that go to the socket with sendfile()
 * instead of being copied through user space (nginx's ngx_buf_t file bufs).
 *
 * Logical content = data[0..s0.at] + file(s0) + data[s0.at..s1.at] + file(s1)
 *                   + ... + data[sN.at..len]
 * bs_wbuf_total() is the logical length. A splice owns one reference to its
 * file, dropped through its release callback when the wbuf is reset/freed.
 */
#ifndef BS_WBUF_H
#define BS_WBUF_H

#include <stddef.h>
#include <stdint.h>
#include <string.h>

typedef struct bs_wsplice_s {
    size_t at; /* position in data[] before which the range goes */
    int fd;
    int64_t off;
    int64_t len;
    void (*release)(void *ctx); /* may be NULL */
    void *ctx;
} bs_wsplice_t;

typedef struct bs_wbuf_s {
    uint8_t *data;
    size_t len, cap;
    bs_wsplice_t *spl;
    int nspl, capspl;
    int64_t spl_bytes; /* sum of splice lengths */
} bs_wbuf_t;

void bs_wbuf_init(bs_wbuf_t *w);
void bs_wbuf_free(bs_wbuf_t *w);  /* releases splices, frees memory */
void bs_wbuf_reset(bs_wbuf_t *w); /* releases splices, keeps capacity */
void bs_wbuf_grow(bs_wbuf_t *w, size_t extra);

static inline uint8_t *bs_wbuf_reserve(bs_wbuf_t *w, size_t n)
{
    if (w->cap - w->len < n)
        bs_wbuf_grow(w, n);
    uint8_t *p = w->data + w->len;
    w->len += n;
    return p;
}
static inline void bs_wbuf_put(bs_wbuf_t *w, const void *p, size_t n)
{
    if (n)
        memcpy(bs_wbuf_reserve(w, n), p, n);
}
static inline void bs_wbuf_u8(bs_wbuf_t *w, uint8_t v)
{
    *bs_wbuf_reserve(w, 1) = v;
}
void bs_wbuf_be16(bs_wbuf_t *w, uint16_t v);
void bs_wbuf_be32(bs_wbuf_t *w, uint32_t v);
void bs_wbuf_be64(bs_wbuf_t *w, uint64_t v);
/* Overwrites 4 bytes already written at data[pos]. */
void bs_wbuf_patch_be32(bs_wbuf_t *w, size_t pos, uint32_t v);

/* Appends a file range at the current end. Takes ownership of the reference
 * (release(ctx) is called once the wbuf no longer needs the fd). */
void bs_wbuf_splice(bs_wbuf_t *w, int fd, int64_t off, int64_t len, void (*release)(void *ctx),
                    void *ctx);

static inline int64_t bs_wbuf_total(const bs_wbuf_t *w)
{
    return (int64_t)w->len + w->spl_bytes;
}

/* Copies the logical content (reading spliced files with pread) into out,
 * which must hold bs_wbuf_total() bytes. Returns 0 or -1 on a read error.
 * Used by tests and by transports that cannot sendfile. */
int bs_wbuf_flatten(const bs_wbuf_t *w, uint8_t *out);

#endif
