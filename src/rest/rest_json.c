/*
 * rest_json.c — the REST Proxy's text helpers: a JSON writer appending to a
 * bs_wbuf_t (hot paths build responses directly instead of through jansson
 * trees), base64 both ways, and the embedded-format names of media types.
 *
 * Invariants: the writer emits valid JSON for any input bytes (control
 * characters and invalid UTF-8 bytes are escaped as \u00XX, so a key that is
 * not UTF-8 still produces parseable output); the decoder rejects anything
 * outside the standard base64 alphabet and never writes past
 * bs_rest_b64_maxlen(len) bytes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "rest/rest_int.h"

static const char HEX[] = "0123456789abcdef";

/* Length of a valid UTF-8 sequence starting at p (<= n bytes), or 0. */
static size_t utf8_seq(const unsigned char *p, size_t n)
{
    unsigned c = p[0];
    size_t len;
    unsigned min;
    if (c < 0x80)
        return 1;
    if ((c & 0xe0) == 0xc0)
        len = 2, min = 0x80;
    else if ((c & 0xf0) == 0xe0)
        len = 3, min = 0x800;
    else if ((c & 0xf8) == 0xf0)
        len = 4, min = 0x10000;
    else
        return 0;
    if (len > n)
        return 0;
    unsigned cp = c & (0xff >> (len + 1));
    for (size_t i = 1; i < len; i++) {
        if ((p[i] & 0xc0) != 0x80)
            return 0;
        cp = (cp << 6) | (p[i] & 0x3f);
    }
    if (cp < min || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff))
        return 0;
    return len;
}

void bs_rest_jw_str(bs_wbuf_t *w, const char *s, size_t len)
{
    const unsigned char *p = (const unsigned char *)s;
    bs_wbuf_u8(w, '"');
    size_t i = 0;
    while (i < len) {
        size_t run = i;
        while (run < len && p[run] >= 0x20 && p[run] < 0x80 && p[run] != '"' && p[run] != '\\')
            run++;
        bs_wbuf_put(w, p + i, run - i);
        i = run;
        if (i >= len)
            break;
        unsigned char c = p[i];
        if (c == '"' || c == '\\') {
            uint8_t *o = bs_wbuf_reserve(w, 2);
            o[0] = '\\';
            o[1] = c;
            i++;
        } else if (c < 0x20) {
            const char *esc = c == '\n' ? "\\n" : c == '\t' ? "\\t" : c == '\r' ? "\\r" : NULL;
            if (esc) {
                bs_wbuf_put(w, esc, 2);
            } else {
                uint8_t *o = bs_wbuf_reserve(w, 6);
                memcpy(o, "\\u00", 4);
                o[4] = (uint8_t)HEX[c >> 4];
                o[5] = (uint8_t)HEX[c & 15];
            }
            i++;
        } else {
            size_t n = utf8_seq(p + i, len - i);
            if (n) {
                bs_wbuf_put(w, p + i, n);
                i += n;
            } else { /* not UTF-8: the byte as a code point */
                uint8_t *o = bs_wbuf_reserve(w, 6);
                memcpy(o, "\\u00", 4);
                o[4] = (uint8_t)HEX[c >> 4];
                o[5] = (uint8_t)HEX[c & 15];
                i++;
            }
        }
    }
    bs_wbuf_u8(w, '"');
}

void bs_rest_jw_cstr(bs_wbuf_t *w, const char *s)
{
    if (!s)
        bs_wbuf_put(w, "null", 4);
    else
        bs_rest_jw_str(w, s, strlen(s));
}

void bs_rest_jw_raw(bs_wbuf_t *w, const char *s)
{
    bs_wbuf_put(w, s, strlen(s));
}

void bs_rest_jw_i64(bs_wbuf_t *w, int64_t v)
{
    char b[24];
    int n = snprintf(b, sizeof b, "%lld", (long long)v);
    bs_wbuf_put(w, b, (size_t)n);
}

static const char B64[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";

void bs_rest_jw_b64(bs_wbuf_t *w, const void *data, size_t len)
{
    const uint8_t *p = data;
    size_t out = (len + 2) / 3 * 4;
    uint8_t *o = bs_wbuf_reserve(w, out + 2);
    *o++ = '"';
    size_t i = 0;
    for (; i + 3 <= len; i += 3) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8 | p[i + 2];
        *o++ = (uint8_t)B64[v >> 18];
        *o++ = (uint8_t)B64[(v >> 12) & 63];
        *o++ = (uint8_t)B64[(v >> 6) & 63];
        *o++ = (uint8_t)B64[v & 63];
    }
    if (len - i == 1) {
        uint32_t v = (uint32_t)p[i] << 16;
        *o++ = (uint8_t)B64[v >> 18];
        *o++ = (uint8_t)B64[(v >> 12) & 63];
        *o++ = '=';
        *o++ = '=';
    } else if (len - i == 2) {
        uint32_t v = (uint32_t)p[i] << 16 | (uint32_t)p[i + 1] << 8;
        *o++ = (uint8_t)B64[v >> 18];
        *o++ = (uint8_t)B64[(v >> 12) & 63];
        *o++ = (uint8_t)B64[(v >> 6) & 63];
        *o++ = '=';
    }
    *o = '"';
}

long bs_rest_b64_decode(const char *s, size_t len, uint8_t *out)
{
    static signed char tab[256];
    static int init;
    if (!init) { /* benign race: every thread writes the same values */
        memset(tab, -1, sizeof tab);
        for (int i = 0; i < 64; i++)
            tab[(unsigned char)B64[i]] = (signed char)i;
        init = 1;
    }
    while (len > 0 && s[len - 1] == '=')
        len--;
    if (len % 4 == 1)
        return -1;
    size_t o = 0, i = 0;
    for (; i + 4 <= len; i += 4) {
        int a = tab[(unsigned char)s[i]], b = tab[(unsigned char)s[i + 1]],
            c = tab[(unsigned char)s[i + 2]], d = tab[(unsigned char)s[i + 3]];
        if ((a | b | c | d) < 0)
            return -1;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6 | (uint32_t)d;
        out[o++] = (uint8_t)(v >> 16);
        out[o++] = (uint8_t)(v >> 8);
        out[o++] = (uint8_t)v;
    }
    size_t rem = len - i;
    if (rem >= 2) {
        int a = tab[(unsigned char)s[i]], b = tab[(unsigned char)s[i + 1]];
        int c = rem == 3 ? tab[(unsigned char)s[i + 2]] : 0;
        if ((a | b | c) < 0)
            return -1;
        uint32_t v = (uint32_t)a << 18 | (uint32_t)b << 12 | (uint32_t)c << 6;
        out[o++] = (uint8_t)(v >> 16);
        if (rem == 3)
            out[o++] = (uint8_t)(v >> 8);
    }
    return (long)o;
}

void bs_rest_reply_wbuf(bs_http_req_t *req, int status, const char *ctype, bs_wbuf_t *w)
{
    bs_http_reply(req, status, ctype, w->data ? (const char *)w->data : "", w->len);
    bs_wbuf_free(w);
}

bs_rest_fmt_t bs_rest_fmt_of_media(const char *media)
{
    if (!media || !*media)
        return BS_REST_FMT_GENERIC;
    while (*media == ' ')
        media++;
    size_t n = strcspn(media, ";, ");
    static const char pre[] = "application/vnd.kafka.";
    if (n < sizeof pre - 1 || strncasecmp(media, pre, sizeof pre - 1) != 0)
        return BS_REST_FMT_GENERIC; /* application/json, octet-stream, vnd.kafka+json */
    const char *f = media + sizeof pre - 1;
    size_t fl = n - (sizeof pre - 1);
    const char *dot = memchr(f, '.', fl);
    if (!dot)
        return BS_REST_FMT_GENERIC; /* vnd.kafka.v2+json */
    size_t nl = (size_t)(dot - f);
    if (nl == 2 && (f[0] == 'v' || f[0] == 'V'))
        return BS_REST_FMT_GENERIC;
    if (nl == 6 && strncasecmp(f, "binary", 6) == 0)
        return BS_REST_FMT_BINARY;
    if (nl == 4 && strncasecmp(f, "json", 4) == 0)
        return BS_REST_FMT_JSON;
    if (nl == 4 && strncasecmp(f, "avro", 4) == 0)
        return BS_REST_FMT_AVRO;
    return BS_REST_FMT_UNKNOWN;
}

const char *bs_rest_fmt_name(bs_rest_fmt_t f)
{
    switch (f) {
    case BS_REST_FMT_BINARY:
        return "binary";
    case BS_REST_FMT_JSON:
        return "json";
    case BS_REST_FMT_AVRO:
        return "avro";
    case BS_REST_FMT_STRING:
        return "string";
    default:
        return "unknown";
    }
}

const char *bs_rest_fmt_media_v2(bs_rest_fmt_t f)
{
    switch (f) {
    case BS_REST_FMT_JSON:
        return "application/vnd.kafka.json.v2+json";
    case BS_REST_FMT_AVRO:
        return "application/vnd.kafka.avro.v2+json";
    default:
        return "application/vnd.kafka.binary.v2+json";
    }
}

bs_rest_fmt_t bs_rest_fmt_parse_name(const char *s)
{
    if (!s)
        return BS_REST_FMT_UNKNOWN;
    if (strcasecmp(s, "binary") == 0)
        return BS_REST_FMT_BINARY;
    if (strcasecmp(s, "json") == 0)
        return BS_REST_FMT_JSON;
    if (strcasecmp(s, "avro") == 0)
        return BS_REST_FMT_AVRO;
    if (strcasecmp(s, "string") == 0)
        return BS_REST_FMT_STRING;
    return BS_REST_FMT_UNKNOWN;
}
