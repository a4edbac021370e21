/*
 * negotiate.c — content negotiation: choosing the response media type from
 * an Accept header (RFC 9110 §12.5.1) and checking a request Content-Type.
 *
 * Pure functions over NUL-terminated header values, no allocation; driven
 * by fuzz_http_accept.
 *
 * For each produced type t (server quality qs), the most specific Accept
 * range matching it (type/subtype over type/any over any/any) gives its
 * specificity and client quality q(t). As in JAX-RS 2.0 section 3.8 (Jersey,
 * hence Confluent), the choice orders acceptable types (q > 0) by
 * specificity, then q, then qs; earlier entries win full ties. Ranges that
 * cannot be parsed are ignored (if none is left: as if Accept were absent);
 * a bare "*" is read as any/any (Java's HttpURLConnection sends it).
 * Parameters other than q are ignored.
 */
#include "http/http.h"

#include <string.h>
#include <strings.h>

static bool is_ows(char c)
{
    return c == ' ' || c == '\t';
}

/* Trims [*s, *e) of optional white space. */
static void trim(const char **s, const char **e)
{
    while (*s < *e && is_ows(**s))
        (*s)++;
    while (*e > *s && is_ows((*e)[-1]))
        (*e)--;
}

/* Parses a qvalue "0", "0.5", "1", "1.000", ".2" (leniently) in [s, e).
 * Returns -1 on malformed input. */
static double parse_q(const char *s, const char *e)
{
    trim(&s, &e);
    if (s < e && (*s == '"')) { /* tolerate q="0.5" */
        s++;
        if (e > s && e[-1] == '"')
            e--;
    }
    if (s == e)
        return -1;
    double v = 0;
    const char *p = s;
    while (p < e && *p >= '0' && *p <= '9' && p - s < 3)
        v = v * 10 + (*p++ - '0');
    if (p < e && *p == '.') {
        p++;
        double scale = 0.1;
        int digits = 0;
        while (p < e && *p >= '0' && *p <= '9' && digits < 6) {
            v += (*p++ - '0') * scale;
            scale /= 10;
            digits++;
        }
    }
    if (p != e || (p == s))
        return -1;
    return v > 1 ? 1 : v;
}

/* Specificity of range [rs, re) matching type t: 3 exact, 2 type/any, 1
 * any/any, 0 no match, -1 malformed range. Case-insensitive. */
static int range_match(const char *rs, const char *re, const char *t)
{
    size_t rl = (size_t)(re - rs);
    if ((rl == 3 && memcmp(rs, "*/*", 3) == 0) || (rl == 1 && rs[0] == '*'))
        return 1;
    const char *slash = memchr(rs, '/', rl);
    if (!slash || slash == rs || slash + 1 == re)
        return -1; /* malformed range */
    size_t tl = strlen(t);
    if (slash + 2 == re && slash[1] == '*') {
        size_t mlen = (size_t)(slash - rs) + 1; /* "a/" */
        return (tl > mlen && strncasecmp(t, rs, mlen) == 0) ? 2 : 0;
    }
    return (tl == rl && strncasecmp(t, rs, rl) == 0) ? 3 : 0;
}

int bs_http_negotiate(const char *accept, const bs_http_media_t *produces, int n)
{
    if (n <= 0)
        return -1;
    double q_of[64];
    int spec_of[64];
    if (n > 64)
        n = 64;
    bool any_range = false;
    for (int i = 0; i < n; i++) {
        q_of[i] = 0;
        spec_of[i] = 0;
    }
    const char *p = accept ? accept : "";
    while (*p) {
        const char *end = strchr(p, ',');
        if (!end)
            end = p + strlen(p);
        /* one range: type [; param]* */
        const char *semi = memchr(p, ';', (size_t)(end - p));
        const char *rs = p, *re = semi ? semi : end;
        trim(&rs, &re);
        double q = 1;
        bool ok = rs < re;
        const char *ps = semi;
        while (ok && ps && ps < end) {
            ps++; /* past ';' */
            const char *pe = memchr(ps, ';', (size_t)(end - ps));
            if (!pe)
                pe = end;
            const char *ks = ps, *ke = pe;
            trim(&ks, &ke);
            if (ke - ks >= 2 && (ks[0] == 'q' || ks[0] == 'Q') && ks[1] == '=') {
                q = parse_q(ks + 2, ke);
                if (q < 0)
                    ok = false;
            }
            ps = pe < end ? pe : NULL;
        }
        if (ok) {
            for (int i = 0; i < n; i++) {
                int s = range_match(rs, re, produces[i].type);
                if (s < 0) {
                    break; /* malformed range: ignored */
                }
                any_range = true;
                if (s > spec_of[i] || (s == spec_of[i] && s > 0 && q > q_of[i])) {
                    spec_of[i] = s;
                    q_of[i] = q;
                }
            }
        }
        p = *end ? end + 1 : end;
    }
    /* JAX-RS 2.0 section 3.8 step 4 (what Confluent's Jersey does): order by
     * specificity of the matching range, then client q, then server qs */
    int best = -1;
    for (int i = 0; i < n; i++) {
        if (!any_range) {
            spec_of[i] = 1;
            q_of[i] = 1;
        }
        if (spec_of[i] == 0 || q_of[i] <= 0 || produces[i].qs <= 0)
            continue;
        if (best < 0 || spec_of[i] > spec_of[best] ||
            (spec_of[i] == spec_of[best] &&
             (q_of[i] > q_of[best] ||
              (q_of[i] == q_of[best] && produces[i].qs > produces[best].qs))))
            best = i;
    }
    return best;
}

bool bs_http_content_type_ok(const char *content_type, const char *const *consumes, int n)
{
    if (!content_type)
        return true; /* missing: treated as JSON */
    if (n <= 0)
        return true;
    const char *s = content_type;
    const char *e = strchr(s, ';');
    if (!e)
        e = s + strlen(s);
    trim(&s, &e);
    if (s == e)
        return true; /* empty header value: as missing */
    size_t l = (size_t)(e - s);
    for (int i = 0; i < n; i++) {
        if (consumes[i] && strlen(consumes[i]) == l && strncasecmp(consumes[i], s, l) == 0)
            return true;
    }
    return false;
}
