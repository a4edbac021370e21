/*
 * codec.h — Kafka wire protocol codec: value types shared by every generated
 * message struct, the primitive readers/writers the generated code is built
 * from, and request/response framing helpers.
 *
 * Decoding is zero-copy: bs_kstr_t / bs_kbytes_t / bs_krecords_t point into the
 * buffer given to bs_krd_init(), which must outlive the decoded struct. Arrays
 * are allocated from the caller's bs_arena_t. Every reader checks its bounds
 * and on failure returns -1 with rd->err describing the problem and the byte
 * offset; the generated code prepends the field path as the error propagates
 * ("ProduceRequest.TopicData[0].Name: string length 300 exceeds ...").
 *
 * Encoding writes into a bs_wbuf_t; it cannot fail. Values that are invalid
 * for the version (a null in a non-nullable field) are written as the empty
 * value instead.
 *
 * The generated message structs and the API table (bs_kapi_*) are declared in
 * proto/gen/kmsg.h, included at the end of this header.
 *
 * Typical request path (frame = bytes after the 4-byte size):
 *
 *   bs_krd_t rd;
 *   bs_krd_init(&rd, frame, frame_len);
 *   bs_RequestHeader_t h;
 *   if (bs_kreq_header_decode(&rd, &h) < 0)            -> log rd.err, close
 *   bs_ProduceRequest_t req;
 *   if (bs_ProduceRequest_decode(&req, &rd, h.RequestApiVersion, arena) < 0)
 *                                                        -> log rd.err, close
 *   (rd.off < rd.len here means trailing bytes; Kafka ignores them)
 *   size_t fp;
 *   bs_kresp_begin(w, h.RequestApiKey, h.RequestApiVersion, h.CorrelationId, &fp);
 *   bs_ProduceResponse_t resp;
 *   bs_ProduceResponse_init(&resp);                      (then fill it)
 *   bs_ProduceResponse_encode(&resp, w, h.RequestApiVersion);
 *   bs_kresp_end(w, fp);
 *
 * Every generated struct has an _init() that applies the spec defaults; call
 * it before filling a struct for encoding (e.g. array elements). Fields not in
 * the version being encoded are ignored; tagged fields are written only when
 * they differ from their default.
 */
#ifndef BS_PROTO_CODEC_H
#define BS_PROTO_CODEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#include "base/arena.h"
#include "base/wbuf.h"

/* A string view; len == -1 is null. ptr is NOT NUL-terminated. */
typedef struct {
    const char *ptr;
    int32_t len;
} bs_kstr_t;

/* A byte view; len == -1 is null. */
typedef struct {
    const uint8_t *ptr;
    int32_t len;
} bs_kbytes_t;

typedef struct {
    uint8_t b[16];
} bs_uuid_t;

/* A "records" field. Decoded records always point into the request buffer
 * (has_file == 0). For encoding, has_file selects a file range (fd, file_off,
 * len) that is spliced into the wbuf (bs_wbuf_splice() takes ownership of the
 * release callback); otherwise ptr/len are copied. len == -1 is null. */
typedef struct {
    const uint8_t *ptr;
    int32_t len;
    int has_file;
    int fd;
    int64_t file_off;
    void (*release)(void *ctx);
    void *ctx;
} bs_krecords_t;

/* Decoder cursor over buf[0..len); off is the next byte to read. */
typedef struct bs_krd_s {
    const uint8_t *buf;
    size_t len;
    size_t off;
    char err[256];
} bs_krd_t;

static inline bs_kstr_t bs_kstr(const char *s)
{
    bs_kstr_t r = {s, s ? (int32_t)strlen(s) : -1};
    return r;
}
static inline bs_kstr_t bs_kstrn(const char *s, int32_t len)
{
    bs_kstr_t r = {s, len};
    return r;
}
/* 1 if s is not null and equals the NUL-terminated cstr, else 0. */
int bs_kstr_eq(bs_kstr_t s, const char *cstr);
/* Copies s into the arena as a NUL-terminated string; NULL for a null string. */
char *bs_kstr_dup(bs_kstr_t s, bs_arena_t *arena);
static inline int bs_uuid_is_zero(const bs_uuid_t *u)
{
    static const bs_uuid_t z;
    return memcmp(u->b, z.b, 16) == 0;
}

/* ---- reader ---------------------------------------------------------- */

void bs_krd_init(bs_krd_t *rd, const void *buf, size_t len);
static inline size_t bs_krd_left(const bs_krd_t *rd)
{
    return rd->len - rd->off;
}
/* Sets rd->err from fmt (appending " at offset N") and returns -1. */
int bs_krd_fail(bs_krd_t *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
/* Prepends formatted context (a field path element) to rd->err. */
void bs_krd_errctx(bs_krd_t *rd, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

int bs_krd_i8(bs_krd_t *rd, int8_t *v);
int bs_krd_i16(bs_krd_t *rd, int16_t *v);
int bs_krd_i32(bs_krd_t *rd, int32_t *v);
int bs_krd_i64(bs_krd_t *rd, int64_t *v);
int bs_krd_u16(bs_krd_t *rd, uint16_t *v);
int bs_krd_u32(bs_krd_t *rd, uint32_t *v);
int bs_krd_f64(bs_krd_t *rd, double *v);
int bs_krd_bool(bs_krd_t *rd, bool *v);
int bs_krd_uuid(bs_krd_t *rd, bs_uuid_t *v);
int bs_krd_uvarint(bs_krd_t *rd, uint32_t *v);  /* at most 5 bytes */
int bs_krd_varint(bs_krd_t *rd, int32_t *v);    /* zigzag */
int bs_krd_uvarlong(bs_krd_t *rd, uint64_t *v); /* at most 10 bytes */
int bs_krd_varlong(bs_krd_t *rd, int64_t *v);   /* zigzag */
int bs_krd_skip(bs_krd_t *rd, size_t n);
/* compact: uvarint N+1 (0 = null); else int16 (string) / int32 (bytes,
 * records) length with -1 = null. A null where !nullable is an error. */
int bs_krd_str(bs_krd_t *rd, bs_kstr_t *v, int compact, int nullable);
int bs_krd_bytes(bs_krd_t *rd, bs_kbytes_t *v, int compact, int nullable);
int bs_krd_records(bs_krd_t *rd, bs_krecords_t *v, int compact, int nullable);
/* Array length (int32 or compact uvarint N+1); *n == -1 for null. Fails if
 * n * min_elem exceeds the bytes left, so callers may allocate n elements. */
int bs_krd_arrlen(bs_krd_t *rd, int32_t *n, int compact, int nullable, size_t min_elem);
/* Reads one tagged-field header (tag, size) and checks size fits. */
int bs_krd_taghdr(bs_krd_t *rd, uint32_t *tag, uint32_t *size);
/* Reads a whole tag section, skipping every field (used where no tags are
 * known). */
int bs_krd_skip_tags(bs_krd_t *rd);

/* ---- writer ---------------------------------------------------------- */

static inline void bs_kwr_i8(bs_wbuf_t *w, int8_t v)
{
    bs_wbuf_u8(w, (uint8_t)v);
}
static inline void bs_kwr_i16(bs_wbuf_t *w, int16_t v)
{
    bs_wbuf_be16(w, (uint16_t)v);
}
static inline void bs_kwr_i32(bs_wbuf_t *w, int32_t v)
{
    bs_wbuf_be32(w, (uint32_t)v);
}
static inline void bs_kwr_i64(bs_wbuf_t *w, int64_t v)
{
    bs_wbuf_be64(w, (uint64_t)v);
}
static inline void bs_kwr_u16(bs_wbuf_t *w, uint16_t v)
{
    bs_wbuf_be16(w, v);
}
static inline void bs_kwr_u32(bs_wbuf_t *w, uint32_t v)
{
    bs_wbuf_be32(w, v);
}
static inline void bs_kwr_bool(bs_wbuf_t *w, bool v)
{
    bs_wbuf_u8(w, v ? 1 : 0);
}
static inline void bs_kwr_uuid(bs_wbuf_t *w, const bs_uuid_t *v)
{
    bs_wbuf_put(w, v->b, 16);
}
void bs_kwr_f64(bs_wbuf_t *w, double v);
void bs_kwr_uvarint(bs_wbuf_t *w, uint32_t v);
void bs_kwr_varint(bs_wbuf_t *w, int32_t v);
void bs_kwr_uvarlong(bs_wbuf_t *w, uint64_t v);
void bs_kwr_varlong(bs_wbuf_t *w, int64_t v);
void bs_kwr_str(bs_wbuf_t *w, bs_kstr_t v, int compact, int nullable);
void bs_kwr_bytes(bs_wbuf_t *w, bs_kbytes_t v, int compact, int nullable);
void bs_kwr_records(bs_wbuf_t *w, const bs_krecords_t *v, int compact, int nullable);
void bs_kwr_arrlen(bs_wbuf_t *w, int32_t n, int compact, int nullable);
/* Writes one tagged field: uvarint tag, uvarint size, then the content of tmp
 * (which must hold no splices). */
void bs_kwr_tagged(bs_wbuf_t *w, uint32_t tag, const bs_wbuf_t *tmp);

/* Generated static helpers are marked unused: a struct may only be reachable
 * from fields that no valid version contains. */
#define BS_KGEN_FN static __attribute__((unused))

/* ---- generated messages and API table -------------------------------- */

#include "proto/gen/kmsg.h"

/* ---- framing --------------------------------------------------------- */

/* Decodes a request header from the start of rd (the frame after its 4-byte
 * size): reads the api key and version, picks header v1 or v2 with
 * bs_kapi_request_header_version() (unknown key: v1), and decodes the header.
 * rd->off is then at the request body. ClientId points into rd->buf.
 * 0 ok, -1 error (rd->err says why). */
int bs_kreq_header_decode(bs_krd_t *rd, bs_RequestHeader_t *h);

/* Starts a response frame: a 4-byte size placeholder and the response header
 * of the right version for (key, ver). *frame_pos receives the position to
 * pass to bs_kresp_end(). */
void bs_kresp_begin(bs_wbuf_t *w, int16_t key, int16_t ver, int32_t correlation_id,
                    size_t *frame_pos);
/* Patches the frame size, counting spliced file ranges inside the frame. */
void bs_kresp_end(bs_wbuf_t *w, size_t frame_pos);

#endif
