/*
 * http.c — the libmicrohttpd glue of the shared HTTP+JSON layer: listeners,
 * per-request state, body collection, error replies, synchronous and
 * asynchronous replies. Parsing lives in router.c and negotiate.c.
 *
 * One MHD daemon per listener, each with its own epoll thread(s)
 * (MHD_USE_EPOLL_INTERNAL_THREAD, thread pool of cfg->threads). We create and
 * bind the listen sockets ourselves so that failures name the listener and
 * the errno, and so that port 0 can be read back with getsockname().
 *
 * A request's life (phase, owner thread in brackets):
 *
 *   uri_log_cb [MHD]            allocates the bs_http_req_t, copies the raw URI
 *     |                         (MHD unescapes its own copy; we never use it)
 *   REQ_NEW  --on_access [MHD]--> route + negotiation (req_begin); an error
 *     |                          found here is kept pending; Content-Length
 *     |                          over max_body -> 413 at once -> REQ_DONE
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
 *     resumes it; MHD then calls on_access again, which queues it.
 *
 * Streaming routes (cfg->streams): req_begin calls the route's `head`
 * handler on the first call. If it installs a body callback or replies, the
 * request is REQ_BODY in streaming mode: stream_upload hands each chunk to
 * the callback, and at the end of the body queues the reply (or suspends
 * until there is one, as above). A streamed reply is an MHD callback
 * response (chunked): stream_reader copies what bs_http_stream_write
 * buffered, and suspends the connection (s_waiting, on the suspended list)
 * when nothing is buffered yet; a write or bs_http_stream_end resumes it.
 * The response holds a reference to the request (dropped by its free
 * callback); the application holds one from `head` until
 * bs_http_stream_end. MHD 0.9.75 cannot send a response while the body is
 * still arriving (see http.h), so the reply starts at the end of the body.
 *
 * Lifetime: a request holds one reference for MHD (dropped by completed_cb)
 * and one for the application from the handler call until its reply
 * (dropped by req_finish); the last one frees it. A suspended connection is
 * never completed before it is resumed.
 *
 * Shutdown: libmicrohttpd 0.9.75 aborts in MHD_stop_daemon() if a connection
 * is still suspended, so bs_http_server_stop() first answers every request
 * still waiting for its reply with 503 ("orphaned") and resumes it; the
 * application's later reply to an orphaned request only drops its reference.
 *
 * Invariants: exactly one response is queued per request; replied,
 * suspended, orphaned and the suspended lists are under g_mu (one
 * process-wide lock: it is taken once per request, and it must outlive the
 * servers for replies to orphaned requests).
 */
#include "http/http_int.h"

#include "base/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <microhttpd.h>
#include <netdb.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stddef.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define BS_HTTP_MAX_LISTENERS 8
#define BS_HTTP_MAX_QPARAMS   32
#define BS_HTTP_INLINE        768 /* inline room for 3 copies of a short URI */
#define BS_HTTP_DEFAULT_BODY  (16u << 20)
/* Per-connection memory of libmicrohttpd (request line + headers + read
 * buffer). MHD zeroes it for every request, so its default 32 KiB costs
 * ~8% CPU at 50k req/s; 16 KiB still allows 8 KiB of headers (Jetty's
 * default limit, which Confluent clients stay within). */
#ifndef BS_HTTP_CONN_MEMORY
#define BS_HTTP_CONN_MEMORY (16u << 10)
#endif

typedef struct bs_http_listener_s {
    bs_http_server_t *srv;
    struct MHD_Daemon *d;
    int fd;
    int port;
    char url[300]; /* as configured, for messages */
} bs_http_listener_t;

struct bs_http_server_s {
    bs_http_config_t cfg;
    bool stopping;       /* g_mu */
    int orphans;         /* g_mu: orphaned requests not yet completed */
    bs_http_req_t *susp; /* g_mu: suspended requests awaiting a reply */
    const char *service;
    bs_http_router_t router;
    void *ctx;
    int nl;
    bs_http_listener_t l[BS_HTTP_MAX_LISTENERS];
};

enum { REQ_NEW, REQ_BODY, REQ_DISPATCHED, REQ_DONE };

struct bs_http_req_s {
    bs_http_server_t *srv;
    struct MHD_Connection *conn;
    const char *method; /* MHD's, valid for the request */
    int phase;
    int route;
    int media;                  /* index into produces */
    int pending_status;         /* error to answer once the body is read (0 = none) */
    int status;                 /* replied status, for the access log */
    const char *media_type;     /* negotiated (into cfg->produces) */
    int refs;                   /* atomic: MHD's + the application's */
    bool replied;               /* g_mu */
    bool suspended;             /* g_mu; then linked on srv->susp */
    bool orphaned;              /* g_mu (atomic reads): answered 503 at stop */
    bs_http_req_t *prev, *next; /* g_mu: srv->susp list */
    struct MHD_Response *resp;  /* g_mu: set by the reply */
    char *uri;                  /* raw path [0, pathlen), then '?' query */
    size_t urilen, pathlen;
    char *pbuf; /* decoded path segments (match.value point here) */
    char *qbuf; /* decoded query */
    bs_http_match_t match;
    bool qparsed;
    int nq;
    bs_http_qparam_t q[BS_HTTP_MAX_QPARAMS];
    uint8_t *body;
    size_t blen, bcap;
    /* streaming routes (see the bottom of the diagram) */
    bool streaming;          /* MHD thread: body goes to body_cb (or is dropped) */
    bool body_ended;         /* MHD thread: body_cb saw the end */
    bs_http_body_fn body_cb; /* NULL: drop the body */
    void *body_arg;
    bool s_begun;   /* g_mu: bs_http_stream_begin called */
    bool s_ended;   /* g_mu: bs_http_stream_end called */
    bool s_dead;    /* g_mu: connection completed or server stopped */
    bool s_waiting; /* g_mu: content reader suspended, linked on srv->susp */
    uint8_t *sbuf;  /* g_mu: response bytes written, not yet sent */
    size_t soff, slen, scap;
    struct timespec t0;
    char *heap; /* when the URI does not fit inl */
    char inl[BS_HTTP_INLINE];
};

static const char *const NUL_BODY = "";
static pthread_mutex_t g_mu = PTHREAD_MUTEX_INITIALIZER;

static void req_free(bs_http_req_t *req)
{
    if (req->resp)
        MHD_destroy_response(req->resp);
    free(req->body);
    free(req->sbuf);
    free(req->heap);
    free(req);
}

/* Drops one reference (atomic: no lock needed); frees on the last. */
static void req_unref(bs_http_req_t *req)
{
    if (__atomic_sub_fetch(&req->refs, 1, __ATOMIC_ACQ_REL) == 0)
        req_free(req);
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

/* An orphaned request's reply is dropped without touching the (possibly
 * stopped) server. Returns true if req was orphaned (and is released). */
static bool req_release_orphan(bs_http_req_t *req)
{
    /* set under g_mu before the stop resumes the connection; a stale false
     * here is caught again in req_finish */
    if (!__atomic_load_n(&req->orphaned, __ATOMIC_ACQUIRE))
        return false;
    req_unref(req);
    return true;
}

/* ---------------------------------------------------------------- replies */

static const char *status_text(int status)
{
    switch (status) {
    case 400:
        return "Bad Request";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 413:
        return "Request Entity Too Large";
    case 415:
        return "Unsupported Media Type";
    case 500:
        return "Internal Server Error";
    default:
        return "Error";
    }
}

const char *bs_http_media(bs_http_req_t *req)
{
    return req->media_type;
}

/* 503 body for requests cut off by bs_http_server_stop(). */
static struct MHD_Response *shutdown_response(bs_http_req_t *req)
{
    static const char body[] = "{\"error_code\":503,\"message\":\"HTTP 503 Service Unavailable: "
                               "server shutting down\"}";
    struct MHD_Response *r =
        MHD_create_response_from_buffer(sizeof body - 1, (void *)body, MHD_RESPMEM_PERSISTENT);
    if (r) {
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONTENT_TYPE, req->media_type);
        MHD_add_response_header(r, MHD_HTTP_HEADER_CONNECTION, "close");
    }
    return r;
}

/* Stores resp as the request's one reply; resumes a suspended connection.
 * @locality any thread. After this returns the caller must not touch req. */
static void req_finish(bs_http_req_t *req, int status, struct MHD_Response *resp)
{
    pthread_mutex_lock(&g_mu);
    if (req->orphaned) { /* already answered 503 by bs_http_server_stop */
        if (resp)
            MHD_destroy_response(resp);
        req_unref(req);
        pthread_mutex_unlock(&g_mu);
        return;
    }
    if (req->replied) {
        bs_log_error(req->srv->service, "http: second reply to %s %.*s ignored", req->method,
                     (int)req->pathlen, req->uri);
        pthread_mutex_unlock(&g_mu);
        if (resp)
            MHD_destroy_response(resp);
        return;
    }
    req->replied = true;
    req->status = status;
    req->resp = resp;
    if (req->suspended) {
        /* resumed under g_mu so that bs_http_server_stop() never sees a
         * connection between "unlinked" and "resumed" */
        req->suspended = false;
        susp_unlink_locked(req);
        MHD_resume_connection(req->conn);
    }
    req_unref(req); /* the application's reference; MHD still holds one */
    pthread_mutex_unlock(&g_mu);
}

void bs_http_reply_ex(bs_http_req_t *req, int status, const char *content_type, const void *body,
                      size_t len, const char *const *headers)
{
    if (req_release_orphan(req))
        return;
    struct MHD_Response *resp = MHD_create_response_from_buffer(
        len, (void *)(body ? body : NUL_BODY), MHD_RESPMEM_MUST_COPY);
    if (resp) {
        if (MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                    content_type ? content_type : bs_http_media(req)) != MHD_YES)
            bs_log_warn(req->srv->service, "http: cannot add Content-Type");
        for (int i = 0; headers && headers[i] && headers[i + 1]; i += 2)
            MHD_add_response_header(resp, headers[i], headers[i + 1]);
    } else {
        bs_log_error(req->srv->service, "http: cannot create a response (out of memory)");
    }
    req_finish(req, status, resp);
}

void bs_http_reply(bs_http_req_t *req, int status, const char *content_type, const void *body,
                   size_t len)
{
    bs_http_reply_ex(req, status, content_type, body, len, NULL);
}

void bs_http_reply_json(bs_http_req_t *req, int status, json_t *body)
{
    if (req_release_orphan(req)) {
        json_decref(body);
        return;
    }
    char *s = body ? json_dumps(body, JSON_COMPACT | JSON_ENCODE_ANY) : NULL;
    json_decref(body);
    if (!s) {
        bs_http_reply(req, status, NULL, NULL, 0);
        return;
    }
    /* the encoded text goes to MHD without a copy; MHD free()s it */
    struct MHD_Response *resp =
        MHD_create_response_from_buffer(strlen(s), s, MHD_RESPMEM_MUST_FREE);
    if (!resp) {
        free(s);
        bs_log_error(req->srv->service, "http: cannot create a response (out of memory)");
    } else {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE, bs_http_media(req));
    }
    req_finish(req, status, resp);
}

static void reply_verror(bs_http_req_t *req, int status, int error_code, const char *fmt,
                         va_list ap)
{
    char msg[1024];
    vsnprintf(msg, sizeof msg, fmt, ap);
    json_t *j = json_pack("{s:i,s:s}", "error_code", error_code, "message", msg);
    if (!j) /* message not valid UTF-8: send it without the offending text */
        j = json_pack("{s:i,s:s}", "error_code", error_code, "message", "(invalid UTF-8 message)");
    bs_http_reply_json(req, status, j);
}

void bs_http_reply_error(bs_http_req_t *req, int status, int error_code, const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    reply_verror(req, status, error_code, fmt, ap);
    va_end(ap);
}

/* ------------------------------------------------------------- streaming */

void bs_http_stream_body(bs_http_req_t *req, bs_http_body_fn cb, void *arg)
{
    req->body_cb = cb;
    req->body_arg = arg;
}

/* MHD's content reader of a streamed reply. @locality MHD thread. */
static ssize_t stream_reader(void *cls, uint64_t pos, char *buf, size_t max)
{
    (void)pos;
    bs_http_req_t *req = cls;
    ssize_t n;
    pthread_mutex_lock(&g_mu);
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
        bs_http_server_t *s = req->srv;
        req->prev = NULL;
        req->next = s->susp;
        if (s->susp)
            s->susp->prev = req;
        s->susp = req;
        n = 0;
    }
    pthread_mutex_unlock(&g_mu);
    return n;
}

static void stream_free_cb(void *cls)
{
    req_unref(cls); /* the response's reference */
}

/* @locks g_mu */
static void stream_wake_locked(bs_http_req_t *req)
{
    if (!req->s_waiting)
        return;
    req->s_waiting = false;
    susp_unlink_locked(req);
    MHD_resume_connection(req->conn);
}

void bs_http_stream_begin(bs_http_req_t *req, int status, const char *content_type)
{
    __atomic_add_fetch(&req->refs, 1, __ATOMIC_RELAXED); /* the response's */
    struct MHD_Response *resp = MHD_create_response_from_callback(
        MHD_SIZE_UNKNOWN, 16384, stream_reader, req, stream_free_cb);
    if (!resp) {
        bs_log_error(req->srv->service, "http: cannot create a response (out of memory)");
        req_unref(req);
    } else {
        MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
                                content_type ? content_type : bs_http_media(req));
    }
    pthread_mutex_lock(&g_mu);
    if (req->replied || req->orphaned) { /* orphaned at a stop (or a bug) */
        pthread_mutex_unlock(&g_mu);
        if (resp)
            MHD_destroy_response(resp);
        return;
    }
    req->replied = true;
    req->s_begun = true;
    req->status = status;
    req->resp = resp;
    if (req->suspended) { /* body complete, waiting for this reply */
        req->suspended = false;
        susp_unlink_locked(req);
        MHD_resume_connection(req->conn);
    }
    pthread_mutex_unlock(&g_mu);
}

int bs_http_stream_write(bs_http_req_t *req, const void *data, size_t len)
{
    int rc = -1;
    pthread_mutex_lock(&g_mu);
    if (!req->s_begun || req->s_dead || req->orphaned || req->s_ended)
        goto done;
    if (req->slen + len > req->scap) {
        size_t cap = req->scap ? req->scap : 4096;
        while (cap < req->slen + len)
            cap *= 2;
        uint8_t *nb = realloc(req->sbuf, cap);
        if (!nb)
            goto done;
        req->sbuf = nb;
        req->scap = cap;
    }
    memcpy(req->sbuf + req->slen, data, len);
    req->slen += len;
    stream_wake_locked(req);
    rc = 0;
done:
    pthread_mutex_unlock(&g_mu);
    return rc;
}

void bs_http_stream_end(bs_http_req_t *req)
{
    pthread_mutex_lock(&g_mu);
    req->s_ended = true;
    if (!req->orphaned)
        stream_wake_locked(req);
    pthread_mutex_unlock(&g_mu);
    req_unref(req); /* the application's */
}

/* The layer's own errors: "HTTP 404 Not Found". */
static void reply_std_error(bs_http_req_t *req, int status)
{
    bs_http_reply_error(req, status, status, "HTTP %d %s", status, status_text(status));
}

/* ------------------------------------------------------------- accessors */

const char *bs_http_method(bs_http_req_t *req)
{
    return req->method;
}

const char *bs_http_path(bs_http_req_t *req)
{
    return req->uri; /* NUL-terminated at pathlen by uri_log_cb */
}

const char *bs_http_raw_query(bs_http_req_t *req)
{
    return req->pathlen < req->urilen ? req->uri + req->pathlen + 1 : NULL;
}

const char *bs_http_param(bs_http_req_t *req, const char *name)
{
    size_t nl = strlen(name);
    for (int i = 0; i < req->match.nparams; i++)
        if (req->match.name_len[i] == nl && memcmp(req->match.name[i], name, nl) == 0)
            return req->match.value[i];
    return NULL;
}

static void query_parse(bs_http_req_t *req)
{
    if (req->qparsed)
        return;
    req->qparsed = true;
    req->nq = 0;
    if (req->pathlen < req->urilen) {
        const char *q = req->uri + req->pathlen + 1;
        int n = bs_http_query_parse(q, req->urilen - req->pathlen - 1, req->qbuf, req->q,
                                    BS_HTTP_MAX_QPARAMS);
        req->nq = n < 0 ? 0 : n; /* malformed queries were rejected in req_begin */
    }
}

const char *bs_http_query(bs_http_req_t *req, const char *name)
{
    query_parse(req);
    for (int i = 0; i < req->nq; i++)
        if (strcmp(req->q[i].key, name) == 0)
            return req->q[i].value;
    return NULL;
}

bool bs_http_query_bool(bs_http_req_t *req, const char *name)
{
    const char *v = bs_http_query(req, name);
    return v && strcasecmp(v, "true") == 0;
}

const char *bs_http_header(bs_http_req_t *req, const char *name)
{
    return MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, name);
}

const uint8_t *bs_http_body(bs_http_req_t *req, size_t *len)
{
    *len = req->blen;
    return req->body ? req->body : (const uint8_t *)NUL_BODY;
}

json_t *bs_http_body_json(bs_http_req_t *req, json_error_t *jerr)
{
    json_error_t local;
    size_t len;
    const uint8_t *b = bs_http_body(req, &len);
    return json_loadb((const char *)b, len, JSON_DECODE_ANY, jerr ? jerr : &local);
}

/* ----------------------------------------------------------- MHD callbacks */

static void *uri_log_cb(void *cls, const char *uri, struct MHD_Connection *conn)
{
    bs_http_listener_t *l = cls;
    size_t ul = strlen(uri);
    bs_http_req_t *req = malloc(sizeof *req);
    if (!req)
        return NULL;
    memset(req, 0, offsetof(bs_http_req_t, inl));
    req->srv = l->srv;
    req->conn = conn;
    req->route = -1;
    req->media = -1;
    req->media_type = l->srv->cfg.produces[0].type;
    req->refs = 1; /* MHD's */
    if (bs_log_get_level() <= BS_LOG_DEBUG)
        clock_gettime(CLOCK_MONOTONIC, &req->t0);
    char *mem = req->inl;
    if (3 * (ul + 1) > sizeof req->inl) {
        mem = req->heap = malloc(3 * (ul + 1));
        if (!mem) {
            free(req);
            return NULL;
        }
    }
    req->uri = mem;
    req->pbuf = mem + ul + 1;
    req->qbuf = mem + 2 * (ul + 1);
    memcpy(req->uri, uri, ul + 1);
    req->urilen = ul;
    char *qm = memchr(req->uri, '?', ul);
    req->pathlen = qm ? (size_t)(qm - req->uri) : ul;
    if (qm)
        *qm = '\0'; /* bs_http_path() is the path alone */
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
    if (bs_log_get_level() <= BS_LOG_DEBUG) {
        struct timespec t1;
        clock_gettime(CLOCK_MONOTONIC, &t1);
        long us = (t1.tv_sec - req->t0.tv_sec) * 1000000L + (t1.tv_nsec - req->t0.tv_nsec) / 1000;
        bs_log_debug(l->srv->service, "%s %.*s%s%s %d %ldus%s", req->method ? req->method : "-",
                     (int)req->pathlen, req->uri, req->pathlen < req->urilen ? "?" : "",
                     req->pathlen < req->urilen ? req->uri + req->pathlen + 1 : "", req->status, us,
                     toe == MHD_REQUEST_TERMINATED_COMPLETED_OK ? "" : " (aborted)");
    }
    if (req->streaming) {
        pthread_mutex_lock(&g_mu);
        req->s_dead = true;                      /* later writes are dropped */
        struct MHD_Response *unsent = req->resp; /* never queued: it holds a reference */
        req->resp = NULL;
        pthread_mutex_unlock(&g_mu);
        if (unsent)
            MHD_destroy_response(unsent);
        if (req->body_cb && !req->body_ended) { /* client gone mid-body */
            req->body_ended = true;
            req->body_cb(req, NULL, 0, true, req->body_arg);
        }
    }
    if (__atomic_load_n(&req->orphaned, __ATOMIC_ACQUIRE)) {
        pthread_mutex_lock(&g_mu);
        l->srv->orphans--; /* bs_http_server_stop() waits for these */
        pthread_mutex_unlock(&g_mu);
    }
    req_unref(req);
}

/* Queues the stored reply. @locality MHD thread of the connection. */
static enum MHD_Result req_send(bs_http_req_t *req)
{
    req->phase = REQ_DONE;
    /* no lock: resp was stored before `replied`, which this thread has read
     * under g_mu; nothing writes resp afterwards */
    struct MHD_Response *resp = req->resp;
    req->resp = NULL;
    if (!resp)
        return MHD_NO; /* could not build a response: drop the connection */
    enum MHD_Result r = MHD_queue_response(req->conn, (unsigned)req->status, resp);
    MHD_destroy_response(resp);
    return r;
}

/* Answers with one of the layer's own errors right away. */
static enum MHD_Result req_fail(bs_http_req_t *req, int status)
{
    /* a reply drops the replier's reference: the layer takes one here */
    __atomic_add_fetch(&req->refs, 1, __ATOMIC_RELAXED);
    reply_std_error(req, status);
    return req_send(req);
}

static void reply_shutdown(bs_http_req_t *req)
{
    req->status = 503;
    req->resp = shutdown_response(req);
}

/* After the handler (or the end of a streamed body): queues the reply, or
 * parks the connection until there is one. */
static enum MHD_Result req_queue_or_park(bs_http_req_t *req)
{
    bs_http_server_t *s = req->srv;
    req->phase = REQ_DISPATCHED;
    pthread_mutex_lock(&g_mu);
    if (!req->replied) {
        if (s->stopping) { /* too late to park it: answer now, orphan it */
            __atomic_store_n(&req->orphaned, true, __ATOMIC_RELEASE);
            req->replied = true;
            s->orphans++;
            pthread_mutex_unlock(&g_mu);
            reply_shutdown(req);
            return req_send(req);
        }
        /* asynchronous reply: park the connection until bs_http_reply*() */
        MHD_suspend_connection(req->conn);
        req->suspended = true;
        req->next = s->susp;
        if (s->susp)
            s->susp->prev = req;
        s->susp = req;
        pthread_mutex_unlock(&g_mu);
        return MHD_YES;
    }
    pthread_mutex_unlock(&g_mu);
    return req_send(req);
}

static enum MHD_Result req_dispatch(bs_http_req_t *req)
{
    req->phase = REQ_DISPATCHED;
    bs_http_server_t *s = req->srv;
    __atomic_add_fetch(
        &req->refs, 1,
        __ATOMIC_RELAXED); /* the application's, until its reply; no other thread has req yet */
    s->router.routes[req->route].route->fn(req, s->ctx);
    return req_queue_or_park(req);
}

/* Calls the `head` handler of a streaming route (if req's route is one). */
static void req_head(bs_http_req_t *req)
{
    bs_http_server_t *s = req->srv;
    bs_http_handler_fn fn = s->router.routes[req->route].route->fn;
    for (int i = 0; i < s->cfg.nstreams; i++) {
        if (s->cfg.streams[i].fn != fn || !s->cfg.streams[i].head)
            continue;
        /* the application's reference, kept if it goes streaming */
        __atomic_add_fetch(&req->refs, 1, __ATOMIC_RELAXED);
        s->cfg.streams[i].head(req, s->ctx);
        pthread_mutex_lock(&g_mu);
        bool replied = req->replied;
        pthread_mutex_unlock(&g_mu);
        if (replied || req->body_cb)
            req->streaming = true; /* a reply already dropped the reference */
        else
            req_unref(req); /* ordinary request after all: never the last ref */
        return;
    }
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

static bool method_has_body(const char *m)
{
    return !strcmp(m, "POST") || !strcmp(m, "PUT");
}

/* First call for a request: decides the route or the error. */
static enum MHD_Result req_begin(bs_http_req_t *req, const char *method)
{
    bs_http_server_t *s = req->srv;
    const bs_http_config_t *c = &s->cfg;
    req->method = method;
    const char *cl = MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Length");
    if (cl) {
        char *end;
        errno = 0;
        unsigned long long n = strtoull(cl, &end, 10);
        if (errno || end == cl) /* MHD rejects these before us; be safe */
            return req_fail(req, 400);
        if (n > c->max_body)
            return req_fail(req, 413);
    }

    int st = 0;
    int r =
        bs_http_router_match(&s->router, method, req->uri, req->pathlen, req->pbuf, &req->match);
    if (r == BS_HTTP_MATCH_BAD_PATH)
        st = 400;
    else if (r == BS_HTTP_MATCH_NOT_FOUND)
        st = 404;
    else if (r == BS_HTTP_MATCH_BAD_METHOD)
        st = 405;
    else
        req->route = r;
    if (!st && req->pathlen < req->urilen &&
        bs_http_query_parse(req->uri + req->pathlen + 1, req->urilen - req->pathlen - 1, req->qbuf,
                            req->q, BS_HTTP_MAX_QPARAMS) < 0)
        st = 400;
    if (!st && method_has_body(method) &&
        !bs_http_content_type_ok(
            MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Content-Type"), c->consumes,
            c->nconsumes))
        st = 415;
    int media = bs_http_negotiate(MHD_lookup_connection_value(req->conn, MHD_HEADER_KIND, "Accept"),
                                  c->produces, c->nproduces);
    req->media = media;
    if (media >= 0)
        req->media_type = c->produces[media].type;
    if (!st && media < 0)
        st = 406;
    if (!st)
        req_head(req);
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
        pthread_mutex_lock(&g_mu);
        bool replied = req->replied;
        pthread_mutex_unlock(&g_mu);
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

/* ------------------------------------------------------------- listeners */

/* Binds "http://host:port" [s, e). Returns the fd or -1 with err set. */
static int listener_bind(const char *url, int *port_out, bool *v6, char *err, size_t errlen)
{
    int fd = -1;
    struct addrinfo *ai = NULL;
    if (strncasecmp(url, "http://", 7) != 0) {
        snprintf(err, errlen, "http: listener \"%s\": only http:// is supported", url);
        goto fail;
    }
    const char *h = url + 7;
    char host[256];
    const char *ps;
    if (*h == '[') {
        const char *rb = strchr(h, ']');
        if (!rb || rb[1] != ':' || (size_t)(rb - h - 1) >= sizeof host) {
            snprintf(err, errlen, "http: listener \"%s\": bad IPv6 address", url);
            goto fail;
        }
        memcpy(host, h + 1, (size_t)(rb - h - 1));
        host[rb - h - 1] = '\0';
        ps = rb + 2;
    } else {
        const char *colon = strrchr(h, ':');
        if (!colon || (size_t)(colon - h) >= sizeof host) {
            snprintf(err, errlen, "http: listener \"%s\": expected http://host:port", url);
            goto fail;
        }
        memcpy(host, h, (size_t)(colon - h));
        host[colon - h] = '\0';
        ps = colon + 1;
    }
    char *end;
    long port = strtol(ps, &end, 10);
    if (end == ps || (*end && strcmp(end, "/") != 0) || port < 0 || port > 65535) {
        snprintf(err, errlen, "http: listener \"%s\": bad port", url);
        goto fail;
    }
    struct addrinfo hints = {.ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE | AI_NUMERICSERV};
    char pstr[16];
    snprintf(pstr, sizeof pstr, "%ld", port);
    int gr = getaddrinfo(host[0] ? host : "0.0.0.0", pstr, &hints, &ai);
    if (gr != 0) {
        snprintf(err, errlen, "http: listener \"%s\": cannot resolve \"%s\": %s", url, host,
                 gai_strerror(gr));
        goto fail;
    }
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    int one = 1;
    if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
        bind(fd, ai->ai_addr, ai->ai_addrlen) != 0 || listen(fd, 1024) != 0) {
        snprintf(err, errlen, "http: cannot listen on %s: %s", url, strerror(errno));
        goto fail;
    }
    *v6 = ai->ai_family == AF_INET6;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof ss;
    getsockname(fd, (struct sockaddr *)&ss, &sl);
    *port_out = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                               : ((struct sockaddr_in *)&ss)->sin_port);
    freeaddrinfo(ai);
    return fd;
fail:
    if (fd >= 0)
        close(fd);
    if (ai)
        freeaddrinfo(ai);
    return -1;
}

bs_http_server_t *bs_http_server_start(const bs_http_config_t *cfg, const bs_http_route_t *routes,
                                       int nroutes, void *ctx, char *err, size_t errlen)
{
    bs_http_server_t *s = calloc(1, sizeof *s);
    char *list = NULL;
    if (!s) {
        snprintf(err, errlen, "http: out of memory");
        return NULL;
    }
    s->cfg = *cfg;
    s->ctx = ctx;
    s->service = cfg->service_name ? cfg->service_name : "http";
    if (s->cfg.threads <= 0)
        s->cfg.threads = 2;
    if (s->cfg.max_body == 0)
        s->cfg.max_body = BS_HTTP_DEFAULT_BODY;
    if (!cfg->produces || cfg->nproduces <= 0) {
        snprintf(err, errlen, "http: %s: no produced media types configured", s->service);
        goto fail;
    }
    if (bs_http_router_init(&s->router, routes, nroutes, err, errlen) != 0)
        goto fail;
    list = strdup(cfg->listeners ? cfg->listeners : "");
    if (!list) {
        snprintf(err, errlen, "http: out of memory");
        goto fail;
    }
    char *save = NULL;
    for (char *tok = strtok_r(list, ",", &save); tok; tok = strtok_r(NULL, ",", &save)) {
        while (*tok == ' ' || *tok == '\t')
            tok++;
        size_t tl = strlen(tok);
        while (tl && (tok[tl - 1] == ' ' || tok[tl - 1] == '\t'))
            tok[--tl] = '\0';
        if (!tl)
            continue;
        if (s->nl >= BS_HTTP_MAX_LISTENERS) {
            snprintf(err, errlen, "http: more than %d listeners", BS_HTTP_MAX_LISTENERS);
            goto fail;
        }
        bs_http_listener_t *l = &s->l[s->nl];
        l->srv = s;
        snprintf(l->url, sizeof l->url, "%s", tok);
        bool v6 = false;
        l->fd = listener_bind(tok, &l->port, &v6, err, errlen);
        if (l->fd < 0)
            goto fail;
        s->nl++;
        unsigned flags = MHD_USE_EPOLL_INTERNAL_THREAD | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_TURBO |
                         MHD_USE_ERROR_LOG | (v6 ? MHD_USE_IPv6 : 0);
        l->d = MHD_start_daemon(
            flags, (uint16_t)l->port, NULL, NULL, on_access, l, MHD_OPTION_EXTERNAL_LOGGER,
            mhd_log_cb, s, MHD_OPTION_LISTEN_SOCKET, l->fd, MHD_OPTION_THREAD_POOL_SIZE,
            (unsigned)(s->cfg.threads > 1 ? s->cfg.threads : 0), MHD_OPTION_NOTIFY_COMPLETED,
            completed_cb, l, MHD_OPTION_URI_LOG_CALLBACK, uri_log_cb, l,
            MHD_OPTION_UNESCAPE_CALLBACK, noop_unescape_cb, NULL,
            MHD_OPTION_CONNECTION_MEMORY_LIMIT, (size_t)BS_HTTP_CONN_MEMORY,
            MHD_OPTION_CONNECTION_TIMEOUT, (unsigned)120, MHD_OPTION_END);
        if (!l->d) {
            snprintf(err, errlen, "http: cannot start the HTTP server on %s", tok);
            goto fail;
        }
        l->fd = -1; /* MHD owns (and closes) it now */
    }
    if (s->nl == 0) {
        snprintf(err, errlen, "http: %s: no listeners configured", s->service);
        goto fail;
    }
    for (int i = 0; i < s->nl; i++) {
        const char *u = s->l[i].url + 7; /* checked by listener_bind */
        const char *colon = u[0] == '[' ? strchr(u, ']') + 1 : strrchr(u, ':');
        int hl = (int)(colon - u);
        bs_log_info(s->service, "%s listening on http://%.*s:%d (%d thread%s, max body %zu bytes)",
                    s->service, hl ? hl : 7, hl ? u : "0.0.0.0", s->l[i].port, s->cfg.threads,
                    s->cfg.threads == 1 ? "" : "s", s->cfg.max_body);
    }
    free(list);
    return s;
fail:
    free(list);
    bs_http_server_stop(s);
    return NULL;
}

void bs_http_server_stop(bs_http_server_t *s)
{
    if (!s)
        return;
    /* answer what still waits for an asynchronous reply (see the top) */
    pthread_mutex_lock(&g_mu);
    s->stopping = true;
    int orphans = 0;
    while (s->susp) {
        bs_http_req_t *req = s->susp;
        susp_unlink_locked(req);
        if (req->s_waiting) { /* a streamed reply in progress: cut it off */
            req->s_waiting = false;
            req->s_dead = true;
            __atomic_store_n(&req->orphaned, true, __ATOMIC_RELEASE);
            MHD_resume_connection(req->conn);
            orphans++;
            continue;
        }
        req->suspended = false;
        __atomic_store_n(&req->orphaned, true, __ATOMIC_RELEASE);
        req->replied = true;
        req->status = 503;
        req->resp = shutdown_response(req);
        MHD_resume_connection(req->conn);
        orphans++;
    }
    s->orphans += orphans;
    pthread_mutex_unlock(&g_mu);
    if (orphans)
        bs_log_warn(s->service,
                    "%s: stopping with %d request%s awaiting a reply or streaming one (answered "
                    "503 / cut off)",
                    s->service, orphans, orphans == 1 ? "" : "s");
    if (orphans) {
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
            pthread_mutex_lock(&g_mu);
            int left = s->orphans;
            pthread_mutex_unlock(&g_mu);
            if (left <= 0)
                break;
            usleep(10 * 1000);
        }
    }
    for (int i = 0; i < s->nl; i++) {
        if (s->l[i].d)
            MHD_stop_daemon(s->l[i].d);
        if (s->l[i].fd >= 0)
            close(s->l[i].fd);
    }
    bs_http_router_free(&s->router);
    free(s);
}

int bs_http_server_port(bs_http_server_t *s, int i)
{
    if (!s || i < 0 || i >= s->nl)
        return -1;
    return s->l[i].port;
}
