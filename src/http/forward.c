/*
 * forward.c — bs_http_forward(): relays a request to another instance of the
 * same service (a follower forwarding a write to the leader) with libcurl and
 * answers the original request with the upstream's status, Content-Type and
 * body.
 *
 * Synchronous: it blocks for up to timeout_ms, so it is called from a worker
 * thread (the original request is replied to asynchronously). One curl easy
 * handle per call; no state is kept between calls.
 */
#include "http/http.h"

#include <curl/curl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct fwd_buf_s {
    char *p;
    size_t len, cap;
    bool overflow;
} fwd_buf_t;

#define FWD_MAX_RESPONSE (64u << 20)

static size_t fwd_write_cb(char *data, size_t size, size_t nmemb, void *ud)
{
    fwd_buf_t *b = ud;
    size_t n = size * nmemb;
    if (b->len + n + 1 > b->cap) {
        size_t cap = b->cap ? b->cap : 4096;
        while (cap < b->len + n + 1)
            cap *= 2;
        if (cap > FWD_MAX_RESPONSE) {
            b->overflow = true;
            return 0; /* aborts the transfer */
        }
        char *np = realloc(b->p, cap);
        if (!np)
            return 0;
        b->p = np;
        b->cap = cap;
    }
    memcpy(b->p + b->len, data, n);
    b->len += n;
    return n;
}

int bs_http_forward(const char *base_url, bs_http_req_t *req, long timeout_ms, char *err,
                    size_t errlen)
{
    int rc = -1;
    fwd_buf_t buf = {0};
    struct curl_slist *hdrs = NULL;
    char *url = NULL;
    CURL *c = curl_easy_init();
    if (!c) {
        snprintf(err, errlen, "forward: cannot create a curl handle");
        goto done;
    }
    /* the original raw (still encoded) path and query, unchanged */
    const char *path = bs_http_path(req);
    const char *rawq = bs_http_raw_query(req);
    size_t bl = strlen(base_url);
    while (bl && base_url[bl - 1] == '/')
        bl--;
    size_t ul = bl + strlen(path) + (rawq ? strlen(rawq) + 1 : 0) + 1;
    url = malloc(ul);
    if (!url) {
        snprintf(err, errlen, "forward: out of memory");
        goto done;
    }
    snprintf(url, ul, "%.*s%s%s%s", (int)bl, base_url, path, rawq ? "?" : "", rawq ? rawq : "");

    char line[1024];
    const char *ct = bs_http_header(req, "Content-Type");
    const char *acc = bs_http_header(req, "Accept");
    if (ct) {
        snprintf(line, sizeof line, "Content-Type: %s", ct);
        hdrs = curl_slist_append(hdrs, line);
    }
    if (acc) {
        snprintf(line, sizeof line, "Accept: %s", acc);
        hdrs = curl_slist_append(hdrs, line);
    }
    hdrs = curl_slist_append(hdrs, "Expect:"); /* no 100-continue round trip */

    size_t blen;
    const uint8_t *body = bs_http_body(req, &blen);
    const char *m = bs_http_method(req);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_TIMEOUT_MS, timeout_ms > 0 ? timeout_ms : 30000L);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, hdrs);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, fwd_write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, &buf);
    if (!strcmp(m, "POST") || !strcmp(m, "PUT")) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, (const char *)body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE_LARGE, (curl_off_t)blen);
    }
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, m);
    CURLcode cr = curl_easy_perform(c);
    if (cr != CURLE_OK) {
        snprintf(err, errlen, "forward to %.*s: %s%s", (int)bl, base_url, curl_easy_strerror(cr),
                 buf.overflow ? " (response too large)" : "");
        goto done;
    }
    long status = 0;
    char *rct = NULL;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &status);
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &rct);
    bs_http_reply(req, (int)status, rct ? rct : "application/json", buf.p, buf.len);
    rc = 0;
done:
    free(url);
    free(buf.p);
    curl_slist_free_all(hdrs);
    if (c)
        curl_easy_cleanup(c);
    return rc;
}
