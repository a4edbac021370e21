/*
 * model.c — applies `_schemas` records to the in-memory registry state and
 * answers lookups over it (see model.h for ownership and locking).
 *
 * Record handling (Confluent's formats, ST/KafkaStoreMessageHandler):
 *
 *   SCHEMA  value  -> insert or update subject/version, schema entry by id
 *           null   -> hard delete of that subject/version
 *   CONFIG  value  -> subject (or global, subject null/absent) config
 *           null   -> config removed
 *   MODE    value  -> subject or global mode; null removes it
 *   DELETE_SUBJECT -> versions 1..value.version of the subject marked deleted
 *   CLEAR_SUBJECT  -> soft-deleted versions of the subject dropped
 *   NOOP and unknown keytypes -> ignored (a `_schemas` written by another
 *                                registry release may carry types we lack)
 *
 * Invariants:
 *  - a subject's version array is sorted ascending and has unique versions;
 *  - every version points to a live schema entry whose nuse counts it;
 *  - a schema entry is in by_id while nuse > 0; max_id never decreases;
 *  - a SCHEMA record whose id is already held by a different text is
 *    rejected (the id keeps its first schema), as Confluent does.
 */
#include "registry/model.h"

#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"

void bs_reg_model_init(bs_reg_model_t *m)
{
    memset(m, 0, sizeof *m);
    pthread_rwlock_init(&m->lock, NULL);
    bs_hmap_init(&m->subjects);
    bs_hmap_init(&m->by_id);
    bs_hmap_init(&m->by_ident);
    m->applied = -1;
}

static void schema_free(bs_reg_model_t *m, bs_reg_schema_t *s)
{
    if (!s)
        return;
    if (s->parsed && m->parsed_free)
        m->parsed_free(s->parsed);
    pthread_mutex_destroy(&s->parse_lock);
    free(s->type);
    free(s->text);
    free(s->ident);
    free(s->by_id_json);
    json_decref(s->refs);
    free(s);
}

static void subject_free(bs_reg_subject_t *s)
{
    if (!s)
        return;
    free(s->name);
    free(s->v);
    json_decref(s->config);
    free(s->mode);
    free(s);
}

void bs_reg_model_free(bs_reg_model_t *m)
{
    const bs_hmap_ent_t *e;
    for (size_t i = 0; bs_hmap_next(&m->subjects, &i, &e);)
        subject_free(e->val);
    for (size_t i = 0; bs_hmap_next(&m->by_id, &i, &e);)
        schema_free(m, e->val);
    bs_hmap_free(&m->subjects);
    bs_hmap_free(&m->by_id);
    bs_hmap_free(&m->by_ident);
    json_decref(m->config);
    free(m->mode);
    pthread_rwlock_destroy(&m->lock);
}

char *bs_reg_ident(const char *text, size_t tlen, const char *type, const json_t *refs, size_t *len)
{
    size_t cap = tlen + 64, n = 0;
    char *out = bs_xmalloc(cap);
    memcpy(out, text, tlen);
    n = tlen;
    out[n++] = '\0';
    size_t i;
    json_t *r;
    json_array_foreach(refs, i, r)
    {
        const char *name = json_string_value(json_object_get(r, "name"));
        const char *subj = json_string_value(json_object_get(r, "subject"));
        long long ver = json_integer_value(json_object_get(r, "version"));
        size_t need = (name ? strlen(name) : 0) + (subj ? strlen(subj) : 0) + 32;
        if (n + need > cap) {
            cap = (n + need) * 2;
            out = bs_xrealloc(out, cap);
        }
        n += (size_t)snprintf(out + n, cap - n, "%s\x1f%s\x1f%lld\x1e", name ? name : "",
                              subj ? subj : "", ver);
    }
    if (type && strcmp(type, "AVRO") != 0) { /* the same text as JSON is another schema */
        size_t tl = strlen(type) + 2;
        if (n + tl > cap)
            out = bs_xrealloc(out, cap = n + tl);
        out[n++] = '\x1d';
        memcpy(out + n, type, tl - 2);
        n += tl - 2;
    }
    *len = n;
    return out;
}

bs_reg_subject_t *bs_reg_model_subject(const bs_reg_model_t *m, const char *name)
{
    return name ? bs_hmap_get(&m->subjects, name, strlen(name)) : NULL;
}

bs_reg_schema_t *bs_reg_model_schema(const bs_reg_model_t *m, int32_t id)
{
    return bs_hmap_get(&m->by_id, (const char *)&id, sizeof id);
}

bs_reg_schema_t *bs_reg_model_by_ident(const bs_reg_model_t *m, const char *ident, size_t len)
{
    return bs_hmap_get(&m->by_ident, ident, len);
}

bs_reg_version_t *bs_reg_subject_version(const bs_reg_subject_t *s, int32_t version)
{
    if (!s)
        return NULL;
    int lo = 0, hi = s->nv - 1;
    while (lo <= hi) {
        int mid = (lo + hi) / 2;
        if (s->v[mid].version == version)
            return &s->v[mid];
        if (s->v[mid].version < version)
            lo = mid + 1;
        else
            hi = mid - 1;
    }
    return NULL;
}

bs_reg_version_t *bs_reg_subject_latest(const bs_reg_subject_t *s, bool include_deleted)
{
    if (!s)
        return NULL;
    for (int i = s->nv - 1; i >= 0; i--)
        if (include_deleted || !s->v[i].deleted)
            return &s->v[i];
    return NULL;
}

int bs_reg_subject_live(const bs_reg_subject_t *s)
{
    int n = 0;
    for (int i = 0; s && i < s->nv; i++)
        n += !s->v[i].deleted;
    return n;
}

int32_t bs_reg_subject_max_version(const bs_reg_subject_t *s)
{
    return s && s->nv ? s->v[s->nv - 1].version : 0;
}

static bs_reg_subject_t *subject_get_or_add(bs_reg_model_t *m, const char *name)
{
    bs_reg_subject_t *s = bs_reg_model_subject(m, name);
    if (!s) {
        s = bs_xcalloc(1, sizeof *s);
        s->name = bs_xstrdup(name);
        bs_hmap_put(&m->subjects, name, strlen(name), s);
    }
    return s;
}

/* Drops a subject entry that holds nothing any more. */
static void subject_gc(bs_reg_model_t *m, bs_reg_subject_t *s)
{
    if (s && s->nv == 0 && !s->config && !s->mode) {
        bs_hmap_del(&m->subjects, s->name, strlen(s->name));
        subject_free(s);
    }
}

static void schema_unuse(bs_reg_model_t *m, bs_reg_schema_t *sc)
{
    if (--sc->nuse > 0)
        return;
    bs_hmap_del(&m->by_id, (const char *)&sc->id, sizeof sc->id);
    if (bs_hmap_get(&m->by_ident, sc->ident, sc->identlen) == sc)
        bs_hmap_del(&m->by_ident, sc->ident, sc->identlen);
    schema_free(m, sc);
}

static void version_remove(bs_reg_model_t *m, bs_reg_subject_t *s, bs_reg_version_t *v)
{
    int idx = (int)(v - s->v);
    schema_unuse(m, v->schema);
    memmove(&s->v[idx], &s->v[idx + 1], sizeof s->v[0] * (size_t)(s->nv - idx - 1));
    s->nv--;
}

static bs_reg_version_t *version_insert(bs_reg_subject_t *s, int32_t version)
{
    if (s->nv == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 4;
        s->v = bs_xrealloc(s->v, sizeof s->v[0] * (size_t)s->cap);
    }
    int idx = s->nv;
    while (idx > 0 && s->v[idx - 1].version > version)
        idx--;
    memmove(&s->v[idx + 1], &s->v[idx], sizeof s->v[0] * (size_t)(s->nv - idx));
    s->nv++;
    memset(&s->v[idx], 0, sizeof s->v[idx]);
    s->v[idx].version = version;
    return &s->v[idx];
}

/* Finds or creates the schema entry for (id, text, type, refs). Returns NULL
 * with err if the id is already held by a different schema. */
static bs_reg_schema_t *schema_intern(bs_reg_model_t *m, int32_t id, const char *text,
                                      const char *type, json_t *refs, char *err, size_t errlen)
{
    size_t ilen;
    char *ident = bs_reg_ident(text, strlen(text), type, refs, &ilen);
    bs_reg_schema_t *sc = bs_reg_model_schema(m, id);
    if (sc) {
        if (sc->identlen != ilen || memcmp(sc->ident, ident, ilen) != 0) {
            snprintf(err, errlen, "id %d is already used by a different schema", (int)id);
            free(ident);
            return NULL;
        }
        free(ident);
        return sc;
    }
    sc = bs_xcalloc(1, sizeof *sc);
    pthread_mutex_init(&sc->parse_lock, NULL);
    sc->id = id;
    sc->type = bs_xstrdup(type);
    sc->text = bs_xstrdup(text);
    sc->refs = (refs && json_array_size(refs)) ? json_incref(refs) : NULL;
    sc->ident = ident;
    sc->identlen = ilen;
    /* the by-id read is the hot path (every deserializer cache miss): render
     * its body once, as Confluent's SchemaString entity (schemaType omitted
     * for AVRO, references only when present) */
    json_t *body = json_object();
    if (strcmp(sc->type, "AVRO") != 0)
        json_object_set_new(body, "schemaType", json_string(sc->type));
    json_object_set_new(body, "schema", json_string(text));
    if (sc->refs)
        json_object_set(body, "references", sc->refs);
    sc->by_id_json = json_dumps(body, JSON_COMPACT | JSON_PRESERVE_ORDER);
    sc->by_id_len = strlen(sc->by_id_json);
    json_decref(body);
    bs_hmap_put(&m->by_id, (const char *)&sc->id, sizeof sc->id, sc);
    bs_reg_schema_t *other = bs_reg_model_by_ident(m, ident, ilen);
    if (!other || other->id > id)
        bs_hmap_put(&m->by_ident, ident, ilen, sc);
    if (id > m->max_id)
        m->max_id = id;
    return sc;
}

static int get_int(json_t *o, const char *k, long long lo, long long hi, long long *out)
{
    json_t *v = json_object_get(o, k);
    if (!json_is_integer(v))
        return -1;
    long long x = json_integer_value(v);
    if (x < lo || x > hi)
        return -1;
    *out = x;
    return 0;
}

static int apply_schema(bs_reg_model_t *m, const char *subject, json_t *key, json_t *val, char *err,
                        size_t errlen)
{
    long long version, id;
    if (!subject) {
        snprintf(err, errlen, "SCHEMA key without a subject");
        return -1;
    }
    if (get_int(key, "version", 1, INT32_MAX, &version) != 0) {
        snprintf(err, errlen, "SCHEMA key for subject '%s' without a valid version", subject);
        return -1;
    }
    bs_reg_subject_t *s = bs_reg_model_subject(m, subject);
    bs_reg_version_t *v = bs_reg_subject_version(s, (int32_t)version);
    if (!val) { /* tombstone: permanent delete */
        if (v) {
            version_remove(m, s, v);
            subject_gc(m, s);
        }
        return 0;
    }
    if (!json_is_object(val)) {
        snprintf(err, errlen, "SCHEMA value for '%s' version %lld is not an object", subject,
                 version);
        return -1;
    }
    if (get_int(val, "id", 0, INT32_MAX, &id) != 0) {
        snprintf(err, errlen, "SCHEMA value for '%s' version %lld without a valid id", subject,
                 version);
        return -1;
    }
    const char *text = json_string_value(json_object_get(val, "schema"));
    if (!text) {
        snprintf(err, errlen, "SCHEMA value for '%s' version %lld without a schema string", subject,
                 version);
        return -1;
    }
    const char *type = json_string_value(json_object_get(val, "schemaType"));
    json_t *refs = json_object_get(val, "references");
    if (refs && !json_is_array(refs) && !json_is_null(refs)) {
        snprintf(err, errlen, "SCHEMA value for '%s' version %lld: references is not an array",
                 subject, version);
        return -1;
    }
    if (!json_is_array(refs))
        refs = NULL;
    bool deleted = json_is_true(json_object_get(val, "deleted"));

    bs_reg_schema_t *sc =
        schema_intern(m, (int32_t)id, text, type ? type : "AVRO", refs, err, errlen);
    if (!sc)
        return -1;
    s = subject_get_or_add(m, subject);
    v = bs_reg_subject_version(s, (int32_t)version);
    if (!v) {
        v = version_insert(s, (int32_t)version);
        v->schema = sc;
        sc->nuse++;
    } else if (v->schema != sc) {
        bs_reg_schema_t *old = v->schema;
        v->schema = sc;
        sc->nuse++;
        schema_unuse(m, old);
    }
    v->deleted = deleted;
    return 0;
}

static int apply_config(bs_reg_model_t *m, const char *subject, json_t *val, char *err,
                        size_t errlen)
{
    json_t *copy = NULL;
    if (val) {
        if (!json_is_object(val)) {
            snprintf(err, errlen, "CONFIG value is not an object");
            return -1;
        }
        copy = json_deep_copy(val);
        json_object_del(copy, "subject");
    }
    if (!subject) {
        json_decref(m->config);
        m->config = copy;
        return 0;
    }
    bs_reg_subject_t *s = copy ? subject_get_or_add(m, subject) : bs_reg_model_subject(m, subject);
    if (!s)
        return 0;
    json_decref(s->config);
    s->config = copy;
    subject_gc(m, s);
    return 0;
}

static int apply_mode(bs_reg_model_t *m, const char *subject, json_t *val, char *err, size_t errlen)
{
    const char *mode = NULL;
    if (val) {
        mode = json_string_value(json_object_get(val, "mode"));
        if (!mode) {
            snprintf(err, errlen, "MODE value without a mode string");
            return -1;
        }
    }
    if (!subject) {
        free(m->mode);
        m->mode = mode ? bs_xstrdup(mode) : NULL;
        return 0;
    }
    bs_reg_subject_t *s = mode ? subject_get_or_add(m, subject) : bs_reg_model_subject(m, subject);
    if (!s)
        return 0;
    free(s->mode);
    s->mode = mode ? bs_xstrdup(mode) : NULL;
    subject_gc(m, s);
    return 0;
}

int bs_reg_model_apply(bs_reg_model_t *m, const char *key, size_t klen, const char *value,
                       size_t vlen, int64_t offset, char *err, size_t errlen)
{
    int rc = -1;
    json_error_t je;
    json_t *k = NULL, *v = NULL;

    m->applied = offset;
    m->records++;
    if (!key || !klen) {
        snprintf(err, errlen, "record without a key");
        goto done;
    }
    k = json_loadb(key, klen, JSON_ALLOW_NUL, &je);
    if (!json_is_object(k)) {
        snprintf(err, errlen, "key is not a JSON object: %s", k ? "wrong type" : je.text);
        goto done;
    }
    if (value && vlen) {
        v = json_loadb(value, vlen, 0, &je);
        if (!v) {
            snprintf(err, errlen, "value is not JSON: %s", je.text);
            goto done;
        }
        if (json_is_null(v)) {
            json_decref(v);
            v = NULL;
        }
    }
    const char *kt = json_string_value(json_object_get(k, "keytype"));
    json_t *js = json_object_get(k, "subject");
    if (js && !json_is_string(js) && !json_is_null(js)) {
        snprintf(err, errlen, "key subject is not a string");
        goto done;
    }
    const char *subject = json_string_value(js);
    if (!kt) {
        snprintf(err, errlen, "key without a keytype");
        goto done;
    }
    if (strcmp(kt, "SCHEMA") == 0) {
        if (apply_schema(m, subject, k, v, err, errlen) != 0)
            goto done;
    } else if (strcmp(kt, "CONFIG") == 0) {
        if (apply_config(m, subject, v, err, errlen) != 0)
            goto done;
    } else if (strcmp(kt, "MODE") == 0) {
        if (apply_mode(m, subject, v, err, errlen) != 0)
            goto done;
    } else if (strcmp(kt, "DELETE_SUBJECT") == 0) {
        long long upto;
        bs_reg_subject_t *s = bs_reg_model_subject(m, subject);
        if (v && s) {
            if (get_int(v, "version", 0, INT32_MAX, &upto) != 0) {
                snprintf(err, errlen, "DELETE_SUBJECT value for '%s' without a version", subject);
                goto done;
            }
            for (int i = 0; i < s->nv; i++)
                if (s->v[i].version <= upto)
                    s->v[i].deleted = true;
        }
    } else if (strcmp(kt, "CLEAR_SUBJECT") == 0) {
        bs_reg_subject_t *s = bs_reg_model_subject(m, subject);
        if (v && s) {
            for (int i = s->nv - 1; i >= 0; i--)
                if (s->v[i].deleted)
                    version_remove(m, s, &s->v[i]);
            subject_gc(m, s);
        }
    } /* NOOP, CONTEXT and unknown keytypes: nothing to do */
    rc = 0;
done:
    if (rc != 0)
        m->rejected++;
    json_decref(k);
    json_decref(v);
    return rc;
}
