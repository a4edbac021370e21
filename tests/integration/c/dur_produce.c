/*
 * dur_produce — acks=all producer for the durability tests. Message `id`
 * goes to partition id % P with key "id-<id>" and a value derived from the
 * id (itest_value), so a verifier can check any stored message on its own.
 * Every acknowledged message is appended to ACKFILE as "id partition offset"
 * and the file is flushed at once, so the list survives a kill of the broker
 * (and of this program).
 *
 * usage: dur_produce BOOTSTRAP TOPIC PARTITIONS START_ID COUNT ACKFILE [--rate MSGS_PER_S]
 * Stops producing at the first delivery error, waits (bounded) for the
 * rest, and exits 0 if every message was acknowledged, 3 if some failed
 * (expected when the broker is killed), 1 on other errors.
 */
#include "itest.h"

static FILE *ackf;
static long acked, failed;
static char first_err[256];

static void dr_cb(rd_kafka_t *rk, const rd_kafka_message_t *m, void *opaque)
{
    (void)rk, (void)opaque;
    uint64_t id = (uint64_t)(uintptr_t)m->_private;
    if (m->err) {
        if (!failed++)
            snprintf(first_err, sizeof(first_err), "message %" PRIu64 ": %s", id,
                     rd_kafka_err2str(m->err));
        return;
    }
    fprintf(ackf, "%" PRIu64 " %d %" PRId64 "\n", id, (int)m->partition, m->offset);
    fflush(ackf);
    acked++;
}

static size_t dur_value_len(uint64_t id)
{
    return 50 + id % 200;
}

int main(int argc, char **argv)
{
    if (argc < 7)
        itest_die(
            "usage: dur_produce BOOTSTRAP TOPIC PARTITIONS START_ID COUNT ACKFILE [--rate N]");
    const char *bootstrap = argv[1], *topic = argv[2];
    int partitions = atoi(argv[3]);
    uint64_t start = strtoull(argv[4], NULL, 10);
    long count = atol(argv[5]);
    double rate = 0;
    for (int i = 7; i < argc; i++) {
        if (!strcmp(argv[i], "--rate") && i + 1 < argc)
            rate = atof(argv[++i]);
        else
            itest_die("unknown argument %s", argv[i]);
    }
    ackf = fopen(argv[6], "a");
    if (!ackf)
        itest_die("open %s: %s", argv[6], strerror(errno));

    rd_kafka_conf_t *conf = itest_conf(bootstrap);
    itest_set(conf, "acks", "all");
    itest_set(conf, "linger.ms", "2");
    itest_set(conf, "message.timeout.ms", "5000");
    itest_set(conf, "batch.num.messages", "500");
    rd_kafka_conf_set_dr_msg_cb(conf, dr_cb);
    rd_kafka_t *rk = itest_new(RD_KAFKA_PRODUCER, conf);

    int64_t t0 = itest_mono_ms();
    char buf[512];
    long sent = 0;
    for (long i = 0; i < count && !failed; i++) {
        uint64_t id = start + (uint64_t)i;
        char key[32];
        int klen = snprintf(key, sizeof(key), "id-%" PRIu64, id);
        size_t vlen = itest_value(id, buf, dur_value_len(id));
        rd_kafka_resp_err_t err;
        for (;;) {
            err = rd_kafka_producev(rk, RD_KAFKA_V_TOPIC(topic),
                                    RD_KAFKA_V_PARTITION((int32_t)(id % partitions)),
                                    RD_KAFKA_V_MSGFLAGS(RD_KAFKA_MSG_F_COPY),
                                    RD_KAFKA_V_KEY(key, (size_t)klen), RD_KAFKA_V_VALUE(buf, vlen),
                                    RD_KAFKA_V_OPAQUE((void *)(uintptr_t)id), RD_KAFKA_V_END);
            if (err != RD_KAFKA_RESP_ERR__QUEUE_FULL || failed)
                break;
            rd_kafka_poll(rk, 5);
        }
        if (err) {
            if (!failed)
                fprintf(stderr, "dur_produce: produce %" PRIu64 ": %s\n", id,
                        rd_kafka_err2str(err));
            break;
        }
        sent++;
        rd_kafka_poll(rk, 0);
        if (rate > 0) {
            int64_t due = t0 + (int64_t)((double)sent * 1000.0 / rate);
            while (itest_mono_ms() < due && !failed)
                rd_kafka_poll(rk, 1);
        }
    }
    rd_kafka_flush(rk, 15000);
    long pending = rd_kafka_outq_len(rk);
    fprintf(stderr, "dur_produce: sent %ld, acknowledged %ld, failed %ld, pending %ld%s%s\n", sent,
            acked, failed, pending, failed ? "; first error: " : "", first_err);
    rd_kafka_destroy(rk);
    fclose(ackf);
    if (failed || pending)
        return 3;
    return acked == count ? 0 : 1;
}
