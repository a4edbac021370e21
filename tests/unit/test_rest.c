/*
 * test_rest.c — the REST Proxy's pure parts: the settings table (defaults,
 * overrides, pass-through client properties, listener parsing, bad values),
 * base64 both ways, the JSON text writer (escaping, invalid UTF-8, output
 * parseable by jansson), embedded formats of media types, and the binary
 * produce body scanner's value skipper, the v3 key/value schema fields
 * (Confluent's argument rules) and the memo of schema resolutions
 * (produce.c included for its static functions).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "rest/produce.c"

#include "rest/rest_config.h"
#include "rest/rest_int.h"

static void test_config_defaults(void **state)
{
    (void)state;
    bs_rest_config_t c;
    char err[512];
    bs_rest_config_init(&c);
    char *argv[] = {"--override", "bootstrap.servers=b1:9092"};
    assert_int_equal(bs_rest_config_load_args(&c, 2, argv, err, sizeof err), 0);
    assert_string_equal(c.listeners, "http://0.0.0.0:8082");
    assert_int_equal(c.listen_port, 8082);
    assert_string_equal(c.listen_host, "0.0.0.0");
    assert_int_equal(c.consumer_instance_timeout_ms, 300000);
    assert_int_equal(c.consumer_request_timeout_ms, 1000);
    assert_int_equal(c.consumer_request_max_bytes, 67108864);
    assert_string_equal(c.schema_registry_url, "http://localhost:8081");
    assert_string_equal(c.bootstrap, "b1:9092");
    assert_true(c.api_v2_enable && c.api_v3_enable);
    assert_null(c.advertised);
    bs_rest_config_free(&c);
}

static void test_config_overrides(void **state)
{
    (void)state;
    bs_rest_config_t c;
    char err[512];
    bs_rest_config_init(&c);
    char *argv[] = {"--override",
                    "listeners=http://127.0.0.1:18082",
                    "--override=advertised.listeners=http://rest.example:80",
                    "--override",
                    "producer.compression.type=lz4",
                    "--override",
                    "client.security.protocol=plaintext",
                    "--override",
                    "consumer.fetch.max.bytes=1000",
                    "--override",
                    "consumer.request.timeout.ms=250",
                    "--override",
                    "some.unknown.key=1"};
    assert_int_equal(
        bs_rest_config_load_args(&c, (int)(sizeof argv / sizeof argv[0]), argv, err, sizeof err),
        0);
    assert_int_equal(c.listen_port, 18082);
    assert_string_equal(c.listen_host, "127.0.0.1");
    assert_string_equal(c.advertised, "http://rest.example:80");
    assert_int_equal(c.consumer_request_timeout_ms, 250);
    assert_int_equal(c.producer.n, 1);
    assert_string_equal(c.producer.kv[0], "compression.type");
    assert_string_equal(c.producer.kv[1], "lz4");
    assert_int_equal(c.client.n, 1);
    assert_int_equal(c.consumer.n, 1);
    assert_string_equal(c.consumer.kv[0], "fetch.max.bytes");
    bs_rest_config_free(&c);
}

static void test_config_errors(void **state)
{
    (void)state;
    bs_rest_config_t c;
    char err[512];
    const char *bad[][2] = {
        {"--override", "listeners=https://0.0.0.0:8082"},
        {"--override", "listeners=http://0.0.0.0"},
        {"--override", "listeners=0.0.0.0:8082"},
        {"--override", "consumer.instance.timeout.ms=abc"},
        {"--override", "consumer.threads=0"},
        {"--override", "api.v2.enable=maybe"},
        {"--override", "noequals"},
        {"--bogus", "x"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        bs_rest_config_init(&c);
        char *argv[] = {(char *)bad[i][0], (char *)bad[i][1]};
        err[0] = '\0';
        assert_int_equal(bs_rest_config_load_args(&c, 2, argv, err, sizeof err), -1);
        assert_true(strlen(err) > 0);
        bs_rest_config_free(&c);
    }
    bs_rest_config_init(&c);
    char *argv[] = {"--override", "api.v2.enable=false", "--override", "api.v3.enable=false"};
    assert_int_equal(bs_rest_config_load_args(&c, 4, argv, err, sizeof err), -1);
    assert_non_null(strstr(err, "nothing to serve"));
    bs_rest_config_free(&c);
}

static void test_config_docs(void **state)
{
    (void)state;
    char *buf = NULL;
    size_t len = 0;
    FILE *f = open_memstream(&buf, &len);
    assert_int_equal(bs_rest_config_print_docs(f), 0);
    fclose(f);
    assert_non_null(strstr(buf, "consumer.instance.timeout.ms"));
    assert_non_null(strstr(buf, "bootstrap.servers"));
    free(buf);
}

static void test_base64(void **state)
{
    (void)state;
    const char *in[] = {"", "f", "fo", "foo", "foob", "fooba", "foobar"};
    const char *want[] = {"\"\"",         "\"Zg==\"",     "\"Zm8=\"",    "\"Zm9v\"",
                          "\"Zm9vYg==\"", "\"Zm9vYmE=\"", "\"Zm9vYmFy\""};
    for (size_t i = 0; i < 7; i++) {
        bs_wbuf_t w;
        bs_wbuf_init(&w);
        bs_rest_jw_b64(&w, in[i], strlen(in[i]));
        assert_int_equal(w.len, strlen(want[i]));
        assert_memory_equal(w.data, want[i], w.len);
        uint8_t out[16];
        long n = bs_rest_b64_decode(want[i] + 1, strlen(want[i]) - 2, out);
        assert_int_equal(n, (long)strlen(in[i]));
        assert_memory_equal(out, in[i], (size_t)n);
        bs_wbuf_free(&w);
    }
    uint8_t out[16];
    assert_int_equal(bs_rest_b64_decode("Zm9vYg", 6, out), 4); /* no padding */
    assert_int_equal(bs_rest_b64_decode("Zm9v!g==", 8, out), -1);
    assert_int_equal(bs_rest_b64_decode("Z", 1, out), -1);
    assert_int_equal(bs_rest_b64_decode("Zm 9v", 5, out), -1);
    /* every byte value round-trips */
    uint8_t all[256], back[260];
    for (int i = 0; i < 256; i++)
        all[i] = (uint8_t)i;
    bs_wbuf_t w;
    bs_wbuf_init(&w);
    bs_rest_jw_b64(&w, all, 256);
    assert_int_equal(bs_rest_b64_decode((const char *)w.data + 1, w.len - 2, back), 256);
    assert_memory_equal(all, back, 256);
    bs_wbuf_free(&w);
}

static void test_json_writer(void **state)
{
    (void)state;
    bs_wbuf_t w;
    bs_wbuf_init(&w);
    const char s[] = "a\"b\\c\n\t\x01 é ☃";
    bs_rest_jw_raw(&w, "[");
    bs_rest_jw_str(&w, s, strlen(s));
    bs_rest_jw_raw(&w, ",");
    bs_rest_jw_str(&w, "\xff\xc3", 2); /* not UTF-8 */
    bs_rest_jw_raw(&w, ",");
    bs_rest_jw_cstr(&w, NULL);
    bs_rest_jw_raw(&w, ",");
    bs_rest_jw_i64(&w, -9223372036854775807LL - 1);
    bs_rest_jw_raw(&w, "]");
    json_error_t je;
    json_t *j = json_loadb((const char *)w.data, w.len, 0, &je);
    assert_non_null(j);
    assert_string_equal(json_string_value(json_array_get(j, 0)), s);
    assert_string_equal(json_string_value(json_array_get(j, 1)), "\xc3\xbf\xc3\x83");
    assert_true(json_is_null(json_array_get(j, 2)));
    assert_true(json_integer_value(json_array_get(j, 3)) < 0);
    json_decref(j);
    bs_wbuf_free(&w);
}

static void test_media_formats(void **state)
{
    (void)state;
    assert_int_equal(bs_rest_fmt_of_media("application/vnd.kafka.binary.v2+json"),
                     BS_REST_FMT_BINARY);
    assert_int_equal(bs_rest_fmt_of_media("application/vnd.kafka.json.v2+json; charset=utf-8"),
                     BS_REST_FMT_JSON);
    assert_int_equal(bs_rest_fmt_of_media("application/vnd.kafka.AVRO.v2+json"), BS_REST_FMT_AVRO);
    assert_int_equal(bs_rest_fmt_of_media("application/vnd.kafka.protobuf.v2+json"),
                     BS_REST_FMT_UNKNOWN);
    assert_int_equal(bs_rest_fmt_of_media("application/vnd.kafka.v2+json"), BS_REST_FMT_GENERIC);
    assert_int_equal(bs_rest_fmt_of_media("application/json"), BS_REST_FMT_GENERIC);
    assert_int_equal(bs_rest_fmt_of_media(NULL), BS_REST_FMT_GENERIC);
    assert_int_equal(bs_rest_fmt_of_media("application/vnd.kafka."), BS_REST_FMT_GENERIC);
    assert_int_equal(bs_rest_fmt_parse_name("BINARY"), BS_REST_FMT_BINARY);
    assert_int_equal(bs_rest_fmt_parse_name("xml"), BS_REST_FMT_UNKNOWN);
    assert_string_equal(bs_rest_fmt_media_v2(BS_REST_FMT_AVRO),
                        "application/vnd.kafka.avro.v2+json");
    assert_int_equal(bs_rest_parse_i32("12"), 12);
    assert_int_equal(bs_rest_parse_i32("-1"), -1);
    assert_int_equal(bs_rest_parse_i32("99999999999"), -1);
    assert_int_equal(bs_rest_parse_i32(""), -1);
}

/* v3_schema_fields on a JSON text: returns its result, fills q/fmt/msg.
 * q's strings point into the document, kept until the next call. */
static json_t *g_sch_doc;

static int sch_fields(const char *text, bs_rest_sch_req_t *q, int *fmt, char *msg, size_t msglen)
{
    json_decref(g_sch_doc);
    g_sch_doc = json_loads(text, 0, NULL);
    assert_non_null(g_sch_doc);
    msg[0] = 0;
    return v3_schema_fields(g_sch_doc, "value", q, fmt, msg, msglen);
}

static void test_v3_schema_fields(void **state)
{
    (void)state;
    bs_rest_sch_req_t q;
    int fmt;
    char msg[512];
    /* schemaless */
    assert_int_equal(sch_fields("{\"data\":\"eA==\"}", &q, &fmt, msg, sizeof msg), 0);
    assert_int_equal(fmt, -1);
    assert_int_equal(sch_fields("{\"type\":\"string\",\"data\":\"x\"}", &q, &fmt, msg, sizeof msg),
                     0);
    assert_int_equal(fmt, BS_REST_FMT_STRING);
    /* schema-based: by type + raw schema, by id / version / subject (type omitted) */
    assert_int_equal(sch_fields("{\"type\":\"AVRO\",\"schema\":\"\\\"int\\\"\",\"data\":1}", &q,
                                &fmt, msg, sizeof msg),
                     1);
    assert_int_equal(q.fmt, BS_REST_FMT_AVRO);
    assert_string_equal(q.schema, "\"int\"");
    assert_true(q.id == -1 && q.version == -1 && !q.subject);
    assert_int_equal(sch_fields("{\"schema_id\":7,\"data\":1}", &q, &fmt, msg, sizeof msg), 1);
    assert_true(q.fmt == -1 && q.id == 7 && q.version == -1);
    assert_int_equal(sch_fields("{\"schema_version\":2,\"subject\":\"s\",\"data\":1}", &q, &fmt,
                                msg, sizeof msg),
                     1);
    assert_true(q.version == 2 && q.id == -1);
    assert_string_equal(q.subject, "s");
    assert_int_equal(sch_fields("{\"subject_name_strategy\":\"topic_record_name\",\"data\":1}", &q,
                                &fmt, msg, sizeof msg),
                     1);
    assert_true(q.strategy == BS_REST_SNS_TOPIC_RECORD_NAME && q.strategy_given);
    assert_int_equal(sch_fields("{\"type\":\"JSONSCHEMA\",\"schema_id\":3,\"data\":{}}", &q, &fmt,
                                msg, sizeof msg),
                     1);
    assert_true(q.fmt == BS_REST_FMT_JSONSCHEMA && q.id == 3);
    /* Confluent's argument checks */
    static const struct {
        const char *text, *needle;
    } bad[] = {
        {"{\"type\":\"BINARY\",\"schema_id\":1}", "'type=BINARY' cannot be used with 'schema_id'"},
        {"{\"type\":\"JSON\",\"subject\":\"s\"}", "cannot be used with 'subject'"},
        {"{\"subject\":\"s\",\"subject_name_strategy\":\"TOPIC_NAME\"}", "Only one of"},
        {"{\"schema_id\":1,\"schema_version\":1}", "Only one of"},
        {"{\"type\":\"AVRO\",\"schema_id\":1,\"schema\":\"x\"}", "Only one of"},
        {"{\"type\":\"AVRO\",\"data\":1}", "needs 'schema'"},
        {"{\"type\":\"PROTOBUF\",\"schema\":\"x\"}", "PROTOBUF"},
        {"{\"type\":\"XML\"}", "Unsupported value type"},
        {"{\"type\":7}", "Unsupported value type"},
        {"{\"schema\":\"\\\"int\\\"\"}", "needs a 'type'"},
        {"{\"schema_id\":-1}", "schema_id must be"},
        {"{\"schema_id\":\"1\"}", "schema_id must be"},
        {"{\"schema_version\":0}", "schema_version must be"},
        {"{\"subject\":\"\"}", "subject must be"},
        {"{\"subject_name_strategy\":\"NAME\"}", "subject_name_strategy must be"},
        {"{\"type\":\"AVRO\",\"schema\":5}", "schema must be a string"},
    };
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        assert_int_equal(sch_fields(bad[i].text, &q, &fmt, msg, sizeof msg), -1);
        if (!strstr(msg, bad[i].needle))
            fail_msg("%s: message '%s' lacks '%s'", bad[i].text, msg, bad[i].needle);
    }
    /* null fields count as absent */
    assert_int_equal(sch_fields("{\"type\":\"BINARY\",\"schema_id\":null,\"data\":\"\"}", &q, &fmt,
                                msg, sizeof msg),
                     0);
    json_decref(g_sch_doc);
    g_sch_doc = NULL;
}

static void test_sch_memo(void **state)
{
    (void)state;
    sch_memo_t m;
    memset(&m, 0, sizeof m);
    bs_rest_sch_req_t a = {.fmt = -1, .id = -1, .version = -1, .subject = "s1"};
    bs_rest_sch_req_t b = a;
    bs_rest_sch_t res = {.fmt = BS_REST_FMT_AVRO, .id = 5, .version = 2};
    snprintf(res.subject, sizeof res.subject, "s1");
    assert_null(sch_memo_get(&m, false, &a));
    sch_memo_put(&m, false, &a, &res);
    assert_non_null(sch_memo_get(&m, false, &b));
    assert_int_equal(sch_memo_get(&m, false, &b)->id, 5);
    assert_null(sch_memo_get(&m, true, &b));         /* the key side is another entry */
    assert_ptr_not_equal(m.q[0].subject, a.subject); /* its own copy */
    b.subject = "s2";
    assert_null(sch_memo_get(&m, false, &b));
    b = a;
    b.version = 3;
    assert_null(sch_memo_get(&m, false, &b));
    b = a;
    b.schema = "\"int\"";
    assert_null(sch_memo_get(&m, false, &b));
    /* more distinct sides than slots: the oldest go, the newest stay */
    for (int i = 0; i < SCH_MEMO_N + 3; i++) {
        bs_rest_sch_req_t q = a;
        q.id = i;
        res.id = 100 + i;
        sch_memo_put(&m, i % 2 == 0, &q, &res);
    }
    bs_rest_sch_req_t q = a;
    q.id = SCH_MEMO_N + 2;
    assert_non_null(sch_memo_get(&m, (SCH_MEMO_N + 2) % 2 == 0, &q));
    assert_int_equal(sch_memo_get(&m, (SCH_MEMO_N + 2) % 2 == 0, &q)->id, 100 + SCH_MEMO_N + 2);
    q.id = 0;
    assert_null(sch_memo_get(&m, true, &q));
    assert_null(sch_memo_get(&m, false, &a));
    sch_memo_free(&m);
    for (int i = 0; i < SCH_MEMO_N; i++)
        assert_false(m.have[i]);
}

/* Every cut of a record inside an escape, a UTF-8 sequence or a literal is
 * "incomplete" (wait for more bytes); a bad character well before the end
 * is not. */
static void test_stream_incomplete(void **state)
{
    (void)state;
    const char *rec =
        "{\"value\":{\"schema\":\"{\\\"t\\\":1}\",\"data\":[\"\\ud83d\\ude00\xc3\xa9\","
        "true,false,null,-1.5e3]}}";
    size_t n = strlen(rec);
    for (size_t i = 1; i < n; i++) {
        json_error_t je;
        json_t *o = json_loadb(rec, i, JSON_DISABLE_EOF_CHECK, &je);
        assert_null(o);
        if (!v3s_incomplete(&je, i))
            fail_msg("cut at %zu reported as malformed: %s", i, je.text);
    }
    json_error_t je;
    const char *bad = "{\"value\":{\"data\":x,\"type\":\"JSON\",\"partition_id\":0}}";
    assert_null(json_loadb(bad, strlen(bad), JSON_DISABLE_EOF_CHECK, &je));
    assert_false(v3s_incomplete(&je, strlen(bad)));
}

static void test_scanner_skip(void **state)
{
    (void)state;
    const char *ok[] = {"1",
                        "-2.5e3",
                        "true",
                        "null",
                        "\"a\\\"b\"",
                        "[]",
                        "{}",
                        "[1,{\"a\":[null,\"x\"]},3]",
                        " { \"k\" : \"v\" } "};
    for (size_t i = 0; i < sizeof ok / sizeof ok[0]; i++) {
        fp_t f = {ok[i], ok[i] + strlen(ok[i])};
        assert_true(fp_skip(&f, 0));
    }
    const char *bad[] = {"", "\"open", "[1,", "{\"a\" 1}", "{1:2}", "[1 2]", "]"};
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        fp_t f = {bad[i], bad[i] + strlen(bad[i])};
        assert_false(fp_skip(&f, 0) && f.p == f.end && strlen(bad[i]) > 0 && bad[i][0] != ']');
    }
    /* nesting is bounded */
    char deep[200];
    memset(deep, '[', 100);
    memset(deep + 100, ']', 100);
    fp_t f = {deep, deep + 200};
    assert_false(fp_skip(&f, 0));
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_config_defaults),
        cmocka_unit_test(test_config_overrides),
        cmocka_unit_test(test_config_errors),
        cmocka_unit_test(test_config_docs),
        cmocka_unit_test(test_base64),
        cmocka_unit_test(test_json_writer),
        cmocka_unit_test(test_media_formats),
        cmocka_unit_test(test_scanner_skip),
        cmocka_unit_test(test_v3_schema_fields),
        cmocka_unit_test(test_sch_memo),
        cmocka_unit_test(test_stream_incomplete),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
