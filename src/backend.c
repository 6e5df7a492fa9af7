/*
 * backend.c - the reactor: one thread, one wait, everything dispatched.
 *
 * A TURN of the loop (backend_run) is:
 *
 *   1. compute the wait timeout: 0 when a connection has a queued line or
 *      a shutdown is pending; the time to the earliest timer deadline
 *      otherwise; no timeout at all (NULL: sleep until an event) when no
 *      timer exists.  There is no fixed tick: an idle driver sleeps in the
 *      kernel until a client, a worker or a timer needs it.
 *   2. async_runtime_wait() for socket readiness and worker completions;
 *   3. dispatch the batch: socket events go to the watcher whose address
 *      is the event's key, completion events to the handler registered
 *      for their (small integer) key;
 *   4. fire the timers that are due (each at most once per turn);
 *   5. run the turn hooks (the LPC runtime's per-turn work);
 *   6. comm_process_input(): one queued line per connection;
 *   7. comm_flush(): write what the turn produced.
 *
 * BATCH SAFETY.  A batch may hold several events for one watcher, or an
 * event for a connection that an earlier event of the same batch closed
 * (comm frees the connection, and the watcher inside it, right away).  The
 * rule: backend_unwatch() neutralises every not-yet-dispatched event of
 * the current batch whose key is that watcher, so the dispatcher never
 * touches a watcher after its owner unwatched it, and the owner may free
 * it as soon as backend_unwatch returns.  A watcher re-registered at the
 * same address (a new connection allocated where the old one was) cannot
 * receive the old registration's events: they were neutralised first.
 * Events are also masked with the watcher's current interest, so a
 * backend_watch_modify() that drops WRITE is honoured within the batch.
 *
 * TIMERS live in a binary min-heap ordered by (deadline, sequence): equal
 * deadlines fire in the order they were scheduled.  A due timer is taken
 * out of the heap before its callback runs, so the callback may cancel
 * it (freed once the callback returns), cancel any other timer (removed
 * from the heap at once, so a cancelled due timer never fires), or add
 * timers.  A repeating timer is put back with its next deadline; if the
 * loop fell behind, the next deadline is "now + interval" rather than a
 * burst of catch-up calls.  Timers added during the firing phase wait for
 * the next turn, so a callback re-arming itself with delay 0 cannot keep
 * the loop in one turn forever.
 *
 * SIGNALS.  os_signals.h turns the OS's stop requests (SIGINT/SIGTERM
 * through a self-pipe watcher on POSIX; Ctrl-C, Ctrl-Break and console
 * close through a BACKEND_KEY_SIGNAL completion on Windows) into a call
 * on the loop thread, between two events, like any other input; that
 * call requests an orderly shutdown with status 0.
 *
 * SHUTDOWN (after the turn in which it was requested): stop listening,
 * run the shutdown hooks last-registered first, flush and close every
 * connection with comm_shutdown(BACKEND_SHUTDOWN_FLUSH_MS), return the
 * status.  Each step is logged at info level.
 *
 * Main thread only, except backend_runtime(), whose result worker
 * threads use to post completions.
 */
#include <config.h>     /* autoconf's: the angle brackets skip src/config.h */
#include "backend.h"
#include "comm.h"
#include "log.h"
#include "net.h"
#include "os_signals.h"
#include "port/port_clock.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>

/* Events taken from the runtime per turn.  More ready sockets simply wait
 * for the next turn (the runtime is level-triggered). */
#define BACKEND_MAX_EVENTS 256

/* How long comm_shutdown may spend flushing output at shutdown. */
#define BACKEND_SHUTDOWN_FLUSH_MS 2000

struct backend_timer {
    int64_t deadline_ns;    /* absolute, port_clock monotonic */
    int64_t interval_ns;    /* 0: one-shot */
    uint64_t seq;           /* scheduling order: tie-break for equal deadlines */
    size_t heap_index;      /* position in be.heap while queued */
    bool queued;            /* in the heap (false while its callback runs) */
    bool cancelled;         /* cancelled from inside its own callback */
    backend_timer_fn fn;
    void *ctx;
};

typedef struct backend_hook {
    backend_hook_fn fn;
    void *ctx;
} backend_hook_t;

typedef struct backend_hook_list {
    backend_hook_t *items;
    size_t count;
    size_t capacity;
} backend_hook_list_t;

typedef struct backend_key_slot {
    backend_completion_fn fn;   /* NULL: key free */
    void *ctx;
} backend_key_slot_t;

/* Everything the loop owns.  Main thread only. */
static struct backend_state {
    bool initialised;
    async_runtime_t *runtime;

    /* The batch being dispatched: backend_unwatch neutralises the
     * entries after batch_next (see BATCH SAFETY). */
    io_event_t events[BACKEND_MAX_EVENTS];
    int batch_count;
    int batch_next;      /* index of the next event to dispatch */

    backend_key_slot_t keys[BACKEND_KEY_LIMIT];

    backend_timer_t **heap;
    size_t heap_count;
    size_t heap_capacity;
    uint64_t timer_seq;
    backend_timer_t *firing;   /* timer whose callback is running, or NULL */

    backend_hook_list_t turn_hooks;
    backend_hook_list_t shutdown_hooks;

    bool shutdown_requested;
    int exit_status;
    bool running;
    bool signals_installed;    /* os_signals_install succeeded */

    backend_stats_t stats;
} be;

/* ================================================================ signals */

/* os_signals' report, on the loop thread: a stop request from the OS is
 * an orderly shutdown with exit status 0. */
static void backend_on_stop_request(const char *what)
{
    log_info("backend: received %s, shutting down", what);
    backend_request_shutdown(0);
}

/* ============================================================== lifecycle */

/*
** Creates the runtime, installs the stop-request handlers (os_signals).
** Returns 0, or -1 after logging why (everything undone).
*/
int backend_init(void)
{
    if (be.initialised) {
        log_error("backend: already initialised");
        return -1;
    }
    memset(&be, 0, sizeof(be));

    be.runtime = async_runtime_init();
    if (be.runtime == NULL) {
        log_error("backend: cannot create the async runtime: %s", strerror(errno));
        return -1;
    }
    be.initialised = true;
    if (os_signals_install(backend_on_stop_request) != 0) {
        backend_destroy();
        return -1;
    }
    be.signals_installed = true;
    log_debug("backend: %s runtime ready", async_runtime_backend_name());
    return 0;
}

async_runtime_t *backend_runtime(void)
{
    return be.runtime;
}

/*
** Asks for a shutdown after the current turn.  The first request's status
** wins (a signal after an error keeps the error's status).
*/
void backend_request_shutdown(int status)
{
    if (be.shutdown_requested)
        return;
    be.shutdown_requested = true;
    be.exit_status = status;
}

bool backend_shutdown_requested(void)
{
    return be.shutdown_requested;
}

void backend_get_stats(backend_stats_t *stats)
{
    if (stats != NULL)
        *stats = be.stats;
}

/* ======================================================== completion keys */

/*
** Registers fn for completions posted with `key` (1 <= key <
** BACKEND_KEY_LIMIT).  -1 if the key is out of range, taken, or fn NULL.
*/
int backend_register_completion(uintptr_t key, backend_completion_fn fn, void *ctx)
{
    if (key == 0 || key >= BACKEND_KEY_LIMIT || fn == NULL)
        return -1;
    if (be.keys[key].fn != NULL)
        return -1;
    be.keys[key].fn = fn;
    be.keys[key].ctx = ctx;
    return 0;
}

/*
** Frees the key.  Completions for it that arrive later (in this batch
** too) are dropped with a warning.
*/
void backend_unregister_completion(uintptr_t key)
{
    if (key == 0 || key >= BACKEND_KEY_LIMIT)
        return;
    be.keys[key].fn = NULL;
    be.keys[key].ctx = NULL;
}

/* ========================================================= socket watchers */

/*
** Starts watching fd; the runtime key is the watcher's address.  Returns 0,
** or -1 with errno from the runtime (EEXIST, EINVAL, ENOMEM).
*/
int backend_watch(backend_watcher_t *w, async_socket_t fd, unsigned events,
                  backend_io_fn fn, void *ctx)
{
    if (w == NULL || fn == NULL || be.runtime == NULL) {
        errno = EINVAL;
        return -1;
    }
    if (async_runtime_add_socket(be.runtime, fd, events, (uintptr_t)w) != 0)
        return -1;
    w->fd = fd;
    w->events = events;
    w->fn = fn;
    w->ctx = ctx;
    return 0;
}

/*
** Changes what a watched socket waits for (0 pauses it).  Returns 0, or
** -1 with errno (ENOENT when not watched).
*/
int backend_watch_modify(backend_watcher_t *w, unsigned events)
{
    if (w == NULL || w->fn == NULL || be.runtime == NULL) {
        errno = ENOENT;
        return -1;
    }
    if (w->events == events)
        return 0;
    if (async_runtime_modify_socket(be.runtime, w->fd, events, (uintptr_t)w) != 0)
        return -1;
    w->events = events;
    return 0;
}

/*
** Stops watching (call before closing the socket).  Neutralises the
** watcher's remaining events in the batch being dispatched, so the owner
** may free the watcher as soon as this returns.  Unwatched watchers are
** ignored.
*/
void backend_unwatch(backend_watcher_t *w)
{
    if (w == NULL || w->fn == NULL)
        return;
    if (be.runtime != NULL &&
        async_runtime_remove_socket(be.runtime, w->fd) != 0 && errno != ENOENT)
        log_warn("backend: cannot stop watching fd %lld: %s",
                 net_socket_number(w->fd), net_strerror(errno));
    for (int i = be.batch_next; i < be.batch_count; i++) {
        io_event_t *e = &be.events[i];
        if (!(e->event_type & ASYNC_EVENT_COMPLETION) &&
            e->completion_key == (uintptr_t)w)
            e->event_type = 0;
    }
    w->fn = NULL;
    w->ctx = NULL;
    w->events = 0;
    w->fd = NET_NO_SOCKET;
}

/* ================================================================= timers */

static bool timer_before(const backend_timer_t *a, const backend_timer_t *b)
{
    if (a->deadline_ns != b->deadline_ns)
        return a->deadline_ns < b->deadline_ns;
    return a->seq < b->seq;
}

static void heap_place(size_t i, backend_timer_t *t)
{
    be.heap[i] = t;
    t->heap_index = i;
}

static void heap_sift_up(size_t i)
{
    backend_timer_t *t = be.heap[i];
    while (i > 0) {
        size_t parent = (i - 1) / 2;
        if (!timer_before(t, be.heap[parent]))
            break;
        heap_place(i, be.heap[parent]);
        i = parent;
    }
    heap_place(i, t);
}

static void heap_sift_down(size_t i)
{
    backend_timer_t *t = be.heap[i];
    for (;;) {
        size_t child = 2 * i + 1;
        if (child >= be.heap_count)
            break;
        if (child + 1 < be.heap_count &&
            timer_before(be.heap[child + 1], be.heap[child]))
            child++;
        if (!timer_before(be.heap[child], t))
            break;
        heap_place(i, be.heap[child]);
        i = child;
    }
    heap_place(i, t);
}

/* Inserts t (queued = true).  -1 on out of memory. */
static int heap_insert(backend_timer_t *t)
{
    if (be.heap_count == be.heap_capacity) {
        size_t cap = be.heap_capacity ? be.heap_capacity * 2 : 16;
        backend_timer_t **grown = realloc(be.heap, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        be.heap = grown;
        be.heap_capacity = cap;
    }
    t->seq = be.timer_seq++;
    t->queued = true;
    heap_place(be.heap_count++, t);
    heap_sift_up(t->heap_index);
    return 0;
}

/* Takes t out of the heap wherever it is. */
static void heap_remove(backend_timer_t *t)
{
    size_t i = t->heap_index;
    backend_timer_t *last = be.heap[--be.heap_count];
    t->queued = false;
    if (last == t)
        return;
    heap_place(i, last);
    if (i > 0 && timer_before(last, be.heap[(i - 1) / 2]))
        heap_sift_up(i);
    else
        heap_sift_down(i);
}

/* Milliseconds (fractions allowed) to nanoseconds, rounded up; negative or
 * NaN -> 0; absurdly large -> about 292 years. */
static int64_t ms_to_ns(double ms)
{
    if (!(ms > 0))
        return 0;
    double ns = ms * 1e6;
    if (ns >= 9.0e18)
        return INT64_C(9000000000000000000);
    int64_t whole = (int64_t)ns;
    if ((double)whole < ns)
        whole++;
    return whole;
}

/* now + delta without passing PORT_DEADLINE_NEVER. */
static int64_t deadline_add(int64_t now, int64_t delta_ns)
{
    if (delta_ns >= PORT_DEADLINE_NEVER - now)
        return PORT_DEADLINE_NEVER - 1;
    return now + delta_ns;
}

/*
** Schedules fn(ctx) after delay_ms, then every interval_ms when > 0.
** NULL on out of memory (or fn NULL).
*/
backend_timer_t *backend_timer_add(double delay_ms, double interval_ms,
                                   backend_timer_fn fn, void *ctx)
{
    if (fn == NULL)
        return NULL;
    backend_timer_t *t = calloc(1, sizeof(*t));
    if (t == NULL)
        return NULL;
    t->deadline_ns = deadline_add(port_clock_now_ns(), ms_to_ns(delay_ms));
    t->interval_ns = ms_to_ns(interval_ms);
    t->fn = fn;
    t->ctx = ctx;
    if (heap_insert(t) != 0) {
        free(t);
        return NULL;
    }
    return t;
}

/*
** Cancels and frees timer.  From inside its own callback the free waits
** until the callback returns.  NULL is ignored.
*/
void backend_timer_cancel(backend_timer_t *timer)
{
    if (timer == NULL)
        return;
    if (timer == be.firing) {
        timer->cancelled = true;
        return;
    }
    if (timer->queued)
        heap_remove(timer);
    free(timer);
}

/*
** Fires every timer due at the start of this phase, earliest first.
** Timers scheduled during the phase (new ones and repeating ones put
** back) wait for a later turn.
*/
static void backend_fire_timers(void)
{
    if (be.heap_count == 0)
        return;
    int64_t now = port_clock_now_ns();
    uint64_t seq_limit = be.timer_seq;
    while (be.heap_count > 0) {
        backend_timer_t *t = be.heap[0];
        if (t->deadline_ns > now || t->seq >= seq_limit)
            break;
        heap_remove(t);
        be.firing = t;
        be.stats.timer_fires++;
        t->fn(t->ctx);
        be.firing = NULL;
        if (t->cancelled || t->interval_ns == 0) {
            free(t);
            continue;
        }
        int64_t next = deadline_add(t->deadline_ns, t->interval_ns);
        if (next <= now)
            next = deadline_add(now, t->interval_ns);  /* fell behind: no burst */
        t->deadline_ns = next;
        if (heap_insert(t) != 0) {
            log_error("backend: out of memory re-arming a repeating timer; it is dropped");
            free(t);
        }
    }
}

/*
** The timeout the next wait will use: 0 when the loop must not sleep
** (queued input, shutdown pending), -1 when nothing is scheduled (sleep
** until an event), else nanoseconds to the earliest timer deadline.
*/
int64_t backend_next_timeout_ns(void)
{
    if (be.shutdown_requested || comm_has_pending_input())
        return 0;
    if (be.heap_count == 0)
        return -1;
    return port_deadline_remaining_ns(be.heap[0]->deadline_ns);
}

/* ================================================================== hooks */

static int hook_list_add(backend_hook_list_t *list, backend_hook_fn fn, void *ctx)
{
    if (fn == NULL)
        return -1;
    if (list->count == list->capacity) {
        size_t cap = list->capacity ? list->capacity * 2 : 4;
        backend_hook_t *grown = realloc(list->items, cap * sizeof(*grown));
        if (grown == NULL)
            return -1;
        list->items = grown;
        list->capacity = cap;
    }
    list->items[list->count].fn = fn;
    list->items[list->count].ctx = ctx;
    list->count++;
    return 0;
}

static void hook_list_free(backend_hook_list_t *list)
{
    free(list->items);
    list->items = NULL;
    list->count = list->capacity = 0;
}

int backend_add_turn_hook(backend_hook_fn fn, void *ctx)
{
    return hook_list_add(&be.turn_hooks, fn, ctx);
}

int backend_add_shutdown_hook(backend_hook_fn fn, void *ctx)
{
    return hook_list_add(&be.shutdown_hooks, fn, ctx);
}

/* =================================================================== loop */

/*
** Dispatches the batch events[0..n).  Callbacks may unwatch (later events
** of that watcher are neutralised), register keys, add timers, close
** connections or request a shutdown.
*/
static void backend_dispatch(int n)
{
    be.batch_count = n;
    for (be.batch_next = 0; be.batch_next < be.batch_count;) {
        io_event_t e = be.events[be.batch_next++];
        if (e.event_type == 0)
            continue;  /* neutralised by backend_unwatch */
        if (e.event_type & ASYNC_EVENT_COMPLETION) {
            uintptr_t key = e.completion_key;
            if (key == 0 || key >= BACKEND_KEY_LIMIT || be.keys[key].fn == NULL) {
                log_warn("backend: completion for unregistered key %lu dropped",
                         (unsigned long)key);
                continue;
            }
            be.stats.completions++;
            be.keys[key].fn(key, e.value, be.keys[key].ctx);
            continue;
        }
        backend_watcher_t *w = (backend_watcher_t *)e.completion_key;
        unsigned mask = e.event_type & (w->events | ASYNC_EVENT_ERROR);
        if (mask == 0)
            continue;  /* interest dropped earlier in this batch */
        w->fn(w->fd, mask, w->ctx);
    }
    be.batch_count = 0;
    be.batch_next = 0;
}

/* ns -> timeval, rounded UP to the microsecond: never wake before the
 * deadline, so a due timer is due when the wait returns. */
static struct timeval ns_to_timeval(int64_t ns)
{
    struct timeval tv;
    int64_t us = ns / PORT_NS_PER_US + (ns % PORT_NS_PER_US != 0);
    /* no casts: tv_sec and tv_usec differ in type between OSes */
    tv.tv_sec = us / 1000000;
    tv.tv_usec = us % 1000000;
    return tv;
}

/* One turn (see the top of the file).  -1 if the wait failed. */
static int backend_turn(void)
{
    int64_t timeout_ns = backend_next_timeout_ns();
    struct timeval tv;
    struct timeval *tvp = NULL;
    if (timeout_ns >= 0) {
        tv = ns_to_timeval(timeout_ns);
        tvp = &tv;
    }
    if (timeout_ns != 0)
        be.stats.sleeps++;
    be.stats.turns++;

    int n = async_runtime_wait(be.runtime, be.events, BACKEND_MAX_EVENTS, tvp);
    if (n < 0) {
        log_error("backend: waiting for events failed: %s", strerror(errno));
        return -1;
    }
    backend_dispatch(n);
    backend_fire_timers();
    for (size_t i = 0; i < be.turn_hooks.count; i++)
        be.turn_hooks.items[i].fn(be.turn_hooks.items[i].ctx);
    comm_process_input();
    comm_flush();
    return 0;
}

/*
** The orderly shutdown, in the order backend.h promises; every step is
** logged so an operator can see where a slow shutdown spends its time.
*/
static void backend_shutdown(void)
{
    log_info("backend: shutdown: closing listeners");
    comm_stop_listening();
    if (be.shutdown_hooks.count > 0)
        log_info("backend: shutdown: running %zu shutdown hook(s)",
                 be.shutdown_hooks.count);
    for (size_t i = be.shutdown_hooks.count; i > 0; i--)
        be.shutdown_hooks.items[i - 1].fn(be.shutdown_hooks.items[i - 1].ctx);
    log_info("backend: shutdown: flushing and closing %zu connection(s)",
             comm_connection_count());
    comm_shutdown(BACKEND_SHUTDOWN_FLUSH_MS);
    log_info("backend: shutdown complete (exit status %d)", be.exit_status);
}

/*
** Runs turns until a shutdown is requested, then shuts down.  Returns the
** exit status (0 for a signal or backend_request_shutdown(0)); 1 if the
** wait itself failed.
*/
int backend_run(void)
{
    if (!be.initialised || be.running) {
        log_error("backend: backend_run without backend_init, or nested");
        return 1;
    }
    be.running = true;
    while (!be.shutdown_requested) {
        if (backend_turn() != 0)
            backend_request_shutdown(1);
    }
    backend_shutdown();
    be.running = false;
    return be.exit_status;
}

/*
** Frees timers, hooks and keys, removes the stop-request handlers
** (os_signals_remove) and destroys the runtime.  Workers posting to the runtime
** must have been joined (the shutdown hooks do that).  Timer handles are
** invalid afterwards.  Safe to call twice.
*/
void backend_destroy(void)
{
    if (!be.initialised)
        return;
    if (be.signals_installed) {
        os_signals_remove();
        be.signals_installed = false;
    }
    for (size_t i = 0; i < be.heap_count; i++)
        free(be.heap[i]);
    free(be.heap);
    be.heap = NULL;
    be.heap_count = be.heap_capacity = 0;
    hook_list_free(&be.turn_hooks);
    hook_list_free(&be.shutdown_hooks);
    memset(be.keys, 0, sizeof(be.keys));
    async_runtime_destroy(be.runtime);
    be.runtime = NULL;
    be.initialised = false;
}
