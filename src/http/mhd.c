/*
 * mhd.c — the libmicrohttpd engine of the HTTP layer (bs_http_engine_mhd,
 * the default; the Schema Registry uses it). The request logic shared with
 * the other engine (routing, negotiation, accessors, replies) is in http.c.
 *
 * One MHD daemon per listener, each with its own epoll thread(s)
 * (MHD_USE_EPOLL_INTERNAL_THREAD, thread pool of cfg->threads), on the
 * listen sockets http.c bound.
 *
 * A request's life (phase, owner thread in brackets):
 *
 *   uri_log_cb [MHD]            bs_http_req_new: copies the raw URI
 *     |                         (MHD unescapes its own copy; we never use it)
 *   REQ_NEW  --on_access [MHD]--> bs_http_req_route (route, negotiation, a
 *     |                          streaming route's `head`); an error found
 *     |                          here is kept pending; Content-Length over
 *     |                          max_body -> 413 at once -> REQ_DONE
 *     v                          (nothing else is answered on this first call:
 *                                MHD 0.9.75 would then close the connection)
 *   REQ_BODY --on_access [MHD]--> append (or discard when an error is
 *     |                          pending; past max_body the error is 413;
 *     |                          past 2 * max_body + 1 MiB: connection dropped)
 *     |-- upload complete -----> pending error -> REQ_DONE, else req_dispatch
 *     v
 *   REQ_DISPATCHED: handler ran. If it replied already, the response is queued
 *     at once; otherwise the connection is suspended and put on the server's
 *     suspended list; the reply, from any thread, stores the response and
 *     (notify_locked) resumes it; MHD then calls on_access, which queues it.
 *
 * Streaming routes: if the `head` handler installed a body callback or
 * replied, stream_upload hands each chunk to the callback, and at the end of
 * the body queues the reply (or suspends until there is one). A streamed
 * reply is an MHD callback response (chunked): stream_reader copies what
 * bs_http_stream_write buffered, and suspends the connection (s_waiting, on
 * the suspended list) when nothing is buffered yet; a write or
 * bs_http_stream_end resumes it. The MHD response holds a reference to the
 * request (dropped by its free callback). MHD 0.9.75 cannot send a response
 * while the body is still arriving, so the reply starts at the end of the
 * body: this engine is half-duplex.
 *
 * Lifetime: the engine's reference is dropped by completed_cb. A suspended
 * connection is never completed before it is resumed.
 *
 * Shutdown: libmicrohttpd 0.9.75 aborts in MHD_stop_daemon() if a connection
 * is still suspended, so mhd_stop() first answers every request still
 * waiting for its reply with 503 ("orphaned") and resumes it.
 */
#include "http/http_int.h"

#include "base/log.h"

#include <errno.h>
#include <microhttpd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* Per-connection memory of libmicrohttpd (request line + headers + read
 * buffer). MHD zeroes it for every request, so its default 32 KiB costs
 * ~8% CPU at 50k req/s; 16 KiB still allows 8 KiB of headers (Jetty's
 * default limit, which Confluent clients stay within). */
#ifndef BS_HTTP_CONN_MEMORY
#define BS_HTTP_CONN_MEMORY (16u << 10)
#endif

enum { REQ_NEW, REQ_BODY, REQ_DISPATCHED, REQ_DONE };

static const char *const NUL_BODY = "";

/* @locks bs_http_mu */
static void susp_link_locked(bs_http_req_t *req)
{
    bs_http_server_t *s = req->srv;
    req->prev = NULL;
    req->next = s->susp;
    if (s->susp)
        s->susp->prev = req;
    s->susp = req;
}

static void susp_unlink_locked(bs_http_req_t *req)
{
    if (req->prev)
        req->prev->next = req->next;
    else
        req->srv->susp = req->next;
    if (req->next)
        req->next->prev = req->prev;
    req->prev = req->next = NULL;
}

/* A reply, stream data or the stream's end: resume the connection if it is
 * parked waiting for one. @locks bs_http_mu */
static void mhd_notify_locked(bs_http_req_t *req)
{
    if (!req->suspended && !req->s_waiting)
        return;
    /* resumed under the lock so that mhd_stop() never sees a connection
     * between "unlinked" and "resumed" */
    req->suspended = false;
    req->s_waiting = false;
    susp_unlink_locked(req);
    MHD_resume_connection(req->conn);
}

static const char *mhd_header(bs_http_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

/* ------------------------------------------------------------- streaming */

/* MHD's content reader of a streamed reply. @locality MHD thread. */
static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    bs_http_req_t *req = cls;
    ssize_t n;
    pthread_mutex_lock(&bs_http_mu);
    if (req->soff < req->slen) {
        size_t k = req->slen - req->soff;
        if (k > max)
            k = max;
        memcpy(buf, req->sbuf + req->soff, k);
        req->soff += k;
        if (req->soff == req->slen)
            req->soff = req->slen = 0;
        n = (ssize_t)k;
    } else if (req->s_dead || req->srv->stopping) {
        n = MHD_CONTENT_READER_END_WITH_ERROR;
    } else if (req->s_ended) {
        n = MHD_CONTENT_READER_END_OF_STREAM;
    } else {
        /* nothing ready: park until bs_http_stream_write/_end (returning 0
         * without suspending would make MHD spin) */
        MHD_suspend_connection(req->conn);
        req->s_waiting = true;
        susp_link_locked(req);
        n = 0;
    }
    pthread_mutex_unlock(&bs_http_mu);
    return n;
}

static void stream_free_cb(void *cls)
{
    bs_http_req_unref(cls); /* the MHD response's reference */
}

/* ---------------------------------------------------------- MHD callbacks */

static void *uri_log_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
    bs_http_listener_t *l = cls;
    bs_http_req_t *req = bs_http_req_new(l->srv, uri, strlen(uri));
    if (req)
        req->conn = conn;
    return req;
}

/* MHD's own unescaping is switched off: we decode the raw URI ourselves
 * (split on '/' before decoding, so "a%2Fb" stays one segment). */
static size_t noop_unescape_cb(void *cls, struct MHD_Connection *c, char *s)
{
    (void)cls, (void)c;
    return strlen(s);
}

static void completed_cb(void *cls, struct MHD_Connection *conn, void **req_cls,
                         enum MHD_RequestTerminationCode toe)
{
    (void)conn;
    bs_http_listener_t *l = cls;
    bs_http_req_t *req = *req_cls;
    if (!req)
        return;
    *req_cls = NULL;
    bs_http_req_log(req, toe != MHD_REQUEST_TERMINATED_COMPLETED_OK);
    pthread_mutex_lock(&bs_http_mu);
    req->s_dead = true;                 /* later writes and replies only drop their data */
    bs_http_resp_t *unsent = req->resp; /* never queued */
    req->resp = NULL;
    pthread_mutex_unlock(&bs_http_mu);
    bs_http_resp_free(unsent);
    if (req->streaming) {
        if (req->body_cb && !req->body_ended) { /* client gone mid-body */
            req->body_ended = true;
            req->body_cb(req, NULL, 0, true, req->body_arg);
        }
    }
    if (__atomic_load_n(&req->orphaned, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&bs_http_mu);
        l->srv->orphans--; /* mhd_stop() waits for these */
        pthread_mutex_unlock(&bs_http_mu);
    }
    bs_http_req_unref(req);
}

/* The engine-neutral reply as an MHD response (r is consumed). */
static struct MHD_Response *mhd_response(bs_http_req_t *req, bs_http_resp_t *r)
{
    struct MHD_Response *m;
    if (r->streamed) {
        __atomic_add_fetch(&req->refs, 1, __ATOMIC_RELAXED); /* the response's */
        m = MHD_create_response_from_callback(MHD_SIZE_UNKNOWN, 16384, stream_reader, req,
                                              stream_free_cb);
        if (!m)
            bs_http_req_unref(req); /* never the last: the engine holds one */
    } else if (r->len) {
        m = MHD_create_response_from_buffer(r->len, r->body, MHD_RESPMEM_MUST_FREE);
        if (m)
            r->body = NULL; /* MHD free()s it */
    } else {
        m = MHD_create_response_from_buffer(0, (void *)NUL_BODY, MHD_RESPMEM_PERSISTENT);
    }
    if (m) {
        for (const char *p = r->hdrs; *p;) {
            const char *v = p + strlen(p) + 1;
            if (MHD_add_response_header(m, p, v) != MHD_YES)
                bs_log_warn(req->srv->service, "http: cannot add header %s", p);
            p = v + strlen(v) + 1;
        }
        if (r->close)
            MHD_add_response_header(m, MHD_HTTP_HEADER_CONNECTION, "close");
    } else {
        bs_log_error(req->srv->service, "http: cannot create a response (out of memory)");
    }
    bs_http_resp_free(r);
    return m;
}

/* Queues the stored reply. @locality MHD thread of the connection. */
static enum MHD_Result req_send(bs_http_req_t *req)
{
    req->phase = REQ_DONE;
    /* resp was stored under the lock before `replied`, which this thread
     * has read under the lock; only this thread takes it */
    pthread_mutex_lock(&bs_http_mu);
    bs_http_resp_t *r = req->resp;
    req->resp = NULL;
    pthread_mutex_unlock(&bs_http_mu);
    if (!r)
        return MHD_NO; /* could not build a response: drop the connection */
    int status = r->status;
    struct MHD_Response *resp = mhd_response(req, r);
    if (!resp)
        return MHD_NO;
    enum MHD_Result rc = MHD_queue_response(req->conn, (unsigned)status, resp);
    MHD_destroy_response(resp);
    return rc;
}

/* Answers with one of the layer's own errors right away. */
static enum MHD_Result req_fail(bs_http_req_t *req, int status)
{
    bs_http_req_fail(req, status, false);
    return req_send(req);
}

/* After the handler (or the end of a streamed body): queues the reply, or
 * parks the connection until there is one. */
static enum MHD_Result req_queue_or_park(bs_http_req_t *req)
{
    bs_http_server_t *s = req->srv;
    req->phase = REQ_DISPATCHED;
    pthread_mutex_lock(&bs_http_mu);
    if (!req->replied) {
        if (s->stopping) { /* too late to park it: answer now, orphan it */
            bs_http_req_orphan_locked(req);
            s->orphans++;
            pthread_mutex_unlock(&bs_http_mu);
            return req_send(req);
        }
        /* asynchronous reply: park the connection until bs_http_reply*() */
        MHD_suspend_connection(req->conn);
        req->suspended = true;
        susp_link_locked(req);
        pthread_mutex_unlock(&bs_http_mu);
        return MHD_YES;
    }
    pthread_mutex_unlock(&bs_http_mu);
    return req_send(req);
}

static enum MHD_Result req_dispatch(bs_http_req_t *req)
{
    req->phase = REQ_DISPATCHED;
    bs_http_req_call(req);
    return req_queue_or_park(req);
}

/* A streaming route's body: chunks to the callback, then the reply. */
static enum MHD_Result stream_upload(bs_http_req_t *req, const char *data, size_t *size)
{
    size_t n = *size;
    if (n) {
        *size = 0;
        if (req->body_cb && !req->body_ended)
            req->body_cb(req, (const uint8_t *)data, n, false, req->body_arg);
        return MHD_YES;
    }
    if (req->body_cb && !req->body_ended) {
        req->body_ended = true;
        req->body_cb(req, NULL, 0, false, req->body_arg);
    }
    return req_queue_or_park(req);
}

/* First call for a request: decides the route or the error. */
static enum MHD_Result req_begin(bs_http_req_t *req, const char *method)
{
    req->method = method;
    int64_t clen = -1;
    const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || end == cl) /* MHD rejects these before us; be safe */
            return req_fail(req, 400);
        clen = n > INT64_MAX ? INT64_MAX : (int64_t)n;
    }
    int st = bs_http_req_route(req, clen);
    if (st == 413)
        return req_fail(req, 413);
    /* Answer on the next call, never on this first one: libmicrohttpd
     * 0.9.75 closes the connection after a response queued while the
     * headers are still being processed (no keep-alive). */
    req->pending_status = st; /* with a body: read (and drop) it first */
    req->phase = REQ_BODY;
    return MHD_YES;
}

static enum MHD_Result on_access(void *cls, struct MHD_Connection *conn, const char *url,
                                 const char *method, const char *version, const char *upload_data,
                                 size_t *upload_data_size, void **req_cls)
{
    (void)cls, (void)url, (void)version;
    bs_http_req_t *req = *req_cls;
    if (!req)
        return MHD_NO; /* allocation failed in uri_log_cb */
    req->conn = conn;
    switch (req->phase) {
    case REQ_NEW:
        return req_begin(req, method);
    case REQ_BODY: {
        if (req->streaming)
            return stream_upload(req, upload_data, upload_data_size);
        size_t n = *upload_data_size;
        if (n == 0) { /* upload complete */
            if (req->pending_status)
                return req_fail(req, req->pending_status);
            return req_dispatch(req);
        }
        *upload_data_size = 0;
        size_t max = req->srv->cfg.max_body;
        if (req->blen + n > max && !req->pending_status) {
            /* a chunked body over the limit: MHD 0.9.75 cannot queue a
             * response in mid-upload, so drop the rest and answer at its
             * end; past a hard limit, drop the connection instead */
            req->pending_status = 413;
            free(req->body);
            req->body = NULL;
            req->bcap = 0;
        }
        if (req->pending_status) {
            if (req->blen + n > 2 * max + (1u << 20))
                return MHD_NO;
            req->blen += n; /* counted, not kept */
            return MHD_YES;
        }
        if (req->blen + n + 1 > req->bcap) {
            size_t cap = req->bcap ? req->bcap : 1024;
            while (cap < req->blen + n + 1)
                cap *= 2;
            uint8_t *nb = realloc(req->body, cap);
            if (!nb)
                return req_fail(req, 413);
            req->body = nb;
            req->bcap = cap;
        }
        memcpy(req->body + req->blen, upload_data, n);
        req->blen += n;
        req->body[req->blen] = '\0';
        return MHD_YES;
    }
    case REQ_DISPATCHED: { /* resumed after the reply (or the 503 of a stop) */
        pthread_mutex_lock(&bs_http_mu);
        bool replied = req->replied;
        pthread_mutex_unlock(&bs_http_mu);
        if (!replied) { /* cannot happen: only a reply resumes */
            bs_log_error(req->srv->service, "http: resumed without a reply; closing");
            return MHD_NO;
        }
        return req_send(req);
    }
    default: /* REQ_DONE: response queued; swallow whatever still arrives */
        *upload_data_size = 0;
        return MHD_YES;
    }
}

static void mhd_log_cb(void *cls, const char *fmt, va_list ap)
{
    bs_http_server_t *s = cls;
    char msg[512];
    vsnprintf(msg, sizeof msg, fmt, ap);
    size_t n = strlen(msg);
    while (n && (msg[n - 1] == '\n' || msg[n - 1] == '\r'))
        msg[--n] = '\0';
    bs_log_warn(s->service, "libmicrohttpd: %s", msg);
}

/* ------------------------------------------------------------ start/stop */

static int mhd_start(bs_http_server_t *s, char *err, size_t errlen)
{
    for (int i = 0; i < s->nl; i++) {
        bs_http_listener_t *l = &s->l[i];
        unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO |
                         MHD_USE_ERROR_LOG | (l->v6 ? MHD_USE_IPv6 : 0);
        l->d = MHD_start_daemon(
            flags, (uint16_t)l->port, NULL, NULL, on_access, l, MHD_OPTION_EXTERNAL_LOGGER,
            mhd_log_cb, s, MHD_OPTION_LISTEN_SOCKET, l->fd, MHD_OPTION_THREAD_POOL_SIZE,
            (unsigned)(s->cfg.threads > 1 ? s->cfg.threads : 0), MHD_OPTION_NOTIFY_COMPLETED,
            completed_cb, l, MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, l,
            MHD_OPTION_UNESCAPE_CALLBACK, noop_unescape_cb, NULL,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)BS_HTTP_CONN_MEMORY,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
        if (!l->d) {
            snprintf(err, errlen, "http: cannot start the HTTP server on %s", l->url);
            return -1;
        }
        l->fd = -1; /* MHD owns (and closes) it now */
    }
    return 0;
}

static void mhd_stop(bs_http_server_t *s)
{
    /* answer what still waits for an asynchronous reply (see the top) */
    pthread_mutex_lock(&bs_http_mu);
    s->stopping = true;
    int orphans = 0;
    while (s->susp) {
        bs_http_req_t *req = s->susp;
        susp_unlink_locked(req);
        if (req->s_waiting) { /* a streamed reply in progress: cut it off */
            req->s_waiting = false;
            req->s_dead = true;
            __atomic_store_n(&req->orphaned, true, __ATOMIC_RELEASE);
        } else {
            req->suspended = false;
            bs_http_req_orphan_locked(req);
        }
        MHD_resume_connection(req->conn);
        orphans++;
    }
    s->orphans += orphans;
    pthread_mutex_unlock(&bs_http_mu);
    if (orphans) {
        bs_log_warn(s->service,
                    "%s: stopping with %d request%s awaiting a reply or streaming one (answered "
                    "503 / cut off)",
                    s->service, orphans, orphans == 1 ? "" : "s");
        /* stop accepting, let the 503s go out (MHD_stop_daemon would just
         * close those connections), up to 2 s */
        for (int i = 0; i < s->nl; i++) {
            if (s->l[i].d) {
                MHD_socket fd = MHD_quiesce_daemon(s->l[i].d);
                if (fd != MHD_INVALID_SOCKET)
                    close(fd); /* ours again after a quiesce */
            }
        }
        for (int i = 0; i < 200; i++) {
            pthread_mutex_lock(&bs_http_mu);
            int left = s->orphans;
            pthread_mutex_unlock(&bs_http_mu);
            if (left <= 0)
                break;
            usleep(10 * 1000);
        }
    }
    for (int i = 0; i < s->nl; i++)
        if (s->l[i].d)
            MHD_stop_daemon(s->l[i].d);
}

const bs_http_engine_t bs_http_engine_mhd = {
    .name = "libmicrohttpd",
    .start = mhd_start,
    .stop = mhd_stop,
    .header = mhd_header,
    .notify_locked = mhd_notify_locked,
};
