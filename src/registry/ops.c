/*
 * ops.c — Schema Registry operations shared by the REST handlers: request
 * validation (subjects, versions, schema bodies), reference resolution,
 * the cached parsed form of stored schemas, effective config and mode,
 * compatibility checks, and the `_schemas` record formats.
 *
 * Locking: functions that read the model say so; none of them takes the
 * model's write lock. Parsed schemas are cached on the schema entry under
 * its parse_lock (entries are immutable otherwise), so concurrent readers
 * parse each stored schema at most once.
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "registry/registry_int.h"

#define MAX_REFS 256

int bs_reg_fail(bs_reg_err_t *e, int status, int code, const char *fmt, ...)
{
    va_list ap;
    e->status = status;
    e->code = code;
    va_start(ap, fmt);
    vsnprintf(e->msg, sizeof e->msg, fmt, ap);
    va_end(ap);
    return -1;
}

void bs_reg_prep_free(bs_reg_prep_t *p)
{
    if (!p)
        return;
    free(p->subject);
    free(p->type);
    free(p->text);
    json_decref(p->refs);
    free(p->ident);
    if (p->parsed)
        bs_avro_schema_free(p->parsed);
    memset(p, 0, sizeof *p);
}

int bs_reg_check_subject(const char *s, bs_reg_err_t *e)
{
    if (!s || !*s)
        return bs_reg_fail(e, 422, 42208, "Invalid subject: the subject name is empty");
    for (const unsigned char *p = (const unsigned char *)s; *p; p++)
        if (*p < 0x20 || *p == 0x7f)
            return bs_reg_fail(e, 422, 42208,
                               "Invalid subject: the subject name contains a control character");
    if (strcmp(s, "__GLOBAL") == 0 || strcmp(s, "__EMPTY") == 0)
        return bs_reg_fail(e, 422, 42208, "Invalid subject: '%s' is a reserved name", s);
    return 0;
}

int bs_reg_parse_version(const char *s, int32_t *out, bs_reg_err_t *e)
{
    if (s && strcasecmp(s, "latest") == 0) {
        *out = -1;
        return 0;
    }
    char *end = NULL;
    long long v = s && *s ? strtoll(s, &end, 10) : 0;
    if (!s || !*s || *end || (v != -1 && (v < 1 || v > INT32_MAX)) || isspace((unsigned char)*s))
        return bs_reg_fail(e, 422, 42202,
                           "The specified version '%s' is not a valid version id. Allowed values "
                           "are between [1, 2^31-1] and the string \"latest\"",
                           s ? s : "");
    *out = (int32_t)v;
    return 0;
}

/* ---- references ---------------------------------------------------------- */

typedef struct ref_set_s {
    bs_avro_ref_t r[MAX_REFS];
    int n;
} ref_set_t;

/* Depth-first: dependencies of each reference before the reference itself.
 * Caller holds the model lock. */
static int refs_resolve(bs_registry_t *r, const json_t *refs, ref_set_t *out, int depth,
                        bs_reg_err_t *e)
{
    size_t i;
    json_t *ref;
    if (depth > 32)
        return bs_reg_fail(e, 422, 42201, "Invalid schema: references nest too deeply");
    json_array_foreach(refs, i, ref)
    {
        const char *name = json_string_value(json_object_get(ref, "name"));
        const char *subj = json_string_value(json_object_get(ref, "subject"));
        json_t *jv = json_object_get(ref, "version");
        if (!json_is_object(ref) || !name || !subj || !json_is_integer(jv))
            return bs_reg_fail(e, 422, 42201,
                               "Invalid schema: reference %zu needs a string name, a string "
                               "subject and an integer version",
                               i);
        long long ver = json_integer_value(jv);
        bs_reg_subject_t *s = bs_reg_model_subject(&r->model, subj);
        bs_reg_version_t *v = ver == -1 ? bs_reg_subject_latest(s, false)
                              : (ver >= 1 && ver <= INT32_MAX)
                                  ? bs_reg_subject_version(s, (int32_t)ver)
                                  : NULL;
        if (!v)
            return bs_reg_fail(e, 422, 42201,
                               "Invalid schema: reference '%s' to subject '%s' version %lld "
                               "does not exist",
                               name, subj, ver);
        int dup = 0;
        for (int k = 0; k < out->n; k++)
            dup |= strcmp(out->r[k].name, name) == 0;
        if (dup)
            continue;
        if (v->schema->refs && refs_resolve(r, v->schema->refs, out, depth + 1, e) != 0)
            return -1;
        if (out->n >= MAX_REFS)
            return bs_reg_fail(e, 422, 42201, "Invalid schema: more than %d references", MAX_REFS);
        out->r[out->n].name = name;
        out->r[out->n].schema = v->schema->text;
        out->n++;
    }
    return 0;
}

const bs_avro_schema_t *bs_reg_parsed(bs_registry_t *r, bs_reg_schema_t *sc, char *err,
                                      size_t errlen)
{
    const bs_avro_schema_t *res;
    pthread_mutex_lock(&sc->parse_lock);
    if (!sc->parsed && strcmp(sc->type, "AVRO") == 0) {
        ref_set_t *rs = bs_xcalloc(1, sizeof *rs);
        bs_reg_err_t e;
        if (sc->refs && refs_resolve(r, sc->refs, rs, 0, &e) != 0)
            snprintf(err, errlen, "%s", e.msg);
        else
            sc->parsed = bs_avro_parse(sc->text, strlen(sc->text), rs->r, rs->n, err, errlen);
        free(rs);
    } else if (!sc->parsed) {
        snprintf(err, errlen, "schema type %s is not supported", sc->type);
    }
    res = sc->parsed;
    pthread_mutex_unlock(&sc->parse_lock);
    return res;
}

int bs_reg_prepare(bs_registry_t *r, const char *subject, json_t *body, bool normalize,
                   bs_reg_prep_t *p, bs_reg_err_t *e)
{
    char perr[1024];
    ref_set_t *rs = NULL;
    int rc = -1;
    bool locked = false;

    memset(p, 0, sizeof *p);
    p->req_id = p->req_version = -1;
    p->subject = bs_xstrdup(subject);
    if (!json_is_object(body)) {
        bs_reg_fail(e, 422, 422, "The request body must be a JSON object");
        goto done;
    }
    json_t *js = json_object_get(body, "schema");
    if (js && !json_is_string(js) && !json_is_null(js)) {
        bs_reg_fail(e, 422, 42201, "Invalid schema: the \"schema\" field must be a string");
        goto done;
    }
    const char *text = json_string_value(js);
    if (!text || !*text) {
        bs_reg_fail(e, 422, 42201, "Empty schema");
        goto done;
    }
    size_t tlen = json_string_length(js);
    if (tlen > (size_t)r->cfg->max_schema_bytes) {
        bs_reg_fail(e, 422, 42209, "Schema too large: %zu bytes (schema.max.bytes is %d)", tlen,
                    (int)r->cfg->max_schema_bytes);
        goto done;
    }
    json_t *jt = json_object_get(body, "schemaType");
    const char *type = json_is_null(jt) || !jt ? "AVRO" : json_string_value(jt);
    if (!type || (strcasecmp(type, "AVRO") != 0 && strcasecmp(type, "JSON") != 0)) {
        bs_reg_fail(e, 422, 42201, "Invalid schema type %s (Basin stores AVRO and JSON schemas)",
                    type ? type : "(not a string)");
        goto done;
    }
    bool is_json = strcasecmp(type, "JSON") == 0;
    p->type = bs_xstrdup(is_json ? "JSON" : "AVRO");
    json_t *jr = json_object_get(body, "references");
    if (jr && !json_is_null(jr) && !json_is_array(jr)) {
        bs_reg_fail(e, 422, 42201, "Invalid schema: \"references\" must be an array");
        goto done;
    }
    json_t *ji = json_object_get(body, "id"), *jv = json_object_get(body, "version");
    if (ji && !json_is_null(ji)) {
        if (!json_is_integer(ji) || json_integer_value(ji) < 0 ||
            json_integer_value(ji) > INT32_MAX) {
            bs_reg_fail(e, 422, 42201, "Invalid schema: \"id\" must be a non-negative int");
            goto done;
        }
        p->req_id = (int32_t)json_integer_value(ji);
    }
    if (jv && !json_is_null(jv)) {
        if (!json_is_integer(jv) || json_integer_value(jv) < 1 ||
            json_integer_value(jv) > INT32_MAX) {
            bs_reg_fail(e, 422, 42202, "Invalid version: \"version\" must be in [1, 2^31-1]");
            goto done;
        }
        p->req_version = (int32_t)json_integer_value(jv);
    }
    rs = bs_xcalloc(1, sizeof *rs);
    pthread_rwlock_rdlock(&r->model.lock);
    locked = true;
    if (json_array_size(jr) && refs_resolve(r, jr, rs, 0, e) != 0)
        goto done;
    json_t *jdoc = NULL;
    if (is_json) {
        /* a JSON Schema document is a JSON object or a boolean */
        json_error_t je;
        jdoc = json_loadb(text, tlen, JSON_DECODE_ANY | JSON_ALLOW_NUL, &je);
        if (!jdoc)
            snprintf(perr, sizeof perr, "invalid JSON at line %d column %d: %s", je.line, je.column,
                     je.text);
        else if (!json_is_object(jdoc) && !json_is_boolean(jdoc))
            snprintf(perr, sizeof perr, "a JSON schema must be a JSON object or a boolean");
    } else {
        p->parsed = bs_avro_parse(text, tlen, rs->r, rs->n, perr, sizeof perr);
    }
    pthread_rwlock_unlock(&r->model.lock);
    locked = false;
    if (is_json ? !jdoc || (!json_is_object(jdoc) && !json_is_boolean(jdoc)) : !p->parsed) {
        json_decref(jdoc);
        bs_reg_fail(e, 422, 42201, "Invalid schema %s, details: %s", text, perr);
        goto done;
    }
    if (json_array_size(jr)) {
        /* keep only name/subject/version, in the order given */
        p->refs = json_array();
        size_t i;
        json_t *ref;
        json_array_foreach(jr, i, ref)
        {
            json_array_append_new(p->refs,
                                  json_pack("{s:O,s:O,s:O}", "name", json_object_get(ref, "name"),
                                            "subject", json_object_get(ref, "subject"), "version",
                                            json_object_get(ref, "version")));
        }
    }
    if (is_json) /* canonical: compact, keys in their order (normalized: sorted) */
        p->text = json_dumps(jdoc, JSON_COMPACT | JSON_ENCODE_ANY |
                                       (normalize ? JSON_SORT_KEYS : JSON_PRESERVE_ORDER));
    else
        p->text = normalize ? bs_avro_normalized(p->parsed) : bs_avro_canonical(p->parsed);
    json_decref(jdoc);
    if (!p->text) {
        bs_reg_fail(e, 500, 500, "could not print the schema");
        goto done;
    }
    p->ident = bs_reg_ident(p->text, strlen(p->text), p->type, p->refs, &p->identlen);
    rc = 0;
done:
    if (locked)
        pthread_rwlock_unlock(&r->model.lock);
    free(rs);
    if (rc != 0)
        bs_reg_prep_free(p);
    return rc;
}

const char *bs_reg_compat_of(bs_registry_t *r, const char *subject)
{
    bs_reg_subject_t *s = bs_reg_model_subject(&r->model, subject);
    const char *l = s ? json_string_value(json_object_get(s->config, "compatibilityLevel")) : NULL;
    if (!l)
        l = json_string_value(json_object_get(r->model.config, "compatibilityLevel"));
    return l ? l : r->cfg->compat_level;
}

bool bs_reg_normalize_of(bs_registry_t *r, const char *subject)
{
    bs_reg_subject_t *s = bs_reg_model_subject(&r->model, subject);
    json_t *n = s ? json_object_get(s->config, "normalize") : NULL;
    if (!n)
        n = json_object_get(r->model.config, "normalize");
    return json_is_true(n);
}

const char *bs_reg_mode_of(bs_registry_t *r, const char *subject)
{
    bs_reg_subject_t *s = bs_reg_model_subject(&r->model, subject);
    if (s && s->mode)
        return s->mode;
    return r->model.mode ? r->model.mode : "READWRITE";
}

int bs_reg_check_compat(bs_registry_t *r, const bs_reg_prep_t *p, const char *level,
                        const bs_reg_version_t *only, json_t *messages)
{
    int lvl = bs_avro_compat_level_parse(level);
    if (lvl < 0)
        lvl = BS_AVRO_COMPAT_BACKWARD;
    if (lvl == BS_AVRO_COMPAT_NONE)
        return 1;
    bs_reg_subject_t *s = bs_reg_model_subject(&r->model, p->subject);
    const bs_reg_version_t *vs[1];
    const bs_reg_version_t **list = vs;
    int n = 0, rc = 1;
    bool transitive = lvl == BS_AVRO_COMPAT_BACKWARD_TRANSITIVE ||
                      lvl == BS_AVRO_COMPAT_FORWARD_TRANSITIVE ||
                      lvl == BS_AVRO_COMPAT_FULL_TRANSITIVE;
    if (only) {
        vs[n++] = only;
    } else if (transitive) {
        list = bs_xcalloc((size_t)(s ? s->nv : 0) + 1, sizeof *list);
        for (int i = 0; s && i < s->nv; i++)
            if (!s->v[i].deleted)
                list[n++] = &s->v[i];
    } else {
        const bs_reg_version_t *l = bs_reg_subject_latest(s, false);
        if (l)
            vs[n++] = l;
    }
    if (n == 0)
        goto done;
    if (strcmp(p->type, "AVRO") != 0) {
        /* JSON schemas: Basin does not compare them, so under any level but
         * NONE only the same schema (or a different type's refusal) passes */
        for (int i = 0; i < n && rc == 1; i++) {
            if (strcmp(list[i]->schema->type, p->type) == 0 &&
                strcmp(list[i]->schema->text, p->text) == 0)
                continue;
            if (messages)
                json_array_append_new(
                    messages,
                    strcmp(list[i]->schema->type, p->type) != 0
                        ? json_string("Incompatible because of different schema type")
                        : json_sprintf("{oldSchemaVersion: %d} Basin checks the compatibility "
                                       "of AVRO schemas only: set the compatibility of subject "
                                       "%s to NONE to register a different %s schema",
                                       (int)list[i]->version, p->subject, p->type));
            rc = 0;
        }
        goto done;
    }
    const bs_avro_schema_t **ex = bs_xcalloc((size_t)n, sizeof *ex);
    int *vers = bs_xcalloc((size_t)n, sizeof *vers);
    char err[512];
    for (int i = 0; i < n; i++) {
        vers[i] = list[i]->version;
        if (strcmp(list[i]->schema->type, p->type) != 0) {
            if (messages)
                json_array_append_new(messages,
                                      json_string("Incompatible because of different schema type"));
            rc = 0;
            break;
        }
        ex[i] = bs_reg_parsed(r, list[i]->schema, err, sizeof err);
        if (!ex[i]) {
            if (messages)
                json_array_append_new(messages, json_sprintf("{oldSchemaVersion: %d} cannot be "
                                                             "parsed: %s",
                                                             (int)vers[i], err));
            rc = 0;
            break;
        }
    }
    if (rc == 1)
        rc = bs_avro_compatible_ex((bs_avro_compat_level_t)lvl, p->parsed, ex, vers, n, messages,
                                   NULL);
    free(ex);
    free(vers);
done:
    if (list != vs)
        free(list);
    return rc;
}

json_t *bs_reg_schema_json(const char *subject, const bs_reg_version_t *v, bool with_deleted)
{
    json_t *o = json_object();
    json_object_set_new(o, "subject", json_string(subject));
    json_object_set_new(o, "version", json_integer(v->version));
    json_object_set_new(o, "id", json_integer(v->schema->id));
    if (strcmp(v->schema->type, "AVRO") != 0)
        json_object_set_new(o, "schemaType", json_string(v->schema->type));
    if (v->schema->refs)
        json_object_set(o, "references", v->schema->refs);
    json_object_set_new(o, "schema", json_string(v->schema->text));
    if (with_deleted && v->deleted)
        json_object_set_new(o, "deleted", json_true());
    return o;
}

static char *dump_compact(json_t *o)
{
    char *s = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER | JSON_ENCODE_ANY);
    json_decref(o);
    return s;
}

char *bs_reg_key_schema(const char *subject, int32_t version)
{
    json_t *o = json_object();
    json_object_set_new(o, "keytype", json_string("SCHEMA"));
    json_object_set_new(o, "subject", json_string(subject));
    json_object_set_new(o, "version", json_integer(version));
    json_object_set_new(o, "magic", json_integer(1));
    return dump_compact(o);
}

char *bs_reg_key_simple(const char *keytype, const char *subject)
{
    json_t *o = json_object();
    json_object_set_new(o, "keytype", json_string(keytype));
    if (strcmp(keytype, "NOOP") != 0)
        json_object_set_new(o, "subject", subject ? json_string(subject) : json_null());
    json_object_set_new(o, "magic", json_integer(0));
    return dump_compact(o);
}

int bs_reg_write(bs_registry_t *r, const char *key, const char *value, bs_reg_err_t *e)
{
    char err[512];
    int rc = bs_reg_store_write(r->store, key, value, r->cfg->timeout_ms, NULL, err, sizeof err);
    if (rc == BS_REG_STORE_TIMEOUT)
        return bs_reg_fail(e, 500, 50002, "%s", err);
    if (rc != 0)
        return bs_reg_fail(e, 500, 50001, "%s", err);
    return 0;
}
