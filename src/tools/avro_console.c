/*
 * avro_console.c — Avro for the console producer and consumer: reads the
 * Avro properties, registers / looks up schemas through the serdes library,
 * and converts each record between Avro JSON text and the Confluent wire
 * format. See avro_console.h for the properties.
 *
 * Invariants: the producer always has a value schema (text or id) before
 * the first line; keys are Avro only when parse.key=true (then a key schema
 * is required, as kafka-avro-console-producer requires it). The consumer
 * decodes a key only when it is framed (magic byte 0, >= 5 bytes); other
 * keys are printed as they are.
 */
#include "tools/avro_console.h"

#include "basin/serdes.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define AVRO_PROPS                                                                                 \
    "schema.registry.url", "value.schema", "value.schema.file", "value.schema.id", "key.schema",   \
        "key.schema.file", "key.schema.id", "auto.register.schemas", "use.latest.version",         \
        "key.subject.name.strategy", "value.subject.name.strategy",                                \
        "basic.auth.credentials.source", "basic.auth.user.info",                                   \
        "schema.registry.basic.auth.user.info", "schema.registry.request.timeout.ms"

const char *const bs_avro_console_prod_props[] = {"parse.key",         "key.separator",
                                                  "parse.headers",     "headers.delimiter",
                                                  "headers.separator", "headers.key.separator",
                                                  "null.marker",       "ignore.error",
                                                  AVRO_PROPS,          NULL};

const char *const bs_avro_console_cons_props[] = {"print.key",
                                                  "print.value",
                                                  "print.timestamp",
                                                  "print.offset",
                                                  "print.partition",
                                                  "print.headers",
                                                  "key.separator",
                                                  "line.separator",
                                                  "headers.separator",
                                                  "headers.key.separator",
                                                  "null.literal",
                                                  "print.schema.ids",
                                                  "schema.id.separator",
                                                  AVRO_PROPS,
                                                  NULL};

typedef struct side_s {
    bs_serdes_schema_t *schema; /* NULL when by id */
    int id;                     /* -1 when by schema */
    bs_avro_serializer_t *ser;
    bs_serdes_buf_t out;
} side_t;

struct bs_avro_console_s {
    bs_serdes_conf_t conf;
    bs_sr_client_t *c;
    char *topic;
    int producer, avro_keys;
    side_t key, value;
    bs_avro_deserializer_t *des;
    int print_ids;
    char *id_sep;
};

static int read_file(const char *path, char **out, char *err, size_t errlen)
{
    FILE *f = fopen(path, "rb");
    if (!f) {
        snprintf(err, errlen, "cannot open schema file %s: %m", path);
        return -1;
    }
    size_t cap = 4096, n = 0;
    char *b = malloc(cap);
    size_t r;
    while (b && (r = fread(b + n, 1, cap - n - 1, f)) > 0) {
        n += r;
        if (cap - n - 1 == 0) {
            char *nb = realloc(b, cap * 2);
            if (!nb) {
                free(b);
                b = NULL;
                break;
            }
            b = nb;
            cap *= 2;
        }
    }
    fclose(f);
    if (!b) {
        snprintf(err, errlen, "out of memory reading %s", path);
        return -1;
    }
    b[n] = 0;
    *out = b;
    return 0;
}

/* Sets up one side (key or value) from <side>.schema / .schema.file / .schema.id. */
static int side_init(bs_avro_console_t *ac, side_t *s, const bs_kvlist_t *props, const char *name,
                     int required, int is_key, char *err, size_t errlen)
{
    char k1[64], k2[64], k3[64], e2[400];
    snprintf(k1, sizeof(k1), "%s.schema", name);
    snprintf(k2, sizeof(k2), "%s.schema.file", name);
    snprintf(k3, sizeof(k3), "%s.schema.id", name);
    const char *text = bs_kvlist_get(props, k1), *file = bs_kvlist_get(props, k2),
               *id = bs_kvlist_get(props, k3);
    char *owned = NULL;
    s->id = -1;
    bs_serdes_buf_init(&s->out);
    if (!!text + !!file + !!id > 1) {
        snprintf(err, errlen, "give only one of --property %s, %s and %s", k1, k2, k3);
        return -1;
    }
    if (!text && !file && !id) {
        if (!required)
            return 0;
        snprintf(err, errlen, "--avro needs --property %s=<Avro schema JSON> (or %s / %s)", k1, k2,
                 k3);
        return -1;
    }
    if (id) {
        long long v;
        if (bs_opts_int(id, 0, INT32_MAX, &v, k3, err, errlen))
            return -1;
        s->id = (int)v;
    } else {
        if (file) {
            if (read_file(file, &owned, err, errlen))
                return -1;
            text = owned;
        }
        s->schema = bs_serdes_schema_new(text, (size_t)-1, e2, sizeof(e2));
        free(owned);
        if (!s->schema) {
            snprintf(err, errlen, "--property %s: %s", file ? k2 : k1, e2);
            return -1;
        }
    }
    s->ser = bs_avro_serializer_new(ac->c, &ac->conf, is_key, e2, sizeof(e2));
    if (!s->ser) {
        snprintf(err, errlen, "%s", e2);
        return -1;
    }
    return 0;
}

static void side_free(side_t *s)
{
    bs_serdes_schema_destroy(s->schema);
    bs_avro_serializer_destroy(s->ser);
    bs_serdes_buf_free(&s->out);
}

bs_avro_console_t *bs_avro_console_new(const bs_kvlist_t *props, int producer, int parse_key,
                                       const char *topic, char *err, size_t errlen)
{
    char e2[400];
    bs_avro_console_t *ac = calloc(1, sizeof(*ac));
    if (!ac) {
        snprintf(err, errlen, "out of memory");
        return NULL;
    }
    bs_serdes_conf_init(&ac->conf);
    ac->producer = producer;
    ac->key.id = ac->value.id = -1;
    for (size_t i = 0; i < props->n; i++) {
        int r =
            bs_serdes_conf_set(&ac->conf, props->items[i].key, props->items[i].val, e2, sizeof(e2));
        if (r < 0) {
            snprintf(err, errlen, "--property %s", e2);
            goto fail;
        }
    }
    if (!ac->conf.urls) {
        snprintf(err, errlen, "--avro needs --property schema.registry.url=http://HOST:PORT");
        goto fail;
    }
    ac->c = bs_sr_client_new(NULL, &ac->conf, e2, sizeof(e2));
    if (!ac->c) {
        snprintf(err, errlen, "%s", e2);
        goto fail;
    }
    ac->topic = strdup(topic);
    if (producer) {
        if (side_init(ac, &ac->value, props, "value", 1, 0, err, errlen) ||
            side_init(ac, &ac->key, props, "key", parse_key, 1, err, errlen))
            goto fail;
        ac->avro_keys = parse_key;
    } else {
        const char *pi = bs_kvlist_get(props, "print.schema.ids");
        if (pi && bs_opts_bool(pi, &ac->print_ids, "--property print.schema.ids", err, errlen))
            goto fail;
        const char *sep = bs_kvlist_get(props, "schema.id.separator");
        ac->id_sep = bs_opts_unescape(sep ? sep : "\t");
        ac->des = bs_avro_deserializer_new(ac->c, NULL, e2, sizeof(e2));
        bs_serdes_buf_init(&ac->key.out);
        bs_serdes_buf_init(&ac->value.out);
        if (!ac->des || !ac->id_sep) {
            snprintf(err, errlen, "%s", ac->des ? "out of memory" : e2);
            goto fail;
        }
    }
    return ac;
fail:
    bs_avro_console_destroy(ac);
    return NULL;
}

void bs_avro_console_destroy(bs_avro_console_t *ac)
{
    if (!ac)
        return;
    side_free(&ac->key);
    side_free(&ac->value);
    bs_avro_deserializer_destroy(ac->des);
    bs_sr_client_destroy(ac->c);
    bs_serdes_conf_free(&ac->conf);
    free(ac->topic);
    free(ac->id_sep);
    free(ac);
}

static int encode_side(bs_avro_console_t *ac, side_t *s, bs_field_t *f, const char *what, char *err,
                       size_t errlen)
{
    bs_sr_error_t e;
    if (!f->ptr)
        return 0; /* null stays null (tombstones) */
    int rc = s->schema
                 ? bs_avro_serialize_json(s->ser, ac->topic, s->schema, f->ptr, f->len, &s->out, &e)
                 : bs_avro_serialize_json_id(s->ser, s->id, f->ptr, f->len, &s->out, &e);
    if (rc) {
        snprintf(err, errlen, "%s: %s", what, e.message);
        return -1;
    }
    f->ptr = (const char *)s->out.data;
    f->len = s->out.len;
    return 0;
}

int bs_avro_console_encode(bs_avro_console_t *ac, bs_prod_rec_t *rec, char *err, size_t errlen)
{
    if (ac->avro_keys && encode_side(ac, &ac->key, &rec->key, "key", err, errlen))
        return -1;
    return encode_side(ac, &ac->value, &rec->value, "value", err, errlen);
}

static int decode_side(bs_avro_console_t *ac, bs_serdes_buf_t *out, bs_field_t *f, const char *what,
                       char *err, size_t errlen)
{
    bs_sr_error_t e;
    avro_value_t *v;
    int id;
    char e2[300];
    if (!f->ptr)
        return 0;
    out->len = 0;
    if (bs_avro_deserialize(ac->des, f->ptr, f->len, &v, &id, &e)) {
        snprintf(err, errlen, "%s: %s", what, e.message);
        return -1;
    }
    if (bs_avro_value_to_json(v, out, e2, sizeof(e2))) {
        snprintf(err, errlen, "%s: %s", what, e2);
        return -1;
    }
    if (ac->print_ids) {
        char tmp[32];
        int n = snprintf(tmp, sizeof(tmp), "%d", id);
        size_t sl = strlen(ac->id_sep);
        if (bs_serdes_buf_reserve(out, sl + (size_t)n)) {
            snprintf(err, errlen, "out of memory");
            return -1;
        }
        memcpy(out->data + out->len, ac->id_sep, sl);
        memcpy(out->data + out->len + sl, tmp, (size_t)n);
        out->len += sl + (size_t)n;
    }
    f->ptr = (const char *)out->data;
    f->len = out->len;
    return 0;
}

int bs_avro_console_decode(bs_avro_console_t *ac, bs_cons_rec_t *r, int print_key, char *err,
                           size_t errlen)
{
    if (print_key && r->key.ptr && r->key.len >= 5 && r->key.ptr[0] == 0 &&
        decode_side(ac, &ac->key.out, &r->key, "key", err, errlen))
        return -1;
    return decode_side(ac, &ac->value.out, &r->value, "value", err, errlen);
}
