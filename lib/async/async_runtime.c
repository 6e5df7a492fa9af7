/*
 * async_runtime.c - what every backend shares: the runtime object, the
 * completion list, the doorbell protocol, timeouts and EINTR, stats, and
 * merging completions with socket events into one result array.
 *
 * DESIGN
 *
 * Completions travel in a lock-free multi-producer / single-consumer list
 * (a Treiber stack that is only ever emptied as a whole):
 *
 *   post (any thread)  malloc a node {key, value, next}, push it on `head`
 *                      with a CAS.  Then ring the doorbell (eventfd / pipe
 *                      write) only if the loop is asleep and nobody has
 *                      rung for this sleep yet (the `sleeping` flag).
 *   wait (loop thread) ask the backend to wait for sockets or the doorbell;
 *                      the backend drains the doorbell if it rang.  THEN
 *                      take the whole list with one atomic exchange, reverse
 *                      it (the stack is newest-first) and append it to a
 *                      FIFO only the loop thread touches.  Completions are
 *                      handed out from that FIFO, as many as fit; the rest
 *                      wait there for the next call.
 *
 * Doorbell: the eventfd counter never carries completions; it only wakes a
 * sleeping loop.  Before blocking, the loop stores sleeping = 1 and looks
 * at `head` once more; a poster, after its push, reads `sleeping` and, if
 * it is 1, exchanges it to 0 and rings.  Both sides use seq_cst, so this
 * is a Dekker handshake: either the loop sees the new node and does not
 * block, or the poster sees the flag and rings.  The exchange lets exactly
 * one poster ring per sleep, so a burst of N posts costs one doorbell
 * write, and posts to a loop that is awake (busy dispatching) cost none:
 * at most one ring per sleep of the loop, counted in the stats.
 *
 * Order: a thread's pushes appear in `head`'s modification order in the
 * order it made them; the stack holds them newest-first and the reversal
 * restores posting order.  Takes are appended to the FIFO in order.  So
 * completions come out in posting order per posting thread.  (No order is
 * promised between threads.)
 *
 * Drain BEFORE take: a ring that arrives after the drain must find its
 * node still in the list for the next take, or be stale.  The loop clears
 * `sleeping` right after the OS wait; a poster that still saw 1 in that
 * window rings once more, and that stale ring only costs one spurious
 * wake-up, which the wait loop absorbs (it goes round with the time left).
 * Taking without draining is always safe; every async_backend_poll (the
 * only place that drains) is followed by a take.
 *
 * Fairness: when completions are pending, half of the caller's slots are
 * kept for them and socket readiness may use the other half (plus any
 * completion slot left unused).  With max_events == 1 the runtime
 * alternates between the two sources.  So a flood of completions never
 * hides a ready socket and busy sockets never hide completions.
 *
 * Timeouts: converted once into an absolute monotonic deadline.  A wait
 * interrupted by a signal (EINTR), or woken with nothing to report (a
 * stale doorbell), goes round again with the time left; only an expired
 * deadline returns 0.  Backends keep sub-millisecond timeouts where the OS
 * can (epoll_pwait2, ppoll) and otherwise round up to whole milliseconds,
 * never down to 0, so a 0.5 ms wait neither busy-loops nor ends early.
 *
 * THE BACKEND SEAM (async_runtime_backend.h)
 *
 * Exactly one of async_runtime_epoll.c, async_runtime_poll.c and
 * async_runtime_iocp.c is linked.  A backend registers sockets, waits for
 * readiness or its doorbell, drains the doorbell, and rings it from any
 * thread.  Everything above is common.  The IOCP backend: the completion
 * port is the wait object; the doorbell ring is PostQueuedCompletionStatus()
 * with a reserved completion key, and "drained" means
 * GetQueuedCompletionStatusEx() dequeued that packet; socket readiness is a
 * WSAPoll level check, with WSAEventSelect wake-ups posted to the same
 * port (see that file).  The completion list and the `sleeping` flag stay
 * here, so ordering, exactly-once delivery, ENOMEM and the at-most-one-
 * ring-per-sleep rule are the same on Windows.
 */
#include "config.h"
#include "async/async_runtime.h"
#include "async/async_runtime_backend.h"
#include "port/port_atomic.h"
#include "port/port_clock.h"

#include <errno.h>
#include <stdlib.h>

/* One posted completion.  Ownership: allocated by the posting thread,
 * owned by the list once pushed, by the loop thread once taken; freed by
 * the loop when delivered, or by destroy. */
typedef struct completion_node {
    struct completion_node *next;
    uintptr_t key;
    uintptr_t value;
} completion_node_t;

struct async_runtime {
    /* ---- shared with posting threads ---------------------------------
     * head: newest-first stack of posted, not yet taken completions.
     * posted / rings: statistics incremented by posting threads.
     * backend: set at init, read-only afterwards (posters ring through
     * it). */
    _Atomic(completion_node_t *) head;
    /* 1 while the loop is (about to be) blocked in the OS wait and nobody
     * has rung for that sleep yet; see "Doorbell" above.  Set by the loop,
     * cleared by the loop or by the one poster that rings. */
    atomic_int sleeping;
    _Atomic uint64_t posted;
    _Atomic uint64_t rings;
    async_backend_t *backend;

    /* Keeps the loop-private fields below off the cache line(s) the
     * posting threads keep writing.  Padding rather than an alignment
     * attribute: malloc does not promise 64-byte alignment, and two fields
     * 64 bytes apart never share a line whatever the base address. */
    char pad_[PORT_CACHE_LINE];

    /* ---- loop thread only ------------------------------------------- */
    completion_node_t *fifo_head;  /* taken, not yet delivered: oldest */
    completion_node_t *fifo_tail;  /* ... newest */
    uint64_t wait_calls;
    uint64_t sleeps;
    uint64_t delivered;
    bool sockets_turn;  /* max_events == 1: whose turn when both wait */
};

/*
** Creates a runtime with its backend (and the backend's doorbell).
** Returns NULL with errno set (ENOMEM, or whatever the backend reports).
*/
async_runtime_t *async_runtime_init(void)
{
    async_runtime_t *rt = calloc(1, sizeof(*rt));
    if (rt == NULL) {
        errno = ENOMEM;
        return NULL;
    }
    /* Plain initialisation: no other thread can see rt yet; the caller
     * hands it to workers through something that synchronises (thread
     * creation, a queue), which publishes these stores. */
    atomic_init(&rt->head, NULL);
    atomic_init(&rt->sleeping, 0);
    atomic_init(&rt->posted, 0);
    atomic_init(&rt->rings, 0);
    rt->backend = async_backend_create();
    if (rt->backend == NULL) {
        int saved = errno;
        free(rt);
        errno = saved;
        return NULL;
    }
    return rt;
}

/*
** Frees a list of nodes linked through `next`.
*/
static void free_nodes(completion_node_t *node)
{
    while (node != NULL) {
        completion_node_t *next = node->next;
        free(node);
        node = next;
    }
}

/*
** Frees the runtime, its undelivered completions and the backend (which
** closes its fds).  No thread may post during or after this call; the
** caller has joined them, which orders their pushes before us.
*/
void async_runtime_destroy(async_runtime_t *runtime)
{
    if (runtime == NULL)
        return;
    /* acquire: pairs with the posters' release CAS, like a normal take;
     * strictly the joins already order everything, this keeps the rule
     * "every read of head that dereferences nodes is acquire" simple. */
    free_nodes(atomic_exchange_explicit(&runtime->head, NULL,
                                        memory_order_acquire));
    free_nodes(runtime->fifo_head);
    async_backend_destroy(runtime->backend);
    free(runtime);
}

/*
** Checks the socket and interest set shared by add and modify: fd must be
** a possible descriptor and events only READ and/or WRITE (ERROR is
** always reported, COMPLETION is not a socket event).
*/
static bool socket_args_valid(async_socket_t fd, unsigned events)
{
#ifdef _WIN32
    if (fd == INVALID_SOCKET)
        return false;
#else
    if (fd < 0)
        return false;
#endif
    return (events & ~(unsigned)(ASYNC_EVENT_READ | ASYNC_EVENT_WRITE)) == 0;
}

/*
** Starts watching fd for events (may be 0: registered but paused) with
** completion key `key`.  0, or -1 with errno EINVAL (bad fd or events),
** EEXIST (already registered), ENOMEM, or a backend error.
*/
int async_runtime_add_socket(async_runtime_t *runtime, async_socket_t fd,
                             unsigned events, uintptr_t key)
{
    if (runtime == NULL || !socket_args_valid(fd, events)) {
        errno = EINVAL;
        return -1;
    }
    return async_backend_add(runtime->backend, fd, events, key);
}

/*
** Replaces the events and key of a registered fd; events 0 pauses it
** (no READ, WRITE or ERROR until modified again).  -1/ENOENT when fd is
** not registered, -1/EINVAL for bad arguments.
*/
int async_runtime_modify_socket(async_runtime_t *runtime, async_socket_t fd,
                                unsigned events, uintptr_t key)
{
    if (runtime == NULL || !socket_args_valid(fd, events)) {
        errno = EINVAL;
        return -1;
    }
    return async_backend_modify(runtime->backend, fd, events, key);
}

/*
** Forgets fd.  Call before closing it.  -1/ENOENT when not registered.
*/
int async_runtime_remove_socket(async_runtime_t *runtime, async_socket_t fd)
{
    if (runtime == NULL) {
        errno = EINVAL;
        return -1;
    }
#ifndef _WIN32
    if (fd < 0) {
        errno = ENOENT;  /* can never have been registered */
        return -1;
    }
#endif
    return async_backend_remove(runtime->backend, fd);
}

/*
** Queues (key, value) for the loop thread and wakes it if it may be
** sleeping.  Any thread, any time between init and destroy.  Returns 0,
** or -1 with errno ENOMEM and nothing queued.  Lock-free: a failed CAS
** means another poster succeeded.
*/
int async_runtime_post_completion(async_runtime_t *runtime, uintptr_t key,
                                  uintptr_t value)
{
    completion_node_t *node = malloc(sizeof(*node));
    if (node == NULL) {
        errno = ENOMEM;
        return -1;
    }
    node->key = key;
    node->value = value;

    /* relaxed: a pure statistic; the RMW keeps it exact under contention
     * and nobody infers anything about other memory from it.  Done before
     * the push, so the release CAS below orders it before the node is
     * visible: the loop, having taken the node, reads posted >= delivered. */
    atomic_fetch_add_explicit(&runtime->posted, 1, memory_order_relaxed);

    /* relaxed load: only a first guess for the CAS, never dereferenced
     * (a push never reads another node, so there is no ABA hazard: the
     * only pop is the consumer's exchange of the whole list). */
    completion_node_t *old = atomic_load_explicit(&runtime->head,
                                                  memory_order_relaxed);
    do {
        node->next = old;
        /* success seq_cst: release publishes node->key/value/next (and,
         * through the release sequence of RMWs on head, every earlier
         * push) to the loop's acquire exchange; seq_cst because the push
         * is one half of the Dekker handshake with the loop's `sleeping`
         * store (below).  failure relaxed: we only retry with the fresh
         * value, nothing is read through it.  (A relaxed load as the first
         * guess is fine: a push never reads another node, so there is no
         * ABA hazard; the only pop is the loop's exchange of the list.) */
    } while (!atomic_compare_exchange_weak_explicit(&runtime->head, &old, node,
                                                    memory_order_seq_cst,
                                                    memory_order_relaxed));

    /* seq_cst load after the seq_cst push: either the loop's check of
     * `head` (after its seq_cst store of sleeping = 1) sees our node and it
     * does not block, or we see sleeping == 1 here.  The exchange lets
     * exactly one poster ring for one sleep; the plain load first keeps
     * posts to an awake loop free of a write to this shared line. */
    if (atomic_load_explicit(&runtime->sleeping, memory_order_seq_cst) != 0 &&
        atomic_exchange_explicit(&runtime->sleeping, 0, memory_order_seq_cst) != 0) {
        atomic_fetch_add_explicit(&runtime->rings, 1, memory_order_relaxed);
        async_backend_ring_doorbell(runtime->backend);
    }
    return 0;
}

/*
** Moves everything posted so far into the loop's private FIFO.  Loop
** thread only.  Must come AFTER any doorbell drain (see the top of the
** file); may come without one.
*/
static void take_completions(async_runtime_t *rt)
{
    /* acquire: pairs with each poster's release CAS so the nodes' fields
     * are visible.  An exchange (RMW), not load + store, so a push racing
     * with us either lands in what we take or in the emptied list. */
    completion_node_t *stack = atomic_exchange_explicit(&rt->head, NULL,
                                                        memory_order_acquire);
    if (stack == NULL)
        return;
    /* Reverse newest-first into oldest-first. */
    completion_node_t *first = NULL;
    completion_node_t *last = stack;
    while (stack != NULL) {
        completion_node_t *next = stack->next;
        stack->next = first;
        first = stack;
        stack = next;
    }
    if (rt->fifo_tail != NULL)
        rt->fifo_tail->next = first;
    else
        rt->fifo_head = first;
    rt->fifo_tail = last;
}

/*
** Copies up to `room` completions from the private FIFO into events,
** frees their nodes, and returns how many.
*/
static int deliver_completions(async_runtime_t *rt, io_event_t *events,
                               int room)
{
    int n = 0;
    while (n < room && rt->fifo_head != NULL) {
        completion_node_t *node = rt->fifo_head;
        rt->fifo_head = node->next;
        events[n].completion_key = node->key;
        events[n].event_type = ASYNC_EVENT_COMPLETION;
        events[n].value = node->value;
#ifdef _WIN32
        events[n].fd = INVALID_SOCKET;
#else
        events[n].fd = -1;
#endif
        free(node);
        n++;
    }
    if (rt->fifo_head == NULL)
        rt->fifo_tail = NULL;
    rt->delivered += (uint64_t)n;
    return n;
}

/*
** Converts a caller's timeout into an absolute monotonic deadline.
** NULL means forever.  Returns false for a negative or malformed timeval.
*/
static bool deadline_from_timeval(const struct timeval *tv, int64_t *deadline)
{
    if (tv == NULL) {
        *deadline = PORT_DEADLINE_NEVER;
        return true;
    }
    if (tv->tv_sec < 0 || tv->tv_usec < 0 || tv->tv_usec >= 1000000)
        return false;
    /* In a variable: tv_sec is a 32-bit long on Windows, where comparing
     * it with the bound directly is "always false" to the compiler. */
    int64_t sec = (int64_t)tv->tv_sec;
    if (sec >= INT64_MAX / PORT_NS_PER_SEC - 1) {
        *deadline = PORT_DEADLINE_NEVER;  /* centuries: same as forever */
        return true;
    }
    int64_t ns = sec * PORT_NS_PER_SEC +
                 (int64_t)tv->tv_usec * PORT_NS_PER_US;
    *deadline = port_deadline_after_ns(ns);  /* saturates, never wraps */
    return true;
}

/*
** Waits for socket readiness or completions until the timeout (NULL:
** forever, {0,0}: just check).  Fills events[0..n) and returns n >= 1, or
** 0 when the deadline passed with nothing to report, or -1 with errno
** (EINVAL for bad arguments, a backend error otherwise; never EINTR).
** Socket events come first, completions after.  Loop thread only.
*/
int async_runtime_wait(async_runtime_t *runtime, io_event_t *events,
                       int max_events, struct timeval *timeout)
{
    int64_t deadline;
    if (runtime == NULL || events == NULL || max_events <= 0 ||
        !deadline_from_timeval(timeout, &deadline)) {
        errno = EINVAL;
        return -1;
    }
    async_runtime_t *rt = runtime;
    rt->wait_calls++;

    for (;;) {
        /* relaxed peek: only a hint that lets the OS wait be a 0-timeout
         * check.  A stale NULL is harmless (the poster's ring wakes the
         * wait); nothing is dereferenced through it. */
        bool pending = rt->fifo_head != NULL ||
                       atomic_load_explicit(&rt->head,
                                            memory_order_relaxed) != NULL;
        int socket_slots = max_events;
        if (pending) {
            if (max_events == 1) {
                socket_slots = rt->sockets_turn ? 1 : 0;
                rt->sockets_turn = !rt->sockets_turn;
            } else {
                socket_slots = max_events / 2;
            }
        }

        int n = 0;
        if (socket_slots > 0) {
            int64_t timeout_ns = 0;
            if (!pending) {
                int64_t left = port_deadline_remaining_ns(deadline);
                timeout_ns = (left == INT64_MAX) ? -1 : left;
            }
            if (timeout_ns != 0) {
                /* About to block: announce it, then look at the list once
                 * more.  seq_cst store + seq_cst load against the poster's
                 * seq_cst push + load (see post_completion): a post we do
                 * not see here is guaranteed to see sleeping == 1 and
                 * ring. */
                atomic_store_explicit(&rt->sleeping, 1, memory_order_seq_cst);
                if (atomic_load_explicit(&rt->head, memory_order_seq_cst) != NULL &&
                    atomic_exchange_explicit(&rt->sleeping, 0,
                                             memory_order_seq_cst) != 0) {
                    /* Work arrived and nobody rang: do not block. */
                    timeout_ns = 0;
                } else {
                    /* Block.  If work arrived but a poster already took
                     * the flag, its ring is on its way and ends this
                     * sleep at once: every ring is answered by the sleep
                     * it was rung for, never left over for a later one. */
                    rt->sleeps++;
                }
            }
            bool doorbell = false;
            n = async_backend_poll(rt->backend, events, socket_slots, timeout_ns,
                                   &doorbell);
            /* Awake: posts need not ring any more.  relaxed: a poster that
             * still reads the old 1 and wins the exchange rings once for
             * this sleep; the ring is drained by the next wait (a spurious
             * wake-up the loop below absorbs). */
            atomic_store_explicit(&rt->sleeping, 0, memory_order_relaxed);
            if (n < 0) {
                if (errno != EINTR)
                    return -1;
                /* A signal handler ran: go round with the time left.  The
                 * doorbell may have been drained before the interruption
                 * was noticed, so the take below must still happen. */
                n = 0;
            }
        }
        /* After the drain (inside async_backend_poll), never before. */
        take_completions(rt);
        n += deliver_completions(rt, events + n, max_events - n);
        if (n > 0)
            return n;
        if (port_deadline_expired(deadline))
            return 0;
        /* Woken with nothing to report (signal, stale doorbell, an OS
         * timer that fired a hair early): wait for the rest of the time. */
    }
}

/*
** Snapshot of the counters.  Loop thread.  Counters written by posting
** threads may lag posts still in flight; they are exact once the posters
** are joined (the join orders their increments before this read).
*/
void async_runtime_get_stats(async_runtime_t *runtime,
                             async_runtime_stats_t *stats)
{
    if (runtime == NULL || stats == NULL)
        return;
    stats->wait_calls = runtime->wait_calls;
    stats->sleeps = runtime->sleeps;
    /* relaxed: statistics only, see post_completion. */
    stats->completions_posted = atomic_load_explicit(&runtime->posted,
                                                     memory_order_relaxed);
    stats->completions_delivered = runtime->delivered;
    stats->doorbell_rings = atomic_load_explicit(&runtime->rings,
                                                 memory_order_relaxed);
    stats->sockets = async_backend_socket_count(runtime->backend);
}

/*
** The backend compiled in: "epoll", "poll" or "iocp".
*/
const char *async_runtime_backend_name(void)
{
    return async_backend_name;
}
