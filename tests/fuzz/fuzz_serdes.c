/*
 * fuzz_serdes.c — libFuzzer target for the serdes decoders (no registry
 * involved). The first input byte picks a writer schema from a fixed set
 * covering every Avro type; bit 7 of it picks the mode:
 *   binary (bit 7 clear): the rest is an Avro payload: bs_serdes_avro_check,
 *     and only when it accepts, avro_value_read, bs_avro_value_to_json, and
 *     the printed JSON must parse back (bs_avro_json_to_value) into a value
 *     that prints identically; then resolution into a reader schema;
 *   JSON (bit 7 set): the rest is Avro JSON text: bs_avro_json_to_value (the
 *     fast reader) and, when it accepts, the printed value must read back
 *     identically through the jansson-based reference reader, agree with
 *     the reference on the input itself when that accepts too, and encode
 *     to binary that bs_serdes_avro_check accepts.
 * Invariants: no crash, no sanitizer report, no unbounded loop, and the
 * round trips above hold.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "basin/serdes.h"
#include "serdes/serdes_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char *SCHEMAS[] = {
    ("{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"f\",\"fields\":["
     "{\"name\":\"a\",\"type\":\"int\"},{\"name\":\"b\",\"type\":[\"null\",\"string\",\"long\"]},"
     "{\"name\":\"c\",\"type\":{\"type\":\"array\",\"items\":\"double\"}},"
     "{\"name\":\"d\",\"type\":{\"type\":\"map\",\"values\":\"bytes\"}},"
     "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"X\",\"Y\"]}},"
     "{\"name\":\"f\",\"type\":{\"type\":\"fixed\",\"name\":\"F\",\"size\":3}},"
     "{\"name\":\"g\",\"type\":\"boolean\"},{\"name\":\"h\",\"type\":\"float\"},"
     "{\"name\":\"i\",\"type\":\"string\",\"default\":\"z\"}]}"),
    "{\"type\":\"array\",\"items\":\"null\"}",
    "{\"type\":\"map\",\"values\":{\"type\":\"array\",\"items\":[\"null\",\"int\"]}}",
    ("{\"type\":\"record\",\"name\":\"Node\",\"fields\":[{\"name\":\"v\",\"type\":\"long\"},"
     "{\"name\":\"next\",\"type\":[\"null\",\"Node\"]}]}"),
    "{\"type\":\"array\",\"items\":{\"type\":\"record\",\"name\":\"Empty\",\"fields\":[]}}",
    "\"string\"",
};
#define NSCHEMAS (sizeof(SCHEMAS) / sizeof(SCHEMAS[0]))

/* reader for SCHEMAS[0]: promotions, a dropped field, an added default */
static const char *READER0 =
    "{\"type\":\"record\",\"name\":\"R\",\"namespace\":\"f\",\"fields\":["
    "{\"name\":\"a\",\"type\":\"double\"},{\"name\":\"b\",\"type\":[\"null\",\"bytes\",\"float\"]},"
    "{\"name\":\"e\",\"type\":{\"type\":\"enum\",\"name\":\"E\",\"symbols\":[\"Y\",\"X\"]}},"
    "{\"name\":\"new\",\"type\":{\"type\":\"array\",\"items\":\"int\"},\"default\":[1,2]}]}";

static bs_serdes_schema_t *S[NSCHEMAS], *R0;

static void init(void)
{
    char err[200];
    for (size_t i = 0; i < NSCHEMAS; i++)
        if (!S[i] && !(S[i] = bs_serdes_schema_new(SCHEMAS[i], (size_t)-1, err, sizeof(err))))
            abort();
    if (!R0 && !(R0 = bs_serdes_schema_new(READER0, (size_t)-1, err, sizeof(err))))
        abort();
}

static void print(avro_value_t *v, bs_serdes_buf_t *out)
{
    char err[200];
    out->len = 0;
    if (bs_avro_value_to_json(v, out, err, sizeof(err)))
        abort();
}

static void die(const char *why, const bs_serdes_buf_t *json)
{
    fprintf(stderr, "fuzz_serdes: %s\nJSON: %.*s\n", why, (int)json->len, (const char *)json->data);
    abort();
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    char err[300];
    if (size < 1)
        return 0;
    init();
    bs_serdes_schema_t *s = S[(data[0] & 0x7f) % NSCHEMAS];
    const uint8_t *p = data + 1;
    size_t n = size - 1;
    avro_value_t v, v2;
    bs_serdes_buf_t j1, j2, bin;
    bs_serdes_buf_init(&j1);
    bs_serdes_buf_init(&j2);
    bs_serdes_buf_init(&bin);
    avro_generic_value_new(bs_serdes_schema_iface(s), &v);
    avro_generic_value_new(bs_serdes_schema_iface(s), &v2);
    if (!(data[0] & 0x80)) {
        if (bs_serdes_avro_check(bs_serdes_schema_avro(s), p, n, err, sizeof(err)) == 0) {
            avro_reader_t r = avro_reader_memory((const char *)p, (int64_t)n);
            if (avro_value_read(r, &v) == 0) {
                print(&v, &j1);
                if (bs_avro_json_to_value(s, (const char *)j1.data, j1.len, &v2, err, sizeof(err)))
                    die(err, &j1); /* what we print must read back */
                print(&v2, &j2);
                /* (invalid UTF-8 prints as U+FFFD, so distinct map keys may
                 * print alike: compare only text without replacements) */
                if (!memmem(j1.data, j1.len, "\xef\xbf\xbd", 3) &&
                    (j1.len != j2.len || memcmp(j1.data, j2.data, j1.len))) {
                    fprintf(stderr, "reprinted: %.*s\n", (int)j2.len, (const char *)j2.data);
                    die("printed JSON read back differently", &j1);
                }
                if (s == S[0]) {
                    avro_value_t rv;
                    avro_generic_value_new(bs_serdes_schema_iface(R0), &rv);
                    (void)bs_avro_resolve(&v, R0, &rv, err, sizeof(err));
                    avro_value_decref(&rv);
                }
            }
            avro_reader_free(r);
        }
    } else if (bs_avro_json_to_value(s, (const char *)p, n, &v, err, sizeof(err)) == 0) {
        /* the fast reader accepted: its value printed must read back through
         * the reference (jansson) reader to the same value */
        print(&v, &j1);
        if (bs_serdes_json_to_value_ref(s, (const char *)j1.data, j1.len, &v2, err, sizeof(err)))
            abort();
        print(&v2, &j2);
        if (j1.len != j2.len || memcmp(j1.data, j2.data, j1.len))
            abort();
        /* and when the reference accepts the input too, both agree */
        if (bs_serdes_json_to_value_ref(s, (const char *)p, n, &v2, err, sizeof(err)) == 0) {
            print(&v2, &j2);
            if (j1.len != j2.len || memcmp(j1.data, j2.data, j1.len))
                abort();
        }
        size_t sz;
        if (avro_value_sizeof(&v, &sz) == 0 && bs_serdes_buf_reserve(&bin, sz + 1) == 0) {
            avro_writer_t w = avro_writer_memory((const char *)bin.data, (int64_t)sz);
            if (avro_value_write(w, &v) == 0 &&
                bs_serdes_avro_check(bs_serdes_schema_avro(s), bin.data, sz, err, sizeof(err)))
                abort(); /* what we encode must pass the check */
            avro_writer_free(w);
        }
    }
    avro_value_decref(&v);
    avro_value_decref(&v2);
    bs_serdes_buf_free(&j1);
    bs_serdes_buf_free(&j2);
    bs_serdes_buf_free(&bin);
    return 0;
}
