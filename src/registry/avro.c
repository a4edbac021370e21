/*
 * avro.c — Avro schema parser and model (see avro.h for the API).
 *
 * Parsing follows Apache Avro Java's Schema.Parser as Confluent's registry
 * runs it (strict name validation, validateDefaults=true):
 *
 *   bs_avro_parse
 *     -> parse_doc (each reference, then the main text; one name table)
 *        -> parse_node: JSON string  = primitive or named-type reference
 *                       JSON array   = union (parse_union)
 *                       JSON object  = parse_object -> record / enum / fixed /
 *                                      array / map / primitive with props
 *
 * Invariants:
 *  - a named type is registered (named[]) before its body is parsed, so a
 *    record may refer to itself; a name can be defined only once;
 *  - a record's nfields is -1 while its fields are being parsed (Java throws
 *    "fields not set yet" when a default needs them; we reject the default);
 *  - every node's props is a JSON object (the shared empty one if none), with
 *    the keys Avro keeps as properties in input order;
 *  - logical types are checked after the node is complete; an invalid one
 *    leaves logical = BS_AVRO_LT_NONE (Avro's fromSchemaIgnoreInvalid).
 *
 * Error messages name the place: "field 'age' in record 'com.acme.User':
 * default value "x" is not an int". Only the first error is reported.
 */
#include "registry/avro_int.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#define MAX_DEPTH         128 /* nesting of schema objects */
#define MAX_DEFAULT_DEPTH 256 /* nesting while validating a default value */

typedef struct pctx_s {
    bs_avro_schema_t *s;
    char *err;
    size_t errlen;
    int failed;
    int from_ref;
    int depth;
} pctx_t;

static const char *const prim_names[] = {"null",  "boolean", "int",   "long",
                                         "float", "double",  "bytes", "string"};

const char *bs_avro_type_name(bs_avro_type_t t)
{
    static const char *const names[] = {"null",   "boolean", "int",    "long",   "float",
                                        "double", "bytes",   "string", "record", "enum",
                                        "array",  "map",     "union",  "fixed"};
    if ((int)t < 0 || (int)t >= (int)(sizeof(names) / sizeof(names[0])))
        return "?";
    return names[t];
}

static int prim_lookup(const char *s)
{
    for (int i = 0; i < 8; i++)
        if (strcmp(s, prim_names[i]) == 0)
            return i;
    return -1;
}

static int perr(pctx_t *c, const char *where, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

static int perr(pctx_t *c, const char *where, const char *fmt, ...)
{
    if (c->failed)
        return -1;
    c->failed = 1;
    if (!c->err || c->errlen == 0)
        return -1;
    int n = snprintf(c->err, c->errlen, "%s: ", where);
    if (n < 0 || (size_t)n >= c->errlen)
        return -1;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(c->err + n, c->errlen - (size_t)n, fmt, ap);
    va_end(ap);
    return -1;
}

/* Short compact rendering of a JSON value for messages (truncated). */
static void describe_json(const json_t *v, char *out, size_t outlen)
{
    bs_avro_sb_t b = {0};
    bs_avro_sb_json_value(&b, v);
    char *s = bs_avro_sb_take(&b);
    if (strlen(s) > 60)
        snprintf(out, outlen, "%.57s...", s);
    else
        snprintf(out, outlen, "%s", s);
    free(s);
}

static void own(bs_avro_schema_t *s, json_t *v)
{
    if (s->nowned == s->capowned) {
        s->capowned = s->capowned ? s->capowned * 2 : 8;
        s->owned = bs_xrealloc(s->owned, (size_t)s->capowned * sizeof(*s->owned));
    }
    s->owned[s->nowned++] = v;
}

static char *adup(bs_avro_schema_t *s, const char *str)
{
    return bs_arena_strndup(&s->arena, str, strlen(str));
}

/* ---------------------------------------------------------------------------
 * Names
 * ------------------------------------------------------------------------- */

static int valid_name(const char *n, size_t len)
{
    if (len == 0)
        return 0;
    char c0 = n[0];
    if (!((c0 >= 'A' && c0 <= 'Z') || (c0 >= 'a' && c0 <= 'z') || c0 == '_'))
        return 0;
    for (size_t i = 1; i < len; i++) {
        char ch = n[i];
        if (!((ch >= 'A' && ch <= 'Z') || (ch >= 'a' && ch <= 'z') || (ch >= '0' && ch <= '9') ||
              ch == '_'))
            return 0;
    }
    return 1;
}

static int valid_space(const char *sp)
{
    const char *p = sp;
    for (;;) {
        const char *dot = strchr(p, '.');
        size_t len = dot ? (size_t)(dot - p) : strlen(p);
        if (!valid_name(p, len))
            return 0;
        if (!dot)
            return 1;
        p = dot + 1;
    }
}

/* Splits `nm` (possibly dotted) against the namespace `space` into short
 * name, namespace (NULL if none) and full name, validating each part. */
static int make_name(pctx_t *c, const char *where, const char *what, const char *nm,
                     const char *space, const char **oname, const char **ospace, const char **ofull)
{
    bs_avro_schema_t *s = c->s;
    const char *dot = strrchr(nm, '.');
    const char *shortn = nm;
    char *sp = NULL;
    if (dot) {
        sp = bs_arena_strndup(&s->arena, nm, (size_t)(dot - nm));
        shortn = dot + 1;
    } else if (space && *space) {
        sp = adup(s, space);
    }
    if (sp && *sp == '\0')
        sp = NULL;
    if (!valid_name(shortn, strlen(shortn)))
        return perr(c, where,
                    "%s '%s' is not a valid Avro name (must match [A-Za-z_][A-Za-z0-9_]*)", what,
                    nm);
    if (sp && !valid_space(sp))
        return perr(c, where, "namespace '%s' of %s '%s' is not a valid dotted Avro name", sp, what,
                    nm);
    *oname = adup(s, shortn);
    *ospace = sp;
    if (sp) {
        size_t l1 = strlen(sp), l2 = strlen(shortn);
        char *full = bs_arena_alloc(&s->arena, l1 + l2 + 2);
        memcpy(full, sp, l1);
        full[l1] = '.';
        memcpy(full + l1 + 1, shortn, l2 + 1);
        *ofull = full;
    } else {
        *ofull = *oname;
    }
    return 0;
}

static bs_avro_node_t *named_find(const bs_avro_schema_t *s, const char *full)
{
    json_t *ix = json_object_get(s->name_index, full);
    return ix ? s->named[json_integer_value(ix)] : NULL;
}

static int named_add(pctx_t *c, const char *where, bs_avro_node_t *n)
{
    bs_avro_schema_t *s = c->s;
    if (prim_lookup(n->name) >= 0)
        return perr(c, where, "a named type may not be called '%s' like a primitive type",
                    n->fullname);
    if (named_find(s, n->fullname))
        return perr(c, where, "the name '%s' is already defined (a name can be defined only once)",
                    n->fullname);
    if (s->nnamed == s->capnamed) {
        s->capnamed = s->capnamed ? s->capnamed * 2 : 8;
        s->named = bs_xrealloc(s->named, (size_t)s->capnamed * sizeof(*s->named));
    }
    json_object_set_new(s->name_index, n->fullname, json_integer(s->nnamed));
    s->named[s->nnamed++] = n;
    return 0;
}

/* Java's Names.get(): the name in the current namespace, then as written. */
static bs_avro_node_t *resolve_ref(const bs_avro_schema_t *s, const char *ref, const char *space)
{
    bs_avro_node_t *n = NULL;
    if (!strchr(ref, '.') && space && *space) {
        size_t l1 = strlen(space), l2 = strlen(ref);
        char *full = bs_xmalloc(l1 + l2 + 2);
        memcpy(full, space, l1);
        full[l1] = '.';
        memcpy(full + l1 + 1, ref, l2 + 1);
        n = named_find(s, full);
        free(full);
    }
    if (!n)
        n = named_find(s, ref);
    return n;
}

/* ---------------------------------------------------------------------------
 * Nodes
 * ------------------------------------------------------------------------- */

static bs_avro_node_t *node_new(pctx_t *c, bs_avro_type_t t)
{
    bs_avro_node_t *n = bs_arena_calloc(&c->s->arena, sizeof(*n));
    n->type = t;
    n->props = c->s->empty_props;
    n->from_ref = c->from_ref;
    return n;
}

static int is_reserved(const char *key, const char *const *reserved)
{
    for (int i = 0; reserved[i]; i++)
        if (strcmp(key, reserved[i]) == 0)
            return 1;
    return 0;
}

static const char *const schema_reserved[] = {"doc",       "fields",  "items",   "name",
                                              "namespace", "size",    "symbols", "values",
                                              "type",      "aliases", NULL};
static const char *const enum_reserved[] = {"doc",       "fields",  "items",   "name",
                                            "namespace", "size",    "symbols", "values",
                                            "type",      "aliases", "default", NULL};
static const char *const field_reserved[] = {"default", "doc",     "name", "order",
                                             "type",    "aliases", NULL};

/* Copies the non-reserved keys of obj (input order) into a new props object;
 * returns the shared empty object when there are none. */
static json_t *collect_props(bs_avro_schema_t *s, json_t *obj, const char *const *reserved)
{
    json_t *props = NULL;
    const char *key;
    json_t *val;
    json_object_foreach(obj, key, val)
    {
        if (is_reserved(key, reserved))
            continue;
        if (!props) {
            props = json_object();
            own(s, props);
        }
        json_object_set(props, key, val);
    }
    return props ? props : s->empty_props;
}

/* A JSON string usable as a C string (no embedded NUL). Schema names,
 * symbols, docs and the like must be; default values and custom properties
 * may hold any string (they are written back with their length). */
static int is_cstr(const json_t *v)
{
    return json_is_string(v) && strlen(json_string_value(v)) == json_string_length(v);
}

static const char *opt_string(json_t *obj, const char *key)
{
    json_t *v = json_object_get(obj, key);
    return is_cstr(v) ? json_string_value(v) : NULL;
}

/* Parses "aliases" of a named type: full names resolved against `space`. */
static int parse_type_aliases(pctx_t *c, const char *where, json_t *obj, bs_avro_node_t *n)
{
    json_t *a = json_object_get(obj, "aliases");
    if (!a)
        return 0;
    if (!json_is_array(a))
        return perr(c, where, "\"aliases\" must be an array of names");
    size_t na = json_array_size(a);
    const char **out = bs_arena_calloc(&c->s->arena, (na ? na : 1) * sizeof(*out));
    int k = 0;
    for (size_t i = 0; i < na; i++) {
        json_t *e = json_array_get(a, i);
        if (!is_cstr(e))
            return perr(c, where, "alias %zu is not a string", i);
        const char *an, *as, *af;
        if (make_name(c, where, "alias", json_string_value(e), n->space, &an, &as, &af) < 0)
            return -1;
        int dup = 0;
        for (int j = 0; j < k; j++)
            dup |= strcmp(out[j], af) == 0;
        if (!dup)
            out[k++] = af;
    }
    n->aliases = out;
    n->naliases = k;
    return 0;
}

static bs_avro_node_t *parse_node(pctx_t *c, json_t *j, const char *space, const char *where);

/* ---------------------------------------------------------------------------
 * Logical types
 * ------------------------------------------------------------------------- */

static int prop_int(const bs_avro_node_t *n, const char *key, int *out)
{
    json_t *v = json_object_get(n->props, key);
    if (!json_is_integer(v))
        return -1;
    json_int_t x = json_integer_value(v);
    if (x < INT32_MIN || x > INT32_MAX)
        return -1;
    *out = (int)x;
    return 0;
}

/* Largest decimal precision a fixed of `size` bytes can hold:
 * floor(log10(2^(8*size-1) - 1)). */
static long max_fixed_precision(int size)
{
    if (size <= 0)
        return 0;
    return (long)floor((8.0 * (double)size - 1.0) * log10(2.0));
}

static void set_logical(bs_avro_node_t *n)
{
    const char *lt = opt_string((json_t *)n->props, "logicalType");
    if (!lt)
        return;
    bs_avro_type_t t = n->type;
    if (strcmp(lt, "decimal") == 0) {
        int p, sc = 0;
        if (t != BS_AVRO_BYTES && t != BS_AVRO_FIXED)
            return;
        if (prop_int(n, "precision", &p) < 0 || p <= 0)
            return;
        if (json_object_get(n->props, "scale") && prop_int(n, "scale", &sc) < 0)
            return;
        if (sc < 0 || sc > p)
            return;
        if (t == BS_AVRO_FIXED && p > max_fixed_precision(n->size))
            return;
        n->logical = BS_AVRO_LT_DECIMAL;
        n->precision = p;
        n->scale = sc;
        return;
    }
    static const struct {
        const char *name;
        bs_avro_logical_t lt;
        bs_avro_type_t on;
    } simple[] = {
        {"big-decimal", BS_AVRO_LT_BIG_DECIMAL, BS_AVRO_BYTES},
        {"uuid", BS_AVRO_LT_UUID, BS_AVRO_STRING},
        {"date", BS_AVRO_LT_DATE, BS_AVRO_INT},
        {"time-millis", BS_AVRO_LT_TIME_MILLIS, BS_AVRO_INT},
        {"time-micros", BS_AVRO_LT_TIME_MICROS, BS_AVRO_LONG},
        {"timestamp-millis", BS_AVRO_LT_TIMESTAMP_MILLIS, BS_AVRO_LONG},
        {"timestamp-micros", BS_AVRO_LT_TIMESTAMP_MICROS, BS_AVRO_LONG},
        {"timestamp-nanos", BS_AVRO_LT_TIMESTAMP_NANOS, BS_AVRO_LONG},
        {"local-timestamp-millis", BS_AVRO_LT_LOCAL_TIMESTAMP_MILLIS, BS_AVRO_LONG},
        {"local-timestamp-micros", BS_AVRO_LT_LOCAL_TIMESTAMP_MICROS, BS_AVRO_LONG},
        {"local-timestamp-nanos", BS_AVRO_LT_LOCAL_TIMESTAMP_NANOS, BS_AVRO_LONG},
    };
    for (size_t i = 0; i < sizeof(simple) / sizeof(simple[0]); i++)
        if (strcmp(lt, simple[i].name) == 0) {
            if (t == simple[i].on)
                n->logical = simple[i].lt;
            return;
        }
    if (strcmp(lt, "uuid") == 0 && t == BS_AVRO_FIXED && n->size == 16)
        n->logical = BS_AVRO_LT_UUID;
    else if (strcmp(lt, "duration") == 0 && t == BS_AVRO_FIXED && n->size == 12)
        n->logical = BS_AVRO_LT_DURATION;
}

/* ---------------------------------------------------------------------------
 * Default values (Avro's Schema.isValidDefault, validateDefaults=true)
 * ------------------------------------------------------------------------- */

static void type_desc(const bs_avro_node_t *t, char *out, size_t outlen)
{
    switch (t->type) {
    case BS_AVRO_RECORD:
    case BS_AVRO_ENUM:
    case BS_AVRO_FIXED:
        snprintf(out, outlen, "%s '%s'", bs_avro_type_name(t->type), t->fullname);
        break;
    case BS_AVRO_ARRAY:
        snprintf(out, outlen, "array of %s", bs_avro_type_name(t->items->type));
        break;
    case BS_AVRO_MAP:
        snprintf(out, outlen, "map of %s", bs_avro_type_name(t->items->type));
        break;
    default:
        snprintf(out, outlen, "%s", bs_avro_type_name(t->type));
    }
}

static int default_ok(const bs_avro_node_t *t, const json_t *v, int depth)
{
    if (!v || depth > MAX_DEFAULT_DEPTH)
        return 0;
    switch (t->type) {
    case BS_AVRO_NULL:
        return json_is_null(v);
    case BS_AVRO_BOOLEAN:
        return json_is_boolean(v);
    case BS_AVRO_INT:
        return json_is_integer(v) && json_integer_value(v) >= INT32_MIN &&
               json_integer_value(v) <= INT32_MAX;
    case BS_AVRO_LONG:
        return json_is_integer(v);
    case BS_AVRO_FLOAT:
    case BS_AVRO_DOUBLE:
        return json_is_number(v);
    case BS_AVRO_BYTES:
    case BS_AVRO_STRING:
    case BS_AVRO_ENUM:
    case BS_AVRO_FIXED:
        return json_is_string(v);
    case BS_AVRO_ARRAY: {
        if (!json_is_array(v))
            return 0;
        for (size_t i = 0; i < json_array_size(v); i++)
            if (!default_ok(t->items, json_array_get(v, i), depth + 1))
                return 0;
        return 1;
    }
    case BS_AVRO_MAP: {
        if (!json_is_object(v))
            return 0;
        const char *k;
        json_t *e;
        json_object_foreach((json_t *)v, k, e)
        {
            if (!default_ok(t->items, e, depth + 1))
                return 0;
        }
        return 1;
    }
    case BS_AVRO_UNION:
        return t->nbranches > 0 && default_ok(t->branches[0], v, depth + 1);
    case BS_AVRO_RECORD: {
        if (!json_is_object(v) || t->nfields < 0)
            return 0;
        for (int i = 0; i < t->nfields; i++) {
            const bs_avro_field_t *f = &t->fields[i];
            const json_t *fv = json_object_get(v, f->name);
            if (!default_ok(f->type, fv ? fv : f->dflt, depth + 1))
                return 0;
        }
        return 1;
    }
    }
    return 0;
}

static int check_default(pctx_t *c, const char *where, bs_avro_field_t *f)
{
    const bs_avro_node_t *t = f->type;
    /* Avro 1.9+ turns a textual default of a float/double field into a
     * number ("NaN", "Infinity" and numerals). */
    if ((t->type == BS_AVRO_FLOAT || t->type == BS_AVRO_DOUBLE) && is_cstr(f->dflt)) {
        const char *sv = json_string_value(f->dflt);
        if (strcmp(sv, "NaN") == 0 || strcmp(sv, "Infinity") == 0 || strcmp(sv, "-Infinity") == 0)
            return 0;
        char *end = NULL;
        errno = 0;
        double d = strtod(sv, &end);
        if (*sv && end && *end == '\0' && errno == 0 && isfinite(d)) {
            json_t *r = json_real(d);
            own(c->s, r);
            f->dflt = r;
            return 0;
        }
    }
    if (default_ok(t, f->dflt, 0))
        return 0;
    char vd[80], td[300];
    describe_json(f->dflt, vd, sizeof(vd));
    if (t->type == BS_AVRO_UNION && t->nbranches == 0)
        return perr(c, where, "default value %s given for an empty union (it has no values)", vd);
    if (t->type == BS_AVRO_UNION) {
        type_desc(t->branches[0], td, sizeof(td));
        return perr(c, where,
                    "default value %s is not a valid %s (the default of a union must match its "
                    "first branch)",
                    vd, td);
    }
    type_desc(t, td, sizeof(td));
    if (t->type == BS_AVRO_RECORD && t->nfields < 0)
        return perr(c, where, "default value %s cannot be checked: record '%s' is not complete yet",
                    vd, t->fullname);
    const char *art = strchr("aeiou", td[0]) ? "an" : "a";
    return perr(c, where, "default value %s is not %s %s", vd, art, td);
}

/* ---------------------------------------------------------------------------
 * Complex types
 * ------------------------------------------------------------------------- */

static int parse_field(pctx_t *c, bs_avro_node_t *rec, json_t *fj, int idx, bs_avro_field_t *f,
                       json_t *names)
{
    char where[400];
    snprintf(where, sizeof(where), "record '%s'", rec->fullname);
    if (!json_is_object(fj))
        return perr(c, where, "field %d is not a JSON object", idx);
    json_t *nj = json_object_get(fj, "name");
    if (!is_cstr(nj))
        return perr(c, where, "field %d has no \"name\"", idx);
    const char *fname = json_string_value(nj);
    if (!valid_name(fname, strlen(fname)))
        return perr(c, where,
                    "field name '%s' is not a valid Avro name (must match [A-Za-z_][A-Za-z0-9_]*)",
                    fname);
    if (json_object_get(names, fname))
        return perr(c, where, "duplicate field '%s'", fname);
    json_object_set_new(names, fname, json_null());
    f->name = adup(c->s, fname);
    snprintf(where, sizeof(where), "field '%s' in record '%s'", fname, rec->fullname);
    json_t *tj = json_object_get(fj, "type");
    if (!tj)
        return perr(c, where, "no \"type\"");
    f->type = parse_node(c, tj, rec->space, where);
    if (!f->type)
        return -1;
    const char *doc = opt_string(fj, "doc");
    f->doc = doc ? adup(c->s, doc) : NULL;
    f->order = BS_AVRO_ORDER_ASCENDING;
    const char *order = opt_string(fj, "order");
    if (order) {
        if (strcasecmp(order, "ascending") == 0)
            f->order = BS_AVRO_ORDER_ASCENDING;
        else if (strcasecmp(order, "descending") == 0)
            f->order = BS_AVRO_ORDER_DESCENDING;
        else if (strcasecmp(order, "ignore") == 0)
            f->order = BS_AVRO_ORDER_IGNORE;
        else
            return perr(c, where, "\"order\" is '%s' (must be ascending, descending or ignore)",
                        order);
    }
    json_t *aj = json_object_get(fj, "aliases");
    if (aj) {
        if (!json_is_array(aj))
            return perr(c, where, "\"aliases\" must be an array of strings");
        size_t na = json_array_size(aj);
        const char **out = bs_arena_calloc(&c->s->arena, (na ? na : 1) * sizeof(*out));
        int k = 0;
        for (size_t i = 0; i < na; i++) {
            json_t *e = json_array_get(aj, i);
            if (!is_cstr(e))
                return perr(c, where, "alias %zu is not a string", i);
            int dup = 0;
            for (int m = 0; m < k; m++)
                dup |= strcmp(out[m], json_string_value(e)) == 0;
            if (!dup)
                out[k++] = adup(c->s, json_string_value(e));
        }
        f->aliases = out;
        f->naliases = k;
    }
    f->props = collect_props(c->s, fj, field_reserved);
    json_t *dj = json_object_get(fj, "default");
    if (dj) {
        f->dflt = dj;
        if (check_default(c, where, f) < 0)
            return -1;
    }
    return 0;
}

static int parse_named_head(pctx_t *c, json_t *j, const char *space, const char *where,
                            const char *kind, bs_avro_node_t *n, char *nwhere, size_t nwlen)
{
    json_t *nj = json_object_get(j, "name");
    if (!is_cstr(nj))
        return perr(c, where, "%s has no \"name\"", kind);
    json_t *sj = json_object_get(j, "namespace");
    if (sj && !is_cstr(sj) && !json_is_null(sj))
        return perr(c, where, "\"namespace\" of %s '%s' must be a string", kind,
                    json_string_value(nj));
    const char *sp = is_cstr(sj) ? json_string_value(sj) : space;
    if (make_name(c, where, kind, json_string_value(nj), sp, &n->name, &n->space, &n->fullname) < 0)
        return -1;
    snprintf(nwhere, nwlen, "%s '%s'", kind, n->fullname);
    const char *doc = opt_string(j, "doc");
    n->doc = doc ? adup(c->s, doc) : NULL;
    if (parse_type_aliases(c, nwhere, j, n) < 0)
        return -1;
    return named_add(c, where, n);
}

static bs_avro_node_t *parse_record(pctx_t *c, json_t *j, const char *space, const char *where,
                                    int is_error)
{
    bs_avro_node_t *n = node_new(c, BS_AVRO_RECORD);
    char nwhere[300];
    n->is_error = is_error;
    n->nfields = -1;
    if (parse_named_head(c, j, space, where, is_error ? "error" : "record", n, nwhere,
                         sizeof(nwhere)) < 0)
        return NULL;
    json_t *fj = json_object_get(j, "fields");
    if (!json_is_array(fj)) {
        perr(c, nwhere, "\"fields\" must be an array");
        return NULL;
    }
    size_t nf = json_array_size(fj);
    if (nf > INT32_MAX / 2) {
        perr(c, nwhere, "too many fields");
        return NULL;
    }
    bs_avro_field_t *fields = bs_arena_calloc(&c->s->arena, (nf ? nf : 1) * sizeof(*fields));
    n->fields = fields;
    json_t *names = json_object(); /* field names seen (a set) */
    int rc = 0;
    for (size_t i = 0; i < nf && rc == 0; i++)
        rc = parse_field(c, n, json_array_get(fj, i), (int)i, &fields[i], names);
    json_decref(names);
    if (rc < 0)
        return NULL;
    n->nfields = (int)nf;
    n->props = collect_props(c->s, j, schema_reserved);
    return n;
}

static bs_avro_node_t *parse_enum(pctx_t *c, json_t *j, const char *space, const char *where)
{
    bs_avro_node_t *n = node_new(c, BS_AVRO_ENUM);
    char nwhere[300];
    if (parse_named_head(c, j, space, where, "enum", n, nwhere, sizeof(nwhere)) < 0)
        return NULL;
    json_t *sj = json_object_get(j, "symbols");
    if (!json_is_array(sj)) {
        perr(c, nwhere, "\"symbols\" must be an array of names");
        return NULL;
    }
    size_t ns = json_array_size(sj);
    const char **syms = bs_arena_calloc(&c->s->arena, (ns ? ns : 1) * sizeof(*syms));
    json_t *seen = json_object(); /* symbols seen (a set) */
    for (size_t i = 0; i < ns; i++) {
        json_t *e = json_array_get(sj, i);
        const char *sym = is_cstr(e) ? json_string_value(e) : NULL;
        if (!sym)
            perr(c, nwhere, "symbol %zu is not a string", i);
        else if (!valid_name(sym, strlen(sym)))
            perr(c, nwhere,
                 "symbol '%s' is not a valid Avro name (must match [A-Za-z_][A-Za-z0-9_]*)", sym);
        else if (json_object_get(seen, sym))
            perr(c, nwhere, "duplicate symbol '%s'", sym);
        if (c->failed) {
            json_decref(seen);
            return NULL;
        }
        json_object_set_new(seen, sym, json_null());
        syms[i] = adup(c->s, sym);
    }
    json_decref(seen);
    n->symbols = syms;
    n->nsymbols = (int)ns;
    const char *d = opt_string(j, "default");
    if (d) {
        int found = 0;
        for (size_t i = 0; i < ns; i++)
            found |= strcmp(syms[i], d) == 0;
        if (!found) {
            perr(c, nwhere, "the enum default '%s' is not one of its symbols", d);
            return NULL;
        }
        n->enum_default = adup(c->s, d);
    }
    n->props = collect_props(c->s, j, enum_reserved);
    return n;
}

static bs_avro_node_t *parse_fixed(pctx_t *c, json_t *j, const char *space, const char *where)
{
    bs_avro_node_t *n = node_new(c, BS_AVRO_FIXED);
    char nwhere[300];
    if (parse_named_head(c, j, space, where, "fixed", n, nwhere, sizeof(nwhere)) < 0)
        return NULL;
    json_t *sj = json_object_get(j, "size");
    if (!json_is_integer(sj) || json_integer_value(sj) < 0 || json_integer_value(sj) > INT32_MAX) {
        perr(c, nwhere, "\"size\" must be an integer from 0 to 2147483647");
        return NULL;
    }
    n->size = (int)json_integer_value(sj);
    n->props = collect_props(c->s, j, schema_reserved);
    return n;
}

static bs_avro_node_t *parse_container(pctx_t *c, json_t *j, const char *space, const char *where,
                                       bs_avro_type_t t)
{
    const char *key = t == BS_AVRO_ARRAY ? "items" : "values";
    json_t *ij = json_object_get(j, key);
    if (!ij) {
        perr(c, where, "%s has no \"%s\"", bs_avro_type_name(t), key);
        return NULL;
    }
    bs_avro_node_t *n = node_new(c, t);
    n->items = parse_node(c, ij, space, where);
    if (!n->items)
        return NULL;
    n->props = collect_props(c->s, j, schema_reserved);
    return n;
}

static const char *union_key(const bs_avro_node_t *b)
{
    switch (b->type) {
    case BS_AVRO_RECORD:
    case BS_AVRO_ENUM:
    case BS_AVRO_FIXED:
        return b->fullname;
    default:
        return bs_avro_type_name(b->type);
    }
}

static bs_avro_node_t *parse_union(pctx_t *c, json_t *j, const char *space, const char *where)
{
    size_t nb = json_array_size(j);
    if (nb > INT32_MAX / 2) {
        perr(c, where, "union too large");
        return NULL;
    }
    bs_avro_node_t *n = node_new(c, BS_AVRO_UNION);
    const bs_avro_node_t **br = bs_arena_calloc(&c->s->arena, (nb ? nb : 1) * sizeof(*br));
    json_t *seen = json_object(); /* branch key -> index */
    for (size_t i = 0; i < nb; i++) {
        const bs_avro_node_t *b = parse_node(c, json_array_get(j, i), space, where);
        json_t *k = b ? json_object_get(seen, union_key(b)) : NULL;
        if (b && b->type == BS_AVRO_UNION)
            perr(c, where, "union branch %zu is a union (unions may not be nested)", i);
        else if (k)
            perr(c, where, "union has two branches of type '%s' (branches %d and %zu)",
                 union_key(b), (int)json_integer_value(k), i);
        if (!b || c->failed) {
            json_decref(seen);
            return NULL;
        }
        json_object_set_new(seen, union_key(b), json_integer((json_int_t)i));
        br[i] = b;
    }
    json_decref(seen);
    n->branches = br;
    n->nbranches = (int)nb;
    return n;
}

static bs_avro_node_t *parse_object(pctx_t *c, json_t *j, const char *space, const char *where)
{
    json_t *tj = json_object_get(j, "type");
    if (!tj) {
        perr(c, where, "schema object has no \"type\"");
        return NULL;
    }
    if (!is_cstr(tj)) {
        perr(c, where, "\"type\" of a schema object must be a string");
        return NULL;
    }
    const char *t = json_string_value(tj);
    bs_avro_node_t *n = NULL;
    int p = prim_lookup(t);
    if (p >= 0) {
        n = node_new(c, (bs_avro_type_t)p);
        n->props = collect_props(c->s, j, schema_reserved);
    } else if (strcmp(t, "record") == 0 || strcmp(t, "error") == 0) {
        n = parse_record(c, j, space, where, t[0] == 'e');
    } else if (strcmp(t, "enum") == 0) {
        n = parse_enum(c, j, space, where);
    } else if (strcmp(t, "fixed") == 0) {
        n = parse_fixed(c, j, space, where);
    } else if (strcmp(t, "array") == 0) {
        n = parse_container(c, j, space, where, BS_AVRO_ARRAY);
    } else if (strcmp(t, "map") == 0) {
        n = parse_container(c, j, space, where, BS_AVRO_MAP);
    } else {
        /* {"type": "SomeName"}: a reference to a defined named type (Avro
         * returns the named type itself; other keys are ignored). */
        n = resolve_ref(c->s, t, space);
        if (!n)
            perr(c, where, "unknown type \"%s\" (not a primitive, complex or defined named type)",
                 t);
        return n;
    }
    if (n)
        set_logical(n);
    return n;
}

static bs_avro_node_t *parse_node(pctx_t *c, json_t *j, const char *space, const char *where)
{
    bs_avro_node_t *n = NULL;
    if (++c->depth > MAX_DEPTH) {
        perr(c, where, "schema nested more than %d levels deep", MAX_DEPTH);
        goto done;
    }
    if (is_cstr(j)) {
        const char *t = json_string_value(j);
        int p = prim_lookup(t);
        if (p >= 0) {
            n = node_new(c, (bs_avro_type_t)p);
        } else {
            n = resolve_ref(c->s, t, space);
            if (!n)
                perr(c, where,
                     "\"%s\" is not a defined name (named types must be defined before use, "
                     "in this schema or its references)",
                     t);
        }
    } else if (json_is_array(j)) {
        n = parse_union(c, j, space, where);
    } else if (json_is_object(j)) {
        n = parse_object(c, j, space, where);
    } else {
        char vd[80];
        describe_json(j, vd, sizeof(vd));
        perr(c, where, "%s is not a schema (expected a type name, an object or an array)", vd);
    }
done:
    c->depth--;
    return n;
}

/* Parses one JSON text into the shared name table. */
static bs_avro_node_t *parse_doc(pctx_t *c, const char *text, size_t len, const char *where)
{
    json_error_t jerr;
    json_t *doc = json_loadb(text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &jerr);
    if (!doc) {
        perr(c, where, "invalid JSON at line %d column %d: %s", jerr.line, jerr.column, jerr.text);
        return NULL;
    }
    own(c->s, doc);
    return parse_node(c, doc, NULL, where);
}

bs_avro_schema_t *bs_avro_parse(const char *text, size_t len, const bs_avro_ref_t *refs, int nrefs,
                                char *err, size_t errlen)
{
    bs_avro_schema_t *s = bs_xcalloc(1, sizeof(*s));
    pctx_t c = {.s = s, .err = err, .errlen = errlen};
    if (err && errlen)
        err[0] = '\0';
    bs_arena_init(&s->arena, 4096);
    s->empty_props = json_object();
    own(s, s->empty_props);
    s->name_index = json_object();
    own(s, s->name_index);
    for (int i = 0; i < nrefs; i++) {
        const char *rn = refs[i].name ? refs[i].name : "?";
        char where[300];
        snprintf(where, sizeof(where), "reference '%s'", rn);
        if (!refs[i].schema) {
            perr(&c, where, "no schema text");
            goto fail;
        }
        c.from_ref = 1;
        bs_avro_node_t *r = parse_doc(&c, refs[i].schema, strlen(refs[i].schema), where);
        if (!r) {
            /* name the reference in front of an inner message */
            if (err && errlen && strncmp(err, "reference", 9) != 0) {
                char *tmp = bs_xstrdup(err);
                snprintf(err, errlen, "reference '%s': %s", rn, tmp);
                free(tmp);
            }
            goto fail;
        }
        if (r->type == BS_AVRO_RECORD || r->type == BS_AVRO_ENUM || r->type == BS_AVRO_FIXED) {
            if (s->nrefroots == s->caprefroots) {
                s->caprefroots = s->caprefroots ? s->caprefroots * 2 : 4;
                s->refroots =
                    bs_xrealloc(s->refroots, (size_t)s->caprefroots * sizeof(*s->refroots));
            }
            s->refroots[s->nrefroots++] = r;
        }
    }
    c.from_ref = 0;
    s->root = parse_doc(&c, text ? text : "", text ? len : 0, "schema");
    if (!s->root)
        goto fail;
    return s;
fail:
    if (err && errlen && !err[0])
        snprintf(err, errlen, "invalid schema");
    bs_avro_schema_free(s);
    return NULL;
}

void bs_avro_schema_free(bs_avro_schema_t *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nowned; i++)
        json_decref(s->owned[i]);
    free(s->owned);
    free(s->named);
    free(s->refroots);
    bs_arena_destroy(&s->arena);
    free(s);
}

const bs_avro_node_t *bs_avro_root(const bs_avro_schema_t *s)
{
    return s ? s->root : NULL;
}

const bs_avro_node_t *bs_avro_lookup(const bs_avro_schema_t *s, const char *fullname)
{
    return s && fullname ? named_find(s, fullname) : NULL;
}

/* ---------------------------------------------------------------------------
 * Compatibility levels
 * ------------------------------------------------------------------------- */

static const char *const level_names[] = {
    "NONE", "BACKWARD",       "BACKWARD_TRANSITIVE", "FORWARD", "FORWARD_TRANSITIVE",
    "FULL", "FULL_TRANSITIVE"};

int bs_avro_compat_level_parse(const char *s)
{
    for (int i = 0; s && i < (int)(sizeof(level_names) / sizeof(level_names[0])); i++)
        if (strcasecmp(s, level_names[i]) == 0)
            return i;
    return -1;
}

const char *bs_avro_compat_level_name(bs_avro_compat_level_t l)
{
    if ((int)l < 0 || (int)l >= (int)(sizeof(level_names) / sizeof(level_names[0])))
        return "UNKNOWN";
    return level_names[l];
}
