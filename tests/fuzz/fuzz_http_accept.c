/*
 * fuzz_http_accept.c — libFuzzer target for content negotiation: the input
 * (split at the first newline) is an Accept header value, then a
 * Content-Type header value. Both are NUL-terminated copies, as the server
 * hands them over.
 *
 * Invariants checked: no crash or sanitizer report; bs_http_negotiate
 * returns -1 or a valid index; absent/empty Accept always picks the highest
 * qs; the Content-Type check is a pure yes/no.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const bs_http_media_t PRODUCES[] = {
    {"application/vnd.schemaregistry.v1+json", 1.0},
    {"application/vnd.schemaregistry+json", 0.9},
    {"application/json", 0.5},
    {"application/vnd.kafka.v2+json", 0.8},
};
static const char *const CONSUMES[] = {"application/vnd.schemaregistry.v1+json", "application/json",
                                       "application/octet-stream"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    const uint8_t *nl = memchr(data, '\n', size);
    size_t al = nl ? (size_t)(nl - data) : size;
    char *accept = malloc(al + 1);
    memcpy(accept, data, al);
    accept[al] = '\0';
    size_t cl = nl ? size - al - 1 : 0;
    char *ctype = malloc(cl + 1);
    if (cl)
        memcpy(ctype, nl + 1, cl);
    ctype[cl] = '\0';

    int r = bs_http_negotiate(accept, PRODUCES, 4);
    if (r < -1 || r >= 4)
        abort();
    if (bs_http_negotiate(NULL, PRODUCES, 4) != 0 || bs_http_negotiate("", PRODUCES, 4) != 0)
        abort();
    (void)bs_http_negotiate(accept, PRODUCES, 1);
    (void)bs_http_content_type_ok(ctype, CONSUMES, 3);
    (void)bs_http_content_type_ok(accept, CONSUMES, 3);
    free(accept);
    free(ctype);
    return 0;
}
