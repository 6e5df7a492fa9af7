/*
 * async_worker.h - managed threads with graceful stop.
 *
 * A worker runs proc(context) on its own thread.  Its state is
 *   RUNNING  from the moment async_worker_create() returns,
 *   STOPPING after async_worker_signal_stop() while proc still runs,
 *   STOPPED  once proc has returned.
 *
 * Who may call what:
 *  - create, signal_stop, join, destroy, get_state: any thread other
 *    than the worker itself (signal_stop and get_state: the worker too).
 *  - async_worker_current(), should_stop(self), wait_stop(self): the
 *    worker's own thread.
 *
 * Stopping is cooperative: signal_stop sets a flag and wakes the worker
 * out of any library wait it is in (async_queue_wait, async_worker_wait_stop).
 * A thread is never killed: after a join that timed out, destroy detaches
 * the thread, which frees its own record when proc finally returns.
 */
#ifndef ASYNC_WORKER_H
#define ASYNC_WORKER_H

#include <stdbool.h>
#include <stddef.h>

typedef struct async_worker async_worker_t;

typedef void *(*async_worker_proc_t)(void *context);

typedef enum async_worker_state {
    ASYNC_WORKER_STOPPED = 0,
    ASYNC_WORKER_RUNNING,
    ASYNC_WORKER_STOPPING
} async_worker_state_t;

/* Starts proc(context) on a new thread (stack_size 0 = default).  The new
 * thread starts with all signals blocked.  Returns NULL if proc is NULL or
 * the thread could not be started. */
async_worker_t *async_worker_create(async_worker_proc_t proc, void *context,
                                    size_t stack_size);

/* Asks the worker to stop and wakes it from library waits.  Idempotent. */
void async_worker_signal_stop(async_worker_t *worker);

/* True once signal_stop was called for this worker. */
bool async_worker_should_stop(async_worker_t *worker);

/* Waits for proc to return: timeout_ms -1 waits forever, 0 only checks.
 * Returns true when proc has returned (within about a millisecond of it:
 * the worker sets a latch as it finishes, join sleeps on that latch). */
bool async_worker_join(async_worker_t *worker, int timeout_ms);

/* Releases the worker.  If proc has returned, everything is freed now.
 * If it still runs, the thread is detached and frees its own record when
 * proc returns: no memory the thread uses is freed under it.  NULL is
 * ignored.  The handle may not be used after this call. */
void async_worker_destroy(async_worker_t *worker);

async_worker_state_t async_worker_get_state(async_worker_t *worker);

/* The worker running the calling thread, or NULL on any other thread. */
async_worker_t *async_worker_current(void);

/* Stop-aware sleep for the worker's own thread: returns true as soon as a
 * stop is requested, false after timeout_ms (-1 forever) without one. */
bool async_worker_wait_stop(async_worker_t *self, int timeout_ms);

/* proc's return value once the worker is STOPPED; NULL before. */
void *async_worker_result(async_worker_t *worker);

#endif /* ASYNC_WORKER_H */
