/*
 * avro_json.c — Avro's JSON encoding <-> avro-c values, the text form that
 * kafka-avro-console-producer reads and kafka-avro-console-consumer prints:
 *
 *   null/boolean/int/long/float/double  JSON literals (NaN and infinities as
 *                                       the strings "NaN", "Infinity", ...)
 *   string                              JSON string
 *   bytes, fixed                        JSON string whose code points 0..255
 *                                       are the bytes ("\u00ff")
 *   enum                                the symbol as a string
 *   array, map, record                  JSON array / object / object
 *   union                               null, or {"<branch name>": value}
 *                                       (full name for named types)
 *   logical types                       their underlying type
 *
 * Parsing goes through jansson (JSON_ALLOW_NUL so strings may carry \u0000);
 * every mismatch is reported with the JSON path of the offending value.
 * Printing writes compact JSON straight into a bs_serdes_buf_t, fields in
 * schema order. Invariant: nothing here trusts the input's shape; depth is
 * bounded by the schema (and by jansson's own nesting limit).
 */
#include "serdes_int.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* The JSON path of the value being filled, kept as a stack of frames and
 * rendered ("$.a[3][\"k\"]") only when an error is reported. */
#define JPATH_MAX 256
typedef struct jframe_s {
    char kind; /* '.' field, '[' index, '{' map key, '|' union branch */
    const char *name;
    size_t idx;
} jframe_t;

typedef struct jctx_s {
    const bs_serdes_schema_t *s;
    jframe_t fr[JPATH_MAX];
    int nf;
    char path[512];
    char *err;
    size_t errlen;
} jctx_t;

static void push(jctx_t *c, char kind, const char *name, size_t idx)
{
    if (c->nf < JPATH_MAX)
        c->fr[c->nf] = (jframe_t){kind, name, idx};
    c->nf++;
}

static const char *P(jctx_t *c)
{
    size_t at = (size_t)snprintf(c->path, sizeof(c->path), "$");
    for (int i = 0; i < c->nf && i < JPATH_MAX && at < sizeof(c->path); i++) {
        const jframe_t *f = &c->fr[i];
        char *o = c->path + at;
        size_t left = sizeof(c->path) - at;
        int w = f->kind == '.'   ? snprintf(o, left, ".%s", f->name)
                : f->kind == '[' ? snprintf(o, left, "[%zu]", f->idx)
                : f->kind == '{' ? snprintf(o, left, "[\"%s\"]", f->name)
                                 : snprintf(o, left, "[%s]", f->name);
        if (w < 0)
            break;
        at += (size_t)w;
    }
    return c->path;
}

static const char *jtype(json_t *j)
{
    switch (json_typeof(j)) {
    case JSON_OBJECT:
        return "object";
    case JSON_ARRAY:
        return "array";
    case JSON_STRING:
        return "string";
    case JSON_INTEGER:
        return "integer";
    case JSON_REAL:
        return "number";
    case JSON_TRUE:
    case JSON_FALSE:
        return "boolean";
    case JSON_NULL:
        return "null";
    }
    return "?";
}

static int jfail(jctx_t *c, const char *what, json_t *j)
{
    bs_serdes_fmt(c->err, c->errlen, "at %s: expected %s, got %s", P(c), what,
                  j ? jtype(j) : "nothing");
    return -1;
}

/* Decodes a JSON string of code points 0..255 into bytes (in place into a
 * malloc'd buffer). */
static int latin1(jctx_t *c, json_t *j, size_t want, uint8_t **out, size_t *outlen)
{
    if (!json_is_string(j))
        return jfail(c, want ? "a string of fixed size" : "a bytes string", j);
    const uint8_t *p = (const uint8_t *)json_string_value(j);
    size_t n = json_string_length(j), k = 0;
    uint8_t *b = malloc(n + 1);
    if (!b)
        return jfail(c, "memory", j);
    for (size_t i = 0; i < n;) {
        uint32_t cp;
        if (p[i] < 0x80) {
            cp = p[i++];
        } else if ((p[i] & 0xE0) == 0xC0 && i + 1 < n) {
            cp = (uint32_t)(p[i] & 0x1F) << 6 | (p[i + 1] & 0x3F);
            i += 2;
        } else {
            free(b);
            bs_serdes_fmt(c->err, c->errlen,
                          "at %s: bytes string has a character above \\u00ff at offset %zu", P(c),
                          i);
            return -1;
        }
        if (cp > 0xFF) {
            free(b);
            bs_serdes_fmt(c->err, c->errlen, "at %s: bytes string has a character above \\u00ff",
                          c->path);
            return -1;
        }
        b[k++] = (uint8_t)cp;
    }
    if (want && k != want) {
        free(b);
        bs_serdes_fmt(c->err, c->errlen, "at %s: fixed of size %zu given %zu bytes", P(c), want, k);
        return -1;
    }
    *out = b;
    *outlen = k;
    return 0;
}

static int jdouble(jctx_t *c, json_t *j, double *out)
{
    if (json_is_number(j)) {
        *out = json_number_value(j);
        return 0;
    }
    if (json_is_string(j)) {
        const char *s = json_string_value(j);
        if (!strcmp(s, "NaN")) {
            *out = NAN;
            return 0;
        }
        if (!strcmp(s, "Infinity")) {
            *out = INFINITY;
            return 0;
        }
        if (!strcmp(s, "-Infinity")) {
            *out = -INFINITY;
            return 0;
        }
    }
    return jfail(c, "a number", j);
}

static int fill(jctx_t *c, json_t *j, avro_value_t *v, int dflt, int depth);

static int fill_union(jctx_t *c, json_t *j, avro_value_t *v, avro_schema_t sch, int dflt, int depth)
{
    size_t n = avro_schema_union_size(sch);
    avro_value_t br;
    char name[1024];
    if (dflt) { /* default: the first branch's value, unwrapped (try others leniently) */
        for (size_t i = 0; i < n; i++) {
            if (avro_value_set_branch(v, (int)i, &br))
                break;
            int saved = c->nf;
            if (fill(c, j, &br, 1, depth + 1) == 0)
                return 0;
            c->nf = saved;
        }
        return jfail(c, "a default matching a union branch", j);
    }
    if (json_is_null(j)) {
        for (size_t i = 0; i < n; i++) {
            if (avro_typeof(avro_schema_union_branch(sch, i)) == AVRO_NULL) {
                if (avro_value_set_branch(v, (int)i, &br))
                    break;
                return avro_value_set_null(&br) ? jfail(c, "null", j) : 0;
            }
        }
        return jfail(c, "a union value (this union has no null branch)", j);
    }
    if (!json_is_object(j) || json_object_size(j) != 1)
        return jfail(c, "a union as null or {\"<type name>\": value}", j);
    const char *key = json_object_iter_key(json_object_iter(j));
    json_t *inner = json_object_iter_value(json_object_iter(j));
    for (size_t i = 0; i < n; i++) {
        avro_schema_t b = bs_serdes_deref(avro_schema_union_branch(sch, i));
        bs_serdes_branch_name(b, name, sizeof(name));
        const char *shortn = avro_schema_name(b);
        if (strcmp(name, key) && !(shortn && !strcmp(shortn, key) &&
                                   (avro_typeof(b) == AVRO_RECORD || avro_typeof(b) == AVRO_ENUM ||
                                    avro_typeof(b) == AVRO_FIXED)))
            continue;
        if (avro_value_set_branch(v, (int)i, &br))
            return jfail(c, "a settable union branch", j);
        push(c, '|', key, 0);
        int r = fill(c, inner, &br, 0, depth + 1);
        if (r == 0)
            c->nf--;
        return r;
    }
    bs_serdes_fmt(c->err, c->errlen, "at %s: '%s' is not a branch of the union", P(c), key);
    return -1;
}

static int fill_record(jctx_t *c, json_t *j, avro_value_t *v, avro_schema_t sch, int dflt,
                       int depth)
{
    if (!json_is_object(j))
        return jfail(c, "a record (JSON object)", j);
    size_t n = avro_schema_record_size(sch);
    const char *key;
    json_t *val;
    json_object_foreach(j, key, val)
    {
        if (avro_schema_record_field_get_index(sch, key) < 0) {
            char full[512];
            bs_serdes_fullname(sch, full, sizeof(full));
            bs_serdes_fmt(c->err, c->errlen, "at %s: record %s has no field '%s'", P(c), full, key);
            return -1;
        }
    }
    for (size_t i = 0; i < n; i++) {
        const char *fname = avro_schema_record_field_name(sch, (int)i);
        avro_value_t fv;
        if (avro_value_get_by_index(v, i, &fv, NULL))
            return jfail(c, "a record field", j);
        json_t *fj = json_object_get(j, fname);
        int fdflt = dflt;
        if (!fj) {
            fj = bs_serdes_schema_field_default(c->s, sch, fname);
            fdflt = 1;
            if (!fj) {
                bs_serdes_fmt(c->err, c->errlen,
                              "at %s: missing field '%s' (and the schema gives no default)", P(c),
                              fname);
                return -1;
            }
        }
        push(c, '.', fname, 0);
        if (fill(c, fj, &fv, fdflt, depth + 1))
            return -1;
        c->nf--;
    }
    return 0;
}

static int fill(jctx_t *c, json_t *j, avro_value_t *v, int dflt, int depth)
{
    avro_schema_t sch = bs_serdes_deref(avro_value_get_schema(v));
    if (depth > 200) {
        bs_serdes_fmt(c->err, c->errlen, "at %s: nesting deeper than 200", P(c));
        return -1;
    }
    int rc = 0;
    switch (avro_typeof(sch)) {
    case AVRO_NULL:
        if (!json_is_null(j))
            return jfail(c, "null", j);
        rc = avro_value_set_null(v);
        break;
    case AVRO_BOOLEAN:
        if (!json_is_boolean(j))
            return jfail(c, "a boolean", j);
        rc = avro_value_set_boolean(v, json_is_true(j));
        break;
    case AVRO_INT32: {
        if (!json_is_integer(j))
            return jfail(c, "an int", j);
        json_int_t x = json_integer_value(j);
        if (x < INT32_MIN || x > INT32_MAX) {
            bs_serdes_fmt(c->err, c->errlen, "at %s: %lld is out of range for an int", P(c),
                          (long long)x);
            return -1;
        }
        rc = avro_value_set_int(v, (int32_t)x);
        break;
    }
    case AVRO_INT64:
        if (!json_is_integer(j))
            return jfail(c, "a long", j);
        rc = avro_value_set_long(v, (int64_t)json_integer_value(j));
        break;
    case AVRO_FLOAT: {
        double d;
        if (jdouble(c, j, &d))
            return -1;
        rc = avro_value_set_float(v, (float)d);
        break;
    }
    case AVRO_DOUBLE: {
        double d;
        if (jdouble(c, j, &d))
            return -1;
        rc = avro_value_set_double(v, d);
        break;
    }
    case AVRO_STRING:
        if (!json_is_string(j))
            return jfail(c, "a string", j);
        /* avro-c lengths include the terminating NUL */
        rc = avro_value_set_string_len(v, json_string_value(j), json_string_length(j) + 1);
        break;
    case AVRO_BYTES:
    case AVRO_FIXED: {
        uint8_t *b = NULL;
        size_t n;
        int fixed = avro_typeof(sch) == AVRO_FIXED;
        if (latin1(c, j, fixed ? (size_t)avro_schema_fixed_size(sch) : 0, &b, &n))
            return -1;
        rc = fixed ? avro_value_set_fixed(v, b, n) : avro_value_set_bytes(v, b, n);
        free(b);
        break;
    }
    case AVRO_ENUM: {
        if (!json_is_string(j))
            return jfail(c, "an enum symbol", j);
        int idx = avro_schema_enum_get_by_name(sch, json_string_value(j));
        if (idx < 0) {
            bs_serdes_fmt(c->err, c->errlen, "at %s: '%s' is not a symbol of enum %s", P(c),
                          json_string_value(j), avro_schema_name(sch));
            return -1;
        }
        rc = avro_value_set_enum(v, idx);
        break;
    }
    case AVRO_ARRAY: {
        if (!json_is_array(j))
            return jfail(c, "an array", j);
        size_t i;
        json_t *el;
        json_array_foreach(j, i, el)
        {
            avro_value_t ev;
            if (avro_value_append(v, &ev, NULL))
                return jfail(c, "an appendable array", j);
            push(c, '[', NULL, i);
            if (fill(c, el, &ev, dflt, depth + 1))
                return -1;
            c->nf--;
        }
        break;
    }
    case AVRO_MAP: {
        if (!json_is_object(j))
            return jfail(c, "a map (JSON object)", j);
        const char *key;
        json_t *el;
        json_object_foreach(j, key, el)
        {
            avro_value_t ev;
            if (avro_value_add(v, key, &ev, NULL, NULL))
                return jfail(c, "a map entry", j);
            push(c, '{', key, 0);
            if (fill(c, el, &ev, dflt, depth + 1))
                return -1;
            c->nf--;
        }
        break;
    }
    case AVRO_UNION:
        return fill_union(c, j, v, sch, dflt, depth);
    case AVRO_RECORD:
        return fill_record(c, j, v, sch, dflt, depth);
    default:
        bs_serdes_fmt(c->err, c->errlen, "at %s: unsupported Avro type", P(c));
        return -1;
    }
    if (rc) {
        bs_serdes_fmt(c->err, c->errlen, "at %s: avro-c refused the value: %s", P(c),
                      avro_strerror());
        return -1;
    }
    return 0;
}

int bs_serdes_json_fill(const bs_serdes_schema_t *s, json_t *j, avro_value_t *v, int dflt,
                        char *err, size_t errlen)
{
    jctx_t c = {.s = s, .err = err, .errlen = errlen};
    return fill(&c, j, v, dflt, 0);
}

/* The jansson-based reader: kept as the reference implementation that the
 * fuzz target compares the fast reader (avro_json_parse.c) against. */
int bs_serdes_json_to_value_ref(const bs_serdes_schema_t *s, const char *json, size_t len,
                                avro_value_t *dest, char *err, size_t errlen)
{
    json_error_t je;
    if (!json) {
        bs_serdes_fmt(err, errlen, "JSON text is NULL");
        return -1;
    }
    if (len == (size_t)-1)
        len = strlen(json);
    json_t *j = json_loadb(json, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (!j) {
        bs_serdes_fmt(err, errlen, "invalid JSON at line %d column %d: %s", je.line, je.column,
                      je.text);
        return -1;
    }
    avro_value_reset(dest);
    int rc = bs_serdes_json_fill(s, j, dest, 0, err, errlen);
    json_decref(j);
    return rc;
}

/* ---- printing ---- */

#define PUT(b, s, n)                                                                               \
    do {                                                                                           \
        if (bs_serdes_buf_reserve((b), (n)))                                                       \
            return -1;                                                                             \
        memcpy((b)->data + (b)->len, (s), (n));                                                    \
        (b)->len += (n);                                                                           \
    } while (0)
#define PUTS(b, s) PUT(b, s, strlen(s))

static const char hexd[] = "0123456789abcdef";

/* Length of the valid UTF-8 sequence at p (first byte >= 0x80), 0 if invalid
 * (truncated, bad continuation, overlong, surrogate, beyond U+10FFFF). */
static size_t utf8_len(const uint8_t *p, size_t n)
{
    uint32_t cp;
    size_t k;
    if (p[0] >= 0xC2 && p[0] <= 0xDF)
        k = 2, cp = p[0] & 0x1F;
    else if (p[0] >= 0xE0 && p[0] <= 0xEF)
        k = 3, cp = p[0] & 0x0F;
    else if (p[0] >= 0xF0 && p[0] <= 0xF4)
        k = 4, cp = p[0] & 0x07;
    else
        return 0;
    if (k > n)
        return 0;
    for (size_t i = 1; i < k; i++) {
        if ((p[i] & 0xC0) != 0x80)
            return 0;
        cp = cp << 6 | (p[i] & 0x3F);
    }
    if ((k == 3 && cp < 0x800) || (k == 4 && (cp < 0x10000 || cp > 0x10FFFF)) ||
        (cp >= 0xD800 && cp <= 0xDFFF))
        return 0;
    return k;
}

/* JSON string of raw UTF-8 text (latin1 = 0) or of bytes as code points. */
static int put_str(bs_serdes_buf_t *b, const uint8_t *p, size_t n, int latin1)
{
    if (bs_serdes_buf_reserve(b, n * 6 + 2))
        return -1;
    uint8_t *o = b->data + b->len;
    *o++ = '"';
    for (size_t i = 0; i < n; i++) {
        uint8_t ch = p[i];
        if (ch == '"' || ch == '\\') {
            *o++ = '\\';
            *o++ = ch;
        } else if (ch >= 0x20 && ch < 0x7f) {
            *o++ = ch;
        } else if (ch == '\n') {
            *o++ = '\\', *o++ = 'n';
        } else if (ch == '\t') {
            *o++ = '\\', *o++ = 't';
        } else if (ch == '\r') {
            *o++ = '\\', *o++ = 'r';
        } else if (ch < 0x20 || ch == 0x7f || latin1) {
            *o++ = '\\', *o++ = 'u', *o++ = '0', *o++ = '0';
            *o++ = hexd[ch >> 4];
            *o++ = hexd[ch & 15];
        } else {
            size_t k = utf8_len(p + i, n - i);
            if (k) { /* valid UTF-8 passes through */
                memcpy(o, p + i, k);
                o += k;
                i += k - 1;
            } else { /* invalid bytes print as U+FFFD, as Java's decoder does */
                memcpy(o, "\xef\xbf\xbd", 3);
                o += 3;
            }
        }
    }
    *o++ = '"';
    b->len = (size_t)(o - b->data);
    return 0;
}

static int put_double(bs_serdes_buf_t *b, double d, int is_float)
{
    char tmp[40];
    if (isnan(d))
        snprintf(tmp, sizeof(tmp), "\"NaN\"");
    else if (isinf(d))
        snprintf(tmp, sizeof(tmp), d > 0 ? "\"Infinity\"" : "\"-Infinity\"");
    else {
        /* shortest text that reads back to the same value */
        int prec = is_float ? 6 : 15;
        for (; prec <= 17; prec++) {
            snprintf(tmp, sizeof(tmp), "%.*g", prec, d);
            if (is_float ? (float)strtod(tmp, NULL) == (float)d : strtod(tmp, NULL) == d)
                break;
        }
        if (!strpbrk(tmp, ".eE"))
            strcat(tmp, ".0"); /* keep it a floating-point literal, as Java prints */
    }
    PUTS(b, tmp);
    return 0;
}

static int print(avro_value_t *v, bs_serdes_buf_t *b, int depth)
{
    avro_schema_t sch = bs_serdes_deref(avro_value_get_schema(v));
    char tmp[64];
    if (depth > 200)
        return -1;
    switch (avro_typeof(sch)) {
    case AVRO_NULL:
        PUTS(b, "null");
        return 0;
    case AVRO_BOOLEAN: {
        int x;
        if (avro_value_get_boolean(v, &x))
            return -1;
        PUTS(b, x ? "true" : "false");
        return 0;
    }
    case AVRO_INT32: {
        int32_t x;
        if (avro_value_get_int(v, &x))
            return -1;
        PUT(b, tmp, (size_t)snprintf(tmp, sizeof(tmp), "%d", x));
        return 0;
    }
    case AVRO_INT64: {
        int64_t x;
        if (avro_value_get_long(v, &x))
            return -1;
        PUT(b, tmp, (size_t)snprintf(tmp, sizeof(tmp), "%lld", (long long)x));
        return 0;
    }
    case AVRO_FLOAT: {
        float x;
        if (avro_value_get_float(v, &x))
            return -1;
        return put_double(b, x, 1);
    }
    case AVRO_DOUBLE: {
        double x;
        if (avro_value_get_double(v, &x))
            return -1;
        return put_double(b, x, 0);
    }
    case AVRO_STRING: {
        const char *p;
        size_t n;
        if (avro_value_get_string(v, &p, &n))
            return -1;
        return put_str(b, (const uint8_t *)p, n ? n - 1 : 0, 0);
    }
    case AVRO_BYTES: {
        const void *p;
        size_t n;
        if (avro_value_get_bytes(v, &p, &n))
            return -1;
        return put_str(b, p, n, 1);
    }
    case AVRO_FIXED: {
        const void *p;
        size_t n;
        if (avro_value_get_fixed(v, &p, &n))
            return -1;
        return put_str(b, p, n, 1);
    }
    case AVRO_ENUM: {
        int x;
        if (avro_value_get_enum(v, &x))
            return -1;
        const char *sym = avro_schema_enum_get(sch, x);
        if (!sym)
            return -1;
        return put_str(b, (const uint8_t *)sym, strlen(sym), 0);
    }
    case AVRO_ARRAY:
    case AVRO_MAP: {
        size_t n;
        int map = avro_typeof(sch) == AVRO_MAP;
        if (avro_value_get_size(v, &n))
            return -1;
        PUTS(b, map ? "{" : "[");
        for (size_t i = 0; i < n; i++) {
            avro_value_t ev;
            const char *key = NULL;
            if (avro_value_get_by_index(v, i, &ev, &key))
                return -1;
            if (i)
                PUTS(b, ",");
            if (map) {
                if (put_str(b, (const uint8_t *)key, strlen(key), 0))
                    return -1;
                PUTS(b, ":");
            }
            if (print(&ev, b, depth + 1))
                return -1;
        }
        PUTS(b, map ? "}" : "]");
        return 0;
    }
    case AVRO_UNION: {
        avro_value_t br;
        if (avro_value_get_current_branch(v, &br))
            return -1;
        avro_schema_t bs = bs_serdes_deref(avro_value_get_schema(&br));
        if (avro_typeof(bs) == AVRO_NULL) {
            PUTS(b, "null");
            return 0;
        }
        char name[1024];
        bs_serdes_branch_name(bs, name, sizeof(name));
        PUTS(b, "{");
        if (put_str(b, (const uint8_t *)name, strlen(name), 0))
            return -1;
        PUTS(b, ":");
        if (print(&br, b, depth + 1))
            return -1;
        PUTS(b, "}");
        return 0;
    }
    case AVRO_RECORD: {
        size_t n = avro_schema_record_size(sch);
        PUTS(b, "{");
        for (size_t i = 0; i < n; i++) {
            avro_value_t fv;
            const char *fname = avro_schema_record_field_name(sch, (int)i);
            if (avro_value_get_by_index(v, i, &fv, NULL))
                return -1;
            if (i)
                PUTS(b, ",");
            if (put_str(b, (const uint8_t *)fname, strlen(fname), 0))
                return -1;
            PUTS(b, ":");
            if (print(&fv, b, depth + 1))
                return -1;
        }
        PUTS(b, "}");
        return 0;
    }
    default:
        return -1;
    }
}

int bs_avro_value_to_json(avro_value_t *v, bs_serdes_buf_t *out, char *err, size_t errlen)
{
    size_t start = out->len;
    if (print(v, out, 0)) {
        out->len = start;
        bs_serdes_fmt(err, errlen, "cannot print the Avro value as JSON: %s", avro_strerror());
        return -1;
    }
    return 0;
}
