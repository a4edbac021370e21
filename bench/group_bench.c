/*
 * group_bench.c — consumer-group benchmarks against a running broker
 * (driven by bench/group_bench.sh).
 *
 *   group_bench BOOTSTRAP stable   TOPIC N_MEMBERS
 *       N consumers (threads, one rd_kafka_t each) subscribe at once; prints
 *       the time from the first subscribe until every member has its
 *       assignment (the group is Stable and synced).
 *   group_bench BOOTSTRAP commits  TOPIC N
 *       one consumer with manual assignment (generation -1) sends N async
 *       offset commits as fast as it can; prints commits/s (completions).
 *   group_bench BOOTSTRAP produce  TOPIC PARTITIONS COUNT SIZE
 *   group_bench BOOTSTRAP rate     TOPIC PARTITIONS COUNT N_MEMBERS
 *       N_MEMBERS = 0: one consumer with manual assignment of every
 *       partition; otherwise a group of N_MEMBERS subscribed consumers. Prints
 *       messages/s from the first message to the COUNT-th (group formation
 *       excluded) and the total including it.
 *
 * Output: "RESULT <name> <value> <unit>" lines.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

static int64_t now_us(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000000 + ts.tv_nsec / 1000;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "group_bench: %s: %s\n", what, why);
    exit(2);
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(c, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        die(k, err);
}

static rd_kafka_t *mk(rd_kafka_type_t type, rd_kafka_conf_t *c)
{
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(type, c, err, sizeof(err));
    if (!rk)
        die("rd_kafka_new", err);
    return rk;
}

static const char *g_bs;

/* ---- stable ---- */

typedef struct {
    const char *topic, *group;
    int64_t t0, assigned_at;
    pthread_t th;
    atomic_int *stop;
    atomic_long *consumed;
} member_t;

static void reb_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *p,
                   void *opaque)
{
    member_t *m = opaque;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        rd_kafka_assign(rk, p);
        if (!m->assigned_at)
            m->assigned_at = now_us();
    } else {
        rd_kafka_assign(rk, NULL);
    }
}

static void *member_main(void *arg)
{
    member_t *m = arg;
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", g_bs);
    set(c, "group.id", m->group);
    set(c, "auto.offset.reset", "earliest");
    set(c, "enable.auto.commit", "true");
    set(c, "fetch.wait.max.ms", "100");
    rd_kafka_conf_set_opaque(c, m);
    rd_kafka_conf_set_rebalance_cb(c, reb_cb);
    rd_kafka_t *rk = mk(RD_KAFKA_CONSUMER, c);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *s = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(s, m->topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(rk, s);
    rd_kafka_topic_partition_list_destroy(s);
    while (!atomic_load(m->stop)) {
        rd_kafka_message_t *msg = rd_kafka_consumer_poll(rk, 50);
        if (!msg)
            continue;
        if (!msg->err)
            atomic_fetch_add(m->consumed, 1);
        rd_kafka_message_destroy(msg);
    }
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return NULL;
}

static int run_members(const char *topic, int n, const char *group, long want, int64_t *first_msg,
                       int64_t *done_at, int64_t *all_assigned)
{
    member_t *ms = calloc((size_t)n, sizeof(*ms));
    atomic_int stop = 0;
    atomic_long consumed = 0;
    int64_t t0 = now_us(), limit = t0 + 120 * 1000000LL;
    for (int i = 0; i < n; i++) {
        ms[i].topic = topic;
        ms[i].group = group;
        ms[i].t0 = t0;
        ms[i].stop = &stop;
        ms[i].consumed = &consumed;
        pthread_create(&ms[i].th, NULL, member_main, &ms[i]);
    }
    *first_msg = 0;
    *all_assigned = 0;
    for (;;) {
        int64_t t = now_us();
        if (t > limit)
            break;
        int all = 1;
        for (int i = 0; i < n; i++)
            all &= ms[i].assigned_at != 0;
        if (all && !*all_assigned) {
            int64_t mx = 0;
            for (int i = 0; i < n; i++)
                mx = ms[i].assigned_at > mx ? ms[i].assigned_at : mx;
            *all_assigned = mx - t0;
        }
        long c = atomic_load(&consumed);
        if (c > 0 && !*first_msg)
            *first_msg = t;
        if (want > 0 ? c >= want : all)
            break;
        usleep(1000);
    }
    *done_at = now_us();
    long got = atomic_load(&consumed);
    atomic_store(&stop, 1);
    for (int i = 0; i < n; i++)
        pthread_join(ms[i].th, NULL);
    free(ms);
    return want > 0 && got < want ? -1 : 0;
}

/* ---- commits ---- */

static atomic_long g_commit_done, g_commit_err;
static void commit_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err, rd_kafka_topic_partition_list_t *o,
                      void *opaque)
{
    (void)rk;
    (void)o;
    (void)opaque;
    atomic_fetch_add(&g_commit_done, 1);
    if (err)
        atomic_fetch_add(&g_commit_err, 1);
}

static int bench_commits(const char *topic, long n)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", g_bs);
    set(c, "group.id", "bench-commits");
    set(c, "enable.auto.commit", "false");
    rd_kafka_conf_set_offset_commit_cb(c, commit_cb);
    rd_kafka_t *rk = mk(RD_KAFKA_CONSUMER, c);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *a = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(a, topic, 0);
    rd_kafka_assign(rk, a);
    /* warm up: coordinator lookup and one synchronous commit */
    a->elems[0].offset = 0;
    rd_kafka_resp_err_t e = rd_kafka_commit(rk, a, 0);
    if (e)
        die("first commit", rd_kafka_err2str(e));
    atomic_store(&g_commit_done, 0);
    int64_t t0 = now_us();
    for (long i = 1; i <= n; i++) {
        a->elems[0].offset = i;
        rd_kafka_commit(rk, a, 1);
        if ((i & 1023) == 0)
            rd_kafka_consumer_poll(rk, 0);
        while (i - atomic_load(&g_commit_done) > 20000 && now_us() - t0 < 60 * 1000000LL)
            rd_kafka_consumer_poll(rk, 1); /* bounded in flight */
    }
    int64_t limit = now_us() + 60 * 1000000LL;
    while (atomic_load(&g_commit_done) < n && now_us() < limit)
        rd_kafka_consumer_poll(rk, 10);
    int64_t dt = now_us() - t0;
    long done = atomic_load(&g_commit_done);
    printf("RESULT offset_commits_per_s %.0f commits/s (%ld commits, %ld errors, %.2f s)\n",
           done / (dt / 1e6), done, atomic_load(&g_commit_err), dt / 1e6);
    fflush(stdout);
    /* librdkafka 2.0.2 can hang in rd_kafka_destroy() after a burst of
     * async commits; the measurement is done, so leave without it */
    _exit(done == n && atomic_load(&g_commit_err) == 0 ? 0 : 1);
}

/* ---- produce / rate ---- */

static int bench_produce(const char *topic, int parts, long count, int size)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", g_bs);
    set(c, "linger.ms", "20");
    set(c, "batch.num.messages", "10000");
    set(c, "queue.buffering.max.messages", "1000000");
    rd_kafka_t *rk = mk(RD_KAFKA_PRODUCER, c);
    /* create the topic with its partitions (auto-creation would give one) */
    char err[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, parts, 1, err, sizeof(err));
    if (!nt)
        die("NewTopic", err);
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 15000);
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    char *buf = malloc((size_t)size);
    memset(buf, 'x', (size_t)size);
    for (long i = 0; i < count; i++) {
        while (rd_kafka_producev(
                   rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION((int32_t)(i % parts)),
                   RD_KAFKA_V_VALUE(buf, (size_t)size), RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                   RD_KAFKA_V_END) == RD_KAFKA_RESP_ERR__QUEUE_FULL)
            rd_kafka_poll(rk, 5);
        rd_kafka_poll(rk, 0);
    }
    rd_kafka_flush(rk, 60000);
    free(buf);
    rd_kafka_destroy(rk);
    return 0;
}

static int bench_rate(const char *topic, int parts, long count, int members)
{
    int64_t t0 = now_us(), first = 0, done = 0, assigned = 0;
    char group[64];
    if (members > 0) {
        snprintf(group, sizeof(group), "bench-rate-%d-%ld", (int)getpid(), (long)(t0 % 100000));
        if (run_members(topic, members, group, count, &first, &done, &assigned) < 0)
            die("rate", "not every message arrived within 120 s");
    } else {
        rd_kafka_conf_t *c = rd_kafka_conf_new();
        set(c, "bootstrap.servers", g_bs);
        set(c, "group.id", "bench-rate-manual");
        set(c, "enable.auto.commit", "false");
        set(c, "fetch.wait.max.ms", "100");
        rd_kafka_t *rk = mk(RD_KAFKA_CONSUMER, c);
        rd_kafka_poll_set_consumer(rk);
        rd_kafka_topic_partition_list_t *a = rd_kafka_topic_partition_list_new(parts);
        for (int p = 0; p < parts; p++)
            rd_kafka_topic_partition_list_add(a, topic, p)->offset = RD_KAFKA_OFFSET_BEGINNING;
        rd_kafka_assign(rk, a);
        rd_kafka_topic_partition_list_destroy(a);
        long got = 0;
        int64_t limit = t0 + 120 * 1000000LL;
        while (got < count && now_us() < limit) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 50);
            if (!m)
                continue;
            if (!m->err) {
                if (!got)
                    first = now_us();
                got++;
            }
            rd_kafka_message_destroy(m);
        }
        done = now_us();
        rd_kafka_consumer_close(rk);
        rd_kafka_destroy(rk);
        if (got < count)
            die("rate", "not every message arrived within 120 s");
    }
    double steady = count / ((done - first) / 1e6), total = count / ((done - t0) / 1e6);
    printf("RESULT consume_rate_%s %.0f msgs/s (from first message; %.0f msgs/s including "
           "start-up%s)\n",
           members > 0 ? "group" : "manual", steady, total,
           members > 0 ? " and group formation" : "");
    fflush(stdout);
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        die("usage", "group_bench BOOTSTRAP stable|commits|produce|rate TOPIC ...");
    g_bs = argv[1];
    const char *mode = argv[2], *topic = argv[3];
    if (!strcmp(mode, "stable") && argc >= 5) {
        int64_t first, done, assigned;
        char group[64];
        snprintf(group, sizeof(group), "bench-stable-%d", (int)getpid());
        run_members(topic, atoi(argv[4]), group, 0, &first, &done, &assigned);
        printf("RESULT group_stable_ms %.0f ms (%s members subscribe at once until all are "
               "assigned)\n",
               assigned / 1e3, argv[4]);
        fflush(stdout);
        return assigned > 0 ? 0 : 1;
    }
    if (!strcmp(mode, "commits") && argc >= 5)
        return bench_commits(topic, atol(argv[4]));
    if (!strcmp(mode, "produce") && argc >= 7)
        return bench_produce(topic, atoi(argv[4]), atol(argv[5]), atoi(argv[6]));
    if (!strcmp(mode, "rate") && argc >= 7)
        return bench_rate(topic, atoi(argv[4]), atol(argv[5]), atoi(argv[6]));
    die("usage", "bad arguments");
}
