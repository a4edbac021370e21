/*
 * kclient.c — librdkafka plumbing shared by the console tools (see kclient.h).
 *
 * Invariants: a tool never blocks unbounded on the network. Reaching the
 * cluster is a loop of short metadata requests bounded by kc->timeout_ms;
 * when librdkafka reports every broker down (connection refused, unknown
 * host) the loop gives up after a short grace period instead of the full
 * timeout, and the message quotes librdkafka's last connection error.
 * librdkafka's own log lines are not printed (they would interleave with the
 * tool's output); warnings are kept in kc->last_err for messages, and shown
 * when BASIN_LOG_LEVEL=debug.
 */
#include "tools/kclient.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* After ALL_BROKERS_DOWN, keep trying this long (a broker may be starting). */
#define BS_KCLIENT_DOWN_GRACE_MS 1500

static pthread_mutex_t kc_lock = PTHREAD_MUTEX_INITIALIZER;

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void kc_set_err(bs_kclient_t *kc, const char *msg)
{
    pthread_mutex_lock(&kc_lock);
    snprintf(kc->last_err, sizeof(kc->last_err), "%s", msg);
    pthread_mutex_unlock(&kc_lock);
}

static void kc_log_cb(const rd_kafka_t *rk, int level, const char *fac, const char *buf)
{
    bs_kclient_t *kc = rd_kafka_opaque(rk);
    const char *dbg = getenv("BASIN_LOG_LEVEL");
    if (dbg && strcmp(dbg, "debug") == 0)
        fprintf(stderr, "rdkafka %d %s: %s\n", level, fac, buf);
    if (kc && level <= 4)
        kc_set_err(kc, buf);
}

static void kc_error_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    (void)rk;
    bs_kclient_t *kc = opaque;
    if (err == RD_KAFKA_RESP_ERR__ALL_BROKERS_DOWN) {
        kc->all_down = 1;
        return; /* keep the specific connection error already recorded */
    }
    kc_set_err(kc, reason);
}

int bs_kclient_read_config_file(const char *path, bs_kvlist_t *list, char *err, size_t errlen)
{
    FILE *f = fopen(path, "r");
    if (!f) {
        snprintf(err, errlen, "cannot open --command-config file %s: %m", path);
        return -1;
    }
    char *line = NULL;
    size_t cap = 0;
    ssize_t len;
    int lineno = 0, rc = 0;
    while ((len = getline(&line, &cap, f)) >= 0) {
        lineno++;
        while (len > 0 && (line[len - 1] == '\n' || line[len - 1] == '\r' || line[len - 1] == ' '))
            line[--len] = '\0';
        char *p = line;
        while (*p == ' ' || *p == '\t')
            p++;
        if (*p == '\0' || *p == '#' || *p == '!')
            continue;
        const char *vals[1] = {p};
        char what[300];
        snprintf(what, sizeof(what), "%s line %d", path, lineno);
        if (bs_kvlist_add(list, vals, 1, what, err, errlen) != 0) {
            rc = -1;
            break;
        }
    }
    free(line);
    fclose(f);
    return rc;
}

int bs_kclient_common(const bs_opts_t *o, const char **bootstrap, int *timeout_ms,
                      bs_kvlist_t *props, char *err, size_t errlen)
{
    *bootstrap = bs_opts_get(o, "bootstrap-server");
    if (!*bootstrap || !**bootstrap) {
        snprintf(err, errlen, "missing required option --bootstrap-server HOST:PORT");
        return -1;
    }
    *timeout_ms = BS_KCLIENT_DEFAULT_TIMEOUT_MS;
    const char *t = bs_opts_get(o, "timeout-connect-ms");
    if (t) {
        long long v;
        if (bs_opts_int(t, 1, 3600000, &v, "--timeout-connect-ms", err, errlen) != 0)
            return -1;
        *timeout_ms = (int)v;
    }
    const char *cc = bs_opts_get(o, "command-config");
    if (cc && bs_kclient_read_config_file(cc, props, err, errlen) != 0)
        return -1;
    return 0;
}

static int conf_apply(rd_kafka_conf_t *conf, const bs_kvlist_t *l, const char *prog)
{
    char errstr[512];
    for (size_t i = 0; l && i < l->n; i++) {
        if (rd_kafka_conf_set(conf, l->items[i].key, l->items[i].val, errstr, sizeof(errstr)) !=
            RD_KAFKA_CONF_OK) {
            fprintf(stderr, "%s: bad client property %s=%s: %s\n", prog, l->items[i].key,
                    l->items[i].val, errstr);
            return -1;
        }
    }
    return 0;
}

int bs_kclient_init(bs_kclient_t *kc, rd_kafka_type_t type, const char *prog, const char *bootstrap,
                    int timeout_ms, const bs_kvlist_t *defaults, const bs_kvlist_t *props,
                    void (*extra)(rd_kafka_conf_t *conf))
{
    char errstr[512];
    int rc = -1;
    memset(kc, 0, sizeof(*kc));
    kc->prog = prog;
    kc->bootstrap = bootstrap;
    kc->timeout_ms = timeout_ms;
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    if (rd_kafka_conf_set(conf, "bootstrap.servers", bootstrap, errstr, sizeof(errstr)) !=
        RD_KAFKA_CONF_OK) {
        fprintf(stderr, "%s: bad --bootstrap-server '%s': %s\n", prog, bootstrap, errstr);
        goto done;
    }
    rd_kafka_conf_set(conf, "client.id", "basin-console", NULL, 0);
    rd_kafka_conf_set(conf, "log.connection.close", "false", NULL, 0);
    if (conf_apply(conf, defaults, prog) != 0 || conf_apply(conf, props, prog) != 0)
        goto done;
    rd_kafka_conf_set_log_cb(conf, kc_log_cb);
    rd_kafka_conf_set_error_cb(conf, kc_error_cb);
    rd_kafka_conf_set_opaque(conf, kc);
    if (extra)
        extra(conf);
    kc->rk = rd_kafka_new(type, conf, errstr, sizeof(errstr));
    if (!kc->rk) {
        fprintf(stderr, "%s: cannot create the Kafka client: %s\n", prog, errstr);
        goto done;
    }
    conf = NULL; /* owned by rk now */
    rc = 0;
done:
    if (conf)
        rd_kafka_conf_destroy(conf);
    return rc;
}

void bs_kclient_destroy(bs_kclient_t *kc)
{
    if (kc->rk)
        rd_kafka_destroy(kc->rk);
    kc->rk = NULL;
}

int bs_kclient_metadata(bs_kclient_t *kc, const char *topic, const struct rd_kafka_metadata **md)
{
    long long start = now_ms(), deadline = start + kc->timeout_ms;
    long long down_since = -1;
    rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
    rd_kafka_topic_t *rkt = topic ? rd_kafka_topic_new(kc->rk, topic, NULL) : NULL;
    *md = NULL;
    for (;;) {
        long long now = now_ms();
        if (now >= deadline)
            break;
        int slice = (int)(deadline - now < 300 ? deadline - now : 300);
        err = rd_kafka_metadata(kc->rk, rkt ? 0 : 1, rkt, md, slice);
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR)
            break;
        *md = NULL;
        rd_kafka_poll(kc->rk, 0); /* runs error_cb */
        if (kc->all_down && down_since < 0)
            down_since = now_ms();
        if (down_since >= 0 && now_ms() - down_since >= BS_KCLIENT_DOWN_GRACE_MS)
            break;
    }
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    if (*md)
        return 0;
    double secs = (double)(now_ms() - start) / 1000.0;
    pthread_mutex_lock(&kc_lock);
    fprintf(stderr, "%s: cannot reach the Kafka cluster at %s within %.1f s: %s\n", kc->prog,
            kc->bootstrap, secs, kc->last_err[0] ? kc->last_err : rd_kafka_err2str(err));
    pthread_mutex_unlock(&kc_lock);
    return -1;
}

rd_kafka_AdminOptions_t *bs_kclient_admin_options(bs_kclient_t *kc, rd_kafka_admin_op_t op)
{
    rd_kafka_AdminOptions_t *ao = rd_kafka_AdminOptions_new(kc->rk, op);
    rd_kafka_AdminOptions_set_request_timeout(ao, kc->timeout_ms, NULL, 0);
    if (op == RD_KAFKA_ADMIN_OP_CREATETOPICS || op == RD_KAFKA_ADMIN_OP_DELETETOPICS ||
        op == RD_KAFKA_ADMIN_OP_CREATEPARTITIONS)
        rd_kafka_AdminOptions_set_operation_timeout(ao, kc->timeout_ms, NULL, 0);
    return ao;
}

rd_kafka_event_t *bs_kclient_admin_wait(bs_kclient_t *kc, rd_kafka_queue_t *q,
                                        rd_kafka_event_type_t type, const char *what)
{
    long long deadline = now_ms() + kc->timeout_ms + 2000;
    for (;;) {
        long long left = deadline - now_ms();
        if (left <= 0) {
            fprintf(stderr, "%s: %s: no answer from %s within %d s\n", kc->prog, what,
                    kc->bootstrap, kc->timeout_ms / 1000);
            return NULL;
        }
        rd_kafka_event_t *ev = rd_kafka_queue_poll(q, (int)left);
        if (!ev)
            continue;
        if (rd_kafka_event_type(ev) != type) {
            rd_kafka_event_destroy(ev);
            continue;
        }
        if (rd_kafka_event_error(ev)) {
            fprintf(stderr, "%s: %s failed: %s\n", kc->prog, what, rd_kafka_event_error_string(ev));
            rd_kafka_event_destroy(ev);
            return NULL;
        }
        return ev;
    }
}

const rd_kafka_metadata_topic_t *bs_kclient_md_topic(const struct rd_kafka_metadata *md,
                                                     const char *topic)
{
    for (int i = 0; i < md->topic_cnt; i++)
        if (strcmp(md->topics[i].topic, topic) == 0)
            return &md->topics[i];
    return NULL;
}
