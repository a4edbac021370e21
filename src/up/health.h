/*
 * health.h — liveness probes `basin up` and `basin status` use on loopback
 * services: a Kafka ApiVersions round trip and an HTTP GET. Each is bounded
 * by timeout_ms and never blocks longer; on failure err says why
 * ("connection refused", "no answer within 500 ms", "HTTP status 503").
 */
#ifndef BS_UP_HEALTH_H
#define BS_UP_HEALTH_H

#include <stddef.h>

/* 0 when host:port answers an ApiVersions v0 request without error. */
int bs_up_health_kafka(const char *host, int port, int timeout_ms, char *err, size_t errlen);
/* 0 when GET `path` on host:port answers with a 2xx status. */
int bs_up_health_http(const char *host, int port, const char *path, int timeout_ms, char *err,
                      size_t errlen);
/* 1 when something accepts TCP connections on host:port, else 0. */
int bs_up_port_in_use(const char *host, int port);

#endif
