/*
 * server.c — listeners, connections and request framing.
 *
 * A connection reads frames (int32 size + request) into rbuf and handles them
 * strictly one at a time, in order (Kafka mutes a channel while a request is
 * in progress; idempotent producers rely on this ordering):
 *
 *   conn_read_cb -> conn_process -> handle_frame -> handler
 *        ^                              |  BS_ERR__PENDING: conn->busy = 1,
 *        |                              |  EPOLLIN off (rbuf must not move:
 *        |                              |  the decoded request points into it)
 *        +------ bs_req_complete <------+  (fetch wakeup / fsync done)
 *
 * Responses go to a queue of output buffers sent with send() and, for file
 * splices (fetched log data), sendfile(). A malformed or oversized frame
 * closes the connection with a log line naming the problem.
 */
#include "broker/broker.h"
#include "broker/group.h"

#include "base/log.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/sendfile.h>
#include <sys/socket.h>
#include <unistd.h>

#define OUT_HIGH_WATER (32 * 1024 * 1024) /* stop reading while this much is queued */

typedef struct bs_outbuf_s {
    bs_wbuf_t w;
    size_t pos;   /* memory bytes of w.data sent */
    int si;       /* current splice */
    int64_t soff; /* bytes of the current splice sent */
    struct bs_outbuf_s *next;
} bs_outbuf_t;

struct bs_conn_s {
    bs_io_t io;
    bs_broker_t *b;
    bs_listen_t *l;
    char peer[NI_MAXHOST + NI_MAXSERV + 2];
    uint8_t *rbuf;
    size_t rlen, rcap, rpos;
    bs_outbuf_t *out_head, *out_tail;
    int64_t out_bytes; /* queued, unsent */
    bool busy, closing, in_process;
    bs_req_t req;
    bs_arena_t arena;
    bs_timer_t free_timer;
    bs_conn_t *prev, *next;
};

static void conn_process(bs_conn_t *c);
static void conn_update_events(bs_conn_t *c);

const char *bs_req_peer(const bs_req_t *req)
{
    return req->conn->peer;
}

/* ---- output ---- */

bs_wbuf_t *bs_req_out(bs_req_t *req)
{
    bs_conn_t *c = req->conn;
    /* append to the tail buffer unless it has started going out */
    if (!c->out_tail || c->out_tail->pos > 0 || c->out_tail->si > 0 || c->out_tail->soff > 0) {
        bs_outbuf_t *o = bs_xcalloc(1, sizeof(*o));
        bs_wbuf_init(&o->w);
        if (c->out_tail)
            c->out_tail->next = o;
        else
            c->out_head = o;
        c->out_tail = o;
    }
    return &c->out_tail->w;
}

static void outbuf_free(bs_outbuf_t *o)
{
    bs_wbuf_free(&o->w);
    free(o);
}

/* Sends as much as the socket takes. Returns -1 on a fatal socket error. */
static int conn_flush(bs_conn_t *c)
{
    while (c->out_head) {
        bs_outbuf_t *o = c->out_head;
        bs_wbuf_t *w = &o->w;
        for (;;) {
            size_t next_at = o->si < w->nspl ? w->spl[o->si].at : w->len;
            if (o->pos < next_at) {
                ssize_t n = send(c->io.fd, w->data + o->pos, next_at - o->pos,
                                 MSG_NOSIGNAL | (o->si < w->nspl ? MSG_MORE : 0));
                if (n < 0) {
                    if (errno == EAGAIN || errno == EWOULDBLOCK)
                        return 0;
                    if (errno == EINTR)
                        continue;
                    return -1;
                }
                o->pos += (size_t)n;
                continue;
            }
            if (o->si < w->nspl) {
                bs_wsplice_t *s = &w->spl[o->si];
                if (o->soff < s->len) {
                    off_t off = (off_t)(s->off + o->soff);
                    ssize_t n = sendfile(c->io.fd, s->fd, &off, (size_t)(s->len - o->soff));
                    if (n < 0) {
                        if (errno == EAGAIN || errno == EWOULDBLOCK)
                            return 0;
                        if (errno == EINTR)
                            continue;
                        return -1;
                    }
                    if (n == 0) {
                        bs_log_warn("server", "%s: log file shorter than expected while sending",
                                    c->peer);
                        return -1;
                    }
                    o->soff += n;
                    continue;
                }
                o->si++;
                o->soff = 0;
                continue;
            }
            break; /* this buffer is done */
        }
        c->out_bytes -= bs_wbuf_total(w);
        c->out_head = o->next;
        if (!c->out_head)
            c->out_tail = NULL;
        outbuf_free(o);
    }
    return 0;
}

static int64_t conn_queued(bs_conn_t *c)
{
    int64_t n = 0;
    for (bs_outbuf_t *o = c->out_head; o; o = o->next)
        n += bs_wbuf_total(&o->w);
    return n;
}

/* ---- lifecycle ---- */

static void conn_free_cb(bs_loop_t *loop, bs_timer_t *t)
{
    bs_conn_t *c = t->ctx;
    (void)loop;
    while (c->out_head) {
        bs_outbuf_t *o = c->out_head;
        c->out_head = o->next;
        outbuf_free(o);
    }
    bs_arena_destroy(&c->arena);
    free(c->rbuf);
    free(c);
}

static void conn_close(bs_conn_t *c, const char *why)
{
    bs_broker_t *b = c->b;
    if (c->closing)
        return;
    c->closing = true;
    if (why)
        bs_log_info("server", "closing connection from %s: %s", c->peer, why);
    else
        bs_log_debug("server", "connection from %s closed", c->peer);
    if (c->busy) {
        bs_fetch_abort_conn(b, c);
        bs_produce_abort_conn(b, c);
        bs_group_abort_conn(b, c);
        bs_admin_abort_conn(b, c);
    }
    bs_loop_io_del(b->loop, &c->io);
    close(c->io.fd);
    if (c->prev)
        c->prev->next = c->next;
    else
        b->conns = c->next;
    if (c->next)
        c->next->prev = c->prev;
    b->nconns--;
    /* freed after this loop iteration: an event for it may still be pending */
    bs_timer_init(&c->free_timer, conn_free_cb, c);
    bs_loop_timer_arm(b->loop, &c->free_timer, 0);
}

static void conn_update_events(bs_conn_t *c)
{
    uint32_t ev = EPOLLRDHUP;
    if (!c->busy && c->out_bytes < OUT_HIGH_WATER)
        ev |= EPOLLIN;
    if (c->out_head)
        ev |= EPOLLOUT;
    bs_loop_io_set(c->b->loop, &c->io, ev);
}

static void conn_after_output(bs_conn_t *c)
{
    c->out_bytes = conn_queued(c);
    if (conn_flush(c) < 0) {
        conn_close(c, NULL);
        return;
    }
    c->out_bytes = conn_queued(c);
    conn_update_events(c);
}

/* ---- requests ---- */

static const bs_handler_t *handler_for(int16_t key)
{
    if (key < 0 || key >= bs_handlers_count || !bs_handlers[key].fn)
        return NULL;
    return &bs_handlers[key];
}

/* Handles one frame. Returns 0, 1 if parked, -1 to close the connection. */
static int handle_frame(bs_conn_t *c, const uint8_t *p, size_t len)
{
    bs_req_t *req = &c->req;
    char why[400];

    memset(req, 0, sizeof(*req));
    req->b = c->b;
    req->conn = c;
    req->arena = &c->arena;
    req->rd.buf = p;
    req->rd.len = len;
    req->rd.off = 0;
    if (bs_kreq_header_decode(&req->rd, &req->hdr) < 0) {
        snprintf(why, sizeof(why), "malformed request header: %s", req->rd.err);
        conn_close(c, why);
        return -1;
    }
    req->api_key = req->hdr.RequestApiKey;
    req->api_version = req->hdr.RequestApiVersion;
    req->correlation_id = req->hdr.CorrelationId;

    const bs_handler_t *h = handler_for(req->api_key);
    if (!h || req->api_version < h->min_ver || req->api_version > h->max_ver) {
        if (req->api_key == 18 && h) {
            /* ApiVersions with an unsupported version gets a v0 answer with
             * UNSUPPORTED_VERSION (KIP-511); never close during ApiVersions */
            bs_err_t e = h->fn(req);
            bs_arena_reset(&c->arena);
            return e == BS_ERR__PARSE ? -1 : 0;
        }
        const bs_kapi_t *api = bs_kapi_get(req->api_key);
        snprintf(why, sizeof(why), "unsupported request %s (key %d) version %d",
                 api ? api->name : "unknown", req->api_key, req->api_version);
        conn_close(c, why);
        return -1;
    }
    bs_err_t err = h->fn(req);
    if (err == BS_ERR__PENDING)
        return 1;
    bs_arena_reset(&c->arena);
    if (err == BS_ERR__PARSE) {
        const bs_kapi_t *api = bs_kapi_get(req->api_key);
        snprintf(why, sizeof(why), "malformed %s v%d request: %s", api ? api->name : "?",
                 req->api_version, req->rd.err);
        conn_close(c, why);
        return -1;
    }
    return 0;
}

void bs_req_complete(bs_req_t *req)
{
    bs_conn_t *c = req->conn;
    bs_arena_reset(&c->arena);
    c->busy = false;
    if (c->closing)
        return;
    conn_process(c);
}

static void conn_process(bs_conn_t *c)
{
    bs_broker_t *b = c->b;
    int32_t maxreq = b->cfg->socket_request_max_bytes;

    if (c->in_process)
        return; /* re-entered through bs_req_complete from a handler */
    c->in_process = true;
    while (!c->busy && !c->closing) {
        if (c->rlen - c->rpos < 4)
            break;
        const uint8_t *p = c->rbuf + c->rpos;
        int32_t size =
            (int32_t)((uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3]);
        if (size < 0 || size > maxreq) {
            char why[160];
            snprintf(why, sizeof(why), "request size %d is %s (socket.request.max.bytes=%d)", size,
                     size < 0 ? "negative" : "larger than allowed", maxreq);
            conn_close(c, why);
            break;
        }
        if (size < 8) {
            conn_close(c, "request frame shorter than a request header");
            break;
        }
        if (c->rlen - c->rpos < 4 + (size_t)size)
            break;
        c->rpos += 4 + (size_t)size;
        int r = handle_frame(c, p + 4, (size_t)size);
        if (r < 0)
            break;
        if (r == 1)
            c->busy = true;
        if (c->out_bytes >= OUT_HIGH_WATER)
            break;
    }
    c->in_process = false;
    if (c->closing)
        return;
    if (!c->busy && c->rpos > 0) {
        memmove(c->rbuf, c->rbuf + c->rpos, c->rlen - c->rpos);
        c->rlen -= c->rpos;
        c->rpos = 0;
    }
    conn_after_output(c);
}

static void conn_io_cb(bs_loop_t *loop, bs_io_t *io, uint32_t events)
{
    bs_conn_t *c = io->ctx;
    (void)loop;
    if (c->closing)
        return;
    if (events & EPOLLOUT) {
        conn_after_output(c);
        if (c->closing)
            return;
        if (!c->busy && c->out_bytes < OUT_HIGH_WATER && c->rlen > c->rpos)
            conn_process(c);
    }
    if ((events & EPOLLIN) && !c->busy) {
        for (int rounds = 0; rounds < 16 && !c->closing && !c->busy; rounds++) {
            if (c->rcap - c->rlen < 65536) {
                size_t need = c->rlen + 65536;
                /* grow to hold the whole pending frame if we know its size */
                if (c->rlen - c->rpos >= 4) {
                    const uint8_t *p = c->rbuf + c->rpos;
                    uint32_t sz =
                        (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
                    if (sz <= (uint32_t)c->b->cfg->socket_request_max_bytes &&
                        c->rpos + 4 + sz > need)
                        need = c->rpos + 4 + sz;
                }
                size_t ncap = c->rcap ? c->rcap : 65536;
                while (ncap < need)
                    ncap *= 2;
                if (ncap != c->rcap) {
                    c->rbuf = bs_xrealloc(c->rbuf, ncap);
                    c->rcap = ncap;
                }
            }
            ssize_t n = recv(c->io.fd, c->rbuf + c->rlen, c->rcap - c->rlen, 0);
            if (n == 0) {
                conn_close(c, c->rlen > c->rpos ? "peer closed mid-request" : NULL);
                return;
            }
            if (n < 0) {
                if (errno == EINTR)
                    continue;
                if (errno != EAGAIN && errno != EWOULDBLOCK)
                    conn_close(c, NULL);
                break;
            }
            c->rlen += (size_t)n;
            conn_process(c);
            if ((size_t)n < 16384)
                break;
        }
        return;
    }
    if (events & (EPOLLHUP | EPOLLERR | EPOLLRDHUP)) {
        if (!c->busy && (events & EPOLLIN))
            return;
        conn_close(c, NULL);
    }
}

static void accept_cb(bs_loop_t *loop, bs_io_t *io, uint32_t events)
{
    bs_listen_t *l = io->ctx;
    bs_broker_t *b = l->b;
    (void)loop;
    (void)events;
    for (int i = 0; i < 64; i++) {
        struct sockaddr_storage ss;
        socklen_t sl = sizeof(ss);
        int fd = accept4(io->fd, (struct sockaddr *)&ss, &sl, SOCK_NONBLOCK | SOCK_CLOEXEC);
        if (fd < 0) {
            if (errno != EAGAIN && errno != EWOULDBLOCK && errno != EINTR)
                bs_log_warn("server", "accept on %s:%d: %s", l->host, l->port, strerror(errno));
            return;
        }
        int one = 1;
        setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
        bs_conn_t *c = bs_xcalloc(1, sizeof(*c));
        c->b = b;
        c->l = l;
        bs_arena_init(&c->arena, 16384);
        char host[NI_MAXHOST], serv[NI_MAXSERV];
        if (getnameinfo((struct sockaddr *)&ss, sl, host, sizeof(host), serv, sizeof(serv),
                        NI_NUMERICHOST | NI_NUMERICSERV) == 0)
            snprintf(c->peer, sizeof(c->peer), "%s:%s", host, serv);
        else
            snprintf(c->peer, sizeof(c->peer), "fd%d", fd);
        c->next = b->conns;
        if (b->conns)
            b->conns->prev = c;
        b->conns = c;
        b->nconns++;
        bs_loop_io_add(b->loop, &c->io, fd, EPOLLIN | EPOLLRDHUP, conn_io_cb, c);
        bs_log_debug("server", "accepted connection from %s", c->peer);
    }
}

/* ---- listeners ---- */

int bs_server_listen(bs_broker_t *b, bs_listen_t *l)
{
    struct addrinfo hints = {0}, *res = NULL;
    char port[16];
    int fd = -1, rc = -1, one = 1;

    hints.ai_family = AF_UNSPEC;
    hints.ai_socktype = SOCK_STREAM;
    hints.ai_flags = AI_PASSIVE;
    snprintf(port, sizeof(port), "%d", l->port);
    int gai = getaddrinfo(l->host[0] ? l->host : NULL, port, &hints, &res);
    if (gai != 0) {
        bs_log_error("server", "listener %s://%s:%d: cannot resolve host: %s", l->name, l->host,
                     l->port, gai_strerror(gai));
        goto done;
    }
    /* for the wildcard host prefer IPv6 dual-stack, else the first result */
    struct addrinfo *ai = res;
    for (struct addrinfo *r = res; r && !l->host[0]; r = r->ai_next)
        if (r->ai_family == AF_INET6)
            ai = r;
    fd = socket(ai->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (fd < 0)
        goto syserr;
    setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    if (ai->ai_family == AF_INET6) {
        int zero = 0;
        setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero));
    }
    if (bind(fd, ai->ai_addr, ai->ai_addrlen) < 0 || listen(fd, 1024) < 0)
        goto syserr;
    struct sockaddr_storage ss;
    socklen_t sl = sizeof(ss);
    if (getsockname(fd, (struct sockaddr *)&ss, &sl) == 0)
        l->port = ntohs(ss.ss_family == AF_INET6 ? ((struct sockaddr_in6 *)&ss)->sin6_port
                                                 : ((struct sockaddr_in *)&ss)->sin_port);
    l->b = b;
    if (bs_loop_io_add(b->loop, &l->io, fd, EPOLLIN, accept_cb, l) < 0)
        goto syserr;
    rc = 0;
    goto done;
syserr:
    bs_log_error("server", "listener %s://%s:%d: %s", l->name, l->host, l->port, strerror(errno));
    if (fd >= 0)
        close(fd);
done:
    if (res)
        freeaddrinfo(res);
    return rc;
}

void bs_server_close_all(bs_broker_t *b)
{
    for (int i = 0; i < b->nlisteners; i++) {
        if (b->listeners[i].io.cb) {
            bs_loop_io_del(b->loop, &b->listeners[i].io);
            close(b->listeners[i].io.fd);
        }
    }
    while (b->conns) {
        bs_conn_t *c = b->conns;
        /* best effort: push out what is already queued */
        conn_flush(c);
        conn_close(c, NULL);
        /* the loop has stopped: free now instead of from the timer */
        bs_loop_timer_cancel(b->loop, &c->free_timer);
        conn_free_cb(b->loop, &c->free_timer);
    }
}

const bs_listen_t *bs_req_listener(const bs_req_t *req)
{
    return req->conn->l;
}
