/*
 * codec.c — primitive readers and writers of the Kafka wire format, and the
 * request/response framing helpers; the per-message code in proto/gen/ is
 * generated from Kafka's JSON specs by tools/kgen.py and built from these.
 *
 * Invariants:
 *  - a reader either consumes exactly its value and returns 0, or returns -1
 *    with rd->err set ("<what>: <problem> at offset N"); it never reads past
 *    rd->len and never allocates;
 *  - lengths are checked against the bytes left before anything points at
 *    them, so a decoded view (string, bytes, records) is always in bounds;
 *  - writers cannot fail; a null where the version does not allow one is
 *    written as the empty value.
 */
#include "proto/codec.h"

#include <stdarg.h>
#include <stdio.h>

void bs_krd_init(bs_krd_t *rd, const void *buf, size_t len)
{
    rd->buf = buf;
    rd->len = len;
    rd->off = 0;
    rd->err[0] = 0;
}

int bs_krd_fail(bs_krd_t *rd, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(rd->err, sizeof(rd->err), fmt, ap);
    va_end(ap);
    if (n >= 0 && (size_t)n < sizeof(rd->err))
        snprintf(rd->err + n, sizeof(rd->err) - (size_t)n, " at offset %zu", rd->off);
    return -1;
}

void bs_krd_errctx(bs_krd_t *rd, const char *fmt, ...)
{
    char pre[128];
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(pre, sizeof(pre), fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    size_t plen = (size_t)n < sizeof(pre) ? (size_t)n : sizeof(pre) - 1;
    size_t elen = strnlen(rd->err, sizeof(rd->err) - 1);
    if (plen >= sizeof(rd->err) - 1)
        plen = sizeof(rd->err) - 1;
    /* keep the end of the message if it no longer fits: the cause is there */
    if (plen + elen > sizeof(rd->err) - 1)
        elen = sizeof(rd->err) - 1 - plen;
    memmove(rd->err + plen, rd->err, elen);
    memcpy(rd->err, pre, plen);
    rd->err[plen + elen] = 0;
}

int bs_kstr_eq(bs_kstr_t s, const char *cstr)
{
    if (s.len < 0 || !cstr)
        return 0;
    size_t n = strlen(cstr);
    return (size_t)s.len == n && (n == 0 || memcmp(s.ptr, cstr, n) == 0);
}

char *bs_kstr_dup(bs_kstr_t s, bs_arena_t *arena)
{
    if (s.len < 0)
        return NULL;
    return bs_arena_strndup(arena, s.len ? s.ptr : "", (size_t)s.len);
}

/* ---- reader ---------------------------------------------------------- */

static int need(bs_krd_t *rd, size_t n, const char *what)
{
    if (bs_krd_left(rd) >= n)
        return 0;
    return bs_krd_fail(rd, "%s needs %zu bytes but %zu are left", what, n, bs_krd_left(rd));
}

static uint64_t get_be(const uint8_t *p, int n)
{
    uint64_t v = 0;
    for (int i = 0; i < n; i++)
        v = (v << 8) | p[i];
    return v;
}

#define READ_FIXED(fn, T, UT, n, what)                                                             \
    int fn(bs_krd_t *rd, T *v)                                                                     \
    {                                                                                              \
        if (need(rd, n, what) < 0)                                                                 \
            return -1;                                                                             \
        *v = (T)(UT)get_be(rd->buf + rd->off, n);                                                  \
        rd->off += n;                                                                              \
        return 0;                                                                                  \
    }

READ_FIXED(bs_krd_i8, int8_t, uint8_t, 1, "int8")
READ_FIXED(bs_krd_i16, int16_t, uint16_t, 2, "int16")
READ_FIXED(bs_krd_i32, int32_t, uint32_t, 4, "int32")
READ_FIXED(bs_krd_i64, int64_t, uint64_t, 8, "int64")
READ_FIXED(bs_krd_u16, uint16_t, uint16_t, 2, "uint16")
READ_FIXED(bs_krd_u32, uint32_t, uint32_t, 4, "uint32")

int bs_krd_f64(bs_krd_t *rd, double *v)
{
    if (need(rd, 8, "float64") < 0)
        return -1;
    uint64_t u = get_be(rd->buf + rd->off, 8);
    memcpy(v, &u, 8);
    rd->off += 8;
    return 0;
}

int bs_krd_bool(bs_krd_t *rd, bool *v)
{
    if (need(rd, 1, "bool") < 0)
        return -1;
    *v = rd->buf[rd->off++] != 0;
    return 0;
}

int bs_krd_uuid(bs_krd_t *rd, bs_uuid_t *v)
{
    if (need(rd, 16, "uuid") < 0)
        return -1;
    memcpy(v->b, rd->buf + rd->off, 16);
    rd->off += 16;
    return 0;
}

int bs_krd_uvarlong(bs_krd_t *rd, uint64_t *v)
{
    uint64_t r = 0;
    for (int i = 0; i < 10; i++) {
        if (rd->off >= rd->len)
            return bs_krd_fail(rd, "varint is truncated");
        uint8_t b = rd->buf[rd->off++];
        r |= (uint64_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    return bs_krd_fail(rd, "varint is longer than 10 bytes");
}

int bs_krd_uvarint(bs_krd_t *rd, uint32_t *v)
{
    uint32_t r = 0;
    size_t start = rd->off;
    for (int i = 0; i < 5; i++) {
        if (rd->off >= rd->len)
            return bs_krd_fail(rd, "varint is truncated");
        uint8_t b = rd->buf[rd->off++];
        if (i == 4 && b > 0x0f) {
            rd->off = start;
            return bs_krd_fail(rd, "varint does not fit in 32 bits");
        }
        r |= (uint32_t)(b & 0x7f) << (7 * i);
        if (!(b & 0x80)) {
            *v = r;
            return 0;
        }
    }
    rd->off = start;
    return bs_krd_fail(rd, "varint is longer than 5 bytes");
}

int bs_krd_varint(bs_krd_t *rd, int32_t *v)
{
    uint32_t u;
    if (bs_krd_uvarint(rd, &u) < 0)
        return -1;
    *v = (int32_t)((u >> 1) ^ (~(u & 1) + 1));
    return 0;
}

int bs_krd_varlong(bs_krd_t *rd, int64_t *v)
{
    uint64_t u;
    if (bs_krd_uvarlong(rd, &u) < 0)
        return -1;
    *v = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
    return 0;
}

int bs_krd_skip(bs_krd_t *rd, size_t n)
{
    if (need(rd, n, "skipped field") < 0)
        return -1;
    rd->off += n;
    return 0;
}

/* Reads a length: compact uvarint N+1 or a 2/4-byte signed int. *len is -1
 * for null. Checks that len bytes are left. */
static int read_len(bs_krd_t *rd, int64_t *len, int compact, int width, int nullable,
                    const char *what)
{
    size_t start = rd->off;
    int64_t n;
    if (compact) {
        uint32_t u;
        if (bs_krd_uvarint(rd, &u) < 0)
            return -1;
        n = (int64_t)u - 1;
    } else if (width == 2) {
        int16_t s;
        if (bs_krd_i16(rd, &s) < 0)
            return -1;
        n = s;
    } else {
        int32_t s;
        if (bs_krd_i32(rd, &s) < 0)
            return -1;
        n = s;
    }
    if (n < -1) {
        rd->off = start;
        return bs_krd_fail(rd, "%s length %lld is negative", what, (long long)n);
    }
    if (n == -1 && !nullable) {
        rd->off = start;
        return bs_krd_fail(rd, "%s is null but not nullable in this version", what);
    }
    if (n > (int64_t)bs_krd_left(rd)) {
        return bs_krd_fail(rd, "%s length %lld exceeds the %zu bytes left", what, (long long)n,
                           bs_krd_left(rd));
    }
    *len = n;
    return 0;
}

int bs_krd_str(bs_krd_t *rd, bs_kstr_t *v, int compact, int nullable)
{
    int64_t n;
    if (read_len(rd, &n, compact, 2, nullable, "string") < 0)
        return -1;
    v->len = (int32_t)n;
    v->ptr = n < 0 ? NULL : (const char *)rd->buf + rd->off;
    if (n > 0)
        rd->off += (size_t)n;
    return 0;
}

int bs_krd_bytes(bs_krd_t *rd, bs_kbytes_t *v, int compact, int nullable)
{
    int64_t n;
    if (read_len(rd, &n, compact, 4, nullable, "bytes") < 0)
        return -1;
    v->len = (int32_t)n;
    v->ptr = n < 0 ? NULL : rd->buf + rd->off;
    if (n > 0)
        rd->off += (size_t)n;
    return 0;
}

int bs_krd_records(bs_krd_t *rd, bs_krecords_t *v, int compact, int nullable)
{
    int64_t n;
    if (read_len(rd, &n, compact, 4, nullable, "records") < 0)
        return -1;
    memset(v, 0, sizeof(*v));
    v->fd = -1;
    v->len = (int32_t)n;
    v->ptr = n < 0 ? NULL : rd->buf + rd->off;
    if (n > 0)
        rd->off += (size_t)n;
    return 0;
}

int bs_krd_arrlen(bs_krd_t *rd, int32_t *n, int compact, int nullable, size_t min_elem)
{
    size_t start = rd->off;
    int64_t c;
    if (compact) {
        uint32_t u;
        if (bs_krd_uvarint(rd, &u) < 0)
            return -1;
        c = (int64_t)u - 1;
    } else {
        int32_t s;
        if (bs_krd_i32(rd, &s) < 0)
            return -1;
        c = s;
    }
    if (c < -1) {
        rd->off = start;
        return bs_krd_fail(rd, "array length %lld is negative", (long long)c);
    }
    if (c == -1 && !nullable) {
        rd->off = start;
        return bs_krd_fail(rd, "array is null but not nullable in this version");
    }
    if (min_elem == 0)
        min_elem = 1;
    if (c > 0 && (uint64_t)c > bs_krd_left(rd) / min_elem) {
        return bs_krd_fail(rd,
                           "array length %lld exceeds the %zu bytes left (each element needs at "
                           "least %zu)",
                           (long long)c, bs_krd_left(rd), min_elem);
    }
    *n = (int32_t)c;
    return 0;
}

int bs_krd_taghdr(bs_krd_t *rd, uint32_t *tag, uint32_t *size)
{
    if (bs_krd_uvarint(rd, tag) < 0 || bs_krd_uvarint(rd, size) < 0)
        return -1;
    if (*size > bs_krd_left(rd))
        return bs_krd_fail(rd, "tagged field %u size %u exceeds the %zu bytes left", *tag, *size,
                           bs_krd_left(rd));
    return 0;
}

int bs_krd_skip_tags(bs_krd_t *rd)
{
    uint32_t n, tag, size;
    if (bs_krd_uvarint(rd, &n) < 0)
        return -1;
    for (uint32_t i = 0; i < n; i++) {
        if (bs_krd_taghdr(rd, &tag, &size) < 0)
            return -1;
        rd->off += size;
    }
    return 0;
}

/* ---- writer ---------------------------------------------------------- */

void bs_kwr_f64(bs_wbuf_t *w, double v)
{
    uint64_t u;
    memcpy(&u, &v, 8);
    bs_wbuf_be64(w, u);
}

void bs_kwr_uvarlong(bs_wbuf_t *w, uint64_t v)
{
    uint8_t tmp[10];
    int n = 0;
    while (v >= 0x80) {
        tmp[n++] = (uint8_t)(v | 0x80);
        v >>= 7;
    }
    tmp[n++] = (uint8_t)v;
    bs_wbuf_put(w, tmp, (size_t)n);
}

void bs_kwr_uvarint(bs_wbuf_t *w, uint32_t v)
{
    bs_kwr_uvarlong(w, v);
}

void bs_kwr_varint(bs_wbuf_t *w, int32_t v)
{
    bs_kwr_uvarlong(w, (uint32_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)));
}

void bs_kwr_varlong(bs_wbuf_t *w, int64_t v)
{
    bs_kwr_uvarlong(w, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

static void write_len(bs_wbuf_t *w, int32_t n, int compact, int width)
{
    if (compact)
        bs_kwr_uvarint(w, (uint32_t)(n + 1));
    else if (width == 2)
        bs_kwr_i16(w, (int16_t)n);
    else
        bs_kwr_i32(w, n);
}

void bs_kwr_str(bs_wbuf_t *w, bs_kstr_t v, int compact, int nullable)
{
    if (v.len < 0) {
        write_len(w, nullable ? -1 : 0, compact, 2);
        return;
    }
    /* int16 lengths cannot express more; a longer string is cut (callers
     * must not produce one). */
    int32_t n = !compact && v.len > INT16_MAX ? INT16_MAX : v.len;
    write_len(w, n, compact, 2);
    bs_wbuf_put(w, v.ptr, (size_t)n);
}

void bs_kwr_bytes(bs_wbuf_t *w, bs_kbytes_t v, int compact, int nullable)
{
    if (v.len < 0) {
        write_len(w, nullable ? -1 : 0, compact, 4);
        return;
    }
    write_len(w, v.len, compact, 4);
    bs_wbuf_put(w, v.ptr, (size_t)v.len);
}

void bs_kwr_records(bs_wbuf_t *w, const bs_krecords_t *v, int compact, int nullable)
{
    if (v->len < 0) {
        write_len(w, nullable ? -1 : 0, compact, 4);
        return;
    }
    write_len(w, v->len, compact, 4);
    if (v->has_file)
        bs_wbuf_splice(w, v->fd, v->file_off, v->len, v->release, v->ctx);
    else
        bs_wbuf_put(w, v->ptr, (size_t)v->len);
}

void bs_kwr_arrlen(bs_wbuf_t *w, int32_t n, int compact, int nullable)
{
    if (n < 0)
        n = nullable ? -1 : 0;
    write_len(w, n, compact, 4);
}

void bs_kwr_tagged(bs_wbuf_t *w, uint32_t tag, const bs_wbuf_t *tmp)
{
    bs_kwr_uvarint(w, tag);
    bs_kwr_uvarint(w, (uint32_t)tmp->len);
    bs_wbuf_put(w, tmp->data, tmp->len);
}

/* ---- framing --------------------------------------------------------- */

int bs_kreq_header_decode(bs_krd_t *rd, bs_RequestHeader_t *h)
{
    int rc = -1;
    size_t start = rd->off;
    int16_t key, ver;
    if (bs_krd_i16(rd, &key) < 0 || bs_krd_i16(rd, &ver) < 0) {
        bs_krd_errctx(rd, "RequestHeader: ");
        goto done;
    }
    rd->off = start;
    rc = bs_RequestHeader_decode(h, rd, (int16_t)bs_kapi_request_header_version(key, ver), NULL);
done:
    return rc;
}

void bs_kresp_begin(bs_wbuf_t *w, int16_t key, int16_t ver, int32_t correlation_id,
                    size_t *frame_pos)
{
    bs_ResponseHeader_t h;
    *frame_pos = w->len;
    bs_kwr_i32(w, 0); /* size, patched by bs_kresp_end() */
    bs_ResponseHeader_init(&h);
    h.CorrelationId = correlation_id;
    bs_ResponseHeader_encode(&h, w, (int16_t)bs_kapi_response_header_version(key, ver));
}

void bs_kresp_end(bs_wbuf_t *w, size_t frame_pos)
{
    /* Splices added after the placeholder sit at data positions beyond it;
     * earlier ones (previous frames in the same wbuf) are at or before it. */
    int64_t size = (int64_t)(w->len - frame_pos - 4);
    for (int i = 0; i < w->nspl; i++)
        if (w->spl[i].at > frame_pos)
            size += w->spl[i].len;
    bs_wbuf_patch_be32(w, frame_pos, (uint32_t)size);
}
