/*
 * group_consumer.c — librdkafka high-level consumer (and helpers) for the
 * consumer-group integration tests (t/31_*.sh .. t/36_*.sh).
 *
 *   group_consumer BOOTSTRAP produce TOPIC PARTITIONS FIRST COUNT
 *       creates TOPIC if needed and produces values FIRST..FIRST+COUNT-1
 *       (decimal text), round robin over the partitions, acks=all.
 *   group_consumer BOOTSTRAP consume GROUP TOPIC OUTFILE [options]
 *       subscribes in GROUP; for every message appends "value partition
 *       offset" to OUTFILE (flushed) and then commits its offset (commit
 *       after processing: async by default, --sync-commit for sync). Logs
 *       rebalances to stderr as "EVENT <ms> assign|revoke|incr-assign|incr-revoke
 *       N topic[p]...". Exits after --idle-exit ms without messages (once
 *       assigned), after --max-ms, on SIGTERM/SIGINT, or when --stop-at values
 *       were seen in total (counting OUTFILE lines).
 *       options: --assignor NAME  --session MS  --instance ID  --idle-exit MS
 *                --max-ms MS  --sync-commit  --no-commit
 *   group_consumer BOOTSTRAP committed GROUP TOPIC PARTITIONS
 *       prints "partition committed_offset" per partition (via a consumer's
 *       rd_kafka_committed).
 */
#include "itest.h"

#include <signal.h>
#include <stdbool.h>

static volatile sig_atomic_t g_stop;
static void on_sig(int s)
{
    (void)s;
    g_stop = 1;
}

static int64_t t0;

static void log_parts(const char *what, const rd_kafka_topic_partition_list_t *l)
{
    fprintf(stderr, "EVENT %lld %s %d", (long long)(itest_mono_ms() - t0), what, l->cnt);
    for (int i = 0; i < l->cnt; i++)
        fprintf(stderr, " %s[%d]", l->elems[i].topic, l->elems[i].partition);
    fprintf(stderr, "\n");
    fflush(stderr);
}

static int g_assigned;

static void rebalance_cb(rd_kafka_t *rk, rd_kafka_resp_err_t err,
                         rd_kafka_topic_partition_list_t *parts, void *opaque)
{
    (void)opaque;
    bool coop = strcmp(rd_kafka_rebalance_protocol(rk), "COOPERATIVE") == 0;
    if (err == RD_KAFKA_RESP_ERR__ASSIGN_PARTITIONS) {
        log_parts(coop ? "incr-assign" : "assign", parts);
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_assign(rk, parts);
            if (e)
                rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, parts);
        }
        g_assigned = 1;
    } else {
        log_parts(coop ? "incr-revoke" : "revoke", parts);
        if (coop) {
            rd_kafka_error_t *e = rd_kafka_incremental_unassign(rk, parts);
            if (e)
                rd_kafka_error_destroy(e);
        } else {
            rd_kafka_assign(rk, NULL);
        }
    }
}

static int do_produce(const char *bs, int argc, char **argv)
{
    if (argc < 4)
        itest_die("produce TOPIC PARTITIONS FIRST COUNT");
    const char *topic = argv[0];
    int parts = atoi(argv[1]);
    long first = atol(argv[2]), count = atol(argv[3]);
    char err[512];
    rd_kafka_conf_t *conf = itest_conf(bs);
    itest_set(conf, "acks", "all");
    itest_set(conf, "linger.ms", "5");
    rd_kafka_t *rk = itest_new(RD_KAFKA_PRODUCER, conf);
    rd_kafka_resp_err_t e = itest_create_topic(rk, topic, parts, NULL, err, sizeof(err));
    if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        itest_die("create %s: %s", topic, err);
    if (itest_wait_topic(rk, topic, parts, 15000, err, sizeof(err)) < 0)
        itest_die("topic %s: %s", topic, err);
    for (long i = 0; i < count; i++) {
        char v[32];
        int n = snprintf(v, sizeof(v), "%ld", first + i);
        for (;;) {
            e = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                  RD_KAFKA_V_PARTITION((int32_t)((first + i) % parts)),
                                  RD_KAFKA_V_VALUE(v, (size_t)n),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            rd_kafka_poll(rk, 10);
        }
        if (e)
            itest_die("produce: %s", rd_kafka_err2str(e));
        rd_kafka_poll(rk, 0);
    }
    if (itest_flush(rk, 30000) < 0)
        itest_die("flush timed out");
    rd_kafka_destroy(rk);
    return 0;
}

static long count_lines(const char *path)
{
    FILE *f = fopen(path, "r");
    long n = 0;
    int c;
    if (!f)
        return 0;
    while ((c = getc(f)) != EOF)
        n += c == '\n';
    fclose(f);
    return n;
}

static int do_consume(const char *bs, int argc, char **argv)
{
    if (argc < 3)
        itest_die("consume GROUP TOPIC OUTFILE [options]");
    const char *group = argv[0], *topic = argv[1], *out = argv[2];
    const char *assignor = NULL, *instance = NULL, *session = "6000";
    long idle_exit = 0, max_ms = 120000, stop_at = 0;
    int sync_commit = 0, no_commit = 0;
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--assignor") && i + 1 < argc)
            assignor = argv[++i];
        else if (!strcmp(argv[i], "--session") && i + 1 < argc)
            session = argv[++i];
        else if (!strcmp(argv[i], "--instance") && i + 1 < argc)
            instance = argv[++i];
        else if (!strcmp(argv[i], "--idle-exit") && i + 1 < argc)
            idle_exit = atol(argv[++i]);
        else if (!strcmp(argv[i], "--max-ms") && i + 1 < argc)
            max_ms = atol(argv[++i]);
        else if (!strcmp(argv[i], "--stop-at") && i + 1 < argc)
            stop_at = atol(argv[++i]);
        else if (!strcmp(argv[i], "--sync-commit"))
            sync_commit = 1;
        else if (!strcmp(argv[i], "--no-commit"))
            no_commit = 1;
        else
            itest_die("unknown option %s", argv[i]);
    }
    rd_kafka_conf_t *conf = itest_conf(bs);
    itest_set(conf, "group.id", group);
    itest_set(conf, "enable.auto.commit", "false");
    itest_set(conf, "auto.offset.reset", "earliest");
    itest_set(conf, "session.timeout.ms", session);
    itest_set(conf, "heartbeat.interval.ms", "500");
    if (assignor)
        itest_set(conf, "partition.assignment.strategy", assignor);
    if (instance)
        itest_set(conf, "group.instance.id", instance);
    rd_kafka_conf_set_rebalance_cb(conf, rebalance_cb);
    rd_kafka_t *rk = itest_new(RD_KAFKA_CONSUMER, conf);
    rd_kafka_poll_set_consumer(rk);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
    rd_kafka_resp_err_t e = rd_kafka_subscribe(rk, sub);
    rd_kafka_topic_partition_list_destroy(sub);
    if (e)
        itest_die("subscribe: %s", rd_kafka_err2str(e));
    FILE *f = fopen(out, "a");
    if (!f)
        itest_die("open %s: %s", out, strerror(errno));
    int64_t last = itest_mono_ms(), start = last;
    long got = 0;
    while (!g_stop) {
        int64_t now = itest_mono_ms();
        if (now - start > max_ms)
            break;
        if (idle_exit > 0 && g_assigned && now - last > idle_exit)
            break;
        if (stop_at > 0 && got % 64 == 0 && count_lines(out) >= stop_at)
            break;
        rd_kafka_message_t *m = rd_kafka_consumer_poll(rk, 100);
        if (!m)
            continue;
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                fprintf(stderr, "consume error: %s\n", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        fprintf(f, "%.*s %d %lld\n", (int)m->len, (const char *)m->payload, m->partition,
                (long long)m->offset);
        fflush(f);
        got++;
        last = itest_mono_ms();
        if (!no_commit) {
            e = rd_kafka_commit_message(rk, m, sync_commit ? 0 : 1);
            if (e && sync_commit)
                fprintf(stderr, "commit: %s\n", rd_kafka_err2str(e));
        }
        rd_kafka_message_destroy(m);
        if (stop_at > 0 && count_lines(out) >= stop_at)
            break;
    }
    fclose(f);
    fprintf(stderr, "EVENT %lld done %ld\n", (long long)(itest_mono_ms() - t0), got);
    if (!no_commit)
        rd_kafka_commit(rk, NULL, 0); /* whatever is still outstanding */
    rd_kafka_consumer_close(rk);
    rd_kafka_destroy(rk);
    return 0;
}

static int do_committed(const char *bs, int argc, char **argv)
{
    if (argc < 3)
        itest_die("committed GROUP TOPIC PARTITIONS");
    rd_kafka_conf_t *conf = itest_conf(bs);
    itest_set(conf, "group.id", argv[0]);
    rd_kafka_t *rk = itest_new(RD_KAFKA_CONSUMER, conf);
    int np = atoi(argv[2]);
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(np);
    for (int p = 0; p < np; p++)
        rd_kafka_topic_partition_list_add(l, argv[1], p);
    rd_kafka_resp_err_t e = rd_kafka_committed(rk, l, 15000);
    if (e)
        itest_die("committed: %s", rd_kafka_err2str(e));
    for (int i = 0; i < l->cnt; i++)
        printf("%d %lld\n", l->elems[i].partition, (long long)l->elems[i].offset);
    rd_kafka_topic_partition_list_destroy(l);
    rd_kafka_destroy(rk);
    return 0;
}

int main(int argc, char **argv)
{
    t0 = itest_mono_ms();
    signal(SIGTERM, on_sig);
    signal(SIGINT, on_sig);
    if (argc < 3)
        itest_die("usage: group_consumer BOOTSTRAP produce|consume|committed ...");
    if (!strcmp(argv[2], "produce"))
        return do_produce(argv[1], argc - 3, argv + 3);
    if (!strcmp(argv[2], "consume"))
        return do_consume(argv[1], argc - 3, argv + 3);
    if (!strcmp(argv[2], "committed"))
        return do_committed(argv[1], argc - 3, argv + 3);
    itest_die("unknown mode %s", argv[2]);
}
