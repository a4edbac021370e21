/*
 * basin/serdes.h — Basin's serdes library: a Confluent Schema Registry
 * client, the Confluent wire format and an Avro serializer/deserializer built
 * on avro-c. Installable on its own (libbasin-serdes.a / .so); it depends only
 * on avro-c, jansson and libcurl.
 *
 * Pieces, bottom up:
 *   bs_serdes_buf_t     growable byte buffer that results are written into
 *   wire format         magic byte 0, big-endian int32 schema id, payload
 *   bs_sr_client_t      registry client: keep-alive, URL failover, basic
 *                       auth, caches id -> schema and (subject, schema) -> id
 *   bs_serdes_schema_t    parsed Avro schema + its original text + the
 *                       defaults of its record fields (avro-c keeps neither)
 *   Avro JSON encoding  the JSON form kafka-avro-console-producer reads and
 *                       -consumer prints (unions {"branch": v}, bytes and
 *                       fixed as strings of \u00XX code points)
 *   resolution          copy a value of the writer schema into one of the
 *                       reader schema (Avro spec "Schema Resolution")
 *   serializer          subject name strategies, auto.register.schemas,
 *                       use.latest.version, value or JSON -> wire bytes
 *   deserializer        wire bytes -> value (writer schema by id, optional
 *                       reader schema) -> JSON
 *
 * Conventions: functions returning int return 0 on success and -1 on
 * failure; failures fill a caller-provided bs_sr_error_t (or err/errlen) with
 * a message naming the problem. Nothing here aborts on bad input.
 *
 * Ownership and threads:
 *   - bs_sr_client_t is thread-safe (an internal lock around its curl handle
 *     and another around the caches); share one per process.
 *   - bs_serdes_schema_t is reference counted (_keep/_destroy) and immutable
 *     after creation: it may be shared between threads.
 *   - serializers and deserializers are NOT thread-safe: one per thread. They
 *     hold a reference to the client, which must outlive them.
 *   - strings returned through char ** are malloc'd; the caller frees them.
 *   - avro_value_t pointers returned by the deserializer belong to it and are
 *     valid until its next call or its destruction.
 */
#ifndef BASIN_SERDES_H
#define BASIN_SERDES_H

#include <avro.h>
#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* ---- byte buffer ----------------------------------------------------- */

typedef struct bs_serdes_buf_s {
    uint8_t *data; /* malloc'd; NULL when empty */
    size_t len, cap;
} bs_serdes_buf_t;

void bs_serdes_buf_init(bs_serdes_buf_t *b);
void bs_serdes_buf_free(bs_serdes_buf_t *b);
/* Ensures room for `extra` more bytes. Returns -1 only if malloc fails. */
int bs_serdes_buf_reserve(bs_serdes_buf_t *b, size_t extra);

/* ---- errors ----------------------------------------------------------- */

/* error_code: the registry's own error_code when it answered with one (e.g.
 * 40401 subject not found, 40403 schema not found, 42201 invalid schema), the
 * HTTP status when it answered without one, or one of these local codes: */
#define BS_SR_ERR_TRANSPORT (-1) /* no registry URL could be reached */
#define BS_SR_ERR_PROTOCOL  (-2) /* the registry's answer was not understood */
#define BS_SR_ERR_INVALID   (-3) /* bad argument, schema, JSON or wire data */
#define BS_SR_ERR_NOMEM     (-4)

typedef struct bs_sr_error_s {
    int error_code;
    int http_status; /* 0 when no HTTP answer was received */
    char message[512];
} bs_sr_error_t;

/* ---- wire format ------------------------------------------------------ */

#define BS_SERDES_MAGIC      0
#define BS_SERDES_HEADER_LEN 5

/* Writes the 5-byte header for schema `id` into out. */
void bs_serdes_wire_header(uint8_t out[BS_SERDES_HEADER_LEN], int32_t id);
/* Splits a framed message. *payload points into buf. Fails (with a message
 * naming the problem) on short input or a magic byte other than 0. */
int bs_serdes_wire_parse(const void *buf, size_t len, int32_t *id, const uint8_t **payload,
                         size_t *payload_len, char *err, size_t errlen);

/* ---- configuration ---------------------------------------------------- */

typedef enum bs_subject_strategy_e {
    BS_SUBJECT_TOPIC_NAME = 0,   /* <topic>-key / <topic>-value (the default) */
    BS_SUBJECT_RECORD_NAME,      /* <record full name> */
    BS_SUBJECT_TOPIC_RECORD_NAME /* <topic>-<record full name> */
} bs_subject_strategy_t;

typedef struct bs_serdes_conf_s {
    char *urls;                                 /* schema.registry.url: comma-separated */
    char *basic_auth_source;                    /* basic.auth.credentials.source: USER_INFO | URL */
    char *basic_auth_user_info;                 /* basic.auth.user.info: "user:password" */
    long request_timeout_ms;                    /* schema.registry.request.timeout.ms (10000) */
    long connect_timeout_ms;                    /* schema.registry.connect.timeout.ms (5000) */
    size_t cache_capacity;                      /* max.schemas.per.subject-like bound (1000) */
    int auto_register_schemas;                  /* auto.register.schemas (true) */
    int use_latest_version;                     /* use.latest.version (false) */
    bs_subject_strategy_t key_subject_strategy; /* key.subject.name.strategy */
    bs_subject_strategy_t value_subject_strategy; /* value.subject.name.strategy */
} bs_serdes_conf_t;

/* Fills defaults. bs_serdes_conf_free releases the strings set by _set. */
void bs_serdes_conf_init(bs_serdes_conf_t *conf);
void bs_serdes_conf_free(bs_serdes_conf_t *conf);
/* Sets a property by its Confluent name (schema.registry.url,
 * basic.auth.credentials.source, basic.auth.user.info (also with the
 * schema.registry. prefix), auto.register.schemas, use.latest.version,
 * key.subject.name.strategy, value.subject.name.strategy (class names such as
 * io.confluent.kafka.serializers.subject.RecordNameStrategy or the short
 * names), schema.registry.request.timeout.ms, ...). Returns 1 if the name was
 * recognised and set, 0 if the name is not a serdes property, -1 with err
 * filled if the value is invalid. */
int bs_serdes_conf_set(bs_serdes_conf_t *conf, const char *name, const char *value, char *err,
                       size_t errlen);

/* ---- Schema Registry client ------------------------------------------- */

typedef struct bs_sr_client_s bs_sr_client_t;

/* urls overrides conf->urls when non-NULL. conf may be NULL (defaults).
 * Returns NULL with err filled on bad configuration (no URL, bad auth). */
bs_sr_client_t *bs_sr_client_new(const char *urls, const bs_serdes_conf_t *conf, char *err,
                                 size_t errlen);
void bs_sr_client_destroy(bs_sr_client_t *c);

/* schema_type: NULL or "AVRO" (not sent), "JSON", "PROTOBUF". */
int bs_sr_register(bs_sr_client_t *c, const char *subject, const char *schema_text,
                   const char *schema_type, int *id_out, bs_sr_error_t *e);
/* POST /subjects/<subject>: the id and version of an already registered
 * schema. version_out may be NULL. */
int bs_sr_lookup(bs_sr_client_t *c, const char *subject, const char *schema_text,
                 const char *schema_type, int *id_out, int *version_out, bs_sr_error_t *e);
/* GET /subjects/<subject>/versions/latest. Outputs may be NULL. */
int bs_sr_latest(bs_sr_client_t *c, const char *subject, int *id_out, int *version_out,
                 char **schema_out, bs_sr_error_t *e);
/* GET /schemas/ids/<id> (cached): *schema_out is a malloc'd copy. */
int bs_sr_get_by_id(bs_sr_client_t *c, int id, char **schema_out, bs_sr_error_t *e);
/* Like bs_sr_get_by_id, also giving the schema's type (*type_out: "AVRO",
 * "JSON", "PROTOBUF"; "AVRO" when the registry leaves schemaType out).
 * Both strings are malloc'd. */
int bs_sr_get_by_id_type(bs_sr_client_t *c, int id, char **schema_out, char **type_out,
                         bs_sr_error_t *e);
/* GET /subjects/<subject>/versions/<version> (version <= 0: latest; not
 * cached): id, version, schema text and type (malloc'd). */
int bs_sr_get_version(bs_sr_client_t *c, const char *subject, int version, int *id_out,
                      int *version_out, char **schema_out, char **type_out, bs_sr_error_t *e);
/* Number of HTTP requests the client has sent (for tests and metrics). */
uint64_t bs_sr_client_requests(bs_sr_client_t *c);

/* ---- Avro schemas ----------------------------------------------------- */

typedef struct bs_serdes_schema_s bs_serdes_schema_t;

/* Parses Avro schema JSON (len may be (size_t)-1 for a C string). */
bs_serdes_schema_t *bs_serdes_schema_new(const char *text, size_t len, char *err, size_t errlen);
bs_serdes_schema_t *bs_serdes_schema_keep(bs_serdes_schema_t *s);
void bs_serdes_schema_destroy(bs_serdes_schema_t *s);             /* drops one reference */
avro_schema_t bs_serdes_schema_avro(const bs_serdes_schema_t *s); /* borrowed */
const char *bs_serdes_schema_text(const bs_serdes_schema_t *s);   /* as given */
/* Full name (namespace.name) of a named type, NULL for other types. */
const char *bs_serdes_schema_fullname(const bs_serdes_schema_t *s);
/* A generic avro-c value class for the schema (borrowed). */
avro_value_iface_t *bs_serdes_schema_iface(const bs_serdes_schema_t *s);
/* The registry client's cached schema for `id` (a new reference). */
bs_serdes_schema_t *bs_sr_schema_by_id(bs_sr_client_t *c, int id, bs_sr_error_t *e);

/* ---- Avro JSON encoding ----------------------------------------------- */

/* Fills dest (a value of s's generic class, or any value of the same schema)
 * from Avro JSON encoding text. Missing record fields take their default. */
int bs_avro_json_to_value(const bs_serdes_schema_t *s, const char *json, size_t len,
                          avro_value_t *dest, char *err, size_t errlen);
/* Appends the Avro JSON encoding of v to out (compact, fields in schema
 * order, as kafka-avro-console-consumer prints). */
int bs_avro_value_to_json(avro_value_t *v, bs_serdes_buf_t *out, char *err, size_t errlen);

/* ---- schema resolution ------------------------------------------------ */

/* Copies src (written with any schema) into dest, a value of `reader`'s
 * generic class, following Avro's resolution rules: record fields matched by
 * name (reader-only fields take the reader's default), numeric promotions,
 * string<->bytes, enum symbols by name, unions on either side. */
int bs_avro_resolve(avro_value_t *src, const bs_serdes_schema_t *reader, avro_value_t *dest,
                    char *err, size_t errlen);

/* ---- serializer ------------------------------------------------------- */

typedef struct bs_avro_serializer_s bs_avro_serializer_t;

/* is_key selects "-key" subjects and key.subject.name.strategy. */
bs_avro_serializer_t *bs_avro_serializer_new(bs_sr_client_t *c, const bs_serdes_conf_t *conf,
                                             int is_key, char *err, size_t errlen);
void bs_avro_serializer_destroy(bs_avro_serializer_t *s);

/* The subject for (topic, schema) under the serializer's strategy. */
int bs_avro_subject_name(bs_subject_strategy_t strategy, int is_key, const char *topic,
                         const bs_serdes_schema_t *schema, char *out, size_t outlen, char *err,
                         size_t errlen);

/* The schema id to frame with: registers (auto.register.schemas), looks up,
 * or takes the subject's latest (use.latest.version). Cached per serializer.
 * If latest_out is non-NULL and use.latest.version is set, it receives a new
 * reference to the latest schema (the one data must be written with). */
int bs_avro_serializer_schema_id(bs_avro_serializer_t *s, const char *topic,
                                 bs_serdes_schema_t *schema, int *id_out,
                                 bs_serdes_schema_t **latest_out, bs_sr_error_t *e);

/* Serializes v (a value of `schema`) into out (replacing its content): wire
 * header + Avro binary. With use.latest.version and a different latest
 * schema, v is first resolved into the latest schema. */
int bs_avro_serialize(bs_avro_serializer_t *s, const char *topic, bs_serdes_schema_t *schema,
                      avro_value_t *v, bs_serdes_buf_t *out, bs_sr_error_t *e);
/* Same from Avro JSON encoding text (parsed against the schema written with). */
int bs_avro_serialize_json(bs_avro_serializer_t *s, const char *topic, bs_serdes_schema_t *schema,
                           const char *json, size_t len, bs_serdes_buf_t *out, bs_sr_error_t *e);
/* Frames JSON text for an already known schema id (value.schema.id). */
int bs_avro_serialize_json_id(bs_avro_serializer_t *s, int id, const char *json, size_t len,
                              bs_serdes_buf_t *out, bs_sr_error_t *e);

/* ---- deserializer ----------------------------------------------------- */

typedef struct bs_avro_deserializer_s bs_avro_deserializer_t;

/* reader may be NULL (values come out in the writer's schema); the
 * deserializer takes its own reference. */
bs_avro_deserializer_t *bs_avro_deserializer_new(bs_sr_client_t *c, bs_serdes_schema_t *reader,
                                                 char *err, size_t errlen);
void bs_avro_deserializer_destroy(bs_avro_deserializer_t *d);

/* Decodes framed bytes. *value_out is owned by the deserializer (valid until
 * its next call). id_out may be NULL. */
int bs_avro_deserialize(bs_avro_deserializer_t *d, const void *buf, size_t len,
                        avro_value_t **value_out, int *id_out, bs_sr_error_t *e);
/* Decodes framed bytes and appends their Avro JSON encoding to out. */
int bs_avro_deserialize_json(bs_avro_deserializer_t *d, const void *buf, size_t len,
                             bs_serdes_buf_t *out, bs_sr_error_t *e);

#ifdef __cplusplus
}
#endif

#endif
