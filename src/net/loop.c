/*
 * loop.c — epoll event loop: fd watchers, a binary min-heap of timers, and an
 * eventfd for wakeups from other threads (the fsync worker).
 *
 * Iteration: wait for events (timeout = next timer due), dispatch I/O, then
 * run due timers. bs_loop_stop() sets a flag checked once per iteration.
 */
#include "loop.h"

#include "base/arena.h"
#include "base/log.h"

#include <errno.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <time.h>
#include <unistd.h>

struct bs_loop_s {
    int epfd;
    int evfd;
    bs_io_t wake_io;
    bs_wakeup_cb wake_cb;
    void *wake_ctx;
    volatile sig_atomic_t stop;
    int64_t now_ms;
    bs_timer_t **heap;
    int nheap, capheap;
};

int64_t bs_mono_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

int64_t bs_wall_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void wake_io_cb(bs_loop_t *loop, bs_io_t *io, uint32_t events)
{
    uint64_t v;
    (void)events;
    while (read(io->fd, &v, sizeof(v)) > 0)
        ;
    if (loop->wake_cb)
        loop->wake_cb(loop, loop->wake_ctx);
}

bs_loop_t *bs_loop_new(void)
{
    bs_loop_t *loop = bs_xcalloc(1, sizeof(*loop));
    loop->epfd = epoll_create1(EPOLL_CLOEXEC);
    loop->evfd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
    if (loop->epfd < 0 || loop->evfd < 0) {
        bs_log_error("loop", "epoll/eventfd: %s", strerror(errno));
        if (loop->epfd >= 0)
            close(loop->epfd);
        if (loop->evfd >= 0)
            close(loop->evfd);
        free(loop);
        return NULL;
    }
    loop->now_ms = bs_mono_ms();
    bs_loop_io_add(loop, &loop->wake_io, loop->evfd, EPOLLIN, wake_io_cb, NULL);
    return loop;
}

void bs_loop_free(bs_loop_t *loop)
{
    if (!loop)
        return;
    close(loop->epfd);
    close(loop->evfd);
    free(loop->heap);
    free(loop);
}

int bs_loop_io_add(bs_loop_t *loop, bs_io_t *io, int fd, uint32_t events, bs_io_cb cb, void *ctx)
{
    struct epoll_event ev = {.events = events, .data.ptr = io};
    io->fd = fd;
    io->events = events;
    io->cb = cb;
    io->ctx = ctx;
    return epoll_ctl(loop->epfd, EPOLL_CTL_ADD, fd, &ev);
}

int bs_loop_io_set(bs_loop_t *loop, bs_io_t *io, uint32_t events)
{
    struct epoll_event ev = {.events = events, .data.ptr = io};
    if (io->events == events)
        return 0;
    io->events = events;
    return epoll_ctl(loop->epfd, EPOLL_CTL_MOD, io->fd, &ev);
}

void bs_loop_io_del(bs_loop_t *loop, bs_io_t *io)
{
    epoll_ctl(loop->epfd, EPOLL_CTL_DEL, io->fd, NULL);
    io->events = 0;
}

/* ---- timers: binary min-heap on due_ms ---- */

void bs_timer_init(bs_timer_t *t, bs_timer_cb cb, void *ctx)
{
    t->due_ms = 0;
    t->heap_idx = -1;
    t->cb = cb;
    t->ctx = ctx;
}

static void heap_swap(bs_loop_t *l, int a, int b)
{
    bs_timer_t *t = l->heap[a];
    l->heap[a] = l->heap[b];
    l->heap[b] = t;
    l->heap[a]->heap_idx = a;
    l->heap[b]->heap_idx = b;
}

static void heap_up(bs_loop_t *l, int i)
{
    while (i > 0) {
        int p = (i - 1) / 2;
        if (l->heap[p]->due_ms <= l->heap[i]->due_ms)
            break;
        heap_swap(l, p, i);
        i = p;
    }
}

static void heap_down(bs_loop_t *l, int i)
{
    for (;;) {
        int c = 2 * i + 1, m = i;
        if (c < l->nheap && l->heap[c]->due_ms < l->heap[m]->due_ms)
            m = c;
        if (c + 1 < l->nheap && l->heap[c + 1]->due_ms < l->heap[m]->due_ms)
            m = c + 1;
        if (m == i)
            break;
        heap_swap(l, i, m);
        i = m;
    }
}

void bs_loop_timer_cancel(bs_loop_t *loop, bs_timer_t *t)
{
    int i = t->heap_idx;
    if (i < 0)
        return;
    loop->nheap--;
    if (i != loop->nheap) {
        loop->heap[i] = loop->heap[loop->nheap];
        loop->heap[i]->heap_idx = i;
        heap_down(loop, i);
        heap_up(loop, i);
    }
    t->heap_idx = -1;
}

void bs_loop_timer_arm(bs_loop_t *loop, bs_timer_t *t, int64_t delay_ms)
{
    bs_loop_timer_cancel(loop, t);
    if (loop->nheap == loop->capheap) {
        loop->capheap = loop->capheap ? loop->capheap * 2 : 64;
        loop->heap = bs_xrealloc(loop->heap, (size_t)loop->capheap * sizeof(*loop->heap));
    }
    t->due_ms = bs_mono_ms() + (delay_ms > 0 ? delay_ms : 0);
    t->heap_idx = loop->nheap;
    loop->heap[loop->nheap++] = t;
    heap_up(loop, t->heap_idx);
}

void bs_loop_set_wakeup(bs_loop_t *loop, bs_wakeup_cb cb, void *ctx)
{
    loop->wake_cb = cb;
    loop->wake_ctx = ctx;
}

void bs_loop_wakeup(bs_loop_t *loop)
{
    uint64_t one = 1;
    ssize_t r = write(loop->evfd, &one, sizeof(one));
    (void)r;
}

void bs_loop_stop(bs_loop_t *loop)
{
    loop->stop = 1;
    bs_loop_wakeup(loop);
}

int64_t bs_loop_now_ms(bs_loop_t *loop)
{
    return loop->now_ms;
}

int bs_loop_run(bs_loop_t *loop)
{
    struct epoll_event evs[256];
    while (!loop->stop) {
        int timeout = -1;
        if (loop->nheap > 0) {
            int64_t d = loop->heap[0]->due_ms - bs_mono_ms();
            timeout = d < 0 ? 0 : (d > 60000 ? 60000 : (int)d);
        }
        int n = epoll_wait(loop->epfd, evs, 256, timeout);
        if (n < 0) {
            if (errno == EINTR)
                continue;
            bs_log_error("loop", "epoll_wait: %s", strerror(errno));
            return -1;
        }
        loop->now_ms = bs_mono_ms();
        for (int i = 0; i < n; i++) {
            bs_io_t *io = evs[i].data.ptr;
            io->cb(loop, io, evs[i].events);
        }
        loop->now_ms = bs_mono_ms();
        while (loop->nheap > 0 && loop->heap[0]->due_ms <= loop->now_ms) {
            bs_timer_t *t = loop->heap[0];
            bs_loop_timer_cancel(loop, t);
            t->cb(loop, t);
        }
    }
    return 0;
}
