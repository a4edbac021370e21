/*
 * broker_config.h — the broker's settings: Kafka's names and defaults, read
 * from `basin broker [server.properties] [--override key=value ...]`.
 *
 * One table in broker_config.c defines every setting (name, type, default,
 * valid values, importance, update mode, doc, synonyms); parsing,
 * validation, logging, DescribeConfigs and docs/broker-config.md all come
 * from it.
 *
 * Synonyms: a family like log.retention.ms > log.retention.minutes >
 * log.retention.hours resolves to one effective member (log_retention_ms):
 * the highest-precedence key that was set explicitly wins, regardless of the
 * order in which keys were set; when none is set, the first non-null
 * default in the family applies (Kafka's rule).
 *
 * Ownership: bs_broker_config_t owns all its strings and arrays; release
 * with bs_broker_config_free(). Not thread-safe: load at startup on the main
 * thread, then treat as read-only.
 */
#ifndef BS_BROKER_CONFIG_H
#define BS_BROKER_CONFIG_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "base/config.h"

typedef struct bs_listener_s {
    char *name; /* "PLAINTEXT" (upper-cased) */
    char *host; /* "" = all interfaces; IPv6 without brackets */
    int port;
} bs_listener_t;

typedef struct bs_broker_config_s {
    /* --- network --- */
    char *listeners;              /* raw, default "PLAINTEXT://:9092" */
    char *advertised_listeners;   /* raw, NULL if unset */
    bs_listener_t *listener_list; /* parsed listeners (set by load_args) */
    int listener_count;
    bs_listener_t *advertised_list; /* parsed advertised.listeners, or NULL */
    int advertised_count;
    int32_t num_network_threads; /* event-loop threads: Basin uses 1 */
    int32_t num_io_threads;      /* background fsync / delete workers */
    int32_t socket_request_max_bytes;
    int32_t socket_send_buffer_bytes;    /* -1 = OS default */
    int32_t socket_receive_buffer_bytes; /* -1 = OS default */
    int32_t queued_max_requests;
    int64_t connections_max_idle_ms;
    int32_t max_connections;

    /* --- identity --- */
    int32_t node_id;  /* node.id / broker.id; 0 when neither is set */
    char *cluster_id; /* NULL = generate and store in meta.properties */

    /* --- log --- */
    char *log_dirs_raw; /* effective log.dirs / log.dir string */
    char **log_dirs;    /* split log_dirs_raw */
    int log_dirs_count;
    int32_t num_partitions;
    int16_t default_replication_factor; /* only 1 is valid */
    bool auto_create_topics_enable;
    bool delete_topic_enable;
    int64_t log_segment_bytes; /* int in Kafka; widened here */
    int64_t log_roll_ms;       /* log.roll.ms > log.roll.hours */
    int64_t log_roll_jitter_ms;
    int64_t log_retention_ms;    /* -1 unlimited; ms > minutes > hours */
    int64_t log_retention_bytes; /* -1 unlimited */
    int64_t log_retention_check_interval_ms;
    int64_t log_flush_interval_messages;
    int64_t log_flush_interval_ms; /* > log.flush.scheduler.interval.ms */
    int64_t log_flush_scheduler_interval_ms;
    int64_t log_flush_offset_checkpoint_interval_ms;
    int64_t log_segment_delete_delay_ms;
    int32_t log_index_interval_bytes;
    int32_t log_index_size_max_bytes;
    int32_t message_max_bytes;
    bool log_message_timestamp_type_log_append; /* log.message.timestamp.type */
    char *log_message_timestamp_type;           /* "CreateTime" | "LogAppendTime" */
    int64_t log_message_timestamp_difference_max_ms;
    bool log_preallocate;
    bool log_flush_on_ack;    /* Basin: ack produce only after fsync */
    char *log_cleanup_policy; /* raw list: "delete", "compact", "compact,delete" */
    int32_t min_insync_replicas;
    char *compression_type; /* producer|uncompressed|gzip|snappy|lz4|zstd */
    bool unclean_leader_election_enable;

    /* --- log cleaner --- */
    bool log_cleaner_enable;
    int64_t log_cleaner_delete_retention_ms;
    double log_cleaner_min_cleanable_ratio;
    int64_t log_cleaner_min_compaction_lag_ms;
    int64_t log_cleaner_max_compaction_lag_ms;
    int32_t log_cleaner_threads;
    int64_t log_cleaner_backoff_ms;

    /* --- groups and committed offsets --- */
    int32_t offsets_topic_num_partitions;
    int16_t offsets_topic_replication_factor;
    int32_t offsets_topic_segment_bytes;
    int32_t offsets_retention_minutes;
    int64_t offsets_retention_check_interval_ms;
    int32_t offsets_commit_timeout_ms;
    int32_t offset_metadata_max_bytes;
    int32_t group_initial_rebalance_delay_ms;
    int32_t group_min_session_timeout_ms;
    int32_t group_max_session_timeout_ms;
    int32_t group_max_size;

    /* --- transactions and idempotence --- */
    int32_t transactional_id_expiration_ms;
    int32_t transaction_max_timeout_ms;
    int32_t transaction_state_log_num_partitions;
    int16_t transaction_state_log_replication_factor;
    int32_t transaction_state_log_min_isr;
    int32_t transaction_state_log_segment_bytes;
    int32_t producer_id_expiration_ms;

    /* --- bookkeeping (private to broker_config.c) --- */
    char **raw;   /* per table entry: explicitly set value, or NULL */
    bool *is_set; /* per table entry: set by file or --override */
    int ndefs;
} bs_broker_config_t;

/* Defaults (Kafka's, except: node.id 0, log.dir ./data). Allocates the
 * bookkeeping arrays; pair with bs_broker_config_free(). */
void bs_broker_config_init(bs_broker_config_t *c);

/* Sets one key from a string. Unknown key: logs a WARN naming the key and
 * returns 0. Invalid value: returns -1 with a message naming the key, the
 * value and what is allowed. The effective member (after synonyms) is
 * updated immediately. */
int bs_broker_config_set(bs_broker_config_t *c, const char *key, const char *value, char *err,
                         size_t errlen);

/* argv after "broker": [server.properties] [--override key=value]...
 * (also --override=key=value). The file is applied first, then every
 * override in order; then cross-checks (listeners parse,
 * default.replication.factor == 1, node.id == broker.id when both set, ...).
 * --print-config-docs, --help and -h are skipped (main handles them).
 * Returns 0 or -1 with err set. */
int bs_broker_config_load_args(bs_broker_config_t *c, int argc, char **argv, char *err,
                               size_t errlen);

/* Logs every effective setting at INFO (component "config"), one per line,
 * sorted by name; passwords are shown as [hidden]. */
void bs_broker_config_log(const bs_broker_config_t *c);

void bs_broker_config_free(bs_broker_config_t *c);

/* Markdown reference of broker and topic settings. Returns 0 or -1 on a
 * write error. */
int bs_broker_config_print_docs(FILE *out);

/* Usage text of `basin broker`. */
void bs_broker_config_usage(FILE *out);

/* DescribeConfigs for the BROKER resource: one callback per setting, sorted
 * by name, with source STATIC_BROKER_CONFIG for explicitly set keys and
 * DEFAULT_CONFIG otherwise, and the synonym family in precedence order. */
void bs_broker_config_describe(const bs_broker_config_t *c,
                               void (*cb)(void *opaque, const bs_cfg_entry_t *e), void *opaque);

/* Effective value of a broker setting as a string (after synonyms, in the
 * key's own unit), written into buf. Returns buf, NULL for null, or NULL
 * with *found = 0 for an unknown key (found may be NULL). Used by
 * topic_config.c for topic defaults. */
const char *bs_broker_config_value(const bs_broker_config_t *c, const char *key, char *buf,
                                   size_t len, int *found);

/* Source of a broker setting's effective value: STATIC_BROKER_CONFIG when it
 * or a synonym in its family was set, DEFAULT_CONFIG otherwise. */
int bs_broker_config_source(const bs_broker_config_t *c, const char *key);

/* Appends to e->synonyms (up to 4 in all) the members of key's synonym
 * family that have a value, in precedence order: explicitly set ones
 * (STATIC_BROKER_CONFIG, with their raw values), then the one whose default
 * applies (DEFAULT_CONFIG). c may be NULL (nothing set). Returns the number
 * added. Value pointers stay valid while c is unchanged. */
int bs_broker_config_add_synonyms(const bs_broker_config_t *c, const char *key, bs_cfg_entry_t *e);

/* The broker settings table (for topic_config.c and docs). */
const bs_cfg_def_t *bs_broker_config_defs(int *count);

/* "NAME://host:port[,NAME://host:port]": host empty = all interfaces,
 * "[::1]" for IPv6. Names are upper-cased and must be unique, as must
 * ports. *out is malloc'd (free with bs_listeners_free). */
int bs_listeners_parse(const char *s, bs_listener_t **out, int *count, char *err, size_t errlen);
void bs_listeners_free(bs_listener_t *l, int count);

#endif
