/*
 * fuzz_http_route.c — libFuzzer target for the HTTP router and URL decoder.
 *
 * Input: first byte picks the method, the rest is a raw request path (may
 * contain a '?' query, which is split off and parsed like the server does).
 * The path is matched against a Schema-Registry-like route table.
 *
 * Invariants checked: no crash or sanitizer report; a match returns a valid
 * route index whose parameter count equals the pattern's; every parameter
 * value is non-empty, NUL-terminated inside the scratch buffer; decoded
 * lengths never exceed the input length.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "http/http_int.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static void h(bs_http_req_t *req, void *ctx)
{
    (void)req, (void)ctx;
}

static const bs_http_route_t ROUTES[] = {
    {"GET", "/", h},
    {"GET", "/subjects", h},
    {"GET", "/subjects/{subject}/versions", h},
    {"POST", "/subjects/{subject}/versions", h},
    {"GET", "/subjects/{subject}/versions/{version}", h},
    {"GET", "/subjects/{subject}/versions/{version}/schema", h},
    {"DELETE", "/subjects/{subject}/versions/{version}", h},
    {"POST", "/subjects/{subject}", h},
    {"DELETE", "/subjects/{subject}", h},
    {"GET", "/schemas/ids/{id}", h},
    {"GET", "/schemas/types", h},
    {"GET", "/config", h},
    {"PUT", "/config", h},
    {"GET", "/config/{subject}", h},
    {"PUT", "/config/{subject}", h},
    {"POST", "/compatibility/subjects/{subject}/versions/{version}", h},
    {"GET", "/mode/{subject}", h},
};

static const char *const METHODS[] = {"GET", "POST", "PUT", "DELETE", "HEAD", "PATCH"};

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static bs_http_router_t rt;
    static int ready;
    if (!ready) {
        char err[256];
        if (bs_http_router_init(&rt, ROUTES, (int)(sizeof ROUTES / sizeof ROUTES[0]), err,
                                sizeof err) != 0)
            abort();
        ready = 1;
    }
    if (size < 1)
        return 0;
    const char *method = METHODS[data[0] % 6];
    const char *path = (const char *)data + 1;
    size_t len = size - 1;
    const char *qm = memchr(path, '?', len);
    size_t plen = qm ? (size_t)(qm - path) : len;

    char *buf = malloc(plen + 1);
    bs_http_match_t m;
    int r = bs_http_router_match(&rt, method, path, plen, buf, &m);
    if (r >= 0) {
        if (r >= rt.nroutes)
            abort();
        int nparams = 0;
        for (int k = 0; k < rt.routes[r].nseg; k++)
            nparams += rt.routes[r].seg[k].param;
        if (nparams != m.nparams)
            abort();
        for (int i = 0; i < m.nparams; i++) {
            if (m.value[i] < buf || m.value[i] > buf + plen)
                abort();
            size_t vl = strlen(m.value[i]);
            if (vl == 0 || m.value[i] + vl > buf + plen)
                abort();
        }
    } else if (r != BS_HTTP_MATCH_NOT_FOUND && r != BS_HTTP_MATCH_BAD_METHOD &&
               r != BS_HTTP_MATCH_BAD_PATH) {
        abort();
    }
    free(buf);

    /* the raw decoder on the whole input, both modes */
    char *d = malloc(len + 1);
    long dl = bs_http_url_decode(path, len, d, true);
    if (dl > (long)len || (dl >= 0 && strlen(d) != (size_t)dl))
        abort();
    dl = bs_http_url_decode(path, len, d, false);
    if (dl > (long)len)
        abort();
    free(d);

    if (qm) {
        size_t ql = len - plen - 1;
        char *qb = malloc(ql + 1);
        bs_http_qparam_t q[8];
        int n = bs_http_query_parse(qm + 1, ql, qb, q, 8);
        if (n > 8)
            abort();
        for (int i = 0; i < n; i++)
            if (q[i].key < qb || q[i].key > qb + ql || strlen(q[i].key) > ql ||
                strlen(q[i].value) > ql)
                abort();
        free(qb);
    }
    return 0;
}
