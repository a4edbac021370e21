/*
 * wbuf.c — growable output buffer with file splices; see wbuf.h.
 */
#include "wbuf.h"

#include "arena.h"

#include <stdlib.h>
#include <unistd.h>

void bs_wbuf_init(bs_wbuf_t *w)
{
    memset(w, 0, sizeof(*w));
}

static void release_splices(bs_wbuf_t *w)
{
    for (int i = 0; i < w->nspl; i++)
        if (w->spl[i].release)
            w->spl[i].release(w->spl[i].ctx);
    w->nspl = 0;
    w->spl_bytes = 0;
}

void bs_wbuf_free(bs_wbuf_t *w)
{
    release_splices(w);
    free(w->data);
    free(w->spl);
    memset(w, 0, sizeof(*w));
}

void bs_wbuf_reset(bs_wbuf_t *w)
{
    release_splices(w);
    w->len = 0;
}

void bs_wbuf_grow(bs_wbuf_t *w, size_t extra)
{
    size_t ncap = w->cap ? w->cap : 256;
    while (ncap - w->len < extra)
        ncap *= 2;
    w->data = bs_xrealloc(w->data, ncap);
    w->cap = ncap;
}

void bs_wbuf_be16(bs_wbuf_t *w, uint16_t v)
{
    uint8_t *p = bs_wbuf_reserve(w, 2);
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}

void bs_wbuf_be32(bs_wbuf_t *w, uint32_t v)
{
    uint8_t *p = bs_wbuf_reserve(w, 4);
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void bs_wbuf_be64(bs_wbuf_t *w, uint64_t v)
{
    bs_wbuf_be32(w, (uint32_t)(v >> 32));
    bs_wbuf_be32(w, (uint32_t)v);
}

void bs_wbuf_patch_be32(bs_wbuf_t *w, size_t pos, uint32_t v)
{
    uint8_t *p = w->data + pos;
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}

void bs_wbuf_splice(bs_wbuf_t *w, int fd, int64_t off, int64_t len, void (*release)(void *ctx),
                    void *ctx)
{
    if (w->nspl == w->capspl) {
        w->capspl = w->capspl ? w->capspl * 2 : 8;
        w->spl = bs_xrealloc(w->spl, (size_t)w->capspl * sizeof(*w->spl));
    }
    bs_wsplice_t *s = &w->spl[w->nspl++];
    s->at = w->len;
    s->fd = fd;
    s->off = off;
    s->len = len;
    s->release = release;
    s->ctx = ctx;
    w->spl_bytes += len;
}

int bs_wbuf_flatten(const bs_wbuf_t *w, uint8_t *out)
{
    size_t pos = 0;
    for (int i = 0; i < w->nspl; i++) {
        const bs_wsplice_t *s = &w->spl[i];
        if (s->at > pos)
            memcpy(out, w->data + pos, s->at - pos);
        out += s->at - pos;
        pos = s->at;
        int64_t done = 0;
        while (done < s->len) {
            ssize_t r = pread(s->fd, out + done, (size_t)(s->len - done), s->off + done);
            if (r <= 0)
                return -1;
            done += r;
        }
        out += s->len;
    }
    if (w->len > pos)
        memcpy(out, w->data + pos, w->len - pos);
    return 0;
}
