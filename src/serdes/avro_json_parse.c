/*
 * avro_json_parse.c — the fast path of Avro JSON encoding -> avro-c value:
 * a single-pass JSON reader driven by the schema, with no intermediate
 * JSON tree (jansson allocates a node per value, which made JSON input ~3x
 * slower than needed). It accepts exactly the mapping described in
 * avro_json.c; record fields may come in any order, missing fields take
 * their defaults (through the jansson-based filler, defaults being parsed
 * once with the schema), duplicate fields are refused.
 *
 * Invariants: the cursor never passes `end`; every string is checked to be
 * valid UTF-8 and free of raw control characters; nesting is bounded by
 * JP_DEPTH; errors name the JSON path and the byte offset. Scratch memory
 * (decoded strings) is one growable buffer per call, freed at the end.
 */
#include "serdes_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define JP_DEPTH 200
#define JP_PATH  64

typedef struct jp_s {
    const bs_serdes_schema_t *s;
    const char *start, *p, *end;
    char *sbuf; /* decoded string scratch */
    size_t scap;
    struct {
        char kind;
        const char *name;
        size_t idx;
    } fr[JP_PATH];
    int nf;
    char *err;
    size_t errlen;
} jp_t;

static void jp_push(jp_t *j, char kind, const char *name, size_t idx)
{
    if (j->nf < JP_PATH) {
        j->fr[j->nf].kind = kind;
        j->fr[j->nf].name = name;
        j->fr[j->nf].idx = idx;
    }
    j->nf++;
}

static int jp_fail(jp_t *j, const char *fmt, const char *arg)
{
    char path[400], msg[300];
    size_t at = (size_t)snprintf(path, sizeof(path), "$");
    for (int i = 0; i < j->nf && i < JP_PATH && at < sizeof(path); i++) {
        int w = j->fr[i].kind == '[' ? snprintf(path + at, sizeof(path) - at, "[%zu]", j->fr[i].idx)
                : j->fr[i].kind == '.'
                    ? snprintf(path + at, sizeof(path) - at, ".%s", j->fr[i].name)
                    : snprintf(path + at, sizeof(path) - at, "[%s]", j->fr[i].name);
        if (w < 0)
            break;
        at += (size_t)w;
    }
    snprintf(msg, sizeof(msg), fmt, arg ? arg : "");
    bs_serdes_fmt(j->err, j->errlen, "at %s (byte %zu): %s", path, (size_t)(j->p - j->start), msg);
    return -1;
}

static void ws(jp_t *j)
{
    while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
        j->p++;
}

static int expect(jp_t *j, char ch)
{
    ws(j);
    if (j->p >= j->end || *j->p != ch) {
        char want[2] = {ch, 0};
        return jp_fail(j, "expected '%s'", want);
    }
    j->p++;
    return 0;
}

static const char *what_is(jp_t *j)
{
    ws(j);
    if (j->p >= j->end)
        return "end of input";
    switch (*j->p) {
    case '{':
        return "an object";
    case '[':
        return "an array";
    case '"':
        return "a string";
    case 't':
    case 'f':
        return "a boolean";
    case 'n':
        return "null";
    default:
        return (*j->p == '-' || (*j->p >= '0' && *j->p <= '9')) ? "a number" : "invalid JSON";
    }
}

static int want(jp_t *j, const char *what)
{
    char msg[160];
    snprintf(msg, sizeof(msg), "expected %s, got %s", what, what_is(j));
    return jp_fail(j, "%s", msg);
}

static int literal(jp_t *j, const char *lit)
{
    size_t n = strlen(lit);
    if ((size_t)(j->end - j->p) < n || memcmp(j->p, lit, n))
        return -1;
    j->p += n;
    return 0;
}

static int sput(jp_t *j, size_t *len, const char *src, size_t n)
{
    if (*len + n + 1 > j->scap) {
        size_t nc = j->scap ? j->scap : 256;
        while (nc < *len + n + 1)
            nc *= 2;
        char *b = realloc(j->sbuf, nc);
        if (!b)
            return jp_fail(j, "out of memory", NULL);
        j->sbuf = b;
        j->scap = nc;
    }
    memcpy(j->sbuf + *len, src, n);
    *len += n;
    j->sbuf[*len] = 0;
    return 0;
}

static int hex4(const char *p, uint32_t *out)
{
    uint32_t v = 0;
    for (int i = 0; i < 4; i++) {
        char c = p[i];
        v <<= 4;
        if (c >= '0' && c <= '9')
            v |= (uint32_t)(c - '0');
        else if (c >= 'a' && c <= 'f')
            v |= (uint32_t)(c - 'a' + 10);
        else if (c >= 'A' && c <= 'F')
            v |= (uint32_t)(c - 'A' + 10);
        else
            return -1;
    }
    *out = v;
    return 0;
}

static size_t utf8_put(uint32_t cp, char *o)
{
    if (cp < 0x80) {
        o[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        o[0] = (char)(0xC0 | cp >> 6);
        o[1] = (char)(0x80 | (cp & 0x3F));
        return 2;
    }
    if (cp < 0x10000) {
        o[0] = (char)(0xE0 | cp >> 12);
        o[1] = (char)(0x80 | ((cp >> 6) & 0x3F));
        o[2] = (char)(0x80 | (cp & 0x3F));
        return 3;
    }
    o[0] = (char)(0xF0 | cp >> 18);
    o[1] = (char)(0x80 | ((cp >> 12) & 0x3F));
    o[2] = (char)(0x80 | ((cp >> 6) & 0x3F));
    o[3] = (char)(0x80 | (cp & 0x3F));
    return 4;
}

/* Length of a valid UTF-8 sequence at p (first byte >= 0x80), else 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
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

/* Parses a JSON string at the cursor into j->sbuf (UTF-8, NUL-terminated;
 * *len excludes the terminator). */
static int jstring(jp_t *j, size_t *len)
{
    *len = 0;
    ws(j);
    if (j->p >= j->end || *j->p != '"')
        return want(j, "a string");
    j->p++;
    if (sput(j, len, "", 0))
        return -1;
    for (;;) {
        const char *run = j->p;
        while (j->p < j->end && *j->p != '"' && *j->p != '\\' && (unsigned char)*j->p >= 0x20 &&
               (unsigned char)*j->p < 0x80)
            j->p++;
        if (j->p > run && sput(j, len, run, (size_t)(j->p - run)))
            return -1;
        if (j->p >= j->end)
            return jp_fail(j, "unterminated string", NULL);
        unsigned char ch = (unsigned char)*j->p;
        if (ch == '"') {
            j->p++;
            return 0;
        }
        if (ch < 0x20)
            return jp_fail(j, "control character in a string", NULL);
        if (ch >= 0x80) {
            size_t k = utf8_seq((const unsigned char *)j->p, (size_t)(j->end - j->p));
            if (!k)
                return jp_fail(j, "invalid UTF-8 in a string", NULL);
            if (sput(j, len, j->p, k))
                return -1;
            j->p += k;
            continue;
        }
        /* backslash escape */
        if (j->end - j->p < 2)
            return jp_fail(j, "unterminated escape", NULL);
        char e = j->p[1], out[4];
        size_t on = 1;
        j->p += 2;
        switch (e) {
        case '"':
            out[0] = '"';
            break;
        case '\\':
            out[0] = '\\';
            break;
        case '/':
            out[0] = '/';
            break;
        case 'b':
            out[0] = '\b';
            break;
        case 'f':
            out[0] = '\f';
            break;
        case 'n':
            out[0] = '\n';
            break;
        case 'r':
            out[0] = '\r';
            break;
        case 't':
            out[0] = '\t';
            break;
        case 'u': {
            uint32_t cp, lo;
            if (j->end - j->p < 4 || hex4(j->p, &cp))
                return jp_fail(j, "bad \\u escape", NULL);
            j->p += 4;
            if (cp >= 0xD800 && cp <= 0xDBFF) {
                if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' || hex4(j->p + 2, &lo) ||
                    lo < 0xDC00 || lo > 0xDFFF)
                    return jp_fail(j, "unpaired UTF-16 surrogate in a \\u escape", NULL);
                j->p += 6;
                cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
            } else if (cp >= 0xDC00 && cp <= 0xDFFF) {
                return jp_fail(j, "unpaired UTF-16 surrogate in a \\u escape", NULL);
            }
            on = utf8_put(cp, out);
            break;
        }
        default:
            return jp_fail(j, "invalid escape in a string", NULL);
        }
        if (sput(j, len, out, on))
            return -1;
    }
}

/* Scans a JSON number token; *is_int when it has no fraction or exponent. */
static int jnumber(jp_t *j, const char **tok, size_t *tlen, int *is_int)
{
    ws(j);
    const char *p = j->p, *e = j->end;
    *is_int = 1;
    if (p < e && *p == '-')
        p++;
    if (p >= e || *p < '0' || *p > '9')
        return -1;
    if (*p == '0')
        p++;
    else
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    if (p < e && *p == '.') {
        *is_int = 0;
        p++;
        if (p >= e || *p < '0' || *p > '9')
            return -1;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    if (p < e && (*p == 'e' || *p == 'E')) {
        *is_int = 0;
        p++;
        if (p < e && (*p == '+' || *p == '-'))
            p++;
        if (p >= e || *p < '0' || *p > '9')
            return -1;
        while (p < e && *p >= '0' && *p <= '9')
            p++;
    }
    *tok = j->p;
    *tlen = (size_t)(p - j->p);
    j->p = p;
    return 0;
}

static int jint(jp_t *j, int64_t min, int64_t max, int64_t *out, const char *what)
{
    const char *tok;
    size_t n;
    int is_int;
    const char *at = j->p;
    if (jnumber(j, &tok, &n, &is_int) || !is_int) {
        j->p = at;
        return want(j, what);
    }
    int neg = tok[0] == '-';
    uint64_t v = 0, lim = neg ? (uint64_t)INT64_MAX + 1 : (uint64_t)INT64_MAX;
    for (size_t i = neg; i < n; i++) {
        uint64_t d = (uint64_t)(tok[i] - '0');
        if (v > (lim - d) / 10)
            return jp_fail(j, "integer out of range", NULL);
        v = v * 10 + d;
    }
    int64_t x = neg ? (int64_t)(0 - v) : (int64_t)v;
    if (x < min || x > max) {
        char t[32];
        snprintf(t, sizeof(t), "%.*s", (int)(n < 30 ? n : 30), tok);
        return jp_fail(j, "%s is out of range for an int", t);
    }
    *out = x;
    return 0;
}

static int jdouble(jp_t *j, double *out)
{
    const char *tok;
    size_t n;
    int is_int;
    const char *at = j->p;
    ws(j);
    if (j->p < j->end && *j->p == '"') {
        size_t len;
        if (jstring(j, &len))
            return -1;
        if (!strcmp(j->sbuf, "NaN"))
            *out = NAN;
        else if (!strcmp(j->sbuf, "Infinity"))
            *out = INFINITY;
        else if (!strcmp(j->sbuf, "-Infinity"))
            *out = -INFINITY;
        else {
            j->p = at;
            return want(j, "a number");
        }
        return 0;
    }
    if (jnumber(j, &tok, &n, &is_int)) {
        j->p = at;
        return want(j, "a number");
    }
    char buf[400];
    if (n >= sizeof(buf))
        return jp_fail(j, "number literal too long", NULL);
    memcpy(buf, tok, n);
    buf[n] = 0;
    errno = 0;
    *out = strtod(buf, NULL);
    if (errno == ERANGE && isinf(*out))
        return jp_fail(j, "number out of range", NULL);
    return 0;
}

static int value(jp_t *j, avro_value_t *v, int depth);

static int avro_err(jp_t *j)
{
    return jp_fail(j, "avro-c refused the value: %s", avro_strerror());
}

static int record(jp_t *j, avro_value_t *v, avro_schema_t sch, int depth)
{
    size_t nf = avro_schema_record_size(sch), len;
    unsigned char seen_small[64], *seen = seen_small;
    int rc = -1;
    if (nf > sizeof(seen_small) && !(seen = calloc(nf, 1)))
        return jp_fail(j, "out of memory", NULL);
    if (nf <= sizeof(seen_small))
        memset(seen, 0, sizeof(seen_small));
    ws(j);
    if (j->p >= j->end || *j->p != '{') {
        want(j, "a record (JSON object)");
        goto done;
    }
    j->p++;
    ws(j);
    if (j->p < j->end && *j->p == '}') {
        j->p++;
    } else {
        for (;;) {
            if (jstring(j, &len))
                goto done;
            int idx = avro_schema_record_field_get_index(sch, j->sbuf);
            if (idx < 0 || strlen(j->sbuf) != len) {
                char full[300], msg[600];
                bs_serdes_fullname(sch, full, sizeof(full));
                snprintf(msg, sizeof(msg), "record %s has no field '%.200s'", full, j->sbuf);
                jp_fail(j, "%s", msg);
                goto done;
            }
            const char *fname = avro_schema_record_field_name(sch, idx);
            if (seen[idx]) {
                jp_fail(j, "field '%s' given twice", fname);
                goto done;
            }
            seen[idx] = 1;
            if (expect(j, ':'))
                goto done;
            avro_value_t fv;
            if (avro_value_get_by_index(v, (size_t)idx, &fv, NULL)) {
                avro_err(j);
                goto done;
            }
            jp_push(j, '.', fname, 0);
            if (value(j, &fv, depth + 1))
                goto done;
            j->nf--;
            ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            if (expect(j, '}'))
                goto done;
            break;
        }
    }
    for (size_t i = 0; i < nf; i++) {
        if (seen[i])
            continue;
        const char *fname = avro_schema_record_field_name(sch, (int)i);
        json_t *d = bs_serdes_schema_field_default(j->s, sch, fname);
        avro_value_t fv;
        char e2[300];
        if (!d) {
            jp_fail(j, "missing field '%s' (and the schema gives no default)", fname);
            goto done;
        }
        if (avro_value_get_by_index(v, i, &fv, NULL) ||
            bs_serdes_json_fill(j->s, d, &fv, 1, e2, sizeof(e2))) {
            jp_fail(j, "default of field: %s", e2);
            goto done;
        }
    }
    rc = 0;
done:
    if (seen != seen_small)
        free(seen);
    return rc;
}

static int union_value(jp_t *j, avro_value_t *v, avro_schema_t sch, int depth)
{
    size_t n = avro_schema_union_size(sch), len;
    avro_value_t br;
    char name[1024];
    ws(j);
    if (literal(j, "null") == 0) {
        for (size_t i = 0; i < n; i++)
            if (avro_typeof(avro_schema_union_branch(sch, i)) == AVRO_NULL)
                return avro_value_set_branch(v, (int)i, &br) || avro_value_set_null(&br)
                           ? avro_err(j)
                           : 0;
        return jp_fail(j, "null given but this union has no null branch", NULL);
    }
    if (j->p >= j->end || *j->p != '{')
        return want(j, "a union as null or {\"<type name>\": value}");
    j->p++;
    if (jstring(j, &len))
        return -1;
    int found = -1;
    avro_schema_t b = NULL;
    for (size_t i = 0; i < n && found < 0; i++) {
        b = bs_serdes_deref(avro_schema_union_branch(sch, i));
        bs_serdes_branch_name(b, name, sizeof(name));
        avro_type_t bt = avro_typeof(b);
        const char *shortn = avro_schema_name(b);
        if (!strcmp(name, j->sbuf) || ((bt == AVRO_RECORD || bt == AVRO_ENUM || bt == AVRO_FIXED) &&
                                       shortn && !strcmp(shortn, j->sbuf)))
            found = (int)i;
    }
    if (found < 0) {
        char msg[300];
        snprintf(msg, sizeof(msg), "'%.200s' is not a branch of the union", j->sbuf);
        return jp_fail(j, "%s", msg);
    }
    if (expect(j, ':'))
        return -1;
    if (avro_value_set_branch(v, found, &br))
        return avro_err(j);
    jp_push(j, '|', avro_schema_type_name(b), 0);
    if (value(j, &br, depth + 1))
        return -1;
    j->nf--;
    ws(j);
    if (j->p < j->end && *j->p == ',')
        return jp_fail(j, "a union object must have exactly one member", NULL);
    return expect(j, '}');
}

static int value(jp_t *j, avro_value_t *v, int depth)
{
    avro_schema_t sch = bs_serdes_deref(avro_value_get_schema(v));
    size_t len;
    int64_t x;
    double d;
    if (depth > JP_DEPTH)
        return jp_fail(j, "nesting deeper than 200", NULL);
    ws(j);
    switch (avro_typeof(sch)) {
    case AVRO_NULL:
        if (literal(j, "null"))
            return want(j, "null");
        return avro_value_set_null(v) ? avro_err(j) : 0;
    case AVRO_BOOLEAN:
        if (literal(j, "true") == 0)
            return avro_value_set_boolean(v, 1) ? avro_err(j) : 0;
        if (literal(j, "false") == 0)
            return avro_value_set_boolean(v, 0) ? avro_err(j) : 0;
        return want(j, "a boolean");
    case AVRO_INT32:
        if (jint(j, INT32_MIN, INT32_MAX, &x, "an int"))
            return -1;
        return avro_value_set_int(v, (int32_t)x) ? avro_err(j) : 0;
    case AVRO_INT64:
        if (jint(j, INT64_MIN, INT64_MAX, &x, "a long"))
            return -1;
        return avro_value_set_long(v, x) ? avro_err(j) : 0;
    case AVRO_FLOAT:
        if (jdouble(j, &d))
            return -1;
        return avro_value_set_float(v, (float)d) ? avro_err(j) : 0;
    case AVRO_DOUBLE:
        if (jdouble(j, &d))
            return -1;
        return avro_value_set_double(v, d) ? avro_err(j) : 0;
    case AVRO_STRING:
        if (jstring(j, &len))
            return -1;
        return avro_value_set_string_len(v, j->sbuf, len + 1) ? avro_err(j) : 0;
    case AVRO_BYTES:
    case AVRO_FIXED: {
        if (jstring(j, &len))
            return -1;
        /* code points 0..255 -> bytes, in place (never longer) */
        unsigned char *s = (unsigned char *)j->sbuf;
        size_t k = 0;
        for (size_t i = 0; i < len;) {
            if (s[i] < 0x80)
                s[k++] = s[i++];
            else if ((s[i] == 0xC2 || s[i] == 0xC3) && i + 1 < len) {
                s[k++] = (unsigned char)((s[i] & 0x1F) << 6 | (s[i + 1] & 0x3F));
                i += 2;
            } else
                return jp_fail(j, "bytes string has a character above \\u00ff", NULL);
        }
        if (avro_typeof(sch) == AVRO_FIXED) {
            if (k != (size_t)avro_schema_fixed_size(sch)) {
                char msg[96];
                snprintf(msg, sizeof(msg), "fixed of size %lld given %zu bytes",
                         (long long)avro_schema_fixed_size(sch), k);
                return jp_fail(j, "%s", msg);
            }
            return avro_value_set_fixed(v, s, k) ? avro_err(j) : 0;
        }
        return avro_value_set_bytes(v, s, k) ? avro_err(j) : 0;
    }
    case AVRO_ENUM: {
        if (jstring(j, &len))
            return -1;
        int idx = avro_schema_enum_get_by_name(sch, j->sbuf);
        if (idx < 0 || strlen(j->sbuf) != len) {
            char msg[300];
            snprintf(msg, sizeof(msg), "'%.100s' is not a symbol of enum %.100s", j->sbuf,
                     avro_schema_name(sch));
            return jp_fail(j, "%s", msg);
        }
        return avro_value_set_enum(v, idx) ? avro_err(j) : 0;
    }
    case AVRO_ARRAY: {
        if (j->p >= j->end || *j->p != '[')
            return want(j, "an array");
        j->p++;
        ws(j);
        if (j->p < j->end && *j->p == ']') {
            j->p++;
            return 0;
        }
        for (size_t i = 0;; i++) {
            avro_value_t ev;
            if (avro_value_append(v, &ev, NULL))
                return avro_err(j);
            jp_push(j, '[', NULL, i);
            if (value(j, &ev, depth + 1))
                return -1;
            j->nf--;
            ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            return expect(j, ']');
        }
    }
    case AVRO_MAP: {
        if (j->p >= j->end || *j->p != '{')
            return want(j, "a map (JSON object)");
        j->p++;
        ws(j);
        if (j->p < j->end && *j->p == '}') {
            j->p++;
            return 0;
        }
        for (;;) {
            avro_value_t ev, tmp;
            size_t idx;
            const char *stable = NULL;
            if (jstring(j, &len))
                return -1;
            if (strlen(j->sbuf) != len)
                return jp_fail(j, "map key contains \\u0000", NULL);
            if (avro_value_add(v, j->sbuf, &ev, &idx, NULL))
                return avro_err(j);
            avro_value_get_by_index(v, idx, &tmp, &stable);
            if (expect(j, ':'))
                return -1;
            jp_push(j, '{', stable, 0);
            if (value(j, &ev, depth + 1))
                return -1;
            j->nf--;
            ws(j);
            if (j->p < j->end && *j->p == ',') {
                j->p++;
                continue;
            }
            return expect(j, '}');
        }
    }
    case AVRO_UNION:
        return union_value(j, v, sch, depth);
    case AVRO_RECORD:
        return record(j, v, sch, depth);
    default:
        return jp_fail(j, "unsupported Avro type", NULL);
    }
}

int bs_avro_json_to_value(const bs_serdes_schema_t *s, const char *json, size_t len,
                          avro_value_t *dest, char *err, size_t errlen)
{
    if (!json) {
        bs_serdes_fmt(err, errlen, "JSON text is NULL");
        return -1;
    }
    if (len == (size_t)-1)
        len = strlen(json);
    jp_t j = {.s = s, .start = json, .p = json, .end = json + len, .err = err, .errlen = errlen};
    avro_value_reset(dest);
    int rc = value(&j, dest, 0);
    if (rc == 0) {
        ws(&j);
        if (j.p != j.end)
            rc = jp_fail(&j, "unexpected text after the value", NULL);
    }
    free(j.sbuf);
    return rc;
}
