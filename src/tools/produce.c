/*
 * produce.c — `basin produce`: kafka-console-producer. Reads stdin line by
 * line (line numbers start at 1), sends each line as one record, and exits
 * after EOF once every record is delivered or has failed.
 *
 * Throughput: records are copied into librdkafka's queue (RD_KAFKA_MSG_F_COPY)
 * and only failed deliveries produce a report (delivery.report.only.error),
 * so the loop is getline + one enqueue per line; a full local queue is
 * drained by polling. Every failure is printed with its reason and makes the
 * exit code 1; bad input lines stop the run (as Kafka's reader does) unless
 * --property ignore.error=true.
 *
 * Avro: with --avro (kafka-avro-console-producer) each parsed line goes
 * through bs_avro_console_encode (avro_console.c) before it is sent: values
 * (and keys with parse.key) are Avro JSON turned into wire-format bytes.
 */
#include "tools/avro_console.h"
#include "tools/format.h"
#include "tools/kclient.h"
#include "tools/opts.h"
#include "tools/tools.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#define PROG                 "basin produce"
#define MAX_PRINTED_FAILURES 20

static const bs_opt_spec_t produce_opts[] = {
    {"topic", BS_OPT_VALUE, "TOPIC", "topic to produce to (required)"},
    {"property", BS_OPT_LIST, "K=V",
     "input format: parse.key, key.separator, parse.headers, headers.delimiter, "
     "headers.separator, headers.key.separator, null.marker, ignore.error"},
    {"producer-property", BS_OPT_LIST, "K=V", "producer property passed to librdkafka"},
    {"producer.config", BS_OPT_VALUE, "FILE", "producer properties file"},
    {"compression-codec", BS_OPT_VALUE, "CODEC", "none, gzip, snappy, lz4 or zstd"},
    {"request-required-acks", BS_OPT_VALUE, "ACKS", "acks: -1/all, 0 or 1 (default all)"},
    {"batch-size", BS_OPT_VALUE, "N", "records per batch (batch.num.messages)"},
    {"partition", BS_OPT_VALUE, "N", "send every record to partition N"},
    {"avro", BS_OPT_FLAG, NULL,
     "lines are Avro JSON sent in the schema registry wire format (--property "
     "schema.registry.url=URL, value.schema=JSON or value.schema.id=N, key.schema with "
     "parse.key=true)"},
    BS_KCLIENT_OPTS,
};
#define N_PRODUCE_OPTS (sizeof(produce_opts) / sizeof(produce_opts[0]))

static void usage(FILE *out)
{
    fprintf(out, "usage: basin produce --bootstrap-server HOST:PORT --topic TOPIC [options] "
                 "< lines\n\n"
                 "Sends each line of standard input as a record, like "
                 "kafka-console-producer.sh.\n\noptions:\n");
    bs_opts_usage(out, produce_opts, N_PRODUCE_OPTS);
}

typedef struct prod_state_s {
    long long failed;
    long long printed;
} prod_state_t;

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk;
    bs_kclient_t *kc = opaque;
    prod_state_t *st = kc->user;
    if (!m->err)
        return;
    st->failed++;
    if (st->printed++ < MAX_PRINTED_FAILURES)
        fprintf(stderr, PROG ": record from line %lld was not delivered: %s (%s)\n",
                (long long)(intptr_t)m->_private, rd_kafka_err2str(m->err),
                rd_kafka_err2name(m->err));
}

static void set_dr(rd_kafka_conf_t *conf)
{
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
}

static int add_prop(bs_kvlist_t *l, const char *k, const char *v, char *err, size_t errlen)
{
    char buf[512];
    const char *vals[1] = {buf};
    snprintf(buf, sizeof(buf), "%s=%s", k, v);
    return bs_kvlist_add(l, vals, 1, "property", err, errlen);
}

/* Enqueues one record, polling while the local queue is full. */
static rd_kafka_resp_err_t send_rec(bs_kclient_t *kc, rd_kafka_topic_t *rkt, int32_t part,
                                    const bs_prod_rec_t *rec, long long lineno)
{
    for (;;) {
        rd_kafka_resp_err_t e;
        if (rec->nhdrs == 0) {
            int r = rd_kafka_produce(rkt, part, RD_KAFKA_MSG_F_COPY, (void *)rec->value.ptr,
                                     rec->value.len, rec->key.ptr, rec->key.len,
                                     (void *)(intptr_t)lineno);
            e = r == 0 ? RD_KAFKA_RESP_ERR_NO_ERROR : rd_kafka_last_error();
        } else {
            rd_kafka_headers_t *h = rd_kafka_headers_new((size_t)rec->nhdrs);
            for (int i = 0; i < rec->nhdrs; i++)
                rd_kafka_header_add(h, rec->hkey[i].ptr, (ssize_t)rec->hkey[i].len,
                                    rec->hval[i].ptr,
                                    rec->hval[i].ptr ? (ssize_t)rec->hval[i].len : 0);
            e = rd_kafka_producev(kc->rk, RD_KAFKA_V_RKT(rkt), RD_KAFKA_V_PARTITION(part),
                                  RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                  RD_KAFKA_V_VALUE((void *)rec->value.ptr, rec->value.len),
                                  RD_KAFKA_V_KEY(rec->key.ptr, rec->key.len), RD_KAFKA_V_HEADERS(h),
                                  RD_KAFKA_V_OPAQUE((void *)(intptr_t)lineno), RD_KAFKA_V_END);
            if (e)
                rd_kafka_headers_destroy(h);
        }
        if (e != RD_KAFKA_RESP_ERR__QUEUE_FULL)
            return e;
        rd_kafka_poll(kc->rk, 50);
    }
}

int bs_tools_produce_main(int argc, char **argv)
{
    bs_opts_t o;
    bs_kvlist_t props = {0}, fmtprops = {0}, defaults = {0};
    bs_prod_fmt_t fmt = {0};
    bs_kclient_t kc = {0};
    prod_state_t st = {0};
    bs_avro_console_t *avro = NULL;
    rd_kafka_topic_t *rkt = NULL;
    const struct rd_kafka_metadata *md = NULL;
    char err[1024];
    char *line = NULL;
    size_t cap = 0;
    int rc = 2;
    const char *bootstrap, *topic;
    int timeout_ms;
    long long partition = RD_KAFKA_PARTITION_UA;

    if (bs_opts_parse(&o, produce_opts, N_PRODUCE_OPTS, argc, argv, err, sizeof(err)) != 0)
        goto bad;
    if (bs_opts_has(&o, "help")) {
        usage(stdout);
        rc = 0;
        goto done;
    }
    if (bs_kclient_common(&o, &bootstrap, &timeout_ms, &props, err, sizeof(err)) != 0)
        goto bad;
    topic = bs_opts_get(&o, "topic");
    if (!topic || !*topic) {
        snprintf(err, sizeof(err), "missing required option --topic TOPIC");
        goto bad;
    }
    int n;
    const char **v = bs_opts_list(&o, "property", &n);
    if (bs_kvlist_add(&fmtprops, v, n, "--property", err, sizeof(err)) != 0 ||
        bs_kvlist_check(&fmtprops,
                        bs_opts_has(&o, "avro") ? bs_avro_console_prod_props : bs_prod_fmt_props,
                        "--property", err, sizeof(err)) != 0 ||
        bs_prod_fmt_init(&fmt, &fmtprops, err, sizeof(err)) != 0)
        goto bad;
    if (bs_opts_has(&o, "avro") &&
        !(avro = bs_avro_console_new(&fmtprops, 1, fmt.parse_key, topic, err, sizeof(err))))
        goto bad;
    if (bs_opts_get(&o, "producer.config") &&
        bs_kclient_read_config_file(bs_opts_get(&o, "producer.config"), &props, err, sizeof(err)) !=
            0)
        goto bad;
    /* Defaults chosen for throughput and a bounded run; all overridable. */
    if (add_prop(&defaults, "delivery.report.only.error", "true", err, sizeof(err)) ||
        add_prop(&defaults, "queue.buffering.max.messages", "1000000", err, sizeof(err)) ||
        add_prop(&defaults, "message.timeout.ms", "30000", err, sizeof(err)))
        goto bad;
    const char *codec = bs_opts_get(&o, "compression-codec");
    if (codec) {
        static const char *const codecs[] = {"none", "gzip", "snappy", "lz4", "zstd"};
        int ok = 0;
        for (int i = 0; i < 5; i++)
            ok |= strcmp(codec, codecs[i]) == 0;
        if (!ok) {
            snprintf(err, sizeof(err),
                     "--compression-codec '%s' is not one of none, gzip, snappy, lz4, zstd", codec);
            goto bad;
        }
        if (add_prop(&props, "compression.type", codec, err, sizeof(err)))
            goto bad;
    }
    const char *acks = bs_opts_get(&o, "request-required-acks");
    if (acks) {
        if (strcmp(acks, "all") && strcmp(acks, "-1") && strcmp(acks, "0") && strcmp(acks, "1")) {
            snprintf(err, sizeof(err), "--request-required-acks '%s' is not one of all, -1, 0, 1",
                     acks);
            goto bad;
        }
        if (add_prop(&props, "acks", acks, err, sizeof(err)))
            goto bad;
    }
    const char *bs = bs_opts_get(&o, "batch-size");
    if (bs) {
        long long b;
        if (bs_opts_int(bs, 1, 1000000, &b, "--batch-size", err, sizeof(err)) ||
            add_prop(&props, "batch.num.messages", bs, err, sizeof(err)))
            goto bad;
    }
    if (bs_opts_get(&o, "partition") &&
        bs_opts_int(bs_opts_get(&o, "partition"), 0, INT32_MAX, &partition, "--partition", err,
                    sizeof(err)) != 0)
        goto bad;
    v = bs_opts_list(&o, "producer-property", &n);
    if (bs_kvlist_add(&props, v, n, "--producer-property", err, sizeof(err)) != 0)
        goto bad;

    rc = 1;
    if (bs_kclient_init(&kc, RD_KAFKA_PRODUCER, PROG, bootstrap, timeout_ms, &defaults, &props,
                        set_dr) != 0)
        goto done;
    kc.user = &st;
    if (bs_kclient_metadata(&kc, NULL, &md) != 0)
        goto done;
    const rd_kafka_metadata_topic_t *mt = bs_kclient_md_topic(md, topic);
    if (partition >= 0 && mt && partition >= mt->partition_cnt) {
        fprintf(stderr, PROG ": --partition %lld: topic %s has %d partitions\n", partition, topic,
                mt->partition_cnt);
        goto done;
    }
    rkt = rd_kafka_topic_new(kc.rk, topic, NULL);

    static char inbuf[1 << 20];
    setvbuf(stdin, inbuf, _IOFBF, sizeof(inbuf));
    ssize_t len;
    long long lineno = 0, sent = 0;
    int input_error = 0;
    while ((len = getline(&line, &cap, stdin)) >= 0) {
        lineno++;
        if (len > 0 && line[len - 1] == '\n')
            len--;
        if (len > 0 && line[len - 1] == '\r')
            len--;
        bs_prod_rec_t rec;
        if (bs_prod_parse_line(&fmt, line, (size_t)len, &rec, err, sizeof(err)) != 0) {
            fprintf(stderr, PROG ": line %lld: %s\n", lineno, err);
            input_error = 1;
            break;
        }
        if (avro && bs_avro_console_encode(avro, &rec, err, sizeof(err)) != 0) {
            fprintf(stderr, PROG ": line %lld: %s\n", lineno, err);
            input_error = 1;
            break;
        }
        rd_kafka_resp_err_t e = send_rec(&kc, rkt, (int32_t)partition, &rec, lineno);
        if (e) {
            fprintf(stderr, PROG ": line %lld: cannot send: %s\n", lineno, rd_kafka_err2str(e));
            input_error = 1;
            break;
        }
        sent++;
        if ((sent & 1023) == 0)
            rd_kafka_poll(kc.rk, 0);
    }
    if (ferror(stdin)) {
        fprintf(stderr, PROG ": reading standard input: %m\n");
        input_error = 1;
    }
    /* Wait for the queue to drain; message.timeout.ms bounds each record. */
    rd_kafka_resp_err_t fe = rd_kafka_flush(kc.rk, 600000);
    if (fe) {
        fprintf(stderr, PROG ": %d records still undelivered: %s\n", rd_kafka_outq_len(kc.rk),
                rd_kafka_err2str(fe));
        input_error = 1;
    }
    rd_kafka_poll(kc.rk, 0);
    if (st.failed > 0)
        fprintf(stderr, PROG ": %lld of %lld records were not delivered\n", st.failed, sent);
    rc = st.failed > 0 || input_error ? 1 : 0;
    goto done;
bad:
    fprintf(stderr, PROG ": %s (see basin produce --help)\n", err);
    rc = 2;
done:
    free(line);
    if (md)
        rd_kafka_metadata_destroy(md);
    if (rkt)
        rd_kafka_topic_destroy(rkt);
    bs_kclient_destroy(&kc);
    bs_avro_console_destroy(avro);
    bs_prod_fmt_free(&fmt);
    bs_kvlist_free(&props);
    bs_kvlist_free(&fmtprops);
    bs_kvlist_free(&defaults);
    bs_opts_free(&o);
    return rc;
}
