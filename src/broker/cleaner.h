/*
 * cleaner.h — log compaction (cleanup.policy=compact): Kafka's log cleaner.
 *
 * Two layers:
 *  - A job API on one bs_plog_t, usable synchronously (unit tests, bench):
 *    bs_cleaner_plan (loop thread: decides, snapshots segments),
 *    bs_cleaner_build (any thread: writes *.cleaned files),
 *    bs_cleaner_commit (loop thread: swaps them in), bs_cleaner_job_free.
 *    bs_cleaner_clean_now runs all four.
 *  - The broker's background cleaner: one worker thread runs
 *    bs_cleaner_build; a loop timer plans (dirtiest compacted partition
 *    first) and commits. Started by bs_cleaner_start when
 *    log.cleaner.enable=true.
 *
 * Ownership: a job holds one reference on every segment it reads (so
 * retention may delete them meanwhile) and owns its *.cleaned files until
 * they are swapped in; bs_cleaner_job_free removes leftovers.
 */
#ifndef BS_CLEANER_H
#define BS_CLEANER_H

#include "broker/plog.h"

#include <stdint.h>

typedef struct bs_broker_s bs_broker_t;
typedef struct bs_partition_s bs_partition_t;
typedef struct bs_clean_job_s bs_clean_job_t;

typedef struct bs_cleaner_stats_s {
    int64_t bytes_read;    /* log bytes of the cleaned range */
    int64_t bytes_written; /* bytes of the swapped-in segments */
    int64_t records_read;  /* records seen in the copy pass */
    int64_t records_kept;
    int64_t batches_rebuilt; /* filtered (and recompressed if needed) */
    int segments_in, segments_out;
    int64_t map_keys; /* distinct keys in the dirty section */
} bs_cleaner_stats_t;

/* @locality loop thread. Returns a job if l is compacted (or force) and its
 * cleanable section is dirty enough: dirty = sealed segments at or after the
 * cleaner checkpoint and entirely below min(active segment, lso, first
 * segment younger than min.compaction.lag.ms); needed when dirty/(total)
 * >= min.cleanable.dirty.ratio, or when the oldest dirty segment is older
 * than max.compaction.lag.ms. force ignores the policy, ratio and lags.
 * *ratio (may be NULL) gets the dirty ratio. NULL when nothing to do. */
bs_clean_job_t *bs_cleaner_plan(bs_plog_t *l, int64_t lso, int64_t now_ms, int force,
                                double *ratio);

/* Any thread: builds the cleaned copies. Returns 0, -1 on error (logged),
 * -2 if cancelled. */
int bs_cleaner_build(bs_clean_job_t *j);

/* @locality loop thread: swaps in what bs_cleaner_build produced and moves
 * the cleaner checkpoint. Returns 0 or -1. st (may be NULL) gets the stats. */
int bs_cleaner_commit(bs_plog_t *l, bs_clean_job_t *j, bs_cleaner_stats_t *st);

/* Any thread: asks a running bs_cleaner_build to stop soon. */
void bs_cleaner_cancel(bs_clean_job_t *j);

void bs_cleaner_job_free(bs_clean_job_t *j); /* NULL ok */

/* plan + build + commit on the calling thread. Returns 1 if something was
 * cleaned, 0 if nothing to do, -1 on error. */
int bs_cleaner_clean_now(bs_plog_t *l, int64_t lso, int64_t now_ms, int force,
                         bs_cleaner_stats_t *st);

/* ---- broker background cleaner (@locality loop thread) ---- */
int bs_cleaner_start(bs_broker_t *b);
void bs_cleaner_stop(bs_broker_t *b);
/* Before a partition's log is closed or deleted: cancels and drops any job
 * on it (waits for the worker to let go). */
void bs_cleaner_forget(bs_broker_t *b, bs_partition_t *p);

#endif
