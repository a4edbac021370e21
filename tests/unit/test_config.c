/*
 * test_config.c — .properties parsing/writing, the typed table layer and the
 * broker configuration (defaults, synonyms, overrides, errors, listeners,
 * DescribeConfigs for the broker resource, docs).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/config.h"
#include "broker/broker_config.h"

/* ---- helpers ---------------------------------------------------------- */

typedef struct kv_s {
    int n;
    char keys[32][64];
    char values[32][256];
    int lines[32];
} kv_t;

static int kv_cb(void *opaque, const char *key, const char *value, int lineno)
{
    kv_t *kv = opaque;
    if (kv->n >= 32)
        return -1;
    snprintf(kv->keys[kv->n], sizeof kv->keys[0], "%s", key);
    snprintf(kv->values[kv->n], sizeof kv->values[0], "%s", value);
    kv->lines[kv->n] = lineno;
    kv->n++;
    return 0;
}

static int parse(const char *text, kv_t *kv, char *err, size_t errlen)
{
    memset(kv, 0, sizeof *kv);
    return bs_props_parse_string(text, strlen(text), "test.properties", kv_cb, kv, err, errlen);
}

static char *tmp_path(const char *name)
{
    static char buf[256];
    snprintf(buf, sizeof buf, "/tmp/basin-test-config-%d-%s", (int)getpid(), name);
    return buf;
}

static void write_file(const char *path, const char *text)
{
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
}

/* ---- .properties ------------------------------------------------------ */

static void test_props_separators_and_comments(void **state)
{
    (void)state;
    kv_t kv;
    char err[256];
    const char *text = "# comment\n"
                       "! bang comment\n"
                       "\n"
                       "   \t\n"
                       "a=1\n"
                       "b : 2\n"
                       "c 3\n"
                       "  d   =   four words  \n"
                       "e=\n"
                       "f\n"
                       "g==x\n"
                       "h:x=y\n"
                       "   # indented comment\n";
    assert_int_equal(parse(text, &kv, err, sizeof err), 0);
    assert_int_equal(kv.n, 8);
    assert_string_equal(kv.keys[0], "a");
    assert_string_equal(kv.values[0], "1");
    assert_int_equal(kv.lines[0], 5);
    assert_string_equal(kv.keys[1], "b");
    assert_string_equal(kv.values[1], "2");
    assert_string_equal(kv.keys[2], "c");
    assert_string_equal(kv.values[2], "3");
    assert_string_equal(kv.keys[3], "d");
    assert_string_equal(kv.values[3], "four words");
    assert_string_equal(kv.keys[4], "e");
    assert_string_equal(kv.values[4], "");
    assert_string_equal(kv.keys[5], "f");
    assert_string_equal(kv.values[5], "");
    assert_string_equal(kv.values[6], "=x"); /* only the first = separates */
    assert_string_equal(kv.keys[7], "h");
    assert_string_equal(kv.values[7], "x=y");
}

static void test_props_continuation_and_escapes(void **state)
{
    (void)state;
    kv_t kv;
    char err[256];
    const char *text = "list = a,\\\n"
                       "       b,\\\n"
                       "       c\n"
                       "tab=x\\ty\n"
                       "nl=1\\n2\n"
                       "key\\ with\\ space=v\n"
                       "key\\=eq=v2\n"
                       "uni=caf\\u00e9 \\u20AC \\uD83D\\uDE00\n"
                       "bs=C:\\\\dir\n"
                       "even=ends with two\\\\\n"
                       "next=after\n"
                       "# comment \\\n"
                       "notcont=1\n"
                       "crlf=1\r\n"
                       "cr=2\r"
                       "last=3";
    assert_int_equal(parse(text, &kv, err, sizeof err), 0);
    assert_int_equal(kv.n, 13);
    assert_string_equal(kv.keys[0], "list");
    assert_string_equal(kv.values[0], "a,b,c");
    assert_int_equal(kv.lines[0], 1);
    assert_string_equal(kv.values[1], "x\ty");
    assert_int_equal(kv.lines[1], 4);
    assert_string_equal(kv.values[2], "1\n2");
    assert_string_equal(kv.keys[3], "key with space");
    assert_string_equal(kv.keys[4], "key=eq");
    assert_string_equal(kv.values[4], "v2");
    assert_string_equal(kv.values[5], "caf\xc3\xa9 \xe2\x82\xac \xf0\x9f\x98\x80");
    assert_string_equal(kv.values[6], "C:\\dir");
    assert_string_equal(kv.values[7], "ends with two\\");
    assert_string_equal(kv.keys[8], "next");
    assert_string_equal(kv.keys[9], "notcont"); /* comments never continue */
    assert_string_equal(kv.keys[10], "crlf");
    assert_string_equal(kv.values[10], "1");
    assert_string_equal(kv.keys[11], "cr");
    assert_string_equal(kv.values[11], "2");
    assert_string_equal(kv.keys[12], "last");
    assert_int_equal(kv.lines[12], 16);
}

static void test_props_errors(void **state)
{
    (void)state;
    kv_t kv;
    char err[256];
    assert_int_equal(parse("a=1\nb=\\u12x4\n", &kv, err, sizeof err), -1);
    assert_non_null(strstr(err, "test.properties:2"));
    assert_int_equal(parse("b=\\u12", &kv, err, sizeof err), -1);
    assert_int_equal(bs_props_parse_file("/nonexistent/x.properties", kv_cb, &kv, err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "/nonexistent/x.properties"));
    /* a continuation at end of file is not an error */
    assert_int_equal(parse("a=1\\", &kv, err, sizeof err), 0);
    assert_string_equal(kv.values[0], "1");
    /* empty input */
    assert_int_equal(parse("", &kv, err, sizeof err), 0);
    assert_int_equal(kv.n, 0);
}

static int abort_cb(void *opaque, const char *key, const char *value, int lineno)
{
    (void)opaque;
    (void)value;
    (void)lineno;
    return strcmp(key, "stop") == 0 ? -1 : 0;
}

static void test_props_callback_abort(void **state)
{
    (void)state;
    char err[256];
    const char *t = "a=1\nstop=2\nc=3\n";
    assert_int_equal(bs_props_parse_string(t, strlen(t), "f", abort_cb, NULL, err, sizeof err), -1);
    assert_non_null(strstr(err, "f:2"));
    assert_non_null(strstr(err, "stop"));
}

static void test_props_write_atomic_round_trip(void **state)
{
    (void)state;
    const char *keys[] = {"cluster.id", "node.id", "weird key=:#", "#lead", "multi"};
    const char *vals[] = {"abc-DEF_123", "0", " spaced value ", "!x\\y", "line1\nline2\ttab"};
    char err[256];
    const char *path = tmp_path("meta.properties");
    kv_t kv;

    assert_int_equal(bs_props_write_atomic(path, keys, vals, 5, err, sizeof err), 0);
    memset(&kv, 0, sizeof kv);
    assert_int_equal(bs_props_parse_file(path, kv_cb, &kv, err, sizeof err), 0);
    assert_int_equal(kv.n, 5);
    for (int i = 0; i < 5; i++) {
        assert_string_equal(kv.keys[i], keys[i]);
        assert_string_equal(kv.values[i], vals[i]);
    }
    /* no temporary left behind */
    char tmp[300];
    snprintf(tmp, sizeof tmp, "%s.tmp", path);
    assert_int_not_equal(access(tmp, F_OK), 0);
    unlink(path);
    assert_int_equal(
        bs_props_write_atomic("/nonexistent/dir/meta.properties", keys, vals, 1, err, sizeof err),
        -1);
    assert_non_null(strstr(err, "/nonexistent/dir"));
}

/* ---- table layer ------------------------------------------------------ */

static void test_cfg_validate(void **state)
{
    (void)state;
    char err[256];
    bs_cfg_def_t d = {
        .name = "x.bytes", .type = BS_CFG_INT, .flags = BS_CFG_F_RANGE, .min = 14, .max = 9.3e18};
    assert_int_equal(bs_cfg_validate(&d, "14", err, sizeof err), 0);
    assert_int_equal(bs_cfg_validate(&d, " 2147483647 ", err, sizeof err), 0);
    assert_int_equal(bs_cfg_validate(&d, "2147483648", err, sizeof err), -1);
    assert_non_null(strstr(err, "x.bytes"));
    assert_int_equal(bs_cfg_validate(&d, "13", err, sizeof err), -1);
    assert_non_null(strstr(err, "[14,...]"));
    assert_non_null(strstr(err, "'13'"));
    assert_int_equal(bs_cfg_validate(&d, "1k", err, sizeof err), -1);
    assert_int_equal(bs_cfg_validate(&d, "", err, sizeof err), -1);
    assert_int_equal(bs_cfg_validate(&d, NULL, err, sizeof err), -1);

    bs_cfg_def_t b = {.name = "b", .type = BS_CFG_BOOLEAN};
    assert_int_equal(bs_cfg_validate(&b, "TRUE", err, sizeof err), 0);
    assert_int_equal(bs_cfg_validate(&b, "false", err, sizeof err), 0);
    assert_int_equal(bs_cfg_validate(&b, "yes", err, sizeof err), -1);

    bs_cfg_def_t r = {
        .name = "r", .type = BS_CFG_DOUBLE, .flags = BS_CFG_F_RANGE, .min = 0, .max = 1};
    assert_int_equal(bs_cfg_validate(&r, "0.25", err, sizeof err), 0);
    assert_int_equal(bs_cfg_validate(&r, "1.5", err, sizeof err), -1);
    assert_int_equal(bs_cfg_validate(&r, "nan", err, sizeof err), -1);

    bs_cfg_def_t s = {.name = "s", .type = BS_CFG_STRING, .valid_set = "CreateTime,LogAppendTime"};
    assert_int_equal(bs_cfg_validate(&s, "LogAppendTime", err, sizeof err), 0);
    assert_int_equal(bs_cfg_validate(&s, "logappendtime", err, sizeof err), -1);
    assert_non_null(strstr(err, "[CreateTime, LogAppendTime]"));
    assert_int_equal(bs_cfg_validate(&s, NULL, err, sizeof err), 0);

    bs_cfg_def_t l = {.name = "l", .type = BS_CFG_LIST, .valid_set = "compact,delete"};
    assert_int_equal(bs_cfg_validate(&l, "compact, delete", err, sizeof err), 0);
    assert_int_equal(bs_cfg_validate(&l, "compact,nope", err, sizeof err), -1);
    assert_non_null(strstr(err, "nope"));

    bs_cfg_def_t sh = {.name = "sh", .type = BS_CFG_SHORT};
    assert_int_equal(bs_cfg_validate(&sh, "32767", err, sizeof err), 0);
    assert_int_equal(bs_cfg_validate(&sh, "32768", err, sizeof err), -1);
    bs_cfg_def_t lg = {.name = "lg", .type = BS_CFG_LONG};
    assert_int_equal(bs_cfg_validate(&lg, "9223372036854775807", err, sizeof err), 0);
    assert_int_equal(bs_cfg_validate(&lg, "9223372036854775808", err, sizeof err), -1);
}

/* ---- broker config ---------------------------------------------------- */

static void test_broker_defaults_are_kafkas(void **state)
{
    (void)state;
    bs_broker_config_t c;
    bs_broker_config_init(&c);
    assert_string_equal(c.listeners, "PLAINTEXT://:9092");
    assert_null(c.advertised_listeners);
    assert_int_equal(c.node_id, 0);
    assert_int_equal(c.log_dirs_count, 1);
    assert_string_equal(c.log_dirs[0], "./data");
    assert_int_equal(c.num_partitions, 1);
    assert_int_equal(c.default_replication_factor, 1);
    assert_true(c.auto_create_topics_enable);
    assert_int_equal(c.log_segment_bytes, 1073741824LL);
    assert_int_equal(c.log_roll_ms, 168LL * 3600000);
    assert_int_equal(c.log_retention_ms, 168LL * 3600000);
    assert_int_equal(c.log_retention_bytes, -1);
    assert_int_equal(c.log_retention_check_interval_ms, 300000);
    assert_int_equal(c.log_flush_interval_messages, INT64_MAX);
    assert_int_equal(c.log_flush_interval_ms, INT64_MAX);
    assert_int_equal(c.log_segment_delete_delay_ms, 60000);
    assert_int_equal(c.log_index_interval_bytes, 4096);
    assert_int_equal(c.log_index_size_max_bytes, 10485760);
    assert_int_equal(c.message_max_bytes, 1048588);
    assert_int_equal(c.socket_request_max_bytes, 104857600);
    assert_int_equal(c.num_io_threads, 8);
    assert_int_equal(c.num_network_threads, 1); /* Kafka's 3, clamped (documented) */
    assert_false(c.log_message_timestamp_type_log_append);
    assert_false(c.log_flush_on_ack);
    assert_string_equal(c.log_cleanup_policy, "delete");
    assert_int_equal(c.min_insync_replicas, 1);
    assert_string_equal(c.compression_type, "producer");
    assert_true(c.log_cleaner_enable);
    assert_int_equal(c.log_cleaner_delete_retention_ms, 86400000);
    assert_true(c.log_cleaner_min_cleanable_ratio == 0.5);
    assert_int_equal(c.log_cleaner_min_compaction_lag_ms, 0);
    assert_int_equal(c.log_cleaner_max_compaction_lag_ms, INT64_MAX);
    assert_int_equal(c.log_cleaner_threads, 1);
    assert_int_equal(c.offsets_topic_num_partitions, 50);
    assert_int_equal(c.offsets_retention_minutes, 10080);
    assert_int_equal(c.offsets_commit_timeout_ms, 5000);
    assert_int_equal(c.group_initial_rebalance_delay_ms, 3000);
    assert_int_equal(c.group_min_session_timeout_ms, 6000);
    assert_int_equal(c.group_max_session_timeout_ms, 1800000);
    assert_int_equal(c.group_max_size, INT32_MAX);
    assert_int_equal(c.transactional_id_expiration_ms, 604800000);
    assert_int_equal(c.transaction_max_timeout_ms, 900000);
    assert_int_equal(c.transaction_state_log_num_partitions, 50);
    assert_int_equal(c.producer_id_expiration_ms, 86400000);
    assert_null(c.cluster_id);
    bs_broker_config_free(&c);
}

static void test_broker_all_defaults_valid(void **state)
{
    (void)state;
    int n = 0;
    char err[256];
    const bs_cfg_def_t *d = bs_broker_config_defs(&n);
    assert_true(n > 50);
    for (int i = 0; i < n; i++) {
        if (!d[i].dflt && d[i].synonym_of) {
            /* a synonym may be null: its primary or another synonym has a value */
        } else if (!d[i].dflt && d[i].type != BS_CFG_STRING && d[i].type != BS_CFG_LIST) {
            /* a null numeric default needs a synonym with a default */
            int ok = 0;
            for (int j = 0; j < n; j++)
                ok |=
                    d[j].synonym_of && strcmp(d[j].synonym_of, d[i].name) == 0 && d[j].dflt != NULL;
            if (!ok)
                fail_msg("%s has a null default and no synonym default", d[i].name);
        } else if (bs_cfg_validate(&d[i], d[i].dflt, err, sizeof err) != 0) {
            fail_msg("default of %s invalid: %s", d[i].name, err);
        }
        assert_non_null(d[i].doc);
        for (int j = 0; j < i; j++)
            if (strcmp(d[i].name, d[j].name) == 0)
                fail_msg("duplicate setting %s", d[i].name);
        if (d[i].synonym_of) {
            int p = bs_cfg_find(d, n, d[i].synonym_of);
            assert_true(p >= 0 && p < i);
        }
    }
}

static void test_broker_retention_synonyms(void **state)
{
    (void)state;
    bs_broker_config_t c;
    char err[256];

    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_set(&c, "log.retention.hours", "1", err, sizeof err), 0);
    assert_int_equal(c.log_retention_ms, 3600000);
    assert_int_equal(bs_broker_config_set(&c, "log.retention.minutes", "2", err, sizeof err), 0);
    assert_int_equal(c.log_retention_ms, 120000);
    assert_int_equal(bs_broker_config_set(&c, "log.retention.ms", "5000", err, sizeof err), 0);
    assert_int_equal(c.log_retention_ms, 5000);
    /* a lower-precedence key set later does not win */
    assert_int_equal(bs_broker_config_set(&c, "log.retention.hours", "3", err, sizeof err), 0);
    assert_int_equal(c.log_retention_ms, 5000);
    bs_broker_config_free(&c);

    /* ms first, hours later: ms still wins */
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_set(&c, "log.retention.ms", "777", err, sizeof err), 0);
    assert_int_equal(bs_broker_config_set(&c, "log.retention.hours", "1", err, sizeof err), 0);
    assert_int_equal(c.log_retention_ms, 777);
    bs_broker_config_free(&c);

    /* negative hours means unlimited */
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_set(&c, "log.retention.hours", "-1", err, sizeof err), 0);
    assert_int_equal(c.log_retention_ms, -1);
    bs_broker_config_free(&c);
}

static void test_broker_other_synonyms(void **state)
{
    (void)state;
    bs_broker_config_t c;
    char err[256];

    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_set(&c, "log.roll.hours", "2", err, sizeof err), 0);
    assert_int_equal(c.log_roll_ms, 7200000);
    assert_int_equal(bs_broker_config_set(&c, "log.roll.ms", "1000", err, sizeof err), 0);
    assert_int_equal(c.log_roll_ms, 1000);

    assert_int_equal(bs_broker_config_set(&c, "log.dir", "/var/one", err, sizeof err), 0);
    assert_int_equal(c.log_dirs_count, 1);
    assert_string_equal(c.log_dirs[0], "/var/one");
    assert_int_equal(bs_broker_config_set(&c, "log.dirs", "/a, /b", err, sizeof err), 0);
    assert_int_equal(c.log_dirs_count, 2);
    assert_string_equal(c.log_dirs[0], "/a");
    assert_string_equal(c.log_dirs[1], "/b");

    assert_int_equal(bs_broker_config_set(&c, "broker.id", "7", err, sizeof err), 0);
    assert_int_equal(c.node_id, 7);
    assert_int_equal(
        bs_broker_config_set(&c, "log.message.timestamp.type", "LogAppendTime", err, sizeof err),
        0);
    assert_true(c.log_message_timestamp_type_log_append);
    bs_broker_config_free(&c);
}

static void test_broker_invalid_values(void **state)
{
    (void)state;
    bs_broker_config_t c;
    char err[256];
    bs_broker_config_init(&c);

    assert_int_equal(bs_broker_config_set(&c, "num.partitions", "abc", err, sizeof err), -1);
    assert_non_null(strstr(err, "num.partitions"));
    assert_non_null(strstr(err, "abc"));
    assert_int_equal(bs_broker_config_set(&c, "num.partitions", "0", err, sizeof err), -1);
    assert_non_null(strstr(err, "[1,...]"));
    assert_int_equal(bs_broker_config_set(&c, "log.segment.bytes", "10", err, sizeof err), -1);
    assert_non_null(strstr(err, "log.segment.bytes"));
    assert_int_equal(bs_broker_config_set(&c, "log.message.timestamp.type", "Now", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "LogAppendTime"));
    assert_int_equal(bs_broker_config_set(&c, "compression.type", "brotli", err, sizeof err), -1);
    assert_int_equal(bs_broker_config_set(&c, "log.cleanup.policy", "forever", err, sizeof err),
                     -1);
    assert_int_equal(
        bs_broker_config_set(&c, "auto.create.topics.enable", "maybe", err, sizeof err), -1);
    assert_int_equal(bs_broker_config_set(&c, "listeners", "PLAINTEXT://:99999", err, sizeof err),
                     -1);
    assert_non_null(strstr(err, "listeners"));
    /* failed sets leave the previous values */
    assert_int_equal(c.num_partitions, 1);
    assert_string_equal(c.listeners, "PLAINTEXT://:9092");
    /* unknown key: warning, not fatal */
    assert_int_equal(bs_broker_config_set(&c, "no.such.setting", "1", err, sizeof err), 0);
    bs_broker_config_free(&c);
}

static void test_broker_load_args(void **state)
{
    (void)state;
    bs_broker_config_t c;
    char err[512];
    const char *path = tmp_path("server.properties");
    write_file(path, "# test\n"
                     "listeners=PLAINTEXT://127.0.0.1:19092\n"
                     "log.dirs=/tmp/x\n"
                     "num.partitions=3\n"
                     "log.retention.hours=1\n"
                     "mystery.key=1\n");
    char *argv[] = {(char *)path,       "--override",
                    "num.partitions=5", "--override=log.flush.on.ack=true",
                    "--override",       "log.retention.minutes=10"};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 6, argv, err, sizeof err), 0);
    assert_int_equal(c.num_partitions, 5);
    assert_true(c.log_flush_on_ack);
    assert_int_equal(c.log_retention_ms, 600000);
    assert_string_equal(c.log_dirs[0], "/tmp/x");
    assert_int_equal(c.listener_count, 1);
    assert_string_equal(c.listener_list[0].name, "PLAINTEXT");
    assert_string_equal(c.listener_list[0].host, "127.0.0.1");
    assert_int_equal(c.listener_list[0].port, 19092);
    bs_broker_config_free(&c);

    /* an override naming a bad value fails and names the key */
    char *argv2[] = {(char *)path, "--override", "num.partitions=x"};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 3, argv2, err, sizeof err), -1);
    assert_non_null(strstr(err, "num.partitions"));
    bs_broker_config_free(&c);

    /* an invalid value in the file names file, line and key */
    write_file(path, "a.b=1\nnum.io.threads=zero\n");
    char *argv3[] = {(char *)path};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 1, argv3, err, sizeof err), -1);
    assert_non_null(strstr(err, ":2:"));
    assert_non_null(strstr(err, "num.io.threads"));
    bs_broker_config_free(&c);
    unlink(path);

    /* missing file, bad option, missing override argument, two files */
    char *argv4[] = {"/nonexistent.properties"};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 1, argv4, err, sizeof err), -1);
    bs_broker_config_free(&c);
    char *argv5[] = {"--bogus"};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 1, argv5, err, sizeof err), -1);
    assert_non_null(strstr(err, "--bogus"));
    bs_broker_config_free(&c);
    char *argv6[] = {"--override"};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 1, argv6, err, sizeof err), -1);
    bs_broker_config_free(&c);
    char *argv7[] = {"a.properties", "b.properties"};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 2, argv7, err, sizeof err), -1);
    bs_broker_config_free(&c);
    char *argv8[] = {"--override", "novalue"};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 2, argv8, err, sizeof err), -1);
    bs_broker_config_free(&c);

    /* no arguments at all: defaults */
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 0, NULL, err, sizeof err), 0);
    assert_int_equal(c.listener_count, 1);
    assert_string_equal(c.listener_list[0].host, "");
    assert_int_equal(c.listener_list[0].port, 9092);
    bs_broker_config_free(&c);
}

static void test_broker_crosschecks(void **state)
{
    (void)state;
    bs_broker_config_t c;
    char err[512];

    char *a1[] = {"--override", "default.replication.factor=3"};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 2, a1, err, sizeof err), -1);
    assert_non_null(strstr(err, "default.replication.factor"));
    bs_broker_config_free(&c);

    char *a2[] = {"--override", "node.id=1", "--override", "broker.id=2"};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 4, a2, err, sizeof err), -1);
    assert_non_null(strstr(err, "broker.id"));
    bs_broker_config_free(&c);

    char *a3[] = {"--override", "node.id=4", "--override", "broker.id=4"};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 4, a3, err, sizeof err), 0);
    assert_int_equal(c.node_id, 4);
    bs_broker_config_free(&c);

    char *a4[] = {"--override", "advertised.listeners=EXTERNAL://example.com:9093"};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 2, a4, err, sizeof err), -1);
    assert_non_null(strstr(err, "advertised.listeners"));
    bs_broker_config_free(&c);

    char *a5[] = {"--override", "advertised.listeners=PLAINTEXT://example.com:9092", "--override",
                  "num.network.threads=4"};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 4, a5, err, sizeof err), 0);
    assert_int_equal(c.advertised_count, 1);
    assert_string_equal(c.advertised_list[0].host, "example.com");
    assert_int_equal(c.num_network_threads, 1);
    bs_broker_config_free(&c);

    char *a6[] = {"--override", "group.min.session.timeout.ms=10", "--override",
                  "group.max.session.timeout.ms=5"};
    bs_broker_config_init(&c);
    assert_int_equal(bs_broker_config_load_args(&c, 4, a6, err, sizeof err), -1);
    bs_broker_config_free(&c);
}

static void test_listeners_parse(void **state)
{
    (void)state;
    bs_listener_t *l = NULL;
    int n = 0;
    char err[256];

    assert_int_equal(bs_listeners_parse("PLAINTEXT://:9092, internal://10.0.0.1:9093,"
                                        "V6://[::1]:9094",
                                        &l, &n, err, sizeof err),
                     0);
    assert_int_equal(n, 3);
    assert_string_equal(l[0].name, "PLAINTEXT");
    assert_string_equal(l[0].host, "");
    assert_int_equal(l[0].port, 9092);
    assert_string_equal(l[1].name, "INTERNAL");
    assert_string_equal(l[1].host, "10.0.0.1");
    assert_string_equal(l[2].host, "::1");
    assert_int_equal(l[2].port, 9094);
    bs_listeners_free(l, n);

    const char *bad[] = {"localhost:9092",    "PLAINTEXT://host",
                         "PLAINTEXT://h:abc", "PLAINTEXT://h:70000",
                         "PLAIN TEXT://h:1",  "A://h:1,A://h:2",
                         "A://h:1,B://h:1",   "A://::1:9092",
                         "A://[::1:9092",     "://h:1"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        l = (bs_listener_t *)1;
        if (bs_listeners_parse(bad[i], &l, &n, err, sizeof err) == 0)
            fail_msg("accepted bad listener list '%s'", bad[i]);
        assert_null(l);
        assert_non_null(strstr(err, "listeners"));
    }
}

typedef struct describe_ctx_s {
    int count;
    int found;
    const char *want;
    bs_cfg_entry_t got;
    char value[128];
    char syn_names[4][64];
    char syn_values[4][64];
} describe_ctx_t;

static void describe_cb(void *opaque, const bs_cfg_entry_t *e)
{
    describe_ctx_t *x = opaque;
    x->count++;
    if (strcmp(e->name, x->want) != 0)
        return;
    x->found = 1;
    x->got = *e;
    snprintf(x->value, sizeof x->value, "%s", e->value ? e->value : "(null)");
    for (int i = 0; i < e->synonyms_count; i++) {
        snprintf(x->syn_names[i], 64, "%s", e->synonyms[i].name);
        snprintf(x->syn_values[i], 64, "%s",
                 e->synonyms[i].value ? e->synonyms[i].value : "(null)");
    }
}

static void test_broker_describe(void **state)
{
    (void)state;
    bs_broker_config_t c;
    char err[256];
    describe_ctx_t x;
    int n = 0;
    bs_broker_config_defs(&n);

    bs_broker_config_init(&c);
    memset(&x, 0, sizeof x);
    x.want = "log.retention.ms";
    bs_broker_config_describe(&c, describe_cb, &x);
    assert_int_equal(x.count, n);
    assert_true(x.found);
    assert_string_equal(x.value, "604800000");
    assert_int_equal(x.got.source, BS_CFG_SOURCE_DEFAULT_CONFIG);
    assert_int_equal(x.got.config_type, BS_CFG_LONG);
    assert_int_equal(x.got.synonyms_count, 1);
    assert_string_equal(x.syn_names[0], "log.retention.hours");
    assert_string_equal(x.syn_values[0], "168");

    assert_int_equal(bs_broker_config_set(&c, "log.retention.minutes", "5", err, sizeof err), 0);
    assert_int_equal(bs_broker_config_set(&c, "log.retention.ms", "1234", err, sizeof err), 0);
    memset(&x, 0, sizeof x);
    x.want = "log.retention.ms";
    bs_broker_config_describe(&c, describe_cb, &x);
    assert_string_equal(x.value, "1234");
    assert_int_equal(x.got.source, BS_CFG_SOURCE_STATIC_BROKER_CONFIG);
    assert_int_equal(x.got.synonyms_count, 3);
    assert_string_equal(x.syn_names[0], "log.retention.ms");
    assert_int_equal(x.got.synonyms[0].source, BS_CFG_SOURCE_STATIC_BROKER_CONFIG);
    assert_string_equal(x.syn_names[1], "log.retention.minutes");
    assert_string_equal(x.syn_values[1], "5");
    assert_string_equal(x.syn_names[2], "log.retention.hours");
    assert_int_equal(x.got.synonyms[2].source, BS_CFG_SOURCE_DEFAULT_CONFIG);

    memset(&x, 0, sizeof x);
    x.want = "log.dirs";
    bs_broker_config_describe(&c, describe_cb, &x);
    assert_string_equal(x.value, "./data");
    assert_true(x.got.read_only);

    memset(&x, 0, sizeof x);
    x.want = "log.flush.on.ack";
    bs_broker_config_describe(&c, describe_cb, &x);
    assert_string_equal(x.value, "false");
    assert_int_equal(x.got.config_type, BS_CFG_BOOLEAN);
    bs_broker_config_free(&c);

    /* value lookup helpers */
    char buf[64];
    int found = 1;
    assert_null(bs_broker_config_value(NULL, "nope", buf, sizeof buf, &found));
    assert_int_equal(found, 0);
    assert_string_equal(bs_broker_config_value(NULL, "log.roll.ms", buf, sizeof buf, &found),
                        "604800000");
    assert_int_equal(bs_broker_config_source(NULL, "log.roll.ms"), BS_CFG_SOURCE_DEFAULT_CONFIG);
}

static void test_broker_docs_and_usage(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_non_null(f);
    assert_int_equal(bs_broker_config_print_docs(f), 0);
    bs_broker_config_usage(f);
    fclose(f);
    assert_non_null(strstr(buf, "| `log.retention.hours` |"));
    assert_non_null(strstr(buf, "| `retention.ms` |"));
    assert_non_null(strstr(buf, "log.flush.on.ack"));
    assert_non_null(strstr(buf, "--override key=value"));
    free(buf);
    /* logging every setting must not crash */
    bs_broker_config_t c;
    bs_broker_config_init(&c);
    bs_broker_config_log(&c);
    bs_broker_config_free(&c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_props_separators_and_comments),
        cmocka_unit_test(test_props_continuation_and_escapes),
        cmocka_unit_test(test_props_errors),
        cmocka_unit_test(test_props_callback_abort),
        cmocka_unit_test(test_props_write_atomic_round_trip),
        cmocka_unit_test(test_cfg_validate),
        cmocka_unit_test(test_broker_defaults_are_kafkas),
        cmocka_unit_test(test_broker_all_defaults_valid),
        cmocka_unit_test(test_broker_retention_synonyms),
        cmocka_unit_test(test_broker_other_synonyms),
        cmocka_unit_test(test_broker_invalid_values),
        cmocka_unit_test(test_broker_load_args),
        cmocka_unit_test(test_broker_crosschecks),
        cmocka_unit_test(test_listeners_parse),
        cmocka_unit_test(test_broker_describe),
        cmocka_unit_test(test_broker_docs_and_usage),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
