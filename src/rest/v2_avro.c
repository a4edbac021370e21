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

int bs_rest_avro_init(bs_rest_t *r, char *err, size_t errlen)
{
    r->avro = bs_sr_client_new(r->cfg->schema_registry_url, NULL, err, errlen);
    return r->avro ? 0 : -1;
}

void bs_rest_avro_free(bs_rest_t *r)
{
    if (r->avro)
        bs_sr_client_destroy(r->avro);
    r->avro = NULL;
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
