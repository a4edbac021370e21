/*
 * serdes.c — the small shared pieces of the serdes library: the growable
 * output buffer, the Confluent wire format (magic byte 0 + big-endian int32
 * schema id + payload), error helpers and the configuration table that maps
 * Confluent property names onto bs_serdes_conf_t.
 *
 * Invariants: bs_serdes_wire_parse never reads outside [buf, buf+len); every
 * configuration value is validated before it is stored; strings in the
 * configuration are owned by it (freed by bs_serdes_conf_free).
 */
#include "serdes_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

void bs_serdes_buf_init(bs_serdes_buf_t *b)
{
    b->data = NULL;
    b->len = b->cap = 0;
}

void bs_serdes_buf_free(bs_serdes_buf_t *b)
{
    free(b->data);
    bs_serdes_buf_init(b);
}

int bs_serdes_buf_reserve(bs_serdes_buf_t *b, size_t extra)
{
    if (b->cap - b->len >= extra)
        return 0;
    size_t ncap = b->cap ? b->cap : 256;
    while (ncap - b->len < extra) {
        if (ncap > SIZE_MAX / 2)
            return -1;
        ncap *= 2;
    }
    uint8_t *p = realloc(b->data, ncap);
    if (!p)
        return -1;
    b->data = p;
    b->cap = ncap;
    return 0;
}

void bs_serdes_fmt(char *err, size_t errlen, const char *fmt, ...)
{
    if (!err || !errlen)
        return;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(err, errlen, fmt, ap);
    va_end(ap);
}

void bs_sr_seterr(bs_sr_error_t *e, int code, int http_status, const char *fmt, ...)
{
    if (!e)
        return;
    e->error_code = code;
    e->http_status = http_status;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(e->message, sizeof(e->message), fmt, ap);
    va_end(ap);
}

/* ---- wire format ---- */

void bs_serdes_wire_header(uint8_t out[BS_SERDES_HEADER_LEN], int32_t id)
{
    uint32_t u = (uint32_t)id;
    out[0] = BS_SERDES_MAGIC;
    out[1] = (uint8_t)(u >> 24);
    out[2] = (uint8_t)(u >> 16);
    out[3] = (uint8_t)(u >> 8);
    out[4] = (uint8_t)u;
}

int bs_serdes_wire_parse(const void *buf, size_t len, int32_t *id, const uint8_t **payload,
                         size_t *payload_len, char *err, size_t errlen)
{
    const uint8_t *p = buf;
    if (!p || len < BS_SERDES_HEADER_LEN) {
        bs_serdes_fmt(err, errlen,
                      "message of %zu bytes is too short for the schema registry wire format "
                      "(needs at least 5: magic byte and 4-byte schema id)",
                      p ? len : 0);
        return -1;
    }
    if (p[0] != BS_SERDES_MAGIC) {
        bs_serdes_fmt(err, errlen,
                      "unknown magic byte %u at offset 0 (expected 0: not a schema registry "
                      "framed message)",
                      p[0]);
        return -1;
    }
    *id = (int32_t)((uint32_t)p[1] << 24 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 8 | p[4]);
    *payload = p + BS_SERDES_HEADER_LEN;
    *payload_len = len - BS_SERDES_HEADER_LEN;
    return 0;
}

/* ---- configuration ---- */

void bs_serdes_conf_init(bs_serdes_conf_t *conf)
{
    memset(conf, 0, sizeof(*conf));
    conf->request_timeout_ms = 10000;
    conf->connect_timeout_ms = 5000;
    conf->cache_capacity = 1000;
    conf->auto_register_schemas = 1;
    conf->use_latest_version = 0;
    conf->key_subject_strategy = BS_SUBJECT_TOPIC_NAME;
    conf->value_subject_strategy = BS_SUBJECT_TOPIC_NAME;
}

void bs_serdes_conf_free(bs_serdes_conf_t *conf)
{
    free(conf->urls);
    free(conf->basic_auth_source);
    free(conf->basic_auth_user_info);
    conf->urls = conf->basic_auth_source = conf->basic_auth_user_info = NULL;
}

static int conf_bool(const char *name, const char *v, int *out, char *err, size_t errlen)
{
    if (!strcasecmp(v, "true")) {
        *out = 1;
        return 1;
    }
    if (!strcasecmp(v, "false")) {
        *out = 0;
        return 1;
    }
    bs_serdes_fmt(err, errlen, "%s: expected true or false, got '%s'", name, v);
    return -1;
}

static int conf_long(const char *name, const char *v, long min, long *out, char *err, size_t errlen)
{
    char *end;
    errno = 0;
    long x = strtol(v, &end, 10);
    if (errno || end == v || *end || x < min) {
        bs_serdes_fmt(err, errlen, "%s: expected an integer >= %ld, got '%s'", name, min, v);
        return -1;
    }
    *out = x;
    return 1;
}

static int conf_str(char **slot, const char *v)
{
    char *d = strdup(v);
    if (!d)
        return -1;
    free(*slot);
    *slot = d;
    return 1;
}

static int conf_strategy(const char *name, const char *v, bs_subject_strategy_t *out, char *err,
                         size_t errlen)
{
    /* accept the Java class names and their simple names */
    const char *simple = strrchr(v, '.');
    simple = simple ? simple + 1 : v;
    if (!strcmp(simple, "TopicNameStrategy"))
        *out = BS_SUBJECT_TOPIC_NAME;
    else if (!strcmp(simple, "RecordNameStrategy"))
        *out = BS_SUBJECT_RECORD_NAME;
    else if (!strcmp(simple, "TopicRecordNameStrategy"))
        *out = BS_SUBJECT_TOPIC_RECORD_NAME;
    else {
        bs_serdes_fmt(err, errlen,
                      "%s: unknown subject name strategy '%s' (TopicNameStrategy, "
                      "RecordNameStrategy or TopicRecordNameStrategy)",
                      name, v);
        return -1;
    }
    return 1;
}

int bs_serdes_conf_set(bs_serdes_conf_t *conf, const char *name, const char *value, char *err,
                       size_t errlen)
{
    long l;
    int r;
    if (!name || !value) {
        bs_serdes_fmt(err, errlen, "serdes property name and value must not be NULL");
        return -1;
    }
    if (!strcmp(name, "schema.registry.url")) {
        if (!*value) {
            bs_serdes_fmt(err, errlen, "schema.registry.url: empty");
            return -1;
        }
        return conf_str(&conf->urls, value);
    }
    if (!strcmp(name, "basic.auth.credentials.source") ||
        !strcmp(name, "schema.registry.basic.auth.credentials.source")) {
        if (strcmp(value, "USER_INFO") && strcmp(value, "URL")) {
            bs_serdes_fmt(err, errlen, "%s: expected USER_INFO or URL, got '%s'", name, value);
            return -1;
        }
        return conf_str(&conf->basic_auth_source, value);
    }
    if (!strcmp(name, "basic.auth.user.info") ||
        !strcmp(name, "schema.registry.basic.auth.user.info")) {
        if (!strchr(value, ':')) {
            bs_serdes_fmt(err, errlen, "%s: expected user:password", name);
            return -1;
        }
        return conf_str(&conf->basic_auth_user_info, value);
    }
    if (!strcmp(name, "auto.register.schemas"))
        return conf_bool(name, value, &conf->auto_register_schemas, err, errlen);
    if (!strcmp(name, "use.latest.version"))
        return conf_bool(name, value, &conf->use_latest_version, err, errlen);
    if (!strcmp(name, "key.subject.name.strategy"))
        return conf_strategy(name, value, &conf->key_subject_strategy, err, errlen);
    if (!strcmp(name, "value.subject.name.strategy"))
        return conf_strategy(name, value, &conf->value_subject_strategy, err, errlen);
    if (!strcmp(name, "schema.registry.request.timeout.ms")) {
        if ((r = conf_long(name, value, 1, &l, err, errlen)) > 0)
            conf->request_timeout_ms = l;
        return r;
    }
    if (!strcmp(name, "schema.registry.connect.timeout.ms")) {
        if ((r = conf_long(name, value, 1, &l, err, errlen)) > 0)
            conf->connect_timeout_ms = l;
        return r;
    }
    if (!strcmp(name, "max.schemas.per.subject") ||
        !strcmp(name, "schema.registry.cache.capacity")) {
        if ((r = conf_long(name, value, 1, &l, err, errlen)) > 0)
            conf->cache_capacity = (size_t)l;
        return r;
    }
    return 0;
}
