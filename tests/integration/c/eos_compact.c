/*
 * eos_compact — log compaction, black box.
 *
 * Creates a compacted topic (cleanup.policy=compact, small segments, short
 * segment.ms, min.cleanable.dirty.ratio=0.01, short delete.retention.ms,
 * min.compaction.lag.ms=0), writes V versions of each of K keys, then
 * tombstones: keys with k%5==0 end deleted; keys with k%7==3 are deleted
 * in the middle and written again (live). Every record's offset comes from its
 * delivery report.
 *
 * Then, until a deadline, it keeps writing one "__filler" record every 300 ms
 * (so segments roll by segment.ms and the cleaner has new dirty data, which
 * Kafka needs to drop tombstones past delete.retention.ms) and reads the
 * partitions from the start: the check passes when the reader sees exactly
 * one record per live key, with the latest value, at that value's original
 * offset, and nothing for a deleted key ("__filler" records are ignored).
 *
 * With --txn 1, a committed transaction then writes a new version of keys
 * k%3==1 and an aborted one newer versions of keys k%3 in {1,2}: the check
 * (read_uncommitted) then also proves the cleaner removed aborted records.
 *
 * usage: eos_compact BOOTSTRAP TOPIC [--keys K] [--versions V] [--deadline-s S]
 *                    [--txn 0|1]
 * Prints PASS/FAIL eos.compact.produced and eos.compact.latest_per_key.
 */
#include "itest.h"

#define P 2

struct keystate {
    int64_t off; /* offset of the latest write (value or tombstone) */
    int deleted; /* the latest write is a tombstone */
    int version; /* version of the latest value */
    int seen;    /* per scan */
    int64_t seen_off;
    int wrong;
};

static struct keystate *ks;
static long nkeys;
static long dr_errors, dr_ok;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    (void)opaque;
    if (m->err) {
        dr_errors++;
        return;
    }
    dr_ok++;
    long k = (long)(intptr_t)m->_private;
    /* delivery reports of one partition arrive in offset order: keep the last */
    if (k >= 0 && m->offset > ks[k].off)
        ks[k].off = m->offset;
}

/* Writes version `version` of key k (or a tombstone). track=0: the write
 * belongs to a transaction that will be aborted, so it is not expected. */
static void put_t(rd_kafka_t *rk, const char *topic, long k, int version, int tombstone, int track)
{
    char key[32], val[128];
    int kl = snprintf(key, sizeof(key), "k%ld", k);
    int vl = 0;
    if (!tombstone) {
        vl = snprintf(val, sizeof(val), "k%ld-v%d-", k, version);
        vl = (int)itest_value((uint64_t)(k * 1000 + version), val + vl, 100 - (size_t)vl) + vl;
    }
    if (track) {
        ks[k].deleted = tombstone;
        if (!tombstone)
            ks[k].version = version;
    }
    for (;;) {
        rd_kafka_resp_err_t e = rd_kafka_producev(
            rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION((int)(k % P)),
            RD_KAFKA_V_KEY(key, (size_t)kl),
            RD_KAFKA_V_VALUE(tombstone ? NULL : val, tombstone ? 0 : (size_t)vl),
            RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
            RD_KAFKA_V_OPAQUE((void *)(intptr_t)(track ? k : -1)), RD_KAFKA_V_END);
        if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
            rd_kafka_poll(rk, 10);
            continue;
        }
        if (e)
            itest_die("produce: %s", rd_kafka_err2str(e));
        break;
    }
    rd_kafka_poll(rk, 0);
}

static void put(rd_kafka_t *rk, const char *topic, long k, int version, int tombstone)
{
    put_t(rk, topic, k, version, tombstone, 1);
}

/* One scan from the start; returns 0 when the log is exactly compacted, else
 * -1 with a description of what is still there (or wrong) in `why`. */
static int scan(const char *bs, const char *topic, char *why, size_t size, long *records_out)
{
    for (long k = 0; k < nkeys; k++) {
        ks[k].seen = 0;
        ks[k].wrong = 0;
    }
    struct itest_consumer c;
    const char *settings[] = {"isolation.level", "read_uncommitted", NULL};
    itest_consumer_start(&c, bs, topic, P, NULL, settings);
    long records = 0, extra = 0, stale = 0, tomb = 0, badoff = 0, filler = 0;
    int eof[P] = {0}, neof = 0;
    char first[256] = "";
    int64_t deadline = itest_mono_ms() + 20000;
    while (neof < P && itest_mono_ms() < deadline) {
        rd_kafka_message_t *m = itest_consumer_poll(&c, 200);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (!eof[m->partition]++)
                neof++;
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err) {
            rd_kafka_message_destroy(m);
            continue;
        }
        records++;
        char key[32] = "";
        if (m->key && m->key_len < sizeof(key))
            memcpy(key, m->key, m->key_len);
        if (!strcmp(key, "__filler")) {
            filler++;
            rd_kafka_message_destroy(m);
            continue;
        }
        long k = key[0] == 'k' ? atol(key + 1) : -1;
        if (k < 0 || k >= nkeys) {
            if (!first[0])
                snprintf(first, sizeof(first), "unknown key '%s' at [%d]@%" PRId64, key,
                         m->partition, m->offset);
            extra++;
        } else {
            struct keystate *s = &ks[k];
            if (!m->payload) {
                tomb++;
            } else {
                int ver = -1;
                char want[32];
                snprintf(want, sizeof(want), "k%ld-v", k);
                if (m->len > strlen(want) && !memcmp(m->payload, want, strlen(want)))
                    ver = atoi((const char *)m->payload + strlen(want));
                if (s->deleted || ver != s->version)
                    stale++;
                else if (m->offset != s->off) {
                    if (!badoff++)
                        snprintf(first, sizeof(first),
                                 "key %s: latest value at offset %" PRId64 ", written at %" PRId64,
                                 key, m->offset, s->off);
                }
            }
            s->seen++;
        }
        rd_kafka_message_destroy(m);
    }
    itest_consumer_stop(&c);
    long missing = 0, multi = 0;
    for (long k = 0; k < nkeys; k++) {
        if (!ks[k].deleted && !ks[k].seen) {
            if (!missing++ && !first[0])
                snprintf(first, sizeof(first),
                         "live key k%ld (latest at offset %" PRId64 ") is missing", k, ks[k].off);
        }
        if (ks[k].seen > 1)
            multi++;
    }
    *records_out = records;
    snprintf(why, size,
             "%ld records (%ld filler); %ld stale values, %ld tombstones, %ld keys with several "
             "records, %ld live keys "
             "missing, %ld at a wrong offset, %ld unknown%s%s%s",
             records, filler, stale, tomb, multi, missing, badoff, extra,
             first[0] ? "; first: " : "", first,
             neof < P ? "; (end of partition not reached in 20 s)" : "");
    return neof == P && !stale && !tomb && !multi && !missing && !badoff && !extra ? 0 : -1;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        itest_die("usage: eos_compact BOOTSTRAP TOPIC [--keys K] [--versions V] [--deadline-s S]");
    const char *bs = argv[1], *topic = argv[2];
    int versions = 20, deadline_s = 60, txn = 0;
    nkeys = 500;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--keys"))
            nkeys = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--versions"))
            versions = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--deadline-s"))
            deadline_s = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--txn"))
            txn = atoi(argv[i + 1]);
        else
            itest_die("unknown option %s", argv[i]);
    }
    ks = calloc((size_t)nkeys, sizeof(*ks));
    for (long k = 0; k < nkeys; k++)
        ks[k].off = -1;

    rd_kafka_conf_t *conf = itest_conf(bs);
    itest_set(conf, "acks", "all");
    itest_set(conf, "linger.ms", "5");
    itest_set(conf, "enable.idempotence",
              "true"); /* no duplicates from retries: offsets stay exact */
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_t *rk = itest_new(RD_KAFKA_PRODUCER, conf);
    char err[512];
    const char *cfg[] = {"cleanup.policy",
                         "compact",
                         "segment.bytes",
                         "65536",
                         "segment.ms",
                         "1000",
                         "min.cleanable.dirty.ratio",
                         "0.01",
                         "delete.retention.ms",
                         "100",
                         "min.compaction.lag.ms",
                         "0",
                         NULL};
    rd_kafka_resp_err_t e = itest_create_topic(rk, topic, P, cfg, err, sizeof(err));
    if (e) {
        itest_fail("eos.compact.create", "%s", err);
        return 1;
    }
    if (itest_wait_topic(rk, topic, P, 20000, err, sizeof(err)))
        itest_die("%s", err);

    long writes = 0;
    for (int v = 0; v < versions; v++) {
        for (long k = 0; k < nkeys; k++) {
            if (k % 7 == 3 && v == versions / 2) {
                put(rk, topic, k, v, 1); /* deleted in the middle, written again later */
                writes++;
                continue;
            }
            put(rk, topic, k, v, 0);
            writes++;
        }
    }
    for (long k = 0; k < nkeys; k += 5) {
        put(rk, topic, k, 0, 1);
        writes++;
    }
    if (itest_flush(rk, 30000) || dr_errors || dr_ok != writes) {
        itest_fail("eos.compact.produced", "%ld of %ld writes acknowledged, %ld errors", dr_ok,
                   writes, dr_errors);
        return 1;
    }
    itest_pass("eos.compact.produced");

    if (txn) {
        /* Transactions on the compacted topic: a committed one writes a new
         * version of keys k%3==1 (also reviving deleted ones); an aborted one
         * writes newer versions of keys k%3 in {1,2}, which must never win
         * and must be removed by the cleaner. */
        rd_kafka_conf_t *tc = itest_conf(bs);
        itest_set(tc, "transactional.id", "eos-compact-tx");
        rd_kafka_conf_set_dr_msg_cb(tc, dr_cb);
        rd_kafka_t *tp = itest_new(RD_KAFKA_PRODUCER, tc);
        rd_kafka_error_t *te = rd_kafka_init_transactions(tp, 30000);
        if (!te)
            te = rd_kafka_begin_transaction(tp);
        long n = 0;
        for (long k = 1; !te && k < nkeys; k += 3, n++)
            put_t(tp, topic, k, versions, 0, 1);
        if (!te)
            te = rd_kafka_commit_transaction(tp, 30000);
        if (!te)
            te = rd_kafka_begin_transaction(tp);
        for (long k = 0; !te && k < nkeys; k++)
            if (k % 3)
                put_t(tp, topic, k, versions + 1, 0, 0);
        if (!te) {
            rd_kafka_flush(tp, 10000);
            te = rd_kafka_abort_transaction(tp, 30000);
        }
        if (te) {
            itest_fail("eos.compact.txn_produced", "%s", rd_kafka_error_string(te));
            rd_kafka_error_destroy(te);
            return 1;
        }
        writes += n;
        itest_pass("eos.compact.txn_produced");
        rd_kafka_destroy(tp);
    }

    int64_t t0 = itest_mono_ms(), end = t0 + (int64_t)deadline_s * 1000, last_fill = 0;
    char why[1024] = "no scan finished";
    long records = 0;
    int ok = 0, scans = 0;
    while (itest_mono_ms() < end) {
        /* a filler write every 300 ms: rolls segments, gives the cleaner new dirty data */
        if (itest_mono_ms() - last_fill >= 300) {
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(0),
                              RD_KAFKA_V_KEY("__filler", 8), RD_KAFKA_V_VALUE("f", 1),
                              RD_KAFKA_V_OPAQUE((void *)(intptr_t)-1), RD_KAFKA_V_END);
            rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(1),
                              RD_KAFKA_V_KEY("__filler", 8), RD_KAFKA_V_VALUE("f", 1),
                              RD_KAFKA_V_OPAQUE((void *)(intptr_t)-1), RD_KAFKA_V_END);
            itest_flush(rk, 5000);
            last_fill = itest_mono_ms();
        }
        scans++;
        if (scan(bs, topic, why, sizeof(why), &records) == 0) {
            ok = 1;
            break;
        }
        for (int i = 0; i < 10; i++) { /* ~1 s between scans, with fillers */
            usleep(100 * 1000);
            rd_kafka_poll(rk, 0);
        }
    }
    if (ok) {
        fprintf(stderr, "# compacted after %.1f s (%d scans): %ld writes -> %s\n",
                (itest_mono_ms() - t0) / 1000.0, scans, writes, why);
        itest_pass("eos.compact.latest_per_key");
    } else {
        itest_fail("eos.compact.latest_per_key", "after %d s (%ld writes of %ld keys): %s",
                   deadline_s, writes, nkeys, why);
    }
    rd_kafka_destroy(rk);
    return itest_failures ? 1 : 0;
}
