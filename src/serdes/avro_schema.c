/*
 * avro_schema.c — bs_serdes_schema_t: an avro-c schema together with what
 * avro-c does not keep: the original schema text (what gets registered, so
 * logicalType and other attributes survive) and the default values of record
 * fields (needed for JSON input with missing fields and for schema
 * resolution with reader-only fields).
 *
 * Invariants: a schema object is immutable after bs_serdes_schema_new; the
 * defaults table is keyed by record full name, computed with the Avro
 * namespace rules (a dotted name is full; otherwise the "namespace"
 * attribute, else the enclosing namespace). References are counted
 * atomically; the last _destroy frees the avro-c schema, class and text.
 */
#include "serdes_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

avro_schema_t bs_serdes_deref(avro_schema_t sch)
{
    int guard = 0;
    while (sch && is_avro_link(sch) && guard++ < 64)
        sch = avro_schema_link_target(sch);
    return sch;
}

void bs_serdes_fullname(avro_schema_t sch, char *out, size_t outlen)
{
    sch = bs_serdes_deref(sch);
    const char *name = avro_schema_name(sch);
    const char *ns = avro_schema_namespace(sch);
    if (!name)
        name = avro_schema_type_name(sch);
    if (ns && *ns)
        snprintf(out, outlen, "%s.%s", ns, name);
    else
        snprintf(out, outlen, "%s", name ? name : "");
}

void bs_serdes_branch_name(avro_schema_t sch, char *out, size_t outlen)
{
    sch = bs_serdes_deref(sch);
    switch (avro_typeof(sch)) {
    case AVRO_RECORD:
    case AVRO_ENUM:
    case AVRO_FIXED:
        bs_serdes_fullname(sch, out, outlen);
        break;
    case AVRO_ARRAY:
        snprintf(out, outlen, "array");
        break;
    case AVRO_MAP:
        snprintf(out, outlen, "map");
        break;
    case AVRO_UNION:
        snprintf(out, outlen, "union");
        break;
    default:
        snprintf(out, outlen, "%s", avro_schema_type_name(sch));
        break;
    }
}

/* Walks the schema JSON collecting record field defaults. */
static void collect_defaults(json_t *node, const char *enclosing_ns, json_t *acc, int depth)
{
    if (depth > 256 || !node)
        return;
    if (json_is_array(node)) {
        size_t i;
        json_t *el;
        json_array_foreach(node, i, el) collect_defaults(el, enclosing_ns, acc, depth + 1);
        return;
    }
    if (!json_is_object(node))
        return;
    json_t *type = json_object_get(node, "type");
    if (!json_is_string(type)) {
        collect_defaults(type, enclosing_ns, acc, depth + 1);
        return;
    }
    const char *t = json_string_value(type);
    if (!strcmp(t, "array")) {
        collect_defaults(json_object_get(node, "items"), enclosing_ns, acc, depth + 1);
        return;
    }
    if (!strcmp(t, "map")) {
        collect_defaults(json_object_get(node, "values"), enclosing_ns, acc, depth + 1);
        return;
    }
    if (strcmp(t, "record") && strcmp(t, "error"))
        return;
    const char *name = json_string_value(json_object_get(node, "name"));
    if (!name)
        return;
    const char *nsattr = json_string_value(json_object_get(node, "namespace"));
    char full[2048], ns[1024];
    const char *dot = strrchr(name, '.');
    if (dot) {
        snprintf(full, sizeof(full), "%s", name);
        snprintf(ns, sizeof(ns), "%.*s", (int)(dot - name), name);
    } else {
        const char *use = nsattr ? nsattr : enclosing_ns;
        snprintf(ns, sizeof(ns), "%s", use ? use : "");
        if (ns[0])
            snprintf(full, sizeof(full), "%s.%s", ns, name);
        else
            snprintf(full, sizeof(full), "%s", name);
    }
    json_t *fields = json_object_get(node, "fields");
    json_t *rec = json_object();
    size_t i;
    json_t *f;
    json_array_foreach(fields, i, f)
    {
        const char *fname = json_string_value(json_object_get(f, "name"));
        json_t *d = json_object_get(f, "default");
        if (fname && d)
            json_object_set(rec, fname, d);
        collect_defaults(json_object_get(f, "type"), ns, acc, depth + 1);
    }
    json_object_set_new(acc, full, rec);
}

bs_serdes_schema_t *bs_serdes_schema_new(const char *text, size_t len, char *err, size_t errlen)
{
    bs_serdes_schema_t *s = NULL;
    json_t *root = NULL;
    if (!text) {
        bs_serdes_fmt(err, errlen, "Avro schema text is NULL");
        return NULL;
    }
    if (len == (size_t)-1)
        len = strlen(text);
    s = calloc(1, sizeof(*s));
    if (!s)
        goto nomem;
    s->refcnt = 1;
    s->text = malloc(len + 1);
    if (!s->text)
        goto nomem;
    memcpy(s->text, text, len);
    s->text[len] = 0;
    if (avro_schema_from_json_length(s->text, len, &s->schema)) {
        bs_serdes_fmt(err, errlen, "invalid Avro schema: %s", avro_strerror());
        s->schema = NULL;
        goto fail;
    }
    s->iface = avro_generic_class_from_schema(s->schema);
    if (!s->iface) {
        bs_serdes_fmt(err, errlen, "Avro schema not usable: %s", avro_strerror());
        goto fail;
    }
    avro_schema_t d = bs_serdes_deref(s->schema);
    avro_type_t t = avro_typeof(d);
    if (t == AVRO_RECORD || t == AVRO_ENUM || t == AVRO_FIXED) {
        char full[1024];
        bs_serdes_fullname(d, full, sizeof(full));
        s->fullname = strdup(full);
        if (!s->fullname)
            goto nomem;
    }
    s->defaults = json_object();
    json_error_t je;
    root = json_loadb(s->text, len, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
    if (root) /* a bare "string" schema parses too with DECODE_ANY */
        collect_defaults(root, NULL, s->defaults, 0);
    json_decref(root);
    return s;
nomem:
    bs_serdes_fmt(err, errlen, "out of memory parsing an Avro schema");
fail:
    bs_serdes_schema_destroy(s);
    return NULL;
}

bs_serdes_schema_t *bs_serdes_schema_keep(bs_serdes_schema_t *s)
{
    if (s)
        __atomic_add_fetch(&s->refcnt, 1, __ATOMIC_RELAXED);
    return s;
}

void bs_serdes_schema_destroy(bs_serdes_schema_t *s)
{
    if (!s || __atomic_sub_fetch(&s->refcnt, 1, __ATOMIC_ACQ_REL) > 0)
        return;
    if (s->iface)
        avro_value_iface_decref(s->iface);
    if (s->schema)
        avro_schema_decref(s->schema);
    json_decref(s->defaults);
    free(s->fullname);
    free(s->text);
    free(s);
}

avro_schema_t bs_serdes_schema_avro(const bs_serdes_schema_t *s)
{
    return s->schema;
}
const char *bs_serdes_schema_text(const bs_serdes_schema_t *s)
{
    return s->text;
}
const char *bs_serdes_schema_fullname(const bs_serdes_schema_t *s)
{
    return s->fullname;
}
avro_value_iface_t *bs_serdes_schema_iface(const bs_serdes_schema_t *s)
{
    return s->iface;
}

json_t *bs_serdes_schema_field_default(const bs_serdes_schema_t *s, avro_schema_t rec,
                                       const char *field)
{
    if (!s || !s->defaults)
        return NULL;
    char full[1024];
    bs_serdes_fullname(rec, full, sizeof(full));
    json_t *r = json_object_get(s->defaults, full);
    return r ? json_object_get(r, field) : NULL;
}
