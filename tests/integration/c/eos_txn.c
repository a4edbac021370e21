/*
 * eos_txn — librdkafka transactional producer tests.
 *
 * Message values are "<tag>:<idx>" where tag names the transaction; the
 * checks read topics back with a read_committed or read_uncommitted consumer
 * and count messages per tag (a transaction is "all or nothing" when its tag
 * has 0 or exactly its size, with no duplicate idx).
 *
 * usage:
 *   eos_txn basic   BOOTSTRAP TOPIC        commit A, abort B, commit C, open D:
 *                                           read_committed sees A,C (stops at
 *                                           the LSO before D), read_uncommitted
 *                                           sees A,B,C,D; after D commits
 *                                           read_committed sees A,C,D
 *   eos_txn fence   BOOTSTRAP TOPIC        two producers with one transactional.id:
 *                                           the first is fenced, its open
 *                                           transaction aborted; the second commits
 *   eos_txn ctp     BOOTSTRAP IN OUT GROUP consume-transform-produce with
 *                                           send_offsets_to_transaction; every
 *                                           third transaction aborted and replayed
 *   eos_txn crash-open  BOOTSTRAP TOPIC TXID   commits t0, opens t1 (produced,
 *                                           flushed), prints "OPEN", sleeps
 *   eos_txn crash-loop  BOOTSTRAP TOPIC TXID   commits t0, t1, ... printing
 *                                           "COMMITTED k" after each, until killed
 *   eos_txn crash-verify BOOTSTRAP TOPIC TXID LAST
 *                                           after a broker kill -9 and restart:
 *                                           re-inits TXID, commits "final", then
 *                                           checks t0..tLAST complete, later tags
 *                                           all-or-nothing, "final" complete
 * Prints PASS/FAIL lines; exits 0 when every check passed.
 */
#include "itest.h"

#define TXN_MSGS 10

/* ---- producing ---- */

static rd_kafka_t *txn_producer(const char *bootstrap, const char *txid)
{
    rd_kafka_conf_t *conf = itest_conf(bootstrap);
    itest_set(conf, "transactional.id", txid);
    itest_set(conf, "transaction.timeout.ms", "20000");
    itest_set(conf, "linger.ms", "1");
    return itest_new(RD_KAFKA_PRODUCER, conf);
}

/* Runs a transactional API call; on error records a FAIL named `name` and returns -1. */
static int tx_ok(const char *name, const char *what, rd_kafka_error_t *e)
{
    if (!e)
        return 0;
    itest_fail(name, "%s: %s (%s%s%s)", what, rd_kafka_error_string(e), rd_kafka_error_name(e),
               rd_kafka_error_is_fatal(e) ? ", fatal" : "",
               rd_kafka_error_txn_requires_abort(e) ? ", abortable" : "");
    rd_kafka_error_destroy(e);
    return -1;
}

static void produce_tag(rd_kafka_t *rk, const char *topic, int parts, const char *tag, int n)
{
    char v[64];
    for (int i = 0; i < n; i++) {
        int len = snprintf(v, sizeof(v), "%s:%d", tag, i);
        for (;;) {
            rd_kafka_resp_err_t e =
                rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % parts),
                                  RD_KAFKA_V_VALUE(v, (size_t)len),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            if (e == RD_KAFKA_RESP_ERR__QUEUE_FULL) {
                rd_kafka_poll(rk, 10);
                continue;
            }
            if (e)
                itest_die("produce %s: %s", tag, rd_kafka_err2str(e));
            break;
        }
    }
}

/* ---- reading back ---- */

struct tagcount {
    char tag[32];
    int count, dups;
    unsigned char seen[1024];
};

struct scan {
    struct tagcount *t;
    int n, cap;
    long total, bad;
};

static struct tagcount *tag_get(struct scan *s, const char *tag)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->t[i].tag, tag))
            return &s->t[i];
    if (s->n == s->cap) {
        s->cap = s->cap ? s->cap * 2 : 64;
        s->t = realloc(s->t, (size_t)s->cap * sizeof(*s->t));
    }
    struct tagcount *t = &s->t[s->n++];
    memset(t, 0, sizeof(*t));
    memcpy(t->tag, tag, strnlen(tag, sizeof(t->tag) - 1));
    return t;
}

static int tag_count(struct scan *s, const char *tag)
{
    for (int i = 0; i < s->n; i++)
        if (!strcmp(s->t[i].tag, tag))
            return s->t[i].count;
    return 0;
}

static int tag_dups(struct scan *s)
{
    int d = 0;
    for (int i = 0; i < s->n; i++)
        d += s->t[i].dups;
    return d;
}

/* Reads partitions [0, parts) of `topic` from the start to the end (the LSO
 * for read_committed) with the given isolation level; -1 if that end is not
 * reached within 30 s. */
static int scan_topic(const char *bootstrap, const char *topic, int parts, const char *isolation,
                      struct scan *s)
{
    memset(s, 0, sizeof(*s));
    const char *settings[] = {"isolation.level", isolation, NULL};
    struct itest_consumer c;
    itest_consumer_start(&c, bootstrap, topic, parts, NULL, settings);
    int *eof = calloc((size_t)parts, sizeof(int)), neof = 0, rc = -1;
    int64_t deadline = itest_mono_ms() + 30000;
    while (itest_mono_ms() < deadline) {
        rd_kafka_message_t *m = itest_consumer_poll(&c, 200);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (!eof[m->partition]++)
                neof++;
            rd_kafka_message_destroy(m);
            if (neof == parts) {
                rc = 0;
                break;
            }
            continue;
        }
        if (m->err) {
            fprintf(stderr, "# consume %s: %s\n", topic, rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        char tag[32];
        int idx;
        char buf[64];
        size_t len = m->len < sizeof(buf) - 1 ? m->len : sizeof(buf) - 1;
        memcpy(buf, m->payload, len);
        buf[len] = 0;
        char *colon = strrchr(buf, ':');
        if (!colon || colon - buf >= (int)sizeof(tag) || (idx = atoi(colon + 1)) < 0 ||
            idx >= 1024) {
            s->bad++;
        } else {
            *colon = 0;
            memcpy(tag, buf, (size_t)(colon - buf) + 1);
            struct tagcount *t = tag_get(s, tag);
            if (t->seen[idx])
                t->dups++;
            else
                t->count++;
            t->seen[idx] = 1;
        }
        s->total++;
        rd_kafka_message_destroy(m);
    }
    free(eof);
    itest_consumer_stop(&c);
    return rc;
}

static void scan_free(struct scan *s)
{
    free(s->t);
    memset(s, 0, sizeof(*s));
}

static void describe(struct scan *s, char *buf, size_t size)
{
    size_t o = (size_t)snprintf(buf, size,
                                "%ld messages, %d duplicates, %ld unparsable; per tag:", s->total,
                                tag_dups(s), s->bad);
    for (int i = 0; i < s->n && o < size - 40; i++)
        o += (size_t)snprintf(buf + o, size - o, " %s=%d", s->t[i].tag, s->t[i].count);
}

static void create_topic(const char *bootstrap, const char *topic, int parts)
{
    char err[512];
    rd_kafka_t *rk = itest_new(RD_KAFKA_PRODUCER, itest_conf(bootstrap));
    rd_kafka_resp_err_t e = itest_create_topic(rk, topic, parts, NULL, err, sizeof(err));
    if (e && e != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        itest_die("%s", err);
    if (itest_wait_topic(rk, topic, parts, 20000, err, sizeof(err)))
        itest_die("%s", err);
    rd_kafka_destroy(rk);
}

/* ---- basic ---- */

static int expect_tags(const char *name, struct scan *s, const char **tags, const int *want)
{
    char d[1024];
    for (int i = 0; tags[i]; i++) {
        if (tag_count(s, tags[i]) != want[i]) {
            describe(s, d, sizeof(d));
            itest_fail(name, "transaction %s: %d messages, expected %d (%s)", tags[i],
                       tag_count(s, tags[i]), want[i], d);
            return -1;
        }
    }
    if (tag_dups(s) || s->bad) {
        describe(s, d, sizeof(d));
        itest_fail(name, "%s", d);
        return -1;
    }
    itest_pass(name);
    return 0;
}

static int run_basic(const char *bs, const char *topic)
{
    const int N = 100, P = 2;
    create_topic(bs, topic, P);
    rd_kafka_t *rk = txn_producer(bs, "eos-basic");
    if (tx_ok("eos.txn.init", "init_transactions", rd_kafka_init_transactions(rk, 30000)))
        return 1;
    itest_pass("eos.txn.init");
    const char *tags[] = {"A", "B", "C"};
    for (int k = 0; k < 3; k++) {
        if (tx_ok("eos.txn.begin", "begin_transaction", rd_kafka_begin_transaction(rk)))
            return 1;
        produce_tag(rk, topic, P, tags[k], N);
        if (k == 1) {
            /* make sure B's messages are on the broker before the abort */
            rd_kafka_flush(rk, 10000);
            if (tx_ok("eos.txn.abort", "abort_transaction", rd_kafka_abort_transaction(rk, 30000)))
                return 1;
        } else if (tx_ok("eos.txn.commit", "commit_transaction",
                         rd_kafka_commit_transaction(rk, 30000)))
            return 1;
    }
    itest_pass("eos.txn.commit_abort_calls");
    /* D stays open (flushed, not committed) while we read */
    if (tx_ok("eos.txn.begin", "begin_transaction", rd_kafka_begin_transaction(rk)))
        return 1;
    produce_tag(rk, topic, P, "D", N);
    if (rd_kafka_flush(rk, 10000))
        itest_fail("eos.txn.flush_open", "flush of open transaction D timed out");

    struct scan s;
    const char *t4[] = {"A", "B", "C", "D", NULL};
    int rc_c = scan_topic(bs, topic, P, "read_committed", &s);
    if (rc_c)
        itest_fail("eos.txn.read_committed",
                   "no end of partition within 30 s (LSO not advancing?) after %ld messages",
                   s.total);
    else
        expect_tags("eos.txn.read_committed", &s, t4, (int[]){N, 0, N, 0});
    scan_free(&s);
    if (scan_topic(bs, topic, P, "read_uncommitted", &s))
        itest_fail("eos.txn.read_uncommitted", "no end of partition within 30 s after %ld messages",
                   s.total);
    else
        expect_tags("eos.txn.read_uncommitted", &s, t4, (int[]){N, N, N, N});
    scan_free(&s);

    if (tx_ok("eos.txn.commit_open", "commit_transaction D",
              rd_kafka_commit_transaction(rk, 30000)))
        return 1;
    if (scan_topic(bs, topic, P, "read_committed", &s))
        itest_fail("eos.txn.read_committed_after_commit", "no end of partition within 30 s");
    else
        expect_tags("eos.txn.read_committed_after_commit", &s, t4, (int[]){N, 0, N, N});
    scan_free(&s);
    rd_kafka_destroy(rk);
    return itest_failures ? 1 : 0;
}

/* ---- fence ---- */

static int run_fence(const char *bs, const char *topic)
{
    const int P = 2;
    create_topic(bs, topic, P);
    rd_kafka_t *p1 = txn_producer(bs, "eos-fence"), *p2 = NULL;
    if (tx_ok("eos.fence.init1", "init_transactions p1", rd_kafka_init_transactions(p1, 30000)))
        return 1;
    if (tx_ok("eos.fence.begin1", "begin_transaction p1", rd_kafka_begin_transaction(p1)))
        return 1;
    produce_tag(p1, topic, P, "zombie", TXN_MSGS);
    rd_kafka_flush(p1, 10000);

    p2 = txn_producer(bs, "eos-fence");
    if (tx_ok("eos.fence.init2", "init_transactions p2 (should fence p1)",
              rd_kafka_init_transactions(p2, 30000)))
        return 1;
    itest_pass("eos.fence.init2");

    /* p1 keeps going as a zombie: its next produce/commit must fail fatally as fenced */
    produce_tag(p1, topic, P, "zombie2", TXN_MSGS);
    rd_kafka_error_t *e = rd_kafka_commit_transaction(p1, 30000);
    if (!e) {
        itest_fail("eos.fence.zombie_fenced", "the first producer committed after being fenced");
    } else {
        rd_kafka_resp_err_t code = rd_kafka_error_code(e);
        char fatal[256] = "";
        rd_kafka_resp_err_t fcode = rd_kafka_fatal_error(p1, fatal, sizeof(fatal));
        if (rd_kafka_error_is_fatal(e) &&
            (code == RD_KAFKA_RESP_ERR__FENCED || code == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
             code == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH ||
             fcode == RD_KAFKA_RESP_ERR__FENCED || fcode == RD_KAFKA_RESP_ERR_PRODUCER_FENCED ||
             fcode == RD_KAFKA_RESP_ERR_INVALID_PRODUCER_EPOCH))
            itest_pass("eos.fence.zombie_fenced");
        else
            itest_fail("eos.fence.zombie_fenced",
                       "commit failed with %s (%s), fatal=%d (%s): expected a fatal fencing error",
                       rd_kafka_error_name(e), rd_kafka_error_string(e), rd_kafka_error_is_fatal(e),
                       rd_kafka_err2name(fcode));
        rd_kafka_error_destroy(e);
    }
    if (!tx_ok("eos.fence.new_commits", "begin p2", rd_kafka_begin_transaction(p2))) {
        produce_tag(p2, topic, P, "p2", TXN_MSGS);
        if (!tx_ok("eos.fence.new_commits", "commit p2", rd_kafka_commit_transaction(p2, 30000)))
            itest_pass("eos.fence.new_commits");
    }
    struct scan s;
    if (scan_topic(bs, topic, P, "read_committed", &s))
        itest_fail("eos.fence.read_committed", "no end of partition within 30 s");
    else
        expect_tags("eos.fence.read_committed", &s,
                    (const char *[]){"zombie", "zombie2", "p2", NULL}, (int[]){0, 0, TXN_MSGS});
    scan_free(&s);
    rd_kafka_destroy(p1);
    rd_kafka_destroy(p2);
    return itest_failures ? 1 : 0;
}

/* ---- consume-transform-produce ---- */

static int committed_offsets(rd_kafka_t *c, rd_kafka_topic_partition_list_t *parts, int64_t *out)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_copy(parts);
    rd_kafka_resp_err_t e = rd_kafka_committed(c, l, 10000);
    for (int i = 0; i < l->cnt; i++)
        out[i] = e ? -2 : l->elems[i].offset;
    rd_kafka_topic_partition_list_destroy(l);
    return e ? -1 : 0;
}

static int run_ctp(const char *bs, const char *in, const char *out, const char *group)
{
    const int P = 2, N = 1000;
    create_topic(bs, in, P);
    create_topic(bs, out, P);
    /* input: plain (non-transactional) messages "in<p>:<i>" */
    rd_kafka_t *plain = itest_new(RD_KAFKA_PRODUCER, itest_conf(bs));
    for (int p = 0; p < P; p++) {
        char tag[16];
        snprintf(tag, sizeof(tag), "in%d", p);
        for (int i = 0; i < N / P; i++) {
            char v[32];
            int len = snprintf(v, sizeof(v), "%s:%d", tag, i);
            rd_kafka_producev(plain, RD_KAFKA_V_TOPIC(in), RD_KAFKA_V_PARTITION(p),
                              RD_KAFKA_V_VALUE(v, (size_t)len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
        }
    }
    if (itest_flush(plain, 20000))
        itest_die("input production did not finish");
    rd_kafka_destroy(plain);

    rd_kafka_conf_t *cc = itest_conf(bs);
    itest_set(cc, "group.id", group);
    itest_set(cc, "enable.auto.commit", "false");
    itest_set(cc, "auto.offset.reset", "earliest");
    itest_set(cc, "isolation.level", "read_committed");
    rd_kafka_t *cons = itest_new(RD_KAFKA_CONSUMER, cc);
    rd_kafka_poll_set_consumer(cons);
    rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
    rd_kafka_topic_partition_list_add(sub, in, RD_KAFKA_PARTITION_UA);
    rd_kafka_subscribe(cons, sub);
    rd_kafka_topic_partition_list_destroy(sub);

    rd_kafka_t *prod = txn_producer(bs, "eos-ctp");
    if (tx_ok("eos.ctp.init", "init_transactions", rd_kafka_init_transactions(prod, 30000)))
        return 1;

    rd_kafka_topic_partition_list_t *all = rd_kafka_topic_partition_list_new(P);
    for (int p = 0; p < P; p++)
        rd_kafka_topic_partition_list_add(all, in, p);
    int64_t before[8], after[8], pos[8];
    long consumed = 0, txns = 0, aborts = 0, atomic_bad = 0;
    char first[512] = "";
    int64_t deadline = itest_mono_ms() + 90000;
    int done = 0;
    while (!done && itest_mono_ms() < deadline) {
        /* gather a batch of up to 50 messages */
        rd_kafka_message_t *batch[50];
        int nb = 0;
        int64_t bdl = itest_mono_ms() + 500;
        while (nb < 50 && itest_mono_ms() < bdl) {
            rd_kafka_message_t *m = rd_kafka_consumer_poll(cons, 100);
            if (!m)
                continue;
            if (m->err) {
                if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF)
                    fprintf(stderr, "# ctp consumer: %s\n", rd_kafka_message_errstr(m));
                rd_kafka_message_destroy(m);
                continue;
            }
            batch[nb++] = m;
        }
        if (!nb) {
            /* idle: finished once the committed offsets reach the input's end */
            if (!committed_offsets(cons, all, after)) {
                int64_t sum = 0;
                for (int p = 0; p < P; p++)
                    sum += after[p] > 0 ? after[p] : 0;
                if (sum >= N)
                    done = 1;
            }
            continue;
        }
        committed_offsets(cons, all, before);
        int abort_this = (txns % 3) == 2;
        if (tx_ok("eos.ctp.begin", "begin_transaction", rd_kafka_begin_transaction(prod)))
            return 1;
        for (int i = 0; i < nb; i++) {
            char v[64];
            int len = snprintf(v, sizeof(v), "out-%.*s", (int)batch[i]->len,
                               (const char *)batch[i]->payload);
            /* the tag is "out-in<p>", idx the input index */
            rd_kafka_producev(prod, RD_KAFKA_V_TOPIC(out),
                              RD_KAFKA_V_PARTITION(batch[i]->partition),
                              RD_KAFKA_V_VALUE(v, (size_t)len),
                              RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_END);
            rd_kafka_message_destroy(batch[i]);
        }
        rd_kafka_topic_partition_list_t *positions = rd_kafka_topic_partition_list_copy(all);
        rd_kafka_position(cons, positions);
        for (int p = 0; p < P; p++)
            pos[p] = positions->elems[p].offset;
        rd_kafka_consumer_group_metadata_t *gm = rd_kafka_consumer_group_metadata(cons);
        if (tx_ok("eos.ctp.send_offsets", "send_offsets_to_transaction",
                  rd_kafka_send_offsets_to_transaction(prod, positions, gm, 30000)))
            return 1;
        rd_kafka_consumer_group_metadata_destroy(gm);
        if (abort_this) {
            rd_kafka_flush(prod, 10000);
            if (tx_ok("eos.ctp.abort", "abort_transaction",
                      rd_kafka_abort_transaction(prod, 30000)))
                return 1;
            aborts++;
            /* replay from the committed offsets */
            rd_kafka_topic_partition_list_t *rw = rd_kafka_topic_partition_list_copy(all);
            for (int p = 0; p < P; p++)
                rw->elems[p].offset = before[p] >= 0 ? before[p] : RD_KAFKA_OFFSET_BEGINNING;
            rd_kafka_error_t *se = rd_kafka_seek_partitions(cons, rw, 10000);
            if (se)
                itest_die("seek after abort: %s", rd_kafka_error_string(se));
            rd_kafka_topic_partition_list_destroy(rw);
        } else {
            if (tx_ok("eos.ctp.commit", "commit_transaction",
                      rd_kafka_commit_transaction(prod, 30000)))
                return 1;
            consumed += nb;
        }
        txns++;
        committed_offsets(cons, all, after);
        for (int p = 0; p < P; p++) {
            int64_t want = abort_this ? before[p] : (pos[p] >= 0 ? pos[p] : before[p]);
            if (after[p] != want && !atomic_bad++)
                snprintf(first, sizeof(first),
                         "transaction %ld (%s): committed offset of %s [%d] is %" PRId64
                         ", expected %" PRId64 " (before %" PRId64 ", position %" PRId64 ")",
                         txns, abort_this ? "aborted" : "committed", in, p, after[p], want,
                         before[p], pos[p]);
        }
        rd_kafka_topic_partition_list_destroy(positions);
    }
    if (!done)
        itest_fail("eos.ctp.finished",
                   "did not finish within 90 s: %ld input messages committed in %ld transactions",
                   consumed, txns);
    else
        itest_pass("eos.ctp.finished");
    if (atomic_bad)
        itest_fail("eos.ctp.offsets_atomic", "%ld mismatches; first: %s", atomic_bad, first);
    else if (done)
        itest_pass("eos.ctp.offsets_atomic");
    fprintf(stderr, "# ctp: %ld transactions, %ld aborted, %ld messages committed\n", txns, aborts,
            consumed);
    rd_kafka_consumer_close(cons);
    rd_kafka_destroy(cons);
    rd_kafka_destroy(prod);
    rd_kafka_topic_partition_list_destroy(all);

    struct scan s;
    if (scan_topic(bs, out, P, "read_committed", &s)) {
        itest_fail("eos.ctp.output_exactly_once", "no end of partition within 30 s");
    } else {
        char d[1024];
        describe(&s, d, sizeof(d));
        int ok = s.total == N && !tag_dups(&s) && !s.bad;
        for (int p = 0; p < P; p++) {
            char tag[16];
            snprintf(tag, sizeof(tag), "out-in%d", p);
            ok = ok && tag_count(&s, tag) == N / P;
        }
        if (ok)
            itest_pass("eos.ctp.output_exactly_once");
        else
            itest_fail("eos.ctp.output_exactly_once", "expected %d outputs, one per input: %s", N,
                       d);
    }
    scan_free(&s);
    return itest_failures ? 1 : 0;
}

/* ---- kill -9 of the broker mid-transaction ---- */

static int run_crash_produce(const char *bs, const char *topic, const char *txid, int loop)
{
    const int P = 2;
    create_topic(bs, topic, P);
    rd_kafka_t *rk = txn_producer(bs, txid);
    if (tx_ok("eos.crash.init", "init_transactions", rd_kafka_init_transactions(rk, 30000)))
        return 1;
    for (int k = 0;; k++) {
        char tag[32];
        snprintf(tag, sizeof(tag), "t%d", k);
        if (tx_ok("eos.crash.begin", "begin_transaction", rd_kafka_begin_transaction(rk)))
            return 1;
        produce_tag(rk, topic, P, tag, TXN_MSGS);
        if (!loop && k == 1) {
            rd_kafka_flush(rk, 10000);
            printf("OPEN\n");
            fflush(stdout);
            sleep(120);
            return 0;
        }
        rd_kafka_error_t *e = rd_kafka_commit_transaction(rk, 60000);
        if (e) {
            fprintf(stderr, "# commit t%d: %s\n", k, rd_kafka_error_string(e));
            rd_kafka_error_destroy(e);
            sleep(120);
            return 0;
        }
        printf("COMMITTED %d\n", k);
        fflush(stdout);
    }
}

static int run_crash_verify(const char *bs, const char *topic, const char *txid, int last)
{
    const int P = 2;
    rd_kafka_t *rk = txn_producer(bs, txid);
    int64_t t0 = itest_mono_ms();
    if (tx_ok("eos.crash.reinit", "init_transactions after restart",
              rd_kafka_init_transactions(rk, 60000)))
        return 1;
    fprintf(stderr, "# re-init took %" PRId64 " ms\n", itest_mono_ms() - t0);
    itest_pass("eos.crash.reinit");
    if (tx_ok("eos.crash.continue", "begin", rd_kafka_begin_transaction(rk)))
        return 1;
    produce_tag(rk, topic, P, "final", TXN_MSGS);
    if (tx_ok("eos.crash.continue", "commit", rd_kafka_commit_transaction(rk, 30000)))
        return 1;
    itest_pass("eos.crash.continue");
    rd_kafka_destroy(rk);

    struct scan s;
    if (scan_topic(bs, topic, P, "read_committed", &s)) {
        itest_fail("eos.crash.all_or_nothing",
                   "no end of partition within 30 s (LSO stuck?) after %ld messages", s.total);
        scan_free(&s);
        return 1;
    }
    char d[2048], why[256] = "";
    describe(&s, d, sizeof(d));
    int bad = tag_dups(&s) || s.bad;
    for (int i = 0; i < s.n; i++) {
        struct tagcount *t = &s.t[i];
        int k = t->tag[0] == 't' ? atoi(t->tag + 1) : -1;
        if (!strcmp(t->tag, "final"))
            continue;
        if (t->count != TXN_MSGS && !(k > last && t->count == 0)) {
            bad = 1;
            snprintf(why, sizeof(why), "transaction %s has %d of %d messages", t->tag, t->count,
                     TXN_MSGS);
        }
    }
    for (int k = 0; k <= last; k++) {
        char tag[32];
        snprintf(tag, sizeof(tag), "t%d", k);
        if (tag_count(&s, tag) != TXN_MSGS) {
            bad = 1;
            snprintf(why, sizeof(why), "committed transaction %s has %d of %d messages", tag,
                     tag_count(&s, tag), TXN_MSGS);
        }
    }
    if (tag_count(&s, "final") != TXN_MSGS) {
        bad = 1;
        snprintf(why, sizeof(why), "final transaction has %d of %d messages",
                 tag_count(&s, "final"), TXN_MSGS);
    }
    if (bad)
        itest_fail("eos.crash.all_or_nothing", "%s; %s", why, d);
    else
        itest_pass("eos.crash.all_or_nothing");
    fprintf(stderr, "# read_committed after restart: %s\n", d);
    scan_free(&s);
    return itest_failures ? 1 : 0;
}

int main(int argc, char **argv)
{
    if (argc < 4)
        itest_die(
            "usage: eos_txn basic|fence|ctp|crash-open|crash-loop|crash-verify BOOTSTRAP ...");
    const char *mode = argv[1], *bs = argv[2];
    if (!strcmp(mode, "basic"))
        return run_basic(bs, argv[3]);
    if (!strcmp(mode, "fence"))
        return run_fence(bs, argv[3]);
    if (!strcmp(mode, "ctp") && argc >= 6)
        return run_ctp(bs, argv[3], argv[4], argv[5]);
    if (!strcmp(mode, "crash-open") && argc >= 5)
        return run_crash_produce(bs, argv[3], argv[4], 0);
    if (!strcmp(mode, "crash-loop") && argc >= 5)
        return run_crash_produce(bs, argv[3], argv[4], 1);
    if (!strcmp(mode, "crash-verify") && argc >= 6)
        return run_crash_verify(bs, argv[3], argv[4], atoi(argv[5]));
    itest_die("bad arguments for mode %s", mode);
}
