/*
 * avro_compat.c — reader/writer compatibility of two parsed Avro schemas,
 * following the Avro specification's "Schema Resolution" rules in the shape
 * of Java Avro's SchemaCompatibility (which Confluent's registry calls), so
 * that decisions and messages match:
 *
 *   get_compat(r, w)  memoized per (reader node, writer node) pair; a pair met
 *                     again while it is being computed counts as compatible
 *                     (recursive types: "compatible unless proven otherwise")
 *   calc(r, w)        same type: primitives ok; array items / map values
 *                     recurse; fixed: names + sizes; enum: names + symbols
 *                     (or reader default); record: names + fields (by name or
 *                     reader field aliases; missing needs a default); union
 *                     vs union: each writer branch must be read by the union.
 *                     different types: writer union -> every branch must be
 *                     read; reader union -> some branch reads the writer;
 *                     promotions int->long->float->double, string<->bytes.
 *
 * Logical types, doc, order and custom properties are ignored (only the
 * underlying types matter), as in Avro. Locations are JSON pointers into the
 * reader schema ("/fields/1/type"). Every difference is reported in
 * Confluent's Difference text form with the reader/writer labels chosen by
 * the caller ("new"/"old").
 *
 * Bounded: recursion deeper than MAX_DEPTH (only reachable with pathological
 * mutually recursive schemas) is reported as incompatible, never a crash.
 */
#include "registry/avro_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define MAX_DEPTH 400
#define LOC_LEN   16

typedef struct memo_e {
    const bs_avro_node_t *r, *w;
    int state; /* 0 empty, 1 in progress, 2 done */
    int ok;
    json_t *msgs;
} memo_e;

typedef struct cctx_s {
    memo_e *tab;
    size_t cap, n;
    const char *rl, *wl; /* labels of reader and writer */
    char (*loc)[LOC_LEN];
    int nloc, maxloc;
    int depth;
} cctx_t;

static const char *upper_type(bs_avro_type_t t)
{
    static const char *const names[] = {"NULL",   "BOOLEAN", "INT",    "LONG",   "FLOAT",
                                        "DOUBLE", "BYTES",   "STRING", "RECORD", "ENUM",
                                        "ARRAY",  "MAP",     "UNION",  "FIXED"};
    if ((int)t < 0 || (int)t >= (int)(sizeof(names) / sizeof(names[0])))
        return "?";
    return names[t];
}

static void loc_push(cctx_t *c, const char *s)
{
    if (c->nloc < c->maxloc)
        snprintf(c->loc[c->nloc], LOC_LEN, "%s", s);
    c->nloc++;
}

static void loc_pushi(cctx_t *c, int i)
{
    char b[LOC_LEN];
    snprintf(b, sizeof(b), "%d", i);
    loc_push(c, b);
}

static void loc_pop(cctx_t *c)
{
    c->nloc--;
}

static void location(const cctx_t *c, bs_avro_sb_t *b)
{
    bs_avro_sb_putc(b, '/');
    int n = c->nloc < c->maxloc ? c->nloc : c->maxloc;
    for (int i = 0; i < n; i++) {
        if (i)
            bs_avro_sb_putc(b, '/');
        bs_avro_sb_puts(b, c->loc[i]);
    }
}

typedef enum {
    NAME_MISMATCH,
    FIXED_SIZE_MISMATCH,
    MISSING_ENUM_SYMBOLS,
    READER_FIELD_MISSING_DEFAULT_VALUE,
    TYPE_MISMATCH,
    MISSING_UNION_BRANCH,
} diff_t;

static const char *const diff_names[] = {
    "NAME_MISMATCH",        "FIXED_SIZE_MISMATCH",
    "MISSING_ENUM_SYMBOLS", "READER_FIELD_MISSING_DEFAULT_VALUE",
    "TYPE_MISMATCH",        "MISSING_UNION_BRANCH"};

/* Appends one Confluent-style difference string to msgs; returns 0. */
static int diff(cctx_t *c, json_t *msgs, diff_t t, const char *info)
{
    bs_avro_sb_t lb = {0};
    location(c, &lb);
    char *loc = bs_avro_sb_take(&lb);
    bs_avro_sb_t b = {0};
    bs_avro_sb_printf(&b, "{errorType:'%s', description:'", diff_names[t]);
    switch (t) {
    case NAME_MISMATCH:
        bs_avro_sb_printf(&b, "The name of the schema has changed (path '%s')", loc);
        break;
    case FIXED_SIZE_MISMATCH:
        bs_avro_sb_printf(&b,
                          "The size of FIXED type field at path '%s' in the %s schema does not "
                          "match with the %s schema",
                          loc, c->rl, c->wl);
        break;
    case MISSING_ENUM_SYMBOLS:
        bs_avro_sb_printf(
            &b, "The %s schema is missing enum symbols '%s' at path '%s' in the %s schema", c->rl,
            info, loc, c->wl);
        break;
    case READER_FIELD_MISSING_DEFAULT_VALUE:
        bs_avro_sb_printf(&b,
                          "The field '%s' at path '%s' in the %s schema has no default value and "
                          "is missing in the %s schema",
                          info, loc, c->rl, c->wl);
        break;
    case TYPE_MISMATCH:
        bs_avro_sb_printf(&b,
                          "The type (path '%s') of a field in the %s schema does not match with "
                          "the %s schema",
                          loc, c->rl, c->wl);
        break;
    case MISSING_UNION_BRANCH:
        bs_avro_sb_printf(&b,
                          "The %s schema is missing a type inside a union field at path '%s' in "
                          "the %s schema",
                          c->rl, loc, c->wl);
        break;
    }
    bs_avro_sb_printf(&b, "', additionalInfo:'%s'}", info);
    char *s = bs_avro_sb_take(&b);
    if (msgs)
        json_array_append_new(msgs, json_string(s));
    free(s);
    free(loc);
    return 0;
}

static int type_mismatch(cctx_t *c, json_t *msgs, const bs_avro_node_t *r, const bs_avro_node_t *w)
{
    char info[128];
    snprintf(info, sizeof(info), "reader type: %s not compatible with writer type: %s",
             upper_type(r->type), upper_type(w->type));
    return diff(c, msgs, TYPE_MISMATCH, info);
}

/* ---------------------------------------------------------------------------
 * Memo table: open addressing on the (reader, writer) pointer pair
 * ------------------------------------------------------------------------- */

static size_t pair_hash(const bs_avro_node_t *r, const bs_avro_node_t *w)
{
    uint64_t h = (uint64_t)(uintptr_t)r * 0x9E3779B97F4A7C15ULL;
    h ^= (uint64_t)(uintptr_t)w + 0x632BE59BD9B4E019ULL + (h << 6) + (h >> 2);
    h ^= h >> 29;
    return (size_t)h;
}

static memo_e *memo_get(cctx_t *c, const bs_avro_node_t *r, const bs_avro_node_t *w)
{
    if ((c->n + 1) * 2 > c->cap) {
        size_t ncap = c->cap ? c->cap * 2 : 64;
        memo_e *nt = bs_xcalloc(ncap, sizeof(*nt));
        for (size_t i = 0; i < c->cap; i++) {
            if (!c->tab[i].state)
                continue;
            size_t j = pair_hash(c->tab[i].r, c->tab[i].w) & (ncap - 1);
            while (nt[j].state)
                j = (j + 1) & (ncap - 1);
            nt[j] = c->tab[i];
        }
        free(c->tab);
        c->tab = nt;
        c->cap = ncap;
    }
    size_t j = pair_hash(r, w) & (c->cap - 1);
    while (c->tab[j].state) {
        if (c->tab[j].r == r && c->tab[j].w == w)
            return &c->tab[j];
        j = (j + 1) & (c->cap - 1);
    }
    c->tab[j].r = r;
    c->tab[j].w = w;
    c->tab[j].state = 1;
    c->n++;
    return &c->tab[j];
}

static memo_e *memo_find(cctx_t *c, const bs_avro_node_t *r, const bs_avro_node_t *w)
{
    size_t j = pair_hash(r, w) & (c->cap - 1);
    while (c->tab[j].state) {
        if (c->tab[j].r == r && c->tab[j].w == w)
            return &c->tab[j];
        j = (j + 1) & (c->cap - 1);
    }
    return NULL;
}

static void append_all(json_t *out, const json_t *msgs)
{
    if (!out || !msgs)
        return;
    for (size_t i = 0; i < json_array_size(msgs); i++)
        json_array_append(out, json_array_get(msgs, i));
}

/* ---------------------------------------------------------------------------
 * The rules
 * ------------------------------------------------------------------------- */

static int get_compat(cctx_t *c, const bs_avro_node_t *r, const bs_avro_node_t *w, json_t *out);

static int get_compat_at(cctx_t *c, const char *key, const bs_avro_node_t *r,
                         const bs_avro_node_t *w, json_t *out)
{
    loc_push(c, key);
    int ok = get_compat(c, r, w, out);
    loc_pop(c);
    return ok;
}

/* Avro's schemaNameEquals: unqualified names equal, or a reader alias is
 * the writer's full name. */
static int names_match(const bs_avro_node_t *r, const bs_avro_node_t *w)
{
    if (strcmp(r->name, w->name) == 0)
        return 1;
    for (int i = 0; i < r->naliases; i++)
        if (strcmp(r->aliases[i], w->fullname) == 0)
            return 1;
    return 0;
}

static int check_names(cctx_t *c, const bs_avro_node_t *r, const bs_avro_node_t *w, json_t *out)
{
    if (names_match(r, w))
        return 1;
    loc_push(c, "name");
    char info[300];
    snprintf(info, sizeof(info), "expected: %s", w->fullname);
    diff(c, out, NAME_MISMATCH, info);
    loc_pop(c);
    return 0;
}

static const bs_avro_field_t *writer_field(const bs_avro_node_t *w, const char *name)
{
    for (int i = 0; i < w->nfields; i++)
        if (strcmp(w->fields[i].name, name) == 0)
            return &w->fields[i];
    return NULL;
}

static int check_record_fields(cctx_t *c, const bs_avro_node_t *r, const bs_avro_node_t *w,
                               json_t *out)
{
    int ok = 1;
    loc_push(c, "fields");
    for (int i = 0; i < r->nfields; i++) {
        const bs_avro_field_t *rf = &r->fields[i];
        loc_pushi(c, i);
        /* by name, then by each reader alias; more than one match is an
         * error in Avro (it throws); we report it as a type mismatch */
        const bs_avro_field_t *wf = writer_field(w, rf->name);
        int matches = 1; /* counts distinct matches beyond the first */
        for (int a = 0; a < rf->naliases; a++) {
            const bs_avro_field_t *af = writer_field(w, rf->aliases[a]);
            if (af && af != wf) {
                /* distinct writer fields only: an alias equal to the
                 * field's own name is not ambiguous (avsc agrees) */
                if (!wf)
                    wf = af;
                else
                    matches++;
            }
        }
        if (wf && matches > 1) {
            char info[300];
            snprintf(info, sizeof(info),
                     "reader field %s matches %d fields of the writer record %s", rf->name, matches,
                     w->fullname);
            diff(c, out, TYPE_MISMATCH, info);
            ok = 0;
        } else if (!wf) {
            if (!rf->dflt) {
                if (rf->type->type == BS_AVRO_ENUM && rf->type->enum_default) {
                    /* Avro compares the reader enum with the writer record
                     * here (and so reports a type mismatch) */
                    ok &= get_compat_at(c, "type", rf->type, w, out);
                } else {
                    diff(c, out, READER_FIELD_MISSING_DEFAULT_VALUE, rf->name);
                    ok = 0;
                }
            }
        } else {
            ok &= get_compat_at(c, "type", rf->type, wf->type, out);
        }
        loc_pop(c);
    }
    loc_pop(c);
    return ok;
}

static int sym_in(const bs_avro_node_t *e, const char *s)
{
    for (int i = 0; i < e->nsymbols; i++)
        if (strcmp(e->symbols[i], s) == 0)
            return 1;
    return 0;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int check_enum_symbols(cctx_t *c, const bs_avro_node_t *r, const bs_avro_node_t *w,
                              json_t *out)
{
    const char **missing = bs_xmalloc(((size_t)w->nsymbols + 1) * sizeof(*missing));
    int nm = 0, ok = 1;
    for (int i = 0; i < w->nsymbols; i++)
        if (!sym_in(r, w->symbols[i]))
            missing[nm++] = w->symbols[i];
    if (nm > 0 && !(r->enum_default && sym_in(r, r->enum_default))) {
        /* Java prints the TreeSet: "[A, B]" sorted */
        qsort(missing, (size_t)nm, sizeof(*missing), cmp_str);
        bs_avro_sb_t b = {0};
        bs_avro_sb_putc(&b, '[');
        for (int i = 0; i < nm; i++)
            bs_avro_sb_printf(&b, "%s%s", i ? ", " : "", missing[i]);
        bs_avro_sb_putc(&b, ']');
        char *info = bs_avro_sb_take(&b);
        loc_push(c, "symbols");
        diff(c, out, MISSING_ENUM_SYMBOLS, info);
        loc_pop(c);
        free(info);
        ok = 0;
    }
    free(missing);
    return ok;
}

static int calc(cctx_t *c, const bs_avro_node_t *r, const bs_avro_node_t *w, json_t *out)
{
    if (r->type == w->type) {
        switch (r->type) {
        case BS_AVRO_ARRAY:
            return get_compat_at(c, "items", r->items, w->items, out);
        case BS_AVRO_MAP:
            return get_compat_at(c, "values", r->items, w->items, out);
        case BS_AVRO_FIXED: {
            int ok = check_names(c, r, w, out);
            if (r->size != w->size) {
                char info[64];
                snprintf(info, sizeof(info), "expected: %d, found: %d", w->size, r->size);
                loc_push(c, "size");
                diff(c, out, FIXED_SIZE_MISMATCH, info);
                loc_pop(c);
                ok = 0;
            }
            return ok;
        }
        case BS_AVRO_ENUM: {
            int ok = check_names(c, r, w, out);
            return check_enum_symbols(c, r, w, out) && ok;
        }
        case BS_AVRO_RECORD: {
            int ok = check_names(c, r, w, out);
            return check_record_fields(c, r, w, out) && ok;
        }
        case BS_AVRO_UNION: {
            int ok = 1;
            for (int i = 0; i < w->nbranches; i++) {
                loc_pushi(c, i);
                if (!get_compat(c, r, w->branches[i], NULL)) {
                    char info[96];
                    snprintf(info, sizeof(info), "reader union lacking writer type: %s",
                             upper_type(w->branches[i]->type));
                    diff(c, out, MISSING_UNION_BRANCH, info);
                    ok = 0;
                }
                loc_pop(c);
            }
            return ok;
        }
        default:
            return 1; /* same primitive */
        }
    }
    if (w->type == BS_AVRO_UNION) {
        int ok = 1;
        for (int i = 0; i < w->nbranches; i++)
            ok &= get_compat(c, r, w->branches[i], out);
        return ok;
    }
    switch (r->type) {
    case BS_AVRO_LONG:
        if (w->type == BS_AVRO_INT)
            return 1;
        break;
    case BS_AVRO_FLOAT:
        if (w->type == BS_AVRO_INT || w->type == BS_AVRO_LONG)
            return 1;
        break;
    case BS_AVRO_DOUBLE:
        if (w->type == BS_AVRO_INT || w->type == BS_AVRO_LONG || w->type == BS_AVRO_FLOAT)
            return 1;
        break;
    case BS_AVRO_BYTES:
        if (w->type == BS_AVRO_STRING)
            return 1;
        break;
    case BS_AVRO_STRING:
        if (w->type == BS_AVRO_BYTES)
            return 1;
        break;
    case BS_AVRO_UNION: {
        for (int i = 0; i < r->nbranches; i++)
            if (get_compat(c, r->branches[i], w, NULL))
                return 1;
        char info[96];
        snprintf(info, sizeof(info), "reader union lacking writer type: %s", upper_type(w->type));
        diff(c, out, MISSING_UNION_BRANCH, info);
        return 0;
    }
    default:
        break;
    }
    type_mismatch(c, out, r, w);
    return 0;
}

static int get_compat(cctx_t *c, const bs_avro_node_t *r, const bs_avro_node_t *w, json_t *out)
{
    memo_e *e = memo_get(c, r, w);
    /* state 1: fresh (ok == 0) or in progress (ok == -1) */
    if (e->state == 2) {
        append_all(out, e->msgs);
        return e->ok;
    }
    if (e->ok == -1)
        return 1; /* in progress: a cycle, compatible unless proven otherwise */
    e->ok = -1;
    if (c->depth >= MAX_DEPTH) {
        e = memo_find(c, r, w);
        e->state = 2;
        e->ok = 0;
        e->msgs = json_array();
        json_array_append_new(e->msgs,
                              json_string("{errorType:'TYPE_MISMATCH', description:'The schemas "
                                          "are nested too deeply to be compared', "
                                          "additionalInfo:'depth limit reached'}"));
        append_all(out, e->msgs);
        return 0;
    }
    c->depth++;
    json_t *msgs = json_array();
    int ok = calc(c, r, w, msgs);
    c->depth--;
    e = memo_find(c, r, w); /* the table may have been resized */
    e->state = 2;
    e->ok = ok;
    e->msgs = msgs;
    append_all(out, msgs);
    return ok;
}

int bs_avro_can_read_ex(const bs_avro_schema_t *reader, const bs_avro_schema_t *writer,
                        const char *reader_label, const char *writer_label, json_t *messages)
{
    if (!reader || !writer || !reader->root || !writer->root)
        return 0;
    cctx_t c = {0};
    c.rl = reader_label ? reader_label : "reader";
    c.wl = writer_label ? writer_label : "writer";
    c.maxloc = 4 * MAX_DEPTH + 16;
    c.loc = bs_xcalloc((size_t)c.maxloc, LOC_LEN);
    int ok = get_compat(&c, reader->root, writer->root, messages);
    for (size_t i = 0; i < c.cap; i++)
        if (c.tab[i].state)
            json_decref(c.tab[i].msgs);
    free(c.tab);
    free(c.loc);
    return ok;
}

int bs_avro_can_read(const bs_avro_schema_t *reader, const bs_avro_schema_t *writer,
                     json_t *messages)
{
    return bs_avro_can_read_ex(reader, writer, "new", "old", messages);
}

int bs_avro_compatible_ex(bs_avro_compat_level_t level, const bs_avro_schema_t *candidate,
                          const bs_avro_schema_t *const *existing, const int *versions, int n,
                          json_t *messages, int *failed)
{
    if (failed)
        *failed = -1;
    if (level == BS_AVRO_COMPAT_NONE || n <= 0)
        return 1;
    int transitive = level == BS_AVRO_COMPAT_BACKWARD_TRANSITIVE ||
                     level == BS_AVRO_COMPAT_FORWARD_TRANSITIVE ||
                     level == BS_AVRO_COMPAT_FULL_TRANSITIVE;
    int backward = level == BS_AVRO_COMPAT_BACKWARD ||
                   level == BS_AVRO_COMPAT_BACKWARD_TRANSITIVE || level == BS_AVRO_COMPAT_FULL ||
                   level == BS_AVRO_COMPAT_FULL_TRANSITIVE;
    int forward = level == BS_AVRO_COMPAT_FORWARD || level == BS_AVRO_COMPAT_FORWARD_TRANSITIVE ||
                  level == BS_AVRO_COMPAT_FULL || level == BS_AVRO_COMPAT_FULL_TRANSITIVE;
    int lowest = transitive ? 0 : n - 1;
    for (int i = n - 1; i >= lowest; i--) {
        json_t *diffs = json_array();
        int ok = 1;
        if (backward)
            ok &= bs_avro_can_read_ex(candidate, existing[i], "new", "old", diffs);
        if (forward)
            ok &= bs_avro_can_read_ex(existing[i], candidate, "old", "new", diffs);
        if (!ok) {
            if (messages) {
                append_all(messages, diffs);
                char buf[64];
                if (versions) {
                    snprintf(buf, sizeof(buf), "{oldSchemaVersion: %d}", versions[i]);
                    json_array_append_new(messages, json_string(buf));
                }
                char *old = bs_avro_canonical(existing[i]);
                bs_avro_sb_t b = {0};
                bs_avro_sb_printf(&b, "{oldSchema: '%s'}", old ? old : "");
                char *m = bs_avro_sb_take(&b);
                json_array_append_new(messages, json_string(m));
                free(m);
                free(old);
                snprintf(buf, sizeof(buf), "{validateFields: 'false', compatibility: '%s'}",
                         bs_avro_compat_level_name(level));
                json_array_append_new(messages, json_string(buf));
            }
            json_decref(diffs);
            if (failed)
                *failed = i;
            return 0;
        }
        json_decref(diffs);
    }
    return 1;
}

int bs_avro_compatible(bs_avro_compat_level_t level, const bs_avro_schema_t *candidate,
                       const bs_avro_schema_t *const *existing, int n, json_t *messages)
{
    return bs_avro_compatible_ex(level, candidate, existing, NULL, n, messages, NULL);
}
