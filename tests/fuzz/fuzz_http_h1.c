/*
 * fuzz_http_h1.c — libFuzzer target for the HTTP/1.1 request parser and
 * chunked decoder (src/http/h1parse.c), fed the way the engine feeds them:
 * bytes arriving in pieces of random size.
 *
 * Input: the first two bytes seed the piece sizes; the rest is what a
 * client sends on a connection (a request head, then a body).
 *
 * Invariants checked: no crash or sanitizer report (the head is parsed in
 * an exact-size heap copy, so any overread is caught); the end of the head
 * is found at the same offset whatever the pieces; a parsed head has a
 * method and target inside the buffer, HTTP/1.0 or 1.1, at most the header
 * limit, never both Content-Length and chunked; a rejection carries one of
 * the documented statuses and a message; the chunked decoder never
 * consumes more than it is given, hands out data inside its input, and
 * decodes the same bytes and ends at the same offset (or fails) whatever
 * the pieces.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/h1parse.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t g_rng;

static size_t piece(size_t left)
{
    g_rng = g_rng * 1103515245u + 12345u;
    size_t k = 1 + (g_rng >> 16) % 37;
    return k < left ? k : left;
}

/* Decodes body[0..n) in pieces (all at once if whole). Returns the decoded
 * length in out, -1 on error; *end = offset after the last chunk or n. */
static long decode(const uint8_t *body, size_t n, bool whole, uint8_t *out, size_t *end)
{
    bs_h1_chunked_t d;
    bs_h1_chunked_init(&d);
    size_t pos = 0, o = 0;
    char err[256];
    while (pos < n) {
        size_t lim = pos + (whole ? n - pos : piece(n - pos));
        while (pos < lim) {
            const uint8_t *in = body + pos, *dp;
            size_t len = lim - pos, used = 0, dl;
            err[0] = '\0';
            int r = bs_h1_chunked_step(&d, in, len, &used, &dp, &dl, err, sizeof err);
            if (used > len)
                abort();
            pos += used;
            if (r == BS_H1_CHUNK_ERROR) {
                if (!err[0])
                    abort();
                *end = pos;
                return -1;
            }
            if (r == BS_H1_CHUNK_DATA) {
                if (!dl || dp < in || dp + dl > in + used)
                    abort();
                memcpy(out + o, dp, dl);
                o += dl;
            } else if (r == BS_H1_CHUNK_DONE) {
                *end = pos;
                return (long)o;
            } else if (used != len) {
                abort(); /* MORE consumes everything */
            }
        }
    }
    *end = n;
    return (long)o;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 2)
        return 0;
    g_rng = (uint32_t)data[0] << 8 | data[1];
    data += 2;
    size -= 2;

    /* the end of the head: once on everything, then piece by piece */
    size_t scan = 0;
    size_t hl = bs_h1_head_end(data, size, &scan);
    size_t got = 0, avail = 0;
    scan = 0;
    while (avail < size && !got) {
        avail += piece(size - avail);
        got = bs_h1_head_end(data, avail, &scan);
        if (scan > avail)
            abort();
    }
    if (got != hl)
        abort();
    if (!hl)
        return 0;

    char *buf = malloc(hl);
    if (!buf)
        return 0;
    memcpy(buf, data, hl);
    static bs_h1_head_t h;
    char err[256] = "";
    int st = bs_h1_parse_head(buf, hl, &h, err, sizeof err);
    if (st) {
        if ((st != 400 && st != 431 && st != 501 && st != 505 && st != 417) || !err[0])
            abort();
    } else {
        if (h.method < buf || h.method >= buf + hl || !h.method[0] || h.target < buf ||
            h.target + h.target_len > buf + hl || h.target[0] != '/' ||
            (h.minor != 0 && h.minor != 1) || h.nheaders > BS_H1_MAX_HEADERS ||
            h.content_length < -1 || (h.chunked && h.content_length >= 0))
            abort();
        for (int i = 0; i < h.nheaders; i++)
            if (h.h[i].name < buf || h.h[i].name >= buf + hl || h.h[i].value < buf ||
                h.h[i].value > buf + hl || !h.h[i].name[0])
                abort();
    }
    free(buf);

    /* whatever follows the head, as a chunked body: same result either way */
    const uint8_t *body = data + hl;
    size_t n = size - hl;
    uint8_t *o1 = malloc(n + 1), *o2 = malloc(n + 1);
    if (o1 && o2) {
        size_t e1 = 0, e2 = 0;
        long k1 = decode(body, n, true, o1, &e1);
        long k2 = decode(body, n, false, o2, &e2);
        if (k1 != k2 || (k1 >= 0 && (e1 != e2 || memcmp(o1, o2, (size_t)k1) != 0)))
            abort();
    }
    free(o1);
    free(o2);
    return 0;
}
