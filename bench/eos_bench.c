/*
 * eos_bench.c — exactly-once producer benchmarks (issue 4), librdkafka client.
 *
 *   eos_bench BOOTSTRAP TOPIC plain|idem COUNT [SIZE]
 *       produce COUNT messages of SIZE bytes (default 100), acks=all, to every
 *       partition of TOPIC (created with 6 partitions if missing), with
 *       enable.idempotence false|true; time from the first produce call to
 *       the last delivery report.
 *   eos_bench BOOTSTRAP TOPIC txn COUNT [SIZE] [PER_TXN] [PRODUCERS] [pinned]
 *       PRODUCERS threads (default 1), each a transactional producer with its
 *       own transactional.id, producing COUNT/PRODUCERS messages in
 *       transactions of PER_TXN (default 100) messages, commit after each;
 *       spread over all 6 partitions (the default partitioner), or with
 *       "pinned" producer i writes only partition i%6 (one partition per
 *       transaction, as a partition-affine stream task would). linger.ms=0
 *       (EOS_TXN_LINGER_MS overrides): commit flushes anyway.
 *   eos_bench BOOTSTRAP TOPIC fill-compact BYTES KEYS [SIZE]
 *       writes BYTES of SIZE-byte values over KEYS keys (round robin) to
 *       partition 0 of TOPIC (must exist) as fast as possible.
 * Prints one line: "<mode> msgs=N bytes=B secs=S msgs_per_s=R mb_per_s=M".
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>

static double now_s(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void die(const char *what, const char *why)
{
    fprintf(stderr, "eos_bench: %s: %s\n", what, why);
    exit(1);
}

static void set(rd_kafka_conf_t *c, const char *k, const char *v)
{
    char err[256];
    if (rd_kafka_conf_set(c, k, v, err, sizeof(err)) != RD_KAFKA_CONF_OK)
        die(k, err);
}

static long dr_errors;
static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err && !__atomic_fetch_add(&dr_errors, 1, __ATOMIC_RELAXED))
        fprintf(stderr, "eos_bench: delivery failed: %s\n", rd_kafka_err2str(m->err));
}

static rd_kafka_conf_t *base_conf(const char *bs)
{
    rd_kafka_conf_t *c = rd_kafka_conf_new();
    set(c, "bootstrap.servers", bs);
    set(c, "acks", "all");
    set(c, "linger.ms", "5");
    set(c, "batch.num.messages", "10000");
    set(c, "queue.buffering.max.messages", "1000000");
    set(c, "queue.buffering.max.kbytes", "1048576");
    set(c, "log_level", "3");
    rd_kafka_conf_set_dr_msg_cb(c, dr_cb);
    return c;
}

static rd_kafka_t *mk(rd_kafka_conf_t *c)
{
    char err[256];
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, c, err, sizeof(err));
    if (!rk)
        die("rd_kafka_new", err);
    return rk;
}

static void ensure_topic(const char *bs, const char *topic, int parts)
{
    rd_kafka_t *rk = mk(base_conf(bs));
    char err[256];
    rd_kafka_NewTopic_t *nt = rd_kafka_NewTopic_new(topic, parts, 1, err, sizeof(err));
    rd_kafka_queue_t *q = rd_kafka_queue_new(rk);
    rd_kafka_CreateTopics(rk, &nt, 1, NULL, q);
    rd_kafka_event_t *ev = rd_kafka_queue_poll(q, 20000);
    if (ev)
        rd_kafka_event_destroy(ev);
    rd_kafka_NewTopic_destroy(nt);
    rd_kafka_queue_destroy(q);
    /* wait for metadata with leaders */
    for (int i = 0; i < 100; i++) {
        const struct rd_kafka_metadata *md;
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(rk, topic, NULL);
        int ok = rd_kafka_metadata(rk, 0, rkt, &md, 5000) == 0 && md->topic_cnt == 1 &&
                 !md->topics[0].err && md->topics[0].partition_cnt > 0;
        if (ok)
            rd_kafka_metadata_destroy(md);
        rd_kafka_topic_destroy(rkt);
        if (ok)
            break;
        usleep(100000);
    }
    rd_kafka_destroy(rk);
}

static void produce1(rd_kafka_t *rk, const char *topic, int32_t part, const void *key, size_t klen,
                     const char *val, size_t size)
{
    for (;;) {
        rd_kafka_resp_err_t e =
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(part),
                              RD_KAFKA_V_KEY(key, klen), RD_KAFKA_V_VALUE((void *)val, size),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk, 1);
            continue;
        }
        if (e)
            die("produce", rd_kafka_err2str(e));
        return;
    }
}

struct txn_arg {
    const char *bs, *topic;
    long count;
    int size, per_txn, id, pinned;
};

static void *txn_thread(void *p)
{
    struct txn_arg *a = p;
    rd_kafka_conf_t *c = base_conf(a->bs);
    char txid[64];
    snprintf(txid, sizeof(txid), "eos-bench-%d-%ld", a->id, (long)getpid());
    set(c, "transactional.id", txid);
    set(c, "linger.ms", getenv("EOS_TXN_LINGER_MS") ? getenv("EOS_TXN_LINGER_MS") : "0");
    rd_kafka_t *rk = mk(c);
    rd_kafka_error_t *e = rd_kafka_init_transactions(rk, 30000);
    if (e)
        die("init_transactions", rd_kafka_error_string(e));
    char *val = malloc((size_t)a->size);
    memset(val, 'x', (size_t)a->size);
    for (long i = 0; i < a->count;) {
        if ((e = rd_kafka_begin_transaction(rk)))
            die("begin_transaction", rd_kafka_error_string(e));
        for (int j = 0; j < a->per_txn && i < a->count; j++, i++)
            produce1(rk, a->topic, a->pinned ? a->id % 6 : RD_KAFKA_PARTITION_UA, NULL, 0, val,
                     (size_t)a->size);
        if ((e = rd_kafka_commit_transaction(rk, 30000)))
            die("commit_transaction", rd_kafka_error_string(e));
    }
    free(val);
    rd_kafka_destroy(rk);
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 5) {
        fprintf(stderr,
                "usage: eos_bench BOOTSTRAP TOPIC plain|idem|txn|fill-compact COUNT [...]\n");
        return 2;
    }
    const char *bs = argv[1], *topic = argv[2], *mode = argv[3];
    long count = atol(argv[4]);
    int size = argc > 5 ? atoi(argv[5]) : 100;
    double t0, t1;
    long long bytes;
    if (!strcmp(mode, "plain") || !strcmp(mode, "idem")) {
        ensure_topic(bs, topic, 6);
        rd_kafka_conf_t *c = base_conf(bs);
        set(c, "enable.idempotence", !strcmp(mode, "idem") ? "true" : "false");
        rd_kafka_t *rk = mk(c);
        char *val = malloc((size_t)size);
        memset(val, 'x', (size_t)size);
        /* warm the connection and metadata */
        produce1(rk, topic, RD_KAFKA_PARTITION_UA, NULL, 0, val, (size_t)size);
        rd_kafka_flush(rk, 10000);
        t0 = now_s();
        for (long i = 0; i < count; i++) {
            produce1(rk, topic, RD_KAFKA_PARTITION_UA, NULL, 0, val, (size_t)size);
            if ((i & 1023) == 0)
                rd_kafka_poll(rk, 0);
        }
        rd_kafka_flush(rk, 120000);
        t1 = now_s();
        rd_kafka_destroy(rk);
        free(val);
        bytes = (long long)count * size;
    } else if (!strcmp(mode, "txn")) {
        int per_txn = argc > 6 ? atoi(argv[6]) : 100, producers = argc > 7 ? atoi(argv[7]) : 1;
        int pinned = argc > 8 && !strcmp(argv[8], "pinned");
        ensure_topic(bs, topic, 6);
        pthread_t th[64];
        struct txn_arg args[64];
        if (producers < 1 || producers > 64)
            die("PRODUCERS", "must be 1..64");
        t0 = now_s();
        for (int i = 0; i < producers; i++) {
            args[i] = (struct txn_arg){bs, topic, count / producers, size, per_txn, i, pinned};
            pthread_create(&th[i], NULL, txn_thread, &args[i]);
        }
        for (int i = 0; i < producers; i++)
            pthread_join(th[i], NULL);
        t1 = now_s();
        count = count / producers * producers;
        bytes = (long long)count * size;
        printf("txn per_txn=%d producers=%d partitions=%s ", per_txn, producers,
               pinned ? "one" : "all6");
    } else if (!strcmp(mode, "fill-compact")) {
        long keys = argc > 5 ? atol(argv[5]) : 10000;
        size = argc > 6 ? atoi(argv[6]) : 1000;
        long long target = count;
        rd_kafka_t *rk = mk(base_conf(bs));
        char *val = malloc((size_t)size);
        memset(val, 'v', (size_t)size);
        char key[32];
        t0 = now_s();
        long i = 0;
        for (bytes = 0; bytes < target; i++) {
            int kl = snprintf(key, sizeof(key), "key-%08ld", i % keys);
            snprintf(val, (size_t)size, "%ld", i);
            produce1(rk, topic, 0, key, (size_t)kl, val, (size_t)size);
            bytes += size + kl;
            if ((i & 1023) == 0)
                rd_kafka_poll(rk, 0);
        }
        rd_kafka_flush(rk, 120000);
        t1 = now_s();
        count = i;
        rd_kafka_destroy(rk);
        free(val);
    } else {
        die("mode", mode);
    }
    if (dr_errors)
        fprintf(stderr, "eos_bench: %ld delivery errors\n", dr_errors);
    printf("%s msgs=%ld bytes=%lld secs=%.3f msgs_per_s=%.0f mb_per_s=%.1f\n", mode, count, bytes,
           t1 - t0, count / (t1 - t0), bytes / (t1 - t0) / 1e6);
    return dr_errors ? 1 : 0;
}
