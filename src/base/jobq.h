/*
 * jobq.h — a blocking FIFO of jobs for worker threads (the REST Proxy's
 * worker pool, the Schema Registry's writer thread).
 *
 * Jobs are intrusive: the caller's job struct embeds a bs_job_t (any
 * position; recover the struct with offsetof) and owns the memory. The
 * queue only links them.
 *
 * Threads: push, pop and stop may be called from any thread; pop blocks.
 * After bs_jobq_stop, push refuses new jobs and pop keeps handing out the
 * jobs still queued (with *stopping set, so the caller chooses to run or
 * refuse them), then returns NULL to every worker.
 */
#ifndef BS_JOBQ_H
#define BS_JOBQ_H

#include <pthread.h>
#include <stdbool.h>

typedef struct bs_job_s {
    struct bs_job_s *next;
} bs_job_t;

typedef struct bs_jobq_s {
    pthread_mutex_t mu;
    pthread_cond_t cond;
    bs_job_t *head, *tail;
    bool stop;
} bs_jobq_t;

void bs_jobq_init(bs_jobq_t *q);
/* Frees the lock and condition; the queue must be empty and unused. */
void bs_jobq_destroy(bs_jobq_t *q);
/* Appends j; false (j not queued, still the caller's) once stopped. */
bool bs_jobq_push(bs_jobq_t *q, bs_job_t *j);
/* The next job, waiting for one; NULL once stopped and empty. *stopping
 * (may be NULL) tells whether the queue was stopped when j was taken. */
bs_job_t *bs_jobq_pop(bs_jobq_t *q, bool *stopping);
/* Refuses further pushes and wakes every waiting pop. */
void bs_jobq_stop(bs_jobq_t *q);

#endif
