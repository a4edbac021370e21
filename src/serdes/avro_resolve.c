/*
 * avro_resolve.c — Avro schema resolution (spec section "Schema
 * Resolution") as a copy from a value of the writer's schema into a value of
 * the reader's schema. avro-c's own resolvers refuse reader fields that the
 * writer lacks because avro-c drops field defaults; here the defaults come
 * from bs_serdes_schema_t.
 *
 * Rules implemented: records by field name (writer-only fields dropped,
 * reader-only fields from their default, else an error naming the field);
 * int -> long/float/double, long -> float/double, float -> double,
 * string <-> bytes; enums by symbol; fixed of equal size; arrays and maps
 * element-wise; a writer union resolves its current branch; a reader union
 * takes the first branch matching the writer's type exactly, else the first
 * it can be promoted to. dest must be freshly reset by the caller.
 */
#include "serdes_int.h"

#include <stdlib.h>
#include <string.h>

typedef struct rctx_s {
    const bs_serdes_schema_t *reader;
    char *err;
    size_t errlen;
} rctx_t;

static int same_named(avro_schema_t a, avro_schema_t b)
{
    const char *na = avro_schema_name(a), *nb = avro_schema_name(b);
    return na && nb && !strcmp(na, nb);
}

/* 2 = same type, 1 = promotable, 0 = no match */
static int match(avro_schema_t w, avro_schema_t r)
{
    avro_type_t wt = avro_typeof(w), rt = avro_typeof(r);
    if (wt == rt) {
        if (wt == AVRO_RECORD || wt == AVRO_ENUM || wt == AVRO_FIXED)
            return same_named(w, r) ? 2 : 0;
        return 2;
    }
    switch (wt) {
    case AVRO_INT32:
        return rt == AVRO_INT64 || rt == AVRO_FLOAT || rt == AVRO_DOUBLE;
    case AVRO_INT64:
        return rt == AVRO_FLOAT || rt == AVRO_DOUBLE;
    case AVRO_FLOAT:
        return rt == AVRO_DOUBLE;
    case AVRO_STRING:
        return rt == AVRO_BYTES;
    case AVRO_BYTES:
        return rt == AVRO_STRING;
    default:
        return 0;
    }
}

static int rfail(rctx_t *c, avro_schema_t w, avro_schema_t r, const char *why)
{
    char wn[256], rn[256];
    bs_serdes_branch_name(w, wn, sizeof(wn));
    bs_serdes_branch_name(r, rn, sizeof(rn));
    bs_serdes_fmt(c->err, c->errlen, "cannot resolve writer type %s to reader type %s%s%s", wn, rn,
                  why ? ": " : "", why ? why : "");
    return -1;
}

static int copy(rctx_t *c, avro_value_t *src, avro_value_t *dst, int depth)
{
    avro_schema_t w = bs_serdes_deref(avro_value_get_schema(src));
    avro_schema_t r = bs_serdes_deref(avro_value_get_schema(dst));
    avro_type_t wt = avro_typeof(w), rt = avro_typeof(r);
    if (depth > 200) {
        bs_serdes_fmt(c->err, c->errlen, "value nested deeper than 200");
        return -1;
    }
    if (wt == AVRO_UNION) {
        avro_value_t br;
        if (avro_value_get_current_branch(src, &br))
            return rfail(c, w, r, "writer union has no branch set");
        return copy(c, &br, dst, depth + 1);
    }
    if (rt == AVRO_UNION) {
        size_t n = avro_schema_union_size(r);
        int best = -1, bestq = 0;
        for (size_t i = 0; i < n; i++) {
            int q = match(w, bs_serdes_deref(avro_schema_union_branch(r, i)));
            if (q > bestq) {
                best = (int)i;
                bestq = q;
                if (q == 2)
                    break;
            }
        }
        avro_value_t br;
        if (best < 0)
            return rfail(c, w, r, "no union branch matches");
        if (avro_value_set_branch(dst, best, &br))
            return rfail(c, w, r, avro_strerror());
        return copy(c, src, &br, depth + 1);
    }
    if (!match(w, r))
        return rfail(c, w, r, NULL);
    int rc = 0;
    switch (wt) {
    case AVRO_NULL:
        rc = avro_value_set_null(dst);
        break;
    case AVRO_BOOLEAN: {
        int x;
        rc = avro_value_get_boolean(src, &x) || avro_value_set_boolean(dst, x);
        break;
    }
    case AVRO_INT32:
    case AVRO_INT64:
    case AVRO_FLOAT:
    case AVRO_DOUBLE: {
        int64_t l = 0;
        double d = 0;
        int isint = 1;
        if (wt == AVRO_INT32) {
            int32_t i = 0;
            rc = avro_value_get_int(src, &i);
            l = i;
        } else if (wt == AVRO_INT64) {
            rc = avro_value_get_long(src, &l);
        } else if (wt == AVRO_FLOAT) {
            float f = 0;
            rc = avro_value_get_float(src, &f);
            d = f;
            isint = 0;
        } else {
            rc = avro_value_get_double(src, &d);
            isint = 0;
        }
        if (isint)
            d = (double)l;
        if (rc)
            break;
        if (rt == AVRO_INT32)
            rc = avro_value_set_int(dst, (int32_t)l);
        else if (rt == AVRO_INT64)
            rc = avro_value_set_long(dst, l);
        else if (rt == AVRO_FLOAT)
            rc = avro_value_set_float(dst, (float)d);
        else
            rc = avro_value_set_double(dst, d);
        break;
    }
    case AVRO_STRING:
    case AVRO_BYTES: {
        const void *p;
        size_t n;
        if (wt == AVRO_STRING) {
            const char *s = NULL;
            rc = avro_value_get_string(src, &s, &n);
            p = s;
            if (!rc && n)
                n--; /* drop avro-c's terminator */
        } else {
            rc = avro_value_get_bytes(src, &p, &n);
        }
        if (rc)
            break;
        if (rt == AVRO_STRING) {
            /* set_string_len wants the length including a terminator */
            char *tmp = malloc(n + 1);
            if (!tmp)
                return rfail(c, w, r, "out of memory");
            memcpy(tmp, p, n);
            tmp[n] = 0;
            rc = avro_value_set_string_len(dst, tmp, n + 1);
            free(tmp);
        } else {
            rc = avro_value_set_bytes(dst, (void *)p, n);
        }
        break;
    }
    case AVRO_FIXED: {
        const void *p;
        size_t n;
        if (avro_schema_fixed_size(w) != avro_schema_fixed_size(r))
            return rfail(c, w, r, "fixed sizes differ");
        rc = avro_value_get_fixed(src, &p, &n) || avro_value_set_fixed(dst, (void *)p, n);
        break;
    }
    case AVRO_ENUM: {
        int x;
        if (avro_value_get_enum(src, &x))
            return rfail(c, w, r, avro_strerror());
        const char *sym = avro_schema_enum_get(w, x);
        int ri = sym ? avro_schema_enum_get_by_name(r, sym) : -1;
        if (ri < 0) {
            bs_serdes_fmt(c->err, c->errlen,
                          "enum symbol '%s' of the writer is unknown to the reader",
                          sym ? sym : "?");
            return -1;
        }
        rc = avro_value_set_enum(dst, ri);
        break;
    }
    case AVRO_ARRAY:
    case AVRO_MAP: {
        size_t n;
        if (avro_value_get_size(src, &n))
            return rfail(c, w, r, avro_strerror());
        for (size_t i = 0; i < n; i++) {
            avro_value_t se, de;
            const char *key = NULL;
            if (avro_value_get_by_index(src, i, &se, &key))
                return rfail(c, w, r, avro_strerror());
            if (wt == AVRO_ARRAY ? avro_value_append(dst, &de, NULL)
                                 : avro_value_add(dst, key, &de, NULL, NULL))
                return rfail(c, w, r, avro_strerror());
            if (copy(c, &se, &de, depth + 1))
                return -1;
        }
        break;
    }
    case AVRO_RECORD: {
        size_t n = avro_schema_record_size(r);
        for (size_t i = 0; i < n; i++) {
            const char *fname = avro_schema_record_field_name(r, (int)i);
            avro_value_t de, se;
            if (avro_value_get_by_index(dst, i, &de, NULL))
                return rfail(c, w, r, avro_strerror());
            int wi = avro_schema_record_field_get_index(w, fname);
            if (wi >= 0) {
                if (avro_value_get_by_index(src, (size_t)wi, &se, NULL))
                    return rfail(c, w, r, avro_strerror());
                if (copy(c, &se, &de, depth + 1))
                    return -1;
                continue;
            }
            json_t *d = bs_serdes_schema_field_default(c->reader, r, fname);
            if (!d) {
                bs_serdes_fmt(c->err, c->errlen,
                              "reader field '%s' of record %s is not in the writer's schema and "
                              "has no default",
                              fname, avro_schema_name(r));
                return -1;
            }
            char e2[256];
            if (bs_serdes_json_fill(c->reader, d, &de, 1, e2, sizeof(e2))) {
                bs_serdes_fmt(c->err, c->errlen, "default of reader field '%s': %s", fname, e2);
                return -1;
            }
        }
        break;
    }
    default:
        return rfail(c, w, r, "unsupported type");
    }
    if (rc)
        return rfail(c, w, r, avro_strerror());
    return 0;
}

int bs_avro_resolve(avro_value_t *src, const bs_serdes_schema_t *reader, avro_value_t *dest,
                    char *err, size_t errlen)
{
    rctx_t c = {.reader = reader, .err = err, .errlen = errlen};
    return copy(&c, src, dest, 0);
}
