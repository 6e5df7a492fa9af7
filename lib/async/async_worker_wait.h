/*
 * async_worker_wait.h - INTERNAL to lib/async: how library waits become
 * stop-aware.
 *
 * A worker thread that is about to sleep on (mutex, cond) of some library
 * object registers that pair first; async_worker_signal_stop() then locks
 * the mutex and broadcasts the cond, so the sleeper wakes and sees
 * async_worker_should_stop().  The protocol, for a waiter on worker `self`:
 *
 *     async_worker_wait_begin(self, &m, &c);   // m NOT held here
 *     port_mutex_lock(&m);
 *     while (!predicate && !async_worker_should_stop(self))
 *         port_cond_wait_until(&c, &m, deadline);
 *     port_mutex_unlock(&m);
 *     async_worker_wait_end(self);
 *
 * Lock order is worker-registration lock -> m, taken only by
 * signal_stop; the waiter never holds both, so there is no inversion.
 * No lost wake-up: signal_stop sets the stop flag before it reads the
 * registration; a waiter registered after that read sees the flag under m.
 * `self` may be NULL (caller not a worker): both calls then do nothing.
 */
#ifndef ASYNC_WORKER_WAIT_H
#define ASYNC_WORKER_WAIT_H

#include "async/async_worker.h"
#include "port/port_sync.h"

void async_worker_wait_begin(async_worker_t *self, port_mutex_t *mutex,
                             port_cond_t *cond);
void async_worker_wait_end(async_worker_t *self);

#endif /* ASYNC_WORKER_WAIT_H */
