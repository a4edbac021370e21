/*
 * sync.c — the fsync worker behind log.flush.on.ack (group commit).
 *
 * The loop thread queues partitions that have unsynced appends awaited by a
 * parked Produce (bs_sync_enqueue). The worker takes the whole queue, calls
 * bs_plog_sync() on each (fdatasync of everything appended so far, so
 * requests that arrived meanwhile ride along), then wakes the loop, which
 * answers the requests whose offsets are now durable
 * (bs_produce_sync_done).
 *
 * A partition is on the queue at most once (sync_queued, loop thread). Topic
 * deletion waits for the worker to be idle (bs_sync_quiesce) so the worker
 * never touches a freed partition.
 */
#include "broker/broker.h"

#include "base/log.h"

#include <stdlib.h>
#include <string.h>

static bool g_busy; /* worker is syncing a batch (under sync_mu) */

static void *sync_main(void *arg)
{
    bs_broker_t *b = arg;
    bs_partition_t **batch = NULL;
    int cap = 0;

    pthread_mutex_lock(&b->sync_mu);
    for (;;) {
        while (!b->sync_stop && b->sync_qn == 0)
            pthread_cond_wait(&b->sync_cv, &b->sync_mu);
        if (b->sync_qn == 0 && b->sync_stop)
            break;
        int n = b->sync_qn;
        if (n > cap) {
            cap = n * 2;
            batch = bs_xrealloc(batch, (size_t)cap * sizeof(*batch));
        }
        memcpy(batch, b->sync_q, (size_t)n * sizeof(*batch));
        b->sync_qn = 0;
        g_busy = true;
        pthread_mutex_unlock(&b->sync_mu);

        for (int i = 0; i < n; i++)
            bs_plog_sync(batch[i]->log);
        bs_loop_wakeup(b->loop);

        pthread_mutex_lock(&b->sync_mu);
        g_busy = false;
        pthread_cond_broadcast(&b->sync_cv);
    }
    pthread_mutex_unlock(&b->sync_mu);
    free(batch);
    return NULL;
}

static void wake_cb(bs_loop_t *loop, void *ctx)
{
    bs_broker_t *b = ctx;
    (void)loop;
    bs_produce_sync_done(b);
}

void bs_sync_enqueue(bs_broker_t *b, bs_partition_t *p)
{
    pthread_mutex_lock(&b->sync_mu);
    bool present = false;
    for (int i = 0; i < b->sync_qn && !present; i++)
        present = b->sync_q[i] == p;
    if (!present) {
        if (b->sync_qn == b->sync_qcap) {
            b->sync_qcap = b->sync_qcap ? b->sync_qcap * 2 : 64;
            b->sync_q = bs_xrealloc(b->sync_q, (size_t)b->sync_qcap * sizeof(*b->sync_q));
        }
        b->sync_q[b->sync_qn++] = p;
        pthread_cond_signal(&b->sync_cv);
    }
    pthread_mutex_unlock(&b->sync_mu);
}

/* Removes p from the queue and waits until the worker is not syncing. */
void bs_sync_forget(bs_broker_t *b, bs_partition_t *p)
{
    if (!b->sync_started)
        return;
    pthread_mutex_lock(&b->sync_mu);
    for (int i = 0; i < b->sync_qn; i++) {
        if (b->sync_q[i] == p) {
            b->sync_q[i] = b->sync_q[--b->sync_qn];
            i--;
        }
    }
    while (g_busy)
        pthread_cond_wait(&b->sync_cv, &b->sync_mu);
    pthread_mutex_unlock(&b->sync_mu);
}

void bs_sync_start(bs_broker_t *b)
{
    pthread_mutex_init(&b->sync_mu, NULL);
    pthread_cond_init(&b->sync_cv, NULL);
    bs_loop_set_wakeup(b->loop, wake_cb, b);
    if (pthread_create(&b->sync_thread, NULL, sync_main, b) != 0) {
        bs_log_error("sync", "cannot start the fsync worker thread");
        return;
    }
    b->sync_started = true;
}

void bs_sync_stop(bs_broker_t *b)
{
    if (!b->sync_started)
        return;
    pthread_mutex_lock(&b->sync_mu);
    b->sync_stop = true;
    pthread_cond_broadcast(&b->sync_cv);
    pthread_mutex_unlock(&b->sync_mu);
    pthread_join(b->sync_thread, NULL);
    b->sync_started = false;
    free(b->sync_q);
    b->sync_q = NULL;
    b->sync_qn = b->sync_qcap = 0;
}
