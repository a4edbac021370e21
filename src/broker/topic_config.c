/*
 * topic_config.c — the topic settings table, topic overrides, effective
 * topic configuration, DescribeConfigs for TOPIC resources and
 * IncrementalAlterConfigs on overrides.
 *
 * Invariants:
 *  - g_tdefs lists every Kafka topic-level setting. synonym_of names the
 *    broker setting that supplies the default when the topic has no
 *    override (Kafka's LogConfig synonym mapping); dflt equals the broker
 *    family's own default, so a NULL broker config gives the same result as
 *    a default one (tested).
 *  - bs_topic_overrides_t keys are unique; values are stored as given.
 *  - bs_topic_config_resolve() fills every member of bs_topic_config_t or
 *    fails; it never leaves an override unchecked.
 */
#include "topic_config.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"

#define OFF(m)     offsetof(bs_topic_config_t, m)
#define NOM        BS_CFG_NO_MEMBER
#define NOMAX      9.3e18
#define R          BS_CFG_F_RANGE
#define NOEFF      BS_CFG_F_NOEFFECT
#define INL        BS_CFG_F_INLINE
#define LONG_MAX_S "9223372036854775807"
#define T          BS_CFG_PER_TOPIC

/* clang-format off */
static const bs_cfg_def_t g_tdefs[] = {
    {.name = "cleanup.policy", .type = BS_CFG_LIST, .dflt = "delete", .flags = INL,
     .valid_set = "compact,delete", .importance = BS_CFG_MEDIUM, .update = T,
     .offset = OFF(cleanup_policy), .synonym_of = "log.cleanup.policy",
     .doc = "delete: drop old segments by retention.ms / retention.bytes; compact: keep the latest "
            "record of every key; both may be given."},
    {.name = "compression.type", .type = BS_CFG_STRING, .dflt = "producer", .flags = INL,
     .valid_set = "uncompressed,zstd,lz4,snappy,gzip,producer", .importance = BS_CFG_MEDIUM,
     .update = T, .offset = OFF(compression_type), .synonym_of = "compression.type",
     .doc = "Codec of stored batches; producer keeps what the producer sent."},
    {.name = "compression.gzip.level", .type = BS_CFG_INT, .dflt = "-1", .flags = R | NOEFF, .min = -1,
     .max = 9, .importance = BS_CFG_MEDIUM, .update = T, .offset = NOM,
     .doc = "gzip level when compression.type=gzip (-1 = codec default)."},
    {.name = "compression.lz4.level", .type = BS_CFG_INT, .dflt = "9", .flags = R | NOEFF, .min = 1,
     .max = 17, .importance = BS_CFG_MEDIUM, .update = T, .offset = NOM,
     .doc = "lz4 level when compression.type=lz4."},
    {.name = "compression.zstd.level", .type = BS_CFG_INT, .dflt = "3", .flags = R | NOEFF, .min = -131072,
     .max = 22, .importance = BS_CFG_MEDIUM, .update = T, .offset = NOM,
     .doc = "zstd level when compression.type=zstd."},
    {.name = "delete.retention.ms", .type = BS_CFG_LONG, .dflt = "86400000", .flags = R, .min = 0,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(delete_retention_ms),
     .synonym_of = "log.cleaner.delete.retention.ms",
     .doc = "How long tombstones (null-value records) stay readable in a compacted topic."},
    {.name = "file.delete.delay.ms", .type = BS_CFG_LONG, .dflt = "60000", .flags = R, .min = 0,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(file_delete_delay_ms),
     .synonym_of = "log.segment.delete.delay.ms",
     .doc = "Delay before the files of a deleted segment are removed."},
    {.name = "flush.messages", .type = BS_CFG_LONG, .dflt = LONG_MAX_S, .flags = R, .min = 1,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(flush_messages),
     .synonym_of = "log.flush.interval.messages",
     .doc = "fsync the partition after this many messages."},
    {.name = "flush.ms", .type = BS_CFG_LONG, .dflt = LONG_MAX_S, .flags = R, .min = 0, .max = NOMAX,
     .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(flush_ms),
     .synonym_of = "log.flush.interval.ms",
     .doc = "fsync the partition when unflushed data is this old."},
    {.name = "follower.replication.throttled.replicas", .type = BS_CFG_LIST, .dflt = "", .flags = NOEFF,
     .importance = BS_CFG_MEDIUM, .update = T, .offset = NOM,
     .doc = "Replicas whose follower replication is throttled."},
    {.name = "index.interval.bytes", .type = BS_CFG_INT, .dflt = "4096", .flags = R, .min = 0,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(index_interval_bytes),
     .synonym_of = "log.index.interval.bytes",
     .doc = "Bytes of log between two offset index entries."},
    {.name = "leader.replication.throttled.replicas", .type = BS_CFG_LIST, .dflt = "", .flags = NOEFF,
     .importance = BS_CFG_MEDIUM, .update = T, .offset = NOM,
     .doc = "Replicas whose leader replication is throttled."},
    {.name = "local.retention.bytes", .type = BS_CFG_LONG, .dflt = "-2", .flags = R | NOEFF, .min = -2,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T, .offset = NOM,
     .doc = "Tiered storage: local retention size (-2 = retention.bytes)."},
    {.name = "local.retention.ms", .type = BS_CFG_LONG, .dflt = "-2", .flags = R | NOEFF, .min = -2,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T, .offset = NOM,
     .doc = "Tiered storage: local retention time (-2 = retention.ms)."},
    {.name = "max.compaction.lag.ms", .type = BS_CFG_LONG, .dflt = LONG_MAX_S, .flags = R, .min = 1,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(max_compaction_lag_ms),
     .synonym_of = "log.cleaner.max.compaction.lag.ms",
     .doc = "Maximum time a record may stay uncompacted."},
    {.name = "max.message.bytes", .type = BS_CFG_INT, .dflt = "1048588", .flags = R, .min = 0,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(max_message_bytes),
     .synonym_of = "message.max.bytes",
     .doc = "Largest record batch accepted by this topic (after compression)."},
    {.name = "message.downconversion.enable", .type = BS_CFG_BOOLEAN, .dflt = "true", .flags = NOEFF,
     .importance = BS_CFG_LOW, .update = T, .offset = OFF(message_downconversion_enable),
     .synonym_of = "log.message.downconversion.enable",
     .doc = "Allow down-conversion for old fetch versions."},
    {.name = "message.format.version", .type = BS_CFG_STRING, .dflt = "3.0-IV1", .flags = NOEFF,
     .importance = BS_CFG_MEDIUM, .update = T, .offset = NOM,
     .synonym_of = "log.message.format.version",
     .doc = "Deprecated message format version (Basin always stores record batch v2)."},
    {.name = "message.timestamp.after.max.ms", .type = BS_CFG_LONG, .dflt = LONG_MAX_S, .flags = R | NOEFF,
     .min = 0, .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T, .offset = NOM,
     .doc = "Largest allowed amount a CreateTime timestamp may be ahead of the broker's clock."},
    {.name = "message.timestamp.before.max.ms", .type = BS_CFG_LONG, .dflt = LONG_MAX_S, .flags = R | NOEFF,
     .min = 0, .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T, .offset = NOM,
     .doc = "Largest allowed amount a CreateTime timestamp may be behind the broker's clock."},
    {.name = "message.timestamp.difference.max.ms", .type = BS_CFG_LONG, .dflt = LONG_MAX_S, .flags = R,
     .min = 0, .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T,
     .offset = OFF(message_timestamp_difference_max_ms),
     .synonym_of = "log.message.timestamp.difference.max.ms",
     .doc = "With CreateTime, reject batches whose timestamp is further than this from the broker's "
            "clock."},
    {.name = "message.timestamp.type", .type = BS_CFG_STRING, .dflt = "CreateTime", .flags = INL,
     .valid_set = "CreateTime,LogAppendTime", .importance = BS_CFG_MEDIUM, .update = T,
     .offset = OFF(message_timestamp_type), .synonym_of = "log.message.timestamp.type",
     .doc = "CreateTime keeps producer timestamps; LogAppendTime stamps batches with the broker's "
            "clock."},
    {.name = "min.cleanable.dirty.ratio", .type = BS_CFG_DOUBLE, .dflt = "0.5", .flags = R, .min = 0,
     .max = 1, .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(min_cleanable_dirty_ratio),
     .synonym_of = "log.cleaner.min.cleanable.ratio",
     .doc = "Compact when the uncompacted part is at least this fraction of the log."},
    {.name = "min.compaction.lag.ms", .type = BS_CFG_LONG, .dflt = "0", .flags = R, .min = 0,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(min_compaction_lag_ms),
     .synonym_of = "log.cleaner.min.compaction.lag.ms",
     .doc = "Minimum time a record stays uncompacted."},
    {.name = "min.insync.replicas", .type = BS_CFG_INT, .dflt = "1", .flags = R, .min = 1, .max = NOMAX,
     .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(min_insync_replicas),
     .synonym_of = "min.insync.replicas",
     .doc = "Minimum in-sync replicas for an acks=all produce to succeed.",
     .note = "The ISR of every Basin partition is this one broker."},
    {.name = "preallocate", .type = BS_CFG_BOOLEAN, .dflt = "false", .flags = NOEFF,
     .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(preallocate),
     .synonym_of = "log.preallocate", .doc = "Preallocate segment files."},
    {.name = "remote.storage.enable", .type = BS_CFG_BOOLEAN, .dflt = "false", .flags = NOEFF,
     .importance = BS_CFG_MEDIUM, .update = T, .offset = NOM,
     .doc = "Tiered storage for this topic."},
    {.name = "retention.bytes", .type = BS_CFG_LONG, .dflt = "-1", .importance = BS_CFG_MEDIUM,
     .update = T, .offset = OFF(retention_bytes), .synonym_of = "log.retention.bytes",
     .doc = "Delete the oldest segments while a partition is bigger than this; -1 = no limit."},
    {.name = "retention.ms", .type = BS_CFG_LONG, .dflt = "604800000", .flags = R, .min = -1,
     .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(retention_ms),
     .synonym_of = "log.retention.ms",
     .doc = "Delete segments whose newest record is older than this; -1 = forever."},
    {.name = "segment.bytes", .type = BS_CFG_INT, .dflt = "1073741824", .flags = R | BS_CFG_F_I64,
     .min = 14, .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(segment_bytes),
     .synonym_of = "log.segment.bytes", .doc = "Size of one segment file."},
    {.name = "segment.index.bytes", .type = BS_CFG_INT, .dflt = "10485760", .flags = R | BS_CFG_F_I64,
     .min = 4, .max = NOMAX, .importance = BS_CFG_MEDIUM, .update = T,
     .offset = OFF(segment_index_bytes), .synonym_of = "log.index.size.max.bytes",
     .doc = "Maximum size of a segment's offset index."},
    {.name = "segment.jitter.ms", .type = BS_CFG_LONG, .dflt = "0", .flags = R, .min = 0, .max = NOMAX,
     .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(segment_jitter_ms),
     .synonym_of = "log.roll.jitter.ms",
     .doc = "Maximum random jitter subtracted from segment.ms."},
    {.name = "segment.ms", .type = BS_CFG_LONG, .dflt = "604800000", .flags = R, .min = 1, .max = NOMAX,
     .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(segment_ms),
     .synonym_of = "log.roll.ms",
     .doc = "Roll a new segment when the active one is this old, even if not full."},
    {.name = "unclean.leader.election.enable", .type = BS_CFG_BOOLEAN, .dflt = "false", .flags = NOEFF,
     .importance = BS_CFG_MEDIUM, .update = T, .offset = OFF(unclean_leader_election_enable),
     .synonym_of = "unclean.leader.election.enable",
     .doc = "Allow out-of-sync replicas to become leader."},
};
/* clang-format on */

#define NTDEFS ((int)(sizeof g_tdefs / sizeof g_tdefs[0]))

const bs_cfg_def_t *bs_topic_config_defs(int *count)
{
    if (count)
        *count = NTDEFS;
    return g_tdefs;
}

bool bs_topic_config_is_valid_key(const char *key)
{
    return bs_cfg_find(g_tdefs, NTDEFS, key) >= 0;
}

/* ---------------------------------------------------------------------------
 * Overrides
 * ------------------------------------------------------------------------- */

static int ov_find(const bs_topic_overrides_t *ov, const char *key)
{
    if (!ov || !key)
        return -1;
    for (int i = 0; i < ov->count; i++)
        if (strcmp(ov->keys[i], key) == 0)
            return i;
    return -1;
}

const char *bs_topic_overrides_get(const bs_topic_overrides_t *ov, const char *key)
{
    int i = ov_find(ov, key);
    return i >= 0 ? ov->values[i] : NULL;
}

int bs_topic_overrides_set(bs_topic_overrides_t *ov, const char *key, const char *value)
{
    int i = ov_find(ov, key);
    if (!key)
        return 0;
    if (!value) {
        if (i >= 0) {
            free(ov->keys[i]);
            free(ov->values[i]);
            ov->count--;
            /* keep insertion order for stable persistence and describe */
            memmove(&ov->keys[i], &ov->keys[i + 1], sizeof(char *) * (size_t)(ov->count - i));
            memmove(&ov->values[i], &ov->values[i + 1], sizeof(char *) * (size_t)(ov->count - i));
        }
        return 0;
    }
    if (i >= 0) {
        char *v = bs_xstrdup(value);
        free(ov->values[i]);
        ov->values[i] = v;
        return 0;
    }
    ov->keys = bs_xrealloc(ov->keys, sizeof(char *) * (size_t)(ov->count + 1));
    ov->values = bs_xrealloc(ov->values, sizeof(char *) * (size_t)(ov->count + 1));
    ov->keys[ov->count] = bs_xstrdup(key);
    ov->values[ov->count] = bs_xstrdup(value);
    ov->count++;
    return 0;
}

void bs_topic_overrides_copy(bs_topic_overrides_t *dst, const bs_topic_overrides_t *src)
{
    memset(dst, 0, sizeof *dst);
    if (!src)
        return;
    for (int i = 0; i < src->count; i++)
        bs_topic_overrides_set(dst, src->keys[i], src->values[i]);
}

void bs_topic_overrides_free(bs_topic_overrides_t *ov)
{
    if (!ov)
        return;
    for (int i = 0; i < ov->count; i++) {
        free(ov->keys[i]);
        free(ov->values[i]);
    }
    free(ov->keys);
    free(ov->values);
    memset(ov, 0, sizeof *ov);
}

/* ---------------------------------------------------------------------------
 * Resolution and validation
 * ------------------------------------------------------------------------- */

static void unknown_key_err(const char *key, char *err, size_t errlen)
{
    snprintf(err, errlen, "Unknown topic config name: %s", key ? key : "(null)");
}

int bs_topic_config_validate(const char *key, const char *value, char *err, size_t errlen)
{
    int i = bs_cfg_find(g_tdefs, NTDEFS, key);
    if (i < 0) {
        unknown_key_err(key, err, errlen);
        return -1;
    }
    return bs_cfg_validate(&g_tdefs[i], value, err, errlen);
}

/* Value of topic setting d when the topic does not override it. */
static const char *topic_default(const bs_broker_config_t *b, const bs_cfg_def_t *d, char *buf,
                                 size_t len)
{
    int found = 0;
    if (d->synonym_of) {
        const char *v = bs_broker_config_value(b, d->synonym_of, buf, len, &found);
        if (found)
            return v;
    }
    return d->dflt;
}

/* Does comma-separated list s contain word w? */
static bool list_has(const char *s, const char *w)
{
    size_t n = strlen(w);
    for (const char *p = s; p && *p;) {
        while (*p == ' ' || *p == ',')
            p++;
        const char *e = p;
        while (*e && *e != ',' && *e != ' ')
            e++;
        if ((size_t)(e - p) == n && strncmp(p, w, n) == 0)
            return true;
        p = e;
    }
    return false;
}

int bs_topic_config_resolve(const bs_broker_config_t *b, const bs_topic_overrides_t *ov,
                            bs_topic_config_t *out, char *err, size_t errlen)
{
    int rc = -1;
    char buf[BS_CFG_VALUE_MAX];
    bs_topic_config_t t;

    memset(&t, 0, sizeof t);
    for (int i = 0; ov && i < ov->count; i++) {
        if (bs_cfg_find(g_tdefs, NTDEFS, ov->keys[i]) < 0) {
            unknown_key_err(ov->keys[i], err, errlen);
            goto done;
        }
    }
    for (int i = 0; i < NTDEFS; i++) {
        const bs_cfg_def_t *d = &g_tdefs[i];
        int oi = ov_find(ov, d->name);
        const char *v = oi >= 0 ? ov->values[oi] : topic_default(b, d, buf, sizeof buf);
        if (bs_cfg_store(d, &t, v, err, errlen) != 0)
            goto done;
    }
    t.cleanup_delete = list_has(t.cleanup_policy, "delete");
    t.cleanup_compact = list_has(t.cleanup_policy, "compact");
    t.timestamp_log_append = strcmp(t.message_timestamp_type, "LogAppendTime") == 0;
    *out = t;
    rc = 0;
done:
    return rc;
}

/* ---------------------------------------------------------------------------
 * Incremental alter
 * ------------------------------------------------------------------------- */

/* Splits a list into trimmed, non-empty items (heap array of heap strings). */
static int list_split(const char *s, char ***items)
{
    int n = 0;
    *items = NULL;
    for (const char *p = s ? s : ""; *p;) {
        while (*p == ' ' || *p == ',' || *p == '\t')
            p++;
        const char *e = p;
        while (*e && *e != ',')
            e++;
        const char *t = e;
        while (t > p && (t[-1] == ' ' || t[-1] == '\t'))
            t--;
        if (t > p) {
            *items = bs_xrealloc(*items, sizeof(char *) * (size_t)(n + 1));
            (*items)[n++] = bs_xstrndup(p, (size_t)(t - p));
        }
        p = e;
    }
    return n;
}

static void list_free(char **items, int n)
{
    for (int i = 0; i < n; i++)
        free(items[i]);
    free(items);
}

int bs_topic_overrides_apply_incremental(bs_topic_overrides_t *ov, const char *key, int op,
                                         const char *value, char *err, size_t errlen)
{
    int rc = -1;
    int i = bs_cfg_find(g_tdefs, NTDEFS, key);
    char **cur = NULL, **arg = NULL, *joined = NULL;
    int ncur = 0, narg = 0;

    if (i < 0) {
        unknown_key_err(key, err, errlen);
        goto done;
    }
    switch (op) {
    case BS_CFG_OP_SET:
        if (bs_cfg_validate(&g_tdefs[i], value, err, errlen) != 0)
            goto done;
        bs_topic_overrides_set(ov, key, value);
        break;
    case BS_CFG_OP_DELETE:
        bs_topic_overrides_set(ov, key, NULL);
        break;
    case BS_CFG_OP_APPEND:
    case BS_CFG_OP_SUBTRACT: {
        if (g_tdefs[i].type != BS_CFG_LIST) {
            snprintf(err, errlen, "Config value %s is not allowed for config key: %s",
                     op == BS_CFG_OP_APPEND ? "append" : "subtract", key);
            goto done;
        }
        /* Kafka starts from the current override, else the topic default
         * (not the broker's value) */
        const char *base = bs_topic_overrides_get(ov, key);
        ncur = list_split(base ? base : g_tdefs[i].dflt, &cur);
        narg = list_split(value, &arg);
        size_t cap = 1;
        for (int k = 0; k < ncur; k++)
            cap += strlen(cur[k]) + 1;
        for (int k = 0; k < narg; k++)
            cap += strlen(arg[k]) + 1;
        joined = bs_xmalloc(cap);
        joined[0] = '\0';
        size_t o = 0;
        /* emit current items (minus subtracted), then appended new ones,
         * without duplicates */
        for (int pass = 0; pass < 2; pass++) {
            char **src = pass == 0 ? cur : arg;
            int ns = pass == 0 ? ncur : narg;
            if (pass == 1 && op == BS_CFG_OP_SUBTRACT)
                break;
            for (int k = 0; k < ns; k++) {
                if (pass == 0 && op == BS_CFG_OP_SUBTRACT && list_has(value, src[k]))
                    continue;
                bool dup = false;
                for (int m = 0; m < ncur && !dup && pass == 1; m++)
                    dup = strcmp(cur[m], src[k]) == 0;
                for (int m = 0; m < k && !dup; m++)
                    dup = strcmp(src[m], src[k]) == 0;
                if (dup)
                    continue;
                o += (size_t)snprintf(joined + o, cap - o, "%s%s", o ? "," : "", src[k]);
            }
        }
        if (bs_cfg_validate(&g_tdefs[i], joined, err, errlen) != 0)
            goto done;
        bs_topic_overrides_set(ov, key, joined);
        break;
    }
    default:
        snprintf(err, errlen, "Invalid config operation %d for config key: %s", op, key);
        goto done;
    }
    rc = 0;
done:
    list_free(cur, ncur);
    list_free(arg, narg);
    free(joined);
    return rc;
}

/* ---------------------------------------------------------------------------
 * Describe
 * ------------------------------------------------------------------------- */

void bs_topic_config_describe(const bs_broker_config_t *b, const bs_topic_overrides_t *ov,
                              void (*cb)(void *opaque, const bs_cfg_entry_t *e), void *opaque)
{
    int *idx = bs_cfg_sorted_index(g_tdefs, NTDEFS);
    char buf[BS_CFG_VALUE_MAX];

    for (int k = 0; k < NTDEFS; k++) {
        const bs_cfg_def_t *d = &g_tdefs[idx[k]];
        const char *ovv = bs_topic_overrides_get(ov, d->name);
        bs_cfg_entry_t e;
        memset(&e, 0, sizeof e);
        e.name = d->name;
        e.read_only = 0;
        e.config_type = d->type;
        e.doc = d->doc;
        if (ovv) {
            e.value = ovv;
            e.source = BS_CFG_SOURCE_DYNAMIC_TOPIC_CONFIG;
            e.synonyms[0].name = d->name;
            e.synonyms[0].value = ovv;
            e.synonyms[0].source = BS_CFG_SOURCE_DYNAMIC_TOPIC_CONFIG;
            e.synonyms_count = 1;
        } else {
            e.value = topic_default(b, d, buf, sizeof buf);
            e.source = BS_CFG_SOURCE_DEFAULT_CONFIG;
            if (d->synonym_of &&
                bs_broker_config_source(b, d->synonym_of) == BS_CFG_SOURCE_STATIC_BROKER_CONFIG)
                e.source = BS_CFG_SOURCE_STATIC_BROKER_CONFIG;
        }
        if (!d->synonym_of || bs_broker_config_add_synonyms(b, d->synonym_of, &e) == 0) {
            if (e.synonyms_count < 4 && d->dflt) {
                e.synonyms[e.synonyms_count].name = d->name;
                e.synonyms[e.synonyms_count].value = d->dflt;
                e.synonyms[e.synonyms_count].source = BS_CFG_SOURCE_DEFAULT_CONFIG;
                e.synonyms_count++;
            }
        }
        cb(opaque, &e);
    }
    free(idx);
}
