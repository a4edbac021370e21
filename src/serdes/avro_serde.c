/*
 * avro_serde.c — Avro serializer and deserializer over the Confluent wire
 * format, and the subject name strategies.
 *
 * Serializer fast path (the one bench/serdes_bench.c measures): the schema
 * id of (schema object, topic) is cached per serializer in a small table
 * with a "last hit" slot, so a record costs one pointer compare, one strcmp
 * of the topic and avro_value_write() into the caller's buffer (grown and
 * retried when avro-c reports ENOSPC). The JSON path additionally parses the
 * text into a generic value kept per cache entry.
 *
 * Deserializer: per writer id it keeps the writer schema, a reusable generic
 * value of it and, with a reader schema, a reusable reader value that
 * bs_avro_resolve() fills. Payload bytes are decoded by avro_value_read from
 * a memory reader; a short or malformed payload yields an error naming the
 * schema id, never a crash.
 *
 * Neither object is thread-safe; both hold a (non-owning) pointer to the
 * registry client, which must outlive them.
 */
#include "serdes_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SER_CACHE_MAX 64

typedef struct ser_entry_s {
    bs_serdes_schema_t *schema; /* key (reference held) */
    char *topic;                /* key */
    int id;
    bs_serdes_schema_t *latest; /* use.latest.version: the schema to write with */
    int has_value;
    avro_value_t value; /* generic value of (latest ? latest : schema) for JSON / resolution */
} ser_entry_t;

struct bs_avro_serializer_s {
    bs_sr_client_t *c;
    int is_key;
    int auto_register, use_latest;
    bs_subject_strategy_t strategy;
    ser_entry_t ents[SER_CACHE_MAX];
    int nents, last;
    avro_writer_t w;
    /* value.schema.id path */
    int id_slot;
    bs_serdes_schema_t *id_schema;
    avro_value_t id_value;
};

int bs_avro_subject_name(bs_subject_strategy_t strategy, int is_key, const char *topic,
                         const bs_serdes_schema_t *schema, char *out, size_t outlen, char *err,
                         size_t errlen)
{
    const char *full = schema ? bs_serdes_schema_fullname(schema) : NULL;
    int n;
    if (strategy != BS_SUBJECT_TOPIC_NAME && !full) {
        bs_serdes_fmt(
            err, errlen, "%s needs a named schema (record, enum or fixed); this schema has no name",
            strategy == BS_SUBJECT_RECORD_NAME ? "RecordNameStrategy" : "TopicRecordNameStrategy");
        return -1;
    }
    if (strategy != BS_SUBJECT_RECORD_NAME && (!topic || !*topic)) {
        bs_serdes_fmt(err, errlen, "the subject name strategy needs a topic name");
        return -1;
    }
    switch (strategy) {
    case BS_SUBJECT_TOPIC_NAME:
        n = snprintf(out, outlen, "%s-%s", topic, is_key ? "key" : "value");
        break;
    case BS_SUBJECT_RECORD_NAME:
        n = snprintf(out, outlen, "%s", full);
        break;
    case BS_SUBJECT_TOPIC_RECORD_NAME:
        n = snprintf(out, outlen, "%s-%s", topic, full);
        break;
    default:
        bs_serdes_fmt(err, errlen, "unknown subject name strategy %d", (int)strategy);
        return -1;
    }
    if (n < 0 || (size_t)n >= outlen) {
        bs_serdes_fmt(err, errlen, "subject name longer than %zu bytes", outlen - 1);
        return -1;
    }
    return 0;
}

bs_avro_serializer_t *bs_avro_serializer_new(bs_sr_client_t *c, const bs_serdes_conf_t *conf,
                                             int is_key, char *err, size_t errlen)
{
    bs_serdes_conf_t d;
    if (!c) {
        bs_serdes_fmt(err, errlen, "the Avro serializer needs a schema registry client");
        return NULL;
    }
    if (!conf) {
        bs_serdes_conf_init(&d);
        conf = &d;
    }
    bs_avro_serializer_t *s = calloc(1, sizeof(*s));
    if (!s) {
        bs_serdes_fmt(err, errlen, "out of memory");
        return NULL;
    }
    s->c = c;
    s->is_key = is_key;
    s->auto_register = conf->auto_register_schemas;
    s->use_latest = conf->use_latest_version;
    s->strategy = is_key ? conf->key_subject_strategy : conf->value_subject_strategy;
    s->id_slot = -1;
    s->w = avro_writer_memory(NULL, 0);
    if (!s->w) {
        free(s);
        bs_serdes_fmt(err, errlen, "out of memory");
        return NULL;
    }
    return s;
}

static void ent_clear(ser_entry_t *e)
{
    bs_serdes_schema_destroy(e->schema);
    bs_serdes_schema_destroy(e->latest);
    if (e->has_value)
        avro_value_decref(&e->value);
    free(e->topic);
    memset(e, 0, sizeof(*e));
}

void bs_avro_serializer_destroy(bs_avro_serializer_t *s)
{
    if (!s)
        return;
    for (int i = 0; i < s->nents; i++)
        ent_clear(&s->ents[i]);
    if (s->id_schema) {
        avro_value_decref(&s->id_value);
        bs_serdes_schema_destroy(s->id_schema);
    }
    avro_writer_free(s->w);
    free(s);
}

static ser_entry_t *ent_find(bs_avro_serializer_t *s, bs_serdes_schema_t *schema, const char *topic)
{
    const char *t = topic ? topic : "";
    if (s->nents) {
        ser_entry_t *e = &s->ents[s->last];
        if (e->schema == schema && !strcmp(e->topic, t))
            return e;
    }
    for (int i = 0; i < s->nents; i++) {
        ser_entry_t *e = &s->ents[i];
        if (e->schema == schema && !strcmp(e->topic, t)) {
            s->last = i;
            return e;
        }
    }
    return NULL;
}

static ser_entry_t *ent_resolve(bs_avro_serializer_t *s, const char *topic,
                                bs_serdes_schema_t *schema, bs_sr_error_t *e)
{
    char subject[1024], err[300];
    int id = -1;
    bs_serdes_schema_t *latest = NULL;
    ser_entry_t *en = ent_find(s, schema, topic);
    if (en)
        return en;
    if (bs_avro_subject_name(s->strategy, s->is_key, topic, schema, subject, sizeof(subject), err,
                             sizeof(err))) {
        bs_sr_seterr(e, BS_SR_ERR_INVALID, 0, "%s", err);
        return NULL;
    }
    if (s->use_latest) {
        if (bs_sr_latest(s->c, subject, &id, NULL, NULL, e))
            return NULL;
        latest = bs_sr_schema_by_id(s->c, id, e);
        if (!latest)
            return NULL;
    } else if (s->auto_register) {
        if (bs_sr_register(s->c, subject, bs_serdes_schema_text(schema), NULL, &id, e))
            return NULL;
    } else {
        if (bs_sr_lookup(s->c, subject, bs_serdes_schema_text(schema), NULL, &id, NULL, e))
            return NULL;
    }
    if (s->nents == SER_CACHE_MAX) { /* full: start over (rare: 64 schema x topic pairs) */
        for (int i = 0; i < s->nents; i++)
            ent_clear(&s->ents[i]);
        s->nents = 0;
    }
    en = &s->ents[s->nents];
    memset(en, 0, sizeof(*en));
    en->topic = strdup(topic ? topic : "");
    if (!en->topic) {
        bs_serdes_schema_destroy(latest);
        bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "out of memory");
        return NULL;
    }
    en->schema = bs_serdes_schema_keep(schema);
    en->id = id;
    en->latest = latest;
    s->last = s->nents++;
    return en;
}

int bs_avro_serializer_schema_id(bs_avro_serializer_t *s, const char *topic,
                                 bs_serdes_schema_t *schema, int *id_out,
                                 bs_serdes_schema_t **latest_out, bs_sr_error_t *e)
{
    ser_entry_t *en = ent_resolve(s, topic, schema, e);
    if (!en)
        return -1;
    *id_out = en->id;
    if (latest_out)
        *latest_out = bs_serdes_schema_keep(en->latest);
    return 0;
}

/* Writes header + binary of v into out (replacing its content). */
static int encode(bs_avro_serializer_t *s, int id, avro_value_t *v, bs_serdes_buf_t *out,
                  bs_sr_error_t *e)
{
    out->len = 0;
    if (bs_serdes_buf_reserve(out, 64))
        goto nomem;
    bs_serdes_wire_header(out->data, id);
    for (int attempt = 0; attempt < 2; attempt++) {
        avro_writer_memory_set_dest(s->w, (const char *)out->data + BS_SERDES_HEADER_LEN,
                                    (int64_t)(out->cap - BS_SERDES_HEADER_LEN));
        int rc = avro_value_write(s->w, v);
        if (rc == 0) {
            out->len = BS_SERDES_HEADER_LEN + (size_t)avro_writer_tell(s->w);
            return 0;
        }
        if (rc != ENOSPC || attempt)
            break;
        size_t need = 0;
        if (avro_value_sizeof(v, &need))
            break;
        out->len = BS_SERDES_HEADER_LEN;
        if (bs_serdes_buf_reserve(out, need))
            goto nomem;
    }
    out->len = 0;
    bs_sr_seterr(e, BS_SR_ERR_INVALID, 0, "Avro encoding failed: %s", avro_strerror());
    return -1;
nomem:
    bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "out of memory");
    return -1;
}

static int ent_value(ser_entry_t *en, bs_sr_error_t *e)
{
    if (en->has_value) {
        avro_value_reset(&en->value);
        return 0;
    }
    bs_serdes_schema_t *target = en->latest ? en->latest : en->schema;
    if (avro_generic_value_new(bs_serdes_schema_iface(target), &en->value)) {
        bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "cannot create an Avro value: %s", avro_strerror());
        return -1;
    }
    en->has_value = 1;
    return 0;
}

int bs_avro_serialize(bs_avro_serializer_t *s, const char *topic, bs_serdes_schema_t *schema,
                      avro_value_t *v, bs_serdes_buf_t *out, bs_sr_error_t *e)
{
    ser_entry_t *en = ent_resolve(s, topic, schema, e);
    if (!en)
        return -1;
    if (en->latest && en->latest != en->schema &&
        !avro_schema_equal(bs_serdes_schema_avro(en->latest), bs_serdes_schema_avro(schema))) {
        char err[400];
        if (ent_value(en, e))
            return -1;
        if (bs_avro_resolve(v, en->latest, &en->value, err, sizeof(err))) {
            bs_sr_seterr(e, BS_SR_ERR_INVALID, 0,
                         "value does not fit the latest schema (id %d) of its subject: %s", en->id,
                         err);
            return -1;
        }
        return encode(s, en->id, &en->value, out, e);
    }
    return encode(s, en->id, v, out, e);
}

int bs_avro_serialize_json(bs_avro_serializer_t *s, const char *topic, bs_serdes_schema_t *schema,
                           const char *json, size_t len, bs_serdes_buf_t *out, bs_sr_error_t *e)
{
    char err[400];
    ser_entry_t *en = ent_resolve(s, topic, schema, e);
    if (!en || ent_value(en, e))
        return -1;
    if (bs_avro_json_to_value(en->latest ? en->latest : en->schema, json, len, &en->value, err,
                              sizeof(err))) {
        bs_sr_seterr(e, BS_SR_ERR_INVALID, 0, "%s", err);
        return -1;
    }
    return encode(s, en->id, &en->value, out, e);
}

int bs_avro_serialize_json_id(bs_avro_serializer_t *s, int id, const char *json, size_t len,
                              bs_serdes_buf_t *out, bs_sr_error_t *e)
{
    char err[400];
    if (s->id_slot != id || !s->id_schema) {
        bs_serdes_schema_t *sch = bs_sr_schema_by_id(s->c, id, e);
        if (!sch)
            return -1;
        if (s->id_schema) {
            avro_value_decref(&s->id_value);
            bs_serdes_schema_destroy(s->id_schema);
            s->id_schema = NULL;
        }
        if (avro_generic_value_new(bs_serdes_schema_iface(sch), &s->id_value)) {
            bs_serdes_schema_destroy(sch);
            bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "cannot create an Avro value: %s", avro_strerror());
            return -1;
        }
        s->id_schema = sch;
        s->id_slot = id;
    }
    if (bs_avro_json_to_value(s->id_schema, json, len, &s->id_value, err, sizeof(err))) {
        bs_sr_seterr(e, BS_SR_ERR_INVALID, 0, "%s", err);
        return -1;
    }
    return encode(s, id, &s->id_value, out, e);
}

/* ---- deserializer ---- */

typedef struct des_entry_s {
    int id;
    bs_serdes_schema_t *writer;
    avro_value_t wval;
    int has_rval;
    avro_value_t rval;
} des_entry_t;

struct bs_avro_deserializer_s {
    bs_sr_client_t *c;
    bs_serdes_schema_t *reader;
    des_entry_t *ents;
    int nents, cap, last;
    avro_reader_t rd;
};

bs_avro_deserializer_t *bs_avro_deserializer_new(bs_sr_client_t *c, bs_serdes_schema_t *reader,
                                                 char *err, size_t errlen)
{
    if (!c) {
        bs_serdes_fmt(err, errlen, "the Avro deserializer needs a schema registry client");
        return NULL;
    }
    bs_avro_deserializer_t *d = calloc(1, sizeof(*d));
    if (!d || !(d->rd = avro_reader_memory(NULL, 0))) {
        free(d);
        bs_serdes_fmt(err, errlen, "out of memory");
        return NULL;
    }
    d->c = c;
    d->reader = bs_serdes_schema_keep(reader);
    return d;
}

void bs_avro_deserializer_destroy(bs_avro_deserializer_t *d)
{
    if (!d)
        return;
    for (int i = 0; i < d->nents; i++) {
        avro_value_decref(&d->ents[i].wval);
        if (d->ents[i].has_rval)
            avro_value_decref(&d->ents[i].rval);
        bs_serdes_schema_destroy(d->ents[i].writer);
    }
    free(d->ents);
    bs_serdes_schema_destroy(d->reader);
    avro_reader_free(d->rd);
    free(d);
}

static des_entry_t *des_entry(bs_avro_deserializer_t *d, int id, bs_sr_error_t *e)
{
    if (d->nents && d->ents[d->last].id == id)
        return &d->ents[d->last];
    for (int i = 0; i < d->nents; i++)
        if (d->ents[i].id == id) {
            d->last = i;
            return &d->ents[i];
        }
    bs_serdes_schema_t *w = bs_sr_schema_by_id(d->c, id, e);
    if (!w)
        return NULL;
    if (d->nents == d->cap) {
        int nc = d->cap ? d->cap * 2 : 4;
        des_entry_t *ne = realloc(d->ents, sizeof(*ne) * (size_t)nc);
        if (!ne) {
            bs_serdes_schema_destroy(w);
            bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "out of memory");
            return NULL;
        }
        d->ents = ne;
        d->cap = nc;
    }
    des_entry_t *en = &d->ents[d->nents];
    memset(en, 0, sizeof(*en));
    en->id = id;
    if (avro_generic_value_new(bs_serdes_schema_iface(w), &en->wval)) {
        bs_serdes_schema_destroy(w);
        bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "cannot create an Avro value: %s", avro_strerror());
        return NULL;
    }
    if (d->reader) {
        if (avro_generic_value_new(bs_serdes_schema_iface(d->reader), &en->rval)) {
            avro_value_decref(&en->wval);
            bs_serdes_schema_destroy(w);
            bs_sr_seterr(e, BS_SR_ERR_NOMEM, 0, "cannot create an Avro value: %s", avro_strerror());
            return NULL;
        }
        en->has_rval = 1;
    }
    en->writer = w;
    d->last = d->nents++;
    return en;
}

int bs_avro_deserialize(bs_avro_deserializer_t *d, const void *buf, size_t len,
                        avro_value_t **value_out, int *id_out, bs_sr_error_t *e)
{
    int32_t id;
    const uint8_t *p;
    size_t n;
    char err[400];
    if (bs_serdes_wire_parse(buf, len, &id, &p, &n, err, sizeof(err))) {
        bs_sr_seterr(e, BS_SR_ERR_INVALID, 0, "%s", err);
        return -1;
    }
    if (id_out)
        *id_out = id;
    des_entry_t *en = des_entry(d, id, e);
    if (!en)
        return -1;
    if (bs_serdes_avro_check(bs_serdes_schema_avro(en->writer), p, n, err, sizeof(err))) {
        bs_sr_seterr(e, BS_SR_ERR_INVALID, 0,
                     "payload does not decode with writer schema id %d: %s", id, err);
        return -1;
    }
    avro_value_reset(&en->wval);
    avro_reader_memory_set_source(d->rd, (const char *)p, (int64_t)n);
    if (avro_value_read(d->rd, &en->wval)) {
        bs_sr_seterr(e, BS_SR_ERR_INVALID, 0,
                     "payload of %zu bytes does not decode with writer schema id %d: %s", n, id,
                     avro_strerror());
        return -1;
    }
    if (!en->has_rval) {
        *value_out = &en->wval;
        return 0;
    }
    avro_value_reset(&en->rval);
    if (bs_avro_resolve(&en->wval, d->reader, &en->rval, err, sizeof(err))) {
        bs_sr_seterr(e, BS_SR_ERR_INVALID, 0, "writer schema id %d vs reader schema: %s", id, err);
        return -1;
    }
    *value_out = &en->rval;
    return 0;
}

int bs_avro_deserialize_json(bs_avro_deserializer_t *d, const void *buf, size_t len,
                             bs_serdes_buf_t *out, bs_sr_error_t *e)
{
    avro_value_t *v;
    char err[300];
    if (bs_avro_deserialize(d, buf, len, &v, NULL, e))
        return -1;
    if (bs_avro_value_to_json(v, out, err, sizeof(err))) {
        bs_sr_seterr(e, BS_SR_ERR_INVALID, 0, "%s", err);
        return -1;
    }
    return 0;
}
