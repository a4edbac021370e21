/*
 * dur_verify — checks a topic written by dur_produce after crashes and
 * restarts:
 *   - every partition reads back from its low to its high watermark with
 *     contiguous offsets and no error (CRCs checked by the client);
 *   - every stored message is intact: key "id-<n>", partition n % P, value
 *     exactly itest_value(n) (unacknowledged or retried messages may exist,
 *     but never corrupt ones);
 *   - every acknowledged message listed in the ack files is stored at the
 *     offset it was acknowledged with; acknowledged ids are in order;
 *   - with --random-starts N, N fetches per partition starting at
 *     deterministic pseudo-random offsets each return that exact offset
 *     first (exercises the offset index).
 *
 * usage: dur_verify BOOTSTRAP TOPIC PARTITIONS --name NAME [--acks FILE]...
 *          [--torn P:OFFSET:IDLIMIT] [--expect-high P:OFFSET] [--random-starts N]
 * --torn: acknowledged messages of partition P with id < IDLIMIT at offsets
 *   >= OFFSET were in a batch the test tore on purpose; they may be missing.
 * --expect-high: partition P must end exactly at OFFSET.
 */
#include "itest.h"

struct ack {
    uint64_t id;
    int32_t p;
    int64_t off;
};

static const char *name;

static size_t dur_value_len(uint64_t id)
{
    return 50 + id % 200;
}

/* Checks one message; returns 0 or fails with a description. */
static int check_msg(const rd_kafka_message_t *m, int partitions, uint64_t *id_out)
{
    char key[40], want[512];
    if (!m->key || m->key_len < 4 || m->key_len >= sizeof(key)) {
        itest_fail(name, "partition %d offset %" PRId64 ": bad key (%zu bytes)", m->partition,
                   m->offset, m->key_len);
        return -1;
    }
    memcpy(key, m->key, m->key_len);
    key[m->key_len] = '\0';
    char *end;
    uint64_t id = strtoull(key + 3, &end, 10);
    if (strncmp(key, "id-", 3) || *end) {
        itest_fail(name, "partition %d offset %" PRId64 ": bad key '%s'", m->partition, m->offset,
                   key);
        return -1;
    }
    if ((int)(id % (uint64_t)partitions) != m->partition) {
        itest_fail(
            name, "partition %d offset %" PRId64 ": message id %" PRIu64 " belongs to partition %d",
            m->partition, m->offset, id, (int)(id % (uint64_t)partitions));
        return -1;
    }
    size_t wlen = itest_value(id, want, dur_value_len(id));
    if (!m->payload || m->len != wlen || memcmp(m->payload, want, wlen)) {
        itest_fail(name,
                   "partition %d offset %" PRId64 ": value of message id %" PRIu64
                   " is corrupt (%zu bytes, "
                   "expected %zu)",
                   m->partition, m->offset, id, m->len, wlen);
        return -1;
    }
    *id_out = id;
    return 0;
}

static int ack_cmp(const void *a, const void *b)
{
    const struct ack *x = a, *y = b;
    if (x->p != y->p)
        return x->p < y->p ? -1 : 1;
    if (x->off != y->off)
        return x->off < y->off ? -1 : 1;
    return 0;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        itest_die("usage: dur_verify BOOTSTRAP TOPIC PARTITIONS --name NAME [--acks FILE]... "
                  "[--torn P:OFF:IDLIMIT] "
                  "[--expect-high P:OFF] [--random-starts N]");
    const char *bootstrap = argv[1], *topic = argv[2];
    int partitions = atoi(argv[3]);
    name = "durability.verify";
    struct ack *acks = NULL;
    size_t nacks = 0, cap = 0;
    int torn_p = -1, high_p = -1, random_starts = 0;
    int64_t torn_off = 0, high_off = 0;
    uint64_t torn_idlimit = 0;
    for (int i = 4; i < argc; i++) {
        if (!strcmp(argv[i], "--name") && i + 1 < argc) {
            name = argv[++i];
        } else if (!strcmp(argv[i], "--acks") && i + 1 < argc) {
            FILE *f = fopen(argv[++i], "r");
            if (!f)
                itest_die("open %s: %s", argv[i], strerror(errno));
            struct ack a;
            while (fscanf(f, "%" SCNu64 " %" SCNd32 " %" SCNd64, &a.id, &a.p, &a.off) == 3) {
                if (nacks == cap) {
                    cap = cap ? cap * 2 : 4096;
                    acks = realloc(acks, cap * sizeof(*acks));
                }
                acks[nacks++] = a;
            }
            fclose(f);
        } else if (!strcmp(argv[i], "--torn") && i + 1 < argc) {
            if (sscanf(argv[++i], "%d:%" SCNd64 ":%" SCNu64, &torn_p, &torn_off, &torn_idlimit) !=
                3)
                itest_die("--torn P:OFFSET:IDLIMIT");
        } else if (!strcmp(argv[i], "--expect-high") && i + 1 < argc) {
            if (sscanf(argv[++i], "%d:%" SCNd64, &high_p, &high_off) != 2)
                itest_die("--expect-high P:OFFSET");
        } else if (!strcmp(argv[i], "--random-starts") && i + 1 < argc) {
            random_starts = atoi(argv[++i]);
        } else {
            itest_die("unknown argument %s", argv[i]);
        }
    }

    rd_kafka_conf_t *conf = itest_conf(bootstrap);
    rd_kafka_t *rk = itest_new(RD_KAFKA_PRODUCER, conf);
    int64_t *low = calloc((size_t)partitions, sizeof(int64_t)),
            *high = calloc((size_t)partitions, sizeof(int64_t));
    for (int p = 0; p < partitions; p++) {
        rd_kafka_resp_err_t err = RD_KAFKA_RESP_ERR__TIMED_OUT;
        for (int tries = 0; tries < 20 && err; tries++) {
            err = rd_kafka_query_watermark_offsets(rk, topic, p, &low[p], &high[p], 5000);
            if (err)
                usleep(250000);
        }
        if (err) {
            itest_fail(name, "watermarks of %s[%d]: %s", topic, p, rd_kafka_err2str(err));
            return 1;
        }
    }
    rd_kafka_destroy(rk);
    if (high_p >= 0 && high_p < partitions && high[high_p] != high_off) {
        itest_fail(name, "partition %d ends at offset %" PRId64 ", expected %" PRId64, high_p,
                   high[high_p], high_off);
        return 1;
    }

    /* offset -> id per partition, from a full read. */
    uint64_t **ids = calloc((size_t)partitions, sizeof(*ids));
    int64_t total = 0;
    for (int p = 0; p < partitions; p++) {
        ids[p] = calloc((size_t)(high[p] - low[p] + 1), sizeof(uint64_t));
        total += high[p] - low[p];
    }
    int64_t *next = calloc((size_t)partitions, sizeof(int64_t));
    int *done = calloc((size_t)partitions, sizeof(int));
    int ndone = 0;
    for (int p = 0; p < partitions; p++) {
        next[p] = low[p];
        if (high[p] == low[p])
            done[p] = 1, ndone++;
    }
    struct itest_consumer c;
    const char *settings[] = {"fetch.message.max.bytes", "1048576", NULL};
    itest_consumer_start(&c, bootstrap, topic, partitions, NULL, settings);
    int64_t deadline = itest_mono_ms() + 60000;
    int ok = 1;
    while (ok && ndone < partitions && itest_mono_ms() < deadline) {
        rd_kafka_message_t *m = itest_consumer_poll(&c, 200);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            rd_kafka_message_destroy(m);
            continue;
        }
        int p = m->partition;
        uint64_t id;
        if (m->err) {
            itest_fail(name, "consume error on partition %d at offset %" PRId64 ": %s", p,
                       next[p < 0 ? 0 : p], rd_kafka_message_errstr(m));
            ok = 0;
        } else if (m->offset != next[p]) {
            itest_fail(name,
                       "partition %d: offset %" PRId64 " follows %" PRId64
                       " (offsets must be contiguous from "
                       "the log start %" PRId64 ")",
                       p, m->offset, next[p] - 1, low[p]);
            ok = 0;
        } else if (check_msg(m, partitions, &id) == 0) {
            ids[p][m->offset - low[p]] = id + 1; /* 0 = not seen */
            if (++next[p] == high[p])
                done[p] = 1, ndone++;
        } else {
            ok = 0;
        }
        rd_kafka_message_destroy(m);
    }
    itest_consumer_stop(&c);
    if (ok && ndone < partitions) {
        for (int p = 0; p < partitions; p++)
            if (!done[p]) {
                itest_fail(name,
                           "partition %d: read up to offset %" PRId64 " of [%" PRId64 ", %" PRId64
                           ") within 60 s",
                           p, next[p], low[p], high[p]);
                break;
            }
        return 1;
    }
    if (!ok)
        return 1;

    /* Every acknowledged message at its acknowledged offset, in id order. */
    long missing = 0, torn_skipped = 0;
    for (size_t i = 0; i < nacks; i++) {
        struct ack *a = &acks[i];
        if (a->p < 0 || a->p >= partitions) {
            itest_fail(name, "ack file names partition %d", a->p);
            return 1;
        }
        if (a->p == torn_p && a->off >= torn_off && a->id < torn_idlimit) {
            torn_skipped++;
            continue;
        }
        if (a->off < low[a->p] || a->off >= high[a->p]) {
            if (!missing++)
                itest_fail(name,
                           "acknowledged message id %" PRIu64 " (partition %d offset %" PRId64
                           ") is missing: partition holds [%" PRId64 ", %" PRId64 ")",
                           a->id, a->p, a->off, low[a->p], high[a->p]);
            continue;
        }
        uint64_t got = ids[a->p][a->off - low[a->p]];
        if (got != a->id + 1) {
            if (!missing++)
                itest_fail(name,
                           "partition %d offset %" PRId64 " holds message id %" PRId64
                           ", but id %" PRIu64 " was acknowledged there",
                           a->p, a->off, (int64_t)got - 1, a->id);
        }
    }
    if (missing)
        return 1;
    /* Ids are produced in increasing order to each partition, so acked ids
     * sorted by offset must increase too. */
    size_t kept = 0;
    for (size_t i = 0; i < nacks; i++)
        if (!(acks[i].p == torn_p && acks[i].off >= torn_off && acks[i].id < torn_idlimit))
            acks[kept++] = acks[i];
    qsort(acks, kept, sizeof(*acks), ack_cmp);
    for (size_t i = 1; i < kept; i++) {
        if (acks[i].p == acks[i - 1].p && acks[i].off > acks[i - 1].off &&
            acks[i].id <= acks[i - 1].id) {
            itest_fail(name,
                       "partition %d: acknowledged id %" PRIu64 " at offset %" PRId64
                       " comes after id %" PRIu64 " at offset %" PRId64 " (out of order)",
                       acks[i].p, acks[i].id, acks[i].off, acks[i - 1].id, acks[i - 1].off);
            return 1;
        }
    }

    /* Random starting offsets: each fetch must begin exactly there. */
    long rs_ok = 0;
    if (random_starts > 0) {
        rd_kafka_conf_t *cconf = itest_conf(bootstrap);
        itest_set(cconf, "check.crcs", "true");
        rd_kafka_t *crk = itest_new(RD_KAFKA_CONSUMER, cconf);
        rd_kafka_topic_t *rkt = rd_kafka_topic_new(crk, topic, NULL);
        uint64_t x = 88172645463325252ULL;
        for (int p = 0; p < partitions && ok; p++) {
            if (high[p] == low[p])
                continue;
            for (int k = 0; k < random_starts && ok; k++) {
                x ^= x << 13, x ^= x >> 7, x ^= x << 17;
                int64_t off = low[p] + (int64_t)(x % (uint64_t)(high[p] - low[p]));
                if (k == 0)
                    off = high[p] - 1;
                if (rd_kafka_consume_start(rkt, p, off) == -1)
                    itest_die("consume_start: %s", rd_kafka_err2str(rd_kafka_last_error()));
                rd_kafka_message_t *m = NULL;
                int64_t dl = itest_mono_ms() + 10000;
                while (!m && itest_mono_ms() < dl) {
                    m = rd_kafka_consume(rkt, p, 500);
                    if (m && m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                        rd_kafka_message_destroy(m);
                        m = NULL;
                    }
                }
                uint64_t id;
                if (!m) {
                    itest_fail(name,
                               "fetch from partition %d offset %" PRId64 ": no message within 10 s",
                               p, off);
                    ok = 0;
                } else if (m->err) {
                    itest_fail(name, "fetch from partition %d offset %" PRId64 ": %s", p, off,
                               rd_kafka_message_errstr(m));
                    ok = 0;
                } else if (m->offset != off) {
                    itest_fail(name,
                               "fetch from partition %d offset %" PRId64 " returned offset %" PRId64
                               " first",
                               p, off, m->offset);
                    ok = 0;
                } else if (check_msg(m, partitions, &id)) {
                    ok = 0;
                } else if (ids[p][off - low[p]] != id + 1) {
                    itest_fail(name,
                               "fetch from partition %d offset %" PRId64 " returned id %" PRIu64
                               ", full read had id %" PRId64,
                               p, off, id, (int64_t)ids[p][off - low[p]] - 1);
                    ok = 0;
                } else {
                    rs_ok++;
                }
                if (m)
                    rd_kafka_message_destroy(m);
                rd_kafka_consume_stop(rkt, p);
            }
        }
        rd_kafka_topic_destroy(rkt);
        rd_kafka_destroy(crk);
    }
    if (!ok)
        return 1;
    fprintf(stderr,
            "%s: %" PRId64
            " stored messages, %zu acknowledged (%ld in the torn batch), %ld random reads\n",
            name, total, nacks, torn_skipped, rs_ok);
    itest_pass(name);
    return 0;
}
