/*
 * test_topic_config.c — topic settings: defaults from the broker, overrides,
 * validation, DescribeConfigs sources and synonyms, IncrementalAlterConfigs
 * (SET/DELETE/APPEND/SUBTRACT) on overrides.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <string.h>

#include "broker/broker_config.h"
#include "broker/topic_config.h"

static void test_topic_defaults(void **state)
{
    (void)state;
    bs_topic_config_t t;
    char err[256];

    assert_int_equal(bs_topic_config_resolve(NULL, NULL, &t, err, sizeof err), 0);
    assert_int_equal(t.retention_ms, 604800000);
    assert_int_equal(t.retention_bytes, -1);
    assert_int_equal(t.segment_bytes, 1073741824);
    assert_int_equal(t.segment_ms, 604800000);
    assert_int_equal(t.segment_index_bytes, 10485760);
    assert_int_equal(t.flush_messages, INT64_MAX);
    assert_int_equal(t.flush_ms, INT64_MAX);
    assert_int_equal(t.delete_retention_ms, 86400000);
    assert_int_equal(t.min_compaction_lag_ms, 0);
    assert_int_equal(t.max_compaction_lag_ms, INT64_MAX);
    assert_int_equal(t.file_delete_delay_ms, 60000);
    assert_int_equal(t.max_message_bytes, 1048588);
    assert_int_equal(t.index_interval_bytes, 4096);
    assert_int_equal(t.min_insync_replicas, 1);
    assert_true(t.min_cleanable_dirty_ratio == 0.5);
    assert_true(t.cleanup_delete);
    assert_false(t.cleanup_compact);
    assert_false(t.timestamp_log_append);
    assert_string_equal(t.compression_type, "producer");
}

/* The topic table's own defaults must equal what a default broker gives, so
 * a NULL broker config and a default one agree, and the reference is right. */
static void test_topic_table_defaults_match_broker(void **state)
{
    (void)state;
    int n = 0;
    char buf[64], err[256];
    const bs_cfg_def_t *d = bs_topic_config_defs(&n);
    bs_broker_config_t b;
    bs_broker_config_init(&b);
    for (int i = 0; i < n; i++) {
        if (bs_cfg_validate(&d[i], d[i].dflt, err, sizeof err) != 0)
            fail_msg("default of %s invalid: %s", d[i].name, err);
        if (!d[i].synonym_of)
            continue;
        int found = 0;
        const char *v = bs_broker_config_value(&b, d[i].synonym_of, buf, sizeof buf, &found);
        if (!found)
            fail_msg("%s: broker synonym %s unknown", d[i].name, d[i].synonym_of);
        if (!v || strcmp(v, d[i].dflt) != 0)
            fail_msg("%s default %s != broker %s = %s", d[i].name, d[i].dflt, d[i].synonym_of,
                     v ? v : "null");
    }
    bs_broker_config_free(&b);
}

static void test_topic_defaults_follow_broker(void **state)
{
    (void)state;
    bs_broker_config_t b;
    bs_topic_config_t t;
    char err[256];

    bs_broker_config_init(&b);
    assert_int_equal(bs_broker_config_set(&b, "log.retention.hours", "2", err, sizeof err), 0);
    assert_int_equal(bs_broker_config_set(&b, "log.segment.bytes", "1048576", err, sizeof err), 0);
    assert_int_equal(bs_broker_config_set(&b, "message.max.bytes", "2000000", err, sizeof err), 0);
    assert_int_equal(bs_broker_config_set(&b, "log.cleanup.policy", "compact", err, sizeof err), 0);
    assert_int_equal(
        bs_broker_config_set(&b, "log.message.timestamp.type", "LogAppendTime", err, sizeof err),
        0);
    assert_int_equal(
        bs_broker_config_set(&b, "log.cleaner.min.cleanable.ratio", "0.1", err, sizeof err), 0);
    assert_int_equal(bs_topic_config_resolve(&b, NULL, &t, err, sizeof err), 0);
    assert_int_equal(t.retention_ms, 7200000);
    assert_int_equal(t.segment_bytes, 1048576);
    assert_int_equal(t.max_message_bytes, 2000000);
    assert_true(t.cleanup_compact);
    assert_false(t.cleanup_delete);
    assert_true(t.timestamp_log_append);
    assert_true(t.min_cleanable_dirty_ratio == 0.1);
    bs_broker_config_free(&b);
}

static void test_topic_overrides_resolve(void **state)
{
    (void)state;
    bs_broker_config_t b;
    bs_topic_overrides_t ov = {0};
    bs_topic_config_t t;
    char err[256];

    bs_broker_config_init(&b);
    assert_int_equal(bs_broker_config_set(&b, "log.retention.ms", "1000", err, sizeof err), 0);
    bs_topic_overrides_set(&ov, "retention.ms", "-1");
    bs_topic_overrides_set(&ov, "cleanup.policy", "compact,delete");
    bs_topic_overrides_set(&ov, "compression.type", "zstd");
    bs_topic_overrides_set(&ov, "segment.bytes", "2048");
    bs_topic_overrides_set(&ov, "preallocate", "true"); /* accepted, no effect */
    assert_int_equal(bs_topic_config_resolve(&b, &ov, &t, err, sizeof err), 0);
    assert_int_equal(t.retention_ms, -1);
    assert_true(t.cleanup_compact);
    assert_true(t.cleanup_delete);
    assert_string_equal(t.compression_type, "zstd");
    assert_int_equal(t.segment_bytes, 2048);

    /* replace and delete */
    bs_topic_overrides_set(&ov, "retention.ms", "5");
    assert_int_equal(ov.count, 5);
    assert_string_equal(bs_topic_overrides_get(&ov, "retention.ms"), "5");
    bs_topic_overrides_set(&ov, "retention.ms", NULL);
    assert_int_equal(ov.count, 4);
    assert_null(bs_topic_overrides_get(&ov, "retention.ms"));
    assert_string_equal(ov.keys[0], "cleanup.policy"); /* order kept */
    assert_int_equal(bs_topic_config_resolve(&b, &ov, &t, err, sizeof err), 0);
    assert_int_equal(t.retention_ms, 1000);

    /* copy is deep */
    bs_topic_overrides_t cp;
    bs_topic_overrides_copy(&cp, &ov);
    bs_topic_overrides_set(&ov, "segment.bytes", "4096");
    assert_string_equal(bs_topic_overrides_get(&cp, "segment.bytes"), "2048");
    bs_topic_overrides_free(&cp);

    bs_topic_overrides_free(&ov);
    assert_int_equal(ov.count, 0);
    bs_broker_config_free(&b);
}

static void test_topic_invalid(void **state)
{
    (void)state;
    bs_topic_overrides_t ov = {0};
    bs_topic_config_t t;
    char err[256];

    bs_topic_overrides_set(&ov, "retention.mss", "1");
    assert_int_equal(bs_topic_config_resolve(NULL, &ov, &t, err, sizeof err), -1);
    assert_non_null(strstr(err, "retention.mss"));
    bs_topic_overrides_free(&ov);

    const char *bad[][2] = {
        {"retention.ms", "abc"},
        {"retention.ms", "-2"},
        {"segment.bytes", "13"},
        {"cleanup.policy", "delete,forever"},
        {"compression.type", "brotli"},
        {"message.timestamp.type", "createtime"},
        {"min.cleanable.dirty.ratio", "2"},
        {"max.message.bytes", "99999999999"},
        {"preallocate", "yes"},
        {"min.insync.replicas", "0"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bs_topic_overrides_set(&ov, bad[i][0], bad[i][1]);
        if (bs_topic_config_resolve(NULL, &ov, &t, err, sizeof err) == 0)
            fail_msg("accepted %s=%s", bad[i][0], bad[i][1]);
        assert_non_null(strstr(err, bad[i][0]));
        assert_int_equal(bs_topic_config_validate(bad[i][0], bad[i][1], err, sizeof err), -1);
        bs_topic_overrides_free(&ov);
    }
    assert_int_equal(bs_topic_config_validate("nope", "1", err, sizeof err), -1);
    assert_int_equal(bs_topic_config_validate("segment.ms", "100", err, sizeof err), 0);
    assert_true(bs_topic_config_is_valid_key("unclean.leader.election.enable"));
    assert_true(bs_topic_config_is_valid_key("message.downconversion.enable"));
    assert_false(bs_topic_config_is_valid_key("log.retention.ms"));
    assert_false(bs_topic_config_is_valid_key(NULL));
}

static void test_topic_incremental(void **state)
{
    (void)state;
    bs_topic_overrides_t ov = {0};
    char err[256];

    /* APPEND with no override starts from the topic default (delete) */
    assert_int_equal(bs_topic_overrides_apply_incremental(&ov, "cleanup.policy", BS_CFG_OP_APPEND,
                                                          "compact", err, sizeof err),
                     0);
    assert_string_equal(bs_topic_overrides_get(&ov, "cleanup.policy"), "delete,compact");
    /* appending an existing item is a no-op */
    assert_int_equal(bs_topic_overrides_apply_incremental(&ov, "cleanup.policy", BS_CFG_OP_APPEND,
                                                          "delete", err, sizeof err),
                     0);
    assert_string_equal(bs_topic_overrides_get(&ov, "cleanup.policy"), "delete,compact");
    assert_int_equal(bs_topic_overrides_apply_incremental(&ov, "cleanup.policy", BS_CFG_OP_SUBTRACT,
                                                          "delete", err, sizeof err),
                     0);
    assert_string_equal(bs_topic_overrides_get(&ov, "cleanup.policy"), "compact");
    assert_int_equal(bs_topic_overrides_apply_incremental(&ov, "cleanup.policy", BS_CFG_OP_SUBTRACT,
                                                          "compact", err, sizeof err),
                     0);
    assert_string_equal(bs_topic_overrides_get(&ov, "cleanup.policy"), "");
    /* APPEND of an item outside the allowed set fails and changes nothing */
    assert_int_equal(bs_topic_overrides_apply_incremental(&ov, "cleanup.policy", BS_CFG_OP_APPEND,
                                                          "forever", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "cleanup.policy"));
    assert_string_equal(bs_topic_overrides_get(&ov, "cleanup.policy"), "");

    /* APPEND/SUBTRACT on a non-list key */
    assert_int_equal(bs_topic_overrides_apply_incremental(&ov, "retention.ms", BS_CFG_OP_APPEND,
                                                          "1", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "retention.ms"));
    /* SET validates */
    assert_int_equal(bs_topic_overrides_apply_incremental(&ov, "retention.ms", BS_CFG_OP_SET, "x",
                                                          err, sizeof err),
                     -1);
    assert_null(bs_topic_overrides_get(&ov, "retention.ms"));
    assert_int_equal(bs_topic_overrides_apply_incremental(&ov, "retention.ms", BS_CFG_OP_SET, "100",
                                                          err, sizeof err),
                     0);
    assert_string_equal(bs_topic_overrides_get(&ov, "retention.ms"), "100");
    assert_int_equal(bs_topic_overrides_apply_incremental(&ov, "retention.ms", BS_CFG_OP_DELETE,
                                                          NULL, err, sizeof err),
                     0);
    assert_null(bs_topic_overrides_get(&ov, "retention.ms"));
    /* unknown key and bad op */
    assert_int_equal(
        bs_topic_overrides_apply_incremental(&ov, "bogus", BS_CFG_OP_SET, "1", err, sizeof err),
        -1);
    assert_non_null(strstr(err, "bogus"));
    assert_int_equal(
        bs_topic_overrides_apply_incremental(&ov, "retention.ms", 9, "1", err, sizeof err), -1);
    bs_topic_overrides_free(&ov);
}

typedef struct dctx_s {
    const char *want;
    int count;
    int source;
    int read_only;
    int type;
    char value[64];
    int nsyn;
    char syn_names[4][64];
    char syn_values[4][64];
    int syn_sources[4];
    char last_name[64];
    int sorted;
} dctx_t;

static void dcb(void *opaque, const bs_cfg_entry_t *e)
{
    dctx_t *x = opaque;
    if (x->count > 0 && strcmp(x->last_name, e->name) >= 0)
        x->sorted = 0;
    snprintf(x->last_name, sizeof x->last_name, "%s", e->name);
    x->count++;
    if (strcmp(e->name, x->want) != 0)
        return;
    x->source = e->source;
    x->read_only = e->read_only;
    x->type = e->config_type;
    snprintf(x->value, sizeof x->value, "%s", e->value ? e->value : "(null)");
    x->nsyn = e->synonyms_count;
    for (int i = 0; i < e->synonyms_count; i++) {
        snprintf(x->syn_names[i], 64, "%s", e->synonyms[i].name);
        snprintf(x->syn_values[i], 64, "%s",
                 e->synonyms[i].value ? e->synonyms[i].value : "(null)");
        x->syn_sources[i] = e->synonyms[i].source;
    }
}

static dctx_t describe(const bs_broker_config_t *b, const bs_topic_overrides_t *ov,
                       const char *want)
{
    dctx_t x;
    memset(&x, 0, sizeof x);
    x.want = want;
    x.sorted = 1;
    bs_topic_config_describe(b, ov, dcb, &x);
    return x;
}

static void test_topic_describe(void **state)
{
    (void)state;
    bs_broker_config_t b;
    bs_topic_overrides_t ov = {0};
    char err[256];
    int n = 0;
    bs_topic_config_defs(&n);

    bs_broker_config_init(&b);
    /* default everywhere */
    dctx_t x = describe(&b, NULL, "retention.ms");
    assert_int_equal(x.count, n);
    assert_true(x.sorted);
    assert_string_equal(x.value, "604800000");
    assert_int_equal(x.source, BS_CFG_SOURCE_DEFAULT_CONFIG);
    assert_int_equal(x.read_only, 0);
    assert_int_equal(x.type, BS_CFG_LONG);
    assert_int_equal(x.nsyn, 1);
    assert_string_equal(x.syn_names[0], "log.retention.hours");
    assert_string_equal(x.syn_values[0], "168");
    assert_int_equal(x.syn_sources[0], BS_CFG_SOURCE_DEFAULT_CONFIG);

    /* broker synonym set: STATIC_BROKER_CONFIG */
    assert_int_equal(bs_broker_config_set(&b, "log.retention.minutes", "3", err, sizeof err), 0);
    x = describe(&b, NULL, "retention.ms");
    assert_string_equal(x.value, "180000");
    assert_int_equal(x.source, BS_CFG_SOURCE_STATIC_BROKER_CONFIG);
    assert_int_equal(x.nsyn, 2);
    assert_string_equal(x.syn_names[0], "log.retention.minutes");
    assert_string_equal(x.syn_values[0], "3");
    assert_int_equal(x.syn_sources[0], BS_CFG_SOURCE_STATIC_BROKER_CONFIG);
    assert_string_equal(x.syn_names[1], "log.retention.hours");
    assert_int_equal(x.syn_sources[1], BS_CFG_SOURCE_DEFAULT_CONFIG);

    /* topic override: DYNAMIC_TOPIC_CONFIG first, then the broker chain */
    bs_topic_overrides_set(&ov, "retention.ms", "42");
    x = describe(&b, &ov, "retention.ms");
    assert_string_equal(x.value, "42");
    assert_int_equal(x.source, BS_CFG_SOURCE_DYNAMIC_TOPIC_CONFIG);
    assert_int_equal(x.nsyn, 3);
    assert_string_equal(x.syn_names[0], "retention.ms");
    assert_int_equal(x.syn_sources[0], BS_CFG_SOURCE_DYNAMIC_TOPIC_CONFIG);
    assert_string_equal(x.syn_names[1], "log.retention.minutes");
    assert_string_equal(x.syn_names[2], "log.retention.hours");

    /* a setting without broker synonym */
    x = describe(&b, &ov, "remote.storage.enable");
    assert_string_equal(x.value, "false");
    assert_int_equal(x.source, BS_CFG_SOURCE_DEFAULT_CONFIG);
    assert_int_equal(x.nsyn, 1);
    assert_string_equal(x.syn_names[0], "remote.storage.enable");
    assert_int_equal(x.type, BS_CFG_BOOLEAN);

    /* list type and a NULL broker */
    x = describe(NULL, NULL, "cleanup.policy");
    assert_string_equal(x.value, "delete");
    assert_int_equal(x.type, BS_CFG_LIST);
    assert_string_equal(x.syn_names[0], "log.cleanup.policy");

    bs_topic_overrides_free(&ov);
    bs_broker_config_free(&b);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_topic_defaults),
        cmocka_unit_test(test_topic_table_defaults_match_broker),
        cmocka_unit_test(test_topic_defaults_follow_broker),
        cmocka_unit_test(test_topic_overrides_resolve),
        cmocka_unit_test(test_topic_invalid),
        cmocka_unit_test(test_topic_incremental),
        cmocka_unit_test(test_topic_describe),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
