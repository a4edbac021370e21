/*
 * main.c — the `basin` executable: one binary, one subcommand per service.
 */
#include "base/log.h"
#include "broker/broker.h"
#include "registry/registry.h"
#include "rest/rest.h"
#include "tools/tools.h"
#include "up/up.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifndef BASIN_VERSION
#define BASIN_VERSION "0.1.0"
#endif

static void usage(FILE *out)
{
    fprintf(out,
            "Basin %s — a stream data platform in one binary\n\n"
            "usage: basin <command> [options]\n\n"
            "commands:\n"
            "  broker    run the Kafka-protocol broker (basin broker --help)\n"
            "  registry  run the Schema Registry (basin registry --help)\n"
            "  rest      run the REST Proxy (basin rest --help)\n"
            "  topics    create, list, describe, alter, delete topics\n"
            "  produce   send lines from stdin to a topic\n"
            "  consume   print a topic's records\n"
            "  groups    list, describe, reset offsets of, delete consumer groups\n"
            "  up        run the local platform (broker, registry, ...) supervised\n"
            "  status    report on the services `basin up` runs\n"
            "  version   print the version\n\n"
            "environment: BASIN_LOG_LEVEL=debug|info|warn|error (default info)\n",
            BASIN_VERSION);
}

int main(int argc, char **argv)
{
    const char *lvl = getenv("BASIN_LOG_LEVEL");
    if (lvl) {
        int l = bs_log_level_parse(lvl);
        if (l < 0) {
            fprintf(stderr, "basin: BASIN_LOG_LEVEL=%s is not one of debug, info, warn, error\n",
                    lvl);
            return 2;
        }
        bs_log_set_level((bs_log_level_t)l);
    }
    if (argc < 2) {
        usage(stderr);
        return 2;
    }
    const char *cmd = argv[1];
    if (strcmp(cmd, "--help") == 0 || strcmp(cmd, "-h") == 0 || strcmp(cmd, "help") == 0) {
        usage(stdout);
        return 0;
    }
    if (strcmp(cmd, "version") == 0 || strcmp(cmd, "--version") == 0) {
        printf("basin %s\n", BASIN_VERSION);
        return 0;
    }
    if (strcmp(cmd, "broker") == 0)
        return bs_broker_main(argc - 2, argv + 2);
    if (strcmp(cmd, "registry") == 0)
        return bs_registry_main(argc - 2, argv + 2);
    if (strcmp(cmd, "rest") == 0)
        return bs_rest_main(argc - 2, argv + 2);
    if (strcmp(cmd, "topics") == 0)
        return bs_tools_topics_main(argc - 2, argv + 2);
    if (strcmp(cmd, "produce") == 0)
        return bs_tools_produce_main(argc - 2, argv + 2);
    if (strcmp(cmd, "consume") == 0)
        return bs_tools_consume_main(argc - 2, argv + 2);
    if (strcmp(cmd, "groups") == 0)
        return bs_tools_groups_main(argc - 2, argv + 2);
    if (strcmp(cmd, "up") == 0)
        return bs_up_main(argc - 2, argv + 2);
    if (strcmp(cmd, "status") == 0)
        return bs_up_status_main(argc - 2, argv + 2);
    fprintf(stderr, "basin: unknown command '%s'\n\n", cmd);
    usage(stderr);
    return 2;
}
