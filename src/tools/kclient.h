/*
 * kclient.h — what every console tool needs from librdkafka: a configured
 * client handle, a bounded "is the cluster reachable" check, and waiting for
 * an Admin API result.
 *
 * Ownership: bs_kclient_t owns its rd_kafka_t (bs_kclient_destroy closes it).
 * The struct is the handle's opaque, so librdkafka callbacks (error, log,
 * delivery report) reach it; `user` is the tool's own state.
 */
#ifndef BS_TOOLS_KCLIENT_H
#define BS_TOOLS_KCLIENT_H

#include "tools/opts.h"

#include <librdkafka/rdkafka.h>

#define BS_KCLIENT_DEFAULT_TIMEOUT_MS 10000

typedef struct bs_kclient_s {
    rd_kafka_t *rk;
    const char *prog;      /* "basin topics", for messages */
    const char *bootstrap; /* as given */
    int timeout_ms;        /* bound on reaching the cluster and on admin calls */
    char last_err[512];    /* latest librdkafka error / warning text */
    int all_down;          /* librdkafka reported every broker down */
    void *user;
} bs_kclient_t;

/* Creates a handle of `type` for bootstrap with the client properties in
 * props (librdkafka names, passed through) after the tool's own defaults in
 * defaults (may be NULL). `extra` lets a tool set callbacks on the conf
 * before the handle is created (may be NULL). Prints the reason and returns
 * -1 on a bad property or failure. */
int bs_kclient_init(bs_kclient_t *kc, rd_kafka_type_t type, const char *prog, const char *bootstrap,
                    int timeout_ms, const bs_kvlist_t *defaults, const bs_kvlist_t *props,
                    void (*extra)(rd_kafka_conf_t *conf));
void bs_kclient_destroy(bs_kclient_t *kc);

/* Waits (bounded by kc->timeout_ms; shorter when every broker refuses) for
 * cluster metadata: all topics, or only `topic` when non-NULL. On success
 * returns 0 with *md set (caller frees with rd_kafka_metadata_destroy); else
 * prints "cannot reach the Kafka cluster at X ..." and returns -1. */
int bs_kclient_metadata(bs_kclient_t *kc, const char *topic, const struct rd_kafka_metadata **md);

/* Polls q for an admin result of `type` until kc->timeout_ms passes; NULL
 * (with a printed message naming `what`) on timeout or a request-level
 * error. */
rd_kafka_event_t *bs_kclient_admin_wait(bs_kclient_t *kc, rd_kafka_queue_t *q,
                                        rd_kafka_event_type_t type, const char *what);
/* Admin options with request/operation timeouts from kc->timeout_ms. */
rd_kafka_AdminOptions_t *bs_kclient_admin_options(bs_kclient_t *kc, rd_kafka_admin_op_t op);

/* Looks up a topic in md; NULL when absent. */
const rd_kafka_metadata_topic_t *bs_kclient_md_topic(const struct rd_kafka_metadata *md,
                                                     const char *topic);

/* Common options of every Kafka-facing tool, appended to each table. */
#define BS_KCLIENT_OPTS                                                                            \
    {"bootstrap-server", BS_OPT_VALUE, "HOST:PORT", "Kafka cluster to connect to (required)"},     \
        {"command-config", BS_OPT_VALUE, "FILE",                                                   \
         "client properties file (k=v lines, librdkafka names)"},                                  \
        {"timeout-connect-ms", BS_OPT_VALUE, "MS",                                                 \
         "give up reaching the cluster after MS (default 10000)"},                                 \
    {                                                                                              \
        "help", BS_OPT_FLAG, NULL, "print this help"                                               \
    }

/* Reads --command-config FILE ("k=v" lines, '#' comments) into list. */
int bs_kclient_read_config_file(const char *path, bs_kvlist_t *list, char *err, size_t errlen);

/* The common prologue: --bootstrap-server present, --timeout-connect-ms and
 * --command-config parsed. Returns 0 or -1 with err set. */
int bs_kclient_common(const bs_opts_t *o, const char **bootstrap, int *timeout_ms,
                      bs_kvlist_t *props, char *err, size_t errlen);

#endif
