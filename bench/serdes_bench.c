/*
 * serdes_bench.c — throughput of the Avro serializer and deserializer
 * (include/basin/serdes.h) on one core.
 *
 * A mock Schema Registry (libmicrohttpd, loopback, ephemeral port) answers
 * the one registration and the one fetch by id; after that every record is
 * served from the serdes caches, which is what this measures:
 *   serialize_value  avro_value_t -> wire bytes (cached schema id)
 *   serialize_json   Avro JSON text -> wire bytes
 *   deserialize      wire bytes -> avro_value_t
 *   deserialize_json wire bytes -> Avro JSON text
 * The record is small (5 fields, ~30 bytes encoded). Output: one
 * "RESULT name N records/s (...)" line per measure. Usage:
 *   build/bench/serdes_bench [records]   (default 2000000)
 */
#include "basin/serdes.h"

#include <arpa/inet.h>
#include <jansson.h>
#include <microhttpd.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

static const char *SCHEMA =
    "{\"type\":\"record\",\"name\":\"Payment\",\"namespace\":\"bench\",\"fields\":["
    "{\"name\":\"id\",\"type\":\"long\"},{\"name\":\"account\",\"type\":\"string\"},"
    "{\"name\":\"amount\",\"type\":\"double\"},{\"name\":\"ok\",\"type\":\"boolean\"},"
    "{\"name\":\"note\",\"type\":[\"null\",\"string\"]}]}";

static enum MHD_Result handler(void *cls, struct MHD_Connection *conn, const char *url,
                               const char *method, const char *version, const char *upload_data,
                               size_t *upload_size, void **con_cls)
{
    (void)cls, (void)version, (void)upload_data;
    if (!*con_cls) {
        *con_cls = (void *)1;
        return MHD_YES;
    }
    if (*upload_size) {
        *upload_size = 0;
        return MHD_YES;
    }
    json_t *j = !strcmp(method, "POST") ? json_pack("{s:i}", "id", 1)
                : !strcmp(url, "/schemas/ids/1")
                    ? json_pack("{s:s}", "schema", SCHEMA)
                    : json_pack("{s:i,s:s}", "error_code", 40403, "message", "not found");
    char *s = json_dumps(j, JSON_COMPACT);
    json_decref(j);
    struct MHD_Response *r = MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
    enum MHD_Result ret = MHD_queue_response(conn, 200, r);
    MHD_destroy_response(r);
    return ret;
}

static double now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static double cpu_now(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return (double)ts.tv_sec + (double)ts.tv_nsec / 1e9;
}

static void report(const char *name, long n, double t0, double c0, size_t bytes)
{
    double dt = now() - t0, dc = cpu_now() - c0;
    printf(
        "RESULT %s %.0f records/s (%ld records, %.2f s wall, %.2f s CPU, %.0f records per CPU-s, "
        "%.1f MB/s)\n",
        name, n / dt, n, dt, dc, n / dc, bytes / dt / 1e6);
    fflush(stdout);
}

#define CHECK(x)                                                                                   \
    do {                                                                                           \
        if (!(x)) {                                                                                \
            fprintf(stderr, "serdes_bench: %s failed: %s\n", #x, e.message);                       \
            return 1;                                                                              \
        }                                                                                          \
    } while (0)

int main(int argc, char **argv)
{
    long n = argc > 1 ? atol(argv[1]) : 2000000;
    char err[300], url[64];
    bs_sr_error_t e = {0};
    struct sockaddr_in sa = {.sin_family = AF_INET};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    struct MHD_Daemon *d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD, 0, NULL, NULL, handler,
                                            NULL, MHD_OPTION_SOCK_ADDR, &sa, MHD_OPTION_END);
    if (!d) {
        fprintf(stderr, "serdes_bench: cannot start the mock registry\n");
        return 1;
    }
    snprintf(url, sizeof(url), "http://127.0.0.1:%d",
             MHD_get_daemon_info(d, MHD_DAEMON_INFO_BIND_PORT)->port);
    bs_sr_client_t *c = bs_sr_client_new(url, NULL, err, sizeof(err));
    bs_avro_serializer_t *ser = bs_avro_serializer_new(c, NULL, 0, err, sizeof(err));
    bs_avro_deserializer_t *des = bs_avro_deserializer_new(c, NULL, err, sizeof(err));
    bs_serdes_schema_t *s = bs_serdes_schema_new(SCHEMA, (size_t)-1, err, sizeof(err));
    CHECK(c && ser && des && s);
    printf("# serdes_bench: %ld small records per measure, mock registry at %s\n", n, url);

    avro_value_t v, f, br;
    avro_generic_value_new(bs_serdes_schema_iface(s), &v);
    bs_serdes_buf_t out, js;
    bs_serdes_buf_init(&out);
    bs_serdes_buf_init(&js);

    /* from avro_value_t (the value is updated per record, as a producer would) */
    size_t bytes = 0;
    double t0 = now(), c0 = cpu_now();
    for (long i = 0; i < n; i++) {
        avro_value_get_by_index(&v, 0, &f, NULL);
        avro_value_set_long(&f, i);
        avro_value_get_by_index(&v, 1, &f, NULL);
        avro_value_set_string_len(&f, "acct-0001", 10);
        avro_value_get_by_index(&v, 2, &f, NULL);
        avro_value_set_double(&f, (double)i * 0.01);
        avro_value_get_by_index(&v, 3, &f, NULL);
        avro_value_set_boolean(&f, i & 1);
        avro_value_get_by_index(&v, 4, &f, NULL);
        avro_value_set_branch(&f, 1, &br);
        avro_value_set_string_len(&br, "ok", 3);
        CHECK(bs_avro_serialize(ser, "payments", s, &v, &out, &e) == 0);
        bytes += out.len;
    }
    report("serialize_value", n, t0, c0, bytes);
    printf("# encoded size %zu bytes (5-byte header + Avro)\n", out.len);

    /* the same record shape from JSON text */
    char line[256];
    bytes = 0;
    t0 = now(), c0 = cpu_now();
    for (long i = 0; i < n; i++) {
        int len = snprintf(line, sizeof(line),
                           "{\"id\":%ld,\"account\":\"acct-0001\",\"amount\":%.2f,\"ok\":%s,"
                           "\"note\":{\"string\":\"ok\"}}",
                           i, (double)i * 0.01, (i & 1) ? "true" : "false");
        CHECK(bs_avro_serialize_json(ser, "payments", s, line, (size_t)len, &out, &e) == 0);
        bytes += out.len;
    }
    report("serialize_json", n, t0, c0, bytes);

    /* decode the last message repeatedly */
    bs_serdes_buf_t msg;
    bs_serdes_buf_init(&msg);
    bs_serdes_buf_reserve(&msg, out.len);
    memcpy(msg.data, out.data, out.len);
    msg.len = out.len;
    t0 = now(), c0 = cpu_now();
    for (long i = 0; i < n; i++) {
        avro_value_t *dv;
        CHECK(bs_avro_deserialize(des, msg.data, msg.len, &dv, NULL, &e) == 0);
    }
    report("deserialize_value", n, t0, c0, msg.len * (size_t)n);
    bytes = 0;
    t0 = now(), c0 = cpu_now();
    for (long i = 0; i < n; i++) {
        js.len = 0;
        CHECK(bs_avro_deserialize_json(des, msg.data, msg.len, &js, &e) == 0);
        bytes += js.len;
    }
    report("deserialize_json", n, t0, c0, bytes);
    printf("# registry HTTP requests: %llu\n", (unsigned long long)bs_sr_client_requests(c));

    avro_value_decref(&v);
    bs_serdes_buf_free(&out);
    bs_serdes_buf_free(&js);
    bs_serdes_buf_free(&msg);
    bs_serdes_schema_destroy(s);
    bs_avro_serializer_destroy(ser);
    bs_avro_deserializer_destroy(des);
    bs_sr_client_destroy(c);
    MHD_stop_daemon(d);
    return 0;
}
