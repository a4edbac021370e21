/*
 * fuzz_request.c — libFuzzer target for the Kafka request codec.
 *
 * The input is one request frame after its 4-byte size: the request header
 * is decoded, then the body with the decoder of that api key and version (any
 * version the spec allows, not only the advertised ones). A body that decodes
 * is encoded again; that encoding must decode, consume every byte and encode
 * to the same bytes (the codec is a fixed point after one pass). The same body
 * bytes are also fed to the response decoder of the key, for coverage of the
 * response code the broker's clients (and tests) use.
 *
 * Invariant checked: no crash, no sanitizer report, no out-of-bounds read,
 * and encode(decode(x)) is stable.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "proto/codec.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void check_stable(void *m, void *m2, int (*dec)(void *, bs_krd_t *, int16_t, bs_arena_t *),
                         void (*enc)(const void *, bs_wbuf_t *, int16_t), int16_t ver,
                         bs_arena_t *arena)
{
    bs_wbuf_t w1, w2;
    bs_wbuf_init(&w1);
    bs_wbuf_init(&w2);
    enc(m, &w1, ver);
    bs_krd_t rd;
    bs_krd_init(&rd, w1.data, w1.len);
    if (dec(m2, &rd, ver, arena) != 0 || rd.off != w1.len) {
        fprintf(stderr, "re-decode failed (%zu/%zu): %s\n", rd.off, w1.len, rd.err);
        abort();
    }
    enc(m2, &w2, ver);
    if (w1.len != w2.len || (w1.len && memcmp(w1.data, w2.data, w1.len) != 0)) {
        fprintf(stderr, "re-encoding differs (%zu vs %zu bytes)\n", w1.len, w2.len);
        abort();
    }
    bs_wbuf_free(&w1);
    bs_wbuf_free(&w2);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    bs_krd_t rd;
    bs_RequestHeader_t h;
    bs_arena_t arena;
    void *m = NULL, *m2 = NULL;

    bs_arena_init(&arena, 4096);
    bs_krd_init(&rd, data, size);
    if (bs_kreq_header_decode(&rd, &h) < 0) {
        if (rd.err[0] == 0)
            abort(); /* a failure must say why */
        goto done;
    }
    const bs_kapi_t *api = bs_kapi_get(h.RequestApiKey);
    const bs_kapi_codec_t *c = bs_kapi_codec(h.RequestApiKey);
    int16_t ver = h.RequestApiVersion;
    if (!api || !c || ver < api->min_ver || ver > api->max_ver)
        goto done;
    size_t body = rd.off;

    m = calloc(1, c->req_size);
    m2 = calloc(1, c->req_size);
    if (c->req_decode(m, &rd, ver, &arena) == 0)
        check_stable(m, m2, c->req_decode, c->req_encode, ver, &arena);
    else if (rd.err[0] == 0)
        abort();
    free(m);
    free(m2);

    /* the same bytes as a response body of that key/version */
    m = calloc(1, c->resp_size);
    m2 = calloc(1, c->resp_size);
    bs_krd_init(&rd, data + body, size - body);
    if (c->resp_decode(m, &rd, ver, &arena) == 0)
        check_stable(m, m2, c->resp_decode, c->resp_encode, ver, &arena);
    else if (rd.err[0] == 0)
        abort();
done:
    free(m);
    free(m2);
    bs_arena_destroy(&arena);
    return 0;
}
