/*
 * produce.c — producing over HTTP: API v2 POST /topics/{t} and
 * /topics/{t}/partitions/{p} (embedded formats binary, json, avro), and API
 * v3 POST /v3/clusters/{c}/topics/{t}/records (one record, or the streaming
 * form: a body of concatenated records answered with concatenated delivery
 * reports, one per record, in order).
 *
 * Life of a request (a "batch"):
 *
 *   handler (I/O thread)      parse JSON, validate, decode binary/json
 *        |                    records into the batch's own buffers
 *        +-- topic cached ---> batch_send() on the I/O thread
 *        +-- else / avro ----> worker: topic lookup (40401), avro
 *            / v3 schema       encoding (registry), then batch_send()
 *   batch_send                rd_kafka_producev() per record (no copy: the
 *                              batch owns the bytes until every report)
 *   dr_cb (poller thread)     stores partition/offset/error in the record's
 *                              slot; the last one calls batch_finish()
 *   batch_finish              writes the response in record order, replies,
 *                              frees the batch
 *
 * v3 key/value types: BINARY, JSON, STRING are decoded on the I/O thread;
 * AVRO and JSONSCHEMA ("schema-based": a type naming one, or schema_id /
 * schema_version / schema / subject / subject_name_strategy without a type)
 * are checked there (v3_schema_fields, Confluent's rules) and resolved and
 * encoded on a worker (v3_encode_schemas -> bs_rest_sch_* in v2_avro.c):
 * registry calls block and never run on the I/O thread. PROTOBUF is
 * answered with a 400 for that record. Errors are per record.
 *
 * Streaming v3 (a chunked request body): the HTTP layer's streaming mode
 * (bs_http_stream_route_t) calls v3_head when the headers arrive; the body
 * chunks go to v3s_body on the I/O thread, which cuts complete JSON values
 * off the front of its buffer (json_loadb + JSON_DISABLE_EOF_CHECK; a
 * premature end waits for more bytes) and produces each record at once as a
 * one-record batch tagged with its sequence number. Each batch_finish hands
 * its report to v3s_report, which writes every report that is ready, in
 * sequence order, to the chunked response; the stream ends once the body has
 * ended and every report is written. Records that cannot be sent at once —
 * the topic's partition count is not known yet, or the record is
 * schema-based — wait on the stream's queue, and so does every record
 * behind them, until the drain job (v3s_drain_job, a worker) sends them in
 * body order; `smu` keeps sends in body order (taken around every send,
 * never by a report).
 * The REST Proxy's HTTP engine is full duplex (http.h, full_duplex): the
 * reports go out while the rest of the body is still arriving.
 *
 * Invariant: b->pending counts records not yet reported plus one guard held
 * by batch_send while it enqueues, so the batch cannot finish (and be freed)
 * before every record was handed to librdkafka.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/log.h"
#include "rest/rest_int.h"

typedef struct prod_rec_s {
    int32_t partition; /* RD_KAFKA_PARTITION_UA = partitioner */
    const uint8_t *key, *val;
    size_t klen, vlen;
    bool knull, vnull;
    void *kown, *vown;        /* malloc'd bytes to free (json, avro, v3 string) */
    json_t *kjson, *vjson;    /* avro: values still to encode (borrowed from doc) */
    rd_kafka_headers_t *hdrs; /* v3; ownership passes to librdkafka on success */
    int64_t ts;               /* 0 = now */
    int kfmt, vfmt;           /* v3: bs_rest_fmt_t of key and value */
    /* delivery report */
    rd_kafka_resp_err_t err;
    int32_t out_partition;
    int64_t out_offset, out_ts;
    char *errmsg; /* per-record validation error (v3), malloc'd */
    int errstatus;
    int errcode;                  /* Confluent code of errmsg; 0 = errstatus */
    struct v3_sch_s *ksch, *vsch; /* v3 schema-based sides (worker encodes) */
    struct prod_batch_s *b;
} prod_rec_t;

/* One schema-based side of a v3 record: what the request asked for, then
 * what the registry resolved it to (for the delivery report). */
typedef struct v3_sch_s {
    bs_rest_sch_req_t q; /* strings borrowed from the batch's doc */
    json_t *data;        /* borrowed from the batch's doc */
    bs_rest_sch_t res;
    bool resolved;
} v3_sch_t;

typedef struct prod_batch_s {
    bs_rest_t *r;
    bs_http_req_t *req;
    char *topic;
    int32_t path_partition; /* -1 = none */
    bs_rest_fmt_t fmt;
    bool v3;
    bool v3_stream; /* body held several records (or was chunked) */
    json_t *doc;    /* v2 body; v3: array of record objects */
    int n;
    prod_rec_t *recs;
    uint8_t *data; /* decoded binary bytes */
    size_t dlen, dcap;
    int key_schema_id, value_schema_id; /* -1 = null */
    const char *key_schema, *value_schema;
    int key_sid_in, value_sid_in; /* ids given in the request, -1 none */
    atomic_int pending;
    struct v3s_s *stream;       /* streaming v3: the one record's stream */
    int seq;                    /* its index in the stream */
    struct prod_batch_s *qnext; /* stream->wait queue */
} prod_batch_t;

static void v3s_report(struct v3s_s *st, int seq, bs_wbuf_t *w);

static void batch_free(prod_batch_t *b)
{
    if (!b)
        return;
    for (int i = 0; i < b->n; i++) {
        free(b->recs[i].kown);
        free(b->recs[i].vown);
        free(b->recs[i].errmsg);
        free(b->recs[i].ksch);
        free(b->recs[i].vsch);
        if (b->recs[i].hdrs)
            rd_kafka_headers_destroy(b->recs[i].hdrs);
    }
    free(b->recs);
    free(b->data);
    free(b->topic);
    if (b->doc)
        json_decref(b->doc);
    free(b);
}

/* ------------------------------------------------------------------------
 * responses
 * ---------------------------------------------------------------------- */

static void v3_ts(bs_wbuf_t *w, int64_t ms)
{
    char buf[64];
    time_t s = (time_t)(ms / 1000);
    struct tm tm;
    gmtime_r(&s, &tm);
    size_t n = strftime(buf, sizeof buf, "%Y-%m-%dT%H:%M:%S", &tm);
    snprintf(buf + n, sizeof buf - n, ".%03dZ", (int)(ms % 1000));
    bs_rest_jw_cstr(w, buf);
}

static const char *v3_type_name(int f)
{
    switch (f) {
    case BS_REST_FMT_JSON:
        return "JSON";
    case BS_REST_FMT_STRING:
        return "STRING";
    case BS_REST_FMT_AVRO:
        return "AVRO";
    case BS_REST_FMT_JSONSCHEMA:
        return "JSONSCHEMA";
    case BS_REST_FMT_PROTOBUF:
        return "PROTOBUF";
    default:
        return "BINARY";
    }
}

/* "key":{"type","subject","schema_id","schema_version","size"} */
static void v3_report_side(bs_wbuf_t *w, const char *name, int fmt, const v3_sch_t *sch,
                           size_t size)
{
    bs_rest_jw_raw(w, ",\"");
    bs_rest_jw_raw(w, name);
    bs_rest_jw_raw(w, "\":{\"type\":\"");
    bs_rest_jw_raw(w, v3_type_name(fmt));
    bs_rest_jw_raw(w, "\"");
    if (sch && sch->resolved) {
        bs_rest_jw_raw(w, ",\"subject\":");
        bs_rest_jw_cstr(w, sch->res.subject);
        bs_rest_jw_raw(w, ",\"schema_id\":");
        bs_rest_jw_i64(w, sch->res.id);
        if (sch->res.version > 0) {
            bs_rest_jw_raw(w, ",\"schema_version\":");
            bs_rest_jw_i64(w, sch->res.version);
        }
    }
    bs_rest_jw_raw(w, ",\"size\":");
    bs_rest_jw_i64(w, (int64_t)size);
    bs_rest_jw_raw(w, "}");
}

static void v3_report(bs_wbuf_t *w, prod_batch_t *b, prod_rec_t *rc)
{
    if (rc->errmsg || rc->err) {
        int status = rc->errstatus, code = rc->errcode;
        if (!rc->errmsg)
            bs_rest_kafka_error_code(rc->err, &status, &code);
        else if (!code)
            code = status;
        bs_rest_jw_raw(w, "{\"error_code\":");
        bs_rest_jw_i64(w, code ? code : 500);
        bs_rest_jw_raw(w, ",\"message\":");
        bs_rest_jw_cstr(w, rc->errmsg ? rc->errmsg : rd_kafka_err2str(rc->err));
        bs_rest_jw_raw(w, "}");
        return;
    }
    bs_rest_jw_raw(w, "{\"error_code\":200,\"cluster_id\":");
    bs_rest_jw_cstr(w, b->r->cluster_id);
    bs_rest_jw_raw(w, ",\"topic_name\":");
    bs_rest_jw_cstr(w, b->topic);
    bs_rest_jw_raw(w, ",\"partition_id\":");
    bs_rest_jw_i64(w, rc->out_partition);
    bs_rest_jw_raw(w, ",\"offset\":");
    bs_rest_jw_i64(w, rc->out_offset);
    bs_rest_jw_raw(w, ",\"timestamp\":");
    v3_ts(w, rc->out_ts);
    if (!rc->knull || rc->ksch)
        v3_report_side(w, "key", rc->kfmt, rc->ksch, rc->knull ? 0 : rc->klen);
    if (!rc->vnull || rc->vsch)
        v3_report_side(w, "value", rc->vfmt, rc->vsch, rc->vnull ? 0 : rc->vlen);
    bs_rest_jw_raw(w, "}");
}

static void batch_finish(prod_batch_t *b)
{
    bs_wbuf_t w;
    bs_wbuf_init(&w);
    int status = 200;
    if (b->stream) {
        v3_report(&w, b, &b->recs[0]);
        struct v3s_s *st = b->stream;
        int seq = b->seq;
        batch_free(b);
        v3s_report(st, seq, &w); /* may end the stream and free st */
        return;
    }
    if (b->v3) {
        for (int i = 0; i < b->n; i++) {
            if (i)
                bs_wbuf_u8(&w, '\n');
            v3_report(&w, b, &b->recs[i]);
        }
        if (!b->v3_stream && b->n == 1 && (b->recs[0].errmsg || b->recs[0].err)) {
            int code;
            status = b->recs[0].errstatus;
            if (!b->recs[0].errmsg)
                bs_rest_kafka_error_code(b->recs[0].err, &status, &code);
        }
        bs_rest_reply_wbuf(b->req, status, "application/json", &w);
        batch_free(b);
        return;
    }
    bs_rest_jw_raw(&w, "{\"key_schema_id\":");
    if (b->key_schema_id >= 0)
        bs_rest_jw_i64(&w, b->key_schema_id);
    else
        bs_rest_jw_raw(&w, "null");
    bs_rest_jw_raw(&w, ",\"value_schema_id\":");
    if (b->value_schema_id >= 0)
        bs_rest_jw_i64(&w, b->value_schema_id);
    else
        bs_rest_jw_raw(&w, "null");
    bs_rest_jw_raw(&w, ",\"offsets\":[");
    for (int i = 0; i < b->n; i++) {
        prod_rec_t *rc = &b->recs[i];
        if (i)
            bs_wbuf_u8(&w, ',');
        if (rc->err) {
            int st, code;
            bs_rest_kafka_error_code(rc->err, &st, &code);
            if (code != 50003)
                code = st == 401 ? 40101 : st == 403 ? 40301 : 50002;
            if (st == 401 || st == 403)
                status = st; /* Confluent: auth failures make the request fail */
            bs_rest_jw_raw(&w, "{\"partition\":");
            if (rc->out_partition >= 0)
                bs_rest_jw_i64(&w, rc->out_partition);
            else
                bs_rest_jw_raw(&w, "null");
            bs_rest_jw_raw(&w, ",\"offset\":null,\"error_code\":");
            bs_rest_jw_i64(&w, code);
            bs_rest_jw_raw(&w, ",\"error\":");
            bs_rest_jw_cstr(&w, rd_kafka_err2str(rc->err));
            bs_rest_jw_raw(&w, "}");
        } else {
            bs_rest_jw_raw(&w, "{\"partition\":");
            bs_rest_jw_i64(&w, rc->out_partition);
            bs_rest_jw_raw(&w, ",\"offset\":");
            bs_rest_jw_i64(&w, rc->out_offset);
            bs_rest_jw_raw(&w, ",\"error_code\":null,\"error\":null}");
        }
    }
    bs_rest_jw_raw(&w, "]}");
    bs_rest_reply_wbuf(b->req, status, NULL, &w);
    batch_free(b);
}

static void batch_release(prod_batch_t *b)
{
    if (atomic_fetch_sub(&b->pending, 1) == 1)
        batch_finish(b);
}

/* Delivery reports: the producer's poller thread. */
void bs_rest_v2_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk, (void)opaque;
    prod_rec_t *rc = m->_private;
    if (!rc)
        return;
    rc->err = m->err;
    rc->out_partition = m->partition;
    rc->out_offset = m->offset;
    rd_kafka_timestamp_type_t tt;
    rc->out_ts = rd_kafka_message_timestamp(m, &tt);
    if (rc->out_ts < 0)
        rc->out_ts = 0;
    batch_release(rc->b);
}

/* Hands every record to librdkafka (any thread; never blocks). */
static void batch_send(prod_batch_t *b)
{
    rd_kafka_t *rk = b->r->rk;
    atomic_store(&b->pending, b->n + 1);
    for (int i = 0; i < b->n; i++) {
        prod_rec_t *rc = &b->recs[i];
        rc->out_partition = -1;
        if (rc->errmsg) { /* v3 record rejected at validation */
            atomic_fetch_sub(&b->pending, 1);
            continue;
        }
        int32_t part = b->path_partition >= 0 ? b->path_partition : rc->partition;
        rd_kafka_resp_err_t e;
        if (rc->hdrs) {
            e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(b->topic), RD_KAFKA_V_PARTITION(part),
                RD_KAFKA_V_KEY(rc->knull ? NULL : (void *)rc->key, rc->knull ? 0 : rc->klen),
                RD_KAFKA_V_VALUE(rc->vnull ? NULL : (void *)rc->val, rc->vnull ? 0 : rc->vlen),
                RD_KAFKA_V_TIMESTAMP(rc->ts), RD_KAFKA_V_HEADERS(rc->hdrs), RD_KAFKA_V_OPAQUE(rc),
                RD_KAFKA_V_END);
            if (!e)
                rc->hdrs = NULL; /* now librdkafka's */
        } else {
            e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(b->topic), RD_KAFKA_V_PARTITION(part),
                RD_KAFKA_V_KEY(rc->knull ? NULL : (void *)rc->key, rc->knull ? 0 : rc->klen),
                RD_KAFKA_V_VALUE(rc->vnull ? NULL : (void *)rc->val, rc->vnull ? 0 : rc->vlen),
                RD_KAFKA_V_TIMESTAMP(rc->ts), RD_KAFKA_V_OPAQUE(rc), RD_KAFKA_V_END);
        }
        if (e) {
            rc->err = e;
            rc->out_partition = part >= 0 ? part : -1;
            atomic_fetch_sub(&b->pending, 1);
        }
    }
    batch_release(b);
}

/* ------------------------------------------------------------------------
 * record decoding
 * ---------------------------------------------------------------------- */

static uint8_t *batch_alloc(prod_batch_t *b, size_t n)
{
    if (b->dlen + n > b->dcap)
        return NULL; /* sized up front: cannot happen */
    uint8_t *p = b->data + b->dlen;
    b->dlen += n;
    return p;
}

/* Decodes one binary (base64) or json field into (ptr, len, null, own).
 * Returns 0 or -1 with msg. */
static int decode_field(prod_batch_t *b, bs_rest_fmt_t fmt, json_t *v, const char *what,
                        const uint8_t **p, size_t *len, bool *isnull, void **own, char *msg,
                        size_t msglen)
{
    *isnull = false;
    if (!v || json_is_null(v)) {
        *isnull = true;
        *p = NULL;
        *len = 0;
        return 0;
    }
    if (fmt == BS_REST_FMT_BINARY) {
        if (!json_is_string(v)) {
            snprintf(msg, msglen, "Record %s must be a base64 string or null for the binary format",
                     what);
            return -1;
        }
        size_t sl = json_string_length(v);
        uint8_t *out = batch_alloc(b, bs_rest_b64_maxlen(sl));
        long n = out ? bs_rest_b64_decode(json_string_value(v), sl, out) : -1;
        if (n < 0) {
            snprintf(msg, msglen, "Record %s is not valid base64", what);
            return -1;
        }
        *p = out;
        *len = (size_t)n;
        return 0;
    }
    if (fmt == BS_REST_FMT_STRING) {
        if (!json_is_string(v)) {
            snprintf(msg, msglen, "Record %s of type STRING must be a JSON string", what);
            return -1;
        }
        *p = (const uint8_t *)json_string_value(v); /* lives in b->doc */
        *len = json_string_length(v);
        return 0;
    }
    /* json: the compact JSON text */
    char *s = json_dumps(v, JSON_COMPACT | JSON_ENCODE_ANY);
    if (!s) {
        snprintf(msg, msglen, "Record %s cannot be encoded as JSON", what);
        return -1;
    }
    *own = s;
    *p = (const uint8_t *)s;
    *len = strlen(s);
    return 0;
}

static size_t b64_need(json_t *v)
{
    return json_is_string(v) ? bs_rest_b64_maxlen(json_string_length(v)) : 0;
}

/* ------------------------------------------------------------------------
 * worker continuation: topic lookup, avro encoding, then send
 * ---------------------------------------------------------------------- */

static int avro_encode_side(prod_batch_t *b, bool is_key, int *status, int *code, char *msg,
                            size_t msglen)
{
    const char *schema = is_key ? b->key_schema : b->value_schema;
    int sid = is_key ? b->key_sid_in : b->value_sid_in;
    bool any = false;
    for (int i = 0; i < b->n; i++) {
        json_t *v = is_key ? b->recs[i].kjson : b->recs[i].vjson;
        if (v && !json_is_null(v))
            any = true;
    }
    if (!any)
        return 0;
    if (!schema && sid < 0) {
        *status = 422;
        *code = is_key ? 42201 : 42202;
        snprintf(msg, msglen, "Request includes %s but does not include %s schema",
                 is_key ? "keys" : "values", is_key ? "key" : "value");
        return -1;
    }
    int id = -1;
    bs_rest_avro_enc_t *e =
        bs_rest_avro_enc_new(b->r, b->topic, is_key, schema, sid, &id, status, code, msg, msglen);
    if (!e)
        return -1;
    if (is_key)
        b->key_schema_id = id;
    else
        b->value_schema_id = id;
    int rc = 0;
    for (int i = 0; i < b->n; i++) {
        prod_rec_t *r = &b->recs[i];
        json_t *v = is_key ? r->kjson : r->vjson;
        if (!v || json_is_null(v))
            continue;
        uint8_t *out = NULL;
        size_t len = 0;
        char m[400];
        if (bs_rest_avro_enc_one(e, v, &out, &len, m, sizeof m) != 0) {
            *status = 422;
            *code = 42203;
            snprintf(msg, msglen, "Conversion of JSON to Avro failed: %s", m);
            rc = -1;
            break;
        }
        if (is_key) {
            r->kown = out, r->key = out, r->klen = len, r->knull = false;
        } else {
            r->vown = out, r->val = out, r->vlen = len, r->vnull = false;
        }
    }
    bs_rest_avro_enc_free(e);
    return rc;
}

static bool batch_partitions_ok(prod_batch_t *b, int count)
{
    if (b->path_partition >= count)
        return false;
    for (int i = 0; i < b->n; i++)
        if (b->recs[i].partition >= count)
            return false;
    return true;
}

static void batch_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    prod_batch_t *b = arg;
    char err[512];
    int cnt = bs_rest_topic_lookup(r, b->topic, 50, err, sizeof err);
    if (cnt == -2) {
        bs_http_reply_error(req, 500, 50002, "%s", err);
        goto fail;
    }
    if (cnt == 0) {
        bs_http_reply_error(req, 404, 40401, "Topic %s not found.", b->topic);
        goto fail;
    }
    if (!batch_partitions_ok(b, cnt)) {
        bs_http_reply_error(req, 404, 40402, "Partition not found.");
        goto fail;
    }
    if (b->fmt == BS_REST_FMT_AVRO) {
        int status = 500, code = 50002;
        if (avro_encode_side(b, true, &status, &code, err, sizeof err) != 0 ||
            avro_encode_side(b, false, &status, &code, err, sizeof err) != 0) {
            bs_http_reply_error(req, status, code, "%s", err);
            goto fail;
        }
    }
    batch_send(b);
    return;
fail:
    batch_free(b);
}

static void batch_start(prod_batch_t *b)
{
    if (b->fmt != BS_REST_FMT_AVRO) {
        int cnt = bs_rest_topic_cached(b->r, b->topic);
        if (cnt > 0) {
            if (!batch_partitions_ok(b, cnt)) {
                bs_http_reply_error(b->req, 404, 40402, "Partition not found.");
                batch_free(b);
                return;
            }
            batch_send(b);
            return;
        }
    }
    bs_rest_submit(b->r, b->req, batch_job, b, NULL);
}

/* ------------------------------------------------------------------------
 * API v2
 * ---------------------------------------------------------------------- */

/* ---- fast path: binary bodies without jansson ----
 *
 * A produce request of the binary format is {"records":[{"key":"<b64>",
 * "value":"<b64>","partition":n}, ...]} plus keys we ignore. This scanner
 * reads exactly that shape straight from the body (no tree, no copies of
 * the strings) and gives up (returns -1) on anything else — escapes in
 * strings, schema fields, unexpected types, malformed JSON — so the jansson
 * path below handles, and reports, every other case. */

typedef struct fp_s {
    const char *p, *end;
} fp_t;

static void fp_ws(fp_t *f)
{
    while (f->p < f->end && (*f->p == ' ' || *f->p == '\n' || *f->p == '\r' || *f->p == '\t'))
        f->p++;
}

static bool fp_lit(fp_t *f, char c)
{
    fp_ws(f);
    if (f->p < f->end && *f->p == c) {
        f->p++;
        return true;
    }
    return false;
}

/* A string without escapes: [*s, *s + *n). */
static bool fp_str(fp_t *f, const char **s, size_t *n)
{
    fp_ws(f);
    if (f->p >= f->end || *f->p != '"')
        return false;
    const char *b = ++f->p;
    const char *q = memchr(b, '"', (size_t)(f->end - b));
    if (!q || memchr(b, '\\', (size_t)(q - b)))
        return false;
    *s = b;
    *n = (size_t)(q - b);
    f->p = q + 1;
    return true;
}

static bool fp_word(fp_t *f, const char *w)
{
    size_t n = strlen(w);
    fp_ws(f);
    if ((size_t)(f->end - f->p) >= n && memcmp(f->p, w, n) == 0) {
        f->p += n;
        return true;
    }
    return false;
}

/* Skips any JSON value (depth-limited); false on anything odd. */
static bool fp_skip(fp_t *f, int depth)
{
    fp_ws(f);
    if (f->p >= f->end || depth > 32)
        return false;
    char c = *f->p;
    if (c == '"') {
        f->p++;
        while (f->p < f->end && *f->p != '"') {
            if (*f->p == '\\')
                f->p++;
            f->p++;
        }
        if (f->p >= f->end)
            return false;
        f->p++;
        return true;
    }
    if (c == '{' || c == '[') {
        char close = c == '{' ? '}' : ']';
        f->p++;
        if (fp_lit(f, close))
            return true;
        for (;;) {
            if (c == '{') {
                const char *k;
                size_t kn;
                if (!fp_str(f, &k, &kn) || !fp_lit(f, ':'))
                    return false;
            }
            if (!fp_skip(f, depth + 1))
                return false;
            if (fp_lit(f, ','))
                continue;
            return fp_lit(f, close);
        }
    }
    const char *b = f->p;
    while (f->p < f->end && (strchr("+-.eE", *f->p) || (*f->p >= '0' && *f->p <= '9') ||
                             (*f->p >= 'a' && *f->p <= 'z')))
        f->p++;
    return f->p > b;
}

typedef struct fp_rec_s {
    const char *k, *v;
    size_t kn, vn;
    bool knull, vnull;
    int32_t partition;
} fp_rec_t;

/* Returns the batch, or NULL when the body is not of the simple shape. */
static prod_batch_t *fast_binary(bs_http_req_t *req, bs_rest_t *r, int32_t path_partition)
{
    size_t len;
    const char *body = (const char *)bs_http_body(req, &len);
    fp_t f = {body, body + len};
    fp_rec_t *recs = NULL;
    int n = 0, cap = 0;
    bool seen = false;
    prod_batch_t *b = NULL;

    if (!fp_lit(&f, '{'))
        goto out;
    if (fp_lit(&f, '}'))
        goto out;
    for (;;) {
        const char *k;
        size_t kn;
        if (!fp_str(&f, &k, &kn) || !fp_lit(&f, ':'))
            goto out;
        if (kn == 7 && memcmp(k, "records", 7) == 0) {
            if (seen || !fp_lit(&f, '[') || fp_lit(&f, ']'))
                goto out;
            seen = true;
            for (;;) {
                if (n == cap) {
                    cap = cap ? 2 * cap : 128;
                    recs = bs_xrealloc(recs, sizeof *recs * (size_t)cap);
                }
                fp_rec_t *rc = &recs[n++];
                memset(rc, 0, sizeof *rc);
                rc->knull = rc->vnull = true;
                rc->partition = RD_KAFKA_PARTITION_UA;
                if (!fp_lit(&f, '{'))
                    goto out;
                if (!fp_lit(&f, '}')) {
                    for (;;) {
                        const char *fk;
                        size_t fkn;
                        if (!fp_str(&f, &fk, &fkn) || !fp_lit(&f, ':'))
                            goto out;
                        bool is_k = fkn == 3 && memcmp(fk, "key", 3) == 0;
                        bool is_v = fkn == 5 && memcmp(fk, "value", 5) == 0;
                        if (is_k || is_v) {
                            const char *sv;
                            size_t sn;
                            if (fp_word(&f, "null")) {
                                sv = NULL, sn = 0;
                            } else if (!fp_str(&f, &sv, &sn)) {
                                goto out;
                            }
                            if (is_k)
                                rc->k = sv, rc->kn = sn, rc->knull = sv == NULL;
                            else
                                rc->v = sv, rc->vn = sn, rc->vnull = sv == NULL;
                        } else if (fkn == 9 && memcmp(fk, "partition", 9) == 0) {
                            fp_ws(&f);
                            if (fp_word(&f, "null"))
                                goto next_field;
                            int64_t pv = 0;
                            const char *d = f.p;
                            while (f.p < f.end && *f.p >= '0' && *f.p <= '9' && pv <= INT32_MAX)
                                pv = pv * 10 + (*f.p++ - '0');
                            if (f.p == d || pv > INT32_MAX || (f.p < f.end && strchr(".eE", *f.p)))
                                goto out;
                            rc->partition = (int32_t)pv;
                        } else if (!fp_skip(&f, 1)) {
                            goto out;
                        }
                    next_field:
                        if (fp_lit(&f, ','))
                            continue;
                        if (fp_lit(&f, '}'))
                            break;
                        goto out;
                    }
                }
                if (fp_lit(&f, ','))
                    continue;
                if (fp_lit(&f, ']'))
                    break;
                goto out;
            }
        } else if ((kn >= 10 && memcmp(k + kn - 6, "schema", 6) == 0) ||
                   (kn >= 13 && memcmp(k + kn - 9, "schema_id", 9) == 0)) {
            goto out; /* schemas: leave it to the full path */
        } else if (!fp_skip(&f, 1)) {
            goto out;
        }
        if (fp_lit(&f, ','))
            continue;
        if (fp_lit(&f, '}'))
            break;
        goto out;
    }
    fp_ws(&f);
    if (f.p != f.end || !seen)
        goto out;

    size_t need = 0;
    for (int i = 0; i < n; i++)
        need += bs_rest_b64_maxlen(recs[i].kn) + bs_rest_b64_maxlen(recs[i].vn);
    b = bs_xcalloc(1, sizeof *b);
    b->r = r;
    b->req = req;
    b->topic = bs_xstrdup(bs_http_param(req, "topic"));
    b->path_partition = path_partition;
    b->fmt = BS_REST_FMT_BINARY;
    b->key_schema_id = b->value_schema_id = -1;
    b->key_sid_in = b->value_sid_in = -1;
    b->n = n;
    b->recs = bs_xcalloc((size_t)n, sizeof *b->recs);
    b->dcap = need;
    b->data = need ? bs_xmalloc(need) : NULL;
    for (int i = 0; i < n; i++) {
        prod_rec_t *rc = &b->recs[i];
        rc->b = b;
        rc->partition = recs[i].partition;
        rc->knull = recs[i].knull;
        rc->vnull = recs[i].vnull;
        if (!rc->knull) {
            uint8_t *o = batch_alloc(b, bs_rest_b64_maxlen(recs[i].kn));
            long dl = bs_rest_b64_decode(recs[i].k, recs[i].kn, o);
            if (dl < 0)
                goto bad;
            rc->key = o, rc->klen = (size_t)dl;
        }
        if (!rc->vnull) {
            uint8_t *o = batch_alloc(b, bs_rest_b64_maxlen(recs[i].vn));
            long dl = bs_rest_b64_decode(recs[i].v, recs[i].vn, o);
            if (dl < 0)
                goto bad;
            rc->val = o, rc->vlen = (size_t)dl;
        }
    }
    goto out;
bad: /* the full path names the record */
    batch_free(b);
    b = NULL;
out:
    free(recs);
    return b;
}

static void v2_produce(bs_http_req_t *req, bs_rest_t *r, int32_t path_partition)
{
    if (bs_rest_fmt_of_media(bs_http_header(req, "Content-Type")) != BS_REST_FMT_JSON &&
        bs_rest_fmt_of_media(bs_http_header(req, "Content-Type")) != BS_REST_FMT_AVRO &&
        bs_rest_fmt_of_media(bs_http_header(req, "Content-Type")) != BS_REST_FMT_UNKNOWN) {
        prod_batch_t *fb = fast_binary(req, r, path_partition);
        if (fb) {
            batch_start(fb);
            return;
        }
    }
    prod_batch_t *b = NULL;
    json_error_t je;
    char msg[512];
    const char *topic = bs_http_param(req, "topic");
    bs_rest_fmt_t fmt = bs_rest_fmt_of_media(bs_http_header(req, "Content-Type"));
    if (fmt == BS_REST_FMT_GENERIC)
        fmt = BS_REST_FMT_BINARY;
    if (fmt == BS_REST_FMT_UNKNOWN) {
        bs_http_reply_error(req, 415, 415,
                            "HTTP 415 Unsupported Media Type: embedded format not supported "
                            "(binary, json and avro are)");
        return;
    }
    json_t *doc = bs_http_body_json(req, &je);
    if (!doc) {
        bs_http_reply_error(req, 400, 400,
                            "Unexpected character or malformed JSON: %s (line %d, "
                            "column %d)",
                            je.text, je.line, je.column);
        return;
    }
    json_t *records = json_object_get(doc, "records");
    if (!json_is_object(doc) || !json_is_array(records) || json_array_size(records) == 0) {
        bs_http_reply_error(req, 422, 422,
                            "records may not be empty: the body must be an object "
                            "with a non-empty \"records\" array");
        json_decref(doc);
        return;
    }
    b = bs_xcalloc(1, sizeof *b);
    b->r = r;
    b->req = req;
    b->doc = doc;
    b->topic = bs_xstrdup(topic);
    b->path_partition = path_partition;
    b->fmt = fmt;
    b->key_schema_id = b->value_schema_id = -1;
    b->key_sid_in = b->value_sid_in = -1;
    b->n = (int)json_array_size(records);
    b->recs = bs_xcalloc((size_t)b->n, sizeof *b->recs);

    if (fmt == BS_REST_FMT_AVRO) {
        json_t *ks = json_object_get(doc, "key_schema"), *vs = json_object_get(doc, "value_schema");
        json_t *ki = json_object_get(doc, "key_schema_id"),
               *vi = json_object_get(doc, "value_schema_id");
        b->key_schema = json_is_string(ks) ? json_string_value(ks) : NULL;
        b->value_schema = json_is_string(vs) ? json_string_value(vs) : NULL;
        b->key_sid_in = json_is_integer(ki) ? (int)json_integer_value(ki) : -1;
        b->value_sid_in = json_is_integer(vi) ? (int)json_integer_value(vi) : -1;
    } else {
        size_t need = 0;
        if (fmt == BS_REST_FMT_BINARY)
            for (int i = 0; i < b->n; i++) {
                json_t *rec = json_array_get(records, (size_t)i);
                need +=
                    b64_need(json_object_get(rec, "key")) + b64_need(json_object_get(rec, "value"));
            }
        b->dcap = need;
        b->data = need ? bs_xmalloc(need) : NULL;
    }
    for (int i = 0; i < b->n; i++) {
        json_t *rec = json_array_get(records, (size_t)i);
        prod_rec_t *rc = &b->recs[i];
        rc->b = b;
        rc->partition = RD_KAFKA_PARTITION_UA;
        if (!json_is_object(rec)) {
            bs_http_reply_error(req, 422, 422, "records[%d] must be an object", i);
            goto fail;
        }
        json_t *p = json_object_get(rec, "partition");
        if (p && !json_is_null(p)) {
            if (!json_is_integer(p) || json_integer_value(p) < 0 ||
                json_integer_value(p) > INT32_MAX) {
                bs_http_reply_error(req, 422, 422,
                                    "records[%d].partition must be a non-negative integer", i);
                goto fail;
            }
            rc->partition = (int32_t)json_integer_value(p);
        }
        json_t *k = json_object_get(rec, "key"), *v = json_object_get(rec, "value");
        if (fmt == BS_REST_FMT_AVRO) {
            rc->kjson = k;
            rc->vjson = v;
            rc->knull = !k || json_is_null(k);
            rc->vnull = !v || json_is_null(v);
            continue;
        }
        char what[32];
        snprintf(what, sizeof what, "records[%d].key", i);
        if (decode_field(b, fmt, k, what, &rc->key, &rc->klen, &rc->knull, &rc->kown, msg,
                         sizeof msg) != 0) {
            bs_http_reply_error(req, 422, 422, "%s", msg);
            goto fail;
        }
        snprintf(what, sizeof what, "records[%d].value", i);
        if (decode_field(b, fmt, v, what, &rc->val, &rc->vlen, &rc->vnull, &rc->vown, msg,
                         sizeof msg) != 0) {
            bs_http_reply_error(req, 422, 422, "%s", msg);
            goto fail;
        }
    }
    batch_start(b);
    return;
fail:
    batch_free(b);
}

void bs_rest_v2_produce_topic(bs_http_req_t *req, void *ctx)
{
    v2_produce(req, ctx, -1);
}

void bs_rest_v2_produce_partition(bs_http_req_t *req, void *ctx)
{
    int32_t p = bs_rest_parse_i32(bs_http_param(req, "partition"));
    if (p < 0) {
        bs_http_reply_error(req, 404, 40402, "Partition not found.");
        return;
    }
    v2_produce(req, ctx, p);
}

/* ------------------------------------------------------------------------
 * API v3 records
 * ---------------------------------------------------------------------- */

static void rec_reject(prod_rec_t *rc, int status, const char *fmt, const char *arg)
{
    char m[1024];
    snprintf(m, sizeof m, fmt, arg);
    rc->errmsg = bs_xstrdup(m);
    rc->errstatus = status;
}

/* The type names of v3 ("BINARY", "AVRO", ...; Confluent's EmbeddedFormat
 * is case-insensitive); UNKNOWN for anything else. */
static bs_rest_fmt_t v3_type_parse(const char *t)
{
    if (!t)
        return BS_REST_FMT_UNKNOWN;
    if (strcasecmp(t, "JSONSCHEMA") == 0)
        return BS_REST_FMT_JSONSCHEMA;
    if (strcasecmp(t, "PROTOBUF") == 0)
        return BS_REST_FMT_PROTOBUF;
    return bs_rest_fmt_parse_name(t);
}

/* Reads "type" and the schema fields of a v3 key/value object with
 * Confluent's checks (ProduceRequestData): a schemaless type (BINARY, JSON,
 * STRING) takes no schema field; subject and subject_name_strategy exclude
 * each other, and so do schema_id, schema_version and schema; a schema
 * type (AVRO, JSONSCHEMA, PROTOBUF) needs one of them (Confluent: a raw
 * schema; Basin also takes schema_id / schema_version with a type and
 * checks it against the registry's). A side is schema-based when its type
 * is a schema type, or when the type is omitted and a schema field is
 * given (the registry's type decides; subject or subject_name_strategy
 * alone select the subject's latest version). Type and schema fields both
 * omitted: schemaless, as before (Confluent would try the latest version
 * of <topic>-key/-value). Returns 1 (schema-based, q filled), 0 (schemaless, *fmt set;
 * -1 = type omitted), or -1 with msg. Pure: no registry access. */
static int v3_schema_fields(json_t *o, const char *what, bs_rest_sch_req_t *q, int *fmt, char *msg,
                            size_t msglen)
{
    memset(q, 0, sizeof *q);
    q->fmt = -1;
    q->id = q->version = -1;
    *fmt = -1;
    json_t *t = json_object_get(o, "type");
    if (t && !json_is_null(t)) {
        bs_rest_fmt_t f =
            json_is_string(t) ? v3_type_parse(json_string_value(t)) : BS_REST_FMT_UNKNOWN;
        if (f == BS_REST_FMT_UNKNOWN || f == BS_REST_FMT_GENERIC) {
            snprintf(msg, msglen,
                     "Unsupported %s type (BINARY, JSON, STRING, AVRO and JSONSCHEMA are "
                     "supported)",
                     what);
            return -1;
        }
        *fmt = (int)f;
    }
    static const char *const names[] = {"subject", "subject_name_strategy", "schema_id",
                                        "schema_version", "schema"};
    json_t *v[5];
    const char *given = NULL;
    int nsch = 0;
    for (int i = 0; i < 5; i++) {
        v[i] = json_object_get(o, names[i]);
        if (v[i] && json_is_null(v[i]))
            v[i] = NULL;
        if (v[i] && !given)
            given = names[i];
        if (v[i] && i >= 2)
            nsch++;
    }
    bool schema_type =
        *fmt == BS_REST_FMT_AVRO || *fmt == BS_REST_FMT_JSONSCHEMA || *fmt == BS_REST_FMT_PROTOBUF;
    if (*fmt >= 0 && !schema_type) {
        if (given) {
            snprintf(msg, msglen, "'type=%s' cannot be used with '%s'.", v3_type_name(*fmt), given);
            return -1;
        }
        return 0;
    }
    if (*fmt < 0 && !given)
        return 0; /* schemaless, type from the data */
    if (v[0] && v[1]) {
        snprintf(msg, msglen, "Only one of 'subject_name_strategy' or 'subject' can be used.");
        return -1;
    }
    if (nsch > 1) {
        snprintf(msg, msglen, "Only one of 'schema_id', 'schema_version' or 'schema' can be used.");
        return -1;
    }
    if (*fmt == BS_REST_FMT_PROTOBUF) {
        snprintf(msg, msglen,
                 "PROTOBUF records are not supported by Basin's REST Proxy (no Protobuf "
                 "serializer): use AVRO, JSONSCHEMA, JSON, STRING or BINARY");
        return -1;
    }
    if (*fmt >= 0 && nsch == 0) {
        /* Confluent: a type that needs a schema takes a raw schema
         * ("'schema_version=latest' cannot be used with 'serializer'") */
        snprintf(msg, msglen,
                 "'type=%s' needs 'schema'; to use a registered schema leave 'type' out and "
                 "give schema_id, schema_version, or subject / subject_name_strategy (latest "
                 "version)",
                 v3_type_name(*fmt));
        return -1;
    }
    q->fmt = *fmt;
    if (v[0]) {
        if (!json_is_string(v[0]) || json_string_length(v[0]) == 0) {
            snprintf(msg, msglen, "%s subject must be a non-empty string", what);
            return -1;
        }
        q->subject = json_string_value(v[0]);
    }
    if (v[1]) {
        const char *sn = json_string_value(v[1]);
        if (sn && strcasecmp(sn, "TOPIC_NAME") == 0)
            q->strategy = BS_REST_SNS_TOPIC_NAME;
        else if (sn && strcasecmp(sn, "RECORD_NAME") == 0)
            q->strategy = BS_REST_SNS_RECORD_NAME;
        else if (sn && strcasecmp(sn, "TOPIC_RECORD_NAME") == 0)
            q->strategy = BS_REST_SNS_TOPIC_RECORD_NAME;
        else {
            snprintf(msg, msglen,
                     "%s subject_name_strategy must be TOPIC_NAME, RECORD_NAME or "
                     "TOPIC_RECORD_NAME",
                     what);
            return -1;
        }
        q->strategy_given = true;
    }
    if (v[2]) {
        if (!json_is_integer(v[2]) || json_integer_value(v[2]) < 0 ||
            json_integer_value(v[2]) > INT32_MAX) {
            snprintf(msg, msglen, "%s schema_id must be a non-negative integer", what);
            return -1;
        }
        q->id = json_integer_value(v[2]);
    }
    if (v[3]) {
        if (!json_is_integer(v[3]) || json_integer_value(v[3]) < 1 ||
            json_integer_value(v[3]) > INT32_MAX) {
            snprintf(msg, msglen, "%s schema_version must be a positive integer", what);
            return -1;
        }
        q->version = json_integer_value(v[3]);
    }
    if (v[4]) {
        if (!json_is_string(v[4])) {
            snprintf(msg, msglen, "%s schema must be a string holding the schema", what);
            return -1;
        }
        if (q->fmt < 0) {
            snprintf(msg, msglen, "%s schema needs a 'type' (AVRO or JSONSCHEMA)", what);
            return -1;
        }
        q->schema = json_string_value(v[4]);
    }
    return 1;
}

/* Parses a v3 "key"/"value" object {"type","data",schema fields} into the
 * record. Schema-based sides are only checked here; a worker resolves and
 * encodes them (v3_encode_schemas). */
static int v3_side(prod_batch_t *b, prod_rec_t *rc, json_t *o, bool is_key)
{
    const char *what = is_key ? "key" : "value";
    if (!o || json_is_null(o)) {
        if (is_key)
            rc->knull = true;
        else
            rc->vnull = true;
        return 0;
    }
    if (!json_is_object(o)) {
        rec_reject(rc, 400, "Record %s must be an object {\"type\",\"data\"}", what);
        return -1;
    }
    char msg[256];
    bs_rest_sch_req_t q;
    int tf;
    json_t *data = json_object_get(o, "data");
    int sk = v3_schema_fields(o, what, &q, &tf, msg, sizeof msg);
    if (sk < 0) {
        rec_reject(rc, 400, "%s", msg);
        return -1;
    }
    if (sk == 1) {
        v3_sch_t *sc = bs_xcalloc(1, sizeof *sc);
        sc->q = q;
        sc->data = data;
        if (is_key)
            rc->ksch = sc, rc->knull = true, rc->kfmt = q.fmt >= 0 ? q.fmt : BS_REST_FMT_AVRO;
        else
            rc->vsch = sc, rc->vnull = true, rc->vfmt = q.fmt >= 0 ? q.fmt : BS_REST_FMT_AVRO;
        return 0;
    }
    bs_rest_fmt_t f = BS_REST_FMT_BINARY;
    if (tf >= 0)
        f = (bs_rest_fmt_t)tf;
    else if (!json_is_string(data) && data && !json_is_null(data))
        f = BS_REST_FMT_JSON; /* Confluent: schemaless non-string data is JSON */
    void *own = NULL;
    const uint8_t *p = NULL;
    size_t len = 0;
    bool isnull = false;
    if (f == BS_REST_FMT_BINARY && json_is_string(data)) {
        /* v3 binary data is decoded into its own buffer */
        size_t sl = json_string_length(data);
        uint8_t *out = bs_xmalloc(bs_rest_b64_maxlen(sl) + 1);
        long n = bs_rest_b64_decode(json_string_value(data), sl, out);
        if (n < 0) {
            free(out);
            rec_reject(rc, 400, "Record %s data is not valid base64", what);
            return -1;
        }
        own = out, p = out, len = (size_t)n;
    } else if (decode_field(b, f, data, what, &p, &len, &isnull, &own, msg, sizeof msg) != 0) {
        rec_reject(rc, 400, "%s", msg);
        return -1;
    }
    if (is_key) {
        rc->key = p, rc->klen = len, rc->knull = isnull, rc->kown = own, rc->kfmt = (int)f;
    } else {
        rc->val = p, rc->vlen = len, rc->vnull = isnull, rc->vown = own, rc->vfmt = (int)f;
    }
    return 0;
}

/* ------------------------------------------------------------------------
 * API v3 schema-based sides (worker threads only: registry calls block)
 * ---------------------------------------------------------------------- */

static bool rec_needs_schema(const prod_rec_t *rc)
{
    return !rc->errmsg && (rc->ksch || rc->vsch);
}

static bool str_eq(const char *a, const char *b)
{
    return a == b || (a && b && strcmp(a, b) == 0);
}

static bool sch_req_eq(const bs_rest_sch_req_t *a, const bs_rest_sch_req_t *b)
{
    return a->fmt == b->fmt && a->strategy == b->strategy && a->id == b->id &&
           a->version == b->version && str_eq(a->subject, b->subject) &&
           str_eq(a->schema, b->schema);
}

/* Recent resolutions (key and value sides), with their own copies of the
 * request's strings: records of one request, or of one stream, usually
 * share a few schemas, so the registry is asked once per distinct side
 * (a stream keeps "latest" as resolved at its first record). Round-robin
 * replacement. Used by one thread at a time (the batch's job, or the
 * stream's drain job). */
#define SCH_MEMO_N 8

typedef struct sch_memo_s {
    bool have[SCH_MEMO_N];
    bool is_key[SCH_MEMO_N];
    bs_rest_sch_req_t q[SCH_MEMO_N];
    bs_rest_sch_t res[SCH_MEMO_N];
    int next; /* slot replaced next */
} sch_memo_t;

static void sch_memo_clear(sch_memo_t *m, int i)
{
    if (m->have[i]) {
        free((char *)m->q[i].subject);
        free((char *)m->q[i].schema);
    }
    m->have[i] = false;
}

static const bs_rest_sch_t *sch_memo_get(const sch_memo_t *m, bool is_key,
                                         const bs_rest_sch_req_t *q)
{
    for (int i = 0; i < SCH_MEMO_N; i++)
        if (m->have[i] && m->is_key[i] == is_key && sch_req_eq(&m->q[i], q))
            return &m->res[i];
    return NULL;
}

static void sch_memo_put(sch_memo_t *m, bool is_key, const bs_rest_sch_req_t *q,
                         const bs_rest_sch_t *res)
{
    int i = m->next;
    m->next = (m->next + 1) % SCH_MEMO_N;
    sch_memo_clear(m, i);
    m->q[i] = *q;
    m->q[i].subject = q->subject ? bs_xstrdup(q->subject) : NULL;
    m->q[i].schema = q->schema ? bs_xstrdup(q->schema) : NULL;
    m->res[i] = *res;
    m->is_key[i] = is_key;
    m->have[i] = true;
}

static void sch_memo_free(sch_memo_t *m)
{
    for (int i = 0; i < SCH_MEMO_N; i++)
        sch_memo_clear(m, i);
}

static int v3_encode_side(prod_batch_t *b, prod_rec_t *rc, v3_sch_t *sc, bool is_key,
                          sch_memo_t *memo)
{
    int status = 500, code = 50002;
    char msg[900];
    const bs_rest_sch_t *known = sch_memo_get(memo, is_key, &sc->q);
    if (known) {
        sc->res = *known;
    } else {
        if (bs_rest_sch_resolve(b->r, b->topic, is_key, &sc->q, &sc->res, &status, &code, msg,
                                sizeof msg) != 0)
            goto fail;
        sch_memo_put(memo, is_key, &sc->q, &sc->res);
    }
    sc->resolved = true;
    if (is_key)
        rc->kfmt = sc->res.fmt;
    else
        rc->vfmt = sc->res.fmt;
    if (!sc->data || json_is_null(sc->data))
        return 0; /* Confluent: a null datum is a null key/value */
    uint8_t *out = NULL;
    size_t len = 0;
    if (bs_rest_sch_encode(b->r, b->topic, is_key, &sc->res, sc->data, &out, &len, &status, &code,
                           msg, sizeof msg) != 0)
        goto fail;
    if (is_key)
        rc->kown = out, rc->key = out, rc->klen = len, rc->knull = false;
    else
        rc->vown = out, rc->val = out, rc->vlen = len, rc->vnull = false;
    return 0;
fail:
    rec_reject(rc, status, "%s", msg);
    rc->errcode = code;
    return -1;
}

/* Resolves and encodes every schema-based side of the batch, in record
 * order; a failure is that record's error. */
static void v3_encode_schemas(prod_batch_t *b, sch_memo_t *memo)
{
    for (int i = 0; i < b->n; i++) {
        prod_rec_t *rc = &b->recs[i];
        if (!rec_needs_schema(rc))
            continue;
        if (rc->ksch && v3_encode_side(b, rc, rc->ksch, true, memo) != 0)
            continue;
        if (rc->vsch)
            v3_encode_side(b, rc, rc->vsch, false, memo);
    }
}

static bool batch_needs_schema(const prod_batch_t *b)
{
    for (int i = 0; i < b->n; i++)
        if (rec_needs_schema(&b->recs[i]))
            return true;
    return false;
}

static int64_t v3_parse_ts(json_t *t, bool *ok)
{
    *ok = true;
    if (!t || json_is_null(t))
        return 0;
    if (json_is_integer(t))
        return json_integer_value(t);
    if (!json_is_string(t)) {
        *ok = false;
        return 0;
    }
    struct tm tm;
    memset(&tm, 0, sizeof tm);
    const char *s = json_string_value(t);
    const char *e = strptime(s, "%Y-%m-%dT%H:%M:%S", &tm);
    if (!e) {
        *ok = false;
        return 0;
    }
    int64_t ms = (int64_t)timegm(&tm) * 1000;
    if (*e == '.') {
        int64_t frac = 0, scale = 1000;
        e++;
        while (*e >= '0' && *e <= '9') {
            if (scale > 1) {
                scale /= 10;
                frac += (*e - '0') * scale;
            }
            e++;
        }
        ms += frac;
    }
    if (*e == 'Z' || *e == '\0')
        return ms;
    if ((*e == '+' || *e == '-') && strlen(e) >= 6) {
        int hh = (e[1] - '0') * 10 + (e[2] - '0'), mm = (e[4] - '0') * 10 + (e[5] - '0');
        int64_t off = ((int64_t)hh * 60 + mm) * 60000;
        return *e == '+' ? ms - off : ms + off;
    }
    *ok = false;
    return 0;
}

static void v3_record(prod_batch_t *b, prod_rec_t *rc, json_t *o)
{
    rc->b = b;
    rc->partition = RD_KAFKA_PARTITION_UA;
    if (!json_is_object(o)) {
        rec_reject(rc, 400, "%s", "A record must be a JSON object");
        return;
    }
    json_t *p = json_object_get(o, "partition_id");
    if (p && !json_is_null(p)) {
        if (!json_is_integer(p) || json_integer_value(p) < 0 || json_integer_value(p) > INT32_MAX) {
            rec_reject(rc, 400, "%s", "partition_id must be a non-negative integer");
            return;
        }
        rc->partition = (int32_t)json_integer_value(p);
    }
    bool ok;
    rc->ts = v3_parse_ts(json_object_get(o, "timestamp"), &ok);
    if (!ok) {
        rec_reject(rc, 400, "%s", "timestamp must be an ISO-8601 date-time or epoch milliseconds");
        return;
    }
    json_t *hs = json_object_get(o, "headers");
    if (hs && !json_is_null(hs)) {
        if (!json_is_array(hs)) {
            rec_reject(rc, 400, "%s", "headers must be an array of {\"name\",\"value\"}");
            return;
        }
        rc->hdrs = rd_kafka_headers_new(json_array_size(hs));
        for (size_t i = 0; i < json_array_size(hs); i++) {
            json_t *h = json_array_get(hs, i);
            json_t *n = json_object_get(h, "name"), *v = json_object_get(h, "value");
            if (!json_is_string(n) || (v && !json_is_null(v) && !json_is_string(v))) {
                rec_reject(rc, 400, "%s", "a header needs a string name and a base64 value");
                return;
            }
            if (!v || json_is_null(v)) {
                rd_kafka_header_add(rc->hdrs, json_string_value(n), -1, NULL, 0);
                continue;
            }
            size_t sl = json_string_length(v);
            uint8_t *buf = bs_xmalloc(bs_rest_b64_maxlen(sl) + 1);
            long dl = bs_rest_b64_decode(json_string_value(v), sl, buf);
            if (dl < 0) {
                free(buf);
                rec_reject(rc, 400, "header '%s' value is not valid base64", json_string_value(n));
                return;
            }
            rd_kafka_header_add(rc->hdrs, json_string_value(n), -1, buf, (ssize_t)dl);
            free(buf);
        }
    }
    if (v3_side(b, rc, json_object_get(o, "key"), true) != 0)
        return;
    v3_side(b, rc, json_object_get(o, "value"), false);
}

/* Worker: the topic lookup (when the cache did not know the topic), then
 * the schema-based sides; v3 records are checked per record: a bad
 * partition is that record's 404. */
static void v3_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    prod_batch_t *b = arg;
    char err[512];
    int cnt = bs_rest_topic_cached(r, b->topic);
    if (cnt <= 0)
        cnt = bs_rest_topic_lookup(r, b->topic, 50, err, sizeof err);
    if (cnt == -2) {
        bs_http_reply_error(req, 500, 50002, "%s", err);
        batch_free(b);
        return;
    }
    if (cnt == 0) {
        bs_http_reply_error(req, 404, 40403, "This server does not host this topic-partition.");
        batch_free(b);
        return;
    }
    for (int i = 0; i < b->n; i++)
        if (!b->recs[i].errmsg && b->recs[i].partition >= cnt)
            rec_reject(&b->recs[i], 404, "%s", "This server does not host this topic-partition.");
    sch_memo_t memo;
    memset(&memo, 0, sizeof memo);
    v3_encode_schemas(b, &memo);
    sch_memo_free(&memo);
    batch_send(b);
}

void bs_rest_v3_produce(bs_http_req_t *req, void *ctx)
{
    bs_rest_t *r = ctx;
    const char *cid = bs_http_param(req, "cluster_id");
    if (strcmp(cid, r->cluster_id) != 0) {
        bs_http_reply_error(req, 404, 404, "Cluster %s cannot be found.", cid);
        return;
    }
    size_t len;
    const uint8_t *body = bs_http_body(req, &len);
    json_t *arr = json_array();
    size_t off = 0;
    while (off < len) {
        while (off < len && (body[off] == ' ' || body[off] == '\n' || body[off] == '\r' ||
                             body[off] == '\t' || body[off] == ','))
            off++;
        if (off >= len)
            break;
        json_error_t je;
        json_t *o = json_loadb((const char *)body + off, len - off, JSON_DISABLE_EOF_CHECK, &je);
        if (!o) {
            if (json_array_size(arr) == 0) {
                bs_http_reply_error(req, 400, 400, "Unexpected character or malformed JSON: %s",
                                    je.text);
                json_decref(arr);
                return;
            }
            /* a streamed body with a broken tail: report it as one more
             * failed record after the good ones */
            json_array_append_new(arr, json_string("malformed JSON"));
            break;
        }
        json_array_append_new(arr, o);
        off += (size_t)je.position;
    }
    if (json_array_size(arr) == 0) {
        bs_http_reply_error(req, 400, 400, "The request body is empty: expected a record");
        json_decref(arr);
        return;
    }
    prod_batch_t *b = bs_xcalloc(1, sizeof *b);
    b->r = r;
    b->req = req;
    b->doc = arr;
    b->v3 = true;
    const char *te = bs_http_header(req, "Transfer-Encoding");
    b->v3_stream = json_array_size(arr) > 1 || (te && strstr(te, "chunked"));
    b->topic = bs_xstrdup(bs_http_param(req, "topic_name"));
    b->path_partition = -1;
    b->fmt = BS_REST_FMT_BINARY;
    b->key_schema_id = b->value_schema_id = -1;
    b->n = (int)json_array_size(arr);
    b->recs = bs_xcalloc((size_t)b->n, sizeof *b->recs);
    for (int i = 0; i < b->n; i++) {
        json_t *o = json_array_get(arr, (size_t)i);
        if (json_is_string(o)) { /* the malformed tail */
            b->recs[i].b = b;
            rec_reject(&b->recs[i], 400, "%s", "Unexpected character or malformed JSON");
            continue;
        }
        v3_record(b, &b->recs[i], o);
    }
    int cnt = bs_rest_topic_cached(r, b->topic);
    if (cnt > 0 && !batch_needs_schema(b)) {
        for (int i = 0; i < b->n; i++)
            if (!b->recs[i].errmsg && b->recs[i].partition >= cnt)
                rec_reject(&b->recs[i], 404, "%s",
                           "This server does not host this topic-partition.");
        batch_send(b);
        return;
    }
    bs_rest_submit(r, req, v3_job, b, NULL);
}

/* ------------------------------------------------------------------------
 * API v3 records, streaming (chunked request bodies)
 * ---------------------------------------------------------------------- */

typedef struct v3s_s {
    bs_rest_t *r;
    bs_http_req_t *req;
    char *topic;
    /* I/O thread only */
    uint8_t *in; /* body bytes not yet parsed */
    size_t inlen, incap;
    bool broken;         /* malformed JSON seen: the rest of the body is dropped */
    pthread_mutex_t smu; /* held around sends: records go out in body order */
    pthread_mutex_t mu;  /* the fields below */
    int nrec;            /* records parsed (report slots) */
    char **out;          /* out[i]: report i, NULL until delivered */
    size_t *outlen;
    int outcap;
    int next;       /* next report to write */
    bool body_done; /* the body has ended */
    bool busy;      /* the drain job is queued or running (v3s_drain_job) */
    int partitions; /* topic's partition count; 0 = no such topic, -1 = lookup pending */
    /* records waiting for the drain job, in body order. Invariant: the
     * queue is not empty => busy; while busy, every new record joins the
     * queue's tail, so nothing overtakes a record that waits for the topic
     * lookup or for its schema (registry) */
    prod_batch_t *wq_head, *wq_tail;
    sch_memo_t memo; /* drain job only */
} v3s_t;

static void v3s_free(v3s_t *st)
{
    for (int i = st->next; i < st->nrec; i++)
        free(st->out[i]);
    free(st->out);
    free(st->outlen);
    free(st->in);
    free(st->topic);
    sch_memo_free(&st->memo);
    pthread_mutex_destroy(&st->mu);
    pthread_mutex_destroy(&st->smu);
    free(st);
}

/* @locks st->mu. True when nothing more will be written. */
static bool v3s_done_locked(v3s_t *st)
{
    return st->body_done && !st->busy && st->next == st->nrec;
}

static void v3s_finish(v3s_t *st)
{
    bs_http_stream_end(st->req);
    v3s_free(st);
}

/* A record's report (any thread): written with every following report
 * already delivered, in order. */
static void v3s_report(v3s_t *st, int seq, bs_wbuf_t *w)
{
    pthread_mutex_lock(&st->mu);
    st->out[seq] = (char *)w->data; /* taken over from w */
    st->outlen[seq] = w->len;
    w->data = NULL;
    bs_wbuf_free(w);
    while (st->next < st->nrec && st->out[st->next]) {
        int i = st->next++;
        if (i)
            bs_http_stream_write(st->req, "\n", 1);
        bs_http_stream_write(st->req, st->out[i], st->outlen[i]);
        free(st->out[i]);
        st->out[i] = NULL;
    }
    bool done = v3s_done_locked(st);
    pthread_mutex_unlock(&st->mu);
    if (done)
        v3s_finish(st);
}

/* Checks the record's partition against the topic and produces it.
 * @locks st->smu */
static void v3s_send(prod_batch_t *b, int partitions)
{
    prod_rec_t *rc = &b->recs[0];
    if (!rc->errmsg && (partitions <= 0 || rc->partition >= partitions))
        rec_reject(rc, 404, "%s", "This server does not host this topic-partition.");
    batch_send(b);
}

/* Worker: learns the topic's partition count if needed, then sends the
 * waiting records in order, resolving and encoding schema-based sides
 * first. A record stays at the head of the queue while the registry is
 * asked about it, so the ones behind it (even plain BINARY records that
 * arrived meanwhile) wait: reports and offsets follow body order. The job
 * ends (busy = false) only once the queue is empty, under `mu`, so a
 * record parsed after that may be sent at once on the I/O thread. */
static void v3s_drain_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)req;
    v3s_t *st = arg;
    pthread_mutex_lock(&st->mu);
    int cnt = st->partitions;
    pthread_mutex_unlock(&st->mu);
    if (cnt < 0) {
        char err[512];
        cnt = bs_rest_topic_lookup(r, st->topic, 50, err, sizeof err);
        if (cnt < 0) {
            bs_log_warn("rest", "streamed produce to %s: %s", st->topic, err);
            cnt = 0;
        }
        pthread_mutex_lock(&st->mu);
        st->partitions = cnt;
        pthread_mutex_unlock(&st->mu);
    }
    for (;;) {
        pthread_mutex_lock(&st->mu);
        prod_batch_t *b = st->wq_head; /* stays queued until sent */
        if (!b) {
            st->busy = false;
            bool done = v3s_done_locked(st);
            pthread_mutex_unlock(&st->mu);
            if (done)
                v3s_finish(st);
            return;
        }
        pthread_mutex_unlock(&st->mu);
        if (cnt > 0 && b->recs[0].partition < cnt)
            v3_encode_schemas(b, &st->memo); /* blocking: registry */
        pthread_mutex_lock(&st->smu);
        pthread_mutex_lock(&st->mu);
        st->wq_head = b->qnext;
        if (!st->wq_head)
            st->wq_tail = NULL;
        pthread_mutex_unlock(&st->mu);
        v3s_send(b, cnt); /* its report cannot end the stream: busy is set */
        pthread_mutex_unlock(&st->smu);
    }
}

/* One parsed value of the body (o NULL = malformed JSON): a record. */
static void v3s_record(v3s_t *st, json_t *o)
{
    prod_batch_t *b = bs_xcalloc(1, sizeof *b);
    b->r = st->r;
    b->req = st->req;
    b->doc = o;
    b->v3 = b->v3_stream = true;
    b->stream = st;
    b->topic = bs_xstrdup(st->topic);
    b->path_partition = -1;
    b->fmt = BS_REST_FMT_BINARY;
    b->key_schema_id = b->value_schema_id = -1;
    b->n = 1;
    b->recs = bs_xcalloc(1, sizeof *b->recs);
    if (o) {
        v3_record(b, &b->recs[0], o);
    } else {
        b->recs[0].b = b;
        rec_reject(&b->recs[0], 400, "%s", "Unexpected character or malformed JSON");
    }
    pthread_mutex_lock(&st->smu);
    pthread_mutex_lock(&st->mu);
    if (st->nrec == st->outcap) {
        st->outcap = st->outcap ? 2 * st->outcap : 16;
        st->out = bs_xrealloc(st->out, (size_t)st->outcap * sizeof *st->out);
        st->outlen = bs_xrealloc(st->outlen, (size_t)st->outcap * sizeof *st->outlen);
    }
    b->seq = st->nrec++;
    st->out[b->seq] = NULL;
    /* Send order = body order: a record goes out here only when nothing
     * waits ahead of it (not busy: the partition count is known and the
     * queue is empty) and it needs no registry call; otherwise it joins
     * the queue's tail and the drain job sends it after the ones ahead. */
    bool wait = st->busy || rec_needs_schema(&b->recs[0]);
    bool start = false;
    if (wait) {
        if (st->wq_tail)
            st->wq_tail->qnext = b;
        else
            st->wq_head = b;
        st->wq_tail = b;
        start = !st->busy;
        st->busy = true;
    }
    int cnt = st->partitions;
    pthread_mutex_unlock(&st->mu);
    if (!wait)
        v3s_send(b, cnt);
    pthread_mutex_unlock(&st->smu);
    if (start)
        bs_rest_submit(st->r, st->req, v3s_drain_job, st, NULL);
}

static bool v3s_space(uint8_t c)
{
    return c == ' ' || c == '\n' || c == '\r' || c == '\t' || c == ',';
}

/* True when a failed parse of `avail` bytes may only lack the bytes still
 * to come: jansson says "premature end" only between tokens; a value cut
 * inside an escape ("\\u00"), a UTF-8 sequence or a literal ("tru", "1.")
 * fails as invalid, at (or up to 3 bytes before) the end of the input. A
 * truly bad value there is reported once more bytes, or the end, arrive. */
static bool v3s_incomplete(const json_error_t *je, size_t avail)
{
    if (json_error_code(je) == json_error_premature_end_of_input)
        return true;
    return je->position >= 0 && (size_t)je->position + 8 >= avail;
}

/* Cuts every complete JSON value off the front of st->in. */
static void v3s_parse(v3s_t *st, bool end)
{
    size_t off = 0;
    while (!st->broken) {
        while (off < st->inlen && v3s_space(st->in[off]))
            off++;
        if (off >= st->inlen)
            break;
        json_error_t je;
        json_t *o =
            json_loadb((const char *)st->in + off, st->inlen - off, JSON_DISABLE_EOF_CHECK, &je);
        if (!o) {
            if (!end && v3s_incomplete(&je, st->inlen - off))
                break;         /* the rest of this value has not arrived yet */
            st->broken = true; /* no way to find the next record: stop here */
            v3s_record(st, NULL);
            break;
        }
        off += (size_t)je.position;
        v3s_record(st, o);
    }
    if (st->broken)
        off = st->inlen;
    memmove(st->in, st->in + off, st->inlen - off);
    st->inlen -= off;
}

/* Body chunks (I/O thread of the connection). */
static void v3s_body(bs_http_req_t *req, const uint8_t *data, size_t len, bool aborted, void *arg)
{
    (void)req;
    v3s_t *st = arg;
    if (data) {
        if (st->broken)
            return;
        if (st->inlen + len > st->incap) {
            size_t cap = st->incap ? st->incap : 4096;
            while (cap < st->inlen + len)
                cap *= 2;
            st->in = bs_xrealloc(st->in, cap);
            st->incap = cap;
        }
        memcpy(st->in + st->inlen, data, len);
        st->inlen += len;
        v3s_parse(st, false);
        return;
    }
    if (!aborted)
        v3s_parse(st, true); /* a truncated last value is one failed record */
    pthread_mutex_lock(&st->mu);
    st->body_done = true;
    bool done = v3s_done_locked(st);
    pthread_mutex_unlock(&st->mu);
    if (done)
        v3s_finish(st);
}

/* Headers of POST .../records: a chunked body is streamed, anything else
 * (a Content-Length body) takes the ordinary path, bs_rest_v3_produce. */
void bs_rest_v3_produce_head(bs_http_req_t *req, void *ctx)
{
    bs_rest_t *r = ctx;
    const char *te = bs_http_header(req, "Transfer-Encoding");
    const char *cid = bs_http_param(req, "cluster_id");
    if (!te || !strstr(te, "chunked") || !cid || strcmp(cid, r->cluster_id) != 0)
        return;
    v3s_t *st = bs_xcalloc(1, sizeof *st);
    st->r = r;
    st->req = req;
    st->topic = bs_xstrdup(bs_http_param(req, "topic_name"));
    pthread_mutex_init(&st->mu, NULL);
    pthread_mutex_init(&st->smu, NULL);
    st->partitions = bs_rest_topic_cached(r, st->topic);
    bs_http_stream_body(req, v3s_body, st);
    bs_http_stream_begin(req, 200, "application/json");
    if (st->partitions < 0) {
        st->partitions = -1;
        st->busy = true; /* records queue until the drain job knows the topic */
        bs_rest_submit(r, req, v3s_drain_job, st, NULL);
    }
}
