/*
 * jobq.c — the blocking job FIFO of jobq.h: a singly linked list under one
 * mutex, a condition signalled per push and broadcast at stop.
 * Invariant: tail is NULL iff head is NULL.
 */
#include "base/jobq.h"

#include <stddef.h>

void bs_jobq_init(bs_jobq_t *q)
{
    pthread_mutex_init(&q->mu, NULL);
    pthread_cond_init(&q->cond, NULL);
    q->head = q->tail = NULL;
    q->stop = false;
}

void bs_jobq_destroy(bs_jobq_t *q)
{
    pthread_mutex_destroy(&q->mu);
    pthread_cond_destroy(&q->cond);
}

bool bs_jobq_push(bs_jobq_t *q, bs_job_t *j)
{
    pthread_mutex_lock(&q->mu);
    if (q->stop) {
        pthread_mutex_unlock(&q->mu);
        return false;
    }
    j->next = NULL;
    if (q->tail)
        q->tail->next = j;
    else
        q->head = j;
    q->tail = j;
    pthread_cond_signal(&q->cond);
    pthread_mutex_unlock(&q->mu);
    return true;
}

bs_job_t *bs_jobq_pop(bs_jobq_t *q, bool *stopping)
{
    pthread_mutex_lock(&q->mu);
    while (!q->head && !q->stop)
        pthread_cond_wait(&q->cond, &q->mu);
    bs_job_t *j = q->head;
    if (j) {
        q->head = j->next;
        if (!q->head)
            q->tail = NULL;
        j->next = NULL;
    }
    if (stopping)
        *stopping = q->stop;
    pthread_mutex_unlock(&q->mu);
    return j;
}

void bs_jobq_stop(bs_jobq_t *q)
{
    pthread_mutex_lock(&q->mu);
    q->stop = true;
    pthread_cond_broadcast(&q->cond);
    pthread_mutex_unlock(&q->mu);
}
