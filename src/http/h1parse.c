/*
 * h1parse.c — pure HTTP/1.1 request parsing (see h1parse.h): end-of-head
 * scan, head parser, chunked body decoder. No I/O, no allocation.
 *
 * Strictness follows RFC 9112 where leniency would let two parsers disagree
 * about where a message ends (request smuggling): Content-Length must be
 * digits only and agree when repeated, Content-Length together with
 * Transfer-Encoding is rejected, only the "chunked" coding is accepted,
 * obsolete line folding and whitespace before a header's colon are
 * rejected. Leniency is kept where it is harmless: a bare LF ends a line,
 * chunk extensions and trailer fields are skipped.
 *
 * Chunked decoder states (bs_h1_chunked_step):
 *
 *   SIZE --hex digits--> SIZE --';' or SP--> EXT --CR--> SIZE_LF --LF--+
 *     ^                   |  \--CR--> SIZE_LF, --LF-----------------------+
 *     |                                                               |
 *     |       size > 0: DATA --left == 0--> DATA_CR --CR--> DATA_LF --LF--> SIZE
 *     |       size == 0: TRAILER --CR--> TRAILER_LF --LF--> DONE
 *     |                     \--other--> TRAILER_LINE --LF--> TRAILER
 */
#include "http/h1parse.h"

#include <stdio.h>
#include <string.h>
#include <strings.h>

size_t bs_h1_head_end(const uint8_t *buf, size_t len, size_t *scan)
{
    size_t i = *scan;
    const uint8_t *p;
    while (i < len && (p = memchr(buf + i, '\n', len - i)) != NULL) {
        i = (size_t)(p - buf);
        /* a line ends at i; an empty line follows if the next bytes are
         * "\n" or "\r\n" */
        if (i + 1 >= len || (buf[i + 1] == '\r' && i + 2 >= len)) {
            *scan = i; /* decide when more bytes have come */
            return 0;
        }
        if (buf[i + 1] == '\n')
            return i + 2;
        if (buf[i + 1] == '\r' && buf[i + 2] == '\n')
            return i + 3;
        i++;
    }
    *scan = len;
    return 0;
}

static bool is_tchar(unsigned char c)
{
    if ((c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z'))
        return true;
    return c && strchr("!#$%&'*+-.^_`|~", c) != NULL;
}

/* Iterates the comma-separated tokens of a header value: returns the next
 * token (trimmed) in [*tok, *tok + *tlen), or false at the end. */
static bool next_token(const char **s, const char **tok, size_t *tlen)
{
    const char *p = *s;
    while (*p == ' ' || *p == '\t' || *p == ',')
        p++;
    if (!*p)
        return false;
    const char *b = p;
    while (*p && *p != ',')
        p++;
    const char *e = p;
    while (e > b && (e[-1] == ' ' || e[-1] == '\t'))
        e--;
    *tok = b;
    *tlen = (size_t)(e - b);
    *s = p;
    return true;
}

static bool token_is(const char *tok, size_t tlen, const char *word)
{
    return strlen(word) == tlen && strncasecmp(tok, word, tlen) == 0;
}

/* The semantic checks on the framing headers, once all are parsed. */
static int head_semantics(bs_h1_head_t *o, char *err, size_t errlen)
{
    for (int i = 0; i < o->nheaders; i++) {
        const char *n = o->h[i].name, *v = o->h[i].value;
        const char *tok;
        size_t tl;
        if (!strcasecmp(n, "Content-Length")) {
            size_t k = strlen(v);
            if (k == 0 || k > 18 || strspn(v, "0123456789") != k) {
                snprintf(err, errlen, "bad Content-Length \"%.40s\" (digits expected)", v);
                return 400;
            }
            int64_t cl = 0;
            for (size_t j = 0; j < k; j++)
                cl = cl * 10 + (v[j] - '0');
            if (o->content_length >= 0 && o->content_length != cl) {
                snprintf(err, errlen, "conflicting Content-Length headers");
                return 400;
            }
            o->content_length = cl;
        } else if (!strcasecmp(n, "Transfer-Encoding")) {
            const char *s = v;
            while (next_token(&s, &tok, &tl)) {
                if (!token_is(tok, tl, "chunked")) {
                    snprintf(err, errlen, "Transfer-Encoding \"%.*s\" not supported",
                             (int)(tl > 40 ? 40 : tl), tok);
                    return 501;
                }
                if (o->chunked) {
                    snprintf(err, errlen, "Transfer-Encoding chunked applied twice");
                    return 400;
                }
                o->chunked = true;
            }
            if (!o->chunked) {
                snprintf(err, errlen, "empty Transfer-Encoding");
                return 400;
            }
        } else if (!strcasecmp(n, "Connection")) {
            const char *s = v;
            while (next_token(&s, &tok, &tl)) {
                if (token_is(tok, tl, "close"))
                    o->conn_close = true;
                else if (token_is(tok, tl, "keep-alive"))
                    o->conn_keep_alive = true;
            }
        } else if (!strcasecmp(n, "Expect")) {
            if (strcasecmp(v, "100-continue") != 0) {
                snprintf(err, errlen, "unsupported expectation \"%.40s\"", v);
                return 417;
            }
            o->expect_continue = true;
        }
    }
    if (o->chunked && o->content_length >= 0) {
        snprintf(err, errlen, "both Content-Length and Transfer-Encoding");
        return 400;
    }
    if (o->chunked && o->minor == 0) {
        snprintf(err, errlen, "Transfer-Encoding in an HTTP/1.0 request");
        return 400;
    }
    return 0;
}

/* Parses the request line buf[0..e) (e at its CR or LF). */
static int request_line(char *buf, size_t e, bs_h1_head_t *o, char *err, size_t errlen)
{
    size_t i = 0;
    while (i < e && is_tchar((unsigned char)buf[i]))
        i++;
    if (i == 0 || i > 32 || i >= e || buf[i] != ' ') {
        snprintf(err, errlen, "bad request line: bad method at byte %zu", i);
        return 400;
    }
    buf[i] = '\0';
    o->method = buf;
    size_t t = ++i;
    while (i < e && (unsigned char)buf[i] > 0x20 && (unsigned char)buf[i] < 0x7f)
        i++;
    if (i == t || i >= e || buf[i] != ' ') {
        snprintf(err, errlen, "bad request line: bad character in the request-target at byte %zu",
                 i);
        return 400;
    }
    if (buf[t] != '/') {
        snprintf(err, errlen, "request-target must start with '/' (origin-form)");
        return 400;
    }
    o->target = buf + t;
    o->target_len = i - t;
    buf[i++] = '\0';
    const char *v = buf + i;
    size_t vl = e - i;
    if (vl != 8 || memcmp(v, "HTTP/", 5) != 0 || v[5] < '0' || v[5] > '9' || v[6] != '.' ||
        v[7] < '0' || v[7] > '9') {
        snprintf(err, errlen, "bad request line: bad HTTP version at byte %zu", i);
        return 400;
    }
    if (v[5] != '1') {
        snprintf(err, errlen, "HTTP version %c.%c not supported (HTTP/1.0 and 1.1 are)", v[5],
                 v[7]);
        return 505;
    }
    o->minor = v[7] == '0' ? 0 : 1; /* 1.x, x > 1: served as 1.1 (RFC 9110 2.5) */
    return 0;
}

int bs_h1_parse_head(char *buf, size_t len, bs_h1_head_t *o, char *err, size_t errlen)
{
    memset(o, 0, offsetof(bs_h1_head_t, h));
    o->content_length = -1;
    if (len > BS_H1_MAX_HEAD) {
        snprintf(err, errlen, "request head over %d bytes", BS_H1_MAX_HEAD);
        return 431;
    }
    char *nl = memchr(buf, '\n', len);
    if (!nl) {
        snprintf(err, errlen, "request head without a line end");
        return 400;
    }
    size_t e = (size_t)(nl - buf);
    size_t next = e + 1;
    if (e > 0 && buf[e - 1] == '\r')
        e--;
    int st = request_line(buf, e, o, err, errlen);
    if (st)
        return st;
    for (;;) {
        size_t b = next;
        if (b >= len) {
            snprintf(err, errlen, "request head without an empty line");
            return 400;
        }
        nl = memchr(buf + b, '\n', len - b);
        if (!nl) {
            snprintf(err, errlen, "header line at byte %zu without a line end", b);
            return 400;
        }
        e = (size_t)(nl - buf);
        next = e + 1;
        if (e > b && buf[e - 1] == '\r')
            e--;
        if (e == b)
            break; /* the empty line */
        if (buf[b] == ' ' || buf[b] == '\t') {
            snprintf(err, errlen, "obsolete line folding at byte %zu", b);
            return 400;
        }
        size_t i = b;
        while (i < e && is_tchar((unsigned char)buf[i]))
            i++;
        if (i == b || i >= e || buf[i] != ':') {
            snprintf(err, errlen, "bad header name at byte %zu", i);
            return 400;
        }
        buf[i++] = '\0';
        while (i < e && (buf[i] == ' ' || buf[i] == '\t'))
            i++;
        size_t ve = e;
        while (ve > i && (buf[ve - 1] == ' ' || buf[ve - 1] == '\t'))
            ve--;
        for (size_t j = i; j < ve; j++) {
            unsigned char c = (unsigned char)buf[j];
            if ((c < 0x20 && c != '\t') || c == 0x7f) {
                snprintf(err, errlen, "control character in the value of header %.64s at byte %zu",
                         buf + b, j);
                return 400;
            }
        }
        if (o->nheaders >= BS_H1_MAX_HEADERS) {
            snprintf(err, errlen, "more than %d header fields", BS_H1_MAX_HEADERS);
            return 431;
        }
        buf[ve] = '\0'; /* ve <= e < next: inside this line */
        o->h[o->nheaders].name = buf + b;
        o->h[o->nheaders].value = buf + i;
        o->nheaders++;
    }
    if (next != len) {
        snprintf(err, errlen, "request head ends at byte %zu, not %zu", next, len);
        return 400;
    }
    return head_semantics(o, err, errlen);
}

const char *bs_h1_header(const bs_h1_head_t *h, const char *name)
{
    for (int i = 0; i < h->nheaders; i++)
        if (strcasecmp(h->h[i].name, name) == 0)
            return h->h[i].value;
    return NULL;
}

/* ------------------------------------------------------------- chunked */

enum {
    CK_SIZE,
    CK_EXT,
    CK_SIZE_LF,
    CK_DATA,
    CK_DATA_CR,
    CK_DATA_LF,
    CK_TRAILER,
    CK_TRAILER_LINE,
    CK_TRAILER_LF,
    CK_DONE,
};

#define CK_MAX_LINE    4096 /* chunk-size line with extensions */
#define CK_MAX_TRAILER 8192

void bs_h1_chunked_init(bs_h1_chunked_t *d)
{
    memset(d, 0, sizeof *d);
    d->state = CK_SIZE;
}

static int hexval(uint8_t c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'f')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'F')
        return c - 'A' + 10;
    return -1;
}

/* The size line has ended: on to the data, or to the trailers. */
static void size_line_done(bs_h1_chunked_t *d)
{
    d->state = d->left ? CK_DATA : CK_TRAILER;
    d->digits = 0;
    d->linelen = 0;
}

int bs_h1_chunked_step(bs_h1_chunked_t *d, const uint8_t *in, size_t len, size_t *used,
                       const uint8_t **data, size_t *dlen, char *err, size_t errlen)
{
    size_t i = 0;
    int rc = BS_H1_CHUNK_MORE;
    *data = NULL;
    *dlen = 0;
    while (i < len) {
        uint8_t c = in[i];
        uint64_t at = d->offset + i;
        switch (d->state) {
        case CK_SIZE: {
            int h = hexval(c);
            if (h >= 0) {
                if (d->digits >= 15) { /* < 2^60: no overflow, far above any body */
                    snprintf(err, errlen, "chunk size too large at body byte %llu",
                             (unsigned long long)at);
                    goto bad;
                }
                d->left = (d->left << 4) | (uint64_t)h;
                d->digits++;
                i++;
                break;
            }
            if (d->digits == 0) {
                snprintf(err, errlen, "bad chunk size (hex digits expected) at body byte %llu",
                         (unsigned long long)at);
                goto bad;
            }
            if (c == ';' || c == ' ' || c == '\t') {
                d->state = CK_EXT;
                d->linelen = d->digits;
            } else if (c == '\r') {
                d->state = CK_SIZE_LF;
            } else if (c == '\n') {
                size_line_done(d);
            } else {
                snprintf(err, errlen, "bad character after the chunk size at body byte %llu",
                         (unsigned long long)at);
                goto bad;
            }
            i++;
            break;
        }
        case CK_EXT:
            if (c == '\r') {
                d->state = CK_SIZE_LF;
            } else if (c == '\n') {
                size_line_done(d);
            } else if ((c < 0x20 && c != '\t') || c == 0x7f) {
                snprintf(err, errlen, "control character in a chunk extension at body byte %llu",
                         (unsigned long long)at);
                goto bad;
            } else if (++d->linelen > CK_MAX_LINE) {
                snprintf(err, errlen, "chunk extension over %d bytes at body byte %llu",
                         CK_MAX_LINE, (unsigned long long)at);
                goto bad;
            }
            i++;
            break;
        case CK_SIZE_LF:
            if (c != '\n') {
                snprintf(err, errlen, "expected LF after the chunk size at body byte %llu",
                         (unsigned long long)at);
                goto bad;
            }
            size_line_done(d);
            i++;
            break;
        case CK_DATA: {
            size_t k = len - i;
            if (k > d->left)
                k = (size_t)d->left;
            *data = in + i;
            *dlen = k;
            d->left -= k;
            i += k;
            if (d->left == 0)
                d->state = CK_DATA_CR;
            rc = BS_H1_CHUNK_DATA;
            goto out;
        }
        case CK_DATA_CR:
        case CK_DATA_LF:
            if (c == '\r' && d->state == CK_DATA_CR) {
                d->state = CK_DATA_LF;
            } else if (c == '\n') {
                d->state = CK_SIZE;
            } else {
                snprintf(err, errlen, "expected CRLF after chunk data at body byte %llu",
                         (unsigned long long)at);
                goto bad;
            }
            i++;
            break;
        case CK_TRAILER:
            if (c == '\r') {
                d->state = CK_TRAILER_LF;
            } else if (c == '\n') {
                d->state = CK_DONE;
                i++;
                rc = BS_H1_CHUNK_DONE;
                goto out;
            } else {
                d->state = CK_TRAILER_LINE;
                break; /* the same byte, counted there */
            }
            i++;
            break;
        case CK_TRAILER_LINE:
            if (++d->trailer > CK_MAX_TRAILER) {
                snprintf(err, errlen, "trailer fields over %d bytes at body byte %llu",
                         CK_MAX_TRAILER, (unsigned long long)at);
                goto bad;
            }
            if (c == '\n')
                d->state = CK_TRAILER;
            else if (c == 0)
                goto nul;
            i++;
            break;
        case CK_TRAILER_LF:
            if (c != '\n') {
                snprintf(err, errlen, "expected LF after the last chunk at body byte %llu",
                         (unsigned long long)at);
                goto bad;
            }
            d->state = CK_DONE;
            i++;
            rc = BS_H1_CHUNK_DONE;
            goto out;
        default: /* CK_DONE */
            rc = BS_H1_CHUNK_DONE;
            goto out;
        }
    }
    if (d->state == CK_DONE)
        rc = BS_H1_CHUNK_DONE;
out:
    d->offset += i;
    *used = i;
    return rc;
nul:
    snprintf(err, errlen, "NUL byte in a trailer field at body byte %llu",
             (unsigned long long)(d->offset + i));
bad:
    d->offset += i;
    *used = i;
    return BS_H1_CHUNK_ERROR;
}
