/*
 * h1parse.h — pure HTTP/1.1 request parsing for Basin's own HTTP engine
 * (h1.c): finding the end of a request head as bytes trickle in, parsing the
 * head (request line + header fields, RFC 9112 sections 2-5), and decoding a
 * chunked body (RFC 9112 section 7.1). No I/O, no allocation: the caller owns
 * every buffer. Every failure carries an HTTP status (400, 431, 501, 505,
 * 417) and a message naming the problem and its byte offset.
 */
#ifndef BS_H1PARSE_H
#define BS_H1PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#define BS_H1_MAX_HEAD    8192 /* request line + headers, bytes (Jetty's default) */
#define BS_H1_MAX_HEADERS 100  /* header fields per request */

typedef struct bs_h1_header_s {
    const char *name; /* NUL-terminated, inside the parsed buffer */
    const char *value;
} bs_h1_header_t;

typedef struct bs_h1_head_s {
    const char *method; /* NUL-terminated, inside the parsed buffer */
    const char *target; /* request-target as sent (origin-form "/path?query") */
    size_t target_len;
    int minor;              /* HTTP/1.<minor>: 0 or 1 */
    int64_t content_length; /* -1 when absent */
    bool chunked;           /* Transfer-Encoding ends with "chunked" */
    bool conn_close;        /* Connection: close */
    bool conn_keep_alive;   /* Connection: keep-alive */
    bool expect_continue;   /* Expect: 100-continue */
    int nheaders;
    bs_h1_header_t h[BS_H1_MAX_HEADERS];
} bs_h1_head_t;

/* Looks for the blank line ending a head in buf[0..len). *scan is where the
 * previous call stopped (start with 0; the caller keeps it between calls as
 * more bytes are appended), so a head arriving byte by byte is scanned once.
 * Returns the head's length including the blank line, or 0 if not complete
 * yet. Both CRLF and a bare LF end a line. */
size_t bs_h1_head_end(const uint8_t *buf, size_t len, size_t *scan);

/* Parses a complete head buf[0..len) (as delimited by bs_h1_head_end) in
 * place: names and values are NUL-terminated inside buf, so buf must stay
 * alive as long as `out` is used. Returns 0, or an HTTP status (400, 431,
 * 501, 505, 417) with a message in err. */
int bs_h1_parse_head(char *buf, size_t len, bs_h1_head_t *out, char *err, size_t errlen);

/* Case-insensitive lookup of a parsed header; NULL if absent (first one
 * wins when repeated). */
const char *bs_h1_header(const bs_h1_head_t *h, const char *name);

/* ---- chunked body decoder ---- */

enum {
    BS_H1_CHUNK_MORE = 0, /* all input consumed, need more */
    BS_H1_CHUNK_DATA = 1, /* a piece of body in (*data, *dlen) */
    BS_H1_CHUNK_DONE = 2, /* last chunk and trailers consumed */
    BS_H1_CHUNK_ERROR = -1,
};

typedef struct bs_h1_chunked_s {
    int state;
    uint64_t left;   /* bytes of the current chunk still to come */
    uint32_t digits; /* hex digits of the size seen so far */
    uint32_t linelen;
    uint32_t trailer; /* trailer bytes seen so far */
    uint64_t offset;  /* encoded bytes consumed so far, for messages */
} bs_h1_chunked_t;

void bs_h1_chunked_init(bs_h1_chunked_t *d);
/* Decodes from in[0..len): sets *used to the bytes consumed, and returns
 * BS_H1_CHUNK_DATA with (*data, *dlen) pointing into `in`, or MORE (all of
 * in consumed), DONE (the body ended after *used bytes; what follows is the
 * next request), or ERROR with a message in err. Call again with the rest. */
int bs_h1_chunked_step(bs_h1_chunked_t *d, const uint8_t *in, size_t len, size_t *used,
                       const uint8_t **data, size_t *dlen, char *err, size_t errlen);

#endif
