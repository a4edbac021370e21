/*
 * rest_int.h — private declarations shared by the REST Proxy's files:
 *
 *   rest.c          service start-up/shutdown, the shared producer and its
 *                   delivery-report poller, the worker pool for blocking
 *                   Kafka calls, the topic cache, error mapping
 *   rest_json.c     JSON text writer (wbuf), base64, media-type parsing
 *   v2_produce.c    POST /topics/{t}[/partitions/{p}]
 *   v2_meta.c       GET /topics..., /brokers
 *   v2_consumer.c   consumer instances (/consumers/...)
 *   v3.c            /v3/clusters/...
 *
 * Threads: handlers run on the HTTP I/O threads and must not block; they
 * either answer at once (cache hits, validation errors), hand the request to
 * the worker pool (bs_rest_submit), or start asynchronous production whose
 * last delivery report (on the poller thread) replies.
 */
#ifndef BS_REST_INT_H
#define BS_REST_INT_H

#include <jansson.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>

#include "base/hmap.h"
#include "base/jobq.h"
#include "base/wbuf.h"
#include "http/http.h"
#include "rest/rest_config.h"

/* Embedded formats (v2 media types / v3 "type"). */
typedef enum bs_rest_fmt_e {
    BS_REST_FMT_BINARY = 0,
    BS_REST_FMT_JSON,
    BS_REST_FMT_AVRO,
    BS_REST_FMT_STRING,     /* v3 only */
    BS_REST_FMT_GENERIC,    /* application/vnd.kafka.v2+json, application/json: no format */
    BS_REST_FMT_UNKNOWN,    /* a vnd.kafka type we do not serve (jsonschema, protobuf) */
    BS_REST_FMT_JSONSCHEMA, /* v3 only: schema-based JSON (Confluent wire format) */
    BS_REST_FMT_PROTOBUF,   /* v3 only: recognised, answered with a 400 */
} bs_rest_fmt_t;

typedef struct bs_rest_s bs_rest_t;
typedef struct bs_rest_cm_s bs_rest_cm_t; /* consumer instance manager */

typedef void (*bs_rest_job_fn)(bs_rest_t *r, bs_http_req_t *req, void *arg);

typedef struct bs_rest_job_s {
    bs_job_t link; /* first: a bs_job_t * is the job */
    bs_http_req_t *req;
    bs_rest_job_fn fn;
    void *arg;
    void (*free_arg)(void *);
} bs_rest_job_t;

struct bs_rest_s {
    bs_rest_config_t *cfg;
    rd_kafka_t *rk; /* shared producer; also metadata and admin requests */
    pthread_t poller;
    bool poller_started;
    atomic_int stop;
    bs_http_server_t *http;

    /* worker pool (blocking Kafka calls) */
    bs_jobq_t q;
    pthread_t *workers;
    int nworkers;

    /* topic cache: name -> (partition count) as intptr_t; tmu */
    pthread_mutex_t tmu;
    bs_hmap_t topics;
    int64_t topics_at_ms; /* monotonic time of the last refresh; 0 = never */

    bs_rest_cm_t *cm;
    char *cluster_id; /* Kafka's cluster id (v3), "" if unknown; set at start-up */
    void *avro;       /* bs_rest_avro_t (v2 avro format), NULL when unavailable */
    void *sch_cache;  /* v2_avro.c: v3 schema versions already resolved */
};

/* ---- rest.c ---- */

int64_t bs_rest_now_ms(void); /* monotonic */

/* Runs fn(r, req, arg) on a worker thread; fn must reply. free_arg (may be
 * NULL) releases arg after fn returns. */
void bs_rest_submit(bs_rest_t *r, bs_http_req_t *req, bs_rest_job_fn fn, void *arg,
                    void (*free_arg)(void *));

/* Partition count of topic from the cache when fresh: >0 count, 0 = known
 * not to exist (fresh cache), -1 = unknown (refresh needed). */
int bs_rest_topic_cached(bs_rest_t *r, const char *topic);
/* Refreshes the cache if older than min_age_ms (blocking: workers only) and
 * answers like bs_rest_topic_cached, or -2 with err set if Kafka could not
 * be asked. */
int bs_rest_topic_lookup(bs_rest_t *r, const char *topic, int min_age_ms, char *err, size_t errlen);
void bs_rest_topic_invalidate(bs_rest_t *r);

/* Full cluster metadata (blocking: workers only). NULL with err set. */
const struct rd_kafka_metadata *bs_rest_metadata(bs_rest_t *r, char *err, size_t errlen);
/* True for Kafka's internal topics (__consumer_offsets, __transaction_state). */
bool bs_rest_topic_internal(const char *name);

/* Replies with Confluent's mapping of a Kafka error (50002 by default,
 * 40401 unknown topic, 40002 bad request family, ...). */
void bs_rest_reply_kafka_error(bs_http_req_t *req, rd_kafka_resp_err_t err, const char *msg);
/* HTTP status and Confluent code for err. */
void bs_rest_kafka_error_code(rd_kafka_resp_err_t err, int *status, int *code);

/* Waits for an admin result event on q (blocking). NULL on timeout. */
rd_kafka_event_t *bs_rest_admin_wait(bs_rest_t *r, rd_kafka_queue_t *q);
rd_kafka_AdminOptions_t *bs_rest_admin_options(bs_rest_t *r, rd_kafka_admin_op_t op);

/* Applies client.* then `extra` (producer.* / consumer.* / admin.*) props.
 * Returns 0 or -1 with err naming the property. */
int bs_rest_conf_apply(bs_rest_t *r, rd_kafka_conf_t *conf, const bs_rest_kprops_t *extra,
                       char *err, size_t errlen);

/* Parses a non-negative decimal int32 path parameter; -1 if malformed. */
int32_t bs_rest_parse_i32(const char *s);

/* ---- produce.c ---- */

/* POST /v3/clusters/{cluster_id}/topics/{topic_name}/records, and its
 * streaming `head` (a chunked body is produced record by record as it
 * arrives; see bs_http_stream_route_t). */
void bs_rest_v3_produce(bs_http_req_t *req, void *ctx);
void bs_rest_v3_produce_head(bs_http_req_t *req, void *ctx);

/* ---- rest_json.c ---- */

/* Appends s[0..len) as a JSON string literal (with quotes). */
void bs_rest_jw_str(bs_wbuf_t *w, const char *s, size_t len);
void bs_rest_jw_cstr(bs_wbuf_t *w, const char *s); /* NULL -> null */
void bs_rest_jw_raw(bs_wbuf_t *w, const char *s);
void bs_rest_jw_i64(bs_wbuf_t *w, int64_t v);
/* Appends base64 of p[0..len) as a JSON string. */
void bs_rest_jw_b64(bs_wbuf_t *w, const void *p, size_t len);
/* Sends w as the reply body (status, negotiated or given type) and frees it. */
void bs_rest_reply_wbuf(bs_http_req_t *req, int status, const char *ctype, bs_wbuf_t *w);

/* Decodes base64 (standard alphabet, padding optional, no whitespace) into
 * out (capacity >= bs_rest_b64_maxlen(len)). Returns the decoded length or
 * -1 on a bad character or length. */
long bs_rest_b64_decode(const char *s, size_t len, uint8_t *out);
static inline size_t bs_rest_b64_maxlen(size_t len)
{
    return len / 4 * 3 + 3;
}

/* Embedded format of a media type ("application/vnd.kafka.json.v2+json",
 * parameters ignored); NULL or absent = GENERIC. */
bs_rest_fmt_t bs_rest_fmt_of_media(const char *media);
const char *bs_rest_fmt_name(bs_rest_fmt_t f);       /* "binary", "json", "avro" */
const char *bs_rest_fmt_media_v2(bs_rest_fmt_t f);   /* v2 media type of the format */
bs_rest_fmt_t bs_rest_fmt_parse_name(const char *s); /* "binary" / "BINARY" ...; UNKNOWN */

/* ---- route tables ---- */

extern const bs_http_route_t bs_rest_v2_routes[];
extern const int bs_rest_v2_nroutes;
extern const bs_http_route_t bs_rest_v3_routes[];
extern const int bs_rest_v3_nroutes;

/* v2_produce.c / v2_meta.c / v2_consumer.c / v3.c handlers that others use */
void bs_rest_v2_produce_topic(bs_http_req_t *req, void *ctx);
void bs_rest_v2_produce_partition(bs_http_req_t *req, void *ctx);

/* ---- v2_consumer.c: instance manager ---- */
bs_rest_cm_t *bs_rest_cm_new(bs_rest_t *r);
/* Closes every instance (blocking) and frees the manager. */
void bs_rest_cm_free(bs_rest_cm_t *cm);

/* ---- v2_avro.c: avro embedded format ---- */
int bs_rest_avro_init(bs_rest_t *r, char *err, size_t errlen);
void bs_rest_avro_free(bs_rest_t *r);

/* An encoder for one side (key or value) of one produce request: resolves
 * the schema (schema text: registered under <topic>-key/-value; or an id:
 * fetched) — blocking, workers only. On failure returns NULL with the HTTP
 * status, Confluent code and message filled (42205 invalid schema, 40403
 * schema not found, 50002 registry unreachable, ...). */
typedef struct bs_rest_avro_enc_s bs_rest_avro_enc_t;
bs_rest_avro_enc_t *bs_rest_avro_enc_new(bs_rest_t *r, const char *topic, bool is_key,
                                         const char *schema_text, int schema_id, int *id_out,
                                         int *status, int *code, char *msg, size_t msglen);
/* Encodes one JSON value (Avro JSON encoding) into malloc'd wire bytes.
 * Returns 0, or -1 with msg (42203 conversion error). */
int bs_rest_avro_enc_one(bs_rest_avro_enc_t *e, json_t *v, uint8_t **out, size_t *len, char *msg,
                         size_t msglen);
void bs_rest_avro_enc_free(bs_rest_avro_enc_t *e);

/* Schema-based sides of API v3 records (AVRO, JSONSCHEMA), Confluent's
 * rules: schema_id -> that schema; schema_version -> that version of the
 * subject; schema (raw text) -> looked up, else registered, under the
 * subject; none -> the subject's latest version. The subject is `subject`,
 * or the strategy's name for (topic, is_key, schema). */
typedef enum bs_rest_sns_e {
    BS_REST_SNS_TOPIC_NAME = 0, /* same values as bs_subject_strategy_t */
    BS_REST_SNS_RECORD_NAME,
    BS_REST_SNS_TOPIC_RECORD_NAME,
} bs_rest_sns_t;

typedef struct bs_rest_sch_req_s {
    int fmt;             /* AVRO / JSONSCHEMA / PROTOBUF; -1: the registry's type decides */
    const char *subject; /* NULL: from the strategy */
    int strategy;        /* bs_rest_sns_t */
    bool strategy_given;
    int64_t id, version; /* -1: not given */
    const char *schema;  /* raw schema text, NULL: not given */
} bs_rest_sch_req_t;

typedef struct bs_rest_sch_s {
    int fmt; /* AVRO or JSONSCHEMA */
    int id;
    int version; /* -1 when the subject does not hold the schema */
    char subject[512];
} bs_rest_sch_t;

/* Resolves q against the registry (blocking: workers only). Returns 0, or
 * -1 with HTTP status, Confluent code and message: the registry's own code
 * when it answered (40401 subject, 40402 version, 40403 schema not found),
 * 400 for bad requests (unsupported PROTOBUF, strategy without schema,
 * type mismatch, invalid raw schema), 500/50002 when the registry cannot be
 * reached. */
int bs_rest_sch_resolve(bs_rest_t *r, const char *topic, bool is_key, const bs_rest_sch_req_t *q,
                        bs_rest_sch_t *out, int *status, int *code, char *msg, size_t msglen);
/* Encodes data (not null) in the wire format of s: magic 0, big-endian id,
 * then Avro binary (AVRO, data in Avro JSON encoding) or the compact JSON
 * text (JSONSCHEMA; not validated against the schema). *out is malloc'd.
 * Returns 0 or -1 (400: data does not match the Avro schema). */
int bs_rest_sch_encode(bs_rest_t *r, const char *topic, bool is_key, const bs_rest_sch_t *s,
                       json_t *data, uint8_t **out, size_t *len, int *status, int *code, char *msg,
                       size_t msglen);

/* A decoder for a consumer instance (one per instance: not thread-safe).
 * Appends the JSON text of framed Avro bytes to w. Returns 0 or -1 with
 * msg. */
typedef struct bs_rest_avro_dec_s bs_rest_avro_dec_t;
bs_rest_avro_dec_t *bs_rest_avro_dec_new(bs_rest_t *r, char *msg, size_t msglen);
int bs_rest_avro_dec_one(bs_rest_avro_dec_t *d, const void *buf, size_t len, bs_wbuf_t *w,
                         char *msg, size_t msglen);
void bs_rest_avro_dec_free(bs_rest_avro_dec_t *d);

#endif
