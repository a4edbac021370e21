/*
 * http_int.h — private declarations of the HTTP layer: the compiled route
 * table and the matcher (router.c), exposed here so that unit tests and the
 * fuzz targets can drive the pure parsing code without a server.
 */
#ifndef BS_HTTP_INT_H
#define BS_HTTP_INT_H

#include "http/http.h"

#define BS_HTTP_MAX_SEGS 16 /* path segments per route / request */

typedef struct bs_http_seg_s {
    const char *str; /* literal text, or the parameter name (points into the pattern) */
    size_t len;
    bool param;
} bs_http_seg_t;

typedef struct bs_http_croute_s {
    const bs_http_route_t *route;
    int nseg;
    uint32_t literal_mask; /* bit (31 - i) set when segment i is literal */
    bs_http_seg_t seg[BS_HTTP_MAX_SEGS];
} bs_http_croute_t;

typedef struct bs_http_router_s {
    bs_http_croute_t *routes; /* owned */
    int nroutes;
} bs_http_router_t;

/* Compiles routes (not copied: they must outlive the router). Returns 0, or
 * -1 with a message naming the bad pattern. */
int bs_http_router_init(bs_http_router_t *rt, const bs_http_route_t *routes, int n, char *err,
                        size_t errlen);
void bs_http_router_free(bs_http_router_t *rt);

typedef struct bs_http_match_s {
    int nparams;
    const char *name[BS_HTTP_MAX_SEGS]; /* parameter names (into the pattern) */
    size_t name_len[BS_HTTP_MAX_SEGS];
    const char *value[BS_HTTP_MAX_SEGS]; /* decoded, NUL-terminated, in buf */
} bs_http_match_t;

enum {
    BS_HTTP_MATCH_NOT_FOUND = -1,  /* 404 */
    BS_HTTP_MATCH_BAD_METHOD = -2, /* 405: the path matches, not for this method */
    BS_HTTP_MATCH_BAD_PATH = -3,   /* 400: malformed %-escape or NUL */
};

/* Matches method + raw (%-encoded) path[0..len) against the table. buf, of
 * capacity >= len + 1, receives the decoded segments that m->value point to.
 * Returns the route index or a BS_HTTP_MATCH_* code. */
int bs_http_router_match(const bs_http_router_t *rt, const char *method, const char *path,
                         size_t len, char *buf, bs_http_match_t *m);

/* One decoded query parameter. */
typedef struct bs_http_qparam_s {
    const char *key;
    const char *value; /* "" for "?key" */
} bs_http_qparam_t;

/* Parses the raw query string q[0..len) ("a=1&b=x%20y") into at most max
 * params, decoded into buf (capacity >= len + 1). Empty pieces ("a=1&&b")
 * are skipped; params beyond max are ignored. Returns the number of params,
 * or -1 on a malformed escape. */
int bs_http_query_parse(const char *q, size_t len, char *buf, bs_http_qparam_t *out, int max);

/* ------------------------------------------------------------------------
 * Server and request state shared by the two engines (http.c holds the
 * engine-independent logic: listeners, routing, negotiation, accessors,
 * replies, streaming buffers; mhd.c = libmicrohttpd, h1.c = Basin's own
 * full-duplex HTTP/1.1 engine).
 * ---------------------------------------------------------------------- */

#include <pthread.h>
#include <time.h>

#define BS_HTTP_MAX_LISTENERS 8
#define BS_HTTP_MAX_QPARAMS   32
#define BS_HTTP_INLINE        768 /* inline room for 3 copies of a short URI */

/* An engine-neutral reply, built by bs_http_reply* / bs_http_stream_begin
 * on any thread and turned into bytes by the engine on its I/O thread. */
typedef struct bs_http_resp_s {
    int status;
    bool streamed; /* chunked body from bs_http_stream_write */
    bool close;    /* "Connection: close" (the 503 of a stop) */
    uint8_t *body; /* owned (malloc); NULL when len == 0 */
    size_t len;
    /* owned, inside this allocation: "name\0value\0...\0\0" with the
     * Content-Type first */
    char *hdrs;
} bs_http_resp_t;

/* Takes ownership of body (malloc'd, may be NULL if len is 0). NULL when
 * out of memory (body is then freed). */
bs_http_resp_t *bs_http_resp_new(int status, const char *content_type, const char *const *headers,
                                 uint8_t *body, size_t len);
void bs_http_resp_free(bs_http_resp_t *r);

typedef struct bs_http_engine_s bs_http_engine_t;

typedef struct bs_http_listener_s {
    bs_http_server_t *srv;
    void *d; /* the engine's (MHD daemon) */
    int fd;  /* bound, listening, non-blocking; -1 once the engine owns it */
    int port;
    bool v6;
    char url[300]; /* as configured, for messages */
} bs_http_listener_t;

struct bs_http_server_s {
    bs_http_config_t cfg;
    const bs_http_engine_t *eng;
    void *eng_state;     /* the engine's own */
    bool stopping;       /* bs_http_mu */
    int orphans;         /* bs_http_mu: orphaned requests not yet completed */
    bs_http_req_t *susp; /* bs_http_mu: (MHD) suspended requests awaiting a reply */
    const char *service;
    bs_http_router_t router;
    void *ctx;
    int nl;
    bs_http_listener_t l[BS_HTTP_MAX_LISTENERS];
};

struct bs_http_req_s {
    bs_http_server_t *srv;
    const char *method; /* the engine's, valid for the request */
    int route;
    int media;              /* index into produces */
    int status;             /* replied status, for the access log */
    const char *media_type; /* negotiated (into cfg->produces) */
    int refs;               /* atomic: the engine's + the application's */
    bool replied;           /* bs_http_mu */
    bool orphaned;          /* bs_http_mu (atomic reads): answered 503 at stop */
    bs_http_resp_t *resp;   /* bs_http_mu: set by the reply, taken by the engine */
    char *uri;              /* raw path [0, pathlen), then '?' query */
    size_t urilen, pathlen;
    char *pbuf; /* decoded path segments (match.value point here) */
    char *qbuf; /* decoded query */
    bs_http_match_t match;
    bool qparsed;
    int nq;
    bs_http_qparam_t q[BS_HTTP_MAX_QPARAMS];
    uint8_t *body;
    size_t blen, bcap;
    /* streaming routes */
    bool streaming;          /* I/O thread: body goes to body_cb (or is dropped) */
    bool body_ended;         /* I/O thread: body_cb saw the end */
    bs_http_body_fn body_cb; /* NULL: drop the body */
    void *body_arg;
    bool s_begun;  /* bs_http_mu: bs_http_stream_begin called */
    bool s_ended;  /* bs_http_mu: bs_http_stream_end called */
    bool s_dead;   /* bs_http_mu: connection completed or server stopped */
    uint8_t *sbuf; /* bs_http_mu: response bytes written, not yet sent */
    size_t soff, slen, scap;
    /* engine-specific */
    void *conn;                 /* MHD connection / h1 connection (NULL once detached) */
    int phase;                  /* engine's request phase */
    int pending_status;         /* MHD: error to answer once the body is read */
    bool suspended;             /* bs_http_mu, MHD: linked on srv->susp */
    bool s_waiting;             /* bs_http_mu, MHD: content reader suspended */
    bool queued;                /* bs_http_mu, h1: on the worker's ready list */
    bool in_handler;            /* bs_http_mu, h1: the loop thread checks after the call */
    bs_http_req_t *prev, *next; /* bs_http_mu: srv->susp (MHD) / ready list (h1) */
    const void *head;           /* h1: the parsed head (bs_h1_head_t), owned */
    struct timespec t0;
    char *heap; /* when the URI does not fit inl */
    char inl[BS_HTTP_INLINE];
};

/* One process-wide lock for the cross-thread fields of requests (taken a
 * few times per request; it outlives the servers, for replies to orphaned
 * requests). */
extern pthread_mutex_t bs_http_mu;

struct bs_http_engine_s {
    const char *name;
    /* Starts serving on the bound listeners s->l[0..nl) (taking over their
     * fds: set l->fd = -1). Returns 0 or -1 with err. */
    int (*start)(bs_http_server_t *s, char *err, size_t errlen);
    /* Answers pending requests 503, stops the threads, closes everything. */
    void (*stop)(bs_http_server_t *s);
    const char *(*header)(bs_http_req_t *req, const char *name);
    /* Something changed for req (reply stored, stream data or end).
     * @locks bs_http_mu. Never called for an orphaned request. */
    void (*notify_locked)(bs_http_req_t *req);
};

extern const bs_http_engine_t bs_http_engine_mhd;
extern const bs_http_engine_t bs_http_engine_h1;

/* h1 engine timeouts: to receive a complete request head once its first
 * byte came (30 s), and without progress while idle between requests,
 * reading a body or writing a reply (60 s). Process-wide; read by the loop
 * threads; tests set them before starting a server. */
extern int64_t bs_h1_head_timeout_ms;
extern int64_t bs_h1_idle_timeout_ms;

/* A new request for the raw request-target uri[0..ulen) (copied); one
 * reference, the engine's. NULL when out of memory. */
bs_http_req_t *bs_http_req_new(bs_http_server_t *s, const char *uri, size_t ulen);
/* Drops one reference (atomic); frees on the last. */
void bs_http_req_unref(bs_http_req_t *req);
/* Headers have arrived: decides the route or the layer's error (returns 0 or
 * the status: 413 when content_length (-1 = unknown) is over max_body, 400,
 * 404, 405, 415, 406), negotiates the media type, and on success calls the
 * `head` handler of a streaming route (req->streaming is then true if it
 * took the body or replied). @locality I/O thread. */
int bs_http_req_route(bs_http_req_t *req, int64_t content_length);
/* Stores the layer's own error reply {"error_code":status,...} (with
 * Connection: close if close) as req's reply. */
void bs_http_req_fail(bs_http_req_t *req, int status, bool close);
/* Calls the route's handler (taking the application's reference). */
void bs_http_req_call(bs_http_req_t *req);
/* Stores the 503 of a stop as req's reply and orphans it. @locks bs_http_mu */
void bs_http_req_orphan_locked(bs_http_req_t *req);
/* Debug access-log line when the request completes. */
void bs_http_req_log(bs_http_req_t *req, bool aborted);
/* Reason phrase of a status ("Not Found"). */
const char *bs_http_status_text(int status);
/* {"error_code":code,"message":msg} (malloc'd, compact) or NULL. */
char *bs_http_error_json(int code, const char *msg);

#endif
