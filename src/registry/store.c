/*
 * store.c — the `_schemas` topic: topic set-up, the consumer thread that
 * replays and tails it into the model, and read-your-writes produce.
 *
 * Threads:
 *   consumer thread (store_consume_main): owns st->cons; applies records,
 *     advances st->position (next offset to read) and broadcasts st->cond.
 *   poller thread (store_poll_main): serves the producer's delivery reports,
 *     which complete a heap-allocated writer (refcount: the writer and the
 *     delivery callback each hold one, so a writer that timed out never
 *     leaves a dangling pointer behind).
 *   callers of write/sync/caught_up: block on st->cond.
 *
 * Invariant: st->position only grows; every record at an offset below it has
 * been applied to the model.
 */
#include "registry/store.h"

#include <errno.h>
#include <librdkafka/rdkafka.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "base/arena.h"
#include "base/log.h"

typedef struct store_writer_s {
    int refs;  /* under st->mu */
    bool done; /* delivery report received */
    rd_kafka_resp_err_t err;
    int64_t offset;
} store_writer_t;

struct bs_reg_store_s {
    const bs_reg_config_t *cfg;
    bs_reg_model_t *model;
    rd_kafka_t *prod;
    rd_kafka_t *cons;
    rd_kafka_topic_t *rkt; /* simple consumer's topic handle */
    bool consuming;
    pthread_t cons_thread, poll_thread;
    bool cons_started, poll_started;
    atomic_bool stop;
    pthread_mutex_t mu;
    pthread_cond_t cond;
    int64_t position; /* next offset to read; under mu */
    char cons_err[256];
};

static const char NOOP_KEY[] = "{\"keytype\":\"NOOP\",\"magic\":0}";

static void store_deadline(struct timespec *ts, int timeout_ms)
{
    clock_gettime(CLOCK_REALTIME, ts);
    ts->tv_sec += timeout_ms / 1000;
    ts->tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts->tv_nsec >= 1000000000L) {
        ts->tv_sec++;
        ts->tv_nsec -= 1000000000L;
    }
}

/* librdkafka's log lines go through Basin's logger */
static void store_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    (void)rk;
    if (level <= 3)
        bs_log_warn("kafkastore", "%s: %s", fac, buf);
    else if (level <= 5)
        bs_log_info("kafkastore", "%s: %s", fac, buf);
    else
        bs_log_debug("kafkastore", "%s: %s", fac, buf);
}

/* Builds a librdkafka conf with bootstrap servers and the pass-through
 * kafkastore.* settings. */
static rd_kafka_conf_t *store_conf(const bs_reg_config_t *c, char *err, size_t errlen)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    char e[256];
    rd_kafka_conf_set_log_cb(conf, store_log_cb);
    const char *bs = c->bootstrap;
    /* Confluent accepts PLAINTEXT://host:port entries; librdkafka wants host:port */
    char *list = bs_xstrdup(bs);
    char *out = bs_xcalloc(1, strlen(bs) + 1);
    for (char *tok = strtok(list, ","); tok; tok = strtok(NULL, ",")) {
        while (*tok == ' ')
            tok++;
        char *p = strstr(tok, "://");
        if (p)
            tok = p + 3;
        if (out[0])
            strcat(out, ",");
        strcat(out, tok);
    }
    int bad = rd_kafka_conf_set(conf, "bootstrap.servers", out, e, sizeof e) != RD_KAFKA_CONF_OK;
    free(list);
    free(out);
    if (bad) {
        snprintf(err, errlen, "kafkastore.bootstrap.servers: %s", e);
        goto fail;
    }
    for (int i = 0; i < c->nkprops; i++) {
        if (rd_kafka_conf_set(conf, c->kprops[2 * i], c->kprops[2 * i + 1], e, sizeof e) !=
            RD_KAFKA_CONF_OK) {
            snprintf(err, errlen, "kafkastore.%s: %s", c->kprops[2 * i], e);
            goto fail;
        }
    }
    return conf;
fail:
    rd_kafka_conf_destroy(conf);
    return NULL;
}

static void store_dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *msg, void *opaque)
{
    (void)rk;
    bs_reg_store_t *st = opaque;
    store_writer_t *w = msg->_private;
    if (!w)
        return;
    pthread_mutex_lock(&st->mu);
    w->done = true;
    w->err = msg->err;
    w->offset = msg->offset;
    bool last = --w->refs == 0;
    pthread_cond_broadcast(&st->cond);
    pthread_mutex_unlock(&st->mu);
    if (last)
        free(w);
}

static void *store_poll_main(void *arg)
{
    bs_reg_store_t *st = arg;
    while (!atomic_load(&st->stop))
        rd_kafka_poll(st->prod, 100);
    return NULL;
}

static void *store_consume_main(void *arg)
{
    bs_reg_store_t *st = arg;
    char err[512];
    while (!atomic_load(&st->stop)) {
        rd_kafka_message_t *msg = rd_kafka_consume(st->rkt, 0, 100);
        if (!msg)
            continue;
        if (msg->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            pthread_mutex_lock(&st->mu);
            if (msg->offset > st->position)
                st->position = msg->offset;
            pthread_cond_broadcast(&st->cond);
            pthread_mutex_unlock(&st->mu);
        } else if (msg->err) {
            bs_log_warn("registry", "store consumer: %s", rd_kafka_message_errstr(msg));
        } else {
            pthread_rwlock_wrlock(&st->model->lock);
            int r = bs_reg_model_apply(st->model, msg->key, msg->key_len, msg->payload, msg->len,
                                       msg->offset, err, sizeof err);
            pthread_rwlock_unlock(&st->model->lock);
            if (r != 0)
                bs_log_warn("registry", "%s offset %lld skipped: %s", st->cfg->topic,
                            (long long)msg->offset, err);
            pthread_mutex_lock(&st->mu);
            if (msg->offset + 1 > st->position)
                st->position = msg->offset + 1;
            pthread_cond_broadcast(&st->cond);
            pthread_mutex_unlock(&st->mu);
        }
        rd_kafka_message_destroy(msg);
    }
    return NULL;
}

/* An existing schema topic must be compacted, or old schemas would expire
 * (Confluent refuses to start too). A cluster that cannot describe configs
 * only gets a warning. */
static int store_check_policy(bs_reg_store_t *st, char *err, size_t errlen)
{
    const bs_reg_config_t *c = st->cfg;
    int rc = 0;
    rd_kafka_queue_t *q = rd_kafka_queue_new(st->prod);
    rd_kafka_ConfigResource_t *res = rd_kafka_ConfigResource_new(RD_KAFKA_RESOURCE_TOPIC, c->topic);
    rd_kafka_DescribeConfigs(st->prod, &res, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 10000);
    const char *policy = NULL;
    if (ev && !rd_kafka_event_error(ev)) {
        size_t n = 0;
        const rd_kafka_ConfigResource_t **rs = rd_kafka_DescribeConfigs_result_resources(
            rd_kafka_event_DescribeConfigs_result(ev), &n);
        for (size_t i = 0; n == 1 && !rd_kafka_ConfigResource_error(rs[0]) && i < 1; i++) {
            size_t ne = 0;
            const rd_kafka_ConfigEntry_t **ents = rd_kafka_ConfigResource_configs(rs[0], &ne);
            for (size_t k = 0; k < ne; k++)
                if (strcmp(rd_kafka_ConfigEntry_name(ents[k]), "cleanup.policy") == 0)
                    policy = rd_kafka_ConfigEntry_value(ents[k]);
        }
    }
    if (!policy) {
        bs_log_warn("registry", "could not read cleanup.policy of %s; it must be compact",
                    c->topic);
    } else if (!strstr(policy, "compact")) {
        snprintf(err, errlen,
                 "The retention policy of the schema topic %s is incorrect: cleanup.policy=%s; "
                 "configure the topic with cleanup.policy=compact",
                 c->topic, policy);
        rc = -1;
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_ConfigResource_destroy(res);
    rd_kafka_queue_destroy(q);
    return rc;
}

/* Creates the topic if the cluster does not have it; checks its partition
 * count otherwise. */
static int store_ensure_topic(bs_reg_store_t *st, char *err, size_t errlen)
{
    const bs_reg_config_t *c = st->cfg;
    int rc = -1;
    const struct rd_kafka_metadata *md = NULL;
    rd_kafka_queue_t *q = NULL;
    rd_kafka_NewTopic_t *nt = NULL;
    rd_kafka_event_t *ev = NULL;
    rd_kafka_resp_err_t kerr;
    char e[256];

    /* the cluster may still be starting (basin up starts everything at once):
     * retry until kafkastore.init.timeout.ms */
    struct timespec t0, now;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    for (;;) {
        kerr = rd_kafka_metadata(st->prod, 1, NULL, &md, c->init_timeout_ms);
        clock_gettime(CLOCK_MONOTONIC, &now);
        long waited = (now.tv_sec - t0.tv_sec) * 1000 + (now.tv_nsec - t0.tv_nsec) / 1000000;
        if (!kerr || waited + 250 >= c->init_timeout_ms)
            break;
        struct timespec nap = {0, 250 * 1000000L};
        nanosleep(&nap, NULL);
    }
    if (kerr) {
        snprintf(err, errlen, "cannot read metadata from the Kafka cluster at %s: %s", c->bootstrap,
                 rd_kafka_err2str(kerr));
        goto done;
    }
    for (int i = 0; i < md->topic_cnt; i++) {
        if (strcmp(md->topics[i].topic, c->topic) != 0)
            continue;
        if (md->topics[i].err) {
            snprintf(err, errlen, "topic %s: %s", c->topic, rd_kafka_err2str(md->topics[i].err));
            goto done;
        }
        if (md->topics[i].partition_cnt != 1) {
            snprintf(err, errlen,
                     "The schema topic %s should have only 1 partition but has %d partitions",
                     c->topic, md->topics[i].partition_cnt);
            goto done;
        }
        if (store_check_policy(st, err, errlen) != 0)
            goto done;
        bs_log_info("registry", "using existing schema topic %s", c->topic);
        rc = 0;
        goto done;
    }
    int rf = c->topic_rf < md->broker_cnt ? c->topic_rf : md->broker_cnt;
    if (rf < 1)
        rf = 1;
    nt = rd_kafka_NewTopic_new(c->topic, 1, rf, e, sizeof e);
    if (!nt) {
        snprintf(err, errlen, "topic %s: %s", c->topic, e);
        goto done;
    }
    rd_kafka_NewTopic_set_config(nt, "cleanup.policy", "compact");
    q = rd_kafka_queue_new(st->prod);
    rd_kafka_CreateTopics(st->prod, &nt, 1, NULL, q);
    ev = rd_kafka_queue_poll(q, c->init_timeout_ms);
    if (!ev) {
        snprintf(err, errlen, "creating topic %s timed out", c->topic);
        goto done;
    }
    const rd_kafka_CreateTopics_result_t *res = rd_kafka_event_CreateTopics_result(ev);
    if (rd_kafka_event_error(ev)) {
        snprintf(err, errlen, "creating topic %s: %s", c->topic, rd_kafka_event_error_string(ev));
        goto done;
    }
    size_t n = 0;
    const rd_kafka_topic_result_t **tr = rd_kafka_CreateTopics_result_topics(res, &n);
    if (n == 1 && rd_kafka_topic_result_error(tr[0]) &&
        rd_kafka_topic_result_error(tr[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
        snprintf(err, errlen, "creating topic %s: %s", c->topic,
                 rd_kafka_topic_result_error_string(tr[0]));
        goto done;
    }
    bs_log_info("registry",
                "created schema topic %s (1 partition, replication factor %d, "
                "cleanup.policy=compact)",
                c->topic, rf);
    rc = 0;
done:
    if (ev)
        rd_kafka_event_destroy(ev);
    if (q)
        rd_kafka_queue_destroy(q);
    if (nt)
        rd_kafka_NewTopic_destroy(nt);
    if (md)
        rd_kafka_metadata_destroy(md);
    return rc;
}

bs_reg_store_t *bs_reg_store_open(const bs_reg_config_t *c, bs_reg_model_t *m, char *err,
                                  size_t errlen)
{
    bs_reg_store_t *st = bs_xcalloc(1, sizeof *st);
    rd_kafka_conf_t *pconf = NULL, *cconf = NULL;
    char e[512];

    st->cfg = c;
    st->model = m;
    pthread_mutex_init(&st->mu, NULL);
    pthread_cond_init(&st->cond, NULL);

    if (!(pconf = store_conf(c, err, errlen)) || !(cconf = store_conf(c, err, errlen)))
        goto fail;
    rd_kafka_conf_set(pconf, "acks", "all", NULL, 0);
    rd_kafka_conf_set(pconf, "linger.ms", "0", NULL, 0);
    rd_kafka_conf_set(pconf, "enable.idempotence", "true", NULL, 0);
    rd_kafka_conf_set(pconf, "message.timeout.ms", "60000", NULL, 0);
    rd_kafka_conf_set(pconf, "client.id", "basin-schema-registry", NULL, 0);
    rd_kafka_conf_set_opaque(pconf, st);
    rd_kafka_conf_set_dr_msg_cb(pconf, store_dr_cb);
    st->prod = rd_kafka_new(RD_KAFKA_PRODUCER, pconf, e, sizeof e);
    if (!st->prod) {
        snprintf(err, errlen, "Kafka producer: %s", e);
        goto fail;
    }
    pconf = NULL;
    if (store_ensure_topic(st, err, errlen) != 0)
        goto fail;

    rd_kafka_conf_set(cconf, "enable.partition.eof", "true", NULL, 0);
    rd_kafka_conf_set(cconf, "enable.auto.commit", "false", NULL, 0);
    rd_kafka_conf_set(cconf, "fetch.wait.max.ms", "100", NULL, 0);
    rd_kafka_conf_set(cconf, "fetch.error.backoff.ms", "50", NULL, 0);
    rd_kafka_conf_set(cconf, "client.id", "basin-schema-registry-reader", NULL, 0);
    rd_kafka_conf_set(cconf, "isolation.level", "read_committed", NULL, 0);
    st->cons = rd_kafka_new(RD_KAFKA_CONSUMER, cconf, e, sizeof e);
    if (!st->cons) {
        snprintf(err, errlen, "Kafka consumer: %s", e);
        goto fail;
    }
    cconf = NULL;
    /* the simple (legacy) consumer reads one partition without a group */
    st->rkt = rd_kafka_topic_new(st->cons, c->topic, NULL);
    if (!st->rkt || rd_kafka_consume_start(st->rkt, 0, RD_KAFKA_OFFSET_BEGINNING) != 0) {
        snprintf(err, errlen, "reading %s [0]: %s", c->topic,
                 rd_kafka_err2str(rd_kafka_last_error()));
        goto fail;
    }
    st->consuming = true;
    if (pthread_create(&st->poll_thread, NULL, store_poll_main, st) != 0) {
        snprintf(err, errlen, "pthread_create: %s", strerror(errno));
        goto fail;
    }
    st->poll_started = true;
    if (pthread_create(&st->cons_thread, NULL, store_consume_main, st) != 0) {
        snprintf(err, errlen, "pthread_create: %s", strerror(errno));
        goto fail;
    }
    st->cons_started = true;
    return st;
fail:
    if (pconf)
        rd_kafka_conf_destroy(pconf);
    if (cconf)
        rd_kafka_conf_destroy(cconf);
    bs_reg_store_close(st);
    return NULL;
}

void bs_reg_store_close(bs_reg_store_t *st)
{
    if (!st)
        return;
    atomic_store(&st->stop, true);
    if (st->cons_started)
        pthread_join(st->cons_thread, NULL);
    if (st->poll_started)
        pthread_join(st->poll_thread, NULL);
    if (st->consuming)
        rd_kafka_consume_stop(st->rkt, 0);
    if (st->rkt)
        rd_kafka_topic_destroy(st->rkt);
    if (st->cons) {
        rd_kafka_destroy(st->cons);
    }
    if (st->prod) {
        rd_kafka_flush(st->prod, 2000);
        /* delivery reports still pending free their writer here */
        rd_kafka_poll(st->prod, 0);
        rd_kafka_destroy(st->prod);
    }
    pthread_mutex_destroy(&st->mu);
    pthread_cond_destroy(&st->cond);
    free(st);
}

int64_t bs_reg_store_position(bs_reg_store_t *st)
{
    pthread_mutex_lock(&st->mu);
    int64_t p = st->position;
    pthread_mutex_unlock(&st->mu);
    return p;
}

/* Waits (st->mu held) until position > target or the deadline passes. */
static int store_wait_position(bs_reg_store_t *st, int64_t target, const struct timespec *dl)
{
    while (st->position < target) {
        if (pthread_cond_timedwait(&st->cond, &st->mu, dl) == ETIMEDOUT && st->position < target)
            return BS_REG_STORE_TIMEOUT;
    }
    return 0;
}

int bs_reg_store_write(bs_reg_store_t *st, const char *key, const char *value, int timeout_ms,
                       int64_t *offset, char *err, size_t errlen)
{
    int rc = BS_REG_STORE_ERR;
    struct timespec dl;
    store_writer_t *w = bs_xcalloc(1, sizeof *w);
    w->refs = 2;
    store_deadline(&dl, timeout_ms);
    rd_kafka_resp_err_t kerr = rd_kafka_producev(
        st->prod, RD_KAFKA_V_TOPIC(st->cfg->topic), RD_KAFKA_V_PARTITION(0),
        RD_KAFKA_V_KEY(key, strlen(key)),
        RD_KAFKA_V_VALUE((void *)value, value ? strlen(value) : 0),
        RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE(w), RD_KAFKA_V_END);
    if (kerr) {
        snprintf(err, errlen, "Error while registering the schema in Kafka: %s",
                 rd_kafka_err2str(kerr));
        free(w);
        return BS_REG_STORE_ERR;
    }
    pthread_mutex_lock(&st->mu);
    while (!w->done) {
        if (pthread_cond_timedwait(&st->cond, &st->mu, &dl) == ETIMEDOUT && !w->done) {
            snprintf(err, errlen, "Write to the Kafka store timed out after %d ms", timeout_ms);
            rc = BS_REG_STORE_TIMEOUT;
            goto unlock;
        }
    }
    if (w->err) {
        snprintf(err, errlen, "Error while writing to the Kafka store: %s",
                 rd_kafka_err2str(w->err));
        goto unlock;
    }
    if (offset)
        *offset = w->offset;
    if (store_wait_position(st, w->offset + 1, &dl) != 0) {
        snprintf(err, errlen,
                 "Write to the Kafka store was not read back within %d ms (offset %lld)",
                 timeout_ms, (long long)w->offset);
        rc = BS_REG_STORE_TIMEOUT;
        goto unlock;
    }
    rc = 0;
unlock:;
    bool last = --w->refs == 0;
    pthread_mutex_unlock(&st->mu);
    if (last)
        free(w);
    return rc;
}

int bs_reg_store_sync(bs_reg_store_t *st, int timeout_ms, char *err, size_t errlen)
{
    return bs_reg_store_write(st, NOOP_KEY, NULL, timeout_ms, NULL, err, errlen);
}

int bs_reg_store_caught_up(bs_reg_store_t *st, int timeout_ms, char *err, size_t errlen)
{
    int64_t lo = 0, hi = 0;
    struct timespec dl;
    store_deadline(&dl, timeout_ms);
    rd_kafka_resp_err_t kerr =
        rd_kafka_query_watermark_offsets(st->prod, st->cfg->topic, 0, &lo, &hi, timeout_ms);
    if (kerr) {
        snprintf(err, errlen, "reading the end offset of %s: %s", st->cfg->topic,
                 rd_kafka_err2str(kerr));
        return BS_REG_STORE_ERR;
    }
    pthread_mutex_lock(&st->mu);
    int rc = store_wait_position(st, hi, &dl);
    pthread_mutex_unlock(&st->mu);
    if (rc)
        snprintf(err, errlen, "reading %s up to offset %lld timed out", st->cfg->topic,
                 (long long)hi);
    return rc;
}
