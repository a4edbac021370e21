/*
 * handler.h — small helpers shared by the API handler files
 * (handler_*.c): arena-backed arrays and strings for building responses.
 */
#ifndef BS_HANDLER_H
#define BS_HANDLER_H

#include "broker/broker.h"

#include <stdarg.h>
#include <stdio.h>

/* n zeroed elements of Type from the request arena (at least one, so the
 * pointer is never NULL). Callers still run the generated _init on each. */
#define BS_ARR(req, Type, n)                                                                       \
    ((Type *)bs_arena_calloc((req)->arena, sizeof(Type) * (size_t)((n) > 0 ? (n) : 1)))

/* A string copied into the request arena. */
static inline bs_kstr_t bs_req_str(bs_req_t *req, const char *s)
{
    bs_kstr_t k = {NULL, -1};
    if (s) {
        size_t n = strlen(s);
        k.ptr = bs_arena_strndup(req->arena, s, n);
        k.len = (int32_t)n;
    }
    return k;
}

__attribute__((format(printf, 2, 3))) static inline bs_kstr_t bs_req_strf(bs_req_t *req,
                                                                          const char *fmt, ...)
{
    char buf[1024];
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(buf, sizeof(buf), fmt, ap);
    va_end(ap);
    return bs_req_str(req, buf);
}

/* NUL-terminated copy of a wire string in the request arena ("" for null). */
static inline char *bs_req_cstr(bs_req_t *req, bs_kstr_t s)
{
    return bs_arena_strndup(req->arena, s.ptr ? s.ptr : "", s.len > 0 ? (size_t)s.len : 0);
}

/* Decodes the request body into *m with the generated decoder; returns
 * BS_ERR__PARSE (rd.err set) when the body is malformed. */
#define BS_DECODE(req, Type, m)                                                                    \
    (bs_##Type##_decode((m), &(req)->rd, (req)->api_version, (req)->arena) < 0 ? BS_ERR__PARSE     \
                                                                               : BS_ERR_NONE)

/* Finds or (when allowed) auto-creates a topic; NULL if absent. */
bs_topic_t *bs_topic_get_or_autocreate(bs_broker_t *b, bs_kstr_t name, bool allow_auto,
                                       bs_err_t *err);

#endif
