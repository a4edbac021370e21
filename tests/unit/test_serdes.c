/*
 * test_serdes.c — the serdes library: wire format, configuration, Avro JSON
 * encoding <-> binary for every Avro type (records, enums, arrays, maps,
 * unions with null, fixed, bytes, logical types), schema resolution (reader
 * with an added defaulted field, promotions, missing defaults), subject
 * name strategies, the bounds check that runs before avro-c decodes, and
 * the registry client against a mock Schema Registry
 * (libmicrohttpd on an ephemeral loopback port): errors carrying the
 * registry's code and message, unreachable URLs named in the message,
 * failover, basic auth, keep-alive (one connection), a client shared by
 * threads, and caches (one HTTP call per id).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "basin/serdes.h"
#include "serdes/serdes_int.h"

/* ---- mock Schema Registry ------------------------------------------------ */

#define MOCK_MAX 32
typedef struct mock_s {
    struct MHD_Daemon *d;
    int port;
    pthread_mutex_t lock;
    int requests;
    int n;
    char *subject[MOCK_MAX];
    char *schema[MOCK_MAX];
    int id[MOCK_MAX];
    const char *auth; /* expected "Basic ..." header or NULL */
    int connections;  /* TCP connections accepted */
} mock_t;

static mock_t M;

typedef struct upload_s {
    char *buf;
    size_t len;
} upload_t;

static enum MHD_Result mock_reply(struct MHD_Connection *conn, int status, json_t *body)
{
    char *s = json_dumps(body, JSON_COMPACT);
    json_decref(body);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
    MHD_add_response_header(r, "Content-Type", "application/vnd.schemaregistry.v1+json");
    enum MHD_Result ret = MHD_queue_response(conn, (unsigned)status, r);
    MHD_destroy_response(r);
    return ret;
}

static json_t *mock_err(int code, const char *msg)
{
    return json_pack("{s:i,s:s}", "error_code", code, "message", msg);
}

static enum MHD_Result mock_handler(void *cls, struct MHD_Connection *conn, const char *url,
                                    const char *method, const char *version,
                                    const char *upload_data, size_t *upload_size, void **con_cls)
{
    (void)cls;
    (void)version;
    upload_t *u = *con_cls;
    if (!u) {
        *con_cls = calloc(1, sizeof(upload_t));
        return MHD_YES;
    }
    if (*upload_size) {
        u->buf = realloc(u->buf, u->len + *upload_size + 1);
        memcpy(u->buf + u->len, upload_data, *upload_size);
        u->len += *upload_size;
        u->buf[u->len] = 0;
        *upload_size = 0;
        return MHD_YES;
    }
    pthread_mutex_lock(&M.lock);
    M.requests++;
    enum MHD_Result ret;
    char subj[256];
    int id;
    if (M.auth) {
        const char *a = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "Authorization");
        if (!a || strcmp(a, M.auth)) {
            ret = mock_reply(conn, 401, mock_err(401, "Unauthorized"));
            goto done;
        }
    }
    json_t *body = u->buf ? json_loads(u->buf, 0, NULL) : NULL;
    const char *schema = body ? json_string_value(json_object_get(body, "schema")) : NULL;
    if (!strcmp(method, "GET") && sscanf(url, "/schemas/ids/%d", &id) == 1) {
        for (int i = 0; i < M.n; i++)
            if (M.id[i] == id) {
                ret = mock_reply(conn, 200, json_pack("{s:s}", "schema", M.schema[i]));
                goto done_body;
            }
        char msg[64];
        snprintf(msg, sizeof(msg), "Schema %d not found", id);
        ret = mock_reply(conn, 404, mock_err(40403, msg));
    } else if (!strcmp(method, "POST") && sscanf(url, "/subjects/%255[^/]/versions", subj) == 1 &&
               strstr(url, "/versions")) {
        if (!schema) {
            ret = mock_reply(conn, 422, mock_err(42201, "Invalid schema"));
            goto done_body;
        }
        int found = -1, same_text = -1;
        for (int i = 0; i < M.n; i++) {
            if (!strcmp(M.schema[i], schema)) {
                same_text = M.id[i];
                if (!strcmp(M.subject[i], subj))
                    found = M.id[i];
            }
        }
        if (found < 0) {
            int nid = same_text >= 0 ? same_text : 100 + M.n;
            M.subject[M.n] = strdup(subj);
            M.schema[M.n] = strdup(schema);
            M.id[M.n] = nid;
            M.n++;
            found = nid;
        }
        ret = mock_reply(conn, 200, json_pack("{s:i}", "id", found));
    } else if (!strcmp(method, "GET") &&
               sscanf(url, "/subjects/%255[^/]/versions/latest", subj) == 1) {
        int at = -1, ver = 0;
        for (int i = 0; i < M.n; i++)
            if (!strcmp(M.subject[i], subj)) {
                at = i;
                ver++;
            }
        if (at < 0)
            ret = mock_reply(conn, 404, mock_err(40401, "Subject not found."));
        else
            ret = mock_reply(conn, 200,
                             json_pack("{s:s,s:i,s:i,s:s}", "subject", subj, "version", ver, "id",
                                       M.id[at], "schema", M.schema[at]));
    } else if (!strcmp(method, "POST") && sscanf(url, "/subjects/%255[^/]", subj) == 1) {
        int any = 0, ver = 0;
        ret = MHD_NO;
        for (int i = 0; i < M.n; i++) {
            if (strcmp(M.subject[i], subj))
                continue;
            any = 1;
            ver++;
            if (schema && !strcmp(M.schema[i], schema)) {
                ret = mock_reply(conn, 200,
                                 json_pack("{s:s,s:i,s:i,s:s}", "subject", subj, "version", ver,
                                           "id", M.id[i], "schema", M.schema[i]));
                goto done_body;
            }
        }
        ret = mock_reply(conn, 404,
                         any ? mock_err(40403, "Schema not found")
                             : mock_err(40401, "Subject not found."));
    } else {
        ret = mock_reply(conn, 404, mock_err(404, "HTTP 404 Not Found"));
    }
done_body:
    json_decref(body);
done:
    pthread_mutex_unlock(&M.lock);
    return ret;
}

static void mock_done(void *cls, struct MHD_Connection *c, void **con_cls,
                      enum MHD_RequestTerminationCode t)
{
    (void)cls;
    (void)c;
    (void)t;
    upload_t *u = *con_cls;
    if (u) {
        free(u->buf);
        free(u);
    }
    *con_cls = NULL;
}

static void mock_conn(void *cls, struct MHD_Connection *c, void **socket_context,
                      enum MHD_ConnectionNotificationCode code)
{
    (void)cls;
    (void)c;
    (void)socket_context;
    if (code == MHD_CONNECTION_NOTIFY_STARTED) {
        pthread_mutex_lock(&M.lock);
        M.connections++;
        pthread_mutex_unlock(&M.lock);
    }
}

static int mock_start(void **state)
{
    (void)state;
    memset(&M, 0, sizeof(M));
    pthread_mutex_init(&M.lock, NULL);
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = 0};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    M.d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_ERROR_LOG, 0, NULL, NULL,
                           mock_handler, NULL, MHD_OPTION_SOCK_ADDR, &sa,
                           MHD_OPTION_NOTIFY_COMPLETED, mock_done, NULL,
                           MHD_OPTION_NOTIFY_CONNECTION, mock_conn, NULL, MHD_OPTION_END);
    if (!M.d)
        return -1;
    M.port = MHD_get_daemon_info(M.d, MHD_DAEMON_INFO_BIND_PORT)->port;
    return 0;
}

static int mock_stop(void **state)
{
    (void)state;
    MHD_stop_daemon(M.d);
    for (int i = 0; i < M.n; i++) {
        free(M.subject[i]);
        free(M.schema[i]);
    }
    return 0;
}

static void mock_reset(void)
{
    pthread_mutex_lock(&M.lock);
    for (int i = 0; i < M.n; i++) {
        free(M.subject[i]);
        free(M.schema[i]);
    }
    M.n = 0;
    M.requests = 0;
    M.connections = 0;
    M.auth = NULL;
    pthread_mutex_unlock(&M.lock);
}

static char *mock_url(void)
{
    static char u[64];
    snprintf(u, sizeof(u), "http://127.0.0.1:%d", M.port);
    return u;
}

/* A loopback port nothing listens on. */
static int dead_port(void)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    socklen_t sl = sizeof(sa);
    bind(fd, (struct sockaddr *)&sa, sizeof(sa));
    getsockname(fd, (struct sockaddr *)&sa, &sl);
    close(fd);
    return ntohs(sa.sin_port);
}

/* ---- helpers ------------------------------------------------------------ */

static bs_serdes_schema_t *schema(const char *text)
{
    char err[256];
    bs_serdes_schema_t *s = bs_serdes_schema_new(text, (size_t)-1, err, sizeof(err));
    if (!s)
        fail_msg("schema: %s", err);
    return s;
}

/* JSON -> value -> binary -> value -> JSON; returns the printed JSON. */
static char *roundtrip(bs_serdes_schema_t *s, const char *json, bs_serdes_buf_t *bin)
{
    char err[256];
    avro_value_t v, v2;
    avro_generic_value_new(bs_serdes_schema_iface(s), &v);
    avro_generic_value_new(bs_serdes_schema_iface(s), &v2);
    if (bs_avro_json_to_value(s, json, (size_t)-1, &v, err, sizeof(err)))
        fail_msg("json_to_value(%s): %s", json, err);
    size_t sz;
    assert_int_equal(avro_value_sizeof(&v, &sz), 0);
    bs_serdes_buf_reserve(bin, sz);
    avro_writer_t w = avro_writer_memory((const char *)bin->data, (int64_t)sz);
    assert_int_equal(avro_value_write(w, &v), 0);
    bin->len = sz;
    avro_reader_t r = avro_reader_memory((const char *)bin->data, (int64_t)sz);
    assert_int_equal(avro_value_read(r, &v2), 0);
    bs_serdes_buf_t out;
    bs_serdes_buf_init(&out);
    assert_int_equal(bs_avro_value_to_json(&v2, &out, err, sizeof(err)), 0);
    bs_serdes_buf_reserve(&out, 1);
    out.data[out.len] = 0;
    avro_writer_free(w);
    avro_reader_free(r);
    avro_value_decref(&v);
    avro_value_decref(&v2);
    return (char *)out.data;
}

static void expect_rt(const char *schema_text, const char *json, const char *expect)
{
    bs_serdes_schema_t *s = schema(schema_text);
    bs_serdes_buf_t bin;
    bs_serdes_buf_init(&bin);
    char *got = roundtrip(s, json, &bin);
    assert_string_equal(got, expect ? expect : json);
    free(got);
    bs_serdes_buf_free(&bin);
    bs_serdes_schema_destroy(s);
}

static void expect_json_err(const char *schema_text, const char *json, const char *needle)
{
    bs_serdes_schema_t *s = schema(schema_text);
    avro_value_t v;
    char err[256] = "";
    avro_generic_value_new(bs_serdes_schema_iface(s), &v);
    assert_int_equal(bs_avro_json_to_value(s, json, (size_t)-1, &v, err, sizeof(err)), -1);
    if (!strstr(err, needle))
        fail_msg("error '%s' lacks '%s'", err, needle);
    avro_value_decref(&v);
    bs_serdes_schema_destroy(s);
}

/* ---- wire format and configuration ---------------------------------------- */

static void test_wire_format(void **state)
{
    (void)state;
    uint8_t h[5], msg[8];
    bs_serdes_wire_header(h, 0x01020304);
    assert_memory_equal(h, "\x00\x01\x02\x03\x04", 5);
    memcpy(msg, h, 5);
    memcpy(msg + 5, "abc", 3);
    int32_t id;
    const uint8_t *p;
    size_t n;
    char err[200];
    assert_int_equal(bs_serdes_wire_parse(msg, 8, &id, &p, &n, err, sizeof(err)), 0);
    assert_int_equal(id, 0x01020304);
    assert_int_equal(n, 3);
    assert_ptr_equal(p, msg + 5);
    bs_serdes_wire_header(h, 2147483647);
    assert_int_equal(bs_serdes_wire_parse(h, 5, &id, &p, &n, err, sizeof(err)), 0);
    assert_int_equal(id, 2147483647);
    assert_int_equal(n, 0);
    assert_int_equal(bs_serdes_wire_parse(msg, 4, &id, &p, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "too short"));
    assert_int_equal(bs_serdes_wire_parse(NULL, 0, &id, &p, &n, err, sizeof(err)), -1);
    msg[0] = 1;
    assert_int_equal(bs_serdes_wire_parse(msg, 8, &id, &p, &n, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "magic byte 1"));
}

static void test_conf(void **state)
{
    (void)state;
    bs_serdes_conf_t c;
    char err[200];
    bs_serdes_conf_init(&c);
    assert_int_equal(c.auto_register_schemas, 1);
    assert_int_equal(c.use_latest_version, 0);
    assert_int_equal(
        bs_serdes_conf_set(&c, "schema.registry.url", "http://a:1,http://b:2", err, sizeof(err)),
        1);
    assert_string_equal(c.urls, "http://a:1,http://b:2");
    assert_int_equal(bs_serdes_conf_set(&c, "auto.register.schemas", "false", err, sizeof(err)), 1);
    assert_int_equal(c.auto_register_schemas, 0);
    assert_int_equal(bs_serdes_conf_set(&c, "use.latest.version", "maybe", err, sizeof(err)), -1);
    assert_non_null(strstr(err, "use.latest.version"));
    assert_int_equal(bs_serdes_conf_set(&c, "value.subject.name.strategy",
                                        "io.confluent.kafka.serializers.subject.RecordNameStrategy",
                                        err, sizeof(err)),
                     1);
    assert_int_equal(c.value_subject_strategy, BS_SUBJECT_RECORD_NAME);
    assert_int_equal(bs_serdes_conf_set(&c, "key.subject.name.strategy", "TopicRecordNameStrategy",
                                        err, sizeof(err)),
                     1);
    assert_int_equal(c.key_subject_strategy, BS_SUBJECT_TOPIC_RECORD_NAME);
    assert_int_equal(bs_serdes_conf_set(&c, "key.subject.name.strategy", "Nope", err, sizeof(err)),
                     -1);
    assert_int_equal(bs_serdes_conf_set(&c, "basic.auth.user.info", "nocolon", err, sizeof(err)),
                     -1);
    assert_int_equal(bs_serdes_conf_set(&c, "acks", "all", err, sizeof(err)), 0);
    bs_serdes_conf_free(&c);

    /* client construction errors */
    assert_null(bs_sr_client_new(NULL, NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "schema.registry.url"));
    assert_null(bs_sr_client_new("ftp://x", NULL, err, sizeof(err)));
    assert_non_null(strstr(err, "ftp://x"));
}

/* ---- JSON <-> binary ------------------------------------------------------ */

static void test_json_primitives(void **state)
{
    (void)state;
    expect_rt("\"null\"", "null", NULL);
    expect_rt("\"boolean\"", "true", NULL);
    expect_rt("\"int\"", "-2147483648", NULL);
    expect_rt("\"long\"", "9007199254740993", NULL);
    expect_rt("\"float\"", "1.5", NULL);
    expect_rt("\"float\"", "3", "3.0");
    expect_rt("\"double\"", "0.1", NULL);
    expect_rt("\"double\"", "-1e300", "-1e+300");
    expect_rt("\"double\"", "\"NaN\"", NULL);
    expect_rt("\"string\"", "\"h\\u00e9llo \\\"q\\\" \\n \\u0000 end\"",
              "\"h\xc3\xa9llo \\\"q\\\" \\n \\u0000 end\"");
    expect_rt("\"bytes\"", "\"\\u0000\\u00ffA\\u0080\"", "\"\\u0000\\u00ffA\\u0080\"");
    expect_json_err("\"int\"", "2147483648", "out of range");
    expect_json_err("\"int\"", "\"7\"", "expected an int");
    expect_json_err("\"bytes\"", "\"\\u0100\"", "above \\u00ff");
    expect_json_err("\"boolean\"", "{", "expected a boolean, got an object");
    expect_json_err("\"int\"", "1 2", "unexpected text after the value");
    expect_json_err("\"string\"", "\"abc", "unterminated string");
    expect_json_err("\"string\"", "\"\\ud800\"", "unpaired UTF-16 surrogate");
    expect_json_err("\"long\"", "9223372036854775808", "out of range");
    expect_rt("\"long\"", "-9223372036854775808", NULL);
    expect_rt("\"string\"", "\"\\ud83d\\ude00 \\/\"", "\"\xf0\x9f\x98\x80 /\"");
    expect_json_err("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
                    "\"type\":\"int\"}]}",
                    "{\"a\":1", "expected '}'");
    expect_json_err("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\","
                    "\"type\":\"int\"}]}",
                    "{\"a\":1,\"a\":2}", "given twice");
    expect_json_err("[\"null\",\"int\"]", "{\"int\":1,\"null\":null}", "exactly one member");
}

static const char *ALL_TYPES =
    "{\"type\":\"record\",\"name\":\"All\",\"namespace\":\"com.example\",\"fields\":["
    "{\"name\":\"n\",\"type\":\"null\"},"
    "{\"name\":\"b\",\"type\":\"boolean\"},"
    "{\"name\":\"i\",\"type\":\"int\"},"
    "{\"name\":\"l\",\"type\":\"long\"},"
    "{\"name\":\"f\",\"type\":\"float\"},"
    "{\"name\":\"d\",\"type\":\"double\"},"
    "{\"name\":\"s\",\"type\":\"string\"},"
    "{\"name\":\"by\",\"type\":\"bytes\"},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"Suit\",\"symbols\":[\"SPADES\","
    "\"HEARTS\"]}},"
    "{\"name\":\"fx\",\"type\":{\"type\":\"fixed\",\"name\":\"MD4\",\"size\":4}},"
    "{\"name\":\"a\",\"type\":{\"type\":\"array\",\"items\":\"long\"}},"
    "{\"name\":\"m\",\"type\":{\"type\":\"map\",\"values\":\"string\"}},"
    "{\"name\":\"u1\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"u2\",\"type\":[\"null\",\"string\"]},"
    "{\"name\":\"u3\",\"type\":[\"null\",\"Suit\",{\"type\":\"record\",\"name\":\"Inner\","
    "\"fields\":[{\"name\":\"x\",\"type\":\"int\"}]}]},"
    "{\"name\":\"date\",\"type\":{\"type\":\"int\",\"logicalType\":\"date\"}},"
    "{\"name\":\"ts\",\"type\":{\"type\":\"long\",\"logicalType\":\"timestamp-millis\"}},"
    "{\"name\":\"dec\",\"type\":{\"type\":\"bytes\",\"logicalType\":\"decimal\",\"precision\":"
    "9,\"scale\":2}},"
    "{\"name\":\"uuid\",\"type\":{\"type\":\"string\",\"logicalType\":\"uuid\"}},"
    "{\"name\":\"nested\",\"type\":{\"type\":\"array\",\"items\":{\"type\":\"map\",\"values\":["
    "\"null\",\"Inner\"]}}}"
    "]}";

static void test_json_all_types(void **state)
{
    (void)state;
    const char *in =
        "{\"n\":null,\"b\":false,\"i\":42,\"l\":-5000000000,\"f\":0.25,\"d\":2.5,"
        "\"s\":\"text\",\"by\":\"\\u0001\\u0002\",\"e\":\"HEARTS\",\"fx\":\"ab\\u00ffd\","
        "\"a\":[1,2,3],\"m\":{\"k\":\"v\"},\"u1\":null,\"u2\":{\"string\":\"x\"},"
        "\"u3\":{\"com.example.Inner\":{\"x\":7}},\"date\":19000,\"ts\":1700000000000,"
        "\"dec\":\"\\u0000\\u0090\",\"uuid\":\"123e4567-e89b-12d3-a456-426614174000\","
        "\"nested\":[{\"p\":null,\"q\":{\"com.example.Inner\":{\"x\":-1}}},{}]}";
    expect_rt(ALL_TYPES, in, NULL);

    /* short names of named union branches are accepted on input */
    bs_serdes_schema_t *s = schema(ALL_TYPES);
    assert_string_equal(bs_serdes_schema_fullname(s), "com.example.All");
    bs_serdes_schema_destroy(s);

    /* exact binary of a small record: zig-zag varints, length prefixes,
     * union index */
    bs_serdes_buf_t bin;
    bs_serdes_buf_init(&bin);
    s = schema("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
               "{\"name\":\"s\",\"type\":\"string\"},{\"name\":\"u\",\"type\":[\"null\","
               "\"long\"]}]}");
    char *j = roundtrip(s, "{\"a\":-1,\"s\":\"hi\",\"u\":{\"long\":64}}", &bin);
    assert_int_equal(bin.len, 7);
    assert_memory_equal(bin.data, "\x01\x04hi\x02\x80\x01", 7);
    free(j);
    bs_serdes_buf_free(&bin);
    bs_serdes_schema_destroy(s);

    /* errors name the path */
    expect_json_err(ALL_TYPES, "{\"n\":null}", "missing field 'b'");
    expect_json_err("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"e\",\"type\":"
                    "{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"A\"]}}]}",
                    "{\"e\":\"B\"}", "'B' is not a symbol");
    expect_json_err("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"u\",\"type\":["
                    "\"null\",\"int\"]}]}",
                    "{\"u\":{\"string\":\"x\"}}", "'string' is not a branch");
    expect_json_err("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"u\",\"type\":["
                    "\"null\",\"int\"]}]}",
                    "{\"u\":5}", "$.u");
    expect_json_err("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":\"a\",\"type\":"
                    "{\"type\":\"array\",\"items\":\"int\"}}]}",
                    "{\"a\":[1,\"x\"]}", "$.a[1]");
    expect_json_err("{\"type\":\"fixed\",\"name\":\"F\",\"size\":2}", "\"abc\"", "fixed of size 2");
    expect_json_err("{\"type\":\"record\",\"name\":\"R\",\"fields\":[]}", "{\"zz\":1}",
                    "has no field 'zz'");
}

static void test_json_defaults(void **state)
{
    (void)state;
    const char *sch = "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"n\",\"fields\":["
                      "{\"name\":\"a\",\"type\":\"int\"},"
                      "{\"name\":\"b\",\"type\":\"string\",\"default\":\"dflt\"},"
                      "{\"name\":\"c\",\"type\":[\"null\",\"int\"],\"default\":null},"
                      "{\"name\":\"d\",\"type\":[\"int\",\"null\"],\"default\":3},"
                      "{\"name\":\"e\",\"type\":\"bytes\",\"default\":\"\\u00ff\"},"
                      "{\"name\":\"r\",\"type\":{\"type\":\"record\",\"name\":\"In\",\"fields\":"
                      "[{\"name\":\"x\",\"type\":\"long\",\"default\":9}]},\"default\":{}}]}";
    expect_rt(sch, "{\"a\":1}",
              "{\"a\":1,\"b\":\"dflt\",\"c\":null,\"d\":{\"int\":3},\"e\":\"\\u00ff\","
              "\"r\":{\"x\":9}}");
}

/* ---- resolution ------------------------------------------------------------ */

static void test_resolution(void **state)
{
    (void)state;
    char err[300];
    bs_serdes_schema_t *w = schema(
        "{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"name\",\"type\":"
        "\"string\"},{\"name\":\"age\",\"type\":\"int\"},{\"name\":\"gone\",\"type\":\"long\"},"
        "{\"name\":\"tag\",\"type\":\"string\"},{\"name\":\"e\",\"type\":{\"type\":\"enum\","
        "\"name\":\"E\",\"symbols\":[\"X\",\"Y\"]}},{\"name\":\"opt\",\"type\":\"int\"}]}");
    bs_serdes_schema_t *r = schema(
        "{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"age\",\"type\":"
        "\"double\"},{\"name\":\"name\",\"type\":\"string\"},{\"name\":\"email\",\"type\":"
        "\"string\",\"default\":\"none\"},{\"name\":\"tag\",\"type\":\"bytes\"},{\"name\":\"e\","
        "\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"Y\",\"X\",\"Z\"]}},{\"name\":"
        "\"opt\",\"type\":[\"null\",\"long\"]}]}");
    avro_value_t wv, rv;
    avro_generic_value_new(bs_serdes_schema_iface(w), &wv);
    avro_generic_value_new(bs_serdes_schema_iface(r), &rv);
    assert_int_equal(bs_avro_json_to_value(w,
                                           "{\"name\":\"ann\",\"age\":30,\"gone\":1,\"tag\":\"t\","
                                           "\"e\":\"Y\",\"opt\":4}",
                                           (size_t)-1, &wv, err, sizeof(err)),
                     0);
    if (bs_avro_resolve(&wv, r, &rv, err, sizeof(err)))
        fail_msg("%s", err);
    bs_serdes_buf_t out;
    bs_serdes_buf_init(&out);
    assert_int_equal(bs_avro_value_to_json(&rv, &out, err, sizeof(err)), 0);
    assert_int_equal(out.len, strlen("{\"age\":30.0,\"name\":\"ann\",\"email\":\"none\",\"tag\":"
                                     "\"t\",\"e\":\"Y\",\"opt\":{\"long\":4}}"));
    assert_memory_equal(out.data,
                        "{\"age\":30.0,\"name\":\"ann\",\"email\":\"none\",\"tag\":\"t\","
                        "\"e\":\"Y\",\"opt\":{\"long\":4}}",
                        out.len);
    bs_serdes_buf_free(&out);
    avro_value_decref(&rv);

    /* reader-only field without a default */
    bs_serdes_schema_t *r2 = schema("{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":"
                                    "\"zip\",\"type\":\"string\"}]}");
    avro_generic_value_new(bs_serdes_schema_iface(r2), &rv);
    assert_int_equal(bs_avro_resolve(&wv, r2, &rv, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "'zip'"));
    avro_value_decref(&rv);
    bs_serdes_schema_destroy(r2);

    /* incompatible types */
    r2 = schema("{\"type\":\"record\",\"name\":\"User\",\"fields\":[{\"name\":\"age\",\"type\":"
                "\"string\"}]}");
    avro_generic_value_new(bs_serdes_schema_iface(r2), &rv);
    assert_int_equal(bs_avro_resolve(&wv, r2, &rv, err, sizeof(err)), -1);
    assert_non_null(strstr(err, "int"));
    avro_value_decref(&rv);
    bs_serdes_schema_destroy(r2);

    avro_value_decref(&wv);
    bs_serdes_schema_destroy(w);
    bs_serdes_schema_destroy(r);
}

static void test_subject_names(void **state)
{
    (void)state;
    char out[128], err[200];
    bs_serdes_schema_t *s =
        schema("{\"type\":\"record\",\"name\":\"Ev\",\"namespace\":\"a.b\",\"fields\":[]}");
    bs_serdes_schema_t *p = schema("\"string\"");
    assert_int_equal(
        bs_avro_subject_name(BS_SUBJECT_TOPIC_NAME, 0, "t1", s, out, sizeof(out), err, sizeof(err)),
        0);
    assert_string_equal(out, "t1-value");
    assert_int_equal(
        bs_avro_subject_name(BS_SUBJECT_TOPIC_NAME, 1, "t1", p, out, sizeof(out), err, sizeof(err)),
        0);
    assert_string_equal(out, "t1-key");
    assert_int_equal(bs_avro_subject_name(BS_SUBJECT_RECORD_NAME, 0, "t1", s, out, sizeof(out), err,
                                          sizeof(err)),
                     0);
    assert_string_equal(out, "a.b.Ev");
    assert_int_equal(bs_avro_subject_name(BS_SUBJECT_TOPIC_RECORD_NAME, 0, "t1", s, out,
                                          sizeof(out), err, sizeof(err)),
                     0);
    assert_string_equal(out, "t1-a.b.Ev");
    assert_int_equal(bs_avro_subject_name(BS_SUBJECT_RECORD_NAME, 0, "t1", p, out, sizeof(out), err,
                                          sizeof(err)),
                     -1);
    assert_non_null(strstr(err, "named schema"));
    bs_serdes_schema_destroy(s);
    bs_serdes_schema_destroy(p);
}

/* ---- the pre-decode check ---------------------------------------------------- */

static void test_avro_check(void **state)
{
    (void)state;
    char err[300];
    bs_serdes_schema_t *a = schema("{\"type\":\"array\",\"items\":\"null\"}");
    /* 2^31 nulls in 5 bytes: refused at once instead of looping in avro-c */
    const uint8_t huge[] = {0xfe, 0xff, 0xff, 0xff, 0x0f, 0x00};
    assert_int_equal(
        bs_serdes_avro_check(bs_serdes_schema_avro(a), huge, sizeof(huge), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "zero-size items"));
    const uint8_t three[] = {0x06, 0x00};
    assert_int_equal(bs_serdes_avro_check(bs_serdes_schema_avro(a), three, 2, err, sizeof(err)), 0);
    bs_serdes_schema_destroy(a);

    bs_serdes_schema_t *r = schema("{\"type\":\"record\",\"name\":\"R\",\"fields\":[{\"name\":"
                                   "\"a\",\"type\":\"long\"},{\"name\":\"s\",\"type\":\"string\"},"
                                   "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\","
                                   "\"symbols\":[\"X\"]}}]}");
    avro_schema_t rs = bs_serdes_schema_avro(r);
    const uint8_t ok[] = {0x02, 0x04, 'h', 'i', 0x00};
    assert_int_equal(bs_serdes_avro_check(rs, ok, sizeof(ok), err, sizeof(err)), 0);
    const uint8_t longstr[] = {0x02, 0x40, 'h', 'i', 0x00};
    assert_int_equal(bs_serdes_avro_check(rs, longstr, sizeof(longstr), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "byte 2"));
    assert_non_null(strstr(err, "length beyond"));
    const uint8_t badenum[] = {0x02, 0x00, 0x02};
    assert_int_equal(bs_serdes_avro_check(rs, badenum, sizeof(badenum), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "enum index"));
    const uint8_t trunc[] = {0x80};
    assert_int_equal(bs_serdes_avro_check(rs, trunc, sizeof(trunc), err, sizeof(err)), -1);
    assert_non_null(strstr(err, "truncated varint"));
    bs_serdes_schema_destroy(r);

    /* invalid UTF-8 in a string prints as U+FFFD (valid JSON out) */
    bs_serdes_schema_t *s = schema("\"string\"");
    avro_value_t v;
    avro_generic_value_new(bs_serdes_schema_iface(s), &v);
    avro_value_set_string_len(&v, "a\xff\xc3\xa9", 5);
    bs_serdes_buf_t out;
    bs_serdes_buf_init(&out);
    assert_int_equal(bs_avro_value_to_json(&v, &out, err, sizeof(err)), 0);
    assert_int_equal(out.len, 8);
    assert_memory_equal(out.data, "\"a\xef\xbf\xbd\xc3\xa9\"", 8);
    bs_serdes_buf_free(&out);
    avro_value_decref(&v);
    bs_serdes_schema_destroy(s);
}

/* ---- registry client ---------------------------------------------------------- */

static void test_client_unreachable(void **state)
{
    (void)state;
    char url[64], err[200];
    int port = dead_port();
    snprintf(url, sizeof(url), "http://127.0.0.1:%d", port);
    bs_sr_client_t *c = bs_sr_client_new(url, NULL, err, sizeof(err));
    assert_non_null(c);
    bs_sr_error_t e;
    char *txt = NULL;
    assert_int_equal(bs_sr_get_by_id(c, 1, &txt, &e), -1);
    assert_int_equal(e.error_code, BS_SR_ERR_TRANSPORT);
    assert_non_null(strstr(e.message, url));
    bs_sr_client_destroy(c);
}

static void test_client_errors_and_cache(void **state)
{
    (void)state;
    mock_reset();
    char err[200];
    bs_sr_client_t *c = bs_sr_client_new(mock_url(), NULL, err, sizeof(err));
    assert_non_null(c);
    bs_sr_error_t e;
    char *txt = NULL;
    int id = 0, ver = 0;

    /* 404 carries the registry's code and message */
    assert_int_equal(bs_sr_get_by_id(c, 77, &txt, &e), -1);
    assert_int_equal(e.error_code, 40403);
    assert_int_equal(e.http_status, 404);
    assert_non_null(strstr(e.message, "Schema 77 not found"));
    assert_int_equal(bs_sr_latest(c, "nosuch-value", &id, &ver, &txt, &e), -1);
    assert_int_equal(e.error_code, 40401);
    assert_non_null(strstr(e.message, "Subject not found."));

    /* register once, cached afterwards */
    const char *sch = "{\"type\":\"string\"}";
    assert_int_equal(bs_sr_register(c, "t-value", sch, NULL, &id, &e), 0);
    assert_int_equal(id, 100);
    int before = M.requests;
    assert_int_equal(bs_sr_register(c, "t-value", sch, NULL, &id, &e), 0);
    assert_int_equal(M.requests, before);
    assert_int_equal(bs_sr_lookup(c, "t-value", sch, NULL, &id, &ver, &e), 0);
    assert_int_equal(id, 100);
    assert_int_equal(ver, 1);
    assert_int_equal(bs_sr_lookup(c, "t-value", "\"int\"", NULL, &id, NULL, &e), -1);
    assert_int_equal(e.error_code, 40403);

    /* one HTTP call per id */
    before = M.requests;
    for (int i = 0; i < 3; i++) {
        assert_int_equal(bs_sr_get_by_id(c, 100, &txt, &e), 0);
        assert_string_equal(txt, sch);
        free(txt);
        bs_serdes_schema_t *s = bs_sr_schema_by_id(c, 100, &e);
        assert_non_null(s);
        bs_serdes_schema_destroy(s);
    }
    assert_int_equal(M.requests, before + 1);
    assert_int_equal(bs_sr_latest(c, "t-value", &id, &ver, &txt, &e), 0);
    assert_int_equal(id, 100);
    free(txt);
    bs_sr_client_destroy(c);
}

static void test_client_failover_and_auth(void **state)
{
    (void)state;
    mock_reset();
    char urls[160], err[200];
    snprintf(urls, sizeof(urls), "http://127.0.0.1:%d/, %s", dead_port(), mock_url());
    bs_serdes_conf_t conf;
    bs_serdes_conf_init(&conf);
    assert_int_equal(
        bs_serdes_conf_set(&conf, "basic.auth.credentials.source", "USER_INFO", err, sizeof(err)),
        1);
    assert_int_equal(
        bs_serdes_conf_set(&conf, "basic.auth.user.info", "fred:s3cret", err, sizeof(err)), 1);
    M.auth = "Basic ZnJlZDpzM2NyZXQ="; /* fred:s3cret */
    bs_sr_client_t *c = bs_sr_client_new(urls, &conf, err, sizeof(err));
    assert_non_null(c);
    bs_sr_error_t e;
    int id;
    if (bs_sr_register(c, "x-value", "\"long\"", NULL, &id, &e))
        fail_msg("%s", e.message);
    assert_int_equal(id, 100);
    bs_sr_client_destroy(c);

    /* wrong password: the registry's 401 comes back */
    bs_serdes_conf_set(&conf, "basic.auth.user.info", "fred:wrong", err, sizeof(err));
    c = bs_sr_client_new(mock_url(), &conf, err, sizeof(err));
    assert_int_equal(bs_sr_register(c, "x-value", "\"int\"", NULL, &id, &e), -1);
    assert_int_equal(e.http_status, 401);
    bs_sr_client_destroy(c);
    bs_serdes_conf_free(&conf);
    M.auth = NULL;
}

/* One connection for many requests (keep-alive), and one client shared by
 * threads: every thread sees the same ids, the id cache fetches each once. */
typedef struct thr_s {
    bs_sr_client_t *c;
    int base;
    int bad;
} thr_t;

static void *thr_main(void *arg)
{
    thr_t *t = arg;
    bs_sr_error_t e;
    for (int round = 0; round < 20; round++) {
        for (int k = 0; k < 4; k++) {
            bs_serdes_schema_t *s = bs_sr_schema_by_id(t->c, 100 + k, &e);
            if (!s) {
                t->bad++;
                continue;
            }
            bs_serdes_schema_destroy(s);
        }
    }
    return NULL;
}

static void test_client_keepalive_and_threads(void **state)
{
    (void)state;
    mock_reset();
    char err[200];
    bs_sr_client_t *c = bs_sr_client_new(mock_url(), NULL, err, sizeof(err));
    bs_sr_error_t e;
    int id;
    char subj[32], text[64];
    for (int k = 0; k < 4; k++) {
        snprintf(subj, sizeof(subj), "ka%d-value", k);
        snprintf(text, sizeof(text), "{\"type\":\"fixed\",\"name\":\"F%d\",\"size\":%d}", k, k + 1);
        assert_int_equal(bs_sr_register(c, subj, text, NULL, &id, &e), 0);
        assert_int_equal(id, 100 + k);
    }
    assert_int_equal(bs_sr_latest(c, "ka0-value", &id, NULL, NULL, &e), 0);
    assert_int_equal(M.requests, 5);
    assert_int_equal(M.connections, 1);

    thr_t t[4];
    pthread_t th[4];
    for (int i = 0; i < 4; i++) {
        t[i] = (thr_t){.c = c, .base = i};
        pthread_create(&th[i], NULL, thr_main, &t[i]);
    }
    for (int i = 0; i < 4; i++) {
        pthread_join(th[i], NULL);
        assert_int_equal(t[i].bad, 0);
    }
    assert_int_equal(M.requests, 5 + 4); /* one fetch per id */
    assert_int_equal(bs_sr_client_requests(c), 9);
    bs_sr_client_destroy(c);
}

/* ---- serializer / deserializer --------------------------------------------- */

static void test_serde_roundtrip(void **state)
{
    (void)state;
    mock_reset();
    char err[200];
    bs_sr_client_t *c = bs_sr_client_new(mock_url(), NULL, err, sizeof(err));
    bs_avro_serializer_t *ser = bs_avro_serializer_new(c, NULL, 0, err, sizeof(err));
    bs_avro_deserializer_t *des = bs_avro_deserializer_new(c, NULL, err, sizeof(err));
    assert_non_null(ser);
    assert_non_null(des);
    bs_serdes_schema_t *s = schema(ALL_TYPES);
    bs_serdes_buf_t out, js;
    bs_serdes_buf_init(&out);
    bs_serdes_buf_init(&js);
    bs_sr_error_t e;
    const char *in =
        "{\"n\":null,\"b\":true,\"i\":1,\"l\":2,\"f\":3.5,\"d\":4.25,\"s\":\"five\",\"by\":\"6\","
        "\"e\":\"SPADES\",\"fx\":\"1234\",\"a\":[],\"m\":{},\"u1\":{\"string\":\"u\"},\"u2\":null,"
        "\"u3\":{\"com.example.Suit\":\"HEARTS\"},\"date\":1,\"ts\":2,\"dec\":\"\",\"uuid\":\"u\","
        "\"nested\":[]}";
    for (int i = 0; i < 3; i++) {
        if (bs_avro_serialize_json(ser, "topic1", s, in, strlen(in), &out, &e))
            fail_msg("%s", e.message);
        assert_int_equal(out.data[0], 0);
        assert_int_equal(out.data[4], 100);
        js.len = 0;
        if (bs_avro_deserialize_json(des, out.data, out.len, &js, &e))
            fail_msg("%s", e.message);
        assert_int_equal(js.len, strlen(in));
        assert_memory_equal(js.data, in, js.len);
    }
    /* registered under the topic's value subject, with the original text
     * (logicalType kept); one registration and one fetch by id */
    assert_int_equal(M.n, 1);
    assert_string_equal(M.subject[0], "topic1-value");
    assert_non_null(strstr(M.schema[0], "timestamp-millis"));
    assert_int_equal(M.requests, 2);

    /* value.schema.id path */
    assert_int_equal(bs_avro_serialize_json_id(ser, 100, in, strlen(in), &out, &e), 0);
    assert_int_equal(bs_avro_serialize_json_id(ser, 555, in, strlen(in), &out, &e), -1);
    assert_int_equal(e.error_code, 40403);

    /* bad payloads: errors, no crash */
    uint8_t bad[64];
    memcpy(bad, out.data, 5);
    for (size_t n = 5; n < 12; n++) {
        memset(bad + 5, 0xff, sizeof(bad) - 5);
        avro_value_t *v;
        assert_int_equal(bs_avro_deserialize(des, bad, n, &v, NULL, &e), -1);
        assert_int_equal(e.error_code, BS_SR_ERR_INVALID);
    }
    bs_serdes_wire_header(bad, 999);
    avro_value_t *v;
    assert_int_equal(bs_avro_deserialize(des, bad, 6, &v, NULL, &e), -1);
    assert_int_equal(e.error_code, 40403);

    /* auto.register.schemas=false: lookup only */
    bs_serdes_conf_t conf;
    bs_serdes_conf_init(&conf);
    conf.auto_register_schemas = 0;
    bs_avro_serializer_t *ser2 = bs_avro_serializer_new(c, &conf, 0, err, sizeof(err));
    assert_int_equal(bs_avro_serialize_json(ser2, "other", s, in, strlen(in), &out, &e), -1);
    assert_int_equal(e.error_code, 40401);
    bs_avro_serializer_destroy(ser2);

    bs_serdes_buf_free(&out);
    bs_serdes_buf_free(&js);
    bs_serdes_schema_destroy(s);
    bs_avro_serializer_destroy(ser);
    bs_avro_deserializer_destroy(des);
    bs_sr_client_destroy(c);
}

static void test_serde_reader_and_latest(void **state)
{
    (void)state;
    mock_reset();
    char err[200];
    bs_sr_error_t e;
    bs_sr_client_t *c = bs_sr_client_new(mock_url(), NULL, err, sizeof(err));
    bs_serdes_schema_t *v1 = schema(
        "{\"type\":\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"}]}");
    bs_serdes_schema_t *v2 =
        schema("{\"type\":\"record\",\"name\":\"P\",\"fields\":[{\"name\":\"a\",\"type\":\"int\"},"
               "{\"name\":\"b\",\"type\":\"string\",\"default\":\"B\"}]}");
    bs_avro_serializer_t *ser = bs_avro_serializer_new(c, NULL, 0, err, sizeof(err));
    bs_serdes_buf_t out, js;
    bs_serdes_buf_init(&out);
    bs_serdes_buf_init(&js);
    assert_int_equal(bs_avro_serialize_json(ser, "p", v1, "{\"a\":5}", 7, &out, &e), 0);

    /* reader with an added defaulted field */
    bs_avro_deserializer_t *des = bs_avro_deserializer_new(c, v2, err, sizeof(err));
    if (bs_avro_deserialize_json(des, out.data, out.len, &js, &e))
        fail_msg("%s", e.message);
    assert_int_equal(js.len, strlen("{\"a\":5,\"b\":\"B\"}"));
    assert_memory_equal(js.data, "{\"a\":5,\"b\":\"B\"}", js.len);
    bs_avro_deserializer_destroy(des);

    /* use.latest.version: a v1 value is written with the subject's latest (v2) */
    assert_int_equal(bs_avro_serialize_json(ser, "p", v2, "{\"a\":6,\"b\":\"x\"}", 15, &out, &e),
                     0);
    int v2id = out.data[4];
    bs_serdes_conf_t conf;
    bs_serdes_conf_init(&conf);
    conf.use_latest_version = 1;
    bs_avro_serializer_t *lat = bs_avro_serializer_new(c, &conf, 0, err, sizeof(err));
    avro_value_t val;
    avro_generic_value_new(bs_serdes_schema_iface(v1), &val);
    assert_int_equal(bs_avro_json_to_value(v1, "{\"a\":9}", 7, &val, err, sizeof(err)), 0);
    if (bs_avro_serialize(lat, "p", v1, &val, &out, &e))
        fail_msg("%s", e.message);
    assert_int_equal(out.data[4], v2id);
    des = bs_avro_deserializer_new(c, NULL, err, sizeof(err));
    js.len = 0;
    assert_int_equal(bs_avro_deserialize_json(des, out.data, out.len, &js, &e), 0);
    assert_memory_equal(js.data, "{\"a\":9,\"b\":\"B\"}", js.len);
    avro_value_decref(&val);
    bs_avro_deserializer_destroy(des);
    bs_avro_serializer_destroy(lat);
    bs_avro_serializer_destroy(ser);
    bs_serdes_buf_free(&out);
    bs_serdes_buf_free(&js);
    bs_serdes_schema_destroy(v1);
    bs_serdes_schema_destroy(v2);
    bs_sr_client_destroy(c);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_wire_format),
        cmocka_unit_test(test_conf),
        cmocka_unit_test(test_json_primitives),
        cmocka_unit_test(test_json_all_types),
        cmocka_unit_test(test_json_defaults),
        cmocka_unit_test(test_resolution),
        cmocka_unit_test(test_subject_names),
        cmocka_unit_test(test_avro_check),
        cmocka_unit_test(test_client_unreachable),
        cmocka_unit_test(test_client_errors_and_cache),
        cmocka_unit_test(test_client_failover_and_auth),
        cmocka_unit_test(test_client_keepalive_and_threads),
        cmocka_unit_test(test_serde_roundtrip),
        cmocka_unit_test(test_serde_reader_and_latest),
    };
    return cmocka_run_group_tests(tests, mock_start, mock_stop);
}
