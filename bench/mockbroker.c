/*
 * mockbroker — starts librdkafka's in-process mock cluster (one broker) and
 * prints its bootstrap address, for developing test and benchmark clients
 * without a real broker. Topics are created from the arguments.
 *
 * usage: mockbroker [TOPIC:PARTITIONS ...]
 * Prints "bootstrap HOST:PORT", then runs until stdin closes or SIGTERM.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <librdkafka/rdkafka.h>
#include <librdkafka/rdkafka_mock.h>

static volatile sig_atomic_t stop;

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

int main(int argc, char **argv)
{
    char err[512];
    rd_kafka_conf_t *conf = rd_kafka_conf_new();
    rd_kafka_t *rk = rd_kafka_new(RD_KAFKA_PRODUCER, conf, err, sizeof(err));
    if (!rk) {
        fprintf(stderr, "mockbroker: rd_kafka_new: %s\n", err);
        return 1;
    }
    rd_kafka_mock_cluster_t *mc = rd_kafka_mock_cluster_new(rk, 1);
    if (!mc) {
        fprintf(stderr, "mockbroker: rd_kafka_mock_cluster_new failed\n");
        return 1;
    }
    for (int i = 1; i < argc; i++) {
        char topic[256];
        snprintf(topic, sizeof(topic), "%s", argv[i]);
        char *colon = strrchr(topic, ':');
        int parts = 1;
        if (colon) {
            *colon = '\0';
            parts = atoi(colon + 1);
        }
        rd_kafka_resp_err_t e = rd_kafka_mock_topic_create(mc, topic, parts, 1);
        if (e) {
            fprintf(stderr, "mockbroker: create %s: %s\n", topic, rd_kafka_err2str(e));
            return 1;
        }
    }
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);
    printf("bootstrap %s\n", rd_kafka_mock_cluster_bootstraps(mc));
    fflush(stdout);
    char buf[256];
    while (!stop && read(0, buf, sizeof(buf)) > 0)
        ;
    rd_kafka_mock_cluster_destroy(mc);
    rd_kafka_destroy(rk);
    return 0;
}
