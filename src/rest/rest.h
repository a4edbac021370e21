/*
 * rest.h — `basin rest`: the REST Proxy service (Confluent REST Proxy API v2
 * and v3 over HTTP+JSON, default port 8082). See rest.c for the threads and
 * start-up order, rest_config.h for the settings.
 */
#ifndef BS_REST_H
#define BS_REST_H

/* argv after "rest": [kafka-rest.properties] [--override key=value ...],
 * --help, --print-config-docs. Runs until SIGINT/SIGTERM. Returns the exit
 * status (0 clean stop, 2 bad configuration, 1 other failure). */
int bs_rest_main(int argc, char **argv);

#endif
