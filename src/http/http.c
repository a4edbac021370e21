/*
 * http.c — the engine-independent half of the shared HTTP+JSON layer:
 * listeners (bound here so that failures name the listener and the errno,
 * and port 0 can be read back), per-request state, routing and negotiation
 * decisions, accessors, error bodies, synchronous and asynchronous replies
 * and the buffers of streamed replies. Parsing of paths and Accept lives in
 * router.c and negotiate.c; the connections are served by one of two
 * engines (bs_http_config_t.full_duplex):
 *
 *   mhd.c  libmicrohttpd 0.9.75 (half-duplex: a streamed reply starts once
 *          the request body is complete) — the Schema Registry;
 *   h1.c   Basin's own HTTP/1.1 engine on src/net/loop.h (full duplex: a
 *          streamed reply goes out while the body still arrives) — the
 *          REST Proxy.
 *
 * A request's life, common to both engines:
 *
 *   engine reads the head --> bs_http_req_new (URI copied, split)
 *     --> bs_http_req_route: 413 / 400 / 404 / 405 / 415 / 406, or the route;
 *         a streaming route's `head` handler runs here (req->streaming)
 *     --> engine collects the body (or hands it to body_cb)
 *     --> bs_http_req_call: the route's handler (application's reference)
 *     --> a bs_http_reply* / bs_http_stream_begin, from any thread:
 *         req_finish stores an engine-neutral bs_http_resp_t under
 *         bs_http_mu and calls the engine's notify_locked, which wakes the
 *         connection's I/O thread; the engine takes the reply and sends it.
 *
 * Streamed replies: bs_http_stream_write appends to req->sbuf under
 * bs_http_mu and notifies; the engine drains sbuf into chunks on its
 * thread. The application holds a reference from `head` until
 * bs_http_stream_end.
 *
 * Lifetime: a request holds one reference for the engine (dropped when the
 * connection is done with it) and one for the application from the handler
 * call until its reply (dropped by req_finish / bs_http_stream_end); the
 * last one frees it.
 *
 * Shutdown: bs_http_server_stop() (through the engine) answers every request
 * still waiting for its reply with 503 ("orphaned"); the application's later
 * reply to an orphaned request only drops its reference.
 *
 * Invariants: exactly one reply is stored per request; replied, orphaned,
 * resp, the s_* fields and sbuf are under bs_http_mu. The engine is only
 * notified while the request is neither orphaned nor s_dead (its
 * connection gone): a late reply never touches a stopped server.
 */
#include "http/http_int.h"

#include "base/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netdb.h>
#include <netinet/in.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#define BS_HTTP_DEFAULT_BODY (16u << 20)

static const char *const NUL_BODY = "";
pthread_mutex_t bs_http_mu = PTHREAD_MUTEX_INITIALIZER;

/* ------------------------------------------------------------- requests */

bs_http_req_t *bs_http_req_new(bs_http_server_t *s, const char *uri, size_t ul)
{
    bs_http_req_t *req = malloc(sizeof *req);
    if (!req)
        return NULL;
    memset(req, 0, offsetof(bs_http_req_t, inl));
    req->srv = s;
    req->route = -1;
    req->media = -1;
    req->media_type = s->cfg.produces[0].type;
    req->refs = 1; /* the engine's */
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
    memcpy(req->uri, uri, ul);
    req->uri[ul] = '\0';
    req->urilen = ul;
    char *qm = memchr(req->uri, '?', ul);
    req->pathlen = qm ? (size_t)(qm - req->uri) : ul;
    if (qm)
        *qm = '\0'; /* bs_http_path() is the path alone */
    return req;
}

static void req_free(bs_http_req_t *req)
{
    bs_http_resp_free(req->resp);
    free(req->body);
    free(req->sbuf);
    free((void *)req->head);
    free(req->heap);
    free(req);
}

void bs_http_req_unref(bs_http_req_t *req)
{
    if (__atomic_sub_fetch(&req->refs, 1, __ATOMIC_ACQ_REL) == 0)
        req_free(req);
}

void bs_http_req_log(bs_http_req_t *req, bool aborted)
{
    if (bs_log_get_level() > BS_LOG_DEBUG)
        return;
    struct timespec t1;
    clock_gettime(CLOCK_MONOTONIC, &t1);
    long us = (t1.tv_sec - req->t0.tv_sec) * 1000000L + (t1.tv_nsec - req->t0.tv_nsec) / 1000;
    bs_log_debug(req->srv->service, "%s %.*s%s%s %d %ldus%s", req->method ? req->method : "-",
                 (int)req->pathlen, req->uri, req->pathlen < req->urilen ? "?" : "",
                 req->pathlen < req->urilen ? req->uri + req->pathlen + 1 : "", req->status, us,
                 aborted ? " (aborted)" : "");
}

/* An orphaned request's reply is dropped without touching the (possibly
 * stopped) server. Returns true if req was orphaned (and is released). */
static bool req_release_orphan(bs_http_req_t *req)
{
    /* set under the lock before the stop answers it; a stale false here is
     * caught again in req_finish */
    if (!__atomic_load_n(&req->orphaned, __ATOMIC_ACQUIRE))
        return false;
    bs_http_req_unref(req);
    return true;
}

/* ---------------------------------------------------------------- replies */

const char *bs_http_status_text(int status)
{
    switch (status) {
    case 100:
        return "Continue";
    case 200:
        return "OK";
    case 201:
        return "Created";
    case 202:
        return "Accepted";
    case 204:
        return "No Content";
    case 307:
        return "Temporary Redirect";
    case 400:
        return "Bad Request";
    case 401:
        return "Unauthorized";
    case 403:
        return "Forbidden";
    case 404:
        return "Not Found";
    case 405:
        return "Method Not Allowed";
    case 406:
        return "Not Acceptable";
    case 408:
        return "Request Timeout";
    case 409:
        return "Conflict";
    case 413:
        return "Request Entity Too Large";
    case 415:
        return "Unsupported Media Type";
    case 417:
        return "Expectation Failed";
    case 422:
        return "Unprocessable Entity";
    case 429:
        return "Too Many Requests";
    case 431:
        return "Request Header Fields Too Large";
    case 500:
        return "Internal Server Error";
    case 501:
        return "Not Implemented";
    case 502:
        return "Bad Gateway";
    case 503:
        return "Service Unavailable";
    case 504:
        return "Gateway Timeout";
    case 505:
        return "HTTP Version Not Supported";
    default:
        return status >= 500 ? "Error" : status >= 400 ? "Error" : "OK";
    }
}

bs_http_resp_t *bs_http_resp_new(int status, const char *content_type, const char *const *headers,
                                 uint8_t *body, size_t len)
{
    size_t hl = strlen("Content-Type") + strlen(content_type) + 3;
    for (int i = 0; headers && headers[i] && headers[i + 1]; i += 2)
        hl += strlen(headers[i]) + strlen(headers[i + 1]) + 2;
    bs_http_resp_t *r = malloc(sizeof *r + hl);
    if (!r) {
        free(body);
        return NULL;
    }
    r->status = status;
    r->streamed = false;
    r->close = false;
    r->body = len ? body : NULL;
    if (!len)
        free(body);
    r->len = len;
    r->hdrs = (char *)(r + 1);
    char *p = r->hdrs;
    p = stpcpy(p, "Content-Type") + 1;
    p = stpcpy(p, content_type) + 1;
    for (int i = 0; headers && headers[i] && headers[i + 1]; i += 2) {
        p = stpcpy(p, headers[i]) + 1;
        p = stpcpy(p, headers[i + 1]) + 1;
    }
    *p = '\0';
    return r;
}

void bs_http_resp_free(bs_http_resp_t *r)
{
    if (!r)
        return;
    free(r->body);
    free(r);
}

const char *bs_http_media(bs_http_req_t *req)
{
    return req->media_type;
}

void bs_http_req_orphan_locked(bs_http_req_t *req)
{
    static const char body[] = "{\"error_code\":503,\"message\":\"HTTP 503 Service Unavailable: "
                               "server shutting down\"}";
    __atomic_store_n(&req->orphaned, true, __ATOMIC_RELEASE);
    req->replied = true;
    req->status = 503;
    bs_http_resp_free(req->resp);
    uint8_t *b = malloc(sizeof body - 1);
    if (b)
        memcpy(b, body, sizeof body - 1);
    req->resp = bs_http_resp_new(503, req->media_type, NULL, b, b ? sizeof body - 1 : 0);
    if (req->resp)
        req->resp->close = true;
}

/* Stores resp as the request's one reply and wakes its connection.
 * @locality any thread. After this returns the caller must not touch req. */
static void req_finish(bs_http_req_t *req, int status, bs_http_resp_t *resp)
{
    pthread_mutex_lock(&bs_http_mu);
    if (req->orphaned) { /* already answered 503 by bs_http_server_stop */
        bs_http_resp_free(resp);
        pthread_mutex_unlock(&bs_http_mu);
        bs_http_req_unref(req);
        return;
    }
    if (req->replied) {
        bs_log_error(req->srv->service, "http: second reply to %s %.*s ignored", req->method,
                     (int)req->pathlen, req->uri);
        pthread_mutex_unlock(&bs_http_mu);
        bs_http_resp_free(resp);
        return;
    }
    req->replied = true;
    req->status = status;
    req->resp = resp;
    /* s_dead: the connection is gone (and the server may be too): nobody
     * to tell, the reply is freed with the request */
    if (!req->s_dead)
        req->srv->eng->notify_locked(req);
    pthread_mutex_unlock(&bs_http_mu);
    bs_http_req_unref(req); /* the application's (the last one if the client is gone) */
}

void bs_http_reply_ex(bs_http_req_t *req, int status, const char *content_type, const void *body,
                      size_t len, const char *const *headers)
{
    if (req_release_orphan(req))
        return;
    uint8_t *copy = NULL;
    if (len) {
        copy = malloc(len);
        if (copy)
            memcpy(copy, body, len);
    }
    bs_http_resp_t *resp = NULL;
    if (copy || !len)
        resp = bs_http_resp_new(status, content_type ? content_type : bs_http_media(req), headers,
                                copy, len);
    if (!resp)
        bs_log_error(req->srv->service, "http: cannot create a response (out of memory)");
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
    /* the encoded text becomes the body without a copy */
    bs_http_resp_t *resp =
        bs_http_resp_new(status, bs_http_media(req), NULL, (uint8_t *)s, strlen(s));
    if (!resp)
        bs_log_error(req->srv->service, "http: cannot create a response (out of memory)");
    req_finish(req, status, resp);
}

char *bs_http_error_json(int code, const char *msg)
{
    json_t *j = json_pack("{s:i,s:s}", "error_code", code, "message", msg);
    if (!j) /* message not valid UTF-8: send it without the offending text */
        j = json_pack("{s:i,s:s}", "error_code", code, "message", "(invalid UTF-8 message)");
    char *s = j ? json_dumps(j, JSON_COMPACT) : NULL;
    json_decref(j);
    return s;
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

void bs_http_req_fail(bs_http_req_t *req, int status, bool close)
{
    char msg[128];
    snprintf(msg, sizeof msg, "HTTP %d %s", status, bs_http_status_text(status));
    char *s = bs_http_error_json(status, msg);
    bs_http_resp_t *resp =
        bs_http_resp_new(status, bs_http_media(req), NULL, (uint8_t *)s, s ? strlen(s) : 0);
    if (resp)
        resp->close = close;
    /* a reply drops the replier's reference: the layer takes one here */
    __atomic_add_fetch(&req->refs, 1, __ATOMIC_RELAXED);
    req_finish(req, status, resp);
}

/* ------------------------------------------------------------- streaming */

void bs_http_stream_body(bs_http_req_t *req, bs_http_body_fn cb, void *arg)
{
    req->body_cb = cb;
    req->body_arg = arg;
}

void bs_http_stream_begin(bs_http_req_t *req, int status, const char *content_type)
{
    bs_http_resp_t *resp =
        bs_http_resp_new(status, content_type ? content_type : bs_http_media(req), NULL, NULL, 0);
    if (!resp)
        bs_log_error(req->srv->service, "http: cannot create a response (out of memory)");
    else
        resp->streamed = true;
    pthread_mutex_lock(&bs_http_mu);
    if (req->replied || req->orphaned) { /* orphaned at a stop (or a bug) */
        pthread_mutex_unlock(&bs_http_mu);
        bs_http_resp_free(resp);
        return;
    }
    req->replied = true;
    req->s_begun = true;
    req->status = status;
    req->resp = resp;
    if (!req->s_dead)
        req->srv->eng->notify_locked(req);
    pthread_mutex_unlock(&bs_http_mu);
}

int bs_http_stream_write(bs_http_req_t *req, const void *data, size_t len)
{
    int rc = -1;
    pthread_mutex_lock(&bs_http_mu);
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
    req->srv->eng->notify_locked(req);
    rc = 0;
done:
    pthread_mutex_unlock(&bs_http_mu);
    return rc;
}

void bs_http_stream_end(bs_http_req_t *req)
{
    pthread_mutex_lock(&bs_http_mu);
    req->s_ended = true;
    if (!req->orphaned && !req->s_dead)
        req->srv->eng->notify_locked(req);
    pthread_mutex_unlock(&bs_http_mu);
    bs_http_req_unref(req); /* the application's */
}

/* ------------------------------------------------------------- accessors */

const char *bs_http_method(bs_http_req_t *req)
{
    return req->method;
}

const char *bs_http_path(bs_http_req_t *req)
{
    return req->uri; /* NUL-terminated at pathlen by bs_http_req_new */
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
        req->nq = n < 0 ? 0 : n; /* malformed queries were rejected in bs_http_req_route */
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
    return req->srv->eng->header(req, name);
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

/* ------------------------------------------------------- route decisions */

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
        pthread_mutex_lock(&bs_http_mu);
        bool replied = req->replied;
        pthread_mutex_unlock(&bs_http_mu);
        if (replied || req->body_cb)
            req->streaming = true; /* a reply already dropped the reference */
        else
            bs_http_req_unref(req); /* ordinary request after all: never the last ref */
        return;
    }
}

static bool method_has_body(const char *m)
{
    return !strcmp(m, "POST") || !strcmp(m, "PUT");
}

int bs_http_req_route(bs_http_req_t *req, int64_t content_length)
{
    bs_http_server_t *s = req->srv;
    const bs_http_config_t *c = &s->cfg;
    const char *method = req->method;
    if (content_length >= 0 && (uint64_t)content_length > c->max_body)
        return 413;
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
        !bs_http_content_type_ok(bs_http_header(req, "Content-Type"), c->consumes, c->nconsumes))
        st = 415;
    int media = bs_http_negotiate(bs_http_header(req, "Accept"), c->produces, c->nproduces);
    req->media = media;
    if (media >= 0)
        req->media_type = c->produces[media].type;
    if (!st && media < 0)
        st = 406;
    if (!st)
        req_head(req);
    return st;
}

void bs_http_req_call(bs_http_req_t *req)
{
    bs_http_server_t *s = req->srv;
    /* the application's, until its reply; no other thread has req yet */
    __atomic_add_fetch(&req->refs, 1, __ATOMIC_RELAXED);
    s->router.routes[req->route].route->fn(req, s->ctx);
}

/* ------------------------------------------------------------- listeners */

/* Binds "http://host:port". Returns the fd or -1 with err set. */
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
    s->eng = cfg->full_duplex ? &bs_http_engine_h1 : &bs_http_engine_mhd;
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
        l->fd = listener_bind(tok, &l->port, &l->v6, err, errlen);
        if (l->fd < 0)
            goto fail;
        s->nl++;
    }
    if (s->nl == 0) {
        snprintf(err, errlen, "http: %s: no listeners configured", s->service);
        goto fail;
    }
    if (s->eng->start(s, err, errlen) != 0)
        goto fail;
    for (int i = 0; i < s->nl; i++) {
        const char *u = s->l[i].url + 7; /* checked by listener_bind */
        const char *colon = u[0] == '[' ? strchr(u, ']') + 1 : strrchr(u, ':');
        int hl = (int)(colon - u);
        bs_log_info(s->service,
                    "%s listening on http://%.*s:%d (%s engine, %d thread%s, max body %zu bytes)",
                    s->service, hl ? hl : 7, hl ? u : "0.0.0.0", s->l[i].port, s->eng->name,
                    s->cfg.threads, s->cfg.threads == 1 ? "" : "s", s->cfg.max_body);
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
    s->eng->stop(s); /* closes the listeners it took over */
    for (int i = 0; i < s->nl; i++)
        if (s->l[i].fd >= 0)
            close(s->l[i].fd);
    bs_http_router_free(&s->router);
    free(s);
}

int bs_http_server_port(bs_http_server_t *s, int i)
{
    if (!s || i < 0 || i >= s->nl)
        return -1;
    return s->l[i].port;
}
