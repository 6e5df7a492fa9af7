/*
 * check_backend.c - tests for src/backend.c, the reactor.
 *
 * Each test runs the real loop (backend_run) in its own forked process
 * and ends it the way the driver does: a callback requests a shutdown, or
 * a signal arrives.  Properties are counted (turns, sleeps, fires,
 * callback calls), never timed: the only time assertions are lower bounds
 * ("a timer never fires early").  Threads synchronise on port events.
 *
 * comm is initialised without a listener (port 0), so backend_run's calls
 * into comm see a real, empty connection table.
 */
#include <config.h>
#include "../src/backend.h"
#include "../src/comm.h"
#include "../src/config.h"
#include "port/port_clock.h"
#include "port/port_sync.h"
#include "port/port_thread.h"
#include "proc_count.h"

#include <check.h>
#include <dirent.h>
#include <errno.h>
#include <netinet/in.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

/* ------------------------------------------------------------ fixture */

static driver_config_t cfg;
static bool loop_ran;

static void noop_line(comm_conn_t *conn, const char *line, size_t len, void *ctx)
{
    (void)conn; (void)line; (void)len; (void)ctx;
}

static const comm_handler_t quiet_handler = { NULL, noop_line, NULL, NULL };

static void setup(void)
{
    ck_assert_int_eq(backend_init(), 0);
    ck_assert_int_eq(config_set_defaults(&cfg, NULL), 0);
    cfg.port = 0;
    ck_assert_int_eq(comm_init(&cfg, &quiet_handler), 0);
    loop_ran = false;
}

static void teardown(void)
{
    if (!loop_ran)
        comm_shutdown(0);
    backend_destroy();
    config_free(&cfg);
}

static int run_loop(void)
{
    loop_ran = true;
    return backend_run();
}

static backend_stats_t stats_now(void)
{
    backend_stats_t st;
    backend_get_stats(&st);
    return st;
}

static void shutdown_cb(void *ctx)
{
    (void)ctx;
    backend_request_shutdown(0);
}

/* A recorder of callback order. */
typedef struct recorder {
    int seen[32];
    int count;
} recorder_t;

static recorder_t rec;

typedef struct tagged {
    int tag;
    int64_t fired_ns;
} tagged_t;

static void record_cb(void *ctx)
{
    tagged_t *t = ctx;
    t->fired_ns = port_clock_now_ns();
    if (rec.count < 32)
        rec.seen[rec.count++] = t->tag;
}

/* Open fds (proc_count.h); fails when /proc cannot be read. */
static int count_fds(void)
{
    int n = proc_count_fds();
    ck_assert_int_ge(n, 0);
    return n;
}

/* A thread that waits for `go`, then runs `action`. */
typedef struct helper {
    port_thread_t thread;
    port_event_t go;
    void (*action)(struct helper *);
    uintptr_t key;
    uintptr_t value;
    int count;
} helper_t;

static void *helper_main(void *arg)
{
    helper_t *h = arg;
    port_event_wait(&h->go, -1);
    h->action(h);
    return NULL;
}

static void helper_start(helper_t *h, void (*action)(helper_t *))
{
    ck_assert_int_eq(port_event_init(&h->go, true, false), 0);
    h->action = action;
    ck_assert_int_eq(port_thread_create(&h->thread, helper_main, h, 0), 0);
}

static void helper_join(helper_t *h)
{
    ck_assert_int_eq(port_thread_join(&h->thread, NULL), 0);
    port_event_destroy(&h->go);
}

/* ================================================================ timers */

/* Scheduled out of order, timers fire earliest deadline first, each once,
 * and never before their deadline. */
START_TEST(test_timers_fire_in_deadline_order)
{
    static tagged_t t30 = {30, 0}, t10 = {10, 0}, t20 = {20, 0}, t0 = {0, 0};
    int64_t start = port_clock_now_ns();
    ck_assert_ptr_nonnull(backend_timer_add(30, 0, record_cb, &t30));
    ck_assert_ptr_nonnull(backend_timer_add(10, 0, record_cb, &t10));
    ck_assert_ptr_nonnull(backend_timer_add(0, 0, record_cb, &t0));
    ck_assert_ptr_nonnull(backend_timer_add(20, 0, record_cb, &t20));
    ck_assert_ptr_nonnull(backend_timer_add(40, 0, shutdown_cb, NULL));

    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(rec.count, 4);
    ck_assert_int_eq(rec.seen[0], 0);
    ck_assert_int_eq(rec.seen[1], 10);
    ck_assert_int_eq(rec.seen[2], 20);
    ck_assert_int_eq(rec.seen[3], 30);
    ck_assert_int_ge(t10.fired_ns - start, 10 * PORT_NS_PER_MS);
    ck_assert_int_ge(t20.fired_ns - start, 20 * PORT_NS_PER_MS);
    ck_assert_int_ge(t30.fired_ns - start, 30 * PORT_NS_PER_MS);
    ck_assert_uint_eq(stats_now().timer_fires, 5);
}
END_TEST

typedef struct repeater {
    backend_timer_t *handle;
    int fires;
    int stop_at;
    int64_t start_ns;
    int64_t fire_ns[8];
} repeater_t;

static void repeat_cb(void *ctx)
{
    repeater_t *r = ctx;
    if (r->fires < 8)
        r->fire_ns[r->fires] = port_clock_now_ns() - r->start_ns;
    if (++r->fires == r->stop_at) {
        backend_timer_cancel(r->handle);  /* from inside its own callback */
        backend_request_shutdown(0);
    }
}

/* A repeating timer fires every interval (the k-th fire never before
 * delay + (k-1) * interval: a fixed rate, no drift) until it cancels
 * itself inside its callback; it is freed once (ASan) and never fires
 * again. */
START_TEST(test_repeating_timer_fires_until_cancelled_in_own_callback)
{
    static repeater_t r = { .stop_at = 5 };
    r.start_ns = port_clock_now_ns();
    r.handle = backend_timer_add(2, 2, repeat_cb, &r);
    ck_assert_ptr_nonnull(r.handle);
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(r.fires, 5);
    ck_assert_uint_eq(stats_now().timer_fires, 5);
    for (int k = 0; k < 5; k++)
        ck_assert_int_ge(r.fire_ns[k], (int64_t)(k + 1) * 2 * PORT_NS_PER_MS);
}
END_TEST

static int oneshot_fires;
static backend_timer_t *oneshot_handle;

static void oneshot_cancel_self_cb(void *ctx)
{
    (void)ctx;
    oneshot_fires++;
    backend_timer_cancel(oneshot_handle);  /* legal: still inside the callback */
}

/* Cancelling a one-shot timer from its own callback frees it exactly
 * once (ASan/valgrind would see a double free). */
START_TEST(test_oneshot_cancelled_in_own_callback_is_freed_once)
{
    oneshot_handle = backend_timer_add(0, 0, oneshot_cancel_self_cb, NULL);
    ck_assert_ptr_nonnull(backend_timer_add(5, 0, shutdown_cb, NULL));
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(oneshot_fires, 1);
}
END_TEST

static backend_timer_t *victim_handle;
static int victim_fires;
static uint64_t killer_turn;

static void victim_cb(void *ctx)
{
    (void)ctx;
    victim_fires++;
}

static void killer_cb(void *ctx)
{
    (void)ctx;
    killer_turn = stats_now().turns;
    backend_timer_cancel(victim_handle);
}

/* Two timers due in the same turn: the first cancels the second, which
 * then never fires (not this turn, not later). */
START_TEST(test_cancel_of_another_due_timer_in_same_turn)
{
    ck_assert_ptr_nonnull(backend_timer_add(0, 0, killer_cb, NULL));
    victim_handle = backend_timer_add(0, 0, victim_cb, NULL);
    ck_assert_ptr_nonnull(victim_handle);
    ck_assert_ptr_nonnull(backend_timer_add(20, 0, shutdown_cb, NULL));
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_uint_eq(killer_turn, 1);   /* both were due in turn 1 */
    ck_assert_int_eq(victim_fires, 0);
    ck_assert_uint_eq(stats_now().timer_fires, 2);
}
END_TEST

/* A pending timer is cancelled from outside any callback. */
START_TEST(test_cancel_pending_timer)
{
    static tagged_t a = {1, 0}, b = {2, 0}, c = {3, 0};
    backend_timer_t *ta = backend_timer_add(5, 0, record_cb, &a);
    backend_timer_t *tb = backend_timer_add(1, 0, record_cb, &b);
    ck_assert_ptr_nonnull(backend_timer_add(3, 0, record_cb, &c));
    ck_assert_ptr_nonnull(ta);
    ck_assert_ptr_nonnull(tb);
    backend_timer_cancel(tb);   /* the heap's root */
    backend_timer_cancel(ta);   /* a leaf */
    backend_timer_cancel(NULL); /* ignored */
    ck_assert_ptr_nonnull(backend_timer_add(10, 0, shutdown_cb, NULL));
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(rec.count, 1);
    ck_assert_int_eq(rec.seen[0], 3);
}
END_TEST

static uint64_t parent_turn, child_turn;

static void child_cb(void *ctx)
{
    (void)ctx;
    child_turn = stats_now().turns;
    backend_request_shutdown(0);
}

static void parent_cb(void *ctx)
{
    (void)ctx;
    parent_turn = stats_now().turns;
    ck_assert_ptr_nonnull(backend_timer_add(0, 0, child_cb, NULL));
}

/* A timer added (delay 0) by a timer callback waits for the next turn, so
 * a self-re-arming callback cannot trap the loop in one turn. */
START_TEST(test_timer_added_in_callback_fires_next_turn)
{
    ck_assert_ptr_nonnull(backend_timer_add(0, 0, parent_cb, NULL));
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_uint_eq(parent_turn, 1);
    ck_assert_uint_eq(child_turn, 2);
}
END_TEST

/* Many timers with random delays, a third of them cancelled (heap
 * removal from the middle): the rest fire once each, in deadline order.
 * A timer's deadline is only known to lie in [before + delay, after +
 * delay], where before/after bracket its backend_timer_add call, so the
 * order is checked for every pair whose intervals do not overlap. */
typedef struct heap_probe {
    int delay_ms;
    int64_t added_before, added_after;
    int fire_seq;      /* 1-based position in the fire order, 0: never */
} heap_probe_t;

static int heap_fire_count;

static void heap_probe_cb(void *ctx)
{
    heap_probe_t *p = ctx;
    ck_assert_int_eq(p->fire_seq, 0);
    p->fire_seq = ++heap_fire_count;
}

START_TEST(test_many_timers_fire_in_deadline_order_with_cancels)
{
    enum { N = 200 };
    static heap_probe_t probes[N];
    static backend_timer_t *handles[N];
    srand(12345);
    int live = 0;
    for (int i = 0; i < N; i++) {
        probes[i].delay_ms = rand() % 30;
        probes[i].added_before = port_clock_now_ns();
        handles[i] = backend_timer_add(probes[i].delay_ms, 0, heap_probe_cb, &probes[i]);
        probes[i].added_after = port_clock_now_ns();
        ck_assert_ptr_nonnull(handles[i]);
    }
    for (int i = 0; i < N; i += 3) {
        backend_timer_cancel(handles[i]);
        handles[i] = NULL;
    }
    for (int i = 0; i < N; i++)
        if (handles[i] != NULL)
            live++;
    ck_assert_ptr_nonnull(backend_timer_add(40, 0, shutdown_cb, NULL));
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_uint_eq(stats_now().timer_fires, (uint64_t)live + 1);
    for (int i = 0; i < N; i++) {
        if (handles[i] == NULL) {
            ck_assert_int_eq(probes[i].fire_seq, 0);
            continue;
        }
        ck_assert_int_ne(probes[i].fire_seq, 0);
        int64_t earliest_i = probes[i].added_before + probes[i].delay_ms * PORT_NS_PER_MS;
        for (int j = 0; j < N; j++) {
            if (handles[j] == NULL)
                continue;
            int64_t latest_j = probes[j].added_after + probes[j].delay_ms * PORT_NS_PER_MS;
            if (latest_j < earliest_i)
                ck_assert_int_lt(probes[j].fire_seq, probes[i].fire_seq);
        }
    }
}
END_TEST

/* ============================================================ wait timeout */

/* The wait timeout is the time to the earliest deadline, "forever" with
 * no timers, and 0 once a shutdown is pending. */
START_TEST(test_next_timeout_follows_earliest_deadline)
{
    ck_assert_int_eq(backend_next_timeout_ns(), -1);
    backend_timer_t *late = backend_timer_add(300, 0, shutdown_cb, NULL);
    int64_t t = backend_next_timeout_ns();
    ck_assert_int_gt(t, 200 * PORT_NS_PER_MS);
    ck_assert_int_le(t, 300 * PORT_NS_PER_MS);
    backend_timer_t *early = backend_timer_add(100, 100, shutdown_cb, NULL);
    t = backend_next_timeout_ns();
    ck_assert_int_gt(t, 0);
    ck_assert_int_le(t, 100 * PORT_NS_PER_MS);
    backend_timer_cancel(early);
    ck_assert_int_gt(backend_next_timeout_ns(), 100 * PORT_NS_PER_MS);
    backend_timer_cancel(late);
    ck_assert_int_eq(backend_next_timeout_ns(), -1);
    backend_request_shutdown(0);
    ck_assert_int_eq(backend_next_timeout_ns(), 0);
}
END_TEST

/* With one timer 50 ms away and nothing else, the loop sleeps in ONE wait
 * until the deadline: one turn, one sleep, the timer fires in that turn
 * (no early wake-up, no tick). */
START_TEST(test_wait_sleeps_until_next_deadline_in_one_turn)
{
    int64_t start = port_clock_now_ns();
    ck_assert_ptr_nonnull(backend_timer_add(50, 0, shutdown_cb, NULL));
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_ge(port_clock_now_ns() - start, 50 * PORT_NS_PER_MS);
    backend_stats_t st = stats_now();
    ck_assert_uint_eq(st.turns, 1);
    ck_assert_uint_eq(st.sleeps, 1);
    ck_assert_uint_eq(st.timer_fires, 1);
}
END_TEST

/* ---- idle: nothing due, the loop sleeps until a worker posts ---------- */

enum { KEY_KICK = BACKEND_KEY_FIRST_FREE, KEY_WAKE, KEY_OTHER };

static helper_t idle_helper;
static int64_t idle_timeout_seen = 42;
static backend_stats_t idle_before;
static uintptr_t wake_value;

static void post_wake(helper_t *h)
{
    ck_assert_int_eq(async_runtime_post_completion(backend_runtime(), KEY_WAKE, 4242), 0);
    (void)h;
}

static void kick_handler(uintptr_t key, uintptr_t value, void *ctx)
{
    (void)key; (void)value; (void)ctx;
}

static void wake_handler(uintptr_t key, uintptr_t value, void *ctx)
{
    (void)key; (void)ctx;
    wake_value = value;
    backend_request_shutdown(0);
}

static void idle_turn_hook(void *ctx)
{
    (void)ctx;
    if (stats_now().turns != 1)
        return;
    /* End of turn 1: nothing is queued, no timer exists.  The next wait
     * must be "forever"; let the worker post only now. */
    idle_timeout_seen = backend_next_timeout_ns();
    idle_before = stats_now();
    port_event_set(&idle_helper.go);
}

/* The loop with no timers and no events sleeps without a timeout: after
 * turn 1 the wait is "forever", and the completion posted from another
 * thread wakes it in exactly one more turn and one more sleep. */
START_TEST(test_idle_loop_sleeps_until_completion_from_worker)
{
    ck_assert_int_eq(backend_register_completion(KEY_KICK, kick_handler, NULL), 0);
    ck_assert_int_eq(backend_register_completion(KEY_WAKE, wake_handler, NULL), 0);
    ck_assert_int_eq(backend_add_turn_hook(idle_turn_hook, NULL), 0);
    helper_start(&idle_helper, post_wake);
    /* The kick gets turn 1 going; the wake is posted after it. */
    ck_assert_int_eq(async_runtime_post_completion(backend_runtime(), KEY_KICK, 0), 0);

    ck_assert_int_eq(run_loop(), 0);
    helper_join(&idle_helper);

    backend_stats_t after = stats_now();
    ck_assert_int_eq(idle_timeout_seen, -1);
    ck_assert_uint_eq(idle_before.turns, 1);
    ck_assert_uint_eq(after.turns - idle_before.turns, 1);
    ck_assert_uint_eq(after.sleeps - idle_before.sleeps, 1);
    ck_assert_uint_eq(after.completions, 2);
    ck_assert_uint_eq(wake_value, 4242);
}
END_TEST

/* ======================================================= completion keys */

typedef struct key_call {
    uintptr_t key;
    uintptr_t value;
    void *ctx;
} key_call_t;

static key_call_t key_calls[8];
static int key_call_count;

static void record_key(uintptr_t key, uintptr_t value, void *ctx)
{
    if (key_call_count < 8)
        key_calls[key_call_count++] = (key_call_t){ key, value, ctx };
    if (value == 0)
        backend_request_shutdown(0);
}

/* Keys are 1..BACKEND_KEY_LIMIT-1, one handler each. */
START_TEST(test_register_rejects_duplicate_and_out_of_range_keys)
{
    ck_assert_int_eq(backend_register_completion(KEY_WAKE, record_key, NULL), 0);
    ck_assert_int_eq(backend_register_completion(KEY_WAKE, record_key, NULL), -1);
    ck_assert_int_eq(backend_register_completion(0, record_key, NULL), -1);
    ck_assert_int_eq(backend_register_completion(BACKEND_KEY_LIMIT, record_key, NULL), -1);
    ck_assert_int_eq(backend_register_completion(UINTPTR_MAX, record_key, NULL), -1);
    ck_assert_int_eq(backend_register_completion(BACKEND_KEY_LIMIT - 1, record_key, NULL), 0);
    ck_assert_int_eq(backend_register_completion(KEY_OTHER, NULL, NULL), -1);
    backend_unregister_completion(KEY_WAKE);
    ck_assert_int_eq(backend_register_completion(KEY_WAKE, record_key, NULL), 0);
    backend_unregister_completion(BACKEND_KEY_LIMIT + 5);  /* ignored */
}
END_TEST

/* Each handler gets its key, the posted value and its own ctx; a
 * completion for a key without a handler is dropped, not dispatched. */
START_TEST(test_handler_gets_key_value_and_ctx)
{
    static int ctx_a, ctx_b;
    async_runtime_t *rt = backend_runtime();
    ck_assert_int_eq(backend_register_completion(KEY_WAKE, record_key, &ctx_a), 0);
    ck_assert_int_eq(backend_register_completion(KEY_OTHER, record_key, &ctx_b), 0);
    ck_assert_int_eq(async_runtime_post_completion(rt, KEY_WAKE, 0xdead), 0);
    ck_assert_int_eq(async_runtime_post_completion(rt, 40, 1), 0);  /* no handler */
    ck_assert_int_eq(async_runtime_post_completion(rt, KEY_OTHER, 7), 0);
    ck_assert_int_eq(async_runtime_post_completion(rt, KEY_WAKE, 0), 0);

    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(key_call_count, 3);
    ck_assert_uint_eq(key_calls[0].key, KEY_WAKE);
    ck_assert_uint_eq(key_calls[0].value, 0xdead);
    ck_assert_ptr_eq(key_calls[0].ctx, &ctx_a);
    ck_assert_uint_eq(key_calls[1].key, KEY_OTHER);
    ck_assert_uint_eq(key_calls[1].value, 7);
    ck_assert_ptr_eq(key_calls[1].ctx, &ctx_b);
    ck_assert_uint_eq(key_calls[2].value, 0);
    ck_assert_uint_eq(stats_now().completions, 3);
}
END_TEST

static void unregister_other(uintptr_t key, uintptr_t value, void *ctx)
{
    (void)key; (void)value; (void)ctx;
    backend_unregister_completion(KEY_OTHER);
}

/* A handler that unregisters another key: that key's completions later in
 * the same batch are dropped. */
START_TEST(test_unregister_during_batch_drops_later_completions)
{
    async_runtime_t *rt = backend_runtime();
    ck_assert_int_eq(backend_register_completion(KEY_KICK, unregister_other, NULL), 0);
    ck_assert_int_eq(backend_register_completion(KEY_OTHER, record_key, NULL), 0);
    ck_assert_int_eq(backend_register_completion(KEY_WAKE, record_key, NULL), 0);
    ck_assert_int_eq(async_runtime_post_completion(rt, KEY_KICK, 1), 0);
    ck_assert_int_eq(async_runtime_post_completion(rt, KEY_OTHER, 1), 0);
    ck_assert_int_eq(async_runtime_post_completion(rt, KEY_WAKE, 0), 0);
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(key_call_count, 1);
    ck_assert_uint_eq(key_calls[0].key, KEY_WAKE);
    ck_assert_uint_eq(stats_now().turns, 1);
}
END_TEST

/* ---- completions from a worker: exactly once, in order ---------------- */

enum { FLOOD = 10000 };
static helper_t flood_helper;
static uintptr_t flood_next = 1;
static int flood_out_of_order;

static void post_flood(helper_t *h)
{
    async_runtime_t *rt = backend_runtime();
    for (uintptr_t v = 1; v <= FLOOD; v++)
        ck_assert_int_eq(async_runtime_post_completion(rt, h->key, v), 0);
}

static void flood_handler(uintptr_t key, uintptr_t value, void *ctx)
{
    (void)key; (void)ctx;
    if (value != flood_next)
        flood_out_of_order++;
    flood_next = value + 1;
    if (value == FLOOD)
        backend_request_shutdown(0);
}

static void flood_go_hook(void *ctx)
{
    (void)ctx;
    port_event_set(&flood_helper.go);
}

/* 10,000 completions posted by a worker while the loop runs reach the
 * handler exactly once each, in posting order. */
START_TEST(test_worker_completions_delivered_once_in_order)
{
    flood_helper.key = KEY_WAKE;
    ck_assert_int_eq(backend_register_completion(KEY_WAKE, flood_handler, NULL), 0);
    ck_assert_int_eq(backend_register_completion(KEY_KICK, kick_handler, NULL), 0);
    ck_assert_int_eq(backend_add_turn_hook(flood_go_hook, NULL), 0);
    helper_start(&flood_helper, post_flood);
    ck_assert_int_eq(async_runtime_post_completion(backend_runtime(), KEY_KICK, 0), 0);
    ck_assert_int_eq(run_loop(), 0);
    helper_join(&flood_helper);
    ck_assert_int_eq(flood_out_of_order, 0);
    ck_assert_uint_eq(flood_next, FLOOD + 1);
    ck_assert_uint_eq(stats_now().completions, FLOOD + 1);
}
END_TEST

/* ============================================================== watchers */

static int sp[2], sp2[2];
static backend_watcher_t watch_a, watch_b;

static void make_pair(int v[2])
{
    ck_assert_int_eq(socketpair(AF_UNIX, SOCK_STREAM, 0, v), 0);
}

typedef struct io_log {
    int calls;
    int fd;
    unsigned events;
    int reads;
    int writes;
} io_log_t;

static io_log_t io_a;

static void read_one_cb(async_socket_t fd, unsigned events, void *ctx)
{
    io_log_t *l = ctx;
    l->calls++;
    l->fd = fd;
    l->events = events;
    char c;
    if (events & ASYNC_EVENT_READ) {
        ck_assert_int_eq(read(fd, &c, 1), 1);
        l->reads++;
    }
    backend_request_shutdown(0);
}

/* A readable socket reaches its watcher with READ and its fd. */
START_TEST(test_watcher_read_dispatch)
{
    make_pair(sp);
    ck_assert_int_eq(backend_watch(&watch_a, sp[0], ASYNC_EVENT_READ, read_one_cb, &io_a), 0);
    ck_assert_int_eq(write(sp[1], "x", 1), 1);
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(io_a.calls, 1);
    ck_assert_int_eq(io_a.fd, sp[0]);
    ck_assert_uint_eq(io_a.events & ASYNC_EVENT_READ, ASYNC_EVENT_READ);
    ck_assert_int_eq(io_a.reads, 1);
    backend_unwatch(&watch_a);
    close(sp[0]);
    close(sp[1]);
}
END_TEST

static void write_then_read_cb(async_socket_t fd, unsigned events, void *ctx)
{
    io_log_t *l = ctx;
    l->calls++;
    if (events & ASYNC_EVENT_WRITE) {
        l->writes++;
        /* Done writing: wait for the peer's answer instead. */
        ck_assert_int_eq(backend_watch_modify(&watch_a, ASYNC_EVENT_READ), 0);
        ck_assert_int_eq(write(sp[1], "y", 1), 1);
    }
    if (events & ASYNC_EVENT_READ) {
        char c;
        ck_assert_int_eq(read(fd, &c, 1), 1);
        ck_assert_int_eq(c, 'y');
        l->reads++;
        backend_request_shutdown(0);
    }
}

/* WRITE readiness is reported while wanted; backend_watch_modify switches
 * interest to READ (level-triggered WRITE stops at once). */
START_TEST(test_watcher_write_dispatch_and_modify)
{
    make_pair(sp);
    ck_assert_int_eq(backend_watch(&watch_a, sp[0], ASYNC_EVENT_WRITE,
                                   write_then_read_cb, &io_a), 0);
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(io_a.writes, 1);
    ck_assert_int_eq(io_a.reads, 1);
    ck_assert_int_eq(io_a.calls, 2);
    ck_assert_uint_eq(stats_now().turns, 2);
    ck_assert_int_eq(backend_watch_modify(&watch_a, ASYNC_EVENT_READ), 0);  /* no change */
    backend_unwatch(&watch_a);
    ck_assert_int_eq(backend_watch_modify(&watch_a, ASYNC_EVENT_READ), -1);
    backend_unwatch(&watch_a);  /* twice: ignored */
    close(sp[0]);
    close(sp[1]);
}
END_TEST

/* ---- unwatch inside dispatch ------------------------------------------ */

typedef struct owned_conn {
    backend_watcher_t w;
    int fd;
    int calls;
    int *other_pair;            /* peer pair for the rewatch test */
    struct owned_conn *other;
} owned_conn_t;

static owned_conn_t *conn_a, *conn_b;
static int close_calls;

/* Like comm on EOF of one connection closing another: unwatch, close,
 * free it on the spot. */
static void close_other_cb(async_socket_t fd, unsigned events, void *ctx)
{
    (void)fd; (void)events;
    owned_conn_t *self = ctx;
    self->calls++;
    close_calls++;
    owned_conn_t *victim = self->other;
    if (victim != NULL) {
        backend_unwatch(&victim->w);
        close(victim->fd);
        free(victim);            /* freed at once: ASan sees any later use */
        if (victim == conn_a)
            conn_a = NULL;
        else
            conn_b = NULL;
        self->other = NULL;
    }
    backend_request_shutdown(0);
}

static owned_conn_t *owned_new(int fd)
{
    owned_conn_t *c = calloc(1, sizeof(*c));
    ck_assert_ptr_nonnull(c);
    c->fd = fd;
    ck_assert_int_eq(backend_watch(&c->w, fd, ASYNC_EVENT_READ, close_other_cb, c), 0);
    return c;
}

/* Two readable sockets in one batch; whichever is dispatched first
 * unwatches and frees the other: the other's event, already in the batch,
 * is never dispatched. */
START_TEST(test_unwatch_inside_dispatch_suppresses_rest_of_batch)
{
    make_pair(sp);
    make_pair(sp2);
    ck_assert_int_eq(write(sp[1], "a", 1), 1);
    ck_assert_int_eq(write(sp2[1], "b", 1), 1);
    conn_a = owned_new(sp[0]);
    conn_b = owned_new(sp2[0]);
    conn_a->other = conn_b;
    conn_b->other = conn_a;

    ck_assert_int_eq(run_loop(), 0);
    ck_assert_uint_eq(stats_now().turns, 1);   /* both were in that batch */
    ck_assert_int_eq(close_calls, 1);
    owned_conn_t *survivor = conn_a != NULL ? conn_a : conn_b;
    ck_assert_ptr_nonnull(survivor);
    ck_assert_int_eq(survivor->calls, 1);
    backend_unwatch(&survivor->w);
    close(survivor->fd);
    free(survivor);
    close(sp[1]);
    close(sp2[1]);
}
END_TEST

static int stale_calls, fresh_calls;
static int fresh_pair[2];

static void fresh_cb(async_socket_t fd, unsigned events, void *ctx)
{
    (void)fd; (void)events; (void)ctx;
    fresh_calls++;
}

static void rewatch_cb(async_socket_t fd, unsigned events, void *ctx)
{
    (void)fd; (void)events; (void)ctx;
    if (stale_calls++ > 0)
        return;
    /* The watcher dispatched second in this batch is re-registered, at the
     * same address, for a socket with nothing to read. */
    backend_watcher_t *other = (ctx == &watch_a) ? &watch_b : &watch_a;
    int old_fd = other->fd;
    backend_unwatch(other);
    close(old_fd);
    make_pair(fresh_pair);
    ck_assert_int_eq(backend_watch(other, fresh_pair[0], ASYNC_EVENT_READ, fresh_cb, NULL), 0);
    backend_request_shutdown(0);
}

/* A watcher unwatched and watched again at the same address within one
 * batch does not receive the old registration's pending event. */
START_TEST(test_rewatch_at_same_address_gets_no_stale_event)
{
    make_pair(sp);
    make_pair(sp2);
    ck_assert_int_eq(write(sp[1], "a", 1), 1);
    ck_assert_int_eq(write(sp2[1], "b", 1), 1);
    ck_assert_int_eq(backend_watch(&watch_a, sp[0], ASYNC_EVENT_READ, rewatch_cb, &watch_a), 0);
    ck_assert_int_eq(backend_watch(&watch_b, sp2[0], ASYNC_EVENT_READ, rewatch_cb, &watch_b), 0);
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(stale_calls, 1);
    ck_assert_int_eq(fresh_calls, 0);
    backend_watcher_t *survivor = (watch_a.fn == rewatch_cb) ? &watch_a : &watch_b;
    backend_watcher_t *fresh = (survivor == &watch_a) ? &watch_b : &watch_a;
    int sfd = survivor->fd;
    backend_unwatch(survivor);
    backend_unwatch(fresh);
    close(sfd);
    close(fresh_pair[0]);
    close(fresh_pair[1]);
    close(sp[1]);
    close(sp2[1]);
}
END_TEST

/* ================================================================ hooks */

static int turn_hook_calls;

static void count_turn_hook(void *ctx)
{
    (void)ctx;
    turn_hook_calls++;
}

/* Turn hooks run once per turn, in every turn. */
START_TEST(test_turn_hooks_run_once_per_turn)
{
    static repeater_t r = { .stop_at = 4 };
    ck_assert_int_eq(backend_add_turn_hook(count_turn_hook, NULL), 0);
    ck_assert_int_eq(backend_add_turn_hook(NULL, NULL), -1);
    r.handle = backend_timer_add(1, 1, repeat_cb, &r);
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_uint_eq((uint64_t)turn_hook_calls, stats_now().turns);
    ck_assert_int_ge(turn_hook_calls, 4);
}
END_TEST

/* ============================================================== shutdown */

static recorder_t hooks_rec;

static void shutdown_hook(void *ctx)
{
    int tag = (int)(intptr_t)ctx;
    hooks_rec.seen[hooks_rec.count++] = tag;
}

static void add_three_shutdown_hooks(void)
{
    for (intptr_t i = 1; i <= 3; i++)
        ck_assert_int_eq(backend_add_shutdown_hook(shutdown_hook, (void *)i), 0);
}

static void assert_hooks_reversed(void)
{
    ck_assert_int_eq(hooks_rec.count, 3);
    ck_assert_int_eq(hooks_rec.seen[0], 3);
    ck_assert_int_eq(hooks_rec.seen[1], 2);
    ck_assert_int_eq(hooks_rec.seen[2], 1);
}

static void status_3_cb(void *ctx)
{
    (void)ctx;
    backend_request_shutdown(3);
    backend_request_shutdown(5);   /* the first request wins */
    ck_assert(backend_shutdown_requested());
}

/* backend_request_shutdown from a timer: the loop ends after that turn,
 * the hooks run last-registered first, the first status is returned. */
START_TEST(test_request_shutdown_from_timer_runs_hooks_in_reverse)
{
    add_three_shutdown_hooks();
    ck_assert(!backend_shutdown_requested());
    ck_assert_ptr_nonnull(backend_timer_add(1, 0, status_3_cb, NULL));
    ck_assert_int_eq(run_loop(), 3);
    assert_hooks_reversed();
}
END_TEST

static int signal_to_send;

static void raise_cb(void *ctx)
{
    (void)ctx;
    ck_assert_int_eq(raise(signal_to_send), 0);
}

/* SIGTERM raised while the loop runs: the handler only rings the pipe;
 * the loop shuts down in order and backend_run returns 0. */
START_TEST(test_sigterm_shuts_down_with_status_0_and_reverse_hooks)
{
    signal_to_send = SIGTERM;
    add_three_shutdown_hooks();
    ck_assert_ptr_nonnull(backend_timer_add(1, 0, raise_cb, NULL));
    ck_assert_int_eq(run_loop(), 0);
    assert_hooks_reversed();
}
END_TEST

START_TEST(test_sigint_shuts_down_with_status_0)
{
    signal_to_send = SIGINT;
    add_three_shutdown_hooks();
    ck_assert_ptr_nonnull(backend_timer_add(1, 0, raise_cb, NULL));
    ck_assert_int_eq(run_loop(), 0);
    assert_hooks_reversed();
}
END_TEST

static helper_t killer;

static void send_sigterm(helper_t *h)
{
    (void)h;
    ck_assert_int_eq(kill(getpid(), SIGTERM), 0);
}

static void sleep_then_kill_hook(void *ctx)
{
    (void)ctx;
    if (stats_now().turns == 1)
        port_event_set(&killer.go);
}

/* SIGTERM sent by another thread while the loop sleeps without a timeout
 * (the worker has the signal blocked, so the main thread takes it): the
 * self-pipe wakes the loop in one more turn. */
START_TEST(test_sigterm_wakes_a_loop_sleeping_forever)
{
    add_three_shutdown_hooks();
    ck_assert_int_eq(backend_register_completion(KEY_KICK, kick_handler, NULL), 0);
    ck_assert_int_eq(backend_add_turn_hook(sleep_then_kill_hook, NULL), 0);
    helper_start(&killer, send_sigterm);
    ck_assert_int_eq(async_runtime_post_completion(backend_runtime(), KEY_KICK, 0), 0);
    ck_assert_int_eq(run_loop(), 0);
    helper_join(&killer);
    assert_hooks_reversed();
    ck_assert_uint_eq(stats_now().turns, 2);
}
END_TEST

static void hook_sees_no_listener(void *ctx)
{
    int *seen = ctx;
    *seen = comm_listen_port();
}

static int free_tcp_port(void)
{
    int s = socket(AF_INET, SOCK_STREAM, 0);
    ck_assert_int_ge(s, 0);
    struct sockaddr_in a;
    memset(&a, 0, sizeof(a));
    a.sin_family = AF_INET;
    a.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    ck_assert_int_eq(bind(s, (struct sockaddr *)&a, sizeof(a)), 0);
    socklen_t len = sizeof(a);
    ck_assert_int_eq(getsockname(s, (struct sockaddr *)&a, &len), 0);
    close(s);
    return ntohs(a.sin_port);
}

/* Listeners are closed before the shutdown hooks run (step 1 before 2). */
START_TEST(test_listeners_closed_before_shutdown_hooks)
{
    /* Re-initialise comm with a real listener on loopback. */
    comm_shutdown(0);
    free(cfg.bind_address);
    cfg.bind_address = strdup("127.0.0.1");
    cfg.port = free_tcp_port();
    ck_assert_int_eq(comm_init(&cfg, &quiet_handler), 0);
    ck_assert_int_eq(comm_listen_port(), cfg.port);

    static int port_in_hook = -1;
    ck_assert_int_eq(backend_add_shutdown_hook(hook_sees_no_listener, &port_in_hook), 0);
    ck_assert_ptr_nonnull(backend_timer_add(0, 0, shutdown_cb, NULL));
    ck_assert_int_eq(run_loop(), 0);
    ck_assert_int_eq(port_in_hook, 0);
}
END_TEST

/* SIGPIPE is ignored while the backend is up: writing to a socket whose
 * peer is gone fails with EPIPE instead of killing the process. */
START_TEST(test_sigpipe_is_ignored)
{
    make_pair(sp);
    close(sp[1]);
    errno = 0;
    ck_assert_int_eq(write(sp[0], "x", 1), -1);
    ck_assert_int_eq(errno, EPIPE);
    close(sp[0]);
}
END_TEST

/* ============================================= lifecycle (no fixture) */

/* init + run + destroy leaves no fd open and puts the signal
 * dispositions back. */
START_TEST(test_destroy_closes_fds_and_restores_signals)
{
    struct sigaction before_term, before_pipe, now;
    sigaction(SIGTERM, NULL, &before_term);
    sigaction(SIGPIPE, NULL, &before_pipe);
    int fds_before = count_fds();

    ck_assert_int_eq(backend_init(), 0);
    ck_assert_int_eq(backend_init(), -1);   /* twice: refused */
    ck_assert_int_gt(count_fds(), fds_before);
    sigaction(SIGTERM, NULL, &now);
    ck_assert_ptr_ne((void *)now.sa_handler, (void *)before_term.sa_handler);
    sigaction(SIGPIPE, NULL, &now);
    ck_assert_ptr_eq((void *)now.sa_handler, (void *)SIG_IGN);
    ck_assert_ptr_nonnull(backend_timer_add(1000, 0, shutdown_cb, NULL));  /* freed by destroy */
    ck_assert_int_eq(backend_add_turn_hook(count_turn_hook, NULL), 0);
    backend_destroy();
    backend_destroy();   /* twice: harmless */

    ck_assert_int_eq(count_fds(), fds_before);
    sigaction(SIGTERM, NULL, &now);
    ck_assert_ptr_eq((void *)now.sa_handler, (void *)before_term.sa_handler);
    sigaction(SIGPIPE, NULL, &now);
    ck_assert_ptr_eq((void *)now.sa_handler, (void *)before_pipe.sa_handler);

    /* And it can start again. */
    ck_assert_int_eq(backend_init(), 0);
    backend_destroy();
    ck_assert_int_eq(count_fds(), fds_before);
}
END_TEST

/* ================================================================= suite */

static Suite *backend_suite(void)
{
    Suite *s = suite_create("backend");

    TCase *tc = tcase_create("timers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_timers_fire_in_deadline_order);
    tcase_add_test(tc, test_repeating_timer_fires_until_cancelled_in_own_callback);
    tcase_add_test(tc, test_oneshot_cancelled_in_own_callback_is_freed_once);
    tcase_add_test(tc, test_cancel_of_another_due_timer_in_same_turn);
    tcase_add_test(tc, test_cancel_pending_timer);
    tcase_add_test(tc, test_timer_added_in_callback_fires_next_turn);
    tcase_add_test(tc, test_many_timers_fire_in_deadline_order_with_cancels);
    suite_add_tcase(s, tc);

    tc = tcase_create("wait");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_next_timeout_follows_earliest_deadline);
    tcase_add_test(tc, test_wait_sleeps_until_next_deadline_in_one_turn);
    tcase_add_test(tc, test_idle_loop_sleeps_until_completion_from_worker);
    suite_add_tcase(s, tc);

    tc = tcase_create("completions");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_register_rejects_duplicate_and_out_of_range_keys);
    tcase_add_test(tc, test_handler_gets_key_value_and_ctx);
    tcase_add_test(tc, test_unregister_during_batch_drops_later_completions);
    tcase_add_test(tc, test_worker_completions_delivered_once_in_order);
    suite_add_tcase(s, tc);

    tc = tcase_create("watchers");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_watcher_read_dispatch);
    tcase_add_test(tc, test_watcher_write_dispatch_and_modify);
    tcase_add_test(tc, test_unwatch_inside_dispatch_suppresses_rest_of_batch);
    tcase_add_test(tc, test_rewatch_at_same_address_gets_no_stale_event);
    tcase_add_test(tc, test_turn_hooks_run_once_per_turn);
    suite_add_tcase(s, tc);

    tc = tcase_create("shutdown");
    tcase_add_checked_fixture(tc, setup, teardown);
    tcase_add_test(tc, test_request_shutdown_from_timer_runs_hooks_in_reverse);
    tcase_add_test(tc, test_sigterm_shuts_down_with_status_0_and_reverse_hooks);
    tcase_add_test(tc, test_sigint_shuts_down_with_status_0);
    tcase_add_test(tc, test_sigterm_wakes_a_loop_sleeping_forever);
    tcase_add_test(tc, test_listeners_closed_before_shutdown_hooks);
    tcase_add_test(tc, test_sigpipe_is_ignored);
    suite_add_tcase(s, tc);

    tc = tcase_create("lifecycle");
    tcase_add_test(tc, test_destroy_closes_fds_and_restores_signals);
    suite_add_tcase(s, tc);

    return s;
}

int main(void)
{
    SRunner *sr = srunner_create(backend_suite());
    srunner_run_all(sr, CK_ENV);   /* CK_VERBOSITY=verbose lists each test */
    int failed = srunner_ntests_failed(sr);
    srunner_free(sr);
    return failed == 0 ? EXIT_SUCCESS : EXIT_FAILURE;
}
