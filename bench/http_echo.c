/*
 * http_echo.c — tiny server on the shared HTTP layer for bench/http_bench.sh:
 * answers GET /schemas/ids/{id} with a fixed ~200-byte JSON schema body
 * (the shape of a Schema Registry answer), negotiated like the registry.
 *
 * usage: http_echo [listener (default http://127.0.0.1:18081)] [threads (2)]
 *        http_echo --print-body   (writes the body, for the nginx side)
 * Runs until SIGINT/SIGTERM.
 */
#include "http/http.h"

#include "base/log.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

/* keep identical to the file http_bench.sh gives nginx */
static const char BODY[] = /* 181 bytes */
    "{\"schema\":\"{\\\"type\\\":\\\"record\\\",\\\"name\\\":\\\"Payment\\\",\\\"namespace\\\":"
    "\\\"io.basin.bench\\\",\\\"fields\\\":[{\\\"name\\\":\\\"id\\\",\\\"type\\\":\\\"string\\\"},"
    "{\\\"name\\\":\\\"amount\\\",\\\"type\\\":\\\"double\\\"}]}\"}";

static volatile sig_atomic_t stop;
static void on_signal(int sig)
{
    (void)sig, stop = 1;
}

static void get_schema(bs_http_req_t *req, void *ctx)
{
    (void)ctx;
    const char *id = bs_http_param(req, "id");
    if (!id || strcmp(id, "1") != 0) {
        bs_http_reply_error(req, 404, 40403, "Schema %s not found", id ? id : "");
        return;
    }
    bs_http_reply(req, 200, NULL, BODY, sizeof BODY - 1);
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--print-body") == 0) {
        fwrite(BODY, 1, sizeof BODY - 1, stdout);
        return 0;
    }
    static const bs_http_media_t produces[] = {
        {"application/vnd.schemaregistry.v1+json", 1.0},
        {"application/vnd.schemaregistry+json", 0.9},
        {"application/json", 0.5},
    };
    static const char *const consumes[] = {"application/vnd.schemaregistry.v1+json",
                                           "application/vnd.schemaregistry+json",
                                           "application/json", "application/octet-stream"};
    static const bs_http_route_t routes[] = {{"GET", "/schemas/ids/{id}", get_schema}};
    bs_http_config_t cfg = {
        .listeners = argc > 1 ? argv[1] : "http://127.0.0.1:18081",
        .threads = argc > 2 ? atoi(argv[2]) : 2,
        .produces = produces,
        .nproduces = 3,
        .consumes = consumes,
        .nconsumes = 4,
        .service_name = "http-echo",
    };
    char err[512];
    signal(SIGINT, on_signal);
    signal(SIGTERM, on_signal);
    bs_http_server_t *s = bs_http_server_start(&cfg, routes, 1, NULL, err, sizeof err);
    if (!s) {
        fprintf(stderr, "%s\n", err);
        return 1;
    }
    while (!stop)
        pause();
    bs_http_server_stop(s);
    return 0;
}
