/*
 * http.c — placeholder so that the API in http.h links while the
 * libmicrohttpd implementation is written (next commit replaces this file).
 */
#include "http/http.h"

#include <stdio.h>

bs_http_server_t *bs_http_server_start(const bs_http_config_t *cfg, const bs_http_route_t *routes,
                                       int nroutes, void *ctx, char *err, size_t errlen)
{
    (void)cfg, (void)routes, (void)nroutes, (void)ctx;
    snprintf(err, errlen, "http: server not implemented yet");
    return NULL;
}
void bs_http_server_stop(bs_http_server_t *s)
{
    (void)s;
}
int bs_http_server_port(bs_http_server_t *s, int i)
{
    return (void)s, (void)i, -1;
}
const char *bs_http_method(bs_http_req_t *req)
{
    return (void)req, NULL;
}
const char *bs_http_path(bs_http_req_t *req)
{
    return (void)req, NULL;
}
const char *bs_http_param(bs_http_req_t *req, const char *n)
{
    return (void)req, (void)n, NULL;
}
const char *bs_http_query(bs_http_req_t *req, const char *n)
{
    return (void)req, (void)n, NULL;
}
bool bs_http_query_bool(bs_http_req_t *req, const char *n)
{
    return (void)req, (void)n, false;
}
const char *bs_http_header(bs_http_req_t *req, const char *n)
{
    return (void)req, (void)n, NULL;
}
const uint8_t *bs_http_body(bs_http_req_t *req, size_t *len)
{
    (void)req;
    *len = 0;
    return (const uint8_t *)"";
}
json_t *bs_http_body_json(bs_http_req_t *req, json_error_t *jerr)
{
    return (void)req, (void)jerr, NULL;
}
const char *bs_http_media(bs_http_req_t *req)
{
    return (void)req, NULL;
}
void bs_http_reply(bs_http_req_t *req, int status, const char *ct, const void *body, size_t len)
{
    (void)req, (void)status, (void)ct, (void)body, (void)len;
}
void bs_http_reply_ex(bs_http_req_t *req, int status, const char *ct, const void *body, size_t len,
                      const char *const *headers)
{
    (void)req, (void)status, (void)ct, (void)body, (void)len, (void)headers;
}
void bs_http_reply_json(bs_http_req_t *req, int status, json_t *body)
{
    (void)req, (void)status;
    json_decref(body);
}
void bs_http_reply_error(bs_http_req_t *req, int status, int error_code, const char *fmt, ...)
{
    (void)req, (void)status, (void)error_code, (void)fmt;
}
int bs_http_forward(const char *base_url, bs_http_req_t *req, long timeout_ms, char *err,
                    size_t errlen)
{
    (void)base_url, (void)req, (void)timeout_ms;
    snprintf(err, errlen, "http: forwarding not implemented yet");
    return -1;
}
long bs_http_url_decode(const char *src, size_t len, char *dst, bool plus_is_space)
{
    (void)src, (void)len, (void)dst, (void)plus_is_space;
    return -1;
}
int bs_http_negotiate(const char *accept, const bs_http_media_t *produces, int n)
{
    return (void)accept, (void)produces, n > 0 ? 0 : -1;
}
bool bs_http_content_type_ok(const char *content_type, const char *const *consumes, int n)
{
    return (void)content_type, (void)consumes, (void)n, true;
}
