/*
 * registry_config.h — settings of `basin registry` (Confluent Schema
 * Registry's property names), loaded from a .properties file and
 * `--override key=value` arguments.
 *
 * The setting table (registry_config.c) is the single source of truth: it
 * drives parsing, validation, the start-up log and docs/registry-config.md.
 * Keys beginning with "kafkastore." that are not in the table are Kafka
 * client settings handed to librdkafka with the prefix removed
 * (kafkastore.security.protocol -> security.protocol).
 *
 * Ownership: bs_reg_config_t owns all its strings; release with
 * bs_reg_config_free(). Load at start-up on the main thread, read-only after.
 */
#ifndef BS_REGISTRY_CONFIG_H
#define BS_REGISTRY_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct bs_reg_config_s {
    /* table members */
    char *listeners;    /* "http://0.0.0.0:8081" */
    char *host_name;    /* advertised host; NULL = gethostname() */
    char *bootstrap;    /* kafkastore.bootstrap.servers */
    char *topic;        /* kafkastore.topic */
    int32_t topic_rf;   /* kafkastore.topic.replication.factor */
    int32_t timeout_ms; /* kafkastore.timeout.ms */
    int32_t init_timeout_ms;
    char *compat_level; /* schema.compatibility.level, upper-cased after load */
    bool leader_eligibility;
    char *group_id; /* schema.registry.group.id */
    bool mode_mutability;
    char *inter_protocol; /* schema.registry.inter.instance.protocol */
    int32_t http_threads;
    int32_t session_timeout_ms; /* leader election group session */
    int32_t max_schema_bytes;

    /* derived by bs_reg_config_load_args */
    char *scheme;      /* "http" */
    char *listen_host; /* "0.0.0.0" */
    int listen_port;   /* 8081 */
    char *self_url;    /* scheme://host.name:port, the identity other instances use */

    /* pass-through librdkafka settings: name/value pairs, prefix removed */
    char **kprops;
    int nkprops;

    /* bookkeeping */
    bool *is_set;
    int ndefs;
} bs_reg_config_t;

void bs_reg_config_init(bs_reg_config_t *c);
void bs_reg_config_free(bs_reg_config_t *c);

/* Sets one key (synonyms such as master.eligibility set their primary).
 * Unknown keys warn and are ignored; kafkastore.* pass-through keys are
 * recorded. Returns 0, or -1 with a message naming the key. */
int bs_reg_config_set(bs_reg_config_t *c, const char *key, const char *value, char *err,
                      size_t errlen);

/* `[file] [--override k=v ...]` as `basin broker` takes them; runs the
 * cross-checks and derives listen host/port/url. */
int bs_reg_config_load_args(bs_reg_config_t *c, int argc, char **argv, char *err, size_t errlen);

void bs_reg_config_log(const bs_reg_config_t *c);
void bs_reg_config_usage(FILE *out);
int bs_reg_config_print_docs(FILE *out);

#endif
