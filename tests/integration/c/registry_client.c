/*
 * registry_client.c — a C client of the Schema Registry (libcurl + jansson
 * + avro-c), as a C service using Basin's registry would be written:
 *
 *   registry_client REGISTRY_URL
 *
 * Registers a schema, fetches it back by id, encodes a datum in the
 * Confluent wire format (magic 0, big-endian id, Avro binary) with avro-c
 * using the schema text the registry returned, decodes it again, and checks
 * the error bodies of a few failures. Prints PASS/FAIL lines; exits 0 only
 * if everything passed. Owns nothing beyond its process.
 */
#include <avro.h>
#include <curl/curl.h>
#include <jansson.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int g_fail;
static const char *g_url;

#define PASS(n) printf("PASS registry_c.%s\n", n)
#define FAIL(n, ...)                                                                               \
    do {                                                                                           \
        printf("FAIL registry_c.%s: ", n);                                                         \
        printf(__VA_ARGS__);                                                                       \
        printf("\n");                                                                              \
        g_fail = 1;                                                                                \
    } while (0)

typedef struct buf_s {
    char *p;
    size_t n;
} buf_t;

static size_t on_data(char *d, size_t sz, size_t nm, void *u)
{
    buf_t *b = u;
    size_t add = sz * nm;
    char *np = realloc(b->p, b->n + add + 1);
    if (!np)
        return 0;
    b->p = np;
    memcpy(b->p + b->n, d, add);
    b->n += add;
    b->p[b->n] = '\0';
    return add;
}

/* Performs one request; returns the HTTP status and the parsed JSON body
 * (new reference, may be NULL) in *out. */
static long call(const char *method, const char *path, const char *body, json_t **out)
{
    CURL *c = curl_easy_init();
    buf_t b = {NULL, 0};
    long status = -1;
    char url[1024];
    struct curl_slist *h = NULL;
    snprintf(url, sizeof url, "%s%s", g_url, path);
    h = curl_slist_append(h, "Content-Type: application/vnd.schemaregistry.v1+json");
    h = curl_slist_append(h, "Accept: application/vnd.schemaregistry.v1+json");
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, on_data);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &b);
    if (body)
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
    if (curl_easy_perform(c) == CURLE_OK)
        curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    *out = b.p ? json_loads(b.p, JSON_DECODE_ANY, NULL) : NULL;
    free(b.p);
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
    return status;
}

static const char *SCHEMA = "{\"type\":\"record\",\"name\":\"Reading\",\"namespace\":\"c.test\","
                            "\"fields\":[{\"name\":\"sensor\",\"type\":\"string\"},"
                            "{\"name\":\"value\",\"type\":\"double\"},"
                            "{\"name\":\"seq\",\"type\":\"long\"}]}";

int main(int argc, char **argv)
{
    json_t *j = NULL;
    int id = -1;
    if (argc != 2) {
        fprintf(stderr, "usage: registry_client REGISTRY_URL\n");
        return 2;
    }
    g_url = argv[1];
    curl_global_init(CURL_GLOBAL_DEFAULT);

    json_t *req = json_pack("{s:s}", "schema", SCHEMA);
    char *body = json_dumps(req, JSON_COMPACT);
    json_decref(req);
    long st = call("POST", "/subjects/readings-value/versions", body, &j);
    if (st == 200 && json_is_integer(json_object_get(j, "id"))) {
        id = (int)json_integer_value(json_object_get(j, "id"));
        PASS("register");
    } else {
        FAIL("register", "status %ld", st);
    }
    json_decref(j);
    st = call("POST", "/subjects/readings-value", body, &j);
    if (st == 200 && json_integer_value(json_object_get(j, "id")) == id &&
        json_integer_value(json_object_get(j, "version")) == 1)
        PASS("lookup");
    else
        FAIL("lookup", "status %ld", st);
    json_decref(j);
    free(body);

    /* fetch by id, as a deserializer does, and use that text with avro-c */
    char path[64];
    snprintf(path, sizeof path, "/schemas/ids/%d", id);
    st = call("GET", path, NULL, &j);
    const char *text = json_string_value(json_object_get(j, "schema"));
    avro_schema_t schema = NULL;
    if (st == 200 && text && avro_schema_from_json_length(text, strlen(text), &schema) == 0)
        PASS("fetch_by_id_parses_with_avro_c");
    else
        FAIL("fetch_by_id_parses_with_avro_c", "status %ld: %s", st, avro_strerror());
    json_decref(j);

    if (schema) {
        avro_value_iface_t *iface = avro_generic_class_from_schema(schema);
        avro_value_t rec, f, back;
        avro_generic_value_new(iface, &rec);
        avro_value_get_by_name(&rec, "sensor", &f, NULL);
        avro_value_set_string(&f, "t-17");
        avro_value_get_by_name(&rec, "value", &f, NULL);
        avro_value_set_double(&f, 21.5);
        avro_value_get_by_name(&rec, "seq", &f, NULL);
        avro_value_set_long(&f, 123456789012LL);
        char wire[256];
        wire[0] = 0;
        wire[1] = (char)((id >> 24) & 0xff);
        wire[2] = (char)((id >> 16) & 0xff);
        wire[3] = (char)((id >> 8) & 0xff);
        wire[4] = (char)(id & 0xff);
        avro_writer_t w = avro_writer_memory(wire + 5, sizeof wire - 5);
        avro_value_write(w, &rec);
        size_t n = (size_t)avro_writer_tell(w) + 5;
        avro_writer_free(w);

        /* decode: read the id from the header, fetch, read the datum */
        int wid = ((unsigned char)wire[1] << 24) | ((unsigned char)wire[2] << 16) |
                  ((unsigned char)wire[3] << 8) | (unsigned char)wire[4];
        snprintf(path, sizeof path, "/schemas/ids/%d/schema", wid);
        st = call("GET", path, NULL, &j);
        char *raw = j ? json_dumps(j, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
        avro_schema_t s2 = NULL;
        int ok = st == 200 && raw && avro_schema_from_json_length(raw, strlen(raw), &s2) == 0;
        if (ok) {
            avro_value_iface_t *i2 = avro_generic_class_from_schema(s2);
            avro_generic_value_new(i2, &back);
            avro_reader_t rd = avro_reader_memory(wire + 5, n - 5);
            ok = avro_value_read(rd, &back) == 0 && avro_value_equal(&rec, &back);
            int64_t seq = 0;
            avro_value_get_by_name(&back, "seq", &f, NULL);
            avro_value_get_long(&f, &seq);
            ok = ok && seq == 123456789012LL;
            avro_reader_free(rd);
            avro_value_decref(&back);
            avro_value_iface_decref(i2);
            avro_schema_decref(s2);
        }
        if (ok)
            PASS("wire_format_round_trip");
        else
            FAIL("wire_format_round_trip", "status %ld", st);
        free(raw);
        json_decref(j);
        avro_value_decref(&rec);
        avro_value_iface_decref(iface);
        avro_schema_decref(schema);
    }

    st = call("GET", "/schemas/ids/987654", NULL, &j);
    if (st == 404 && json_integer_value(json_object_get(j, "error_code")) == 40403 &&
        json_is_string(json_object_get(j, "message")))
        PASS("error_body_40403");
    else
        FAIL("error_body_40403", "status %ld", st);
    json_decref(j);
    st = call("POST", "/subjects/readings-value/versions", "{\"schema\":\"{\\\"type\\\":1}\"}", &j);
    if (st == 422 && json_integer_value(json_object_get(j, "error_code")) == 42201)
        PASS("error_body_42201");
    else
        FAIL("error_body_42201", "status %ld", st);
    json_decref(j);
    curl_global_cleanup();
    return g_fail ? 1 : 0;
}
