/*
 * http.h — Basin's shared HTTP+JSON server layer (Schema Registry 8081,
 * REST Proxy 8082, Connect 8083), with two interchangeable engines under one
 * API: libmicrohttpd (the default; half-duplex) and Basin's own HTTP/1.1
 * engine (cfg.full_duplex; src/http/h1.c), which the REST Proxy uses.
 *
 * A service declares a route table and the media types it produces and
 * consumes; the layer binds the listeners, matches routes ("literal segments
 * win over {params}"), URL-decodes route parameters and query values, does
 * content negotiation (Accept with q values, Content-Type of bodies), collects
 * the body up to max_body, and answers every failure it detects itself with a
 * JSON body {"error_code":N,"message":"..."}:
 *
 *   unknown path -> 404, known path wrong method -> 405, Accept matching none
 *   of `produces` -> 406, POST/PUT with a Content-Type not in `consumes` ->
 *   415, body > max_body -> 413, bad %-escape in path or query -> 400.
 *   HTTP syntax errors: the full-duplex engine answers them in the same JSON
 *   form naming the problem (bad request line or header -> 400, head over
 *   8 KiB or over 100 header fields -> 431, HTTP/2+ request line -> 505,
 *   Transfer-Encoding other than chunked -> 501, Content-Length together
 *   with chunked or a bad chunk size -> 400, an Expect other than
 *   100-continue -> 417); libmicrohttpd answers those itself with its own
 *   short HTML page (400 / 431).
 *
 * Threads:
 *  - libmicrohttpd engine: each listener is one daemon with cfg->threads
 *    epoll threads (MHD_USE_EPOLL_INTERNAL_THREAD + thread pool).
 *  - full-duplex engine: cfg->threads event-loop threads (src/net/loop.h)
 *    shared by all listeners; each connection stays on the thread that
 *    accepted it. Keep-alive, pipelining (answered in order), chunked and
 *    Content-Length bodies, Expect: 100-continue, 30 s to send a request
 *    head, 60 s idle keep-alive, unsent output bounded (the socket is not
 *    read while over 1 MiB of reply is waiting for a slow reader).
 *
 * Ownership and threads:
 *  - The route table, media table and consumes list passed to
 *    bs_http_server_start() must outlive the server (they are not copied).
 *  - A bs_http_req_t is owned by the layer. It is valid from the handler call
 *    until the handler's (single) reply; after replying, do not touch it.
 *  - Every request gets exactly one reply. The reply may be sent from the
 *    handler itself, or later from ANY thread (asynchronous reply: the
 *    connection is suspended until then). All accessors may be called from
 *    whichever thread owns the request until it replies.
 *  - Handlers run on the server's I/O threads: they must not block (hand slow
 *    work to another thread and reply from there).
 *  - bs_http_server_stop() answers every request still waiting for an
 *    asynchronous reply with 503 {"error_code":503,...} and lets those
 *    responses go out (up to 2 s). The application may still reply to such a
 *    request afterwards (the reply is dropped and the request freed), but it
 *    must not call any accessor on it once the server is stopped.
 *
 * Forwarding to another instance (follower -> leader) is provided by
 * bs_http_forward() below (synchronous, libcurl; call it from a worker
 * thread, not from a handler).
 */
#ifndef BS_HTTP_H
#define BS_HTTP_H

#include <jansson.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct bs_http_server_s bs_http_server_t;
typedef struct bs_http_req_s bs_http_req_t; /* opaque; valid until replied */

typedef void (*bs_http_handler_fn)(bs_http_req_t *req, void *ctx);

typedef struct bs_http_route_s {
    const char *method;  /* "GET", "POST", "PUT", "DELETE" */
    const char *pattern; /* "/subjects/{subject}/versions/{version}": {name}
                            matches one URL-decoded, non-empty path segment; a
                            trailing "/" on the request is tolerated */
    bs_http_handler_fn fn;
} bs_http_route_t;

/* Streaming routes (opt-in, listed in bs_http_config_t.streams).
 *
 * For a request matching a route whose handler is `fn`, the layer first
 * calls `head` as soon as the request headers have arrived (before the body).
 * `head` either
 *  - returns without doing anything: the request is then served like any
 *    other (body collected up to max_body, then `fn` called); or
 *  - calls bs_http_stream_body() to receive the body chunk by chunk as it
 *    arrives (no max_body limit, nothing buffered by the layer), and then
 *    answers with a streamed response (bs_http_stream_begin/_write/_end) or
 *    with an ordinary reply (bs_http_reply*, e.g. an error).
 *
 * The body callbacks run as the chunks arrive, so the application can act on
 * every piece of the body while the client is still sending. With the
 * full-duplex engine, the streamed response's status line, headers and
 * chunks also go out as they are written, while the body is still arriving
 * (a client may wait for the answer to one piece before sending the next).
 * libmicrohttpd 0.9.75 is half-duplex per connection (a response queued
 * before the request body is complete makes it stop reading the body and
 * close), so with that engine the streamed response starts once the body is
 * complete: what was written before is sent at that point, later writes as
 * they come. */
typedef struct bs_http_stream_route_s {
    bs_http_handler_fn fn;   /* the route's handler (identifies the route) */
    bs_http_handler_fn head; /* called when the headers have arrived */
} bs_http_stream_route_t;

/* A chunk of a streamed body: data[0..len) (len > 0), or the end of the body
 * (data NULL, len 0; aborted = true when the client went away before the
 * body was complete). Called on the connection's I/O thread, in order, never
 * concurrently for one request; the end is reported exactly once. */
typedef void (*bs_http_body_fn)(bs_http_req_t *req, const uint8_t *data, size_t len, bool aborted,
                                void *arg);

/* A media type this service produces, with its server-side quality qs
 * (0 < qs <= 1). Among the types the Accept header allows (q > 0), the choice
 * orders by how specific the matching Accept range is (type/subtype, then
 * type/any, then any/any), then the client's q, then qs; ties go to the
 * earlier entry (JAX-RS 2.0 section 3.8, as Confluent's Jersey does). E.g.
 * {"application/vnd.schemaregistry.v1+json", 1.0},
 * {"application/vnd.schemaregistry+json", 0.9}, {"application/json", 0.5}. */
typedef struct bs_http_media_s {
    const char *type;
    double qs;
} bs_http_media_t;

typedef struct bs_http_config_s {
    const char *listeners;           /* "http://0.0.0.0:8081" — comma-separated list;
                                        empty host = all IPv4 addresses; "[::]" IPv6;
                                        port 0 = ephemeral (see bs_http_server_port) */
    int threads;                     /* I/O threads per listener; <= 0 means 2 */
    const bs_http_media_t *produces; /* at least one entry */
    int nproduces;
    const char *const *consumes; /* request Content-Types accepted for bodies
                                    (parameters such as charset ignored);
                                    "application/octet-stream" in the list is
                                    accepted (treated as JSON); nconsumes == 0
                                    accepts any; a missing Content-Type is
                                    always accepted as JSON */
    int nconsumes;
    size_t max_body;                       /* 0 means 16 MiB */
    const char *service_name;              /* for log lines, e.g. "schema-registry" */
    const bs_http_stream_route_t *streams; /* streaming routes (may be NULL) */
    int nstreams;
    bool full_duplex; /* false: libmicrohttpd engine (half-duplex); true: Basin's
                         own HTTP/1.1 engine (h1.c), which sends a streamed
                         reply while the request body is still arriving */
} bs_http_config_t;

/* Binds every listener and starts serving, or returns NULL with a message in
 * err naming the failing listener. Logs "<service> listening on
 * http://host:port" per listener with the actual port. */
bs_http_server_t *bs_http_server_start(const bs_http_config_t *cfg, const bs_http_route_t *routes,
                                       int nroutes, void *ctx, char *err, size_t errlen);
/* Stops accepting, closes connections, frees the server. NULL is a no-op. */
void bs_http_server_stop(bs_http_server_t *s);
/* Actual port of listener i (0-based, in config order); -1 if no such. */
int bs_http_server_port(bs_http_server_t *s, int i);

/* ---- request accessors (valid until the request is replied to) ---- */

const char *bs_http_method(bs_http_req_t *req);
/* Path as received (still %-encoded, without the query string). */
const char *bs_http_path(bs_http_req_t *req);
/* Raw (still encoded) query string without the '?'; NULL if none. */
const char *bs_http_raw_query(bs_http_req_t *req);
/* URL-decoded value of route parameter {name}; NULL if the route has none. */
const char *bs_http_param(bs_http_req_t *req, const char *name);
/* URL-decoded ('+' = space) value of the first query parameter `name`; ""
 * for "?name" without "="; NULL if absent. */
const char *bs_http_query(bs_http_req_t *req, const char *name);
/* "true" (case-insensitive) = true; absent or anything else = false. */
bool bs_http_query_bool(bs_http_req_t *req, const char *name);
/* Request header (case-insensitive name); NULL if absent. */
const char *bs_http_header(bs_http_req_t *req, const char *name);
/* Request body (not NUL-terminated... but a NUL is stored after it, so it can
 * be handed to string parsers); *len = 0 and a pointer to "" if none. */
const uint8_t *bs_http_body(bs_http_req_t *req, size_t *len);
/* Parses the body as JSON (json_loadb). Returns a new reference, or NULL
 * with jerr filled (jerr may be NULL). */
json_t *bs_http_body_json(bs_http_req_t *req, json_error_t *jerr);
/* The negotiated response media type (one of cfg->produces[].type). */
const char *bs_http_media(bs_http_req_t *req);

/* ---- replies: exactly one per request, from any thread ---- */

/* content_type NULL = the negotiated media type. body is copied. */
void bs_http_reply(bs_http_req_t *req, int status, const char *content_type, const void *body,
                   size_t len);
/* Same plus extra response headers: headers is a NULL-terminated list of
 * name, value, name, value, ... (may be NULL). */
void bs_http_reply_ex(bs_http_req_t *req, int status, const char *content_type, const void *body,
                      size_t len, const char *const *headers);
/* Compact JSON encoding; takes (steals) the reference to body. body NULL
 * sends an empty body. */
void bs_http_reply_json(bs_http_req_t *req, int status, json_t *body);
/* Body {"error_code":error_code,"message":"<formatted>"}. */
void bs_http_reply_error(bs_http_req_t *req, int status, int error_code, const char *fmt, ...)
    __attribute__((format(printf, 4, 5)));

/* ---- streaming (see bs_http_stream_route_t) ---- */

/* From a `head` handler only: delivers the body to cb(req, chunk, arg). */
void bs_http_stream_body(bs_http_req_t *req, bs_http_body_fn cb, void *arg);
/* Starts the streamed response (any thread; instead of a bs_http_reply*):
 * status, content_type NULL = negotiated type, chunked transfer encoding.
 * The request then stays valid until bs_http_stream_end(). */
void bs_http_stream_begin(bs_http_req_t *req, int status, const char *content_type);
/* Appends data to the response (copied; any thread, not concurrently with
 * another call for the same request). Returns 0, or -1 when the client is
 * gone or the server stopped (the data is dropped; still call _end). */
int bs_http_stream_write(bs_http_req_t *req, const void *data, size_t len);
/* Ends the response (last chunk). After this, do not touch req. */
void bs_http_stream_end(bs_http_req_t *req);

/* ---- forwarding (follower -> leader) ---- */

/* Sends req's method, path, query, body, Content-Type and Accept to
 * base_url (e.g. "http://leader:8081") and replies to req with the
 * upstream's status, Content-Type and body. Synchronous (libcurl, timeout
 * timeout_ms, <= 0 means 30 s): call it from a worker thread. On a transport
 * failure it does NOT reply and returns -1 with a message in err, so the
 * caller can choose the error; returns 0 once req has been replied to. */
int bs_http_forward(const char *base_url, bs_http_req_t *req, long timeout_ms, char *err,
                    size_t errlen);

/* ---- pure helpers (exposed for tests, fuzzing and other modules) ---- */

/* Decodes %XX escapes of src[0..len) into dst (capacity >= len + 1), NUL
 * terminated; plus_is_space turns '+' into ' ' (query strings). Returns the
 * decoded length, or -1 on a malformed escape or a decoded NUL byte. */
long bs_http_url_decode(const char *src, size_t len, char *dst, bool plus_is_space);

/* Chooses among produces[0..n) for the Accept header value (NULL or "" =
 * anything). Returns the index, or -1 if nothing acceptable (406). */
int bs_http_negotiate(const char *accept, const bs_http_media_t *produces, int n);

/* true if the Content-Type header value (NULL = absent) is acceptable. */
bool bs_http_content_type_ok(const char *content_type, const char *const *consumes, int n);

#endif
