/*
 * resources.c — the Schema Registry REST API (Confluent's paths, bodies and
 * error codes; see /work/shared/reference/schema-registry.md section 1).
 *
 * Every route is one row of bs_reg_routes. Reads are answered on the HTTP
 * thread under the model's read lock. Writes validate what they can on the
 * HTTP thread (so malformed input is rejected without queueing), then run
 * on the writer thread (bs_reg_enqueue), which re-validates against the
 * model as it is at that moment, writes the record(s), and replies once the
 * store has read them back.
 *
 * Ownership: a job argument (w_arg_t) is owned by the queue and freed by
 * w_free after the job ran or was refused.
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/arena.h"
#include "base/log.h"
#include "registry/registry_int.h"

#define MODEL_RD(r) pthread_rwlock_rdlock(&(r)->model.lock)
#define MODEL_UN(r) pthread_rwlock_unlock(&(r)->model.lock)

static const char *const g_modes[] = {"READWRITE", "READONLY", "READONLY_OVERRIDE", "IMPORT"};

static void reply_e(bs_http_req_t *req, const bs_reg_err_t *e)
{
    bs_http_reply_error(req, e->status, e->code, "%s", e->msg);
}

static int q_int(bs_http_req_t *req, const char *name, int dflt)
{
    const char *v = bs_http_query(req, name);
    if (!v || !*v)
        return dflt;
    char *end;
    long x = strtol(v, &end, 10);
    return *end ? dflt : (int)x;
}

/* Applies offset/limit (limit <= 0: all) to a JSON array in place. */
static json_t *page(bs_http_req_t *req, json_t *arr)
{
    int off = q_int(req, "offset", 0), lim = q_int(req, "limit", -1);
    if (off <= 0 && lim <= 0)
        return arr;
    json_t *out = json_array();
    size_t n = json_array_size(arr);
    for (size_t i = off > 0 ? (size_t)off : 0;
         i < n && (lim <= 0 || (int)json_array_size(out) < lim); i++)
        json_array_append(out, json_array_get(arr, i));
    json_decref(arr);
    return out;
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

/* Sorted subject names (pointers into the model; caller holds the lock). */
static const char **sorted_subjects(bs_registry_t *r, size_t *n)
{
    const char **names = bs_xcalloc(bs_hmap_count(&r->model.subjects) + 1, sizeof *names);
    const bs_hmap_ent_t *e;
    size_t k = 0;
    for (size_t i = 0; bs_hmap_next(&r->model.subjects, &i, &e);)
        names[k++] = ((bs_reg_subject_t *)e->val)->name;
    qsort(names, k, sizeof *names, cmp_str);
    *n = k;
    return names;
}

/* The subject if it has versions visible with `deleted`; else 40401. */
static bs_reg_subject_t *need_subject(bs_registry_t *r, const char *name, bool deleted,
                                      bs_reg_err_t *e)
{
    bs_reg_subject_t *s = bs_reg_model_subject(&r->model, name);
    if (!s || (deleted ? s->nv == 0 : bs_reg_subject_live(s) == 0)) {
        bs_reg_fail(e, 404, 40401, "Subject '%s' not found.", name);
        return NULL;
    }
    return s;
}

/* Version v of s (-1 latest) visible with `deleted`; else 40402. */
static bs_reg_version_t *need_version(bs_reg_subject_t *s, int32_t v, bool deleted,
                                      const char *vstr, bs_reg_err_t *e)
{
    bs_reg_version_t *ver =
        v == -1 ? bs_reg_subject_latest(s, deleted) : bs_reg_subject_version(s, v);
    if (!ver || (ver->deleted && !deleted)) {
        bs_reg_fail(e, 404, 40402, "Version %s not found.", vstr);
        return NULL;
    }
    return ver;
}

/* Resolves {subject} and, if present, {version}; on failure replies. */
static bool path_subject(bs_http_req_t *req, const char **subject, int32_t *version)
{
    bs_reg_err_t e;
    *subject = bs_http_param(req, "subject");
    if (bs_reg_check_subject(*subject, &e) != 0)
        goto bad;
    if (version && bs_reg_parse_version(bs_http_param(req, "version"), version, &e) != 0)
        goto bad;
    return true;
bad:
    reply_e(req, &e);
    return false;
}

static json_t *body_json(bs_http_req_t *req)
{
    json_error_t je;
    size_t len = 0;
    bs_http_body(req, &len);
    if (len == 0) {
        bs_http_reply_error(req, 422, 422, "The request body is empty");
        return NULL;
    }
    json_t *j = bs_http_body_json(req, &je);
    if (!j)
        bs_http_reply_error(req, 400, 400,
                            "Unexpected character or malformed JSON at line %d "
                            "column %d: %s",
                            je.line, je.column, je.text);
    return j;
}

/* ------------------------------------------------------------------------ */
/* root, types, contexts                                                      */

static void h_root(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    bs_http_reply_json(req, 200, json_object());
}

static void h_types(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    bs_http_reply_json(req, 200, json_pack("[ss]", "JSON", "AVRO"));
}

/* Contexts are the ":.name:" prefixes of subject names; "." is the default
 * context and is always listed. */
static void h_contexts(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    json_t *out = json_pack("[s]", ".");
    MODEL_RD(r);
    size_t n;
    const char **names = sorted_subjects(r, &n);
    for (size_t i = 0; i < n; i++) {
        const char *s = names[i];
        if (s[0] != ':' || s[1] != '.')
            continue;
        const char *end = strchr(s + 1, ':');
        if (!end || end == s + 2)
            continue;
        json_t *c = json_stringn(s + 1, (size_t)(end - s - 1));
        bool dup = false;
        size_t k;
        json_t *e;
        json_array_foreach(out, k, e) dup |= json_equal(e, c);
        if (dup)
            json_decref(c);
        else
            json_array_append_new(out, c);
    }
    free(names);
    MODEL_UN(r);
    bs_http_reply_json(req, 200, page(req, out));
}

static void h_metadata_id(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    bs_http_reply_json(req, 200,
                       json_pack("{s:{s:[],s:{s:s}}}", "scope", "path", "clusters",
                                 "schema-registry-cluster", r->cfg->group_id));
}

static void h_metadata_version(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    bs_http_reply_json(req, 200,
                       json_pack("{s:s,s:s}", "version", "7.5.0-basin", "commitId", "basin"));
}

/* ------------------------------------------------------------------------ */
/* /schemas                                                                   */

static bool id_param(bs_http_req_t *req, int32_t *id)
{
    const char *s = bs_http_param(req, "id");
    char *end;
    long long v = s ? strtoll(s, &end, 10) : -1;
    if (!s || !*s || *end || v < 0 || v > INT32_MAX) {
        /* Confluent answers a non-integer id with 404 from the router */
        bs_http_reply_error(req, 404, 40403, "Schema %s not found", s ? s : "");
        return false;
    }
    *id = (int32_t)v;
    return true;
}

static void h_schema_by_id(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    int32_t id;
    if (!id_param(req, &id))
        return;
    bool max_id = bs_http_query_bool(req, "fetchMaxId");
    json_t *o = NULL;
    bool found = false;
    MODEL_RD(r);
    bs_reg_schema_t *sc = bs_reg_model_schema(&r->model, id);
    if (sc && !max_id) {
        /* hot path: the pre-rendered body, copied by the HTTP layer */
        bs_http_reply(req, 200, NULL, sc->by_id_json, sc->by_id_len);
        found = true;
    } else if (sc) {
        o = json_loadb(sc->by_id_json, sc->by_id_len, 0, NULL);
        json_object_set_new(o, "maxId", json_integer(r->model.max_id));
    }
    MODEL_UN(r);
    if (o)
        bs_http_reply_json(req, 200, o);
    else if (!found)
        bs_http_reply_error(req, 404, 40403, "Schema %d not found", (int)id);
}

static void h_schema_by_id_raw(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    int32_t id;
    if (!id_param(req, &id))
        return;
    MODEL_RD(r);
    bs_reg_schema_t *sc = bs_reg_model_schema(&r->model, id);
    char *text = sc ? bs_xstrdup(sc->text) : NULL;
    MODEL_UN(r);
    if (text)
        bs_http_reply(req, 200, NULL, text, strlen(text));
    else
        bs_http_reply_error(req, 404, 40403, "Schema %d not found", (int)id);
    free(text);
}

/* /schemas/ids/{id}/subjects and /versions */
static void ids_usage(bs_http_req_t *req, bs_registry_t *r, bool versions)
{
    int32_t id;
    if (!id_param(req, &id))
        return;
    bool deleted = bs_http_query_bool(req, "deleted");
    const char *only = bs_http_query(req, "subject");
    json_t *out = json_array();
    MODEL_RD(r);
    bool found = bs_reg_model_schema(&r->model, id) != NULL;
    size_t n;
    const char **names = sorted_subjects(r, &n);
    for (size_t i = 0; found && i < n; i++) {
        if (only && *only && strcmp(only, names[i]) != 0)
            continue;
        bs_reg_subject_t *s = bs_reg_model_subject(&r->model, names[i]);
        bool listed = false;
        for (int k = 0; k < s->nv; k++) {
            if (s->v[k].schema->id != id || (s->v[k].deleted && !deleted))
                continue;
            if (versions) {
                json_array_append_new(out, json_pack("{s:s,s:i}", "subject", s->name, "version",
                                                     (int)s->v[k].version));
            } else if (!listed) {
                json_array_append_new(out, json_string(s->name));
                listed = true;
            }
        }
    }
    free(names);
    MODEL_UN(r);
    if (!found) {
        json_decref(out);
        bs_http_reply_error(req, 404, 40403, "Schema %d not found", (int)id);
        return;
    }
    bs_http_reply_json(req, 200, page(req, out));
}

static void h_schema_subjects(bs_http_req_t *req, void *ctx)
{
    ids_usage(req, ctx, false);
}

static void h_schema_versions(bs_http_req_t *req, void *ctx)
{
    ids_usage(req, ctx, true);
}

static void h_schemas(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    const char *prefix = bs_http_query(req, "subjectPrefix");
    bool deleted = bs_http_query_bool(req, "deleted");
    bool latest = bs_http_query_bool(req, "latestOnly");
    if (prefix && strcmp(prefix, ":*:") == 0)
        prefix = NULL;
    json_t *out = json_array();
    MODEL_RD(r);
    size_t n;
    const char **names = sorted_subjects(r, &n);
    for (size_t i = 0; i < n; i++) {
        if (prefix && strncmp(names[i], prefix, strlen(prefix)) != 0)
            continue;
        bs_reg_subject_t *s = bs_reg_model_subject(&r->model, names[i]);
        if (latest) {
            bs_reg_version_t *v = bs_reg_subject_latest(s, deleted);
            if (v)
                json_array_append_new(out, bs_reg_schema_json(s->name, v, false));
            continue;
        }
        for (int k = 0; k < s->nv; k++)
            if (!s->v[k].deleted || deleted)
                json_array_append_new(out, bs_reg_schema_json(s->name, &s->v[k], false));
    }
    free(names);
    MODEL_UN(r);
    bs_http_reply_json(req, 200, page(req, out));
}

/* ------------------------------------------------------------------------ */
/* /subjects reads                                                            */

static void h_subjects(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    const char *prefix = bs_http_query(req, "subjectPrefix");
    bool deleted = bs_http_query_bool(req, "deleted");
    bool deleted_only = bs_http_query_bool(req, "deletedOnly");
    if (prefix && strcmp(prefix, ":*:") == 0)
        prefix = NULL;
    json_t *out = json_array();
    MODEL_RD(r);
    size_t n;
    const char **names = sorted_subjects(r, &n);
    for (size_t i = 0; i < n; i++) {
        if (prefix && strncmp(names[i], prefix, strlen(prefix)) != 0)
            continue;
        bs_reg_subject_t *s = bs_reg_model_subject(&r->model, names[i]);
        int live = bs_reg_subject_live(s), dead = s->nv - live;
        bool show = deleted_only ? (dead > 0 && live == 0) : deleted ? s->nv > 0 : live > 0;
        if (show)
            json_array_append_new(out, json_string(s->name));
    }
    free(names);
    MODEL_UN(r);
    bs_http_reply_json(req, 200, page(req, out));
}

static void h_versions_list(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    const char *subject;
    bs_reg_err_t e;
    if (!path_subject(req, &subject, NULL))
        return;
    bool deleted_only = bs_http_query_bool(req, "deletedOnly");
    bool deleted = deleted_only || bs_http_query_bool(req, "deleted");
    bool negative = bs_http_query_bool(req, "deletedAsNegative");
    json_t *out = json_array();
    MODEL_RD(r);
    bs_reg_subject_t *s = need_subject(r, subject, deleted, &e);
    for (int k = 0; s && k < s->nv; k++) {
        const bs_reg_version_t *v = &s->v[k];
        if (deleted_only ? !v->deleted : (v->deleted && !deleted))
            continue;
        json_array_append_new(out, json_integer(v->deleted && negative ? -v->version : v->version));
    }
    MODEL_UN(r);
    if (!s) {
        json_decref(out);
        reply_e(req, &e);
        return;
    }
    bs_http_reply_json(req, 200, page(req, out));
}

static void h_version_get(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    const char *subject;
    int32_t version;
    bs_reg_err_t e;
    if (!path_subject(req, &subject, &version))
        return;
    bool deleted = bs_http_query_bool(req, "deleted");
    json_t *o = NULL;
    MODEL_RD(r);
    bs_reg_subject_t *s = need_subject(r, subject, deleted, &e);
    bs_reg_version_t *v =
        s ? need_version(s, version, deleted, bs_http_param(req, "version"), &e) : NULL;
    if (v)
        o = bs_reg_schema_json(subject, v, deleted);
    MODEL_UN(r);
    if (o)
        bs_http_reply_json(req, 200, o);
    else
        reply_e(req, &e);
}

static void h_version_schema(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    const char *subject;
    int32_t version;
    bs_reg_err_t e;
    if (!path_subject(req, &subject, &version))
        return;
    bool deleted = bs_http_query_bool(req, "deleted");
    char *text = NULL;
    MODEL_RD(r);
    bs_reg_subject_t *s = need_subject(r, subject, deleted, &e);
    bs_reg_version_t *v =
        s ? need_version(s, version, deleted, bs_http_param(req, "version"), &e) : NULL;
    if (v)
        text = bs_xstrdup(v->schema->text);
    MODEL_UN(r);
    if (text)
        bs_http_reply(req, 200, NULL, text, strlen(text));
    else
        reply_e(req, &e);
    free(text);
}

/* Ids of schemas used by live versions (or any, with deleted) that reference
 * subject/version. Caller holds the lock; returns a sorted JSON array. */
static json_t *referenced_by(bs_registry_t *r, const char *subject, int32_t version, bool deleted)
{
    int *ids = NULL;
    size_t n = 0, cap = 0;
    const bs_hmap_ent_t *he;
    for (size_t i = 0; bs_hmap_next(&r->model.subjects, &i, &he);) {
        bs_reg_subject_t *s = he->val;
        for (int k = 0; k < s->nv; k++) {
            bs_reg_schema_t *sc = s->v[k].schema;
            if (!sc->refs || (s->v[k].deleted && !deleted))
                continue;
            size_t j;
            json_t *ref;
            json_array_foreach(sc->refs, j, ref)
            {
                const char *rs = json_string_value(json_object_get(ref, "subject"));
                if (rs && strcmp(rs, subject) == 0 &&
                    json_integer_value(json_object_get(ref, "version")) == version) {
                    bool dup = false;
                    for (size_t d = 0; d < n; d++)
                        dup |= ids[d] == sc->id;
                    if (!dup) {
                        if (n == cap) {
                            cap = cap ? cap * 2 : 8;
                            ids = bs_xrealloc(ids, cap * sizeof *ids);
                        }
                        ids[n++] = sc->id;
                    }
                }
            }
        }
    }
    if (n)
        qsort(ids, n, sizeof *ids, cmp_int);
    json_t *out = json_array();
    for (size_t i = 0; i < n; i++)
        json_array_append_new(out, json_integer(ids[i]));
    free(ids);
    return out;
}

static void h_referencedby(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    const char *subject;
    int32_t version;
    bs_reg_err_t e;
    if (!path_subject(req, &subject, &version))
        return;
    bool deleted = bs_http_query_bool(req, "deleted");
    json_t *out = NULL;
    MODEL_RD(r);
    bs_reg_subject_t *s = need_subject(r, subject, deleted, &e);
    bs_reg_version_t *v =
        s ? need_version(s, version, deleted, bs_http_param(req, "version"), &e) : NULL;
    if (v)
        out = referenced_by(r, subject, v->version, deleted);
    MODEL_UN(r);
    if (out)
        bs_http_reply_json(req, 200, page(req, out));
    else
        reply_e(req, &e);
}

/* POST /subjects/{subject}: is this schema registered under the subject? */
static void h_lookup(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    const char *subject;
    bs_reg_err_t e;
    bs_reg_prep_t p;
    if (!path_subject(req, &subject, NULL))
        return;
    json_t *body = body_json(req);
    if (!body)
        return;
    bool deleted = bs_http_query_bool(req, "deleted");
    MODEL_RD(r);
    bool norm = bs_http_query_bool(req, "normalize") || bs_reg_normalize_of(r, subject);
    MODEL_UN(r);
    int rc = bs_reg_prepare(r, subject, body, norm, &p, &e);
    json_decref(body);
    if (rc != 0) {
        reply_e(req, &e);
        return;
    }
    json_t *o = NULL;
    MODEL_RD(r);
    bs_reg_subject_t *s = need_subject(r, subject, deleted, &e);
    for (int k = s ? s->nv - 1 : -1; k >= 0; k--) {
        bs_reg_version_t *v = &s->v[k];
        if ((!v->deleted || deleted) && v->schema->identlen == p.identlen &&
            memcmp(v->schema->ident, p.ident, p.identlen) == 0) {
            o = bs_reg_schema_json(subject, v, false);
            break;
        }
    }
    if (s && !o)
        bs_reg_fail(&e, 404, 40403, "Schema not found");
    MODEL_UN(r);
    bs_reg_prep_free(&p);
    if (o)
        bs_http_reply_json(req, 200, o);
    else
        reply_e(req, &e);
}

/* ------------------------------------------------------------------------ */
/* register                                                                   */

typedef struct w_arg_s {
    bs_reg_prep_t prep;
    char *subject;
    int32_t version;
    bool permanent, force, recursive;
    json_t *body;
} w_arg_t;

static void w_free(void *p)
{
    w_arg_t *a = p;
    if (!a)
        return;
    bs_reg_prep_free(&a->prep);
    free(a->subject);
    json_decref(a->body);
    free(a);
}

static w_arg_t *w_new(const char *subject)
{
    w_arg_t *a = bs_xcalloc(1, sizeof *a);
    a->subject = subject ? bs_xstrdup(subject) : NULL;
    return a;
}

/* Live version of subject holding ident, or NULL (caller holds lock). */
static bs_reg_version_t *find_live(bs_registry_t *r, const bs_reg_prep_t *p)
{
    bs_reg_subject_t *s = bs_reg_model_subject(&r->model, p->subject);
    for (int k = s ? s->nv - 1 : -1; k >= 0; k--) {
        bs_reg_version_t *v = &s->v[k];
        if (!v->deleted && v->schema->identlen == p->identlen &&
            memcmp(v->schema->ident, p->ident, p->identlen) == 0)
            return v;
    }
    return NULL;
}

static char *join_messages(json_t *msgs)
{
    size_t cap = 256, n = 0;
    char *out = bs_xmalloc(cap);
    out[n++] = '[';
    size_t i;
    json_t *m;
    json_array_foreach(msgs, i, m)
    {
        const char *s = json_string_value(m);
        size_t l = s ? strlen(s) : 0;
        if (n + l + 4 > cap) {
            cap = (n + l + 4) * 2;
            out = bs_xrealloc(out, cap);
        }
        if (i)
            out[n++] = ',', out[n++] = ' ';
        memcpy(out + n, s ? s : "", l);
        n += l;
    }
    out[n++] = ']';
    out[n] = '\0';
    return out;
}

/* Writer thread: register on the leader. */
static void w_register(bs_registry_t *r, bs_http_req_t *req, void *arg)
{
    w_arg_t *a = arg;
    bs_reg_prep_t *p = &a->prep;
    bs_reg_err_t e;
    char *key = NULL, *val = NULL;
    json_t *msgs = NULL;
    int32_t id = -1, version;
    bool import;

    MODEL_RD(r);
    const char *mode = bs_reg_mode_of(r, p->subject);
    import = strcmp(mode, "IMPORT") == 0;
    if (strncmp(mode, "READONLY", 8) == 0) {
        bs_reg_fail(&e, 422, 42205, "Subject %s is in read-only mode", p->subject);
        goto fail;
    }
    if ((p->req_id >= 0 || p->req_version > 0) && !import && p->req_id >= 0) {
        bs_reg_fail(&e, 422, 42205,
                    "Overwrite new schema with id %d is not permitted: the subject is not in "
                    "IMPORT mode",
                    (int)p->req_id);
        goto fail;
    }
    bs_reg_version_t *have = find_live(r, p);
    if (have && (p->req_id < 0 || p->req_id == have->schema->id)) {
        id = have->schema->id;
        MODEL_UN(r);
        goto reply;
    }
    bs_reg_subject_t *s = bs_reg_model_subject(&r->model, p->subject);
    version = p->req_version > 0 && import ? p->req_version : bs_reg_subject_max_version(s) + 1;
    if (import && bs_reg_subject_version(s, version) && p->req_version > 0) {
        bs_reg_fail(&e, 422, 42205, "Version %d already exists in subject %s", (int)version,
                    p->subject);
        goto fail;
    }
    bs_reg_schema_t *same = bs_reg_model_by_ident(&r->model, p->ident, p->identlen);
    if (import && p->req_id >= 0) {
        bs_reg_schema_t *held = bs_reg_model_schema(&r->model, p->req_id);
        if (held &&
            (held->identlen != p->identlen || memcmp(held->ident, p->ident, p->identlen) != 0)) {
            bs_reg_fail(&e, 422, 42207,
                        "Overwrite new schema with id %d is not permitted: the id is used by "
                        "another schema",
                        (int)p->req_id);
            goto fail;
        }
        id = p->req_id;
    } else {
        id = same ? same->id : r->model.max_id + 1;
    }
    if (!p->force && !import) {
        msgs = json_array();
        if (!bs_reg_check_compat(r, p, bs_reg_compat_of(r, p->subject), NULL, msgs)) {
            char *details = join_messages(msgs);
            bs_reg_fail(&e, 409, 409,
                        "Schema being registered is incompatible with an earlier schema for "
                        "subject \"%s\", details: %s",
                        p->subject, details);
            free(details);
            goto fail;
        }
    }
    MODEL_UN(r);

    json_t *v = json_object();
    json_object_set_new(v, "subject", json_string(p->subject));
    json_object_set_new(v, "version", json_integer(version));
    json_object_set_new(v, "id", json_integer(id));
    if (strcmp(p->type, "AVRO") != 0)
        json_object_set_new(v, "schemaType", json_string(p->type));
    if (p->refs)
        json_object_set(v, "references", p->refs);
    json_object_set_new(v, "schema", json_string(p->text));
    json_object_set_new(v, "deleted", json_false());
    val = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
    json_decref(v);
    key = bs_reg_key_schema(p->subject, version);
    if (bs_reg_write(r, key, val, &e) != 0)
        goto fail_unlocked;
reply:
    bs_http_reply_json(req, 200, json_pack("{s:i}", "id", (int)id));
    goto done;
fail:
    MODEL_UN(r);
fail_unlocked:
    reply_e(req, &e);
done:
    json_decref(msgs);
    free(key);
    free(val);
}

static void h_register(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    const char *subject;
    bs_reg_err_t e;
    if (!path_subject(req, &subject, NULL))
        return;
    json_t *body = body_json(req);
    if (!body)
        return;
    w_arg_t *a = w_new(subject);
    MODEL_RD(r);
    bool norm = bs_http_query_bool(req, "normalize") || bs_reg_normalize_of(r, subject);
    MODEL_UN(r);
    int rc = bs_reg_prepare(r, subject, body, norm, &a->prep, &e);
    json_decref(body);
    if (rc != 0) {
        reply_e(req, &e);
        w_free(a);
        return;
    }
    a->prep.force = bs_http_query_bool(req, "force");
    /* fast path: already registered (no leader needed, as in Confluent) */
    MODEL_RD(r);
    bs_reg_version_t *have = a->prep.req_id < 0 ? find_live(r, &a->prep) : NULL;
    int32_t id = have ? have->schema->id : -1;
    MODEL_UN(r);
    if (id >= 0) {
        bs_http_reply_json(req, 200, json_pack("{s:i}", "id", (int)id));
        w_free(a);
        return;
    }
    bs_reg_enqueue(r, req, w_register, a, w_free);
}

/* ------------------------------------------------------------------------ */
/* deletes                                                                    */

static bool readonly(bs_registry_t *r, const char *subject, bs_reg_err_t *e)
{
    const char *mode = bs_reg_mode_of(r, subject);
    if (strncmp(mode, "READONLY", 8) == 0) {
        bs_reg_fail(e, 422, 42205, "Subject %s is in read-only mode", subject);
        return true;
    }
    return false;
}

static void w_delete_subject(bs_registry_t *r, bs_http_req_t *req, void *arg)
{
    w_arg_t *a = arg;
    bs_reg_err_t e;
    int32_t *vers = NULL;
    int nv = 0, maxv = 0;
    bool has_config = false, has_mode = false;
    json_t *out = json_array();

    MODEL_RD(r);
    bs_reg_subject_t *s = bs_reg_model_subject(&r->model, a->subject);
    if (readonly(r, a->subject, &e))
        goto fail;
    if (!s || s->nv == 0) {
        bs_reg_fail(&e, 404, 40401, "Subject '%s' not found.", a->subject);
        goto fail;
    }
    int live = bs_reg_subject_live(s);
    if (!a->permanent && live == 0) {
        bs_reg_fail(&e, 404, 40404,
                    "Subject '%s' was soft deleted.Set permanent=true to delete permanently",
                    a->subject);
        goto fail;
    }
    if (a->permanent && live > 0) {
        bs_reg_fail(&e, 404, 40405,
                    "Subject '%s' was not deleted first before being permanently deleted",
                    a->subject);
        goto fail;
    }
    vers = bs_xcalloc((size_t)s->nv, sizeof *vers);
    for (int k = 0; k < s->nv; k++) {
        if (!a->permanent && s->v[k].deleted)
            continue;
        json_t *refs = referenced_by(r, a->subject, s->v[k].version, false);
        size_t nrefs = json_array_size(refs);
        json_decref(refs);
        if (nrefs) {
            bs_reg_fail(&e, 422, 42206,
                        "One or more references exist to the schema {subject=%s,version=%d}",
                        a->subject, (int)s->v[k].version);
            goto fail;
        }
        vers[nv++] = s->v[k].version;
    }
    maxv = bs_reg_subject_max_version(s);
    has_config = s->config != NULL;
    has_mode = s->mode != NULL;
    MODEL_UN(r);

    if (!a->permanent) {
        char *key = bs_reg_key_simple("DELETE_SUBJECT", a->subject);
        json_t *v = json_pack("{s:s,s:i}", "subject", a->subject, "version", maxv);
        char *val = json_dumps(v, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(v);
        int rc = bs_reg_write(r, key, val, &e);
        free(key);
        free(val);
        if (rc != 0)
            goto fail_unlocked;
    } else {
        for (int i = 0; i < nv; i++) {
            char *key = bs_reg_key_schema(a->subject, vers[i]);
            int rc = bs_reg_write(r, key, NULL, &e);
            free(key);
            if (rc != 0)
                goto fail_unlocked;
        }
        const char *kinds[2] = {has_config ? "CONFIG" : NULL, has_mode ? "MODE" : NULL};
        for (int i = 0; i < 2; i++) {
            if (!kinds[i])
                continue;
            char *key = bs_reg_key_simple(kinds[i], a->subject);
            int rc = bs_reg_write(r, key, NULL, &e);
            free(key);
            if (rc != 0)
                goto fail_unlocked;
        }
    }
    for (int i = 0; i < nv; i++)
        json_array_append_new(out, json_integer(vers[i]));
    free(vers);
    bs_http_reply_json(req, 200, out);
    return;
fail:
    MODEL_UN(r);
fail_unlocked:
    free(vers);
    json_decref(out);
    reply_e(req, &e);
}

static void h_delete_subject(bs_http_req_t *req, void *ctx)
{
    const char *subject;
    if (!path_subject(req, &subject, NULL))
        return;
    w_arg_t *a = w_new(subject);
    a->permanent = bs_http_query_bool(req, "permanent");
    bs_reg_enqueue(ctx, req, w_delete_subject, a, w_free);
}

static void w_delete_version(bs_registry_t *r, bs_http_req_t *req, void *arg)
{
    w_arg_t *a = arg;
    bs_reg_err_t e;
    char *key = NULL, *val = NULL;

    MODEL_RD(r);
    bs_reg_subject_t *s = bs_reg_model_subject(&r->model, a->subject);
    if (readonly(r, a->subject, &e))
        goto fail;
    if (!s || s->nv == 0) {
        bs_reg_fail(&e, 404, 40401, "Subject '%s' not found.", a->subject);
        goto fail;
    }
    bs_reg_version_t *v = a->version == -1 ? bs_reg_subject_latest(s, a->permanent)
                                           : bs_reg_subject_version(s, a->version);
    if (!v) {
        if (a->version == -1)
            bs_reg_fail(&e, 404, 40402, "Version latest not found.");
        else
            bs_reg_fail(&e, 404, 40402, "Version %d not found.", (int)a->version);
        goto fail;
    }
    int32_t version = v->version;
    if (!a->permanent && v->deleted) {
        bs_reg_fail(&e, 404, 40406,
                    "Subject '%s' Version %d was soft deleted.Set permanent=true to delete "
                    "permanently",
                    a->subject, (int)version);
        goto fail;
    }
    if (a->permanent && !v->deleted) {
        bs_reg_fail(&e, 404, 40407,
                    "Subject '%s' Version %d was not deleted first before being permanently "
                    "deleted",
                    a->subject, (int)version);
        goto fail;
    }
    json_t *refs = referenced_by(r, a->subject, version, false);
    size_t nrefs = json_array_size(refs);
    json_decref(refs);
    if (nrefs) {
        bs_reg_fail(&e, 422, 42206,
                    "One or more references exist to the schema {subject=%s,version=%d}",
                    a->subject, (int)version);
        goto fail;
    }
    if (!a->permanent) {
        json_t *o = json_object();
        json_object_set_new(o, "subject", json_string(a->subject));
        json_object_set_new(o, "version", json_integer(version));
        json_object_set_new(o, "id", json_integer(v->schema->id));
        if (strcmp(v->schema->type, "AVRO") != 0)
            json_object_set_new(o, "schemaType", json_string(v->schema->type));
        if (v->schema->refs)
            json_object_set(o, "references", v->schema->refs);
        json_object_set_new(o, "schema", json_string(v->schema->text));
        json_object_set_new(o, "deleted", json_true());
        val = json_dumps(o, JSON_COMPACT | JSON_PRESERVE_ORDER);
        json_decref(o);
    }
    MODEL_UN(r);
    key = bs_reg_key_schema(a->subject, version);
    if (bs_reg_write(r, key, val, &e) != 0)
        goto fail_unlocked;
    bs_http_reply_json(req, 200, json_integer(version));
    free(key);
    free(val);
    return;
fail:
    MODEL_UN(r);
fail_unlocked:
    free(key);
    free(val);
    reply_e(req, &e);
}

static void h_delete_version(bs_http_req_t *req, void *ctx)
{
    const char *subject;
    int32_t version;
    if (!path_subject(req, &subject, &version))
        return;
    w_arg_t *a = w_new(subject);
    a->version = version;
    a->permanent = bs_http_query_bool(req, "permanent");
    bs_reg_enqueue(ctx, req, w_delete_version, a, w_free);
}

/* ------------------------------------------------------------------------ */
/* /config                                                                    */

static const char *level_valid(const char *s)
{
    int l = s ? bs_avro_compat_level_parse(s) : -1;
    return l < 0 ? NULL : bs_avro_compat_level_name((bs_avro_compat_level_t)l);
}

/* GET shape: {"compatibilityLevel": ..., other fields} (new reference). */
static json_t *config_view(bs_registry_t *r, const json_t *cfg)
{
    json_t *o = json_object();
    const char *l = json_string_value(json_object_get(cfg, "compatibilityLevel"));
    json_object_set_new(o, "compatibilityLevel", json_string(l ? l : r->cfg->compat_level));
    const char *k;
    json_t *v;
    json_object_foreach((json_t *)cfg, k, v)
    {
        if (strcmp(k, "compatibilityLevel") != 0)
            json_object_set(o, k, v);
    }
    return o;
}

static void h_config_get(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    const char *subject = bs_http_param(req, "subject");
    bs_reg_err_t e;
    if (subject && bs_reg_check_subject(subject, &e) != 0) {
        reply_e(req, &e);
        return;
    }
    json_t *o = NULL;
    MODEL_RD(r);
    if (!subject) {
        o = config_view(r, r->model.config);
    } else {
        bs_reg_subject_t *s = bs_reg_model_subject(&r->model, subject);
        if (s && s->config)
            o = config_view(r, s->config);
        else if (bs_http_query_bool(req, "defaultToGlobal"))
            o = config_view(r, r->model.config);
    }
    MODEL_UN(r);
    if (o)
        bs_http_reply_json(req, 200, o);
    else
        bs_http_reply_error(req, 404, 40408,
                            "Subject '%s' does not have subject-level compatibility configured",
                            subject);
}

static void w_config_put(bs_registry_t *r, bs_http_req_t *req, void *arg)
{
    w_arg_t *a = arg;
    bs_reg_err_t e;
    MODEL_RD(r);
    bs_reg_subject_t *s = a->subject ? bs_reg_model_subject(&r->model, a->subject) : NULL;
    const json_t *old = a->subject ? (s ? s->config : NULL) : r->model.config;
    json_t *val = old ? json_deep_copy(old) : json_object();
    MODEL_UN(r);
    const char *k;
    json_t *v;
    json_t *echo = json_object();
    json_object_foreach(a->body, k, v)
    {
        if (json_is_null(v))
            continue;
        if (strcmp(k, "compatibility") == 0 || strcmp(k, "compatibilityLevel") == 0) {
            const char *lvl = level_valid(json_string_value(v));
            json_object_set_new(val, "compatibilityLevel", json_string(lvl));
            json_object_set_new(echo, "compatibility", json_string(lvl));
        } else {
            json_object_set(val, k, v);
            json_object_set(echo, k, v);
        }
    }
    if (!json_object_get(val, "compatibilityLevel"))
        json_object_set_new(val, "compatibilityLevel",
                            json_string(bs_reg_compat_of(r, a->subject)));
    char *key = bs_reg_key_simple("CONFIG", a->subject);
    char *sval = json_dumps(val, JSON_COMPACT | JSON_PRESERVE_ORDER);
    int rc = bs_reg_write(r, key, sval, &e);
    free(key);
    free(sval);
    json_decref(val);
    if (rc != 0) {
        json_decref(echo);
        reply_e(req, &e);
        return;
    }
    bs_http_reply_json(req, 200, echo);
}

static void h_config_put(bs_http_req_t *req, void *ctx)
{
    const char *subject = bs_http_param(req, "subject");
    bs_reg_err_t e;
    if (subject && bs_reg_check_subject(subject, &e) != 0) {
        reply_e(req, &e);
        return;
    }
    json_t *body = body_json(req);
    if (!body)
        return;
    if (!json_is_object(body)) {
        json_decref(body);
        bs_http_reply_error(req, 422, 422, "The request body must be a JSON object");
        return;
    }
    json_t *c = json_object_get(body, "compatibility");
    if (!c)
        c = json_object_get(body, "compatibilityLevel");
    if (c && !json_is_null(c) && !level_valid(json_string_value(c))) {
        json_decref(body);
        bs_http_reply_error(req, 422, 42203,
                            "Invalid compatibility level. Valid values are none, backward, "
                            "forward, full, backward_transitive, forward_transitive, and "
                            "full_transitive");
        return;
    }
    json_t *n = json_object_get(body, "normalize");
    if (n && !json_is_boolean(n) && !json_is_null(n)) {
        json_decref(body);
        bs_http_reply_error(req, 422, 422, "\"normalize\" must be a boolean");
        return;
    }
    w_arg_t *a = w_new(subject);
    a->body = body;
    bs_reg_enqueue(ctx, req, w_config_put, a, w_free);
}

static void w_config_delete(bs_registry_t *r, bs_http_req_t *req, void *arg)
{
    w_arg_t *a = arg;
    bs_reg_err_t e;
    MODEL_RD(r);
    bs_reg_subject_t *s = a->subject ? bs_reg_model_subject(&r->model, a->subject) : NULL;
    const json_t *old = a->subject ? (s ? s->config : NULL) : r->model.config;
    json_t *view = (old || !a->subject) ? config_view(r, old) : NULL;
    MODEL_UN(r);
    if (!view) {
        bs_http_reply_error(req, 404, 40401, "Subject '%s' not found.", a->subject);
        return;
    }
    char *key = bs_reg_key_simple("CONFIG", a->subject);
    int rc = bs_reg_write(r, key, NULL, &e);
    free(key);
    if (rc != 0) {
        json_decref(view);
        reply_e(req, &e);
        return;
    }
    bs_http_reply_json(req, 200, view);
}

static void h_config_delete(bs_http_req_t *req, void *ctx)
{
    const char *subject = bs_http_param(req, "subject");
    bs_reg_err_t e;
    if (subject && bs_reg_check_subject(subject, &e) != 0) {
        reply_e(req, &e);
        return;
    }
    bs_reg_enqueue(ctx, req, w_config_delete, w_new(subject), w_free);
}

/* ------------------------------------------------------------------------ */
/* /mode                                                                      */

static void h_mode_get(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    const char *subject = bs_http_param(req, "subject");
    bs_reg_err_t e;
    if (subject && bs_reg_check_subject(subject, &e) != 0) {
        reply_e(req, &e);
        return;
    }
    char *mode = NULL;
    MODEL_RD(r);
    if (!subject) {
        mode = bs_xstrdup(r->model.mode ? r->model.mode : "READWRITE");
    } else {
        bs_reg_subject_t *s = bs_reg_model_subject(&r->model, subject);
        if (s && s->mode)
            mode = bs_xstrdup(s->mode);
        else if (bs_http_query_bool(req, "defaultToGlobal"))
            mode = bs_xstrdup(r->model.mode ? r->model.mode : "READWRITE");
    }
    MODEL_UN(r);
    if (mode)
        bs_http_reply_json(req, 200, json_pack("{s:s}", "mode", mode));
    else
        bs_http_reply_error(req, 404, 40409,
                            "Subject '%s' does not have subject-level mode configured", subject);
    free(mode);
}

static void w_mode_put(bs_registry_t *r, bs_http_req_t *req, void *arg)
{
    w_arg_t *a = arg;
    bs_reg_err_t e;
    const char *mode = json_string_value(json_object_get(a->body, "mode"));
    if (strcmp(mode, "IMPORT") == 0 && !a->force) {
        MODEL_RD(r);
        bool any = false;
        if (a->subject) {
            any = bs_reg_subject_live(bs_reg_model_subject(&r->model, a->subject)) > 0;
        } else {
            const bs_hmap_ent_t *he;
            for (size_t i = 0; !any && bs_hmap_next(&r->model.subjects, &i, &he);)
                any = bs_reg_subject_live(he->val) > 0;
        }
        MODEL_UN(r);
        if (any) {
            bs_http_reply_error(req, 422, 42205, "Cannot import since found existing subjects");
            return;
        }
    }
    char *key = bs_reg_key_simple("MODE", a->subject);
    json_t *v = json_pack("{s:s}", "mode", mode);
    char *val = json_dumps(v, JSON_COMPACT);
    json_decref(v);
    int rc = bs_reg_write(r, key, val, &e);
    free(key);
    free(val);
    if (rc != 0) {
        reply_e(req, &e);
        return;
    }
    bs_http_reply_json(req, 200, json_pack("{s:s}", "mode", mode));
}

static void h_mode_put(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    const char *subject = bs_http_param(req, "subject");
    bs_reg_err_t e;
    if (subject && bs_reg_check_subject(subject, &e) != 0) {
        reply_e(req, &e);
        return;
    }
    json_t *body = body_json(req);
    if (!body)
        return;
    const char *mode = json_string_value(json_object_get(body, "mode"));
    int ok = -1;
    for (int i = 0; mode && i < 4; i++)
        if (strcasecmp(mode, g_modes[i]) == 0)
            ok = i;
    if (ok < 0) {
        json_decref(body);
        bs_http_reply_error(req, 422, 42204,
                            "Invalid mode. Valid values are READWRITE, READONLY, "
                            "READONLY_OVERRIDE, IMPORT");
        return;
    }
    if (!r->cfg->mode_mutability) {
        json_decref(body);
        bs_http_reply_error(req, 422, 42205, "Mode changes are not allowed");
        return;
    }
    json_object_set_new(body, "mode", json_string(g_modes[ok]));
    w_arg_t *a = w_new(subject);
    a->body = body;
    a->force = bs_http_query_bool(req, "force");
    bs_reg_enqueue(ctx, req, w_mode_put, a, w_free);
}

static void w_mode_delete(bs_registry_t *r, bs_http_req_t *req, void *arg)
{
    w_arg_t *a = arg;
    bs_reg_err_t e;
    MODEL_RD(r);
    bs_reg_subject_t *s = a->subject ? bs_reg_model_subject(&r->model, a->subject) : NULL;
    const char *old =
        a->subject ? (s ? s->mode : NULL) : (r->model.mode ? r->model.mode : "READWRITE");
    char *mode = old ? bs_xstrdup(old) : NULL;
    MODEL_UN(r);
    if (!mode) {
        bs_http_reply_error(req, 404, 40401, "Subject '%s' not found.", a->subject);
        return;
    }
    char *key = bs_reg_key_simple("MODE", a->subject);
    int rc = bs_reg_write(r, key, NULL, &e);
    free(key);
    if (rc != 0)
        reply_e(req, &e);
    else
        bs_http_reply_json(req, 200, json_pack("{s:s}", "mode", mode));
    free(mode);
}

static void h_mode_delete(bs_http_req_t *req, void *ctx)
{
    bs_registry_t *r = ctx;
    const char *subject = bs_http_param(req, "subject");
    bs_reg_err_t e;
    if (subject && bs_reg_check_subject(subject, &e) != 0) {
        reply_e(req, &e);
        return;
    }
    if (!r->cfg->mode_mutability) {
        bs_http_reply_error(req, 422, 42205, "Mode changes are not allowed");
        return;
    }
    bs_reg_enqueue(ctx, req, w_mode_delete, w_new(subject), w_free);
}

/* ------------------------------------------------------------------------ */
/* /compatibility                                                             */

static void compat(bs_http_req_t *req, bs_registry_t *r, bool one)
{
    const char *subject;
    int32_t version = -1;
    bs_reg_err_t e;
    bs_reg_prep_t p;
    if (!path_subject(req, &subject, one ? &version : NULL))
        return;
    bool verbose = bs_http_query_bool(req, "verbose");
    json_t *body = body_json(req);
    if (!body)
        return;
    MODEL_RD(r);
    bool norm = bs_http_query_bool(req, "normalize") || bs_reg_normalize_of(r, subject);
    MODEL_UN(r);
    int rc = bs_reg_prepare(r, subject, body, norm, &p, &e);
    json_decref(body);
    if (rc != 0) {
        if (verbose && e.code == 42201) {
            bs_http_reply_json(req, 200,
                               json_pack("{s:b,s:[s]}", "is_compatible", 0, "messages", e.msg));
        } else {
            reply_e(req, &e);
        }
        return;
    }
    json_t *msgs = json_array();
    int ok = 1;
    bool failed = false;
    MODEL_RD(r);
    bs_reg_subject_t *s = bs_reg_model_subject(&r->model, subject);
    const bs_reg_version_t *only = NULL;
    if (one && version != -1) {
        if (!s || s->nv == 0) {
            bs_reg_fail(&e, 404, 40401, "Subject '%s' not found.", subject);
            failed = true;
        } else if (!(only = need_version(s, version, false, bs_http_param(req, "version"), &e))) {
            failed = true;
        }
    } else if (one) {
        only = bs_reg_subject_latest(s, false);
        if (!only)
            goto unlock; /* no versions: compatible */
    }
    if (!failed)
        ok = bs_reg_check_compat(r, &p, bs_reg_compat_of(r, subject), only, msgs);
unlock:
    MODEL_UN(r);
    bs_reg_prep_free(&p);
    if (failed) {
        json_decref(msgs);
        reply_e(req, &e);
        return;
    }
    json_t *o = json_pack("{s:b}", "is_compatible", ok);
    if (verbose && json_array_size(msgs))
        json_object_set(o, "messages", msgs);
    json_decref(msgs);
    bs_http_reply_json(req, 200, o);
}

static void h_compat_one(bs_http_req_t *req, void *ctx)
{
    compat(req, ctx, true);
}

static void h_compat_all(bs_http_req_t *req, void *ctx)
{
    compat(req, ctx, false);
}

/* ------------------------------------------------------------------------ */

/* clang-format off */
const bs_http_route_t bs_reg_routes[] = {
    {"GET",    "/",                                                  h_root},
    {"POST",   "/",                                                  h_root},
    {"GET",    "/v1/metadata/id",                                    h_metadata_id},
    {"GET",    "/v1/metadata/version",                               h_metadata_version},
    {"GET",    "/schemas/types",                                     h_types},
    {"GET",    "/schemas",                                           h_schemas},
    {"GET",    "/schemas/ids/{id}",                                  h_schema_by_id},
    {"GET",    "/schemas/ids/{id}/schema",                           h_schema_by_id_raw},
    {"GET",    "/schemas/ids/{id}/subjects",                         h_schema_subjects},
    {"GET",    "/schemas/ids/{id}/versions",                         h_schema_versions},
    {"GET",    "/subjects",                                          h_subjects},
    {"POST",   "/subjects/{subject}",                                h_lookup},
    {"DELETE", "/subjects/{subject}",                                h_delete_subject},
    {"GET",    "/subjects/{subject}/versions",                       h_versions_list},
    {"POST",   "/subjects/{subject}/versions",                       h_register},
    {"GET",    "/subjects/{subject}/versions/{version}",             h_version_get},
    {"DELETE", "/subjects/{subject}/versions/{version}",             h_delete_version},
    {"GET",    "/subjects/{subject}/versions/{version}/schema",      h_version_schema},
    {"GET",    "/subjects/{subject}/versions/{version}/referencedby", h_referencedby},
    {"GET",    "/config",                                            h_config_get},
    {"PUT",    "/config",                                            h_config_put},
    {"DELETE", "/config",                                            h_config_delete},
    {"GET",    "/config/{subject}",                                  h_config_get},
    {"PUT",    "/config/{subject}",                                  h_config_put},
    {"DELETE", "/config/{subject}",                                  h_config_delete},
    {"GET",    "/mode",                                              h_mode_get},
    {"PUT",    "/mode",                                              h_mode_put},
    {"DELETE", "/mode",                                              h_mode_delete},
    {"GET",    "/mode/{subject}",                                    h_mode_get},
    {"PUT",    "/mode/{subject}",                                    h_mode_put},
    {"DELETE", "/mode/{subject}",                                    h_mode_delete},
    {"POST",   "/compatibility/subjects/{subject}/versions",         h_compat_all},
    {"POST",   "/compatibility/subjects/{subject}/versions/{version}", h_compat_one},
    {"GET",    "/contexts",                                          h_contexts},
};
/* clang-format on */
const int bs_reg_nroutes = (int)(sizeof bs_reg_routes / sizeof bs_reg_routes[0]);
