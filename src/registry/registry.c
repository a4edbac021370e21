/*
 * registry.c — the `basin registry` service: configuration, start-up order,
 * the write queue and its writer thread, leadership state, shutdown.
 *
 * Start-up: load config -> open the store (topic checked/created, consumer
 * replaying from offset 0) -> read to the end of the topic -> leadership
 * (single instance: leader when eligible; with the election client: as
 * elected) -> HTTP server -> wait for SIGINT/SIGTERM.
 *
 * Writes: a handler that must write enqueues a job (bs_reg_enqueue); the
 * writer thread runs jobs one at a time, in arrival order:
 *
 *   leader, ready      -> job->fn (validates against the model, writes the
 *                         record, waits for read-back, replies)
 *   leader, not ready  -> sync (NOOP read back) first, then as above
 *   follower, known    -> bs_http_forward to the leader (50003 on failure)
 *   no leader known    -> 50004
 *
 * Running writes one at a time makes id and version assignment race-free:
 * the model the writer reads already contains every write it acknowledged.
 */
#include "registry/registry.h"

#include <errno.h>
#include <signal.h>
#include <time.h>
#include <unistd.h>
#include <stdlib.h>
#include <string.h>

#include "base/arena.h"
#include "base/log.h"
#include "registry/registry_int.h"

/* How long a write waits for the election to name a leader before 50004. */
#define LEADER_WAIT_MS 10000
/* Bound on one forwarded write (the leader itself waits kafkastore.timeout.ms). */
#define FORWARD_TIMEOUT_MS 15000
/* Longest clean shutdown before the process exits anyway. */
#define SHUTDOWN_LIMIT_S 8

static const bs_http_media_t g_produces[] = {
    {"application/vnd.schemaregistry.v1+json", 1.0},
    {"application/vnd.schemaregistry+json", 0.9},
    {"application/json", 0.5},
};
static const char *const g_consumes[] = {
    "application/vnd.schemaregistry.v1+json",
    "application/vnd.schemaregistry+json",
    "application/json",
    "application/octet-stream",
};

void bs_reg_enqueue(bs_registry_t *r, bs_http_req_t *req, bs_reg_job_fn fn, void *arg,
                    void (*free_arg)(void *))
{
    bs_reg_job_t *j = bs_xcalloc(1, sizeof *j);
    j->req = req;
    j->fn = fn;
    j->arg = arg;
    j->free_arg = free_arg;
    if (!bs_jobq_push(&r->q, &j->link)) {
        bs_http_reply_error(req, 500, 50001, "The registry is shutting down");
        if (free_arg)
            free_arg(arg);
        free(j);
    }
}

void bs_reg_set_leader(bs_registry_t *r, bool self, const char *url)
{
    pthread_mutex_lock(&r->leader_mu);
    bool was = r->is_leader;
    char *old = r->leader_url;
    r->is_leader = self;
    if (!self || !was)
        r->leader_ready = false;
    r->leader_url = url && !self ? bs_xstrdup(url) : NULL;
    pthread_cond_broadcast(&r->leader_cond);
    pthread_mutex_unlock(&r->leader_mu);
    if (self != was || (old == NULL) != (url == NULL) || (old && url && strcmp(old, url) != 0))
        bs_log_info("registry", "leader: %s", self ? "this instance" : url ? url : "unknown");
    free(old);
}

/* Waits (bounded) until some instance is known to be the leader: right
 * after start-up or during a rebalance the election has not decided yet. */
static void wait_for_leader(bs_registry_t *r, int timeout_ms)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += timeout_ms / 1000;
    ts.tv_nsec += (long)(timeout_ms % 1000) * 1000000L;
    if (ts.tv_nsec >= 1000000000L) {
        ts.tv_sec++;
        ts.tv_nsec -= 1000000000L;
    }
    pthread_mutex_lock(&r->leader_mu);
    while (!r->is_leader && !r->leader_url &&
           pthread_cond_timedwait(&r->leader_cond, &r->leader_mu, &ts) != ETIMEDOUT)
        ;
    pthread_mutex_unlock(&r->leader_mu);
}

static void run_job(bs_registry_t *r, bs_reg_job_t *j)
{
    char err[512];
    wait_for_leader(r, LEADER_WAIT_MS);
    pthread_mutex_lock(&r->leader_mu);
    bool leader = r->is_leader, ready = r->leader_ready;
    char *url = r->leader_url ? bs_xstrdup(r->leader_url) : NULL;
    pthread_mutex_unlock(&r->leader_mu);

    if (leader && !ready) {
        /* a new leader first reads everything the previous one wrote */
        if (bs_reg_store_sync(r->store, r->cfg->init_timeout_ms, err, sizeof err) != 0) {
            bs_http_reply_error(j->req, 500, 50002, "The leader could not read the store: %s", err);
            goto done;
        }
        pthread_mutex_lock(&r->leader_mu);
        if (r->is_leader)
            r->leader_ready = true;
        pthread_mutex_unlock(&r->leader_mu);
    }
    if (leader) {
        j->fn(r, j->req, j->arg);
    } else if (url) {
        if (bs_http_forward(url, j->req, FORWARD_TIMEOUT_MS, err, sizeof err) != 0)
            bs_http_reply_error(j->req, 500, 50003,
                                "Error while forwarding the request to the leader %s: %s", url,
                                err);
    } else {
        bs_http_reply_error(j->req, 500, 50004, "Leader not known.");
    }
done:
    free(url);
}

static void *writer_main(void *arg)
{
    bs_registry_t *r = arg;
    bool stop;
    bs_job_t *l;
    while ((l = bs_jobq_pop(&r->q, &stop)) != NULL) { /* NULL: stopped and drained */
        bs_reg_job_t *j = (bs_reg_job_t *)l;
        if (stop)
            bs_http_reply_error(j->req, 500, 50001, "The registry is shutting down");
        else
            run_job(r, j);
        if (j->free_arg)
            j->free_arg(j->arg);
        free(j);
    }
    return NULL;
}

/* Bounds shutdown: everything durable is in Kafka already, so if leaving
 * the group or closing the Kafka clients hangs (an unreachable cluster),
 * exiting without them loses nothing. */
static void *shutdown_watchdog(void *arg)
{
    (void)arg;
    sleep(SHUTDOWN_LIMIT_S);
    bs_log_warn("registry", "shutdown did not finish within %d s; exiting now", SHUTDOWN_LIMIT_S);
    _exit(0);
    return NULL;
}

static void reg_parsed_free(void *p)
{
    bs_avro_schema_free(p);
}

int bs_registry_main(int argc, char **argv)
{
    int rc = 1;
    char err[1024];
    bs_reg_config_t cfg;
    bs_registry_t *r = bs_xcalloc(1, sizeof *r);
    sigset_t sigs;

    bs_reg_config_init(&cfg);
    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            bs_reg_config_usage(stdout);
            rc = 0;
            goto out;
        }
        if (strcmp(argv[i], "--print-config-docs") == 0) {
            rc = bs_reg_config_print_docs(stdout) == 0 ? 0 : 1;
            goto out;
        }
    }
    if (bs_reg_config_load_args(&cfg, argc, argv, err, sizeof err) != 0) {
        bs_log_error("registry", "configuration: %s", err);
        rc = 2;
        goto out;
    }
    r->cfg = &cfg;
    bs_reg_model_init(&r->model);
    r->model.parsed_free = reg_parsed_free;
    pthread_mutex_init(&r->leader_mu, NULL);
    pthread_cond_init(&r->leader_cond, NULL);
    bs_jobq_init(&r->q);

    /* every thread created from here on inherits the blocked signals */
    sigemptyset(&sigs);
    sigaddset(&sigs, SIGINT);
    sigaddset(&sigs, SIGTERM);
    pthread_sigmask(SIG_BLOCK, &sigs, NULL);
    signal(SIGPIPE, SIG_IGN);

    bs_log_info("registry",
                "Basin Schema Registry starting: REST API on %s, store %s (topic %s), "
                "identity %s, leader eligible: %s",
                cfg.listeners, cfg.bootstrap, cfg.topic, cfg.self_url,
                cfg.leader_eligibility ? "yes" : "no");
    bs_reg_config_log(&cfg);

    r->store = bs_reg_store_open(&cfg, &r->model, err, sizeof err);
    if (!r->store) {
        bs_log_error("registry", "schema store: %s", err);
        goto out;
    }
    if (bs_reg_store_caught_up(r->store, cfg.init_timeout_ms, err, sizeof err) != 0) {
        bs_log_error("registry", "schema store: %s", err);
        goto out;
    }
    pthread_rwlock_rdlock(&r->model.lock);
    bs_log_info("registry",
                "read %s to offset %lld: %zu subjects, %zu schemas, highest id %d (%llu records, "
                "%llu skipped)",
                cfg.topic, (long long)r->model.applied, bs_hmap_count(&r->model.subjects),
                bs_hmap_count(&r->model.by_id), (int)r->model.max_id,
                (unsigned long long)r->model.records, (unsigned long long)r->model.rejected);
    pthread_rwlock_unlock(&r->model.lock);

    if (pthread_create(&r->writer, NULL, writer_main, r) != 0) {
        bs_log_error("registry", "cannot start the writer thread");
        goto out;
    }
    r->writer_started = true;

    if (bs_reg_election_start(r, err, sizeof err) != 0) {
        bs_log_error("registry", "leader election: %s", err);
        goto out;
    }

    bs_http_config_t hc = {
        .listeners = cfg.listeners,
        .threads = cfg.http_threads,
        .produces = g_produces,
        .nproduces = 3,
        .consumes = g_consumes,
        .nconsumes = 4,
        .max_body = (size_t)cfg.max_schema_bytes * 2 + 65536,
        .service_name = "schema-registry",
    };
    r->http = bs_http_server_start(&hc, bs_reg_routes, bs_reg_nroutes, r, err, sizeof err);
    if (!r->http) {
        bs_log_error("registry", "REST API: %s", err);
        goto out;
    }
    bs_log_info("registry", "Schema Registry ready on %s", cfg.listeners);

    int sig = 0;
    sigwait(&sigs, &sig);
    bs_log_info("registry", "signal %d: shutting down", sig);
    pthread_t wd;
    if (pthread_create(&wd, NULL, shutdown_watchdog, NULL) == 0)
        pthread_detach(wd);
    rc = 0;
out:
    bs_reg_election_stop(r);
    if (r->writer_started) {
        bs_jobq_stop(&r->q);
        pthread_join(r->writer, NULL);
    }
    bs_http_server_stop(r->http);
    bs_reg_store_close(r->store);
    if (r->cfg) {
        bs_reg_model_free(&r->model);
        pthread_mutex_destroy(&r->leader_mu);
        pthread_cond_destroy(&r->leader_cond);
        bs_jobq_destroy(&r->q);
        free(r->leader_url);
    }
    free(r);
    bs_reg_config_free(&cfg);
    return rc;
}
