/*
 * faultproxy — a fault-injecting TCP proxy on loopback (in the spirit of
 * librdkafka's sockem) for the exactly-once tests.
 *
 * It listens on 127.0.0.1:LISTEN, opens one connection to 127.0.0.1:TARGET per
 * accepted client and copies bytes both ways. While faults are active it
 *   - delays data at random: each chunk read gets a release time
 *     now + rand(0..delay_max) (never before the previous chunk of the same
 *     direction, so the byte stream stays in order), which delays responses
 *     and requests alike;
 *   - drops connections at random: after each chunk, with probability
 *     drop_per_mille/1000, both sockets are reset (SO_LINGER 0), so requests
 *     may be lost before or after the broker handled them — the case that makes
 *     an idempotent producer retry a batch the broker already appended.
 * Bounded: at most --max-drops drops; faults stop after --fault-s seconds
 * (then it is a plain proxy) and the process exits by itself after
 * --duration-s seconds (or on SIGTERM/SIGINT). --seed makes the fault
 * decisions deterministic for a given sequence of reads.
 *
 * usage: faultproxy --listen PORT --target PORT [--seed N] [--drop-per-mille N]
 *                   [--delay-max-ms N] [--delay-per-mille N] [--max-drops N]
 *                   [--fault-s N] [--duration-s N]
 * Prints a one-line summary to stderr when it exits.
 *
 * Single-threaded poll() loop; no heap growth beyond the queued chunks
 * (each bounded by BUF_SZ; reads stop while a direction has QUEUE_MAX bytes queued).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <inttypes.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#define MAX_CONN  128
#define BUF_SZ    65536
#define QUEUE_MAX (4 << 20)

struct chunk {
    struct chunk *next;
    int64_t release_ms;
    size_t len, off;
    char data[];
};

/* One direction: bytes read from `from` wait in the queue until written to `to`. */
struct dir {
    int from, to;
    struct chunk *head, *tail;
    size_t queued;
    int64_t last_release;
    int eof; /* `from` reached EOF: shut down `to` for writing once drained */
};

struct conn {
    int used;
    int cfd, sfd;
    struct dir up, down; /* up: client -> broker; down: broker -> client */
};

static struct conn conns[MAX_CONN];
static uint64_t rng_state;
static volatile sig_atomic_t stop;
static long drop_per_mille = 20, delay_per_mille = 300, delay_max_ms = 200, max_drops = 50;
static long n_accepted, n_drops, n_delayed;
static int64_t fault_until;

static uint64_t rng(void)
{
    /* splitmix64: small, deterministic for a given seed */
    uint64_t z = (rng_state += 0x9e3779b97f4a7c15ULL);
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

static int64_t now_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void on_signal(int sig)
{
    (void)sig;
    stop = 1;
}

static void set_nonblock(int fd)
{
    fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) | O_NONBLOCK);
    int one = 1;
    setsockopt(fd, IPPROTO_TCP, TCP_NODELAY, &one, sizeof(one));
}

static void dir_free(struct dir *d)
{
    struct chunk *c = d->head;
    while (c) {
        struct chunk *n = c->next;
        free(c);
        c = n;
    }
    d->head = d->tail = NULL;
    d->queued = 0;
}

/* Closes both sockets; `reset` sends RST instead of FIN (a dropped connection). */
static void conn_close(struct conn *c, int reset)
{
    if (reset) {
        struct linger lg = {1, 0};
        setsockopt(c->cfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
        setsockopt(c->sfd, SOL_SOCKET, SO_LINGER, &lg, sizeof(lg));
    }
    close(c->cfd);
    close(c->sfd);
    dir_free(&c->up);
    dir_free(&c->down);
    memset(c, 0, sizeof(*c));
}

static int connect_target(int port)
{
    int fd = socket(AF_INET, SOCK_STREAM, 0);
    if (fd < 0)
        return -1;
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) != 0) {
        close(fd);
        return -1;
    }
    set_nonblock(fd);
    return fd;
}

/* Reads what is available on d->from into a new chunk. Returns -1 on a
 * closed/broken connection, 1 if the connection was dropped by a fault, else 0. */
static int dir_read(struct dir *d, int64_t now)
{
    struct chunk *c = malloc(sizeof(*c) + BUF_SZ);
    if (!c)
        return -1;
    ssize_t n = read(d->from, c->data, BUF_SZ);
    if (n <= 0) {
        free(c);
        if (n < 0 && (errno == EAGAIN || errno == EINTR))
            return 0;
        if (n == 0) {
            d->eof = 1;
            return 0;
        }
        return -1;
    }
    c->len = (size_t)n;
    c->off = 0;
    c->next = NULL;
    int64_t rel = now;
    if (now < fault_until) {
        if ((long)(rng() % 1000) < delay_per_mille && delay_max_ms > 0) {
            rel = now + (int64_t)(rng() % (uint64_t)(delay_max_ms + 1));
            n_delayed++;
        }
        if (n_drops < max_drops && (long)(rng() % 1000) < drop_per_mille) {
            free(c);
            n_drops++;
            return 1;
        }
    }
    if (rel < d->last_release)
        rel = d->last_release;
    d->last_release = rel;
    c->release_ms = rel;
    if (d->tail)
        d->tail->next = c;
    else
        d->head = c;
    d->tail = c;
    d->queued += c->len;
    return 0;
}

/* Writes released chunks. Returns -1 on a broken connection. */
static int dir_write(struct dir *d, int64_t now)
{
    while (d->head && d->head->release_ms <= now) {
        struct chunk *c = d->head;
        ssize_t n = write(d->to, c->data + c->off, c->len - c->off);
        if (n < 0)
            return (errno == EAGAIN || errno == EINTR) ? 0 : -1;
        c->off += (size_t)n;
        d->queued -= (size_t)n;
        if (c->off < c->len)
            return 0;
        d->head = c->next;
        if (!d->head)
            d->tail = NULL;
        free(c);
    }
    if (!d->head && d->eof == 1) {
        shutdown(d->to, SHUT_WR);
        d->eof = 2;
    }
    return 0;
}

static void usage(void)
{
    fprintf(stderr,
            "usage: faultproxy --listen PORT --target PORT [--seed N] [--drop-per-mille N]\n"
            "       [--delay-max-ms N] [--delay-per-mille N] [--max-drops N] [--fault-s N]\n"
            "       [--duration-s N]\n");
    exit(2);
}

int main(int argc, char **argv)
{
    long listen_port = 0, target_port = 0, fault_s = 30, duration_s = 120;
    uint64_t seed = (uint64_t)time(NULL);
    for (int i = 1; i < argc; i++) {
        if (i + 1 >= argc)
            usage();
        const char *k = argv[i], *v = argv[++i];
        long x = strtol(v, NULL, 10);
        if (!strcmp(k, "--listen"))
            listen_port = x;
        else if (!strcmp(k, "--target"))
            target_port = x;
        else if (!strcmp(k, "--seed"))
            seed = strtoull(v, NULL, 10);
        else if (!strcmp(k, "--drop-per-mille"))
            drop_per_mille = x;
        else if (!strcmp(k, "--delay-per-mille"))
            delay_per_mille = x;
        else if (!strcmp(k, "--delay-max-ms"))
            delay_max_ms = x;
        else if (!strcmp(k, "--max-drops"))
            max_drops = x;
        else if (!strcmp(k, "--fault-s"))
            fault_s = x;
        else if (!strcmp(k, "--duration-s"))
            duration_s = x;
        else
            usage();
    }
    if (listen_port <= 0 || target_port <= 0)
        usage();
    rng_state = seed;
    signal(SIGPIPE, SIG_IGN);
    signal(SIGTERM, on_signal);
    signal(SIGINT, on_signal);

    int lfd = socket(AF_INET, SOCK_STREAM, 0);
    int one = 1;
    setsockopt(lfd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one));
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_port = htons((uint16_t)listen_port)};
    sa.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    if (bind(lfd, (struct sockaddr *)&sa, sizeof(sa)) != 0 || listen(lfd, 64) != 0) {
        fprintf(stderr, "faultproxy: bind/listen 127.0.0.1:%ld: %s\n", listen_port,
                strerror(errno));
        return 2;
    }
    set_nonblock(lfd);
    int64_t start = now_ms();
    fault_until = start + fault_s * 1000;
    int64_t end = start + duration_s * 1000;
    fprintf(stderr,
            "faultproxy: 127.0.0.1:%ld -> 127.0.0.1:%ld seed=%" PRIu64
            " drop=%ld/1000 delay=%ld/1000 up to %ld ms\n",
            listen_port, target_port, seed, drop_per_mille, delay_per_mille, delay_max_ms);

    struct pollfd pfd[1 + 2 * MAX_CONN];
    int owner[1 + 2 * MAX_CONN];
    while (!stop) {
        int64_t now = now_ms();
        if (now >= end)
            break;
        int n = 0, timeout = 200;
        pfd[n].fd = lfd;
        pfd[n].events = POLLIN;
        owner[n++] = -1;
        for (int i = 0; i < MAX_CONN; i++) {
            struct conn *c = &conns[i];
            if (!c->used)
                continue;
            struct dir *ds[2] = {&c->up, &c->down};
            for (int k = 0; k < 2; k++) {
                struct dir *d = ds[k];
                short ev = 0;
                if (!d->eof && d->queued < QUEUE_MAX)
                    ev |= POLLIN;
                if (d->head) {
                    if (d->head->release_ms <= now)
                        ev |= POLLOUT;
                    else if (d->head->release_ms - now < timeout)
                        timeout = (int)(d->head->release_ms - now);
                }
                pfd[n].fd = d->from;
                pfd[n].events = ev & POLLIN;
                owner[n++] = i * 4 + k * 2;
                pfd[n].fd = d->to;
                pfd[n].events = ev & POLLOUT;
                owner[n++] = i * 4 + k * 2 + 1;
            }
        }
        /* pfd has room for 1 + 4 per connection; keep MAX_CONN/2 active at most */
        if (poll(pfd, (nfds_t)n, timeout) < 0 && errno != EINTR)
            break;
        now = now_ms();
        if (pfd[0].revents & POLLIN) {
            int cfd = accept(lfd, NULL, NULL);
            if (cfd >= 0) {
                int slot = -1;
                for (int i = 0; i < MAX_CONN / 2 && slot < 0; i++)
                    if (!conns[i].used)
                        slot = i;
                int sfd = slot >= 0 ? connect_target((int)target_port) : -1;
                if (sfd < 0) {
                    close(cfd);
                } else {
                    set_nonblock(cfd);
                    struct conn *c = &conns[slot];
                    memset(c, 0, sizeof(*c));
                    c->used = 1;
                    c->cfd = cfd;
                    c->sfd = sfd;
                    c->up.from = cfd;
                    c->up.to = sfd;
                    c->down.from = sfd;
                    c->down.to = cfd;
                    n_accepted++;
                }
            }
        }
        for (int j = 1; j < n; j++) {
            int i = owner[j] / 4, k = (owner[j] / 2) % 2, w = owner[j] % 2;
            struct conn *c = &conns[i];
            if (!c->used)
                continue;
            struct dir *d = k ? &c->down : &c->up;
            int rc = 0;
            if (!w && (pfd[j].revents & (POLLIN | POLLHUP | POLLERR)) && pfd[j].events)
                rc = dir_read(d, now);
            else if (w && (pfd[j].revents & (POLLOUT | POLLERR)))
                rc = dir_write(d, now);
            else if (pfd[j].revents & POLLERR)
                rc = -1;
            if (rc != 0)
                conn_close(c, 1);
        }
        /* flush chunks whose delay expired without a POLLOUT round; close finished pairs */
        for (int i = 0; i < MAX_CONN; i++) {
            struct conn *c = &conns[i];
            if (!c->used)
                continue;
            if (dir_write(&c->up, now) < 0 || dir_write(&c->down, now) < 0) {
                conn_close(c, 1);
                continue;
            }
            if (c->up.eof == 2 && c->down.eof == 2)
                conn_close(c, 0);
            else if ((c->up.eof == 2 && !c->down.head && c->down.eof) ||
                     (c->down.eof == 2 && c->up.eof == 2))
                conn_close(c, 0);
        }
    }
    for (int i = 0; i < MAX_CONN; i++)
        if (conns[i].used)
            conn_close(&conns[i], 0);
    close(lfd);
    fprintf(stderr,
            "faultproxy: exiting after %" PRId64
            " ms: %ld connections, %ld dropped, %ld chunks delayed\n",
            now_ms() - start, n_accepted, n_drops, n_delayed);
    return 0;
}
