/*
 * cleaner_bg.c — the broker's background log cleaner (cleaner.h): one
 * worker thread runs bs_cleaner_build; a loop timer commits finished jobs
 * and plans the next one. Kept apart from cleaner.c so the cleaning
 * algorithm depends only on plog and records (unit tests, bench).
 *
 * Invariants
 *  - At most one job in flight; g_cl.job/part/done/stop change under g_cl.mu.
 *  - Only the loop thread plans, commits or frees jobs; the worker only
 *    builds (pread of sealed segments, writes of *.cleaned files).
 *  - A partition's job is cancelled and freed (bs_cleaner_forget) before
 *    its log is deleted; bs_cleaner_stop does the same for all before the
 *    logs are closed.
 */
#include "broker/broker.h"
#include "broker/cleaner.h"

#include "base/log.h"
#include "net/loop.h"

#include <errno.h>
#include <inttypes.h>
#include <pthread.h>
#include <string.h>

#define COMP "cleaner"

/* ---- the broker's background cleaner ------------------------------------------------ */

/* One worker thread runs bs_cleaner_build; everything else happens on the
 * loop thread in cleaner_timer_cb, which commits a finished job and plans
 * the next one (the dirtiest compacted partition). State under g_cl.mu:
 * job/part/done/stop. */
static struct {
    pthread_mutex_t mu;
    pthread_cond_t cv;
    pthread_t th;
    int started, stop, done;
    bs_clean_job_t *job;
    bs_partition_t *part;
    bs_timer_t timer;
    bs_broker_t *b;
} g_cl = {.mu = PTHREAD_MUTEX_INITIALIZER, .cv = PTHREAD_COND_INITIALIZER};

static void *cleaner_main(void *arg)
{
    (void)arg;
    pthread_mutex_lock(&g_cl.mu);
    for (;;) {
        while (!g_cl.stop && (!g_cl.job || g_cl.done))
            pthread_cond_wait(&g_cl.cv, &g_cl.mu);
        if (g_cl.stop)
            break;
        bs_clean_job_t *j = g_cl.job;
        pthread_mutex_unlock(&g_cl.mu);
        bs_cleaner_build(j);
        pthread_mutex_lock(&g_cl.mu);
        g_cl.done = 1;
        pthread_cond_broadcast(&g_cl.cv);
    }
    pthread_mutex_unlock(&g_cl.mu);
    return NULL;
}

/* Commits a finished job (loop thread). */
static void cleaner_collect(void)
{
    bs_clean_job_t *j = NULL;
    bs_partition_t *p = NULL;
    pthread_mutex_lock(&g_cl.mu);
    if (g_cl.job && g_cl.done) {
        j = g_cl.job;
        p = g_cl.part;
        g_cl.job = NULL;
        g_cl.part = NULL;
    }
    pthread_mutex_unlock(&g_cl.mu);
    if (!j)
        return;
    bs_cleaner_stats_t st;
    int64_t t0 = bs_mono_ms();
    if (bs_cleaner_commit(p->log, j, &st) == 0)
        bs_log_info(COMP,
                    "%s-%d: cleaned %d segment(s) into %d rewritten: %" PRId64 " -> %" PRId64
                    " bytes rewritten, %" PRId64 " of %" PRId64 " records kept, %" PRId64
                    " keys (swap %" PRId64 " ms)",
                    p->topic->name, p->id, st.segments_in, st.segments_out, st.bytes_read,
                    st.bytes_written, st.records_kept, st.records_read, st.map_keys,
                    bs_mono_ms() - t0);
    else
        bs_log_warn(COMP, "%s-%d: cleaning failed; will retry", p->topic->name, p->id);
    bs_cleaner_job_free(j);
}

static void cleaner_timer_cb(bs_loop_t *loop, bs_timer_t *t)
{
    bs_broker_t *b = t->ctx;
    int busy;
    cleaner_collect();
    pthread_mutex_lock(&g_cl.mu);
    busy = g_cl.job != NULL;
    pthread_mutex_unlock(&g_cl.mu);
    if (!busy) {
        int64_t now = bs_wall_ms();
        bs_clean_job_t *best = NULL;
        bs_partition_t *bestp = NULL;
        double bestr = -1;
        size_t it = 0;
        const bs_hmap_ent_t *e;
        while (bs_hmap_next(&b->topics, &it, &e)) {
            bs_topic_t *tp = e->val;
            if (!tp->cfg.cleanup_compact)
                continue;
            for (int i = 0; i < tp->npart; i++) {
                bs_partition_t *p = tp->parts[i];
                int64_t end = bs_plog_end_offset(p->log);
                int64_t lso = bs_pidstate_lso(bs_partition_pids(p), end);
                double r;
                bs_clean_job_t *j = bs_cleaner_plan(p->log, lso, now, 0, &r);
                if (j && r > bestr) {
                    bs_cleaner_job_free(best);
                    best = j;
                    bestp = p;
                    bestr = r;
                } else {
                    bs_cleaner_job_free(j);
                }
            }
        }
        if (best) {
            bs_log_debug(COMP, "%s-%d: cleaning (dirty ratio %.2f)", bestp->topic->name, bestp->id,
                         bestr);
            pthread_mutex_lock(&g_cl.mu);
            g_cl.job = best;
            g_cl.part = bestp;
            g_cl.done = 0;
            pthread_cond_signal(&g_cl.cv);
            pthread_mutex_unlock(&g_cl.mu);
            busy = 1;
        }
    }
    int64_t backoff = b->cfg->log_cleaner_backoff_ms > 0 ? b->cfg->log_cleaner_backoff_ms : 1;
    bs_loop_timer_arm(loop, t, busy ? (backoff < 100 ? backoff : 100) : backoff);
}

int bs_cleaner_start(bs_broker_t *b)
{
    if (!b->cfg->log_cleaner_enable) {
        bs_log_info(COMP, "log.cleaner.enable=false: compacted topics are not cleaned");
        return 0;
    }
    g_cl.b = b;
    g_cl.stop = 0;
    g_cl.job = NULL;
    if (pthread_create(&g_cl.th, NULL, cleaner_main, NULL) != 0) {
        bs_log_error(COMP, "cannot start the cleaner thread: %s", strerror(errno));
        return -1;
    }
    g_cl.started = 1;
    bs_timer_init(&g_cl.timer, cleaner_timer_cb, b);
    bs_loop_timer_arm(b->loop, &g_cl.timer, b->cfg->log_cleaner_backoff_ms);
    bs_log_info(COMP, "log cleaner started (backoff %" PRId64 " ms)",
                b->cfg->log_cleaner_backoff_ms);
    return 0;
}

/* Cancels the running job if it is on p (any partition if p is NULL),
 * waits for the worker to let go, frees it. */
static void cleaner_drop(bs_partition_t *p)
{
    bs_clean_job_t *j = NULL;
    pthread_mutex_lock(&g_cl.mu);
    if (g_cl.job && (!p || g_cl.part == p)) {
        bs_cleaner_cancel(g_cl.job);
        while (!g_cl.done)
            pthread_cond_wait(&g_cl.cv, &g_cl.mu);
        j = g_cl.job;
        g_cl.job = NULL;
        g_cl.part = NULL;
    }
    pthread_mutex_unlock(&g_cl.mu);
    bs_cleaner_job_free(j);
}

void bs_cleaner_forget(bs_broker_t *b, bs_partition_t *p)
{
    (void)b;
    if (g_cl.started)
        cleaner_drop(p);
}

void bs_cleaner_stop(bs_broker_t *b)
{
    if (!g_cl.started)
        return;
    bs_loop_timer_cancel(b->loop, &g_cl.timer);
    cleaner_drop(NULL);
    pthread_mutex_lock(&g_cl.mu);
    g_cl.stop = 1;
    pthread_cond_broadcast(&g_cl.cv);
    pthread_mutex_unlock(&g_cl.mu);
    pthread_join(g_cl.th, NULL);
    g_cl.started = 0;
}
