/*
 * v2_avro.c — the avro embedded format of the REST Proxy on top of Basin's
 * serdes library (include/basin/serdes.h): one Schema Registry client per
 * process (thread-safe, caches ids and schemas), one serializer per produce
 * side and one deserializer per consumer instance (serdes objects are not
 * thread-safe; an instance is used by one worker at a time).
 *
 * Produce (Confluent v2 rules): a request carries key_schema / value_schema
 * (schema text, registered under <topic>-key / <topic>-value, the returned
 * id goes back in key_schema_id / value_schema_id) or key_schema_id /
 * value_schema_id (fetched by id). Values are Avro JSON encoding. Errors:
 * invalid schema 42205, registry error codes passed through (e.g. 409
 * incompatible), unreachable registry 50002, bad value 42203.
 *
 * API v3 schema-based records (bs_rest_sch_*): each key/value side names its
 * schema (schema_id, schema_version + subject/strategy, raw schema, or none
 * = latest) and its type (AVRO, JSONSCHEMA; PROTOBUF is recognised and
 * refused). Resolution runs on a worker (registry calls block); the
 * registry client caches ids, schemas and registrations, and sch_cache_t
 * (one per REST Proxy, bounded) the versions a schema has under a subject
 * and explicit (subject, version) lookups, so only "latest" reaches the
 * registry every time (a request or stream asks once per distinct side:
 * produce.c). Confluent's checks
 * (SchemaManagerImpl): RECORD_NAME strategies need the schema itself, the
 * registry's type must match the requested one, an unknown version is
 * "Schema does not exist for subject: S, version: V".
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <basin/serdes.h>

#include "base/arena.h"
#include "base/log.h"
#include "rest/rest_int.h"

struct bs_rest_avro_enc_s {
    bs_avro_serializer_t *ser;
    int id;
};

struct bs_rest_avro_dec_s {
    bs_avro_deserializer_t *des;
};

/* Registry answers that do not change (bar deletions): the version of a
 * schema under a subject, and what (subject, version) holds. Bounded:
 * beyond SCH_CACHE_MAX entries results go uncached. */
#define SCH_CACHE_MAX 10000

typedef struct sch_ver_s {
    int id, version;
    char *text, *type;
} sch_ver_t;

typedef struct sch_cache_s {
    pthread_mutex_t mu;
    bs_hmap_t vers;  /* "<subject>\n<type>\n<text>" -> version + 1 */
    bs_hmap_t byver; /* "<subject>\n<version>" -> sch_ver_t */
} sch_cache_t;

int bs_rest_avro_init(bs_rest_t *r, char *err, size_t errlen)
{
    sch_cache_t *sc = bs_xcalloc(1, sizeof *sc);
    pthread_mutex_init(&sc->mu, NULL);
    bs_hmap_init(&sc->vers);
    bs_hmap_init(&sc->byver);
    r->sch_cache = sc;
    r->avro = bs_sr_client_new(r->cfg->schema_registry_url, NULL, err, errlen);
    return r->avro ? 0 : -1;
}

void bs_rest_avro_free(bs_rest_t *r)
{
    if (r->avro)
        bs_sr_client_destroy(r->avro);
    r->avro = NULL;
    sch_cache_t *sc = r->sch_cache;
    if (sc) {
        const bs_hmap_ent_t *e;
        for (size_t i = 0; bs_hmap_next(&sc->byver, &i, &e);) {
            sch_ver_t *v = e->val;
            free(v->text);
            free(v->type);
            free(v);
        }
        bs_hmap_free(&sc->byver);
        bs_hmap_free(&sc->vers);
        pthread_mutex_destroy(&sc->mu);
        free(sc);
    }
    r->sch_cache = NULL;
}

static char *vers_key(const char *subject, const char *type, const char *text, size_t *klen)
{
    size_t n = strlen(subject) + strlen(type) + strlen(text) + 3;
    char *k = bs_xmalloc(n);
    *klen = (size_t)snprintf(k, n, "%s\n%s\n%s", subject, type, text);
    return k;
}

/* bs_sr_lookup with the version, remembered. Returns 0 or -1 with e. */
static int sch_lookup_version(bs_rest_t *r, const char *subject, const char *text, const char *type,
                              int *id, int *version, bs_sr_error_t *e)
{
    sch_cache_t *sc = r->sch_cache;
    size_t klen;
    char *key = vers_key(subject, type ? type : "AVRO", text, &klen);
    pthread_mutex_lock(&sc->mu);
    intptr_t v = (intptr_t)bs_hmap_get(&sc->vers, key, klen);
    pthread_mutex_unlock(&sc->mu);
    int rc = 0;
    if (v > 0 && bs_sr_lookup(r->avro, subject, text, type, id, NULL, e) == 0) {
        *version = (int)(v - 1); /* the id comes from the client's cache */
    } else if ((rc = bs_sr_lookup(r->avro, subject, text, type, id, version, e)) == 0) {
        pthread_mutex_lock(&sc->mu);
        if (bs_hmap_count(&sc->vers) < SCH_CACHE_MAX)
            bs_hmap_put(&sc->vers, key, klen, (void *)((intptr_t)*version + 1));
        pthread_mutex_unlock(&sc->mu);
    }
    free(key);
    return rc;
}

/* bs_sr_get_version for an explicit version, remembered. */
static int sch_get_version(bs_rest_t *r, const char *subject, int version, int *id, int *ver,
                           char **text, char **type, bs_sr_error_t *e)
{
    sch_cache_t *sc = r->sch_cache;
    char key[600];
    size_t klen = (size_t)snprintf(key, sizeof key, "%s\n%d", subject, version);
    if (klen >= sizeof key || version <= 0)
        return bs_sr_get_version(r->avro, subject, version, id, ver, text, type, e);
    pthread_mutex_lock(&sc->mu);
    sch_ver_t *v = bs_hmap_get(&sc->byver, key, klen);
    if (v) {
        *id = v->id, *ver = v->version;
        *text = bs_xstrdup(v->text);
        *type = bs_xstrdup(v->type);
    }
    pthread_mutex_unlock(&sc->mu);
    if (v)
        return 0;
    if (bs_sr_get_version(r->avro, subject, version, id, ver, text, type, e) != 0)
        return -1;
    pthread_mutex_lock(&sc->mu);
    if (!bs_hmap_get(&sc->byver, key, klen) && bs_hmap_count(&sc->byver) < SCH_CACHE_MAX) {
        v = bs_xcalloc(1, sizeof *v);
        v->id = *id, v->version = *ver;
        v->text = bs_xstrdup(*text);
        v->type = bs_xstrdup(*type);
        bs_hmap_put(&sc->byver, key, klen, v);
    }
    pthread_mutex_unlock(&sc->mu);
    return 0;
}

static void sr_fail(const bs_sr_error_t *e, int *status, int *code, char *msg, size_t msglen,
                    const char *what)
{
    if (e->http_status >= 400 && e->error_code > 0) {
        *status = e->http_status;
        *code = e->error_code;
    } else {
        *status = 500;
        *code = 50002;
    }
    snprintf(msg, msglen, "%s: %s", what, e->message);
}

/* ------------------------------------------------------------------------
 * API v3 schema-based records
 * ---------------------------------------------------------------------- */

_Static_assert((int)BS_REST_SNS_RECORD_NAME == (int)BS_SUBJECT_RECORD_NAME &&
                   (int)BS_REST_SNS_TOPIC_RECORD_NAME == (int)BS_SUBJECT_TOPIC_RECORD_NAME,
               "bs_rest_sns_t follows bs_subject_strategy_t");

static const char *sns_name(int s)
{
    return s == BS_REST_SNS_RECORD_NAME         ? "RECORD_NAME"
           : s == BS_REST_SNS_TOPIC_RECORD_NAME ? "TOPIC_RECORD_NAME"
                                                : "TOPIC_NAME";
}

/* The registry's schemaType of a v3 type, and back. */
static const char *sch_type_name(int fmt)
{
    return fmt == BS_REST_FMT_JSONSCHEMA ? "JSON"
           : fmt == BS_REST_FMT_PROTOBUF ? "PROTOBUF"
                                         : "AVRO";
}

static int sch_type_fmt(const char *t)
{
    if (!t || strcmp(t, "AVRO") == 0)
        return BS_REST_FMT_AVRO;
    if (strcmp(t, "JSON") == 0)
        return BS_REST_FMT_JSONSCHEMA;
    if (strcmp(t, "PROTOBUF") == 0)
        return BS_REST_FMT_PROTOBUF;
    return -1;
}

static const char *v3_fmt_name(int fmt)
{
    return fmt == BS_REST_FMT_JSONSCHEMA ? "JSONSCHEMA"
           : fmt == BS_REST_FMT_PROTOBUF ? "PROTOBUF"
                                         : "AVRO";
}

/* Registry failure: its own code when it answered, else 500/50002 naming
 * schema.registry.url. */
static void sch_fail(bs_rest_t *r, const bs_sr_error_t *e, int *status, int *code, char *msg,
                     size_t msglen, const char *what)
{
    if (e->http_status >= 400 && e->error_code > 0) {
        *status = e->http_status < 600 ? e->http_status : 500;
        *code = e->error_code;
        snprintf(msg, msglen, "%s: %s", what, e->message);
    } else {
        *status = 500;
        *code = 50002;
        snprintf(msg, msglen, "%s: the Schema Registry at %s (schema.registry.url) failed: %s",
                 what, r->cfg->schema_registry_url, e->message);
    }
}

static void sch_bad(int *status, int *code, char *msg, size_t msglen, const char *fmt,
                    const char *a, const char *b)
{
    *status = 400;
    *code = 400;
    snprintf(msg, msglen, fmt, a, b);
}

/* The record name a RECORD_NAME strategy needs: the Avro schema's full name,
 * or a JSON schema's "title" (Confluent's JsonSchema name). */
static int sch_subject(const bs_rest_sch_req_t *q, int fmt, const char *topic, bool is_key,
                       const char *text, char *out, size_t outlen, int *status, int *code,
                       char *msg, size_t msglen)
{
    if (q->subject) {
        snprintf(out, outlen, "%s", q->subject);
        return 0;
    }
    if (q->strategy == BS_REST_SNS_TOPIC_NAME) {
        snprintf(out, outlen, "%s-%s", topic, is_key ? "key" : "value");
        return 0;
    }
    if (!text) {
        /* Confluent: the strategy needs the schema to name the subject */
        *status = 400, *code = 400;
        snprintf(msg, msglen, "Cannot use schema_subject_strategy=%s without schema_id or schema.",
                 sns_name(q->strategy));
        return -1;
    }
    char err[400];
    if (fmt == BS_REST_FMT_AVRO) {
        bs_serdes_schema_t *s = bs_serdes_schema_new(text, (size_t)-1, err, sizeof err);
        int rc = s ? bs_avro_subject_name((bs_subject_strategy_t)q->strategy, is_key, topic, s, out,
                                          outlen, err, sizeof err)
                   : -1;
        bs_serdes_schema_destroy(s);
        if (rc != 0) {
            sch_bad(status, code, msg, msglen, "Cannot name the subject with %s: %s",
                    sns_name(q->strategy), err);
            return -1;
        }
        return 0;
    }
    json_t *j = json_loads(text, JSON_DECODE_ANY, NULL);
    const char *title = json_string_value(json_object_get(j, "title"));
    if (!title) {
        json_decref(j);
        sch_bad(status, code, msg, msglen, "%s needs a JSON schema with a \"title\"%s",
                sns_name(q->strategy), "");
        return -1;
    }
    if (q->strategy == BS_REST_SNS_RECORD_NAME)
        snprintf(out, outlen, "%s", title);
    else
        snprintf(out, outlen, "%s-%s", topic, title);
    json_decref(j);
    return 0;
}

int bs_rest_sch_resolve(bs_rest_t *r, const char *topic, bool is_key, const bs_rest_sch_req_t *q,
                        bs_rest_sch_t *out, int *status, int *code, char *msg, size_t msglen)
{
    bs_sr_client_t *c = r->avro;
    bs_sr_error_t e;
    char *text = NULL, *type = NULL, what[700];
    int rc = -1, ver = -1, id = -1;
    memset(&e, 0, sizeof e);
    memset(out, 0, sizeof *out);
    out->version = -1;
    if (q->fmt == BS_REST_FMT_PROTOBUF)
        goto protobuf;
    if (!c) {
        *status = 500, *code = 50002;
        snprintf(msg, msglen,
                 "The Schema Registry client is not available (schema.registry.url %s)",
                 r->cfg->schema_registry_url);
        return -1;
    }
    int fmt = q->fmt;
    if (q->id >= 0) {
        id = (int)q->id;
        if (bs_sr_get_by_id_type(c, id, &text, &type, &e) != 0) {
            snprintf(what, sizeof what, "Error when fetching schema by id. schemaId = %d", id);
            sch_fail(r, &e, status, code, msg, msglen, what);
            goto done;
        }
    } else if (q->version >= 0 || !q->schema) {
        /* schema_version, or the latest version: the subject cannot come
         * from the schema here */
        if (sch_subject(q, fmt, topic, is_key, NULL, out->subject, sizeof out->subject, status,
                        code, msg, msglen) != 0)
            goto done;
        if (sch_get_version(r, out->subject, q->version >= 0 ? (int)q->version : -1, &id, &ver,
                            &text, &type, &e) != 0) {
            if (q->version >= 0)
                snprintf(what, sizeof what, "Schema does not exist for subject: %s, version: %d",
                         out->subject, (int)q->version);
            else
                snprintf(what, sizeof what,
                         "Error when fetching latest schema version. subject = %s", out->subject);
            sch_fail(r, &e, status, code, msg, msglen, what);
            goto done;
        }
        out->version = ver;
    } else {
        /* a raw schema: its type is the request's */
        if (fmt < 0) {
            sch_bad(status, code, msg, msglen, "%s", "'schema' needs a 'type' (AVRO or JSONSCHEMA)",
                    NULL);
            goto done;
        }
        char err[400];
        if (fmt == BS_REST_FMT_AVRO) {
            bs_serdes_schema_t *s = bs_serdes_schema_new(q->schema, (size_t)-1, err, sizeof err);
            if (!s) {
                sch_bad(status, code, msg, msglen, "Error parsing schema with format = AVRO: %s",
                        err, NULL);
                goto done;
            }
            bs_serdes_schema_destroy(s);
        } else {
            json_error_t je;
            json_t *j = json_loads(q->schema, JSON_DECODE_ANY, &je);
            if (!json_is_object(j) && !json_is_boolean(j)) {
                json_decref(j);
                sch_bad(status, code, msg, msglen,
                        "Error parsing schema with format = JSONSCHEMA: %s",
                        j ? "not an object" : je.text, NULL);
                goto done;
            }
            json_decref(j);
        }
        text = bs_xstrdup(q->schema);
        type = bs_xstrdup(sch_type_name(fmt));
    }
    int got = sch_type_fmt(type);
    if (got == BS_REST_FMT_PROTOBUF)
        goto protobuf;
    if (got < 0 || (fmt >= 0 && got != fmt)) {
        *status = 400, *code = 400;
        snprintf(msg, msglen, "The schema is of type %s, not %s", type,
                 fmt >= 0 ? v3_fmt_name(fmt) : "AVRO or JSONSCHEMA");
        goto done;
    }
    fmt = got;
    if (!out->subject[0] && sch_subject(q, fmt, topic, is_key, text, out->subject,
                                        sizeof out->subject, status, code, msg, msglen) != 0)
        goto done;
    const char *stype = fmt == BS_REST_FMT_AVRO ? NULL : type; /* AVRO is not sent */
    if (q->schema) {
        /* Confluent: look the schema up under the subject, register it if
         * it is not there yet */
        if (sch_lookup_version(r, out->subject, text, stype, &id, &ver, &e) == 0) {
            out->version = ver;
        } else if (e.http_status == 404) {
            snprintf(what, sizeof what, "Error when registering schema. format = %s, subject = %s",
                     v3_fmt_name(fmt), out->subject);
            if (bs_sr_register(c, out->subject, text, stype, &id, &e) != 0) {
                sch_fail(r, &e, status, code, msg, msglen, what);
                goto done;
            }
            memset(&e, 0, sizeof e);
            if (sch_lookup_version(r, out->subject, text, stype, &id, &ver, &e) == 0)
                out->version = ver;
        } else {
            snprintf(what, sizeof what, "Error when looking up schema. subject = %s", out->subject);
            sch_fail(r, &e, status, code, msg, msglen, what);
            goto done;
        }
    } else if (q->id >= 0) {
        /* the version of the schema under the subject, when it is there */
        int id2;
        if (sch_lookup_version(r, out->subject, text, stype, &id2, &ver, &e) == 0)
            out->version = ver;
    }
    out->fmt = fmt;
    out->id = id;
    rc = 0;
    goto done;
protobuf:
    *status = 400, *code = 400;
    snprintf(msg, msglen,
             "PROTOBUF records are not supported by Basin's REST Proxy (no Protobuf "
             "serializer): use AVRO, JSONSCHEMA, JSON, STRING or BINARY");
done:
    free(text);
    free(type);
    return rc;
}

int bs_rest_sch_encode(bs_rest_t *r, const char *topic, bool is_key, const bs_rest_sch_t *s,
                       json_t *data, uint8_t **out, size_t *len, int *status, int *code, char *msg,
                       size_t msglen)
{
    if (s->fmt == BS_REST_FMT_JSONSCHEMA) {
        char *text = json_dumps(data, JSON_COMPACT | JSON_ENCODE_ANY);
        if (!text) {
            *status = 400, *code = 400;
            snprintf(msg, msglen, "data cannot be encoded as JSON");
            return -1;
        }
        size_t n = strlen(text);
        uint8_t *b = bs_xmalloc(BS_SERDES_HEADER_LEN + n);
        bs_serdes_wire_header(b, s->id);
        memcpy(b + BS_SERDES_HEADER_LEN, text, n);
        free(text);
        *out = b;
        *len = BS_SERDES_HEADER_LEN + n;
        return 0;
    }
    int id = -1;
    bs_rest_avro_enc_t *en =
        bs_rest_avro_enc_new(r, topic, is_key, NULL, s->id, &id, status, code, msg, msglen);
    if (!en)
        return -1;
    char m[400];
    int rc = bs_rest_avro_enc_one(en, data, out, len, m, sizeof m);
    bs_rest_avro_enc_free(en);
    if (rc != 0) {
        /* Confluent's v3 answers a datum that does not fit with 400 */
        *status = 400, *code = 400;
        snprintf(msg, msglen, "Conversion of JSON to Avro failed: %s", m);
    }
    return rc;
}

bs_rest_avro_enc_t *bs_rest_avro_enc_new(bs_rest_t *r, const char *topic, bool is_key,
                                         const char *schema_text, int schema_id, int *id_out,
                                         int *status, int *code, char *msg, size_t msglen)
{
    bs_sr_client_t *c = r->avro;
    bs_sr_error_t e;
    char err[512];
    memset(&e, 0, sizeof e);
    if (!c) {
        *status = 500, *code = 50002;
        snprintf(msg, msglen,
                 "The Schema Registry client is not available (schema.registry.url %s)",
                 r->cfg->schema_registry_url);
        return NULL;
    }
    int id = schema_id;
    if (schema_text) {
        bs_serdes_schema_t *s = bs_serdes_schema_new(schema_text, (size_t)-1, err, sizeof err);
        if (!s) {
            *status = 422, *code = 42205;
            snprintf(msg, msglen, "Invalid schema: %s", err);
            return NULL;
        }
        bs_serdes_schema_destroy(s);
        char subject[600];
        snprintf(subject, sizeof subject, "%s-%s", topic, is_key ? "key" : "value");
        if (bs_sr_register(c, subject, schema_text, NULL, &id, &e) != 0) {
            sr_fail(&e, status, code, msg, msglen, "Schema registration failed");
            return NULL;
        }
    } else {
        bs_serdes_schema_t *s = bs_sr_schema_by_id(c, id, &e);
        if (!s) {
            sr_fail(&e, status, code, msg, msglen, "Schema lookup failed");
            return NULL;
        }
        bs_serdes_schema_destroy(s);
    }
    bs_avro_serializer_t *ser = bs_avro_serializer_new(c, NULL, is_key ? 1 : 0, err, sizeof err);
    if (!ser) {
        *status = 500, *code = 50002;
        snprintf(msg, msglen, "Avro serializer: %s", err);
        return NULL;
    }
    bs_rest_avro_enc_t *en = bs_xcalloc(1, sizeof *en);
    en->ser = ser;
    en->id = id;
    *id_out = id;
    return en;
}

int bs_rest_avro_enc_one(bs_rest_avro_enc_t *en, json_t *v, uint8_t **out, size_t *len, char *msg,
                         size_t msglen)
{
    int rc = -1;
    char *text = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    bs_serdes_buf_t b;
    bs_sr_error_t e;
    memset(&e, 0, sizeof e);
    bs_serdes_buf_init(&b);
    if (!text) {
        snprintf(msg, msglen, "value cannot be encoded as JSON");
        goto done;
    }
    if (bs_avro_serialize_json_id(en->ser, en->id, text, strlen(text), &b, &e) != 0) {
        snprintf(msg, msglen, "%s", e.message);
        goto done;
    }
    *out = b.data; /* ownership moves to the caller */
    *len = b.len;
    b.data = NULL;
    rc = 0;
done:
    bs_serdes_buf_free(&b);
    free(text);
    return rc;
}

void bs_rest_avro_enc_free(bs_rest_avro_enc_t *en)
{
    if (!en)
        return;
    bs_avro_serializer_destroy(en->ser);
    free(en);
}

bs_rest_avro_dec_t *bs_rest_avro_dec_new(bs_rest_t *r, char *msg, size_t msglen)
{
    if (!r->avro) {
        snprintf(msg, msglen, "The Schema Registry client is not available");
        return NULL;
    }
    bs_avro_deserializer_t *d = bs_avro_deserializer_new(r->avro, NULL, msg, msglen);
    if (!d)
        return NULL;
    bs_rest_avro_dec_t *dd = bs_xcalloc(1, sizeof *dd);
    dd->des = d;
    return dd;
}

int bs_rest_avro_dec_one(bs_rest_avro_dec_t *d, const void *buf, size_t len, bs_wbuf_t *w,
                         char *msg, size_t msglen)
{
    bs_serdes_buf_t b;
    bs_sr_error_t e;
    memset(&e, 0, sizeof e);
    bs_serdes_buf_init(&b);
    if (bs_avro_deserialize_json(d->des, buf, len, &b, &e) != 0) {
        snprintf(msg, msglen, "%s", e.message);
        bs_serdes_buf_free(&b);
        return -1;
    }
    bs_wbuf_put(w, b.data, b.len);
    bs_serdes_buf_free(&b);
    return 0;
}

void bs_rest_avro_dec_free(bs_rest_avro_dec_t *d)
{
    if (!d)
        return;
    bs_avro_deserializer_destroy(d->des);
    free(d);
}
