/*
 * check_async_queue.c - async_queue: arguments, FIFO over many laps and
 * odd capacities, size limits, too-small buffers, DROP_OLDEST,
 * BLOCK_WRITER, close, async_queue_wait, statistics, and concurrent
 * producers/consumers counted exactly.
 *
 * Synchronisation is by events, joins and observed queue state, never by
 * sleeping: a test that needs "the writer is now blocked" waits until
 * async_queue_blocked_writers() says so (the writer raises that count
 * under the queue's lock before its last check, so a slot freed after the
 * count is visible always wakes it).  Helper threads never call ck_assert;
 * they record what they saw and the test thread asserts after joining.
 */
#include "config.h"
#include "async/async_queue.h"
#include "async/async_worker.h"
#include "port/port_atomic.h"
#include "port/port_clock.h"
#include "port/port_sync.h"
#include "port/port_thread.h"

#include <check.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

/* Generous bound for "this must happen": only ever reached on a bug. */
#define SURELY_MS 60000

/* ck_assert for hot loops: Check records a checkpoint (a write to its
 * pipe) on every ck_assert, which dominates loops of many thousands of
 * operations; this only calls into Check when the condition fails. */
#define REQUIRE(cond)                                                        \
    do {                                                                     \
        if (!(cond))                                                         \
            ck_abort_msg("%s:%d: failed: %s", __FILE__, __LINE__, #cond);   \
    } while (0)

/* ------------------------------------------------------------ helpers */

static port_thread_t start_thread(port_thread_proc_t proc, void *arg)
{
    port_thread_t t;
    ck_assert_int_eq(port_thread_create(&t, proc, arg, 0), 0);
    return t;
}

static void join_thread(port_thread_t *t)
{
    ck_assert_int_eq(port_thread_join(t, NULL), 0);
}

/* Waits until at least n writers are asleep in q waiting for a slot. */
static void wait_for_blocked_writers(async_queue_t *q, size_t n)
{
    int64_t deadline = port_deadline_after_ms(SURELY_MS);
    while (async_queue_blocked_writers(q) < n) {
        ck_assert_msg(!port_deadline_expired(deadline),
                      "writers never blocked: %zu of %zu",
                      async_queue_blocked_writers(q), n);
        port_thread_yield();
    }
}

static bool enqueue_int(async_queue_t *q, int v)
{
    return async_queue_enqueue(q, &v, sizeof v);
}

/* Dequeues one int and asserts its value. */
static void expect_int(async_queue_t *q, int want)
{
    int got = -1;
    size_t n = 99;
    async_queue_result_t r = async_queue_dequeue_ex(q, &got, sizeof got, &n);
    if (r != ASYNC_QUEUE_OK || n != sizeof got || got != want)
        ck_abort_msg("expected %d, got %s, size %zu, value %d", want,
                     async_queue_result_str(r), n, got);
}

static void expect_empty(async_queue_t *q)
{
    int got;
    size_t n = 99;
    async_queue_result_t r = async_queue_dequeue_ex(q, &got, sizeof got, &n);
    if (r != ASYNC_QUEUE_EMPTY || n != 0)
        ck_abort_msg("expected empty, got %s, size %zu", async_queue_result_str(r), n);
}

static async_queue_stats_t stats_of(const async_queue_t *q)
{
    async_queue_stats_t s;
    async_queue_get_stats(q, &s);
    return s;
}

/* A writer on its own thread (plain thread or async_worker): enqueues one
 * int and reports the result. */
typedef struct {
    async_queue_t *q;
    int value;
    async_queue_result_t result;
    bool stop_self_first;      /* worker: signal its own stop before enqueue */
    atomic_int *done;          /* incremented after the enqueue returned */
    port_event_t *done_event;  /* set after `done` grew (may be NULL) */
    int64_t cpu_ns;            /* CPU time the enqueue took, when measured */
} writer_t;

static int64_t thread_cpu_ns(void)
{
#ifdef CLOCK_THREAD_CPUTIME_ID
    struct timespec ts;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts) == 0)
        return (int64_t)ts.tv_sec * PORT_NS_PER_SEC + ts.tv_nsec;
#endif
    return -1;
}

static void *writer_proc(void *arg)
{
    writer_t *w = arg;
    if (w->stop_self_first)
        async_worker_signal_stop(async_worker_current());
    int64_t cpu0 = thread_cpu_ns();
    w->result = async_queue_enqueue_ex(w->q, &w->value, sizeof w->value);
    int64_t cpu1 = thread_cpu_ns();
    w->cpu_ns = (cpu0 >= 0 && cpu1 >= 0) ? cpu1 - cpu0 : -1;
    if (w->done != NULL)
        /* relaxed: the test reads the results only after joining. */
        atomic_fetch_add_explicit(w->done, 1, memory_order_relaxed);
    if (w->done_event != NULL)
        port_event_set(w->done_event);
    return NULL;
}

/* ------------------------------------------------------ creation, args */

START_TEST(test_create_rejects_zero_capacity_zero_size_and_overflow)
{
    ck_assert_ptr_null(async_queue_create(0, 16, 0));
    ck_assert_ptr_null(async_queue_create(16, 0, 0));
    ck_assert_ptr_null(async_queue_create(0, 0, 0));
    ck_assert_ptr_null(async_queue_create(SIZE_MAX, 16, 0));
    ck_assert_ptr_null(async_queue_create(16, SIZE_MAX, 0));
    ck_assert_ptr_null(async_queue_create(SIZE_MAX / 2, SIZE_MAX / 2, 0));
    async_queue_t *q = async_queue_create(1, 1, 0);
    ck_assert_ptr_nonnull(q);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_invalid_arguments_are_refused_and_change_nothing)
{
    async_queue_t *q = async_queue_create(4, 8, 0);
    int v = 1;
    size_t n = 99;
    char buf[8];

    ck_assert_int_eq(async_queue_enqueue_ex(NULL, &v, sizeof v), ASYNC_QUEUE_INVALID);
    ck_assert(!async_queue_enqueue(NULL, &v, sizeof v));
    ck_assert_int_eq(async_queue_enqueue_ex(q, NULL, 4), ASYNC_QUEUE_INVALID);
    ck_assert_int_eq(async_queue_dequeue_ex(NULL, buf, sizeof buf, &n), ASYNC_QUEUE_INVALID);
    ck_assert_uint_eq(n, 0);
    ck_assert_int_eq(async_queue_dequeue_ex(q, buf, sizeof buf, NULL), ASYNC_QUEUE_INVALID);
    ck_assert(!async_queue_dequeue(q, buf, sizeof buf, NULL));
    n = 99;
    ck_assert_int_eq(async_queue_dequeue_ex(q, NULL, 8, &n), ASYNC_QUEUE_INVALID);
    ck_assert_uint_eq(n, 0);

    /* NULL queue is harmless everywhere. */
    async_queue_destroy(NULL);
    async_queue_close(NULL);
    ck_assert(!async_queue_is_closed(NULL));
    ck_assert(async_queue_is_empty(NULL));
    ck_assert(!async_queue_is_full(NULL));
    ck_assert(!async_queue_wait(NULL, 0));
    ck_assert_uint_eq(async_queue_blocked_writers(NULL), 0);
    async_queue_stats_t s;
    memset(&s, 0xff, sizeof s);
    async_queue_get_stats(NULL, &s);
    ck_assert_uint_eq(s.capacity, 0);
    async_queue_get_stats(q, NULL);

    async_queue_stats_t after = stats_of(q);
    ck_assert_uint_eq(after.current_size, 0);
    ck_assert_uint_eq(after.total_enqueued, 0);
    ck_assert_uint_eq(after.rejected_count, 0);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_result_str_names_what_failed)
{
    const struct { async_queue_result_t r; const char *word; } cases[] = {
        { ASYNC_QUEUE_OK, "ok" },
        { ASYNC_QUEUE_EMPTY, "empty" },
        { ASYNC_QUEUE_FULL, "full" },
        { ASYNC_QUEUE_TOO_LARGE, "max_message_size" },
        { ASYNC_QUEUE_BUFFER_TOO_SMALL, "too small" },
        { ASYNC_QUEUE_CLOSED, "closed" },
        { ASYNC_QUEUE_INVALID, "invalid" },
    };
    for (size_t i = 0; i < sizeof cases / sizeof cases[0]; i++) {
        const char *s = async_queue_result_str(cases[i].r);
        ck_assert_ptr_nonnull(s);
        ck_assert_msg(strncmp(s, "async_queue: ", 13) == 0, "%s", s);
        ck_assert_msg(strstr(s, cases[i].word) != NULL, "%s lacks %s", s, cases[i].word);
    }
    ck_assert_ptr_nonnull(async_queue_result_str((async_queue_result_t)1234));
}
END_TEST

/* --------------------------------------------------------- FIFO basics */

START_TEST(test_fifo_order_across_many_laps)
{
    async_queue_t *q = async_queue_create(8, sizeof(int), 0);
    int next_in = 0, next_out = 0;
    /* Uneven batches so head and tail wrap at different slots. */
    for (int round = 0; round < 500; round++) {
        int put = 1 + round % 8, take = 1 + (round * 5) % 8;
        for (int i = 0; i < put; i++)
            if (enqueue_int(q, next_in))
                next_in++;
        for (int i = 0; i < take && next_out < next_in; i++)
            expect_int(q, next_out++);
    }
    while (next_out < next_in)
        expect_int(q, next_out++);
    expect_empty(q);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_capacity_one_alternates_full_and_empty)
{
    async_queue_t *q = async_queue_create(1, sizeof(int), 0);
    for (int i = 0; i < 1000; i++) {
        REQUIRE(async_queue_is_empty(q));
        REQUIRE(enqueue_int(q, i));
        REQUIRE(async_queue_is_full(q));
        REQUIRE(async_queue_enqueue_ex(q, &i, sizeof i) == ASYNC_QUEUE_FULL);
        expect_int(q, i);
        expect_empty(q);
    }
    async_queue_stats_t s = stats_of(q);
    ck_assert_uint_eq(s.total_enqueued, 1000);
    ck_assert_uint_eq(s.total_dequeued, 1000);
    ck_assert_uint_eq(s.rejected_count, 1000);
    ck_assert_uint_eq(s.peak_size, 1);
    async_queue_destroy(q);
}
END_TEST

/* Random operations against a reference FIFO, for power-of-two and odd
 * capacities, with and without DROP_OLDEST. */
START_TEST(test_random_operations_match_reference_fifo_for_odd_capacities)
{
    const size_t caps[] = { 1, 2, 3, 5, 6, 7, 12, 100, 1000, 1023, 1024, 1025 };
    unsigned seed = 12345;
    for (size_t c = 0; c < sizeof caps / sizeof caps[0]; c++) {
        for (int drop = 0; drop < 2; drop++) {
            size_t cap = caps[c];
            async_queue_t *q = async_queue_create(cap, sizeof(int),
                                                  drop ? ASYNC_QUEUE_DROP_OLDEST : 0);
            ck_assert_ptr_nonnull(q);
            int *model = malloc(cap * sizeof *model);
            size_t m_head = 0, m_len = 0, drops = 0;
            int next = 0;
            for (int op = 0; op < 20000; op++) {
                seed = seed * 1103515245u + 12345u;
                if ((seed >> 16) % 100 < 55) {
                    bool ok = enqueue_int(q, next);
                    if (m_len < cap) {
                        REQUIRE(ok);
                        model[(m_head + m_len++) % cap] = next;
                    } else if (drop) {
                        REQUIRE(ok);
                        m_head = (m_head + 1) % cap;
                        model[(m_head + cap - 1) % cap] = next;
                        drops++;
                    } else {
                        REQUIRE(!ok);
                    }
                    next++;
                } else if (m_len == 0) {
                    expect_empty(q);
                } else {
                    expect_int(q, model[m_head]);
                    m_head = (m_head + 1) % cap;
                    m_len--;
                }
                REQUIRE(stats_of(q).current_size == m_len);
            }
            ck_assert_uint_eq(stats_of(q).dropped_count, drops);
            free(model);
            async_queue_destroy(q);
        }
    }
}
END_TEST

START_TEST(test_is_empty_and_is_full_track_contents)
{
    async_queue_t *q = async_queue_create(3, sizeof(int), 0);
    ck_assert(async_queue_is_empty(q));
    ck_assert(!async_queue_is_full(q));
    enqueue_int(q, 1);
    ck_assert(!async_queue_is_empty(q));
    ck_assert(!async_queue_is_full(q));
    enqueue_int(q, 2);
    enqueue_int(q, 3);
    ck_assert(async_queue_is_full(q));
    expect_int(q, 1);
    ck_assert(!async_queue_is_full(q));
    expect_int(q, 2);
    expect_int(q, 3);
    ck_assert(async_queue_is_empty(q));
    async_queue_destroy(q);
}
END_TEST

/* --------------------------------------------------------------- sizes */

START_TEST(test_too_large_message_is_rejected_and_changes_nothing)
{
    async_queue_t *q = async_queue_create(4, 16, 0);
    char big[17];
    memset(big, 'x', sizeof big);
    ck_assert(enqueue_int(q, 7));
    async_queue_stats_t before = stats_of(q);

    ck_assert_int_eq(async_queue_enqueue_ex(q, big, sizeof big), ASYNC_QUEUE_TOO_LARGE);
    ck_assert(!async_queue_enqueue(q, big, 1000));

    async_queue_stats_t after = stats_of(q);
    ck_assert_uint_eq(after.current_size, before.current_size);
    ck_assert_uint_eq(after.total_enqueued, before.total_enqueued);
    ck_assert_uint_eq(after.peak_size, before.peak_size);
    ck_assert_uint_eq(after.rejected_count, before.rejected_count + 2);
    expect_int(q, 7);
    expect_empty(q);

    /* Exactly max_message_size fits. */
    ck_assert_int_eq(async_queue_enqueue_ex(q, big, 16), ASYNC_QUEUE_OK);
    char out[16];
    size_t n;
    ck_assert(async_queue_dequeue(q, out, sizeof out, &n));
    ck_assert_uint_eq(n, 16);
    ck_assert(memcmp(out, big, 16) == 0);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_zero_length_messages_are_stored_and_counted)
{
    async_queue_t *q = async_queue_create(2, 8, 0);
    ck_assert_int_eq(async_queue_enqueue_ex(q, NULL, 0), ASYNC_QUEUE_OK);
    char c = 'z';
    ck_assert_int_eq(async_queue_enqueue_ex(q, &c, 0), ASYNC_QUEUE_OK);
    ck_assert(async_queue_is_full(q));

    size_t n = 99;
    /* A zero-length message fits any buffer, even none. */
    ck_assert_int_eq(async_queue_dequeue_ex(q, NULL, 0, &n), ASYNC_QUEUE_OK);
    ck_assert_uint_eq(n, 0);
    char buf[8];
    n = 99;
    ck_assert(async_queue_dequeue(q, buf, sizeof buf, &n));
    ck_assert_uint_eq(n, 0);
    /* Now empty: false, where the zero-length dequeues returned true. */
    n = 99;
    ck_assert(!async_queue_dequeue(q, buf, sizeof buf, &n));
    ck_assert_uint_eq(n, 0);
    ck_assert_uint_eq(stats_of(q).total_dequeued, 2);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_too_small_buffer_keeps_message_and_reports_needed_size)
{
    async_queue_t *q = async_queue_create(4, 100, 0);
    char msg[100], next[3] = "ab";
    for (size_t i = 0; i < sizeof msg; i++)
        msg[i] = (char)i;
    ck_assert(async_queue_enqueue(q, msg, sizeof msg));
    ck_assert(async_queue_enqueue(q, next, sizeof next));

    char small[10];
    size_t n = 0;
    ck_assert_int_eq(async_queue_dequeue_ex(q, small, sizeof small, &n),
                     ASYNC_QUEUE_BUFFER_TOO_SMALL);
    ck_assert_uint_eq(n, 100);
    n = 0;
    ck_assert(!async_queue_dequeue(q, small, sizeof small, &n));
    ck_assert_uint_eq(n, 100);    /* false with size > 0: too small, not empty */
    n = 0;
    ck_assert_int_eq(async_queue_dequeue_ex(q, NULL, 0, &n), ASYNC_QUEUE_BUFFER_TOO_SMALL);
    ck_assert_uint_eq(n, 100);
    async_queue_stats_t s = stats_of(q);
    ck_assert_uint_eq(s.current_size, 2);
    ck_assert_uint_eq(s.total_dequeued, 0);

    /* The message is still at the head, whole. */
    char out[100];
    ck_assert(async_queue_dequeue(q, out, n, &n));
    ck_assert_uint_eq(n, 100);
    ck_assert(memcmp(out, msg, sizeof msg) == 0);
    ck_assert(async_queue_dequeue(q, small, sizeof small, &n));
    ck_assert_uint_eq(n, 3);
    ck_assert_str_eq(small, "ab");

    /* Empty: false with size 0. */
    n = 99;
    ck_assert_int_eq(async_queue_dequeue_ex(q, small, sizeof small, &n), ASYNC_QUEUE_EMPTY);
    ck_assert_uint_eq(n, 0);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_mixed_sizes_round_trip_with_exact_content)
{
    enum { MAX = 300 };
    async_queue_t *q = async_queue_create(7, MAX, 0);
    unsigned char in[MAX], out[MAX];
    size_t sent = 0, got = 0;
    for (int lap = 0; lap < 50; lap++) {
        for (int i = 0; i < 7; i++, sent++) {
            size_t size = (sent * 37) % (MAX + 1);
            for (size_t b = 0; b < size; b++)
                in[b] = (unsigned char)(sent + b);
            REQUIRE(async_queue_enqueue(q, in, size));
        }
        for (; got < sent; got++) {
            size_t want = (got * 37) % (MAX + 1), n = 0;
            REQUIRE(async_queue_dequeue(q, out, sizeof out, &n));
            REQUIRE(n == want);
            for (size_t b = 0; b < n; b++)
                REQUIRE(out[b] == (unsigned char)(got + b));
        }
    }
    async_queue_destroy(q);
}
END_TEST

/* ------------------------------------------------------------ policies */

START_TEST(test_full_queue_without_policy_rejects_and_keeps_contents)
{
    async_queue_t *q = async_queue_create(3, sizeof(int), 0);
    for (int i = 0; i < 3; i++)
        ck_assert(enqueue_int(q, i));
    int v = 99;
    ck_assert_int_eq(async_queue_enqueue_ex(q, &v, sizeof v), ASYNC_QUEUE_FULL);
    ck_assert(!enqueue_int(q, 100));
    async_queue_stats_t s = stats_of(q);
    ck_assert_uint_eq(s.rejected_count, 2);
    ck_assert_uint_eq(s.dropped_count, 0);
    for (int i = 0; i < 3; i++)
        expect_int(q, i);
    expect_empty(q);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_drop_oldest_keeps_newest_and_counts_drops)
{
    async_queue_t *q = async_queue_create(4, sizeof(int), ASYNC_QUEUE_DROP_OLDEST);
    for (int i = 0; i < 10; i++)
        ck_assert_int_eq(async_queue_enqueue_ex(q, &i, sizeof i), ASYNC_QUEUE_OK);
    async_queue_stats_t s = stats_of(q);
    ck_assert_uint_eq(s.dropped_count, 6);
    ck_assert_uint_eq(s.current_size, 4);
    ck_assert_uint_eq(s.total_enqueued, 10);
    ck_assert_uint_eq(s.total_dequeued, 0);
    ck_assert_uint_eq(s.rejected_count, 0);
    for (int i = 6; i < 10; i++)
        expect_int(q, i);
    expect_empty(q);
    s = stats_of(q);
    ck_assert_uint_eq(s.total_dequeued, 4);   /* drops are not dequeues */
    ck_assert_uint_eq(s.dropped_count, 6);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_drop_oldest_with_capacity_one_keeps_last_message)
{
    async_queue_t *q = async_queue_create(1, sizeof(int), ASYNC_QUEUE_DROP_OLDEST);
    for (int i = 0; i < 100; i++)
        ck_assert(enqueue_int(q, i));
    ck_assert_uint_eq(stats_of(q).dropped_count, 99);
    expect_int(q, 99);
    expect_empty(q);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_drop_oldest_takes_precedence_over_block_writer)
{
    /* Both flags: a full queue drops instead of blocking (this thread
     * would hang otherwise). */
    async_queue_t *q = async_queue_create(2, sizeof(int),
                                          ASYNC_QUEUE_DROP_OLDEST | ASYNC_QUEUE_BLOCK_WRITER);
    for (int i = 0; i < 5; i++)
        ck_assert(enqueue_int(q, i));
    ck_assert_uint_eq(stats_of(q).dropped_count, 3);
    expect_int(q, 3);
    expect_int(q, 4);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_block_writer_sleeps_until_a_slot_frees)
{
    async_queue_t *q = async_queue_create(2, sizeof(int), ASYNC_QUEUE_BLOCK_WRITER);
    enqueue_int(q, 1);
    enqueue_int(q, 2);
    atomic_int done;
    atomic_init(&done, 0);
    writer_t w = { .q = q, .value = 3, .done = &done };
    port_thread_t t = start_thread(writer_proc, &w);

    wait_for_blocked_writers(q, 1);
    /* relaxed: a plain progress check; the queue is full, so the writer
     * cannot have returned. */
    ck_assert_int_eq(atomic_load_explicit(&done, memory_order_relaxed), 0);
    expect_int(q, 1);
    join_thread(&t);
    ck_assert_int_eq(w.result, ASYNC_QUEUE_OK);
    ck_assert_uint_eq(async_queue_blocked_writers(q), 0);
    expect_int(q, 2);
    expect_int(q, 3);
    expect_empty(q);
    ck_assert_uint_eq(stats_of(q).rejected_count, 0);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_blocked_writer_sleeps_without_burning_cpu)
{
#ifdef CLOCK_THREAD_CPUTIME_ID
    async_queue_t *q = async_queue_create(1, sizeof(int), ASYNC_QUEUE_BLOCK_WRITER);
    enqueue_int(q, 1);
    writer_t w = { .q = q, .value = 2 };
    port_thread_t t = start_thread(writer_proc, &w);
    wait_for_blocked_writers(q, 1);
    /* Not synchronisation: lets wall time pass so a spinning writer would
     * show CPU time. */
    port_event_t never;
    port_event_init(&never, true, false);
    ck_assert(!port_event_wait(&never, 300));
    port_event_destroy(&never);
    expect_int(q, 1);
    join_thread(&t);
    ck_assert_int_eq(w.result, ASYNC_QUEUE_OK);
    ck_assert_msg(w.cpu_ns < 150 * PORT_NS_PER_MS,
                  "blocked writer used %lld ns of CPU in 300 ms", (long long)w.cpu_ns);
    async_queue_destroy(q);
#endif
}
END_TEST

START_TEST(test_every_freed_slot_releases_one_of_several_blocked_writers)
{
    enum { WRITERS = 3 };
    async_queue_t *q = async_queue_create(2, sizeof(int), ASYNC_QUEUE_BLOCK_WRITER);
    enqueue_int(q, 0);
    enqueue_int(q, 1);
    atomic_int done;
    atomic_init(&done, 0);
    port_event_t done_event;
    port_event_init(&done_event, false, false);
    writer_t w[WRITERS];
    port_thread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (writer_t){ .q = q, .value = 100 + i, .done = &done, .done_event = &done_event };
        t[i] = start_thread(writer_proc, &w[i]);
    }
    wait_for_blocked_writers(q, WRITERS);

    int seen[WRITERS] = { 0 };
    int expect_next = 0;
    for (int freed = 1; freed <= WRITERS; freed++) {
        int v;
        size_t n;
        ck_assert(async_queue_dequeue(q, &v, sizeof v, &n));
        if (v < 100)
            ck_assert_int_eq(v, expect_next++);
        else
            seen[v - 100]++;
        /* Exactly one more writer gets through per freed slot. */
        /* relaxed: counts only; results are read after the joins. */
        while (atomic_load_explicit(&done, memory_order_relaxed) < freed)
            ck_assert(port_event_wait(&done_event, SURELY_MS));
        ck_assert(async_queue_is_full(q));
        ck_assert_int_eq(atomic_load_explicit(&done, memory_order_relaxed), freed);
    }
    for (int i = 0; i < WRITERS; i++) {
        join_thread(&t[i]);
        ck_assert_int_eq(w[i].result, ASYNC_QUEUE_OK);
    }
    int v;
    size_t n;
    while (async_queue_dequeue(q, &v, sizeof v, &n))
        seen[v - 100]++;
    for (int i = 0; i < WRITERS; i++)
        ck_assert_int_eq(seen[i], 1);
    port_event_destroy(&done_event);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_blocked_writers_all_released_when_slots_free_in_a_burst)
{
    /* Free several slots back to back, without waiting in between: no
     * writer may stay asleep while there is room. */
    enum { WRITERS = 4 };
    for (int round = 0; round < 50; round++) {
        async_queue_t *q = async_queue_create(WRITERS, sizeof(int), ASYNC_QUEUE_BLOCK_WRITER);
        for (int i = 0; i < WRITERS; i++)
            enqueue_int(q, i);
        writer_t w[WRITERS];
        port_thread_t t[WRITERS];
        for (int i = 0; i < WRITERS; i++) {
            w[i] = (writer_t){ .q = q, .value = 100 + i };
            t[i] = start_thread(writer_proc, &w[i]);
        }
        wait_for_blocked_writers(q, WRITERS);
        for (int i = 0; i < WRITERS; i++)
            expect_int(q, i);
        for (int i = 0; i < WRITERS; i++) {
            join_thread(&t[i]);
            ck_assert_int_eq(w[i].result, ASYNC_QUEUE_OK);
        }
        async_queue_stats_t s = stats_of(q);
        ck_assert_uint_eq(s.current_size, WRITERS);
        ck_assert_uint_eq(s.total_enqueued, 2 * WRITERS);
        async_queue_destroy(q);
    }
}
END_TEST

START_TEST(test_close_releases_blocked_writers_with_closed_and_keeps_contents)
{
    enum { WRITERS = 3 };
    async_queue_t *q = async_queue_create(2, sizeof(int), ASYNC_QUEUE_BLOCK_WRITER);
    enqueue_int(q, 1);
    enqueue_int(q, 2);
    writer_t w[WRITERS];
    port_thread_t t[WRITERS];
    for (int i = 0; i < WRITERS; i++) {
        w[i] = (writer_t){ .q = q, .value = 100 + i };
        t[i] = start_thread(writer_proc, &w[i]);
    }
    wait_for_blocked_writers(q, WRITERS);
    async_queue_close(q);
    for (int i = 0; i < WRITERS; i++) {
        join_thread(&t[i]);
        ck_assert_int_eq(w[i].result, ASYNC_QUEUE_CLOSED);
    }
    ck_assert_uint_eq(async_queue_blocked_writers(q), 0);
    ck_assert_int_eq(async_queue_enqueue_ex(q, NULL, 0), ASYNC_QUEUE_CLOSED);
    expect_int(q, 1);
    expect_int(q, 2);
    expect_empty(q);
    async_queue_stats_t s = stats_of(q);
    ck_assert(s.closed);
    ck_assert_uint_eq(s.rejected_count, WRITERS + 1);
    ck_assert_uint_eq(s.total_enqueued, 2);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_worker_stop_releases_its_blocked_enqueue_with_full)
{
    async_queue_t *q = async_queue_create(1, sizeof(int), ASYNC_QUEUE_BLOCK_WRITER);
    enqueue_int(q, 1);
    writer_t ww = { .q = q, .value = 2 };
    async_worker_t *worker = async_worker_create(writer_proc, &ww, 0);
    ck_assert_ptr_nonnull(worker);
    writer_t tw = { .q = q, .value = 3 };
    port_thread_t t = start_thread(writer_proc, &tw);
    wait_for_blocked_writers(q, 2);

    async_worker_signal_stop(worker);
    ck_assert(async_worker_join(worker, SURELY_MS));
    ck_assert_int_eq(ww.result, ASYNC_QUEUE_FULL);
    async_worker_destroy(worker);

    /* The plain thread was not a worker: it is still blocked. */
    ck_assert_uint_eq(async_queue_blocked_writers(q), 1);
    ck_assert(!async_queue_is_closed(q));
    expect_int(q, 1);
    join_thread(&t);
    ck_assert_int_eq(tw.result, ASYNC_QUEUE_OK);
    expect_int(q, 3);
    ck_assert_uint_eq(stats_of(q).rejected_count, 1);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_stopped_worker_does_not_block_on_full_queue)
{
    async_queue_t *q = async_queue_create(1, sizeof(int), ASYNC_QUEUE_BLOCK_WRITER);
    enqueue_int(q, 1);
    writer_t w = { .q = q, .value = 2, .stop_self_first = true };
    async_worker_t *worker = async_worker_create(writer_proc, &w, 0);
    ck_assert(async_worker_join(worker, SURELY_MS));
    ck_assert_int_eq(w.result, ASYNC_QUEUE_FULL);
    async_worker_destroy(worker);
    expect_int(q, 1);
    expect_empty(q);
    async_queue_destroy(q);
}
END_TEST

/* --------------------------------------------------------------- close */

START_TEST(test_close_rejects_later_enqueues_and_allows_drain)
{
    async_queue_t *q = async_queue_create(4, sizeof(int), ASYNC_QUEUE_SIGNAL_ON_DATA);
    enqueue_int(q, 1);
    enqueue_int(q, 2);
    ck_assert(!async_queue_is_closed(q));
    async_queue_close(q);
    async_queue_close(q);  /* idempotent */
    ck_assert(async_queue_is_closed(q));
    int v = 3;
    ck_assert_int_eq(async_queue_enqueue_ex(q, &v, sizeof v), ASYNC_QUEUE_CLOSED);
    ck_assert(async_queue_wait(q, -1));  /* data still there */
    expect_int(q, 1);
    expect_int(q, 2);
    expect_empty(q);
    ck_assert(!async_queue_wait(q, -1));  /* closed and empty: no sleep */
    async_queue_stats_t s = stats_of(q);
    ck_assert(s.closed);
    ck_assert_uint_eq(s.rejected_count, 1);
    ck_assert_uint_eq(s.total_dequeued, 2);
    async_queue_destroy(q);
}
END_TEST

/* ---------------------------------------------------------------- wait */

/* A thread sleeping in async_queue_wait; says when it is about to. */
typedef struct {
    async_queue_t *q;
    int timeout_ms;
    port_event_t *ready;     /* set just before each wait */
    bool result;
} waiter_t;

static void *waiter_proc(void *arg)
{
    waiter_t *w = arg;
    port_event_set(w->ready);
    w->result = async_queue_wait(w->q, w->timeout_ms);
    return NULL;
}

START_TEST(test_wait_returns_true_at_once_when_data_is_present)
{
    for (int f = 0; f < 2; f++) {
        async_queue_t *q = async_queue_create(2, sizeof(int),
                                              f ? ASYNC_QUEUE_SIGNAL_ON_DATA : 0);
        enqueue_int(q, 1);
        ck_assert(async_queue_wait(q, 0));
        ck_assert(async_queue_wait(q, -1));
        expect_int(q, 1);
        async_queue_destroy(q);
    }
}
END_TEST

START_TEST(test_wait_zero_only_checks)
{
    async_queue_t *q = async_queue_create(2, sizeof(int), ASYNC_QUEUE_SIGNAL_ON_DATA);
    ck_assert(!async_queue_wait(q, 0));
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_wait_without_signal_on_data_only_checks)
{
    /* Would sleep forever (and hit the test timeout) if it slept. */
    async_queue_t *q = async_queue_create(2, sizeof(int), 0);
    ck_assert(!async_queue_wait(q, -1));
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_wait_times_out_no_earlier_than_timeout)
{
    async_queue_t *q = async_queue_create(2, sizeof(int), ASYNC_QUEUE_SIGNAL_ON_DATA);
    const int timeouts[] = { 1, 20, 50 };
    for (size_t i = 0; i < sizeof timeouts / sizeof timeouts[0]; i++) {
        int64_t t0 = port_clock_now_ns();
        ck_assert(!async_queue_wait(q, timeouts[i]));
        int64_t elapsed = port_clock_now_ns() - t0;
        ck_assert_msg(elapsed >= timeouts[i] * PORT_NS_PER_MS,
                      "returned after %lld ns, timeout %d ms", (long long)elapsed, timeouts[i]);
    }
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_wait_sleeps_without_burning_cpu)
{
#ifdef CLOCK_THREAD_CPUTIME_ID
    async_queue_t *q = async_queue_create(2, sizeof(int), ASYNC_QUEUE_SIGNAL_ON_DATA);
    int64_t cpu0 = thread_cpu_ns();
    int64_t t0 = port_clock_now_ns();
    ck_assert(!async_queue_wait(q, 300));
    int64_t wall = port_clock_now_ns() - t0;
    int64_t cpu = thread_cpu_ns() - cpu0;
    ck_assert_int_ge(wall, 300 * PORT_NS_PER_MS);
    ck_assert_msg(cpu < 150 * PORT_NS_PER_MS, "waiting used %lld ns of CPU", (long long)cpu);
    async_queue_destroy(q);
#endif
}
END_TEST

/* Reader that waits forever for each of `rounds` messages and checks them:
 * a lost wake-up hangs it (and fails the test by timeout). */
typedef struct {
    async_queue_t *q;
    int rounds;
    port_event_t ready;
    int errors;
} pingpong_t;

static void *pingpong_reader(void *arg)
{
    pingpong_t *p = arg;
    for (int i = 0; i < p->rounds; i++) {
        port_event_set(&p->ready);
        if (!async_queue_wait(p->q, -1))
            p->errors++;
        int v;
        size_t n;
        if (!async_queue_dequeue(p->q, &v, sizeof v, &n) || v != i)
            p->errors++;
    }
    return NULL;
}

START_TEST(test_wait_wakes_on_enqueue_without_lost_wakeups)
{
    pingpong_t p = { .rounds = 3000 };
    p.q = async_queue_create(4, sizeof(int), ASYNC_QUEUE_SIGNAL_ON_DATA);
    port_event_init(&p.ready, false, false);
    port_thread_t t = start_thread(pingpong_reader, &p);
    for (int i = 0; i < p.rounds; i++) {
        REQUIRE(port_event_wait(&p.ready, SURELY_MS));
        REQUIRE(enqueue_int(p.q, i));
    }
    join_thread(&t);
    ck_assert_int_eq(p.errors, 0);
    port_event_destroy(&p.ready);
    async_queue_destroy(p.q);
}
END_TEST

START_TEST(test_wait_from_worker_wakes_on_enqueue)
{
    pingpong_t p = { .rounds = 500 };
    p.q = async_queue_create(1, sizeof(int), ASYNC_QUEUE_SIGNAL_ON_DATA);
    port_event_init(&p.ready, false, false);
    async_worker_t *w = async_worker_create(pingpong_reader, &p, 0);
    for (int i = 0; i < p.rounds; i++) {
        REQUIRE(port_event_wait(&p.ready, SURELY_MS));
        REQUIRE(enqueue_int(p.q, i));
    }
    ck_assert(async_worker_join(w, SURELY_MS));
    async_worker_destroy(w);
    ck_assert_int_eq(p.errors, 0);
    port_event_destroy(&p.ready);
    async_queue_destroy(p.q);
}
END_TEST

START_TEST(test_wait_wakes_every_sleeper_on_close)
{
    enum { READERS = 3 };
    for (int round = 0; round < 30; round++) {
        async_queue_t *q = async_queue_create(2, sizeof(int), ASYNC_QUEUE_SIGNAL_ON_DATA);
        port_event_t ready[READERS];
        waiter_t w[READERS];
        port_thread_t t[READERS];
        for (int i = 0; i < READERS; i++) {
            port_event_init(&ready[i], true, false);
            w[i] = (waiter_t){ .q = q, .timeout_ms = -1, .ready = &ready[i], .result = true };
            t[i] = start_thread(waiter_proc, &w[i]);
        }
        for (int i = 0; i < READERS; i++)
            ck_assert(port_event_wait(&ready[i], SURELY_MS));
        async_queue_close(q);
        for (int i = 0; i < READERS; i++) {
            join_thread(&t[i]);
            ck_assert(!w[i].result);
            port_event_destroy(&ready[i]);
        }
        async_queue_destroy(q);
    }
}
END_TEST

START_TEST(test_wait_wakes_on_stop_of_the_calling_worker)
{
    for (int round = 0; round < 30; round++) {
        async_queue_t *q = async_queue_create(2, sizeof(int), ASYNC_QUEUE_SIGNAL_ON_DATA);
        port_event_t ready;
        port_event_init(&ready, true, false);
        waiter_t w = { .q = q, .timeout_ms = -1, .ready = &ready, .result = true };
        async_worker_t *worker = async_worker_create(waiter_proc, &w, 0);
        ck_assert_ptr_nonnull(worker);
        ck_assert(port_event_wait(&ready, SURELY_MS));
        async_worker_signal_stop(worker);
        ck_assert(async_worker_join(worker, SURELY_MS));
        ck_assert(!w.result);
        ck_assert(!async_queue_is_closed(q));
        async_worker_destroy(worker);
        port_event_destroy(&ready);
        async_queue_destroy(q);
    }
}
END_TEST

/* --------------------------------------------------------------- stats */

START_TEST(test_stats_are_exact_when_quiet)
{
    async_queue_t *q = async_queue_create(6, 16, 0);
    async_queue_stats_t s = stats_of(q);
    ck_assert_uint_eq(s.capacity, 6);
    ck_assert_uint_eq(s.max_message_size, 16);
    ck_assert_uint_eq(s.current_size, 0);
    ck_assert_uint_eq(s.peak_size, 0);
    ck_assert(!s.closed);

    for (int i = 0; i < 5; i++)
        enqueue_int(q, i);
    expect_int(q, 0);
    expect_int(q, 1);
    enqueue_int(q, 5);
    s = stats_of(q);
    ck_assert_uint_eq(s.current_size, 4);
    ck_assert_uint_eq(s.peak_size, 5);
    ck_assert_uint_eq(s.total_enqueued, 6);
    ck_assert_uint_eq(s.total_dequeued, 2);

    char big[17] = { 0 };
    ck_assert(!async_queue_enqueue(q, big, sizeof big));          /* too large */
    char tiny[1];
    size_t n;
    ck_assert(!async_queue_dequeue(q, tiny, sizeof tiny, &n));    /* too small */
    enqueue_int(q, 6);
    enqueue_int(q, 7);
    ck_assert(!enqueue_int(q, 8));                                /* full */
    s = stats_of(q);
    ck_assert_uint_eq(s.current_size, 6);
    ck_assert_uint_eq(s.peak_size, 6);
    ck_assert_uint_eq(s.total_enqueued, 8);
    ck_assert_uint_eq(s.total_dequeued, 2);
    ck_assert_uint_eq(s.rejected_count, 2);
    ck_assert_uint_eq(s.dropped_count, 0);

    for (int i = 2; i < 8; i++)
        expect_int(q, i);
    expect_empty(q);
    async_queue_close(q);
    ck_assert(!enqueue_int(q, 9));                                /* closed */
    s = stats_of(q);
    ck_assert_uint_eq(s.current_size, 0);
    ck_assert_uint_eq(s.peak_size, 6);
    ck_assert_uint_eq(s.total_enqueued, 8);
    ck_assert_uint_eq(s.total_dequeued, 8);
    ck_assert_uint_eq(s.rejected_count, 3);
    ck_assert(s.closed);
    async_queue_destroy(q);
}
END_TEST

START_TEST(test_stats_report_requested_odd_capacity_and_size)
{
    async_queue_t *q = async_queue_create(100, 37, ASYNC_QUEUE_DROP_OLDEST);
    for (int i = 0; i < 250; i++)
        enqueue_int(q, i);
    async_queue_stats_t s = stats_of(q);
    ck_assert_uint_eq(s.capacity, 100);
    ck_assert_uint_eq(s.max_message_size, 37);
    ck_assert_uint_eq(s.current_size, 100);
    ck_assert_uint_eq(s.peak_size, 100);
    ck_assert_uint_eq(s.dropped_count, 150);
    ck_assert_uint_eq(s.total_enqueued, 250);
    ck_assert_uint_eq(s.total_dequeued, 0);
    for (int i = 150; i < 250; i++)
        expect_int(q, i);
    s = stats_of(q);
    ck_assert_uint_eq(s.total_dequeued, 100);
    ck_assert_uint_eq(s.current_size, 0);
    async_queue_destroy(q);
}
END_TEST

/* --------------------------------------------------------- concurrency */

/* Message: producer id (4 bytes), sequence (4 bytes), then a pattern
 * filling a size derived from both. */
#define MSG_HEADER 8

static size_t msg_size(uint32_t id, uint32_t seq, size_t max_size)
{
    if (max_size == MSG_HEADER)
        return MSG_HEADER;
    return MSG_HEADER + (seq * 7u + id * 13u) % (max_size - MSG_HEADER + 1);
}

static unsigned char msg_byte(uint32_t id, uint32_t seq, size_t i)
{
    return (unsigned char)(id * 31u + seq + i);
}

typedef struct {
    async_queue_t *q;
    uint32_t id;
    uint32_t count;
    size_t max_size;
    bool yield_when_full;   /* queue without BLOCK_WRITER / DROP_OLDEST */
    port_event_t *start;    /* all producers begin together */
    uint64_t errors;
} producer_t;

static void *producer_proc(void *arg)
{
    producer_t *p = arg;
    unsigned char buf[1024];
    port_event_wait(p->start, -1);
    for (uint32_t seq = 0; seq < p->count; seq++) {
        size_t size = msg_size(p->id, seq, p->max_size);
        memcpy(buf, &p->id, 4);
        memcpy(buf + 4, &seq, 4);
        for (size_t i = MSG_HEADER; i < size; i++)
            buf[i] = msg_byte(p->id, seq, i);
        for (;;) {
            async_queue_result_t r = async_queue_enqueue_ex(p->q, buf, size);
            if (r == ASYNC_QUEUE_OK)
                break;
            if (r == ASYNC_QUEUE_FULL && p->yield_when_full) {
                port_thread_yield();
                continue;
            }
            p->errors++;
            break;
        }
    }
    return NULL;
}

/* Shared record of what all consumers received. */
typedef struct {
    uint32_t producers;
    uint32_t per_producer;
    size_t max_size;
    atomic_uchar *seen;       /* producers * per_producer receipt counts */
} ledger_t;

typedef struct {
    async_queue_t *q;
    ledger_t *ledger;
    bool use_wait;            /* sleep in async_queue_wait, else yield */
    size_t first_try_size;    /* try this buffer size first (0: max) */
    bool strict_fifo;         /* single consumer, no drops: seq exactly next */
    uint64_t received;
    uint64_t too_small;       /* BUFFER_TOO_SMALL results seen */
    uint64_t errors;
    int64_t last_seq[8];      /* per producer, -1 before the first */
} consumer_t;

static void consumer_take(consumer_t *c, const unsigned char *buf, size_t n)
{
    ledger_t *l = c->ledger;
    uint32_t id, seq;
    if (n < MSG_HEADER) {
        c->errors++;
        return;
    }
    memcpy(&id, buf, 4);
    memcpy(&seq, buf + 4, 4);
    if (id >= l->producers || seq >= l->per_producer ||
        n != msg_size(id, seq, l->max_size)) {
        c->errors++;
        return;
    }
    for (size_t i = MSG_HEADER; i < n; i++)
        if (buf[i] != msg_byte(id, seq, i)) {
            c->errors++;
            return;
        }
    /* relaxed: counts only, read after every thread was joined. */
    if (atomic_fetch_add_explicit(&l->seen[(size_t)id * l->per_producer + seq], 1,
                                  memory_order_relaxed) != 0)
        c->errors++;   /* duplicate */
    int64_t want = c->last_seq[id] + 1;
    if (c->strict_fifo ? (int64_t)seq != want : (int64_t)seq < want)
        c->errors++;   /* out of order for its producer */
    c->last_seq[id] = seq;
    c->received++;
}

static void *consumer_proc(void *arg)
{
    consumer_t *c = arg;
    unsigned char buf[1024];
    size_t max = c->ledger->max_size;
    bool closed_seen = false;
    for (int i = 0; i < 8; i++)
        c->last_seq[i] = -1;
    for (;;) {
        size_t n;
        size_t try_size = c->first_try_size ? c->first_try_size : max;
        async_queue_result_t r = async_queue_dequeue_ex(c->q, buf, try_size, &n);
        if (r == ASYNC_QUEUE_BUFFER_TOO_SMALL) {
            c->too_small++;
            if (n <= try_size || n > max)
                c->errors++;
            r = async_queue_dequeue_ex(c->q, buf, max, &n);
        }
        if (r == ASYNC_QUEUE_OK) {
            consumer_take(c, buf, n);
            continue;
        }
        if (r != ASYNC_QUEUE_EMPTY) {
            c->errors++;
            break;
        }
        /* Empty.  Producers are joined before the queue is closed, so an
         * empty dequeue begun after seeing it closed means drained. */
        if (closed_seen)
            break;
        if (async_queue_is_closed(c->q)) {
            closed_seen = true;
            continue;
        }
        if (c->use_wait)
            async_queue_wait(c->q, -1);
        else
            port_thread_yield();
    }
    return NULL;
}

typedef struct {
    size_t capacity;
    size_t max_size;
    async_queue_flags_t flags;
    uint32_t producers;
    uint32_t per_producer;
    uint32_t consumers;
    size_t first_try_size;
} run_spec_t;

typedef struct {
    uint64_t received;
    uint64_t too_small;
    async_queue_stats_t stats;
} run_result_t;

/* Runs producers and consumers to completion and checks that every message
 * arrived exactly once (or, with DROP_OLDEST, at most once with the drops
 * accounting for the rest), intact, and in order per producer. */
static run_result_t run_mpmc(const run_spec_t *spec)
{
    ck_assert_uint_le(spec->producers, 8);
    ck_assert_uint_le(spec->consumers, 8);
    bool drop = (spec->flags & ASYNC_QUEUE_DROP_OLDEST) != 0;
    bool full_policy = drop || (spec->flags & ASYNC_QUEUE_BLOCK_WRITER);
    async_queue_t *q = async_queue_create(spec->capacity, spec->max_size, spec->flags);
    ck_assert_ptr_nonnull(q);

    size_t total = (size_t)spec->producers * spec->per_producer;
    ledger_t ledger = { spec->producers, spec->per_producer, spec->max_size,
                        calloc(total, sizeof(atomic_uchar)) };
    ck_assert_ptr_nonnull(ledger.seen);
    for (size_t i = 0; i < total; i++)
        atomic_init(&ledger.seen[i], 0);

    consumer_t consumers[8];
    port_thread_t ct[8];
    for (uint32_t i = 0; i < spec->consumers; i++) {
        consumers[i] = (consumer_t){
            .q = q, .ledger = &ledger,
            .use_wait = (spec->flags & ASYNC_QUEUE_SIGNAL_ON_DATA) != 0,
            .first_try_size = spec->first_try_size,
            .strict_fifo = spec->consumers == 1 && !drop,
        };
        ct[i] = start_thread(consumer_proc, &consumers[i]);
    }
    producer_t producers[8];
    port_thread_t pt[8];
    port_event_t start;
    port_event_init(&start, true, false);
    for (uint32_t i = 0; i < spec->producers; i++) {
        producers[i] = (producer_t){
            .q = q, .id = i, .count = spec->per_producer,
            .max_size = spec->max_size, .yield_when_full = !full_policy,
            .start = &start,
        };
        pt[i] = start_thread(producer_proc, &producers[i]);
    }
    port_event_set(&start);
    for (uint32_t i = 0; i < spec->producers; i++) {
        join_thread(&pt[i]);
        ck_assert_uint_eq(producers[i].errors, 0);
    }
    port_event_destroy(&start);
    async_queue_close(q);
    run_result_t res = { 0 };
    for (uint32_t i = 0; i < spec->consumers; i++) {
        join_thread(&ct[i]);
        ck_assert_uint_eq(consumers[i].errors, 0);
        res.received += consumers[i].received;
        res.too_small += consumers[i].too_small;
    }
    res.stats = stats_of(q);
    ck_assert_uint_eq(res.stats.current_size, 0);
    ck_assert_uint_eq(res.stats.total_enqueued, total);
    ck_assert_uint_eq(res.stats.total_dequeued, res.received);
    if (full_policy)
        ck_assert_uint_eq(res.stats.rejected_count, 0);
    ck_assert_uint_le(res.stats.peak_size, spec->capacity);
    ck_assert_uint_eq(res.received + res.stats.dropped_count, total);
    if (!drop) {
        ck_assert_uint_eq(res.stats.dropped_count, 0);
        for (size_t i = 0; i < total; i++) {
            /* relaxed: every writer was joined. */
            int times = atomic_load_explicit(&ledger.seen[i], memory_order_relaxed);
            if (times != 1)
                ck_abort_msg("message %zu (producer %zu seq %zu) received %d times", i,
                             i / spec->per_producer, i % spec->per_producer, times);
        }
    }
    free(ledger.seen);
    async_queue_destroy(q);
    return res;
}

START_TEST(test_four_producers_lose_nothing_and_keep_per_producer_fifo)
{
    run_spec_t spec = { .capacity = 1024, .max_size = MSG_HEADER, .flags = 0,
                        .producers = 4, .per_producer = 100000, .consumers = 1 };
    run_result_t r = run_mpmc(&spec);
    ck_assert_uint_eq(r.received, 400000);
}
END_TEST

START_TEST(test_blocking_producers_and_sleeping_consumer_lose_nothing)
{
    run_spec_t spec = { .capacity = 64, .max_size = MSG_HEADER,
                        .flags = ASYNC_QUEUE_BLOCK_WRITER | ASYNC_QUEUE_SIGNAL_ON_DATA,
                        .producers = 4, .per_producer = 50000, .consumers = 1 };
    run_result_t r = run_mpmc(&spec);
    ck_assert_uint_eq(r.received, 200000);
}
END_TEST

START_TEST(test_several_consumers_receive_each_message_exactly_once)
{
    run_spec_t spec = { .capacity = 100, .max_size = MSG_HEADER,
                        .flags = ASYNC_QUEUE_SIGNAL_ON_DATA,
                        .producers = 3, .per_producer = 50000, .consumers = 3 };
    run_result_t r = run_mpmc(&spec);
    ck_assert_uint_eq(r.received, 150000);
}
END_TEST

START_TEST(test_mixed_size_messages_arrive_intact_under_concurrency)
{
    run_spec_t spec = { .capacity = 37, .max_size = 600,
                        .flags = ASYNC_QUEUE_BLOCK_WRITER | ASYNC_QUEUE_SIGNAL_ON_DATA,
                        .producers = 3, .per_producer = 30000, .consumers = 2 };
    run_result_t r = run_mpmc(&spec);
    ck_assert_uint_eq(r.received, 90000);
}
END_TEST

START_TEST(test_capacity_one_under_contention_loses_nothing)
{
    run_spec_t spec = { .capacity = 1, .max_size = 40,
                        .flags = ASYNC_QUEUE_BLOCK_WRITER | ASYNC_QUEUE_SIGNAL_ON_DATA,
                        .producers = 4, .per_producer = 3000, .consumers = 2 };
    run_result_t r = run_mpmc(&spec);
    ck_assert_uint_eq(r.received, 12000);
}
END_TEST

START_TEST(test_too_small_buffers_with_several_consumers_never_lose_a_message)
{
    run_spec_t spec = { .capacity = 16, .max_size = 256,
                        .flags = ASYNC_QUEUE_BLOCK_WRITER | ASYNC_QUEUE_SIGNAL_ON_DATA,
                        .producers = 2, .per_producer = 30000, .consumers = 3,
                        .first_try_size = 64 };
    run_result_t r = run_mpmc(&spec);
    ck_assert_uint_eq(r.received, 60000);
    ck_assert_uint_gt(r.too_small, 0);
}
END_TEST

START_TEST(test_drop_oldest_under_concurrency_accounts_for_every_message)
{
    run_spec_t spec = { .capacity = 4, .max_size = 24,
                        .flags = ASYNC_QUEUE_DROP_OLDEST | ASYNC_QUEUE_SIGNAL_ON_DATA,
                        .producers = 4, .per_producer = 30000, .consumers = 1 };
    run_result_t r = run_mpmc(&spec);
    /* run_mpmc checked received + dropped == sent, no duplicates, and
     * order per producer among the survivors. */
    ck_assert_uint_gt(r.received, 0);
}
END_TEST

START_TEST(test_drop_oldest_capacity_one_with_racing_producers_and_consumers)
{
    run_spec_t spec = { .capacity = 1, .max_size = MSG_HEADER,
                        .flags = ASYNC_QUEUE_DROP_OLDEST,
                        .producers = 3, .per_producer = 30000, .consumers = 2 };
    run_mpmc(&spec);
}
END_TEST

/* ---------------------------------------------------------------- main */

static Suite *async_queue_suite(void)
{
    Suite *s = suite_create("async_queue");
    TCase *tc = tcase_create("basics");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_create_rejects_zero_capacity_zero_size_and_overflow);
    tcase_add_test(tc, test_invalid_arguments_are_refused_and_change_nothing);
    tcase_add_test(tc, test_result_str_names_what_failed);
    tcase_add_test(tc, test_fifo_order_across_many_laps);
    tcase_add_test(tc, test_capacity_one_alternates_full_and_empty);
    tcase_add_test(tc, test_random_operations_match_reference_fifo_for_odd_capacities);
    tcase_add_test(tc, test_is_empty_and_is_full_track_contents);
    tcase_add_test(tc, test_too_large_message_is_rejected_and_changes_nothing);
    tcase_add_test(tc, test_zero_length_messages_are_stored_and_counted);
    tcase_add_test(tc, test_too_small_buffer_keeps_message_and_reports_needed_size);
    tcase_add_test(tc, test_mixed_sizes_round_trip_with_exact_content);
    tcase_add_test(tc, test_stats_are_exact_when_quiet);
    tcase_add_test(tc, test_stats_report_requested_odd_capacity_and_size);
    suite_add_tcase(s, tc);

    tc = tcase_create("policies");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_full_queue_without_policy_rejects_and_keeps_contents);
    tcase_add_test(tc, test_drop_oldest_keeps_newest_and_counts_drops);
    tcase_add_test(tc, test_drop_oldest_with_capacity_one_keeps_last_message);
    tcase_add_test(tc, test_drop_oldest_takes_precedence_over_block_writer);
    tcase_add_test(tc, test_block_writer_sleeps_until_a_slot_frees);
    tcase_add_test(tc, test_blocked_writer_sleeps_without_burning_cpu);
    tcase_add_test(tc, test_every_freed_slot_releases_one_of_several_blocked_writers);
    tcase_add_test(tc, test_blocked_writers_all_released_when_slots_free_in_a_burst);
    tcase_add_test(tc, test_close_releases_blocked_writers_with_closed_and_keeps_contents);
    tcase_add_test(tc, test_worker_stop_releases_its_blocked_enqueue_with_full);
    tcase_add_test(tc, test_stopped_worker_does_not_block_on_full_queue);
    tcase_add_test(tc, test_close_rejects_later_enqueues_and_allows_drain);
    suite_add_tcase(s, tc);

    tc = tcase_create("wait");
    tcase_set_timeout(tc, 120);
    tcase_add_test(tc, test_wait_returns_true_at_once_when_data_is_present);
    tcase_add_test(tc, test_wait_zero_only_checks);
    tcase_add_test(tc, test_wait_without_signal_on_data_only_checks);
    tcase_add_test(tc, test_wait_times_out_no_earlier_than_timeout);
    tcase_add_test(tc, test_wait_sleeps_without_burning_cpu);
    tcase_add_test(tc, test_wait_wakes_on_enqueue_without_lost_wakeups);
    tcase_add_test(tc, test_wait_from_worker_wakes_on_enqueue);
    tcase_add_test(tc, test_wait_wakes_every_sleeper_on_close);
    tcase_add_test(tc, test_wait_wakes_on_stop_of_the_calling_worker);
    suite_add_tcase(s, tc);

    tc = tcase_create("concurrency");
    tcase_set_timeout(tc, 300);
    tcase_add_test(tc, test_four_producers_lose_nothing_and_keep_per_producer_fifo);
    tcase_add_test(tc, test_blocking_producers_and_sleeping_consumer_lose_nothing);
    tcase_add_test(tc, test_several_consumers_receive_each_message_exactly_once);
    tcase_add_test(tc, test_mixed_size_messages_arrive_intact_under_concurrency);
    tcase_add_test(tc, test_capacity_one_under_contention_loses_nothing);
    tcase_add_test(tc, test_too_small_buffers_with_several_consumers_never_lose_a_message);
    tcase_add_test(tc, test_drop_oldest_under_concurrency_accounts_for_every_message);
    tcase_add_test(tc, test_drop_oldest_capacity_one_with_racing_producers_and_consumers);
    suite_add_tcase(s, tc);
    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(async_queue_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
