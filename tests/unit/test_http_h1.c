/*
 * test_http_h1.c — Basin's own HTTP/1.1 engine: the pure parser of
 * h1parse.c (end-of-head scan and the chunked decoder at every split point,
 * head parsing, every rejection with its status and named message), then a
 * live full_duplex server on loopback driven over raw sockets: pipelining,
 * HTTP/1.0 and Connection handling, Expect: 100-continue, the engine's own
 * JSON errors (400, 431, 505, 501, 413), a streamed reply interleaved with
 * the request body (ping-pong on one request), and output flow control
 * (a client that sends a streamed body without reading is stopped), the
 * head / idle / body timeouts, a late reply after the server stopped.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "http/h1parse.h"
#include "http/http.h"
#include "http/http_int.h"

#include <time.h>

/* ---- end of head ---------------------------------------------------------- */

static const char HEAD1[] = "POST /topics/t?x=1 HTTP/1.1\r\n"
                            "Host: localhost:8082\r\n"
                            "Content-Type: application/json\r\n"
                            "Content-Length: 12\r\n"
                            "X-Empty:\r\n"
                            "X-Pad:   a b  \t\r\n"
                            "\r\n";

static void test_head_end_splits(void **state)
{
    (void)state;
    size_t n = sizeof HEAD1 - 1;
    /* the head, then the start of a body: found at every feeding pattern */
    char buf[512];
    memcpy(buf, HEAD1, n);
    memcpy(buf + n, "{\"a\":1}", 7);
    for (size_t cut = 0; cut <= n + 7; cut++) {
        size_t scan = 0;
        size_t r1 = bs_h1_head_end((const uint8_t *)buf, cut, &scan);
        if (cut < n) {
            assert_int_equal(r1, 0);
            assert_true(scan <= cut);
            assert_int_equal(bs_h1_head_end((const uint8_t *)buf, n + 7, &scan), n);
        } else {
            assert_int_equal(r1, n);
        }
    }
    /* byte by byte, keeping scan */
    size_t scan = 0, r = 0, i;
    for (i = 1; i <= n && !r; i++)
        r = bs_h1_head_end((const uint8_t *)buf, i, &scan);
    assert_int_equal(r, n);
    assert_int_equal(i - 1, n);
    /* bare LF line ends */
    static const char lf[] = "GET / HTTP/1.1\nHost: x\n\nrest";
    scan = 0;
    assert_int_equal(bs_h1_head_end((const uint8_t *)lf, sizeof lf - 1, &scan), 24);
}

/* ---- head parsing --------------------------------------------------------- */

static int parse(const char *text, bs_h1_head_t *h, char *buf, char *err, size_t errlen)
{
    size_t n = strlen(text);
    memcpy(buf, text, n + 1);
    return bs_h1_parse_head(buf, n, h, err, errlen);
}

static void test_parse_ok(void **state)
{
    (void)state;
    static char buf[16384];
    static bs_h1_head_t h;
    char err[256];
    assert_int_equal(parse(HEAD1, &h, buf, err, sizeof err), 0);
    assert_string_equal(h.method, "POST");
    assert_int_equal(h.target_len, 13);
    assert_memory_equal(h.target, "/topics/t?x=1", 13);
    assert_int_equal(h.minor, 1);
    assert_int_equal(h.content_length, 12);
    assert_false(h.chunked);
    assert_false(h.conn_close);
    assert_int_equal(h.nheaders, 5);
    assert_string_equal(bs_h1_header(&h, "content-type"), "application/json");
    assert_string_equal(bs_h1_header(&h, "X-EMPTY"), "");
    assert_string_equal(bs_h1_header(&h, "x-pad"), "a b"); /* OWS trimmed both sides */
    assert_null(bs_h1_header(&h, "Accept"));

    assert_int_equal(parse("GET /a HTTP/1.0\nConnection: Keep-Alive\n\n", &h, buf, err, sizeof err),
                     0);
    assert_int_equal(h.minor, 0);
    assert_true(h.conn_keep_alive);
    assert_int_equal(h.content_length, -1);

    assert_int_equal(parse("POST /s HTTP/1.1\r\nTransfer-Encoding: Chunked\r\nConnection: "
                           "foo, close\r\nExpect: 100-Continue\r\n\r\n",
                           &h, buf, err, sizeof err),
                     0);
    assert_true(h.chunked);
    assert_true(h.conn_close);
    assert_true(h.expect_continue);

    /* repeated equal Content-Length is one length; HTTP/1.9 is served as 1.1 */
    assert_int_equal(parse("PUT /x HTTP/1.9\r\nContent-Length: 5\r\ncontent-length: 5\r\n\r\n", &h,
                           buf, err, sizeof err),
                     0);
    assert_int_equal(h.content_length, 5);
    assert_int_equal(h.minor, 1);
}

typedef struct bad_s {
    const char *text;
    int status;
    const char *msg; /* a substring of the message */
} bad_t;

static void test_parse_bad(void **state)
{
    (void)state;
    static const bad_t bad[] = {
        {"GET/ HTTP/1.1\r\n\r\n", 400, "bad method"},
        {" GET / HTTP/1.1\r\n\r\n", 400, "bad method"},
        {"GET  / HTTP/1.1\r\n\r\n", 400, "request-target"},
        {"GET / HTTP/1.1 \r\n\r\n", 400, "HTTP version"},
        {"GET /a\x01 HTTP/1.1\r\n\r\n", 400, "request-target"},
        {"GET http://h/ HTTP/1.1\r\n\r\n", 400, "origin-form"},
        {"GET / HTTX/1.1\r\n\r\n", 400, "HTTP version"},
        {"GET / HTTP/11\r\n\r\n", 400, "HTTP version"},
        {"GET / HTTP/2.0\r\n\r\n", 505, "not supported"},
        {"GET / HTTP/0.9\r\n\r\n", 505, "not supported"},
        {"GET / HTTP/1.1\r\nHost: x\r\n folded\r\n\r\n", 400, "line folding"},
        {"GET / HTTP/1.1\r\nHost : x\r\n\r\n", 400, "bad header name"},
        {"GET / HTTP/1.1\r\n: x\r\n\r\n", 400, "bad header name"},
        {"GET / HTTP/1.1\r\nHost x\r\n\r\n", 400, "bad header name"},
        {"GET / HTTP/1.1\r\nX: a\x01z\r\n\r\n", 400, "control character in the value of header X"},
        {"POST / HTTP/1.1\r\nContent-Length: 1x\r\n\r\n", 400, "bad Content-Length"},
        {"POST / HTTP/1.1\r\nContent-Length: -1\r\n\r\n", 400, "bad Content-Length"},
        {"POST / HTTP/1.1\r\nContent-Length: \r\n\r\n", 400, "bad Content-Length"},
        {"POST / HTTP/1.1\r\nContent-Length: 1234567890123456789\r\n\r\n", 400,
         "bad Content-Length"},
        {"POST / HTTP/1.1\r\nContent-Length: 1\r\nContent-Length: 2\r\n\r\n", 400, "conflicting"},
        {"POST / HTTP/1.1\r\nContent-Length: 1\r\nTransfer-Encoding: chunked\r\n\r\n", 400,
         "both Content-Length and Transfer-Encoding"},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: gzip, chunked\r\n\r\n", 501,
         "\"gzip\" not supported"},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: chunked, chunked\r\n\r\n", 400, "twice"},
        {"POST / HTTP/1.1\r\nTransfer-Encoding: ,\r\n\r\n", 400, "empty Transfer-Encoding"},
        {"POST / HTTP/1.0\r\nTransfer-Encoding: chunked\r\n\r\n", 400, "HTTP/1.0"},
        {"POST / HTTP/1.1\r\nExpect: 200-ok\r\n\r\n", 417, "expectation"},
        {"GET / HTTP/1.1\r\nHost: x\r\n", 400, "without an empty line"},
        {"GET / HTTP/1.1", 400, "without a line end"},
    };
    static char buf[16384];
    static bs_h1_head_t h;
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        char err[256] = "";
        int st = parse(bad[i].text, &h, buf, err, sizeof err);
        if (st != bad[i].status || !strstr(err, bad[i].msg))
            fail_msg("case %zu \"%s\": status %d, message \"%s\"", i, bad[i].text, st, err);
    }
    /* limits: 101 header fields -> 431; a head over 8 KiB -> 431 */
    size_t o = (size_t)sprintf(buf, "GET / HTTP/1.1\r\n");
    for (int i = 0; i <= BS_H1_MAX_HEADERS; i++)
        o += (size_t)sprintf(buf + o, "X-%d: v\r\n", i);
    o += (size_t)sprintf(buf + o, "\r\n");
    char err[256];
    assert_int_equal(bs_h1_parse_head(buf, o, &h, err, sizeof err), 431);
    assert_non_null(strstr(err, "more than 100 header fields"));
    o = (size_t)sprintf(buf, "GET / HTTP/1.1\r\nX: ");
    memset(buf + o, 'a', 8200);
    o += 8200;
    o += (size_t)sprintf(buf + o, "\r\n\r\n");
    assert_int_equal(bs_h1_parse_head(buf, o, &h, err, sizeof err), 431);
}

/* ---- chunked -------------------------------------------------------------- */

/* Decodes enc fed in two pieces split at `cut` (or byte by byte when cut
 * is SIZE_MAX) into out; returns the decoded length, or -1 on error (err),
 * and the bytes consumed up to DONE in *end. */
static long dechunk(const char *enc, size_t n, size_t cut, char *out, size_t *end, char *err,
                    size_t errlen)
{
    bs_h1_chunked_t d;
    bs_h1_chunked_init(&d);
    size_t o = 0, pos = 0;
    while (pos < n) {
        size_t lim = cut == SIZE_MAX ? pos + 1 : (pos < cut ? cut : n);
        const uint8_t *in = (const uint8_t *)enc + pos;
        size_t len = lim - pos, used = 0;
        while (len) {
            const uint8_t *data;
            size_t dl;
            int r = bs_h1_chunked_step(&d, in, len, &used, &data, &dl, err, errlen);
            assert_true(used <= len);
            in += used;
            len -= used;
            pos += used;
            if (r == BS_H1_CHUNK_ERROR)
                return -1;
            if (r == BS_H1_CHUNK_DATA) {
                assert_true(dl > 0);
                memcpy(out + o, data, dl);
                o += dl;
            }
            if (r == BS_H1_CHUNK_DONE) {
                *end = pos;
                return (long)o;
            }
            if (r == BS_H1_CHUNK_MORE)
                assert_int_equal(len, 0);
        }
    }
    *end = SIZE_MAX; /* not finished */
    return (long)o;
}

static void test_chunked_splits(void **state)
{
    (void)state;
    static const char enc[] = "5\r\nhello\r\n"
                              "1A;name=value;x=\"q d\"\r\n"
                              "abcdefghijklmnopqrstuvwxyz\r\n"
                              "3 ; ext\nxyz\n" /* bare LF, BWS before ';' */
                              "0\r\n"
                              "Trailer-A: 1\r\n"
                              "Trailer-B: 2\r\n"
                              "\r\n"
                              "GET /next";
    const char *want = "helloabcdefghijklmnopqrstuvwxyzxyz";
    size_t n = sizeof enc - 1, body_end = n - 9;
    char out[256], err[256];
    for (size_t cut = 0; cut <= n; cut++) {
        size_t end = 0;
        long k = dechunk(enc, n, cut, out, &end, err, sizeof err);
        assert_int_equal(k, (long)strlen(want));
        assert_memory_equal(out, want, strlen(want));
        assert_int_equal(end, body_end); /* "GET /next" is left for the next request */
    }
    size_t end = 0;
    assert_int_equal(dechunk(enc, n, SIZE_MAX, out, &end, err, sizeof err), (long)strlen(want));
    assert_int_equal(end, body_end);
    /* an empty body */
    assert_int_equal(dechunk("0\r\n\r\n", 5, 2, out, &end, err, sizeof err), 0);
    assert_int_equal(end, 5);
    /* an unfinished body is not DONE */
    assert_int_equal(dechunk("5\r\nhel", 6, 3, out, &end, err, sizeof err), 3);
    assert_int_equal(end, SIZE_MAX);
}

static void test_chunked_bad(void **state)
{
    (void)state;
    static const bad_t bad[] = {
        {"x\r\n", 0, "bad chunk size (hex digits expected) at body byte 0"},
        {"\r\n", 0, "bad chunk size"},
        {"-1\r\n", 0, "bad chunk size"},
        {"5x\r\nhello\r\n", 0, "bad character after the chunk size at body byte 1"},
        {"1000000000000000\r\n", 0, "chunk size too large"},
        {"5\rhello", 0, "expected LF after the chunk size"},
        {"5\r\nhelloX\r\n", 0, "expected CRLF after chunk data at body byte 8"},
        {"5\r\nhello\rX", 0, "expected CRLF after chunk data"},
        {"5;a\x01\r\nhello\r\n", 0, "control character in a chunk extension"},
        {"0\r\n\rX", 0, "expected LF after the last chunk"},
        {"0\r\nA: b\x00\r\n\r\n", 0, "NUL byte in a trailer field"},
    };
    char out[256], err[256];
    for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
        size_t n = strlen(bad[i].text);
        if (i == sizeof bad / sizeof bad[0] - 1)
            n = 12; /* contains a NUL */
        for (size_t cut = 0; cut <= n; cut++) {
            size_t end;
            err[0] = '\0';
            long k = dechunk(bad[i].text, n, cut, out, &end, err, sizeof err);
            if (k != -1 || !strstr(err, bad[i].msg))
                fail_msg("case %zu cut %zu: %ld \"%s\"", i, cut, k, err);
        }
    }
    /* over-long extension and trailers */
    static char big[20000];
    size_t o = (size_t)sprintf(big, "1;");
    memset(big + o, 'e', 5000);
    o += 5000;
    size_t end;
    assert_int_equal(dechunk(big, o, 1000, out, &end, err, sizeof err), -1);
    assert_non_null(strstr(err, "chunk extension over 4096 bytes"));
    o = (size_t)sprintf(big, "0\r\n");
    for (int i = 0; i < 1000; i++)
        o += (size_t)sprintf(big + o, "T%d: vvvvvvvvvv\r\n", i);
    assert_int_equal(dechunk(big, o, 7, out, &end, err, sizeof err), -1);
    assert_non_null(strstr(err, "trailer fields over 8192 bytes"));
}

/* ---- a live full-duplex server -------------------------------------------- */

static const bs_http_media_t MEDIA[] = {{"application/json", 1.0}};

static void h_echo(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    size_t len;
    const uint8_t *b = bs_http_body(req, &len);
    char out[512];
    int n = snprintf(out, sizeof out, "%s %s %zu:%.*s", bs_http_method(req), bs_http_path(req), len,
                     (int)(len > 200 ? 200 : len), (const char *)b);
    bs_http_reply(req, 200, "text/plain", out, (size_t)n);
}

/* GET /big: a 300,000-byte body (sent without a copy) */
static void h_big(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    static char big[300000];
    memset(big, 'B', sizeof big);
    memcpy(big + sizeof big - 3, "END", 3);
    bs_http_reply(req, 200, "text/plain", big, sizeof big);
}

/* POST /duplex: every body piece is echoed back at once as a chunk */
static void duplex_body(bs_http_req_t *req, const uint8_t *data, size_t len, bool aborted,
                        void *arg)
{
    (void)aborted, (void)arg;
    if (data)
        bs_http_stream_write(req, data, len);
    else
        bs_http_stream_end(req);
}

static void h_duplex_head(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    if (strcmp(bs_http_path(req), "/duplex") != 0)
        return; /* /echo: the ordinary path of the same handler */
    bs_http_stream_body(req, duplex_body, NULL);
    bs_http_stream_begin(req, 200, "text/plain");
}

static const bs_http_route_t ROUTES[] = {
    {"GET", "/echo", h_echo},
    {"POST", "/echo", h_echo},
    {"POST", "/duplex", h_echo},
    {"GET", "/big", h_big},
};
static const bs_http_stream_route_t STREAMS[] = {{h_echo, h_duplex_head}};

typedef struct fix_s {
    bs_http_server_t *srv;
    int port;
} fix_t;

static int setup(void **state)
{
    static fix_t f;
    bs_http_config_t cfg = {.listeners = "http://127.0.0.1:0",
                            .threads = 2,
                            .produces = MEDIA,
                            .nproduces = 1,
                            .max_body = 4096,
                            .service_name = "t-h1",
                            .streams = STREAMS,
                            .nstreams = 1,
                            .full_duplex = true};
    char err[256];
    f.srv = bs_http_server_start(&cfg, ROUTES, 4, NULL, err, sizeof err);
    if (!f.srv)
        return -1;
    f.port = bs_http_server_port(f.srv, 0);
    *state = &f;
    return 0;
}

static int teardown(void **state)
{
    fix_t *f = *state;
    bs_http_server_stop(f->srv);
    return 0;
}

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

static void send_str(int fd, const char *s)
{
    size_t n = strlen(s);
    while (n) {
        ssize_t k = send(fd, s, n, MSG_NOSIGNAL);
        assert_true(k > 0);
        s += k;
        n -= (size_t)k;
    }
}

/* Reads until `want` appears in what was received (or EOF / 5 s);
 * returns the bytes (static buffer, NUL-terminated), *eof if closed. */
static char *read_until(int fd, const char *want, bool *eof)
{
    static char buf[1 << 20];
    size_t len = 0;
    *eof = false;
    buf[0] = '\0';
    while (!strstr(buf, want)) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1)
            break;
        ssize_t k = recv(fd, buf + len, sizeof buf - 1 - len, 0);
        if (k <= 0) {
            *eof = true;
            break;
        }
        len += (size_t)k;
        buf[len] = '\0';
    }
    return buf;
}

static int count(const char *s, const char *sub)
{
    int n = 0;
    for (const char *p = s; (p = strstr(p, sub)) != NULL; p += strlen(sub))
        n++;
    return n;
}

static void test_live_pipelining(void **state)
{
    fix_t *f = *state;
    int fd = tcp_connect(f->port);
    /* three requests in one write: answered in order on one connection */
    send_str(fd, "GET /echo?a=1 HTTP/1.1\r\nHost: x\r\n\r\n"
                 "POST /echo HTTP/1.1\r\nHost: x\r\nContent-Length: 3\r\n\r\nabc"
                 "POST /echo HTTP/1.1\r\nHost: x\r\nTransfer-Encoding: chunked\r\n\r\n"
                 "2\r\nde\r\n1;x=y\r\nf\r\n0\r\nT: 1\r\n\r\n");
    bool eof;
    char *r = read_until(fd, "POST /echo 3:def", &eof);
    assert_false(eof);
    const char *a = strstr(r, "GET /echo 0:"), *b = strstr(r, "POST /echo 3:abc"),
               *c = strstr(r, "POST /echo 3:def");
    assert_true(a && b && c && a < b && b < c);
    assert_int_equal(count(r, "HTTP/1.1 200 OK\r\n"), 3);
    assert_non_null(strstr(r, "\r\nDate: "));
    assert_non_null(strstr(r, "\r\nContent-Type: text/plain\r\n"));
    assert_null(strstr(r, "Connection: close"));
    /* a large body (sent from its own buffer) stays in order with the
     * pipelined request behind it */
    send_str(fd, "GET /big HTTP/1.1\r\n\r\nGET /echo?after HTTP/1.1\r\n\r\n");
    r = read_until(fd, "GET /echo 0:", &eof);
    assert_false(eof);
    char *end = strstr(r, "END");
    assert_non_null(end);
    assert_true(end < strstr(r, "GET /echo 0:"));
    assert_non_null(strstr(r, "Content-Length: 300000\r\n"));
    /* Connection: close is honoured */
    send_str(fd, "GET /echo HTTP/1.1\r\nConnection: close\r\n\r\n");
    r = read_until(fd, "\x01", &eof);
    assert_true(eof);
    assert_non_null(strstr(r, "Connection: close\r\n"));
    close(fd);

    /* HTTP/1.0: closes unless keep-alive is asked for */
    fd = tcp_connect(f->port);
    send_str(fd, "GET /echo HTTP/1.0\r\nConnection: keep-alive\r\n\r\n");
    r = read_until(fd, "GET /echo 0:", &eof);
    assert_non_null(strstr(r, "Connection: keep-alive\r\n"));
    send_str(fd, "GET /echo HTTP/1.0\r\n\r\n");
    r = read_until(fd, "\x01", &eof);
    assert_true(eof);
    assert_non_null(strstr(r, "GET /echo 0:"));
    close(fd);

    /* a client that half-closes after its request still gets the answer */
    fd = tcp_connect(f->port);
    send_str(fd, "GET /big HTTP/1.1\r\n\r\n");
    shutdown(fd, SHUT_WR);
    r = read_until(fd, "\x01", &eof);
    assert_true(eof);
    assert_non_null(strstr(r, "END"));
    close(fd);
}

static void test_live_errors(void **state)
{
    fix_t *f = *state;
    static const struct {
        const char *req;
        const char *want;
    } cases[] = {
        {"GET / HTTP/2.0\r\n\r\n", "HTTP/1.1 505 HTTP Version Not Supported\r\n"},
        {"BAD\r\n\r\n", "{\"error_code\":400,\"message\":\"HTTP 400 Bad Request: bad request line"},
        {"POST /echo HTTP/1.1\r\nContent-Length: 2\r\nTransfer-Encoding: chunked\r\n\r\n",
         "both Content-Length and Transfer-Encoding"},
        {"POST /echo HTTP/1.1\r\nTransfer-Encoding: gzip\r\n\r\n", "HTTP/1.1 501 "},
        {"POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n", "{\"error_code\":400,"},
        {"POST /echo HTTP/1.1\r\nContent-Length: 5000\r\n\r\n",
         "{\"error_code\":413,\"message\":\"HTTP 413 Request Entity Too Large\"}"},
        {"GET /nope HTTP/1.1\r\n\r\n", "{\"error_code\":404,"},
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        int fd = tcp_connect(f->port);
        send_str(fd, cases[i].req);
        bool eof;
        char *r = read_until(fd, cases[i].want, &eof);
        if (!strstr(r, cases[i].want))
            fail_msg("case %zu: got \"%s\"", i, r);
        assert_non_null(strstr(r, "Content-Type: application/json"));
        close(fd);
    }
    /* a head over 8 KiB: 431, then the connection closes */
    int fd = tcp_connect(f->port);
    static char big[10000];
    int o = sprintf(big, "GET /echo HTTP/1.1\r\nX-Big: ");
    memset(big + o, 'a', 9000);
    big[o + 9000] = '\0';
    send_str(fd, big);
    bool eof;
    char *r = read_until(fd, "\x01", &eof);
    assert_true(eof);
    assert_non_null(strstr(r, "HTTP/1.1 431 Request Header Fields Too Large\r\n"));
    assert_non_null(strstr(r, "\"error_code\":431"));
    close(fd);
    /* a chunked body over max_body: 413 while reading */
    fd = tcp_connect(f->port);
    send_str(fd, "POST /echo HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    static char chunk[6000];
    o = sprintf(chunk, "1388\r\n");
    memset(chunk + o, 'b', 5000);
    strcpy(chunk + o + 5000, "\r\n");
    send_str(fd, chunk);
    r = read_until(fd, "\"error_code\":413", &eof);
    assert_non_null(strstr(r, "HTTP/1.1 413 "));
    close(fd);
}

static void test_live_expect(void **state)
{
    fix_t *f = *state;
    int fd = tcp_connect(f->port);
    send_str(fd, "POST /echo HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4\r\n\r\n");
    bool eof;
    char *r = read_until(fd, "\r\n\r\n", &eof);
    assert_string_equal(r, "HTTP/1.1 100 Continue\r\n\r\n");
    send_str(fd, "wxyz");
    r = read_until(fd, "POST /echo 4:wxyz", &eof);
    assert_non_null(strstr(r, "HTTP/1.1 200 OK"));
    /* an error is the final answer at once (no 100), and the body is not read */
    send_str(fd, "POST /nope HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 4000\r\n\r\n");
    r = read_until(fd, "\"error_code\":404", &eof);
    assert_non_null(strstr(r, "HTTP/1.1 404 Not Found\r\n"));
    assert_null(strstr(r, "100 Continue"));
    close(fd);
}

static void test_live_duplex(void **state)
{
    fix_t *f = *state;
    int fd = tcp_connect(f->port);
    send_str(fd, "POST /duplex HTTP/1.1\r\nExpect: 100-continue\r\nTransfer-Encoding: "
                 "chunked\r\n\r\n");
    bool eof;
    char *r = read_until(fd, "Transfer-Encoding: chunked\r\n", &eof);
    assert_non_null(strstr(r, "HTTP/1.1 100 Continue\r\n\r\nHTTP/1.1 200 OK\r\n"));
    /* ping-pong: each piece comes back before the next is sent */
    for (int i = 0; i < 20; i++) {
        char piece[96], want[32];
        int n = snprintf(want, sizeof want, "ping-%02d", i);
        snprintf(piece, sizeof piece, "%x\r\n%s\r\n", n, want);
        send_str(fd, piece);
        r = read_until(fd, want, &eof);
        assert_non_null(strstr(r, want));
    }
    send_str(fd, "0\r\n\r\n");
    r = read_until(fd, "\r\n0\r\n\r\n", &eof);
    assert_non_null(strstr(r, "0\r\n\r\n"));
    /* the connection is still usable */
    send_str(fd, "GET /echo HTTP/1.1\r\n\r\n");
    r = read_until(fd, "GET /echo 0:", &eof);
    assert_non_null(strstr(r, "GET /echo 0:"));
    close(fd);
}

/* A client streaming a body without reading the echo: the server stops
 * reading once its output passes the limit, so the client's sends block
 * (memory stays bounded); reading resumes the flow. */
static void test_live_flow_control(void **state)
{
    fix_t *f = *state;
    int fd = tcp_connect(f->port);
    int sz = 64 << 10;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    send_str(fd, "POST /duplex HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n");
    static char piece[65536 + 16];
    int o = sprintf(piece, "10000\r\n");
    memset(piece + o, 'z', 65536);
    strcpy(piece + o + 65536, "\r\n");
    size_t plen = (size_t)o + 65536 + 2;
    /* non-blocking sends until the pipe is full */
    size_t sent = 0;
    for (int i = 0; i < 4000; i++) {
        ssize_t k = send(fd, piece + sent % plen, plen - sent % plen, MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k < 0) {
            usleep(2000);
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            if (poll(&p, 1, 300) == 0)
                break; /* stalled: the server stopped reading */
            continue;
        }
        sent += (size_t)k;
    }
    /* bounded: output limit (1 MiB) + socket buffers, far below 200 MiB */
    assert_true(sent < (64u << 20));
    assert_true(sent > (1u << 20));
    close(fd);
}

/* A client pipelining requests without reading the answers: the server
 * stops taking requests once 1 MiB of answers is unsent. */
static void test_live_pipeline_flood(void **state)
{
    fix_t *f = *state;
    int fd = tcp_connect(f->port);
    int sz = 64 << 10;
    setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &sz, sizeof sz);
    static const char one[] = "GET /echo HTTP/1.1\r\n\r\n";
    static char reqs[(sizeof one - 1) * 4096];
    for (int i = 0; i < 4096; i++)
        memcpy(reqs + (sizeof one - 1) * (size_t)i, one, sizeof one - 1);
    size_t sent = 0;
    for (int i = 0; i < 100000; i++) {
        ssize_t k = send(fd, reqs + sent % sizeof reqs, sizeof reqs - sent % sizeof reqs,
                         MSG_DONTWAIT | MSG_NOSIGNAL);
        if (k < 0) {
            struct pollfd p = {.fd = fd, .events = POLLOUT};
            if (poll(&p, 1, 300) == 0)
                break; /* stalled */
            continue;
        }
        sent += (size_t)k;
        if (sent > (64u << 20))
            break;
    }
    /* each 22-byte request has a ~150-byte answer: without the limit the
     * server would take all 64 MiB (and buffer ~400 MiB of answers) */
    assert_true(sent < (32u << 20));
    close(fd);
}

/* GET /later: kept for a reply after the client and the server are gone */
static bs_http_req_t *g_later;

static void h_later(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    __atomic_store_n(&g_later, req, __ATOMIC_RELEASE);
}

static void test_late_reply_after_stop(void **state)
{
    (void)state;
    static const bs_http_route_t routes[] = {{"GET", "/later", h_later}};
    bs_http_config_t cfg = {.listeners = "http://127.0.0.1:0",
                            .produces = MEDIA,
                            .nproduces = 1,
                            .service_name = "t-late",
                            .full_duplex = true};
    char err[256];
    bs_http_server_t *s = bs_http_server_start(&cfg, routes, 1, NULL, err, sizeof err);
    assert_non_null(s);
    int fd = tcp_connect(bs_http_server_port(s, 0));
    send_str(fd, "GET /later HTTP/1.1\r\n\r\n");
    for (int i = 0; i < 500 && !__atomic_load_n(&g_later, __ATOMIC_ACQUIRE); i++)
        usleep(2000);
    assert_non_null(g_later);
    struct linger lg = {.l_onoff = 1, .l_linger = 0};
    setsockopt(fd, SOL_SOCKET, SO_LINGER, &lg, sizeof lg);
    close(fd); /* reset: the server drops the connection while the reply is pending */
    usleep(50 * 1000);
    bs_http_server_stop(s);
    /* the reply only frees the request (ASan: no use of the freed server) */
    bs_http_reply_error(g_later, 200, 0, "nobody listens");
}

static long now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return ts.tv_sec * 1000L + ts.tv_nsec / 1000000L;
}

/* Milliseconds until the server closes fd (reading and dropping). */
static long ms_to_close(int fd, long t0)
{
    char buf[4096];
    for (;;) {
        struct pollfd p = {.fd = fd, .events = POLLIN};
        if (poll(&p, 1, 5000) != 1)
            return -1;
        if (recv(fd, buf, sizeof buf, 0) <= 0)
            return now_ms() - t0;
    }
}

/* The head, idle and body timeouts (shortened: 300 ms / 600 ms). */
static void test_timeouts(void **state)
{
    (void)state;
    int64_t head0 = bs_h1_head_timeout_ms, idle0 = bs_h1_idle_timeout_ms;
    bs_h1_head_timeout_ms = 300;
    bs_h1_idle_timeout_ms = 600;
    static const bs_http_route_t routes[] = {{"GET", "/echo", h_echo}, {"POST", "/echo", h_echo}};
    bs_http_config_t cfg = {.listeners = "http://127.0.0.1:0",
                            .produces = MEDIA,
                            .nproduces = 1,
                            .service_name = "t-timeouts",
                            .full_duplex = true};
    char err[256];
    bs_http_server_t *s = bs_http_server_start(&cfg, routes, 2, NULL, err, sizeof err);
    assert_non_null(s);
    int port = bs_http_server_port(s, 0);

    /* a head trickling a byte every 50 ms: progress does not extend the
     * head timeout */
    int fd = tcp_connect(port);
    long t0 = now_ms();
    const char *part = "GET /echo HTTP/1.1\r\nX-Slow: abcdefghijklmnopqrstuvwxyz";
    bool closed = false;
    for (const char *p = part; *p && !closed; p++) {
        if (send(fd, p, 1, MSG_NOSIGNAL) != 1)
            closed = true;
        usleep(50 * 1000);
        struct pollfd pf = {.fd = fd, .events = POLLIN};
        char c;
        if (poll(&pf, 1, 0) == 1 && recv(fd, &c, 1, 0) <= 0)
            closed = true;
    }
    long t = closed ? now_ms() - t0 : ms_to_close(fd, t0);
    assert_true(t >= 250 && t < 1500);
    close(fd);

    /* idle keep-alive */
    fd = tcp_connect(port);
    send_str(fd, "GET /echo HTTP/1.1\r\n\r\n");
    bool eof;
    read_until(fd, "GET /echo 0:", &eof);
    t0 = now_ms();
    t = ms_to_close(fd, t0);
    assert_true(t >= 450 && t < 2500);
    close(fd);

    /* a body that stops coming */
    fd = tcp_connect(port);
    send_str(fd, "POST /echo HTTP/1.1\r\nContent-Length: 10\r\n\r\nab");
    t0 = now_ms();
    t = ms_to_close(fd, t0);
    assert_true(t >= 450 && t < 2500);
    close(fd);

    bs_http_server_stop(s);
    bs_h1_head_timeout_ms = head0;
    bs_h1_idle_timeout_ms = idle0;
}

int main(void)
{
    const struct CMUnitTest pure[] = {
        cmocka_unit_test(test_head_end_splits), cmocka_unit_test(test_parse_ok),
        cmocka_unit_test(test_parse_bad),       cmocka_unit_test(test_chunked_splits),
        cmocka_unit_test(test_chunked_bad),
    };
    const struct CMUnitTest live[] = {
        cmocka_unit_test(test_live_pipelining),   cmocka_unit_test(test_live_errors),
        cmocka_unit_test(test_live_expect),       cmocka_unit_test(test_live_duplex),
        cmocka_unit_test(test_live_flow_control), cmocka_unit_test(test_live_pipeline_flood),
    };
    const struct CMUnitTest alone[] = {cmocka_unit_test(test_late_reply_after_stop),
                                       cmocka_unit_test(test_timeouts)};
    int rc = cmocka_run_group_tests_name("h1 parser", pure, NULL, NULL);
    rc += cmocka_run_group_tests_name("h1 engine", live, setup, teardown);
    rc += cmocka_run_group_tests_name("h1 engine, own server", alone, NULL, NULL);
    return rc ? 1 : 0;
}
