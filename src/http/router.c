/*
 * router.c — route table compilation and matching, URL and query decoding.
 *
 * Pure code (no sockets, no allocation while matching): everything here is
 * driven by fuzz_http_route and fuzz_http_query.
 *
 * Matching rules:
 *  - The request path is split on '/' BEFORE %-decoding, so "a%2Fb" is one
 *    segment whose value is "a/b". A single trailing '/' is tolerated.
 *  - A literal pattern segment equals the decoded request segment exactly;
 *    a {param} matches any non-empty decoded segment.
 *  - Among the routes whose path matches, the one with a literal at the
 *    first position where they differ wins ("literal beats {param}"); the
 *    method is checked among those: no route for the method -> 405.
 *    Comparison is by literal_mask, segment 0 in the most significant bit.
 */
#include "http/http_int.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int hexval(char c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

long bs_http_url_decode(const char *src, size_t len, char *dst, bool plus_is_space)
{
    size_t o = 0;
    for (size_t i = 0; i < len; i++) {
        char c = src[i];
        if (c == '%') {
            if (len - i < 3)
                return -1; /* truncated escape */
            int hi = hexval(src[i + 1]), lo = hexval(src[i + 2]);
            if (hi < 0 || lo < 0)
                return -1;
            c = (char)(hi << 4 | lo);
            i += 2;
            if (c == '\0')
                return -1; /* a NUL would silently truncate the value */
        } else if (c == '+' && plus_is_space) {
            c = ' ';
        } else if (c == '\0') {
            return -1;
        }
        dst[o++] = c;
    }
    dst[o] = '\0';
    return (long)o;
}

int bs_http_router_init(bs_http_router_t *rt, const bs_http_route_t *routes, int n, char *err,
                        size_t errlen)
{
    rt->routes = NULL;
    rt->nroutes = 0;
    if (n < 0 || (n > 0 && !routes)) {
        snprintf(err, errlen, "http: bad route table");
        return -1;
    }
    rt->routes = calloc(n > 0 ? (size_t)n : 1, sizeof(*rt->routes));
    if (!rt->routes) {
        snprintf(err, errlen, "http: out of memory");
        return -1;
    }
    for (int i = 0; i < n; i++) {
        const bs_http_route_t *r = &routes[i];
        bs_http_croute_t *c = &rt->routes[i];
        c->route = r;
        if (!r->method || !r->pattern || !r->fn || r->pattern[0] != '/') {
            snprintf(err, errlen,
                     "http: route %d: method, pattern (starting with '/') and handler are required",
                     i);
            goto fail;
        }
        const char *p = r->pattern + 1;
        while (*p) {
            const char *e = strchr(p, '/');
            size_t len = e ? (size_t)(e - p) : strlen(p);
            if (len == 0) {
                snprintf(err, errlen, "http: route \"%s\": empty segment", r->pattern);
                goto fail;
            }
            if (c->nseg >= BS_HTTP_MAX_SEGS) {
                snprintf(err, errlen, "http: route \"%s\": more than %d segments", r->pattern,
                         BS_HTTP_MAX_SEGS);
                goto fail;
            }
            bs_http_seg_t *s = &c->seg[c->nseg];
            if (p[0] == '{') {
                if (len < 3 || p[len - 1] != '}' || memchr(p + 1, '{', len - 2) ||
                    memchr(p + 1, '}', len - 2)) {
                    snprintf(err, errlen, "http: route \"%s\": bad parameter segment", r->pattern);
                    goto fail;
                }
                s->param = true;
                s->str = p + 1;
                s->len = len - 2;
            } else {
                s->param = false;
                s->str = p;
                s->len = len;
                c->literal_mask |= 1u << (31 - c->nseg);
            }
            c->nseg++;
            p += len;
            if (*p == '/')
                p++;
            if (e && *p == '\0') { /* pattern ends in '/' */
                snprintf(err, errlen, "http: route \"%s\": trailing '/'", r->pattern);
                goto fail;
            }
        }
    }
    rt->nroutes = n;
    return 0;
fail:
    free(rt->routes);
    rt->routes = NULL;
    return -1;
}

void bs_http_router_free(bs_http_router_t *rt)
{
    free(rt->routes);
    rt->routes = NULL;
    rt->nroutes = 0;
}

int bs_http_router_match(const bs_http_router_t *rt, const char *method, const char *path,
                         size_t len, char *buf, bs_http_match_t *m)
{
    const char *seg[BS_HTTP_MAX_SEGS];
    size_t seglen[BS_HTTP_MAX_SEGS];
    int nseg = 0;
    m->nparams = 0;
    if (len == 0 || path[0] != '/')
        return BS_HTTP_MATCH_NOT_FOUND;
    if (len > 1 && path[len - 1] == '/')
        len--; /* tolerated trailing '/' */
    /* split, then decode each segment into buf */
    size_t o = 0;
    size_t i = 1;
    while (i < len) {
        if (nseg >= BS_HTTP_MAX_SEGS)
            return BS_HTTP_MATCH_NOT_FOUND; /* longer than any route */
        const char *s = path + i;
        const char *e = memchr(s, '/', len - i);
        size_t sl = e ? (size_t)(e - s) : len - i;
        long dl = bs_http_url_decode(s, sl, buf + o, false);
        if (dl < 0)
            return BS_HTTP_MATCH_BAD_PATH;
        seg[nseg] = buf + o;
        seglen[nseg] = (size_t)dl;
        nseg++;
        o += (size_t)dl + 1;
        i += sl + 1;
        if (e && i == len) { /* "//" at the end, e.g. "/a//" -> empty last segment */
            if (nseg >= BS_HTTP_MAX_SEGS)
                return BS_HTTP_MATCH_NOT_FOUND;
            buf[o] = '\0';
            seg[nseg] = buf + o;
            seglen[nseg++] = 0;
            o++;
        }
    }
    int best = -1, best_any = -1;
    for (int r = 0; r < rt->nroutes; r++) {
        const bs_http_croute_t *c = &rt->routes[r];
        if (c->nseg != nseg)
            continue;
        int k;
        for (k = 0; k < nseg; k++) {
            const bs_http_seg_t *ps = &c->seg[k];
            if (ps->param ? seglen[k] == 0
                          : (ps->len != seglen[k] || memcmp(ps->str, seg[k], seglen[k]) != 0))
                break;
        }
        if (k < nseg)
            continue;
        if (best_any < 0 || c->literal_mask > rt->routes[best_any].literal_mask)
            best_any = r;
        if (strcmp(c->route->method, method) == 0 &&
            (best < 0 || c->literal_mask > rt->routes[best].literal_mask))
            best = r;
    }
    if (best < 0)
        return best_any < 0 ? BS_HTTP_MATCH_NOT_FOUND : BS_HTTP_MATCH_BAD_METHOD;
    const bs_http_croute_t *c = &rt->routes[best];
    for (int k = 0; k < nseg; k++) {
        if (!c->seg[k].param)
            continue;
        m->name[m->nparams] = c->seg[k].str;
        m->name_len[m->nparams] = c->seg[k].len;
        m->value[m->nparams] = seg[k];
        m->nparams++;
    }
    return best;
}

int bs_http_query_parse(const char *q, size_t len, char *buf, bs_http_qparam_t *out, int max)
{
    int n = 0;
    size_t o = 0, i = 0;
    while (i < len) {
        const char *s = q + i;
        const char *e = memchr(s, '&', len - i);
        size_t pl = e ? (size_t)(e - s) : len - i;
        i += pl + 1;
        if (pl == 0)
            continue;
        const char *eq = memchr(s, '=', pl);
        size_t kl = eq ? (size_t)(eq - s) : pl;
        long dk = bs_http_url_decode(s, kl, buf + o, true);
        if (dk < 0)
            return -1;
        const char *key = buf + o;
        o += (size_t)dk + 1;
        const char *val = "";
        if (eq) {
            long dv = bs_http_url_decode(eq + 1, pl - kl - 1, buf + o, true);
            if (dv < 0)
                return -1;
            val = buf + o;
            o += (size_t)dv + 1;
        }
        if (n < max) {
            out[n].key = key;
            out[n].value = val;
            n++;
        }
    }
    return n;
}
