/*
 * fuzz_broker.c — end-to-end libFuzzer target for the broker: the input is
 * the byte stream a client sends on one connection (size-prefixed request
 * frames of any API and version), served by a whole broker (topics, logs,
 * group and transaction coordinators) on a fresh temporary log dir.
 *
 * How: this file includes src/net/loop.c and src/broker/server.c (as unit
 * tests include the .c under test, STYLE.md), so it can run the event loop
 * one iteration at a time and adopt one end of a socketpair as a client
 * connection exactly as accept_cb does. The library's loop.o and server.o
 * are then not linked (every symbol they define is defined here). Per input:
 *
 *   fresh log dir -> topics/groups/txn loaded (empty) -> connection adopted
 *   -> input written to the peer end, loop run in single iterations while
 *      responses are drained -> peer end closed: the connection goes through
 *      conn_close and the normal abort hooks (parked Fetch long polls,
 *      JoinGroup/SyncGroup waits, Produce waits) -> coordinators shut down,
 *      topics closed, log dir removed.
 *
 * Invariants checked: no sanitizer report, no leak (libFuzzer's per-input
 * leak check), and after teardown no timer is left armed on the loop (a
 * timer surviving its connection or group would fire on freed memory).
 *
 * Seeds: tests/fuzz/corpus/broker/seed-* are client sessions recorded from
 * kcat, librdkafka (build/itest/admin suite, group_admin, eos_txn) and
 * kafkajs against a real `basin broker`: a loopback proxy (the broker
 * advertising the proxy's port) logged every request frame, and the frames
 * of all connections of one run were concatenated in arrival order,
 * unchanged. The broker ran with this file's getrandom() compiled into a
 * shared object and LD_PRELOADed, so the member ids in the recordings are
 * the ones this target hands out. The other files are minimized fuzzer
 * finds (regress-* reproduced a bug or a timeout).
 */
#include <ftw.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#include "net/loop.c"

#include "broker/server.c"

#include "broker/txn.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bs_broker_config_t g_cfg;
static bs_broker_t g_b;
static bs_listen_t g_listen;
static char g_dir[256];

/* Member ids are random (getrandom, group.c): replayed sessions could never
 * name a member the broker made. This deterministic getrandom replaces
 * libc's in this executable (restarting at 0 with every input), so the
 * ids equal those of a recording made with the same function preloaded
 * into `basin broker` (see the corpus notes above). */
static uint64_t g_rand_seq;

ssize_t getrandom(void *buf, size_t len, unsigned int flags)
{
    uint8_t *p = buf;
    (void)flags;
    if (len >= 16)
        g_rand_seq++; /* id-sized requests only: libraries ask for a byte at start-up */
    for (size_t i = 0; i < len; i++)
        p[i] = i < 8 ? (uint8_t)(g_rand_seq >> (8 * (7 - i))) : (uint8_t)(0xA5 ^ i);
    return (ssize_t)len;
}

static void stop_cb(bs_loop_t *loop, bs_timer_t *t)
{
    (void)t;
    bs_loop_stop(loop);
}

/* One loop iteration: pending I/O events, then due timers. */
static void run_once(void)
{
    bs_timer_t stop;
    bs_timer_init(&stop, stop_cb, NULL);
    bs_loop_timer_arm(g_b.loop, &stop, 0);
    g_b.loop->stop = 0;
    bs_loop_run(g_b.loop);
    bs_loop_timer_cancel(g_b.loop, &stop);
}

static int rm_cb(const char *path, const struct stat *st, int flag, struct FTW *ftw)
{
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void fz_setup(void)
{
    char err[256];
    snprintf(g_dir, sizeof(g_dir), "/tmp/fuzz_broker.%d", (int)getpid());
    /* FUZZ_BROKER_LOG=1 shows the broker's log (debugging a corpus file) */
    bs_log_set_level(getenv("FUZZ_BROKER_LOG") ? BS_LOG_INFO : (bs_log_level_t)(BS_LOG_ERROR + 1));
    bs_broker_config_init(&g_cfg);
    const char *kv[][2] = {
        {"log.dirs", g_dir},
        {"group.initial.rebalance.delay.ms", "0"},
        {"group.min.session.timeout.ms", "10"},
        {"offsets.topic.num.partitions", "2"},
        {"transaction.state.log.num.partitions", "2"},
        {"num.partitions", "2"},
        {"log.segment.bytes", "65536"},
    };
    for (size_t i = 0; i < sizeof(kv) / sizeof(kv[0]); i++)
        if (bs_broker_config_set(&g_cfg, kv[i][0], kv[i][1], err, sizeof(err)) != 0) {
            fprintf(stderr, "fuzz_broker: %s\n", err);
            abort();
        }
    g_b.loop = bs_loop_new();
    if (!g_b.loop)
        abort();
    g_listen.name = "PLAINTEXT";
    g_listen.host = "127.0.0.1";
    g_listen.port = 9092;
    g_listen.adv_host = "127.0.0.1";
    g_listen.adv_port = 9092;
    g_listen.b = &g_b;
    signal(SIGPIPE, SIG_IGN);
    /* CreateTopics/CreatePartitions may ask for up to 100,000 partitions,
     * which takes minutes to create: with few file descriptors such requests
     * fail fast instead (and exercise the roll-back path) */
    struct rlimit rl = {256, 256};
    setrlimit(RLIMIT_NOFILE, &rl);
}

static void broker_open(void)
{
    bs_loop_t *loop = g_b.loop;
    g_rand_seq = 0;
    nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
    if (mkdir(g_dir, 0755) != 0)
        abort();
    memset(&g_b, 0, sizeof(g_b));
    g_b.loop = loop;
    g_b.cfg = &g_cfg;
    g_b.node_id = g_cfg.node_id;
    snprintf(g_b.cluster_id, sizeof(g_b.cluster_id), "fuzzclusterAAAAAAAAAAA");
    g_b.listeners = &g_listen;
    bs_hmap_init(&g_b.topics);
    if (bs_topics_load(&g_b) < 0 || bs_group_init(&g_b) < 0 || bs_txn_load(&g_b) < 0)
        abort();
}

static void broker_close(void)
{
    g_b.nlisteners = 0; /* the listener is fake: nothing to close */
    bs_server_close_all(&g_b);
    bs_group_shutdown(&g_b);
    bs_txn_shutdown(&g_b);
    bs_topics_close_all(&g_b);
    bs_hmap_free(&g_b.topics);
    if (g_b.loop->nheap != 0) {
        fprintf(stderr, "fuzz_broker: %d timer(s) still armed after teardown\n", g_b.loop->nheap);
        abort();
    }
    nftw(g_dir, rm_cb, 16, FTW_DEPTH | FTW_PHYS);
}

/* Adopts fd as a client connection, as accept_cb does. */
static void adopt(int fd)
{
    bs_conn_t *c = bs_xcalloc(1, sizeof(*c));
    c->b = &g_b;
    c->l = &g_listen;
    bs_arena_init(&c->arena, 16384);
    snprintf(c->peer, sizeof(c->peer), "fuzz:%d", fd);
    c->next = g_b.conns;
    if (g_b.conns)
        g_b.conns->prev = c;
    g_b.conns = c;
    g_b.nconns++;
    bs_loop_io_add(g_b.loop, &c->io, fd, EPOLLIN | EPOLLRDHUP, conn_io_cb, c);
}

/* Reads and discards what the broker sent; returns the byte count. */
static size_t drain(int fd)
{
    static uint8_t buf[65536];
    size_t total = 0;
    for (;;) {
        ssize_t n = read(fd, buf, sizeof(buf));
        if (n <= 0)
            break;
        total += (size_t)n;
    }
    return total;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    static int init;
    int sv[2];
    if (!init) {
        fz_setup();
        init = 1;
    }
    broker_open();
    if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0, sv) != 0)
        abort();
    adopt(sv[0]);
    size_t sent = 0;
    int idle = 0;
    for (int round = 0; round < 200 && idle < 3; round++) {
        size_t progress = 0;
        if (sent < size) {
            ssize_t n = write(sv[1], data + sent, size - sent);
            if (n > 0) {
                sent += (size_t)n;
                progress += (size_t)n;
            }
        }
        run_once();
        progress += drain(sv[1]);
        idle = progress ? 0 : idle + 1;
    }
    /* the client goes away: parked requests must be dropped via the abort hooks */
    close(sv[1]);
    for (int i = 0; i < 3; i++)
        run_once();
    broker_close();
    return 0;
}
