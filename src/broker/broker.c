/*
 * broker.c — `basin broker`: start-up, shutdown and periodic work.
 *
 * Start-up order: load configuration (file + --override) -> open each log
 * dir (meta.properties with cluster.id and node.id, the clean-shutdown
 * marker) -> load topics and open their logs (recovering after an unclean
 * stop) -> bind listeners -> run the event loop. SIGTERM/SIGINT stop the loop;
 * shutdown closes connections, flushes and closes logs and writes the
 * clean-shutdown marker so the next start skips recovery.
 */
#include "broker/broker.h"
#include "broker/cleaner.h"
#include "broker/group.h"
#include "broker/txn.h"

#include "base/log.h"

#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#define CLEAN_MARKER ".kafka_cleanshutdown"

int bs_server_listen(bs_broker_t *b, bs_listen_t *l);
void bs_server_close_all(bs_broker_t *b);
void bs_sync_start(bs_broker_t *b);
void bs_sync_stop(bs_broker_t *b);

static bs_broker_t *g_broker;

static void on_signal(int sig)
{
    (void)sig;
    if (g_broker)
        bs_loop_stop(g_broker->loop);
}

static int mkdir_p(const char *path)
{
    char tmp[4096];
    snprintf(tmp, sizeof(tmp), "%s", path);
    for (char *p = tmp + 1; *p; p++) {
        if (*p == '/') {
            *p = '\0';
            if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
                return -1;
            *p = '/';
        }
    }
    if (mkdir(tmp, 0755) < 0 && errno != EEXIST)
        return -1;
    return 0;
}

/* A random cluster id in Kafka's format: 16 random bytes, base64url, no padding. */
static void gen_cluster_id(char *out, size_t len)
{
    static const char a[] = "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_";
    unsigned char r[16];
    int fd = open("/dev/urandom", O_RDONLY | O_CLOEXEC);
    if (fd < 0 || read(fd, r, sizeof(r)) != (ssize_t)sizeof(r)) {
        for (int i = 0; i < 16; i++)
            r[i] = (unsigned char)(rand() ^ (int)getpid() ^ i * 37);
    }
    if (fd >= 0)
        close(fd);
    size_t o = 0;
    unsigned int acc = 0;
    int bits = 0;
    for (int i = 0; i < 16 && o + 1 < len; i++) {
        acc = (acc << 8) | r[i];
        bits += 8;
        while (bits >= 6 && o + 1 < len) {
            out[o++] = a[(acc >> (bits - 6)) & 63];
            bits -= 6;
        }
    }
    if (bits > 0 && o + 1 < len)
        out[o++] = a[(acc << (6 - bits)) & 63];
    out[o] = '\0';
}

typedef struct {
    char cluster_id[64];
    int node_id;
    int have_node;
} meta_props_t;

static int meta_cb(void *opaque, const char *key, const char *value, int lineno)
{
    meta_props_t *m = opaque;
    (void)lineno;
    if (strcmp(key, "cluster.id") == 0)
        snprintf(m->cluster_id, sizeof(m->cluster_id), "%s", value);
    else if (strcmp(key, "node.id") == 0 || strcmp(key, "broker.id") == 0) {
        m->node_id = atoi(value);
        m->have_node = 1;
    }
    return 0;
}

/* Reads or creates meta.properties in every log dir; all must agree. */
static int open_log_dirs(bs_broker_t *b)
{
    const bs_broker_config_t *cfg = b->cfg;
    char path[4096], err[256];

    b->cluster_id[0] = '\0';
    if (cfg->cluster_id)
        snprintf(b->cluster_id, sizeof(b->cluster_id), "%s", cfg->cluster_id);
    b->recovering = false;
    for (int i = 0; i < cfg->log_dirs_count; i++) {
        const char *d = cfg->log_dirs[i];
        if (mkdir_p(d) < 0) {
            bs_log_error("broker", "cannot create log dir %s: %s", d, strerror(errno));
            return -1;
        }
        snprintf(path, sizeof(path), "%s/meta.properties", d);
        meta_props_t m = {0};
        if (access(path, F_OK) == 0) {
            if (bs_props_parse_file(path, meta_cb, &m, err, sizeof(err)) < 0) {
                bs_log_error("broker", "%s: %s", path, err);
                return -1;
            }
            if (m.have_node && m.node_id != b->node_id) {
                bs_log_error("broker",
                             "%s belongs to node.id %d but this broker is node.id %d; "
                             "use that node.id or another log.dirs",
                             path, m.node_id, b->node_id);
                return -1;
            }
            if (m.cluster_id[0]) {
                if (b->cluster_id[0] && strcmp(b->cluster_id, m.cluster_id) != 0) {
                    bs_log_error("broker", "%s has cluster.id %s but %s was expected", path,
                                 m.cluster_id, b->cluster_id);
                    return -1;
                }
                snprintf(b->cluster_id, sizeof(b->cluster_id), "%s", m.cluster_id);
            }
        }
        snprintf(path, sizeof(path), "%s/" CLEAN_MARKER, d);
        int had_marker = access(path, F_OK) == 0;
        /* a log dir holding partitions but no marker was not shut down cleanly */
        snprintf(path, sizeof(path), "%s/meta.properties", d);
        if (!had_marker && access(path, F_OK) == 0)
            b->recovering = true;
    }
    if (!b->cluster_id[0])
        gen_cluster_id(b->cluster_id, sizeof(b->cluster_id));
    for (int i = 0; i < cfg->log_dirs_count; i++) {
        const char *d = cfg->log_dirs[i];
        char nid[16];
        snprintf(nid, sizeof(nid), "%d", b->node_id);
        const char *keys[] = {"version", "cluster.id", "node.id"};
        const char *vals[] = {"1", b->cluster_id, nid};
        snprintf(path, sizeof(path), "%s/meta.properties", d);
        if (bs_props_write_atomic(path, keys, vals, 3, err, sizeof(err)) < 0) {
            bs_log_error("broker", "cannot write %s: %s", path, err);
            return -1;
        }
        /* the marker is removed while we run and written again on clean stop */
        snprintf(path, sizeof(path), "%s/" CLEAN_MARKER, d);
        unlink(path);
        bs_log_info("broker", "log dir %s (cluster.id %s, node.id %d)", d, b->cluster_id,
                    b->node_id);
    }
    return 0;
}

static void write_clean_markers(bs_broker_t *b)
{
    char path[4096];
    for (int i = 0; i < b->cfg->log_dirs_count; i++) {
        snprintf(path, sizeof(path), "%s/" CLEAN_MARKER, b->cfg->log_dirs[i]);
        int fd = open(path, O_CREAT | O_WRONLY | O_TRUNC | O_CLOEXEC, 0644);
        if (fd >= 0) {
            fsync(fd);
            close(fd);
        }
        int dfd = open(b->cfg->log_dirs[i], O_RDONLY | O_DIRECTORY | O_CLOEXEC);
        if (dfd >= 0) {
            fsync(dfd);
            close(dfd);
        }
    }
}

static void retention_cb(bs_loop_t *loop, bs_timer_t *t)
{
    bs_broker_t *b = t->ctx;
    int64_t now = bs_wall_ms();
    int deleted = 0;
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&b->topics, &it, &e)) {
        bs_topic_t *tp = e->val;
        for (int i = 0; i < tp->npart; i++) {
            bs_partition_t *p = tp->parts[i];
            deleted += bs_plog_enforce_retention(p->log, now);
            if (p->pids_loaded)
                bs_pidstate_expire(&p->pids, now, b->cfg->producer_id_expiration_ms);
        }
    }
    if (deleted > 0)
        bs_log_info("retention", "deleted %d log segment(s)", deleted);
    bs_loop_timer_arm(loop, t, b->cfg->log_retention_check_interval_ms);
}

/* log.flush.interval.ms: hands every partition with unsynced data to the
 * fsync worker (the loop thread never blocks on fsync). Armed only when the
 * interval is set (Kafka's default is never). */
static void flush_cb(bs_loop_t *loop, bs_timer_t *t)
{
    bs_broker_t *b = t->ctx;
    size_t it = 0;
    const bs_hmap_ent_t *e;
    while (bs_hmap_next(&b->topics, &it, &e)) {
        bs_topic_t *tp = e->val;
        for (int i = 0; i < tp->npart; i++)
            if (bs_plog_durable_offset(tp->parts[i]->log) < bs_plog_end_offset(tp->parts[i]->log))
                bs_sync_enqueue(b, tp->parts[i]);
    }
    bs_loop_timer_arm(loop, t, b->cfg->log_flush_interval_ms);
}

static void txn_timer_cb(bs_loop_t *loop, bs_timer_t *t)
{
    bs_broker_t *b = t->ctx;
    bs_txn_expire(b, bs_wall_ms());
    bs_loop_timer_arm(loop, t, 1000);
}

static const char *advertised_host(const char *host, char *buf, size_t len)
{
    if (host && host[0])
        return host;
    if (gethostname(buf, len) == 0 && buf[0])
        return buf;
    return "localhost";
}

static int setup_listeners(bs_broker_t *b)
{
    const bs_broker_config_t *cfg = b->cfg;
    char hn[256];
    b->nlisteners = cfg->listener_count;
    b->listeners = bs_xcalloc((size_t)b->nlisteners, sizeof(*b->listeners));
    for (int i = 0; i < b->nlisteners; i++) {
        bs_listen_t *l = &b->listeners[i];
        l->name = cfg->listener_list[i].name;
        l->host = cfg->listener_list[i].host;
        l->port = cfg->listener_list[i].port;
        if (bs_server_listen(b, l) < 0)
            return -1;
        const bs_listener_t *adv = NULL;
        for (int j = 0; j < cfg->advertised_count; j++)
            if (strcmp(cfg->advertised_list[j].name, l->name) == 0)
                adv = &cfg->advertised_list[j];
        l->adv_host = bs_xstrdup(advertised_host(adv ? adv->host : l->host, hn, sizeof(hn)));
        l->adv_port = adv ? adv->port : l->port;
        bs_log_info("broker", "listening on %s://%s:%d (advertised as %s:%d)", l->name,
                    l->host[0] ? l->host : "0.0.0.0", l->port, l->adv_host, l->adv_port);
    }
    return 0;
}

/* Every partition keeps four files open (its directory and active segment), so a broker
 * with many partitions needs many descriptors: raise the soft RLIMIT_NOFILE
 * to the hard limit, as Kafka's packaging does with LimitNOFILE. */
static void raise_fd_limit(void)
{
    struct rlimit rl;
    if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
        return;
    rlim_t soft = rl.rlim_cur;
    if (rl.rlim_cur < rl.rlim_max) {
        rl.rlim_cur = rl.rlim_max;
        if (setrlimit(RLIMIT_NOFILE, &rl) == 0)
            soft = rl.rlim_cur;
    }
    if (soft == RLIM_INFINITY)
        bs_log_info("broker", "open files limit: unlimited");
    else
        bs_log_info("broker", "open files limit: %llu (about %llu partitions)",
                    (unsigned long long)soft,
                    (unsigned long long)(soft > 1024 ? (soft - 1024) / 4 : 0));
}

int bs_broker_main(int argc, char **argv)
{
    bs_broker_config_t cfg;
    bs_broker_t broker, *b = &broker;
    char err[512];
    int rc = 1;

    for (int i = 0; i < argc; i++) {
        if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0) {
            bs_broker_config_usage(stdout);
            return 0;
        }
        if (strcmp(argv[i], "--print-config-docs") == 0)
            return bs_broker_config_print_docs(stdout) == 0 ? 0 : 1;
    }
    bs_broker_config_init(&cfg);
    if (bs_broker_config_load_args(&cfg, argc, argv, err, sizeof(err)) < 0) {
        fprintf(stderr, "basin broker: invalid configuration: %s\n", err);
        bs_broker_config_free(&cfg);
        return 1;
    }
    memset(b, 0, sizeof(*b));
    b->cfg = &cfg;
    b->node_id = cfg.node_id;
    bs_hmap_init(&b->topics);
    int64_t t0 = bs_mono_ms();
    bs_log_info("broker", "starting Basin broker (node.id %d)", b->node_id);
    bs_broker_config_log(&cfg);
    raise_fd_limit();

    b->loop = bs_loop_new();
    if (!b->loop)
        goto done;
    if (open_log_dirs(b) < 0)
        goto done;
    if (b->recovering)
        bs_log_warn("broker", "no clean shutdown marker: recovering logs after an unclean stop");
    if (bs_topics_load(b) < 0)
        goto done;
    if (bs_group_init(b) < 0) /* replays __consumer_offsets before serving */
        goto done;
    if (bs_txn_load(b) < 0) /* replays __transaction_state, completes prepared ones */
        goto done;
    if (cfg.num_network_threads > 1)
        bs_log_info("broker",
                    "num.network.threads=%d: Basin serves all connections from one "
                    "event loop thread",
                    cfg.num_network_threads);
    bs_sync_start(b);

    g_broker = b;
    struct sigaction sa = {0};
    sa.sa_handler = on_signal;
    sigaction(SIGTERM, &sa, NULL);
    sigaction(SIGINT, &sa, NULL);
    signal(SIGPIPE, SIG_IGN);

    if (setup_listeners(b) < 0)
        goto shutdown;
    bs_timer_init(&b->retention_timer, retention_cb, b);
    bs_loop_timer_arm(b->loop, &b->retention_timer, cfg.log_retention_check_interval_ms);
    bs_timer_init(&b->flush_timer, flush_cb, b);
    if (cfg.log_flush_interval_ms > 0 && cfg.log_flush_interval_ms < INT64_MAX / 2)
        bs_loop_timer_arm(b->loop, &b->flush_timer, cfg.log_flush_interval_ms);
    bs_timer_init(&b->txn_timer, txn_timer_cb, b);
    bs_loop_timer_arm(b->loop, &b->txn_timer, 1000);
    if (bs_cleaner_start(b) < 0)
        goto shutdown;

    bs_log_info("broker", "started in %lld ms: %zu topics, cluster.id %s",
                (long long)(bs_mono_ms() - t0), bs_hmap_count(&b->topics), b->cluster_id);
    if (bs_loop_run(b->loop) == 0)
        rc = 0;
    bs_log_info("broker", "shutting down");
shutdown:
    bs_server_close_all(b);
    bs_group_shutdown(b);
    bs_txn_shutdown(b);
    bs_cleaner_stop(b);
    bs_sync_stop(b);
    bs_topics_close_all(b);
    if (rc == 0) {
        write_clean_markers(b);
        bs_log_info("broker", "shut down cleanly");
    }
done:
    g_broker = NULL;
    for (int i = 0; i < b->nlisteners; i++)
        free(b->listeners[i].adv_host);
    free(b->listeners);
    bs_hmap_free(&b->topics);
    if (b->loop)
        bs_loop_free(b->loop);
    bs_broker_config_free(&cfg);
    return rc;
}
