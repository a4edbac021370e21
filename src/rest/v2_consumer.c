/*
 * v2_consumer.c — API v2 consumer instances: the instance manager and the
 * /consumers/... resources, plus the v2 route table.
 *
 * An instance is a librdkafka consumer (group = the path's group) owned by
 * this proxy process; its base_uri names this process (advertised.listeners,
 * host.name, or the creating request's Host). State machine of its
 * partitions (Confluent's rules):
 *
 *   none --POST subscription--> subscribed --DELETE subscription--> none
 *   none --POST assignments---> assigned   --POST assignments []--> none
 *   subscribed + assign, assigned + subscribe: 409 40903
 *
 * Ownership and threads:
 *  - cm->mu guards the map and every instance's refs/dead flags. A handler
 *    takes a reference (cm_get) and passes it to a worker job; the job locks
 *    the instance's own mutex (operations on one instance are serialized, as
 *    a librdkafka consumer handle used by one thread at a time) and drops the
 *    reference when done. Whoever drops the last reference of a dead instance
 *    closes it (leaves the group: blocking, so never on an I/O thread except
 *    during shutdown).
 *  - Records fetched from librdkafka but not yet returned (the response was
 *    full) stay in ci->pend for the next GET records; offsets are stored
 *    (enable.auto.offset.store=false) only for records actually returned, so
 *    commits never cover records the client has not seen.
 *  - The reaper thread deletes instances idle for consumer.instance.timeout.ms.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "rest/rest_int.h"

typedef struct cinst_s {
    char *group, *name, *key;
    bs_rest_fmt_t fmt;
    rd_kafka_t *rk;
    rd_kafka_queue_t *q;
    pthread_mutex_t mu;
    atomic_llong last_ms;
    int refs;  /* cm->mu */
    bool dead; /* cm->mu: removed from the map */
    int req_timeout_ms;
    int mode; /* 0 none, 1 subscribed, 2 assigned (mu) */
    rd_kafka_message_t **pend;
    int npend, pend_off, pend_cap;
    bs_rest_avro_dec_t *avro;
} cinst_t;

struct bs_rest_cm_s {
    bs_rest_t *r;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bs_hmap_t map; /* key "group\x01name" -> cinst_t */
    pthread_t reaper;
    bool stop, reaper_started;
    atomic_uint seq;
};

/* ------------------------------------------------------------------------
 * instance life cycle
 * ---------------------------------------------------------------------- */

static void pend_clear(cinst_t *ci)
{
    for (int i = ci->pend_off; i < ci->npend; i++)
        rd_kafka_message_destroy(ci->pend[i]);
    ci->npend = ci->pend_off = 0;
}

static void cinst_destroy(cinst_t *ci)
{
    if (ci->rk) {
        pend_clear(ci);
        if (ci->q)
            rd_kafka_queue_destroy(ci->q);
        rd_kafka_consumer_close(ci->rk);
        rd_kafka_destroy(ci->rk);
    }
    bs_rest_avro_dec_free(ci->avro);
    free(ci->pend);
    pthread_mutex_destroy(&ci->mu);
    free(ci->group);
    free(ci->name);
    free(ci->key);
    free(ci);
}

static char *inst_key(const char *group, const char *name)
{
    size_t gl = strlen(group), nl = strlen(name);
    char *k = bs_xmalloc(gl + nl + 2);
    memcpy(k, group, gl);
    k[gl] = '\x01';
    memcpy(k + gl + 1, name, nl + 1);
    return k;
}

static cinst_t *cm_get(bs_rest_cm_t *cm, const char *group, const char *name)
{
    char *k = inst_key(group, name);
    pthread_mutex_lock(&cm->mu);
    cinst_t *ci = bs_hmap_get(&cm->map, k, strlen(k));
    if (ci) {
        ci->refs++;
        atomic_store(&ci->last_ms, bs_rest_now_ms());
    }
    pthread_mutex_unlock(&cm->mu);
    free(k);
    return ci;
}

static bs_rest_cm_t *g_rest_cm; /* the one manager of this process */

static void cinst_unref(void *p)
{
    cinst_t *ci = p;
    pthread_mutex_lock(&g_rest_cm->mu);
    bool last = --ci->refs == 0 && ci->dead;
    atomic_store(&ci->last_ms, bs_rest_now_ms());
    pthread_mutex_unlock(&g_rest_cm->mu);
    if (last)
        cinst_destroy(ci);
}

/* Removes ci from the map (if still there); the caller holds a reference. */
static void cm_remove(bs_rest_cm_t *cm, cinst_t *ci)
{
    pthread_mutex_lock(&cm->mu);
    if (!ci->dead) {
        bs_hmap_del(&cm->map, ci->key, strlen(ci->key));
        ci->dead = true;
        ci->refs--; /* the map's reference */
    }
    pthread_mutex_unlock(&cm->mu);
}

static void *reaper_main(void *arg)
{
    bs_rest_cm_t *cm = arg;
    bs_rest_t *r = cm->r;
    pthread_mutex_lock(&cm->mu);
    while (!cm->stop) {
        struct timespec ts;
        clock_gettime(CLOCK_REALTIME, &ts);
        int step = r->cfg->consumer_instance_timeout_ms / 4;
        if (step > 1000)
            step = 1000;
        if (step < 20)
            step = 20;
        ts.tv_nsec += (long)step * 1000000L;
        ts.tv_sec += ts.tv_nsec / 1000000000L;
        ts.tv_nsec %= 1000000000L;
        pthread_cond_timedwait(&cm->cond, &cm->mu, &ts);
        if (cm->stop)
            break;
        int64_t now = bs_rest_now_ms();
        cinst_t *expired = NULL;
        const bs_hmap_ent_t *e;
        for (size_t it = 0; bs_hmap_next(&cm->map, &it, &e);) {
            cinst_t *ci = e->val;
            if (ci->refs == 1 &&
                now - atomic_load(&ci->last_ms) > r->cfg->consumer_instance_timeout_ms) {
                expired = ci;
                break;
            }
        }
        if (expired) {
            bs_hmap_del(&cm->map, expired->key, strlen(expired->key));
            expired->dead = true;
            expired->refs = 0;
            pthread_mutex_unlock(&cm->mu);
            bs_log_info("rest", "consumer instance %s of group %s expired (idle)", expired->name,
                        expired->group);
            cinst_destroy(expired);
            pthread_mutex_lock(&cm->mu);
        }
    }
    pthread_mutex_unlock(&cm->mu);
    return NULL;
}

bs_rest_cm_t *bs_rest_cm_new(bs_rest_t *r)
{
    bs_rest_cm_t *cm = bs_xcalloc(1, sizeof *cm);
    cm->r = r;
    pthread_mutex_init(&cm->mu, NULL);
    pthread_cond_init(&cm->cond, NULL);
    bs_hmap_init(&cm->map);
    g_rest_cm = cm;
    if (pthread_create(&cm->reaper, NULL, reaper_main, cm) == 0)
        cm->reaper_started = true;
    else
        bs_log_error("rest", "cannot start the consumer expiry thread");
    return cm;
}

void bs_rest_cm_free(bs_rest_cm_t *cm)
{
    if (!cm)
        return;
    pthread_mutex_lock(&cm->mu);
    cm->stop = true;
    pthread_cond_broadcast(&cm->cond);
    pthread_mutex_unlock(&cm->mu);
    if (cm->reaper_started)
        pthread_join(cm->reaper, NULL);
    const bs_hmap_ent_t *e;
    for (size_t it = 0; bs_hmap_next(&cm->map, &it, &e);)
        cinst_destroy(e->val); /* workers are stopped: no other references */
    bs_hmap_free(&cm->map);
    pthread_cond_destroy(&cm->cond);
    pthread_mutex_destroy(&cm->mu);
    g_rest_cm = NULL;
    free(cm);
}

/* ------------------------------------------------------------------------
 * helpers
 * ---------------------------------------------------------------------- */

/* Runs fn on a worker with a reference to the path's instance, or answers
 * 40403. */
static void with_inst(bs_http_req_t *req, void *ctx, bs_rest_job_fn fn)
{
    bs_rest_t *r = ctx;
    const char *g = bs_http_param(req, "group"), *n = bs_http_param(req, "instance");
    cinst_t *ci = cm_get(r->cm, g, n);
    if (!ci) {
        bs_http_reply_error(req, 404, 40403, "Consumer instance not found.");
        return;
    }
    bs_rest_submit(r, req, fn, ci, cinst_unref);
}

/* Body as a JSON object; an empty body is {} when allow_empty. Replies 400
 * and returns NULL on malformed JSON. */
static json_t *body_obj(bs_http_req_t *req, bool allow_empty)
{
    size_t len;
    const uint8_t *b = bs_http_body(req, &len);
    size_t i = 0;
    while (i < len && (b[i] == ' ' || b[i] == '\n' || b[i] == '\r' || b[i] == '\t'))
        i++;
    if (i == len) {
        if (allow_empty)
            return json_object();
        bs_http_reply_error(req, 422, 422, "The request body is empty: a JSON object is required");
        return NULL;
    }
    json_error_t je;
    json_t *j = json_loadb((const char *)b, len, 0, &je);
    if (!j) {
        bs_http_reply_error(req, 400, 400, "Unexpected character or malformed JSON: %s", je.text);
        return NULL;
    }
    if (!json_is_object(j)) {
        json_decref(j);
        bs_http_reply_error(req, 422, 422, "The request body must be a JSON object");
        return NULL;
    }
    return j;
}

/* Reads [{"topic","partition"[,"offset"|"timestamp"]}] from arr into a new
 * list; field "offset"/"timestamp" (when `field` non-NULL) must be present.
 * Replies 422 and returns NULL on a bad entry. */
static rd_kafka_topic_partition_list_t *tp_list(bs_http_req_t *req, json_t *arr, const char *what,
                                                const char *field)
{
    if (!json_is_array(arr)) {
        bs_http_reply_error(req, 422, 422, "\"%s\" must be an array", what);
        return NULL;
    }
    rd_kafka_topic_partition_list_t *l =
        rd_kafka_topic_partition_list_new((int)json_array_size(arr));
    for (size_t i = 0; i < json_array_size(arr); i++) {
        json_t *e = json_array_get(arr, i);
        json_t *t = json_object_get(e, "topic"), *p = json_object_get(e, "partition");
        json_t *f = field ? json_object_get(e, field) : NULL;
        if (!json_is_string(t) || !json_is_integer(p) || json_integer_value(p) < 0 ||
            json_integer_value(p) > INT32_MAX || (field && !json_is_integer(f))) {
            rd_kafka_topic_partition_list_destroy(l);
            bs_http_reply_error(req, 422, 422,
                                "%s[%zu] needs a string \"topic\" and an integer \"partition\"%s%s",
                                what, i, field ? " and an integer " : "", field ? field : "");
            return NULL;
        }
        rd_kafka_topic_partition_t *tp = rd_kafka_topic_partition_list_add(
            l, json_string_value(t), (int32_t)json_integer_value(p));
        if (f)
            tp->offset = json_integer_value(f);
        json_t *md = json_object_get(e, "metadata");
        if (json_is_string(md)) {
            tp->metadata = bs_xstrdup(json_string_value(md));
            tp->metadata_size = strlen(json_string_value(md));
        }
    }
    return l;
}

static json_t *tp_json(const rd_kafka_topic_partition_list_t *l)
{
    json_t *a = json_array();
    for (int i = 0; l && i < l->cnt; i++)
        json_array_append_new(a, json_pack("{s:s,s:i}", "topic", l->elems[i].topic, "partition",
                                           (int)l->elems[i].partition));
    return a;
}

/* ------------------------------------------------------------------------
 * create / delete
 * ---------------------------------------------------------------------- */

static int conf_put(rd_kafka_conf_t *c, const char *k, const char *v, char *err, size_t errlen)
{
    char e[512];
    if (rd_kafka_conf_set(c, k, v, e, sizeof e) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "%s: %s", k, e);
        return -1;
    }
    return 0;
}

/* A JSON value as a string for a client setting: strings as is, numbers and
 * booleans printed; NULL if absent/null. */
static const char *json_setting(json_t *o, const char *name, char *buf, size_t len)
{
    json_t *v = json_object_get(o, name);
    if (!v || json_is_null(v))
        return NULL;
    if (json_is_string(v))
        return json_string_value(v);
    if (json_is_integer(v)) {
        snprintf(buf, len, "%lld", (long long)json_integer_value(v));
        return buf;
    }
    if (json_is_boolean(v))
        return json_is_true(v) ? "true" : "false";
    return "";
}

static void create_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    json_t *body = arg;
    const char *group = bs_http_param(req, "group");
    char name[256], err[600], b1[32], b2[32], b3[32], b4[32];
    cinst_t *ci = NULL;
    rd_kafka_conf_t *conf = NULL;

    const char *nm = json_setting(body, "name", b1, sizeof b1);
    if (!nm)
        nm = json_setting(body, "id", b1, sizeof b1);
    if (nm && *nm) {
        snprintf(name, sizeof name, "%s", nm);
    } else {
        snprintf(name, sizeof name, "rest-consumer-%s%s%x-%llx", r->cfg->id ? r->cfg->id : "",
                 r->cfg->id && r->cfg->id[0] ? "-" : "", atomic_fetch_add(&r->cm->seq, 1) + 1,
                 (unsigned long long)bs_rest_now_ms());
    }
    const char *fmt_s = json_setting(body, "format", b2, sizeof b2);
    bs_rest_fmt_t fmt = fmt_s ? bs_rest_fmt_parse_name(fmt_s) : BS_REST_FMT_BINARY;
    if (fmt != BS_REST_FMT_BINARY && fmt != BS_REST_FMT_JSON && fmt != BS_REST_FMT_AVRO) {
        bs_http_reply_error(req, 422, 42204,
                            "Invalid consumer configuration: format '%s' is not one of binary, "
                            "json, avro",
                            fmt_s);
        return;
    }
    const char *reset = json_setting(body, "auto.offset.reset", b3, sizeof b3);
    if (reset && strcmp(reset, "smallest") == 0)
        reset = "earliest";
    if (reset && strcmp(reset, "largest") == 0)
        reset = "latest";
    if (reset && strcmp(reset, "earliest") != 0 && strcmp(reset, "latest") != 0 &&
        strcmp(reset, "none") != 0) {
        bs_http_reply_error(req, 422, 42204,
                            "Invalid consumer configuration: auto.offset.reset '%s' is not one of "
                            "earliest, latest, none",
                            reset);
        return;
    }
    const char *ac = json_setting(body, "auto.commit.enable", b4, sizeof b4);
    json_t *rt = json_object_get(body, "consumer.request.timeout.ms");
    json_t *fmb = json_object_get(body, "fetch.min.bytes");
    if ((rt && !json_is_null(rt) && !json_is_integer(rt) && !json_is_string(rt)) ||
        (fmb && !json_is_null(fmb) && !json_is_integer(fmb) && !json_is_string(fmb))) {
        bs_http_reply_error(req, 422, 42204,
                            "Invalid consumer configuration: fetch.min.bytes and "
                            "consumer.request.timeout.ms must be integers");
        return;
    }

    ci = bs_xcalloc(1, sizeof *ci);
    ci->group = bs_xstrdup(group);
    ci->name = bs_xstrdup(name);
    ci->key = inst_key(group, name);
    ci->fmt = fmt;
    pthread_mutex_init(&ci->mu, NULL);
    ci->req_timeout_ms = r->cfg->consumer_request_timeout_ms;
    if (rt && json_is_integer(rt))
        ci->req_timeout_ms = (int)json_integer_value(rt);
    else if (rt && json_is_string(rt))
        ci->req_timeout_ms = atoi(json_string_value(rt));
    if (ci->req_timeout_ms < 0)
        ci->req_timeout_ms = 0;

    /* already there? */
    pthread_mutex_lock(&r->cm->mu);
    bool exists = bs_hmap_get(&r->cm->map, ci->key, strlen(ci->key)) != NULL;
    pthread_mutex_unlock(&r->cm->mu);
    if (exists) {
        bs_http_reply_error(req, 409, 40902,
                            "Consumer with specified consumer ID already exists in the specified "
                            "consumer group.");
        goto fail;
    }

    conf = rd_kafka_conf_new();
    char fb[32];
    snprintf(fb, sizeof fb, "%d", (int)r->cfg->fetch_min_bytes);
    /* librdkafka 2.0 pauses a partition's fetcher for fetch.error.backoff.ms
     * when its prefetch queue is full: with the default 500 ms a reader
     * draining the queue in big GETs stalls twice a second */
    if (conf_put(conf, "enable.auto.offset.store", "false", err, sizeof err) != 0 ||
        conf_put(conf, "fetch.error.backoff.ms", "5", err, sizeof err) != 0 ||
        conf_put(conf, "queued.min.messages", "500000", err, sizeof err) != 0 ||
        conf_put(conf, "enable.partition.eof", "false", err, sizeof err) != 0 ||
        conf_put(conf, "client.id", name, err, sizeof err) != 0 ||
        (r->cfg->fetch_min_bytes >= 0 && conf_put(conf, "fetch.min.bytes", fb, err, sizeof err)) ||
        bs_rest_conf_apply(r, conf, &r->cfg->consumer, err, sizeof err) != 0 ||
        conf_put(conf, "group.id", group, err, sizeof err) != 0 ||
        (reset && conf_put(conf, "auto.offset.reset", reset, err, sizeof err) != 0) ||
        (ac && conf_put(conf, "enable.auto.commit", ac, err, sizeof err) != 0) ||
        (fmb && !json_is_null(fmb) &&
         conf_put(conf, "fetch.min.bytes", json_setting(body, "fetch.min.bytes", fb, sizeof fb),
                  err, sizeof err) != 0)) {
        bs_http_reply_error(req, 422, 42204, "Invalid consumer configuration: %s", err);
        goto fail;
    }
    char e[512];
    ci->rk = rd_kafka_new(RD_KAFKA_CONSUMER, conf, e, sizeof e);
    if (!ci->rk) {
        bs_http_reply_error(req, 422, 42204, "Invalid consumer configuration: %s", e);
        goto fail;
    }
    conf = NULL;
    rd_kafka_poll_set_consumer(ci->rk);
    ci->q = rd_kafka_queue_get_consumer(ci->rk);
    if (fmt == BS_REST_FMT_AVRO) {
        ci->avro = bs_rest_avro_dec_new(r, err, sizeof err);
        if (!ci->avro) {
            bs_http_reply_error(req, 500, 50002, "%s", err);
            goto fail;
        }
    }
    atomic_store(&ci->last_ms, bs_rest_now_ms());

    pthread_mutex_lock(&r->cm->mu);
    if (bs_hmap_get(&r->cm->map, ci->key, strlen(ci->key))) {
        pthread_mutex_unlock(&r->cm->mu);
        bs_http_reply_error(req, 409, 40902,
                            "Consumer with specified consumer ID already exists in the specified "
                            "consumer group.");
        goto fail;
    }
    ci->refs = 1; /* the map's */
    bs_hmap_put(&r->cm->map, ci->key, strlen(ci->key), ci);
    pthread_mutex_unlock(&r->cm->mu);

    char base[1024];
    if (r->cfg->advertised) {
        snprintf(base, sizeof base, "%s", r->cfg->advertised);
    } else if (r->cfg->host_name && r->cfg->host_name[0]) {
        snprintf(base, sizeof base, "http://%s:%d", r->cfg->host_name, r->cfg->listen_port);
    } else {
        const char *host = bs_http_header(req, "Host");
        if (host && *host && strlen(host) < 512)
            snprintf(base, sizeof base, "http://%s", host);
        else
            snprintf(base, sizeof base, "http://%s:%d", r->cfg->listen_host, r->cfg->listen_port);
    }
    bs_wbuf_t w;
    bs_wbuf_init(&w);
    bs_rest_jw_raw(&w, "{\"instance_id\":");
    bs_rest_jw_cstr(&w, name);
    bs_rest_jw_raw(&w, ",\"base_uri\":");
    /* group and name as given: clients use base_uri verbatim */
    char *uri = bs_xmalloc(strlen(base) + strlen(group) + strlen(name) + 32);
    sprintf(uri, "%s/consumers/%s/instances/%s", base, group, name);
    bs_rest_jw_cstr(&w, uri);
    free(uri);
    bs_rest_jw_raw(&w, "}");
    bs_log_info("rest", "consumer instance %s created in group %s (format %s)", name, group,
                bs_rest_fmt_name(fmt));
    bs_rest_reply_wbuf(req, 200, NULL, &w);
    return;
fail:
    if (conf)
        rd_kafka_conf_destroy(conf);
    cinst_destroy(ci);
}

static void free_json(void *p)
{
    if (p)
        json_decref(p);
}

static void h_create(bs_http_req_t *req, void *ctx)
{
    json_t *body = body_obj(req, true);
    if (!body)
        return;
    bs_rest_submit(ctx, req, create_job, body, free_json);
}

static void delete_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    cinst_t *ci = arg;
    cm_remove(r->cm, ci);
    bs_log_info("rest", "consumer instance %s of group %s deleted", ci->name, ci->group);
    bs_http_reply(req, 204, NULL, "", 0);
    /* the job's reference is dropped by cinst_unref: it closes the consumer */
}

static void h_delete(bs_http_req_t *req, void *ctx)
{
    with_inst(req, ctx, delete_job);
}

/* ------------------------------------------------------------------------
 * subscription and assignment
 * ---------------------------------------------------------------------- */

static void subscribe_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)r;
    cinst_t *ci = arg;
    json_t *body = body_obj(req, false);
    if (!body)
        return;
    pthread_mutex_lock(&ci->mu);
    json_t *topics = json_object_get(body, "topics");
    json_t *pat = json_object_get(body, "topic_pattern");
    rd_kafka_topic_partition_list_t *l = NULL;
    if (ci->mode == 2) {
        bs_http_reply_error(req, 409, 40903,
                            "Illegal state: Subscription to topics, partitions and pattern are "
                            "mutually exclusive.");
        goto done;
    }
    if ((topics && pat) || (!topics && !pat)) {
        bs_http_reply_error(req, 422, 422,
                            "Exactly one of \"topics\" and \"topic_pattern\" must be given");
        goto done;
    }
    if (pat) {
        if (!json_is_string(pat) || !json_string_length(pat)) {
            bs_http_reply_error(req, 422, 422, "\"topic_pattern\" must be a non-empty string");
            goto done;
        }
        l = rd_kafka_topic_partition_list_new(1);
        const char *p = json_string_value(pat);
        char *re = bs_xmalloc(strlen(p) + 2);
        sprintf(re, "%s%s", p[0] == '^' ? "" : "^", p);
        rd_kafka_topic_partition_list_add(l, re, RD_KAFKA_PARTITION_UA);
        free(re);
    } else {
        if (!json_is_array(topics) || json_array_size(topics) == 0) {
            bs_http_reply_error(req, 422, 422, "\"topics\" must be a non-empty array of names");
            goto done;
        }
        l = rd_kafka_topic_partition_list_new((int)json_array_size(topics));
        for (size_t i = 0; i < json_array_size(topics); i++) {
            json_t *t = json_array_get(topics, i);
            if (!json_is_string(t) || !json_string_length(t)) {
                bs_http_reply_error(req, 422, 422, "\"topics\"[%zu] must be a topic name", i);
                goto done;
            }
            /* a name is not a pattern: Kafka names cannot start with '^' */
            rd_kafka_topic_partition_list_add(l, json_string_value(t), RD_KAFKA_PARTITION_UA);
        }
    }
    rd_kafka_resp_err_t e = rd_kafka_subscribe(ci->rk, l);
    if (e) {
        bs_rest_reply_kafka_error(req, e, NULL);
        goto done;
    }
    pend_clear(ci);
    ci->mode = 1;
    bs_http_reply(req, 204, NULL, "", 0);
done:
    pthread_mutex_unlock(&ci->mu);
    if (l)
        rd_kafka_topic_partition_list_destroy(l);
    json_decref(body);
}

static void get_subscription_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)r;
    cinst_t *ci = arg;
    pthread_mutex_lock(&ci->mu);
    rd_kafka_topic_partition_list_t *l = NULL;
    rd_kafka_resp_err_t e = rd_kafka_subscription(ci->rk, &l);
    pthread_mutex_unlock(&ci->mu);
    if (e) {
        bs_rest_reply_kafka_error(req, e, NULL);
        return;
    }
    json_t *a = json_array();
    for (int i = 0; l && i < l->cnt; i++)
        json_array_append_new(a, json_string(l->elems[i].topic));
    if (l)
        rd_kafka_topic_partition_list_destroy(l);
    bs_http_reply_json(req, 200, json_pack("{s:o}", "topics", a));
}

static void unsubscribe_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)r;
    cinst_t *ci = arg;
    pthread_mutex_lock(&ci->mu);
    rd_kafka_resp_err_t e = rd_kafka_unsubscribe(ci->rk);
    if (!e) {
        pend_clear(ci);
        if (ci->mode == 1)
            ci->mode = 0;
    }
    pthread_mutex_unlock(&ci->mu);
    if (e)
        bs_rest_reply_kafka_error(req, e, NULL);
    else
        bs_http_reply(req, 204, NULL, "", 0);
}

static void assign_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)r;
    cinst_t *ci = arg;
    json_t *body = body_obj(req, false);
    if (!body)
        return;
    rd_kafka_topic_partition_list_t *l =
        tp_list(req, json_object_get(body, "partitions"), "partitions", NULL);
    json_decref(body);
    if (!l)
        return;
    pthread_mutex_lock(&ci->mu);
    if (ci->mode == 1) {
        bs_http_reply_error(req, 409, 40903,
                            "Illegal state: Subscription to topics, partitions and pattern are "
                            "mutually exclusive.");
    } else {
        rd_kafka_resp_err_t e = rd_kafka_assign(ci->rk, l->cnt ? l : NULL);
        if (e) {
            bs_rest_reply_kafka_error(req, e, NULL);
        } else {
            pend_clear(ci);
            ci->mode = l->cnt ? 2 : 0;
            bs_http_reply(req, 204, NULL, "", 0);
        }
    }
    pthread_mutex_unlock(&ci->mu);
    rd_kafka_topic_partition_list_destroy(l);
}

static void get_assign_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)r;
    cinst_t *ci = arg;
    rd_kafka_topic_partition_list_t *l = NULL;
    pthread_mutex_lock(&ci->mu);
    /* serve the group's callbacks so a fresh subscription's assignment shows */
    rd_kafka_resp_err_t e = rd_kafka_assignment(ci->rk, &l);
    pthread_mutex_unlock(&ci->mu);
    if (e) {
        bs_rest_reply_kafka_error(req, e, NULL);
        return;
    }
    json_t *a = tp_json(l);
    if (l)
        rd_kafka_topic_partition_list_destroy(l);
    bs_http_reply_json(req, 200, json_pack("{s:o}", "partitions", a));
}

/* ------------------------------------------------------------------------
 * positions
 * ---------------------------------------------------------------------- */

static void seek_list(bs_rest_t *r, bs_http_req_t *req, cinst_t *ci,
                      rd_kafka_topic_partition_list_t *l)
{
    pthread_mutex_lock(&ci->mu);
    pend_clear(ci);
    rd_kafka_error_t *err = rd_kafka_seek_partitions(ci->rk, l, r->cfg->admin_timeout_ms);
    pthread_mutex_unlock(&ci->mu);
    if (err) {
        bs_http_reply_error(req, 409, 40903, "Illegal state: %s", rd_kafka_error_string(err));
        rd_kafka_error_destroy(err);
        return;
    }
    for (int i = 0; i < l->cnt; i++) {
        if (l->elems[i].err) {
            bs_http_reply_error(req, 409, 40903,
                                "Illegal state: cannot seek %s-%d (is it assigned to this "
                                "instance?): %s",
                                l->elems[i].topic, (int)l->elems[i].partition,
                                rd_kafka_err2str(l->elems[i].err));
            return;
        }
    }
    bs_http_reply(req, 204, NULL, "", 0);
}

static void positions_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    cinst_t *ci = arg;
    json_t *body = body_obj(req, false);
    if (!body)
        return;
    json_t *offs = json_object_get(body, "offsets"), *tss = json_object_get(body, "timestamps");
    rd_kafka_topic_partition_list_t *l = NULL;
    if (offs) {
        l = tp_list(req, offs, "offsets", "offset");
    } else if (tss) {
        l = tp_list(req, tss, "timestamps", "timestamp");
        if (l) {
            rd_kafka_resp_err_t e = rd_kafka_offsets_for_times(ci->rk, l, r->cfg->admin_timeout_ms);
            if (e) {
                bs_rest_reply_kafka_error(req, e, NULL);
                goto done;
            }
        }
    } else {
        bs_http_reply_error(req, 422, 422, "Either \"offsets\" or \"timestamps\" must be given");
        goto done;
    }
    if (l)
        seek_list(r, req, ci, l);
done:
    if (l)
        rd_kafka_topic_partition_list_destroy(l);
    json_decref(body);
}

static void seek_edge(bs_rest_t *r, bs_http_req_t *req, cinst_t *ci, int64_t where)
{
    json_t *body = body_obj(req, false);
    if (!body)
        return;
    rd_kafka_topic_partition_list_t *l =
        tp_list(req, json_object_get(body, "partitions"), "partitions", NULL);
    json_decref(body);
    if (!l)
        return;
    for (int i = 0; i < l->cnt; i++)
        l->elems[i].offset = where;
    seek_list(r, req, ci, l);
    rd_kafka_topic_partition_list_destroy(l);
}

static void beginning_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    seek_edge(r, req, arg, RD_KAFKA_OFFSET_BEGINNING);
}

static void end_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    seek_edge(r, req, arg, RD_KAFKA_OFFSET_END);
}

/* ------------------------------------------------------------------------
 * records
 * ---------------------------------------------------------------------- */

typedef struct rec_req_s {
    cinst_t *ci;
    int64_t timeout_ms;
    int64_t max_bytes;
} rec_req_t;

static void rec_req_free(void *p)
{
    rec_req_t *rq = p;
    cinst_unref(rq->ci);
    free(rq);
}

/* Appends one record's JSON; -1 with msg if it cannot be rendered in the
 * instance's format. */
static int render(cinst_t *ci, bs_wbuf_t *w, const rd_kafka_message_t *m, char *msg, size_t mlen)
{
    size_t mark = w->len;
    bs_rest_jw_raw(w, "{\"topic\":");
    bs_rest_jw_cstr(w, rd_kafka_topic_name(m->rkt));
    for (int side = 0; side < 2; side++) {
        const void *p = side ? m->payload : m->key;
        size_t len = side ? m->len : m->key_len;
        bs_rest_jw_raw(w, side ? ",\"value\":" : ",\"key\":");
        if (!p) {
            bs_rest_jw_raw(w, "null");
            continue;
        }
        if (ci->fmt == BS_REST_FMT_BINARY) {
            bs_rest_jw_b64(w, p, len);
        } else if (ci->fmt == BS_REST_FMT_JSON) {
            json_error_t je;
            json_t *j = json_loadb(p, len, JSON_DECODE_ANY, &je);
            if (!j) {
                snprintf(msg, mlen,
                         "Cannot deserialize the %s of the record at %s-%d offset %lld as JSON: %s",
                         side ? "value" : "key", rd_kafka_topic_name(m->rkt), (int)m->partition,
                         (long long)m->offset, je.text);
                w->len = mark;
                return -1;
            }
            json_decref(j);
            bs_wbuf_put(w, p, len);
        } else {
            char e[400];
            if (bs_rest_avro_dec_one(ci->avro, p, len, w, e, sizeof e) != 0) {
                snprintf(msg, mlen,
                         "Cannot deserialize the %s of the record at %s-%d offset %lld as Avro: %s",
                         side ? "value" : "key", rd_kafka_topic_name(m->rkt), (int)m->partition,
                         (long long)m->offset, e);
                w->len = mark;
                return -1;
            }
        }
    }
    bs_rest_jw_raw(w, ",\"partition\":");
    bs_rest_jw_i64(w, m->partition);
    bs_rest_jw_raw(w, ",\"offset\":");
    bs_rest_jw_i64(w, m->offset);
    bs_rest_jw_raw(w, "}");
    return 0;
}

/* Offsets to store: highest returned offset + 1 per partition. */
static void store_add(rd_kafka_topic_partition_list_t *l, const rd_kafka_message_t *m)
{
    const char *t = rd_kafka_topic_name(m->rkt);
    for (int i = l->cnt - 1; i >= 0; i--) {
        if (l->elems[i].partition == m->partition && strcmp(l->elems[i].topic, t) == 0) {
            l->elems[i].offset = m->offset + 1;
            return;
        }
    }
    rd_kafka_topic_partition_list_add(l, t, m->partition)->offset = m->offset + 1;
}

static void records_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    rec_req_t *rq = arg;
    cinst_t *ci = rq->ci;
    bs_wbuf_t w;
    char msg[600];
    rd_kafka_message_t *buf[1024];
    int64_t bytes = 0, count = 0, max_count = r->cfg->max_poll_records;
    int iter = r->cfg->consumer_iterator_timeout_ms;
    rd_kafka_topic_partition_list_t *store = rd_kafka_topic_partition_list_new(8);
    bool failed = false;

    bs_wbuf_init(&w);
    bs_wbuf_u8(&w, '[');
    pthread_mutex_lock(&ci->mu);
    int64_t deadline = bs_rest_now_ms() + rq->timeout_ms;
    for (;;) {
        /* drain what we hold */
        while (ci->pend_off < ci->npend) {
            rd_kafka_message_t *m = ci->pend[ci->pend_off];
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    bs_log_debug("rest", "consumer %s: %s", ci->name, rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                ci->pend_off++;
                continue;
            }
            int64_t sz = (int64_t)m->len + (int64_t)m->key_len;
            if (count > 0 && (bytes + sz > rq->max_bytes || (max_count > 0 && count >= max_count)))
                goto full;
            if (count)
                bs_wbuf_u8(&w, ',');
            size_t mark = w.len;
            if (render(ci, &w, m, msg, sizeof msg) != 0) {
                if (count == 0) {
                    failed = true;
                    goto full;
                }
                w.len = mark - 1; /* drop the comma; report the record next time */
                goto full;
            }
            store_add(store, m);
            bytes += sz;
            count++;
            rd_kafka_message_destroy(m);
            ci->pend_off++;
        }
        ci->npend = ci->pend_off = 0;
        int64_t left = deadline - bs_rest_now_ms();
        int wait = count > 0 ? (int)(left < iter ? left : iter) : (int)left;
        if (wait < 0)
            wait = 0;
        if (count > 0 && max_count > 0 && count >= max_count)
            break;
        ssize_t n = rd_kafka_consume_batch_queue(ci->q, wait, buf, 1024);
        if (n <= 0) {
            if (count > 0 || bs_rest_now_ms() >= deadline || atomic_load(&r->stop))
                break;
            continue;
        }
        if (ci->pend_cap < (int)n) {
            ci->pend_cap = (int)n;
            ci->pend = bs_xrealloc(ci->pend, sizeof(*ci->pend) * (size_t)ci->pend_cap);
        }
        memcpy(ci->pend, buf, sizeof(*buf) * (size_t)n);
        ci->npend = (int)n;
        ci->pend_off = 0;
    }
full:
    if (store->cnt)
        rd_kafka_offsets_store(ci->rk, store);
    pthread_mutex_unlock(&ci->mu);
    rd_kafka_topic_partition_list_destroy(store);
    if (failed) {
        bs_wbuf_free(&w);
        bs_http_reply_error(req, 500, 50002, "%s", msg);
        return;
    }
    bs_wbuf_u8(&w, ']');
    bs_rest_reply_wbuf(req, 200, bs_rest_fmt_media_v2(ci->fmt), &w);
}

static void h_records(bs_http_req_t *req, void *ctx)
{
    bs_rest_t *r = ctx;
    cinst_t *ci = cm_get(r->cm, bs_http_param(req, "group"), bs_http_param(req, "instance"));
    if (!ci) {
        bs_http_reply_error(req, 404, 40403, "Consumer instance not found.");
        return;
    }
    /* the embedded format asked for must be the instance's (a generic type
     * such as application/json or any type is served in the instance format) */
    bs_rest_fmt_t want = bs_rest_fmt_of_media(bs_http_media(req));
    if (want != BS_REST_FMT_GENERIC && want != ci->fmt) {
        bs_http_reply_error(req, 406, 40601,
                            "The requested embedded data format does not match the deserializer "
                            "for this consumer instance");
        cinst_unref(ci);
        return;
    }
    rec_req_t *rq = bs_xcalloc(1, sizeof *rq);
    rq->ci = ci;
    rq->timeout_ms = ci->req_timeout_ms;
    /* ?timeout= replaces the instance's consumer.request.timeout.ms for
     * this request (bounded: a parked read holds a worker thread) */
    const char *t = bs_http_query(req, "timeout");
    if (t && *t) {
        char *end;
        long long v = strtoll(t, &end, 10);
        if (*end || v < 0) {
            bs_http_reply_error(req, 400, 400, "timeout must be a non-negative integer");
            rec_req_free(rq);
            return;
        }
        rq->timeout_ms = v > 300000 ? 300000 : v;
    }
    rq->max_bytes = r->cfg->consumer_request_max_bytes;
    const char *mb = bs_http_query(req, "max_bytes");
    if (mb && *mb) {
        char *end;
        long long v = strtoll(mb, &end, 10);
        if (*end || v <= 0) {
            bs_http_reply_error(req, 400, 400, "max_bytes must be a positive integer");
            rec_req_free(rq);
            return;
        }
        if (v < rq->max_bytes)
            rq->max_bytes = v;
    }
    bs_rest_submit(r, req, records_job, rq, rec_req_free);
}

/* ------------------------------------------------------------------------
 * offsets
 * ---------------------------------------------------------------------- */

static void commit_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    (void)r;
    cinst_t *ci = arg;
    json_t *body = body_obj(req, true);
    if (!body)
        return;
    json_t *offs = json_object_get(body, "offsets");
    rd_kafka_topic_partition_list_t *l = NULL;
    if (offs && !json_is_null(offs) && !(json_is_array(offs) && json_array_size(offs) == 0)) {
        l = tp_list(req, offs, "offsets", "offset");
        if (!l) {
            json_decref(body);
            return;
        }
        /* Confluent commits offset + 1: the client names the last record it
         * processed, Kafka stores the next one to read */
        for (int i = 0; i < l->cnt; i++)
            l->elems[i].offset += 1;
    }
    json_decref(body);
    bool async = bs_http_query_bool(req, "async");
    pthread_mutex_lock(&ci->mu);
    rd_kafka_resp_err_t e = rd_kafka_commit(ci->rk, l, async ? 1 : 0);
    pthread_mutex_unlock(&ci->mu);
    if (l)
        rd_kafka_topic_partition_list_destroy(l);
    if (e && e != RD_KAFKA_RESP_ERR__NO_OFFSET) {
        bs_rest_reply_kafka_error(req, e, NULL);
        return;
    }
    bs_http_reply(req, 200, NULL, "", 0);
}

static void committed_job(bs_rest_t *r, bs_http_req_t *req, void *arg)
{
    cinst_t *ci = arg;
    json_t *body = body_obj(req, false);
    if (!body)
        return;
    rd_kafka_topic_partition_list_t *l =
        tp_list(req, json_object_get(body, "partitions"), "partitions", NULL);
    json_decref(body);
    if (!l)
        return;
    pthread_mutex_lock(&ci->mu);
    rd_kafka_resp_err_t e = rd_kafka_committed(ci->rk, l, r->cfg->admin_timeout_ms);
    pthread_mutex_unlock(&ci->mu);
    if (e) {
        rd_kafka_topic_partition_list_destroy(l);
        bs_rest_reply_kafka_error(req, e, NULL);
        return;
    }
    json_t *a = json_array();
    for (int i = 0; i < l->cnt; i++) {
        const rd_kafka_topic_partition_t *tp = &l->elems[i];
        json_array_append_new(
            a, json_pack("{s:s,s:i,s:I,s:s#}", "topic", tp->topic, "partition", (int)tp->partition,
                         "offset", (json_int_t)(tp->offset < 0 ? -1 : tp->offset), "metadata",
                         tp->metadata ? (const char *)tp->metadata : "",
                         (int)(tp->metadata ? tp->metadata_size : 0)));
    }
    rd_kafka_topic_partition_list_destroy(l);
    bs_http_reply_json(req, 200, json_pack("{s:o}", "offsets", a));
}

#define INST_HANDLER(name, job)                                                                    \
    static void name(bs_http_req_t *req, void *ctx)                                                \
    {                                                                                              \
        with_inst(req, ctx, job);                                                                  \
    }

INST_HANDLER(h_subscribe, subscribe_job)
INST_HANDLER(h_get_subscription, get_subscription_job)
INST_HANDLER(h_unsubscribe, unsubscribe_job)
INST_HANDLER(h_assign, assign_job)
INST_HANDLER(h_get_assign, get_assign_job)
INST_HANDLER(h_positions, positions_job)
INST_HANDLER(h_beginning, beginning_job)
INST_HANDLER(h_end, end_job)
INST_HANDLER(h_commit, commit_job)
INST_HANDLER(h_committed, committed_job)

/* ------------------------------------------------------------------------
 * v2 route table
 * ---------------------------------------------------------------------- */

void bs_rest_v2_topics(bs_http_req_t *req, void *ctx);
void bs_rest_v2_topic(bs_http_req_t *req, void *ctx);
void bs_rest_v2_partitions(bs_http_req_t *req, void *ctx);
void bs_rest_v2_partition(bs_http_req_t *req, void *ctx);
void bs_rest_v2_offsets(bs_http_req_t *req, void *ctx);
void bs_rest_v2_brokers(bs_http_req_t *req, void *ctx);

#define CI "/consumers/{group}/instances/{instance}"

const bs_http_route_t bs_rest_v2_routes[] = {
    {"GET", "/topics", bs_rest_v2_topics},
    {"GET", "/topics/{topic}", bs_rest_v2_topic},
    {"POST", "/topics/{topic}", bs_rest_v2_produce_topic},
    {"GET", "/topics/{topic}/partitions", bs_rest_v2_partitions},
    {"GET", "/topics/{topic}/partitions/{partition}", bs_rest_v2_partition},
    {"POST", "/topics/{topic}/partitions/{partition}", bs_rest_v2_produce_partition},
    {"GET", "/topics/{topic}/partitions/{partition}/offsets", bs_rest_v2_offsets},
    {"GET", "/brokers", bs_rest_v2_brokers},
    {"POST", "/consumers/{group}", h_create},
    {"DELETE", CI, h_delete},
    {"POST", CI "/subscription", h_subscribe},
    {"GET", CI "/subscription", h_get_subscription},
    {"DELETE", CI "/subscription", h_unsubscribe},
    {"POST", CI "/assignments", h_assign},
    {"GET", CI "/assignments", h_get_assign},
    {"POST", CI "/positions", h_positions},
    {"POST", CI "/positions/beginning", h_beginning},
    {"POST", CI "/positions/end", h_end},
    {"GET", CI "/records", h_records},
    {"POST", CI "/offsets", h_commit},
    {"GET", CI "/offsets", h_committed},
};
const int bs_rest_v2_nroutes = (int)(sizeof bs_rest_v2_routes / sizeof bs_rest_v2_routes[0]);
