/*
 * kbench — librdkafka load generator for Basin's benchmarks.
 *
 * usage:
 *   kbench produce (--bootstrap HOST:PORT | --mock) --topic T [--size BYTES] [--count N]
 *                  [--partitions P] [--acks 0|1|all] [--rate MSGS_PER_S] [--create]
 *   kbench consume --bootstrap HOST:PORT --topic T --count N [--partitions P]
 *   kbench create  --bootstrap HOST:PORT --topic T --partitions P
 *
 * produce: throughput run (linger.ms=5, large batches, as in
 *   ../shared/reference/benchmarking.md): time from the first produce call
 *   until every delivery report arrived. With --rate, messages are paced at
 *   that rate with linger.ms=0 and the per-message latency from produce()
 *   to its delivery report is reported as p50/p99/max.
 * consume: reads N messages from the beginning of all partitions (legacy
 *   per-partition consumer, no group); time from the first message received.
 * --mock: starts librdkafka's in-process mock cluster (one broker) and
 *   creates the topic there with rd_kafka_mock_topic_create.
 * --create: creates the topic with the Admin API first (real broker).
 *
 * Prints one line: "RESULT mode=... msgs=N secs=S msgs_per_s=R mb_per_s=M
 * [p50_us= p99_us= max_us=]" and exits non-zero on any delivery error.
 */
#include <errno.h>
#include <stdarg.h>
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static int64_t now_ns(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000000 + ts.tv_nsec;
}

__attribute__((format(printf, 1, 2), noreturn)) static void die(const char *fmt, ...)
{
    va_list ap;
    fprintf(stderr, "kbench: ");
    va_start(ap, fmt);
    vfprintf(stderr, fmt, ap);
    va_end(ap);
    fprintf(stderr, "\n");
    exit(1);
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char err[512];
    if (rd_kafka_conf_set(c, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        die("config %s=%s: %s", k, v, err);
}

struct opts {
    const char *mode, *bootstrap, *topic, *acks;
    int mock, create, partitions;
    long size, count;
    double rate;
};

/* Delivery state. */
static long delivered, failed;
static char first_err[256];
static int64_t *sent_ns;
static int64_t *lat_ns;
static long nlat;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk, (void)opaque;
    if (m->err) {
        if (!failed++)
            snprintf(first_err, sizeof(first_err), "%s", rd_kafka_err2str(m->err));
        return;
    }
    delivered++;
    if (sent_ns) {
        long id = (long)(intptr_t)m->_private;
        lat_ns[nlat++] = now_ns() - sent_ns[id];
    }
}

static int cmp_i64(const void *a, const void *b)
{
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return x < y ? -1 : x > y;
}

static void create_topic(const char *bootstrap, const char *topic, int partitions)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", bootstrap);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    if (!rk)
        die("rd_kafka_new: %s", err);
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, partitions, 1, err, sizeof(err));
    if (!nt)
        die("NewTopic: %s", err);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_AdminOptions_t *o = rd_kafka_AdminOptions_new(rk, RD_KAFKA_ADMIN_OP_CREATETOPICS);
    rd_kafka_AdminOptions_set_operation_timeout(o, 30000, err, sizeof(err));
    rd_kafka_AdminOptions_set_request_timeout(o, 60000, err, sizeof(err));
    rd_kafka_CreateTopics(rk, &nt, 1, o, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 90000);
    if (!ev)
        die("CreateTopics %s: no result within 90 s", topic);
    if (rd_kafka_event_error(ev))
        die("CreateTopics %s: %s", topic, rd_kafka_event_error_string(ev));
    size_t n;
    const rd_kafka_topic_result_t **r =
        rd_kafka_CreateTopics_result_topics(rd_kafka_event_CreateTopics_result(ev), &n);
    if (n != 1 || (rd_kafka_topic_result_error(r[0]) &&
                   rd_kafka_topic_result_error(r[0]) != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS))
        die("CreateTopics %s: %s", topic,
            n == 1 ? rd_kafka_err2str(rd_kafka_topic_result_error(r[0])) : "no result");
    rd_kafka_event_destroy(ev);
    rd_kafka_AdminOptions_destroy(o);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    rd_kafka_destroy(rk);
}

/* Waits until metadata for the topic shows all partitions with leaders. */
static void wait_topic(rd_kafka_t *rk, const char *topic, int partitions)
{
    int64_t deadline = now_ns() + 30LL * 1000000000;
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
    while (now_ns() < deadline) {
        const struct rd_kafka_metadata *md;
        if (rd_kafka_metadata(rk, 0, rkt, &md, 5000) == RD_KAFKA_RESP_ERR_NO_ERROR) {
            int ok = md->topic_cnt == 1 && !md->topics[0].err &&
                     md->topics[0].partition_cnt == partitions;
            rd_kafka_metadata_destroy(md);
            if (ok) {
                rd_kafka_topic_destroy(rkt);
                return;
            }
        }
        usleep(100000);
    }
    die("topic %s with %d partitions not in metadata within 30 s", topic, partitions);
}

static int produce(struct opts *o)
{
    char err[512];
    rd_kafka_t *mock_rk = NULL;
    rd_kafka_mock_cluster_t *mc = NULL;
    const char *bootstrap = o->bootstrap;
    if (o->mock) {
        rd_kafka_conf_t *mconf = rd_kafka_conf_new();
        set(mconf, "log_level", "0");
        mock_rk = rd_kafka_new(RD_KAFKA_PRODUCER, mconf, err, sizeof(err));
        if (!mock_rk)
            die("mock rd_kafka_new: %s", err);
        mc = rd_kafka_mock_cluster_new(mock_rk, 1);
        if (!mc)
            die("rd_kafka_mock_cluster_new failed");
        if (rd_kafka_mock_topic_create(mc, o->topic, o->partitions, 1))
            die("rd_kafka_mock_topic_create failed");
        bootstrap = rd_kafka_mock_cluster_bootstraps(mc);
    } else if (o->create) {
        create_topic(bootstrap, o->topic, o->partitions);
    }

    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", bootstrap);
    set(c, "acks", o->acks);
    set(c, "linger.ms", o->rate > 0 ? "0" : "5");
    set(c, "batch.num.messages", "100000");
    set(c, "batch.size", "1000000");
    set(c, "queue.buffering.max.messages", "2000000");
    set(c, "queue.buffering.max.kbytes", "2097151");
    set(c, "message.timeout.ms", "60000");
    rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    if (!rk)
        die("rd_kafka_new: %s", err);
    wait_topic(rk, o->topic, o->partitions);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);

    char *payload = malloc((size_t)o->size);
    for (long i = 0; i < o->size; i++)
        payload[i] = (char)('a' + (i * 7) % 26);
    if (o->rate > 0) {
        sent_ns = calloc((size_t)o->count, sizeof(int64_t));
        lat_ns = calloc((size_t)o->count, sizeof(int64_t));
    }

    int64_t t0 = now_ns();
    for (long i = 0; i < o->count; i++) {
        if (o->rate > 0) {
            /* Paced in 1 ms ticks; between ticks rd_kafka_poll blocks on the
             * delivery-report queue, so reports are timed as they arrive. */
            int64_t due = t0 + (int64_t)((double)(i / 100) * 100 * 1e9 / o->rate);
            int64_t now;
            while ((now = now_ns()) < due) {
                int wait_ms = (int)((due - now) / 1000000);
                rd_kafka_poll(rk, wait_ms > 0 ? wait_ms : 0);
                if (wait_ms == 0) {
                    struct timespec ts = {0, (long)(due - now)};
                    nanosleep(&ts, NULL);
                }
            }
            sent_ns[i] = now_ns();
        }
        while (rd_kafka_produce(rkt, (int32_t)(i % o->partitions), 0, payload, (size_t)o->size,
                                NULL, 0, (void *)(intptr_t)i) == -1) {
            if (rd_kafka_last_error() != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                die("produce: %s", rd_kafka_err2str(rd_kafka_last_error()));
            rd_kafka_poll(rk, 1);
        }
        if (o->rate > 0 || (i & 1023) == 0)
            rd_kafka_poll(rk, 0);
    }
    while (delivered + failed < o->count && now_ns() - t0 < 300LL * 1000000000)
        rd_kafka_poll(rk, 5);
    int64_t t1 = now_ns();
    double secs = (double)(t1 - t0) / 1e9;
    printf("RESULT mode=produce sys=%s size=%ld partitions=%d acks=%s msgs=%ld secs=%.3f "
           "msgs_per_s=%.0f "
           "mb_per_s=%.1f",
           o->mock ? "mock" : "basin", o->size, o->partitions, o->acks, delivered, secs,
           (double)delivered / secs, (double)delivered * (double)o->size / secs / 1e6);
    if (o->rate > 0 && nlat > 0) {
        /* Skip the first 5% (connection warm-up). */
        long skip = nlat / 20;
        qsort(lat_ns + skip, (size_t)(nlat - skip), sizeof(int64_t), cmp_i64);
        long n = nlat - skip;
        printf(" rate=%.0f p50_us=%.0f p99_us=%.0f max_us=%.0f", o->rate,
               lat_ns[skip + n / 2] / 1e3, lat_ns[skip + (long)(n * 0.99)] / 1e3,
               lat_ns[nlat - 1] / 1e3);
    }
    printf("\n");
    fflush(stdout);
    if (failed)
        fprintf(stderr, "kbench: %ld delivery errors, first: %s\n", failed, first_err);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    if (mc)
        rd_kafka_mock_cluster_destroy(mc);
    if (mock_rk)
        rd_kafka_destroy(mock_rk);
    return failed || delivered != o->count ? 1 : 0;
}

static int consume(struct opts *o)
{
    char err[512];
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", o->bootstrap);
    set(c, "fetch.message.max.bytes", "4194304");
    set(c, "queued.min.messages", "1000000");
    set(c, "queued.max.messages.kbytes", "1048576");
    set(c, "fetch.wait.max.ms", "100");
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_CONSUMER, c, err, sizeof(err));
    if (!rk)
        die("rd_kafka_new: %s", err);
    rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, o->topic, NULL);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    for (int p = 0; p < o->partitions; p++)
        if (rd_kafka_consume_start_queue(rkt, p, RD_KAFKA_OFFSET_BEGINNING, q) == -1)
            die("consume_start: %s", rd_kafka_err2str(rd_kafka_last_error()));
    rd_kafka_message_t *msgs[1000];
    long got = 0, bytes = 0, errors = 0;
    int64_t t0 = 0, deadline = now_ns() + 120LL * 1000000000;
    while (got < o->count && now_ns() < deadline) {
        ssize_t n = rd_kafka_consume_batch_queue(q, 1000, msgs, 1000);
        for (ssize_t i = 0; i < n; i++) {
            if (!msgs[i]->err) {
                if (!t0)
                    t0 = now_ns();
                got++;
                bytes += (long)msgs[i]->len;
            } else if (msgs[i]->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                if (!errors++)
                    fprintf(stderr, "kbench: consume error: %s\n",
                            rd_kafka_message_errstr(msgs[i]));
            }
            rd_kafka_message_destroy(msgs[i]);
        }
    }
    int64_t t1 = now_ns();
    double secs = t0 ? (double)(t1 - t0) / 1e9 : 0;
    printf("RESULT mode=consume sys=basin partitions=%d msgs=%ld secs=%.3f msgs_per_s=%.0f "
           "mb_per_s=%.1f\n",
           o->partitions, got, secs, secs > 0 ? (double)got / secs : 0,
           secs > 0 ? (double)bytes / secs / 1e6 : 0);
    fflush(stdout);
    for (int p = 0; p < o->partitions; p++)
        rd_kafka_consume_stop(rkt, p);
    rd_kafka_queue_destroy(q);
    rd_kafka_topic_destroy(rkt);
    rd_kafka_destroy(rk);
    return got == o->count && !errors ? 0 : 1;
}

int main(int argc, char **argv)
{
    struct opts o = {.acks = "1", .partitions = 1, .size = 100, .count = 1000000};
    if (argc < 2)
        die("usage: kbench produce|consume|create [options] (see bench/kbench.c)");
    o.mode = argv[1];
    for (int i = 2; i < argc; i++) {
        const char *a = argv[i];
        const char *v = i + 1 < argc ? argv[i + 1] : NULL;
        if (!strcmp(a, "--mock"))
            o.mock = 1;
        else if (!strcmp(a, "--create"))
            o.create = 1;
        else if (!v)
            die("option %s needs a value", a);
        else if (!strcmp(a, "--bootstrap"))
            o.bootstrap = v, i++;
        else if (!strcmp(a, "--topic"))
            o.topic = v, i++;
        else if (!strcmp(a, "--size"))
            o.size = atol(v), i++;
        else if (!strcmp(a, "--count"))
            o.count = atol(v), i++;
        else if (!strcmp(a, "--partitions"))
            o.partitions = atoi(v), i++;
        else if (!strcmp(a, "--acks"))
            o.acks = v, i++;
        else if (!strcmp(a, "--rate"))
            o.rate = atof(v), i++;
        else
            die("unknown option %s", a);
    }
    if (!o.topic)
        die("--topic is required");
    if (!o.mock && !o.bootstrap)
        die("--bootstrap or --mock is required");
    if (o.size <= 0 || o.count <= 0 || o.partitions <= 0)
        die("--size, --count and --partitions must be positive");
    if (!strcmp(o.mode, "produce"))
        return produce(&o);
    if (!strcmp(o.mode, "consume"))
        return consume(&o);
    if (!strcmp(o.mode, "create")) {
        create_topic(o.bootstrap, o.topic, o.partitions);
        return 0;
    }
    die("unknown mode %s", o.mode);
}
