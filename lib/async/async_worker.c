/*
 * async_worker.c - managed threads with cooperative, observable stop.
 *
 * Portable: everything OS-specific is reached through lib/port.
 *
 * Life of a worker record
 * -----------------------
 * The record is shared by two owners: the thread that called create (the
 * "owner", which ends its share with async_worker_destroy) and the worker
 * thread itself (which ends its share as it exits).  `refs` counts them.
 *
 *  - destroy after proc returned: the owner reaps the thread
 *    (port_thread_join, instant: the thread is already on its way out) and
 *    frees the record.
 *  - destroy while proc still runs: the owner detaches the thread and drops
 *    its reference; the thread drops the last one when proc returns and
 *    frees the record itself.  Nothing the thread touches is freed under
 *    it.  This is the answer to the guide's "forced shutdown or leak?":
 *    neither.  Killing a thread mid-flight can leave locks held and memory
 *    half-written, so we never do; the record lives exactly as long as the
 *    thread needs it.
 *
 * Completion latch
 * ----------------
 * `finished` is a manual-reset event set right after proc returns.  join
 * sleeps on it, so it returns as soon as proc has returned, not on the next
 * tick of some polling loop.
 *
 * Stop-aware library waits
 * ------------------------
 * See async_worker_wait.h.  `lock` guards the registration (wait_mutex,
 * wait_cond) and is also the mutex of async_worker_wait_stop's sleep on
 * `stop_cond`.
 */
#include "config.h"
#include "async/async_worker.h"
#include "async/async_worker_wait.h"
#include "port/port_atomic.h"
#include "port/port_clock.h"
#include "port/port_sync.h"
#include "port/port_thread.h"

#include <errno.h>
#include <stdlib.h>

struct async_worker {
    port_thread_t thread;
    async_worker_proc_t proc;
    void *context;
    void *result;             /* written by the thread before `finished` is set */

    /* async_worker_state_t.  Written with release by the thread (STOPPED)
     * and by signal_stop (RUNNING -> STOPPING CAS); read with acquire. */
    _Atomic int state;
    /* Set once by signal_stop; seq_cst so that the store is ordered before
     * signal_stop's read of the wait registration (see async_worker_wait.h). */
    atomic_bool stop_requested;
    /* Owner + thread; the one that drops it to 0 frees the record. */
    atomic_int refs;

    port_event_t finished;    /* manual-reset latch: proc has returned */

    port_mutex_t lock;        /* guards the fields below */
    port_cond_t stop_cond;    /* async_worker_wait_stop sleeps here */
    port_mutex_t *wait_mutex; /* library wait in progress, or NULL */
    port_cond_t *wait_cond;
    bool reaped;              /* thread joined or detached */
};

static port_once_t current_once = PORT_ONCE_INIT;
static port_tls_t current_worker;   /* the async_worker_t of this thread */
static bool current_worker_ok;

static void current_worker_init(void)
{
    current_worker_ok = port_tls_create(&current_worker) == 0;
}

static void worker_free(async_worker_t *w)
{
    port_cond_destroy(&w->stop_cond);
    port_mutex_destroy(&w->lock);
    port_event_destroy(&w->finished);
    free(w);
}

/* Drops one reference; frees the record on the last. */
static void worker_release(async_worker_t *w)
{
    /* acq_rel: the releasing side's writes to the record happen-before the
     * free done by whichever side drops the last reference. */
    if (atomic_fetch_sub_explicit(&w->refs, 1, memory_order_acq_rel) == 1)
        worker_free(w);
}

static void *worker_main(void *arg)
{
    async_worker_t *w = arg;
    if (current_worker_ok)
        port_tls_set(&current_worker, w);

    void *result = w->proc(w->context);

    if (current_worker_ok)
        port_tls_set(&current_worker, NULL);
    w->result = result;
    /* release: a reader that sees STOPPED also sees `result`. */
    atomic_store_explicit(&w->state, ASYNC_WORKER_STOPPED, memory_order_release);
    port_event_set(&w->finished);
    worker_release(w);
    return NULL;
}

async_worker_t *async_worker_create(async_worker_proc_t proc, void *context,
                                    size_t stack_size)
{
    if (proc == NULL) {
        errno = EINVAL;
        return NULL;
    }
    port_once(&current_once, current_worker_init);

    async_worker_t *w = calloc(1, sizeof *w);
    if (w == NULL)
        return NULL;
    w->proc = proc;
    w->context = context;
    atomic_init(&w->state, ASYNC_WORKER_RUNNING);
    atomic_init(&w->stop_requested, false);
    atomic_init(&w->refs, 2);

    if (port_event_init(&w->finished, true, false) != 0) {
        free(w);
        return NULL;
    }
    if (port_mutex_init(&w->lock) != 0) {
        port_event_destroy(&w->finished);
        free(w);
        return NULL;
    }
    if (port_cond_init(&w->stop_cond) != 0) {
        port_mutex_destroy(&w->lock);
        port_event_destroy(&w->finished);
        free(w);
        return NULL;
    }
    /* State is RUNNING before the thread exists, so it is RUNNING (or
     * already STOPPED) from the moment create returns. */
    int rc = port_thread_create(&w->thread, worker_main, w, stack_size);
    if (rc != 0) {
        worker_free(w);
        errno = rc;
        return NULL;
    }
    return w;
}

void async_worker_signal_stop(async_worker_t *w)
{
    if (w == NULL)
        return;
    /* seq_cst: ordered before the read of the registration below, which is
     * what makes the wake-up protocol of async_worker_wait.h lossless. */
    atomic_store_explicit(&w->stop_requested, true, memory_order_seq_cst);

    /* RUNNING -> STOPPING only: a STOPPED worker stays STOPPED, and a
     * second call changes nothing.  relaxed on failure: nothing to publish. */
    int expected = ASYNC_WORKER_RUNNING;
    atomic_compare_exchange_strong_explicit(&w->state, &expected,
                                            ASYNC_WORKER_STOPPING,
                                            memory_order_acq_rel,
                                            memory_order_relaxed);

    port_mutex_lock(&w->lock);
    if (w->wait_mutex != NULL) {
        /* Taking the waiter's mutex means the waiter is either before its
         * predicate check (and will see stop_requested) or inside its
         * cond wait (and gets this broadcast). */
        port_mutex_lock(w->wait_mutex);
        port_cond_broadcast(w->wait_cond);
        port_mutex_unlock(w->wait_mutex);
    }
    port_cond_broadcast(&w->stop_cond);
    port_mutex_unlock(&w->lock);
}

bool async_worker_should_stop(async_worker_t *w)
{
    if (w == NULL)
        return false;
    /* acquire pairs with the store in signal_stop: what the stopper wrote
     * before asking is visible to a worker that sees the request. */
    return atomic_load_explicit(&w->stop_requested, memory_order_acquire);
}

bool async_worker_join(async_worker_t *w, int timeout_ms)
{
    if (w == NULL)
        return false;
    if (!port_event_wait(&w->finished, timeout_ms))
        return false;
    /* Reap the thread now that it is leaving, so a joined worker leaves no
     * OS thread behind even before destroy.  Only one caller reaps. */
    port_mutex_lock(&w->lock);
    if (!w->reaped) {
        w->reaped = true;
        port_mutex_unlock(&w->lock);
        port_thread_join(&w->thread, NULL);
    } else {
        port_mutex_unlock(&w->lock);
    }
    return true;
}

void async_worker_destroy(async_worker_t *w)
{
    if (w == NULL)
        return;
    port_mutex_lock(&w->lock);
    bool reaped = w->reaped;
    w->reaped = true;
    port_mutex_unlock(&w->lock);

    if (!reaped) {
        if (port_event_is_set(&w->finished))
            port_thread_join(&w->thread, NULL);  /* exiting: returns at once */
        else
            port_thread_detach(&w->thread);      /* still running: let it go */
    }
    worker_release(w);
}

async_worker_state_t async_worker_get_state(async_worker_t *w)
{
    if (w == NULL)
        return ASYNC_WORKER_STOPPED;
    /* acquire: pairs with the thread's release store of STOPPED. */
    return (async_worker_state_t)atomic_load_explicit(&w->state, memory_order_acquire);
}

async_worker_t *async_worker_current(void)
{
    port_once(&current_once, current_worker_init);
    if (!current_worker_ok)
        return NULL;
    return port_tls_get(&current_worker);
}

bool async_worker_wait_stop(async_worker_t *self, int timeout_ms)
{
    if (self == NULL)
        return false;
    int64_t deadline = port_deadline_after_ms(timeout_ms);
    port_mutex_lock(&self->lock);
    while (!async_worker_should_stop(self) && timeout_ms != 0) {
        if (!port_cond_wait_until(&self->stop_cond, &self->lock, deadline))
            break;  /* timed out; the flag is read once more below */
    }
    port_mutex_unlock(&self->lock);
    return async_worker_should_stop(self);
}

void *async_worker_result(async_worker_t *w)
{
    if (async_worker_get_state(w) != ASYNC_WORKER_STOPPED)
        return NULL;
    return w->result;
}

void async_worker_wait_begin(async_worker_t *self, port_mutex_t *mutex,
                             port_cond_t *cond)
{
    if (self == NULL)
        return;
    port_mutex_lock(&self->lock);
    self->wait_mutex = mutex;
    self->wait_cond = cond;
    port_mutex_unlock(&self->lock);
}

void async_worker_wait_end(async_worker_t *self)
{
    if (self == NULL)
        return;
    port_mutex_lock(&self->lock);
    self->wait_mutex = NULL;
    self->wait_cond = NULL;
    port_mutex_unlock(&self->lock);
}
