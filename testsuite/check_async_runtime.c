/*
 * check_async_runtime.c - tests for lib/async/async_runtime.
 *
 * The same file runs against every backend (epoll, poll): nothing here
 * depends on which one was configured except the backend-name test, which
 * checks it against config.h.
 *
 * Timing tests assert LOWER bounds only (a wait never ends early); a slow
 * or loaded machine may always make a wait longer.  Threads synchronise on
 * port events, never on sleeps.  The SIGUSR1 tests pace their signals with
 * a timed wait on an event, which is rate limiting, not synchronisation:
 * the property checked holds whenever the signals land.
 */
#include "config.h"
#include "async/async_runtime.h"
#include "port/port_atomic.h"
#include "port/port_clock.h"
#include "port/port_sync.h"
#include "port/port_thread.h"

#include "test_socketpair.h"

#include <check.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#ifdef _WIN32
#include <windows.h>
#else
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <unistd.h>
#endif

/* ------------------------------------------------------------ helpers */

static async_runtime_t *rt;

static void setup(void)
{
    rt = async_runtime_init();
    ck_assert_ptr_nonnull(rt);
}

static void teardown(void)
{
    async_runtime_destroy(rt);
    rt = NULL;
}

static struct timeval tv_us(long usec)
{
    struct timeval tv;
    tv.tv_sec = usec / 1000000;
    tv.tv_usec = usec % 1000000;
    return tv;
}

/* A wait that must not block: {0,0}. */
static int wait_now(io_event_t *events, int max)
{
    struct timeval zero = {0, 0};
    return async_runtime_wait(rt, events, max, &zero);
}

/* A wait for something the test knows is ready or about to be: generous
 * so a slow sanitizer build never turns it into a spurious timeout. */
static int wait_ready(io_event_t *events, int max)
{
    struct timeval tv = {10, 0};
    return async_runtime_wait(rt, events, max, &tv);
}

/* A connected pair (AF_UNIX on POSIX, loopback TCP on Windows). */
static void make_socketpair(async_socket_t sv[2])
{
    ck_assert_int_eq(test_socketpair(sv), 0);
}

/* A connected pair with sv[0] watched for events under key. */
static void watch_new_pair(async_socket_t sv[2], unsigned events, uintptr_t key)
{
    make_socketpair(sv);
    ck_assert_int_eq(async_runtime_add_socket(rt, sv[0], events, key), 0);
}

/* Undoes watch_new_pair: stops watching sv[0], then closes both ends. */
static void unwatch_and_close(async_socket_t sv[2])
{
    ck_assert_int_eq(async_runtime_remove_socket(rt, sv[0]), 0);
    test_sock_close(sv[0]);
    test_sock_close(sv[1]);
}

/* Sends one byte from sv[1] to sv[0] and returns once sv[0] has it, so a
 * wait that must see it readable does (loopback TCP on Windows delivers
 * asynchronously; a socketpair at once). */
static void send_x(async_socket_t sv[2])
{
    ck_assert_int_eq(test_sock_send(sv[1], "x", 1), 1);
    ck_assert(test_sock_wait_readable(sv[0], 10000));
}

/* The socket event for fd among events[0..n), or NULL. */
static const io_event_t *find_fd(const io_event_t *events, int n,
                                 async_socket_t fd)
{
    for (int i = 0; i < n; i++)
        if (!(events[i].event_type & ASYNC_EVENT_COMPLETION) &&
            events[i].fd == fd)
            return &events[i];
    return NULL;
}

static int count_completions(const io_event_t *events, int n)
{
    int c = 0;
    for (int i = 0; i < n; i++)
        if (events[i].event_type == ASYNC_EVENT_COMPLETION)
            c++;
    return c;
}

static async_runtime_stats_t stats_now(void)
{
    async_runtime_stats_t st;
    memset(&st, 0xa5, sizeof(st));
    async_runtime_get_stats(rt, &st);
    return st;
}

/* ------------------------------------------------------------ lifecycle */

START_TEST(test_init_returns_runtime_with_zeroed_stats_and_destroy_frees_it)
{
    async_runtime_stats_t st = stats_now();
    ck_assert_uint_eq(st.wait_calls, 0);
    ck_assert_uint_eq(st.sleeps, 0);
    ck_assert_uint_eq(st.completions_posted, 0);
    ck_assert_uint_eq(st.completions_delivered, 0);
    ck_assert_uint_eq(st.doorbell_rings, 0);
    ck_assert_uint_eq(st.sockets, 0);
    /* A second runtime is independent of the first. */
    async_runtime_t *other = async_runtime_init();
    ck_assert_ptr_nonnull(other);
    ck_assert_ptr_ne(other, rt);
    async_runtime_destroy(other);
    async_runtime_destroy(NULL);  /* ignored */
}
END_TEST

START_TEST(test_backend_name_matches_configured_backend)
{
    ck_assert_str_eq(async_runtime_backend_name(), ASYNC_BACKEND_NAME);
}
END_TEST

/* ------------------------------------------------------------ completions */

START_TEST(test_posted_completion_is_delivered_with_its_key_and_value)
{
    ck_assert_int_eq(async_runtime_post_completion(rt, 0x12345, 777), 0);
    io_event_t ev[4];
    memset(ev, 0, sizeof(ev));
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_uint_eq(ev[0].completion_key, 0x12345);
    ck_assert_uint_eq(ev[0].value, 777);
    ck_assert_uint_eq(ev[0].event_type, ASYNC_EVENT_COMPLETION);
    ck_assert_int_eq(ev[0].fd, -1);
    /* Delivered exactly once: nothing left. */
    ck_assert_int_eq(wait_now(ev, 4), 0);
    async_runtime_stats_t st = stats_now();
    ck_assert_uint_eq(st.completions_posted, 1);
    ck_assert_uint_eq(st.completions_delivered, 1);
}
END_TEST

START_TEST(test_completions_posted_before_wait_come_in_order_across_small_waits)
{
    enum { N = 1000, MAX = 3 };
    for (uintptr_t i = 0; i < N; i++)
        ck_assert_int_eq(async_runtime_post_completion(rt, 100 + i, i * 7), 0);
    uintptr_t next = 0;
    int calls = 0;
    while (next < N) {
        io_event_t ev[MAX];
        /* NULL = forever: must not block while completions are pending. */
        int n = async_runtime_wait(rt, ev, MAX, NULL);
        ck_assert_int_ge(n, 1);
        ck_assert_int_le(n, MAX);
        calls++;
        for (int i = 0; i < n; i++) {
            ck_assert_uint_eq(ev[i].event_type, ASYNC_EVENT_COMPLETION);
            ck_assert_uint_eq(ev[i].completion_key, 100 + next);
            ck_assert_uint_eq(ev[i].value, next * 7);
            next++;
        }
    }
    ck_assert_int_eq(calls, (N + MAX - 1) / MAX);  /* every slot used */
    async_runtime_stats_t st = stats_now();
    ck_assert_uint_eq(st.sleeps, 0);  /* pending work never waits in the OS */
    ck_assert_uint_eq(st.completions_delivered, N);
    io_event_t ev[MAX];
    ck_assert_int_eq(wait_now(ev, MAX), 0);
}
END_TEST

START_TEST(test_posts_to_an_awake_loop_never_ring_the_doorbell)
{
    enum { N = 1000 };
    /* The loop is not waiting: nobody needs waking, so no post rings. */
    for (uintptr_t i = 0; i < N; i++)
        ck_assert_int_eq(async_runtime_post_completion(rt, 1, i), 0);
    async_runtime_stats_t st = stats_now();
    ck_assert_uint_eq(st.doorbell_rings, 0);
    ck_assert_uint_eq(st.completions_posted, N);

    io_event_t ev[64];
    uintptr_t got = 0;
    while (got < N) {
        int n = wait_ready(ev, 64);
        ck_assert_int_ge(n, 1);
        for (int i = 0; i < n; i++)
            ck_assert_uint_eq(ev[i].value, got++);
    }
    st = stats_now();
    ck_assert_uint_eq(st.doorbell_rings, 0);
    ck_assert_uint_eq(st.sleeps, 0);   /* pending work was seen before sleeping */

    ck_assert_int_eq(async_runtime_post_completion(rt, 2, 0), 0);
    ck_assert_int_eq(wait_ready(ev, 64), 1);
    st = stats_now();
    ck_assert_uint_le(st.doorbell_rings, st.sleeps);
}
END_TEST

/* One million completions, four posting threads. */
enum { MT_THREADS = 4, MT_PER_THREAD = 250000 };
#define MT_KEY_BASE ((uintptr_t)0xC0DE0000u)

typedef struct mt_poster {
    port_event_t *start;
    unsigned id;
    _Atomic int failures;  /* posts that returned -1 */
} mt_poster_t;

static void *mt_post_proc(void *arg)
{
    mt_poster_t *p = arg;
    port_event_wait(p->start, -1);  /* all four post at once */
    for (uintptr_t seq = 0; seq < MT_PER_THREAD; seq++) {
        /* key: which thread; value: thread id in the top byte + sequence */
        uintptr_t value = ((uintptr_t)p->id << 24) | seq;
        if (async_runtime_post_completion(rt, MT_KEY_BASE + p->id, value) != 0)
            /* relaxed: read by the main thread only after join */
            atomic_fetch_add_explicit(&p->failures, 1, memory_order_relaxed);
    }
    return NULL;
}

START_TEST(test_million_completions_from_four_threads_delivered_once_in_thread_order)
{
    port_event_t start;
    ck_assert_int_eq(port_event_init(&start, true, false), 0);
    mt_poster_t posters[MT_THREADS];
    port_thread_t threads[MT_THREADS];
    for (unsigned t = 0; t < MT_THREADS; t++) {
        posters[t].start = &start;
        posters[t].id = t;
        atomic_init(&posters[t].failures, 0);
        ck_assert_int_eq(port_thread_create(&threads[t], mt_post_proc,
                                            &posters[t], 0), 0);
    }
    port_event_set(&start);

    uintptr_t next_seq[MT_THREADS] = {0};
    uint64_t total = 0;
    const uint64_t expected = (uint64_t)MT_THREADS * MT_PER_THREAD;
    io_event_t ev[256];
    /* Plain comparisons in the hot loop: every ck_assert is a message to
     * Check's parent process, and there are millions of checks here. */
    while (total < expected) {
        int n = async_runtime_wait(rt, ev, 256, NULL);
        if (n < 1)
            ck_abort_msg("wait returned %d after %llu completions", n,
                         (unsigned long long)total);
        for (int i = 0; i < n; i++) {
            uintptr_t id = ev[i].completion_key - MT_KEY_BASE;
            /* FIFO per thread and no duplicate: exactly the next one. */
            if (ev[i].event_type != ASYNC_EVENT_COMPLETION || id >= MT_THREADS ||
                ev[i].value >> 24 != id || (ev[i].value & 0xFFFFFF) != next_seq[id])
                ck_abort_msg("event %llu: type %u key %#lx value %#lx, "
                             "expected sequence %lu",
                             (unsigned long long)total, ev[i].event_type,
                             (unsigned long)ev[i].completion_key,
                             (unsigned long)ev[i].value,
                             id < MT_THREADS ? (unsigned long)next_seq[id] : 0ul);
            next_seq[id]++;
            total++;
        }
    }
    for (unsigned t = 0; t < MT_THREADS; t++) {
        ck_assert_int_eq(port_thread_join(&threads[t], NULL), 0);
        ck_assert_int_eq(atomic_load_explicit(&posters[t].failures,
                                              memory_order_relaxed), 0);
        ck_assert_uint_eq(next_seq[t], MT_PER_THREAD);  /* no loss */
    }
    io_event_t extra[4];
    ck_assert_int_eq(wait_now(extra, 4), 0);  /* nothing beyond the million */

    async_runtime_stats_t st = stats_now();
    ck_assert_uint_eq(st.completions_posted, expected);
    ck_assert_uint_eq(st.completions_delivered, expected);
    /* At most one ring per sleep of the loop. */
    ck_assert_uint_le(st.doorbell_rings, st.sleeps);
    port_event_destroy(&start);
}
END_TEST

/* A thread posts once the loop is about to wait; the wait (forever) must
 * return that completion. */
typedef struct wake_ctx {
    port_event_t go;
} wake_ctx_t;

static void *post_after_go_proc(void *arg)
{
    wake_ctx_t *w = arg;
    port_event_wait(&w->go, -1);
    ck_assert_int_eq(async_runtime_post_completion(rt, 42, 43), 0);
    return NULL;
}

START_TEST(test_completion_from_another_thread_wakes_infinite_wait)
{
    wake_ctx_t w;
    ck_assert_int_eq(port_event_init(&w.go, true, false), 0);
    port_thread_t th;
    ck_assert_int_eq(port_thread_create(&th, post_after_go_proc, &w, 0), 0);
    port_event_set(&w.go);
    io_event_t ev[4];
    ck_assert_int_eq(async_runtime_wait(rt, ev, 4, NULL), 1);
    ck_assert_uint_eq(ev[0].completion_key, 42);
    ck_assert_uint_eq(ev[0].value, 43);
    ck_assert_int_eq(port_thread_join(&th, NULL), 0);
    port_event_destroy(&w.go);
}
END_TEST

/* Ping-pong: the loop empties the list and goes to sleep again and again
 * while another thread posts one completion per round.  No wake-up may be
 * lost (a lost one hangs the wait forever and Check's timeout fails the
 * test), and no sleep is rung twice. */
enum { PP_ROUNDS = 10000 };

typedef struct pingpong {
    port_event_t go;  /* auto-reset: one post per set */
    _Atomic int failures;
} pingpong_t;

static void *pingpong_proc(void *arg)
{
    pingpong_t *pp = arg;
    for (uintptr_t i = 0; i < PP_ROUNDS; i++) {
        port_event_wait(&pp->go, -1);
        if (async_runtime_post_completion(rt, 7, i) != 0)
            /* relaxed: read by the main thread only after join */
            atomic_fetch_add_explicit(&pp->failures, 1, memory_order_relaxed);
    }
    return NULL;
}

START_TEST(test_each_post_to_an_empty_list_wakes_the_sleeping_loop)
{
    pingpong_t pp;
    ck_assert_int_eq(port_event_init(&pp.go, false, false), 0);
    atomic_init(&pp.failures, 0);
    port_thread_t th;
    ck_assert_int_eq(port_thread_create(&th, pingpong_proc, &pp, 0), 0);
    for (uintptr_t i = 0; i < PP_ROUNDS; i++) {
        port_event_set(&pp.go);
        io_event_t ev[4];
        int n = async_runtime_wait(rt, ev, 4, NULL);
        if (n != 1 || ev[0].completion_key != 7 || ev[0].value != i)
            ck_abort_msg("round %lu: n=%d key=%lu value=%lu", (unsigned long)i, n,
                         (unsigned long)ev[0].completion_key,
                         (unsigned long)ev[0].value);
    }
    ck_assert_int_eq(port_thread_join(&th, NULL), 0);
    ck_assert_int_eq(atomic_load_explicit(&pp.failures, memory_order_relaxed), 0);
    async_runtime_stats_t st = stats_now();
    /* A post either finds the loop awake (no ring: the loop sees the node
     * before it blocks) or asleep (exactly one ring for that sleep). */
    ck_assert_uint_le(st.doorbell_rings, PP_ROUNDS);
    ck_assert_uint_le(st.doorbell_rings, st.sleeps);
    port_event_destroy(&pp.go);
}
END_TEST

START_TEST(test_destroy_with_undelivered_completions_frees_them)
{
    /* Some completions in the loop's private FIFO (taken, not delivered),
     * some still in the shared list: destroy must free both (ASan/LSan
     * reports any leak as a failure of this test). */
    for (uintptr_t i = 0; i < 10; i++)
        ck_assert_int_eq(async_runtime_post_completion(rt, 1, i), 0);
    io_event_t ev[1];
    ck_assert_int_eq(wait_ready(ev, 1), 1);
    ck_assert_uint_eq(ev[0].value, 0);
    for (uintptr_t i = 0; i < 10; i++)
        ck_assert_int_eq(async_runtime_post_completion(rt, 2, i), 0);
    async_runtime_stats_t st = stats_now();
    ck_assert_uint_eq(st.completions_posted, 20);
    ck_assert_uint_eq(st.completions_delivered, 1);
    /* teardown destroys */
}
END_TEST

/* ------------------------------------------------------------ sockets */

START_TEST(test_socket_reports_read_when_peer_writes)
{
    async_socket_t sv[2];
    watch_new_pair(sv, ASYNC_EVENT_READ, 0xAB);
    io_event_t ev[4];
    ck_assert_int_eq(wait_now(ev, 4), 0);  /* nothing written yet */

    send_x(sv);
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_int_eq(ev[0].fd, sv[0]);
    ck_assert_uint_eq(ev[0].completion_key, 0xAB);
    ck_assert_uint_eq(ev[0].event_type, ASYNC_EVENT_READ);
    ck_assert_uint_eq(ev[0].value, 0);

    /* Level-triggered: still readable, still reported. */
    ck_assert_int_eq(wait_now(ev, 4), 1);
    ck_assert_uint_eq(ev[0].event_type, ASYNC_EVENT_READ);
    char c;
    ck_assert_int_eq(test_sock_recv(sv[0], &c, 1), 1);
    ck_assert_int_eq(wait_now(ev, 4), 0);

    ck_assert_uint_eq(stats_now().sockets, 1);
    unwatch_and_close(sv);
}
END_TEST

START_TEST(test_socket_reports_write_when_writable)
{
    async_socket_t sv[2];
    watch_new_pair(sv, ASYNC_EVENT_WRITE, 7);
    io_event_t ev[4];
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_int_eq(ev[0].fd, sv[0]);
    ck_assert_uint_eq(ev[0].completion_key, 7);
    ck_assert_uint_eq(ev[0].event_type, ASYNC_EVENT_WRITE);
    unwatch_and_close(sv);
}
END_TEST

START_TEST(test_socket_reports_error_when_peer_closes)
{
    async_socket_t sv[2];
    watch_new_pair(sv, ASYNC_EVENT_READ, 9);
    test_sock_close(sv[1]);
    io_event_t ev[4];
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_int_eq(ev[0].fd, sv[0]);
    ck_assert_uint_eq(ev[0].completion_key, 9);
#if defined(__linux__)
    /* Linux reports the hang-up (EPOLLHUP/EPOLLRDHUP, POLLHUP/POLLRDHUP). */
    ck_assert(ev[0].event_type & ASYNC_EVENT_ERROR);
#else
    /* Some BSD poll()s report a closed peer only as readable EOF. */
    ck_assert(ev[0].event_type & (ASYNC_EVENT_ERROR | ASYNC_EVENT_READ));
#endif
    char c;
    ck_assert_int_eq(test_sock_recv(sv[0], &c, 1), 0);  /* EOF: "read to learn which" */
    ck_assert_int_eq(async_runtime_remove_socket(rt, sv[0]), 0);
    test_sock_close(sv[0]);
}
END_TEST

START_TEST(test_error_is_reported_while_watching_write_only)
{
    async_socket_t sv[2];
    watch_new_pair(sv, ASYNC_EVENT_WRITE, 3);
    test_sock_close(sv[1]);
    io_event_t ev[4];
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_int_eq(ev[0].fd, sv[0]);
    ck_assert_uint_eq(ev[0].event_type & ASYNC_EVENT_READ, 0);  /* not asked */
#if defined(__linux__)
    ck_assert(ev[0].event_type & ASYNC_EVENT_ERROR);
#endif
    ck_assert_int_eq(async_runtime_remove_socket(rt, sv[0]), 0);
    test_sock_close(sv[0]);
}
END_TEST

START_TEST(test_socket_and_completion_are_returned_by_the_same_wait)
{
    async_socket_t sv[2];
    watch_new_pair(sv, ASYNC_EVENT_READ, 11);
    send_x(sv);
    ck_assert_int_eq(async_runtime_post_completion(rt, 22, 33), 0);
    io_event_t ev[8];
    ck_assert_int_eq(wait_ready(ev, 8), 2);
    const io_event_t *s = find_fd(ev, 2, sv[0]);
    ck_assert_ptr_nonnull(s);
    ck_assert_uint_eq(s->completion_key, 11);
    ck_assert_uint_eq(s->event_type, ASYNC_EVENT_READ);
    ck_assert_int_eq(count_completions(ev, 2), 1);
    const io_event_t *c = (ev[0].event_type == ASYNC_EVENT_COMPLETION) ? &ev[0] : &ev[1];
    ck_assert_uint_eq(c->completion_key, 22);
    ck_assert_uint_eq(c->value, 33);
    ck_assert_int_eq(c->fd, -1);
    unwatch_and_close(sv);
}
END_TEST

START_TEST(test_pending_completions_do_not_starve_ready_socket)
{
    async_socket_t sv[2];
    watch_new_pair(sv, ASYNC_EVENT_READ, 5);
    send_x(sv);
    for (uintptr_t i = 0; i < 100; i++)
        ck_assert_int_eq(async_runtime_post_completion(rt, 6, i), 0);

    /* With many slots, the socket and completions share one call. */
    io_event_t ev[4];
    int n = wait_ready(ev, 4);
    ck_assert_int_eq(n, 4);
    ck_assert_ptr_nonnull(find_fd(ev, n, sv[0]));
    ck_assert_int_ge(count_completions(ev, n), 1);

    /* With one slot, the two sources take turns. */
    int socket_seen = 0, completions_seen = 0;
    for (int i = 0; i < 4; i++) {
        ck_assert_int_eq(wait_ready(ev, 1), 1);
        if (ev[0].event_type == ASYNC_EVENT_COMPLETION)
            completions_seen++;
        else
            socket_seen++;
    }
    ck_assert_int_eq(socket_seen, 2);
    ck_assert_int_eq(completions_seen, 2);
    unwatch_and_close(sv);
}
END_TEST

START_TEST(test_many_ready_sockets_all_get_reported_with_few_slots)
{
    enum { NS = 8, MAX = 3 };
    async_socket_t sv[NS][2];
    for (int i = 0; i < NS; i++) {
        watch_new_pair(sv[i], ASYNC_EVENT_READ, (uintptr_t)i);
        send_x(sv[i]);
    }
    /* Nobody reads: all stay ready.  Within a few calls each one shows up. */
    bool seen[NS] = {false};
    int distinct = 0;
    for (int call = 0; call < 3 * NS && distinct < NS; call++) {
        io_event_t ev[MAX];
        int n = wait_ready(ev, MAX);
        ck_assert_int_ge(n, 1);
        ck_assert_int_le(n, MAX);
        for (int i = 0; i < n; i++) {
            uintptr_t k = ev[i].completion_key;
            ck_assert_uint_lt(k, NS);
            ck_assert_int_eq(ev[i].fd, sv[k][0]);
            if (!seen[k]) {
                seen[k] = true;
                distinct++;
            }
        }
    }
    ck_assert_int_eq(distinct, NS);
    for (int i = 0; i < NS; i++) {
        unwatch_and_close(sv[i]);
    }
}
END_TEST

START_TEST(test_modify_to_write_only_stops_read_events_and_changes_key)
{
    async_socket_t sv[2];
    watch_new_pair(sv, ASYNC_EVENT_READ, 1);
    send_x(sv);
    io_event_t ev[4];
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_uint_eq(ev[0].event_type, ASYNC_EVENT_READ);

    ck_assert_int_eq(async_runtime_modify_socket(rt, sv[0], ASYNC_EVENT_WRITE, 2), 0);
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_uint_eq(ev[0].event_type, ASYNC_EVENT_WRITE);  /* no READ */
    ck_assert_uint_eq(ev[0].completion_key, 2);

    ck_assert_int_eq(async_runtime_modify_socket(rt, sv[0],
                                                 ASYNC_EVENT_READ | ASYNC_EVENT_WRITE, 3), 0);
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_uint_eq(ev[0].event_type, ASYNC_EVENT_READ | ASYNC_EVENT_WRITE);
    ck_assert_uint_eq(ev[0].completion_key, 3);
    unwatch_and_close(sv);
}
END_TEST

START_TEST(test_modify_to_zero_pauses_socket_until_modified_again)
{
    async_socket_t sv[2];
    watch_new_pair(sv, ASYNC_EVENT_READ | ASYNC_EVENT_WRITE, 1);
    send_x(sv);
    ck_assert_int_eq(async_runtime_modify_socket(rt, sv[0], 0, 1), 0);
    io_event_t ev[4];
    ck_assert_int_eq(wait_now(ev, 4), 0);
    /* Even a hang-up is held back while paused. */
    test_sock_close(sv[1]);
    ck_assert_int_eq(wait_now(ev, 4), 0);
    ck_assert_uint_eq(stats_now().sockets, 1);  /* still registered */

    ck_assert_int_eq(async_runtime_modify_socket(rt, sv[0], ASYNC_EVENT_READ, 4), 0);
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_int_eq(ev[0].fd, sv[0]);
    ck_assert_uint_eq(ev[0].completion_key, 4);
    ck_assert(ev[0].event_type & ASYNC_EVENT_READ);
    ck_assert_int_eq(async_runtime_remove_socket(rt, sv[0]), 0);
    test_sock_close(sv[0]);
}
END_TEST

START_TEST(test_socket_added_paused_reports_nothing)
{
    async_socket_t sv[2];
    watch_new_pair(sv, 0, 1);
    send_x(sv);
    io_event_t ev[4];
    ck_assert_int_eq(wait_now(ev, 4), 0);
    ck_assert_int_eq(async_runtime_add_socket(rt, sv[0], ASYNC_EVENT_READ, 1), -1);
    ck_assert_int_eq(errno, EEXIST);
    unwatch_and_close(sv);
}
END_TEST

START_TEST(test_removed_socket_reports_nothing_and_can_be_added_again)
{
    async_socket_t sv[2];
    watch_new_pair(sv, ASYNC_EVENT_READ, 1);
    send_x(sv);
    ck_assert_int_eq(async_runtime_remove_socket(rt, sv[0]), 0);
    ck_assert_uint_eq(stats_now().sockets, 0);
    io_event_t ev[4];
    ck_assert_int_eq(wait_now(ev, 4), 0);
    ck_assert_int_eq(async_runtime_add_socket(rt, sv[0], ASYNC_EVENT_READ, 2), 0);
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_uint_eq(ev[0].completion_key, 2);
    unwatch_and_close(sv);
}
END_TEST

START_TEST(test_removing_one_of_several_sockets_keeps_the_others)
{
    /* Exercises the poll backend's swap-remove: removing a middle entry
     * moves the last one; both survivors must keep their fd and key. */
    async_socket_t a[2], b[2], c[2];
    make_socketpair(a);
    make_socketpair(b);
    make_socketpair(c);
    ck_assert_int_eq(async_runtime_add_socket(rt, a[0], ASYNC_EVENT_READ, 'a'), 0);
    ck_assert_int_eq(async_runtime_add_socket(rt, b[0], ASYNC_EVENT_READ, 'b'), 0);
    ck_assert_int_eq(async_runtime_add_socket(rt, c[0], ASYNC_EVENT_READ, 'c'), 0);
    send_x(a);
    send_x(b);
    send_x(c);
    ck_assert_int_eq(async_runtime_remove_socket(rt, b[0]), 0);
    ck_assert_uint_eq(stats_now().sockets, 2);
    io_event_t ev[8];
    ck_assert_int_eq(wait_ready(ev, 8), 2);
    const io_event_t *ea = find_fd(ev, 2, a[0]);
    const io_event_t *ec = find_fd(ev, 2, c[0]);
    ck_assert_ptr_nonnull(ea);
    ck_assert_ptr_nonnull(ec);
    ck_assert_uint_eq(ea->completion_key, 'a');
    ck_assert_uint_eq(ec->completion_key, 'c');
    ck_assert_int_eq(async_runtime_modify_socket(rt, c[0], ASYNC_EVENT_READ, 'C'), 0);
    ck_assert_int_eq(async_runtime_remove_socket(rt, b[0]), -1);
    ck_assert_int_eq(errno, ENOENT);
    ck_assert_int_eq(wait_ready(ev, 8), 2);
    ec = find_fd(ev, 2, c[0]);
    ck_assert_ptr_nonnull(ec);
    ck_assert_uint_eq(ec->completion_key, 'C');
    ck_assert_int_eq(async_runtime_remove_socket(rt, a[0]), 0);
    ck_assert_int_eq(async_runtime_remove_socket(rt, c[0]), 0);
    async_socket_t *all[] = {a, b, c};
    for (int i = 0; i < 3; i++) {
        test_sock_close(all[i][0]);
        test_sock_close(all[i][1]);
    }
}
END_TEST

/* The sockets below are what a driver has on every platform: a listener,
 * partial reads, a full send buffer, readiness arriving while the loop is
 * asleep, removal with a wake-up in flight.  The IOCP backend builds
 * level-triggered readiness from edge notifications, so each of these is
 * a place it could go wrong. */

START_TEST(test_listener_reports_read_while_a_connection_is_pending)
{
    async_socket_t l, client;
    ck_assert_int_eq(test_listener(&l), 0);
    ck_assert_int_eq(async_runtime_add_socket(rt, l, ASYNC_EVENT_READ, 0x11), 0);
    io_event_t ev[4];
    ck_assert_int_eq(wait_now(ev, 4), 0);  /* nobody connecting */

    ck_assert_int_eq(test_connect_to(l, &client), 0);
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_int_eq(ev[0].fd, l);
    ck_assert_uint_eq(ev[0].completion_key, 0x11);
    ck_assert_uint_eq(ev[0].event_type, ASYNC_EVENT_READ);
    /* Level-triggered: still pending, still reported. */
    ck_assert_int_eq(wait_now(ev, 4), 1);
    ck_assert_int_eq(ev[0].fd, l);

    async_socket_t accepted = test_accept(l);
    ck_assert_int_ne(accepted, (async_socket_t)-1);
    ck_assert_int_eq(wait_now(ev, 4), 0);  /* accepted: nothing pending */

    /* A second connection after the accept is reported again. */
    async_socket_t client2;
    ck_assert_int_eq(test_connect_to(l, &client2), 0);
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_int_eq(ev[0].fd, l);
    async_socket_t accepted2 = test_accept(l);
    ck_assert_int_ne(accepted2, (async_socket_t)-1);

    ck_assert_int_eq(async_runtime_remove_socket(rt, l), 0);
    test_sock_close(accepted2);
    test_sock_close(client2);
    test_sock_close(accepted);
    test_sock_close(client);
    test_sock_close(l);
}
END_TEST

START_TEST(test_read_is_reported_again_while_data_remains_after_a_partial_read)
{
    async_socket_t sv[2];
    watch_new_pair(sv, ASYNC_EVENT_READ, 1);
    ck_assert_int_eq(test_sock_send(sv[1], "ab", 2), 2);
    io_event_t ev[4];
    char c[2];
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    /* Take one byte of the two (sent in one piece): one is left. */
    ck_assert_int_eq(test_sock_recv(sv[0], c, 1), 1);
    ck_assert(test_sock_wait_readable(sv[0], 10000));
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_uint_eq(ev[0].event_type, ASYNC_EVENT_READ);
    ck_assert_int_eq(test_sock_recv(sv[0], c, 1), 1);
    ck_assert_int_eq(wait_now(ev, 4), 0);
    /* Drained: new data is reported again. */
    send_x(sv);
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_uint_eq(ev[0].event_type, ASYNC_EVENT_READ);
    unwatch_and_close(sv);
}
END_TEST

/* A thread that sends one byte on `to` each time `go` is set. */
typedef struct sender {
    async_socket_t to;
    port_event_t go;     /* auto-reset: one byte per set */
    int rounds;
    _Atomic int failures;
} sender_t;

static void *sender_proc(void *arg)
{
    sender_t *s = arg;
    for (int i = 0; i < s->rounds; i++) {
        port_event_wait(&s->go, -1);
        if (test_sock_send(s->to, "x", 1) != 1)
            /* relaxed: read by the main thread only after join */
            atomic_fetch_add_explicit(&s->failures, 1, memory_order_relaxed);
    }
    return NULL;
}

START_TEST(test_data_arriving_while_the_loop_sleeps_wakes_it_every_time)
{
    enum { ROUNDS = 300 };
    async_socket_t sv[2];
    watch_new_pair(sv, ASYNC_EVENT_READ, 5);
    sender_t s;
    s.to = sv[1];
    s.rounds = ROUNDS;
    atomic_init(&s.failures, 0);
    ck_assert_int_eq(port_event_init(&s.go, false, false), 0);
    port_thread_t th;
    ck_assert_int_eq(port_thread_create(&th, sender_proc, &s, 0), 0);
    for (int i = 0; i < ROUNDS; i++) {
        port_event_set(&s.go);
        io_event_t ev[4];
        /* Forever: a lost wake-up hangs here (and Check's timeout fails
         * the test when it can fork; wait_ready would hide the loss). */
        int n = async_runtime_wait(rt, ev, 4, NULL);
        if (n != 1 || ev[0].fd != sv[0] || ev[0].event_type != ASYNC_EVENT_READ)
            ck_abort_msg("round %d: n=%d type=%u", i, n, ev[0].event_type);
        char c;
        if (test_sock_recv(sv[0], &c, 1) != 1)
            ck_abort_msg("round %d: recv failed", i);
    }
    ck_assert_int_eq(port_thread_join(&th, NULL), 0);
    ck_assert_int_eq(atomic_load_explicit(&s.failures, memory_order_relaxed), 0);
    io_event_t ev[4];
    ck_assert_int_eq(wait_now(ev, 4), 0);
    ck_assert_uint_ge(stats_now().sleeps, 1);
    unwatch_and_close(sv);
    port_event_destroy(&s.go);
}
END_TEST

/* Drains everything readable from a non-blocking socket once `go` is set. */
typedef struct drainer {
    async_socket_t from;
    port_event_t go;
    long drained;
} drainer_t;

static void *drainer_proc(void *arg)
{
    drainer_t *d = arg;
    port_event_wait(&d->go, -1);
    char buf[4096];
    for (;;) {
        long r = test_sock_recv(d->from, buf, sizeof(buf));
        if (r <= 0)
            break;  /* would block: empty for now */
        d->drained += r;
    }
    return NULL;
}

START_TEST(test_write_is_reported_when_a_full_send_buffer_drains)
{
    async_socket_t sv[2];
    make_socketpair(sv);
    ck_assert_int_eq(test_sock_set_nonblocking(sv[0]), 0);
    ck_assert_int_eq(test_sock_set_nonblocking(sv[1]), 0);
    ck_assert_int_eq(async_runtime_add_socket(rt, sv[0], ASYNC_EVENT_WRITE, 8), 0);
    io_event_t ev[4];
    ck_assert_int_eq(wait_now(ev, 4), 1);  /* empty: writable */
    /* Fill sv[0]'s way out until it would block, as a driver does while
     * it watches WRITE.  TCP may free room a moment after a send would
     * block (acknowledgements), so fill again until the socket stays
     * unwritable; the buffers are finite, so this ends. */
    static char chunk[4096];
    long sent = 0;
    for (int fills = 0;; fills++) {
        ck_assert_int_lt(fills, 1000);
        for (;;) {
            long w = test_sock_send(sv[0], chunk, sizeof(chunk));
            if (w < 0) {
                ck_assert(test_sock_would_block());
                break;
            }
            sent += w;
        }
        if (wait_now(ev, 4) == 0)
            break;  /* full: not writable */
    }
    ck_assert_int_gt(sent, 0);

    /* The peer empties its side while the loop sleeps. */
    drainer_t d;
    d.from = sv[1];
    d.drained = 0;
    ck_assert_int_eq(port_event_init(&d.go, true, false), 0);
    port_thread_t th;
    ck_assert_int_eq(port_thread_create(&th, drainer_proc, &d, 0), 0);
    port_event_set(&d.go);
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_int_eq(ev[0].fd, sv[0]);
    ck_assert_uint_eq(ev[0].completion_key, 8);
    ck_assert(ev[0].event_type & ASYNC_EVENT_WRITE);
    ck_assert_int_eq(port_thread_join(&th, NULL), 0);
    ck_assert_int_gt(d.drained, 0);
    unwatch_and_close(sv);
    port_event_destroy(&d.go);
}
END_TEST

START_TEST(test_socket_removed_and_closed_with_a_wakeup_in_flight_reports_nothing)
{
    io_event_t ev[4];
    for (int round = 0; round < 20; round++) {
        async_socket_t sv[2];
        watch_new_pair(sv, ASYNC_EVENT_READ, (uintptr_t)round);
        /* Readiness (and, on IOCP, its wake-up) arrives, then the socket
         * is removed and closed before any wait looks at it. */
        send_x(sv);
        unwatch_and_close(sv);
        struct timeval tv = tv_us(2000);
        ck_assert_int_eq(async_runtime_wait(rt, ev, 4, &tv), 0);
    }
    /* The runtime still works for a new socket (which may well reuse one
     * of the closed sockets' numbers). */
    async_socket_t sv[2];
    watch_new_pair(sv, ASYNC_EVENT_READ, 99);
    ck_assert_int_eq(wait_now(ev, 4), 0);
    send_x(sv);
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_uint_eq(ev[0].completion_key, 99);
    ck_assert_uint_eq(stats_now().sockets, 1);
    unwatch_and_close(sv);
}
END_TEST

START_TEST(test_destroy_leaves_registered_sockets_open_and_usable)
{
    async_socket_t sv[2];
    make_socketpair(sv);
    async_runtime_t *other = async_runtime_init();
    ck_assert_ptr_nonnull(other);
    ck_assert_int_eq(async_runtime_add_socket(other, sv[0], ASYNC_EVENT_READ, 1), 0);
    async_runtime_destroy(other);  /* sv[0] still registered there */
    /* The socket is the caller's: open, and another runtime can watch it. */
    ck_assert_int_eq(async_runtime_add_socket(rt, sv[0], ASYNC_EVENT_READ, 2), 0);
    send_x(sv);
    io_event_t ev[4];
    ck_assert_int_eq(wait_ready(ev, 4), 1);
    ck_assert_uint_eq(ev[0].completion_key, 2);
    char c;
    ck_assert_int_eq(test_sock_recv(sv[0], &c, 1), 1);
    ck_assert_int_eq(c, 'x');
    unwatch_and_close(sv);
}
END_TEST

START_TEST(test_many_registrations_are_found_again_after_removals)
{
    /* Enough sockets to grow every table a backend keeps, then remove
     * every other one: the rest keep their keys (exercises the IOCP
     * backend's hash index and the poll backend's swap-remove). */
    enum { NS = 40 };
    async_socket_t sv[NS][2];
    for (int i = 0; i < NS; i++) {
        watch_new_pair(sv[i], ASYNC_EVENT_READ, 1000 + (uintptr_t)i);
    }
    for (int i = 0; i < NS; i += 2)
        ck_assert_int_eq(async_runtime_remove_socket(rt, sv[i][0]), 0);
    ck_assert_uint_eq(stats_now().sockets, NS / 2);
    for (int i = 0; i < NS; i++) {
        errno = 0;
        int rc = async_runtime_modify_socket(rt, sv[i][0], ASYNC_EVENT_READ,
                                             2000 + (uintptr_t)i);
        if (i % 2 == 0) {
            ck_assert_int_eq(rc, -1);
            ck_assert_int_eq(errno, ENOENT);
        } else {
            ck_assert_int_eq(rc, 0);
        }
    }
    for (int i = 1; i < NS; i += 2) {
        send_x(sv[i]);
        io_event_t ev[4];
        ck_assert_int_eq(wait_ready(ev, 4), 1);
        ck_assert_int_eq(ev[0].fd, sv[i][0]);
        ck_assert_uint_eq(ev[0].completion_key, 2000 + (uintptr_t)i);
        char c;
        ck_assert_int_eq(test_sock_recv(sv[i][0], &c, 1), 1);
    }
    for (int i = 0; i < NS; i++) {
        if (i % 2 == 1)
            ck_assert_int_eq(async_runtime_remove_socket(rt, sv[i][0]), 0);
        test_sock_close(sv[i][0]);
        test_sock_close(sv[i][1]);
    }
    ck_assert_uint_eq(stats_now().sockets, 0);
}
END_TEST

/* ------------------------------------------------------------ errors */

START_TEST(test_adding_registered_socket_fails_with_eexist)
{
    async_socket_t sv[2];
    watch_new_pair(sv, ASYNC_EVENT_READ, 1);
    errno = 0;
    ck_assert_int_eq(async_runtime_add_socket(rt, sv[0], ASYNC_EVENT_WRITE, 2), -1);
    ck_assert_int_eq(errno, EEXIST);
    ck_assert_uint_eq(stats_now().sockets, 1);
    unwatch_and_close(sv);
}
END_TEST

START_TEST(test_modify_or_remove_of_unknown_socket_fails_with_enoent)
{
    async_socket_t sv[2];
    make_socketpair(sv);
    errno = 0;
    ck_assert_int_eq(async_runtime_modify_socket(rt, sv[0], ASYNC_EVENT_READ, 1), -1);
    ck_assert_int_eq(errno, ENOENT);
    errno = 0;
    ck_assert_int_eq(async_runtime_remove_socket(rt, sv[0]), -1);
    ck_assert_int_eq(errno, ENOENT);
    /* fd numbers far beyond any table so far */
    errno = 0;
    ck_assert_int_eq(async_runtime_remove_socket(rt, 100000), -1);
    ck_assert_int_eq(errno, ENOENT);
    test_sock_close(sv[0]);
    test_sock_close(sv[1]);
}
END_TEST

START_TEST(test_bad_fd_or_events_fail_with_einval)
{
    async_socket_t sv[2];
    make_socketpair(sv);
    errno = 0;
    ck_assert_int_eq(async_runtime_add_socket(rt, -1, ASYNC_EVENT_READ, 1), -1);
    ck_assert_int_eq(errno, EINVAL);
    const unsigned bad[] = {ASYNC_EVENT_ERROR, ASYNC_EVENT_COMPLETION,
                            ASYNC_EVENT_READ | ASYNC_EVENT_ERROR, 1u << 8};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        errno = 0;
        ck_assert_int_eq(async_runtime_add_socket(rt, sv[0], bad[i], 1), -1);
        ck_assert_int_eq(errno, EINVAL);
    }
    ck_assert_uint_eq(stats_now().sockets, 0);
    /* A closed descriptor is a bad fd. */
    async_socket_t closed_fd = test_closed_socket();
    errno = 0;
    ck_assert_int_eq(async_runtime_add_socket(rt, closed_fd, ASYNC_EVENT_READ, 1), -1);
    ck_assert_int_eq(errno, EINVAL);
    /* modify checks events too */
    ck_assert_int_eq(async_runtime_add_socket(rt, sv[0], ASYNC_EVENT_READ, 1), 0);
    errno = 0;
    ck_assert_int_eq(async_runtime_modify_socket(rt, sv[0], ASYNC_EVENT_COMPLETION, 1), -1);
    ck_assert_int_eq(errno, EINVAL);
    unwatch_and_close(sv);
}
END_TEST

START_TEST(test_wait_with_bad_arguments_fails_with_einval)
{
    io_event_t ev[1];
    struct timeval zero = {0, 0};
    errno = 0;
    ck_assert_int_eq(async_runtime_wait(rt, ev, 0, &zero), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(async_runtime_wait(rt, ev, -5, &zero), -1);
    ck_assert_int_eq(errno, EINVAL);
    errno = 0;
    ck_assert_int_eq(async_runtime_wait(rt, NULL, 1, &zero), -1);
    ck_assert_int_eq(errno, EINVAL);
    struct timeval negative = {-1, 0};
    errno = 0;
    ck_assert_int_eq(async_runtime_wait(rt, ev, 1, &negative), -1);
    ck_assert_int_eq(errno, EINVAL);
    /* A failed call does not consume pending completions. */
    ck_assert_int_eq(async_runtime_post_completion(rt, 1, 2), 0);
    ck_assert_int_eq(async_runtime_wait(rt, ev, 0, &zero), -1);
    ck_assert_int_eq(wait_now(ev, 1), 1);
}
END_TEST

/* ------------------------------------------------------------ timeouts */

START_TEST(test_wait_of_50ms_returns_zero_after_at_least_50ms)
{
    io_event_t ev[4];
    struct timeval tv = tv_us(50000);
    int64_t t0 = port_clock_now_ns();
    ck_assert_int_eq(async_runtime_wait(rt, ev, 4, &tv), 0);
    int64_t elapsed = port_clock_now_ns() - t0;
    ck_assert_int_ge(elapsed, 50 * PORT_NS_PER_MS);  /* lower bound only */
    ck_assert_uint_ge(stats_now().sleeps, 1);
}
END_TEST

START_TEST(test_half_millisecond_wait_is_not_rounded_down)
{
    io_event_t ev[4];
    /* Repeat: a backend that rounded 0.5 ms down to 0 would return at once
     * (elapsed < 0.5 ms) or, behind the runtime's deadline loop, spin
     * through many OS waits; both are caught. */
    for (int i = 0; i < 20; i++) {
        struct timeval tv = tv_us(500);
        async_runtime_stats_t before = stats_now();
        int64_t t0 = port_clock_now_ns();
        ck_assert_int_eq(async_runtime_wait(rt, ev, 4, &tv), 0);
        int64_t elapsed = port_clock_now_ns() - t0;
        ck_assert_int_ge(elapsed, 500 * PORT_NS_PER_US);
        async_runtime_stats_t after = stats_now();
        ck_assert_uint_ge(after.sleeps - before.sleeps, 1);
        /* Not a time bound: a count of OS waits.  A correct backend sleeps
         * once (twice if the OS timer fired a hair early). */
        ck_assert_uint_le(after.sleeps - before.sleeps, 3);
    }
}
END_TEST

START_TEST(test_zero_timeout_returns_zero_without_sleeping_when_idle)
{
    io_event_t ev[4];
    ck_assert_int_eq(wait_now(ev, 4), 0);
    async_runtime_stats_t st = stats_now();
    ck_assert_uint_eq(st.wait_calls, 1);
    ck_assert_uint_eq(st.sleeps, 0);  /* never blocked in the OS */
}
END_TEST

START_TEST(test_pending_completions_make_a_long_wait_return_at_once)
{
    ck_assert_int_eq(async_runtime_post_completion(rt, 1, 1), 0);
    ck_assert_int_eq(async_runtime_post_completion(rt, 1, 2), 0);
    io_event_t ev[1];
    struct timeval tv = {3600, 0};
    ck_assert_int_eq(async_runtime_wait(rt, ev, 1, &tv), 1);
    ck_assert_int_eq(async_runtime_wait(rt, ev, 1, &tv), 1);
    ck_assert_uint_eq(ev[0].value, 2);
    /* Completions were pending at both calls: neither blocked in the OS. */
    ck_assert_uint_eq(stats_now().sleeps, 0);
}
END_TEST

/* ------------------------------------------------------------ signals */

/* POSIX only: Windows has no signals that interrupt a wait (console
 * control events run on a thread of their own), so the IOCP backend never
 * sees EINTR and there is nothing to retry. */
#ifndef _WIN32

static volatile sig_atomic_t sigusr1_count;

static void on_sigusr1(int sig)
{
    (void)sig;
    sigusr1_count++;
}

/* Installs on_sigusr1 WITHOUT SA_RESTART, so a blocking wait really gets
 * EINTR, and makes sure SIGUSR1 is not blocked on this (main) thread. */
static void install_sigusr1(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof(sa));
    sa.sa_handler = on_sigusr1;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = 0;
    ck_assert_int_eq(sigaction(SIGUSR1, &sa, NULL), 0);
    sigset_t set;
    sigemptyset(&set);
    sigaddset(&set, SIGUSR1);
    ck_assert_int_eq(pthread_sigmask(SIG_UNBLOCK, &set, NULL), 0);
    sigusr1_count = 0;
}

typedef struct signaller {
    pthread_t target;       /* the main thread: port threads block signals */
    port_event_t done;      /* set by main when its wait returned */
    port_event_t paced;     /* never set: a timed wait paces the signals */
    int max_signals;        /* 0 = until done */
    bool post_when_finished;
    _Atomic int sent;
} signaller_t;

static void *signaller_proc(void *arg)
{
    signaller_t *s = arg;
    for (;;) {
        if (port_event_is_set(&s->done))
            break;
        if (s->max_signals > 0 &&
            atomic_load_explicit(&s->sent, memory_order_relaxed) >= s->max_signals)
            break;
        pthread_kill(s->target, SIGUSR1);
        /* relaxed: a counter read by main after join */
        atomic_fetch_add_explicit(&s->sent, 1, memory_order_relaxed);
        port_event_wait(&s->paced, 5);  /* pacing, not synchronisation */
    }
    if (s->post_when_finished)
        async_runtime_post_completion(rt, 0x516, 1);
    return NULL;
}

static void signaller_init(signaller_t *s, int max_signals, bool post)
{
    s->target = pthread_self();
    ck_assert_int_eq(port_event_init(&s->done, true, false), 0);
    ck_assert_int_eq(port_event_init(&s->paced, true, false), 0);
    s->max_signals = max_signals;
    s->post_when_finished = post;
    atomic_init(&s->sent, 0);
}

START_TEST(test_signal_during_timed_wait_is_retried_until_full_timeout)
{
    install_sigusr1();
    signaller_t s;
    signaller_init(&s, 0, false);
    port_thread_t th;
    ck_assert_int_eq(port_thread_create(&th, signaller_proc, &s, 0), 0);

    io_event_t ev[4];
    struct timeval tv = tv_us(200000);
    int64_t t0 = port_clock_now_ns();
    errno = 0;
    int rc = async_runtime_wait(rt, ev, 4, &tv);
    int64_t elapsed = port_clock_now_ns() - t0;
    port_event_set(&s.done);
    ck_assert_int_eq(port_thread_join(&th, NULL), 0);

    ck_assert_int_eq(rc, 0);                            /* a timeout ... */
    ck_assert_int_ge(elapsed, 200 * PORT_NS_PER_MS);    /* ... only when due */
    ck_assert_int_ge(sigusr1_count, 1);
    /* Each interruption restarted the OS wait with the time left. */
    ck_assert_uint_ge(stats_now().sleeps, 2);
    port_event_destroy(&s.done);
    port_event_destroy(&s.paced);
}
END_TEST

START_TEST(test_signal_during_infinite_wait_does_not_end_it)
{
    install_sigusr1();
    signaller_t s;
    signaller_init(&s, 10, true);  /* 10 signals, then a completion */
    port_thread_t th;
    ck_assert_int_eq(port_thread_create(&th, signaller_proc, &s, 0), 0);
    io_event_t ev[4];
    int rc = async_runtime_wait(rt, ev, 4, NULL);
    ck_assert_int_eq(rc, 1);
    ck_assert_uint_eq(ev[0].completion_key, 0x516);
    port_event_set(&s.done);
    ck_assert_int_eq(port_thread_join(&th, NULL), 0);
    /* Each signal was made pending before the post that ended the wait,
     * so at least one handler ran; standard signals may coalesce, so not
     * necessarily all ten. */
    ck_assert_int_ge(sigusr1_count, 1);
    port_event_destroy(&s.done);
    port_event_destroy(&s.paced);
}
END_TEST

#endif /* !_WIN32 */

/* ------------------------------------------------------------ fds */

#ifdef _WIN32
/* Where new handles go: the highest of 64 fresh handles (closed again).
 * Handle tables hand out the lowest free slots, so each handle leaked
 * since the last call moves this up by one slot (4). */
static uintptr_t handle_high_water(void)
{
    enum { PROBES = 64 };
    HANDLE h[PROBES];
    uintptr_t high = 0;
    for (int i = 0; i < PROBES; i++) {
        h[i] = CreateEventW(NULL, TRUE, FALSE, NULL);
        ck_assert_ptr_nonnull(h[i]);
        if ((uintptr_t)h[i] > high)
            high = (uintptr_t)h[i];
    }
    for (int i = 0; i < PROBES; i++)
        CloseHandle(h[i]);
    return high;
}

/* Windows: the runtime's port, event and registered wait are created
 * non-inheritable (NULL security attributes: the counterpart of
 * close-on-exec), and destroy releases every handle it made.  Checked by
 * the process handle count where the system keeps one (Windows), and
 * where it does not (wine answers 0) by handle_high_water: a destroy that
 * leaked one handle per round would move it up by 50 slots. */
START_TEST(test_internal_handles_are_released_by_destroy)
{
    enum { ROUNDS = 50, SLACK = 16 };  /* slack: thread-pool housekeeping */
    async_runtime_destroy(async_runtime_init());  /* warm the thread pool up */
    DWORD count_before = 0, count_after = 0;
    ck_assert(GetProcessHandleCount(GetCurrentProcess(), &count_before));
    uintptr_t slot_before = handle_high_water();
    for (int i = 0; i < ROUNDS; i++) {
        async_runtime_t *other = async_runtime_init();
        ck_assert_ptr_nonnull(other);
        async_runtime_destroy(other);
    }
    ck_assert(GetProcessHandleCount(GetCurrentProcess(), &count_after));
    uintptr_t slot_after = handle_high_water();
    if (count_before > 0)
        ck_assert_uint_le(count_after, count_before + SLACK);
    /* Handle values are multiples of 4. */
    ck_assert_uint_le(slot_after, slot_before + 4 * SLACK);
}
END_TEST
#else

/* Probes descriptors 0..limit-1: open[i] true when fd i is open.  Uses
 * fcntl, so it works on every POSIX system and opens nothing itself. */
enum { FD_PROBE_LIMIT = 4096 };

static void probe_open_fds(bool *open_fds)
{
    for (int fd = 0; fd < FD_PROBE_LIMIT; fd++)
        open_fds[fd] = fcntl(fd, F_GETFD) >= 0;
}

START_TEST(test_internal_fds_are_close_on_exec)
{
    static bool before[FD_PROBE_LIMIT], after[FD_PROBE_LIMIT];
    probe_open_fds(before);
    async_runtime_t *other = async_runtime_init();
    ck_assert_ptr_nonnull(other);
    probe_open_fds(after);
    int created = 0;
    for (int fd = 0; fd < FD_PROBE_LIMIT; fd++) {
        if (!after[fd] || before[fd])
            continue;
        created++;
        int flags = fcntl(fd, F_GETFD);
        ck_assert_int_ge(flags, 0);
        ck_assert_msg(flags & FD_CLOEXEC, "runtime fd %d is not close-on-exec", fd);
    }
    ck_assert_int_ge(created, 1);  /* epoll + eventfd, or the pipe's two ends */
    async_runtime_destroy(other);
    /* ... and destroy closed every one of them. */
    probe_open_fds(after);
    for (int fd = 0; fd < FD_PROBE_LIMIT; fd++)
        ck_assert_msg(after[fd] == before[fd], "fd %d leaked by destroy", fd);
}
END_TEST
#endif /* _WIN32 */

/* ------------------------------------------------------------ suite */

static Suite *async_runtime_suite(void)
{
    Suite *s = suite_create("async_runtime");

    TCase *tc = tcase_create("lifecycle");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_init_returns_runtime_with_zeroed_stats_and_destroy_frees_it);
    tcase_add_test(tc, test_backend_name_matches_configured_backend);
#ifdef _WIN32
    tcase_add_test(tc, test_internal_handles_are_released_by_destroy);
#else
    tcase_add_test(tc, test_internal_fds_are_close_on_exec);
#endif
    tcase_add_test(tc, test_destroy_with_undelivered_completions_frees_them);
    suite_add_tcase(s, tc);

    tc = tcase_create("completions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_set_timeout(tc, 300);  /* a million posts under TSan */
    tcase_add_test(tc, test_posted_completion_is_delivered_with_its_key_and_value);
    tcase_add_test(tc, test_completions_posted_before_wait_come_in_order_across_small_waits);
    tcase_add_test(tc, test_posts_to_an_awake_loop_never_ring_the_doorbell);
    tcase_add_test(tc, test_million_completions_from_four_threads_delivered_once_in_thread_order);
    tcase_add_test(tc, test_completion_from_another_thread_wakes_infinite_wait);
    tcase_add_test(tc, test_each_post_to_an_empty_list_wakes_the_sleeping_loop);
    suite_add_tcase(s, tc);

    tc = tcase_create("sockets");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_socket_reports_read_when_peer_writes);
    tcase_add_test(tc, test_socket_reports_write_when_writable);
    tcase_add_test(tc, test_socket_reports_error_when_peer_closes);
    tcase_add_test(tc, test_error_is_reported_while_watching_write_only);
    tcase_add_test(tc, test_socket_and_completion_are_returned_by_the_same_wait);
    tcase_add_test(tc, test_pending_completions_do_not_starve_ready_socket);
    tcase_add_test(tc, test_many_ready_sockets_all_get_reported_with_few_slots);
    tcase_add_test(tc, test_modify_to_write_only_stops_read_events_and_changes_key);
    tcase_add_test(tc, test_modify_to_zero_pauses_socket_until_modified_again);
    tcase_add_test(tc, test_socket_added_paused_reports_nothing);
    tcase_add_test(tc, test_removed_socket_reports_nothing_and_can_be_added_again);
    tcase_add_test(tc, test_removing_one_of_several_sockets_keeps_the_others);
    tcase_add_test(tc, test_listener_reports_read_while_a_connection_is_pending);
    tcase_add_test(tc, test_read_is_reported_again_while_data_remains_after_a_partial_read);
    tcase_add_test(tc, test_data_arriving_while_the_loop_sleeps_wakes_it_every_time);
    tcase_add_test(tc, test_write_is_reported_when_a_full_send_buffer_drains);
    tcase_add_test(tc, test_socket_removed_and_closed_with_a_wakeup_in_flight_reports_nothing);
    tcase_add_test(tc, test_destroy_leaves_registered_sockets_open_and_usable);
    tcase_add_test(tc, test_many_registrations_are_found_again_after_removals);
    suite_add_tcase(s, tc);

    tc = tcase_create("errors");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_adding_registered_socket_fails_with_eexist);
    tcase_add_test(tc, test_modify_or_remove_of_unknown_socket_fails_with_enoent);
    tcase_add_test(tc, test_bad_fd_or_events_fail_with_einval);
    tcase_add_test(tc, test_wait_with_bad_arguments_fails_with_einval);
    suite_add_tcase(s, tc);

    tc = tcase_create("timeouts");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_wait_of_50ms_returns_zero_after_at_least_50ms);
    tcase_add_test(tc, test_half_millisecond_wait_is_not_rounded_down);
    tcase_add_test(tc, test_zero_timeout_returns_zero_without_sleeping_when_idle);
    tcase_add_test(tc, test_pending_completions_make_a_long_wait_return_at_once);
#ifndef _WIN32
    tcase_add_test(tc, test_signal_during_timed_wait_is_retried_until_full_timeout);
    tcase_add_test(tc, test_signal_during_infinite_wait_does_not_end_it);
#endif
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(async_runtime_suite());
    srunner_run_all(sr, CK_NORMAL);
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
