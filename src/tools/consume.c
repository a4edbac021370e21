/*
 * consume.c — `basin consume`: kafka-console-consumer. Prints the records of
 * one topic to stdout in Kafka's DefaultMessageFormatter layout (format.c).
 *
 * Two modes: with --group the consumer subscribes as a member of that group
 * and commits its position (auto commit, final commit on close); without it
 * the consumer assigns every partition (or --partition N) itself, starting
 * at --offset / --from-beginning / the end, and commits nothing.
 * The run ends on --max-messages, on --timeout-ms without a new record, on
 * SIGINT/SIGTERM, or on a fatal consumer error (exit 1); it then prints
 * "Processed a total of N messages" to stderr as Kafka's tool does.
 * Output is block-buffered and flushed whenever the consumer is idle.
 * With --avro (kafka-avro-console-consumer) values, and framed keys with
 * print.key, are printed as Avro JSON (bs_avro_console_decode in
 * avro_console.c); a record that does not decode is reported on stderr and
 * skipped.
 */
#include "tools/avro_console.h"
#include "tools/format.h"
#include "tools/kclient.h"
#include "tools/opts.h"
#include "tools/tools.h"

#include <signal.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define PROG "basin consume"

static const bs_opt_spec_t consume_opts[] = {
    {"topic", BS_OPT_VALUE, "TOPIC", "topic to consume (required)"},
    {"group", BS_OPT_VALUE, "GROUP", "consume as a member of GROUP (commits offsets)"},
    {"from-beginning", BS_OPT_FLAG, NULL, "start at the earliest offset when none is committed"},
    {"partition", BS_OPT_VALUE, "N", "consume only partition N (no group)"},
    {"offset", BS_OPT_VALUE, "OFFSET", "earliest, latest or an offset (with --partition)"},
    {"max-messages", BS_OPT_VALUE, "N", "exit after N records"},
    {"timeout-ms", BS_OPT_VALUE, "MS", "exit when no record arrives for MS"},
    {"property", BS_OPT_LIST, "K=V",
     "output format: print.key, print.value, print.timestamp, print.offset, print.partition, "
     "print.headers, key.separator, line.separator, headers.separator, headers.key.separator, "
     "null.literal"},
    {"consumer-property", BS_OPT_LIST, "K=V", "consumer property passed to librdkafka"},
    {"consumer.config", BS_OPT_VALUE, "FILE", "consumer properties file"},
    {"isolation-level", BS_OPT_VALUE, "LEVEL", "read_committed or read_uncommitted (default)"},
    {"avro", BS_OPT_FLAG, NULL,
     "values (and keys with print.key) are schema registry framed Avro, printed as Avro JSON "
     "(--property schema.registry.url=URL, print.schema.ids=true)"},
    BS_KCLIENT_OPTS,
};
#define N_CONSUME_OPTS (sizeof(consume_opts) / sizeof(consume_opts[0]))

static volatile sig_atomic_t g_stop;
static bs_avro_console_t *g_avro; /* --avro */

static void on_signal(int sig)
{
    (void)sig;
    g_stop = 1;
}

static void usage(FILE *out)
{
    fprintf(out, "usage: basin consume --bootstrap-server HOST:PORT --topic TOPIC [options]\n\n"
                 "Prints records to standard output, like kafka-console-consumer.sh.\n\n"
                 "options:\n");
    bs_opts_usage(out, consume_opts, N_CONSUME_OPTS);
}

static long long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (long long)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static int add_prop(bs_kvlist_t *l, const char *k, const char *v, char *err, size_t errlen)
{
    char buf[512];
    const char *vals[1] = {buf};
    snprintf(buf, sizeof(buf), "%s=%s", k, v);
    return bs_kvlist_add(l, vals, 1, "property", err, errlen);
}

static int print_msg(const bs_cons_fmt_t *fmt, const rd_kafka_message_t *m)
{
    bs_field_t hk[BS_FMT_MAX_HEADERS], hv[BS_FMT_MAX_HEADERS];
    bs_cons_rec_t r = {0};
    rd_kafka_timestamp_type_t tt;
    r.timestamp = rd_kafka_message_timestamp(m, &tt);
    r.timestamp_type = tt == RD_KAFKA_TIMESTAMP_LOG_APPEND_TIME ? 2 : 1;
    r.partition = m->partition;
    r.offset = m->offset;
    r.key = (bs_field_t){m->key, m->key_len};
    r.value = (bs_field_t){m->payload, m->len};
    rd_kafka_headers_t *h = NULL;
    if (fmt->print_headers && rd_kafka_message_headers(m, &h) == RD_KAFKA_RESP_ERR_NO_ERROR) {
        const char *name;
        const void *val;
        size_t vlen;
        for (size_t i = 0;
             r.nhdrs < BS_FMT_MAX_HEADERS && rd_kafka_header_get_all(h, i, &name, &val, &vlen) == 0;
             i++) {
            hk[r.nhdrs] = (bs_field_t){name, strlen(name)};
            hv[r.nhdrs] = (bs_field_t){val, vlen};
            r.nhdrs++;
        }
    }
    r.hkey = hk;
    r.hval = hv;
    char aerr[600];
    if (g_avro && bs_avro_console_decode(g_avro, &r, fmt->print_key, aerr, sizeof(aerr)) != 0) {
        fprintf(stderr, PROG ": partition %d offset %lld: %s (record skipped)\n", (int)m->partition,
                (long long)m->offset, aerr);
        return 0;
    }
    return bs_cons_write(fmt, &r, stdout);
}

/* Assign-only mode: every partition (or one) from the chosen start offset. */
static int assign_partitions(bs_kclient_t *kc, const rd_kafka_metadata_topic_t *mt, int partition,
                             int64_t start)
{
    rd_kafka_topic_partition_list_t *l = rd_kafka_topic_partition_list_new(mt->partition_cnt);
    for (int i = 0; i < mt->partition_cnt; i++) {
        if (partition >= 0 && mt->partitions[i].id != partition)
            continue;
        rd_kafka_topic_partition_list_add(l, mt->topic, mt->partitions[i].id)->offset = start;
    }
    rd_kafka_resp_err_t e = rd_kafka_assign(kc->rk, l);
    rd_kafka_topic_partition_list_destroy(l);
    if (e) {
        fprintf(stderr, PROG ": cannot assign partitions of %s: %s\n", mt->topic,
                rd_kafka_err2str(e));
        return -1;
    }
    return 0;
}

int bs_tools_consume_main(int argc, char **argv)
{
    bs_opts_t o;
    bs_kvlist_t props = {0}, fmtprops = {0}, defaults = {0};
    bs_cons_fmt_t fmt = {0};
    bs_kclient_t kc = {0};
    const struct rd_kafka_metadata *md = NULL;
    char err[1024];
    int rc = 2, closed = 0;
    long long processed = 0;
    const char *bootstrap, *topic, *group;
    int timeout_ms;
    long long partition = -1, max_messages = -1, idle_timeout = -1;
    int64_t start = RD_KAFKA_OFFSET_END;

    if (bs_opts_parse(&o, consume_opts, N_CONSUME_OPTS, argc, argv, err, sizeof(err)) != 0)
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
    group = bs_opts_get(&o, "group");
    int n;
    const char **v = bs_opts_list(&o, "property", &n);
    if (bs_kvlist_add(&fmtprops, v, n, "--property", err, sizeof(err)) != 0 ||
        bs_kvlist_check(&fmtprops,
                        bs_opts_has(&o, "avro") ? bs_avro_console_cons_props : bs_cons_fmt_props,
                        "--property", err, sizeof(err)) != 0 ||
        bs_cons_fmt_init(&fmt, &fmtprops, err, sizeof(err)) != 0)
        goto bad;
    if (bs_opts_has(&o, "avro") &&
        !(g_avro = bs_avro_console_new(&fmtprops, 0, 0, topic, err, sizeof(err))))
        goto bad;
    if (bs_opts_get(&o, "partition") &&
        bs_opts_int(bs_opts_get(&o, "partition"), 0, INT32_MAX, &partition, "--partition", err,
                    sizeof(err)) != 0)
        goto bad;
    if (bs_opts_get(&o, "max-messages") &&
        bs_opts_int(bs_opts_get(&o, "max-messages"), 1, INT64_MAX, &max_messages, "--max-messages",
                    err, sizeof(err)) != 0)
        goto bad;
    if (bs_opts_get(&o, "timeout-ms") &&
        bs_opts_int(bs_opts_get(&o, "timeout-ms"), 0, INT32_MAX, &idle_timeout, "--timeout-ms", err,
                    sizeof(err)) != 0)
        goto bad;
    const char *off = bs_opts_get(&o, "offset");
    if (bs_opts_has(&o, "from-beginning"))
        start = RD_KAFKA_OFFSET_BEGINNING;
    if (off) {
        if (partition < 0) {
            snprintf(err, sizeof(err), "--offset needs --partition");
            goto bad;
        }
        if (bs_opts_has(&o, "from-beginning")) {
            snprintf(err, sizeof(err), "--offset and --from-beginning cannot be used together");
            goto bad;
        }
        long long ov;
        if (strcmp(off, "earliest") == 0)
            start = RD_KAFKA_OFFSET_BEGINNING;
        else if (strcmp(off, "latest") == 0)
            start = RD_KAFKA_OFFSET_END;
        else if (bs_opts_int(off, 0, INT64_MAX, &ov, "--offset (earliest, latest or a number)", err,
                             sizeof(err)) != 0)
            goto bad;
        else
            start = ov;
    }
    if (group && partition >= 0) {
        snprintf(err, sizeof(err), "--group and --partition cannot be used together");
        goto bad;
    }
    const char *iso = bs_opts_get(&o, "isolation-level");
    if (iso && strcmp(iso, "read_committed") != 0 && strcmp(iso, "read_uncommitted") != 0) {
        snprintf(err, sizeof(err),
                 "--isolation-level '%s' is not read_committed or read_uncommitted", iso);
        goto bad;
    }
    if (bs_opts_get(&o, "consumer.config") &&
        bs_kclient_read_config_file(bs_opts_get(&o, "consumer.config"), &props, err, sizeof(err)) !=
            0)
        goto bad;
    /* queued.min.messages: with librdkafka's 100000 the fetcher idles once
     * that many records are queued and resumes only on a slow timer, which
     * made reading 1M small records take ~6 s instead of ~1 s (memory stays
     * bounded by queued.max.messages.kbytes). */
    if (add_prop(&defaults, "enable.partition.eof", "false", err, sizeof(err)) ||
        add_prop(&defaults, "queued.min.messages", "1000000", err, sizeof(err)) ||
        add_prop(&defaults, "isolation.level", iso ? iso : "read_uncommitted", err, sizeof(err)) ||
        add_prop(&defaults, "auto.offset.reset",
                 start == RD_KAFKA_OFFSET_BEGINNING ? "earliest" : "latest", err, sizeof(err)) ||
        add_prop(&defaults, "enable.auto.commit", group ? "true" : "false", err, sizeof(err)))
        goto bad;
    /* librdkafka 2.0.2 refuses assign() without a group.id: an assign-only
     * consumer gets a private id that it never joins or commits to. */
    char anon[64];
    snprintf(anon, sizeof(anon), "basin-console-%d", (int)getpid());
    if (add_prop(&defaults, "group.id", group ? group : anon, err, sizeof(err)) ||
        (!group && add_prop(&defaults, "enable.auto.offset.store", "false", err, sizeof(err))))
        goto bad;
    v = bs_opts_list(&o, "consumer-property", &n);
    if (bs_kvlist_add(&props, v, n, "--consumer-property", err, sizeof(err)) != 0)
        goto bad;

    rc = 1;
    if (bs_kclient_init(&kc, RD_KAFKA_CONSUMER, PROG, bootstrap, timeout_ms, &defaults, &props,
                        NULL) != 0)
        goto done;
    if (bs_kclient_metadata(&kc, NULL, &md) != 0)
        goto done;
    const rd_kafka_metadata_topic_t *mt = bs_kclient_md_topic(md, topic);
    if (!mt || mt->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART) {
        fprintf(stderr, PROG ": topic '%s' does not exist on %s\n", topic, bootstrap);
        goto done;
    }
    if (partition >= mt->partition_cnt) {
        fprintf(stderr, PROG ": --partition %lld: topic %s has %d partitions\n", partition, topic,
                mt->partition_cnt);
        goto done;
    }
    rd_kafka_poll_set_consumer(kc.rk);
    if (group) {
        rd_kafka_topic_partition_list_t *sub = rd_kafka_topic_partition_list_new(1);
        rd_kafka_topic_partition_list_add(sub, topic, RD_KAFKA_PARTITION_UA);
        rd_kafka_resp_err_t e = rd_kafka_subscribe(kc.rk, sub);
        rd_kafka_topic_partition_list_destroy(sub);
        if (e) {
            fprintf(stderr, PROG ": cannot subscribe to %s: %s\n", topic, rd_kafka_err2str(e));
            goto done;
        }
    } else if (assign_partitions(&kc, mt, (int)partition, start) != 0) {
        goto done;
    }

    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGINT, &sa, NULL);
    sigaction(SIGTERM, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    rc = 0;
    long long last = now_ms();
    while (!g_stop && (max_messages < 0 || processed < max_messages)) {
        int wait = 100;
        if (idle_timeout >= 0) {
            long long left = last + idle_timeout - now_ms();
            if (left <= 0)
                break;
            if (left < wait)
                wait = (int)left;
        }
        rd_kafka_message_t *m = rd_kafka_consumer_poll(kc.rk, wait);
        if (!m) {
            fflush(stdout);
            continue;
        }
        if (m->err) {
            if (m->err != RD_KAFKA_RESP_ERR__PARTITION_EOF) {
                fprintf(stderr, PROG ": %s\n", rd_kafka_message_errstr(m));
                if (m->err == RD_KAFKA_RESP_ERR__FATAL ||
                    m->err == RD_KAFKA_RESP_ERR_UNKNOWN_TOPIC_OR_PART ||
                    m->err == RD_KAFKA_RESP_ERR_TOPIC_AUTHORIZATION_FAILED ||
                    m->err == RD_KAFKA_RESP_ERR_GROUP_AUTHORIZATION_FAILED) {
                    rc = 1;
                    rd_kafka_message_destroy(m);
                    break;
                }
            }
            rd_kafka_message_destroy(m);
            continue;
        }
        last = now_ms();
        int we = print_msg(&fmt, m);
        rd_kafka_message_destroy(m);
        if (we != 0) {
            fprintf(stderr, PROG ": cannot write to standard output: %m\n");
            rc = 1;
            break;
        }
        processed++;
    }
    if (fflush(stdout) != 0 && rc == 0) {
        fprintf(stderr, PROG ": cannot write to standard output: %m\n");
        rc = 1;
    }
    rd_kafka_resp_err_t ce = rd_kafka_consumer_close(kc.rk);
    closed = 1;
    if (ce && group)
        fprintf(stderr, PROG ": closing the consumer: %s\n", rd_kafka_err2str(ce));
    fprintf(stderr, "Processed a total of %lld messages\n", processed);
    goto done;
bad:
    fprintf(stderr, PROG ": %s (see basin consume --help)\n", err);
    rc = 2;
done:
    (void)closed;
    if (md)
        rd_kafka_metadata_destroy(md);
    bs_kclient_destroy(&kc);
    bs_avro_console_destroy(g_avro);
    g_avro = NULL;
    bs_cons_fmt_free(&fmt);
    bs_kvlist_free(&props);
    bs_kvlist_free(&fmtprops);
    bs_kvlist_free(&defaults);
    bs_opts_free(&o);
    return rc;
}
