/*
 * avro_check.c — a bounds-checking pre-pass over Avro binary data before
 * avro-c decodes it. avro-c trusts block counts: a few bytes claiming 2^31
 * items of a zero-size type (null, an empty record) make avro_value_read
 * append for minutes, and its messages never say where the data went wrong.
 * This walker follows the writer schema and checks every varint, length,
 * union and enum index against the bytes actually present, and caps the
 * number of zero-size items, reporting the byte offset and the schema
 * path of the first problem. It allocates nothing.
 *
 * Invariants: p never passes end; recursion is bounded by BS_CHECK_DEPTH;
 * items that take at least one byte are bounded by the remaining bytes, and
 * zero-size items by BS_CHECK_MAX_EMPTY per message.
 */
#include "serdes_int.h"

#include <stdio.h>
#include <string.h>

#define BS_CHECK_DEPTH     200
#define BS_CHECK_MAX_EMPTY 1000000

typedef struct cctx_s {
    const uint8_t *start, *p, *end;
    long long empty_items;
    char *err;
    size_t errlen;
} cctx_t;

static int cfail(cctx_t *c, avro_schema_t sch, const char *what)
{
    char name[256];
    bs_serdes_branch_name(sch, name, sizeof(name));
    bs_serdes_fmt(c->err, c->errlen, "Avro data invalid at byte %zu (%s): %s",
                  (size_t)(c->p - c->start), name, what);
    return -1;
}

static int varint(cctx_t *c, avro_schema_t sch, int64_t *out)
{
    uint64_t v = 0;
    for (int shift = 0; shift < 64; shift += 7) {
        if (c->p >= c->end)
            return cfail(c, sch, "truncated varint");
        uint8_t b = *c->p++;
        v |= (uint64_t)(b & 0x7f) << shift;
        if (!(b & 0x80)) {
            *out = (int64_t)(v >> 1) ^ -(int64_t)(v & 1);
            return 0;
        }
    }
    return cfail(c, sch, "varint longer than 10 bytes");
}

static int skip(cctx_t *c, avro_schema_t sch, int64_t n, const char *what)
{
    if (n < 0 || n > c->end - c->p)
        return cfail(c, sch, what);
    c->p += n;
    return 0;
}

/* True when a value of sch may encode to zero bytes. */
static int zero_size(avro_schema_t sch, int depth)
{
    sch = bs_serdes_deref(sch);
    if (depth > 32)
        return 0;
    switch (avro_typeof(sch)) {
    case AVRO_NULL:
        return 1;
    case AVRO_FIXED:
        return avro_schema_fixed_size(sch) == 0;
    case AVRO_RECORD:
        for (size_t i = 0; i < avro_schema_record_size(sch); i++)
            if (!zero_size(avro_schema_record_field_get_by_index(sch, (int)i), depth + 1))
                return 0;
        return 1;
    default:
        return 0;
    }
}

static int walk(cctx_t *c, avro_schema_t sch, int depth)
{
    int64_t n;
    sch = bs_serdes_deref(sch);
    if (depth > BS_CHECK_DEPTH)
        return cfail(c, sch, "nested deeper than 200");
    switch (avro_typeof(sch)) {
    case AVRO_NULL:
        return 0;
    case AVRO_BOOLEAN:
        if (c->p >= c->end)
            return cfail(c, sch, "truncated boolean");
        if (*c->p > 1)
            return cfail(c, sch, "boolean byte is neither 0 nor 1");
        c->p++;
        return 0;
    case AVRO_INT32:
        if (varint(c, sch, &n))
            return -1;
        return n < INT32_MIN || n > INT32_MAX ? cfail(c, sch, "int out of range") : 0;
    case AVRO_INT64:
        return varint(c, sch, &n);
    case AVRO_FLOAT:
        return skip(c, sch, 4, "truncated float");
    case AVRO_DOUBLE:
        return skip(c, sch, 8, "truncated double");
    case AVRO_STRING:
    case AVRO_BYTES:
        if (varint(c, sch, &n))
            return -1;
        return skip(c, sch, n, n < 0 ? "negative length" : "length beyond the end of the data");
    case AVRO_FIXED:
        return skip(c, sch, avro_schema_fixed_size(sch), "truncated fixed");
    case AVRO_ENUM:
        if (varint(c, sch, &n))
            return -1;
        return n < 0 || n >= (int64_t)avro_schema_enum_number_of_symbols(sch)
                   ? cfail(c, sch, "enum index out of range")
                   : 0;
    case AVRO_UNION:
        if (varint(c, sch, &n))
            return -1;
        if (n < 0 || n >= (int64_t)avro_schema_union_size(sch))
            return cfail(c, sch, "union branch index out of range");
        return walk(c, avro_schema_union_branch(sch, (int)n), depth + 1);
    case AVRO_RECORD:
        for (size_t i = 0; i < avro_schema_record_size(sch); i++)
            if (walk(c, avro_schema_record_field_get_by_index(sch, (int)i), depth + 1))
                return -1;
        return 0;
    case AVRO_ARRAY:
    case AVRO_MAP: {
        int map = avro_typeof(sch) == AVRO_MAP;
        avro_schema_t item = map ? avro_schema_map_values(sch) : avro_schema_array_items(sch);
        int empty = !map && zero_size(item, 0);
        for (;;) {
            if (varint(c, sch, &n))
                return -1;
            if (n == 0)
                return 0;
            if (n < 0) {
                int64_t bytes;
                if (n == INT64_MIN)
                    return cfail(c, sch, "block count out of range");
                n = -n;
                if (varint(c, sch, &bytes))
                    return -1;
                if (bytes < 0 || bytes > c->end - c->p)
                    return cfail(c, sch, "block size beyond the end of the data");
            }
            if (empty) {
                c->empty_items += n;
                if (c->empty_items > BS_CHECK_MAX_EMPTY)
                    return cfail(c, sch, "more than 1000000 zero-size items");
            } else if (n > c->end - c->p) {
                return cfail(c, sch, "block count larger than the bytes left");
            }
            for (int64_t i = 0; i < n; i++) {
                if (map) {
                    int64_t kl;
                    if (varint(c, sch, &kl) ||
                        skip(c, sch, kl, "map key length beyond the end of the data"))
                        return -1;
                }
                if (walk(c, item, depth + 1))
                    return -1;
            }
        }
    }
    default:
        return cfail(c, sch, "unsupported type");
    }
}

int bs_serdes_avro_check(avro_schema_t schema, const uint8_t *p, size_t len, char *err,
                         size_t errlen)
{
    cctx_t c = {.start = p, .p = p, .end = p + len, .err = err, .errlen = errlen};
    return walk(&c, schema, 0);
}
