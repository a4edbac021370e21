/*
 * test_registry_model.c — the Schema Registry's in-memory model rebuilt from
 * `_schemas` records in Confluent's formats (as a Confluent registry writes
 * them: SCHEMA with and without schemaType/references, soft deletes,
 * tombstones, CONFIG/MODE with null or absent subject, DELETE_SUBJECT,
 * CLEAR_SUBJECT, NOOP and unknown keytypes), malformed records, id
 * conflicts; plus the registry configuration loader and request validation.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry/model.h"
#include "registry/registry_config.h"
#include "registry/registry_int.h"

static int64_t g_off;

static int apply(bs_reg_model_t *m, const char *k, const char *v)
{
    char err[256];
    return bs_reg_model_apply(m, k, strlen(k), v, v ? strlen(v) : 0, g_off++, err, sizeof err);
}

#define SK(s, v) "{\"keytype\":\"SCHEMA\",\"subject\":\"" s "\",\"version\":" #v ",\"magic\":1}"

static void test_schema_records(void **state)
{
    (void)state;
    bs_reg_model_t m;
    bs_reg_model_init(&m);
    /* Confluent 7.x record: no schemaType, md5 and unknown fields ignored */
    assert_int_equal(
        apply(&m, SK("a", 1),
              "{\"subject\":\"a\",\"version\":1,\"id\":1,\"schema\":\"\\\"string\\\"\","
              "\"md5\":\"AAAA\",\"deleted\":false,\"ruleSet\":null}"),
        0);
    assert_int_equal(
        apply(&m, SK("b", 1),
              "{\"subject\":\"b\",\"version\":1,\"id\":1,\"schema\":\"\\\"string\\\"\","
              "\"deleted\":false}"),
        0);
    assert_int_equal(apply(&m, SK("a", 2),
                           "{\"subject\":\"a\",\"version\":2,\"id\":5,\"schemaType\":\"PROTOBUF\","
                           "\"schema\":\"syntax = \\\"proto3\\\";\",\"references\":[{\"name\":"
                           "\"x.proto\",\"subject\":\"b\",\"version\":1}],\"deleted\":false}"),
                     0);
    bs_reg_subject_t *a = bs_reg_model_subject(&m, "a");
    assert_non_null(a);
    assert_int_equal(a->nv, 2);
    assert_int_equal(m.max_id, 5);
    bs_reg_schema_t *s1 = bs_reg_model_schema(&m, 1);
    assert_non_null(s1);
    assert_string_equal(s1->type, "AVRO");
    assert_int_equal(s1->nuse, 2);
    assert_string_equal(s1->by_id_json, "{\"schema\":\"\\\"string\\\"\"}");
    bs_reg_schema_t *s5 = bs_reg_model_schema(&m, 5);
    assert_string_equal(s5->type, "PROTOBUF");
    assert_non_null(s5->refs);
    assert_non_null(strstr(s5->by_id_json, "\"schemaType\":\"PROTOBUF\""));
    assert_non_null(strstr(s5->by_id_json, "\"references\""));
    /* identity lookup */
    size_t il;
    char *ident = bs_reg_ident("\"string\"", 8, NULL, NULL, &il);
    assert_ptr_equal(bs_reg_model_by_ident(&m, ident, il), s1);
    free(ident);

    /* soft delete of a/1, then tombstone (hard delete) */
    assert_int_equal(
        apply(&m, SK("a", 1),
              "{\"subject\":\"a\",\"version\":1,\"id\":1,\"schema\":\"\\\"string\\\"\","
              "\"deleted\":true}"),
        0);
    assert_true(bs_reg_subject_version(a, 1)->deleted);
    assert_int_equal(bs_reg_subject_live(a), 1);
    assert_int_equal(bs_reg_subject_latest(a, false)->version, 2);
    assert_int_equal(apply(&m, SK("a", 1), NULL), 0);
    assert_null(bs_reg_subject_version(a, 1));
    assert_int_equal(bs_reg_model_schema(&m, 1)->nuse, 1); /* still used by b */
    assert_int_equal(apply(&m, SK("b", 1), NULL), 0);
    assert_null(bs_reg_model_schema(&m, 1)); /* gone with its last use */
    assert_null(bs_reg_model_subject(&m, "b"));
    assert_int_equal(m.max_id, 5); /* never decreases */
    bs_reg_model_free(&m);
}

static void test_id_conflict_rejected(void **state)
{
    (void)state;
    bs_reg_model_t m;
    bs_reg_model_init(&m);
    assert_int_equal(apply(&m, SK("a", 1),
                           "{\"subject\":\"a\",\"version\":1,\"id\":3,\"schema\":\"\\\"int\\\"\"}"),
                     0);
    /* same id, different text: Confluent rejects it on replay too */
    assert_int_equal(
        apply(&m, SK("c", 1),
              "{\"subject\":\"c\",\"version\":1,\"id\":3,\"schema\":\"\\\"long\\\"\"}"),
        -1);
    assert_null(bs_reg_model_subject(&m, "c"));
    assert_string_equal(bs_reg_model_schema(&m, 3)->text, "\"int\"");
    assert_int_equal(m.rejected, 1);
    bs_reg_model_free(&m);
}

static void test_config_mode_delete_clear(void **state)
{
    (void)state;
    bs_reg_model_t m;
    bs_reg_model_init(&m);
    /* global config: subject null, or absent */
    assert_int_equal(apply(&m, "{\"keytype\":\"CONFIG\",\"subject\":null,\"magic\":0}",
                           "{\"compatibilityLevel\":\"FULL\"}"),
                     0);
    assert_string_equal(json_string_value(json_object_get(m.config, "compatibilityLevel")), "FULL");
    assert_int_equal(
        apply(&m, "{\"keytype\":\"CONFIG\",\"magic\":0}", "{\"compatibilityLevel\":\"NONE\"}"), 0);
    assert_string_equal(json_string_value(json_object_get(m.config, "compatibilityLevel")), "NONE");
    assert_int_equal(apply(&m, "{\"keytype\":\"CONFIG\",\"subject\":\"s\",\"magic\":0}",
                           "{\"compatibilityLevel\":\"FORWARD\",\"subject\":\"s\"}"),
                     0);
    bs_reg_subject_t *s = bs_reg_model_subject(&m, "s");
    assert_non_null(s);
    assert_null(json_object_get(s->config, "subject"));
    assert_int_equal(
        apply(&m, "{\"keytype\":\"MODE\",\"subject\":null,\"magic\":0}", "{\"mode\":\"READONLY\"}"),
        0);
    assert_string_equal(m.mode, "READONLY");
    assert_int_equal(apply(&m, "{\"keytype\":\"MODE\",\"subject\":null,\"magic\":0}", NULL), 0);
    assert_null(m.mode);
    /* config tombstone on a subject with nothing else drops the subject */
    assert_int_equal(apply(&m, "{\"keytype\":\"CONFIG\",\"subject\":\"s\",\"magic\":0}", NULL), 0);
    assert_null(bs_reg_model_subject(&m, "s"));

    for (int v = 1; v <= 3; v++) {
        char k[128], val[256];
        snprintf(k, sizeof k,
                 "{\"keytype\":\"SCHEMA\",\"subject\":\"d\",\"version\":%d,\"magic\":1}", v);
        snprintf(
            val, sizeof val,
            "{\"subject\":\"d\",\"version\":%d,\"id\":%d,\"schema\":\"{\\\"type\\\":\\\"fixed\\\","
            "\\\"name\\\":\\\"F\\\",\\\"size\\\":%d}\",\"deleted\":false}",
            v, 10 + v, v);
        assert_int_equal(apply(&m, k, val), 0);
    }
    assert_int_equal(apply(&m, "{\"keytype\":\"DELETE_SUBJECT\",\"subject\":\"d\",\"magic\":0}",
                           "{\"subject\":\"d\",\"version\":2}"),
                     0);
    bs_reg_subject_t *d = bs_reg_model_subject(&m, "d");
    assert_true(bs_reg_subject_version(d, 1)->deleted);
    assert_true(bs_reg_subject_version(d, 2)->deleted);
    assert_false(bs_reg_subject_version(d, 3)->deleted);
    assert_int_equal(bs_reg_subject_max_version(d), 3);
    assert_int_equal(apply(&m, "{\"keytype\":\"CLEAR_SUBJECT\",\"subject\":\"d\",\"magic\":0}",
                           "{\"subject\":\"d\"}"),
                     0);
    assert_int_equal(d->nv, 1);
    assert_null(bs_reg_model_schema(&m, 11));
    assert_non_null(bs_reg_model_schema(&m, 13));
    bs_reg_model_free(&m);
}

static void test_tolerated_and_bad_records(void **state)
{
    (void)state;
    bs_reg_model_t m;
    bs_reg_model_init(&m);
    /* NOOP and keytypes of newer releases are read and ignored */
    assert_int_equal(apply(&m, "{\"keytype\":\"NOOP\",\"magic\":0}", NULL), 0);
    assert_int_equal(
        apply(&m, "{\"keytype\":\"CONTEXT\",\"tenant\":\"t\",\"context\":\".x\"}", "{\"x\":1}"), 0);
    assert_int_equal(apply(&m, "{\"keytype\":\"SOMETHING_NEW\",\"magic\":2}", "{}"), 0);
    /* malformed: every one is skipped with a message, none crashes */
    const char *bad[][2] = {
        {"not json", "{}"},
        {"[1,2]", "{}"},
        {"{\"magic\":1}", "{}"},
        {"{\"keytype\":\"SCHEMA\",\"subject\":\"x\",\"magic\":1}", "{}"},
        {SK("x", 0), "{}"},
        {SK("x", 1), "{\"id\":1}"},
        {SK("x", 1), "{\"id\":-4,\"schema\":\"\\\"int\\\"\"}"},
        {SK("x", 1), "{\"id\":1,\"schema\":7}"},
        {SK("x", 1), "{\"id\":1,\"schema\":\"\\\"int\\\"\",\"references\":5}"},
        {SK("x", 1), "[]"},
        {SK("x", 1), "{broken"},
        {"{\"keytype\":\"SCHEMA\",\"subject\":5,\"version\":1}", "{}"},
        {"{\"keytype\":\"CONFIG\",\"subject\":\"x\"}", "\"FULL\""},
        {"{\"keytype\":\"MODE\",\"subject\":\"x\"}", "{\"mode\":3}"},
        {"{\"keytype\":\"DELETE_SUBJECT\",\"subject\":\"x\"}", "{}"},
    };
    /* a subject for DELETE_SUBJECT to find */
    assert_int_equal(apply(&m, SK("x", 1), "{\"id\":2,\"schema\":\"\\\"int\\\"\"}"), 0);
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        int rc = bs_reg_model_apply(&m, bad[i][0], strlen(bad[i][0]), bad[i][1], strlen(bad[i][1]),
                                    g_off++, err, sizeof err);
        if (rc != -1)
            fail_msg("record %zu was accepted: %s -> %s", i, bad[i][0], bad[i][1]);
        assert_true(err[0] != '\0');
    }
    assert_int_equal(apply(&m, "", NULL), -1); /* no key */
    assert_int_equal(m.applied, g_off - 1);
    assert_int_equal(bs_reg_model_subject(&m, "x")->nv, 1);
    bs_reg_model_free(&m);
}

static void test_config_loader(void **state)
{
    (void)state;
    bs_reg_config_t c;
    char err[512];
    char *argv1[] = {"--override", "listeners=http://127.0.0.1:18081",
                     "--override", "schema.compatibility.level=Full_Transitive",
                     "--override", "kafkastore.security.protocol=PLAINTEXT",
                     "--override", "host.name=h1",
                     "--override", "master.eligibility=false"};
    bs_reg_config_init(&c);
    assert_int_equal(bs_reg_config_load_args(&c, 10, argv1, err, sizeof err), 0);
    assert_string_equal(c.compat_level, "FULL_TRANSITIVE");
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_int_equal(c.listen_port, 18081);
    assert_string_equal(c.self_url, "http://h1:18081");
    assert_false(c.leader_eligibility);
    assert_int_equal(c.nkprops, 1);
    assert_string_equal(c.kprops[0], "security.protocol");
    assert_string_equal(c.topic, "_schemas");
    bs_reg_config_free(&c);

    char *bad[][2] = {
        {"--override", "schema.compatibility.level=sideways"},
        {"--override", "listeners=https://0.0.0.0:8081"},
        {"--override", "listeners=http://0.0.0.0"},
        {"--override", "kafkastore.timeout.ms=-1"},
        {"--override", "leader.eligibility=maybe"},
        {"--override", "noequals"},
        {"--bogus", "x"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bs_reg_config_init(&c);
        err[0] = '\0';
        assert_int_equal(bs_reg_config_load_args(&c, 2, bad[i], err, sizeof err), -1);
        assert_true(err[0] != '\0');
        bs_reg_config_free(&c);
    }
}

static void test_subject_and_version_validation(void **state)
{
    (void)state;
    bs_reg_err_t e;
    int32_t v;
    assert_int_equal(bs_reg_check_subject("orders-value", &e), 0);
    assert_int_equal(bs_reg_check_subject(":.ctx:orders", &e), 0);
    assert_int_equal(bs_reg_check_subject("bad\x01name", &e), -1);
    assert_int_equal(e.code, 42208);
    assert_int_equal(bs_reg_check_subject("__GLOBAL", &e), -1);
    assert_int_equal(bs_reg_check_subject("", &e), -1);
    assert_int_equal(bs_reg_parse_version("latest", &v, &e), 0);
    assert_int_equal(v, -1);
    assert_int_equal(bs_reg_parse_version("-1", &v, &e), 0);
    assert_int_equal(bs_reg_parse_version("2147483647", &v, &e), 0);
    assert_int_equal(v, 2147483647);
    const char *badv[] = {"0", "-2", "2147483648", "1x", "", " 1", "abc", "1.5"};
    for (size_t i = 0; i < sizeof badv / sizeof badv[0]; i++) {
        assert_int_equal(bs_reg_parse_version(badv[i], &v, &e), -1);
        assert_int_equal(e.code, 42202);
        assert_int_equal(e.status, 422);
    }
}

static void test_record_keys(void **state)
{
    (void)state;
    /* byte-exact keys: compaction merges our records with Confluent's */
    char *k = bs_reg_key_schema("s", 3);
    assert_string_equal(k, "{\"keytype\":\"SCHEMA\",\"subject\":\"s\",\"version\":3,\"magic\":1}");
    free(k);
    k = bs_reg_key_simple("CONFIG", NULL);
    assert_string_equal(k, "{\"keytype\":\"CONFIG\",\"subject\":null,\"magic\":0}");
    free(k);
    k = bs_reg_key_simple("DELETE_SUBJECT", "s");
    assert_string_equal(k, "{\"keytype\":\"DELETE_SUBJECT\",\"subject\":\"s\",\"magic\":0}");
    free(k);
    k = bs_reg_key_simple("NOOP", NULL);
    assert_string_equal(k, "{\"keytype\":\"NOOP\",\"magic\":0}");
    free(k);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_schema_records),
        cmocka_unit_test(test_id_conflict_rejected),
        cmocka_unit_test(test_config_mode_delete_clear),
        cmocka_unit_test(test_tolerated_and_bad_records),
        cmocka_unit_test(test_config_loader),
        cmocka_unit_test(test_subject_and_version_validation),
        cmocka_unit_test(test_record_keys),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
