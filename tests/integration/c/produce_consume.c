/*
 * produce_consume — librdkafka round trip: produce messages with keys (also
 * null and empty), null and empty values, headers (also null-valued) and
 * explicit timestamps to several partitions with a given codec and acks
 * setting, then consume everything back from the beginning and check every
 * message's partition, offset, order, key, value, headers and timestamp.
 *
 * usage: produce_consume BOOTSTRAP TOPIC [--partitions P] [--codec C]
 *                        [--acks A] [--count N] [--no-create] [--name NAME]
 * Prints one PASS/FAIL line named NAME (default derived from the options).
 */
#include "itest.h"

struct dr_state {
    int64_t *offset;
    int32_t *partition;
    int delivered, errors;
    char first_err[256];
};

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    struct dr_state *st = opaque;
    size_t id = (size_t)(uintptr_t)m->_private;
    if (m->err) {
        if (!st->errors++)
            snprintf(st->first_err, sizeof(st->first_err), "message %zu: %s", id,
                     rd_kafka_err2str(m->err));
        return;
    }
    st->offset[id] = m->offset;
    st->partition[id] = m->partition;
    st->delivered++;
}

/* What message `id` carries; the consumer recomputes it to verify. */
struct expect {
    const char *key;
    size_t key_len;
    char keybuf[64];
    const char *val;
    size_t val_len;
    char valbuf[600];
    int hdr_kind; /* 0: h1=hv-<id>, nullh=NULL, empty=""; 1: id=<id>; 2: none */
};

static void expect_for(size_t id, struct expect *e)
{
    if (id % 7 == 3) {
        e->key = NULL;
        e->key_len = 0;
    } else if (id % 11 == 5) {
        e->key = "";
        e->key_len = 0;
    } else {
        e->key_len = (size_t)snprintf(e->keybuf, sizeof(e->keybuf), "key-%zu", id);
        e->key = e->keybuf;
    }
    if (id % 5 == 2) {
        e->val = NULL;
        e->val_len = 0;
    } else if (id % 13 == 6) {
        e->val = "";
        e->val_len = 0;
    } else {
        e->val_len = itest_value(id, e->valbuf, 20 + (id * 37) % 500);
        e->val = e->valbuf;
    }
    e->hdr_kind = (int)(id % 3);
}

static rd_kafka_headers_t *headers_for(size_t id, int kind)
{
    char v[64];
    if (kind == 2)
        return NULL;
    rd_kafka_headers_t *h = rd_kafka_headers_new(3);
    if (kind == 0) {
        snprintf(v, sizeof(v), "hv-%zu", id);
        rd_kafka_header_add(h, "h1", -1, v, -1);
        rd_kafka_header_add(h, "nullh", -1, NULL, 0);
        rd_kafka_header_add(h, "empty", -1, "", 0);
    } else {
        snprintf(v, sizeof(v), "%zu", id);
        rd_kafka_header_add(h, "id", -1, v, -1);
    }
    return h;
}

static int bytes_eq(const void *a, size_t alen, const void *b, size_t blen, int a_null, int b_null)
{
    if (a_null || b_null)
        return a_null == b_null;
    return alen == blen && (alen == 0 || memcmp(a, b, alen) == 0);
}

/* Returns NULL if the message's headers match, otherwise a description. */
static const char *check_headers(rd_kafka_message_t *m, size_t id, int kind, char *why,
                                 size_t whysize)
{
    rd_kafka_headers_t *h = NULL;
    rd_kafka_resp_err_t err = rd_kafka_message_headers(m, &h);
    if (kind == 2) {
        if (err == RD_KAFKA_RESP_ERR_NO_ERROR && rd_kafka_header_cnt(h) != 0) {
            snprintf(why, whysize, "expected no headers, got %zu", rd_kafka_header_cnt(h));
            return why;
        }
        return NULL;
    }
    if (err) {
        snprintf(why, whysize, "expected headers, got none (%s)", rd_kafka_err2name(err));
        return why;
    }
    struct {
        const char *name;
        const char *val;
    } want[3];
    char v[64];
    size_t n;
    if (kind == 0) {
        snprintf(v, sizeof(v), "hv-%zu", id);
        want[0].name = "h1", want[0].val = v;
        want[1].name = "nullh", want[1].val = NULL;
        want[2].name = "empty", want[2].val = "";
        n = 3;
    } else {
        snprintf(v, sizeof(v), "%zu", id);
        want[0].name = "id", want[0].val = v;
        n = 1;
    }
    if (rd_kafka_header_cnt(h) != n) {
        snprintf(why, whysize, "expected %zu headers, got %zu", n, rd_kafka_header_cnt(h));
        return why;
    }
    for (size_t i = 0; i < n; i++) {
        const char *name;
        const void *val;
        size_t size;
        if (rd_kafka_header_get_all(h, i, &name, &val, &size)) {
            snprintf(why, whysize, "header %zu missing", i);
            return why;
        }
        int want_null = want[i].val == NULL;
        size_t want_len = want_null ? 0 : strlen(want[i].val);
        if (strcmp(name, want[i].name) ||
            !bytes_eq(val, size, want[i].val, want_len, val == NULL, want_null)) {
            snprintf(why, whysize, "header %zu is %s=%.*s%s, expected %s=%s", i, name,
                     val ? (int)size : 4, val ? (const char *)val : "NULL", "", want[i].name,
                     want_null ? "NULL" : want[i].val);
            return why;
        }
    }
    return NULL;
}

int main(int argc, char **argv)
{
    if (argc < 3)
        itest_die("usage: produce_consume BOOTSTRAP TOPIC [--partitions P] [--codec C] [--acks A] "
                  "[--count N] [--no-create] [--name NAME]");
    const char *bootstrap = argv[1], *topic = argv[2];
    int partitions = 3, count = 3000, create = 1;
    const char *codec = "none", *acks = "all";
    char name[256] = "";
    for (int i = 3; i < argc; i++) {
        if (!strcmp(argv[i], "--partitions") && i + 1 < argc)
            partitions = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--codec") && i + 1 < argc)
            codec = argv[++i];
        else if (!strcmp(argv[i], "--acks") && i + 1 < argc)
            acks = argv[++i];
        else if (!strcmp(argv[i], "--count") && i + 1 < argc)
            count = atoi(argv[++i]);
        else if (!strcmp(argv[i], "--no-create"))
            create = 0;
        else if (!strcmp(argv[i], "--name") && i + 1 < argc)
            snprintf(name, sizeof(name), "%s", argv[++i]);
        else
            itest_die("unknown argument %s", argv[i]);
    }
    if (!name[0])
        snprintf(name, sizeof(name), "rdkafka.produce_consume.%s.acks%s.p%d", codec, acks,
                 partitions);
    int acks0 = !strcmp(acks, "0");
    char why[512];

    /* ---- produce ---- */
    struct dr_state st = {0};
    st.offset = calloc((size_t)count, sizeof(int64_t));
    st.partition = calloc((size_t)count, sizeof(int32_t));
    rd_kafka_conf_t *conf = itest_conf(bootstrap);
    itest_set(conf, "compression.codec", codec);
    itest_set(conf, "acks", acks);
    itest_set(conf, "linger.ms", "5");
    itest_set(conf, "message.timeout.ms", "20000");
    /* Several small batches per partition so codecs see multi-batch logs. */
    itest_set(conf, "batch.num.messages", "200");
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_conf_set_opaque(conf, &st);
    rd_kafka_t *prod = itest_new(RD_KAFKA_PRODUCER, conf);

    if (create) {
        rd_kafka_resp_err_t err =
            itest_create_topic(prod, topic, partitions, NULL, why, sizeof(why));
        if (err && err != RD_KAFKA_RESP_ERR_TOPIC_ALREADY_EXISTS) {
            itest_fail(name, "%s", why);
            return 1;
        }
    }
    if (itest_wait_topic(prod, topic, partitions, 15000, why, sizeof(why))) {
        itest_fail(name, "%s", why);
        return 1;
    }

    int64_t base_ts = itest_now_ms() - 100000;
    for (int i = 0; i < count; i++) {
        struct expect e;
        expect_for((size_t)i, &e);
        rd_kafka_headers_t *h = headers_for((size_t)i, e.hdr_kind);
        rd_kafka_resp_err_t err;
        for (;;) {
            /* The RD_KAFKA_V_* macros expand to comma lists: no ?: here. */
            if (h)
                err = rd_kafka_producev(
                    prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % partitions),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(e.key, e.key_len),
                    RD_KAFKA_V_VALUE((void *)e.val, e.val_len), RD_KAFKA_V_TIMESTAMP(base_ts + i),
                    RD_KAFKA_V_OPAQUE((void *)(uintptr_t)i), RD_KAFKA_V_HEADERS(h), RD_KAFKA_V_END);
            else
                err = rd_kafka_producev(
                    prod, RD_KAFKA_V_TOPIC(topic), RD_KAFKA_V_PARTITION(i % partitions),
                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY), RD_KAFKA_V_KEY(e.key, e.key_len),
                    RD_KAFKA_V_VALUE((void *)e.val, e.val_len), RD_KAFKA_V_TIMESTAMP(base_ts + i),
                    RD_KAFKA_V_OPAQUE((void *)(uintptr_t)i), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL)
                break;
            rd_kafka_poll(prod, 10);
        }
        if (err) {
            itest_fail(name, "produce message %d: %s", i, rd_kafka_err2str(err));
            return 1;
        }
        rd_kafka_poll(prod, 0);
    }
    if (itest_flush(prod, 30000)) {
        itest_fail(name, "flush: %d messages still undelivered after 30 s",
                   rd_kafka_outq_len(prod));
        return 1;
    }
    if (st.errors) {
        itest_fail(name, "%d delivery errors, first: %s", st.errors, st.first_err);
        return 1;
    }
    if (st.delivered != count) {
        itest_fail(name, "%d of %d messages delivered", st.delivered, count);
        return 1;
    }
    for (int i = 0; i < count; i++) {
        if (st.partition[i] != i % partitions) {
            itest_fail(name, "message %d delivered to partition %d, expected %d", i,
                       st.partition[i], i % partitions);
            return 1;
        }
        int64_t want = i / partitions;
        if (!acks0 && st.offset[i] != want) {
            itest_fail(name, "message %d acknowledged at offset %" PRId64 ", expected %" PRId64, i,
                       st.offset[i], want);
            return 1;
        }
    }
    rd_kafka_destroy(prod);

    /* ---- consume ---- */
    struct itest_consumer cons;
    itest_consumer_start(&cons, bootstrap, topic, partitions, NULL, NULL);
    int64_t *next = calloc((size_t)partitions, sizeof(int64_t));
    int64_t *expected_n = calloc((size_t)partitions, sizeof(int64_t));
    int *at_end = calloc((size_t)partitions, sizeof(int));
    for (int i = 0; i < count; i++)
        expected_n[i % partitions]++;
    int received = 0, ends = 0, ok = 1;
    int64_t deadline = itest_mono_ms() + 30000;
    while (ok && ends < partitions && itest_mono_ms() < deadline) {
        rd_kafka_message_t *m = itest_consumer_poll(&cons, 200);
        if (!m)
            continue;
        if (m->err == RD_KAFKA_RESP_ERR__PARTITION_EOF) {
            if (m->partition >= 0 && m->partition < partitions && !at_end[m->partition] &&
                next[m->partition] == expected_n[m->partition]) {
                at_end[m->partition] = 1;
                ends++;
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        if (m->err) {
            itest_fail(name, "consume error: %s", rd_kafka_message_errstr(m));
            ok = 0;
            rd_kafka_message_destroy(m);
            break;
        }
        int p = m->partition;
        if (p < 0 || p >= partitions) {
            itest_fail(name, "message from unexpected partition %d", p);
            ok = 0;
        } else if (m->offset != next[p]) {
            itest_fail(name,
                       "partition %d: got offset %" PRId64 ", expected %" PRId64
                       " (offsets must be "
                       "contiguous from 0)",
                       p, m->offset, next[p]);
            ok = 0;
        } else if (next[p] >= expected_n[p]) {
            itest_fail(name, "partition %d: unexpected extra message at offset %" PRId64, p,
                       m->offset);
            ok = 0;
        } else {
            size_t id = (size_t)(p + next[p] * partitions);
            struct expect e;
            expect_for(id, &e);
            rd_kafka_timestamp_type_t tstype;
            int64_t ts = rd_kafka_message_timestamp(m, &tstype);
            const char *herr;
            if (!bytes_eq(m->key, m->key_len, e.key, e.key_len, m->key == NULL, e.key == NULL)) {
                itest_fail(name,
                           "partition %d offset %" PRId64 " (message %zu): key %s%.*s, expected %s",
                           p, m->offset, id, m->key ? "" : "NULL", m->key ? (int)m->key_len : 0,
                           m->key ? (const char *)m->key : "", e.key ? e.key : "NULL");
                ok = 0;
            } else if (!bytes_eq(m->payload, m->len, e.val, e.val_len, m->payload == NULL,
                                 e.val == NULL)) {
                itest_fail(name,
                           "partition %d offset %" PRId64
                           " (message %zu): value differs (%s, %zu bytes; "
                           "expected %s, %zu bytes)",
                           p, m->offset, id, m->payload ? "set" : "NULL", m->len,
                           e.val ? "set" : "NULL", e.val_len);
                ok = 0;
            } else if ((herr = check_headers(m, id, e.hdr_kind, why, sizeof(why))) != NULL) {
                itest_fail(name, "partition %d offset %" PRId64 " (message %zu): %s", p, m->offset,
                           id, herr);
                ok = 0;
            } else if (tstype != RD_KAFKA_TIMESTAMP_CREATE_TIME || ts != base_ts + (int64_t)id) {
                itest_fail(name,
                           "partition %d offset %" PRId64 " (message %zu): timestamp %" PRId64
                           " type %d, expected CreateTime %" PRId64,
                           p, m->offset, id, ts, (int)tstype, base_ts + (int64_t)id);
                ok = 0;
            }
            next[p]++;
            received++;
        }
        rd_kafka_message_destroy(m);
    }
    if (ok && ends < partitions) {
        for (int p = 0; p < partitions; p++)
            if (!at_end[p]) {
                itest_fail(name,
                           "partition %d: consumed %" PRId64 " of %" PRId64 " messages within 30 s",
                           p, next[p], expected_n[p]);
                break;
            }
        ok = 0;
    }
    itest_consumer_stop(&cons);
    if (ok && received == count)
        itest_pass(name);
    else if (ok)
        itest_fail(name, "received %d of %d messages", received, count);
    return itest_failures ? 1 : 0;
}
