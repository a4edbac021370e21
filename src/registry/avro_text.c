/*
 * avro_text.c — the texts the registry derives from a parsed Avro schema:
 *
 *  - bs_avro_canonical(): Java Avro Schema.toString(refs, false), which is
 *    what Confluent stores and hashes for identity (reference doc §2.3).
 *    A named type is written in full the first time and by name afterwards
 *    (relative to the enclosing namespace, like Java's Name.getQualified);
 *    the top-level types of the references are "known" from the start.
 *  - bs_avro_normalized(): Confluent's normalize=true form: full names,
 *    key order name,type,symbols|size|fields, then props sorted by key,
 *    logicalType/precision/scale, doc, sorted aliases, enum default.
 *  - bs_avro_parsing_canonical_form() + CRC-64-AVRO fingerprint (Avro spec
 *    "Parsing Canonical Form for Schemas" and "Schema Fingerprints").
 *
 * JSON is written by hand, not with json_dumps, because identity depends on
 * Jackson's exact output: string escapes, doubles as Java's Double.toString
 * ("1.0", "1.0E10"), keys in input order.
 */
#include "registry/avro_int.h"

#include <math.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* ---------------------------------------------------------------------------
 * String builder and JSON writer
 * ------------------------------------------------------------------------- */

static void sb_grow(bs_avro_sb_t *b, size_t more)
{
    if (b->len + more + 1 <= b->cap)
        return;
    size_t cap = b->cap ? b->cap : 128;
    while (cap < b->len + more + 1)
        cap *= 2;
    b->buf = bs_xrealloc(b->buf, cap);
    b->cap = cap;
}

void bs_avro_sb_putn(bs_avro_sb_t *b, const char *s, size_t n)
{
    sb_grow(b, n);
    memcpy(b->buf + b->len, s, n);
    b->len += n;
    b->buf[b->len] = '\0';
}

void bs_avro_sb_puts(bs_avro_sb_t *b, const char *s)
{
    bs_avro_sb_putn(b, s, strlen(s));
}

void bs_avro_sb_putc(bs_avro_sb_t *b, char c)
{
    bs_avro_sb_putn(b, &c, 1);
}

void bs_avro_sb_printf(bs_avro_sb_t *b, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    int n = vsnprintf(NULL, 0, fmt, ap);
    va_end(ap);
    if (n <= 0)
        return;
    sb_grow(b, (size_t)n);
    va_start(ap, fmt);
    vsnprintf(b->buf + b->len, (size_t)n + 1, fmt, ap);
    va_end(ap);
    b->len += (size_t)n;
}

char *bs_avro_sb_take(bs_avro_sb_t *b)
{
    if (!b->buf) {
        b->buf = bs_xmalloc(1);
        b->buf[0] = '\0';
    }
    char *r = b->buf;
    b->buf = NULL;
    b->len = b->cap = 0;
    return r;
}

void bs_avro_sb_json_string(bs_avro_sb_t *b, const char *s, size_t len)
{
    static const char hex[] = "0123456789ABCDEF";
    bs_avro_sb_putc(b, '"');
    size_t run = 0;
    for (size_t i = 0; i < len; i++) {
        unsigned char ch = (unsigned char)s[i];
        const char *esc = NULL;
        char u[7];
        if (ch == '"')
            esc = "\\\"";
        else if (ch == '\\')
            esc = "\\\\";
        else if (ch < 0x20) {
            switch (ch) {
            case '\b':
                esc = "\\b";
                break;
            case '\t':
                esc = "\\t";
                break;
            case '\n':
                esc = "\\n";
                break;
            case '\f':
                esc = "\\f";
                break;
            case '\r':
                esc = "\\r";
                break;
            default:
                u[0] = '\\', u[1] = 'u', u[2] = '0', u[3] = '0';
                u[4] = hex[ch >> 4], u[5] = hex[ch & 15], u[6] = '\0';
                esc = u;
            }
        }
        if (esc) {
            bs_avro_sb_putn(b, s + i - run, run);
            run = 0;
            bs_avro_sb_puts(b, esc);
        } else {
            run++;
        }
    }
    bs_avro_sb_putn(b, s + len - run, run);
    bs_avro_sb_putc(b, '"');
}

void bs_avro_java_double(double d, char *out, size_t outlen)
{
    if (isnan(d)) {
        snprintf(out, outlen, "NaN");
        return;
    }
    if (isinf(d)) {
        snprintf(out, outlen, d < 0 ? "-Infinity" : "Infinity");
        return;
    }
    if (d == 0) {
        snprintf(out, outlen, signbit(d) ? "-0.0" : "0.0");
        return;
    }
    /* shortest decimal that reads back as d */
    char buf[40];
    int prec;
    for (prec = 1; prec <= 17; prec++) {
        snprintf(buf, sizeof(buf), "%.*e", prec - 1, d);
        if (strtod(buf, NULL) == d)
            break;
    }
    /* buf = [-]D[.DDD]e[+-]XX */
    const char *p = buf;
    int neg = 0;
    if (*p == '-')
        neg = 1, p++;
    char digits[24];
    int nd = 0;
    for (; *p && *p != 'e'; p++)
        if (*p >= '0' && *p <= '9' && nd < 23)
            digits[nd++] = *p;
    digits[nd] = '\0';
    while (nd > 1 && digits[nd - 1] == '0')
        digits[--nd] = '\0';
    int exp = atoi(p + 1); /* value = d.ddd * 10^exp */
    bs_avro_sb_t b = {0};
    if (neg)
        bs_avro_sb_putc(&b, '-');
    double ad = fabs(d);
    if (ad >= 1e-3 && ad < 1e7) {
        if (exp >= 0) {
            for (int i = 0; i <= exp; i++)
                bs_avro_sb_putc(&b, i < nd ? digits[i] : '0');
            bs_avro_sb_putc(&b, '.');
            if (nd > exp + 1)
                bs_avro_sb_puts(&b, digits + exp + 1);
            else
                bs_avro_sb_putc(&b, '0');
        } else {
            bs_avro_sb_puts(&b, "0.");
            for (int i = 0; i < -exp - 1; i++)
                bs_avro_sb_putc(&b, '0');
            bs_avro_sb_puts(&b, digits);
        }
    } else {
        bs_avro_sb_putc(&b, digits[0]);
        bs_avro_sb_putc(&b, '.');
        bs_avro_sb_puts(&b, nd > 1 ? digits + 1 : "0");
        bs_avro_sb_printf(&b, "E%d", exp);
    }
    char *s = bs_avro_sb_take(&b);
    snprintf(out, outlen, "%s", s);
    free(s);
}

void bs_avro_sb_json_value(bs_avro_sb_t *b, const json_t *v)
{
    switch (json_typeof(v)) {
    case JSON_OBJECT: {
        const char *k;
        json_t *e;
        int first = 1;
        bs_avro_sb_putc(b, '{');
        json_object_foreach((json_t *)v, k, e)
        {
            if (!first)
                bs_avro_sb_putc(b, ',');
            first = 0;
            bs_avro_sb_json_string(b, k, strlen(k));
            bs_avro_sb_putc(b, ':');
            bs_avro_sb_json_value(b, e);
        }
        bs_avro_sb_putc(b, '}');
        break;
    }
    case JSON_ARRAY:
        bs_avro_sb_putc(b, '[');
        for (size_t i = 0; i < json_array_size(v); i++) {
            if (i)
                bs_avro_sb_putc(b, ',');
            bs_avro_sb_json_value(b, json_array_get(v, i));
        }
        bs_avro_sb_putc(b, ']');
        break;
    case JSON_STRING:
        bs_avro_sb_json_string(b, json_string_value(v), json_string_length(v));
        break;
    case JSON_INTEGER:
        bs_avro_sb_printf(b, "%" JSON_INTEGER_FORMAT, json_integer_value(v));
        break;
    case JSON_REAL: {
        char d[48];
        bs_avro_java_double(json_real_value(v), d, sizeof(d));
        bs_avro_sb_puts(b, d);
        break;
    }
    case JSON_TRUE:
        bs_avro_sb_puts(b, "true");
        break;
    case JSON_FALSE:
        bs_avro_sb_puts(b, "false");
        break;
    case JSON_NULL:
        bs_avro_sb_puts(b, "null");
        break;
    }
}

static void put_key(bs_avro_sb_t *b, const char *k)
{
    bs_avro_sb_putc(b, ',');
    bs_avro_sb_json_string(b, k, strlen(k));
    bs_avro_sb_putc(b, ':');
}

static void put_str(bs_avro_sb_t *b, const char *s)
{
    bs_avro_sb_json_string(b, s, strlen(s));
}

static int is_named(const bs_avro_node_t *n)
{
    return n->type == BS_AVRO_RECORD || n->type == BS_AVRO_ENUM || n->type == BS_AVRO_FIXED;
}

/* Set of named nodes already written (pointer identity). */
typedef struct seen_s {
    const bs_avro_node_t **v;
    int n, cap;
} seen_t;

static int seen_has(const seen_t *s, const bs_avro_node_t *n)
{
    for (int i = 0; i < s->n; i++)
        if (s->v[i] == n)
            return 1;
    return 0;
}

static void seen_add(seen_t *s, const bs_avro_node_t *n)
{
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 16;
        s->v = bs_xrealloc(s->v, (size_t)s->cap * sizeof(*s->v));
    }
    s->v[s->n++] = n;
}

static int streq_null(const char *a, const char *b)
{
    if (!a || !b)
        return a == b;
    return strcmp(a, b) == 0;
}

/* ---------------------------------------------------------------------------
 * Canonical (Schema.toString) form
 * ------------------------------------------------------------------------- */

typedef struct canon_s {
    bs_avro_sb_t b;
    seen_t seen;
    const char *space; /* Names.space: the enclosing namespace */
} canon_t;

static void canon_props(bs_avro_sb_t *b, const json_t *props)
{
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)props, k, v)
    {
        put_key(b, k);
        bs_avro_sb_json_value(b, v);
    }
}

/* Name.getQualified(space): short if in that namespace (or none). */
static const char *qualified(const char *name, const char *nspace, const char *full,
                             const char *space)
{
    return (!nspace || streq_null(nspace, space)) ? name : full;
}

static void canon_aliases(bs_avro_sb_t *b, const bs_avro_node_t *n)
{
    if (n->naliases == 0)
        return;
    put_key(b, "aliases");
    bs_avro_sb_putc(b, '[');
    for (int i = 0; i < n->naliases; i++) {
        if (i)
            bs_avro_sb_putc(b, ',');
        /* alias full name relative to the type's own namespace */
        const char *a = n->aliases[i];
        const char *dot = strrchr(a, '.');
        if (dot && n->space && strlen(n->space) == (size_t)(dot - a) &&
            strncmp(a, n->space, (size_t)(dot - a)) == 0)
            put_str(b, dot + 1);
        else
            put_str(b, a);
    }
    bs_avro_sb_putc(b, ']');
}

static void canon_node(canon_t *c, const bs_avro_node_t *n);

static void canon_name(canon_t *c, const bs_avro_node_t *n)
{
    put_key(&c->b, "name");
    put_str(&c->b, n->name);
    if (n->space) {
        if (!streq_null(n->space, c->space)) {
            put_key(&c->b, "namespace");
            put_str(&c->b, n->space);
        }
    } else if (c->space) {
        put_key(&c->b, "namespace");
        put_str(&c->b, "");
    }
}

static void canon_node(canon_t *c, const bs_avro_node_t *n)
{
    bs_avro_sb_t *b = &c->b;
    if (is_named(n)) {
        if (seen_has(&c->seen, n)) {
            put_str(b, qualified(n->name, n->space, n->fullname, c->space));
            return;
        }
        seen_add(&c->seen, n);
    }
    switch (n->type) {
    case BS_AVRO_RECORD: {
        const char *saved = c->space;
        bs_avro_sb_puts(b, n->is_error ? "{\"type\":\"error\"" : "{\"type\":\"record\"");
        canon_name(c, n);
        c->space = n->space;
        if (n->doc) {
            put_key(b, "doc");
            put_str(b, n->doc);
        }
        put_key(b, "fields");
        bs_avro_sb_putc(b, '[');
        for (int i = 0; i < n->nfields; i++) {
            const bs_avro_field_t *f = &n->fields[i];
            if (i)
                bs_avro_sb_putc(b, ',');
            bs_avro_sb_puts(b, "{\"name\":");
            put_str(b, f->name);
            put_key(b, "type");
            canon_node(c, f->type);
            if (f->doc) {
                put_key(b, "doc");
                put_str(b, f->doc);
            }
            if (f->dflt) {
                put_key(b, "default");
                bs_avro_sb_json_value(b, f->dflt);
            }
            if (f->order != BS_AVRO_ORDER_ASCENDING) {
                put_key(b, "order");
                put_str(b, f->order == BS_AVRO_ORDER_DESCENDING ? "descending" : "ignore");
            }
            if (f->naliases) {
                put_key(b, "aliases");
                bs_avro_sb_putc(b, '[');
                for (int k = 0; k < f->naliases; k++) {
                    if (k)
                        bs_avro_sb_putc(b, ',');
                    put_str(b, f->aliases[k]);
                }
                bs_avro_sb_putc(b, ']');
            }
            canon_props(b, f->props);
            bs_avro_sb_putc(b, '}');
        }
        bs_avro_sb_putc(b, ']');
        canon_props(b, n->props);
        canon_aliases(b, n);
        bs_avro_sb_putc(b, '}');
        c->space = saved;
        break;
    }
    case BS_AVRO_ENUM:
        bs_avro_sb_puts(b, "{\"type\":\"enum\"");
        canon_name(c, n);
        if (n->doc) {
            put_key(b, "doc");
            put_str(b, n->doc);
        }
        put_key(b, "symbols");
        bs_avro_sb_putc(b, '[');
        for (int i = 0; i < n->nsymbols; i++) {
            if (i)
                bs_avro_sb_putc(b, ',');
            put_str(b, n->symbols[i]);
        }
        bs_avro_sb_putc(b, ']');
        if (n->enum_default) {
            put_key(b, "default");
            put_str(b, n->enum_default);
        }
        canon_props(b, n->props);
        canon_aliases(b, n);
        bs_avro_sb_putc(b, '}');
        break;
    case BS_AVRO_FIXED:
        bs_avro_sb_puts(b, "{\"type\":\"fixed\"");
        canon_name(c, n);
        if (n->doc) {
            put_key(b, "doc");
            put_str(b, n->doc);
        }
        put_key(b, "size");
        bs_avro_sb_printf(b, "%d", n->size);
        canon_props(b, n->props);
        canon_aliases(b, n);
        bs_avro_sb_putc(b, '}');
        break;
    case BS_AVRO_ARRAY:
    case BS_AVRO_MAP:
        bs_avro_sb_puts(b, n->type == BS_AVRO_ARRAY ? "{\"type\":\"array\",\"items\":"
                                                    : "{\"type\":\"map\",\"values\":");
        canon_node(c, n->items);
        canon_props(b, n->props);
        bs_avro_sb_putc(b, '}');
        break;
    case BS_AVRO_UNION:
        bs_avro_sb_putc(b, '[');
        for (int i = 0; i < n->nbranches; i++) {
            if (i)
                bs_avro_sb_putc(b, ',');
            canon_node(c, n->branches[i]);
        }
        bs_avro_sb_putc(b, ']');
        break;
    default:
        if (json_object_size(n->props) == 0) {
            put_str(b, bs_avro_type_name(n->type));
        } else {
            bs_avro_sb_puts(b, "{\"type\":");
            put_str(b, bs_avro_type_name(n->type));
            canon_props(b, n->props);
            bs_avro_sb_putc(b, '}');
        }
    }
}

char *bs_avro_canonical(const bs_avro_schema_t *s)
{
    if (!s || !s->root)
        return NULL;
    canon_t c = {0};
    for (int i = 0; i < s->nrefroots; i++)
        seen_add(&c.seen, s->refroots[i]);
    canon_node(&c, s->root);
    free(c.seen.v);
    return bs_avro_sb_take(&c.b);
}

/* ---------------------------------------------------------------------------
 * Normalized form (Confluent AvroSchemaUtils.toNormalizedString)
 * ------------------------------------------------------------------------- */

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static void norm_sorted_strings(bs_avro_sb_t *b, const char *key, const char *const *v, int n)
{
    if (n == 0)
        return;
    const char **tmp = bs_xmalloc((size_t)n * sizeof(*tmp));
    memcpy(tmp, v, (size_t)n * sizeof(*tmp));
    qsort(tmp, (size_t)n, sizeof(*tmp), cmp_str);
    put_key(b, key);
    bs_avro_sb_putc(b, '[');
    for (int i = 0; i < n; i++) {
        if (i)
            bs_avro_sb_putc(b, ',');
        put_str(b, tmp[i]);
    }
    bs_avro_sb_putc(b, ']');
    free(tmp);
}

static int is_logical_prop(const char *k)
{
    return strcmp(k, "logicalType") == 0 || strcmp(k, "precision") == 0 || strcmp(k, "scale") == 0;
}

/* Custom props sorted by key, then logicalType, precision, scale. */
static void norm_props(bs_avro_sb_t *b, const json_t *props)
{
    size_t np = json_object_size(props);
    if (np == 0)
        return;
    const char **keys = bs_xmalloc(np * sizeof(*keys));
    size_t k = 0;
    const char *key;
    json_t *v;
    json_object_foreach((json_t *)props, key, v)
    {
        if (!is_logical_prop(key))
            keys[k++] = key;
    }
    qsort(keys, k, sizeof(*keys), cmp_str);
    for (size_t i = 0; i < k; i++) {
        put_key(b, keys[i]);
        bs_avro_sb_json_value(b, json_object_get(props, keys[i]));
    }
    static const char *const lk[] = {"logicalType", "precision", "scale"};
    for (int i = 0; i < 3; i++) {
        json_t *lv = json_object_get(props, lk[i]);
        if (lv) {
            put_key(b, lk[i]);
            bs_avro_sb_json_value(b, lv);
        }
    }
    free(keys);
}

static void norm_node(bs_avro_sb_t *b, seen_t *seen, const bs_avro_node_t *n)
{
    if (is_named(n)) {
        if (seen_has(seen, n)) {
            put_str(b, n->fullname);
            return;
        }
        seen_add(seen, n);
        bs_avro_sb_puts(b, "{\"name\":");
        put_str(b, n->fullname);
        put_key(b, "type");
        put_str(b, n->type == BS_AVRO_RECORD ? (n->is_error ? "error" : "record")
                                             : bs_avro_type_name(n->type));
        if (n->type == BS_AVRO_ENUM) {
            put_key(b, "symbols");
            bs_avro_sb_putc(b, '[');
            for (int i = 0; i < n->nsymbols; i++) {
                if (i)
                    bs_avro_sb_putc(b, ',');
                put_str(b, n->symbols[i]);
            }
            bs_avro_sb_putc(b, ']');
        } else if (n->type == BS_AVRO_FIXED) {
            put_key(b, "size");
            bs_avro_sb_printf(b, "%d", n->size);
        } else {
            put_key(b, "fields");
            bs_avro_sb_putc(b, '[');
            for (int i = 0; i < n->nfields; i++) {
                const bs_avro_field_t *f = &n->fields[i];
                if (i)
                    bs_avro_sb_putc(b, ',');
                bs_avro_sb_puts(b, "{\"name\":");
                put_str(b, f->name);
                put_key(b, "type");
                norm_node(b, seen, f->type);
                if (f->order != BS_AVRO_ORDER_ASCENDING) {
                    put_key(b, "order");
                    put_str(b, f->order == BS_AVRO_ORDER_DESCENDING ? "descending" : "ignore");
                }
                if (f->doc) {
                    put_key(b, "doc");
                    put_str(b, f->doc);
                }
                norm_sorted_strings(b, "aliases", f->aliases, f->naliases);
                if (f->dflt) {
                    put_key(b, "default");
                    bs_avro_sb_json_value(b, f->dflt);
                }
                norm_props(b, f->props);
                bs_avro_sb_putc(b, '}');
            }
            bs_avro_sb_putc(b, ']');
        }
        norm_props(b, n->props);
        if (n->doc) {
            put_key(b, "doc");
            put_str(b, n->doc);
        }
        norm_sorted_strings(b, "aliases", n->aliases, n->naliases);
        if (n->enum_default) {
            put_key(b, "default");
            put_str(b, n->enum_default);
        }
        bs_avro_sb_putc(b, '}');
        return;
    }
    switch (n->type) {
    case BS_AVRO_ARRAY:
    case BS_AVRO_MAP:
        bs_avro_sb_puts(b, n->type == BS_AVRO_ARRAY ? "{\"type\":\"array\",\"items\":"
                                                    : "{\"type\":\"map\",\"values\":");
        norm_node(b, seen, n->items);
        norm_props(b, n->props);
        bs_avro_sb_putc(b, '}');
        break;
    case BS_AVRO_UNION:
        bs_avro_sb_putc(b, '[');
        for (int i = 0; i < n->nbranches; i++) {
            if (i)
                bs_avro_sb_putc(b, ',');
            norm_node(b, seen, n->branches[i]);
        }
        bs_avro_sb_putc(b, ']');
        break;
    default:
        if (json_object_size(n->props) == 0) {
            put_str(b, bs_avro_type_name(n->type));
        } else {
            bs_avro_sb_puts(b, "{\"type\":");
            put_str(b, bs_avro_type_name(n->type));
            norm_props(b, n->props);
            bs_avro_sb_putc(b, '}');
        }
    }
}

char *bs_avro_normalized(const bs_avro_schema_t *s)
{
    if (!s || !s->root)
        return NULL;
    bs_avro_sb_t b = {0};
    seen_t seen = {0};
    for (int i = 0; i < s->nrefroots; i++)
        seen_add(&seen, s->refroots[i]);
    norm_node(&b, &seen, s->root);
    free(seen.v);
    return bs_avro_sb_take(&b);
}

/* ---------------------------------------------------------------------------
 * Parsing Canonical Form and CRC-64-AVRO
 * ------------------------------------------------------------------------- */

static void pcf_node(bs_avro_sb_t *b, seen_t *seen, const bs_avro_node_t *n)
{
    if (is_named(n)) {
        if (seen_has(seen, n)) {
            put_str(b, n->fullname);
            return;
        }
        seen_add(seen, n);
        bs_avro_sb_puts(b, "{\"name\":");
        put_str(b, n->fullname);
        put_key(b, "type");
        put_str(b, bs_avro_type_name(n->type));
        if (n->type == BS_AVRO_RECORD) {
            put_key(b, "fields");
            bs_avro_sb_putc(b, '[');
            for (int i = 0; i < n->nfields; i++) {
                if (i)
                    bs_avro_sb_putc(b, ',');
                bs_avro_sb_puts(b, "{\"name\":");
                put_str(b, n->fields[i].name);
                put_key(b, "type");
                pcf_node(b, seen, n->fields[i].type);
                bs_avro_sb_putc(b, '}');
            }
            bs_avro_sb_putc(b, ']');
        } else if (n->type == BS_AVRO_ENUM) {
            put_key(b, "symbols");
            bs_avro_sb_putc(b, '[');
            for (int i = 0; i < n->nsymbols; i++) {
                if (i)
                    bs_avro_sb_putc(b, ',');
                put_str(b, n->symbols[i]);
            }
            bs_avro_sb_putc(b, ']');
        } else {
            put_key(b, "size");
            bs_avro_sb_printf(b, "%d", n->size);
        }
        bs_avro_sb_putc(b, '}');
        return;
    }
    switch (n->type) {
    case BS_AVRO_ARRAY:
    case BS_AVRO_MAP:
        bs_avro_sb_puts(b, n->type == BS_AVRO_ARRAY ? "{\"type\":\"array\",\"items\":"
                                                    : "{\"type\":\"map\",\"values\":");
        pcf_node(b, seen, n->items);
        bs_avro_sb_putc(b, '}');
        break;
    case BS_AVRO_UNION:
        bs_avro_sb_putc(b, '[');
        for (int i = 0; i < n->nbranches; i++) {
            if (i)
                bs_avro_sb_putc(b, ',');
            pcf_node(b, seen, n->branches[i]);
        }
        bs_avro_sb_putc(b, ']');
        break;
    default:
        put_str(b, bs_avro_type_name(n->type));
    }
}

char *bs_avro_parsing_canonical_form(const bs_avro_schema_t *s)
{
    if (!s || !s->root)
        return NULL;
    bs_avro_sb_t b = {0};
    seen_t seen = {0};
    pcf_node(&b, &seen, s->root);
    free(seen.v);
    return bs_avro_sb_take(&b);
}

#define CRC64_AVRO_EMPTY 0xc15d213aa4d7a795ULL

static uint64_t crc64_table[256];
static pthread_once_t crc64_once = PTHREAD_ONCE_INIT;

static void crc64_init(void)
{
    for (int i = 0; i < 256; i++) {
        uint64_t fp = (uint64_t)i;
        for (int j = 0; j < 8; j++)
            fp = (fp >> 1) ^ (CRC64_AVRO_EMPTY & (0 - (fp & 1)));
        crc64_table[i] = fp;
    }
}

uint64_t bs_avro_crc64(const void *buf, size_t len)
{
    pthread_once(&crc64_once, crc64_init);
    const unsigned char *p = buf;
    uint64_t fp = CRC64_AVRO_EMPTY;
    for (size_t i = 0; i < len; i++)
        fp = (fp >> 8) ^ crc64_table[(fp ^ p[i]) & 0xff];
    return fp;
}

uint64_t bs_avro_fingerprint64(const bs_avro_schema_t *s)
{
    char *pcf = bs_avro_parsing_canonical_form(s);
    if (!pcf)
        return 0;
    uint64_t fp = bs_avro_crc64(pcf, strlen(pcf));
    free(pcf);
    return fp;
}
