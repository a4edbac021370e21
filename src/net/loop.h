/*
 * loop.h — a small epoll event loop with timers and cross-thread wakeups.
 *
 * One loop per thread (h2o, Redis). Everything registered with a loop is
 * called on the loop's thread only (@locality: loop thread). The one
 * exception is bs_loop_wakeup(), which any thread may call to make the loop
 * run its wakeup callback (an eventfd underneath).
 *
 * Ownership: bs_io_t and bs_timer_t are embedded in the caller's objects;
 * the loop only links them. Callers must remove them before freeing.
 */
#ifndef BS_LOOP_H
#define BS_LOOP_H

#include <stdbool.h>
#include <stdint.h>

typedef struct bs_loop_s bs_loop_t;
typedef struct bs_io_s bs_io_t;
typedef struct bs_timer_s bs_timer_t;

typedef void (*bs_io_cb)(bs_loop_t *loop, bs_io_t *io, uint32_t events);
typedef void (*bs_timer_cb)(bs_loop_t *loop, bs_timer_t *t);
typedef void (*bs_wakeup_cb)(bs_loop_t *loop, void *ctx);

struct bs_io_s {
    int fd;
    uint32_t events; /* EPOLLIN | EPOLLOUT ... currently registered */
    bs_io_cb cb;
    void *ctx;
};

struct bs_timer_s {
    int64_t due_ms; /* monotonic ms */
    int heap_idx;   /* -1 when not armed */
    bs_timer_cb cb;
    void *ctx;
};

bs_loop_t *bs_loop_new(void);
void bs_loop_free(bs_loop_t *loop);

int bs_loop_io_add(bs_loop_t *loop, bs_io_t *io, int fd, uint32_t events, bs_io_cb cb, void *ctx);
int bs_loop_io_set(bs_loop_t *loop, bs_io_t *io, uint32_t events);
void bs_loop_io_del(bs_loop_t *loop, bs_io_t *io);

void bs_timer_init(bs_timer_t *t, bs_timer_cb cb, void *ctx);
void bs_loop_timer_arm(bs_loop_t *loop, bs_timer_t *t, int64_t delay_ms);
void bs_loop_timer_cancel(bs_loop_t *loop, bs_timer_t *t);
static inline bool bs_timer_armed(const bs_timer_t *t)
{
    return t->heap_idx >= 0;
}

/* Sets the callback run on the loop thread after bs_loop_wakeup(). */
void bs_loop_set_wakeup(bs_loop_t *loop, bs_wakeup_cb cb, void *ctx);
/* @locality: any thread. */
void bs_loop_wakeup(bs_loop_t *loop);

/* Runs until bs_loop_stop(). Returns 0, or -1 if epoll failed. */
int bs_loop_run(bs_loop_t *loop);
void bs_loop_stop(bs_loop_t *loop); /* @locality: loop thread or signal-safe flag */

/* Cached monotonic time of the current iteration, in ms. */
int64_t bs_loop_now_ms(bs_loop_t *loop);
int64_t bs_mono_ms(void);
int64_t bs_wall_ms(void);

#endif
