/*
 * rest.c — the `basin rest` service (Confluent REST Proxy API v2 and v3).
 *
 * Start-up: load config -> shared producer (+ poller thread serving its
 * delivery reports) -> first metadata request (logs the cluster reached; a
 * missing cluster is not fatal, requests then fail with 50002) -> worker
 * pool -> consumer instance manager (+ its expiry thread) -> HTTP server ->
 * wait for SIGINT/SIGTERM -> stop HTTP (answers pending requests 503) ->
 * workers -> instances -> producer flush and close.
 *
 * Threads and ownership:
 *  - HTTP I/O threads run handlers; they never block.
 *  - `consumer.threads` workers run jobs (bs_rest_submit) that may block on
 *    Kafka: metadata, admin, consumer reads/commits/seeks.
 *  - The poller thread runs rd_kafka_poll() on the shared producer: delivery
 *    reports complete produce requests (v2_produce.c) and reply from there.
 *  - The topic cache (name -> partition count) is guarded by tmu; it is
 *    replaced wholesale by each refresh (full metadata, so asking about a
 *    topic never auto-creates it).
 */
#include "rest/rest.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/log.h"
#include "rest/rest_int.h"

/* Order matters only for ties: with no Accept header, metadata endpoints
 * answer application/vnd.kafka.v2+json; records endpoints pick the type of
 * the instance's format themselves (v2_consumer.c). */
static const bs_http_media_t g_produces[] = {
    {"application/vnd.kafka.v2+json", 1.0},      {"application/vnd.kafka.binary.v2+json", 0.9},
    {"application/vnd.kafka.json.v2+json", 0.9}, {"application/vnd.kafka.avro.v2+json", 0.9},
    {"application/vnd.kafka+json", 0.8},         {"application/json", 0.5},
};
static const char *const g_consumes[] = {
    "application/vnd.kafka.v2+json",
    "application/vnd.kafka.binary.v2+json",
    "application/vnd.kafka.json.v2+json",
    "application/vnd.kafka.avro.v2+json",
    "application/vnd.kafka.jsonschema.v2+json",
    "application/vnd.kafka.protobuf.v2+json",
    "application/vnd.kafka+json",
    "application/json",
    "application/octet-stream",
};

int64_t bs_rest_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int32_t bs_rest_parse_i32(const char *s)
{
    if (!s || !*s)
        return -1;
    int64_t v = 0;
    for (const char *p = s; *p; p++) {
        if (*p < '0' || *p > '9')
            return -1;
        v = v * 10 + (*p - '0');
        if (v > INT32_MAX)
            return -1;
    }
    return (int32_t)v;
}

/* ------------------------------------------------------------------------
 * worker pool
 * ---------------------------------------------------------------------- */

void bs_rest_submit(bs_rest_t *r, bs_http_req_t *req, bs_rest_job_fn fn, void *arg,
                    void (*free_arg)(void *))
{
    bs_rest_job_t *j = bs_xcalloc(1, sizeof *j);
    j->req = req;
    j->fn = fn;
    j->arg = arg;
    j->free_arg = free_arg;
    if (!bs_jobq_push(&r->q, &j->link)) {
        bs_http_reply_error(req, 503, 50301, "The REST Proxy is shutting down");
        if (free_arg)
            free_arg(arg);
        free(j);
    }
}

static void *worker_main(void *arg)
{
    bs_rest_t *r = arg;
    bs_job_t *l;
    while ((l = bs_jobq_pop(&r->q, NULL)) != NULL) { /* NULL: stopping and drained */
        bs_rest_job_t *j = (bs_rest_job_t *)l;
        j->fn(r, j->req, j->arg);
        if (j->free_arg)
            j->free_arg(j->arg);
        free(j);
    }
    return NULL;
}

/* ------------------------------------------------------------------------
 * producer poller
 * ---------------------------------------------------------------------- */

static void *poller_main(void *arg)
{
    bs_rest_t *r = arg;
    while (!atomic_load(&r->stop))
        rd_kafka_poll(r->rk, 100);
    return NULL;
}

/* ------------------------------------------------------------------------
 * Kafka clients: configuration, metadata, admin
 * ---------------------------------------------------------------------- */

static int conf_set_list(rd_kafka_conf_t *conf, const bs_rest_kprops_t *p, const char *prefix,
                         char *err, size_t errlen)
{
    char e[512];
    for (int i = 0; p && i < p->n; i++) {
        if (rd_kafka_conf_set(conf, p->kv[2 * i], p->kv[2 * i + 1], e, sizeof e) !=
            RD_KAFKA_CONF_OK) {
            snprintf(err, errlen, "%s%s: %s", prefix, p->kv[2 * i], e);
            return -1;
        }
    }
    return 0;
}

int bs_rest_conf_apply(bs_rest_t *r, rd_kafka_conf_t *conf, const bs_rest_kprops_t *extra,
                       char *err, size_t errlen)
{
    char e[512];
    const char *bs = r->cfg->bootstrap;
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bs, e, sizeof e) != RD_KAFKA_CONF_OK) {
        snprintf(err, errlen, "bootstrap.servers: %s", e);
        return -1;
    }
    if (conf_set_list(conf, &r->cfg->client, "client.", err, errlen) != 0)
        return -1;
    const char *prefix = extra == &r->cfg->producer   ? "producer."
                         : extra == &r->cfg->consumer ? "consumer."
                                                      : "admin.";
    return conf_set_list(conf, extra, prefix, err, errlen);
}

bool bs_rest_topic_internal(const char *name)
{
    return strcmp(name, "__consumer_offsets") == 0 || strcmp(name, "__transaction_state") == 0;
}

const struct rd_kafka_metadata *bs_rest_metadata(bs_rest_t *r, char *err, size_t errlen)
{
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_resp_err_t e = rd_kafka_metadata(r->rk, 1, NULL, &md, r->cfg->admin_timeout_ms);
    if (e) {
        snprintf(err, errlen, "cannot get metadata from Kafka (%s): %s", r->cfg->bootstrap,
                 rd_kafka_err2str(e));
        return NULL;
    }
    /* refresh the topic cache from what we have anyway */
    pthread_mutex_lock(&r->tmu);
    bs_hmap_free(&r->topics);
    bs_hmap_init(&r->topics);
    for (int i = 0; i < md->topic_cnt; i++) {
        const rd_kafka_metadata_topic_t *t = &md->topics[i];
        if (t->err == RD_KAFKA_RESP_ERR_NO_ERROR && t->partition_cnt > 0)
            bs_hmap_put(&r->topics, t->topic, strlen(t->topic), (void *)(intptr_t)t->partition_cnt);
    }
    r->topics_at_ms = bs_rest_now_ms();
    pthread_mutex_unlock(&r->tmu);
    return md;
}

int bs_rest_topic_cached(bs_rest_t *r, const char *topic)
{
    int rc = -1;
    pthread_mutex_lock(&r->tmu);
    if (r->topics_at_ms && bs_rest_now_ms() - r->topics_at_ms <= r->cfg->metadata_max_age_ms) {
        void *v = bs_hmap_get(&r->topics, topic, strlen(topic));
        rc = v ? (int)(intptr_t)v : -1; /* absent: maybe created since; let a worker ask */
    }
    pthread_mutex_unlock(&r->tmu);
    return rc;
}

int bs_rest_topic_lookup(bs_rest_t *r, const char *topic, int min_age_ms, char *err, size_t errlen)
{
    pthread_mutex_lock(&r->tmu);
    bool fresh = r->topics_at_ms && bs_rest_now_ms() - r->topics_at_ms < min_age_ms;
    void *v = bs_hmap_get(&r->topics, topic, strlen(topic));
    pthread_mutex_unlock(&r->tmu);
    if (fresh)
        return v ? (int)(intptr_t)v : 0;
    const struct rd_kafka_metadata *md = bs_rest_metadata(r, err, errlen);
    if (!md)
        return -2;
    rd_kafka_metadata_destroy(md);
    pthread_mutex_lock(&r->tmu);
    v = bs_hmap_get(&r->topics, topic, strlen(topic));
    pthread_mutex_unlock(&r->tmu);
    return v ? (int)(intptr_t)v : 0;
}

void bs_rest_topic_invalidate(bs_rest_t *r)
{
    pthread_mutex_lock(&r->tmu);
    r->topics_at_ms = 0;
    pthread_mutex_unlock(&r->tmu);
}

void bs_rest_kafka_error_code(rd_kafka_resp_err_t err, int *status, int *code)
{
    switch (err) {
    case RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART:
    case RD_KAFKA_RESP_ERR__UNKNOWN_TOPIC:
        *status = 404, *code = 40401;
        return;
    case RD_KAFKA_RESP_ERR__UNKNOWN_PARTITION:
        *status = 404, *code = 40402;
        return;
    case RD_KAFKA_RESP_ERR_GROUP_ID_NOT_FOUND:
        *status = 404, *code = 40405;
        return;
    case RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS:
    case RD_KAFKA_RESP_ERR_INVALID_PARTITIONS:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICATION_FACTOR:
    case RD_KAFKA_RESP_ERR_INVALID_REPLICA_ASSIGNMENT:
    case RD_KAFKA_RESP_ERR_INVALID_CONFIG:
    case RD_KAFKA_RESP_ERR_POLICY_VIOLATION:
    case RD_KAFKA_RESP_ERR_TOPIC_EXCEPTION:
    case RD_KAFKA_RESP_ERR_INVALID_REQUEST:
    case RD_KAFKA_RESP_ERR_NON_EMPTY_GROUP:
    case RD_KAFKA_RESP_ERR_TOPIC_DELETION_DISABLED:
    case RD_KAFKA_RESP_ERR__INVALID_ARG:
        *status = 400, *code = 40002;
        return;
    case RD_KAFKA_RESP_ERR_SASL_AUTHENTICATION_FAILED:
    case RD_KAFKA_RESP_ERR__AUTHENTICATION:
        *status = 401, *code = 40101;
        return;
    case RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED:
    case RD_KAFKA_RESP_ERR_CLUSTER_AUTHORIZATION_FAILED:
        *status = 403, *code = 40301;
        return;
    case RD_KAFKA_RESP_ERR_LEADER_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_LEADER_FOR_PARTITION:
    case RD_KAFKA_RESP_ERR_REQUEST_TIMED_OUT:
    case RD_KAFKA_RESP_ERR_NOT_ENOUGH_REPLICAS:
    case RD_KAFKA_RESP_ERR__TIMED_OUT:
    case RD_KAFKA_RESP_ERR__MSG_TIMED_OUT:
    case RD_KAFKA_RESP_ERR__QUEUE_FULL:
    case RD_KAFKA_RESP_ERR__TRANSPORT:
    case RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN:
    case RD_KAFKA_RESP_ERR_COORDINATOR_NOT_AVAILABLE:
    case RD_KAFKA_RESP_ERR_NOT_COORDINATOR:
    case RD_KAFKA_RESP_ERR_COORDINATOR_LOAD_IN_PROGRESS:
        *status = 500, *code = 50003;
        return;
    default:
        *status = 500, *code = 50002;
        return;
    }
}

void bs_rest_reply_kafka_error(bs_http_req_t *req, rd_kafka_resp_err_t err, const char *msg)
{
    int status, code;
    bs_rest_kafka_error_code(err, &status, &code);
    bs_http_reply_error(req, status, code, "%s", msg && *msg ? msg : rd_kafka_err2str(err));
}

rd_kafka_event_t *bs_rest_admin_wait(bs_rest_t *r, rd_kafka_queue_t *q)
{
    int64_t deadline = bs_rest_now_ms() + r->cfg->admin_timeout_ms + 1000;
    for (;;) {
        int64_t left = deadline - bs_rest_now_ms();
        if (left <= 0)
            return NULL;
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)(left > 1000 ? 1000 : left));
        if (ev)
            return ev;
        if (atomic_load(&r->stop))
            return NULL;
    }
}

rd_kafka_AdminOptions_t *bs_rest_admin_options(bs_rest_t *r, rd_kafka_admin_op_t op)
{
    char e[256];
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(r->rk, op);
    rd_kafka_AdminOptions_set_request_timeout(o, r->cfg->admin_timeout_ms, e, sizeof e);
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
        op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS)
        rd_kafka_AdminOptions_set_operation_timeout(o, r->cfg->admin_timeout_ms, e, sizeof e);
    return o;
}

/* ------------------------------------------------------------------------
 * start-up and shutdown
 * ---------------------------------------------------------------------- */

static rd_kafka_t *producer_new(bs_rest_t *r, char *err, size_t errlen)
{
    char e[512], v[32];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    /* Java's partitioner, so keyed records land where Confluent's proxy and
     * Java clients put them; acks=all as Confluent's REST producer. */
    static const char *const dflt[] = {"partitioner",
                                       "murmur2_random",
                                       "acks",
                                       "all",
                                       "client.id",
                                       "basin-rest",
                                       "queue.buffering.max.messages",
                                       "1000000",
                                       "queue.buffering.max.kbytes",
                                       "1048576",
                                       "batch.num.messages",
                                       "10000",
                                       NULL};
    for (int i = 0; dflt[i]; i += 2)
        rd_kafka_conf_set(conf, dflt[i], dflt[i + 1], e, sizeof e);
    snprintf(v, sizeof v, "%d", (int)r->cfg->producer_linger_ms);
    rd_kafka_conf_set(conf, "linger.ms", v, e, sizeof e);
    if (bs_rest_conf_apply(r, conf, &r->cfg->producer, err, errlen) != 0) {
        rd_kafka_conf_destroy(conf);
        return NULL;
    }
    extern void bs_rest_v2_dr_cb(rd_kafka_t *, const rd_kafka_message_t *, void *);
    rd_kafka_conf_set_dr_msg_cb(conf, bs_rest_v2_dr_cb);
    rd_kafka_conf_set_opaque(conf, r);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, e, sizeof e);
    if (!rk) {
        snprintf(err, errlen, "cannot create the Kafka producer: %s", e);
        return NULL;
    }
    return rk;
}

/* GET / answers {} (Confluent's root resource; `basin up` probes it). */
static void h_root(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    bs_http_reply(req, 200, NULL, "{}", 2);
}

static bs_http_route_t *build_routes(const bs_rest_config_t *cfg, int *n)
{
    int total = (cfg->api_v2_enable ? bs_rest_v2_nroutes : 0) +
                (cfg->api_v3_enable ? bs_rest_v3_nroutes : 0) + 1;
    bs_http_route_t *rt = bs_xcalloc((size_t)total + 1, sizeof *rt);
    int k = 0;
    rt[k++] = (bs_http_route_t){"GET", "/", h_root};
    if (cfg->api_v2_enable)
        for (int i = 0; i < bs_rest_v2_nroutes; i++)
            rt[k++] = bs_rest_v2_routes[i];
    if (cfg->api_v3_enable)
        for (int i = 0; i < bs_rest_v3_nroutes; i++)
            rt[k++] = bs_rest_v3_routes[i];
    *n = k;
    return rt;
}

int bs_rest_main(int argc, char **argv)
{
    int rc = 1;
    char err[1024];
    bs_rest_config_t cfg;
    bs_rest_t *r = bs_xcalloc(1, sizeof *r);
    bs_http_route_t *routes = NULL;
    sigset_t sigs;

    bs_rest_config_init(&cfg);
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            bs_rest_config_usage(stdout);
            rc = 0;
            goto out;
        }
        if (strcmp(argv[i], "--print-config-docs") == 0) {
            rc = bs_rest_config_print_docs(stdout) == 0 ? 0 : 1;
            goto out;
        }
    }
    if (bs_rest_config_load_args(&cfg, argc, argv, err, sizeof err) != 0) {
        bs_log_error("rest", "configuration: %s", err);
        rc = 2;
        goto out;
    }
    r->cfg = &cfg;
    bs_jobq_init(&r->q);
    pthread_mutex_init(&r->tmu, NULL);
    bs_hmap_init(&r->topics);

    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    bs_log_info("rest",
                "Basin REST Proxy%s%s starting: API%s%s on %s, Kafka %s, Schema Registry %s, "
                "consumer instances expire after %d ms idle",
                cfg.id && cfg.id[0] ? " " : "", cfg.id ? cfg.id : "",
                cfg.api_v2_enable ? " v2" : "", cfg.api_v3_enable ? " v3" : "", cfg.listeners,
                cfg.bootstrap, cfg.schema_registry_url, (int)cfg.consumer_instance_timeout_ms);
    bs_rest_config_log(&cfg);

    r->rk = producer_new(r, err, sizeof err);
    if (!r->rk) {
        bs_log_error("rest", "%s", err);
        rc = 2;
        goto out;
    }
    if (pthread_create(&r->poller, NULL, poller_main, r) != 0) {
        bs_log_error("rest", "cannot start the producer poller thread");
        goto out;
    }
    r->poller_started = true;

    /* bounded: an unreachable cluster must not keep the REST API down */
    int32_t saved = cfg.admin_timeout_ms;
    cfg.admin_timeout_ms = saved < 5000 ? saved : 5000;
    const struct rd_kafka_metadata *md = bs_rest_metadata(r, err, sizeof err);
    cfg.admin_timeout_ms = saved;
    if (md) {
        char *cid = rd_kafka_clusterid(r->rk, cfg.admin_timeout_ms);
        if (cid) {
            r->cluster_id = bs_xstrdup(cid);
            rd_kafka_mem_free(r->rk, cid);
        }
        bs_log_info("rest", "Kafka cluster %s reached: %d broker(s), %d topic(s)",
                    r->cluster_id ? r->cluster_id : "(no id)", md->broker_cnt, md->topic_cnt);
        rd_kafka_metadata_destroy(md);
    } else {
        bs_log_warn("rest", "%s (requests will fail with 50002 until it is reachable)", err);
    }

    if (!r->cluster_id) /* librdkafka's string is malloc'd; keep one allocator */
        r->cluster_id = bs_xstrdup("");
    if (bs_rest_avro_init(r, err, sizeof err) != 0)
        bs_log_warn("rest", "avro embedded format unavailable: %s", err);

    r->nworkers = cfg.consumer_threads;
    r->workers = bs_xcalloc((size_t)r->nworkers, sizeof(pthread_t));
    for (int i = 0; i < r->nworkers; i++) {
        if (pthread_create(&r->workers[i], NULL, worker_main, r) != 0) {
            bs_log_error("rest", "cannot start worker thread %d", i);
            r->nworkers = i;
            goto out;
        }
    }
    r->cm = bs_rest_cm_new(r);

    int nroutes = 0;
    routes = build_routes(&cfg, &nroutes);
    static const bs_http_stream_route_t streams[] = {
        {bs_rest_v3_produce, bs_rest_v3_produce_head}, /* v3 streaming produce */
    };
    bs_http_config_t hc = {
        .listeners = cfg.listeners,
        .threads = cfg.http_threads,
        .produces = g_produces,
        .nproduces = (int)(sizeof g_produces / sizeof g_produces[0]),
        .consumes = g_consumes,
        .nconsumes = (int)(sizeof g_consumes / sizeof g_consumes[0]),
        .max_body = (size_t)cfg.max_request_bytes,
        .service_name = "rest",
        .streams = streams,
        .nstreams = cfg.api_v3_enable ? 1 : 0,
        .full_duplex = true, /* streamed produce reports go out while the body arrives */
    };
    r->http = bs_http_server_start(&hc, routes, nroutes, r, err, sizeof err);
    if (!r->http) {
        bs_log_error("rest", "REST API: %s", err);
        goto out;
    }
    bs_log_info("rest", "REST Proxy ready on %s (%d routes, %d workers)", cfg.listeners, nroutes,
                r->nworkers);

    int sig = 0;
    sigwait(&sigs, &sig);
    bs_log_info("rest", "signal %d: shutting down", sig);
    rc = 0;
out:
    if (r->cfg) {
        /* workers first drain their jobs (each replies), then HTTP stops */
        bs_jobq_stop(&r->q);
        for (int i = 0; i < r->nworkers; i++)
            pthread_join(r->workers[i], NULL);
        bs_rest_cm_free(r->cm);
        if (r->rk)
            rd_kafka_flush(r->rk, 5000);
        bs_http_server_stop(r->http);
        atomic_store(&r->stop, 1);
        if (r->poller_started)
            pthread_join(r->poller, NULL);
        bs_rest_avro_free(r);
        if (r->rk)
            rd_kafka_destroy(r->rk);
        bs_hmap_free(&r->topics);
        bs_jobq_destroy(&r->q);
        pthread_mutex_destroy(&r->tmu);
        free(r->workers);
        free(r->cluster_id);
    }
    free(routes);
    free(r);
    bs_rest_config_free(&cfg);
    return rc;
}
