/*
 * topic_config.h — per-topic settings (Kafka's topic-level config names).
 *
 * A topic's effective configuration is its overrides (explicitly set keys,
 * persisted by the caller as strings) layered over defaults that come from
 * the broker's log.* settings through Kafka's synonym mapping
 * (retention.ms <- log.retention.ms, segment.bytes <- log.segment.bytes,
 * max.message.bytes <- message.max.bytes, ...). Every Kafka topic config
 * name is accepted; those Basin does not act on are stored and described
 * but have no effect on a single node.
 *
 * Ownership: bs_topic_config_t is plain data (no heap), copy freely.
 * bs_topic_overrides_t owns its keys and values.
 */
#ifndef BS_TOPIC_CONFIG_H
#define BS_TOPIC_CONFIG_H

#include <stdbool.h>
#include <stdint.h>

#include "base/config.h"
#include "broker/broker_config.h"

typedef struct bs_topic_config_s {
    int64_t retention_ms;    /* -1 = unlimited */
    int64_t retention_bytes; /* -1 = unlimited */
    int64_t segment_bytes;
    int64_t segment_ms;
    int64_t segment_jitter_ms;
    int64_t segment_index_bytes;
    int64_t flush_messages;
    int64_t flush_ms;
    int64_t delete_retention_ms;
    int64_t min_compaction_lag_ms;
    int64_t max_compaction_lag_ms;
    int64_t file_delete_delay_ms;
    int64_t message_timestamp_difference_max_ms;
    int32_t max_message_bytes;
    int32_t index_interval_bytes;
    int32_t min_insync_replicas;
    double min_cleanable_dirty_ratio;
    bool cleanup_delete;       /* cleanup.policy contains "delete" */
    bool cleanup_compact;      /* cleanup.policy contains "compact" */
    bool timestamp_log_append; /* message.timestamp.type=LogAppendTime */
    bool preallocate;
    bool unclean_leader_election_enable;
    bool message_downconversion_enable;
    char compression_type[BS_CFG_INLINE_MAX]; /* producer|uncompressed|gzip|... */
    char cleanup_policy[BS_CFG_INLINE_MAX];   /* raw list as configured */
    char message_timestamp_type[BS_CFG_INLINE_MAX];
} bs_topic_config_t;

/* Explicitly set topic configs as strings (what CreateTopics/AlterConfigs
 * received); persisted by the caller. Keys are unique. */
typedef struct bs_topic_overrides_s {
    int count;
    char **keys;
    char **values;
} bs_topic_overrides_t;

/* IncrementalAlterConfigs operations (OpType in the request). */
enum {
    BS_CFG_OP_SET = 0,
    BS_CFG_OP_DELETE = 1,
    BS_CFG_OP_APPEND = 2,
    BS_CFG_OP_SUBTRACT = 3,
};

/* Effective configuration of a topic. b may be NULL (Kafka's defaults); ov
 * may be NULL (no overrides). Unknown key or invalid value: -1 with a
 * message naming the key (answer INVALID_CONFIG with it). */
int bs_topic_config_resolve(const bs_broker_config_t *b, const bs_topic_overrides_t *ov,
                            bs_topic_config_t *out, char *err, size_t errlen);

/* Sets (copies) or, with value NULL, deletes an override. No validation:
 * validate with bs_topic_config_resolve() or bs_topic_config_validate().
 * Returns 0. */
int bs_topic_overrides_set(bs_topic_overrides_t *ov, const char *key, const char *value);
/* The override value of key, or NULL when not overridden. */
const char *bs_topic_overrides_get(const bs_topic_overrides_t *ov, const char *key);
/* Deep copy; dst must not hold data (it is overwritten). */
void bs_topic_overrides_copy(bs_topic_overrides_t *dst, const bs_topic_overrides_t *src);
void bs_topic_overrides_free(bs_topic_overrides_t *ov);

/* Applies one IncrementalAlterConfigs operation (BS_CFG_OP_*). SET checks
 * the value; APPEND/SUBTRACT are allowed only for list keys (cleanup.policy,
 * ...) and start from the current override or, when there is none, the
 * topic default (Kafka's rule); duplicates are dropped on APPEND. Returns 0,
 * or -1 with err set (unknown key, bad value, bad op); ov is unchanged on
 * error. */
int bs_topic_overrides_apply_incremental(bs_topic_overrides_t *ov, const char *key, int op,
                                         const char *value, char *err, size_t errlen);

/* Checks one key/value pair without a broker config. 0 or -1 with err. */
int bs_topic_config_validate(const char *key, const char *value, char *err, size_t errlen);

/* DescribeConfigs for a TOPIC resource: every topic setting (sorted by
 * name) with its effective value, source (DYNAMIC_TOPIC_CONFIG if
 * overridden, STATIC_BROKER_CONFIG if the broker synonym was set,
 * DEFAULT_CONFIG otherwise) and synonyms in Kafka's order: the topic
 * override, then the broker synonyms that have a value, then the default.
 * b may be NULL. */
void bs_topic_config_describe(const bs_broker_config_t *b, const bs_topic_overrides_t *ov,
                              void (*cb)(void *opaque, const bs_cfg_entry_t *e), void *opaque);

bool bs_topic_config_is_valid_key(const char *key);

/* The topic settings table (for docs). */
const bs_cfg_def_t *bs_topic_config_defs(int *count);

#endif
