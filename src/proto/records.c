/*
 * records.c — RecordBatch v2 parsing, validation, stamping, iteration,
 * (de)compression and building. See records.h and CLIENT-NOTES.md §3.
 *
 * Invariants: every read is bounds-checked against the caller's length; error
 * messages name the field and its byte offset from the start of the input
 * given to the public function; no function allocates except decompression
 * and the builder; nothing aborts on bad input.
 */
#include "proto/records.h"

#include "base/arena.h"
#include "proto/crc32c.h"

#include <lz4frame.h>
#include <snappy-c.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>
#include <zstd.h>

static void seterr(char *err, size_t errlen, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));
static void seterr(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

static inline uint16_t rd16(const uint8_t *p)
{
    return (uint16_t)(p[0] << 8 | p[1]);
}
static inline uint32_t rd32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}
static inline uint64_t rd64(const uint8_t *p)
{
    return (uint64_t)rd32(p) << 32 | rd32(p + 4);
}
static inline void wr16(uint8_t *p, uint16_t v)
{
    p[0] = (uint8_t)(v >> 8);
    p[1] = (uint8_t)v;
}
static inline void wr32(uint8_t *p, uint32_t v)
{
    p[0] = (uint8_t)(v >> 24);
    p[1] = (uint8_t)(v >> 16);
    p[2] = (uint8_t)(v >> 8);
    p[3] = (uint8_t)v;
}
static inline void wr64(uint8_t *p, uint64_t v)
{
    wr32(p, (uint32_t)(v >> 32));
    wr32(p + 4, (uint32_t)v);
}

/* ---- varints ---------------------------------------------------------- */

static size_t uvar_dec(const uint8_t *p, size_t len, uint64_t *v, int maxbytes)
{
    uint64_t r = 0;
    for (int i = 0; i < maxbytes; i++) {
        if ((size_t)i >= len)
            return 0;
        r |= (uint64_t)(p[i] & 0x7f) << (7 * i);
        if (!(p[i] & 0x80)) {
            *v = r;
            return (size_t)i + 1;
        }
    }
    return 0;
}

/* The record walk is the produce path's hottest loop (every record of every
 * uncompressed batch is checked): most varints there are one byte, so the
 * inline versions below take that case without a call. */
static inline size_t vdec32(const uint8_t *p, size_t len, int32_t *v)
{
    uint64_t u;
    size_t n;
    if (len && !(p[0] & 0x80)) {
        u = p[0];
        n = 1;
    } else {
        n = uvar_dec(p, len, &u, 5);
        if (!n || u > 0xffffffffu)
            return 0;
    }
    uint32_t x = (uint32_t)u;
    *v = (int32_t)((x >> 1) ^ (~(x & 1) + 1));
    return n;
}

static inline size_t vdec64(const uint8_t *p, size_t len, int64_t *v)
{
    uint64_t u;
    size_t n;
    if (len && !(p[0] & 0x80)) {
        u = p[0];
        n = 1;
    } else {
        n = uvar_dec(p, len, &u, 10);
        if (!n)
            return 0;
    }
    *v = (int64_t)((u >> 1) ^ (~(u & 1) + 1));
    return n;
}

size_t bs_varint_dec32(const uint8_t *p, size_t len, int32_t *v)
{
    return vdec32(p, len, v);
}

size_t bs_varint_dec64(const uint8_t *p, size_t len, int64_t *v)
{
    return vdec64(p, len, v);
}

static size_t uvar_enc(uint8_t *p, uint64_t u)
{
    size_t n = 0;
    while (u >= 0x80) {
        p[n++] = (uint8_t)(u | 0x80);
        u >>= 7;
    }
    p[n++] = (uint8_t)u;
    return n;
}

size_t bs_varint_enc32(uint8_t *p, int32_t v)
{
    return uvar_enc(p, (uint32_t)(((uint32_t)v << 1) ^ (uint32_t)(v >> 31)));
}

size_t bs_varint_enc64(uint8_t *p, int64_t v)
{
    return uvar_enc(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63));
}

/* ---- header ------------------------------------------------------------ */

int bs_batch_hdr_parse(const uint8_t *p, size_t len, bs_batch_hdr_t *h)
{
    if (len < BS_BATCH_HDR_SIZE)
        return -1;
    h->BaseOffset = (int64_t)rd64(p + BS_BATCH_OFF_BASE_OFFSET);
    h->BatchLength = (int32_t)rd32(p + BS_BATCH_OFF_LENGTH);
    h->PartitionLeaderEpoch = (int32_t)rd32(p + BS_BATCH_OFF_LEADER_EPOCH);
    h->Magic = (int8_t)p[BS_BATCH_OFF_MAGIC];
    h->Crc = rd32(p + BS_BATCH_OFF_CRC);
    h->Attributes = (int16_t)rd16(p + BS_BATCH_OFF_ATTRIBUTES);
    h->LastOffsetDelta = (int32_t)rd32(p + BS_BATCH_OFF_LAST_OFFSET_DELTA);
    h->BaseTimestamp = (int64_t)rd64(p + BS_BATCH_OFF_BASE_TIMESTAMP);
    h->MaxTimestamp = (int64_t)rd64(p + BS_BATCH_OFF_MAX_TIMESTAMP);
    h->ProducerId = (int64_t)rd64(p + BS_BATCH_OFF_PRODUCER_ID);
    h->ProducerEpoch = (int16_t)rd16(p + BS_BATCH_OFF_PRODUCER_EPOCH);
    h->BaseSequence = (int32_t)rd32(p + BS_BATCH_OFF_BASE_SEQUENCE);
    h->RecordsCount = (int32_t)rd32(p + BS_BATCH_OFF_RECORDS_COUNT);
    return 0;
}

int64_t bs_batch_size(const uint8_t *p, size_t len)
{
    if (len < BS_BATCH_LOG_OVERHEAD)
        return -1;
    int32_t bl = (int32_t)rd32(p + BS_BATCH_OFF_LENGTH);
    if (bl < 0)
        return -1;
    return (int64_t)bl + BS_BATCH_LOG_OVERHEAD;
}

void bs_batch_set_base_offset(uint8_t *p, int64_t base)
{
    wr64(p + BS_BATCH_OFF_BASE_OFFSET, (uint64_t)base);
}

void bs_batch_set_leader_epoch(uint8_t *p, int32_t epoch)
{
    wr32(p + BS_BATCH_OFF_LEADER_EPOCH, (uint32_t)epoch);
}

void bs_batch_update_crc(uint8_t *p, size_t len)
{
    if (len < BS_BATCH_HDR_SIZE)
        return;
    wr32(p + BS_BATCH_OFF_CRC,
         bs_crc32c(0, p + BS_BATCH_OFF_ATTRIBUTES, len - BS_BATCH_OFF_ATTRIBUTES));
}

void bs_batch_set_log_append_time(uint8_t *p, size_t len, int64_t ts)
{
    if (len < BS_BATCH_HDR_SIZE)
        return;
    uint16_t attr = rd16(p + BS_BATCH_OFF_ATTRIBUTES);
    wr16(p + BS_BATCH_OFF_ATTRIBUTES, (uint16_t)(attr | BS_BATCH_ATTR_LOG_APPEND_TIME));
    wr64(p + BS_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)ts);
    bs_batch_update_crc(p, len);
}

/* ---- record iteration --------------------------------------------------- */

void bs_record_iter_init(bs_record_iter_t *it, const uint8_t *records, size_t len, int32_t count)
{
    it->p = records;
    it->len = len;
    it->pos = 0;
    it->count = count;
    it->index = 0;
}

/* Reads a zig-zag varint32 at *pos (< end). */
#define RD_V32(var, what)                                                                          \
    do {                                                                                           \
        size_t n_ = vdec32(p + pos, end - pos, &(var));                                            \
        if (!n_) {                                                                                 \
            seterr(err, errlen, "record %d: bad varint %s at byte %zu", it->index, what, pos);     \
            return -1;                                                                             \
        }                                                                                          \
        pos += n_;                                                                                 \
    } while (0)

int bs_record_iter_next(bs_record_iter_t *it, bs_rec_t *r, char *err, size_t errlen)
{
    const uint8_t *p = it->p;
    if (it->index >= it->count) {
        if (it->pos != it->len) {
            seterr(err, errlen, "%zu trailing bytes after %d records at byte %zu",
                   it->len - it->pos, it->count, it->pos);
            return -1;
        }
        return 0;
    }
    size_t pos = it->pos, end = it->len;
    int32_t rlen;
    RD_V32(rlen, "length");
    if (rlen < 0 || (size_t)rlen > end - pos) {
        seterr(err, errlen, "record %d: length %d out of bounds at byte %zu", it->index, rlen,
               it->pos);
        return -1;
    }
    end = pos + (size_t)rlen;
    memset(r, 0, sizeof(*r));
    if (pos >= end) {
        seterr(err, errlen, "record %d: missing attributes at byte %zu", it->index, pos);
        return -1;
    }
    r->attributes = (int8_t)p[pos++];
    {
        size_t n = vdec64(p + pos, end - pos, &r->timestamp_delta);
        if (!n) {
            seterr(err, errlen, "record %d: bad varint timestampDelta at byte %zu", it->index, pos);
            return -1;
        }
        pos += n;
    }
    RD_V32(r->offset_delta, "offsetDelta");
    RD_V32(r->key_len, "keyLength");
    if (r->key_len < -1 || (r->key_len > 0 && (size_t)r->key_len > end - pos)) {
        seterr(err, errlen, "record %d: keyLength %d out of bounds at byte %zu", it->index,
               r->key_len, pos);
        return -1;
    }
    r->key = r->key_len >= 0 ? p + pos : NULL;
    if (r->key_len > 0)
        pos += (size_t)r->key_len;
    RD_V32(r->value_len, "valueLength");
    if (r->value_len < -1 || (r->value_len > 0 && (size_t)r->value_len > end - pos)) {
        seterr(err, errlen, "record %d: valueLength %d out of bounds at byte %zu", it->index,
               r->value_len, pos);
        return -1;
    }
    r->value = r->value_len >= 0 ? p + pos : NULL;
    if (r->value_len > 0)
        pos += (size_t)r->value_len;
    RD_V32(r->header_count, "headersCount");
    if (r->header_count < 0) {
        seterr(err, errlen, "record %d: negative headersCount at byte %zu", it->index, pos);
        return -1;
    }
    r->headers_raw = p + pos;
    for (int32_t i = 0; i < r->header_count; i++) {
        int32_t hk, hv;
        RD_V32(hk, "headerKeyLength");
        if (hk < 0 || (size_t)hk > end - pos) {
            seterr(err, errlen, "record %d: header %d key length %d invalid at byte %zu", it->index,
                   i, hk, pos);
            return -1;
        }
        pos += (size_t)hk;
        RD_V32(hv, "headerValueLength");
        if (hv < -1 || (hv > 0 && (size_t)hv > end - pos)) {
            seterr(err, errlen, "record %d: header %d value length %d invalid at byte %zu",
                   it->index, i, hv, pos);
            return -1;
        }
        if (hv > 0)
            pos += (size_t)hv;
    }
    r->headers_raw_len = (size_t)(p + pos - r->headers_raw);
    if (pos != end) {
        seterr(err, errlen, "record %d: %zu unread bytes at byte %zu", it->index, end - pos, pos);
        return -1;
    }
    it->pos = end;
    it->index++;
    return 1;
}

int bs_rec_headers_next(const bs_rec_t *r, size_t *posp, int32_t *index, bs_rec_header_t *h)
{
    if (*index >= r->header_count)
        return 0;
    const uint8_t *p = r->headers_raw;
    size_t pos = *posp, end = r->headers_raw_len;
    if (pos > end)
        return -1;
    size_t n = vdec32(p + pos, end - pos, &h->key_len);
    if (!n || h->key_len < 0 || (size_t)h->key_len > end - pos - n)
        return -1;
    pos += n;
    h->key = p + pos;
    pos += (size_t)h->key_len;
    n = vdec32(p + pos, end - pos, &h->value_len);
    if (!n)
        return -1;
    pos += n;
    if (h->value_len < -1 || (h->value_len > 0 && (size_t)h->value_len > end - pos))
        return -1;
    h->value = h->value_len >= 0 ? p + pos : NULL;
    if (h->value_len > 0)
        pos += (size_t)h->value_len;
    *posp = pos;
    (*index)++;
    return 1;
}

/* ---- validation ----------------------------------------------------------- */

/* Walks the uncompressed records of one batch; off is the batch's offset in
 * the caller's buffer (for messages). */
/* The same checks as bs_record_iter_next plus the offset-delta rule, in one
 * tight loop with no per-record struct: the produce path runs this for every
 * record. Returns 0 when every record is well-formed, -1 otherwise (the
 * caller then walks again with the iterator to name the problem). */
static int walk_fast(const uint8_t *p, size_t len, int32_t count, int32_t last_delta)
{
    size_t pos = 0, n;
    int32_t prev = -1;
    for (int32_t i = 0; i < count; i++) {
        int32_t rlen, od, kl, vl, hc;
        int64_t ts;
        if (!(n = vdec32(p + pos, len - pos, &rlen)) || rlen < 0 || (size_t)rlen > len - pos - n)
            return -1;
        pos += n;
        size_t end = pos + (size_t)rlen;
        if (pos >= end)
            return -1;
        pos++; /* attributes */
        if (!(n = vdec64(p + pos, end - pos, &ts)))
            return -1;
        pos += n;
        if (!(n = vdec32(p + pos, end - pos, &od)) || od <= prev || od > last_delta)
            return -1;
        prev = od;
        pos += n;
        if (!(n = vdec32(p + pos, end - pos, &kl)) || kl < -1)
            return -1;
        pos += n;
        if (kl > 0) {
            if ((size_t)kl > end - pos)
                return -1;
            pos += (size_t)kl;
        }
        if (!(n = vdec32(p + pos, end - pos, &vl)) || vl < -1)
            return -1;
        pos += n;
        if (vl > 0) {
            if ((size_t)vl > end - pos)
                return -1;
            pos += (size_t)vl;
        }
        if (!(n = vdec32(p + pos, end - pos, &hc)) || hc < 0)
            return -1;
        pos += n;
        for (int32_t j = 0; j < hc; j++) {
            int32_t hk, hv;
            if (!(n = vdec32(p + pos, end - pos, &hk)) || hk < 0 || (size_t)hk > end - pos - n)
                return -1;
            pos += n + (size_t)hk;
            if (!(n = vdec32(p + pos, end - pos, &hv)) || hv < -1)
                return -1;
            pos += n;
            if (hv > 0) {
                if ((size_t)hv > end - pos)
                    return -1;
                pos += (size_t)hv;
            }
        }
        if (pos != end)
            return -1;
    }
    return pos == len ? 0 : -1;
}

static bs_err_t walk_records(const uint8_t *recs, size_t len, const bs_batch_hdr_t *h, size_t off,
                             char *errbuf, size_t errlen)
{
    if (h->RecordsCount >= 0 && walk_fast(recs, len, h->RecordsCount, h->LastOffsetDelta) == 0)
        return BS_ERR_NONE;
    bs_record_iter_t it;
    bs_rec_t r;
    char e[160];
    int rc;
    int32_t prev = -1;
    bs_record_iter_init(&it, recs, len, h->RecordsCount);
    while ((rc = bs_record_iter_next(&it, &r, e, sizeof(e))) == 1) {
        if (r.offset_delta <= prev || r.offset_delta > h->LastOffsetDelta) {
            seterr(errbuf, errlen,
                   "batch at byte %zu: record %d offsetDelta %d not increasing or > "
                   "lastOffsetDelta %d",
                   off, it.index - 1, r.offset_delta, h->LastOffsetDelta);
            return BS_ERR_INVALID_RECORD;
        }
        prev = r.offset_delta;
    }
    if (rc < 0) {
        seterr(errbuf, errlen, "batch at byte %zu: records (from byte %zu): %s", off,
               off + BS_BATCH_HDR_SIZE, e);
        return BS_ERR_INVALID_RECORD;
    }
    return BS_ERR_NONE;
}

bs_err_t bs_records_validate(const uint8_t *p, size_t len, int32_t max_batch_bytes,
                             bs_records_info_t *info, char *errbuf, size_t errlen)
{
    bs_err_t ret = BS_ERR_NONE;
    bs_records_info_t tmp;
    bs_records_info_t *in = info ? info : &tmp;
    size_t off = 0;
    memset(in, 0, sizeof(*in));
    in->MaxTimestamp = -1;
    in->FirstTimestamp = -1;
    in->ProducerId = -1;
    in->ProducerEpoch = -1;
    in->BaseSequence = -1;
    if (len == 0) {
        seterr(errbuf, errlen, "records: no record batch");
        ret = BS_ERR_INVALID_RECORD;
        goto done;
    }
    while (off < len) {
        size_t rem = len - off;
        const uint8_t *b = p + off;
        bs_batch_hdr_t h;
        if (rem < BS_BATCH_HDR_SIZE) {
            seterr(errbuf, errlen, "batch at byte %zu: %zu bytes, shorter than a header", off, rem);
            ret = BS_ERR_CORRUPT_MESSAGE;
            goto done;
        }
        bs_batch_hdr_parse(b, rem, &h);
        if (h.Magic != 2) {
            seterr(errbuf, errlen, "batch at byte %zu: magic %d at byte %zu, only 2 supported", off,
                   h.Magic, off + BS_BATCH_OFF_MAGIC);
            ret = BS_ERR_UNSUPPORTED_FOR_MESSAGE_FORMAT;
            goto done;
        }
        if (h.BatchLength < BS_BATCH_HDR_SIZE - BS_BATCH_LOG_OVERHEAD ||
            (size_t)h.BatchLength > rem - BS_BATCH_LOG_OVERHEAD) {
            seterr(errbuf, errlen,
                   "batch at byte %zu: batchLength %d at byte %zu out of bounds (%zu left)", off,
                   h.BatchLength, off + BS_BATCH_OFF_LENGTH, rem);
            ret = BS_ERR_CORRUPT_MESSAGE;
            goto done;
        }
        size_t bsize = (size_t)h.BatchLength + BS_BATCH_LOG_OVERHEAD;
        if (max_batch_bytes > 0 && bsize > (size_t)max_batch_bytes) {
            seterr(errbuf, errlen, "batch at byte %zu: %zu bytes exceeds the limit of %d", off,
                   bsize, max_batch_bytes);
            ret = BS_ERR_MESSAGE_TOO_LARGE;
            goto done;
        }
        uint32_t crc = bs_crc32c(0, b + BS_BATCH_OFF_ATTRIBUTES, bsize - BS_BATCH_OFF_ATTRIBUTES);
        if (crc != h.Crc) {
            seterr(errbuf, errlen, "batch at byte %zu: crc 0x%08x at byte %zu, computed 0x%08x",
                   off, h.Crc, off + BS_BATCH_OFF_CRC, crc);
            ret = BS_ERR_CORRUPT_MESSAGE;
            goto done;
        }
        int codec = h.Attributes & BS_BATCH_ATTR_CODEC_MASK;
        if (codec > BS_CODEC_ZSTD) {
            seterr(errbuf, errlen, "batch at byte %zu: compression codec %d at byte %zu", off,
                   codec, off + BS_BATCH_OFF_ATTRIBUTES);
            ret = BS_ERR_UNSUPPORTED_COMPRESSION_TYPE;
            goto done;
        }
        int control = (h.Attributes & BS_BATCH_ATTR_CONTROL) != 0;
        if (h.RecordsCount < 0 || h.LastOffsetDelta < 0 ||
            (!control && h.RecordsCount != h.LastOffsetDelta + 1)) {
            seterr(errbuf, errlen,
                   "batch at byte %zu: recordsCount %d (byte %zu) inconsistent with "
                   "lastOffsetDelta %d (byte %zu)",
                   off, h.RecordsCount, off + BS_BATCH_OFF_RECORDS_COUNT, h.LastOffsetDelta,
                   off + BS_BATCH_OFF_LAST_OFFSET_DELTA);
            ret = BS_ERR_INVALID_RECORD;
            goto done;
        }
        if (codec == BS_CODEC_NONE) {
            ret = walk_records(b + BS_BATCH_HDR_SIZE, bsize - BS_BATCH_HDR_SIZE, &h, off, errbuf,
                               errlen);
            if (ret != BS_ERR_NONE)
                goto done;
        }
        if (in->BatchCount == 0) {
            in->FirstLastOffsetDelta = h.LastOffsetDelta;
            in->FirstTimestamp = h.BaseTimestamp;
            in->ProducerId = h.ProducerId;
            in->ProducerEpoch = h.ProducerEpoch;
            in->BaseSequence = h.BaseSequence;
            in->Codec = (int8_t)codec;
            in->IsTransactional = (h.Attributes & BS_BATCH_ATTR_TRANSACTIONAL) != 0;
        }
        in->LastLastOffsetDelta = h.LastOffsetDelta;
        if (control)
            in->IsControl = 1;
        if (h.MaxTimestamp > in->MaxTimestamp)
            in->MaxTimestamp = h.MaxTimestamp;
        in->BatchCount++;
        in->RecordCount += h.RecordsCount;
        in->OffsetCount += (int64_t)h.LastOffsetDelta + 1;
        off += bsize;
    }
done:
    return ret;
}

/* ---- decompression -------------------------------------------------------- */

typedef struct {
    uint8_t *buf;
    size_t len, cap, max;
} obuf_t;

/* Ensures at least `want` free bytes (or fails past max). */
static int obuf_reserve(obuf_t *o, size_t want)
{
    if (o->cap - o->len >= want)
        return 0;
    if (o->len + want > o->max)
        return -1;
    size_t ncap = o->cap ? o->cap : 4096;
    while (ncap - o->len < want)
        ncap *= 2;
    if (ncap > o->max)
        ncap = o->max;
    uint8_t *nb = realloc(o->buf, ncap ? ncap : 1);
    if (!nb)
        return -1;
    o->buf = nb;
    o->cap = ncap;
    return 0;
}

/* Grows by doubling; returns free space or 0 if at max. */
static size_t obuf_more(obuf_t *o)
{
    if (o->cap - o->len == 0) {
        if (o->cap >= o->max)
            return 0;
        size_t want = o->cap ? o->cap : 4096;
        if (want > o->max - o->len)
            want = o->max - o->len;
        if (obuf_reserve(o, want) < 0)
            return 0;
    }
    return o->cap - o->len;
}

static int dec_gzip(const uint8_t *in, size_t inlen, obuf_t *o, char *err, size_t errlen)
{
    z_stream zs;
    int ret = -1, zr = Z_OK;
    memset(&zs, 0, sizeof(zs));
    if (inflateInit2(&zs, 15 + 32) != Z_OK) {
        seterr(err, errlen, "gzip: inflateInit failed");
        return -1;
    }
    zs.next_in = (Bytef *)in;
    while (1) {
        size_t avail_in = inlen - (size_t)((const uint8_t *)zs.next_in - in);
        zs.avail_in = avail_in > UINT32_MAX ? UINT32_MAX : (uInt)avail_in;
        size_t room = obuf_more(o);
        if (!room) {
            seterr(err, errlen, "gzip: output exceeds %zu bytes", o->max);
            goto done;
        }
        zs.next_out = o->buf + o->len;
        zs.avail_out = room > UINT32_MAX ? UINT32_MAX : (uInt)room;
        uInt before = zs.avail_out;
        zr = inflate(&zs, Z_NO_FLUSH);
        o->len += before - zs.avail_out;
        if (zr == Z_STREAM_END) {
            /* Concatenated gzip members are allowed. */
            if ((const uint8_t *)zs.next_in - in < (ptrdiff_t)inlen) {
                if (inflateReset(&zs) != Z_OK)
                    goto bad;
                continue;
            }
            ret = 0;
            goto done;
        }
        if (zr == Z_BUF_ERROR && zs.avail_out != 0)
            break; /* needs input that is not there: truncated */
        if (zr != Z_OK && zr != Z_BUF_ERROR)
            break;
    }
bad:
    seterr(err, errlen, "gzip: corrupt or truncated data at input byte %zu (zlib %d)",
           (size_t)((const uint8_t *)zs.next_in - in), zr);
done:
    inflateEnd(&zs);
    return ret;
}

static int dec_snappy_raw(const uint8_t *in, size_t inlen, obuf_t *o, char *err, size_t errlen)
{
    size_t ulen;
    if (snappy_uncompressed_length((const char *)in, inlen, &ulen) != SNAPPY_OK) {
        seterr(err, errlen, "snappy: bad length preamble");
        return -1;
    }
    if (ulen > o->max - o->len || obuf_reserve(o, ulen ? ulen : 1) < 0) {
        seterr(err, errlen, "snappy: output of %zu bytes exceeds limit", ulen);
        return -1;
    }
    size_t got = ulen;
    if (snappy_uncompress((const char *)in, inlen, (char *)o->buf + o->len, &got) != SNAPPY_OK ||
        got != ulen) {
        seterr(err, errlen, "snappy: corrupt data");
        return -1;
    }
    o->len += got;
    return 0;
}

static const uint8_t xerial_magic[8] = {0x82, 'S', 'N', 'A', 'P', 'P', 'Y', 0};

static int dec_snappy(const uint8_t *in, size_t inlen, obuf_t *o, char *err, size_t errlen)
{
    if (inlen < 16 || memcmp(in, xerial_magic, 8) != 0)
        return dec_snappy_raw(in, inlen, o, err, errlen);
    /* xerial framing: 16-byte header, then blocks of [be32 len][raw snappy]. */
    size_t pos = 16;
    while (pos < inlen) {
        if (inlen - pos < 4) {
            seterr(err, errlen, "snappy/xerial: truncated block length at byte %zu", pos);
            return -1;
        }
        uint32_t bl = rd32(in + pos);
        pos += 4;
        if (bl > inlen - pos) {
            seterr(err, errlen, "snappy/xerial: block length %u at byte %zu out of bounds", bl,
                   pos - 4);
            return -1;
        }
        if (dec_snappy_raw(in + pos, bl, o, err, errlen) < 0)
            return -1;
        pos += bl;
    }
    return 0;
}

static int dec_lz4(const uint8_t *in, size_t inlen, obuf_t *o, char *err, size_t errlen)
{
    LZ4F_dctx *dctx = NULL;
    int ret = -1;
    size_t pos = 0, r = 1;
    if (LZ4F_isError(LZ4F_createDecompressionContext(&dctx, LZ4F_VERSION))) {
        seterr(err, errlen, "lz4: cannot create context");
        return -1;
    }
    while (pos < inlen) {
        size_t room = obuf_more(o);
        if (!room) {
            seterr(err, errlen, "lz4: output exceeds %zu bytes", o->max);
            goto done;
        }
        size_t dst = room, src = inlen - pos;
        r = LZ4F_decompress(dctx, o->buf + o->len, &dst, in + pos, &src, NULL);
        if (LZ4F_isError(r)) {
            seterr(err, errlen, "lz4: %s at input byte %zu", LZ4F_getErrorName(r), pos);
            goto done;
        }
        o->len += dst;
        pos += src;
        if (src == 0 && dst == 0) {
            seterr(err, errlen, "lz4: no progress at input byte %zu", pos);
            goto done;
        }
    }
    /* Drain whatever is buffered inside the context. */
    while (r != 0) {
        size_t room = obuf_more(o);
        if (!room) {
            seterr(err, errlen, "lz4: output exceeds %zu bytes", o->max);
            goto done;
        }
        size_t dst = room, src = 0;
        r = LZ4F_decompress(dctx, o->buf + o->len, &dst, in + inlen, &src, NULL);
        if (LZ4F_isError(r)) {
            seterr(err, errlen, "lz4: %s", LZ4F_getErrorName(r));
            goto done;
        }
        o->len += dst;
        if (dst == 0 && r != 0) {
            seterr(err, errlen, "lz4: truncated frame");
            goto done;
        }
    }
    ret = 0;
done:
    LZ4F_freeDecompressionContext(dctx);
    return ret;
}

static int dec_zstd(const uint8_t *in, size_t inlen, obuf_t *o, char *err, size_t errlen)
{
    ZSTD_DStream *ds = ZSTD_createDStream();
    int ret = -1;
    size_t r = 0;
    if (!ds) {
        seterr(err, errlen, "zstd: cannot create stream");
        return -1;
    }
    ZSTD_initDStream(ds);
    ZSTD_inBuffer ib = {in, inlen, 0};
    while (1) {
        size_t room = obuf_more(o);
        if (!room) {
            seterr(err, errlen, "zstd: output exceeds %zu bytes", o->max);
            goto done;
        }
        ZSTD_outBuffer ob = {o->buf + o->len, room, 0};
        r = ZSTD_decompressStream(ds, &ob, &ib);
        if (ZSTD_isError(r)) {
            seterr(err, errlen, "zstd: %s at input byte %zu", ZSTD_getErrorName(r), ib.pos);
            goto done;
        }
        o->len += ob.pos;
        if (r == 0 && ib.pos == ib.size)
            break;
        if (ib.pos == ib.size && ob.pos < room) {
            seterr(err, errlen, "zstd: truncated frame");
            goto done;
        }
    }
    ret = 0;
done:
    ZSTD_freeDStream(ds);
    return ret;
}

int bs_batch_decompress_max(const uint8_t *batch, size_t len, size_t max_out, uint8_t **out,
                            size_t *outlen, char *err, size_t errlen)
{
    bs_batch_hdr_t h;
    obuf_t o = {NULL, 0, 0, max_out};
    int ret = -1;
    *out = NULL;
    *outlen = 0;
    if (bs_batch_hdr_parse(batch, len, &h) < 0) {
        seterr(err, errlen, "batch: %zu bytes, shorter than a header", len);
        goto done;
    }
    if (h.BatchLength < BS_BATCH_HDR_SIZE - BS_BATCH_LOG_OVERHEAD ||
        (size_t)h.BatchLength > len - BS_BATCH_LOG_OVERHEAD) {
        seterr(err, errlen, "batch: batchLength %d at byte %d out of bounds", h.BatchLength,
               BS_BATCH_OFF_LENGTH);
        goto done;
    }
    const uint8_t *in = batch + BS_BATCH_HDR_SIZE;
    size_t inlen = (size_t)h.BatchLength + BS_BATCH_LOG_OVERHEAD - BS_BATCH_HDR_SIZE;
    int codec = h.Attributes & BS_BATCH_ATTR_CODEC_MASK;
    int r;
    switch (codec) {
    case BS_CODEC_NONE:
        if (inlen > o.max || obuf_reserve(&o, inlen ? inlen : 1) < 0) {
            seterr(err, errlen, "batch: records too large");
            goto done;
        }
        memcpy(o.buf, in, inlen);
        o.len = inlen;
        r = 0;
        break;
    case BS_CODEC_GZIP:
        r = dec_gzip(in, inlen, &o, err, errlen);
        break;
    case BS_CODEC_SNAPPY:
        r = dec_snappy(in, inlen, &o, err, errlen);
        break;
    case BS_CODEC_LZ4:
        r = dec_lz4(in, inlen, &o, err, errlen);
        break;
    case BS_CODEC_ZSTD:
        r = dec_zstd(in, inlen, &o, err, errlen);
        break;
    default:
        seterr(err, errlen, "batch: unknown compression codec %d at byte %d", codec,
               BS_BATCH_OFF_ATTRIBUTES);
        goto done;
    }
    if (r < 0)
        goto done;
    if (!o.buf && obuf_reserve(&o, 1) < 0) {
        seterr(err, errlen, "batch: out of memory");
        goto done;
    }
    *out = o.buf;
    *outlen = o.len;
    o.buf = NULL;
    ret = 0;
done:
    free(o.buf);
    return ret;
}

int bs_batch_decompress(const uint8_t *batch, size_t len, uint8_t **out, size_t *outlen, char *err,
                        size_t errlen)
{
    return bs_batch_decompress_max(batch, len, BS_BATCH_MAX_DECOMPRESSED, out, outlen, err, errlen);
}

/* ---- builder --------------------------------------------------------------- */

static void put_len_bytes(bs_wbuf_t *w, const uint8_t *b, int32_t len)
{
    uint8_t tmp[5];
    if (!b || len < 0) {
        bs_wbuf_put(w, tmp, bs_varint_enc32(tmp, -1));
        return;
    }
    bs_wbuf_put(w, tmp, bs_varint_enc32(tmp, len));
    bs_wbuf_put(w, b, (size_t)len);
}

static void encode_records(bs_wbuf_t *w, const bs_rec_t *recs, int n)
{
    bs_wbuf_t body;
    uint8_t tmp[10];
    bs_wbuf_init(&body);
    for (int i = 0; i < n; i++) {
        const bs_rec_t *r = &recs[i];
        body.len = 0;
        bs_wbuf_u8(&body, 0);
        bs_wbuf_put(&body, tmp, bs_varint_enc64(tmp, r->timestamp_delta));
        bs_wbuf_put(&body, tmp, bs_varint_enc32(tmp, i));
        put_len_bytes(&body, r->key, r->key ? r->key_len : -1);
        put_len_bytes(&body, r->value, r->value ? r->value_len : -1);
        int hc = r->headers ? r->header_count : 0;
        bs_wbuf_put(&body, tmp, bs_varint_enc32(tmp, hc));
        for (int k = 0; k < hc; k++) {
            const bs_rec_header_t *h = &r->headers[k];
            put_len_bytes(&body, h->key ? h->key : (const uint8_t *)"", h->key ? h->key_len : 0);
            put_len_bytes(&body, h->value, h->value ? h->value_len : -1);
        }
        bs_wbuf_put(w, tmp, bs_varint_enc32(tmp, (int32_t)body.len));
        bs_wbuf_put(w, body.data, body.len);
    }
    bs_wbuf_free(&body);
}

static int compress_into(bs_wbuf_t *w, const uint8_t *in, size_t inlen, int codec)
{
    switch (codec) {
    case BS_CODEC_GZIP: {
        z_stream zs;
        memset(&zs, 0, sizeof(zs));
        if (deflateInit2(&zs, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) !=
            Z_OK)
            return -1;
        size_t bound = deflateBound(&zs, (uLong)inlen) + 32;
        size_t start = w->len;
        uint8_t *dst = bs_wbuf_reserve(w, bound);
        zs.next_in = (Bytef *)in;
        zs.avail_in = (uInt)inlen;
        zs.next_out = dst;
        zs.avail_out = (uInt)bound;
        int zr = deflate(&zs, Z_FINISH);
        size_t produced = bound - zs.avail_out;
        deflateEnd(&zs);
        if (zr != Z_STREAM_END) {
            w->len = start;
            return -1;
        }
        w->len = start + produced;
        return 0;
    }
    case BS_CODEC_SNAPPY: {
        size_t bound = snappy_max_compressed_length(inlen);
        size_t start = w->len;
        uint8_t *dst = bs_wbuf_reserve(w, bound);
        size_t outl = bound;
        if (snappy_compress((const char *)in, inlen, (char *)dst, &outl) != SNAPPY_OK) {
            w->len = start;
            return -1;
        }
        w->len = start + outl;
        return 0;
    }
    case BS_CODEC_LZ4: {
        LZ4F_preferences_t prefs;
        memset(&prefs, 0, sizeof(prefs));
        size_t bound = LZ4F_compressFrameBound(inlen, &prefs);
        size_t start = w->len;
        uint8_t *dst = bs_wbuf_reserve(w, bound);
        size_t r = LZ4F_compressFrame(dst, bound, in, inlen, &prefs);
        if (LZ4F_isError(r)) {
            w->len = start;
            return -1;
        }
        w->len = start + r;
        return 0;
    }
    case BS_CODEC_ZSTD: {
        size_t bound = ZSTD_compressBound(inlen);
        size_t start = w->len;
        uint8_t *dst = bs_wbuf_reserve(w, bound);
        size_t r = ZSTD_compress(dst, bound, in, inlen, 3);
        if (ZSTD_isError(r)) {
            w->len = start;
            return -1;
        }
        w->len = start + r;
        return 0;
    }
    default:
        return -1;
    }
}

int bs_batch_build(bs_wbuf_t *w, const bs_rec_t *recs, int n, int64_t base_ts, int codec,
                   int64_t pid, int16_t epoch, int32_t base_seq, int attributes_extra)
{
    int ret = -1;
    size_t start = w->len;
    bs_wbuf_t raw;
    bs_wbuf_init(&raw);
    if (codec < BS_CODEC_NONE || codec > BS_CODEC_ZSTD || n < 0)
        goto done;
    int64_t maxd = 0;
    for (int i = 0; i < n; i++)
        if (i == 0 || recs[i].timestamp_delta > maxd)
            maxd = recs[i].timestamp_delta;
    uint8_t *h = bs_wbuf_reserve(w, BS_BATCH_HDR_SIZE);
    memset(h, 0, BS_BATCH_HDR_SIZE);
    /* Offsets/pointers into w are re-derived after the body is written,
     * because w->data may move. */
    h[BS_BATCH_OFF_MAGIC] = 2;
    wr16(h + BS_BATCH_OFF_ATTRIBUTES, (uint16_t)((codec & 7) | (attributes_extra & ~7)));
    wr32(h + BS_BATCH_OFF_LAST_OFFSET_DELTA, (uint32_t)(n > 0 ? n - 1 : 0));
    wr64(h + BS_BATCH_OFF_BASE_TIMESTAMP, (uint64_t)base_ts);
    wr64(h + BS_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)(base_ts + maxd));
    wr64(h + BS_BATCH_OFF_PRODUCER_ID, (uint64_t)pid);
    wr16(h + BS_BATCH_OFF_PRODUCER_EPOCH, (uint16_t)epoch);
    wr32(h + BS_BATCH_OFF_BASE_SEQUENCE, (uint32_t)base_seq);
    wr32(h + BS_BATCH_OFF_RECORDS_COUNT, (uint32_t)n);
    if (codec == BS_CODEC_NONE) {
        encode_records(w, recs, n);
    } else {
        encode_records(&raw, recs, n);
        if (compress_into(w, raw.data ? raw.data : (const uint8_t *)"", raw.len, codec) < 0) {
            w->len = start;
            goto done;
        }
    }
    size_t total = w->len - start;
    if (total - BS_BATCH_LOG_OVERHEAD > INT32_MAX) {
        w->len = start;
        goto done;
    }
    wr32(w->data + start + BS_BATCH_OFF_LENGTH, (uint32_t)(total - BS_BATCH_LOG_OVERHEAD));
    bs_batch_update_crc(w->data + start, total);
    ret = 0;
done:
    bs_wbuf_free(&raw);
    return ret;
}

/* Used by the log cleaner (cleaner.c): the retained records of a filtered
 * batch are copied as their encoded bytes, so offset and timestamp deltas,
 * attributes and headers stay exactly as the producer wrote them; only the
 * header's count, maxTimestamp, length and CRC change (Kafka's
 * MemoryRecords.filterTo also keeps baseOffset and the original last offset,
 * so the producer's last sequence survives compaction). */
int bs_batch_build_raw(bs_wbuf_t *w, const bs_batch_hdr_t *hdr, const uint8_t *records, size_t len,
                       int32_t count, int64_t max_ts)
{
    int ret = -1;
    size_t start = w->len;
    int codec = hdr->Attributes & BS_BATCH_ATTR_CODEC_MASK;
    if (codec > BS_CODEC_ZSTD || count < 0)
        goto done;
    uint8_t *h = bs_wbuf_reserve(w, BS_BATCH_HDR_SIZE);
    memset(h, 0, BS_BATCH_HDR_SIZE);
    wr64(h + BS_BATCH_OFF_BASE_OFFSET, (uint64_t)hdr->BaseOffset);
    wr32(h + BS_BATCH_OFF_LEADER_EPOCH, (uint32_t)hdr->PartitionLeaderEpoch);
    h[BS_BATCH_OFF_MAGIC] = 2;
    wr16(h + BS_BATCH_OFF_ATTRIBUTES, (uint16_t)hdr->Attributes);
    wr32(h + BS_BATCH_OFF_LAST_OFFSET_DELTA, (uint32_t)hdr->LastOffsetDelta);
    wr64(h + BS_BATCH_OFF_BASE_TIMESTAMP, (uint64_t)hdr->BaseTimestamp);
    wr64(h + BS_BATCH_OFF_MAX_TIMESTAMP, (uint64_t)max_ts);
    wr64(h + BS_BATCH_OFF_PRODUCER_ID, (uint64_t)hdr->ProducerId);
    wr16(h + BS_BATCH_OFF_PRODUCER_EPOCH, (uint16_t)hdr->ProducerEpoch);
    wr32(h + BS_BATCH_OFF_BASE_SEQUENCE, (uint32_t)hdr->BaseSequence);
    wr32(h + BS_BATCH_OFF_RECORDS_COUNT, (uint32_t)count);
    if (codec == BS_CODEC_NONE) {
        bs_wbuf_put(w, records, len);
    } else if (codec == BS_CODEC_ZSTD) {
        /* The cleaner recompresses thousands of batches: reuse one context
         * per thread (ZSTD_compress would allocate ~1 MiB state each time).
         * It lives as long as the thread. */
        static _Thread_local ZSTD_CCtx *cctx;
        if (!cctx)
            cctx = ZSTD_createCCtx();
        size_t bound = ZSTD_compressBound(len), at = w->len;
        uint8_t *dst = bs_wbuf_reserve(w, bound);
        size_t r =
            cctx ? ZSTD_compressCCtx(cctx, dst, bound, len ? records : (const uint8_t *)"", len, 3)
                 : (size_t)-1;
        if (!cctx || ZSTD_isError(r)) {
            w->len = start;
            goto done;
        }
        w->len = at + r;
    } else if (compress_into(w, len ? records : (const uint8_t *)"", len, codec) < 0) {
        w->len = start;
        goto done;
    }
    size_t total = w->len - start;
    if (total - BS_BATCH_LOG_OVERHEAD > INT32_MAX) {
        w->len = start;
        goto done;
    }
    wr32(w->data + start + BS_BATCH_OFF_LENGTH, (uint32_t)(total - BS_BATCH_LOG_OVERHEAD));
    bs_batch_update_crc(w->data + start, total);
    ret = 0;
done:
    return ret;
}
