/*
 * test_http.c — the shared HTTP layer: pure parsing (URL decoding, routes,
 * queries, Accept / Content-Type negotiation), then a real server on an
 * ephemeral loopback port driven with libcurl and raw sockets: routing and
 * URL-encoded params, query parsing, the JSON error bodies (400, 404, 405,
 * 406, 413, 415), asynchronous replies from another thread, forwarding,
 * 200 concurrent keep-alive connections, a slow body that does not
 * block other clients, and streaming routes (body chunks delivered as they
 * arrive, chunked replies written from any thread, a stream cut by a stop).
 * The live tests run twice: on the libmicrohttpd engine, then on the
 * full-duplex HTTP/1.1 engine (cfg.full_duplex; its own behaviours are in
 * test_http_h1.c).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <curl/curl.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "http/http.h"
#include "http/http_int.h"

/* ---- pure parsing ------------------------------------------------------ */

/* The live tests run twice: libmicrohttpd engine, then the h1 engine. */
static bool g_full_duplex;

static void test_url_decode(void **state)
{
    (void)state;
    char out[64];
    assert_int_equal(bs_http_url_decode("a%2Fb", 5, out, false), 3);
    assert_string_equal(out, "a/b");
    assert_int_equal(bs_http_url_decode("a+b%20c", 7, out, true), 5);
    assert_string_equal(out, "a b c");
    assert_int_equal(bs_http_url_decode("a+b", 3, out, false), 3);
    assert_string_equal(out, "a+b");
    assert_int_equal(bs_http_url_decode("%e2%82%AC", 9, out, false), 3); /* euro sign */
    assert_int_equal(bs_http_url_decode("%", 1, out, false), -1);
    assert_int_equal(bs_http_url_decode("%4", 2, out, false), -1);
    assert_int_equal(bs_http_url_decode("%zz", 3, out, false), -1);
    assert_int_equal(bs_http_url_decode("a%00", 4, out, false), -1);
    assert_int_equal(bs_http_url_decode("", 0, out, false), 0);
    assert_string_equal(out, "");
}

static void h_dummy(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    bs_http_reply(req, 200, NULL, "{}", 2);
}

static const bs_http_route_t ROUTES_PURE[] = {
    {"GET", "/subjects", h_dummy},
    {"GET", "/subjects/{subject}/versions/{version}", h_dummy},
    {"POST", "/subjects/{subject}/versions", h_dummy},
    {"GET", "/subjects/{subject}/versions", h_dummy},
    {"GET", "/config/{subject}", h_dummy},
    {"GET", "/config/global", h_dummy}, /* literal declared after the param */
    {"DELETE", "/subjects/{subject}", h_dummy},
    {"GET", "/", h_dummy},
};

static int match(const bs_http_router_t *rt, const char *m, const char *path, bs_http_match_t *mt,
                 char *buf)
{
    return bs_http_router_match(rt, m, path, strlen(path), buf, mt);
}

static void test_router(void **state)
{
    (void)state;
    bs_http_router_t rt;
    char err[256], buf[256];
    bs_http_match_t m;
    assert_int_equal(bs_http_router_init(&rt, ROUTES_PURE, 8, err, sizeof err), 0);
    assert_int_equal(match(&rt, "GET", "/subjects", &m, buf), 0);
    assert_int_equal(match(&rt, "GET", "/subjects/", &m, buf), 0); /* trailing '/' */
    assert_int_equal(match(&rt, "GET", "/subjects//", &m, buf), BS_HTTP_MATCH_NOT_FOUND);
    assert_int_equal(match(&rt, "GET", "/subjects/a%2Fb/versions/latest", &m, buf), 1);
    assert_int_equal(m.nparams, 2);
    assert_string_equal(m.value[0], "a/b");
    assert_string_equal(m.value[1], "latest");
    assert_int_equal((int)m.name_len[0], 7);
    assert_memory_equal(m.name[0], "subject", 7);
    assert_int_equal(match(&rt, "POST", "/subjects/x/versions", &m, buf), 2);
    assert_int_equal(match(&rt, "GET", "/subjects/x/versions", &m, buf), 3);
    assert_int_equal(match(&rt, "PUT", "/subjects/x/versions", &m, buf), BS_HTTP_MATCH_BAD_METHOD);
    assert_int_equal(match(&rt, "GET", "/config/global", &m, buf), 5); /* literal wins */
    assert_int_equal(m.nparams, 0);
    assert_int_equal(match(&rt, "GET", "/config/other", &m, buf), 4);
    assert_int_equal(match(&rt, "GET", "/config/glob%61l", &m, buf), 5); /* decoded first */
    assert_int_equal(match(&rt, "GET", "/nope", &m, buf), BS_HTTP_MATCH_NOT_FOUND);
    assert_int_equal(match(&rt, "GET", "/subjects/%zz", &m, buf), BS_HTTP_MATCH_BAD_PATH);
    assert_int_equal(match(&rt, "GET", "/subjects//versions", &m, buf), BS_HTTP_MATCH_NOT_FOUND);
    assert_int_equal(match(&rt, "GET", "/", &m, buf), 7);
    assert_int_equal(match(&rt, "GET", "", &m, buf), BS_HTTP_MATCH_NOT_FOUND);
    assert_int_equal(match(&rt, "GET", "x", &m, buf), BS_HTTP_MATCH_NOT_FOUND);
    assert_int_equal(match(&rt, "GET", "/a/b/c/d/e/f/g/h/i/j/k/l/m/n/o/p/q/r/s", &m, buf),
                     BS_HTTP_MATCH_NOT_FOUND);
    bs_http_router_free(&rt);

    static const bs_http_route_t bad1[] = {{"GET", "subjects", h_dummy}};
    static const bs_http_route_t bad2[] = {{"GET", "/a//b", h_dummy}};
    static const bs_http_route_t bad3[] = {{"GET", "/a/{x", h_dummy}};
    static const bs_http_route_t bad4[] = {{"GET", "/a/", h_dummy}};
    assert_int_equal(bs_http_router_init(&rt, bad1, 1, err, sizeof err), -1);
    assert_int_equal(bs_http_router_init(&rt, bad2, 1, err, sizeof err), -1);
    assert_non_null(strstr(err, "/a//b"));
    assert_int_equal(bs_http_router_init(&rt, bad3, 1, err, sizeof err), -1);
    assert_int_equal(bs_http_router_init(&rt, bad4, 1, err, sizeof err), -1);
}

static void test_query_parse(void **state)
{
    (void)state;
    char buf[128];
    bs_http_qparam_t q[4];
    const char *s = "deleted=true&&x=a%20b+c&flag&=v&k=";
    int n = bs_http_query_parse(s, strlen(s), buf, q, 4);
    assert_int_equal(n, 4); /* the 5th ("k=") is beyond max */
    assert_string_equal(q[0].key, "deleted");
    assert_string_equal(q[0].value, "true");
    assert_string_equal(q[1].key, "x");
    assert_string_equal(q[1].value, "a b c");
    assert_string_equal(q[2].key, "flag");
    assert_string_equal(q[2].value, "");
    assert_string_equal(q[3].key, "");
    assert_string_equal(q[3].value, "v");
    assert_int_equal(bs_http_query_parse("a=%G1", 5, buf, q, 4), -1);
    assert_int_equal(bs_http_query_parse("", 0, buf, q, 4), 0);
}

static const bs_http_media_t SR_MEDIA[] = {
    {"application/vnd.schemaregistry.v1+json", 1.0},
    {"application/vnd.schemaregistry+json", 0.9},
    {"application/json", 0.5},
};

static void test_negotiate(void **state)
{
    (void)state;
    const bs_http_media_t *p = SR_MEDIA;
    assert_int_equal(bs_http_negotiate(NULL, p, 3), 0);
    assert_int_equal(bs_http_negotiate("", p, 3), 0);
    assert_int_equal(bs_http_negotiate("*/*", p, 3), 0);
    assert_int_equal(bs_http_negotiate("application/json", p, 3), 2);
    assert_int_equal(bs_http_negotiate("APPLICATION/JSON; charset=utf-8", p, 3), 2);
    assert_int_equal(bs_http_negotiate("application/*", p, 3), 0);
    assert_int_equal(bs_http_negotiate("text/html", p, 3), -1);
    assert_int_equal(bs_http_negotiate("text/*", p, 3), -1);
    assert_int_equal(bs_http_negotiate("application/json;q=0", p, 3), -1);
    /* the serializers' header */
    assert_int_equal(bs_http_negotiate("application/vnd.schemaregistry.v1+json, "
                                       "application/vnd.schemaregistry+json, application/json",
                                       p, 3),
                     0);
    /* equal specificity: q first, then qs */
    assert_int_equal(bs_http_negotiate("application/json;q=0.9, "
                                       "application/vnd.schemaregistry+json;q=0.1",
                                       p, 3),
                     2);
    /* the most specific range decides: json explicitly refused */
    assert_int_equal(bs_http_negotiate("application/json;q=0, */*;q=0.1", p, 3), 0);
    /* specificity before q */
    assert_int_equal(bs_http_negotiate("*/*;q=0.5, application/json;q=1", p, 3), 2);
    assert_int_equal(bs_http_negotiate("*/*, application/json;q=0.2", p, 3), 2);
    assert_int_equal(bs_http_negotiate("application/*;q=0.3, application/json;q=0.2", p, 3), 2);
    assert_int_equal(bs_http_negotiate("application/*, application/json;q=0", p, 3), 0);
    /* Java's HttpURLConnection default */
    assert_int_equal(
        bs_http_negotiate("text/html, image/gif, image/jpeg, *; q=.2, */*; q=.2", p, 3), 0);
    /* malformed ranges are ignored; only malformed = no preference */
    assert_int_equal(bs_http_negotiate("garbage, application/json", p, 3), 2);
    assert_int_equal(bs_http_negotiate("garbage", p, 3), 0);
    assert_int_equal(bs_http_negotiate("application/json;q=abc", p, 3), 0);
    assert_int_equal(bs_http_negotiate(",,;,", p, 3), 0);
    assert_int_equal(bs_http_negotiate("*/*", p, 0), -1);
}

static void test_content_type(void **state)
{
    (void)state;
    static const char *const c[] = {"application/json", "application/octet-stream"};
    assert_true(bs_http_content_type_ok(NULL, c, 2));
    assert_true(bs_http_content_type_ok("", c, 2));
    assert_true(bs_http_content_type_ok("application/json", c, 2));
    assert_true(bs_http_content_type_ok(" Application/JSON ; charset=UTF-8", c, 2));
    assert_true(bs_http_content_type_ok("application/octet-stream", c, 2));
    assert_false(bs_http_content_type_ok("text/plain", c, 2));
    assert_false(bs_http_content_type_ok("application/jsonx", c, 2));
    assert_true(bs_http_content_type_ok("text/plain", c, 0));
}

/* ---- a live server ------------------------------------------------------ */

typedef struct fixture_s {
    bs_http_server_t *srv;
    int port;
    char base[64];
} fixture_t;

static void h_version(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    json_t *j =
        json_pack("{s:s,s:s,s:b,s:s?,s:s}", "subject", bs_http_param(req, "subject"), "version",
                  bs_http_param(req, "version"), "deleted", bs_http_query_bool(req, "deleted"), "x",
                  bs_http_query(req, "x"), "media", bs_http_media(req));
    bs_http_reply_json(req, 200, j);
}

static void h_post(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    json_error_t je;
    json_t *body = bs_http_body_json(req, &je);
    if (!body) {
        bs_http_reply_error(req, 422, 42201, "bad JSON: %s", je.text);
        return;
    }
    json_t *j = json_pack("{s:s,s:o,s:s?}", "subject", bs_http_param(req, "subject"), "body", body,
                          "method", bs_http_method(req));
    bs_http_reply_json(req, 200, j);
}

static void *async_thread(void *arg)
{
    bs_http_req_t *req = arg;
    usleep(50 * 1000);
    static const char *const hdrs[] = {"X-Async", "yes", NULL};
    bs_http_reply_ex(req, 201, "application/json", "{\"async\":true}", 14, hdrs);
    return NULL;
}

static void h_async(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    pthread_t t;
    if (pthread_create(&t, NULL, async_thread, req) != 0) {
        bs_http_reply_error(req, 500, 50001, "no thread");
        return;
    }
    pthread_detach(t);
}

typedef struct fwd_job_s {
    bs_http_req_t *req;
    char base[96];
} fwd_job_t;

static void *forward_thread(void *arg)
{
    fwd_job_t *job = arg;
    char err[256];
    if (bs_http_forward(job->base, job->req, 5000, err, sizeof err) != 0)
        bs_http_reply_error(job->req, 502, 50201, "%s", err);
    free(job);
    return NULL;
}

/* forwards /fwd/subjects/... to the same server's /subjects/... */
static void h_forward(bs_http_req_t *req, void *ctx)
{
    fixture_t *f = ctx;
    fwd_job_t *job = malloc(sizeof *job);
    assert_non_null(job);
    job->req = req;
    snprintf(job->base, sizeof job->base, "%s/fwdtarget", f->base);
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, forward_thread, job), 0);
    pthread_detach(t);
}

static void h_fwd_target(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    size_t len;
    const uint8_t *b = bs_http_body(req, &len);
    char out[512];
    int n = snprintf(out, sizeof out, "%s %s q=%s body=%.*s accept=%s", bs_http_method(req),
                     bs_http_path(req), bs_http_raw_query(req) ? bs_http_raw_query(req) : "-",
                     (int)len, (const char *)b, bs_http_media(req));
    bs_http_reply(req, 202, "text/plain", out, (size_t)n);
}

static const bs_http_route_t ROUTES[] = {
    {"GET", "/subjects/{subject}/versions/{version}", h_version},
    {"POST", "/subjects/{subject}/versions", h_post},
    {"PUT", "/subjects/{subject}/versions", h_post},
    {"GET", "/async", h_async},
    {"POST", "/fwd/{a}/{b}", h_forward},
    {"POST", "/fwdtarget/fwd/{a}/{b}", h_fwd_target},
};

static const char *const CONSUMES[] = {"application/vnd.schemaregistry.v1+json",
                                       "application/vnd.schemaregistry+json", "application/json",
                                       "application/octet-stream"};

static int setup(void **state)
{
    fixture_t *f = calloc(1, sizeof *f);
    bs_http_config_t cfg = {
        .listeners = "http://127.0.0.1:0, http://127.0.0.1:0",
        .threads = 2,
        .produces = SR_MEDIA,
        .nproduces = 3,
        .consumes = CONSUMES,
        .nconsumes = 4,
        .max_body = 4096,
        .service_name = "test-http",
        .full_duplex = g_full_duplex,
    };
    char err[256];
    f->srv = bs_http_server_start(&cfg, ROUTES, (int)(sizeof ROUTES / sizeof ROUTES[0]), f, err,
                                  sizeof err);
    if (!f->srv) {
        fprintf(stderr, "%s\n", err);
        return -1;
    }
    f->port = bs_http_server_port(f->srv, 0);
    snprintf(f->base, sizeof f->base, "http://127.0.0.1:%d", f->port);
    *state = f;
    return 0;
}

static int teardown(void **state)
{
    fixture_t *f = *state;
    bs_http_server_stop(f->srv);
    free(f);
    return 0;
}

typedef struct resp_s {
    long status;
    char body[8192];
    size_t len;
    char ctype[128];
    char xasync[16];
} resp_t;

static size_t write_cb(char *d, size_t sz, size_t n, void *ud)
{
    resp_t *r = ud;
    size_t k = sz * n;
    if (r->len + k >= sizeof r->body)
        return 0;
    memcpy(r->body + r->len, d, k);
    r->len += k;
    r->body[r->len] = '\0';
    return k;
}

static size_t header_cb(char *d, size_t sz, size_t n, void *ud)
{
    resp_t *r = ud;
    size_t k = sz * n;
    if (k > 8 && strncasecmp(d, "X-Async:", 8) == 0)
        snprintf(r->xasync, sizeof r->xasync, "%.*s", (int)(k - 11 > 15 ? 15 : k - 11), d + 9);
    return k;
}

/* One request; hdr1/hdr2 are extra header lines (may be NULL). */
static void http_do(const fixture_t *f, const char *method, const char *path, const char *hdr1,
                    const char *hdr2, const char *body, long body_len, resp_t *r)
{
    memset(r, 0, sizeof *r);
    char url[1024];
    snprintf(url, sizeof url, "%s%s", f->base, path);
    CURL *c = curl_easy_init();
    assert_non_null(c);
    struct curl_slist *h = NULL;
    if (hdr1)
        h = curl_slist_append(h, hdr1);
    if (hdr2)
        h = curl_slist_append(h, hdr2);
    curl_easy_setopt(c, CURLOPT_URL, url);
    curl_easy_setopt(c, CURLOPT_CUSTOMREQUEST, method);
    curl_easy_setopt(c, CURLOPT_HTTPHEADER, h);
    curl_easy_setopt(c, CURLOPT_WRITEFUNCTION, write_cb);
    curl_easy_setopt(c, CURLOPT_WRITEDATA, r);
    curl_easy_setopt(c, CURLOPT_HEADERFUNCTION, header_cb);
    curl_easy_setopt(c, CURLOPT_HEADERDATA, r);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, 10L);
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_PATH_AS_IS, 1L);
    if (body) {
        curl_easy_setopt(c, CURLOPT_POSTFIELDS, body);
        curl_easy_setopt(c, CURLOPT_POSTFIELDSIZE, body_len >= 0 ? body_len : (long)strlen(body));
    }
    CURLcode cr = curl_easy_perform(c);
    if (cr != CURLE_OK)
        fprintf(stderr, "curl %s %s: %s\n", method, path, curl_easy_strerror(cr));
    assert_int_equal(cr, CURLE_OK);
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &r->status);
    char *ct = NULL;
    curl_easy_getinfo(c, CURLINFO_CONTENT_TYPE, &ct);
    snprintf(r->ctype, sizeof r->ctype, "%s", ct ? ct : "");
    curl_slist_free_all(h);
    curl_easy_cleanup(c);
}

static void test_routing_params(void **state)
{
    fixture_t *f = *state;
    resp_t r;
    http_do(f, "GET", "/subjects/a%2Fb/versions/latest?deleted=TRUE&x=1%2B1+2", NULL, NULL, NULL, 0,
            &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "application/vnd.schemaregistry.v1+json");
    assert_string_equal(r.body,
                        "{\"subject\":\"a/b\",\"version\":\"latest\",\"deleted\":true,"
                        "\"x\":\"1+1 2\",\"media\":\"application/vnd.schemaregistry.v1+json\"}");
    http_do(f, "GET", "/subjects/s%C3%A9/versions/3/", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"subject\":\"s\xc3\xa9\",\"version\":\"3\",\"deleted\":false,"
                                "\"x\":null,\"media\":\"application/vnd.schemaregistry.v1+json\"}");
    /* second listener answers too */
    fixture_t f2 = *f;
    snprintf(f2.base, sizeof f2.base, "http://127.0.0.1:%d", bs_http_server_port(f->srv, 1));
    assert_int_not_equal(bs_http_server_port(f->srv, 1), f->port);
    assert_int_equal(bs_http_server_port(f->srv, 2), -1);
    http_do(&f2, "GET", "/subjects/x/versions/1", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 200);
}

static void test_post_body(void **state)
{
    fixture_t *f = *state;
    resp_t r;
    http_do(f, "POST", "/subjects/t/versions", "Content-Type: application/json", NULL,
            "{\"schema\":\"\\\"string\\\"\"}", -1, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.body, "{\"subject\":\"t\",\"body\":{\"schema\":\"\\\"string\\\"\"},"
                                "\"method\":\"POST\"}");
    /* no Content-Type: accepted as JSON; octet-stream accepted */
    http_do(f, "PUT", "/subjects/t/versions", "Content-Type:", NULL, "[1]", -1, &r);
    assert_int_equal(r.status, 200);
    http_do(f, "POST", "/subjects/t/versions", "Content-Type: application/octet-stream", NULL, "{}",
            -1, &r);
    assert_int_equal(r.status, 200);
    /* empty body reaches the handler */
    http_do(f, "POST", "/subjects/t/versions", "Content-Type:", NULL, "", 0, &r);
    assert_int_equal(r.status, 422);
    assert_non_null(strstr(r.body, "\"error_code\":42201"));
}

static void test_errors(void **state)
{
    fixture_t *f = *state;
    resp_t r;
    http_do(f, "GET", "/nope", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 404);
    assert_string_equal(r.body, "{\"error_code\":404,\"message\":\"HTTP 404 Not Found\"}");
    assert_string_equal(r.ctype, "application/vnd.schemaregistry.v1+json");
    http_do(f, "DELETE", "/subjects/x/versions", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 405);
    assert_string_equal(r.body, "{\"error_code\":405,\"message\":\"HTTP 405 Method Not Allowed\"}");
    http_do(f, "GET", "/subjects/x/versions/1", "Accept: text/html", NULL, NULL, 0, &r);
    assert_int_equal(r.status, 406);
    assert_string_equal(r.body, "{\"error_code\":406,\"message\":\"HTTP 406 Not Acceptable\"}");
    http_do(f, "POST", "/subjects/x/versions", "Content-Type: text/plain", NULL, "{}", -1, &r);
    assert_int_equal(r.status, 415);
    assert_string_equal(r.body,
                        "{\"error_code\":415,\"message\":\"HTTP 415 Unsupported Media Type\"}");
    char big[5000];
    memset(big, ' ', sizeof big);
    http_do(f, "POST", "/subjects/x/versions", "Content-Type: application/json", "Expect:", big,
            sizeof big, &r);
    assert_int_equal(r.status, 413);
    assert_non_null(strstr(r.body, "\"error_code\":413"));
    /* chunked, no Content-Length: caught while reading */
    http_do(f, "POST", "/subjects/x/versions", "Transfer-Encoding: chunked",
            "Content-Type: application/json", big, sizeof big, &r);
    assert_int_equal(r.status, 413);
    http_do(f, "GET", "/subjects/%zz/versions/1", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 400);
    assert_string_equal(r.body, "{\"error_code\":400,\"message\":\"HTTP 400 Bad Request\"}");
    http_do(f, "GET", "/subjects/x/versions/1?a=%", NULL, NULL, NULL, 0, &r);
    assert_int_equal(r.status, 400);
    /* errors with a body to drop first keep the answer intact */
    http_do(f, "POST", "/nope", "Content-Type: application/json", NULL, "{\"a\":1}", -1, &r);
    assert_int_equal(r.status, 404);
    /* the error body uses the negotiated type */
    http_do(f, "GET", "/nope", "Accept: application/json", NULL, NULL, 0, &r);
    assert_string_equal(r.ctype, "application/json");
}

static void test_accept_q(void **state)
{
    fixture_t *f = *state;
    resp_t r;
    http_do(f, "GET", "/subjects/x/versions/1",
            "Accept: application/json;q=0.9, application/vnd.schemaregistry+json;q=0.1", NULL, NULL,
            0, &r);
    assert_int_equal(r.status, 200);
    assert_string_equal(r.ctype, "application/json");
    http_do(f, "GET", "/subjects/x/versions/1", "Accept: application/vnd.schemaregistry+json", NULL,
            NULL, 0, &r);
    assert_string_equal(r.ctype, "application/vnd.schemaregistry+json");
}

static void test_async_reply(void **state)
{
    fixture_t *f = *state;
    resp_t r;
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    http_do(f, "GET", "/async", NULL, NULL, NULL, 0, &r);
    clock_gettime(CLOCK_MONOTONIC, &t1);
    assert_int_equal(r.status, 201);
    assert_string_equal(r.body, "{\"async\":true}");
    assert_string_equal(r.xasync, "yes");
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    assert_true(ms >= 45);
}

static void test_forward(void **state)
{
    fixture_t *f = *state;
    resp_t r;
    http_do(f, "POST", "/fwd/a%2Fb/c?x=%20y", "Content-Type: application/json",
            "Accept: application/json", "{\"k\":1}", -1, &r);
    assert_int_equal(r.status, 202);
    assert_string_equal(r.ctype, "text/plain");
    assert_string_equal(
        r.body, "POST /fwdtarget/fwd/a%2Fb/c q=x=%20y body={\"k\":1} accept=application/json");
}

/* ---- raw-socket clients -------------------------------------------------- */

static int tcp_connect(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    assert_true(fd >= 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    assert_int_equal(connect(fd, (struct sockaddr *)&a, sizeof a), 0);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    return fd;
}

static void send_all(int fd, const char *s, size_t n)
{
    while (n) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        assert_true(k > 0);
        s += k;
        n -= (size_t)k;
    }
}

/* Reads one response (headers + Content-Length body); returns the status,
 * body copied into out. */
static int read_response(int fd, char *out, size_t outcap)
{
    char buf[4096];
    size_t len = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, 10000), 1);
        ssize_t k = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        assert_true(k > 0);
        len += (size_t)k;
        buf[len] = '\0';
        char *eoh = strstr(buf, "\r\n\r\n");
        if (!eoh)
            continue;
        const char *cl = strcasestr(buf, "Content-Length:");
        assert_non_null(cl);
        size_t want = (size_t)atol(cl + 15);
        size_t have = len - (size_t)(eoh + 4 - buf);
        if (have < want)
            continue;
        assert_int_equal(have, want); /* no pipelining here: nothing extra */
        snprintf(out, outcap, "%.*s", (int)want, eoh + 4);
        return atoi(buf + 9);
    }
}

#define NCONN 200

static void test_many_keepalive(void **state)
{
    fixture_t *f = *state;
    static int fds[NCONN];
    for (int i = 0; i < NCONN; i++)
        fds[i] = tcp_connect(f->port);
    for (int round = 0; round < 3; round++) {
        char req[256], body[1024], want[256];
        for (int i = 0; i < NCONN; i++) {
            int n = snprintf(req, sizeof req,
                             "GET /subjects/s%d/versions/%d HTTP/1.1\r\nHost: t\r\n\r\n", i, round);
            send_all(fds[i], req, (size_t)n);
        }
        for (int i = 0; i < NCONN; i++) {
            assert_int_equal(read_response(fds[i], body, sizeof body), 200);
            snprintf(want, sizeof want, "{\"subject\":\"s%d\",\"version\":\"%d\"", i, round);
            assert_memory_equal(body, want, strlen(want));
        }
    }
    for (int i = 0; i < NCONN; i++)
        close(fds[i]);
}

typedef struct slow_s {
    int port;
    int status;
    char body[512];
} slow_t;

static void *slow_client(void *arg)
{
    slow_t *s = arg;
    int fd = tcp_connect(s->port);
    const char *body = "{\"slow\":\"bytebybyte\"}";
    char hdr[256];
    int n = snprintf(hdr, sizeof hdr,
                     "POST /subjects/slow/versions HTTP/1.1\r\nHost: t\r\nContent-Type: "
                     "application/json\r\nContent-Length: %zu\r\n\r\n",
                     strlen(body));
    send_all(fd, hdr, (size_t)n);
    for (const char *p = body; *p; p++) {
        send_all(fd, p, 1);
        usleep(60 * 1000);
    }
    s->status = read_response(fd, s->body, sizeof s->body);
    close(fd);
    return NULL;
}

static void test_slow_client(void **state)
{
    fixture_t *f = *state;
    slow_t s[4];
    pthread_t t[4];
    for (int i = 0; i < 4; i++) { /* more slow clients than server threads */
        memset(&s[i], 0, sizeof s[i]);
        s[i].port = f->port;
        assert_int_equal(pthread_create(&t[i], NULL, slow_client, &s[i]), 0);
    }
    usleep(100 * 1000); /* the slow bodies are now in flight */
    struct timespec t0, t1;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    resp_t r;
    for (int i = 0; i < 50; i++) {
        http_do(f, "GET", "/subjects/fast/versions/1", NULL, NULL, NULL, 0, &r);
        assert_int_equal(r.status, 200);
    }
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long ms = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
    /* the slow bodies take ~1.2 s; the 50 fast requests must not wait */
    assert_true(ms < 700);
    for (int i = 0; i < 4; i++) {
        pthread_join(t[i], NULL);
        assert_int_equal(s[i].status, 200);
        assert_non_null(strstr(s[i].body, "\"slow\":\"bytebybyte\""));
    }
}

static void test_start_errors(void **state)
{
    fixture_t *f = *state;
    char err[256], l[64];
    bs_http_config_t cfg = {
        .produces = SR_MEDIA, .nproduces = 3, .service_name = "t", .full_duplex = g_full_duplex};
    snprintf(l, sizeof l, "http://127.0.0.1:0,http://127.0.0.1:%d", f->port);
    cfg.listeners = l;
    assert_null(bs_http_server_start(&cfg, ROUTES, 1, NULL, err, sizeof err));
    assert_non_null(strstr(err, l + 19)); /* names the listener in use */
    cfg.listeners = "https://0.0.0.0:1";
    assert_null(bs_http_server_start(&cfg, ROUTES, 1, NULL, err, sizeof err));
    assert_non_null(strstr(err, "https://0.0.0.0:1"));
    cfg.listeners = "http://127.0.0.1:99999";
    assert_null(bs_http_server_start(&cfg, ROUTES, 1, NULL, err, sizeof err));
    cfg.listeners = "";
    assert_null(bs_http_server_start(&cfg, ROUTES, 1, NULL, err, sizeof err));
    cfg.listeners = "http://:0";
    bs_http_server_t *s = bs_http_server_start(&cfg, ROUTES, 1, NULL, err, sizeof err);
    assert_non_null(s);
    assert_true(bs_http_server_port(s, 0) > 0);
    bs_http_server_stop(s);
}

/* A request still waiting for its asynchronous reply at stop gets a 503; the
 * application's late reply is then harmless. */
static bs_http_req_t *g_parked;
static volatile int g_parked_ready;

static void h_park(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    g_parked = req;
    __atomic_store_n(&g_parked_ready, 1, __ATOMIC_RELEASE);
}

typedef struct park_client_s {
    fixture_t f;
    resp_t r;
} park_client_t;

static void *park_client(void *arg)
{
    park_client_t *pc = arg;
    http_do(&pc->f, "GET", "/park", NULL, NULL, NULL, 0, &pc->r);
    return NULL;
}

static void test_stop_with_pending(void **state)
{
    (void)state;
    static const bs_http_route_t routes[] = {{"GET", "/park", h_park}};
    bs_http_config_t cfg = {.listeners = "http://127.0.0.1:0",
                            .produces = SR_MEDIA,
                            .nproduces = 3,
                            .service_name = "t-park",
                            .full_duplex = g_full_duplex};
    char err[256];
    bs_http_server_t *s = bs_http_server_start(&cfg, routes, 1, NULL, err, sizeof err);
    assert_non_null(s);
    park_client_t pc;
    memset(&pc, 0, sizeof pc);
    snprintf(pc.f.base, sizeof pc.f.base, "http://127.0.0.1:%d", bs_http_server_port(s, 0));
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, park_client, &pc), 0);
    for (int i = 0; i < 500 && !__atomic_load_n(&g_parked_ready, __ATOMIC_ACQUIRE); i++)
        usleep(10 * 1000);
    assert_true(__atomic_load_n(&g_parked_ready, __ATOMIC_ACQUIRE));
    usleep(20 * 1000); /* let the layer park the connection */
    bs_http_server_stop(s);
    pthread_join(t, NULL);
    assert_int_equal(pc.r.status, 503);
    assert_non_null(strstr(pc.r.body, "\"error_code\":503"));
    bs_http_reply_error(g_parked, 200, 0, "late"); /* dropped, frees the request */
}

/* ---- streaming routes --------------------------------------------------- */

/* POST /stream: `head` echoes every body chunk into a chunked response as it
 * arrives (from the MHD thread), then a separate thread writes "end\n" and
 * ends the stream. X-Mode: plain leaves the request to the ordinary handler;
 * X-Mode: reject replies 403 from `head` (the body is dropped). X-Mode: hang
 * never ends the stream (for the stop test). */
static int g_stream_seen;            /* body bytes seen by the body callback */
static bs_http_req_t *g_stream_hung; /* X-Mode: hang */

static void *stream_end_thread(void *arg)
{
    bs_http_req_t *req = arg;
    usleep(50 * 1000); /* the reader is parked by now: the write resumes it */
    assert_int_equal(bs_http_stream_write(req, "end\n", 4), 0);
    bs_http_stream_end(req);
    return NULL;
}

static void stream_body_cb(bs_http_req_t *req, const uint8_t *data, size_t len, bool aborted,
                           void *arg)
{
    (void)aborted;
    if (data) {
        __atomic_add_fetch(&g_stream_seen, (int)len, __ATOMIC_RELEASE);
        bs_http_stream_write(req, data, len);
        return;
    }
    if (arg) { /* hang */
        __atomic_store_n(&g_stream_hung, req, __ATOMIC_RELEASE);
        return;
    }
    pthread_t t;
    assert_int_equal(pthread_create(&t, NULL, stream_end_thread, req), 0);
    pthread_detach(t);
}

static void h_stream_head(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    const char *mode = bs_http_header(req, "X-Mode");
    if (mode && !strcmp(mode, "plain"))
        return;
    if (mode && !strcmp(mode, "reject")) {
        bs_http_reply_error(req, 403, 40301, "rejected at the headers");
        return;
    }
    bool hang = mode && !strcmp(mode, "hang");
    bs_http_stream_body(req, stream_body_cb, hang ? (void *)1 : NULL);
    bs_http_stream_begin(req, 200, "text/plain");
}

static void h_stream_full(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    size_t len;
    const uint8_t *b = bs_http_body(req, &len);
    char out[256];
    int n = snprintf(out, sizeof out, "plain:%.*s", (int)len, (const char *)b);
    bs_http_reply(req, 200, "text/plain", out, (size_t)n);
}

/* Reads a chunked response; returns the status, the decoded body in out. */
static int read_chunked(int fd, char *out, size_t outcap, bool *chunked)
{
    static char buf[16384];
    size_t len = 0;
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        assert_int_equal(poll(&p, 1, 10000), 1);
        ssize_t k = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (k <= 0)
            return -1; /* closed before the last chunk */
        len += (size_t)k;
        buf[len] = '\0';
        char *eoh = strstr(buf, "\r\n\r\n");
        if (!eoh || !strstr(eoh, "\r\n0\r\n\r\n"))
            continue;
        *chunked = strcasestr(buf, "Transfer-Encoding: chunked") != NULL;
        size_t o = 0;
        for (char *c = eoh + 4;;) {
            long n = strtol(c, &c, 16);
            c += 2;
            if (n == 0)
                break;
            assert_true(o + (size_t)n < outcap);
            memcpy(out + o, c, (size_t)n);
            o += (size_t)n;
            c += n + 2;
        }
        out[o] = '\0';
        return atoi(buf + 9);
    }
}

static bs_http_server_t *stream_server(int *port)
{
    static const bs_http_route_t routes[] = {{"POST", "/stream", h_stream_full}};
    static const bs_http_stream_route_t streams[] = {{h_stream_full, h_stream_head}};
    bs_http_config_t cfg = {.listeners = "http://127.0.0.1:0",
                            .produces = SR_MEDIA,
                            .nproduces = 3,
                            .max_body = 64,
                            .service_name = "t-stream",
                            .full_duplex = g_full_duplex,
                            .streams = streams,
                            .nstreams = 1};
    char err[256];
    bs_http_server_t *s = bs_http_server_start(&cfg, routes, 1, NULL, err, sizeof err);
    assert_non_null(s);
    *port = bs_http_server_port(s, 0);
    return s;
}

static void wait_seen(int n)
{
    for (int i = 0; i < 500 && __atomic_load_n(&g_stream_seen, __ATOMIC_ACQUIRE) < n; i++)
        usleep(2000);
    assert_int_equal(__atomic_load_n(&g_stream_seen, __ATOMIC_ACQUIRE), n);
}

static void test_stream(void **state)
{
    (void)state;
    int port;
    bs_http_server_t *s = stream_server(&port);
    int fd = tcp_connect(port);
    static const char hdr[] = "POST /stream HTTP/1.1\r\nHost: t\r\nContent-Type: "
                              "application/json\r\nTransfer-Encoding: chunked\r\n\r\n";
    g_stream_seen = 0;
    send_all(fd, hdr, sizeof hdr - 1);
    send_all(fd, "5\r\nhello\r\n", 10);
    wait_seen(5); /* delivered while the body is still open */
    /* more than max_body in total: streaming routes have no body limit */
    static const char big[] = "50\r\n"
                              "0123456789012345678901234567890123456789"
                              "0123456789012345678901234567890123456789\r\n";
    send_all(fd, big, sizeof big - 1);
    wait_seen(85);
    send_all(fd, "0\r\n\r\n", 5);
    char body[4096];
    bool chunked = false;
    assert_int_equal(read_chunked(fd, body, sizeof body, &chunked), 200);
    assert_true(chunked);
    assert_string_equal(body, "hello0123456789012345678901234567890123456789"
                              "0123456789012345678901234567890123456789end\n");

    /* same connection (keep-alive): the ordinary path of the same route */
    static const char plain[] = "POST /stream HTTP/1.1\r\nHost: t\r\nX-Mode: plain\r\n"
                                "Content-Length: 3\r\n\r\nabc";
    send_all(fd, plain, sizeof plain - 1);
    assert_int_equal(read_response(fd, body, sizeof body), 200);
    assert_string_equal(body, "plain:abc");

    /* a reply from `head`: the streamed body is read and dropped */
    static const char rej[] = "POST /stream HTTP/1.1\r\nHost: t\r\nX-Mode: reject\r\n"
                              "Transfer-Encoding: chunked\r\n\r\n3\r\nxyz\r\n0\r\n\r\n";
    send_all(fd, rej, sizeof rej - 1);
    assert_int_equal(read_response(fd, body, sizeof body), 403);
    assert_non_null(strstr(body, "\"error_code\":40301"));
    close(fd);

    /* a stream still open at stop: cut off; late writes fail, end frees */
    g_stream_hung = NULL;
    fd = tcp_connect(port);
    static const char hang[] = "POST /stream HTTP/1.1\r\nHost: t\r\nX-Mode: hang\r\n"
                               "Transfer-Encoding: chunked\r\n\r\n2\r\nhi\r\n0\r\n\r\n";
    send_all(fd, hang, sizeof hang - 1);
    for (int i = 0; i < 500 && !__atomic_load_n(&g_stream_hung, __ATOMIC_ACQUIRE); i++)
        usleep(2000);
    assert_non_null(g_stream_hung);
    usleep(50 * 1000); /* the reader sent "hi" and parked */
    bs_http_server_stop(s);
    assert_int_equal(read_chunked(fd, body, sizeof body, &chunked), -1);
    assert_int_equal(bs_http_stream_write(g_stream_hung, "x", 1), -1);
    bs_http_stream_end(g_stream_hung);
    close(fd);
}

int main(void)
{
    curl_global_init(CURL_GLOBAL_DEFAULT);
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_url_decode),   cmocka_unit_test(test_router),
        cmocka_unit_test(test_query_parse),  cmocka_unit_test(test_negotiate),
        cmocka_unit_test(test_content_type),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test(test_routing_params), cmocka_unit_test(test_post_body),
        cmocka_unit_test(test_errors),         cmocka_unit_test(test_accept_q),
        cmocka_unit_test(test_async_reply),    cmocka_unit_test(test_forward),
        cmocka_unit_test(test_many_keepalive), cmocka_unit_test(test_slow_client),
        cmocka_unit_test(test_start_errors),   cmocka_unit_test(test_stop_with_pending),
        cmocka_unit_test(test_stream),
    };
    int rc = cmocka_run_group_tests_name("http parsing", pure, NULL, NULL);
    rc += cmocka_run_group_tests_name("http server (libmicrohttpd)", live, setup, teardown);
    g_full_duplex = true;
    rc += cmocka_run_group_tests_name("http server (h1, full duplex)", live, setup, teardown);
    curl_global_cleanup();
    return rc ? 1 : 0;
}
