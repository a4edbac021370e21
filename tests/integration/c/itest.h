/*
 * itest.h — helpers shared by the librdkafka integration test programs.
 *
 * Header-only on purpose: the Makefile builds every .c file in tests/integration/c
 * into its own executable, so shared code lives in static functions here.
 *
 * Conventions: every program takes the bootstrap address as its first
 * argument, prints "PASS <name>" / "FAIL <name>: <reason>" lines for the
 * checks it owns, and exits 0 only when every check passed. Every wait is
 * bounded; the orchestrator also wraps each program in `timeout`.
 */
#ifndef ITEST_H
#define ITEST_H

#include <errno.h>
#include <inttypes.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

static int itest_failures __attribute__((unused));

static inline void itest_pass(const char *name)
{
    printf("PASS %s\n", name);
    fflush(stdout);
}

__attribute__((format(printf, 2, 3))) static inline void itest_fail(const char *name,
                                                                    const char *fmt, ...)
{
    va_list ap;
    printf("FAIL %s: ", name);
    va_start(ap, fmt);
    vprintf(fmt, ap);
    va_end(ap);
    printf("\n");
    fflush(stdout);
    itest_failures++;
}

__attribute__((format(printf, 1, 2), noreturn)) static inline void itest_die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "fatal: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(2);
}

static inline int64_t itest_now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline int64_t itest_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static inline void itest_set(rd_kafka_conf_t *conf, const char *k, const char *v)
{
    char err[512];
    if (rd_kafka_conf_set(conf, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        itest_die("config %s=%s: %s", k, v, err);
}

/* Base configuration: bootstrap plus short timeouts so nothing hangs. */
static inline rd_kafka_conf_t *itest_conf(const char *bootstrap)
{
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    itest_set(conf, "bootstrap.servers", bootstrap);
    itest_set(conf, "socket.timeout.ms", "10000");
    itest_set(conf, "log_level", "3");
    const char *dbg = getenv("ITEST_RDKAFKA_DEBUG");
    if (dbg && *dbg)
        itest_set(conf, "debug", dbg);
    return conf;
}

static inline rd_kafka_t *itest_new(rd_kafka_type_t type, rd_kafka_conf_t *conf)
{
    char err[512];
    rd_kafka_t *rk = rd_kafka_new(type, conf, err, sizeof(err));
    if (!rk)
        itest_die("rd_kafka_new: %s", err);
    return rk;
}

/* Deterministic value bytes for message `id`: a readable prefix then a
 * pattern, so any corruption or mix-up between messages is detected. */
static inline size_t itest_value(uint64_t id, char *buf, size_t size)
{
    int n = snprintf(buf, size, "value-%" PRIu64 "-", id);
    size_t len = (size_t)n;
    uint64_t x = id * 6364136223846793005ULL + 1442695040888963407ULL;
    while (len < size) {
        x ^= x >> 33;
        x *= 0xff51afd7ed558ccdULL;
        buf[len++] = (char)('a' + (x % 26));
    }
    return len;
}

/* Waits until every queued message is delivered or `timeout_ms` passes. */
static inline int itest_flush(rd_kafka_t *rk, int timeout_ms)
{
    rd_kafka_resp_err_t err = rd_kafka_flush(rk, timeout_ms);
    return err == RD_KAFKA_RESP_ERR_NO_ERROR ? 0 : -1;
}

/* Creates a topic through the Admin API. Returns the error code
 * (TOPIC_ALREADY_EXISTS is reported to the caller, not treated as fatal). */
static inline rd_kafka_resp_err_t itest_create_topic(rd_kafka_t *rk, const char *topic,
                                                     int partitions, const char **configs,
                                                     char *errstr, size_t errsize)
{
    char err[512];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, err, sizeof(err));
    if (!nt)
        itest_die("NewTopic %s: %s", topic, err);
    for (int i = 0; configs && configs[i]; i += 2)
        rd_kafka_NewTopic_set_config(nt, configs[i], configs[i + 1]);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *opt = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_request_timeout(opt, 10000, err, sizeof(err));
    rd_kafka_AdminOptions_set_operation_timeout(opt, 10000, err, sizeof(err));
    rd_kafka_CreateTopics(rk, &nt, 1, opt, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 20000);
    rd_kafka_resp_err_t ret;
    if (!ev) {
        snprintf(errstr, errsize, "CreateTopics: no result within 20 s");
        ret = RD_KAFKA_RESP_ERR__TIMED_OUT;
    } else if (rd_kafka_event_error(ev)) {
        snprintf(errstr, errsize, "CreateTopics: %s", rd_kafka_event_error_string(ev));
        ret = rd_kafka_event_error(ev);
    } else {
        size_t n;
        const rd_kafka_topic_result_t **r =
            rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
        ret = n == 1 ? rd_kafka_topic_result_error(r[0]) : RD_KAFKA_RESP_ERR__BAD_MSG;
        snprintf(errstr, errsize, "CreateTopics %s: %s (%s)", topic, rd_kafka_err2name(ret),
                 n == 1 && rd_kafka_topic_result_error_string(r[0])
                     ? rd_kafka_topic_result_error_string(r[0])
                     : "");
    }
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(opt);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    return ret;
}

/* Waits until metadata shows `topic` with `partitions` partitions, each with
 * a leader. Returns 0 on success, -1 on timeout (with a reason in errstr). */
static inline int itest_wait_topic(rd_kafka_t *rk, const char *topic, int partitions,
                                   int timeout_ms, char *errstr, size_t errsize)
{
    int64_t deadline = itest_mono_ms() + timeout_ms;
    snprintf(errstr, errsize, "topic %s not in metadata", topic);
    while (itest_mono_ms() < deadline) {
        const struct rd_kafka_metadata *md = NULL;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        rd_kafka_resp_err_t err = rd_kafka_metadata(rk, 0, rkt, &md, 5000);
        rd_kafka_topic_destroy(rkt);
        if (err) {
            snprintf(errstr, errsize, "Metadata request failed: %s", rd_kafka_err2str(err));
        } else {
            int ok = 0;
            if (md->topic_cnt == 1) {
                const rd_kafka_metadata_topic_t *t = &md->topics[0];
                if (t->err)
                    snprintf(errstr, errsize, "Metadata for %s: %s", topic,
                             rd_kafka_err2name(t->err));
                else if (t->partition_cnt != partitions)
                    snprintf(errstr, errsize, "Metadata for %s: %d partitions, expected %d", topic,
                             t->partition_cnt, partitions);
                else {
                    ok = 1;
                    for (int i = 0; i < t->partition_cnt; i++)
                        if (t->partitions[i].leader < 0 || t->partitions[i].err)
                            ok = 0;
                    if (!ok)
                        snprintf(errstr, errsize, "Metadata for %s: a partition has no leader",
                                 topic);
                }
            }
            rd_kafka_metadata_destroy(md);
            if (ok)
                return 0;
        }
        usleep(100 * 1000);
    }
    return -1;
}

/* A consumer without a consumer group: the legacy per-partition API, which
 * (unlike rd_kafka_assign in librdkafka 2.0.2) needs no group.id and thus no
 * group coordinator. All partitions feed one queue. */
struct itest_consumer {
    rd_kafka_t *rk;
    rd_kafka_topic_t *rkt;
    rd_kafka_queue_t *q;
    int partitions;
};

/* Starts consuming `topic` partitions [0, partitions) at offsets[p] (or at
 * the beginning when offsets is NULL). Extra "k=v" settings may be given. */
static inline void itest_consumer_start(struct itest_consumer *c, const char *bootstrap,
                                        const char *topic, int partitions, const int64_t *offsets,
                                        const char **settings)
{
    rd_kafka_conf_t *conf = itest_conf(bootstrap);
    itest_set(conf, "enable.partition.eof", "true");
    itest_set(conf, "check.crcs", "true");
    for (int i = 0; settings && settings[i]; i += 2)
        itest_set(conf, settings[i], settings[i + 1]);
    c->rk = itest_new(RD_KAFKA_CONSUMER, conf);
    c->rkt = rd_kafka_topic_new(c->rk, topic, NULL);
    c->q = rd_kafka_queue_new(c->rk);
    c->partitions = partitions;
    for (int p = 0; p < partitions; p++) {
        int64_t off = offsets ? offsets[p] : RD_KAFKA_OFFSET_BEGINNING;
        if (rd_kafka_consume_start_queue(c->rkt, p, off, c->q) == -1)
            itest_die("consume_start %s [%d]: %s", topic, p,
                      rd_kafka_err2str(rd_kafka_last_error()));
    }
}

static inline rd_kafka_message_t *itest_consumer_poll(struct itest_consumer *c, int timeout_ms)
{
    return rd_kafka_consume_queue(c->q, timeout_ms);
}

static inline void itest_consumer_stop(struct itest_consumer *c)
{
    for (int p = 0; p < c->partitions; p++)
        rd_kafka_consume_stop(c->rkt, p);
    rd_kafka_queue_destroy(c->q);
    rd_kafka_topic_destroy(c->rkt);
    rd_kafka_destroy(c->rk);
}

#endif
