/*
 * http_int.h — private declarations of the HTTP layer: the compiled route
 * table and the matcher (router.c), exposed here so that unit tests and the
 * fuzz targets can drive the pure parsing code without a server.
 */
#ifndef BS_HTTP_INT_H
#define BS_HTTP_INT_H

#include "http/http.h"

#define BS_HTTP_MAX_SEGS 16 /* path segments per route / request */

typedef struct bs_http_seg_s {
    const char *str; /* literal text, or the parameter name (points into the pattern) */
    size_t len;
    bool param;
} bs_http_seg_t;

typedef struct bs_http_croute_s {
    const bs_http_route_t *route;
    int nseg;
    uint32_t literal_mask; /* bit (31 - i) set when segment i is literal */
    bs_http_seg_t seg[BS_HTTP_MAX_SEGS];
} bs_http_croute_t;

typedef struct bs_http_router_s {
    bs_http_croute_t *routes; /* owned */
    int nroutes;
} bs_http_router_t;

/* Compiles routes (not copied: they must outlive the router). Returns 0, or
 * -1 with a message naming the bad pattern. */
int bs_http_router_init(bs_http_router_t *rt, const bs_http_route_t *routes, int n, char *err,
                        size_t errlen);
void bs_http_router_free(bs_http_router_t *rt);

typedef struct bs_http_match_s {
    int nparams;
    const char *name[BS_HTTP_MAX_SEGS]; /* parameter names (into the pattern) */
    size_t name_len[BS_HTTP_MAX_SEGS];
    const char *value[BS_HTTP_MAX_SEGS]; /* decoded, NUL-terminated, in buf */
} bs_http_match_t;

enum {
    BS_HTTP_MATCH_NOT_FOUND = -1,  /* 404 */
    BS_HTTP_MATCH_BAD_METHOD = -2, /* 405: the path matches, not for this method */
    BS_HTTP_MATCH_BAD_PATH = -3,   /* 400: malformed %-escape or NUL */
};

/* Matches method + raw (%-encoded) path[0..len) against the table. buf, of
 * capacity >= len + 1, receives the decoded segments that m->value point to.
 * Returns the route index or a BS_HTTP_MATCH_* code. */
int bs_http_router_match(const bs_http_router_t *rt, const char *method, const char *path,
                         size_t len, char *buf, bs_http_match_t *m);

/* One decoded query parameter. */
typedef struct bs_http_qparam_s {
    const char *key;
    const char *value; /* "" for "?key" */
} bs_http_qparam_t;

/* Parses the raw query string q[0..len) ("a=1&b=x%20y") into at most max
 * params, decoded into buf (capacity >= len + 1). Empty pieces ("a=1&&b")
 * are skipped; params beyond max are ignored. Returns the number of params,
 * or -1 on a malformed escape. */
int bs_http_query_parse(const char *q, size_t len, char *buf, bs_http_qparam_t *out, int max);

#endif
