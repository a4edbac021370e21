/*
 * rest_config.h — settings of `basin rest` (Confluent REST Proxy's property
 * names), loaded from a kafka-rest.properties file and `--override key=value`
 * arguments.
 *
 * The setting table in rest_config.c is the single source of truth: it
 * drives parsing, validation, the start-up log and docs/rest-config.md.
 * Keys with the prefixes "producer.", "consumer.", "admin." and "client."
 * that are not in the table are Kafka client settings handed to librdkafka
 * with the prefix removed: client.* to every client, producer.* to the
 * producer, consumer.* to every consumer instance, admin.* to the metadata
 * and admin client (Confluent's pass-through rule).
 *
 * Ownership: bs_rest_config_t owns all its strings; release with
 * bs_rest_config_free(). Load at start-up on the main thread, read-only after.
 */
#ifndef BS_REST_CONFIG_H
#define BS_REST_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

/* Pass-through client properties of one prefix (name, value pairs). */
typedef struct bs_rest_kprops_s {
    char **kv; /* 2 * n strings */
    int n;
} bs_rest_kprops_t;

typedef struct bs_rest_config_s {
    /* table members */
    char *listeners;            /* "http://0.0.0.0:8082" */
    char *advertised_listeners; /* NULL = derive from the request's Host */
    char *host_name;            /* host.name: advertised host when set */
    char *id;                   /* instance id (logs) */
    char *bootstrap;            /* bootstrap.servers */
    char *schema_registry_url;
    int32_t consumer_instance_timeout_ms;
    int32_t consumer_request_timeout_ms;
    int64_t consumer_request_max_bytes;
    int32_t consumer_threads;
    int32_t consumer_iterator_timeout_ms;
    int32_t fetch_min_bytes; /* -1 = client default */
    int32_t max_poll_records;
    bool api_v2_enable;
    bool api_v3_enable;
    int32_t http_threads;
    int64_t max_request_bytes;
    int32_t producer_linger_ms;
    int32_t admin_timeout_ms;
    int32_t metadata_max_age_ms;

    /* derived by bs_rest_config_load_args */
    char *listen_host; /* "0.0.0.0" */
    int listen_port;   /* 8082 */
    char *advertised;  /* "http://host:port" or NULL (use the Host header) */

    /* pass-through librdkafka settings, prefix removed */
    bs_rest_kprops_t client, producer, consumer, admin;

    /* bookkeeping */
    bool *is_set;
    int ndefs;
} bs_rest_config_t;

void bs_rest_config_init(bs_rest_config_t *c);
void bs_rest_config_free(bs_rest_config_t *c);

/* Sets one key. Unknown keys warn and are ignored; pass-through keys are
 * recorded. Returns 0, or -1 with a message naming the key. */
int bs_rest_config_set(bs_rest_config_t *c, const char *key, const char *value, char *err,
                       size_t errlen);

/* `[file] [--override k=v ...]`; runs the cross-checks and derives the
 * listen host/port and advertised URL. */
int bs_rest_config_load_args(bs_rest_config_t *c, int argc, char **argv, char *err, size_t errlen);

void bs_rest_config_log(const bs_rest_config_t *c);
void bs_rest_config_usage(FILE *out);
int bs_rest_config_print_docs(FILE *out);

#endif
