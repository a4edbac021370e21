/*
 * h1.c — Basin's own HTTP/1.1 server engine (bs_http_engine_h1, selected by
 * bs_http_config_t.full_duplex; the REST Proxy uses it). Full duplex: a
 * streamed reply's status line, headers and chunks go out while the request
 * body is still arriving, so a client can wait for the report of one record
 * before sending the next on the same request. Request logic (routing,
 * negotiation, accessors, replies) is shared with the libmicrohttpd engine
 * in http.c; request parsing is the pure code of h1parse.c.
 *
 * Threads: cfg->threads workers, each running one src/net/loop.h epoll loop.
 * Every worker watches every listen socket (EPOLLEXCLUSIVE: one worker is
 * woken per incoming connection) and owns the connections it accepted for
 * their whole life; all connection state is touched by that thread only.
 * Other threads reach a connection through its request: a reply, stream
 * write or stream end stores its data in the request under bs_http_mu
 * (http.c) and calls h1_notify_locked, which puts the request on its
 * worker's ready list and wakes the loop (bs_loop_wakeup) unless the worker
 * is running that connection right now (req->in_handler: conn_run checks
 * for news under the lock before it clears the flag, so nothing is lost).
 *
 * A connection (h1_conn_t) serves one request at a time, so pipelined
 * requests are answered in order (later bytes wait in the input buffer):
 *
 *   C_HEAD --conn_head: head complete, bs_http_req_route--> C_BODY
 *     ^        (parse error: JSON error, Connection: close -> C_LINGER)
 *     |     C_BODY --conn_body: Content-Length / chunked bytes to the body,
 *     |        |     the body callback (streaming) or the bin (an error is
 *     |        |     pending); at its end body_end calls the handler --> C_WAIT
 *     |     C_WAIT: waiting for the reply / the end of a streamed reply
 *     |        |
 *     +--conn_req_done: body complete and reply fully queued; keep-alive
 *              (else C_LINGER: flush, shutdown(SHUT_WR), drop input until EOF
 *              or 2 s, close)
 *
 * conn_reply runs in every state while a request is open: it turns the
 * stored reply into bytes (status line, Date, Content-Type, Content-Length
 * or chunked) and moves streamed data out as chunks — for a streaming route
 * that happens while C_BODY still reads the body (full duplex).
 *
 * Buffers and limits: a 16 KiB input buffer per connection (a request head
 * is at most 8 KiB: over that 431; pipelined bytes wait there, then in the
 * kernel); an output buffer that grows as needed, plus a reply body over
 * 16 KiB sent from its own buffer (obody, no copy), written with
 * non-blocking sendmsg (EPOLLOUT while bytes are pending). A client that
 * half-closes still gets its replies.
 * Flow control: while more than 1 MiB of output is unsent the socket is not
 * read and no new request is started, so a client that sends a streamed
 * body (or pipelines requests) without reading the replies is stopped by
 * TCP instead of growing memory. A request body is collected up to max_body (413, then the
 * connection closes); a body answered with an error before it was read is dropped up to 2 *
 * max_body + 1 MiB.
 *
 * Timeouts (per connection, one timer re-armed lazily): 30 s to receive a
 * complete request head once its first byte came, 60 s idle keep-alive,
 * 60 s without progress while reading a body or writing a reply; a request
 * waiting for an asynchronous reply with nothing to write has no timeout
 * (the application replies; a stop answers 503).
 *
 * Stop (h1_stop): each worker stops accepting, answers requests still
 * waiting for a reply with 503 (Connection: close), cuts off streamed
 * replies, closes idle connections, and lets the 503s go out for up to 2 s;
 * then the threads are joined and what is left is closed.
 */
#include "http/h1parse.h"
#include "http/http_int.h"

#include "base/log.h"
#include "net/loop.h"

#include <errno.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <time.h>
#include <unistd.h>

#define H1_IN_SIZE   (16u << 10)
#define H1_OUT_HIGH  (1u << 20) /* unsent output above which the socket is not read */
#define H1_LINGER_MS 2000
#define H1_STOP_MS   2000
#define H1_ZERO_COPY (16u << 10) /* reply bodies above this are not copied */

/* see http_int.h (tests shorten them) */
int64_t bs_h1_head_timeout_ms = 30000;
int64_t bs_h1_idle_timeout_ms = 60000;

enum { C_HEAD, C_BODY, C_WAIT, C_LINGER };
enum { RS_NONE, RS_STREAMING, RS_DONE };

typedef struct h1_worker_s h1_worker_t;

typedef struct h1_conn_s {
    h1_worker_t *w;
    struct h1_conn_s *prev, *next; /* w->conns */
    bs_io_t io;
    bs_timer_t timer;
    int state;
    bool dead; /* close at the end of the current callback */
    bool peer_eof;
    bool wr_shut;
    uint8_t *in; /* H1_IN_SIZE bytes; unread input is in[inoff, inlen) */
    size_t inoff, inlen;
    size_t scan; /* bs_h1_head_end's resume point, relative to inoff */
    uint8_t *out;
    size_t outoff, outlen, outcap;
    /* a large reply body, sent from its own buffer after out[] (no copy);
     * no new request is started while it is pending, so nothing is ever
     * appended to out[] behind it */
    uint8_t *obody;
    size_t olen, ooff;
    int64_t last_ms;       /* last read or write progress */
    int64_t head_start_ms; /* first byte of the current head */
    int64_t linger_until;
    /* the current request */
    bs_http_req_t *req; /* the engine's reference */
    bool keep_alive;
    bool http10;
    bool chunked;
    bool body_done;
    bool dispatched; /* handler called or the layer's reply stored */
    int pending;     /* error status to answer once the body is read */
    uint64_t body_left;
    uint64_t discarded;
    bs_h1_chunked_t ck;
    int rs;
    bool resp_chunked;
} h1_conn_t;

struct h1_worker_s {
    bs_http_server_t *srv;
    bs_loop_t *loop;
    pthread_t tid;
    bool started;
    bs_io_t lio[BS_HTTP_MAX_LISTENERS];
    int nlio;
    h1_conn_t *conns;
    int nconns;
    bs_http_req_t *ready; /* bs_http_mu: requests with news (req->prev/next) */
    bool wake_pending;    /* bs_http_mu */
    bool stop_asked;      /* bs_http_mu */
    bool stopping;        /* loop thread */
    bs_timer_t stop_timer;
    bool accepting;          /* loop thread: the listeners are watched */
    bs_timer_t accept_timer; /* resumes accepting after EMFILE & co */
    h1_conn_t **batch;       /* wake_cb's snapshot */
    size_t nbatch_cap;
    time_t date_sec;
    char date[40];
    int64_t last_accept_warn;
};

typedef struct h1_state_s {
    int n;
    h1_worker_t w[];
} h1_state_t;

static void conn_run(h1_conn_t *c);

/* ---------------------------------------------------------------- output */

static bool out_reserve(h1_conn_t *c, size_t n)
{
    if (c->outoff == c->outlen)
        c->outoff = c->outlen = 0;
    if (c->outlen + n <= c->outcap)
        return true;
    if (c->outoff) { /* compact first */
        memmove(c->out, c->out + c->outoff, c->outlen - c->outoff);
        c->outlen -= c->outoff;
        c->outoff = 0;
        if (c->outlen + n <= c->outcap)
            return true;
    }
    size_t cap = c->outcap ? c->outcap : 4096;
    while (cap < c->outlen + n)
        cap *= 2;
    uint8_t *nb = realloc(c->out, cap);
    if (!nb) {
        bs_log_error(c->w->srv->service, "http: out of memory for a reply; closing");
        c->dead = true;
        return false;
    }
    c->out = nb;
    c->outcap = cap;
    return true;
}

static void out_add(h1_conn_t *c, const void *p, size_t n)
{
    if (n && out_reserve(c, n)) {
        memcpy(c->out + c->outlen, p, n);
        c->outlen += n;
    }
}

static size_t out_pending(const h1_conn_t *c)
{
    return c->outlen - c->outoff + (c->olen - c->ooff);
}

static const char *worker_date(h1_worker_t *w)
{
    time_t now = time(NULL);
    if (now != w->date_sec) {
        struct tm tm;
        gmtime_r(&now, &tm);
        strftime(w->date, sizeof w->date, "%a, %d %b %Y %H:%M:%S GMT", &tm);
        w->date_sec = now;
    }
    return w->date;
}

/* Status line and headers of a reply. body_len < 0: streamed. */
static void out_head(h1_conn_t *c, int status, const char *hdrs, long long body_len)
{
    char buf[512];
    int n = snprintf(buf, sizeof buf, "HTTP/1.1 %d %s\r\nDate: %s\r\n", status,
                     bs_http_status_text(status), worker_date(c->w));
    out_add(c, buf, (size_t)n);
    for (const char *p = hdrs; p && *p;) {
        const char *v = p + strlen(p) + 1;
        size_t nl = strlen(p), vl = strlen(v);
        if (out_reserve(c, nl + vl + 4)) {
            memcpy(c->out + c->outlen, p, nl);
            memcpy(c->out + c->outlen + nl, ": ", 2);
            memcpy(c->out + c->outlen + nl + 2, v, vl);
            memcpy(c->out + c->outlen + nl + 2 + vl, "\r\n", 2);
            c->outlen += nl + vl + 4;
        }
        p = v + vl + 1;
    }
    bool no_body = status < 200 || status == 204 || status == 304;
    if (body_len >= 0 && !no_body)
        n = snprintf(buf, sizeof buf, "Content-Length: %lld\r\n", body_len);
    else if (body_len < 0 && c->resp_chunked)
        n = snprintf(buf, sizeof buf, "Transfer-Encoding: chunked\r\n");
    else
        n = 0;
    out_add(c, buf, (size_t)n);
    if (!c->keep_alive)
        out_add(c, "Connection: close\r\n", 19);
    else if (c->http10)
        out_add(c, "Connection: keep-alive\r\n", 24);
    out_add(c, "\r\n", 2);
}

/* An error found by the engine before a request exists (bad head): JSON
 * body, then the connection closes. */
static void conn_error(h1_conn_t *c, int status, const char *msg)
{
    char full[512];
    snprintf(full, sizeof full, "HTTP %d %s: %s", status, bs_http_status_text(status), msg);
    bs_log_debug(c->w->srv->service, "http: %s", full);
    char *body = bs_http_error_json(status, full);
    static const char hdrs[] = "Content-Type\0application/json\0";
    c->keep_alive = false;
    c->resp_chunked = false;
    out_head(c, status, hdrs, body ? (long long)strlen(body) : 0);
    if (body)
        out_add(c, body, strlen(body));
    free(body);
    c->state = C_LINGER;
}

/* ---------------------------------------------------------- notification */

/* @locks bs_http_mu (see the top). */
static void h1_notify_locked(bs_http_req_t *req)
{
    h1_conn_t *c = req->conn;
    if (!c || req->queued || req->in_handler)
        return;
    h1_worker_t *w = c->w;
    req->queued = true;
    req->prev = NULL;
    req->next = w->ready;
    if (w->ready)
        w->ready->prev = req;
    w->ready = req;
    if (!w->wake_pending) {
        w->wake_pending = true;
        bs_loop_wakeup(w->loop);
    }
}

/* @locks bs_http_mu */
static void ready_unlink_locked(h1_worker_t *w, bs_http_req_t *req)
{
    if (!req->queued)
        return;
    if (req->prev)
        req->prev->next = req->next;
    else
        w->ready = req->next;
    if (req->next)
        req->next->prev = req->prev;
    req->prev = req->next = NULL;
    req->queued = false;
}

static const char *h1_header(bs_http_req_t *req, const char *name)
{
    return req->head ? bs_h1_header(req->head, name) : NULL;
}

/* The connection is done with its request (complete or aborted). */
static void conn_detach(h1_conn_t *c, bool aborted)
{
    bs_http_req_t *req = c->req;
    if (!req)
        return;
    c->req = NULL;
    pthread_mutex_lock(&bs_http_mu);
    req->conn = NULL; /* no more notifications */
    req->in_handler = false;
    ready_unlink_locked(c->w, req);
    req->s_dead = true; /* later stream writes are dropped */
    bs_http_resp_t *unsent = req->resp;
    req->resp = NULL;
    pthread_mutex_unlock(&bs_http_mu);
    bs_http_resp_free(unsent);
    if (req->streaming && req->body_cb && !req->body_ended) { /* client gone mid-body */
        req->body_ended = true;
        req->body_cb(req, NULL, 0, true, req->body_arg);
    }
    bs_http_req_log(req, aborted);
    bs_http_req_unref(req);
}

static void conn_free(h1_conn_t *c)
{
    h1_worker_t *w = c->w;
    conn_detach(c, true);
    bs_loop_io_del(w->loop, &c->io);
    bs_loop_timer_cancel(w->loop, &c->timer);
    close(c->io.fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        w->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    w->nconns--;
    free(c->in);
    free(c->out);
    free(c->obody);
    free(c);
    if (w->stopping && w->nconns == 0)
        bs_loop_stop(w->loop);
}

/* ---------------------------------------------------------------- replies */

/* Moves the stored reply / streamed data into the output. @locality loop */
static bool conn_reply(h1_conn_t *c)
{
    bs_http_req_t *req = c->req;
    if (!req || c->rs == RS_DONE)
        return false;
    bool progress = false;
    pthread_mutex_lock(&bs_http_mu);
    if (c->rs == RS_NONE) {
        if (!req->replied) {
            pthread_mutex_unlock(&bs_http_mu);
            return false;
        }
        bs_http_resp_t *r = req->resp;
        req->resp = NULL;
        pthread_mutex_unlock(&bs_http_mu);
        progress = true;
        if (!r) { /* the reply could not be built (out of memory) */
            c->dead = true;
            return true;
        }
        if (r->close || c->w->stopping || c->peer_eof)
            c->keep_alive = false;
        if (!r->streamed) {
            out_head(c, r->status, r->hdrs, (long long)r->len);
            if (r->status < 200 || r->status == 204 || r->status == 304) {
                /* no body */
            } else if (r->len > H1_ZERO_COPY && !c->obody) {
                c->obody = r->body; /* sent from where it is */
                c->olen = r->len;
                c->ooff = 0;
                r->body = NULL;
            } else {
                out_add(c, r->body, r->len);
            }
            c->rs = RS_DONE;
            bs_http_resp_free(r);
            return true;
        }
        /* HTTP/1.0 has no chunked encoding: the body ends at the close */
        c->resp_chunked = !c->http10;
        if (c->http10)
            c->keep_alive = false;
        out_head(c, r->status, r->hdrs, -1);
        bs_http_resp_free(r);
        c->rs = RS_STREAMING;
        pthread_mutex_lock(&bs_http_mu);
    }
    /* RS_STREAMING: take what was written (swap the buffer out) */
    uint8_t *data = NULL;
    size_t len = 0;
    if (req->slen > req->soff) {
        data = req->sbuf;
        len = req->slen;
        req->sbuf = NULL;
        req->soff = req->slen = req->scap = 0;
    }
    bool ended = req->s_ended;
    bool cut = req->orphaned;
    pthread_mutex_unlock(&bs_http_mu);
    if (len) {
        progress = true;
        if (c->resp_chunked) {
            char sz[24];
            int n = snprintf(sz, sizeof sz, "%zx\r\n", len);
            out_add(c, sz, (size_t)n);
            out_add(c, data, len);
            out_add(c, "\r\n", 2);
        } else {
            out_add(c, data, len);
        }
    }
    free(data);
    if (cut) { /* a stop cut the stream off: no last chunk, close */
        c->keep_alive = false;
        c->dead = true;
        return true;
    }
    if (ended) {
        if (c->resp_chunked)
            out_add(c, "0\r\n\r\n", 5);
        c->rs = RS_DONE;
        progress = true;
    }
    return progress;
}

/* -------------------------------------------------------------- requests */

/* Marks the connection as running an application callback on this thread
 * (notifications for its request are then left to conn_run). */
static void app_mark(h1_conn_t *c, bool on)
{
    pthread_mutex_lock(&bs_http_mu);
    c->req->in_handler = on;
    pthread_mutex_unlock(&bs_http_mu);
}

static void body_end(h1_conn_t *c)
{
    bs_http_req_t *req = c->req;
    c->body_done = true;
    c->state = C_WAIT;
    if (req->streaming) {
        if (req->body_cb && !req->body_ended) {
            req->body_ended = true;
            req->body_cb(req, NULL, 0, false, req->body_arg);
        }
        return;
    }
    if (c->dispatched)
        return;
    c->dispatched = true;
    if (c->pending)
        bs_http_req_fail(req, c->pending, false);
    else
        bs_http_req_call(req);
}

static void body_piece(h1_conn_t *c, const uint8_t *p, size_t n)
{
    bs_http_req_t *req = c->req;
    size_t max = c->w->srv->cfg.max_body;
    if (req->streaming) {
        if (req->body_cb && !req->body_ended)
            req->body_cb(req, p, n, false, req->body_arg);
        return;
    }
    if (c->pending || c->dispatched) { /* answered with an error: drop it */
        c->discarded += n;
        if (c->discarded > 2 * (uint64_t)max + (1u << 20))
            c->dead = true;
        return;
    }
    if (req->blen + n > max) { /* a chunked body over the limit */
        c->dispatched = true;
        c->keep_alive = false; /* the rest of the body is not read */
        c->body_done = true;
        c->state = C_WAIT;
        bs_http_req_fail(req, 413, true);
        return;
    }
    if (req->blen + n + 1 > req->bcap) {
        size_t cap = req->bcap ? req->bcap : 1024;
        while (cap < req->blen + n + 1)
            cap *= 2;
        uint8_t *nb = realloc(req->body, cap);
        if (!nb) {
            c->dispatched = true;
            c->keep_alive = false;
            c->body_done = true;
            c->state = C_WAIT;
            bs_http_req_fail(req, 413, true);
            return;
        }
        req->body = nb;
        req->bcap = cap;
    }
    memcpy(req->body + req->blen, p, n);
    req->blen += n;
    req->body[req->blen] = '\0';
}

/* Body bytes from the input buffer. */
static bool conn_body(h1_conn_t *c)
{
    bool progress = false;
    while (c->state == C_BODY && !c->body_done && !c->dead && c->inoff < c->inlen) {
        const uint8_t *p = c->in + c->inoff;
        size_t avail = c->inlen - c->inoff;
        progress = true;
        if (!c->chunked) {
            size_t k = avail < c->body_left ? avail : (size_t)c->body_left;
            c->inoff += k;
            c->body_left -= k;
            body_piece(c, p, k);
            if (c->body_left == 0 && c->state == C_BODY)
                body_end(c);
            continue;
        }
        size_t used = 0, dl = 0;
        const uint8_t *d = NULL;
        char err[256];
        int r = bs_h1_chunked_step(&c->ck, p, avail, &used, &d, &dl, err, sizeof err);
        c->inoff += used;
        if (r == BS_H1_CHUNK_DATA) {
            body_piece(c, d, dl);
        } else if (r == BS_H1_CHUNK_DONE) {
            body_end(c);
        } else if (r == BS_H1_CHUNK_ERROR) {
            bs_log_debug(c->w->srv->service, "http: bad chunked body: %s", err);
            if (c->req->streaming || c->dispatched) {
                c->dead = true; /* a reply may be on its way: nothing sane to add */
            } else {
                c->dispatched = true;
                c->keep_alive = false;
                c->body_done = true;
                c->state = C_WAIT;
                bs_http_req_fail(c->req, 400, true);
            }
        }
    }
    return progress;
}

/* A complete head in the input: parse it and start the request. */
static bool conn_head(h1_conn_t *c)
{
    /* empty lines before a request line are ignored (RFC 9112 2.2) */
    while (c->inoff < c->inlen && (c->in[c->inoff] == '\r' || c->in[c->inoff] == '\n')) {
        c->inoff++;
        c->scan = 0;
    }
    size_t avail = c->inlen - c->inoff;
    if (!avail)
        return false;
    size_t hl = bs_h1_head_end(c->in + c->inoff, avail, &c->scan);
    if (!hl) {
        if (avail > BS_H1_MAX_HEAD)
            conn_error(c, 431, "request head over 8192 bytes");
        return c->state != C_HEAD;
    }
    c->scan = 0;
    if (hl > BS_H1_MAX_HEAD) {
        conn_error(c, 431, "request head over 8192 bytes");
        return true;
    }
    bs_h1_head_t *h = malloc(sizeof *h + hl + 1);
    if (!h) {
        c->dead = true;
        return true;
    }
    char *text = (char *)(h + 1);
    memcpy(text, c->in + c->inoff, hl);
    text[hl] = '\0';
    c->inoff += hl;
    char err[256];
    int st = bs_h1_parse_head(text, hl, h, err, sizeof err);
    if (st) {
        free(h);
        conn_error(c, st, err);
        return true;
    }
    bs_http_req_t *req = bs_http_req_new(c->w->srv, h->target, h->target_len);
    if (!req) {
        free(h);
        c->dead = true;
        return true;
    }
    req->head = h;
    req->method = h->method;
    req->conn = c;
    req->in_handler = true; /* conn_run is running (not shared yet: no lock) */
    c->req = req;
    c->http10 = h->minor == 0;
    c->keep_alive = c->http10 ? h->conn_keep_alive && !h->conn_close : !h->conn_close;
    c->chunked = h->chunked;
    c->body_left = h->content_length > 0 ? (uint64_t)h->content_length : 0;
    c->body_done = false;
    c->dispatched = false;
    c->pending = 0;
    c->discarded = 0;
    c->rs = RS_NONE;
    c->resp_chunked = false;
    if (c->chunked)
        bs_h1_chunked_init(&c->ck);
    c->state = C_BODY;
    bool has_body = c->chunked || c->body_left > 0;
    st = bs_http_req_route(req, h->content_length);
    if (st) {
        if (st == 413 || (has_body && h->expect_continue)) {
            /* answer now; the body is not read (the client, told before it
             * sent it, does not send it; otherwise it is dropped while the
             * connection lingers) */
            c->dispatched = true;
            c->keep_alive = false;
            c->body_done = true;
            c->state = C_WAIT;
            bs_http_req_fail(req, st, true);
            return true;
        }
        c->pending = st; /* read and drop the body, then answer */
    } else {
        if (!req->streaming && h->content_length > 0) { /* <= max_body: checked */
            /* sized from Content-Length, but a client's claim does not
             * reserve more than 1 MiB before the bytes come */
            size_t cap = (size_t)h->content_length + 1;
            if (cap > (1u << 20))
                cap = 1u << 20;
            req->body = malloc(cap);
            req->bcap = req->body ? cap : 0;
        }
        if (has_body && h->expect_continue)
            out_add(c, "HTTP/1.1 100 Continue\r\n\r\n", 25);
    }
    if (!has_body)
        body_end(c);
    return true;
}

/* The request is complete: on to the next one, or close. */
static void conn_req_done(h1_conn_t *c)
{
    conn_detach(c, false);
    if (!c->keep_alive || c->w->stopping || c->peer_eof) {
        c->state = C_LINGER;
        return;
    }
    c->state = C_HEAD;
    c->scan = 0;
    c->head_start_ms = bs_loop_now_ms(c->w->loop);
}

/* ------------------------------------------------------------------- I/O */

static void conn_read(h1_conn_t *c)
{
    if (c->inoff == c->inlen)
        c->inoff = c->inlen = 0;
    else if (c->inoff && H1_IN_SIZE - c->inlen < 4096) {
        memmove(c->in, c->in + c->inoff, c->inlen - c->inoff);
        c->inlen -= c->inoff;
        c->inoff = 0;
    }
    size_t room = H1_IN_SIZE - c->inlen;
    if (!room)
        return;
    bool was_empty = c->inoff == c->inlen;
    ssize_t n = recv(c->io.fd, c->in + c->inlen, room, 0);
    if (n > 0) {
        c->inlen += (size_t)n;
        c->last_ms = bs_loop_now_ms(c->w->loop);
        if (was_empty && c->state == C_HEAD)
            c->head_start_ms = c->last_ms;
        if (c->state == C_LINGER)
            c->inoff = c->inlen = 0; /* dropped */
        return;
    }
    if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
        return;
    /* EOF or error; after an EOF what was received is still served and
     * what is pending still sent (conn_run closes once nothing is left) */
    c->peer_eof = true;
    if (n < 0 || c->state == C_BODY)
        c->dead = true; /* reset, or a body cut short: aborted */
}

static void conn_flush(h1_conn_t *c)
{
    while (out_pending(c) && !c->dead) {
        struct iovec iov[2];
        struct msghdr mh = {.msg_iov = iov};
        if (c->outlen > c->outoff)
            iov[mh.msg_iovlen++] =
                (struct iovec){.iov_base = c->out + c->outoff, .iov_len = c->outlen - c->outoff};
        if (c->olen > c->ooff)
            iov[mh.msg_iovlen++] =
                (struct iovec){.iov_base = c->obody + c->ooff, .iov_len = c->olen - c->ooff};
        ssize_t n = sendmsg(c->io.fd, &mh, MSG_NOSIGNAL);
        if (n > 0) {
            size_t k = (size_t)n, a = c->outlen - c->outoff;
            if (a > k)
                a = k;
            c->outoff += a;
            c->ooff += k - a;
            c->last_ms = bs_loop_now_ms(c->w->loop);
            continue;
        }
        if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR))
            return;
        c->dead = true; /* peer gone */
        return;
    }
    if (!out_pending(c)) {
        c->outoff = c->outlen = 0;
        free(c->obody);
        c->obody = NULL;
        c->olen = c->ooff = 0;
        if (c->outcap > (256u << 10)) { /* a large reply went out: give it back */
            free(c->out);
            c->out = NULL;
            c->outcap = 0;
        }
        if (c->state == C_LINGER && !c->wr_shut) {
            shutdown(c->io.fd, SHUT_WR);
            c->wr_shut = true;
            c->linger_until = bs_loop_now_ms(c->w->loop) + H1_LINGER_MS;
        }
    }
}

static int64_t conn_deadline(h1_conn_t *c)
{
    switch (c->state) {
    case C_HEAD:
        return c->inoff < c->inlen ? c->head_start_ms + bs_h1_head_timeout_ms
                                   : c->last_ms + bs_h1_idle_timeout_ms;
    case C_BODY:
        return c->last_ms + bs_h1_idle_timeout_ms;
    case C_WAIT:
        return out_pending(c) ? c->last_ms + bs_h1_idle_timeout_ms : -1;
    default: /* C_LINGER */
        return c->wr_shut ? c->linger_until : c->last_ms + bs_h1_idle_timeout_ms;
    }
}

static void conn_timer_update(h1_conn_t *c)
{
    bs_loop_t *loop = c->w->loop;
    int64_t d = conn_deadline(c);
    if (d < 0)
        return; /* an armed timer finds no deadline when it fires */
    /* a later deadline is handled when the timer fires (no heap churn per
     * read); an earlier one re-arms */
    if (bs_timer_armed(&c->timer) && c->timer.due_ms <= d)
        return;
    if (bs_timer_armed(&c->timer))
        bs_loop_timer_cancel(loop, &c->timer);
    int64_t now = bs_loop_now_ms(loop);
    bs_loop_timer_arm(loop, &c->timer, d > now ? d - now : 0);
}

static void conn_events_update(h1_conn_t *c)
{
    bool rd;
    switch (c->state) {
    case C_HEAD:
        rd = c->inlen - c->inoff < H1_IN_SIZE && out_pending(c) < H1_OUT_HIGH;
        break;
    case C_BODY:
        rd = out_pending(c) < H1_OUT_HIGH; /* flow control (see the top) */
        break;
    case C_WAIT:
        /* pipelined bytes are buffered (up to the input buffer); keeping
         * EPOLLIN saves two epoll_ctl calls per request */
        rd = c->inlen - c->inoff < H1_IN_SIZE && out_pending(c) < H1_OUT_HIGH;
        break;
    default:
        rd = true;
    }
    if (c->peer_eof)
        rd = false;
    uint32_t ev = (rd ? EPOLLIN : 0) | (out_pending(c) ? EPOLLOUT : 0);
    bs_loop_io_set(c->w->loop, &c->io, ev);
}

/* News for the current request since conn_run last looked? @locks mu */
static bool conn_news_locked(h1_conn_t *c)
{
    bs_http_req_t *req = c->req;
    if (c->rs == RS_NONE)
        return req->replied;
    if (c->rs == RS_STREAMING)
        return req->slen > req->soff || req->s_ended || req->orphaned;
    return false;
}

/* Advances the connection as far as it can go, then writes, arms the timer
 * and the epoll interest; frees it if it is done. @locality loop thread */
static void conn_run(h1_conn_t *c)
{
    if (c->req)
        app_mark(c, true);
    for (;;) {
        bool progress = false;
        if (c->obody && !c->dead)
            conn_flush(c); /* the next request waits for this body to go */
        /* a new request waits while replies are unsent (a client that
         * pipelines without reading grows nothing) */
        if (c->state == C_HEAD && !c->dead && !c->w->stopping && !c->obody &&
            out_pending(c) < H1_OUT_HIGH)
            progress |= conn_head(c);
        if (c->state == C_BODY && !c->dead)
            progress |= conn_body(c);
        if (c->req && !c->dead)
            progress |= conn_reply(c);
        if (c->req && c->body_done && c->rs == RS_DONE && !c->dead) {
            conn_req_done(c);
            progress = true;
        }
        if (c->dead)
            break;
        if (progress)
            continue;
        if (!c->req)
            break;
        pthread_mutex_lock(&bs_http_mu);
        bool news = conn_news_locked(c);
        if (!news)
            c->req->in_handler = false;
        pthread_mutex_unlock(&bs_http_mu);
        if (!news)
            break;
    }
    if (!c->dead)
        conn_flush(c);
    /* the peer has closed: done once the output is out (and, in C_HEAD,
     * no complete request is left: conn_head would have started it) */
    if (!c->dead && c->peer_eof &&
        ((c->state == C_LINGER && c->wr_shut) || (c->state == C_HEAD && !out_pending(c))))
        c->dead = true;
    if (c->dead) {
        conn_free(c);
        return;
    }
    conn_events_update(c);
    conn_timer_update(c);
}

static void conn_io_cb(bs_loop_t *loop, bs_io_t *io, uint32_t events)
{
    (void)loop;
    h1_conn_t *c = io->ctx;
    if (events & EPOLLERR)
        c->dead = true; /* reset */
    else if (events & EPOLLIN)
        conn_read(c);
    else if (events & EPOLLHUP)
        c->dead = true; /* both directions closed: nothing can be sent */
    if ((events & EPOLLOUT) && !c->dead)
        conn_flush(c);
    conn_run(c);
}

static void conn_timer_cb(bs_loop_t *loop, bs_timer_t *t)
{
    h1_conn_t *c = t->ctx;
    int64_t d = conn_deadline(c);
    if (d >= 0 && d <= bs_loop_now_ms(loop)) {
        if (c->state != C_LINGER)
            bs_log_debug(c->w->srv->service, "http: connection timed out (%s); closing",
                         c->state == C_HEAD   ? "request head"
                         : c->state == C_BODY ? "request body"
                                              : "reply not read");
        c->dead = true;
    }
    conn_run(c);
}

static void accept_cb(bs_loop_t *loop, bs_io_t *io, uint32_t events)
{
    (void)events;
    h1_worker_t *w = io->ctx;
    for (int i = 0; i < 64 && !w->stopping; i++) {
        int fd = accept4(io->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR &&
                errno != ECONNABORTED) {
                int64_t now = bs_loop_now_ms(loop);
                if (now - w->last_accept_warn > 5000) {
                    w->last_accept_warn = now;
                    bs_log_warn(w->srv->service, "http: accept: %s (pausing accepts for 100 ms)",
                                strerror(errno));
                }
                /* out of descriptors (EMFILE...): the listener stays
                 * readable, so stop watching it for a while instead of
                 * spinning */
                if (w->accepting) {
                    for (int j = 0; j < w->nlio; j++)
                        bs_loop_io_del(loop, &w->lio[j]);
                    w->accepting = false;
                    bs_loop_timer_arm(loop, &w->accept_timer, 100);
                }
            }
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
        h1_conn_t *c = calloc(1, sizeof *c);
        uint8_t *in = malloc(H1_IN_SIZE);
        if (!c || !in) {
            free(c);
            free(in);
            close(fd);
            continue;
        }
        c->w = w;
        c->in = in;
        c->state = C_HEAD;
        c->last_ms = c->head_start_ms = bs_loop_now_ms(loop);
        bs_timer_init(&c->timer, conn_timer_cb, c);
        if (bs_loop_io_add(loop, &c->io, fd, EPOLLIN, conn_io_cb, c) != 0) {
            free(in);
            free(c);
            close(fd);
            continue;
        }
        c->next = w->conns;
        if (w->conns)
            w->conns->prev = c;
        w->conns = c;
        w->nconns++;
        conn_timer_update(c);
    }
}

/* ------------------------------------------------------------ the worker */

/* Watches the listeners again after an accept error. */
static void accept_timer_cb(bs_loop_t *loop, bs_timer_t *t)
{
    h1_worker_t *w = t->ctx;
    if (w->stopping || w->accepting)
        return;
    for (int j = 0; j < w->nlio; j++)
        bs_loop_io_add(loop, &w->lio[j], w->srv->l[j].fd, EPOLLIN | EPOLLEXCLUSIVE, accept_cb, w);
    w->accepting = true;
}

static void stop_timer_cb(bs_loop_t *loop, bs_timer_t *t)
{
    (void)t;
    bs_loop_stop(loop); /* the 503s had their 2 s */
}

/* First wakeup after h1_stop: stop accepting, answer, cut off, close. */
static void worker_begin_stop(h1_worker_t *w)
{
    w->stopping = true;
    if (w->accepting)
        for (int i = 0; i < w->nlio; i++)
            bs_loop_io_del(w->loop, &w->lio[i]);
    w->accepting = false;
    int answered = 0;
    for (h1_conn_t *c = w->conns, *nx; c; c = nx) {
        nx = c->next;
        bs_http_req_t *req = c->req;
        if (!req) {
            if (!out_pending(c))
                c->dead = true; /* idle keep-alive */
            conn_run(c);
            continue;
        }
        pthread_mutex_lock(&bs_http_mu);
        if (!req->replied) {
            bs_http_req_orphan_locked(req); /* 503, Connection: close */
            answered++;
        } else if (req->s_begun && !req->s_ended) {
            req->s_dead = true;
            __atomic_store_n(&req->orphaned, true, __ATOMIC_RELEASE);
            answered++;
        }
        pthread_mutex_unlock(&bs_http_mu);
        c->keep_alive = false;
        if (!c->body_done) /* the reply goes out, the body is not waited for */
            c->body_done = true;
        conn_run(c);
    }
    if (answered)
        bs_log_warn(w->srv->service,
                    "%s: stopping with %d request%s awaiting a reply or streaming one (answered "
                    "503 / cut off)",
                    w->srv->service, answered, answered == 1 ? "" : "s");
    if (w->nconns == 0)
        bs_loop_stop(w->loop);
    else
        bs_loop_timer_arm(w->loop, &w->stop_timer, H1_STOP_MS);
}

static void wake_cb(bs_loop_t *loop, void *ctx)
{
    (void)loop;
    h1_worker_t *w = ctx;
    size_t n = 0;
    pthread_mutex_lock(&bs_http_mu);
    w->wake_pending = false;
    bool stop = w->stop_asked && !w->stopping;
    for (bs_http_req_t *r = w->ready; r; r = r->next) {
        if (n == w->nbatch_cap) {
            size_t cap = w->nbatch_cap ? 2 * w->nbatch_cap : 64;
            h1_conn_t **nb = realloc(w->batch, cap * sizeof *nb);
            if (!nb)
                break; /* the rest stays queued for the next wakeup */
            w->batch = nb;
            w->nbatch_cap = cap;
        }
        w->batch[n++] = r->conn;
    }
    /* unlink the ones taken (all, unless out of memory) */
    for (size_t i = 0; i < n; i++)
        ready_unlink_locked(w, w->batch[i]->req);
    if (w->ready) { /* left over (out of memory): come back */
        w->wake_pending = true;
        bs_loop_wakeup(w->loop);
    }
    pthread_mutex_unlock(&bs_http_mu);
    /* a connection in the batch is only freed by its own conn_run */
    for (size_t i = 0; i < n; i++)
        conn_run(w->batch[i]);
    if (stop)
        worker_begin_stop(w);
}

static void *worker_main(void *arg)
{
    h1_worker_t *w = arg;
    bs_loop_run(w->loop);
    return NULL;
}

static void h1_stop(bs_http_server_t *s);

static int h1_start(bs_http_server_t *s, char *err, size_t errlen)
{
    int n = s->cfg.threads;
    h1_state_t *st = calloc(1, sizeof *st + (size_t)n * sizeof(h1_worker_t));
    if (!st) {
        snprintf(err, errlen, "http: out of memory");
        return -1;
    }
    s->eng_state = st;
    st->n = n;
    for (int i = 0; i < n; i++) {
        h1_worker_t *w = &st->w[i];
        w->srv = s;
        w->loop = bs_loop_new();
        if (!w->loop) {
            snprintf(err, errlen, "http: cannot create an event loop");
            return -1;
        }
        bs_loop_set_wakeup(w->loop, wake_cb, w);
        bs_timer_init(&w->stop_timer, stop_timer_cb, w);
        bs_timer_init(&w->accept_timer, accept_timer_cb, w);
        for (int j = 0; j < s->nl; j++) {
            if (bs_loop_io_add(w->loop, &w->lio[j], s->l[j].fd, EPOLLIN | EPOLLEXCLUSIVE, accept_cb,
                               w) != 0) {
                snprintf(err, errlen, "http: cannot watch the listener %s: %s", s->l[j].url,
                         strerror(errno));
                return -1;
            }
            w->nlio++;
        }
        w->accepting = true;
    }
    for (int i = 0; i < n; i++) {
        h1_worker_t *w = &st->w[i];
        int rc = pthread_create(&w->tid, NULL, worker_main, w);
        if (rc != 0) {
            snprintf(err, errlen, "http: cannot start an I/O thread: %s", strerror(rc));
            return -1;
        }
        w->started = true;
    }
    return 0;
}

/* Also the cleanup of a failed h1_start. */
static void h1_stop(bs_http_server_t *s)
{
    h1_state_t *st = s->eng_state;
    if (!st)
        return;
    pthread_mutex_lock(&bs_http_mu);
    s->stopping = true;
    for (int i = 0; i < st->n; i++)
        st->w[i].stop_asked = true;
    pthread_mutex_unlock(&bs_http_mu);
    for (int i = 0; i < st->n; i++)
        if (st->w[i].started)
            bs_loop_wakeup(st->w[i].loop);
    for (int i = 0; i < st->n; i++) {
        h1_worker_t *w = &st->w[i];
        if (w->started)
            pthread_join(w->tid, NULL);
        /* the loop has stopped: close what is left on this thread */
        w->stopping = true;
        while (w->conns) {
            h1_conn_t *c = w->conns;
            if (c->req) {
                pthread_mutex_lock(&bs_http_mu);
                if (!c->req->replied)
                    bs_http_req_orphan_locked(c->req);
                __atomic_store_n(&c->req->orphaned, true, __ATOMIC_RELEASE);
                pthread_mutex_unlock(&bs_http_mu);
            }
            conn_free(c);
        }
        if (w->loop) {
            bs_loop_timer_cancel(w->loop, &w->stop_timer);
            bs_loop_timer_cancel(w->loop, &w->accept_timer);
            bs_loop_free(w->loop);
        }
        free(w->batch);
    }
    free(st);
    s->eng_state = NULL;
}

const bs_http_engine_t bs_http_engine_h1 = {
    .name = "HTTP/1.1 full-duplex",
    .start = h1_start,
    .stop = h1_stop,
    .header = h1_header,
    .notify_locked = h1_notify_locked,
};
