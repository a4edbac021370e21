/*
 * test_jobq.c — the job FIFO of src/base/jobq.c: order, stop semantics
 * (pushes refused, queued jobs still handed out with the stopping flag,
 * then NULL), and a waiting pop woken by a push from another thread.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

#include "base/jobq.h"

typedef struct {
    bs_job_t link;
    int n;
} job_t;

static void test_order_and_stop(void **state)
{
    (void)state;
    bs_jobq_t q;
    job_t j[3] = {{.n = 1}, {.n = 2}, {.n = 3}};
    bool stopping = true;
    bs_jobq_init(&q);
    assert_true(bs_jobq_push(&q, &j[0].link));
    assert_true(bs_jobq_push(&q, &j[1].link));
    assert_ptr_equal(bs_jobq_pop(&q, &stopping), &j[0].link);
    assert_false(stopping);
    bs_jobq_stop(&q);
    assert_false(bs_jobq_push(&q, &j[2].link)); /* refused: still the caller's */
    assert_ptr_equal(bs_jobq_pop(&q, &stopping), &j[1].link);
    assert_true(stopping);
    assert_null(bs_jobq_pop(&q, &stopping));
    assert_null(bs_jobq_pop(&q, NULL));
    bs_jobq_destroy(&q);
}

static void *pusher(void *arg)
{
    static job_t late = {.n = 7};
    bs_jobq_push(arg, &late.link);
    return NULL;
}

static void test_pop_waits(void **state)
{
    (void)state;
    bs_jobq_t q;
    pthread_t th;
    bs_jobq_init(&q);
    assert_int_equal(pthread_create(&th, NULL, pusher, &q), 0);
    job_t *got = (job_t *)bs_jobq_pop(&q, NULL);
    assert_non_null(got);
    assert_int_equal(got->n, 7);
    pthread_join(th, NULL);
    bs_jobq_destroy(&q);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(test_order_and_stop),
        cmocka_unit_test(test_pop_waits),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
