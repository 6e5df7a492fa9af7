/*
 * check_port.c - lib/port: mutex, condition variable, event, threads, TLS,
 * once, monotonic clock and deadlines.
 */
#include "config.h"
#include "port/port_atomic.h"
#include "port/port_clock.h"
#include "port/port_sync.h"
#include "port/port_thread.h"

#include <check.h>
#ifndef _WIN32
#include <signal.h>
#endif
#include <stdint.h>
#include <stdlib.h>

/* ------------------------------------------------------------ clock */

START_TEST(test_clock_is_monotonic_and_ms_matches_ns)
{
    int64_t prev = port_clock_now_ns();
    for (int i = 0; i < 100000; i++) {
        int64_t now = port_clock_now_ns();
        ck_assert_int_ge(now, prev);
        prev = now;
    }
    int64_t ms = port_clock_now_ms();
    int64_t ns = port_clock_now_ns();
    ck_assert_int_le(ms, ns / PORT_NS_PER_MS);
}
END_TEST

START_TEST(test_deadline_negative_timeout_never_expires)
{
    ck_assert(port_deadline_after_ms(-1) == PORT_DEADLINE_NEVER);
    ck_assert(port_deadline_after_ns(-5) == PORT_DEADLINE_NEVER);
    ck_assert(!port_deadline_expired(PORT_DEADLINE_NEVER));
    ck_assert_int_eq(port_deadline_remaining_ms_ceil(PORT_DEADLINE_NEVER), -1);
    ck_assert(port_deadline_remaining_ns(PORT_DEADLINE_NEVER) == INT64_MAX);
}
END_TEST

START_TEST(test_deadline_huge_timeout_saturates_instead_of_wrapping)
{
    ck_assert(port_deadline_after_ms(INT64_MAX) == PORT_DEADLINE_NEVER);
    ck_assert(port_deadline_after_ns(INT64_MAX - 1) == PORT_DEADLINE_NEVER);
}
END_TEST

START_TEST(test_deadline_remaining_ms_rounds_up_not_down)
{
    /* Half a millisecond left must read as 1 ms: a caller sleeping "0 ms"
     * would spin until the deadline instead of sleeping. */
    int64_t deadline = port_deadline_after_ns(PORT_NS_PER_MS / 2);
    int64_t ms = port_deadline_remaining_ms_ceil(deadline);
    if (!port_deadline_expired(deadline))
        ck_assert_int_eq(ms, 1);
    int64_t later = port_deadline_after_ms(10000);
    ck_assert_int_ge(port_deadline_remaining_ms_ceil(later), 9000);
    ck_assert_int_le(port_deadline_remaining_ms_ceil(later), 10000);
}
END_TEST

START_TEST(test_deadline_zero_timeout_is_already_expired)
{
    int64_t d = port_deadline_after_ms(0);
    ck_assert(port_deadline_expired(d));
    ck_assert_int_eq(port_deadline_remaining_ns(d), 0);
    ck_assert_int_eq(port_deadline_remaining_ms_ceil(d), 0);
}
END_TEST

/* ------------------------------------------------------------ mutex */

typedef struct {
    port_mutex_t *mutex;
    bool acquired;
} trylock_args_t;

static void *trylock_proc(void *arg)
{
    trylock_args_t *a = arg;
    a->acquired = port_mutex_trylock(a->mutex);
    if (a->acquired)
        port_mutex_unlock(a->mutex);
    return NULL;
}

START_TEST(test_mutex_trylock_fails_while_another_thread_holds_it)
{
    port_mutex_t m;
    ck_assert_int_eq(port_mutex_init(&m), 0);
    port_mutex_lock(&m);
    trylock_args_t a = { &m, true };
    port_thread_t t;
    ck_assert_int_eq(port_thread_create(&t, trylock_proc, &a, 0), 0);
    ck_assert_int_eq(port_thread_join(&t, NULL), 0);
    ck_assert(!a.acquired);
    port_mutex_unlock(&m);

    ck_assert_int_eq(port_thread_create(&t, trylock_proc, &a, 0), 0);
    ck_assert_int_eq(port_thread_join(&t, NULL), 0);
    ck_assert(a.acquired);
    port_mutex_destroy(&m);
}
END_TEST

typedef struct {
    port_mutex_t mutex;
    long counter;
} counter_args_t;

static void *counter_proc(void *arg)
{
    counter_args_t *a = arg;
    for (int i = 0; i < 100000; i++) {
        port_mutex_lock(&a->mutex);
        a->counter++;
        port_mutex_unlock(&a->mutex);
    }
    return NULL;
}

START_TEST(test_mutex_serialises_increments_from_four_threads)
{
    counter_args_t a = { .counter = 0 };
    ck_assert_int_eq(port_mutex_init(&a.mutex), 0);
    port_thread_t t[4];
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(port_thread_create(&t[i], counter_proc, &a, 0), 0);
    for (int i = 0; i < 4; i++)
        ck_assert_int_eq(port_thread_join(&t[i], NULL), 0);
    ck_assert_int_eq(a.counter, 400000);
    port_mutex_destroy(&a.mutex);
}
END_TEST

/* ------------------------------------------------------------ cond */

START_TEST(test_cond_wait_until_times_out_no_earlier_than_deadline)
{
    port_mutex_t m;
    port_cond_t c;
    ck_assert_int_eq(port_mutex_init(&m), 0);
    ck_assert_int_eq(port_cond_init(&c), 0);
    int64_t start = port_clock_now_ns();
    int64_t deadline = start + 20 * PORT_NS_PER_MS;
    port_mutex_lock(&m);
    bool signalled = true;
    while (signalled && !port_deadline_expired(deadline))
        signalled = port_cond_wait_until(&c, &m, deadline);
    port_mutex_unlock(&m);
    ck_assert(!signalled);
    ck_assert_int_ge(port_clock_now_ns(), deadline);
    port_cond_destroy(&c);
    port_mutex_destroy(&m);
}
END_TEST

typedef struct {
    port_mutex_t mutex;
    port_cond_t cond;
    int stage;  /* 0 -> 1 by the thread, 1 -> 2 by main */
} pingpong_t;

static void *pingpong_proc(void *arg)
{
    pingpong_t *p = arg;
    port_mutex_lock(&p->mutex);
    p->stage = 1;
    port_cond_broadcast(&p->cond);
    while (p->stage != 2)
        port_cond_wait(&p->cond, &p->mutex);
    port_mutex_unlock(&p->mutex);
    return NULL;
}

START_TEST(test_cond_signal_wakes_waiter_in_both_directions)
{
    pingpong_t p = { .stage = 0 };
    ck_assert_int_eq(port_mutex_init(&p.mutex), 0);
    ck_assert_int_eq(port_cond_init(&p.cond), 0);
    port_thread_t t;
    ck_assert_int_eq(port_thread_create(&t, pingpong_proc, &p, 0), 0);
    port_mutex_lock(&p.mutex);
    while (p.stage != 1)
        port_cond_wait(&p.cond, &p.mutex);
    p.stage = 2;
    port_cond_signal(&p.cond);
    port_mutex_unlock(&p.mutex);
    ck_assert_int_eq(port_thread_join(&t, NULL), 0);
    port_cond_destroy(&p.cond);
    port_mutex_destroy(&p.mutex);
}
END_TEST

/* ------------------------------------------------------------ event */

START_TEST(test_event_wait_zero_only_checks)
{
    port_event_t e;
    ck_assert_int_eq(port_event_init(&e, true, false), 0);
    ck_assert(!port_event_wait(&e, 0));
    port_event_set(&e);
    ck_assert(port_event_wait(&e, 0));
    port_event_destroy(&e);
}
END_TEST

START_TEST(test_event_timed_wait_returns_false_after_timeout)
{
    port_event_t e;
    ck_assert_int_eq(port_event_init(&e, false, false), 0);
    int64_t start = port_clock_now_ns();
    ck_assert(!port_event_wait(&e, 15));
    ck_assert_int_ge(port_clock_now_ns() - start, 15 * PORT_NS_PER_MS);
    port_event_destroy(&e);
}
END_TEST

START_TEST(test_manual_reset_event_stays_set_until_reset)
{
    port_event_t e;
    ck_assert_int_eq(port_event_init(&e, true, true), 0);
    ck_assert(port_event_is_set(&e));
    ck_assert(port_event_wait(&e, 0));
    ck_assert(port_event_wait(&e, 0));
    port_event_reset(&e);
    ck_assert(!port_event_is_set(&e));
    ck_assert(!port_event_wait(&e, 0));
    port_event_destroy(&e);
}
END_TEST

START_TEST(test_auto_reset_event_is_consumed_by_one_wait)
{
    port_event_t e;
    ck_assert_int_eq(port_event_init(&e, false, false), 0);
    port_event_set(&e);
    ck_assert(port_event_wait(&e, 0));
    ck_assert(!port_event_wait(&e, 0));
    port_event_destroy(&e);
}
END_TEST

typedef struct {
    port_event_t *gate;
    port_event_t *passed;   /* auto-reset, may be NULL: set by each waiter let through */
    atomic_int *released;
} gate_args_t;

static void *gate_waiter_proc(void *arg)
{
    gate_args_t *g = arg;
    if (port_event_wait(g->gate, -1)) {
        atomic_fetch_add_explicit(g->released, 1, memory_order_relaxed);
        if (g->passed != NULL)
            port_event_set(g->passed);
    }
    return NULL;
}

START_TEST(test_manual_reset_event_releases_every_waiter)
{
    enum { WAITERS = 6 };
    port_event_t gate;
    atomic_int released = 0;
    ck_assert_int_eq(port_event_init(&gate, true, false), 0);
    gate_args_t g = { &gate, NULL, &released };
    port_thread_t t[WAITERS];
    for (int i = 0; i < WAITERS; i++)
        ck_assert_int_eq(port_thread_create(&t[i], gate_waiter_proc, &g, 0), 0);
    port_event_set(&gate);
    for (int i = 0; i < WAITERS; i++)
        ck_assert_int_eq(port_thread_join(&t[i], NULL), 0);
    ck_assert_int_eq(atomic_load(&released), WAITERS);
    port_event_destroy(&gate);
}
END_TEST

START_TEST(test_auto_reset_event_releases_one_waiter_per_set)
{
    enum { WAITERS = 4 };
    port_event_t gate, passed;
    atomic_int released = 0;
    ck_assert_int_eq(port_event_init(&gate, false, false), 0);
    ck_assert_int_eq(port_event_init(&passed, false, false), 0);
    gate_args_t g = { &gate, &passed, &released };
    port_thread_t t[WAITERS];
    for (int i = 0; i < WAITERS; i++)
        ck_assert_int_eq(port_thread_create(&t[i], gate_waiter_proc, &g, 0), 0);
    /* Each set lets exactly one waiter through; after WAITERS sets, all
     * have passed and none passed twice (each increments once). */
    for (int i = 0; i < WAITERS; i++) {
        port_event_set(&gate);
        /* the waiter that got through says so before the next set, so two
         * sets never merge into one */
        ck_assert(port_event_wait(&passed, -1));
        ck_assert_int_eq(atomic_load(&released), i + 1);
    }
    for (int i = 0; i < WAITERS; i++)
        ck_assert_int_eq(port_thread_join(&t[i], NULL), 0);
    ck_assert_int_eq(atomic_load(&released), WAITERS);
    ck_assert(!port_event_is_set(&gate));
    port_event_destroy(&passed);
    port_event_destroy(&gate);
}
END_TEST

/* ------------------------------------------------------------ threads */

static void *return_arg_plus_one(void *arg)
{
    return (void *)((uintptr_t)arg + 1);
}

START_TEST(test_thread_join_returns_proc_result)
{
    port_thread_t t;
    void *result = NULL;
    ck_assert_int_eq(port_thread_create(&t, return_arg_plus_one, (void *)41, 0), 0);
    ck_assert_int_eq(port_thread_join(&t, &result), 0);
    ck_assert(result == (void *)42);
}
END_TEST

START_TEST(test_thread_tiny_stack_size_is_raised_to_minimum)
{
    port_thread_t t;
    void *result = NULL;
    ck_assert_int_eq(port_thread_create(&t, return_arg_plus_one, (void *)1, 1), 0);
    ck_assert_int_eq(port_thread_join(&t, &result), 0);
    ck_assert(result == (void *)2);
}
END_TEST

#ifndef _WIN32
/* POSIX only: Windows has no signal masks (port_thread.h). */
static void *report_blocked_signals(void *arg)
{
    (void)arg;
    sigset_t set;
    pthread_sigmask(SIG_BLOCK, NULL, &set);  /* test-only: read the mask */
    bool all = sigismember(&set, SIGINT) == 1 && sigismember(&set, SIGTERM) == 1 &&
               sigismember(&set, SIGPIPE) == 1 && sigismember(&set, SIGHUP) == 1;
    return all ? (void *)1 : NULL;
}

START_TEST(test_new_threads_start_with_signals_blocked_and_creator_mask_kept)
{
    sigset_t before, after;
    pthread_sigmask(SIG_BLOCK, NULL, &before);
    port_thread_t t;
    void *result = NULL;
    ck_assert_int_eq(port_thread_create(&t, report_blocked_signals, NULL, 0), 0);
    ck_assert_int_eq(port_thread_join(&t, &result), 0);
    ck_assert(result == (void *)1);
    pthread_sigmask(SIG_BLOCK, NULL, &after);
    ck_assert_int_eq(sigismember(&after, SIGINT), sigismember(&before, SIGINT));
    ck_assert_int_eq(sigismember(&after, SIGTERM), sigismember(&before, SIGTERM));
}
END_TEST
#endif

static port_thread_t self_check_thread;
static port_event_t self_check_ready;

static void *is_current_proc(void *arg)
{
    (void)arg;
    port_event_wait(&self_check_ready, -1);  /* until the handle is stored */
    return port_thread_is_current(&self_check_thread) ? (void *)1 : NULL;
}

START_TEST(test_thread_is_current_only_on_that_thread)
{
    ck_assert_int_eq(port_event_init(&self_check_ready, true, false), 0);
    ck_assert_int_eq(port_thread_create(&self_check_thread, is_current_proc, NULL, 0), 0);
    port_event_set(&self_check_ready);
    ck_assert(!port_thread_is_current(&self_check_thread));
    void *result = NULL;
    ck_assert_int_eq(port_thread_join(&self_check_thread, &result), 0);
    ck_assert(result == (void *)1);
    port_event_destroy(&self_check_ready);
}
END_TEST

static port_tls_t tls_slot;

static void *tls_proc(void *arg)
{
    if (port_tls_get(&tls_slot) != NULL)
        return NULL;  /* a new thread starts with an empty slot */
    port_tls_set(&tls_slot, arg);
    for (int i = 0; i < 1000; i++)
        if (port_tls_get(&tls_slot) != arg)
            return NULL;
    return arg;
}

START_TEST(test_tls_values_are_per_thread)
{
    ck_assert_int_eq(port_tls_create(&tls_slot), 0);
    port_tls_set(&tls_slot, (void *)0x99);
    port_thread_t t[4];
    for (uintptr_t i = 0; i < 4; i++)
        ck_assert_int_eq(port_thread_create(&t[i], tls_proc, (void *)(i + 1), 0), 0);
    for (uintptr_t i = 0; i < 4; i++) {
        void *result = NULL;
        ck_assert_int_eq(port_thread_join(&t[i], &result), 0);
        ck_assert(result == (void *)(i + 1));
    }
    ck_assert(port_tls_get(&tls_slot) == (void *)0x99);
    port_tls_destroy(&tls_slot);
}
END_TEST

static port_once_t once_control = PORT_ONCE_INIT;
static atomic_int once_runs;

static void once_init(void)
{
    atomic_fetch_add(&once_runs, 1);
}

static void *once_proc(void *arg)
{
    (void)arg;
    port_once(&once_control, once_init);
    /* every caller returns only after init finished */
    return atomic_load(&once_runs) == 1 ? (void *)1 : NULL;
}

START_TEST(test_once_runs_init_exactly_once_across_threads)
{
    port_thread_t t[8];
    for (int i = 0; i < 8; i++)
        ck_assert_int_eq(port_thread_create(&t[i], once_proc, NULL, 0), 0);
    for (int i = 0; i < 8; i++) {
        void *result = NULL;
        ck_assert_int_eq(port_thread_join(&t[i], &result), 0);
        ck_assert(result == (void *)1);
    }
    ck_assert_int_eq(atomic_load(&once_runs), 1);
}
END_TEST

static Suite *port_suite(void)
{
    Suite *s = suite_create("port");
    TCase *tc = tcase_create("clock");
    tcase_add_test(tc, test_clock_is_monotonic_and_ms_matches_ns);
    tcase_add_test(tc, test_deadline_negative_timeout_never_expires);
    tcase_add_test(tc, test_deadline_huge_timeout_saturates_instead_of_wrapping);
    tcase_add_test(tc, test_deadline_remaining_ms_rounds_up_not_down);
    tcase_add_test(tc, test_deadline_zero_timeout_is_already_expired);
    suite_add_tcase(s, tc);

    tc = tcase_create("sync");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_mutex_trylock_fails_while_another_thread_holds_it);
    tcase_add_test(tc, test_mutex_serialises_increments_from_four_threads);
    tcase_add_test(tc, test_cond_wait_until_times_out_no_earlier_than_deadline);
    tcase_add_test(tc, test_cond_signal_wakes_waiter_in_both_directions);
    tcase_add_test(tc, test_event_wait_zero_only_checks);
    tcase_add_test(tc, test_event_timed_wait_returns_false_after_timeout);
    tcase_add_test(tc, test_manual_reset_event_stays_set_until_reset);
    tcase_add_test(tc, test_auto_reset_event_is_consumed_by_one_wait);
    tcase_add_test(tc, test_manual_reset_event_releases_every_waiter);
    tcase_add_test(tc, test_auto_reset_event_releases_one_waiter_per_set);
    suite_add_tcase(s, tc);

    tc = tcase_create("thread");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_thread_join_returns_proc_result);
    tcase_add_test(tc, test_thread_tiny_stack_size_is_raised_to_minimum);
#ifndef _WIN32
    tcase_add_test(tc, test_new_threads_start_with_signals_blocked_and_creator_mask_kept);
#endif
    tcase_add_test(tc, test_thread_is_current_only_on_that_thread);
    tcase_add_test(tc, test_tls_values_are_per_thread);
    tcase_add_test(tc, test_once_runs_init_exactly_once_across_threads);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(port_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
