/*
 * eos_idem — librdkafka idempotent producer (enable.idempotence=true), meant
 * to run through faultproxy (dropped connections, delayed responses): every
 * message must end up in the log exactly once and in order.
 *
 * Message i goes to partition i % P and carries "idem-<p>-<seq>-" + filler,
 * where seq counts per partition from 0. After every delivery report is in,
 * a consumer reads every partition from the beginning and checks that the
 * seqs are exactly 0,1,2,... (no duplicate, no gap, no reordering) and that
 * each message sits at the offset its delivery report gave.
 *
 * usage: eos_idem BOOTSTRAP TOPIC [--count N] [--partitions P] [--name NAME]
 *                 [--max-inflight K]
 * Prints PASS/FAIL lines NAME.delivered and NAME.exactly_once_in_order.
 */
#include "itest.h"

struct st {
    int64_t *offset; /* by message index */
    long delivered, errors, fatal;
    char first_err[256];
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct st *st = opaque;
    size_t id = (size_t)(uintptr_t)m->_private;
    if (m->err) {
        if (!st->errors++)
            snprintf(st->first_err, sizeof(st->first_err), "message %zu: %s", id,
                     rd_kafka_err2str(m->err));
        return;
    }
    st->offset[id] = m->offset;
    st->delivered++;
}

static void err_cb(rd_kafka_t *rk, int err, const char *reason, void *opaque)
{
    struct st *st = opaque;
    if (err == RD_KAFKA_RESP_ERR__FATAL) {
        char buf[200];
        rd_kafka_fatal_error(rk, buf, sizeof(buf));
        if (!st->fatal++)
            snprintf(st->first_err, sizeof(st->first_err), "fatal error: %s", buf);
    }
    fprintf(stderr, "# producer error: %s: %s\n", rd_kafka_err2name(err), reason);
}

int main(int argc, char **argv)
{
    if (argc < 3)
        itest_die("usage: eos_idem BOOTSTRAP TOPIC [--count N] [--partitions P] [--name NAME]");
    const char *bootstrap = argv[1], *topic = argv[2], *name = "idem", *inflight = "5";
    long count = 20000;
    int parts = 3;
    for (int i = 3; i + 1 < argc; i += 2) {
        if (!strcmp(argv[i], "--count"))
            count = atol(argv[i + 1]);
        else if (!strcmp(argv[i], "--partitions"))
            parts = atoi(argv[i + 1]);
        else if (!strcmp(argv[i], "--name"))
            name = argv[i + 1];
        else if (!strcmp(argv[i], "--max-inflight"))
            inflight = argv[i + 1];
        else
            itest_die("unknown option %s", argv[i]);
    }
    char n1[128], n2[128], err[512];
    snprintf(n1, sizeof(n1), "%s.delivered", name);
    snprintf(n2, sizeof(n2), "%s.exactly_once_in_order", name);

    struct st st = {0};
    st.offset = calloc((size_t)count, sizeof(int64_t));
    rd_kafka_conf_t *conf = itest_conf(bootstrap);
    itest_set(conf, "enable.idempotence", "true");
    itest_set(conf, "acks", "all");
    itest_set(conf, "linger.ms", "2");
    itest_set(conf, "batch.num.messages", "100"); /* many requests, so many chances to lose one */
    itest_set(conf, "max.in.flight.requests.per.connection", inflight);
    itest_set(conf, "message.timeout.ms", "90000");
    itest_set(conf, "retry.backoff.ms", "50");
    rd_kafka_conf_set_opaque(conf, &st);
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_error_cb(conf, err_cb);
    rd_kafka_t *rk = itest_new(RD_KAFKA_PRODUCER, conf);

    /* The admin request itself may hit a dropped connection: retry. */
    rd_kafka_resp_err_t cerr = RD_KAFKA_RESP_ERR__FAIL;
    for (int a = 0; a < 10 && cerr && cerr != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS; a++)
        cerr = itest_create_topic(rk, topic, parts, NULL, err, sizeof(err));
    if (cerr && cerr != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS)
        itest_die("%s", err);
    if (itest_wait_topic(rk, topic, parts, 30000, err, sizeof(err)))
        itest_die("%s", err);

    long *seq = calloc((size_t)parts, sizeof(long));
    char val[120];
    int64_t t0 = itest_mono_ms();
    for (long i = 0; i < count; i++) {
        int p = (int)(i % parts);
        int n = snprintf(val, sizeof(val), "idem-%d-%ld-", p, seq[p]++);
        itest_value((uint64_t)i, val + n, 100 - (size_t)n);
        for (;;) {
            rd_kafka_resp_err_t e = rd_kafka_producev(
                rk, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(p), RD_KAFKA_V_VALUE(val, 100),
                RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_OPAQUE((void *)(uintptr_t)i),
                RD_KAFKA_V_END);
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
    rd_kafka_flush(rk, 100000);
    fprintf(stderr, "# produced %ld in %" PRId64 " ms\n", count, itest_mono_ms() - t0);
    if (st.delivered == count && !st.errors && !st.fatal)
        itest_pass(n1);
    else
        itest_fail(n1, "%ld of %ld delivered, %ld errors, %s", st.delivered, count, st.errors,
                   st.first_err[0] ? st.first_err : "(no error reported: timed out)");
    rd_kafka_destroy(rk);

    /* Verify: per partition, seq i at position i, at the reported offset. */
    long *next = calloc((size_t)parts, sizeof(long));
    int64_t *expect_off = calloc((size_t)count, sizeof(int64_t));
    /* offsets reported for partition p, in seq order */
    int64_t **poff = calloc((size_t)parts, sizeof(*poff));
    for (int p = 0; p < parts; p++)
        poff[p] = calloc((size_t)(count / parts + 2), sizeof(int64_t));
    for (long i = 0; i < count; i++)
        poff[i % parts][i / parts] = st.offset[i];
    (void)expect_off;
    struct itest_consumer c;
    itest_consumer_start(&c, bootstrap, topic, parts, NULL, NULL);
    long dups = 0, gaps = 0, bad = 0, offmis = 0, got = 0;
    char first[256] = "";
    int eof = 0;
    int64_t deadline = itest_mono_ms() + 60000;
    while (itest_mono_ms() < deadline) {
        rd_kafka_message_t *m = itest_consumer_poll(&c, 500);
        if (!m) {
            if (got >= count && eof)
                break;
            continue;
        }
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            eof = 1;
            long total = 0;
            for (int p = 0; p < parts; p++)
                total += next[p];
            rd_kafka_message_destroy(m);
            if (total >= count)
                break;
            continue;
        }
        if (m->err) {
            fprintf(stderr, "# consume: %s\n", rd_kafka_message_errstr(m));
            rd_kafka_message_destroy(m);
            continue;
        }
        got++;
        int p;
        long s;
        if (m->len < 8 || sscanf((const char *)m->payload, "idem-%d-%ld-", &p, &s) != 2 ||
            p != m->partition) {
            if (!bad++)
                snprintf(first, sizeof(first), "unparsable message at [%d]@%" PRId64, m->partition,
                         m->offset);
        } else if (s < next[p]) {
            if (!dups++)
                snprintf(first, sizeof(first),
                         "duplicate: seq %ld at [%d]@%" PRId64 " after seq %ld", s, p, m->offset,
                         next[p] - 1);
        } else if (s > next[p]) {
            if (!gaps++)
                snprintf(first, sizeof(first), "gap: seq %ld at [%d]@%" PRId64 ", expected %ld", s,
                         p, m->offset, next[p]);
            next[p] = s + 1;
        } else {
            if (poff[p][s] != m->offset && !offmis++)
                snprintf(first, sizeof(first),
                         "seq %ld of [%d] at offset %" PRId64 ", delivery report said %" PRId64, s,
                         p, m->offset, poff[p][s]);
            next[p] = s + 1;
        }
        rd_kafka_message_destroy(m);
    }
    itest_consumer_stop(&c);
    long total = 0;
    for (int p = 0; p < parts; p++)
        total += next[p];
    if (!dups && !gaps && !bad && !offmis && total == count && got == count)
        itest_pass(n2);
    else
        itest_fail(n2,
                   "read %ld messages (highest seqs cover %ld of %ld): %ld duplicates, %ld gaps, "
                   "%ld unparsable, "
                   "%ld offset mismatches; first: %s",
                   got, total, count, dups, gaps, bad, offmis,
                   first[0] ? first : "(missing messages at the end)");
    return itest_failures ? 1 : 0;
}
